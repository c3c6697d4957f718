/* coffre-v1 client identity formats (src/client/keys.c) against vectors
 * computed independently by tests/unit/client/identity_kat.py
 * (python3-argon2, hashlib/hmac HKDF, base64.b32encode,
 * python3-cryptography AES-GCM/Ed25519/X25519; PW2's Argon2id also with
 * the argon2 command): password and recovery derivations, recovery code
 * text, the sealed key bundle; then round trips and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "coffre/client.h"
#include "crypto/aead.h"
#include "util/encoding.h"

static void hex(uint8_t *out, size_t len, const char *text)
{
	assert_int_equal(cf_hex_decode(out, len, text, strlen(text)), CF_OK);
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	char text[256];
	assert_int_equal(cf_hex_encode(text, sizeof text, got, len), CF_OK);
	assert_string_equal(text, want);
}

static const char password[] = "correct horse battery staple";

/* --- password → auth_key, kek --------------------------------------------- */

struct pw_vector {
	const char *salt;
	uint32_t t, m;
	const char *auth, *kek;
};

static const struct pw_vector pw_vectors[] = {
	{ "000102030405060708090a0b0c0d0e0f", 2, 19456,
	  "d556f68eb1930c2a2292da2c5dd32e1c5bd95400ae9f11bdad98af164f3f7289",
	  "5e17de84f4703b9878a2c221e4b98e186c3e45abcb4d8562253b4cf180867d3e" },
	/* salt "coffre-kat-salt!"; master 927e724a… also from argon2(1) */
	{ "636f666672652d6b61742d73616c7421", 2, 19456,
	  "1ce03a0bb2aa019b8259b20dbdd893b3463d241f16d1a2ddc37c14b4cb1e0e6a",
	  "4a51cf77de2bff0946e917691d0d085d00386a83e7067cf506d135d59eb14c77" },
	{ "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", 3, 20480,
	  "c6f309dee0bfe005f9d77e1dd3d037c32eded05ca4b4fa13c317f52c7c667eb5",
	  "f1b97441566583d7eae0cfb3b633b6e2a3ab1903ee79bb8eaf5969d1ee706f8b" },
};

static void test_password_keys_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof pw_vectors / sizeof *pw_vectors; i++) {
		const struct pw_vector *v = &pw_vectors[i];
		struct cf_kdf_params kdf = { .t_cost = v->t,
		                             .m_cost_kib = v->m };
		hex(kdf.salt, sizeof kdf.salt, v->salt);
		uint8_t auth[32], kek[32];
		assert_int_equal(cf_id_password_keys(auth, kek, password,
		                                     strlen(password), &kdf),
		                 CF_OK);
		assert_hex(auth, 32, v->auth);
		assert_hex(kek, 32, v->kek);
	}
}

static void test_password_keys_refusals(void **state)
{
	(void)state;
	struct cf_kdf_params kdf = { .t_cost = 2, .m_cost_kib = 19456 };
	uint8_t auth[32], kek[32];
	memset(auth, 0xaa, sizeof auth);
	/* Under the coffre-v1 floor: a server cannot weaken the hash. */
	kdf.t_cost = 1;
	assert_int_equal(cf_id_password_keys(auth, kek, "pw", 2, &kdf),
	                 CF_ERR_INVALID);
	kdf.t_cost = 2;
	kdf.m_cost_kib = 19455;
	assert_int_equal(cf_id_password_keys(auth, kek, "pw", 2, &kdf),
	                 CF_ERR_INVALID);
	/* Over the ceiling: nor make us allocate without bound. */
	kdf.m_cost_kib = 5u * 1024u * 1024u;
	assert_int_equal(cf_id_password_keys(auth, kek, "pw", 2, &kdf),
	                 CF_ERR_TOO_LARGE);
	kdf.m_cost_kib = 19456;
	kdf.t_cost = 65;
	assert_int_equal(cf_id_password_keys(auth, kek, "pw", 2, &kdf),
	                 CF_ERR_TOO_LARGE);
	kdf.t_cost = 2;
	assert_int_equal(cf_id_password_keys(auth, kek, "", 0, &kdf),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_id_password_keys(auth, kek, password,
	                                     CF_PASSWORD_MAX + 1, &kdf),
	                 CF_ERR_TOO_LARGE);
	/* Outputs untouched on failure. */
	for (size_t i = 0; i < sizeof auth; i++)
		assert_int_equal(auth[i], 0xaa);
}

