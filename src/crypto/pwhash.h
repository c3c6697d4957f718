/* Argon2id (libsodium: version 1.3, one lane, p = 1) for the client's
 * password → master key step, the HKDF split of that master key into the
 * server-facing auth key and the key-bundle KEK, and the server-side
 * encoded verifier strings for auth keys, PINs and recovery codes.
 *
 * Parameter floors are coffre-v1's (DESIGN §4): t >= 2, m >= 19 MiB.
 * Ceilings keep a hostile server from making a client allocate without
 * bound (the parameters come from the prelogin answer). */
#ifndef COFFRE_CRYPTO_PWHASH_H
#define COFFRE_CRYPTO_PWHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_ARGON2_SALT_BYTES 16
#define CF_ARGON2_T_MIN 2
#define CF_ARGON2_T_MAX 64
#define CF_ARGON2_M_MIN_KIB (19u * 1024u)          /* 19 MiB */
#define CF_ARGON2_M_MAX_KIB (4u * 1024u * 1024u)   /* 4 GiB */
#define CF_ARGON2_OUT_MIN 16
#define CF_ARGON2_OUT_MAX 64
/* Longest password / secret accepted by this module. */
#define CF_PWHASH_INPUT_MAX 4096

/* Verifier strings: "$argon2id$v=19$m=...,t=...,p=1$salt$hash", NUL
 * terminated, at most CF_PWHASH_STR_BYTES including the NUL. */
#define CF_PWHASH_STR_BYTES 128
#define CF_PWHASH_STR_T CF_ARGON2_T_MIN
#define CF_PWHASH_STR_M_KIB CF_ARGON2_M_MIN_KIB

#define CF_CLIENT_KEY_BYTES 32

/* out[0..out_len) = Argon2id(pw, salt, t_cost, m_cost_kib, p = 1).
 * CF_ERR_INVALID: out_len outside [16, 64], t < 2, m < 19 MiB, NULL
 * arguments. CF_ERR_TOO_LARGE: t or m above the ceilings, pw_len above
 * CF_PWHASH_INPUT_MAX. CF_ERR_NOMEM if the memory cannot be had.
 * `out` is untouched on failure. */
cf_err cf_argon2id(uint8_t *out, size_t out_len, const uint8_t *pw, size_t pw_len,
		   const uint8_t salt[CF_ARGON2_SALT_BYTES],
		   uint32_t t_cost, uint32_t m_cost_kib);

/* auth_key = HKDF-SHA256(master, salt = "", info = "coffre-v1 auth", 32),
 * kek      = HKDF-SHA256(master, salt = "", info = "coffre-v1 kek", 32).
 * Both outputs are written only on success. */
cf_err cf_client_keys_derive(uint8_t auth_key[CF_CLIENT_KEY_BYTES],
			     uint8_t kek[CF_CLIENT_KEY_BYTES],
			     const uint8_t master[CF_CLIENT_KEY_BYTES]);

/* Encoded Argon2id verifier of a secret with a fresh random salt and
 * t = CF_PWHASH_STR_T, m = CF_PWHASH_STR_M_KIB. CF_ERR_TOO_LARGE above
 * CF_PWHASH_INPUT_MAX, CF_ERR_NOMEM if hashing cannot get its memory. */
cf_err cf_pwhash_str(char out[CF_PWHASH_STR_BYTES], const uint8_t *secret, size_t len);

/* CF_OK if `secret` matches the verifier string, CF_ERR_CRYPTO if not
 * (a string that starts like Argon2id but does not decode counts as "not").
 * CF_ERR_INVALID if `str` lacks the "$argon2id$" prefix or a NUL within
 * CF_PWHASH_STR_BYTES. Takes as long as the string's parameters say. */
cf_err cf_pwhash_str_verify(const char *str, const uint8_t *secret, size_t len);

/* *ret = true if `str` was made with other parameters than today's
 * (the caller re-hashes after the next successful verification). */
cf_err cf_pwhash_str_needs_rehash(const char *str, bool *ret);

#endif
