/* The notifier's shared vocabulary, below every other notify/ file: message
 * limits, the delivery tuning and the per-channel counters. No functions. */
#ifndef CF_SERVER_NOTIFY_LIMITS_H
#define CF_SERVER_NOTIFY_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#define CF_MAIL_ADDRESS_MAX 254   /* RFC 5321 path limit, without <> */
#define CF_MAIL_SUBJECT_MAX 200   /* bytes of UTF-8 */
#define CF_MAIL_TEXT_MAX 16384    /* bytes of UTF-8 before CRLF conversion */
#define CF_MAIL_LINE_MAX 998      /* RFC 5322 §2.1.1, without CRLF */
#define CF_SMS_TEXT_MAX 1600      /* bytes of UTF-8 (about ten SMS segments) */

/* The delivery behaviour. The defaults suit production; tests shorten the
 * delays and the queue. A zero field means "the default". */
struct cf_notify_tuning {
	size_t queue_max;          /* messages waiting per channel (1024) */
	unsigned attempts;         /* deliveries tried per message (4) */
	uint64_t backoff_ms;       /* wait before the 2nd attempt, then x4 (2000) */
	uint64_t backoff_max_ms;   /* longest wait between attempts (60000) */
	uint64_t mail_timeout_ms;  /* one SMTP delivery, connection included (30000) */
	uint64_t sms_timeout_ms;   /* one gateway request (10000) */
	uint64_t drain_ms;         /* at cf_notifier_free: time left to deliver (5000) */
};

/* Counters of one channel since it was created. */
struct cf_notify_stats {
	uint64_t queued;    /* accepted by cf_notify_* */
	uint64_t sent;      /* delivered (SMTP accepted / gateway answered 2xx / file written) */
	uint64_t retried;   /* failed attempts followed by another one */
	uint64_t dropped;   /* given up (attempts used, permanent refusal, shutdown) */
	uint64_t waiting;   /* in the queue now (the one being sent included) */
};

#endif