/* --- recovery code ----------------------------------------------------------- */

struct rc_vector {
	const char *code, *text, *auth, *kek;
};

static const struct rc_vector rc_vectors[] = {
	{ "000102030405060708090a0b0c0d0e0f10111213",
	  "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT",
	  "49bd5e6cf29d73fb1d89d7afa528a0973fedcba5042e301d510705d2e567aa4b",
	  "ef1b222b484d9d7101e84b44cc163ca49ebe2c2e2074cb0e0d5e19d8ffdcf30c" },
	{ "0000000000000000000000000000000000000000",
	  "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
	  "3490e1193c31e7d876838783e903c5ba240000a4ff0dc3fa5821986f6da9df31",
	  "b84546dedb609bf6eeb82a0d2fc7831612cd28f82f59fa6d4989ee1f2f41cbb0" },
	{ "ffffffffffffffffffffffffffffffffffffffff",
	  "7777-7777-7777-7777-7777-7777-7777-7777",
	  "3d26355ba52f26ebf58155ff25c2115f1b2864ddda147b70b80d1776cc2c51f9",
	  "5619cd174f52705dad1e3673f4fb04877d2c178bdfe348b99478eb5234b0b214" },
	{ "8f3a0c55e1d2b4a6978899aabbccddeeff102132",
	  "R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS",
	  "78991ee80068ff64f169ab5ad246f1f8ba64b7abcf9f02389ae7bbbf37a36b6c",
	  "b8238fcab023aa6dd90792bb6e1774aca613b21a3e5a7ff66d4b38844c157f8f" },
};

static void test_recovery_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rc_vectors / sizeof *rc_vectors; i++) {
		const struct rc_vector *v = &rc_vectors[i];
		uint8_t code[20], back[20], auth[32], kek[32];
		char text[CF_RECOVERY_TEXT_LEN + 1];
		hex(code, sizeof code, v->code);
		assert_int_equal(cf_recovery_code_format(text, code), CF_OK);
		assert_string_equal(text, v->text);
		assert_int_equal(strlen(text), CF_RECOVERY_TEXT_LEN);
		assert_int_equal(cf_recovery_code_parse(back, text,
		                                        strlen(text)), CF_OK);
		assert_memory_equal(back, code, sizeof code);
		assert_int_equal(cf_id_recovery_keys(auth, kek, code), CF_OK);
		assert_hex(auth, 32, v->auth);
		assert_hex(kek, 32, v->kek);
	}
}

static void parse_ok(const char *text, const char *want_hex)
{
	uint8_t code[20];
	assert_int_equal(cf_recovery_code_parse(code, text, strlen(text)),
	                 CF_OK);
	assert_hex(code, sizeof code, want_hex);
}

static void parse_refused(const char *text, cf_err want)
{
	uint8_t code[20];
	memset(code, 0x5a, sizeof code);
	assert_int_equal(cf_recovery_code_parse(code, text, strlen(text)),
	                 want);
	for (size_t i = 0; i < sizeof code; i++)
		assert_int_equal(code[i], 0x5a);
}

static void test_recovery_parse_tolerant(void **state)
{
	(void)state;
	const char *want = rc_vectors[3].code;
	parse_ok("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", want);
	parse_ok("r45a-yvpb-2k2k-nf4i-tgvl-xtg5-537r-aijs", want);
	parse_ok("R45aYvPb2k2KNF4ITGVLXTG5537RAIJS", want);
	parse_ok("R45A YVPB 2K2K NF4I TGVL XTG5 537R AIJS", want);
	parse_ok("  R45A - YVPB--2K2K\tNF4I TGVL-XTG5 537R AIJS  ", want);
	parse_ok("R-4-5-A-YVPB2K2KNF4ITGVLXTG5537RAIJS", want);
}

