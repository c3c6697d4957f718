/* AES-256-GCM content sealing (coffre-v1: 32-byte key, 12-byte nonce,
 * 16-byte tag appended to the ciphertext).
 *
 * libsodium's AES-256-GCM is used when the CPU has AES-NI and CLMUL
 * (crypto_aead_aes256gcm_is_available()); otherwise GnuTLS (nettle) does
 * the same computation, so machines without AES-NI still work and produce
 * identical bytes.
 *
 * Buffers: `ct` holds pt_len + 16 bytes, `pt` holds ct_len - 16 bytes. The
 * input and output may be the same buffer (in-place); they must not
 * otherwise overlap. `aad` may be NULL when aad_len is 0, `pt` when pt_len
 * is 0.
 *
 * Nonces: a (key, nonce) pair must never seal two messages. With one fresh
 * key per object and a random nonce per seal (cf_random_bytes), the caller
 * is safe far beyond coffre's volumes. */
#ifndef COFFRE_CRYPTO_AEAD_H
#define COFFRE_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_AEAD_KEY_BYTES 32
#define CF_AEAD_NONCE_BYTES 12
#define CF_AEAD_TAG_BYTES 16
/* Largest plaintext one seal accepts (GCM's 2^32 - 2 blocks, ~64 GiB). */
#define CF_AEAD_MAX_PT_BYTES ((uint64_t)16 * ((UINT64_C(1) << 32) - 2))

/* Fresh random AES-256-GCM key. */
void cf_aead_keygen(uint8_t key[CF_AEAD_KEY_BYTES]);

/* Seal pt into ct (pt_len + 16 bytes: ciphertext then tag).
 * CF_ERR_INVALID on NULL arguments, CF_ERR_TOO_LARGE above
 * CF_AEAD_MAX_PT_BYTES, CF_ERR_CRYPTO if the AES implementation fails. */
cf_err cf_aead_seal(uint8_t *ct, const uint8_t *pt, size_t pt_len,
		    const uint8_t *aad, size_t aad_len,
		    const uint8_t nonce[CF_AEAD_NONCE_BYTES],
		    const uint8_t key[CF_AEAD_KEY_BYTES]);

/* Open ct (ciphertext then tag) into pt (ct_len - 16 bytes).
 * CF_ERR_INVALID if ct_len < 16 or on NULL arguments; CF_ERR_CRYPTO if the
 * tag does not verify, in which case pt[0..ct_len-16) is wiped (no
 * unauthenticated plaintext is ever left behind). */
cf_err cf_aead_open(uint8_t *pt, const uint8_t *ct, size_t ct_len,
		    const uint8_t *aad, size_t aad_len,
		    const uint8_t nonce[CF_AEAD_NONCE_BYTES],
		    const uint8_t key[CF_AEAD_KEY_BYTES]);

#endif
