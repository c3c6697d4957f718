/* The running coffred: configuration, store, limits and the HTTP daemon. */
#ifndef CF_SERVER_SERVER_H
#define CF_SERVER_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "coffre/error.h"
#include "server/config.h"
#include "audit/auditlog.h"
#include "server/auth/ratelimit.h"
#include "store/store.h"

#define CF_SERVER_SECRET_BYTES 32

struct cf_server {
	struct cf_config cfg;
	cf_store *store;
	cf_ratelimit *ip_limit;
	struct cf_attempts *attempts; /* attempts in flight, hashing slots (auth/attempts.c) */
	uint8_t *secret;           /* sodium_malloc'ed; HMAC key for fake salts */
	cf_auditlog *audit;
	struct cf_notifier *notifier; /* e-mail and SMS (queued) */
	uint8_t audit_pk[32];
	char audit_origin[129];
	uint8_t ip_day_key[32];     /* today's key for client-address hashes */
	uint64_t ip_day;
	bool ip_day_valid;
	struct MHD_Daemon *daemon;
	struct cf_conns *conns;     /* connection guard (conns.c): deadlines, eviction */
	uint16_t port;             /* the port actually bound */
	atomic_uint_fast64_t requests;
	atomic_uint ready_state;    /* enum in ops.c; 0 = ready */
	atomic_bool stopping;       /* set at shutdown: no new connection is taken */
	atomic_int audit_err;       /* the last audit commit failure (cf_err) */
};

/* Readiness (ops.c): works out whether audited requests can succeed now and
 * logs once per change of that state (error or warn with the reason; a
 * line when ready again). Called by /readyz, at start, and by the audit
 * log when storing events starts or stops failing. */
void cf_ready_update(struct cf_server *srv);
/* For cf_auditlog_options.on_state; arg is the server. */
void cf_ready_on_audit_state(void *arg, cf_err result);

/* Starts the HTTPS daemon on cfg.listen with the given PEM material. */
cf_err cf_http_start(struct cf_server *srv, const char *cert_pem, const char *key_pem,
                     char *msg, size_t cap);
/* Stops accepting connections (requests in flight go on). */
void cf_http_quiesce(struct cf_server *srv);
void cf_http_stop(struct cf_server *srv);

#endif
