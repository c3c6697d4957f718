/* HKDF-SHA256 and HMAC: Wycheproof (valid exact, invalid refused),
 * RFC 2202/4231 for SHA-1 and SHA-512, and the expand/extract split. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/kdf.h"

static void test_wycheproof_hkdf(void **state)
{
	(void)state;
	json_t *root = vec_load("hkdf_sha256_test.json", false);
	unsigned valid = 0, invalid = 0;
	size_t gi;
	const json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		size_t ti;
		const json_t *t;
		json_array_foreach(json_object_get(group, "tests"), ti, t) {
			long long id = vec_int(t, "tcId");
			size_t ikm_len, salt_len, info_len, okm_len;
			uint8_t *ikm = vec_hex(t, "ikm", &ikm_len);
			uint8_t *salt = vec_hex(t, "salt", &salt_len);
			uint8_t *info = vec_hex(t, "info", &info_len);
			uint8_t *okm = vec_hex(t, "okm", &okm_len);
			size_t size = (size_t)vec_int(t, "size");
			uint8_t *out = malloc(size + 1);
			assert_non_null(out);
			memset(out, 0x3c, size + 1);
			cf_err err = cf_hkdf_sha256(out, size, ikm, ikm_len, salt, salt_len,
						    info, info_len);
			if (strcmp(vec_str(t, "result"), "valid") == 0) {
				if (err != CF_OK || okm_len != size)
					fail_msg("hkdf case %lld refused", id);
				vec_assert_bytes(out, okm, size, "hkdf", id);
				/* and through the two halves */
				uint8_t prk[32];
				assert_int_equal(cf_hkdf_sha256_extract(prk, salt, salt_len, ikm,
									ikm_len), CF_OK);
				memset(out, 0, size);
				assert_int_equal(cf_hkdf_sha256_expand(out, size, prk, info, info_len),
						 CF_OK);
				vec_assert_bytes(out, okm, size, "hkdf extract+expand", id);
				valid++;
			} else {
				if (err != CF_ERR_INVALID)
					fail_msg("hkdf case %lld: invalid size accepted", id);
				for (size_t i = 0; i <= size; i++)
					assert_int_equal(out[i], 0x3c);
				invalid++;
			}
			free(ikm); free(salt); free(info); free(okm); free(out);
		}
	}
	json_decref(root);
	assert_int_equal(valid, 83);
	assert_int_equal(invalid, 3);
	vec_report("hkdf", "checked 86: %u valid exact (one-shot and extract+expand), "
		   "%u invalid (size > 255*32) refused with CF_ERR_INVALID; skipped 0", valid, invalid);
}

static void test_wycheproof_hmac(void **state)
{
	(void)state;
	json_t *root = vec_load("hmac_sha256_test.json", false);
	unsigned full[2] = { 0 }, trunc[2] = { 0 };
	size_t gi;
	const json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		size_t tag_bytes = (size_t)vec_int(group, "tagSize") / 8;
		size_t ti;
		const json_t *t;
		json_array_foreach(json_object_get(group, "tests"), ti, t) {
			long long id = vec_int(t, "tcId");
			bool ok = strcmp(vec_str(t, "result"), "valid") == 0;
			size_t key_len, msg_len, tag_len;
			uint8_t *key = vec_hex(t, "key", &key_len);
			uint8_t *msg = vec_hex(t, "msg", &msg_len);
			uint8_t *tag = vec_hex(t, "tag", &tag_len);
			assert_int_equal(tag_len, tag_bytes);
			cf_err err = cf_hmac_sha256_verify(tag, tag_len, key, key_len, msg, msg_len);
			if (err != (ok ? CF_OK : CF_ERR_CRYPTO))
				fail_msg("hmac case %lld: got %d", id, (int)err);
			if (ok) {
				uint8_t mac[32], mac2[64];
				size_t mac2_len = 0;
				assert_int_equal(cf_hmac_sha256(mac, key, key_len, msg, msg_len), CF_OK);
				vec_assert_bytes(mac, tag, tag_len, "hmac", id);
				assert_int_equal(cf_hmac(CF_HMAC_SHA256, mac2, &mac2_len, key, key_len,
							 msg, msg_len), CF_OK);
				assert_int_equal(mac2_len, 32);
				assert_memory_equal(mac2, mac, 32);
			}
			if (tag_len == 32)
				full[ok ? 0 : 1]++;
			else
				trunc[ok ? 0 : 1]++;
			free(key); free(msg); free(tag);
		}
	}
	json_decref(root);
	assert_int_equal(full[0] + trunc[0], 66);
	assert_int_equal(full[1] + trunc[1], 108);
	vec_report("hmac_sha256", "checked 174: full tags %u valid + %u invalid, "
		   "128-bit truncated tags %u valid + %u invalid (constant-time prefix compare); "
		   "skipped 0", full[0], full[1], trunc[0], trunc[1]);
}

