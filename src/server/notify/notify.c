/* The notifier: a bounded queue and a sending thread per channel, the
 * retry/backoff policy, the drain at shutdown and the configuration rules.
 * What a delivery is lives in mailer.c (SMTP) and sms.c (HTTP gateway). */
#include "server/notify/channel.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "util/fsutil.h"
#include "util/log.h"

#define SECRET_FILE_MAX 4096

static void set_msg(char *msg, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t cap, const char *fmt, ...)
{
	if (!msg || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, cap, fmt, ap);
	va_end(ap);
}

uint64_t cf_notify_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool cf_notify_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

struct cf_notify_item *cf_notify_item_new(void)
{
	return calloc(1, sizeof(struct cf_notify_item));
}

void cf_notify_item_free(struct cf_notify_item *it)
{
	if (!it)
		return;
	if (it->rcpt) {
		sodium_memzero(it->rcpt, it->rcpt_len);
		free(it->rcpt);
	}
	if (it->body) {
		sodium_memzero(it->body, it->body_len);
		free(it->body);
	}
	sodium_memzero(it, sizeof(*it));
	free(it);
}

cf_err cf_notify_read_secret(const char *key, const char *path, char **ret,
                             char *msg, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why = "cannot be read";
	cf_err err = cf_read_secret_file(path, SECRET_FILE_MAX, &buf, &len, &why);
	if (err) {
		set_msg(msg, cap, "key '%s': %s %s", key, path, why);
		return err;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len)) {
		set_msg(msg, cap, "key '%s': %s %s", key, path,
		        len == 0 ? "is empty" : "holds a NUL byte");
		cf_free_secret(buf);
		return CF_ERR_CONFIG;
	}
	*ret = (char *)buf;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Queue                                                                     */

cf_err cf_channel_enqueue(struct cf_channel *ch, struct cf_notify_item *it)
{
	pthread_mutex_lock(&ch->mu);
	if (ch->stopping || ch->count >= ch->tuning.queue_max) {
		pthread_mutex_unlock(&ch->mu);
		return CF_ERR_BUSY;
	}
	it->next = NULL;
	it->due_ms = 0;
	if (ch->tail)
		ch->tail->next = it;
	else
		ch->head = it;
	ch->tail = it;
	ch->count++;
	ch->stats.queued++;
	pthread_cond_signal(&ch->wake);
	pthread_mutex_unlock(&ch->mu);
	return CF_OK;
}

static void unlink_item(struct cf_channel *ch, struct cf_notify_item *prev,
                        struct cf_notify_item *it)
{
	if (prev)
		prev->next = it->next;
	else
		ch->head = it->next;
	if (ch->tail == it)
		ch->tail = prev;
	it->next = NULL;
}

static void append_item(struct cf_channel *ch, struct cf_notify_item *it)
{
	it->next = NULL;
	if (ch->tail)
		ch->tail->next = it;
	else
		ch->head = it;
	ch->tail = it;
}

static void timed_wait(struct cf_channel *ch, uint64_t until_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000),
	                       .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	pthread_cond_timedwait(&ch->wake, &ch->mu, &ts);
}

/* The wait before attempt number `done + 1`: backoff x 4^(done-1), capped. */
static uint64_t backoff(const struct cf_notify_tuning *t, unsigned done)
{
	uint64_t d = t->backoff_ms;
	for (unsigned i = 1; i < done && d < t->backoff_max_ms; i++)
		d *= 4;
	return d < t->backoff_max_ms ? d : t->backoff_max_ms;
}

/* Takes the next message to send (mutex held): when running, the first one
 * that is due, waiting for it; when stopping, any one until the drain
 * deadline. NULL: the thread must end. */
static struct cf_notify_item *next_item(struct cf_channel *ch)
{
	for (;;) {
		uint64_t now = cf_notify_mono_ms();
		if (ch->stopping) {
			if (!ch->head || now >= atomic_load(&ch->deadline_ms))
				return NULL;
			struct cf_notify_item *it = ch->head;
			unlink_item(ch, NULL, it);
			return it;
		}
		struct cf_notify_item *best = NULL, *best_prev = NULL, *prev = NULL;
		for (struct cf_notify_item *it = ch->head; it; prev = it, it = it->next) {
			if (!best || it->due_ms < best->due_ms) {
				best = it;
				best_prev = prev;
			}
		}
		if (!best) {
			pthread_cond_wait(&ch->wake, &ch->mu);
			continue;
		}
		if (best->due_ms > now) {
			timed_wait(ch, best->due_ms);
			continue;
		}
		unlink_item(ch, best_prev, best);
		return best;
	}
}

