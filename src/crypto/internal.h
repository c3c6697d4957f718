/* Private helpers of src/crypto. Not installed, not for other modules. */
#ifndef COFFRE_CRYPTO_INTERNAL_H
#define COFFRE_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* One byte to point at when a caller passes (NULL, 0): libsodium and GnuTLS
 * do not promise to accept NULL even for empty inputs, and memcpy(NULL, 0)
 * is undefined behaviour. */
extern const uint8_t cf_empty_byte[1];

static inline const uint8_t *cf_or_empty(const uint8_t *p)
{
	return p != NULL ? p : cf_empty_byte;
}

/* A (pointer, length) pair is usable when the pointer is set or the length
 * is zero. */
static inline int cf_span_ok(const void *p, size_t len)
{
	return p != NULL || len == 0;
}

/* Big-endian encodings used by HPKE labels, nonces and OTP counters. */
static inline void cf_store_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static inline void cf_store_be16(uint8_t out[2], uint16_t v)
{
	out[0] = (uint8_t)(v >> 8);
	out[1] = (uint8_t)(v & 0xff);
}

#endif
