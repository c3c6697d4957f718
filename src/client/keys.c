/* Client-side identity formats of coffre-v1 (docs/api/identity.md "Client-side
 * key derivation"): password → auth_key/kek, recovery code → recovery
 * auth/kek, the sealed key bundle, PIN and id checks. Pure functions on
 * bytes: no I/O, no allocation but locked memory for keys. Every secret
 * intermediate lives in a buffer that a cleanup handler wipes, so no return
 * path can leave key bytes on the stack. */
#include <string.h>

#include <sodium.h>

#include "coffre/keys.h"
#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/dh.h"
#include "crypto/kdf.h"
#include "crypto/pwhash.h"
#include "crypto/sign.h"
#include "util/cleanup.h"
#include "util/rules.h"

_Static_assert(CF_ID_KEY_BYTES == CF_CLIENT_KEY_BYTES, "32-byte client keys");
_Static_assert(CF_ID_KEY_BYTES == CF_SIGN_SEED_BYTES, "Ed25519 seed");
_Static_assert(CF_ID_KEY_BYTES == CF_SIGN_PK_BYTES, "Ed25519 public key");
_Static_assert(CF_ID_KEY_BYTES == CF_X25519_BYTES, "X25519 keys");
_Static_assert(CF_ID_KEY_BYTES == CF_AEAD_KEY_BYTES, "AES-256 key");
_Static_assert(CF_ID_SALT_BYTES == CF_ARGON2_SALT_BYTES, "Argon2 salt");
_Static_assert(CF_ID_BYTES_RAW == CF_ID_BYTES, "16-byte ids");
_Static_assert(CF_BUNDLE_SEALED_BYTES == CF_AEAD_NONCE_BYTES +
               CF_BUNDLE_PLAIN_BYTES + CF_AEAD_TAG_BYTES, "bundle layout");
_Static_assert(sizeof CF_BUNDLE_AAD_DOMAIN == 17, "domain and its NUL");
_Static_assert(CF_RECOVERY_CODE_CHARS * 5 == CF_RECOVERY_CODE_BYTES * 8,
               "base32 without padding");
_Static_assert(CF_PASSWORD_MAX <= CF_PWHASH_INPUT_MAX, "password cap");

#define RECOVERY_INPUT_MAX 256


/* --- identity keys --------------------------------------------------------- */

cf_err cf_identity_keys_new(struct cf_identity_keys **ret)
{
	if (!ret)
		return CF_ERR_INVALID;
	if (sodium_init() < 0)
		return CF_ERR_RANDOM;
	struct cf_identity_keys *k = sodium_malloc(sizeof *k);
	if (!k)
		return CF_ERR_NOMEM;
	sodium_memzero(k, sizeof *k);
	*ret = k;
	return CF_OK;
}

void cf_identity_keys_free(struct cf_identity_keys *keys)
{
	if (keys)
		sodium_free(keys);   /* wipes first */
}

/* Fills the public halves from the secrets. */
static cf_err derive_public(const uint8_t seed[32], const uint8_t enc_sk[32],
                            uint8_t ret_sign_pk[32], uint8_t ret_enc_pk[32])
{
	CF_AUTO_WIPED(sk, 64);
	uint8_t spk[CF_SIGN_PK_BYTES];
	uint8_t epk[CF_X25519_BYTES];
	cf_err err = cf_sign_seed_keypair(spk, sk, seed);
	if (!err)
		err = cf_x25519_public(epk, enc_sk);
	if (err)
		return err;
	memcpy(ret_sign_pk, spk, sizeof spk);
	memcpy(ret_enc_pk, epk, sizeof epk);
	return CF_OK;
}

cf_err cf_identity_keys_generate(struct cf_identity_keys *keys)
{
	if (!keys)
		return CF_ERR_INVALID;
	CF_AUTO_WIPED(seed, 32);
	CF_AUTO_WIPED(enc, 32);
	cf_err err = cf_random_bytes(seed, sizeof seed);
	if (!err)
		err = cf_random_bytes(enc, sizeof enc);
	if (!err)
		err = derive_public(seed, enc, keys->sign_pk, keys->enc_pk);
	if (err)
		return err;
	memcpy(keys->sign_seed, seed, sizeof seed);
	memcpy(keys->enc_sk, enc, sizeof enc);
	return CF_OK;
}

cf_err cf_identity_keys_match(const struct cf_identity_keys *keys,
                              const uint8_t sign_pk[CF_ID_KEY_BYTES],
                              const uint8_t enc_pk[CF_ID_KEY_BYTES])
{
	if (!keys || !sign_pk || !enc_pk)
		return CF_ERR_INVALID;
	/* Both compared, whatever the first gives. */
	int a = sodium_memcmp(keys->sign_pk, sign_pk, CF_ID_KEY_BYTES);
	int b = sodium_memcmp(keys->enc_pk, enc_pk, CF_ID_KEY_BYTES);
	return (a | b) == 0 ? CF_OK : CF_ERR_CRYPTO;
}

