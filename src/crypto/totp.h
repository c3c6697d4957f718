/* One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238).
 *
 * coffre's profile (DESIGN §4): HMAC-SHA1, 6 digits, 30-second steps,
 * T0 = 0, a window of ±1 step, each code usable once. cf_totp_verify
 * implements that profile and returns the matched step; the caller stores
 * it and refuses any later code whose step is not greater (single use). */
#ifndef COFFRE_CRYPTO_TOTP_H
#define COFFRE_CRYPTO_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"
#include "crypto/kdf.h"

#define CF_TOTP_DIGITS 6
#define CF_TOTP_STEP 30
#define CF_TOTP_WINDOW 1       /* coffre's window, in steps each side */
#define CF_TOTP_WINDOW_MAX 10  /* the largest window cf_totp_verify accepts */
#define CF_OTP_DIGITS_MIN 6    /* RFC 4226 R4 */
#define CF_OTP_DIGITS_MAX 8
#define CF_OTP_KEY_MIN 16      /* RFC 4226 R6: at least 128 bits */
#define CF_OTP_KEY_MAX 1024

/* *ret_code = HOTP(key, counter) with `digits` digits (6..8) and the given
 * HMAC. CF_ERR_INVALID for other digit counts, a key shorter than 16 or
 * longer than 1024 bytes, or NULL arguments. */
cf_err cf_hotp(uint32_t *ret_code, enum cf_hmac_alg alg, const uint8_t *key, size_t key_len,
	       uint64_t counter, unsigned digits);

/* *ret_code = HOTP(key, floor(unix_time / step)). CF_ERR_INVALID if step
 * is 0, otherwise as cf_hotp. */
cf_err cf_totp(uint32_t *ret_code, enum cf_hmac_alg alg, const uint8_t *key, size_t key_len,
	       uint64_t unix_time, unsigned step, unsigned digits);

/* Check a user-typed code against coffre's profile (SHA1, 6 digits, 30 s)
 * for every step in [now/30 - window, now/30 + window], comparing each in
 * constant time and always computing the whole window.
 * `code` must be exactly 6 ASCII digits, NUL-terminated (else
 * CF_ERR_INVALID; no more than 7 bytes are read). window in
 * [0, CF_TOTP_WINDOW_MAX] (else CF_ERR_INVALID).
 * CF_OK and *ret_step = the matching step (the latest, should two match);
 * CF_ERR_CRYPTO if no step matches. */
cf_err cf_totp_verify(const char *code, const uint8_t *key, size_t key_len,
		      uint64_t now, int window, uint64_t *ret_step);

#endif