/* RFC 2202 §3 test 2 / RFC 4231 §4.3 test 2: key "Jefe". */
static void test_hmac_algorithms(void **state)
{
	(void)state;
	static const struct { enum cf_hmac_alg alg; size_t len; const char *hex; } kat[] = {
		{ CF_HMAC_SHA1, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ CF_HMAC_SHA256, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ CF_HMAC_SHA512, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
				     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	};
	const uint8_t key[] = "Jefe";
	const uint8_t msg[] = "what do ya want for nothing?";
	for (size_t i = 0; i < 3; i++) {
		uint8_t want[64], out[CF_HMAC_MAX_BYTES];
		size_t len = 0;
		vec_hex_exact(want, kat[i].len, kat[i].hex);
		assert_int_equal(cf_hmac(kat[i].alg, out, &len, key, 4, msg, sizeof(msg) - 1), CF_OK);
		assert_int_equal(len, kat[i].len);
		assert_int_equal(cf_hmac_bytes(kat[i].alg), kat[i].len);
		assert_memory_equal(out, want, len);
	}
	uint8_t out[64];
	size_t len = 99;
	assert_int_equal(cf_hmac((enum cf_hmac_alg)7, out, &len, key, 4, msg, 4), CF_ERR_INVALID);
	assert_int_equal(len, 99);
	vec_report("hmac", "checked 3 known answers (SHA-1 via GnuTLS, SHA-256, SHA-512)");
}

static void test_limits(void **state)
{
	(void)state;
	uint8_t prk[32] = { 1 }, out[64], tag[33] = { 0 };
	memset(out, 0x11, sizeof(out));
	assert_int_equal(cf_hkdf_sha256_expand(out, 255 * 32 + 1, prk, NULL, 0), CF_ERR_INVALID);
	assert_int_equal(cf_hkdf_sha256_expand(out, 0, prk, NULL, 0), CF_OK);
	assert_int_equal(cf_hkdf_sha256_expand(out, 4, prk, NULL, 2), CF_ERR_INVALID);
	assert_int_equal(cf_hmac_sha256_verify(tag, 15, NULL, 0, NULL, 0), CF_ERR_INVALID);
	assert_int_equal(cf_hmac_sha256_verify(tag, 33, NULL, 0, NULL, 0), CF_ERR_INVALID);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x11);
	/* the maximum length works, and out may overwrite prk */
	uint8_t *big = malloc(255 * 32);
	assert_non_null(big);
	assert_int_equal(cf_hkdf_sha256_expand(big, 255 * 32, prk, NULL, 0), CF_OK);
	uint8_t alias[64];
	memcpy(alias, prk, 32);
	assert_int_equal(cf_hkdf_sha256_expand(alias, 64, alias, NULL, 0), CF_OK);
	assert_memory_equal(alias, big, 64);
	free(big);
}

static void test_sha256(void **state)
{
	(void)state;
	uint8_t want_empty[32], want_abc[32], out[32];
	vec_hex_exact(want_empty, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	vec_hex_exact(want_abc, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cf_sha256(out, NULL, 0);
	assert_memory_equal(out, want_empty, 32);
	cf_sha256(out, (const uint8_t *)"abc", 3);
	assert_memory_equal(out, want_abc, 32);
	cf_sha256_state st;
	cf_sha256_init(&st);
	cf_sha256_update(&st, (const uint8_t *)"a", 1);
	cf_sha256_update(&st, NULL, 0);
	cf_sha256_update(&st, (const uint8_t *)"bc", 2);
	cf_sha256_final(&st, out);
	assert_memory_equal(out, want_abc, 32);
	assert_true(sodium_is_zero((const unsigned char *)&st, sizeof(st)));
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[CF_ID_BYTES], b[CF_ID_BYTES], buf[64];
	assert_int_equal(cf_crypto_init(), CF_OK); /* idempotent */
	cf_random_id(a);
	cf_random_id(b);
	assert_memory_not_equal(a, b, CF_ID_BYTES);
	assert_int_equal(cf_random_bytes(buf, sizeof(buf)), CF_OK);
	assert_false(sodium_is_zero(buf, sizeof(buf)));
	assert_int_equal(cf_random_bytes(NULL, 0), CF_OK);
	assert_int_equal(cf_random_bytes(NULL, 1), CF_ERR_INVALID);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_hkdf),
		cmocka_unit_test(test_wycheproof_hmac),
		cmocka_unit_test(test_hmac_algorithms),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
