/* The bottom of the notifier: a bounded queue and a sending thread per
 * channel, the retry/backoff policy, the drain at shutdown and the libcurl
 * settings every network backend shares. What a delivery is lives in the
 * backends (mailer.c, sms.c, outbox.c); which backend serves which channel
 * is decided by notify.c. Nothing here calls upward. */
#include "server/notify/channel.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/msg.h"

#define SECRET_FILE_MAX 4096

uint64_t cf_notify_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool cf_notify_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

cf_err cf_notify_date(char *out, size_t cap, time_t now)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (!gmtime_r(&now, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return CF_ERR_INVALID;
	int n = snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
	                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec);
	return n < 0 || (size_t)n >= cap ? CF_ERR_TOO_LARGE : CF_OK;
}

struct cf_notify_item *cf_notify_item_new(void)
{
	return calloc(1, sizeof(struct cf_notify_item));
}

void cf_notify_item_free(struct cf_notify_item *it)
{
	if (!it)
		return;
	if (it->rcpt) {
		sodium_memzero(it->rcpt, it->rcpt_len);
		free(it->rcpt);
	}
	if (it->body) {
		sodium_memzero(it->body, it->body_len);
		free(it->body);
	}
	sodium_memzero(it, sizeof(*it));
	free(it);
}

cf_err cf_notify_item_set_body(struct cf_notify_item *it, const char *body, size_t len)
{
	it->body = malloc(len + 1);
	if (!it->body)
		return CF_ERR_NOMEM;
	it->body_len = len + 1;
	memcpy(it->body, body, len);
	it->body[len] = '\0';
	return CF_OK;
}

cf_err cf_notify_read_secret(const char *key, const char *path, char **ret,
                             char *msg, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why = "cannot be read";
	cf_err err = cf_read_secret_file(path, SECRET_FILE_MAX, &buf, &len, &why);
	if (err) {
		cf_msg_format(msg, cap, "key '%s': %s %s", key, path, why);
		return err;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len)) {
		cf_msg_format(msg, cap, "key '%s': %s %s", key, path,
		              len == 0 ? "is empty" : "holds a NUL byte");
		cf_free_secret(buf);
		return CF_ERR_CONFIG;
	}
	*ret = (char *)buf;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Queue                                                                     */

cf_err cf_channel_enqueue(struct cf_channel *ch, struct cf_notify_item *it)
{
	pthread_mutex_lock(&ch->mu);
	if (ch->stopping || ch->count >= ch->tuning.queue_max) {
		pthread_mutex_unlock(&ch->mu);
		return CF_ERR_BUSY;
	}
	it->next = NULL;
	it->due_ms = 0;
	if (ch->tail)
		ch->tail->next = it;
	else
		ch->head = it;
	ch->tail = it;
	ch->count++;
	ch->stats.queued++;
	pthread_cond_signal(&ch->wake);
	pthread_mutex_unlock(&ch->mu);
	return CF_OK;
}

static void unlink_item(struct cf_channel *ch, struct cf_notify_item *prev,
                        struct cf_notify_item *it)
{
	if (prev)
		prev->next = it->next;
	else
		ch->head = it->next;
	if (ch->tail == it)
		ch->tail = prev;
	it->next = NULL;
}

static void append_item(struct cf_channel *ch, struct cf_notify_item *it)
{
	it->next = NULL;
	if (ch->tail)
		ch->tail->next = it;
	else
		ch->head = it;
	ch->tail = it;
}

static void timed_wait(struct cf_channel *ch, uint64_t until_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000),
	                       .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	pthread_cond_timedwait(&ch->wake, &ch->mu, &ts);
}

/* The wait before attempt number `done + 1`: backoff x 4^(done-1), capped. */
static uint64_t backoff(const struct cf_notify_tuning *t, unsigned done)
{
	uint64_t d = t->backoff_ms;
	for (unsigned i = 1; i < done && d < t->backoff_max_ms; i++)
		d *= 4;
	return d < t->backoff_max_ms ? d : t->backoff_max_ms;
}

/* Takes the next message to send (mutex held): when running, the first one
 * that is due, waiting for it; when stopping, any one until the drain
 * deadline. NULL: the thread must end. */
