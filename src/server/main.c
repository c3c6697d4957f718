/* coffred: the coffre server. `coffred [run] [--config FILE] [--data-dir DIR]
 * [--listen ADDR:PORT]`; `coffred version`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/verify.h"
#include "crypto/crypto.h"
#include "crypto/sign.h"
#include "util/encoding.h"
#include "server/server.h"
#include "server/tls.h"
#include "util/fsutil.h"
#include "util/log.h"

struct options {
	const char *command;
	const char *subcommand;
	const char *key;
	const char *config;
	const char *data_dir;
	const char *listen;
};

static void usage(FILE *f)
{
	fputs("usage: coffred [run] [--config FILE] [--data-dir DIR] [--listen ADDR:PORT]\n"
	      "       coffred audit-key [--config FILE] [--data-dir DIR]\n"
	      "       coffred audit verify [--config FILE] [--data-dir DIR] [--key VERIFIER]\n"
	      "       coffred version\n"
	      "Serves the coffre API over HTTPS. Defaults: --data-dir ./coffre-data,\n"
	      "--listen 127.0.0.1:8443. See docs/configuration.md for the file keys.\n", f);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->command = "run";
	int i = 1;
	if (i < argc && argv[i][0] != '-')
		o->command = argv[i++];
	if (strcmp(o->command, "audit") == 0 && i < argc && argv[i][0] != '-')
		o->subcommand = argv[i++];
	for (; i < argc; i++) {
		const char **slot = NULL;
		if (strcmp(argv[i], "--config") == 0)
			slot = &o->config;
		else if (strcmp(argv[i], "--data-dir") == 0)
			slot = &o->data_dir;
		else if (strcmp(argv[i], "--listen") == 0)
			slot = &o->listen;
		else if (strcmp(argv[i], "--key") == 0)
			slot = &o->key;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			o->command = "help";
			return 0;
		}
		if (!slot || i + 1 >= argc) {
			fprintf(stderr, "coffred: %s '%s'\n", slot ? "missing value for" :
			        "unknown option", argv[i]);
			return -1;
		}
		*slot = argv[++i];
	}
	return 0;
}

static void harden_process(void)
{
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
}

static int load_config(const struct options *o, struct cf_config *cfg)
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
static int lock_data_dir(const char *dir)
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
static uint8_t *load_key_file(const char *data_dir, const char *name, bool create)
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
static int load_audit_key(const struct cf_config *cfg, bool create, uint8_t **ret_sk,
                          uint8_t pk[32], char *origin, size_t cap)
{
	uint8_t *seed = load_key_file(cfg->data_dir, "audit.key", create);
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

static int load_tls(struct cf_server *srv, char **ret_cert, char **ret_key, char *ca_path,
                    size_t ca_cap)
{
	const struct cf_config *cfg = &srv->cfg;
	char msg[512];
	const char *cert = cfg->tls_cert_file, *key = cfg->tls_key_file;
	struct cf_tls_files files;
	ca_path[0] = '\0';
	if (cert[0] == '\0') {
		bool created = false;
		if (cf_tls_ensure_selfsigned(cfg->data_dir, &files, &created, msg, sizeof(msg))) {
			fprintf(stderr, "coffred: %s\n", msg);
			return -1;
		}
		if (created)
			cf_log(CF_LOG_INFO, "tls", "generated a self-signed test certificate for localhost");
		cert = files.cert;
		key = files.key;
		snprintf(ca_path, ca_cap, "%s", files.ca);
	}
	if (cf_tls_load(cert, key, ret_cert, ret_key, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: %s\n", msg);
		return -1;
	}
	bool self_signed = false;
	if (cfg->environment == CF_ENV_PRODUCTION &&
	    (cf_tls_is_self_signed(*ret_cert, &self_signed) || self_signed)) {
		fprintf(stderr, "coffred: key 'tls.cert_file': %s is self-signed or issued by the "
		        "local test CA; production needs a certificate from a real CA\n", cert);
		return -1;
	}
	return 0;
}

static int wait_for_signal(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	int sig = 0;
	sigwait(&set, &sig);
	return sig;
}

static int run(const struct options *o)
{
	static struct cf_server srv;
	char msg[512];
	if (load_config(o, &srv.cfg))
		return 2;
	if (strcmp(srv.cfg.log_level, "debug") == 0)
		cf_log_set_level(CF_LOG_DEBUG);
	else if (strcmp(srv.cfg.log_level, "warn") == 0)
		cf_log_set_level(CF_LOG_WARN);
	else if (strcmp(srv.cfg.log_level, "error") == 0)
		cf_log_set_level(CF_LOG_ERROR);
	if (srv.cfg.log_file[0] && cf_log_open_file(srv.cfg.log_file)) {
		fprintf(stderr, "coffred: cannot open log file %s\n", srv.cfg.log_file);
		return 1;
	}
	if (cf_mkdir_p(srv.cfg.data_dir, 0700)) {
		fprintf(stderr, "coffred: cannot create data directory %s\n", srv.cfg.data_dir);
		return 1;
	}
	if (lock_data_dir(srv.cfg.data_dir) < 0)
		return 1;

	/* Signals are taken by sigwait in this thread; block them before MHD starts
	 * its threads so they inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	char *cert = NULL, *key = NULL, ca[1024];
	uint8_t *audit_sk = NULL;
	int rc = 1;
	srv.secret = load_key_file(srv.cfg.data_dir, "server.secret", true);
	if (!srv.secret || load_tls(&srv, &cert, &key, ca, sizeof(ca)) ||
	    load_audit_key(&srv.cfg, true, &audit_sk, srv.audit_pk, srv.audit_origin,
	                   sizeof(srv.audit_origin)))
		goto out;
	struct cf_store_config scfg = { .backend = srv.cfg.store_backend,
	                                .sqlite_path = srv.cfg.sqlite_path, .readers = 4 };
	cf_err err = cf_store_open(&srv.store, &scfg, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "coffred: store: %s\n", msg);
		goto out;
	}
	struct cf_auditlog_options aopts = { .store = srv.store, .sign_sk = audit_sk,
	                                     .sign_pk = srv.audit_pk, .origin = srv.audit_origin };
	if (cf_auditlog_open(&srv.audit, &aopts, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: audit log: %s\n", msg);
		goto out;
	}
	sodium_free(audit_sk);
	audit_sk = NULL;
	if (cf_mkdir_p(srv.cfg.blobs_dir, 0700)) {
		fprintf(stderr, "coffred: cannot create blob folder %s\n", srv.cfg.blobs_dir);
		goto out;
	}
	if (cf_ratelimit_new(&srv.ip_limit, srv.cfg.ip_rate, srv.cfg.ip_burst, 16384)) {
		fprintf(stderr, "coffred: out of memory\n");
		goto out;
	}
	if (cf_http_start(&srv, cert, key, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: %s\n", msg);
		goto out;
	}
	/* MHD copied what it needs from the key; wipe ours now. */
	cf_free_secret((uint8_t *)key);
	key = NULL;

	char host[64];
	uint16_t port;
	cf_parse_listen(srv.cfg.listen, host, sizeof(host), &port);
	char hostpart[80];
	if (strchr(host, ':'))
		snprintf(hostpart, sizeof(hostpart), "[%s]", host);
	else
		snprintf(hostpart, sizeof(hostpart), "%s", host);
	printf("coffred %s (environment %s) listening on https://%s:%u\n", COFFRE_VERSION,
	       srv.cfg.environment == CF_ENV_PRODUCTION ? "production" : "test", hostpart, srv.port);
	if (ca[0])
		printf("  self-signed test certificate; its CA is %s\n"
		       "  connect: coffre --server https://%s:%u --ca %s status\n",
		       ca, hostpart, srv.port, ca);
	fflush(stdout);
	cf_log(CF_LOG_INFO, "server", "listening on %s:%u", hostpart, srv.port);

	int sig = wait_for_signal();
	cf_log(CF_LOG_INFO, "server", "signal %d: stopping", sig);
	/* No new connections; commit what is queued (which resumes every parked
	 * request); then close. */
	cf_http_quiesce(&srv);
	cf_auditlog_stop(srv.audit);
	cf_http_stop(&srv);
	rc = 0;
