/* The identity calls of libcoffre (enrol.c, login.c, account.c, admin.c)
 * share one call function, the problem decoding behind it, the profile
 * storage of session.c and the input checks of check.c. Internal: see
 * include/coffre/identity.h for the API and docs/internals/client.md for
 * the rules (secrets wiped, ret_* untouched on failure, device-wiped
 * answers forget the device). */
#ifndef COFFRE_CLIENT_CALL_H
#define COFFRE_CLIENT_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sodium.h>

#include "client/answer.h"
#include "client/internal.h"
#include "util/cleanup.h"
#include "util/rules.h"

#define CF_TOKEN_MAX       128
#define CF_CODE_MAX        64        /* invitation codes */
#define CF_PATH_MAX        160
#define CF_B64_KEY_LEN     43        /* base64url of 32 bytes */
#define CF_B64_BUNDLE_LEN  123       /* base64url of a sealed bundle (92) */

/* --- report.c: messages ---------------------------------------------------- */

/* Writes the client's last error (cf_client_last_error). */
void cf_call_error(cf_client *c, const char *fmt, ...) CF_PRINTF(2, 3);
/* Sets the last error and p->failure (p may be NULL); returns err. */
cf_err cf_call_fail(cf_client *c, struct cf_id_problem *p,
                    enum cf_id_failure failure, cf_err err,
                    const char *fmt, ...) CF_PRINTF(5, 6);
cf_err cf_call_nomem(cf_client *c, struct cf_id_problem *p);
/* "the server's answer to <what> has no valid "<member>"". */
cf_err cf_answer_bad(cf_client *c, struct cf_id_problem *p, const char *what,
                     const char *member);

/* A problem with nothing in it (tries_left, retry_after_s: -1). */
void cf_problem_reset(struct cf_id_problem *p);
/* First step of every call: resets p; CF_ERR_INVALID without a client. */
cf_err cf_call_start(cf_client *c, struct cf_id_problem *p);

/* --- call.c: the one call function ----------------------------------------- */

enum cf_call_auth {
	CF_CALL_PUBLIC = 0,
	CF_CALL_SESSION,   /* bearer from the profile's session */
	CF_CALL_TOKEN,     /* bearer given: a session not stored (yet) */
};

enum cf_call_answer {
	CF_ANSWER_ANY = 0, /* any JSON; JSON null for an empty body */
	CF_ANSWER_OBJECT,  /* a JSON object */
};

struct cf_call {
	const char *method;
	const char *path;
	enum cf_call_auth auth;
	const char *token;           /* CF_CALL_TOKEN only */
	bool has_body;               /* send body; NULL there means it could
	                                not be made: out of memory, no call */
	const json_t *body;
	enum cf_call_answer answer;
};

/* Sends one request and reads its answer. A non-2xx answer is decoded into
 * p (failure, problem slug, tries left, retry after) and the client's last
 * error; device-wiped forgets the device and session-expired the session.
 * *ret (may be NULL: the answer is wiped) gets the JSON answer, untouched on
 * failure. */
cf_err cf_call(cf_client *c, struct cf_id_problem *p,
               const struct cf_call *call, json_t **ret);

/* --- session.c: session, bundle, device key in the profile ---------------- */

/* A session read from the profile: its token in locked memory. */
struct cf_stored_session {
	struct cf_session_info info;
	char *token;
};
void cf_stored_session_clear(struct cf_stored_session *s);

cf_err cf_call_profile(cf_client *c, struct cf_id_problem *p,
                       cf_profile **ret);
cf_err cf_call_profile_error(cf_client *c, struct cf_id_problem *p,
                             cf_profile *prof, cf_err err);
cf_err cf_session_load(cf_client *c, struct cf_id_problem *p,
                       struct cf_stored_session *ret);
cf_err cf_session_save(cf_client *c, struct cf_id_problem *p,
                       const struct cf_session_info *info,
                       const char *token);
/* Removes the session and bundle; with device_too the device key and its
 * TLS pair too. */
void cf_session_forget(cf_profile *prof, bool device_too);
cf_err cf_bundle_save(cf_client *c, struct cf_id_problem *p,
                      const char *user_id,
                      const uint8_t sealed[CF_BUNDLE_SEALED_BYTES],
                      const uint8_t sign_pk[CF_ID_KEY_BYTES],
                      const uint8_t enc_pk[CF_ID_KEY_BYTES]);
