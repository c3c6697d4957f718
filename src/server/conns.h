/* The connection guard (docs/internals/connections.md): every accepted
 * connection is tracked from accept to close with its phase and deadline, so
 * that connections which never finish their TLS handshake or their request
 * head are cut at an absolute deadline (libmicrohttpd's own idle timeout is
 * reset by every byte, which slowloris clients exploit), and so that, near
 * the connection cap, the oldest unfinished connections make room for new
 * ones instead of shutting everyone out.
 *
 * Cutting is done with shutdown(2) on the connection's socket: libmicrohttpd
 * then sees end-of-file on its own thread and closes and frees the
 * connection itself (it keeps the descriptor open until it has told us the
 * connection is closed, so the descriptor cannot be reused under us).
 *
 * All functions are thread-safe (one mutex); a sweeper thread applies the
 * deadlines every 100 ms and writes one log line with the counts at most
 * every 10 s when limits bit. */
#ifndef CF_SERVER_CONNS_H
#define CF_SERVER_CONNS_H

#include <stdbool.h>
#include <stdint.h>
#include "coffre/error.h"

enum cf_conn_phase {
	CF_CONN_HANDSHAKE, /* accepted; TLS handshake not finished */
	CF_CONN_HEAD,      /* waiting for (the rest of) a request head */
	CF_CONN_BUSY,      /* a request is being read, processed or answered */
	CF_CONN_IDLE,      /* keep-alive, between two requests */
};

struct cf_conns;

/* One tracked connection; the MHD socket context. Fields other than
 * bootstrap are the guard's (read and written under its lock). */
struct cf_conn {
	struct cf_conn *prev, *next;   /* accept order, oldest first */
	struct cf_conns *guard;
	int fd;
	enum cf_conn_phase phase;
	uint64_t since_ms;             /* monotonic time the phase started */
	uint64_t deadline_ms;          /* cut at this monotonic time; 0 = none */
	bool shut;                     /* shut down by the guard */
	bool bootstrap;                /* came through the bootstrap listener */
};

struct cf_conns_limits {
	uint64_t max;          /* connections in all; above it the newest is refused */
	uint64_t handshake_ms; /* accept to end of the TLS handshake */
	uint64_t head_ms;      /* end of handshake (or of the previous answer's idle
	                          time) to a complete request head */
	uint64_t idle_ms;      /* keep-alive wait for the next request, before the
	                          head deadline starts */
};

/* Counters since start (monotonic; for /metrics and the log). */
struct cf_conns_stats {
	uint64_t open;               /* tracked connections now */
	uint64_t handshake_timeouts; /* cut: no TLS handshake in time */
	uint64_t head_timeouts;      /* cut: no complete request head in time */
	uint64_t evicted;            /* cut near the cap to make room */
	uint64_t refused_full;       /* new connections refused: at the cap, nothing evictable */
	uint64_t mhd_refused;        /* requests libmicrohttpd answered or dropped itself */
	uint64_t mhd_full;           /* connections libmicrohttpd closed at its own limit */
};

/* A guard with these limits and its sweeper thread; CF_ERR_NOMEM or CF_ERR_IO. */
cf_err cf_conns_new(const struct cf_conns_limits *limits, struct cf_conns **ret);
/* Stops the sweeper and frees the guard; every connection must be closed
 * (the daemons stopped) before. Accepts NULL. */
void cf_conns_free(struct cf_conns *g);

/* A new connection on fd; may evict the oldest unfinished one, or shut this
 * one when the cap is reached and nothing can be evicted. NULL when out of
 * memory (the connection is then shut and not tracked). */
struct cf_conn *cf_conns_opened(struct cf_conns *g, int fd);
/* The TLS handshake finished: the head deadline starts. */
void cf_conns_handshake_done(struct cf_conn *c);
/* A complete request head arrived: no deadline while the request runs. */
void cf_conns_head_done(struct cf_conn *c);
/* The answer went out: keep-alive wait, then the head deadline again. */
void cf_conns_request_done(struct cf_conn *c);
/* libmicrohttpd closed the connection: forget and free c. Accepts NULL. */
void cf_conns_closed(struct cf_conn *c);

/* Counts a request refused by libmicrohttpd before coffred saw it
 * (bad request line, missing or bad headers, oversized head, aborted). */
void cf_conns_count_mhd_refused(struct cf_conns *g);
/* Counts a connection libmicrohttpd closed at its own connection limit. */
void cf_conns_count_mhd_full(struct cf_conns *g);

void cf_conns_stats(struct cf_conns *g, struct cf_conns_stats *ret);

#endif
