/* AES-GCM: libsodium (AES-NI) first, GnuTLS when libsodium cannot. */
#include "crypto/aead.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>

#include "crypto/aead_internal.h"
#include "crypto/internal.h"

void cf_aead_keygen(uint8_t key[CF_AEAD_KEY_BYTES])
{
	randombytes_buf(key, CF_AEAD_KEY_BYTES);
}

static gnutls_cipher_algorithm_t gnutls_gcm_alg(size_t key_len)
{
	switch (key_len) {
	case 16: return GNUTLS_CIPHER_AES_128_GCM;
	case 24: return GNUTLS_CIPHER_AES_192_GCM;
	case 32: return GNUTLS_CIPHER_AES_256_GCM;
	default: return GNUTLS_CIPHER_UNKNOWN;
	}
}

bool cf_aes_gcm_impl_available(enum cf_aes_impl impl, size_t key_len)
{
	switch (impl) {
	case CF_AES_IMPL_SODIUM:
		return key_len == 32 && crypto_aead_aes256gcm_is_available();
	case CF_AES_IMPL_GNUTLS:
	case CF_AES_IMPL_AUTO:
		return gnutls_gcm_alg(key_len) != GNUTLS_CIPHER_UNKNOWN;
	}
	return false;
}

/* AUTO resolves to libsodium only where it is both present and applicable. */
static enum cf_aes_impl resolve(enum cf_aes_impl impl, size_t key_len)
{
	if (impl != CF_AES_IMPL_AUTO)
		return impl;
	if (cf_aes_gcm_impl_available(CF_AES_IMPL_SODIUM, key_len))
		return CF_AES_IMPL_SODIUM;
	return CF_AES_IMPL_GNUTLS;
}

