/* SMS: E.164 checks, the gateway's JSON body (and the outbox's plain-text
 * form), and the delivery as an HTTP POST with libcurl (2xx = delivered).
 * Below the façade (notify.c), above the channel machinery (channel.c). */
#include "server/notify/sms.h"
#include "server/notify/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "util/fsutil.h"

struct sms_gateway {
	char url[sizeof(((struct cf_config *)0)->sms_gateway_url)];
	bool https_only;
	char *token;         /* sodium_malloc'ed (cf_notify_read_secret) or NULL */
	uint64_t timeout_ms;
};

#define SMS_BODY_MAX (6 * CF_SMS_TEXT_MAX + 64)

static bool sms_text_ok(const char *text, size_t *ret_len)
{
	if (!text)
		return false;
	size_t len = strnlen(text, CF_SMS_TEXT_MAX + 1);
	if (len == 0 || len > CF_SMS_TEXT_MAX || !cf_notify_utf8_ok(text, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return false;
	}
	*ret_len = len;
	return true;
}

/* jansson copies strings into its own heap buffers; wipe that copy of the
 * text (it may hold a code) before the object is freed. The buffer is
 * jansson's own malloc'ed memory: writing to it is safe. */
static void wipe_json_string(json_t *s)
{
	if (s && json_is_string(s))
		sodium_memzero((char *)json_string_value(s), json_string_length(s));
}

cf_err cf_sms_format(char *out, size_t cap, size_t *ret_len, const char *phone,
                     const char *text)
{
	size_t tlen = 0;
	if (!cf_phone_ok(phone) || !sms_text_ok(text, &tlen))
		return CF_ERR_INVALID;
	if (cap == 0)
		return CF_ERR_TOO_LARGE;
	json_t *obj = json_object();
	json_t *to = json_string(phone);
	json_t *txt = json_stringn(text, tlen);
	cf_err err = CF_OK;
	if (!obj || !to || !txt || json_object_set(obj, "to", to) ||
	    json_object_set(obj, "text", txt)) {
		err = CF_ERR_NOMEM;
		goto out;
	}
	/* json_dumpb writes straight into out: no intermediate heap copy. */
	size_t n = json_dumpb(obj, out, cap - 1, JSON_COMPACT);
	if (n == 0) {
		err = CF_ERR_NOMEM;
	} else if (n > cap - 1) {
		err = CF_ERR_TOO_LARGE;
	} else {
		out[n] = '\0';
		*ret_len = n;
	}
	if (err)
		sodium_memzero(out, cap);
out:
	wipe_json_string(txt);
	wipe_json_string(to);
	json_decref(obj);
	json_decref(txt);
	json_decref(to);
	return err;
}

/* "To: +E164\nDate: <RFC 5322 date>\n\n<text>\n": what the outbox keeps. */
static cf_err format_plain(char *out, size_t cap, size_t *ret_len, const char *phone,
                           const char *text, size_t tlen, time_t now)
{
	char date[CF_NOTIFY_DATE_MAX];
	if (cf_notify_date(date, sizeof(date), now))
		return CF_ERR_INVALID;
	int n = snprintf(out, cap, "To: %s\nDate: %s\n\n%.*s\n", phone, date, (int)tlen, text);
	if (n < 0 || (size_t)n >= cap) {
		sodium_memzero(out, cap);
		return CF_ERR_TOO_LARGE;
	}
	*ret_len = (size_t)n;
	return CF_OK;
}

cf_err cf_sms_item_new(struct cf_notify_item **ret, enum cf_sms_form form, const char *phone,
                       const char *text, time_t now)
{
	size_t tlen;
	if (!cf_phone_ok(phone) || !sms_text_ok(text, &tlen))
		return CF_ERR_INVALID;
	struct cf_notify_item *it = cf_notify_item_new();
	char *tmp = malloc(SMS_BODY_MAX);
	if (!it || !tmp) {
		free(tmp);
		cf_notify_item_free(it);
		return CF_ERR_NOMEM;
	}
	size_t len = 0;
	cf_err err = form == CF_SMS_PLAIN_TEXT ?
		format_plain(tmp, SMS_BODY_MAX, &len, phone, text, tlen, now) :
		cf_sms_format(tmp, SMS_BODY_MAX, &len, phone, text);
	if (!err)
		err = cf_notify_item_set_body(it, tmp, len);
	sodium_memzero(tmp, SMS_BODY_MAX);
	free(tmp);
	if (err) {
		cf_notify_item_free(it);
		return err;
	}
	*ret = it;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Delivery                                                                  */

static size_t discard_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	(void)buf; (void)ud;
	return size * nitems;
}

static void slist_wipe_free(struct curl_slist *list)
{
	for (struct curl_slist *it = list; it; it = it->next)
		if (it->data)
			sodium_memzero(it->data, strlen(it->data));
	curl_slist_free_all(list);
}

static struct curl_slist *headers_new(const struct sms_gateway *g)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *grown = h ? curl_slist_append(h, "Expect:") : NULL;
	if (!grown) {
		slist_wipe_free(h);
		return NULL;
	}
	h = grown;
	if (g->token) {
		static const char prefix[] = "Authorization: Bearer ";
		size_t tl = strlen(g->token), cap = sizeof(prefix) + tl;
		char *line = sodium_malloc(cap);
		if (!line) {
			slist_wipe_free(h);
			return NULL;
		}
		memcpy(line, prefix, sizeof(prefix) - 1);
		memcpy(line + sizeof(prefix) - 1, g->token, tl + 1);
		grown = curl_slist_append(h, line);   /* copies; wiped by slist_wipe_free */
		sodium_free(line);
		if (!grown) {
			slist_wipe_free(h);
			return NULL;
		}
		h = grown;
	}
	return h;
}

