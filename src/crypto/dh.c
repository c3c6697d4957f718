/* X25519 on libsodium. */
#include "crypto/dh.h"

#include <string.h>

#include <sodium.h>

cf_err cf_x25519_public(uint8_t pk[CF_X25519_BYTES], const uint8_t sk[CF_X25519_BYTES])
{
	if (pk == NULL || sk == NULL)
		return CF_ERR_INVALID;
	uint8_t tmp[CF_X25519_BYTES];
	/* Fails only for a scalar that clamps to zero, which cannot happen. */
	if (crypto_scalarmult_curve25519_base(tmp, sk) != 0)
		return CF_ERR_CRYPTO;
	memcpy(pk, tmp, sizeof(tmp));
	return CF_OK;
}

cf_err cf_x25519_keypair(uint8_t pk[CF_X25519_BYTES], uint8_t sk[CF_X25519_BYTES])
{
	if (pk == NULL || sk == NULL)
		return CF_ERR_INVALID;
	uint8_t tsk[CF_X25519_BYTES];
	randombytes_buf(tsk, sizeof(tsk));
	cf_err err = cf_x25519_public(pk, tsk);
	if (!err)
		memcpy(sk, tsk, sizeof(tsk));
	sodium_memzero(tsk, sizeof(tsk));
	return err;
}

cf_err cf_x25519(uint8_t out[CF_X25519_BYTES], const uint8_t sk[CF_X25519_BYTES],
		 const uint8_t pk[CF_X25519_BYTES])
{
	if (out == NULL || sk == NULL || pk == NULL)
		return CF_ERR_INVALID;
	uint8_t tmp[CF_X25519_BYTES];
	cf_err err = CF_OK;
	/* libsodium returns -1 for small-order points and for a zero result;
	 * the explicit zero test keeps the RFC 9180 rule visible here and
	 * independent of the library's blacklist. */
	if (crypto_scalarmult_curve25519(tmp, sk, pk) != 0 ||
	    sodium_is_zero(tmp, sizeof(tmp)))
		err = CF_ERR_CRYPTO;
	else
		memcpy(out, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}
