/* Hex and base64url (no padding) encodings, constant-time (libsodium), bounded. */
#ifndef CF_UTIL_ENCODING_H
#define CF_UTIL_ENCODING_H

#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

/* Length of the base64url text (without NUL) of n bytes, no padding. */
size_t cf_b64url_len(size_t n);

/* Writes the lowercase hex of bin into out (cap >= 2*len+1), NUL-terminated. */
cf_err cf_hex_encode(char *out, size_t cap, const uint8_t *bin, size_t len);

/* Decodes exactly out_len bytes of hex (upper or lower case) from the first
 * in_len characters of in; anything else (odd length, other characters,
 * wrong length) is CF_ERR_INVALID and out is untouched. */
cf_err cf_hex_decode(uint8_t *out, size_t out_len, const char *in, size_t in_len);

/* base64url without padding; cap >= cf_b64url_len(len)+1. */
cf_err cf_b64url_encode(char *out, size_t cap, const uint8_t *bin, size_t len);

/* Decodes base64url without padding; strict (no padding, no whitespace, no
 * trailing garbage). Writes at most cap bytes, *ret_len gets the length. */
cf_err cf_b64url_decode(uint8_t *out, size_t cap, size_t *ret_len,
                        const char *in, size_t in_len);

/* Standard base64 (RFC 4648 §4, '+' '/', with '=' padding), as C2SP signed
 * notes and verifier keys write it; strict like cf_b64url_decode. */
cf_err cf_b64_decode(uint8_t *out, size_t cap, size_t *ret_len, const char *in, size_t in_len);

/* RFC 4648 base32 (A-Z2-7), no padding. encode: cap >= ceil(len*8/5)+1. */
cf_err cf_base32_encode(char *out, size_t cap, const uint8_t *bin, size_t len);
/* Decodes exactly out_len bytes from text, ignoring '-' and spaces, case-
 * insensitive; anything else is CF_ERR_INVALID and out is untouched. */
cf_err cf_base32_decode(uint8_t *out, size_t out_len, const char *text);

#endif