cf_err cf_bundle_load(cf_client *c, struct cf_id_problem *p,
                      const char *user_id,
                      uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES]);
/* The device key of the profile (made when create and missing). */
cf_err cf_device_key_load(cf_client *c, struct cf_id_problem *p, bool create,
                          uint8_t ret_pk[32], uint8_t *ret_sk);

/* --- answer.c: identity members of answers -------------------------------- */

/* Argon2id parameters, checked against coffre-v1's floor and this client's
 * ceiling before any memory is committed to them. */
cf_err cf_answer_kdf(cf_client *c, struct cf_id_problem *p, const json_t *doc,
                     const char *what, struct cf_kdf_params *ret);
/* user_id (and its raw bytes when uid is not NULL), org_id, role; returns
 * the first member missing or invalid, NULL when all are good. */
const char *cf_answer_account(const json_t *doc,
                              char user_id[CF_ID_HEX_LEN + 1], uint8_t *uid,
                              char org_id[CF_ID_HEX_LEN + 1], char *role,
                              size_t role_cap);
/* device_id and device_status, as cf_answer_account. */
const char *cf_answer_device(const json_t *doc,
                             char device_id[CF_ID_HEX_LEN + 1],
                             char *status, size_t status_cap);

/* --- check.c: what a caller gives, checked before anything is sent -------- */

/* min to max bytes without control characters. */
bool cf_text_ok(const char *s, size_t min, size_t max);
cf_err cf_check_email(cf_client *c, struct cf_id_problem *p,
                      const char *email);
cf_err cf_check_new_password(cf_client *c, struct cf_id_problem *p,
                             const char *pw, size_t len);
cf_err cf_check_password(cf_client *c, struct cf_id_problem *p,
                         const char *pw, size_t len);
cf_err cf_check_pin(cf_client *c, struct cf_id_problem *p, const char *pin,
                    size_t len);
cf_err cf_check_id(cf_client *c, struct cf_id_problem *p, const char *id,
                   const char *what);
cf_err cf_check_role(cf_client *c, struct cf_id_problem *p,
                     const char *role);
cf_err cf_check_code6(cf_client *c, struct cf_id_problem *p,
                      const char *code, size_t len);

/* --- login.c / account.c: steps other jobs reuse -------------------------- */

/* POST /v1/auth/prelogin {email}: the account's Argon2id parameters. */
cf_err cf_prelogin(cf_client *c, struct cf_id_problem *p, const char *email,
                   struct cf_kdf_params *ret);
/* The device proof of a login (DESIGN §5.3, crypto/sign.h): the signature
 * by sk over the pending login id (32 hex digits, as the server gives it)
 * and the server's nonce. CF_ERR_INVALID when pending is not 32 hex digits;
 * ret_proof untouched on failure. */
cf_err cf_login_device_proof(uint8_t ret_proof[64], const char *pending,
                             const uint8_t nonce[32], const uint8_t sk[64]);
/* POST {"pin"} on the session to path (unlock, PIN change). */
cf_err cf_send_pin(cf_client *c, struct cf_id_problem *p, const char *path,
                   const char *pin, size_t len);

/* --- secrets that clean up after themselves ------------------------------- */

static inline void cf_identity_keys_freep(struct cf_identity_keys **p)
{
	cf_identity_keys_free(*p);
	*p = NULL;
}
#define CF_AUTO_KEYS CF_CLEANUP(cf_identity_keys_freep) struct cf_identity_keys

/* A 32-byte key wiped when it goes out of scope. */
#define CF_SECRET_KEY(name) CF_AUTO_WIPED(name, CF_ID_KEY_BYTES)

/* base64url text of a secret, wiped when it goes out of scope. */
struct cf_b64 {
	char text[CF_B64_BUNDLE_LEN + 1];
};
static inline void cf_b64_wipe(struct cf_b64 *b)
{
	sodium_memzero(b, sizeof *b);
}
#define CF_B64(name) CF_CLEANUP(cf_b64_wipe) struct cf_b64 name
/* Fills out with the base64url of bin (empty when it does not fit). */
void cf_b64_of(struct cf_b64 *out, const uint8_t *bin, size_t len);

#endif
