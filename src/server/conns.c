/* The connection guard: see conns.h and docs/internals/connections.md. */
#include "server/conns.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"

#define SWEEP_MS 100
#define LOG_EVERY_MS 10000
/* A keep-alive connection idle for less than this is never evicted (a
 * client between two quick requests). */
#define IDLE_EVICT_MIN_MS 2000

struct cf_conns {
	struct cf_conns_limits lim;
	uint64_t evict_at;              /* open connections above which we evict */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sweeper;
	bool stop;
	struct cf_conn *oldest, *newest;
	uint64_t open;                  /* tracked and not shut */
	uint64_t tracked;
	struct cf_conns_stats n;        /* counters (open is filled on read) */
	struct cf_conns_stats logged;   /* counters at the last log line */
	uint64_t logged_ms;             /* 0: never */
	uint64_t started_ms;
};

/* Shuts c's socket down so that MHD sees end-of-file and closes it. Under lock. */
static void cut(struct cf_conns *g, struct cf_conn *c)
{
	if (c->shut)
		return;
	c->shut = true;
	c->deadline_ms = 0;
	g->open--;
	shutdown(c->fd, SHUT_RDWR);
}

static void set_phase(struct cf_conn *c, enum cf_conn_phase p, uint64_t now, uint64_t budget_ms)
{
	c->phase = p;
	c->since_ms = now;
	c->deadline_ms = budget_ms ? now + budget_ms : 0;
}

/* The connection to cut for room: the oldest one still in its handshake or
 * head, else the oldest keep-alive one idle for a while; never one whose
 * request is being served, never except. Under lock. */
static struct cf_conn *victim(struct cf_conns *g, const struct cf_conn *except, uint64_t now)
{
	struct cf_conn *idle = NULL;
	for (struct cf_conn *c = g->oldest; c; c = c->next) {
		if (c == except || c->shut)
			continue;
		if (c->phase == CF_CONN_HANDSHAKE || c->phase == CF_CONN_HEAD)
			return c;
		if (!idle && c->phase == CF_CONN_IDLE && now - c->since_ms >= IDLE_EVICT_MIN_MS)
			idle = c;
	}
	return idle;
}

struct cf_conn *cf_conns_opened(struct cf_conns *g, int fd)
{
	struct cf_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	uint64_t now = cf_mono_ms();
	c->guard = g;
	c->fd = fd;
	set_phase(c, CF_CONN_HANDSHAKE, now, g->lim.handshake_ms);
	pthread_mutex_lock(&g->lock);
	c->prev = g->newest;
	if (g->newest)
		g->newest->next = c;
	else
		g->oldest = c;
	g->newest = c;
	g->tracked++;
	g->open++;
	if (g->open > g->evict_at) {
		struct cf_conn *v = victim(g, c, now);
		if (v) {
			cut(g, v);
			g->n.evicted++;
		}
	}
	if (g->open > g->lim.max) {
		cut(g, c);
		g->n.refused_full++;
	}
	pthread_mutex_unlock(&g->lock);
	return c;
}

void cf_conns_handshake_done(struct cf_conn *c)
{
	struct cf_conns *g = c->guard;
	pthread_mutex_lock(&g->lock);
	if (!c->shut && c->phase == CF_CONN_HANDSHAKE)
		set_phase(c, CF_CONN_HEAD, cf_mono_ms(), g->lim.head_ms);
	pthread_mutex_unlock(&g->lock);
}

void cf_conns_head_done(struct cf_conn *c)
{
	struct cf_conns *g = c->guard;
	pthread_mutex_lock(&g->lock);
	if (!c->shut)
		set_phase(c, CF_CONN_BUSY, cf_mono_ms(), 0);
	pthread_mutex_unlock(&g->lock);
}

void cf_conns_request_done(struct cf_conn *c)
{
	struct cf_conns *g = c->guard;
	pthread_mutex_lock(&g->lock);
	if (!c->shut)
		set_phase(c, CF_CONN_IDLE, cf_mono_ms(), g->lim.idle_ms + g->lim.head_ms);
	pthread_mutex_unlock(&g->lock);
}

