/* libcoffre: the failures of the identity calls, the session and device
 * key in the profile (session.c), enrolment (enrol.c), login and the
 * session's own calls (login.c). Calls of docs/api/identity.md; rules in
 * docs/internals/client-identity.md. */
#ifndef COFFRE_IDENTITY_H
#define COFFRE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/devcert.h"
#include "coffre/http.h"
#include "coffre/keys.h"

/* --- failures of the calls below ----------------------------------------- */

/* What kind of refusal a call met, beyond its cf_err, so that a program can
 * react (unlock, log in again, wait). The one-line reason is always in
 * cf_client_last_error(); server problem details appear there as sent. */
enum cf_id_failure {
	CF_ID_FAIL_NONE = 0,
	CF_ID_FAIL_AUTH,       /* login-failed, invalid-invitation, a wrong
	                          password or recovery code found locally */
	CF_ID_FAIL_LOCKED,     /* session-locked: unlock with the PIN */
	CF_ID_FAIL_WRONG_PIN,  /* wrong-pin; tries_left */
	CF_ID_FAIL_EXPIRED,    /* session-expired, or (on a session call)
	                          unauthenticated: a token the server no longer
	                          takes; log in again (the profile's session is
	                          removed) */
	CF_ID_FAIL_THROTTLED,  /* too-many-attempts; retry_after_s */
	CF_ID_FAIL_WIPED,      /* device-wiped: this profile's device key, session
	                          and key bundle were deleted */
	CF_ID_FAIL_NO_SESSION, /* no session in the profile for this server */
	CF_ID_FAIL_KEYS,       /* the server's key bundle does not open with the
	                          password, or its public keys do not match */
	CF_ID_FAIL_OTHER,      /* any other problem answer (see status, type) */
	CF_ID_FAIL_PENDING,    /* device-pending: an administrator must approve
	                          this device first */
};

struct cf_id_problem {
	enum cf_id_failure failure;
	long status;           /* HTTP status, 0 when no answer */
	char type[64];         /* problem slug ("session-locked"), sanitised */
	int tries_left;        /* wrong-pin: PIN tries left, else -1 */
	long retry_after_s;    /* too-many-attempts: seconds, else -1 */
};

/* Every call below takes an optional `problem` (NULL: not wanted), cleared
 * at the start; the client must not be NULL. Calls that need a session use
 * the profile's (CF_SESSION_FILE), which must have been made for the same
 * server URL. Errors of all of them: those of cf_client_request, the
 * status mapping of cf_client_call_json, CF_ERR_PROTOCOL for a 2xx answer
 * that is not the JSON the contract describes, profile errors; for a session
 * call without one, CF_ERR_DENIED/CF_ID_FAIL_NO_SESSION. */

/* --- session in the profile (no network) --------------------------------- */

#define CF_ROLE_MAX       16
#define CF_STATUS_MAX     24
#define CF_EMAIL_MAX      254
#define CF_METHOD_MAX     8    /* "email", "sms", "totp" */

struct cf_session_info {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char device_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	char device_status[CF_STATUS_MAX + 1];  /* as the server says */
	char email[CF_EMAIL_MAX + 1];
	uint8_t sign_pk[CF_ID_KEY_BYTES];
	uint8_t enc_pk[CF_ID_KEY_BYTES];
	long idle_timeout_s;                     /* -1: unknown */
	long expires_in_s;                       /* at login; -1: unknown */
	bool keys_verified;                      /* login: the bundle opened
	                                            and its keys match */
};

/* The session stored in the profile (without its token).
 * Errors: CF_ERR_NOT_FOUND/CF_ID_FAIL_NO_SESSION (none, or made for another
 * server), CF_ERR_INVALID (damaged file). */
cf_err cf_session_get(cf_client *client, struct cf_session_info *ret);

/* This profile's device public key; the key is created (Ed25519, file
 * CF_DEVICE_KEY_FILE) on first use when `create`. ret_sk (optional) gets
 * the 64-byte libsodium secret key: keep it in locked memory.
 * Errors: CF_ERR_NOT_FOUND (none and !create), CF_ERR_INVALID (damaged). */
cf_err cf_device_key(cf_client *client, bool create,
                     uint8_t ret_pk[CF_ID_KEY_BYTES], uint8_t *ret_sk);

/* --- enrolment (an invited user) ----------------------------------------- */

struct cf_enrol_invitation {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	struct cf_kdf_params kdf;
};

/* POST /v1/enrol/begin {code, email}: checks the invitation (does not use
 * it up). Errors: CF_ERR_DENIED/CF_ID_FAIL_AUTH (invalid-invitation). */
cf_err cf_enrol_begin(cf_client *client, const char *code, const char *email,
                      struct cf_enrol_invitation *ret,
                      struct cf_id_problem *problem);

