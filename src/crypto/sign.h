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

/* The device proof of a login (coffre-v1, DESIGN §5.3): the device's
 * signature over "coffre-v1 device proof\0" ‖ pending login id (16 bytes)
 * ‖ server nonce (32 bytes). The server sends the nonce with the pending
 * login; the signature shows the client holds the device key it names. */
#define CF_DEVICE_PROOF_DOMAIN_BYTES 23   /* "coffre-v1 device proof" and its NUL */
#define CF_DEVICE_PROOF_PENDING_BYTES 16
#define CF_DEVICE_PROOF_NONCE_BYTES 32
#define CF_DEVICE_PROOF_MSG_BYTES \
	(CF_DEVICE_PROOF_DOMAIN_BYTES + CF_DEVICE_PROOF_PENDING_BYTES + CF_DEVICE_PROOF_NONCE_BYTES)

/* The signed message of a device proof. */
void cf_device_proof_message(uint8_t out[CF_DEVICE_PROOF_MSG_BYTES],
			     const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			     const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES]);

/* Signs / verifies a device proof; errors as cf_sign_detached / cf_sign_verify. */
cf_err cf_device_proof_sign(uint8_t sig[CF_SIGN_BYTES],
			    const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			    const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES],
			    const uint8_t sk[CF_SIGN_SK_BYTES]);
cf_err cf_device_proof_verify(const uint8_t sig[CF_SIGN_BYTES],
			      const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			      const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES],
			      const uint8_t pk[CF_SIGN_PK_BYTES]);

#endif
