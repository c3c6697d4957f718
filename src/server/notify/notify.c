/* The notifier's façade, the top of src/server/notify: which backend serves
 * each channel (SMTP, SMS gateway, or the outbox folder), the checks and
 * queueing behind cf_notify_email / cf_notify_sms, and the configuration
 * rules of smtp.* and sms.*. Depends downward only:
 *
 *   notify.c ──► mailer.c, sms.c, outbox.c ──► channel.c ──► limits.h
 */
#include "server/notify/notify.h"
#include "server/notify/channel.h"
#include "server/notify/outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <sodium.h>

#include "util/fsutil.h"
#include "util/msg.h"

#define OUTBOX_NAME "outbox"

struct cf_notifier {
	struct cf_notify_tuning tuning;
	struct cf_channel *mail;   /* NULL: e-mail is off */
	struct cf_channel *sms;    /* NULL: SMS is off */
	bool mail_outbox, sms_outbox;
	char from[sizeof(((struct cf_config *)0)->smtp_from)];
	char outbox[CF_CONFIG_PATH_MAX + sizeof(OUTBOX_NAME) + 1]; /* "" when unused */
};

/* The outbox stands in for a missing server only in environment = test:
 * production never writes a code to a file (DESIGN §7). */
static bool outbox_allowed(const struct cf_config *cfg)
{
	return cfg->environment == CF_ENV_TEST && strcmp(cfg->notify_outbox, "off") != 0;
}

cf_err cf_notifier_new(cf_notifier **ret, const struct cf_config *cfg, char *msg, size_t cap)
{
	return cf_notifier_new_tuned(ret, cfg, NULL, msg, cap);
}

