/* libFuzzer target: Merkle proof verification on hostile input (sizes,
 * indices and proofs come from the network in `coffre audit verify`).
 * Invariants: no crash, no out-of-bounds read or overflow whatever the
 * sizes (up to 2^64 - 1) and proof length, and the answer is only ever
 * CF_OK or CF_ERR_CRYPTO. Bit 1 of the mode byte draws old_size close to
 * new_size so the consistency branches near equality are reached.
 *
 * Built by meson -Dfuzz=true; run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t take_u64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *n > 0; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (cf_crypto_init() != CF_OK)
			abort();
		ready = 1;
	}
	if (size < 1 + 16 + 64)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	uint64_t a = take_u64(&data, &size), b = take_u64(&data, &size);
	uint8_t h1[32], h2[32];
	memcpy(h1, data, 32);
	memcpy(h2, data + 32, 32);
	data += 64;
	size -= 64;
	size_t len = size / 32;
	const uint8_t (*proof)[32] = len ? (const uint8_t (*)[32])data : NULL;
	cf_err err;
	if (mode & 1)
		err = cf_merkle_verify_consistency(a % 64 + (mode & 2 ? b : 0), b, h1, h2, proof, len);
	else
		err = cf_merkle_verify_inclusion(h1, a, b, proof, len, h2);
	if (err != CF_OK && err != CF_ERR_CRYPTO)
		abort();
	return 0;
}
