/* libFuzzer target: parsing and verifying signed checkpoints and note
 * verifier keys, which clients read from a server they do not trust.
 * Built by meson -Dfuzz=true; run with scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "crypto/crypto.h"
#include "crypto/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf_note_verifier v;
	static int ready;
	if (!ready) {
		uint8_t seed[32] = { 3 }, pk[32], sk[64];
		char text[256];
		cf_crypto_init();
		cf_sign_seed_keypair(pk, sk, seed);
		cf_note_verifier_format(text, sizeof(text), "fuzz/log", pk);
		cf_note_verifier_parse(&v, text);
		ready = 1;
	}
	struct cf_checkpoint cp;
	(void)cf_checkpoint_verify(&cp, (const char *)data, size, &v);
	char key[512];
	if (size < sizeof(key)) {
		memcpy(key, data, size);
		key[size] = '\0';
		struct cf_note_verifier other;
		(void)cf_note_verifier_parse(&other, key);
	}
	return 0;
}
