/* Ed25519 (pure, RFC 8032) signatures on libsodium.
 *
 * Verification is strict: it rejects S >= L (malleability), non-canonical
 * and small-order public keys and R values, and any signature that is not
 * exactly 64 bytes (the type says so: callers decoding a signature from the
 * wire must refuse other lengths themselves). The secret key is libsodium's
 * 64-byte form (seed ‖ public key); callers own it and should keep it in
 * wiped or sodium_malloc'ed memory. */
#ifndef COFFRE_CRYPTO_SIGN_H
#define COFFRE_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_SIGN_PK_BYTES 32
#define CF_SIGN_SK_BYTES 64
#define CF_SIGN_SEED_BYTES 32
#define CF_SIGN_BYTES 64

/* Fresh random key pair. CF_ERR_INVALID on NULL. */
cf_err cf_sign_keypair(uint8_t pk[CF_SIGN_PK_BYTES], uint8_t sk[CF_SIGN_SK_BYTES]);

/* Key pair from a 32-byte seed (RFC 8032 private key). */
cf_err cf_sign_seed_keypair(uint8_t pk[CF_SIGN_PK_BYTES], uint8_t sk[CF_SIGN_SK_BYTES],
			    const uint8_t seed[CF_SIGN_SEED_BYTES]);

/* Detached signature of msg[0..len). `msg` may be NULL when len is 0. */
cf_err cf_sign_detached(uint8_t sig[CF_SIGN_BYTES], const uint8_t *msg, size_t len,
			const uint8_t sk[CF_SIGN_SK_BYTES]);

/* CF_OK if sig is a valid signature of msg under pk, CF_ERR_CRYPTO if not
 * (including malformed keys and signatures), CF_ERR_INVALID on NULL. */
cf_err cf_sign_verify(const uint8_t sig[CF_SIGN_BYTES], const uint8_t *msg, size_t len,
		      const uint8_t pk[CF_SIGN_PK_BYTES]);

#endif
