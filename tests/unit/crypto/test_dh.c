/* X25519: Wycheproof valid cases exact; the 31 ZeroSharedSecret cases
 * rejected; other "acceptable" cases either refused or exact. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/dh.h"

static void test_wycheproof_x25519(void **state)
{
	(void)state;
	json_t *root = vec_load("x25519_test.json", false);
	unsigned valid = 0, zero_rejected = 0, acc_accepted = 0, acc_rejected = 0;
	size_t gi;
	const json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		size_t ti;
		const json_t *t;
		json_array_foreach(json_object_get(group, "tests"), ti, t) {
			long long id = vec_int(t, "tcId");
			const char *result = vec_str(t, "result");
			uint8_t sk[32], pk[32], want[32], out[32];
			vec_hex_exact(sk, 32, vec_str(t, "private"));
			vec_hex_exact(pk, 32, vec_str(t, "public"));
			vec_hex_exact(want, 32, vec_str(t, "shared"));
			memset(out, 0x5a, sizeof(out));
			cf_err err = cf_x25519(out, sk, pk);
			if (strcmp(result, "valid") == 0) {
				if (err != CF_OK)
					fail_msg("x25519 case %lld: valid case refused", id);
				vec_assert_bytes(out, want, 32, "x25519", id);
				valid++;
			} else if (strcmp(result, "acceptable") != 0) {
				fail_msg("x25519 case %lld: unexpected result %s", id, result);
			} else if (vec_has_flag(t, "ZeroSharedSecret")) {
				if (err != CF_ERR_CRYPTO)
					fail_msg("x25519 case %lld: zero shared secret accepted", id);
				for (size_t i = 0; i < 32; i++)
					assert_int_equal(out[i], 0x5a); /* untouched */
				zero_rejected++;
			} else if (err == CF_OK) {
				vec_assert_bytes(out, want, 32, "x25519 acceptable", id);
				acc_accepted++;
			} else {
				assert_int_equal(err, CF_ERR_CRYPTO);
				acc_rejected++;
			}
		}
	}
	json_decref(root);
	assert_int_equal(valid, 264);
	assert_int_equal(zero_rejected, 31);
	assert_int_equal(acc_accepted + acc_rejected, 223);
	vec_report("x25519", "checked 518: %u valid exact; %u ZeroSharedSecret rejected; "
		   "other acceptable: %u accepted with the exact result, %u refused; skipped 0",
		   valid, zero_rejected, acc_accepted, acc_rejected);
}

static void test_agreement(void **state)
{
	(void)state;
	uint8_t apk[32], ask[32], bpk[32], bsk[32], ab[32], ba[32], pk[32];
	assert_int_equal(cf_x25519_keypair(apk, ask), CF_OK);
	assert_int_equal(cf_x25519_keypair(bpk, bsk), CF_OK);
	assert_int_equal(cf_x25519_public(pk, ask), CF_OK);
	assert_memory_equal(pk, apk, 32);
	assert_int_equal(cf_x25519(ab, ask, bpk), CF_OK);
	assert_int_equal(cf_x25519(ba, bsk, apk), CF_OK);
	assert_memory_equal(ab, ba, 32);
	uint8_t zero[32] = { 0 };
	assert_int_equal(cf_x25519(ab, ask, zero), CF_ERR_CRYPTO);
	assert_memory_equal(ab, ba, 32); /* untouched */
	assert_int_equal(cf_x25519(NULL, ask, bpk), CF_ERR_INVALID);
	sodium_memzero(ask, 32);
	sodium_memzero(bsk, 32);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_x25519),
		cmocka_unit_test(test_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
