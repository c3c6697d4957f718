/* Brute-force counters for passwords, second-factor codes and PINs, per
 * account and per client address: growing delays, then a temporary lockout
 * that raises an alert (DESIGN §5.6). */
#ifndef CF_SERVER_AUTH_ATTEMPTS_H
#define CF_SERVER_AUTH_ATTEMPTS_H

#include <stdbool.h>
#include "audit/auditlog.h"
#include "server/request.h"

enum cf_attempt_kind { CF_ATT_PASSWORD, CF_ATT_CODE, CF_ATT_PIN };

/* Read-only check before an attempt: false (with a 429 and Retry-After in the
 * reply) while the account or the address is held back. */
bool cf_attempts_allowed(struct cf_request *req, enum cf_attempt_kind kind, const char *account);
/* In a write, after the attempt: a failure counts (and may lock, raising an
 * alert: log line and audit event); a success clears the account counter. */
cf_err cf_attempts_record(struct cf_audit_tx *atx, struct cf_request *req,
                          enum cf_attempt_kind kind, const char *account, bool success);

#endif