static void test_recovery_parse_strict(void **state)
{
	(void)state;
	/* Wrong lengths. */
	parse_refused("", CF_ERR_INVALID);
	parse_refused("----", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJSA",
	              CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS-R45A",
	              CF_ERR_INVALID);
	/* Characters outside RFC 4648 base32 (no Crockford look-alikes). */
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ0", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ1", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ8", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ9", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ=", CF_ERR_INVALID);
	parse_refused("R45A_YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS\n",
	              CF_ERR_INVALID);
	parse_refused("R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJ\xc3\xa9",
	              CF_ERR_INVALID);
	parse_refused("@45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", CF_ERR_INVALID);
	parse_refused("[45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", CF_ERR_INVALID);
	parse_refused("`45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", CF_ERR_INVALID);
	parse_refused("{45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AIJS", CF_ERR_INVALID);
	/* An embedded NUL is a character like any other. */
	uint8_t code[20];
	static const char nul[] = "R45A-YVPB-2K2K-NF4I-TGVL-XTG5-537R-AI\0S";
	assert_int_equal(cf_recovery_code_parse(code, nul, sizeof nul - 1),
	                 CF_ERR_INVALID);
	/* Bounded input. */
	char big[300];
	memset(big, '-', sizeof big);
	memcpy(big, "R45AYVPB2K2KNF4ITGVLXTG5537RAIJS", 32);
	assert_int_equal(cf_recovery_code_parse(code, big, sizeof big),
	                 CF_ERR_TOO_LARGE);
}

/* Every byte value maps as RFC 4648 says, through both directions. */
static void test_recovery_alphabet(void **state)
{
	(void)state;
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	for (unsigned v = 0; v < 32; v++) {
		/* Code whose every 5-bit symbol is v. */
		char text[33];
		memset(text, alphabet[v], 32);
		text[32] = '\0';
		uint8_t code[20];
		assert_int_equal(cf_recovery_code_parse(code, text, 32), CF_OK);
		char back[CF_RECOVERY_TEXT_LEN + 1];
		assert_int_equal(cf_recovery_code_format(back, code), CF_OK);
		for (size_t i = 0; i < CF_RECOVERY_TEXT_LEN; i++)
			assert_int_equal(back[i], i % 5 == 4 ? '-' :
			                 alphabet[v]);
	}
	for (int ch = 0; ch < 256; ch++) {
		char text[33];
		memset(text, 'A', 32);
		text[32] = '\0';
		text[7] = (char)ch;
		uint8_t code[20];
		bool valid = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		             (ch >= '2' && ch <= '7');
		bool sep = ch == ' ' || ch == '\t' || ch == '-';
		cf_err want = valid ? CF_OK : CF_ERR_INVALID;
		assert_int_equal(cf_recovery_code_parse(code, text, 32),
		                 sep ? CF_ERR_INVALID : want);
	}
}

static void test_recovery_random_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		uint8_t code[20], back[20];
		randombytes_buf(code, sizeof code);
		char text[CF_RECOVERY_TEXT_LEN + 1];
		assert_int_equal(cf_recovery_code_format(text, code), CF_OK);
		for (char *c = text; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		assert_int_equal(cf_recovery_code_parse(back, text,
		                                        strlen(text)), CF_OK);
		assert_memory_equal(code, back, sizeof code);
	}
}

/* --- key bundle ---------------------------------------------------------------- */

static const char kat_user[] = "606162636465666768696a6b6c6d6e6f";
static const char kat_sealed[] =
	"707172737475767778797a7b3248528368e20a215b3174cea7355b82c25b4a"
	"c8cb234c13598290d6c0a34de2931c8e06a509643f7dea9ff7e24fc3d72c69"
	"44b93f98a31b7553f377907f5f332cb88a81881a978d0f24ab311dfa145e";
static const char kat_sign_pk[] =
	"29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7";
static const char kat_enc_pk[] =
	"79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a";

