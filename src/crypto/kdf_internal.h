/* HKDF over inputs given in pieces. HPKE's LabeledExtract/LabeledExpand
 * prefix a version string, a suite id and a label to caller data; hashing
 * the pieces in sequence avoids concatenating them into a buffer (no size
 * cap, no secret copy to wipe). Private to src/crypto. */
#ifndef COFFRE_CRYPTO_KDF_INTERNAL_H
#define COFFRE_CRYPTO_KDF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

struct cf_span {
	const uint8_t *p; /* may be NULL when n is 0 */
	size_t n;
};

/* prk = HMAC-SHA256(salt, ikm[0] ‖ ikm[1] ‖ ...). CF_ERR_INVALID on a
 * (NULL, n > 0) piece. */
cf_err cf_hkdf_extract_parts(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
			     const struct cf_span *ikm, size_t n_ikm);

/* HKDF-Expand(prk, info[0] ‖ info[1] ‖ ..., out_len).
 * CF_ERR_INVALID if out_len > 255 * 32. `out` may alias `prk`. */
cf_err cf_hkdf_expand_parts(uint8_t *out, size_t out_len, const uint8_t prk[32],
			    const struct cf_span *info, size_t n_info);

#endif