static void *sender(void *arg)
{
	struct cf_channel *ch = arg;
	const struct cf_notify_tuning *t = &ch->tuning;
	pthread_mutex_lock(&ch->mu);
	for (;;) {
		struct cf_notify_item *it = next_item(ch);
		if (!it)
			break;
		pthread_mutex_unlock(&ch->mu);

		char why[160] = "unknown error";
		bool permanent = false;
		cf_err err = ch->deliver(ch, it, why, sizeof(why), &permanent);
		it->attempts++;

		pthread_mutex_lock(&ch->mu);
		bool done = true;
		uint64_t delay = 0;
		if (!err) {
			ch->stats.sent++;
		} else if (permanent || it->attempts >= t->attempts || ch->stopping) {
			ch->stats.dropped++;
		} else {
			ch->stats.retried++;
			delay = backoff(t, it->attempts);
			it->due_ms = cf_notify_mono_ms() + delay;
			append_item(ch, it);
			done = false;
		}
		bool stopping = ch->stopping;
		if (done) {
			ch->count--;
			pthread_cond_broadcast(&ch->idle);
		}
		pthread_mutex_unlock(&ch->mu);

		/* Log without the lock; never an address, a number or a body. */
		if (!err)
			cf_log(CF_LOG_INFO, ch->component, "%s sent", ch->what);
		else if (!done)
			cf_log(CF_LOG_WARN, ch->component,
			       "%s delivery failed: %s (attempt %u of %u, next in %llu ms)",
			       ch->what, why, it->attempts, t->attempts, (unsigned long long)delay);
		else
			cf_log(CF_LOG_ERROR, ch->component,
			       "%s delivery failed: %s (attempt %u of %u%s); dropped", ch->what, why,
			       it->attempts, t->attempts,
			       permanent ? ", permanent" : stopping ? ", shutting down" : "");
		if (done)
			cf_notify_item_free(it);
		pthread_mutex_lock(&ch->mu);
	}
	/* Stopping, past the drain deadline or empty: drop what is left. */
	size_t dropped = 0;
	while (ch->head) {
		struct cf_notify_item *it = ch->head;
		unlink_item(ch, NULL, it);
		cf_notify_item_free(it);
		ch->count--;
		ch->stats.dropped++;
		dropped++;
	}
	pthread_cond_broadcast(&ch->idle);
	pthread_mutex_unlock(&ch->mu);
	if (dropped)
		cf_log(CF_LOG_ERROR, ch->component, "%zu queued %s message(s) dropped at shutdown",
		       dropped, ch->what);
	return NULL;
}

/* libcurl progress callback: cuts a transfer once the drain deadline of a
 * stopping notifier has passed, so cf_notifier_free is bounded. */
static int xferinfo(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	struct cf_channel *ch = p;
	if (atomic_load(&ch->stop_flag) && cf_notify_mono_ms() >= atomic_load(&ch->deadline_ms))
		return 1;
	return 0;
}

void cf_channel_curl_common(struct cf_channel *ch, uint64_t base_ms)
{
	uint64_t timeout = base_ms;
	if (atomic_load(&ch->stop_flag)) {
		uint64_t now = cf_notify_mono_ms(), end = atomic_load(&ch->deadline_ms);
		uint64_t left = end > now ? end - now : 1;
		if (left < timeout)
			timeout = left;
	}
	uint64_t connect = timeout < 10000 ? timeout : 10000;
	CURL *c = ch->curl;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, ch);
}

/* ------------------------------------------------------------------------ */
/* Notifier                                                                  */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

