/* libFuzzer target: libcoffre's readers of audit answers from an untrusted
 * server (include/coffre/client.h): proofs (consistency and inclusion),
 * event pages, signed checkpoint notes and verifier keys.
 * Input: a mode byte (which reader, and the numbers asked for), then the
 * answer body. Invariants: no crash; on success the outputs respect the
 * documented bounds (proof length, event count, strictly increasing indexes
 * inside the range, event sizes); on failure outputs are untouched. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coffre/client.h"
#include "crypto/crypto.h"
#include "crypto/sign.h"
#include "audit/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char key[256];

static void setup(void)
{
	uint8_t seed[32] = { 7 }, pk[32], sk[64];
	if (cf_crypto_init() != CF_OK)
		abort();
	cf_sign_seed_keypair(pk, sk, seed);
	if (cf_note_verifier_format(key, sizeof(key), "fuzz.example/log", pk) != CF_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1 || size > (1u << 20))
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	struct cf_audit_error e;

	switch (mode & 3) {
	case 0:
	case 1: {
		json_t *doc = json_loadb((const char *)data, size, 0, NULL);
		if (!doc)
			return 0;
		static uint8_t proof[CF_AUDIT_PROOF_MAX][CF_AUDIT_HASH_BYTES];
		size_t len = 12345;
		uint64_t a = (mode >> 2) & 7, b = a + (mode >> 5);
		cf_err err = (mode & 1)
			? cf_audit_parse_proof(doc, "index", a, "size", b, proof, &len, &e)
			: cf_audit_parse_proof(doc, "from", a, "to", b, proof, &len, &e);
		if (err == CF_OK ? len > CF_AUDIT_PROOF_MAX : len != 12345)
			abort();
		json_decref(doc);
		break;
	}
	case 2: {
		json_t *doc = json_loadb((const char *)data, size, 0, NULL);
		if (!doc)
			return 0;
		uint64_t from = (mode >> 2) & 7, count = (mode >> 5) + 1;
		struct cf_audit_event *ev = (struct cf_audit_event *)1;
		size_t n = 777;
		if (cf_audit_parse_events(doc, from, count, &ev, &n, &e) == CF_OK) {
			if (n > count || (n == 0) != (ev == NULL))
				abort();
			for (size_t i = 0; i < n; i++) {
				if (ev[i].index < from || ev[i].index >= from + count ||
				    (i > 0 && ev[i].index <= ev[i - 1].index) ||
				    ev[i].len == 0 || ev[i].len > CF_AUDIT_EVENT_BYTES_MAX)
					abort();
			}
			cf_audit_events_free(ev, n);
		} else if (n != 777 || ev != (struct cf_audit_event *)1) {
			abort();
		}
		json_decref(doc);
		break;
	}
	default: {
		/* A checkpoint note signed (or not) by the pinned key, and the
		 * input as a key text itself. */
		struct cf_audit_checkpoint cp;
		(void)cf_audit_note_verify(key, (const char *)data, size, &cp, &e);
		char text[512];
		if (size < sizeof(text)) {
			memcpy(text, data, size);
			text[size] = '\0';
			(void)cf_audit_key_check(text, &e);
			(void)cf_audit_note_verify(text, (const char *)data, size, &cp, &e);
		}
		break;
	}
	}
	return 0;
}