static void test_bundle_aad(void **state)
{
	(void)state;
	uint8_t uid[16], aad[CF_BUNDLE_AAD_BYTES];
	hex(uid, sizeof uid, kat_user);
	cf_bundle_aad(aad, uid);
	assert_hex(aad, sizeof aad, "636f666672652d76312062756e646c6500"
	           "606162636465666768696a6b6c6d6e6f");
}

static void test_bundle_open_kat(void **state)
{
	(void)state;
	uint8_t kek[32], uid[16], sealed[CF_BUNDLE_SEALED_BYTES];
	uint8_t sign_pk[32], enc_pk[32];
	hex(kek, 32, pw_vectors[0].kek);
	hex(uid, 16, kat_user);
	hex(sealed, sizeof sealed, kat_sealed);
	hex(sign_pk, 32, kat_sign_pk);
	hex(enc_pk, 32, kat_enc_pk);
	struct cf_identity_keys *keys = NULL;
	assert_int_equal(cf_identity_keys_new(&keys), CF_OK);
	assert_int_equal(cf_bundle_open(keys, sealed, sizeof sealed, kek, uid),
	                 CF_OK);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(keys->sign_seed[i], 0x20 + i);
		assert_int_equal(keys->enc_sk[i], 0x40 + i);
	}
	assert_memory_equal(keys->sign_pk, sign_pk, 32);
	assert_memory_equal(keys->enc_pk, enc_pk, 32);
	assert_int_equal(cf_identity_keys_match(keys, sign_pk, enc_pk), CF_OK);
	enc_pk[31] ^= 1;
	assert_int_equal(cf_identity_keys_match(keys, sign_pk, enc_pk),
	                 CF_ERR_CRYPTO);
	cf_identity_keys_free(keys);
}

/* Our seal has the layout the contract says: it opens with a plain AEAD
 * call given nonce = first 12 bytes and the AAD written out by hand. */
static void test_bundle_seal_layout(void **state)
{
	(void)state;
	struct cf_identity_keys *keys = NULL;
	assert_int_equal(cf_identity_keys_new(&keys), CF_OK);
	assert_int_equal(cf_identity_keys_generate(keys), CF_OK);
	uint8_t kek[32], uid[16];
	randombytes_buf(kek, sizeof kek);
	randombytes_buf(uid, sizeof uid);
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES], again[CF_BUNDLE_SEALED_BYTES];
	assert_int_equal(cf_bundle_seal(sealed, keys, kek, uid), CF_OK);
	assert_int_equal(cf_bundle_seal(again, keys, kek, uid), CF_OK);
	assert_memory_not_equal(sealed, again, 12);   /* fresh nonces */

	uint8_t aad[17 + 16];
	memcpy(aad, "coffre-v1 bundle", 16);
	aad[16] = 0;
	memcpy(aad + 17, uid, 16);
	uint8_t plain[64];
	assert_int_equal(cf_aead_open(plain, sealed + 12, 80, aad, sizeof aad,
	                              sealed, kek), CF_OK);
	assert_memory_equal(plain, keys->sign_seed, 32);
	assert_memory_equal(plain + 32, keys->enc_sk, 32);

	struct cf_identity_keys *back = NULL;
	assert_int_equal(cf_identity_keys_new(&back), CF_OK);
	assert_int_equal(cf_bundle_open(back, again, sizeof again, kek, uid),
	                 CF_OK);
	assert_memory_equal(back, keys, sizeof *keys);
	sodium_memzero(plain, sizeof plain);
	cf_identity_keys_free(back);
	cf_identity_keys_free(keys);
}

