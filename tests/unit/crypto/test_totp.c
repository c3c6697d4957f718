/* TOTP/HOTP: the RFC 6238 table (SHA1/SHA256/SHA512, 8 digits), the RFC
 * 4226 HOTP codes, the derived 6-digit SHA1 values, and coffre's verifier
 * (window, single-use step, input format). */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/totp.h"

static uint32_t parse_digits(const char *s)
{
	uint32_t v = 0;
	for (; *s; s++) {
		assert_true(*s >= '0' && *s <= '9');
		v = v * 10 + (uint32_t)(*s - '0');
	}
	return v;
}

static enum cf_hmac_alg alg_of(const char *mode)
{
	if (strcmp(mode, "SHA1") == 0)
		return CF_HMAC_SHA1;
	if (strcmp(mode, "SHA256") == 0)
		return CF_HMAC_SHA256;
	if (strcmp(mode, "SHA512") == 0)
		return CF_HMAC_SHA512;
	fail_msg("unknown mode %s", mode);
	return CF_HMAC_SHA1;
}

static uint8_t *seed_of(const json_t *root, const char *mode, size_t *len)
{
	return vec_hex(json_object_get(json_object_get(root, "seeds"), mode), "hex", len);
}

static void test_rfc6238_table(void **state)
{
	(void)state;
	json_t *root = vec_load("totp-rfc6238.json", false);
	unsigned n = 0;
	size_t i;
	const json_t *t;
	json_array_foreach(json_object_get(root, "tests"), i, t) {
		const char *mode = vec_str(t, "mode");
		size_t key_len;
		uint8_t *key = seed_of(root, mode, &key_len);
		uint64_t time = (uint64_t)vec_int(t, "time");
		uint32_t code = 0;
		assert_int_equal(cf_totp(&code, alg_of(mode), key, key_len, time, 30, 8), CF_OK);
		if (code != parse_digits(vec_str(t, "totp")))
			fail_msg("totp %s at %llu: got %08u", mode, (unsigned long long)time, code);
		/* the counter is T of the table */
		uint8_t t_be[8], want_t[8];
		vec_hex_exact(want_t, 8, vec_str(t, "T_hex"));
		for (int b = 0; b < 8; b++)
			t_be[b] = (uint8_t)((time / 30) >> (56 - 8 * b));
		assert_memory_equal(t_be, want_t, 8);
		free(key);
		n++;
	}
	assert_int_equal(n, 18);

	const json_t *hotp = json_object_get(root, "rfc4226_hotp");
	const char *secret = vec_str(hotp, "secret_ascii");
	const char *counter;
	const json_t *code_node;
	unsigned h = 0;
	json_object_foreach((json_t *)json_object_get(hotp, "codes_by_counter"), counter, code_node) {
		uint32_t code = 0;
		assert_int_equal(cf_hotp(&code, CF_HMAC_SHA1, (const uint8_t *)secret, strlen(secret),
					 parse_digits(counter), 6), CF_OK);
		assert_int_equal(code, parse_digits(json_string_value(code_node)));
		h++;
	}
	assert_int_equal(h, 10);

	unsigned d = 0;
	size_t key_len;
	uint8_t *key = seed_of(root, "SHA1", &key_len);
	json_array_foreach(json_object_get(json_object_get(root, "derived_sha1_6_digit"), "tests"),
			   i, t) {
		uint64_t time = (uint64_t)vec_int(t, "time"), step = 0;
		const char *want = vec_str(t, "totp6");
		uint32_t code = 0;
		assert_int_equal(cf_totp(&code, CF_HMAC_SHA1, key, key_len, time, 30, 6), CF_OK);
		assert_int_equal(code, parse_digits(want));
		assert_int_equal(cf_totp_verify(want, key, key_len, time, CF_TOTP_WINDOW, &step), CF_OK);
		assert_int_equal(step, time / 30);
		d++;
	}
	assert_int_equal(d, 6);
	free(key);
	json_decref(root);
	vec_report("totp", "checked %u RFC 6238 TOTP (8 digits, SHA1/256/512), %u RFC 4226 HOTP, "
		   "%u derived 6-digit SHA1 (computed and verified); skipped 0", n, h, d);
}

static void code_at(char out[7], const uint8_t *key, uint64_t step)
{
	uint32_t v = 0;
	assert_int_equal(cf_hotp(&v, CF_HMAC_SHA1, key, 20, step, 6), CF_OK);
	for (int i = 5; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[6] = '\0';
}

static void test_verify_window(void **state)
{
	(void)state;
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	const uint64_t now = 1111111111; /* step 37037037, 1 s into it */
	const uint64_t s = now / 30;
	char code[7];
	uint64_t step = 0;
	for (int delta = -3; delta <= 3; delta++) {
		code_at(code, key, s + (uint64_t)(int64_t)delta);
		cf_err want = delta >= -1 && delta <= 1 ? CF_OK : CF_ERR_CRYPTO;
		step = 12345;
		assert_int_equal(cf_totp_verify(code, key, 20, now, 1, &step), want);
		if (want == CF_OK)
			assert_int_equal(step, s + (uint64_t)(int64_t)delta);
		else
			assert_int_equal(step, 12345); /* untouched */
		/* window 0: only the current step */
		assert_int_equal(cf_totp_verify(code, key, 20, now, 0, &step),
				 delta == 0 ? CF_OK : CF_ERR_CRYPTO);
	}
	/* no underflow at the epoch */
	code_at(code, key, 0);
	assert_int_equal(cf_totp_verify(code, key, 20, 5, 1, &step), CF_OK);
	assert_int_equal(step, 0);
}

static void test_verify_input(void **state)
{
	(void)state;
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	uint64_t step = 7;
	static const char *const bad[] = { "", "12345", "1234567", "12a456", " 12345", "-12345",
					   "123 45", "12345\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cf_totp_verify(bad[i], key, 20, 59, 1, &step), CF_ERR_INVALID);
	assert_int_equal(cf_totp_verify(NULL, key, 20, 59, 1, &step), CF_ERR_INVALID);
	assert_int_equal(cf_totp_verify("287082", key, 20, 59, -1, &step), CF_ERR_INVALID);
	assert_int_equal(cf_totp_verify("287082", key, 20, 59, CF_TOTP_WINDOW_MAX + 1, &step),
			 CF_ERR_INVALID);
	assert_int_equal(cf_totp_verify("287082", key, 15, 59, 1, &step), CF_ERR_INVALID);
	assert_int_equal(step, 7);
	uint32_t code = 99;
	assert_int_equal(cf_hotp(&code, CF_HMAC_SHA1, key, 20, 0, 5), CF_ERR_INVALID);
	assert_int_equal(cf_hotp(&code, CF_HMAC_SHA1, key, 20, 0, 9), CF_ERR_INVALID);
	assert_int_equal(cf_totp(&code, CF_HMAC_SHA1, key, 20, 59, 0, 6), CF_ERR_INVALID);
	assert_int_equal(code, 99);
	assert_int_equal(cf_totp_verify("287082", key, 20, 59, 1, &step), CF_OK);
	assert_int_equal(step, 1);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_table),
		cmocka_unit_test(test_verify_window),
		cmocka_unit_test(test_verify_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