static cf_err gnutls_handle(gnutls_aead_cipher_hd_t *ret, const uint8_t *key,
			    size_t key_len)
{
	/* GnuTLS copies the key into its context and never writes through
	 * this pointer; the datum type is simply not const-qualified. */
	gnutls_datum_t k = { .data = (unsigned char *)(uintptr_t)key,
			     .size = (unsigned)key_len };
	if (gnutls_aead_cipher_init(ret, gnutls_gcm_alg(key_len), &k) < 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err gnutls_seal(uint8_t *ct, const uint8_t *pt, size_t pt_len,
			  const uint8_t *aad, size_t aad_len,
			  const uint8_t nonce[12], const uint8_t *key, size_t key_len)
{
	gnutls_aead_cipher_hd_t h;
	cf_err err = gnutls_handle(&h, key, key_len);
	if (err)
		return err;
	size_t ct_len = pt_len + CF_AEAD_TAG_BYTES;
	int rc = gnutls_aead_cipher_encrypt(h, nonce, 12, cf_or_empty(aad), aad_len,
					    CF_AEAD_TAG_BYTES, cf_or_empty(pt), pt_len,
					    ct, &ct_len);
	gnutls_aead_cipher_deinit(h); /* wipes the expanded key */
	if (rc < 0 || ct_len != pt_len + CF_AEAD_TAG_BYTES)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err gnutls_open(uint8_t *pt, const uint8_t *ct, size_t ct_len,
			  const uint8_t *aad, size_t aad_len,
			  const uint8_t nonce[12], const uint8_t *key, size_t key_len)
{
	gnutls_aead_cipher_hd_t h;
	cf_err err = gnutls_handle(&h, key, key_len);
	if (err)
		return err;
	size_t pt_len = ct_len - CF_AEAD_TAG_BYTES;
	/* GnuTLS wants a writable buffer even for an empty plaintext. */
	uint8_t scratch[1];
	uint8_t *out = pt_len > 0 ? pt : scratch;
	int rc = gnutls_aead_cipher_decrypt(h, nonce, 12, cf_or_empty(aad), aad_len,
					    CF_AEAD_TAG_BYTES, ct, ct_len, out, &pt_len);
	gnutls_aead_cipher_deinit(h);
	if (rc < 0 || pt_len != ct_len - CF_AEAD_TAG_BYTES)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err sodium_seal(uint8_t *ct, const uint8_t *pt, size_t pt_len,
			  const uint8_t *aad, size_t aad_len,
			  const uint8_t nonce[12], const uint8_t *key)
{
	unsigned long long ct_len = 0;
	if (crypto_aead_aes256gcm_encrypt(ct, &ct_len, cf_or_empty(pt), pt_len,
					  cf_or_empty(aad), aad_len, NULL, nonce, key) != 0 ||
	    ct_len != (unsigned long long)pt_len + CF_AEAD_TAG_BYTES)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

static cf_err sodium_open(uint8_t *pt, const uint8_t *ct, size_t ct_len,
			  const uint8_t *aad, size_t aad_len,
			  const uint8_t nonce[12], const uint8_t *key)
{
	unsigned long long pt_len = 0;
	uint8_t scratch[1];
	uint8_t *out = ct_len > CF_AEAD_TAG_BYTES ? pt : scratch;
	if (crypto_aead_aes256gcm_decrypt(out, &pt_len, NULL, ct, ct_len,
					  cf_or_empty(aad), aad_len, nonce, key) != 0 ||
	    pt_len != (unsigned long long)ct_len - CF_AEAD_TAG_BYTES)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

/* `out` may be NULL only when it receives nothing (opening an empty
 * plaintext). */
static cf_err check_args(const void *out, size_t out_len,
			 const void *in, size_t in_len,
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *nonce, const uint8_t *key)
{
	if (!cf_span_ok(out, out_len) || !cf_span_ok(in, in_len) ||
	    !cf_span_ok(aad, aad_len) || nonce == NULL || key == NULL)
		return CF_ERR_INVALID;
	return CF_OK;
}

cf_err cf_aes_gcm_seal(enum cf_aes_impl impl, uint8_t *ct,
		       const uint8_t *pt, size_t pt_len,
		       const uint8_t *aad, size_t aad_len,
		       const uint8_t nonce[12], const uint8_t *key, size_t key_len)
{
	if ((uint64_t)pt_len > CF_AEAD_MAX_PT_BYTES ||
	    pt_len > SIZE_MAX - CF_AEAD_TAG_BYTES)
		return CF_ERR_TOO_LARGE;
	cf_err err = check_args(ct, pt_len + CF_AEAD_TAG_BYTES, pt, pt_len,
				aad, aad_len, nonce, key);
	if (err)
		return err;
	if (gnutls_gcm_alg(key_len) == GNUTLS_CIPHER_UNKNOWN)
		return CF_ERR_INVALID;
	if (!cf_aes_gcm_impl_available(impl, key_len))
		return CF_ERR_UNSUPPORTED;
	if (resolve(impl, key_len) == CF_AES_IMPL_SODIUM)
		return sodium_seal(ct, pt, pt_len, aad, aad_len, nonce, key);
	return gnutls_seal(ct, pt, pt_len, aad, aad_len, nonce, key, key_len);
}

cf_err cf_aes_gcm_open(enum cf_aes_impl impl, uint8_t *pt,
		       const uint8_t *ct, size_t ct_len,
		       const uint8_t *aad, size_t aad_len,
		       const uint8_t nonce[12], const uint8_t *key, size_t key_len)
{
	if (ct_len < CF_AEAD_TAG_BYTES)
		return CF_ERR_INVALID;
	size_t pt_len = ct_len - CF_AEAD_TAG_BYTES;
	if ((uint64_t)pt_len > CF_AEAD_MAX_PT_BYTES)
		return CF_ERR_TOO_LARGE;
	cf_err err = check_args(pt, pt_len, ct, ct_len, aad, aad_len, nonce, key);
	if (err)
		return err;
	if (gnutls_gcm_alg(key_len) == GNUTLS_CIPHER_UNKNOWN)
		return CF_ERR_INVALID;
	if (!cf_aes_gcm_impl_available(impl, key_len))
		return CF_ERR_UNSUPPORTED;
	if (resolve(impl, key_len) == CF_AES_IMPL_SODIUM)
		err = sodium_open(pt, ct, ct_len, aad, aad_len, nonce, key);
	else
		err = gnutls_open(pt, ct, ct_len, aad, aad_len, nonce, key, key_len);
	/* Both back ends may have written unauthenticated plaintext. */
	if (err && pt_len > 0)
		sodium_memzero(pt, pt_len);
	return err;
}

cf_err cf_aead_seal(uint8_t *ct, const uint8_t *pt, size_t pt_len,
		    const uint8_t *aad, size_t aad_len,
		    const uint8_t nonce[CF_AEAD_NONCE_BYTES],
		    const uint8_t key[CF_AEAD_KEY_BYTES])
{
	return cf_aes_gcm_seal(CF_AES_IMPL_AUTO, ct, pt, pt_len, aad, aad_len,
			       nonce, key, CF_AEAD_KEY_BYTES);
}

cf_err cf_aead_open(uint8_t *pt, const uint8_t *ct, size_t ct_len,
		    const uint8_t *aad, size_t aad_len,
		    const uint8_t nonce[CF_AEAD_NONCE_BYTES],
		    const uint8_t key[CF_AEAD_KEY_BYTES])
{
	return cf_aes_gcm_open(CF_AES_IMPL_AUTO, pt, ct, ct_len, aad, aad_len,
			       nonce, key, CF_AEAD_KEY_BYTES);
}