void cf_conns_closed(struct cf_conn *c)
{
	if (!c)
		return;
	struct cf_conns *g = c->guard;
	pthread_mutex_lock(&g->lock);
	if (!c->shut)
		g->open--;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->newest = c->prev;
	g->tracked--;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

void cf_conns_count_mhd_refused(struct cf_conns *g)
{
	pthread_mutex_lock(&g->lock);
	g->n.mhd_refused++;
	pthread_mutex_unlock(&g->lock);
}

void cf_conns_count_mhd_full(struct cf_conns *g)
{
	pthread_mutex_lock(&g->lock);
	g->n.mhd_full++;
	pthread_mutex_unlock(&g->lock);
}

void cf_conns_stats(struct cf_conns *g, struct cf_conns_stats *ret)
{
	pthread_mutex_lock(&g->lock);
	*ret = g->n;
	ret->open = g->open;
	pthread_mutex_unlock(&g->lock);
}

/* Cuts every connection past its deadline. Under lock. */
static void sweep(struct cf_conns *g, uint64_t now)
{
	for (struct cf_conn *c = g->oldest; c; c = c->next) {
		if (c->shut || !c->deadline_ms || now < c->deadline_ms)
			continue;
		if (c->phase == CF_CONN_HANDSHAKE)
			g->n.handshake_timeouts++;
		else
			g->n.head_timeouts++;
		cut(g, c);
	}
}

/* One line with what the limits did since the last line, at most every
 * LOG_EVERY_MS (the first one at once), and only when they did something.
 * Under lock. */
static void log_counts(struct cf_conns *g, uint64_t now)
{
	if (g->logged_ms && now - g->logged_ms < LOG_EVERY_MS)
		return;
	const struct cf_conns_stats *a = &g->n, *b = &g->logged;
	if (a->handshake_timeouts == b->handshake_timeouts && a->head_timeouts == b->head_timeouts &&
	    a->evicted == b->evicted && a->refused_full == b->refused_full &&
	    a->mhd_refused == b->mhd_refused && a->mhd_full == b->mhd_full)
		return;
	cf_log(CF_LOG_WARN, "conn",
	       "limits bit (%s %llus): %llu handshake timeouts, %llu head timeouts, "
	       "%llu evicted, %llu refused at the cap (%llu by libmicrohttpd), "
	       "%llu requests refused by libmicrohttpd; %llu open",
	       g->logged_ms ? "in the last" : "for the first time; counts over",
	       (unsigned long long)((now - (g->logged_ms ? g->logged_ms : g->started_ms)) / 1000),
	       (unsigned long long)(a->handshake_timeouts - b->handshake_timeouts),
	       (unsigned long long)(a->head_timeouts - b->head_timeouts),
	       (unsigned long long)(a->evicted - b->evicted),
	       (unsigned long long)(a->refused_full - b->refused_full),
	       (unsigned long long)(a->mhd_full - b->mhd_full),
	       (unsigned long long)(a->mhd_refused - b->mhd_refused),
	       (unsigned long long)g->open);
	g->logged = g->n;
	g->logged_ms = now;
}

static void *sweeper_main(void *arg)
{
	struct cf_conns *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		if (g->stop)
			break;
		uint64_t now = cf_mono_ms();
		sweep(g, now);
		log_counts(g, now);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

cf_err cf_conns_new(const struct cf_conns_limits *limits, struct cf_conns **ret)
{
	struct cf_conns *g = calloc(1, sizeof(*g));
	if (!g)
		return CF_ERR_NOMEM;
	g->lim = *limits;
	/* Keep a little room free so that a new client finds a slot even when
	 * libmicrohttpd's worker threads are unevenly loaded. */
	uint64_t reserve = g->lim.max / 16;
	g->evict_at = g->lim.max - reserve;
	g->started_ms = cf_mono_ms();
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->sweeper, NULL, sweeper_main, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return CF_ERR_IO;
	}
	*ret = g;
	return CF_OK;
}

void cf_conns_free(struct cf_conns *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->sweeper, NULL);
	/* The daemons are stopped: nothing is left, but be safe. */
	struct cf_conn *c = g->oldest;
	while (c) {
		struct cf_conn *next = c->next;
		free(c);
		c = next;
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