static struct cf_notify_item *next_item(struct cf_channel *ch)
{
	for (;;) {
		uint64_t now = cf_notify_mono_ms();
		if (ch->stopping) {
			if (!ch->head || now >= atomic_load(&ch->deadline_ms))
				return NULL;
			struct cf_notify_item *it = ch->head;
			unlink_item(ch, NULL, it);
			return it;
		}
		struct cf_notify_item *best = NULL, *best_prev = NULL, *prev = NULL;
		for (struct cf_notify_item *it = ch->head; it; prev = it, it = it->next) {
			if (!best || it->due_ms < best->due_ms) {
				best = it;
				best_prev = prev;
			}
		}
		if (!best) {
			pthread_cond_wait(&ch->wake, &ch->mu);
			continue;
		}
		if (best->due_ms > now) {
			timed_wait(ch, best->due_ms);
			continue;
		}
		unlink_item(ch, best_prev, best);
		return best;
	}
}

static void *sender(void *arg)
{
	struct cf_channel *ch = arg;
	const struct cf_notify_tuning *t = &ch->tuning;
	pthread_mutex_lock(&ch->mu);
	for (;;) {
		struct cf_notify_item *it = next_item(ch);
		if (!it)
			break;
		pthread_mutex_unlock(&ch->mu);

		char why[160] = "unknown error";
		bool permanent = false;
		cf_err err = ch->deliver(ch, it, why, sizeof(why), &permanent);
		it->attempts++;

		pthread_mutex_lock(&ch->mu);
		bool done = true;
		uint64_t delay = 0;
		if (!err) {
			ch->stats.sent++;
		} else if (permanent || it->attempts >= t->attempts || ch->stopping) {
			ch->stats.dropped++;
		} else {
			ch->stats.retried++;
			delay = backoff(t, it->attempts);
			it->due_ms = cf_notify_mono_ms() + delay;
			append_item(ch, it);
			done = false;
		}
		bool stopping = ch->stopping;
		if (done) {
			ch->count--;
			pthread_cond_broadcast(&ch->idle);
		}
		pthread_mutex_unlock(&ch->mu);

		/* Log without the lock; never an address, a number or a body. */
		if (!err)
			cf_log(CF_LOG_INFO, ch->component, "%s sent", ch->what);
		else if (!done)
			cf_log(CF_LOG_WARN, ch->component,
			       "%s delivery failed: %s (attempt %u of %u, next in %llu ms)",
			       ch->what, why, it->attempts, t->attempts, (unsigned long long)delay);
		else
			cf_log(CF_LOG_ERROR, ch->component,
			       "%s delivery failed: %s (attempt %u of %u%s); dropped", ch->what, why,
			       it->attempts, t->attempts,
			       permanent ? ", permanent" : stopping ? ", shutting down" : "");
		if (done)
			cf_notify_item_free(it);
		pthread_mutex_lock(&ch->mu);
	}
	/* Stopping, past the drain deadline or empty: drop what is left. */
	size_t dropped = 0;
	while (ch->head) {
		struct cf_notify_item *it = ch->head;
		unlink_item(ch, NULL, it);
		cf_notify_item_free(it);
		ch->count--;
		ch->stats.dropped++;
		dropped++;
	}
	pthread_cond_broadcast(&ch->idle);
	pthread_mutex_unlock(&ch->mu);
	if (dropped)
		cf_log(CF_LOG_ERROR, ch->component, "%zu queued %s message(s) dropped at shutdown",
		       dropped, ch->what);
	return NULL;
}

/* libcurl progress callback: cuts a transfer once the drain deadline of a
 * stopping channel has passed, so cf_channel_free is bounded. */
static int xferinfo(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	struct cf_channel *ch = p;
	if (atomic_load(&ch->stop_flag) && cf_notify_mono_ms() >= atomic_load(&ch->deadline_ms))
		return 1;
	return 0;
}

void cf_channel_curl_common(struct cf_channel *ch, uint64_t base_ms)
{
	uint64_t timeout = base_ms;
	if (atomic_load(&ch->stop_flag)) {
		uint64_t now = cf_notify_mono_ms(), end = atomic_load(&ch->deadline_ms);
		uint64_t left = end > now ? end - now : 1;
		if (left < timeout)
			timeout = left;
	}
	uint64_t connect = timeout < 10000 ? timeout : 10000;
	CURL *c = ch->curl;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, ch);
}

/* ------------------------------------------------------------------------ */
/* Channel life                                                              */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

