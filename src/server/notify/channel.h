/* Internal to src/server/notify: one delivery channel = a bounded queue, a
 * sending thread and a deliver function (SMTP in mailer.c, the SMS gateway
 * in sms.c). notify.c owns the queue and the thread. */
#ifndef CF_SERVER_NOTIFY_CHANNEL_H
#define CF_SERVER_NOTIFY_CHANNEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "server/notify/notify.h"

/* One queued message. Every field is malloc'ed and wiped by
 * cf_notify_item_free: rcpt is "<address>" (mail) or empty (SMS), body is the
 * whole RFC 5322 message or the gateway's JSON body, NUL-terminated. */
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

struct cf_channel {
	const char *what;          /* "e-mail", "SMS": words of the log lines */
	const char *component;     /* log component: "mail", "sms" */
	cf_deliver_fn deliver;
	void *ctx;                 /* the mailer or the SMS gateway */
	void (*ctx_free)(void *ctx);
	CURL *curl;                /* used by the sending thread only */
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

struct cf_notifier {
	struct cf_notify_tuning tuning;
	struct cf_channel *mail;   /* NULL: e-mail is off */
	struct cf_channel *sms;    /* NULL: SMS is off */
};

uint64_t cf_notify_mono_ms(void);

/* Strict UTF-8 (no overlong forms, surrogates or code points > U+10FFFF). */
bool cf_notify_utf8_ok(const char *s, size_t len);

/* Wipes and frees an item (NULL accepted). */
void cf_notify_item_free(struct cf_notify_item *it);

/* Allocates an empty item; NULL when out of memory. */
struct cf_notify_item *cf_notify_item_new(void);

/* Queues it (ownership moves on CF_OK). CF_ERR_BUSY: full or stopping. */
cf_err cf_channel_enqueue(struct cf_channel *ch, struct cf_notify_item *it);

/* The timeout for one attempt: base_ms, shortened to the drain deadline when
 * the notifier is stopping. Sets the libcurl progress callback that cuts a
 * transfer at that deadline. */
void cf_channel_curl_common(struct cf_channel *ch, uint64_t base_ms);

/* Reads a secret file named by key into a sodium_malloc'ed NUL-terminated
 * string without its trailing CR/LF; refuses an empty file and NUL bytes. */
cf_err cf_notify_read_secret(const char *key, const char *path, char **ret,
                             char *msg, size_t cap);

/* Builders for notify.c: the channel context from the configuration. */
cf_err cf_mailer_open(struct cf_channel *ch, const struct cf_config *cfg, char *msg, size_t cap);
cf_err cf_sms_open(struct cf_channel *ch, const struct cf_config *cfg, char *msg, size_t cap);

#endif
