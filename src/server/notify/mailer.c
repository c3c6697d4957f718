/* E-mail: address checks, the RFC 5322 message, and its delivery over SMTP
 * with libcurl (smtp:// with optional STARTTLS, or smtps://). Below the
 * façade (notify.c), above the channel machinery (channel.c). */
#include "server/notify/mailer.h"
#include "server/notify/channel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "util/fsutil.h"

struct mailer {
	char url[sizeof(((struct cf_config *)0)->smtp_url)];
	char mail_from[sizeof(((struct cf_config *)0)->smtp_from) + 2];  /* "<from>" */
	bool starttls;
	char username[256];
	char *password;      /* sodium_malloc'ed (cf_notify_read_secret) or NULL */
	uint64_t timeout_ms;
};

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static bool is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool cf_mail_address_ok(const char *addr)
{
	if (!addr)
		return false;
	size_t len = strnlen(addr, CF_MAIL_ADDRESS_MAX + 1);
	if (len == 0 || len > CF_MAIL_ADDRESS_MAX)
		return false;
	const char *at = memchr(addr, '@', len);
	if (!at)
		return false;
	size_t local = (size_t)(at - addr), dlen = len - local - 1;
	if (local == 0 || local > 64 || dlen == 0)
		return false;
	/* dot-atom: atext runs joined by single dots */
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c == '.') {
			if (i == 0 || i == local - 1 || addr[i - 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	/* domain: labels of letters, digits and inner hyphens, 1-63 bytes */
	const char *d = at + 1;
	size_t label = 0;
	for (size_t i = 0; i < dlen; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (c == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && d[dlen - 1] != '-';
}

/* ------------------------------------------------------------------------ */
/* Message format                                                            */

struct wbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct wbuf *w, const char *s, size_t n)
{
	if (w->overflow || n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void puts_(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Subject: printable ASCII as is; anything else as RFC 2047 "B" encoded
 * words of whole UTF-8 characters (at most 45 bytes each: 72 columns),
 * folded onto continuation lines. */
static void put_subject(struct wbuf *w, const char *s, size_t len)
{
	bool plain = strstr(s, "=?") == NULL;
	for (size_t i = 0; i < len && plain; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			plain = false;
	puts_(w, "Subject: ");
	if (plain) {
		put(w, s, len);
		puts_(w, "\r\n");
		return;
	}
	size_t i = 0;
	while (i < len) {
		size_t n = len - i < 45 ? len - i : 45;
		/* back off to a character boundary (never inside a sequence) */
		while (i + n < len && n > 0 && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		if (n == 0)   /* not UTF-8 (checked before): never loop forever */
			n = len - i < 45 ? len - i : 45;
		char b64[64];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		if (i > 0)
			puts_(w, "\r\n ");
		puts_(w, "=?utf-8?B?");
		puts_(w, b64);
		puts_(w, "?=");
		i += n;
	}
	puts_(w, "\r\n");
}

static cf_err check_subject(const char *subject, size_t *ret_len)
{
	if (!subject)
		return CF_ERR_INVALID;
	size_t len = strnlen(subject, CF_MAIL_SUBJECT_MAX + 1);
	if (len == 0 || len > CF_MAIL_SUBJECT_MAX || !cf_notify_utf8_ok(subject, len))
		return CF_ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)subject[i];
		if (c < 0x20 || c == 0x7f)   /* CR, LF (header injection), TAB, ... */
			return CF_ERR_INVALID;
	}
	*ret_len = len;
	return CF_OK;
}

/* The body: every line end (LF or CRLF) becomes CRLF; a lone CR or a line
 * longer than CF_MAIL_LINE_MAX bytes is refused; ends with CRLF. */
static cf_err put_body(struct wbuf *w, const char *text, size_t len)
{
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t line_end = end;
		if (line_end > start && text[line_end - 1] == '\r')
			line_end--;
		if (memchr(text + start, '\r', line_end - start))
			return CF_ERR_INVALID;
		if (line_end - start > CF_MAIL_LINE_MAX)
			return CF_ERR_INVALID;
		put(w, text + start, line_end - start);
		puts_(w, "\r\n");
		start = nl ? end + 1 : len;
	}
	return CF_OK;
}

size_t cf_mail_format_cap(const char *subject, const char *text)
{
	size_t s = subject ? strnlen(subject, CF_MAIL_SUBJECT_MAX + 1) : 0;
	size_t t = text ? strnlen(text, CF_MAIL_TEXT_MAX + 1) : 0;
	/* headers with two addresses and a Message-ID < 2 KiB; encoded words
	 * < 3 bytes per subject byte; LF -> CRLF at most doubles the text. */
	return 2048 + 3 * s + 64 + 2 * t + 4;
}

cf_err cf_mail_format(char *out, size_t cap, size_t *ret_len, const char *from,
                      const char *to, const char *subject, const char *text,
                      time_t now, const uint8_t id[16])
{
	size_t slen = 0;
	if (!cf_mail_address_ok(from) || !cf_mail_address_ok(to) || check_subject(subject, &slen))
		return CF_ERR_INVALID;
	if (!text)
		return CF_ERR_INVALID;
	size_t tlen = strnlen(text, CF_MAIL_TEXT_MAX + 1);
	if (tlen == 0 || tlen > CF_MAIL_TEXT_MAX || !cf_notify_utf8_ok(text, tlen))
		return CF_ERR_INVALID;
	if (cap == 0)
		return CF_ERR_TOO_LARGE;

	char date[CF_NOTIFY_DATE_MAX];
	if (cf_notify_date(date, sizeof(date), now))
		return CF_ERR_INVALID;
	char idhex[33];
	sodium_bin2hex(idhex, sizeof(idhex), id, 16);

	struct wbuf w = { .p = out, .cap = cap, .len = 0, .overflow = false };
	out[0] = '\0';
	puts_(&w, "Date: ");
	puts_(&w, date);
	puts_(&w, "\r\nFrom: ");
	puts_(&w, from);
	puts_(&w, "\r\nTo: ");
	puts_(&w, to);
	puts_(&w, "\r\n");
	put_subject(&w, subject, slen);
	puts_(&w, "Message-ID: <");
	puts_(&w, idhex);
	puts_(&w, strchr(from, '@'));
	puts_(&w, ">\r\n"
	          "MIME-Version: 1.0\r\n"
	          "Content-Type: text/plain; charset=utf-8\r\n"
	          "Content-Transfer-Encoding: 8bit\r\n"
	          "Auto-Submitted: auto-generated\r\n"
	          "\r\n");
	cf_err err = put_body(&w, text, tlen);
	if (!err && w.overflow)
		err = CF_ERR_TOO_LARGE;
	if (err) {
		sodium_memzero(out, w.len < cap ? w.len + 1 : cap);
		out[0] = '\0';
		return err;
	}
	*ret_len = w.len;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Queueing                                                                  */

cf_err cf_mail_item_new(struct cf_notify_item **ret, const char *from, const char *to,
                        const char *subject, const char *text)
{
	size_t slen;
	if (!cf_mail_address_ok(to) || check_subject(subject, &slen) || !text)
		return CF_ERR_INVALID;
	struct cf_notify_item *it = cf_notify_item_new();
	if (!it)
		return CF_ERR_NOMEM;
	size_t tolen = strlen(to);
	it->rcpt_len = tolen + 3;
	it->rcpt = malloc(it->rcpt_len);
	size_t tmp_cap = cf_mail_format_cap(subject, text);
	char *tmp = malloc(tmp_cap);
	if (!it->rcpt || !tmp) {
		free(tmp);
		cf_notify_item_free(it);
		return CF_ERR_NOMEM;
	}
	it->rcpt[0] = '<';
	memcpy(it->rcpt + 1, to, tolen);
	it->rcpt[tolen + 1] = '>';
	it->rcpt[tolen + 2] = '\0';
	uint8_t id[16];
	randombytes_buf(id, sizeof(id));
	size_t len = 0;
	cf_err err = cf_mail_format(tmp, tmp_cap, &len, from, to, subject, text, time(NULL), id);
	/* Keep only what the message needs: the queue holds up to queue_max. */
	if (!err)
		err = cf_notify_item_set_body(it, tmp, len);
	sodium_memzero(tmp, tmp_cap);
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

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct upload *u = ud;
	size_t room = size * nitems;
	size_t n = u->left < room ? u->left : room;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static void slist_wipe_free(struct curl_slist *list)
{
	for (struct curl_slist *it = list; it; it = it->next)
		if (it->data)
			sodium_memzero(it->data, strlen(it->data));
	curl_slist_free_all(list);
}

static bool permanent_failure(CURLcode rc, long code)
{
	if (code >= 500 && code < 600)
		return true;   /* the server refused: another attempt gets the same */
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:   /* STARTTLS required but not offered */
		return true;
	default:
		return false;
	}
}

static cf_err mail_deliver(struct cf_channel *ch, const struct cf_notify_item *it,
                           char *why, size_t cap, bool *ret_permanent)
{
	const struct mailer *m = ch->ctx;
	CURL *c = ch->curl;
	curl_easy_reset(c);   /* keeps the connection cache */
	struct curl_slist *rcpt = curl_slist_append(NULL, it->rcpt);
	if (!rcpt) {
		snprintf(why, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	struct upload up = { .p = it->body, .left = strlen(it->body) };
	curl_easy_setopt(c, CURLOPT_URL, m->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->mail_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.left);
	curl_easy_setopt(c, CURLOPT_USE_SSL, m->starttls ? (long)CURLUSESSL_ALL
	                                                  : (long)CURLUSESSL_NONE);
	if (m->password) {
		curl_easy_setopt(c, CURLOPT_USERNAME, m->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
	}
	cf_channel_curl_common(ch, m->timeout_ms);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	/* Drop curl's copy of the password until the next attempt. */
	if (m->password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
	slist_wipe_free(rcpt);
	if (rc == CURLE_OK)
		return CF_OK;
	/* libcurl's own words (a static string, no address) and the SMTP code. */
	if (code >= 400)   /* the last reply, when it is a refusal */
		snprintf(why, cap, "%s (SMTP %ld)", curl_easy_strerror(rc), code);
	else
		snprintf(why, cap, "%s", curl_easy_strerror(rc));
	*ret_permanent = permanent_failure(rc, code);
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_OPERATION_TIMEDOUT ? CF_ERR_NETWORK : CF_ERR_PROTOCOL;
}

static void mailer_free(void *ctx)
{
	struct mailer *m = ctx;
	if (!m)
		return;
	if (m->password)
		cf_free_secret((uint8_t *)m->password);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

static const struct cf_channel_ops mailer_ops = {
	.what = "e-mail", .component = "mail", .deliver = mail_deliver,
	.ctx_free = mailer_free, .uses_curl = true,
};

cf_err cf_mailer_open(struct cf_channel **ret, const struct cf_config *cfg,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap)
{
	struct mailer *m = calloc(1, sizeof(*m));
	if (!m) {
		if (msg && cap)
			snprintf(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	snprintf(m->url, sizeof(m->url), "%s", cfg->smtp_url);
	snprintf(m->mail_from, sizeof(m->mail_from), "<%s>", cfg->smtp_from);
	m->starttls = strcmp(cfg->smtp_starttls, "required") == 0;
	m->timeout_ms = tuning->mail_timeout_ms;
	if (cfg->smtp_password_file[0]) {
		snprintf(m->username, sizeof(m->username), "%s", cfg->smtp_username);
		cf_err err = cf_notify_read_secret("smtp.password_file", cfg->smtp_password_file,
		                                   &m->password, msg, cap);
		if (err) {
			mailer_free(m);
			return err;
		}
	}
	return cf_channel_new(ret, &mailer_ops, m, tuning, msg, cap);
}
