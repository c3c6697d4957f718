/* Outgoing notifications of coffred: e-mail over SMTP and SMS through an HTTP
 * gateway (DESIGN §5: second-factor codes, invitations).
 *
 * cf_notify_email / cf_notify_sms only check and QUEUE a message and return at
 * once; one sending thread per channel delivers it with libcurl, retries with
 * backoff, then drops it with a log line. A request's timing therefore never
 * depends on SMTP or gateway latency (a login must not reveal by its timing
 * whether an account exists or which factor was used).
 *
 * Messages are copied; every copy (addresses, numbers, bodies: bodies hold
 * one-time codes) is wiped when it is sent or dropped. Lines logged by this
 * module never hold an address, a phone number or a body: only "e-mail sent",
 * "e-mail delivery failed: <libcurl reason>" and the like.
 *
 * In environment = test, a channel with no server writes each message to a
 * file in DATA/outbox instead (outbox.h), so one machine works alone.
 *
 * Layers (downward only): this façade (notify.c) ─► the backends mailer.c,
 * sms.c, outbox.c ─► channel.c (queue, thread, retries) ─► limits.h.
 *
 * All functions are thread-safe. See docs/internals/notify.md. */
#ifndef CF_SERVER_NOTIFY_H
#define CF_SERVER_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "coffre/error.h"
#include "server/config.h"
#include "server/notify/limits.h"   /* CF_MAIL_*_MAX, tuning, stats */
#include "server/notify/mailer.h"   /* cf_mail_address_ok, cf_mail_format */
#include "server/notify/sms.h"      /* cf_sms_format (and cf_phone_ok) */

typedef struct cf_notifier cf_notifier;

enum cf_notify_channel { CF_NOTIFY_EMAIL, CF_NOTIFY_SMS };

/* Creates a notifier from cfg (smtp.*, sms.*; cfg must have passed
 * cf_config_finish) and starts a sending thread for each configured channel.
 * Reads smtp.password_file and sms.token_file (secret files: 0600 or 0640).
 * A channel whose URL is empty goes to the outbox folder DATA/outbox (one
 * file per message, see outbox.h) when environment = test and notify.outbox
 * is not off; otherwise (always in production) it is off: its cf_notify_*
 * call answers CF_ERR_UNSUPPORTED. On failure *ret is untouched and msg (cap bytes) names
 * the key and the reason (CF_ERR_CONFIG, CF_ERR_DENIED, CF_ERR_NOT_FOUND,
 * CF_ERR_NOMEM...). cf_notifier_new_tuned takes tuning (NULL: defaults). */
cf_err cf_notifier_new(cf_notifier **ret, const struct cf_config *cfg, char *msg, size_t cap);
cf_err cf_notifier_new_tuned(cf_notifier **ret, const struct cf_config *cfg,
                             const struct cf_notify_tuning *tuning, char *msg, size_t cap);

/* Stops the threads: what is queued gets one more attempt each for at most
 * tuning.drain_ms (a transfer in progress is cut at that deadline), the rest
 * is dropped with a log line; joins the threads and wipes everything.
 * Accepts NULL. No cf_notify_* call may run concurrently with or after it. */
void cf_notifier_free(cf_notifier *n);

/* True when the channel is configured (a method the server can offer). */
bool cf_notifier_has(const cf_notifier *n, enum cf_notify_channel ch);

/* The outbox folder when a channel writes there, else NULL (n NULL too);
 * *ret_mail / *ret_sms (each may be NULL) say which channels do. */
const char *cf_notifier_outbox(const cf_notifier *n, bool *ret_mail, bool *ret_sms);

/* Queues a plain-text e-mail from smtp.from (outbox: coffre@localhost) to
 * `to`. text: UTF-8, line ends "\n" or "\r\n" (sent as CRLF), lines of at
 * most CF_MAIL_LINE_MAX bytes.
 * CF_ERR_INVALID: `to` is not a plain ASCII address (local@domain), subject
 * is empty, longer than CF_MAIL_SUBJECT_MAX bytes, not UTF-8 or holds a
 * control character (CR/LF: header injection), text is empty, too long, not
 * UTF-8 or has a longer line. CF_ERR_UNSUPPORTED: e-mail is not configured
 * (or n is NULL). CF_ERR_BUSY: the queue is full or the notifier is stopping.
 * CF_ERR_NOMEM. Never blocks on the network. */
cf_err cf_notify_email(cf_notifier *n, const char *to, const char *subject, const char *text);

/* Queues an SMS to phone (E.164: '+' then 8 to 15 digits, the first not 0).
 * text: UTF-8, 1 to CF_SMS_TEXT_MAX bytes. Errors as cf_notify_email. */
cf_err cf_notify_sms(cf_notifier *n, const char *phone, const char *text);

/* Waits until both queues are empty (every message sent or dropped), at most
 * timeout_ms: CF_OK, or CF_ERR_BUSY on timeout. For tests and tools. */
cf_err cf_notifier_flush(cf_notifier *n, uint64_t timeout_ms);

/* Counters of one channel (all zero for an unconfigured channel). */
void cf_notifier_stats(cf_notifier *n, enum cf_notify_channel ch, struct cf_notify_stats *ret);

/* Checks the smtp.* and sms.* keys (called by cf_config_finish): URL
 * schemes, no credentials inside URLs, smtp.from an address when smtp.url is
 * set, the other smtp.* keys only with smtp.url, smtp.username and
 * smtp.password_file together, and in production STARTTLS for smtp:// and
 * https:// for the gateway; in test an http:// gateway must be on the
 * loopback. The message names the key. */
cf_err cf_notify_check_config(const struct cf_config *cfg, char *msg, size_t cap);

#endif
