/* coffre crypto core: initialisation, randomness, SHA-256.
 *
 * Everything under src/crypto/ is pure: no I/O, no logging, no global state
 * beyond libsodium's own initialisation. Functions return a cf_err; outputs
 * are written only on success unless a header says otherwise. Every entry
 * point of the module may assume cf_crypto_init() returned CF_OK earlier in
 * the program (call it once from main, before any thread is started or after,
 * it does not matter: it is idempotent and thread-safe). */
#ifndef COFFRE_CRYPTO_CRYPTO_H
#define COFFRE_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "coffre/error.h"

#define CF_ID_BYTES 16
#define CF_SHA256_BYTES 32

/* Initialise libsodium (sodium_init). GnuTLS, used for the few algorithms
 * libsodium lacks, initialises itself when the program loads. Idempotent and thread-safe. CF_ERR_RANDOM if libsodium cannot start
 * (in practice: no source of randomness). */
cf_err cf_crypto_init(void);

/* Fill out[0..len) with bytes from the system CSPRNG.
 * CF_ERR_INVALID if out is NULL and len > 0. libsodium aborts the process
 * rather than return weak bytes, so CF_ERR_RANDOM is never seen once
 * cf_crypto_init() succeeded. */
cf_err cf_random_bytes(uint8_t *out, size_t len);

/* A fresh random 16-byte id (coffre ids: users, records, files, ...). */
void cf_random_id(uint8_t out[CF_ID_BYTES]);

/* One-shot SHA-256. `in` may be NULL when len is 0. */
void cf_sha256(uint8_t out[CF_SHA256_BYTES], const uint8_t *in, size_t len);

/* Multi-part SHA-256. The state holds no secret of its own, but may hold
 * buffered input: cf_sha256_final() wipes it. Reuse after final requires
 * a new cf_sha256_init(). */
typedef struct cf_sha256_state {
	crypto_hash_sha256_state st;
} cf_sha256_state;

void cf_sha256_init(cf_sha256_state *state);
void cf_sha256_update(cf_sha256_state *state, const uint8_t *in, size_t len);
void cf_sha256_final(cf_sha256_state *state, uint8_t out[CF_SHA256_BYTES]);

#endif