static void test_bundle_refusals(void **state)
{
	(void)state;
	struct cf_identity_keys *keys = NULL, *out = NULL;
	assert_int_equal(cf_identity_keys_new(&keys), CF_OK);
	assert_int_equal(cf_identity_keys_new(&out), CF_OK);
	assert_int_equal(cf_identity_keys_generate(keys), CF_OK);
	uint8_t kek[32], other[32], uid[16], uid2[16];
	randombytes_buf(kek, sizeof kek);
	memcpy(other, kek, sizeof other);
	other[0] ^= 0x80;
	randombytes_buf(uid, sizeof uid);
	memcpy(uid2, uid, sizeof uid2);
	uid2[15] ^= 1;
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	assert_int_equal(cf_bundle_seal(sealed, keys, kek, uid), CF_OK);
	memset(out, 0x77, sizeof *out);

	/* Wrong key, wrong user id (the AAD): refused, output untouched. */
	assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed, other, uid),
	                 CF_ERR_CRYPTO);
	assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed, kek, uid2),
	                 CF_ERR_CRYPTO);
	/* Any altered byte: nonce, ciphertext, tag. */
	for (size_t i = 0; i < sizeof sealed; i += 7) {
		sealed[i] ^= 0x01;
		assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed, kek,
		                                uid), CF_ERR_CRYPTO);
		sealed[i] ^= 0x01;
	}
	/* Wrong lengths. */
	assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed - 1, kek,
	                                uid), CF_ERR_INVALID);
	assert_int_equal(cf_bundle_open(out, sealed, 0, kek, uid),
	                 CF_ERR_INVALID);
	for (size_t i = 0; i < sizeof *out; i++)
		assert_int_equal(((uint8_t *)out)[i], 0x77);
	/* The KAT bundle with the AAD of another user. */
	uint8_t kat[CF_BUNDLE_SEALED_BYTES], kkek[32], kuid[16];
	hex(kat, sizeof kat, kat_sealed);
	hex(kkek, 32, pw_vectors[0].kek);
	hex(kuid, 16, kat_user);
	kuid[0] ^= 0x01;
	assert_int_equal(cf_bundle_open(out, kat, sizeof kat, kkek, kuid),
	                 CF_ERR_CRYPTO);
	/* And sealed with the recovery kek it does not open with the kek. */
	uint8_t rauth[32], rkek[32], code[20];
	randombytes_buf(code, sizeof code);
	assert_int_equal(cf_id_recovery_keys(rauth, rkek, code), CF_OK);
	assert_int_equal(cf_bundle_seal(sealed, keys, rkek, uid), CF_OK);
	assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed, kek, uid),
	                 CF_ERR_CRYPTO);
	assert_int_equal(cf_bundle_open(out, sealed, sizeof sealed, rkek, uid),
	                 CF_OK);
	assert_memory_equal(out, keys, sizeof *keys);
	cf_identity_keys_free(keys);
	cf_identity_keys_free(out);
}

/* The full enrol → recover → new password chain, offline: the keys sealed
 * at enrolment come back out after a recovery and a password change. */
static void test_recovery_rekey_chain(void **state)
{
	(void)state;
	struct cf_identity_keys *keys = NULL, *out = NULL;
	assert_int_equal(cf_identity_keys_new(&keys), CF_OK);
	assert_int_equal(cf_identity_keys_new(&out), CF_OK);
	assert_int_equal(cf_identity_keys_generate(keys), CF_OK);
	uint8_t uid[16];
	randombytes_buf(uid, sizeof uid);
	struct cf_kdf_params kdf = { .t_cost = 2, .m_cost_kib = 19456 };
	randombytes_buf(kdf.salt, sizeof kdf.salt);
	uint8_t auth[32], kek[32], rauth[32], rkek[32], code[20];
	randombytes_buf(code, sizeof code);
	char text[CF_RECOVERY_TEXT_LEN + 1];
	assert_int_equal(cf_recovery_code_format(text, code), CF_OK);
	assert_int_equal(cf_id_recovery_keys(rauth, rkek, code), CF_OK);
	uint8_t rbundle[CF_BUNDLE_SEALED_BYTES], bundle[CF_BUNDLE_SEALED_BYTES];
	assert_int_equal(cf_bundle_seal(rbundle, keys, rkek, uid), CF_OK);

	/* Later: the user types the code; it opens the recovery bundle. */
	uint8_t typed[20], rauth2[32], rkek2[32];
	assert_int_equal(cf_recovery_code_parse(typed, text, strlen(text)),
	                 CF_OK);
	assert_int_equal(cf_id_recovery_keys(rauth2, rkek2, typed), CF_OK);
	assert_memory_equal(rauth2, rauth, 32);
	assert_int_equal(cf_bundle_open(out, rbundle, sizeof rbundle, rkek2,
	                                uid), CF_OK);
	assert_int_equal(cf_id_password_keys(auth, kek, "new password 1", 14,
	                                     &kdf), CF_OK);
	assert_int_equal(cf_bundle_seal(bundle, out, kek, uid), CF_OK);
	sodium_memzero(out, sizeof *out);
	assert_int_equal(cf_bundle_open(out, bundle, sizeof bundle, kek, uid),
	                 CF_OK);
	assert_memory_equal(out, keys, sizeof *keys);
	assert_int_equal(cf_identity_keys_match(out, keys->sign_pk,
	                                        keys->enc_pk), CF_OK);
	cf_identity_keys_free(keys);
	cf_identity_keys_free(out);
}

