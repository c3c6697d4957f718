/* libcoffre: the account of the logged-in user — recovery, password,
 * recovery code, TOTP, PIN, phone (account.c). */
#ifndef COFFRE_ACCOUNT_H
#define COFFRE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/identity.h"

/* --- recovery and password ----------------------------------------------- */

/* A recovery between opening the recovery bundle and setting the password;
 * holds the identity keys (locked memory). */
typedef struct cf_recovery cf_recovery;

/* POST /v1/auth/recover/begin {email} (the recovery bundle and the
 * Argon2id parameters), parses the recovery code, POST
 * /v1/auth/recover/verify {email, recovery_auth} (the user id, only for the
 * right code; counted as a password attempt) and opens the recovery bundle
 * with the code's recovery kek. A wrong code and an unknown address look
 * the same (CF_ERR_DENIED/CF_ID_FAIL_AUTH). */
cf_err cf_recover_begin(cf_client *client, const char *email,
                        const char *code_text, size_t code_len,
                        cf_recovery **ret, struct cf_id_problem *problem);

/* Derives the new keys with the salt from recover/begin, seals the same
 * identity keys with the new kek, makes the next recovery code (the one
 * used is spent) and sends POST /v1/auth/recover; every session of the
 * user ends. *ret_code: the new code's text, to show once, freed with
 * cf_secret_free (as cf_enrol_finish). The profile's bundle for that user,
 * now stale, is removed. */
cf_err cf_recover_finish(cf_client *client, cf_recovery *rec,
                         const char *new_password, size_t len,
                         char **ret_code, struct cf_id_problem *problem);

void cf_recovery_free(cf_recovery *rec);

/* The old password opens the profile's bundle (else CF_ID_FAIL_AUTH and
 * nothing is sent); POST /v1/auth/password/salt, new keys, the same
 * identity keys sealed with the new kek, POST /v1/auth/password; the
 * profile's bundle is replaced. */
cf_err cf_password_change(cf_client *client, const char *old_password,
                          size_t old_len, const char *new_password,
                          size_t new_len, struct cf_id_problem *problem);

/* The password opens the profile's bundle; a new recovery code, its
 * recovery bundle, POST /v1/me/recovery-code with the password's auth_key
 * as the fresh proof. *ret_code as in cf_enrol_finish; the old code stops
 * working. */
cf_err cf_recovery_code_regenerate(cf_client *client, const char *password,
                                   size_t len, char **ret_code,
                                   struct cf_id_problem *problem);

/* --- second factors, PIN, phone ------------------------------------------ */

#define CF_TOTP_SECRET_MAX 128
#define CF_TOTP_URI_MAX    1024

/* TOTP setup from POST /v1/me/totp/begin. Secret: wipe it after use
 * (sodium_memzero). */
struct cf_totp_setup {
	char secret[CF_TOTP_SECRET_MAX + 1];   /* base32 */
	char uri[CF_TOTP_URI_MAX + 1];         /* otpauth://totp/… */
};

cf_err cf_totp_begin(cf_client *client, struct cf_totp_setup *ret,
                     struct cf_id_problem *problem);
/* POST /v1/me/totp {code}: TOTP is enabled once a code checks. */
cf_err cf_totp_confirm(cf_client *client, const char *code, size_t len,
                       struct cf_id_problem *problem);
/* Turning TOTP off, a new PIN and a new phone number need a fresh proof
 * (DESIGN §5.3). With a password (not NULL), it must open this device's key
 * bundle (else CF_ID_FAIL_AUTH and nothing is sent) and its auth_key goes
 * with the request. With NULL, the server accepts the change only within 5
 * minutes of the session's second factor; later it answers
 * CF_ERR_DENIED with problem->type "fresh-proof-required": ask for the
 * password and call again. The account's address is told of each change. */

/* DELETE /v1/me/totp [{auth_key}]. */
cf_err cf_totp_disable(cf_client *client, const char *password, size_t len,
                       struct cf_id_problem *problem);

/* POST /v1/me/pin {pin[, auth_key]}. */
cf_err cf_pin_change(cf_client *client, const char *pin, size_t len,
                     const char *password, size_t password_len,
                     struct cf_id_problem *problem);

/* PUT /v1/me/phone {phone[, auth_key]}; phone: '+' and 8 to 15 digits. */
cf_err cf_phone_set(cf_client *client, const char *phone,
                    const char *password, size_t password_len,
                    struct cf_id_problem *problem);

#endif
