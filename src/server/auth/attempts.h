/* Brute-force counters for passwords, second-factor codes and PINs, per
 * account and per client address: growing delays, then a temporary lockout
 * that raises an alert (DESIGN §5.6). An attempt is reserved before it is
 * evaluated, so parallel attempts cannot all pass one read of the counters;
 * and Argon2id work is capped globally (docs/internals/identity.md). */
#ifndef CF_SERVER_AUTH_ATTEMPTS_H
#define CF_SERVER_AUTH_ATTEMPTS_H

#include <stdbool.h>
#include "audit/auditlog.h"
#include "server/request.h"

enum cf_attempt_kind { CF_ATT_PASSWORD, CF_ATT_CODE, CF_ATT_PIN };

/* The process's attempt state: reservations of attempts in flight, the slots
 * of concurrent password hashing (max_hashes; 0 = 2 per CPU) and the random
 * key of per-address counter keys, made at start and never stored. */
typedef struct cf_attempts cf_attempts;
cf_err cf_attempts_new(cf_attempts **ret, unsigned max_hashes);
void cf_attempts_free(cf_attempts *a);   /* accepts NULL */

/* Before an attempt: false (with a 429 and Retry-After in the reply) while
 * the account or the address is held back, counting attempts in flight as
 * failures, or (passwords, PINs) while every hashing slot is taken. True:
 * the attempt is reserved (and a hashing slot taken) until
 * the request ends (after cf_attempts_record has made its count durable).
 * Up to two attempts per request (e.g. a fresh password proof and a PIN). */
bool cf_attempts_allowed(struct cf_request *req, enum cf_attempt_kind kind, const char *account);
/* In a write, after the attempt: a failure counts (and may lock, raising an
 * alert: log line and audit event); a success clears the account counter.
 * The hashing slot is given back here; the reservation when the request
 * ends, after the count is durable. */
cf_err cf_attempts_record(struct cf_audit_tx *atx, struct cf_request *req,
                          enum cf_attempt_kind kind, const char *account, bool success);

#endif
