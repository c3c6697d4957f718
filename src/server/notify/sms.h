/* SMS, one layer above channel.h: E.164 checks, the gateway's JSON body, the
 * plain-text form kept by the outbox, and the HTTP gateway backend. Uses
 * channel.h only; notify.c (the façade) uses it. */
#ifndef CF_SERVER_NOTIFY_SMS_H
#define CF_SERVER_NOTIFY_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "coffre/error.h"
#include "server/config.h"
#include "server/notify/limits.h"
#include "util/rules.h"   /* cf_phone_ok: the E.164 rule the client shares */

struct cf_channel;
struct cf_notify_item;

/* Formats the gateway request body {"to": phone, "text": text} (compact JSON)
 * into out (cap bytes, NUL-terminated). CF_ERR_INVALID as cf_notify_sms,
 * CF_ERR_TOO_LARGE if it does not fit (6 * CF_SMS_TEXT_MAX + 64 always fits). */
cf_err cf_sms_format(char *out, size_t cap, size_t *ret_len, const char *phone,
                     const char *text);

/* How a queued SMS is written: the gateway's JSON body, or the outbox's
 * text ("To: +E164", "Date: ...", a blank line, the text, LF line ends). */
enum cf_sms_form { CF_SMS_GATEWAY_JSON, CF_SMS_PLAIN_TEXT };

/* A queue item for one SMS in that form. CF_ERR_INVALID as cf_notify_sms,
 * CF_ERR_NOMEM. *ret untouched on failure. */
cf_err cf_sms_item_new(struct cf_notify_item **ret, enum cf_sms_form form, const char *phone,
                       const char *text, time_t now);

/* The gateway channel from sms.* (cfg checked by cf_notify_check_config);
 * reads sms.token_file. msg names the key on failure. */
cf_err cf_sms_open(struct cf_channel **ret, const struct cf_config *cfg,
                   const struct cf_notify_tuning *tuning, char *msg, size_t cap);

#endif
