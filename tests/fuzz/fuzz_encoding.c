/* libFuzzer target: hex, base64url and base32 decoders (util/encoding.h),
 * which read ids, keys and blobs from requests and answers.
 * Invariants: no crash, no write past the cap; what decodes re-encodes to
 * the same text (canonical: base64url is strict about the unused bits);
 * standard base64 accepts nothing outside its alphabet. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 2 * CAP)
		return 0;
	uint8_t mode = data[0];
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	static uint8_t bin[CAP + 16];
	static char text[2 * CAP + 16];

	/* base64url into a cap taken from the mode byte, with a guard after it. */
	size_t cap = (mode & 0x80) ? (size_t)(mode & 0x7f) : CAP;
	memset(bin, 0xA5, sizeof(bin));
	size_t got = 0;
	if (cf_b64url_decode(bin, cap, &got, in, n) == CF_OK) {
		if (got > cap)
			abort();
		if (cf_b64url_encode(text, sizeof(text), bin, got) != CF_OK ||
		    strlen(text) != n || memcmp(text, in, n) != 0)
			abort();
	}
	for (size_t i = cap; i < sizeof(bin); i++)
		if (bin[i] != 0xA5)
			abort();

	/* standard base64 (signed notes, verifier keys): only its alphabet. */
	if (cf_b64_decode(bin, cap, &got, in, n) == CF_OK) {
		if (got > cap)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
			            in[i]) || in[i] == '\0')
				abort();
	}

	/* hex: exactly n/2 bytes. */
	if (n % 2 == 0 && n / 2 <= CAP && cf_hex_decode(bin, n / 2, in, n) == CF_OK) {
		if (cf_hex_encode(text, sizeof(text), bin, n / 2) != CF_OK ||
		    strncasecmp(text, in, n) != 0)
			abort();
	}
	(void)cf_hex_decode(bin, 16, in, n);

	/* base32 (TOTP secrets): a NUL-terminated text. */
	if (n < 256) {
		char b32[256];
		memcpy(b32, in, n);
		b32[n] = '\0';
		(void)cf_base32_decode(bin, 20, b32);
		(void)cf_base32_decode(bin, (size_t)(mode & 0x3f), b32);
	}
	return 0;
}
