/* libcoffre: coffre-v1 identity formats — password and recovery keys,
 * recovery codes, key bundles (keys.c; pure functions, no I/O). */
#ifndef COFFRE_KEYS_H
#define COFFRE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

/* --- coffre-v1 identity formats (bytes that must never drift) ------------ */

#define CF_ID_BYTES_RAW          16   /* ids: 16 bytes ... */
#define CF_ID_HEX_LEN            32   /* ... written as 32 lowercase hex */
#define CF_ID_KEY_BYTES          32   /* auth_key, kek, recovery_auth,
                                         recovery_kek, seeds, public keys */
#define CF_ID_SALT_BYTES         16
#define CF_RECOVERY_CODE_BYTES   20   /* 160 random bits */
#define CF_RECOVERY_CODE_CHARS   32   /* RFC 4648 base32, no padding */
#define CF_RECOVERY_TEXT_LEN     39   /* 8 groups of 4 joined by '-' */
#define CF_BUNDLE_PLAIN_BYTES    64   /* sign_seed (32) ‖ enc_sk (32) */
#define CF_BUNDLE_SEALED_BYTES   92   /* nonce (12) ‖ ciphertext (64) ‖ tag */
#define CF_BUNDLE_AAD_DOMAIN     "coffre-v1 bundle"  /* + its NUL ‖ user id */
#define CF_BUNDLE_AAD_BYTES      (17 + CF_ID_BYTES_RAW)
#define CF_PIN_MIN_DIGITS        4
#define CF_PIN_MAX_DIGITS        12
#define CF_PASSWORD_MIN          8    /* bytes, for new passwords */
#define CF_PASSWORD_MAX          1024 /* bytes */

/* Profile files (mode 0600, written atomically). Never stored: the
 * password, the kek, the recovery code or an unsealed private key. */
#define CF_DEVICE_KEY_FILE  "device.key"  /* "coffre-v1 device\0" ‖ seed */
#define CF_SESSION_FILE     "session"     /* JSON: token, ids, public keys */
#define CF_KEY_BUNDLE_FILE  "key-bundle"  /* JSON: the sealed bundle as the
                                             server returned it */

/* Argon2id parameters and salt from the server (prelogin, enrol/begin,
 * recover/begin, password/salt). */
struct cf_kdf_params {
	uint8_t salt[CF_ID_SALT_BYTES];
	uint32_t t_cost;
	uint32_t m_cost_kib;
};

/* A user's identity: Ed25519 signing and X25519 encryption key pairs.
 * Secret: allocate with cf_identity_keys_new (locked memory), release with
 * cf_identity_keys_free (wiped). */
struct cf_identity_keys {
	uint8_t sign_seed[CF_ID_KEY_BYTES];  /* Ed25519 seed (RFC 8032) */
	uint8_t enc_sk[CF_ID_KEY_BYTES];     /* X25519 secret */
	uint8_t sign_pk[CF_ID_KEY_BYTES];
	uint8_t enc_pk[CF_ID_KEY_BYTES];
};

/* --- pure functions (no I/O; src/client/keys.c) --------------------------- */

/* Zeroed keys in sodium_malloc'ed memory. Errors: CF_ERR_NOMEM. */
cf_err cf_identity_keys_new(struct cf_identity_keys **ret);
/* Wipes and frees. Accepts NULL. */
void cf_identity_keys_free(struct cf_identity_keys *keys);
/* Fresh random key pairs into keys. */
cf_err cf_identity_keys_generate(struct cf_identity_keys *keys);

/* master = Argon2id(password, salt, t, m, p = 1), 32 bytes;
 * auth_key = HKDF-SHA256(master, "", "coffre-v1 auth");
 * kek      = HKDF-SHA256(master, "", "coffre-v1 kek"). master is wiped.
 * Errors: CF_ERR_INVALID (empty password, parameters under the coffre-v1
 * floor t >= 2, m >= 19 MiB), CF_ERR_TOO_LARGE (password over
 * CF_PASSWORD_MAX, parameters over the ceilings of crypto/pwhash.h: a
 * hostile server cannot make us allocate without bound), CF_ERR_NOMEM. */
cf_err cf_id_password_keys(uint8_t ret_auth_key[CF_ID_KEY_BYTES],
                           uint8_t ret_kek[CF_ID_KEY_BYTES],
                           const char *password, size_t len,
                           const struct cf_kdf_params *kdf);

/* recovery_auth = HKDF-SHA256(code, "", "coffre-v1 recovery auth");
 * recovery_kek  = HKDF-SHA256(code, "", "coffre-v1 recovery kek"). */
cf_err cf_id_recovery_keys(uint8_t ret_recovery_auth[CF_ID_KEY_BYTES],
                           uint8_t ret_recovery_kek[CF_ID_KEY_BYTES],
                           const uint8_t code[CF_RECOVERY_CODE_BYTES]);

/* "ABCD-EFGH-…" (8 groups of 4, upper case, NUL-terminated) of the 20
 * bytes, in constant time. */
cf_err cf_recovery_code_format(char ret_text[CF_RECOVERY_TEXT_LEN + 1],
                               const uint8_t code[CF_RECOVERY_CODE_BYTES]);

/* The 20 bytes of a typed recovery code: exactly 32 characters of the RFC
 * 4648 alphabet (A-Z, 2-7) in any case; blanks, tabs and '-' anywhere are
 * ignored; anything else (0, 1, 8, 9, '=', a 33rd character, …) is
 * refused. Constant time in the characters' values. Errors:
 * CF_ERR_INVALID (the reason never quotes the text), CF_ERR_TOO_LARGE
 * (over 256 bytes). ret_code is untouched on failure. */
cf_err cf_recovery_code_parse(uint8_t ret_code[CF_RECOVERY_CODE_BYTES],
                              const char *text, size_t len);

/* "coffre-v1 bundle\0" ‖ user id (16 bytes). */
void cf_bundle_aad(uint8_t ret_aad[CF_BUNDLE_AAD_BYTES],
                   const uint8_t user_id[CF_ID_BYTES_RAW]);

/* nonce (12, random) ‖ AES-256-GCM(key, nonce, aad(user_id),
 * sign_seed ‖ enc_sk). key: the kek or the recovery kek. */
cf_err cf_bundle_seal(uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES],
                      const struct cf_identity_keys *keys,
                      const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW]);

/* Opens a sealed bundle and recomputes both public keys from the secrets.
 * Errors: CF_ERR_INVALID (not CF_BUNDLE_SEALED_BYTES long), CF_ERR_CRYPTO
 * (another key or user id, or altered); ret_keys untouched on failure. */
cf_err cf_bundle_open(struct cf_identity_keys *ret_keys, const uint8_t *sealed,
                      size_t len, const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW]);

/* CF_OK when both public keys are the keys' (constant time), else
 * CF_ERR_CRYPTO. */
cf_err cf_identity_keys_match(const struct cf_identity_keys *keys,
                              const uint8_t sign_pk[CF_ID_KEY_BYTES],
                              const uint8_t enc_pk[CF_ID_KEY_BYTES]);

/* CF_OK for 4 to 12 ASCII digits, else CF_ERR_INVALID. */
cf_err cf_pin_check(const char *pin, size_t len);

/* CF_OK for 32 lowercase hex characters (an id), else CF_ERR_INVALID. */
cf_err cf_id_check(const char *id);

/* Wipes and frees a secret string returned by this section (recovery
 * codes). Accepts NULL. */
void cf_secret_free(char *secret);

#endif
