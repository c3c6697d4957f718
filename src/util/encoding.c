#include "util/encoding.h"

#include <sodium.h>
#include <string.h>

size_t cf_b64url_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

cf_err cf_hex_encode(char *out, size_t cap, const uint8_t *bin, size_t len)
{
	if (len > (SIZE_MAX - 1) / 2 || cap < 2 * len + 1)
		return CF_ERR_TOO_LARGE;
	sodium_bin2hex(out, cap, bin, len);
	return CF_OK;
}

cf_err cf_hex_decode(uint8_t *out, size_t out_len, const char *in, size_t in_len)
{
	uint8_t tmp[256];
	size_t got = 0;
	const char *end = NULL;

	if (in_len != 2 * out_len || out_len > sizeof(tmp))
		return CF_ERR_INVALID;
	if (sodium_hex2bin(tmp, sizeof(tmp), in, in_len, NULL, &got, &end) != 0 ||
	    got != out_len || end != in + in_len)
		return CF_ERR_INVALID;
	memcpy(out, tmp, out_len);
	sodium_memzero(tmp, sizeof(tmp));
	return CF_OK;
}

cf_err cf_b64url_encode(char *out, size_t cap, const uint8_t *bin, size_t len)
{
	if (cap < cf_b64url_len(len) + 1)
		return CF_ERR_TOO_LARGE;
	sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return CF_OK;
}

/* 0 when c is one of the 64 characters of the alphabet (A-Z a-z 0-9 and
 * c62, c63), or pad when pad is not 0; else non-zero. Without branches on c,
 * like libsodium's own decoder (key material goes through here). */
static unsigned b64_bad_char(unsigned char c, unsigned c62, unsigned c63, unsigned pad)
{
	unsigned x = c;
	/* in_range(lo, hi) is 1 when lo <= x <= hi, computed with borrows */
#define IN_RANGE(lo, hi) ((((x - (lo)) | ((hi) - x)) >> 8 & 1u) ^ 1u)
	unsigned ok = IN_RANGE('A', 'Z') | IN_RANGE('a', 'z') | IN_RANGE('0', '9') |
		IN_RANGE(c62, c62) | IN_RANGE(c63, c63) | (IN_RANGE(pad, pad) & (pad != 0));
#undef IN_RANGE
	return ok ^ 1u;
}

cf_err cf_b64url_decode(uint8_t *out, size_t cap, size_t *ret_len,
                        const char *in, size_t in_len)
{
	size_t got = 0;
	const char *end = NULL;

	/* libsodium 1.0.18 decodes any byte >= 0x80 as '_' (found by
	 * tests/fuzz/fuzz_encoding.c): check the alphabet first, so each byte
	 * string has one spelling only. */
	unsigned bad = 0;
	for (size_t i = 0; i < in_len; i++)
		bad |= b64_bad_char((unsigned char)in[i], '-', '_', 0);
	if (bad)
		return CF_ERR_INVALID;
	if (sodium_base642bin(out, cap, in, in_len, NULL, &got, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + in_len)
		return CF_ERR_INVALID;
	*ret_len = got;
	return CF_OK;
}

cf_err cf_b64_decode(uint8_t *out, size_t cap, size_t *ret_len, const char *in, size_t in_len)
{
	size_t got = 0;
	const char *end = NULL;

	/* The same libsodium 1.0.18 flaw as above (bytes >= 0x80 taken as '/'). */
	unsigned bad = 0;
	for (size_t i = 0; i < in_len; i++)
		bad |= b64_bad_char((unsigned char)in[i], '+', '/', '=');
	if (bad)
		return CF_ERR_INVALID;
	if (sodium_base642bin(out, cap, in, in_len, NULL, &got, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != in + in_len)
		return CF_ERR_INVALID;
	*ret_len = got;
	return CF_OK;
}

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

cf_err cf_base32_encode(char *out, size_t cap, const uint8_t *bin, size_t len)
{
	size_t need = (len * 8 + 4) / 5;
	if (cap < need + 1)
		return CF_ERR_TOO_LARGE;
	size_t o = 0;
	unsigned buffer = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | bin[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return CF_OK;
}

cf_err cf_base32_decode(uint8_t *out, size_t out_len, const char *text)
{
	uint8_t tmp[64];
	if (out_len > sizeof(tmp))
		return CF_ERR_INVALID;
	size_t o = 0;
	unsigned buffer = 0, bits = 0;
	for (const char *p = text; *p; p++) {
		char c = *p;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		const char *at = c ? strchr(b32_alphabet, c) : NULL;
		if (!at)
			return CF_ERR_INVALID;
		buffer = (buffer << 5) | (unsigned)(at - b32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o == out_len)
				return CF_ERR_INVALID; /* too long */
			tmp[o++] = (uint8_t)(buffer >> (bits - 8));
			bits -= 8;
		}
		buffer &= (1u << bits) - 1;
	}
	/* the right length, and no stray non-zero bits left over */
	if (o != out_len || bits >= 5 || buffer != 0)
		return CF_ERR_INVALID;
	memcpy(out, tmp, out_len);
	sodium_memzero(tmp, sizeof(tmp));
	return CF_OK;
}