/* --- derivations ------------------------------------------------------------ */

cf_err cf_id_password_keys(uint8_t ret_auth_key[CF_ID_KEY_BYTES],
                           uint8_t ret_kek[CF_ID_KEY_BYTES],
                           const char *password, size_t len,
                           const struct cf_kdf_params *kdf)
{
	if (!ret_auth_key || !ret_kek || !password || !kdf || len == 0)
		return CF_ERR_INVALID;
	if (len > CF_PASSWORD_MAX)
		return CF_ERR_TOO_LARGE;
	CF_AUTO_WIPED(master, 32);
	CF_AUTO_WIPED(auth, 32);
	CF_AUTO_WIPED(kek, 32);
	cf_err err = cf_argon2id(master, sizeof master,
	                         (const uint8_t *)password, len, kdf->salt,
	                         kdf->t_cost, kdf->m_cost_kib);
	if (!err)
		err = cf_client_keys_derive(auth, kek, master);
	if (err)
		return err;
	memcpy(ret_auth_key, auth, sizeof auth);
	memcpy(ret_kek, kek, sizeof kek);
	return CF_OK;
}

cf_err cf_id_recovery_keys(uint8_t ret_recovery_auth[CF_ID_KEY_BYTES],
                           uint8_t ret_recovery_kek[CF_ID_KEY_BYTES],
                           const uint8_t code[CF_RECOVERY_CODE_BYTES])
{
	static const char auth_info[] = "coffre-v1 recovery auth";
	static const char kek_info[] = "coffre-v1 recovery kek";
	if (!ret_recovery_auth || !ret_recovery_kek || !code)
		return CF_ERR_INVALID;
	CF_AUTO_WIPED(auth, 32);
	CF_AUTO_WIPED(kek, 32);
	cf_err err = cf_hkdf_sha256(auth, sizeof auth, code,
	                            CF_RECOVERY_CODE_BYTES, NULL, 0,
	                            (const uint8_t *)auth_info,
	                            sizeof auth_info - 1);
	if (!err)
		err = cf_hkdf_sha256(kek, sizeof kek, code,
		                     CF_RECOVERY_CODE_BYTES, NULL, 0,
		                     (const uint8_t *)kek_info,
		                     sizeof kek_info - 1);
	if (err)
		return err;
	memcpy(ret_recovery_auth, auth, sizeof auth);
	memcpy(ret_recovery_kek, kek, sizeof kek);
	return CF_OK;
}

/* --- recovery code text ---------------------------------------------------- */

/* The RFC 4648 base32 character of v (0..31) without a table lookup indexed
 * by the secret: 'A'..'Z' for 0..25, '2'..'7' for 26..31. */
static char b32_char(unsigned v)
{
	int x = (int)v;
	int over = (25 - x) >> 8;            /* -1 when v > 25, else 0 */
	return (char)('A' + x + (over & ('2' - 26 - 'A')));
}

/* The value of a base32 character in either case, or -1; branch-free in
 * the character (as libsodium's base64 decoder). */
static int b32_value(unsigned char ch)
{
	int c = ch;
	int letter = (c | 0x20) - 'a';       /* 0..25 for A-Z and a-z */
	int digit = c - '2';                 /* 0..5 for '2'..'7' */
	int is_letter = ((-1 - letter) & (letter - 26)) >> 8;
	int is_digit = ((-1 - digit) & (digit - 6)) >> 8;
	return (is_letter & letter) | (is_digit & (digit + 26)) |
	       ~(is_letter | is_digit);
}

cf_err cf_recovery_code_format(char ret_text[CF_RECOVERY_TEXT_LEN + 1],
                               const uint8_t code[CF_RECOVERY_CODE_BYTES])
{
	if (!ret_text || !code)
		return CF_ERR_INVALID;
	size_t o = 0;
	for (size_t block = 0; block < CF_RECOVERY_CODE_BYTES / 5; block++) {
		const uint8_t *b = code + block * 5;
		/* 40 bits, 8 symbols of 5 bits, most significant first. */
		uint64_t bits = (uint64_t)b[0] << 32 | (uint64_t)b[1] << 24 |
		                (uint64_t)b[2] << 16 | (uint64_t)b[3] << 8 |
		                (uint64_t)b[4];
		for (int s = 7; s >= 0; s--) {
			size_t sym = block * 8 + (size_t)(7 - s);
			if (sym > 0 && sym % 4 == 0)
				ret_text[o++] = '-';
			ret_text[o++] = b32_char((unsigned)(bits >> (5 * s)) &
			                         31u);
		}
		sodium_memzero(&bits, sizeof bits);
	}
	ret_text[o] = '\0';
	return CF_OK;
}

