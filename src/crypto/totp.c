/* HOTP/TOTP. The code is arithmetic on a 31-bit integer, so no string
 * formatting is involved until verification compares digits. */
#include "crypto/totp.h"

#include <string.h>

#include <sodium.h>

#include "crypto/internal.h"

static const uint32_t pow10_table[] = { 1, 10, 100, 1000, 10000, 100000,
					1000000, 10000000, 100000000 };

cf_err cf_hotp(uint32_t *ret_code, enum cf_hmac_alg alg, const uint8_t *key, size_t key_len,
	       uint64_t counter, unsigned digits)
{
	if (ret_code == NULL || key == NULL || key_len < CF_OTP_KEY_MIN ||
	    key_len > CF_OTP_KEY_MAX || digits < CF_OTP_DIGITS_MIN ||
	    digits > CF_OTP_DIGITS_MAX)
		return CF_ERR_INVALID;
	uint8_t msg[8];
	uint8_t mac[CF_HMAC_MAX_BYTES];
	size_t mac_len = 0;
	cf_store_be64(msg, counter);
	cf_err err = cf_hmac(alg, mac, &mac_len, key, key_len, msg, sizeof(msg));
	if (!err) {
		/* RFC 4226 §5.3 dynamic truncation: the low nibble of the last
		 * byte picks 4 bytes; the top bit is dropped. */
		size_t off = mac[mac_len - 1] & 0x0f;
		uint32_t dbc = ((uint32_t)(mac[off] & 0x7f) << 24) |
			       ((uint32_t)mac[off + 1] << 16) |
			       ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
		*ret_code = dbc % pow10_table[digits];
	}
	sodium_memzero(mac, sizeof(mac));
	return err;
}

cf_err cf_totp(uint32_t *ret_code, enum cf_hmac_alg alg, const uint8_t *key, size_t key_len,
	       uint64_t unix_time, unsigned step, unsigned digits)
{
	if (step == 0)
		return CF_ERR_INVALID;
	return cf_hotp(ret_code, alg, key, key_len, unix_time / step, digits);
}

/* Exactly CF_TOTP_DIGITS ASCII digits then NUL; reads at most 7 bytes. */
static cf_err parse_code(char out[CF_TOTP_DIGITS], const char *code)
{
	if (code == NULL)
		return CF_ERR_INVALID;
	for (size_t i = 0; i < CF_TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return CF_ERR_INVALID;
		out[i] = code[i];
	}
	return code[CF_TOTP_DIGITS] == '\0' ? CF_OK : CF_ERR_INVALID;
}

static void format_code(char out[CF_TOTP_DIGITS], uint32_t code)
{
	for (size_t i = CF_TOTP_DIGITS; i-- > 0;) {
		out[i] = (char)('0' + code % 10);
		code /= 10;
	}
}

cf_err cf_totp_verify(const char *code, const uint8_t *key, size_t key_len,
		      uint64_t now, int window, uint64_t *ret_step)
{
	char want[CF_TOTP_DIGITS];
	if (ret_step == NULL || window < 0 || window > CF_TOTP_WINDOW_MAX)
		return CF_ERR_INVALID;
	cf_err err = parse_code(want, code);
	if (err)
		return err;
	uint64_t center = now / CF_TOTP_STEP;
	uint64_t w = (uint64_t)window;
	uint64_t first = center >= w ? center - w : 0;
	uint64_t last = center <= UINT64_MAX - w ? center + w : UINT64_MAX;
	uint64_t found = 0;
	int matched = 0;
	/* No early exit: the time taken does not reveal which step matched. */
	for (uint64_t s = first;; s++) {
		uint32_t value = 0;
		char have[CF_TOTP_DIGITS];
		err = cf_hotp(&value, CF_HMAC_SHA1, key, key_len, s, CF_TOTP_DIGITS);
		if (err)
			break;
		format_code(have, value);
		if (sodium_memcmp(have, want, sizeof(want)) == 0) {
			found = s;
			matched = 1;
		}
		sodium_memzero(have, sizeof(have));
		if (s == last)
			break;
	}
	sodium_memzero(want, sizeof(want));
	if (err)
		return err;
	if (!matched)
		return CF_ERR_CRYPTO;
	*ret_step = found;
	return CF_OK;
}