static cf_err sms_deliver(struct cf_channel *ch, const struct cf_notify_item *it,
                          char *why, size_t cap, bool *ret_permanent)
{
	const struct sms_gateway *g = ch->ctx;
	CURL *c = ch->curl;
	curl_easy_reset(c);
	struct curl_slist *hdrs = headers_new(g);
	if (!hdrs) {
		snprintf(why, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, g->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, g->https_only ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "coffred/" COFFRE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(it->body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	cf_channel_curl_common(ch, g->timeout_ms);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	slist_wipe_free(hdrs);
	if (rc != CURLE_OK) {
		snprintf(why, cap, "%s", curl_easy_strerror(rc));
		*ret_permanent = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
		return CF_ERR_NETWORK;
	}
	if (code >= 200 && code < 300)
		return CF_OK;
	snprintf(why, cap, "gateway answered HTTP %ld", code);
	/* 4xx: this request will not pass (bad token, bad number...), except
	 * time-outs and rate limits. */
	*ret_permanent = code >= 400 && code < 500 && code != 408 && code != 425 && code != 429;
	return CF_ERR_PROTOCOL;
}

static void sms_free(void *ctx)
{
	struct sms_gateway *g = ctx;
	if (!g)
		return;
	if (g->token)
		cf_free_secret((uint8_t *)g->token);
	sodium_memzero(g, sizeof(*g));
	free(g);
}

static const struct cf_channel_ops sms_ops = {
	.what = "SMS", .component = "sms", .deliver = sms_deliver,
	.ctx_free = sms_free, .uses_curl = true,
};

cf_err cf_sms_open(struct cf_channel **ret, const struct cf_config *cfg,
                   const struct cf_notify_tuning *tuning, char *msg, size_t cap)
{
	struct sms_gateway *g = calloc(1, sizeof(*g));
	if (!g) {
		if (msg && cap)
			snprintf(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	snprintf(g->url, sizeof(g->url), "%s", cfg->sms_gateway_url);
	g->https_only = cfg->environment == CF_ENV_PRODUCTION;
	g->timeout_ms = tuning->sms_timeout_ms;
	if (cfg->sms_token_file[0]) {
		cf_err err = cf_notify_read_secret("sms.token_file", cfg->sms_token_file, &g->token,
		                                   msg, cap);
		for (const char *p = g->token; !err && *p; p++) {
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				if (msg && cap)
					snprintf(msg, cap, "key 'sms.token_file': %s must hold one token of "
					         "printable ASCII without spaces", cfg->sms_token_file);
				err = CF_ERR_CONFIG;
			}
		}
		if (err) {
			sms_free(g);
			return err;
		}
	}
	return cf_channel_new(ret, &sms_ops, g, tuning, msg, cap);
}
