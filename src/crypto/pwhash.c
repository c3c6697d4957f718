/* Argon2id and the client key split. */
#include "crypto/pwhash.h"

#include <string.h>

#include <sodium.h>

#include "crypto/internal.h"
#include "crypto/kdf.h"

#define ARGON2ID_PREFIX "$argon2id$"

_Static_assert(CF_PWHASH_STR_BYTES == crypto_pwhash_STRBYTES,
	       "verifier strings are libsodium's");
_Static_assert(CF_ARGON2_SALT_BYTES == crypto_pwhash_SALTBYTES, "16-byte salt");

static cf_err check_params(size_t out_len, uint32_t t_cost, uint32_t m_cost_kib)
{
	if (out_len < CF_ARGON2_OUT_MIN || out_len > CF_ARGON2_OUT_MAX ||
	    t_cost < CF_ARGON2_T_MIN || m_cost_kib < CF_ARGON2_M_MIN_KIB)
		return CF_ERR_INVALID;
	if (t_cost > CF_ARGON2_T_MAX || m_cost_kib > CF_ARGON2_M_MAX_KIB)
		return CF_ERR_TOO_LARGE;
	return CF_OK;
}

cf_err cf_argon2id(uint8_t *out, size_t out_len, const uint8_t *pw, size_t pw_len,
		   const uint8_t salt[CF_ARGON2_SALT_BYTES],
		   uint32_t t_cost, uint32_t m_cost_kib)
{
	if (out == NULL || salt == NULL || !cf_span_ok(pw, pw_len))
		return CF_ERR_INVALID;
	cf_err err = check_params(out_len, t_cost, m_cost_kib);
	if (err)
		return err;
	if (pw_len > CF_PWHASH_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	/* libsodium zeroes its output before it starts; hash into a local
	 * buffer so the caller's stays untouched on failure. */
	uint8_t tmp[CF_ARGON2_OUT_MAX];
	if (crypto_pwhash(tmp, out_len, (const char *)cf_or_empty(pw), pw_len, salt,
			  t_cost, (size_t)m_cost_kib * 1024u,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		err = CF_ERR_NOMEM; /* parameters were checked: only memory is left */
	} else {
		memcpy(out, tmp, out_len);
	}
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}

cf_err cf_client_keys_derive(uint8_t auth_key[CF_CLIENT_KEY_BYTES],
			     uint8_t kek[CF_CLIENT_KEY_BYTES],
			     const uint8_t master[CF_CLIENT_KEY_BYTES])
{
	static const char auth_info[] = "coffre-v1 auth";
	static const char kek_info[] = "coffre-v1 kek";
	if (auth_key == NULL || kek == NULL || master == NULL)
		return CF_ERR_INVALID;
	uint8_t a[CF_CLIENT_KEY_BYTES];
	uint8_t k[CF_CLIENT_KEY_BYTES];
	cf_err err = cf_hkdf_sha256(a, sizeof(a), master, CF_CLIENT_KEY_BYTES, NULL, 0,
				    (const uint8_t *)auth_info, sizeof(auth_info) - 1);
	if (!err)
		err = cf_hkdf_sha256(k, sizeof(k), master, CF_CLIENT_KEY_BYTES, NULL, 0,
				     (const uint8_t *)kek_info, sizeof(kek_info) - 1);
	if (!err) {
		memcpy(auth_key, a, sizeof(a));
		memcpy(kek, k, sizeof(k));
	}
	sodium_memzero(a, sizeof(a));
	sodium_memzero(k, sizeof(k));
	return err;
}

cf_err cf_pwhash_str(char out[CF_PWHASH_STR_BYTES], const uint8_t *secret, size_t len)
{
	if (out == NULL || !cf_span_ok(secret, len))
		return CF_ERR_INVALID;
	if (len > CF_PWHASH_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	char tmp[crypto_pwhash_STRBYTES];
	cf_err err = CF_OK;
	if (crypto_pwhash_str_alg(tmp, (const char *)cf_or_empty(secret), len,
				  CF_PWHASH_STR_T, (size_t)CF_PWHASH_STR_M_KIB * 1024u,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		err = CF_ERR_NOMEM;
	else
		memcpy(out, tmp, CF_PWHASH_STR_BYTES);
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}

/* An Argon2id string, terminated inside the buffer the API promises. */
static cf_err check_str(const char *str)
{
	if (str == NULL || memchr(str, '\0', CF_PWHASH_STR_BYTES) == NULL)
		return CF_ERR_INVALID;
	if (strncmp(str, ARGON2ID_PREFIX, sizeof(ARGON2ID_PREFIX) - 1) != 0)
		return CF_ERR_INVALID;
	return CF_OK;
}

cf_err cf_pwhash_str_verify(const char *str, const uint8_t *secret, size_t len)
{
	if (!cf_span_ok(secret, len))
		return CF_ERR_INVALID;
	cf_err err = check_str(str);
	if (err)
		return err;
	if (len > CF_PWHASH_INPUT_MAX)
		return CF_ERR_CRYPTO; /* could never have been hashed */
	if (crypto_pwhash_str_verify(str, (const char *)cf_or_empty(secret), len) != 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

cf_err cf_pwhash_str_needs_rehash(const char *str, bool *ret)
{
	if (ret == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_str(str);
	if (err)
		return err;
	int rc = crypto_pwhash_str_needs_rehash(str, CF_PWHASH_STR_T,
						(size_t)CF_PWHASH_STR_M_KIB * 1024u);
	if (rc < 0)
		return CF_ERR_INVALID;
	*ret = rc != 0;
	return CF_OK;
}
