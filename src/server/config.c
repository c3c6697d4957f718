#include "server/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"
#include "server/notify/notify.h"
#include "util/msg.h"

#define CONFIG_FILE_MAX (64 * 1024)
#define LINE_MAX_LEN 2048

enum key_type { K_STRING, K_PATH, K_UINT, K_SIZE, K_DURATION, K_BOOL, K_ENUM };

struct key_spec {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;            /* for strings: buffer size */
	uint64_t min, max;      /* for numbers */
	const char *const *choices;
};

static const char *const env_choices[] = { "test", "production", NULL };
static const char *const backend_choices[] = { "sqlite", NULL };
static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };
static const char *const starttls_choices[] = { "off", "required", NULL };
static const char *const outbox_choices[] = { "auto", "off", NULL };
static const char *const client_cert_choices[] = { "off", "optional", "required", NULL };

#define STR(field, t) t, offsetof(struct cf_config, field), sizeof(((struct cf_config *)0)->field)
#define NUM(field, t) t, offsetof(struct cf_config, field), sizeof(uint64_t)

static const struct key_spec keys[] = {
	{ "environment", K_ENUM, offsetof(struct cf_config, environment), 0, 0, 0, env_choices },
	{ "listen", STR(listen, K_STRING), 0, 0, NULL },
	{ "data_dir", STR(data_dir, K_PATH), 0, 0, NULL },
	{ "tls.cert_file", STR(tls_cert_file, K_PATH), 0, 0, NULL },
	{ "tls.key_file", STR(tls_key_file, K_PATH), 0, 0, NULL },
	{ "tls.client_cert", K_ENUM, offsetof(struct cf_config, client_cert), 0, 0, 0, client_cert_choices },
	{ "tls.client_cert_bootstrap_listen", STR(client_cert_bootstrap_listen, K_STRING), 0, 0, NULL },
	{ "store.backend", STR(store_backend, K_ENUM), 0, 0, backend_choices },
	{ "store.sqlite.path", STR(sqlite_path, K_PATH), 0, 0, NULL },
	{ "store.min_free_bytes", NUM(store_min_free_bytes, K_SIZE), 0, UINT64_C(1) << 50, NULL },
	{ "blobs.dir", STR(blobs_dir, K_PATH), 0, 0, NULL },
	{ "blobs.max_size", NUM(blob_max_bytes, K_SIZE), 1, UINT64_C(1) << 40, NULL },
	{ "server.threads", NUM(threads, K_UINT), 0, 256, NULL },
	{ "server.ipv6_prefix", NUM(ipv6_prefix, K_UINT), 32, 128, NULL },
	{ "auth.max_concurrent_hashes", NUM(max_concurrent_hashes, K_UINT), 0, 1024, NULL },
	{ "limits.max_connections", NUM(max_connections, K_UINT), 0, 100000, NULL },
	{ "limits.per_ip_connections", NUM(per_ip_connections, K_UINT), 0, 100000, NULL },
	{ "limits.connection_timeout", NUM(connection_timeout_s, K_DURATION), 1, 3600, NULL },
	{ "limits.handshake_timeout", NUM(handshake_timeout_s, K_DURATION), 1, 600, NULL },
	{ "limits.head_timeout", NUM(head_timeout_s, K_DURATION), 1, 600, NULL },
	{ "limits.json_body", NUM(json_body_max, K_SIZE), 1024, 64 << 20, NULL },
	{ "limits.headers", NUM(header_max, K_SIZE), 1024, 64 << 10, NULL },
	{ "limits.ip_rate", NUM(ip_rate, K_UINT), 0, 1000000, NULL },
	{ "limits.ip_burst", NUM(ip_burst, K_UINT), 1, 10000000, NULL },
	{ "log.level", STR(log_level, K_ENUM), 0, 0, level_choices },
	{ "log.file", STR(log_file, K_PATH), 0, 0, NULL },
	{ "audit.origin", STR(audit_origin, K_STRING), 0, 0, NULL },
	{ "audit.ip_key_retention_days", NUM(ip_key_retention_days, K_UINT), 1, 3650, NULL },
	{ "identity.idle_timeout", NUM(idle_timeout_s, K_DURATION), 1, 24 * 3600, NULL },
	{ "identity.session_lifetime", NUM(session_lifetime_s, K_DURATION), 5, 30 * 24 * 3600, NULL },
	{ "identity.attempts_delay_after", NUM(attempts_delay_after, K_UINT), 1, 100, NULL },
	{ "identity.attempts_lock_after", NUM(attempts_lock_after, K_UINT), 2, 1000, NULL },
	{ "identity.invitation_ttl", NUM(invitation_ttl_s, K_DURATION), 60, 30 * 24 * 3600, NULL },
	{ "debug.problem_routes", K_BOOL, offsetof(struct cf_config, debug_problem_routes), 0, 0, 0, NULL },
	{ "smtp.url", STR(smtp_url, K_STRING), 0, 0, NULL },
	{ "smtp.from", STR(smtp_from, K_STRING), 0, 0, NULL },
	{ "smtp.starttls", STR(smtp_starttls, K_ENUM), 0, 0, starttls_choices },
	{ "smtp.username", STR(smtp_username, K_STRING), 0, 0, NULL },
	{ "smtp.password_file", STR(smtp_password_file, K_PATH), 0, 0, NULL },
	{ "sms.gateway_url", STR(sms_gateway_url, K_STRING), 0, 0, NULL },
	{ "sms.token_file", STR(sms_token_file, K_PATH), 0, 0, NULL },
	{ "notify.outbox", STR(notify_outbox, K_ENUM), 0, 0, outbox_choices },
};

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