out:
	cf_http_stop(&srv);
	cf_auditlog_free(srv.audit);
	if (audit_sk)
		sodium_free(audit_sk);
	free(cert);
	cf_free_secret((uint8_t *)key);
	cf_ratelimit_free(srv.ip_limit);
	cf_store_close(srv.store);
	cf_free_secret(srv.secret);
	return rc;
}

static int audit_key(const struct options *o)
{
	struct cf_config cfg;
	if (load_config(o, &cfg))
		return 2;
	uint8_t *sk = NULL, pk[32];
	char origin[129], vkey[256];
	if (load_audit_key(&cfg, true, &sk, pk, origin, sizeof(origin)))
		return 1;
	sodium_free(sk);
	if (cf_note_verifier_format(vkey, sizeof(vkey), origin, pk)) {
		fprintf(stderr, "coffred: cannot format the audit key\n");
		return 1;
	}
	printf("%s\n", vkey);
	return 0;
}

/* Offline check of the audit log in the data directory (read only; works
 * while coffred runs, and before any account exists). */
static int audit_verify(const struct options *o)
{
	struct cf_config cfg;
	if (load_config(o, &cfg))
		return 2;
	struct cf_note_verifier v;
	if (o->key) {
		if (cf_note_verifier_parse(&v, o->key)) {
			fprintf(stderr, "coffred: --key is not a note verifier key (name+hash+base64)\n");
			return 2;
		}
	} else {
		uint8_t *sk = NULL, pk[32];
		char origin[129], vkey[256];
		if (load_audit_key(&cfg, false, &sk, pk, origin, sizeof(origin)))
			return 1;
		sodium_free(sk);
		if (cf_note_verifier_format(vkey, sizeof(vkey), origin, pk) ||
		    cf_note_verifier_parse(&v, vkey))
			return 1;
	}
	char msg[512];
	cf_store *st = NULL;
	struct cf_store_config scfg = { .backend = cfg.store_backend, .sqlite_path = cfg.sqlite_path,
	                                .readers = 2, .readonly = true };
	if (cf_store_open(&st, &scfg, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: store: %s\n", msg);
		return 1;
	}
	struct cf_verify_report r;
	cf_err err = cf_audit_verify_store(st, &v, &r);
	cf_store_close(st);
	if (err == CF_ERR_CRYPTO) {
		printf("audit log FAILED verification: %s\n", r.msg);
		return 1;
	}
	if (err) {
		fprintf(stderr, "coffred: cannot read the audit log: %s\n", cf_strerror(err));
		return 1;
	}
	char root[65];
	cf_hex_encode(root, sizeof(root), r.root, 32);
	printf("audit log verified: %llu events, %llu signed checkpoints; newest checkpoint "
	       "size %llu root %s\n", (unsigned long long)r.events,
	       (unsigned long long)r.checkpoints, (unsigned long long)r.tree_size, root);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	harden_process();
	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (strcmp(o.command, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(o.command, "version") == 0) {
		printf("coffred %s\n", COFFRE_VERSION);
		return 0;
	}
	if (cf_crypto_init() != CF_OK) {
		fprintf(stderr, "coffred: cannot initialise libsodium\n");
		return 1;
	}
	if (strcmp(o.command, "run") == 0)
		return run(&o);
	if (strcmp(o.command, "audit-key") == 0)
		return audit_key(&o);
	if (strcmp(o.command, "audit") == 0 && o.subcommand && strcmp(o.subcommand, "verify") == 0)
		return audit_verify(&o);
	fprintf(stderr, "coffred: unknown command '%s'\n", o.command);
	usage(stderr);
	return 2;
}
