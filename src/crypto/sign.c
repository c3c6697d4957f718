/* Ed25519 on libsodium. libsodium 1.0.18's verifier already refuses
 * non-canonical S, small-order R and A and non-canonical A; this file only
 * adds argument checks and output discipline. */
#include "crypto/sign.h"

#include <string.h>

#include <sodium.h>

#include "crypto/internal.h"

cf_err cf_sign_keypair(uint8_t pk[CF_SIGN_PK_BYTES], uint8_t sk[CF_SIGN_SK_BYTES])
{
	uint8_t seed[CF_SIGN_SEED_BYTES];
	randombytes_buf(seed, sizeof(seed));
	cf_err err = cf_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return err;
}

cf_err cf_sign_seed_keypair(uint8_t pk[CF_SIGN_PK_BYTES], uint8_t sk[CF_SIGN_SK_BYTES],
			    const uint8_t seed[CF_SIGN_SEED_BYTES])
{
	if (pk == NULL || sk == NULL || seed == NULL)
		return CF_ERR_INVALID;
	uint8_t tpk[CF_SIGN_PK_BYTES];
	uint8_t tsk[CF_SIGN_SK_BYTES];
	cf_err err = CF_OK;
	if (crypto_sign_ed25519_seed_keypair(tpk, tsk, seed) != 0) {
		err = CF_ERR_CRYPTO;
	} else {
		memcpy(pk, tpk, sizeof(tpk));
		memcpy(sk, tsk, sizeof(tsk));
	}
	sodium_memzero(tsk, sizeof(tsk));
	return err;
}

cf_err cf_sign_detached(uint8_t sig[CF_SIGN_BYTES], const uint8_t *msg, size_t len,
			const uint8_t sk[CF_SIGN_SK_BYTES])
{
	if (sig == NULL || sk == NULL || !cf_span_ok(msg, len))
		return CF_ERR_INVALID;
	uint8_t tmp[CF_SIGN_BYTES];
	if (crypto_sign_ed25519_detached(tmp, NULL, cf_or_empty(msg), len, sk) != 0)
		return CF_ERR_CRYPTO;
	memcpy(sig, tmp, sizeof(tmp));
	return CF_OK;
}

cf_err cf_sign_verify(const uint8_t sig[CF_SIGN_BYTES], const uint8_t *msg, size_t len,
		      const uint8_t pk[CF_SIGN_PK_BYTES])
{
	if (sig == NULL || pk == NULL || !cf_span_ok(msg, len))
		return CF_ERR_INVALID;
	if (crypto_sign_ed25519_verify_detached(sig, cf_or_empty(msg), len, pk) != 0)
		return CF_ERR_CRYPTO;
	return CF_OK;
}

void cf_device_proof_message(uint8_t out[CF_DEVICE_PROOF_MSG_BYTES],
			     const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			     const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES])
{
	static const char domain[CF_DEVICE_PROOF_DOMAIN_BYTES] = "coffre-v1 device proof";
	memcpy(out, domain, sizeof(domain)); /* with its NUL */
	memcpy(out + sizeof(domain), pending, CF_DEVICE_PROOF_PENDING_BYTES);
	memcpy(out + sizeof(domain) + CF_DEVICE_PROOF_PENDING_BYTES, nonce,
	       CF_DEVICE_PROOF_NONCE_BYTES);
}

cf_err cf_device_proof_sign(uint8_t sig[CF_SIGN_BYTES],
			    const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			    const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES],
			    const uint8_t sk[CF_SIGN_SK_BYTES])
{
	if (pending == NULL || nonce == NULL)
		return CF_ERR_INVALID;
	uint8_t msg[CF_DEVICE_PROOF_MSG_BYTES];
	cf_device_proof_message(msg, pending, nonce);
	return cf_sign_detached(sig, msg, sizeof(msg), sk);
}

cf_err cf_device_proof_verify(const uint8_t sig[CF_SIGN_BYTES],
			      const uint8_t pending[CF_DEVICE_PROOF_PENDING_BYTES],
			      const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES],
			      const uint8_t pk[CF_SIGN_PK_BYTES])
{
	if (pending == NULL || nonce == NULL)
		return CF_ERR_INVALID;
	uint8_t msg[CF_DEVICE_PROOF_MSG_BYTES];
	cf_device_proof_message(msg, pending, nonce);
	return cf_sign_verify(sig, msg, sizeof(msg), pk);
}
