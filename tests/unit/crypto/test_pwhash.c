/* Argon2id and the client key split. Known answers come from outside
 * libsodium: the Argon2 reference implementation (Debian's `argon2` CLI,
 * P-H-C phc-winner-argon2 20171227) and, for HKDF, Python's hmac module:
 *   printf 'correct horse battery staple' | argon2 'coffre-salt-16by' -id -t 2 -k 19456 -p 1 -l 32 -r
 *   printf 'correct horse battery staple' | argon2 'coffre-salt-16by' -id -t 3 -k 20480 -p 1 -l 64 -r
 *   ... -id -t 2 -k 19456 -p 1 -l 32 -e   (the encoded verifier string) */
#include "vectors.h"

#include <string.h>

#include "crypto/crypto.h"
#include "crypto/pwhash.h"

static const uint8_t pw[] = "correct horse battery staple";
static const uint8_t salt[16] = "coffre-salt-16by";
#define PW_LEN (sizeof(pw) - 1)

static void test_argon2id_known_answers(void **state)
{
	(void)state;
	uint8_t out[64], want[64];
	vec_hex_exact(want, 32, "536268775dc27bb7831a105d2935585651d28673ea8732046d08383632de1a0d");
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, 2, 19456), CF_OK);
	assert_memory_equal(out, want, 32);
	vec_hex_exact(want, 64, "c48adb38a587c3dbe88318c367867f9b00c10217fe83e04b1f1269f2dc7d84f8"
				"1ede93272d346e2e4ae6986d64b1c8d6995e00bd9a31d0713a8b189b55631387");
	assert_int_equal(cf_argon2id(out, 64, pw, PW_LEN, salt, 3, 20480), CF_OK);
	assert_memory_equal(out, want, 64);
	vec_report("argon2id", "checked 2 known answers from the reference implementation");
}

static void test_argon2id_properties(void **state)
{
	(void)state;
	uint8_t a[32], b[32], salt2[16];
	memcpy(salt2, salt, 16);
	salt2[15] ^= 1;
	assert_int_equal(cf_argon2id(a, 32, pw, PW_LEN, salt, 2, 19456), CF_OK);
	assert_int_equal(cf_argon2id(b, 32, pw, PW_LEN, salt, 2, 19456), CF_OK);
	assert_memory_equal(a, b, 32); /* deterministic */
	assert_int_equal(cf_argon2id(b, 32, pw, PW_LEN, salt2, 2, 19456), CF_OK);
	assert_memory_not_equal(a, b, 32); /* salt matters */
	assert_int_equal(cf_argon2id(b, 32, pw, PW_LEN - 1, salt, 2, 19456), CF_OK);
	assert_memory_not_equal(a, b, 32); /* password matters */
	assert_int_equal(cf_argon2id(b, 32, pw, PW_LEN, salt, 3, 19456), CF_OK);
	assert_memory_not_equal(a, b, 32); /* t matters */
	assert_int_equal(cf_argon2id(b, 32, NULL, 0, salt, 2, 19456), CF_OK); /* empty password */
}

static void test_argon2id_floors(void **state)
{
	(void)state;
	uint8_t out[64];
	memset(out, 0x42, sizeof(out));
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, 1, 19456), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, 2, 19455), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, 0, 0), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 15, pw, PW_LEN, salt, 2, 19456), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 65, pw, PW_LEN, salt, 2, 19456), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, NULL, 2, 19456), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 32, NULL, 3, salt, 2, 19456), CF_ERR_INVALID);
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, CF_ARGON2_T_MAX + 1, 19456),
			 CF_ERR_TOO_LARGE);
	assert_int_equal(cf_argon2id(out, 32, pw, PW_LEN, salt, 2, CF_ARGON2_M_MAX_KIB + 1),
			 CF_ERR_TOO_LARGE);
	assert_int_equal(cf_argon2id(out, 32, pw, CF_PWHASH_INPUT_MAX + 1, salt, 2, 19456),
			 CF_ERR_TOO_LARGE);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x42);
}

