/* E-mail, one layer above channel.h: address checks, the RFC 5322 message
 * and the SMTP backend. Uses channel.h only; notify.c (the façade) uses it. */
#ifndef CF_SERVER_NOTIFY_MAILER_H
#define CF_SERVER_NOTIFY_MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "coffre/error.h"
#include "server/config.h"
#include "server/notify/limits.h"

struct cf_channel;
struct cf_notify_item;

/* A plain ASCII addr-spec: dot-atom local part (1-64) '@' domain of
 * letter/digit/hyphen labels, at most CF_MAIL_ADDRESS_MAX bytes. Quoted
 * local parts, domain literals and non-ASCII (SMTPUTF8) are refused. */
bool cf_mail_address_ok(const char *addr);

/* Formats the RFC 5322 message (CRLF line ends, no dot-stuffing: libcurl
 * does it) into out (cap bytes, NUL-terminated); *ret_len its length.
 * now: the Date header; id: 16 random bytes for the Message-ID (hex, @ the
 * domain of from). Non-ASCII subjects are RFC 2047 encoded words.
 * CF_ERR_INVALID as cf_notify_email; CF_ERR_TOO_LARGE if cap is too small
 * (cf_mail_format_cap gives enough). */
cf_err cf_mail_format(char *out, size_t cap, size_t *ret_len, const char *from,
                      const char *to, const char *subject, const char *text,
                      time_t now, const uint8_t id[16]);
size_t cf_mail_format_cap(const char *subject, const char *text);

/* A queue item for one e-mail: rcpt "<to>", body the formatted message
 * (now, a random Message-ID). CF_ERR_INVALID as cf_notify_email, CF_ERR_NOMEM.
 * *ret untouched on failure. */
cf_err cf_mail_item_new(struct cf_notify_item **ret, const char *from, const char *to,
                        const char *subject, const char *text);

/* The SMTP channel from smtp.* (cfg checked by cf_notify_check_config);
 * reads smtp.password_file. msg names the key on failure. */
cf_err cf_mailer_open(struct cf_channel **ret, const struct cf_config *cfg,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap);

#endif
