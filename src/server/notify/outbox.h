/* The outbox backend, one layer above channel.h: instead of a server, each
 * message becomes one file in a folder (environment = test only; the rule
 * is notify.c's). Uses channel.h only.
 *
 * Files: DIR/<UTC time to the microsecond>-<6-digit sequence>-<8 hex random>.EXT,
 * e.g. 20261206T041502.123456Z-000001-9f3a61c2.eml, so names sort by time
 * and never collide; written to a temporary name, synced and renamed (a
 * reader never sees half a message), mode 0600; the folder is made 0700.
 * The content is the queue item's body as is: for e-mail the RFC 5322
 * message the SMTP backend would send, for SMS the plain-text form. */
#ifndef CF_SERVER_NOTIFY_OUTBOX_H
#define CF_SERVER_NOTIFY_OUTBOX_H

#include <stddef.h>
#include "coffre/error.h"
#include "server/notify/limits.h"

struct cf_channel;

enum cf_outbox_kind { CF_OUTBOX_MAIL, CF_OUTBOX_SMS };   /* .eml, .txt */

/* Creates dir (0700; an existing one is set to 0700) and starts the channel.
 * CF_ERR_IO (msg names the folder), CF_ERR_TOO_LARGE, CF_ERR_NOMEM. */
cf_err cf_outbox_open(struct cf_channel **ret, const char *dir, enum cf_outbox_kind kind,
                      const struct cf_notify_tuning *tuning, char *msg, size_t cap);

#endif