/* Independent HKDF (Python hmac) with master = 00 01 .. 1f. */
static void test_client_keys(void **state)
{
	(void)state;
	uint8_t master[32], auth[32], kek[32], want_auth[32], want_kek[32];
	for (size_t i = 0; i < 32; i++)
		master[i] = (uint8_t)i;
	vec_hex_exact(want_auth, 32, "8e413138ef545714f231dee701a2389c321d84b35f910d44be6ea07657e745d9");
	vec_hex_exact(want_kek, 32, "1793c3c23d8f8c7267a6d5ad467b03ee178d593afdeb3331cbff02f17e66a3aa");
	assert_int_equal(cf_client_keys_derive(auth, kek, master), CF_OK);
	assert_memory_equal(auth, want_auth, 32);
	assert_memory_equal(kek, want_kek, 32);
	assert_int_equal(cf_client_keys_derive(auth, NULL, master), CF_ERR_INVALID);
}

static void test_pwhash_str(void **state)
{
	(void)state;
	const uint8_t secret[] = "auth key bytes 0123456789abcdef";
	char str[CF_PWHASH_STR_BYTES], str2[CF_PWHASH_STR_BYTES];
	assert_int_equal(cf_pwhash_str(str, secret, sizeof(secret)), CF_OK);
	assert_int_equal(strncmp(str, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_int_equal(cf_pwhash_str(str2, secret, sizeof(secret)), CF_OK);
	assert_string_not_equal(str, str2); /* fresh salt each time */
	assert_int_equal(cf_pwhash_str_verify(str, secret, sizeof(secret)), CF_OK);
	assert_int_equal(cf_pwhash_str_verify(str, secret, sizeof(secret) - 1), CF_ERR_CRYPTO);
	bool rehash = true;
	assert_int_equal(cf_pwhash_str_needs_rehash(str, &rehash), CF_OK);
	assert_false(rehash);

	/* a verifier made by the reference implementation verifies */
	const char *ref = "$argon2id$v=19$m=19456,t=2,p=1$Y29mZnJlLXNhbHQtMTZieQ$"
			  "U2Jod13Ce7eDGhBdKTVYVlHShnPqhzIEbQg4NjLeGg0";
	assert_int_equal(cf_pwhash_str_verify(ref, pw, PW_LEN), CF_OK);
	assert_int_equal(cf_pwhash_str_verify(ref, pw, PW_LEN - 1), CF_ERR_CRYPTO);
	const char *ref_t3 = "$argon2id$v=19$m=19456,t=3,p=1$Y29mZnJlLXNhbHQtMTZieQ$"
			     "U2Jod13Ce7eDGhBdKTVYVlHShnPqhzIEbQg4NjLeGg0";
	assert_int_equal(cf_pwhash_str_needs_rehash(ref_t3, &rehash), CF_OK);
	assert_true(rehash);

	/* malformed strings */
	char unterminated[CF_PWHASH_STR_BYTES];
	memset(unterminated, 'a', sizeof(unterminated));
	memcpy(unterminated, "$argon2id$", 10);
	assert_int_equal(cf_pwhash_str_verify(unterminated, secret, 4), CF_ERR_INVALID);
	assert_int_equal(cf_pwhash_str_verify("$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA",
					      secret, 4), CF_ERR_INVALID);
	assert_int_equal(cf_pwhash_str_verify("", secret, 4), CF_ERR_INVALID);
	assert_int_equal(cf_pwhash_str_verify(NULL, secret, 4), CF_ERR_INVALID);
	assert_int_equal(cf_pwhash_str_verify("$argon2id$garbage", secret, 4), CF_ERR_CRYPTO);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argon2id_known_answers),
		cmocka_unit_test(test_argon2id_properties),
		cmocka_unit_test(test_argon2id_floors),
		cmocka_unit_test(test_client_keys),
		cmocka_unit_test(test_pwhash_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