void cf_config_defaults(struct cf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->environment = CF_ENV_TEST;
	copy_str(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8443");
	copy_str(cfg->data_dir, sizeof(cfg->data_dir), "./coffre-data");
	copy_str(cfg->store_backend, sizeof(cfg->store_backend), "sqlite");
	cfg->blob_max_bytes = UINT64_C(2) << 30;
	cfg->store_min_free_bytes = UINT64_C(64) << 20;
	cfg->threads = 0;
	cfg->max_connections = 0; /* auto: what the descriptor limit allows (http.c) */
	cfg->per_ip_connections = 128;
	cfg->connection_timeout_s = 30;
	cfg->handshake_timeout_s = 10;
	cfg->head_timeout_s = 15;
	cfg->json_body_max = 1 << 20;
	cfg->header_max = 16 << 10;
	cfg->ip_rate = 1000;
	cfg->ip_burst = 2000;
	cfg->ipv6_prefix = 64;
	cfg->max_concurrent_hashes = 0;
	cfg->ip_key_retention_days = 7;
	copy_str(cfg->log_level, sizeof(cfg->log_level), "info");
	/* smtp.*, sms.*: empty, that is no server (memset above): in test, the
	 * outbox folder stands in for it (notify.outbox = auto) */
	copy_str(cfg->notify_outbox, sizeof(cfg->notify_outbox), "auto");
	cfg->idle_timeout_s = 15 * 60;
	cfg->session_lifetime_s = 12 * 3600;
	cfg->invitation_ttl_s = 72 * 3600;
	cfg->attempts_delay_after = 3;
	cfg->attempts_lock_after = 10;
}

/* Parses a decimal with an optional unit suffix; strict (no sign, no spaces). */
static bool parse_number(const char *s, enum key_type t, uint64_t *ret)
{
	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	uint64_t mult = 1;
	if (*end != '\0') {
		static const struct { const char *suffix; enum key_type t; uint64_t mult; } units[] = {
			{ "KiB", K_SIZE, 1024 }, { "MiB", K_SIZE, 1024 * 1024 },
			{ "GiB", K_SIZE, UINT64_C(1) << 30 }, { "s", K_DURATION, 1 },
			{ "m", K_DURATION, 60 }, { "h", K_DURATION, 3600 },
		};
		bool found = false;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (units[i].t == t && strcmp(end, units[i].suffix) == 0) {
				mult = units[i].mult;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	if (v > UINT64_MAX / mult)
		return false;
	*ret = (uint64_t)v * mult;
	return true;
}

static const struct key_spec *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const char *type_hint(enum key_type t)
{
	switch (t) {
	case K_UINT: return "a whole number";
	case K_SIZE: return "a size in bytes (optionally with KiB, MiB or GiB)";
	case K_DURATION: return "a duration in seconds (optionally with s, m or h)";
	case K_BOOL: return "true or false";
	default: return "a value";
	}
}

cf_err cf_config_set(struct cf_config *cfg, const char *key, const char *value,
                     char *msg, size_t cap)
{
	const struct key_spec *k = find_key(key);
	if (!k) {
		cf_msg_format(msg, cap, "unknown key '%s'", key);
		return CF_ERR_CONFIG;
	}
	char *base = (char *)cfg;
	switch (k->type) {
	case K_STRING:
	case K_PATH:
		if (value[0] == '\0') {
			cf_msg_format(msg, cap, "key '%s': empty value", key);
			return CF_ERR_CONFIG;
		}
		if (strlen(value) >= k->size) {
			cf_msg_format(msg, cap, "key '%s': value longer than %zu characters", key, k->size - 1);
			return CF_ERR_CONFIG;
		}
		copy_str(base + k->offset, k->size, value);
		return CF_OK;
	case K_UINT:
	case K_SIZE:
	case K_DURATION: {
		uint64_t v = 0;
		if (!parse_number(value, k->type, &v)) {
			cf_msg_format(msg, cap, "key '%s': '%s' is not %s", key, value, type_hint(k->type));
			return CF_ERR_CONFIG;
		}
		if (v < k->min || v > k->max) {
			cf_msg_format(msg, cap, "key '%s': %s is out of range (%llu to %llu)", key, value,
			              (unsigned long long)k->min, (unsigned long long)k->max);
			return CF_ERR_CONFIG;
		}
		memcpy(base + k->offset, &v, sizeof(v));
		return CF_OK;
	}
	case K_BOOL: {
		bool b;
		if (strcmp(value, "true") == 0)
			b = true;
		else if (strcmp(value, "false") == 0)
			b = false;
		else {
			cf_msg_format(msg, cap, "key '%s': '%s' is not true or false", key, value);
			return CF_ERR_CONFIG;
		}
		memcpy(base + k->offset, &b, sizeof(b));
		return CF_OK;
	}
	case K_ENUM: {
		size_t i = 0;
		for (; k->choices[i]; i++)
			if (strcmp(k->choices[i], value) == 0)
				break;
		if (!k->choices[i]) {
			char list[128] = "";
			size_t used = 0;
			for (size_t j = 0; k->choices[j]; j++) {
				int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				                 j ? ", " : "", k->choices[j]);
				if (n < 0 || (size_t)n >= sizeof(list) - used)
					break;
				used += (size_t)n;
			}
			cf_msg_format(msg, cap, "key '%s': '%s' is not one of: %s", key, value, list);
			return CF_ERR_CONFIG;
		}
		if (strcmp(k->name, "environment") == 0)
			cfg->environment = i == 0 ? CF_ENV_TEST : CF_ENV_PRODUCTION;
		else if (strcmp(k->name, "tls.client_cert") == 0)
			cfg->client_cert = (enum cf_client_cert)i;
		else
			copy_str(base + k->offset, k->size, value);
		return CF_OK;
	}
	}
	return CF_ERR_CONFIG;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

cf_err cf_config_parse(struct cf_config *cfg, const char *text, size_t len,
                       char *msg, size_t cap)
{
	if (len > CONFIG_FILE_MAX) {
		cf_msg_format(msg, cap, "configuration larger than %d bytes", CONFIG_FILE_MAX);
		return CF_ERR_CONFIG;
	}
	size_t pos = 0;
	unsigned lineno = 0;
	while (pos < len) {
		char line[LINE_MAX_LEN];
		size_t start = pos;
		while (pos < len && text[pos] != '\n')
			pos++;
		size_t llen = pos - start;
		if (pos < len)
			pos++; /* the newline */
		lineno++;
		if (llen >= sizeof(line)) {
			cf_msg_format(msg, cap, "line %u: longer than %d characters", lineno, LINE_MAX_LEN - 1);
			return CF_ERR_CONFIG;
		}
		memcpy(line, text + start, llen);
		line[llen] = '\0';
		if (memchr(line, '\0', llen)) {
			cf_msg_format(msg, cap, "line %u: contains a NUL byte", lineno);
			return CF_ERR_CONFIG;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			cf_msg_format(msg, cap, "line %u: expected 'key = value'", lineno);
			return CF_ERR_CONFIG;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);
		char sub[256];
		cf_err err = cf_config_set(cfg, key, value, sub, sizeof(sub));
		if (err) {
			cf_msg_format(msg, cap, "line %u: %s", lineno, sub);
			return err;
		}
	}
	return CF_OK;
}

cf_err cf_config_load(struct cf_config *cfg, const char *path, char *msg, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_err err = cf_read_file(path, CONFIG_FILE_MAX, &buf, &len);
	if (err) {
		cf_msg_format(msg, cap, "%s: %s", path, err == CF_ERR_TOO_LARGE ?
		              "configuration file too large" : cf_strerror(err));
		return CF_ERR_CONFIG;
	}
	char sub[300];
	err = cf_config_parse(cfg, (const char *)buf, len, sub, sizeof(sub));
	free(buf);
	if (err)
		cf_msg_format(msg, cap, "%s: %s", path, sub);
	return err;
}

cf_err cf_parse_listen(const char *s, char *host, size_t cap, uint16_t *ret_port)
{
	const char *colon;
	size_t hlen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return CF_ERR_INVALID;
		hlen = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return CF_ERR_INVALID; /* an IPv6 address needs its brackets */
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= cap)
		return CF_ERR_INVALID;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	unsigned char probe[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, probe) != 1 && inet_pton(AF_INET6, host, probe) != 1)
		return CF_ERR_INVALID;
	uint64_t port = 0;
	if (!parse_number(colon + 1, K_UINT, &port) || port > 65535)
		return CF_ERR_INVALID;
	*ret_port = (uint16_t)port;
	return CF_OK;
}

static cf_err derive_path(char *field, size_t cap, const char *dir, const char *name,
                          const char *key, char *msg, size_t mcap)
{
	if (field[0] != '\0')
		return CF_OK;
	if (cf_path_join(field, cap, dir, name)) {
		cf_msg_format(msg, mcap, "key '%s': derived path too long", key);
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

cf_err cf_config_finish(struct cf_config *cfg, char *msg, size_t cap)
{
	char host[64];
	uint16_t port;
	if (cf_parse_listen(cfg->listen, host, sizeof(host), &port)) {
		cf_msg_format(msg, cap, "key 'listen': '%s' is not ADDRESS:PORT with a numeric IPv4 "
		              "address or [IPv6] address and a port from 0 (any free port) to 65535", cfg->listen);
		return CF_ERR_CONFIG;
	}
	if ((cfg->tls_cert_file[0] == '\0') != (cfg->tls_key_file[0] == '\0')) {
		cf_msg_format(msg, cap, "keys 'tls.cert_file' and 'tls.key_file': set both or neither");
		return CF_ERR_CONFIG;
	}
	if (strcmp(cfg->client_cert_bootstrap_listen, "off") == 0)
		cfg->client_cert_bootstrap_listen[0] = '\0';
	if (cfg->client_cert_bootstrap_listen[0]) {
		char bhost[64];
		uint16_t bport;
		if (cfg->client_cert != CF_CLIENT_CERT_REQUIRED) {
			cf_msg_format(msg, cap, "key 'tls.client_cert_bootstrap_listen': only with "
			              "tls.client_cert = required");
			return CF_ERR_CONFIG;
		}
		if (cf_parse_listen(cfg->client_cert_bootstrap_listen, bhost, sizeof(bhost), &bport) ||
		    bport == 0) {
			cf_msg_format(msg, cap, "key 'tls.client_cert_bootstrap_listen': '%s' is not ADDRESS:PORT "
			              "with a numeric address and a port from 1 to 65535",
			              cfg->client_cert_bootstrap_listen);
			return CF_ERR_CONFIG;
		}
		if (strcmp(cfg->client_cert_bootstrap_listen, cfg->listen) == 0) {
			cf_msg_format(msg, cap, "key 'tls.client_cert_bootstrap_listen': must differ from 'listen'");
			return CF_ERR_CONFIG;
		}
	}
	if (cfg->environment == CF_ENV_PRODUCTION) {
		if (cfg->tls_cert_file[0] == '\0') {
			cf_msg_format(msg, cap, "key 'tls.cert_file': production needs a real certificate; "
			              "the self-signed certificate is for environment = test only");
			return CF_ERR_CONFIG;
		}
		if (cfg->debug_problem_routes) {
			cf_msg_format(msg, cap, "key 'debug.problem_routes': debug options are refused in production");
			return CF_ERR_CONFIG;
		}
		if (strcmp(cfg->log_level, "debug") == 0) {
			cf_msg_format(msg, cap, "key 'log.level': debug logging is refused in production");
			return CF_ERR_CONFIG;
		}
	}
	if (cfg->attempts_lock_after <= cfg->attempts_delay_after) {
		cf_msg_format(msg, cap, "key 'identity.attempts_lock_after': must be above "
		              "identity.attempts_delay_after (%llu)", (unsigned long long)cfg->attempts_delay_after);
		return CF_ERR_CONFIG;
	}
	if (cfg->ip_rate > 0 && cfg->ip_burst < cfg->ip_rate) {
		cf_msg_format(msg, cap, "key 'limits.ip_burst': must be at least limits.ip_rate (%llu)",
		              (unsigned long long)cfg->ip_rate);
		return CF_ERR_CONFIG;
	}
	for (const char *c = cfg->audit_origin; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == '+' || *c == 0x7f) {
			cf_msg_format(msg, cap, "key 'audit.origin': no spaces, '+' or control characters allowed");
			return CF_ERR_CONFIG;
		}
	}
	cf_err err = cf_notify_check_config(cfg, msg, cap);   /* smtp.*, sms.* */
	if (err)
		return err;
	err = derive_path(cfg->sqlite_path, sizeof(cfg->sqlite_path), cfg->data_dir,
	                  "coffre.db", "store.sqlite.path", msg, cap);
	if (!err)
		err = derive_path(cfg->blobs_dir, sizeof(cfg->blobs_dir), cfg->data_dir,
		                  "blobs", "blobs.dir", msg, cap);
	return err;
}
