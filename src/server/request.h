/* One HTTP request as it goes through the pipeline (request.c). */
#ifndef CF_SERVER_REQUEST_H
#define CF_SERVER_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/auditlog.h"
#include "policy/policy.h"
#include "server/reply.h"
#include "server/server.h"

#define CF_MAX_PARAMS 3
#define CF_PARAM_MAX 128
#define CF_ARGS_MAX 512                /* largest struct a body spec binds into */
#define CF_ATTEMPT_KEY_MAX 160         /* an attempt counter's key (auth/attempts.c) */

/* The handler's typed view of its bound body: CF_ARGS(req, struct login_args). */
#define CF_ARGS(req, T) ((const T *)(const void *)(req)->args.bytes)

struct MHD_Connection;
struct cf_route;

struct cf_request {
	struct cf_server *srv;
	struct MHD_Connection *conn;
	const char *method;            /* owned by MHD, valid for the request */
	const char *path;              /* owned by MHD */
	uint8_t id[16];
	char id_hex[33];
	char ip[46];
	/* the client as per-address limits count it: IPv4, or the IPv6 prefix of
	 * server.ipv6_prefix bits (util/cidr.h cf_client_addr_key) */
	char addr_key[48];
	const struct cf_route *route;  /* NULL: no route matched */
	bool method_mismatch;          /* path known, method not */
	char allow[64];                /* methods of the path, for 405 */
	char params[CF_MAX_PARAMS][CF_PARAM_MAX + 1];
	unsigned nparams;
	uint8_t *body;
	size_t body_len, body_cap;
	size_t body_max;               /* the cap, set at creation */
	bool body_overflow;
	json_t *json;                  /* parsed body, for JSON routes; wiped at the end */
	/* The body bound by the route's spec (jsonspec.h), typed by the handler
	 * with CF_ARGS; wiped with the request, as it may hold secrets. */
	union {
		max_align_t align;
		unsigned char bytes[CF_ARGS_MAX];
	} args;
	struct cf_principal who;       /* set by the authentication stage */
	struct cf_reply reply;
	uint64_t start_mono_ms;
	bool processed;
	/* audit: filled by the pipeline; a write handler sets audit.write so its
	 * change commits in the same transaction as the event */
	struct cf_audit_item audit;
	/* a handler's write: runs on the committer thread in the batch transaction */
	cf_err (*write)(struct cf_audit_tx *atx, struct cf_request *req);
	void *ctx;                     /* handler state between handler and write */
	void (*ctx_free)(void *ctx);
	/* set by the HTTP glue when client certificates are on (auth/clientcert.c) */
	struct gnutls_session_int *tls; /* the connection's GnuTLS session */
	bool bootstrap_listener;       /* came through the bootstrap listener */
	bool session_touch;            /* the session's last use is to be recorded */
	json_t *session;               /* the session document, when authenticated by one */
	char session_key[65];          /* its key: hex SHA-256 of the token */
	/* what authentication read (auth/session.c: the user and device), for
	 * handlers to reuse instead of reading them again; freed with the request */
	void *auth_state;
	void (*auth_state_free)(void *state);
	char resource[256];
	char ip_hash[24];
	bool audited;
	/* an attempt reserved by auth/attempts.c (counter keys, hashing slot),
	 * given back by attempt_release when the request is freed */
	char attempt_keys[4][CF_ATTEMPT_KEY_MAX];  /* two per attempt, two attempts at most */
	unsigned attempt_nkeys;
	bool attempt_hashing;
	void (*attempt_release)(struct cf_request *req);
};

/* A request for method+path on conn (both owned by MHD), with its id, client
 * address and body cap; NULL when out of memory. The route is matched by the
 * caller. */
struct cf_request *cf_request_new(struct cf_server *srv, struct MHD_Connection *conn,
                                  const char *method, const char *path);
void cf_request_free(struct cf_request *req);   /* accepts NULL */

/* Appends upload data to the body; past the cap, drops the body, sets
 * body_overflow and answers 413 (later data is ignored). */
void cf_request_take_body(struct cf_request *req, const char *data, size_t len);

/* A query-string argument, or NULL. */
const char *cf_request_arg(const struct cf_request *req, const char *name);
/* A request header, or NULL. */
const char *cf_request_header(const struct cf_request *req, const char *name);

#endif
