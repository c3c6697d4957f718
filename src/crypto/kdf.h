/* HKDF-SHA256 (RFC 5869) and HMAC (SHA-256 and SHA-512 on libsodium,
 * SHA-1 on GnuTLS because libsodium has none; SHA-1 serves TOTP only).
 *
 * All functions write their output only on success. Pointers to variable
 * inputs may be NULL when their length is 0. Keys of any length are
 * accepted (HMAC hashes keys longer than the block size). */
#ifndef COFFRE_CRYPTO_KDF_H
#define COFFRE_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_HKDF_SHA256_PRK_BYTES 32
#define CF_HKDF_SHA256_MAX_BYTES (255 * 32)
#define CF_HMAC_SHA256_BYTES 32
#define CF_HMAC_MAX_BYTES 64 /* SHA-512, the longest cf_hmac output */
/* Shortest truncated tag cf_hmac_sha256_verify accepts (128 bits). */
#define CF_HMAC_SHA256_MIN_TAG_BYTES 16

enum cf_hmac_alg {
	CF_HMAC_SHA1,
	CF_HMAC_SHA256,
	CF_HMAC_SHA512,
};

/* PRK = HMAC-SHA256(salt, ikm); an empty salt means 32 zero bytes. */
cf_err cf_hkdf_sha256_extract(uint8_t prk[CF_HKDF_SHA256_PRK_BYTES],
			      const uint8_t *salt, size_t salt_len,
			      const uint8_t *ikm, size_t ikm_len);

/* OKM of out_len bytes. CF_ERR_INVALID if out_len > 255 * 32; out_len 0
 * is allowed and writes nothing. `out` may alias `prk`. */
cf_err cf_hkdf_sha256_expand(uint8_t *out, size_t out_len,
			     const uint8_t prk[CF_HKDF_SHA256_PRK_BYTES],
			     const uint8_t *info, size_t info_len);

/* Extract then expand. The intermediate PRK is wiped. */
cf_err cf_hkdf_sha256(uint8_t *out, size_t out_len,
		      const uint8_t *ikm, size_t ikm_len,
		      const uint8_t *salt, size_t salt_len,
		      const uint8_t *info, size_t info_len);

cf_err cf_hmac_sha256(uint8_t out[CF_HMAC_SHA256_BYTES],
		      const uint8_t *key, size_t key_len,
		      const uint8_t *msg, size_t msg_len);

/* Verify a full or truncated (leftmost tag_len bytes, RFC 2104 §5)
 * HMAC-SHA256 tag in constant time. CF_ERR_INVALID if tag_len is outside
 * [16, 32]; CF_ERR_CRYPTO if the tag does not match. */
cf_err cf_hmac_sha256_verify(const uint8_t *tag, size_t tag_len,
			     const uint8_t *key, size_t key_len,
			     const uint8_t *msg, size_t msg_len);

/* Output length of `alg` in bytes (20, 32 or 64), 0 if unknown. */
size_t cf_hmac_bytes(enum cf_hmac_alg alg);

/* HMAC with the chosen hash. `out` must hold cf_hmac_bytes(alg) bytes
 * (CF_HMAC_MAX_BYTES always suffices); *ret_len receives that length.
 * CF_ERR_INVALID for an unknown algorithm, CF_ERR_CRYPTO if GnuTLS fails. */
cf_err cf_hmac(enum cf_hmac_alg alg, uint8_t *out, size_t *ret_len,
	       const uint8_t *key, size_t key_len,
	       const uint8_t *msg, size_t msg_len);

#endif
