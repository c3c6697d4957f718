/* HKDF-SHA256 and HMAC. libsodium 1.0.18 has HMAC-SHA256/512 but neither
 * HKDF (added in 1.0.19) nor SHA-1, so HKDF is written here on top of its
 * HMAC, and HMAC-SHA1 comes from GnuTLS. */
#include "crypto/kdf.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <sodium.h>

#include "crypto/internal.h"
#include "crypto/kdf_internal.h"

static cf_err hmac_init(crypto_auth_hmacsha256_state *st,
			const uint8_t *key, size_t key_len)
{
	if (crypto_auth_hmacsha256_init(st, cf_or_empty(key), key_len) != 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err hmac_update(crypto_auth_hmacsha256_state *st,
			  const uint8_t *in, size_t len)
{
	if (len > 0 && crypto_auth_hmacsha256_update(st, in, len) != 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err hmac_update_parts(crypto_auth_hmacsha256_state *st,
				const struct cf_span *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cf_err err = hmac_update(st, parts[i].p, parts[i].n);
		if (err)
			return err;
	}
	return CF_OK;
}

static cf_err hmac_final(crypto_auth_hmacsha256_state *st, uint8_t out[32])
{
	if (crypto_auth_hmacsha256_final(st, out) != 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static int parts_ok(const struct cf_span *parts, size_t n)
{
	if (!cf_span_ok(parts, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!cf_span_ok(parts[i].p, parts[i].n))
			return 0;
	return 1;
}

/* HMAC pads a short key with zeros to the block size, so an empty salt
 * and RFC 5869's "HashLen zeros" give the same PRK. */
static cf_err extract_parts(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
			    const struct cf_span *ikm, size_t n_ikm)
{
	crypto_auth_hmacsha256_state st;
	uint8_t tmp[32];
	cf_err err = hmac_init(&st, salt, salt_len);
	if (!err)
		err = hmac_update_parts(&st, ikm, n_ikm);
	if (!err)
		err = hmac_final(&st, tmp);
	if (!err)
		memcpy(prk, tmp, sizeof(tmp));
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}

cf_err cf_hkdf_extract_parts(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
			     const struct cf_span *ikm, size_t n_ikm)
{
	if (prk == NULL || !cf_span_ok(salt, salt_len) || !parts_ok(ikm, n_ikm))
		return CF_ERR_INVALID;
	return extract_parts(prk, salt, salt_len, ikm, n_ikm);
}

/* T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i). The keyed state is computed once
 * and copied per block: cheaper, and `out` may then overwrite `prk`. */
static cf_err expand_blocks(uint8_t *out, size_t out_len,
			    const crypto_auth_hmacsha256_state *keyed,
			    const struct cf_span *info, size_t n_info)
{
	crypto_auth_hmacsha256_state st;
	uint8_t t[32];
	size_t t_len = 0;
	cf_err err = CF_OK;
	for (uint8_t ctr = 1; !err && out_len > 0; ctr++) {
		st = *keyed;
		err = hmac_update(&st, t, t_len);
		if (!err)
			err = hmac_update_parts(&st, info, n_info);
		if (!err)
			err = hmac_update(&st, &ctr, 1);
		if (!err)
			err = hmac_final(&st, t);
		if (err)
			break;
		t_len = sizeof(t);
		size_t n = out_len < t_len ? out_len : t_len;
		memcpy(out, t, n);
		out += n;
		out_len -= n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(t, sizeof(t));
	return err;
}

cf_err cf_hkdf_expand_parts(uint8_t *out, size_t out_len, const uint8_t prk[32],
			    const struct cf_span *info, size_t n_info)
{
	if (out_len > CF_HKDF_SHA256_MAX_BYTES)
		return CF_ERR_INVALID;
	if (!cf_span_ok(out, out_len) || prk == NULL || !parts_ok(info, n_info))
		return CF_ERR_INVALID;
	if (out_len == 0)
		return CF_OK;
	crypto_auth_hmacsha256_state keyed;
	cf_err err = hmac_init(&keyed, prk, 32);
	if (!err)
		err = expand_blocks(out, out_len, &keyed, info, n_info);
	sodium_memzero(&keyed, sizeof(keyed));
	return err;
}

cf_err cf_hkdf_sha256_extract(uint8_t prk[CF_HKDF_SHA256_PRK_BYTES],
			      const uint8_t *salt, size_t salt_len,
			      const uint8_t *ikm, size_t ikm_len)
{
	if (prk == NULL || !cf_span_ok(salt, salt_len) || !cf_span_ok(ikm, ikm_len))
		return CF_ERR_INVALID;
	struct cf_span part = { ikm, ikm_len };
	return extract_parts(prk, salt, salt_len, &part, 1);
}

cf_err cf_hkdf_sha256_expand(uint8_t *out, size_t out_len,
			     const uint8_t prk[CF_HKDF_SHA256_PRK_BYTES],
			     const uint8_t *info, size_t info_len)
{
	struct cf_span part = { info, info_len };
	return cf_hkdf_expand_parts(out, out_len, prk, &part, 1);
}

cf_err cf_hkdf_sha256(uint8_t *out, size_t out_len,
		      const uint8_t *ikm, size_t ikm_len,
		      const uint8_t *salt, size_t salt_len,
		      const uint8_t *info, size_t info_len)
{
	/* Check the size first so an oversized request costs no hashing. */
	if (out_len > CF_HKDF_SHA256_MAX_BYTES)
		return CF_ERR_INVALID;
	uint8_t prk[32];
	cf_err err = cf_hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
	if (!err)
		err = cf_hkdf_sha256_expand(out, out_len, prk, info, info_len);
	sodium_memzero(prk, sizeof(prk));
	return err;
}

cf_err cf_hmac_sha256(uint8_t out[CF_HMAC_SHA256_BYTES],
		      const uint8_t *key, size_t key_len,
		      const uint8_t *msg, size_t msg_len)
{
	if (out == NULL)
		return CF_ERR_INVALID;
	/* HMAC(key, msg) is HKDF-Extract with the key as salt. */
	return cf_hkdf_sha256_extract(out, key, key_len, msg, msg_len);
}

cf_err cf_hmac_sha256_verify(const uint8_t *tag, size_t tag_len,
			     const uint8_t *key, size_t key_len,
			     const uint8_t *msg, size_t msg_len)
{
	if (tag == NULL || tag_len < CF_HMAC_SHA256_MIN_TAG_BYTES ||
	    tag_len > CF_HMAC_SHA256_BYTES)
		return CF_ERR_INVALID;
	uint8_t full[CF_HMAC_SHA256_BYTES];
	cf_err err = cf_hmac_sha256(full, key, key_len, msg, msg_len);
	if (!err && sodium_memcmp(full, tag, tag_len) != 0)
		err = CF_ERR_CRYPTO;
	sodium_memzero(full, sizeof(full));
	return err;
}

size_t cf_hmac_bytes(enum cf_hmac_alg alg)
{
	switch (alg) {
	case CF_HMAC_SHA1: return 20;
	case CF_HMAC_SHA256: return 32;
	case CF_HMAC_SHA512: return 64;
	}
	return 0;
}

static cf_err hmac_sha512(uint8_t out[64], const uint8_t *key, size_t key_len,
			  const uint8_t *msg, size_t msg_len)
{
	crypto_auth_hmacsha512_state st;
	cf_err err = CF_OK;
	if (crypto_auth_hmacsha512_init(&st, cf_or_empty(key), key_len) != 0 ||
	    (msg_len > 0 && crypto_auth_hmacsha512_update(&st, msg, msg_len) != 0) ||
	    crypto_auth_hmacsha512_final(&st, out) != 0)
		err = CF_ERR_CRYPTO;
	sodium_memzero(&st, sizeof(st));
	return err;
}

static cf_err hmac_sha1(uint8_t out[20], const uint8_t *key, size_t key_len,
			const uint8_t *msg, size_t msg_len)
{
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, cf_or_empty(key), key_len,
			     cf_or_empty(msg), msg_len, out) < 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

cf_err cf_hmac(enum cf_hmac_alg alg, uint8_t *out, size_t *ret_len,
	       const uint8_t *key, size_t key_len,
	       const uint8_t *msg, size_t msg_len)
{
	size_t len = cf_hmac_bytes(alg);
	if (len == 0 || out == NULL || ret_len == NULL ||
	    !cf_span_ok(key, key_len) || !cf_span_ok(msg, msg_len))
		return CF_ERR_INVALID;
	uint8_t tmp[CF_HMAC_MAX_BYTES];
	cf_err err;
	switch (alg) {
	case CF_HMAC_SHA1:
		err = hmac_sha1(tmp, key, key_len, msg, msg_len);
		break;
	case CF_HMAC_SHA256:
		err = cf_hmac_sha256(tmp, key, key_len, msg, msg_len);
		break;
	default:
		err = hmac_sha512(tmp, key, key_len, msg, msg_len);
		break;
	}
	if (!err) {
		memcpy(out, tmp, len);
		*ret_len = len;
	}
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}