/* curl_global_init is not thread-safe before 7.84; once per process. */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void tuning_fill(struct cf_notify_tuning *t, const struct cf_notify_tuning *in)
{
	static const struct cf_notify_tuning def = {
		.queue_max = 1024, .attempts = 4, .backoff_ms = 2000, .backoff_max_ms = 60000,
		.mail_timeout_ms = 30000, .sms_timeout_ms = 10000, .drain_ms = 5000,
	};
	*t = def;
	if (!in)
		return;
	if (in->queue_max) t->queue_max = in->queue_max;
	if (in->attempts) t->attempts = in->attempts;
	if (in->backoff_ms) t->backoff_ms = in->backoff_ms;
	if (in->backoff_max_ms) t->backoff_max_ms = in->backoff_max_ms;
	if (in->mail_timeout_ms) t->mail_timeout_ms = in->mail_timeout_ms;
	if (in->sms_timeout_ms) t->sms_timeout_ms = in->sms_timeout_ms;
	if (in->drain_ms) t->drain_ms = in->drain_ms;
}

static void channel_stop(struct cf_channel *ch)
{
	if (!ch || !ch->started)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->stopping = true;
	atomic_store(&ch->deadline_ms, cf_notify_mono_ms() + ch->tuning.drain_ms);
	atomic_store(&ch->stop_flag, true);
	pthread_cond_broadcast(&ch->wake);
	pthread_mutex_unlock(&ch->mu);
}

static void channel_free(struct cf_channel *ch)
{
	if (!ch)
		return;
	if (ch->started) {
		pthread_join(ch->thread, NULL);
		ch->started = false;
	}
	while (ch->head) {   /* only when the thread never started */
		struct cf_notify_item *it = ch->head;
		ch->head = it->next;
		cf_notify_item_free(it);
	}
	if (ch->ctx_free)
		ch->ctx_free(ch->ctx);
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	pthread_cond_destroy(&ch->idle);
	pthread_cond_destroy(&ch->wake);
	pthread_mutex_destroy(&ch->mu);
	free(ch);
}

typedef cf_err (*open_fn)(struct cf_channel *, const struct cf_config *, char *, size_t);

