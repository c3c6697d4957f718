#include "server/setup.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/sign.h"
#include "util/encoding.h"
#include "audit/auditlog.h"
#include "audit/versions.h"
#include "store/store.h"
#include "util/fsutil.h"

int cf_setup_config(const struct cf_options *o, struct cf_config *cfg)
{
	char msg[512];
	cf_config_defaults(cfg);
	if (o->config && cf_config_load(cfg, o->config, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: configuration refused: %s\n", msg);
		return -1;
	}
	if ((o->data_dir && cf_config_set(cfg, "data_dir", o->data_dir, msg, sizeof(msg))) ||
	    (o->listen && cf_config_set(cfg, "listen", o->listen, msg, sizeof(msg))) ||
	    cf_config_finish(cfg, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: configuration refused: %s\n", msg);
		return -1;
	}
	return 0;
}

/* One coffred per data directory: a second one would split the audit log. */
int cf_setup_lock_data_dir(const char *dir)
{
	char path[1100];
	if (cf_path_join(path, sizeof(path), dir, "coffred.lock"))
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "coffred: %s is in use by another coffred (or cannot be locked)\n", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd; /* held until exit */
}

/* A 32-byte secret in DATA/keys/NAME: made once (when create), then read
 * with the secret-file rules. Returns a sodium_malloc'ed buffer or NULL. */
uint8_t *cf_setup_key_file(const char *data_dir, const char *name, bool create)
{
	char dir[1100], path[1200];
	if (cf_path_join(dir, sizeof(dir), data_dir, "keys") ||
	    cf_path_join(path, sizeof(path), dir, name) || (create && cf_mkdir_p(dir, 0700))) {
		fprintf(stderr, "coffred: cannot create %s/keys\n", data_dir);
		return NULL;
	}
	if (create && !cf_file_exists(path)) {
		uint8_t fresh[32];
		if (cf_random_bytes(fresh, sizeof(fresh)) ||
		    cf_write_file_atomic(path, fresh, sizeof(fresh), 0600)) {
			sodium_memzero(fresh, sizeof(fresh));
			fprintf(stderr, "coffred: cannot write %s\n", path);
			return NULL;
		}
		sodium_memzero(fresh, sizeof(fresh));
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why = NULL;
	if (cf_read_secret_file(path, 256, &buf, &len, &why)) {
		fprintf(stderr, "coffred: secret file %s refused: %s\n", path, why ? why : "unreadable");
		return NULL;
	}
	if (len != 32) {
		fprintf(stderr, "coffred: secret file %s must hold exactly 32 bytes\n", path);
		cf_free_secret(buf);
		return NULL;
	}
	return buf;
}

/* The audit signing key (Ed25519 from the 32-byte seed in DATA/keys/audit.key)
 * and the checkpoint origin. sk is sodium_malloc'ed (64 bytes). */
int cf_setup_audit_key(const struct cf_config *cfg, bool create, uint8_t **ret_sk,
                          uint8_t pk[32], char *origin, size_t cap)
{
	uint8_t *seed = cf_setup_key_file(cfg->data_dir, "audit.key", create);
	if (!seed)
		return -1;
	uint8_t *sk = sodium_malloc(64);
	if (!sk || cf_sign_seed_keypair(pk, sk, seed)) {
		cf_free_secret(seed);
		if (sk)
			sodium_free(sk);
		return -1;
	}
	cf_free_secret(seed);
	if (cfg->audit_origin[0]) {
		snprintf(origin, cap, "%s", cfg->audit_origin);
	} else {
		uint8_t fp[32];
		char hex[17];
		cf_sha256(fp, pk, 32);
		cf_hex_encode(hex, sizeof(hex), fp, 8);
		snprintf(origin, cap, "coffre/%s", hex);
	}
	*ret_sk = sk;
	return 0;
}

cf_err cf_setup_audit_log(const struct cf_auditlog_options *o, struct cf_auditlog **ret,
                          char *msg, size_t cap)
{
	struct cf_auditlog *log = NULL;
	cf_err err = cf_auditlog_open(&log, o, msg, cap);
	if (err)
		return err;
	/* A log kept open in its refusing state takes no event, its own key's
	 * registration included. */
	if (cf_auditlog_inconsistent(log, NULL, 0)) {
		*ret = log;
		return CF_OK;
	}
	err = cf_key_register_audit_log(log, o->store, o->sign_pk);
	if (err) {
		snprintf(msg, cap, "cannot register the audit key in the log");
		cf_auditlog_free(log);
		return err;
	}
	*ret = log;
	return CF_OK;
}

void cf_offline_close(struct cf_offline *off)
{
	cf_auditlog_free(off->log);
	cf_store_close(off->st);
}

int cf_offline_open(const struct cf_options *o, struct cf_offline *off, bool write)
{
	memset(off, 0, sizeof(*off));
	if (cf_setup_config(o, &off->cfg))
		return 2;
	if (write && cf_mkdir_p(off->cfg.data_dir, 0700)) {
		fprintf(stderr, "coffred: cannot create data directory %s\n", off->cfg.data_dir);
		return 1;
	}
	if (write && cf_setup_lock_data_dir(off->cfg.data_dir) < 0)
		return 1;
	char msg[512];
	struct cf_store_config scfg = { .backend = off->cfg.store_backend,
	                                .sqlite_path = off->cfg.sqlite_path, .readers = 2,
	                                .readonly = !write };
	if (cf_store_open(&off->st, &scfg, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: store: %s\n", msg);
		return 1;
	}
	if (!write)
		return 0;
	uint8_t *sk = NULL, pk[32];
	char origin[129];
	if (cf_setup_audit_key(&off->cfg, true, &sk, pk, origin, sizeof(origin))) {
		cf_offline_close(off);
		return 1;
	}
	struct cf_auditlog_options ao = { .store = off->st, .sign_sk = sk, .sign_pk = pk,
	                                  .origin = origin };
	cf_err err = cf_setup_audit_log(&ao, &off->log, msg, sizeof(msg));
	sodium_free(sk);
	if (err) {
		fprintf(stderr, "coffred: audit log: %s\n", msg);
		cf_offline_close(off);
		return 1;
	}
	return 0;
}