struct cf_enrol_params {
	const char *code;            /* invitation code */
	const char *email;
	const char *password;        /* CF_PASSWORD_MIN..MAX bytes */
	size_t password_len;
	const char *pin;             /* 4 to 12 digits */
	size_t pin_len;
	const char *second_factor;   /* "email" (NULL: "email") or "sms" */
	const char *phone;           /* "sms": E.164, "+33612345678" */
	bool device_cert;            /* also send a CSR for a device TLS
	                                certificate (cf_devcert_csr) and store
	                                the certificate that comes back */
};

struct cf_enrol_result {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	char device_id[CF_ID_HEX_LEN + 1];
	char device_status[CF_STATUS_MAX + 1];
	/* device_cert: the stored certificate's SHA-256 (hex); "" when none
	 * was asked for, or when it could not be stored: the enrolment still
	 * succeeded (its recovery code must be shown) and
	 * cf_client_last_error() says why; 'coffre device certificate' can
	 * get one later. */
	char cert_sha256[65];
	long long cert_not_after;
};

/* Derives auth_key/kek from the password with the invitation's parameters,
 * generates the identity keys and a recovery code, seals both bundles for
 * inv->user_id, creates the device key if the profile has none, and sends
 * POST /v1/enrol. *ret_recovery_code (locked memory, "XXXX-…", free with
 * cf_secret_free) must be shown to the user once: it exists nowhere else.
 * Errors: CF_ERR_INVALID (password, PIN, method or phone refused before
 * anything is sent), the server's. */
cf_err cf_enrol_finish(cf_client *client,
                       const struct cf_enrol_invitation *inv,
                       const struct cf_enrol_params *params,
                       struct cf_enrol_result *ret, char **ret_recovery_code,
                       struct cf_id_problem *problem);

/* --- login --------------------------------------------------------------- */

/* A login between the password step and the second factor. Holds the kek
 * (locked memory) to open the key bundle at the end. */
typedef struct cf_login cf_login;

/* prelogin (parameters checked against the coffre-v1 floors and ceilings),
 * Argon2id, then POST /v1/auth/login {email, auth_key, device_pk} (the
 * device key is created on first use). Free *ret with cf_login_free.
 * Errors: CF_ERR_DENIED/CF_ID_FAIL_AUTH (login-failed),
 * CF_ERR_BUSY/CF_ID_FAIL_THROTTLED, CF_ERR_UNSUPPORTED (another kdf). */
cf_err cf_login_begin(cf_client *client, const char *email,
                      const char *password, size_t password_len,
                      cf_login **ret, struct cf_id_problem *problem);

void cf_login_free(cf_login *login);

/* Where the server sent a code ("email", "sms"), or NULL (TOTP, nothing). */
const char *cf_login_sent(const cf_login *login);
/* The methods the server offers, in its order; NULL past the end. */
const char *cf_login_method(const cf_login *login, size_t index);
bool cf_login_offers(const cf_login *login, const char *method);

/* POST /v1/auth/second-factor/send {pending, method}: a code by another
 * method ("email" or "sms"). */
cf_err cf_login_send(cf_client *client, cf_login *login, const char *method,
                     struct cf_id_problem *problem);

/* POST /v1/auth/second-factor {pending, method, code} (6 digits), then
 * opens the returned bundle with the kek and checks its public keys; only
 * then stores the session and the sealed bundle in the profile.
 * Errors: CF_ERR_INVALID (not 6 digits), CF_ERR_DENIED/CF_ID_FAIL_AUTH,
 * CF_ERR_CRYPTO/CF_ID_FAIL_KEYS (nothing stored; the new session is ended
 * on the server). */
cf_err cf_login_finish(cf_client *client, cf_login *login, const char *method,
                       const char *code, size_t code_len,
                       struct cf_session_info *ret,
                       struct cf_id_problem *problem);

/* --- session ------------------------------------------------------------- */

/* POST /v1/auth/unlock {pin}. Errors: CF_ERR_DENIED/CF_ID_FAIL_WRONG_PIN
 * (tries_left), CF_ERR_DENIED/CF_ID_FAIL_WIPED after the 5th. */
cf_err cf_session_unlock(cf_client *client, const char *pin, size_t pin_len,
                         struct cf_id_problem *problem);

enum cf_logout {
	CF_LOGOUT_ENDED = 1,   /* the server ended the session */
	CF_LOGOUT_LOCAL,       /* the server no longer took the token (401) */
	CF_LOGOUT_NONE,        /* there was no session in the profile */
};

/* POST /v1/auth/logout, then removes the session and key bundle from the
 * profile. A token the server no longer takes (401) is removed as well; on
 * a network, TLS or server failure nothing is removed (try again). */
cf_err cf_session_logout(cf_client *client, enum cf_logout *ret,
                         struct cf_id_problem *problem);

/* GET /v1/me: the server's object (new reference). */
cf_err cf_me(cf_client *client, json_t **ret_me,
             struct cf_id_problem *problem);

#endif