static cf_err channel_new(struct cf_channel **ret, const struct cf_notify_tuning *t,
                          open_fn open, const struct cf_config *cfg, char *msg, size_t cap)
{
	struct cf_channel *ch = calloc(1, sizeof(*ch));
	if (!ch) {
		set_msg(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	ch->tuning = *t;
	atomic_init(&ch->stop_flag, false);
	atomic_init(&ch->deadline_ms, 0);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->wake, &ca);
	pthread_cond_init(&ch->idle, &ca);
	pthread_condattr_destroy(&ca);
	cf_err err = open(ch, cfg, msg, cap);
	if (err) {
		channel_free(ch);
		return err;
	}
	ch->curl = curl_easy_init();
	if (!ch->curl) {
		set_msg(msg, cap, "cannot create a libcurl handle for %s", ch->what);
		channel_free(ch);
		return CF_ERR_NOMEM;
	}
	/* The thread takes no signal: the main thread waits for them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&ch->thread, NULL, sender, ch);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		set_msg(msg, cap, "cannot start the %s sending thread", ch->what);
		channel_free(ch);
		return CF_ERR_NOMEM;
	}
	ch->started = true;
	*ret = ch;
	return CF_OK;
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
		set_msg(msg, cap, "cannot initialise libsodium");
		return CF_ERR_NOMEM;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		set_msg(msg, cap, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		return CF_ERR_UNSUPPORTED;
	}
	cf_notifier *n = calloc(1, sizeof(*n));
	if (!n) {
		set_msg(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	tuning_fill(&n->tuning, tuning);
	if (cfg->smtp_url[0])
		err = channel_new(&n->mail, &n->tuning, cf_mailer_open, cfg, msg, cap);
	if (!err && cfg->sms_gateway_url[0])
		err = channel_new(&n->sms, &n->tuning, cf_sms_open, cfg, msg, cap);
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
	channel_stop(n->mail);
	channel_stop(n->sms);
	channel_free(n->mail);
	channel_free(n->sms);
	free(n);
}

bool cf_notifier_has(const cf_notifier *n, enum cf_notify_channel ch)
{
	if (!n)
		return false;
	return ch == CF_NOTIFY_EMAIL ? n->mail != NULL : n->sms != NULL;
}

static cf_err channel_flush(struct cf_channel *ch, uint64_t end)
{
	if (!ch)
		return CF_OK;
	cf_err err = CF_OK;
	pthread_mutex_lock(&ch->mu);
	while (ch->count > 0) {
		if (cf_notify_mono_ms() >= end) {
			err = CF_ERR_BUSY;
			break;
		}
		struct timespec ts = { .tv_sec = (time_t)(end / 1000),
		                       .tv_nsec = (long)(end % 1000) * 1000000L };
		pthread_cond_timedwait(&ch->idle, &ch->mu, &ts);
	}
	pthread_mutex_unlock(&ch->mu);
	return err;
}

cf_err cf_notifier_flush(cf_notifier *n, uint64_t timeout_ms)
{
	if (!n)
		return CF_OK;
	uint64_t end = cf_notify_mono_ms() + timeout_ms;
	cf_err err = channel_flush(n->mail, end);
	if (!err)
		err = channel_flush(n->sms, end);
	return err;
}

void cf_notifier_stats(cf_notifier *n, enum cf_notify_channel which, struct cf_notify_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct cf_channel *ch = !n ? NULL : which == CF_NOTIFY_EMAIL ? n->mail : n->sms;
	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	*ret = ch->stats;
	ret->waiting = ch->count;
	pthread_mutex_unlock(&ch->mu);
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
			set_msg(msg, cap, "key '%s': spaces, control and non-ASCII characters "
			        "are not allowed in the URL", key);
			return CF_ERR_CONFIG;
		}
	}
	CURLU *u = curl_url();
	if (!u) {
		set_msg(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	cf_err err = CF_OK;
	char *s = NULL, *h = NULL, *user = NULL, *pass = NULL;
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		set_msg(msg, cap, "key '%s': not a valid URL (%s)", key, curl_url_strerror(rc));
		err = CF_ERR_CONFIG;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		set_msg(msg, cap, "key '%s': no user name or password inside the URL (secrets "
		        "are never in the configuration file: use %s)", key,
		        strncmp(key, "smtp.", 5) == 0 ? "smtp.username and smtp.password_file"
		                                        : "sms.token_file");
		err = CF_ERR_CONFIG;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h[0] == '\0') {
		set_msg(msg, cap, "key '%s': the URL needs a scheme and a host", key);
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
				set_msg(msg, cap, "key '%s': e-mail is off because smtp.url is not set; "
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
		set_msg(msg, cap, "key 'smtp.url': must start with smtp:// or smtps://");
		return CF_ERR_CONFIG;
	}
	if (cfg->smtp_from[0] == '\0') {
		set_msg(msg, cap, "key 'smtp.from': required when smtp.url is set (the sender address)");
		return CF_ERR_CONFIG;
	}
	if (!cf_mail_address_ok(cfg->smtp_from)) {
		set_msg(msg, cap, "key 'smtp.from': not a plain e-mail address (local@domain)");
		return CF_ERR_CONFIG;
	}
	if ((cfg->smtp_username[0] == '\0') != (cfg->smtp_password_file[0] == '\0')) {
		set_msg(msg, cap, "keys 'smtp.username' and 'smtp.password_file': set both or neither");
		return CF_ERR_CONFIG;
	}
	for (const char *c = cfg->smtp_username; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			set_msg(msg, cap, "key 'smtp.username': control characters are not allowed");
			return CF_ERR_CONFIG;
		}
	}
	if (prod && !smtps && strcmp(cfg->smtp_starttls, "required") != 0) {
		set_msg(msg, cap, "key 'smtp.starttls': production sends e-mail over TLS only: set "
		        "smtp.starttls = required, or use an smtps:// URL in smtp.url");
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

static cf_err check_sms(const struct cf_config *cfg, char *msg, size_t cap)
{
	if (cfg->sms_gateway_url[0] == '\0') {
		if (cfg->sms_token_file[0]) {
			set_msg(msg, cap, "key 'sms.token_file': SMS is off because sms.gateway_url is "
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
		set_msg(msg, cap, "key 'sms.gateway_url': must start with https://");
		return CF_ERR_CONFIG;
	}
	if (cfg->environment == CF_ENV_PRODUCTION) {
		set_msg(msg, cap, "key 'sms.gateway_url': production needs an https:// gateway");
		return CF_ERR_CONFIG;
	}
	if (!is_loopback_host(host)) {
		set_msg(msg, cap, "key 'sms.gateway_url': http:// is allowed only to 127.0.0.1, "
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