/* curl_global_init is not thread-safe before 7.84; once per process. */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cf_notify_tuning_fill(struct cf_notify_tuning *t, const struct cf_notify_tuning *in)
{
	static const struct cf_notify_tuning def = {
		.queue_max = 1024, .attempts = 4, .backoff_ms = 2000, .backoff_max_ms = 60000,
		.mail_timeout_ms = 30000, .sms_timeout_ms = 10000, .drain_ms = 5000,
	};
	*t = def;
	if (!in)
		return;
	if (in->queue_max) t->queue_max = in->queue_max;
	if (in->attempts) t->attempts = in->attempts;
	if (in->backoff_ms) t->backoff_ms = in->backoff_ms;
	if (in->backoff_max_ms) t->backoff_max_ms = in->backoff_max_ms;
	if (in->mail_timeout_ms) t->mail_timeout_ms = in->mail_timeout_ms;
	if (in->sms_timeout_ms) t->sms_timeout_ms = in->sms_timeout_ms;
	if (in->drain_ms) t->drain_ms = in->drain_ms;
}


cf_err cf_channel_global_init(char *msg, size_t cap)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		cf_msg_format(msg, cap, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		return CF_ERR_UNSUPPORTED;
	}
	return CF_OK;
}

void cf_channel_stop(struct cf_channel *ch)
{
	if (!ch || !ch->started)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->stopping = true;
	atomic_store(&ch->deadline_ms, cf_notify_mono_ms() + ch->tuning.drain_ms);
	atomic_store(&ch->stop_flag, true);
	pthread_cond_broadcast(&ch->wake);
	pthread_mutex_unlock(&ch->mu);
}

void cf_channel_free(struct cf_channel *ch)
{
	if (!ch)
		return;
	if (ch->started) {
		pthread_join(ch->thread, NULL);
		ch->started = false;
	}
	while (ch->head) {   /* only when the thread never started */
		struct cf_notify_item *it = ch->head;
		ch->head = it->next;
		cf_notify_item_free(it);
	}
	if (ch->ctx_free)
		ch->ctx_free(ch->ctx);
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	pthread_cond_destroy(&ch->idle);
	pthread_cond_destroy(&ch->wake);
	pthread_mutex_destroy(&ch->mu);
	free(ch);
}

cf_err cf_channel_new(struct cf_channel **ret, const struct cf_channel_ops *ops, void *ctx,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap)
{
	struct cf_channel *ch = calloc(1, sizeof(*ch));
	if (!ch) {
		if (ops->ctx_free)
			ops->ctx_free(ctx);
		cf_msg_format(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	ch->what = ops->what;
	ch->component = ops->component;
	ch->deliver = ops->deliver;
	ch->ctx = ctx;
	ch->ctx_free = ops->ctx_free;
	ch->tuning = *tuning;
	atomic_init(&ch->stop_flag, false);
	atomic_init(&ch->deadline_ms, 0);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->wake, &ca);
	pthread_cond_init(&ch->idle, &ca);
	pthread_condattr_destroy(&ca);
	if (ops->uses_curl) {
		cf_err err = cf_channel_global_init(msg, cap);
		if (err) {
			cf_channel_free(ch);
			return err;
		}
		ch->curl = curl_easy_init();
		if (!ch->curl) {
			cf_msg_format(msg, cap, "cannot create a libcurl handle for %s", ch->what);
			cf_channel_free(ch);
			return CF_ERR_NOMEM;
		}
	}
	/* The thread takes no signal: the main thread waits for them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&ch->thread, NULL, sender, ch);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		cf_msg_format(msg, cap, "cannot start the %s sending thread", ch->what);
		cf_channel_free(ch);
		return CF_ERR_NOMEM;
	}
	ch->started = true;
	*ret = ch;
	return CF_OK;
}

cf_err cf_channel_flush(struct cf_channel *ch, uint64_t end)
{
	if (!ch)
		return CF_OK;
	cf_err err = CF_OK;
	pthread_mutex_lock(&ch->mu);
	while (ch->count > 0) {
		if (cf_notify_mono_ms() >= end) {
			err = CF_ERR_BUSY;
			break;
		}
		struct timespec ts = { .tv_sec = (time_t)(end / 1000),
		                       .tv_nsec = (long)(end % 1000) * 1000000L };
		pthread_cond_timedwait(&ch->idle, &ch->mu, &ts);
	}
	pthread_mutex_unlock(&ch->mu);
	return err;
}

void cf_channel_stats(struct cf_channel *ch, struct cf_notify_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	*ret = ch->stats;
	ret->waiting = ch->count;
	pthread_mutex_unlock(&ch->mu);
}
