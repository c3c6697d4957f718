/* AES-GCM with a chosen implementation and key size. Private to src/crypto
 * and its unit tests: HPKE needs AES-128-GCM (aead_id 1) and the tests run
 * every vector through both AES-256-GCM back ends, including the GnuTLS one
 * that production only uses on CPUs without AES-NI. Selection is a
 * parameter, never a global switch, so threads cannot disturb each other. */
#ifndef COFFRE_CRYPTO_AEAD_INTERNAL_H
#define COFFRE_CRYPTO_AEAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

enum cf_aes_impl {
	CF_AES_IMPL_AUTO,   /* libsodium when it can (AES-NI, 256-bit), else GnuTLS */
	CF_AES_IMPL_SODIUM, /* CF_ERR_UNSUPPORTED without AES-NI or for 128/192 */
	CF_AES_IMPL_GNUTLS,
};

/* Can `impl` run AES-GCM with a key of key_len bytes on this machine? */
bool cf_aes_gcm_impl_available(enum cf_aes_impl impl, size_t key_len);

/* As cf_aead_seal/cf_aead_open, with key_len 16, 24 or 32 (otherwise
 * CF_ERR_INVALID) and an explicit implementation. Nonce 12 bytes, tag 16. */
cf_err cf_aes_gcm_seal(enum cf_aes_impl impl, uint8_t *ct,
		       const uint8_t *pt, size_t pt_len,
		       const uint8_t *aad, size_t aad_len,
		       const uint8_t nonce[12], const uint8_t *key, size_t key_len);
cf_err cf_aes_gcm_open(enum cf_aes_impl impl, uint8_t *pt,
		       const uint8_t *ct, size_t ct_len,
		       const uint8_t *aad, size_t aad_len,
		       const uint8_t nonce[12], const uint8_t *key, size_t key_len);

#endif
