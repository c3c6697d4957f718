/* libcoffre: the client library of coffre. This header includes the
 * headers of every part; a program may include only those it uses:
 *   coffre/http.h      client object, one HTTPS request, answers
 *   coffre/profile.h   the profile folder of this device
 *   coffre/devcert.h   the device's TLS key and certificate (mTLS)
 *   coffre/audit.h     audit log: pinned key, checkpoints, proofs
 *   coffre/keys.h      coffre-v1 identity formats (no I/O)
 *   coffre/identity.h  call failures, session, enrolment, login
 *   coffre/account.h   recovery, password, TOTP, PIN, phone
 *   coffre/admin.h     organisation administration
 *
 * Conventions (see docs/internals/client.md):
 * - every function returns a cf_err (CF_OK is 0); outputs go through ret_*
 *   parameters and are left untouched when the function fails;
 * - `_new`/`_open` return an object the caller releases with the matching
 *   `_free`, and every `_free` accepts NULL;
 * - the library never prints nor logs: a failure leaves a precise one-line
 *   English message in the object (cf_client_last_error,
 *   cf_profile_last_error) or in a caller-supplied cf_errmsg; messages never
 *   contain secrets (bearer tokens, request bodies) and server-supplied text
 *   in them is stripped of control characters;
 * - a cf_client or cf_profile is not thread-safe: use one per thread.
 *   Creating clients from several threads at once is safe.
 */
#ifndef COFFRE_CLIENT_H
#define COFFRE_CLIENT_H

#include "coffre/error.h"
#include "coffre/http.h"
#include "coffre/profile.h"
#include "coffre/devcert.h"
#include "coffre/audit.h"
#include "coffre/keys.h"
#include "coffre/identity.h"
#include "coffre/account.h"
#include "coffre/admin.h"

#endif