cf_err cf_notifier_new_tuned(cf_notifier **ret, const struct cf_config *cfg,
                             const struct cf_notify_tuning *tuning, char *msg, size_t cap)
{
	cf_err err = cf_notify_check_config(cfg, msg, cap);
	if (err)
		return err;
	if (sodium_init() < 0) {
		cf_msg_format(msg, cap, "cannot initialise libsodium");
		return CF_ERR_NOMEM;
	}
	cf_notifier *n = calloc(1, sizeof(*n));
	if (!n) {
		cf_msg_format(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	cf_notify_tuning_fill(&n->tuning, tuning);
	bool outbox = outbox_allowed(cfg) && (!cfg->smtp_url[0] || !cfg->sms_gateway_url[0]);
	if (outbox && cf_path_join(n->outbox, sizeof(n->outbox), cfg->data_dir, OUTBOX_NAME)) {
		cf_msg_format(msg, cap, "key 'data_dir': too long for the outbox folder");
		free(n);
		return CF_ERR_CONFIG;
	}
	if (cfg->smtp_url[0]) {
		snprintf(n->from, sizeof(n->from), "%s", cfg->smtp_from);
		err = cf_mailer_open(&n->mail, cfg, &n->tuning, msg, cap);
	} else if (outbox) {
		/* No real domain: the outbox is for one machine. */
		snprintf(n->from, sizeof(n->from), "coffre@localhost");
		n->mail_outbox = true;
		err = cf_outbox_open(&n->mail, n->outbox, CF_OUTBOX_MAIL, &n->tuning, msg, cap);
	}
	if (!err && cfg->sms_gateway_url[0]) {
		err = cf_sms_open(&n->sms, cfg, &n->tuning, msg, cap);
	} else if (!err && outbox) {
		n->sms_outbox = true;
		err = cf_outbox_open(&n->sms, n->outbox, CF_OUTBOX_SMS, &n->tuning, msg, cap);
	}
	if (err) {
		cf_notifier_free(n);
		return err;
	}
	*ret = n;
	return CF_OK;
}

void cf_notifier_free(cf_notifier *n)
{
	if (!n)
		return;
	/* Both drains run at the same time. */
	cf_channel_stop(n->mail);
	cf_channel_stop(n->sms);
	cf_channel_free(n->mail);
	cf_channel_free(n->sms);
	sodium_memzero(n, sizeof(*n));
	free(n);
}

bool cf_notifier_has(const cf_notifier *n, enum cf_notify_channel ch)
{
	if (!n)
		return false;
	return ch == CF_NOTIFY_EMAIL ? n->mail != NULL : n->sms != NULL;
}

const char *cf_notifier_outbox(const cf_notifier *n, bool *ret_mail, bool *ret_sms)
{
	if (ret_mail)
		*ret_mail = n && n->mail_outbox;
	if (ret_sms)
		*ret_sms = n && n->sms_outbox;
	if (!n || (!n->mail_outbox && !n->sms_outbox))
		return NULL;
	return n->outbox;
}

cf_err cf_notifier_flush(cf_notifier *n, uint64_t timeout_ms)
{
	if (!n)
		return CF_OK;
	uint64_t end = cf_notify_mono_ms() + timeout_ms;
	cf_err err = cf_channel_flush(n->mail, end);
	if (!err)
		err = cf_channel_flush(n->sms, end);
	return err;
}

void cf_notifier_stats(cf_notifier *n, enum cf_notify_channel which, struct cf_notify_stats *ret)
{
	cf_channel_stats(!n ? NULL : which == CF_NOTIFY_EMAIL ? n->mail : n->sms, ret);
}

cf_err cf_notify_email(cf_notifier *n, const char *to, const char *subject, const char *text)
{
	if (!n || !n->mail)
		return CF_ERR_UNSUPPORTED;
	struct cf_notify_item *it = NULL;
	cf_err err = cf_mail_item_new(&it, n->from, to, subject, text);
	if (err)
		return err;
	err = cf_channel_enqueue(n->mail, it);
	if (err)
		cf_notify_item_free(it);
	return err;
}

cf_err cf_notify_sms(cf_notifier *n, const char *phone, const char *text)
{
	if (!n || !n->sms)
		return CF_ERR_UNSUPPORTED;
	struct cf_notify_item *it = NULL;
	cf_err err = cf_sms_item_new(&it, n->sms_outbox ? CF_SMS_PLAIN_TEXT : CF_SMS_GATEWAY_JSON,
	                             phone, text, time(NULL));
	if (err)
		return err;
	err = cf_channel_enqueue(n->sms, it);
	if (err)
		cf_notify_item_free(it);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Configuration rules                                                       */

/* Parses url with libcurl's URL parser: scheme (lower case) and host into the
 * buffers. The URL itself is never echoed: it could hold a password. */
static cf_err parse_url(const char *key, const char *url, char *scheme, size_t scap,
                        char *host, size_t hcap, char *msg, size_t cap)
{
	for (const char *c = url; *c; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
			cf_msg_format(msg, cap, "key '%s': spaces, control and non-ASCII characters "
			              "are not allowed in the URL", key);
			return CF_ERR_CONFIG;
		}
	}
	CURLU *u = curl_url();
	if (!u) {
		cf_msg_format(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	cf_err err = CF_OK;
	char *s = NULL, *h = NULL, *user = NULL, *pass = NULL;
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		cf_msg_format(msg, cap, "key '%s': not a valid URL (%s)", key, curl_url_strerror(rc));
		err = CF_ERR_CONFIG;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		cf_msg_format(msg, cap, "key '%s': no user name or password inside the URL (secrets "
		              "are never in the configuration file: use %s)", key,
		              strncmp(key, "smtp.", 5) == 0 ? "smtp.username and smtp.password_file"
		                                              : "sms.token_file");
		err = CF_ERR_CONFIG;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h[0] == '\0') {
		cf_msg_format(msg, cap, "key '%s': the URL needs a scheme and a host", key);
		err = CF_ERR_CONFIG;
		goto out;
	}
	snprintf(scheme, scap, "%s", s);
	snprintf(host, hcap, "%s", h);
out:
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		curl_free(pass);
	}
	curl_free(user);
	curl_free(s);
	curl_free(h);
	curl_url_cleanup(u);
	return err;
}

static bool is_loopback_host(const char *h)
{
	return strcmp(h, "127.0.0.1") == 0 || strcmp(h, "[::1]") == 0 ||
	       strcmp(h, "localhost") == 0;
}

static cf_err check_smtp(const struct cf_config *cfg, char *msg, size_t cap)
{
	bool prod = cfg->environment == CF_ENV_PRODUCTION;
	if (cfg->smtp_url[0] == '\0') {
		static const struct { const char *key; size_t off; } deps[] = {
			{ "smtp.from", offsetof(struct cf_config, smtp_from) },
			{ "smtp.starttls", offsetof(struct cf_config, smtp_starttls) },
			{ "smtp.username", offsetof(struct cf_config, smtp_username) },
			{ "smtp.password_file", offsetof(struct cf_config, smtp_password_file) },
		};
		for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
			if (((const char *)cfg)[deps[i].off] != '\0') {
				cf_msg_format(msg, cap, "key '%s': e-mail is off because smtp.url is not set; "
				              "set smtp.url or remove %s", deps[i].key, deps[i].key);
				return CF_ERR_CONFIG;
			}
		}
		return CF_OK;
	}
	char scheme[16], host[256];
	cf_err err = parse_url("smtp.url", cfg->smtp_url, scheme, sizeof(scheme), host,
	                       sizeof(host), msg, cap);
	if (err)
		return err;
	bool smtps = strcmp(scheme, "smtps") == 0;
	if (!smtps && strcmp(scheme, "smtp") != 0) {
		cf_msg_format(msg, cap, "key 'smtp.url': must start with smtp:// or smtps://");
		return CF_ERR_CONFIG;
	}
	if (cfg->smtp_from[0] == '\0') {
		cf_msg_format(msg, cap, "key 'smtp.from': required when smtp.url is set (the sender address)");
		return CF_ERR_CONFIG;
	}
	if (!cf_mail_address_ok(cfg->smtp_from)) {
		cf_msg_format(msg, cap, "key 'smtp.from': not a plain e-mail address (local@domain)");
		return CF_ERR_CONFIG;
	}
	if ((cfg->smtp_username[0] == '\0') != (cfg->smtp_password_file[0] == '\0')) {
		cf_msg_format(msg, cap, "keys 'smtp.username' and 'smtp.password_file': set both or neither");
		return CF_ERR_CONFIG;
	}
	for (const char *c = cfg->smtp_username; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			cf_msg_format(msg, cap, "key 'smtp.username': control characters are not allowed");
			return CF_ERR_CONFIG;
		}
	}
	if (prod && !smtps && strcmp(cfg->smtp_starttls, "required") != 0) {
		cf_msg_format(msg, cap, "key 'smtp.starttls': production sends e-mail over TLS only: set "
		              "smtp.starttls = required, or use an smtps:// URL in smtp.url");
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

static cf_err check_sms(const struct cf_config *cfg, char *msg, size_t cap)
{
	if (cfg->sms_gateway_url[0] == '\0') {
		if (cfg->sms_token_file[0]) {
			cf_msg_format(msg, cap, "key 'sms.token_file': SMS is off because sms.gateway_url is "
			              "not set; set sms.gateway_url or remove sms.token_file");
			return CF_ERR_CONFIG;
		}
		return CF_OK;
	}
	char scheme[16], host[256];
	cf_err err = parse_url("sms.gateway_url", cfg->sms_gateway_url, scheme, sizeof(scheme),
	                       host, sizeof(host), msg, cap);
	if (err)
		return err;
	if (strcmp(scheme, "https") == 0)
		return CF_OK;
	if (strcmp(scheme, "http") != 0) {
		cf_msg_format(msg, cap, "key 'sms.gateway_url': must start with https://");
		return CF_ERR_CONFIG;
	}
	if (cfg->environment == CF_ENV_PRODUCTION) {
		cf_msg_format(msg, cap, "key 'sms.gateway_url': production needs an https:// gateway");
		return CF_ERR_CONFIG;
	}
	if (!is_loopback_host(host)) {
		cf_msg_format(msg, cap, "key 'sms.gateway_url': http:// is allowed only to 127.0.0.1, "
		              "[::1] or localhost (environment = test); use https://");
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

cf_err cf_notify_check_config(const struct cf_config *cfg, char *msg, size_t cap)
{
	cf_err err = check_smtp(cfg, msg, cap);
	if (!err)
		err = check_sms(cfg, msg, cap);
	return err;
}
