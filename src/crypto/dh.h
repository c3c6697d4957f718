/* X25519 (RFC 7748) key agreement on libsodium.
 *
 * cf_x25519 refuses an all-zero shared secret (a small-order peer key), as
 * RFC 9180 §7.1.4 requires of HPKE's DHKEM. Secret keys are 32 raw bytes;
 * the scalar is clamped inside the function, never in the stored key. */
#ifndef COFFRE_CRYPTO_DH_H
#define COFFRE_CRYPTO_DH_H

#include <stdint.h>

#include "coffre/error.h"

#define CF_X25519_BYTES 32

/* Fresh random key pair. */
cf_err cf_x25519_keypair(uint8_t pk[CF_X25519_BYTES], uint8_t sk[CF_X25519_BYTES]);

/* Public key of a secret key. */
cf_err cf_x25519_public(uint8_t pk[CF_X25519_BYTES], const uint8_t sk[CF_X25519_BYTES]);

/* out = X25519(sk, pk). CF_ERR_CRYPTO if the result is all zeros (pk of
 * small order); out is then untouched. CF_ERR_INVALID on NULL. */
cf_err cf_x25519(uint8_t out[CF_X25519_BYTES], const uint8_t sk[CF_X25519_BYTES],
		 const uint8_t pk[CF_X25519_BYTES]);

#endif
