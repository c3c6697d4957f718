/* coffred configuration: one `key = value` file (see docs/configuration.md),
 * a few command-line overrides, and validation that names the key and the
 * reason for every refusal. */
#ifndef CF_SERVER_CONFIG_H
#define CF_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

enum cf_environment { CF_ENV_TEST, CF_ENV_PRODUCTION };

/* tls.client_cert (docs/internals/mtls.md): off = no client certificates;
 * optional = asked for and checked when given; required = the handshake
 * fails without a valid device certificate. */
enum cf_client_cert { CF_CLIENT_CERT_OFF, CF_CLIENT_CERT_OPTIONAL, CF_CLIENT_CERT_REQUIRED };

#define CF_CONFIG_PATH_MAX 1024

struct cf_config {
	enum cf_environment environment;
	char listen[128];             /* ADDR:PORT or [ADDR6]:PORT */
	char data_dir[CF_CONFIG_PATH_MAX];
	char tls_cert_file[CF_CONFIG_PATH_MAX]; /* empty: generated in data_dir/tls */
	char tls_key_file[CF_CONFIG_PATH_MAX];
	enum cf_client_cert client_cert;       /* tls.client_cert, default off */
	char client_cert_bootstrap_listen[128]; /* with required: ADDR:PORT without client
	                                          certificates for enrolment and login; "" = none */
	char store_backend[16];       /* "sqlite" */
	char sqlite_path[CF_CONFIG_PATH_MAX];   /* empty: data_dir/coffre.db */
	uint64_t store_min_free_bytes;          /* below it on the store's disk: not ready */
	char blobs_dir[CF_CONFIG_PATH_MAX];     /* empty: data_dir/blobs */
	uint64_t blob_max_bytes;
	uint64_t threads;             /* 0: one per CPU */
	uint64_t max_connections;     /* 0: auto, from the descriptor limit */
	uint64_t per_ip_connections;
	uint64_t connection_timeout_s; /* idle (reset by every byte; libmicrohttpd's) */
	uint64_t handshake_timeout_s; /* accept to end of TLS handshake (absolute) */
	uint64_t head_timeout_s;      /* handshake to complete request head (absolute) */
	uint64_t json_body_max;
	uint64_t header_max;
	uint64_t ip_rate;             /* requests per second per IP, 0 = off */
	uint64_t ip_burst;
	uint64_t ipv6_prefix;         /* per-address limits count IPv6 clients by this prefix */
	uint64_t max_concurrent_hashes; /* Argon2id checks at once, all clients; 0: 2 per CPU */
	uint64_t ip_key_retention_days; /* days a daily client-address hash key is kept */
	char log_level[8];
	char log_file[CF_CONFIG_PATH_MAX];      /* empty: stderr */
	char audit_origin[129];       /* empty: coffre/<key fingerprint> */
	uint64_t idle_timeout_s;      /* session idle time before it locks */
	uint64_t session_lifetime_s;  /* absolute session lifetime */
	uint64_t invitation_ttl_s;
	uint64_t attempts_delay_after; /* failures per account before delays start */
	uint64_t attempts_lock_after;  /* failures per account that lock it for 15 min */
	bool debug_problem_routes;
	/* notifications (src/server/notify): empty URL = channel off */
	char smtp_url[512];           /* smtp://HOST[:PORT] or smtps://HOST[:PORT] */
	char smtp_from[256];          /* sender address */
	char smtp_starttls[16];       /* "", "off" or "required" */
	char smtp_username[256];
	char smtp_password_file[CF_CONFIG_PATH_MAX];
	char sms_gateway_url[512];
	char sms_token_file[CF_CONFIG_PATH_MAX];
	char notify_outbox[8];        /* "auto": DATA/outbox when no server (test only); "off" */
};

/* Fills cfg with the defaults. */
void cf_config_defaults(struct cf_config *cfg);

/* Parses the text of a configuration file into cfg (on top of what is there).
 * On failure *ret_msg (cap bytes) says which line/key and why. */
cf_err cf_config_parse(struct cf_config *cfg, const char *text, size_t len,
                       char *ret_msg, size_t cap);

/* Reads and parses the file at path. */
cf_err cf_config_load(struct cf_config *cfg, const char *path, char *ret_msg, size_t cap);

/* Sets one key as if it had been read from the file (used by the flags). */
cf_err cf_config_set(struct cf_config *cfg, const char *key, const char *value,
                     char *ret_msg, size_t cap);

/* Checks cross-key rules and the production rules; fills derived paths. */
cf_err cf_config_finish(struct cf_config *cfg, char *ret_msg, size_t cap);

/* Parses "ADDR:PORT" / "[ADDR6]:PORT" into host (cap bytes) and port. */
cf_err cf_parse_listen(const char *s, char *host, size_t cap, uint16_t *ret_port);

#endif
