/* Internal to src/server/notify, the bottom layer: one delivery channel = a
 * bounded queue, a sending thread with retries and backoff, and a backend
 * (struct cf_channel_ops) that delivers one message: SMTP (mailer.c), the SMS
 * gateway (sms.c) or the outbox folder (outbox.c). This file knows no
 * backend and no configuration; notify.c (the façade) puts them together. */
#ifndef CF_SERVER_NOTIFY_CHANNEL_H
#define CF_SERVER_NOTIFY_CHANNEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <curl/curl.h>
#include "coffre/error.h"
#include "server/notify/limits.h"

/* One queued message. Every field is malloc'ed and wiped by
 * cf_notify_item_free: rcpt is "<address>" (mail) or empty (SMS), body is the
 * whole message as the backend delivers it, NUL-terminated. */
struct cf_notify_item {
	struct cf_notify_item *next;
	unsigned attempts;      /* deliveries tried so far */
	uint64_t due_ms;        /* monotonic; not before this time */
	char *rcpt;
	size_t rcpt_len;
	char *body;
	size_t body_len;
};

struct cf_channel;

/* One delivery attempt (sending thread only, no lock held). CF_OK when
 * delivered; otherwise why (cap bytes) gets the reason, never personal data,
 * and *ret_permanent says that another attempt cannot help. */
typedef cf_err (*cf_deliver_fn)(struct cf_channel *ch, const struct cf_notify_item *it,
                                char *why, size_t cap, bool *ret_permanent);

/* What a backend gives cf_channel_new. Static storage. */
struct cf_channel_ops {
	const char *what;          /* "e-mail", "SMS": words of the log lines */
	const char *component;     /* log component: "mail", "sms" */
	cf_deliver_fn deliver;
	void (*ctx_free)(void *ctx);
	bool uses_curl;            /* a libcurl handle for the sending thread */
};

struct cf_channel {
	const char *what;
	const char *component;
	cf_deliver_fn deliver;
	void *ctx;                 /* the backend's state */
	void (*ctx_free)(void *ctx);
	CURL *curl;                /* sending thread only; NULL unless uses_curl */
	struct cf_notify_tuning tuning;

	pthread_mutex_t mu;
	pthread_cond_t wake;       /* new item, or stopping */
	pthread_cond_t idle;       /* count went down */
	struct cf_notify_item *head, *tail;
	size_t count;              /* queued + the one being sent */
	bool stopping;
	atomic_bool stop_flag;     /* stopping, read without the lock */
	_Atomic uint64_t deadline_ms; /* when stopping: the end of the drain */
	struct cf_notify_stats stats; /* under mu, except waiting (= count) */
	pthread_t thread;
	bool started;
};

uint64_t cf_notify_mono_ms(void);

/* Strict UTF-8 (no overlong forms, surrogates or code points > U+10FFFF). */
bool cf_notify_utf8_ok(const char *s, size_t len);

/* now as an RFC 5322 date in UTC ("Sun, 06 Dec 2026 04:39:23 +0000") into
 * out (cap bytes; CF_NOTIFY_DATE_MAX is enough for any year). CF_ERR_INVALID
 * when now has no calendar date, CF_ERR_TOO_LARGE when it does not fit. The
 * Date line of the mails and of the SMS outbox. */
#define CF_NOTIFY_DATE_MAX 48
cf_err cf_notify_date(char *out, size_t cap, time_t now);

/* Wipes and frees an item (NULL accepted). */
void cf_notify_item_free(struct cf_notify_item *it);

/* Allocates an empty item; NULL when out of memory. */
struct cf_notify_item *cf_notify_item_new(void);

/* Gives it a copy of body (len bytes + NUL). CF_ERR_NOMEM. */
cf_err cf_notify_item_set_body(struct cf_notify_item *it, const char *body, size_t len);

/* Reads a secret file named by key into a sodium_malloc'ed NUL-terminated
 * string without its trailing CR/LF; refuses an empty file and NUL bytes. */
cf_err cf_notify_read_secret(const char *key, const char *path, char **ret,
                             char *msg, size_t cap);

/* Fills t with the defaults, then the non-zero fields of in (NULL: none). */
void cf_notify_tuning_fill(struct cf_notify_tuning *t, const struct cf_notify_tuning *in);

/* Once per process: libcurl's global initialisation. msg on failure. */
cf_err cf_channel_global_init(char *msg, size_t cap);

/* Starts a channel: takes ctx (freed with ops->ctx_free, on failure too),
 * makes the libcurl handle when ops->uses_curl and starts the sending thread
 * (which blocks every signal). *ret untouched on failure; msg says why. */
cf_err cf_channel_new(struct cf_channel **ret, const struct cf_channel_ops *ops, void *ctx,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap);

/* Starts the drain (tuning.drain_ms); returns at once. NULL accepted. */
void cf_channel_stop(struct cf_channel *ch);

/* Joins the thread (after cf_channel_stop), drops what is left, frees the
 * backend and the channel. NULL accepted. */
void cf_channel_free(struct cf_channel *ch);

/* Waits until the queue is empty or the monotonic time end_ms: CF_OK or
 * CF_ERR_BUSY. NULL: CF_OK. */
cf_err cf_channel_flush(struct cf_channel *ch, uint64_t end_ms);

/* The counters (all zero for NULL). */
void cf_channel_stats(struct cf_channel *ch, struct cf_notify_stats *ret);

/* Queues it (ownership moves on CF_OK). CF_ERR_BUSY: full or stopping. */
cf_err cf_channel_enqueue(struct cf_channel *ch, struct cf_notify_item *it);

/* The timeout for one attempt: base_ms, shortened to the drain deadline when
 * the channel is stopping. Sets the libcurl progress callback that cuts a
 * transfer at that deadline. */
void cf_channel_curl_common(struct cf_channel *ch, uint64_t base_ms);

#endif