cf_err cf_recovery_code_parse(uint8_t ret_code[CF_RECOVERY_CODE_BYTES],
                              const char *text, size_t len)
{
	if (!ret_code || !text)
		return CF_ERR_INVALID;
	if (len > RECOVERY_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	CF_AUTO_WIPED(out, 20);
	size_t count = 0;
	uint64_t acc = 0;
	int bad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		/* Separators are formatting, not secret: branching is fine. */
		if (ch == ' ' || ch == '\t' || ch == '-')
			continue;
		int v = b32_value(ch);
		bad |= v;                     /* -1 sets the sign bit */
		if (count < CF_RECOVERY_CODE_CHARS) {
			acc = acc << 5 | (uint64_t)(v & 31);
			if (count % 8 == 7) {
				size_t at = count / 8 * 5;
				for (int k = 0; k < 5; k++)
					out[at + (size_t)k] =
						(uint8_t)(acc >> (8 * (4 - k)));
				acc = 0;
			}
		}
		count++;
	}
	sodium_memzero(&acc, sizeof acc);
	if (count != CF_RECOVERY_CODE_CHARS || bad < 0)
		return CF_ERR_INVALID;
	memcpy(ret_code, out, sizeof out);
	return CF_OK;
}

/* --- key bundle ------------------------------------------------------------- */

void cf_bundle_aad(uint8_t ret_aad[CF_BUNDLE_AAD_BYTES],
                   const uint8_t user_id[CF_ID_BYTES_RAW])
{
	memcpy(ret_aad, CF_BUNDLE_AAD_DOMAIN, sizeof CF_BUNDLE_AAD_DOMAIN);
	memcpy(ret_aad + sizeof CF_BUNDLE_AAD_DOMAIN, user_id,
	       CF_ID_BYTES_RAW);
}

cf_err cf_bundle_seal(uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES],
                      const struct cf_identity_keys *keys,
                      const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW])
{
	if (!ret_sealed || !keys || !key || !user_id)
		return CF_ERR_INVALID;
	CF_AUTO_WIPED(plain, 64);
	memcpy(plain, keys->sign_seed, 32);
	memcpy(plain + 32, keys->enc_sk, 32);
	uint8_t aad[CF_BUNDLE_AAD_BYTES];
	cf_bundle_aad(aad, user_id);
	uint8_t out[CF_BUNDLE_SEALED_BYTES];
	cf_err err = cf_random_bytes(out, CF_AEAD_NONCE_BYTES);
	if (!err)
		err = cf_aead_seal(out + CF_AEAD_NONCE_BYTES, plain, sizeof plain,
		                   aad, sizeof aad, out, key);
	if (err)
		return err;
	memcpy(ret_sealed, out, sizeof out);
	return CF_OK;
}

cf_err cf_bundle_open(struct cf_identity_keys *ret_keys, const uint8_t *sealed,
                      size_t len, const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW])
{
	if (!ret_keys || !sealed || !key || !user_id ||
	    len != CF_BUNDLE_SEALED_BYTES)
		return CF_ERR_INVALID;
	uint8_t aad[CF_BUNDLE_AAD_BYTES];
	cf_bundle_aad(aad, user_id);
	CF_AUTO_WIPED(plain, 64);
	cf_err err = cf_aead_open(plain, sealed + CF_AEAD_NONCE_BYTES,
	                          len - CF_AEAD_NONCE_BYTES, aad, sizeof aad,
	                          sealed, key);
	if (err)
		return err == CF_ERR_INVALID ? CF_ERR_INVALID : CF_ERR_CRYPTO;
	uint8_t spk[32], epk[32];
	err = derive_public(plain, plain + 32, spk, epk);
	if (err)
		return err;
	memcpy(ret_keys->sign_seed, plain, 32);
	memcpy(ret_keys->enc_sk, plain + 32, 32);
	memcpy(ret_keys->sign_pk, spk, 32);
	memcpy(ret_keys->enc_pk, epk, 32);
	return CF_OK;
}

/* --- small checks ------------------------------------------------------------ */

cf_err cf_pin_check(const char *pin, size_t len)
{
	return cf_pin_ok(pin, len) ? CF_OK : CF_ERR_INVALID;
}

cf_err cf_id_check(const char *id)
{
	return cf_id_hex_ok(id) ? CF_OK : CF_ERR_INVALID;
}

void cf_secret_free(char *secret)
{
	if (secret)
		sodium_free(secret);
}
