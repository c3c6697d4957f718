/* The running coffred: configuration, store, limits and the HTTP daemon. */
#ifndef CF_SERVER_SERVER_H
#define CF_SERVER_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "coffre/error.h"
#include "server/config.h"
#include "server/ratelimit.h"
#include "store/store.h"

#define CF_SERVER_SECRET_BYTES 32

struct cf_server {
	struct cf_config cfg;
	cf_store *store;
	cf_ratelimit *ip_limit;
	uint8_t *secret;           /* sodium_malloc'ed; HMAC key for fake salts */
	struct MHD_Daemon *daemon;
	uint16_t port;             /* the port actually bound */
	atomic_uint_fast64_t requests;
};

/* Milliseconds: wall clock (for records) and monotonic (for durations). */
uint64_t cf_now_ms(void);
uint64_t cf_mono_ms(void);

/* Starts the HTTPS daemon on cfg.listen with the given PEM material. */
cf_err cf_http_start(struct cf_server *srv, const char *cert_pem, const char *key_pem,
                     char *msg, size_t cap);
void cf_http_stop(struct cf_server *srv);

#endif
