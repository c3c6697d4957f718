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
#include "server/auth/attempts.h"
#include "server/notify/notify.h"
#include "server/server.h"
#include "server/setup.h"
#include "server/tls.h"
#include "util/fsutil.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fputs("usage: coffred [run] [--config FILE] [--data-dir DIR] [--listen ADDR:PORT]\n"
	      "       coffred init --email ADDRESS [--config FILE] [--data-dir DIR]\n"
	      "       coffred audit-key [--config FILE] [--data-dir DIR]\n"
	      "       coffred audit verify [--config FILE] [--data-dir DIR] [--key VERIFIER]\n"
	      "       coffred api-key create --scope SCOPE [--scope SCOPE] [--allow CIDR,...]\n"
	      "                              [--label TEXT] [--config FILE] [--data-dir DIR]\n"
	      "       coffred api-key list|revoke ID [--config FILE] [--data-dir DIR]\n"
	      "       coffred version\n"
	      "Serves the coffre API over HTTPS. Defaults: --data-dir ./coffre-data,\n"
	      "--listen 127.0.0.1:8443. See docs/configuration.md for the file keys.\n", f);
}

static int parse_args(int argc, char **argv, struct cf_options *o)
{
	memset(o, 0, sizeof(*o));
	o->command = "run";
	int i = 1;
	if (i < argc && argv[i][0] != '-')
		o->command = argv[i++];
	if ((strcmp(o->command, "audit") == 0 || strcmp(o->command, "api-key") == 0) && i < argc &&
	    argv[i][0] != '-')
		o->subcommand = argv[i++];
	if (o->subcommand && strcmp(o->subcommand, "revoke") == 0 && i < argc && argv[i][0] != '-')
		o->target = argv[i++];
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
		else if (strcmp(argv[i], "--allow") == 0)
			slot = &o->allow;
		else if (strcmp(argv[i], "--email") == 0)
			slot = &o->email;
		else if (strcmp(argv[i], "--label") == 0)
			slot = &o->label;
		else if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc) {
			size_t used = strlen(o->scope_buf);
			int n = snprintf(o->scope_buf + used, sizeof(o->scope_buf) - used, "%s%s",
			                 used ? " " : "", argv[++i]);
			if (n < 0 || (size_t)n >= sizeof(o->scope_buf) - used) {
				fprintf(stderr, "coffred: too many scopes\n");
				return -1;
			}
			o->scope = o->scope_buf;
			continue;
		}
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

static int run(const struct cf_options *o)
{
	static struct cf_server srv;
	char msg[512];
	if (cf_setup_config(o, &srv.cfg))
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
	if (cf_setup_lock_data_dir(srv.cfg.data_dir) < 0)
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
	srv.secret = cf_setup_key_file(srv.cfg.data_dir, "server.secret", true);
	if (!srv.secret || load_tls(&srv, &cert, &key, ca, sizeof(ca)) ||
	    cf_setup_audit_key(&srv.cfg, true, &audit_sk, srv.audit_pk, srv.audit_origin,
	                   sizeof(srv.audit_origin)))
		goto out;
	struct cf_store_config scfg = { .backend = srv.cfg.store_backend,
	                                .sqlite_path = srv.cfg.sqlite_path, .readers = 4 };
	cf_err err = cf_store_open(&srv.store, &scfg, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "coffred: store: %s\n", msg);
		goto out;
	}
	/* An inconsistent log is kept open in its refusing state: coffred then
	 * serves no /v1 request and says why on /readyz and in the log. */
	struct cf_auditlog_options aopts = { .store = srv.store, .sign_sk = audit_sk,
	                                     .sign_pk = srv.audit_pk, .origin = srv.audit_origin,
	                                     .keep_inconsistent = true,
	                                     .on_state = cf_ready_on_audit_state,
	                                     .on_state_arg = &srv };
	if (cf_setup_audit_log(&aopts, &srv.audit, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: audit log: %s\n", msg);
		goto out;
	}
	if (cf_auditlog_inconsistent(srv.audit, msg, sizeof(msg)))
		fprintf(stderr, "coffred: audit log: %s; refusing every /v1 request\n", msg);
	cf_ready_update(&srv);
	sodium_free(audit_sk);
	audit_sk = NULL;
	if (cf_mkdir_p(srv.cfg.blobs_dir, 0700)) {
		fprintf(stderr, "coffred: cannot create blob folder %s\n", srv.cfg.blobs_dir);
		goto out;
	}
	if (cf_notifier_new(&srv.notifier, &srv.cfg, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: %s\n", msg);
		goto out;
	}
	if (cf_ratelimit_new(&srv.ip_limit, srv.cfg.ip_rate, srv.cfg.ip_burst, 16384)) {
		fprintf(stderr, "coffred: out of memory\n");
		goto out;
	}
	if (cf_attempts_new(&srv.attempts, (unsigned)srv.cfg.max_concurrent_hashes)) {
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
	bool ob_mail, ob_sms;
	const char *outbox = cf_notifier_outbox(srv.notifier, &ob_mail, &ob_sms);
	if (outbox)
		printf("  outbox (test only): %s%s%s are written to %s/\n",
		       ob_mail ? "e-mail (no smtp.url)" : "", ob_mail && ob_sms ? " and " : "",
		       ob_sms ? "SMS (no sms.gateway_url)" : "", outbox);
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
	cf_notifier_free(srv.notifier);
	if (audit_sk)
		sodium_free(audit_sk);
	free(cert);
	cf_free_secret((uint8_t *)key);
	cf_ratelimit_free(srv.ip_limit);
	cf_attempts_free(srv.attempts);
	cf_store_close(srv.store);
	cf_free_secret(srv.secret);
	return rc;
}

int main(int argc, char **argv)
{
	struct cf_options o;
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
	if (strcmp(o.command, "init") == 0)
		return cf_cmd_init(&o);
	if (strcmp(o.command, "api-key") == 0)
		return cf_cmd_api_key(&o);
	if (strcmp(o.command, "audit-key") == 0)
		return cf_cmd_audit_key(&o);
	if (strcmp(o.command, "audit") == 0 && o.subcommand && strcmp(o.subcommand, "verify") == 0)
		return cf_cmd_audit_verify(&o);
	fprintf(stderr, "coffred: unknown command '%s'\n", o.command);
	usage(stderr);
	return 2;
}
