/* What coffred's commands share: the command line, the configuration, the
 * data-directory lock and the key files. */
#ifndef CF_SERVER_SETUP_H
#define CF_SERVER_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include "server/config.h"

struct cf_options {
	const char *command;
	const char *subcommand;
	const char *key;
	const char *config;
	const char *data_dir;
	const char *listen;
	/* api-key */
	const char *scope;      /* space-separated after parsing repeated --scope */
	char scope_buf[256];
	const char *allow;
	const char *label;
	const char *target;     /* positional argument (an id) */
	const char *email;      /* init */
};

/* Defaults, then the file, then the flags; prints the reason and returns -1
 * when refused. */
int cf_setup_config(const struct cf_options *o, struct cf_config *cfg);

/* One process per data directory writes: takes an exclusive lock on
 * DATA/coffred.lock (held until exit); -1 with a message if it is taken. */
int cf_setup_lock_data_dir(const char *dir);

/* A 32-byte secret in DATA/keys/NAME, made when create and missing, read
 * with the secret-file rules; sodium_malloc'ed, NULL (with a message) on
 * failure. */
uint8_t *cf_setup_key_file(const char *data_dir, const char *name, bool create);

/* The audit signing key (sk sodium_malloc'ed, 64 bytes), its public key and
 * the checkpoint origin. */
int cf_setup_audit_key(const struct cf_config *cfg, bool create, uint8_t **ret_sk,
                       uint8_t pk[32], char *origin, size_t cap);

struct cf_auditlog;
struct cf_auditlog_options;
/* Opens the audit log, then registers its signing key in it (once): what
 * every writer of the log does first. msg gets the reason on failure. */
cf_err cf_setup_audit_log(const struct cf_auditlog_options *opts, struct cf_auditlog **ret,
                          char *msg, size_t cap);

/* Subcommands (cmd_*.c). */
int cf_cmd_audit_key(const struct cf_options *o);
int cf_cmd_audit_verify(const struct cf_options *o);
int cf_cmd_api_key(const struct cf_options *o);
int cf_cmd_init(const struct cf_options *o);

/* An installation opened by an offline command: configuration, store (read
 * only unless write) and, for writes, the data-directory lock and the audit
 * log. */
struct cf_offline {
	struct cf_config cfg;
	struct cf_store *st;
	struct cf_auditlog *log;
};
int cf_offline_open(const struct cf_options *o, struct cf_offline *off, bool write);
void cf_offline_close(struct cf_offline *off);

#endif
