/* Initialisation, randomness and SHA-256 on libsodium. */
#include "crypto/crypto.h"

#include "crypto/internal.h"

const uint8_t cf_empty_byte[1] = { 0 };

cf_err cf_crypto_init(void)
{
	/* sodium_init() locks internally and returns 1 when already done. */
	if (sodium_init() < 0)
		return CF_ERR_RANDOM;
	return CF_OK;
}

cf_err cf_random_bytes(uint8_t *out, size_t len)
{
	if (!cf_span_ok(out, len))
		return CF_ERR_INVALID;
	if (len > 0)
		randombytes_buf(out, len);
	return CF_OK;
}

void cf_random_id(uint8_t out[CF_ID_BYTES])
{
	randombytes_buf(out, CF_ID_BYTES);
}

/* libsodium's SHA-256 returns 0 unconditionally; a non-zero value would mean
 * a broken library, and a hash function that silently returns garbage is
 * worse than stopping, hence sodium_misuse() (abort). */
void cf_sha256(uint8_t out[CF_SHA256_BYTES], const uint8_t *in, size_t len)
{
	if (crypto_hash_sha256(out, cf_or_empty(in), len) != 0)
		sodium_misuse();
}

void cf_sha256_init(cf_sha256_state *state)
{
	if (crypto_hash_sha256_init(&state->st) != 0)
		sodium_misuse();
}

void cf_sha256_update(cf_sha256_state *state, const uint8_t *in, size_t len)
{
	if (len == 0)
		return;
	if (crypto_hash_sha256_update(&state->st, in, len) != 0)
		sodium_misuse();
}

void cf_sha256_final(cf_sha256_state *state, uint8_t out[CF_SHA256_BYTES])
{
	if (crypto_hash_sha256_final(&state->st, out) != 0)
		sodium_misuse();
	sodium_memzero(state, sizeof(*state));
}
