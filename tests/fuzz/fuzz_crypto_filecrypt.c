/* libFuzzer target: opening a hostile chunked-file stream. The input is
 * cut into pieces by length bytes and fed to cf_filecrypt_pull().
 * Invariants: no crash; a failure poisons the stream; a stream the fuzzer
 * did not seal with the fixed key never ends with CF_OK (forging AES-GCM
 * is out of reach, so reaching CF_OK means a logic error).
 *
 * Built by meson -Dfuzz=true; run with scripts/fuzz.sh. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "crypto/filecrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[CF_FILECRYPT_CHUNK_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (cf_crypto_init() != CF_OK)
			abort();
		ready = 1;
	}
	static const uint8_t key[32] = { 1, 2, 3 };
	cf_filecrypt *fc = NULL;
	if (cf_filecrypt_new(&fc, key, (const uint8_t *)"aad", 3) != CF_OK)
		abort();
	bool failed = false;
	while (size >= 2) {
		/* two length bytes, scaled so full chunks are reachable */
		size_t want = ((size_t)data[0] << 8 | data[1]) * 2;
		data += 2;
		size -= 2;
		size_t len = want < size ? want : size;
		size_t got = 0;
		bool last = false;
		cf_err err = cf_filecrypt_pull(fc, out, &got, &last, data, len);
		if (failed && err != CF_ERR_CRYPTO)
			abort(); /* poisoned streams stay poisoned */
		if (err == CF_ERR_CRYPTO)
			failed = true;
		data += len;
		size -= len;
	}
	if (cf_filecrypt_end(fc) == CF_OK)
		abort();
	cf_filecrypt_free(fc);
	return 0;
}
