/* Ed25519: every Wycheproof case (88 valid accepted, 63 invalid rejected),
 * RFC 8032 test 1, and round trips. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/sign.h"

static void test_wycheproof_ed25519(void **state)
{
	(void)state;
	json_t *root = vec_load("ed25519_test.json", false);
	unsigned valid = 0, invalid_verifier = 0, invalid_length = 0;
	size_t gi;
	const json_t *group;
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		uint8_t pk[CF_SIGN_PK_BYTES];
		vec_hex_exact(pk, sizeof(pk),
			      vec_str(json_object_get(group, "publicKey"), "pk"));
		size_t ti;
		const json_t *t;
		json_array_foreach(json_object_get(group, "tests"), ti, t) {
			long long id = vec_int(t, "tcId");
			bool ok = strcmp(vec_str(t, "result"), "valid") == 0;
			size_t msg_len, sig_len;
			uint8_t *msg = vec_hex(t, "msg", &msg_len);
			uint8_t *sig = vec_hex(t, "sig", &sig_len);
			if (sig_len != CF_SIGN_BYTES) {
				/* The API takes exactly 64 bytes: a wire decoder refuses
				 * any other length before cf_sign_verify is reached. */
				if (ok)
					fail_msg("ed25519 case %lld: valid with a %zu-byte signature",
						 id, sig_len);
				invalid_length++;
			} else if (ok) {
				if (cf_sign_verify(sig, msg, msg_len, pk) != CF_OK)
					fail_msg("ed25519 case %lld: valid signature refused", id);
				valid++;
			} else {
				if (cf_sign_verify(sig, msg, msg_len, pk) != CF_ERR_CRYPTO)
					fail_msg("ed25519 case %lld: invalid signature accepted", id);
				invalid_verifier++;
			}
			free(msg);
			free(sig);
		}
	}
	json_decref(root);
	assert_int_equal(valid, 88);
	assert_int_equal(invalid_verifier + invalid_length, 63);
	vec_report("ed25519", "checked 151: %u valid verified; %u invalid rejected "
		   "(%u by cf_sign_verify, %u by the 64-byte signature length); skipped 0",
		   valid, invalid_verifier + invalid_length, invalid_verifier, invalid_length);
}

/* RFC 8032 §7.1 TEST 1 (empty message). */
static void test_rfc8032_test1(void **state)
{
	(void)state;
	uint8_t seed[32], want_pk[32], want_sig[64], pk[32], sk[64], sig[64];
	vec_hex_exact(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	vec_hex_exact(want_pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	vec_hex_exact(want_sig, 64, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
				    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	assert_int_equal(cf_sign_seed_keypair(pk, sk, seed), CF_OK);
	assert_memory_equal(pk, want_pk, 32);
	assert_int_equal(cf_sign_detached(sig, NULL, 0, sk), CF_OK);
	assert_memory_equal(sig, want_sig, 64);
	assert_int_equal(cf_sign_verify(sig, NULL, 0, pk), CF_OK);
	sodium_memzero(sk, sizeof(sk));
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], sig[64];
	const uint8_t msg[] = "coffre-v1 record\0 layout";
	assert_int_equal(cf_sign_keypair(pk, sk), CF_OK);
	assert_int_equal(cf_sign_keypair(pk2, sk2), CF_OK);
	assert_memory_not_equal(pk, pk2, 32);
	assert_int_equal(cf_sign_detached(sig, msg, sizeof(msg), sk), CF_OK);
	assert_int_equal(cf_sign_verify(sig, msg, sizeof(msg), pk), CF_OK);
	assert_int_equal(cf_sign_verify(sig, msg, sizeof(msg) - 1, pk), CF_ERR_CRYPTO);
	assert_int_equal(cf_sign_verify(sig, msg, sizeof(msg), pk2), CF_ERR_CRYPTO);
	for (size_t bit = 0; bit < 512; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(cf_sign_verify(sig, msg, sizeof(msg), pk), CF_ERR_CRYPTO);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* the seed (first half of sk) regenerates the same pair */
	uint8_t pk3[32], sk3[64];
	assert_int_equal(cf_sign_seed_keypair(pk3, sk3, sk), CF_OK);
	assert_memory_equal(pk3, pk, 32);
	assert_memory_equal(sk3, sk, 64);
	/* argument checks leave outputs alone */
	uint8_t out[64];
	memset(out, 0x55, sizeof(out));
	assert_int_equal(cf_sign_detached(out, NULL, 4, sk), CF_ERR_INVALID);
	assert_int_equal(cf_sign_verify(NULL, msg, 1, pk), CF_ERR_INVALID);
	assert_int_equal(cf_sign_keypair(NULL, sk3), CF_ERR_INVALID);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x55);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
	sodium_memzero(sk3, sizeof(sk3));
}

/* The device proof of a login (DESIGN §5.3): what the server verifies is the
 * signature of exactly "coffre-v1 device proof\0" ‖ pending (16) ‖ nonce (32). */
static void test_device_proof(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], pending[16], nonce[32], sig[64];
	uint8_t msg[CF_DEVICE_PROOF_MSG_BYTES];
	assert_int_equal(CF_DEVICE_PROOF_MSG_BYTES, 23 + 16 + 32);
	assert_int_equal(cf_sign_keypair(pk, sk), CF_OK);
	assert_int_equal(cf_sign_keypair(pk2, sk2), CF_OK);
	for (size_t i = 0; i < 16; i++)
		pending[i] = (uint8_t)i;
	for (size_t i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(100 + i);
	memcpy(msg, "coffre-v1 device proof", 23);   /* with its NUL */
	memcpy(msg + 23, pending, 16);
	memcpy(msg + 39, nonce, 32);
	assert_int_equal(cf_sign_detached(sig, msg, sizeof(msg), sk), CF_OK);
	assert_int_equal(cf_device_proof_verify(sig, pending, nonce, pk), CF_OK);
	assert_int_equal(cf_device_proof_verify(sig, pending, nonce, pk2), CF_ERR_CRYPTO);
	uint8_t again[64];
	assert_int_equal(cf_device_proof_sign(again, pending, nonce, sk), CF_OK);
	assert_memory_equal(again, sig, 64);
	pending[15] ^= 1;
	assert_int_equal(cf_device_proof_verify(sig, pending, nonce, pk), CF_ERR_CRYPTO);
	pending[15] ^= 1;
	nonce[0] ^= 1;
	assert_int_equal(cf_device_proof_verify(sig, pending, nonce, pk), CF_ERR_CRYPTO);
	assert_int_equal(cf_device_proof_verify(sig, NULL, nonce, pk), CF_ERR_INVALID);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_ed25519),
		cmocka_unit_test(test_rfc8032_test1),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_device_proof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