/* --- small checks ---------------------------------------------------------------- */

static void test_pin_check(void **state)
{
	(void)state;
	assert_int_equal(cf_pin_check("1234", 4), CF_OK);
	assert_int_equal(cf_pin_check("000000000000", 12), CF_OK);
	assert_int_equal(cf_pin_check("123", 3), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("1234567890123", 13), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("12a4", 4), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("12 4", 4), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("1234/", 5), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("1234:", 5), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check("12\0004", 4), CF_ERR_INVALID);
	assert_int_equal(cf_pin_check(NULL, 4), CF_ERR_INVALID);
}

static void test_id_check(void **state)
{
	(void)state;
	assert_int_equal(cf_id_check("0123456789abcdef0123456789abcdef"),
	                 CF_OK);
	assert_int_equal(cf_id_check("0123456789ABCDEF0123456789abcdef"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_id_check("0123456789abcdef0123456789abcde"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_id_check("0123456789abcdef0123456789abcdef0"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_id_check("../../v1/orgs/0123456789abcdef0123"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_id_check(""), CF_ERR_INVALID);
	assert_int_equal(cf_id_check(NULL), CF_ERR_INVALID);
}

static void test_keys_generate(void **state)
{
	(void)state;
	struct cf_identity_keys *a = NULL, *b = NULL;
	assert_int_equal(cf_identity_keys_new(&a), CF_OK);
	assert_int_equal(cf_identity_keys_new(&b), CF_OK);
	assert_int_equal(cf_identity_keys_generate(a), CF_OK);
	assert_int_equal(cf_identity_keys_generate(b), CF_OK);
	assert_memory_not_equal(a->sign_seed, b->sign_seed, 32);
	assert_memory_not_equal(a->enc_sk, b->enc_sk, 32);
	/* The public keys are the secrets' (libsodium, independently). */
	uint8_t pk[32], sk[64];
	crypto_sign_seed_keypair(pk, sk, a->sign_seed);
	assert_memory_equal(pk, a->sign_pk, 32);
	crypto_scalarmult_base(pk, a->enc_sk);
	assert_memory_equal(pk, a->enc_pk, 32);
	sodium_memzero(sk, sizeof sk);
	cf_identity_keys_free(a);
	cf_identity_keys_free(b);
	cf_identity_keys_free(NULL);
	cf_secret_free(NULL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_keys_kat),
		cmocka_unit_test(test_password_keys_refusals),
		cmocka_unit_test(test_recovery_kat),
		cmocka_unit_test(test_recovery_parse_tolerant),
		cmocka_unit_test(test_recovery_parse_strict),
		cmocka_unit_test(test_recovery_alphabet),
		cmocka_unit_test(test_recovery_random_round_trip),
		cmocka_unit_test(test_bundle_aad),
		cmocka_unit_test(test_bundle_open_kat),
		cmocka_unit_test(test_bundle_seal_layout),
		cmocka_unit_test(test_bundle_refusals),
		cmocka_unit_test(test_recovery_rekey_chain),
		cmocka_unit_test(test_pin_check),
		cmocka_unit_test(test_id_check),
		cmocka_unit_test(test_keys_generate),
	};
	return cmocka_run_group_tests_name("client_identity_crypto", tests,
	                                   NULL, NULL);
}
