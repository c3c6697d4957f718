/* Sessions: opaque bearer tokens ("coffre_s_" + 32 random bytes), stored by
 * their SHA-256 as ephemeral documents, bound to a device, locked after the
 * idle timeout, ended at their absolute lifetime, on logout, on revocation
 * and on the 5th wrong PIN (DESIGN §5). */
#ifndef CF_SERVER_AUTH_SESSION_H
#define CF_SERVER_AUTH_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "audit/auditlog.h"
#include "server/request.h"

struct cf_user;
struct cf_device;

#define CF_SESSION_PREFIX "coffre_s_"
#define CF_SESSION_TEXT_LEN (sizeof(CF_SESSION_PREFIX) - 1 + 43)

/* Turns a session bearer token into req->who, or answers (401 locked/expired,
 * 403 device wiped/pending) and returns false. */
bool cf_session_authenticate(struct cf_request *req, const char *token);
/* What authentication (and GET /v1/me) needs of a user and a device, typed
 * and copied from the newest version of their documents. */
struct cf_auth_user {
	char id[33], org[33], unit[33], role[32], status[16], email[320];
	bool has_unit, has_phone, has_totp;
	int64_t session_epoch;
	uint64_t version;
};
struct cf_auth_device {
	char id[33], user[33], status[16];
	uint64_t version;
};
/* The newest version's facts, from a cache keyed by (id, version) (one
 * index lookup per call) or, on a miss, by parsing the document. tx may be
 * NULL or a read snapshot. Errors as cf_user_load / cf_device_load. */
cf_err cf_auth_user_load(cf_store *st, cf_tx *tx, const char *id, struct cf_auth_user *ret);
cf_err cf_auth_device_load(cf_store *st, cf_tx *tx, const char *id,
                           struct cf_auth_device *ret);
/* The user and device the session's authentication read (valid for the
 * request; owned by it), or NULL when the request was not authenticated by
 * a session. Handlers read these instead of loading them again. */
const struct cf_auth_user *cf_session_user(const struct cf_request *req);
const struct cf_auth_device *cf_session_device(const struct cf_request *req);
/* In a write: a new session for user/device; token text into token_out. */
cf_err cf_session_create(struct cf_audit_tx *atx, struct cf_request *req,
                         const struct cf_user *user,
                         const char *device_id, char *token_out, size_t cap);
/* In a write: records the session's last use (and a lock decided on read). */
cf_err cf_session_touch(struct cf_audit_tx *atx, struct cf_request *req);
/* In a write: ends a session (logout, revoke, PIN failures). */
cf_err cf_session_end(cf_tx *tx, const char *token_hash_hex);

#endif
