/* libcoffre audit client, the parts without a network: verifier keys,
 * signed checkpoints, the remembering decisions, consistency and inclusion
 * checks, the parsers of proof and events answers (malformed ones
 * included), pinning in a real profile folder, and the remembering
 * decisions of cf_audit_refresh against a canned TLS server that answers
 * every request the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>

#include "audit/checkpoint.h"
#include "coffre/client.h"
#include "crypto/merkle.h"
#include "testutil.h"
#include "tls_server.h"
#include "util/encoding.h"

/* --- keys and notes ------------------------------------------------------ */

struct log_key {
	uint8_t pk[32], sk[64];
	char text[CF_AUDIT_KEY_MAX + 1];
};

static void make_key(struct log_key *k, const char *name, unsigned char seed)
{
	uint8_t s[32];
	memset(s, seed, sizeof s);
	crypto_sign_seed_keypair(k->pk, k->sk, s);
	assert_int_equal(cf_note_verifier_format(k->text, sizeof k->text, name,
	                                         k->pk), CF_OK);
}

static size_t sign_note(char *out, size_t cap, const struct log_key *k,
                        const char *origin, uint64_t size,
                        const uint8_t root[32])
{
	struct cf_checkpoint cp = { .size = size };
	snprintf(cp.origin, sizeof cp.origin, "%s", origin);
	memcpy(cp.root, root, 32);
	size_t len = 0;
	assert_int_equal(cf_checkpoint_sign(out, cap, &len, &cp, k->sk, k->pk),
	                 CF_OK);
	return len;
}

static void test_key_check(void **state)
{
	(void)state;
	struct log_key k;
	make_key(&k, "coffre/test", 1);
	struct cf_audit_error e;
	assert_int_equal(cf_audit_key_check(k.text, &e), CF_OK);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_NONE);

	char bad[8][CF_AUDIT_KEY_MAX + 40];
	snprintf(bad[0], sizeof bad[0], "%s\n", k.text);
	snprintf(bad[1], sizeof bad[1], " %s", k.text);
	snprintf(bad[2], sizeof bad[2], "%s", k.text);
	bad[2][strlen("coffre/test+")] ^= 1;            /* hash no longer matches */
	snprintf(bad[3], sizeof bad[3], "%s", k.text);
	bad[3][strlen(bad[3]) - 3] = '\0';             /* short key */
	snprintf(bad[4], sizeof bad[4], "nohash+%s", strchr(strchr(k.text, '+') +
	         1, '+') + 1);
	snprintf(bad[5], sizeof bad[5], "coffre/test");
	snprintf(bad[6], sizeof bad[6], "%s", "");
	memset(bad[7], 'a', CF_AUDIT_KEY_MAX + 10);     /* too long */
	bad[7][CF_AUDIT_KEY_MAX + 10] = '\0';
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(cf_audit_key_check(bad[i], &e), CF_ERR_INVALID);
		assert_non_null(strstr(e.text, "not an audit verifier key"));
		assert_null(strchr(e.text, '\n'));
	}
	assert_int_equal(cf_audit_key_check(NULL, &e), CF_ERR_INVALID);
	assert_int_equal(cf_audit_key_check(k.text, NULL), CF_OK);
}

static void test_note_verify(void **state)
{
	(void)state;
	struct log_key k, other;
	make_key(&k, "coffre/test", 1);
	make_key(&other, "coffre/test", 2);
	uint8_t root[32];
	memset(root, 0xab, sizeof root);
	char note[CF_CHECKPOINT_MAX];
	size_t len = sign_note(note, sizeof note, &k, "coffre/test", 42, root);

	struct cf_audit_checkpoint cp;
	struct cf_audit_error e;
	assert_int_equal(cf_audit_note_verify(k.text, note, len, &cp, &e), CF_OK);
	assert_string_equal(cp.origin, "coffre/test");
	assert_int_equal(cp.size, 42);
	assert_memory_equal(cp.root, root, 32);

	/* another key with the same name: refused, output untouched */
	struct cf_audit_checkpoint untouched = cp;
	untouched.size = 7;
	cp = untouched;
	assert_int_equal(cf_audit_note_verify(other.text, note, len, &cp, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_SIGNATURE);
	assert_non_null(strstr(e.text, "not signed by the audit key"));
	assert_int_equal(cp.size, 7);

	/* a body changed after signing */
	char changed[CF_CHECKPOINT_MAX];
	memcpy(changed, note, len);
	changed[strlen("coffre/test\n")] = '5';         /* 42 -> 52 */
	assert_int_equal(cf_audit_note_verify(k.text, changed, len, &cp, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_SIGNATURE);

	/* not a note at all; truncated; NUL inside */
	assert_int_equal(cf_audit_note_verify(k.text, "hello\n", 6, &cp, &e),
	                 CF_ERR_CRYPTO);
	assert_non_null(strstr(e.text, "well-formed"));
	assert_int_equal(cf_audit_note_verify(k.text, note, len - 5, &cp, &e),
	                 CF_ERR_CRYPTO);
	memcpy(changed, note, len);
	changed[3] = '\0';
	assert_int_equal(cf_audit_note_verify(k.text, changed, len, &cp, &e),
	                 CF_ERR_CRYPTO);

	/* origin other than the key name, validly signed by the key */
	struct log_key named;
	make_key(&named, "log-a", 3);
	struct cf_note_verifier v;
	assert_int_equal(cf_note_verifier_parse(&v, named.text), CF_OK);
	char b64root[64];
	sodium_bin2base64(b64root, sizeof b64root, root, 32,
	                  sodium_base64_VARIANT_ORIGINAL);
	char body[256];
	int blen = snprintf(body, sizeof body, "log-b\n3\n%s\n", b64root);
	uint8_t sig[68];
	memcpy(sig, v.key_hash, 4);
	crypto_sign_detached(sig + 4, NULL, (const unsigned char *)body,
	                     (unsigned long long)blen, named.sk);
	char b64sig[128];
	sodium_bin2base64(b64sig, sizeof b64sig, sig, sizeof sig,
	                  sodium_base64_VARIANT_ORIGINAL);
	char forged[512];
	int flen = snprintf(forged, sizeof forged, "%s\n\xe2\x80\x94 log-a %s\n",
	                    body, b64sig);
	assert_int_equal(cf_audit_note_verify(named.text, forged, (size_t)flen,
	                                      &cp, &e), CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_SIGNATURE);
	assert_non_null(strstr(e.text, "origin 'log-b'"));

	/* a malformed key is the caller's mistake, not the log's */
	assert_int_equal(cf_audit_note_verify("x", note, len, &cp, &e),
	                 CF_ERR_INVALID);
}

/* --- remembering decisions ------------------------------------------------ */

static struct cf_audit_checkpoint cp_of(uint64_t size, uint8_t fill)
{
	struct cf_audit_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "coffre/test");
	cp.size = size;
	memset(cp.root, fill, sizeof cp.root);
	return cp;
}

static void test_decide(void **state)
{
	(void)state;
	struct cf_audit_checkpoint r = cp_of(10, 1);
	struct cf_audit_checkpoint same = cp_of(10, 1);
	struct cf_audit_checkpoint other_root = cp_of(10, 2);
	struct cf_audit_checkpoint bigger = cp_of(11, 2);
	struct cf_audit_checkpoint smaller = cp_of(9, 1);
	struct cf_audit_checkpoint zero = cp_of(0, 1);
	assert_int_equal(cf_audit_decide(NULL, &r), CF_AUDIT_DECIDE_FIRST_USE);
	assert_int_equal(cf_audit_decide(&r, &same), CF_AUDIT_DECIDE_SAME);
	assert_int_equal(cf_audit_decide(&r, &other_root), CF_AUDIT_DECIDE_FORK);
	assert_int_equal(cf_audit_decide(&r, &bigger),
	                 CF_AUDIT_DECIDE_NEED_PROOF);
	assert_int_equal(cf_audit_decide(&r, &smaller),
	                 CF_AUDIT_DECIDE_ROLLBACK);
	assert_int_equal(cf_audit_decide(&r, &zero), CF_AUDIT_DECIDE_ROLLBACK);
	assert_int_equal(cf_audit_decide(&zero, &r), CF_AUDIT_DECIDE_NEED_PROOF);
	/* a root differing in its last byte only is still a fork */
	other_root = same;
	other_root.root[31] ^= 1;
	assert_int_equal(cf_audit_decide(&r, &other_root), CF_AUDIT_DECIDE_FORK);
}

/* A tree of n leaves "event i" (or "fork i" from `fork_at` on). */
static cf_merkle_mem *tree(uint64_t n, uint64_t fork_at)
{
	cf_merkle_mem *m = NULL;
	assert_int_equal(cf_merkle_mem_new(&m, 1024), CF_OK);
	for (uint64_t i = 0; i < n; i++) {
		char ev[64];
		int len = snprintf(ev, sizeof ev, "{\"seq\":%llu,\"x\":\"%s\"}",
		                   (unsigned long long)i,
		                   i >= fork_at ? "fork" : "event");
		uint8_t leaf[32];
		cf_merkle_leaf_hash(leaf, (const uint8_t *)ev, (size_t)len);
		assert_int_equal(cf_merkle_mem_append(m, leaf), CF_OK);
	}
	return m;
}

static struct cf_audit_checkpoint head(cf_merkle_mem *m, uint64_t size)
{
	struct cf_audit_checkpoint cp = cp_of(size, 0);
	assert_int_equal(cf_merkle_root(cp.root, size, cf_merkle_mem_node, m),
	                 CF_OK);
	return cp;
}

static void test_consistency(void **state)
{
	(void)state;
	cf_merkle_mem *honest = tree(37, UINT64_MAX);
	cf_merkle_mem *forked = tree(37, 20);
	struct cf_audit_error e;
	uint8_t proof[CF_AUDIT_PROOF_MAX][32];
	size_t len = 0;
	static const uint64_t olds[] = { 1, 2, 7, 8, 20, 21, 36 };
	for (size_t i = 0; i < sizeof olds / sizeof *olds; i++) {
		uint64_t m = olds[i];
		struct cf_audit_checkpoint older = head(honest, m);
		struct cf_audit_checkpoint newer = head(honest, 37);
		assert_int_equal(cf_merkle_consistency_proof(proof,
		                 CF_AUDIT_PROOF_MAX, &len, m, 37,
		                 cf_merkle_mem_node, honest), CF_OK);
		assert_int_equal(cf_audit_check_consistency(&older, &newer,
		                 CF_MERKLE_CONST_PROOF(proof), len, &e), CF_OK);
		/* the fork's tree does not extend the older one after 20 */
		struct cf_audit_checkpoint fnew = head(forked, 37);
		uint8_t fproof[CF_AUDIT_PROOF_MAX][32];
		size_t flen = 0;
		assert_int_equal(cf_merkle_consistency_proof(fproof,
		                 CF_AUDIT_PROOF_MAX, &flen, m, 37,
		                 cf_merkle_mem_node, forked), CF_OK);
		cf_err want = m <= 20 ? CF_OK : CF_ERR_CRYPTO;
		assert_int_equal(cf_audit_check_consistency(&older, &fnew,
		                 CF_MERKLE_CONST_PROOF(fproof), flen, &e), want);
		if (want) {
			assert_int_equal(e.failure, CF_AUDIT_FAIL_FORK);
			assert_non_null(strstr(e.text, "fork"));
		}
		/* a changed hash, a missing one */
		if (len > 0) {
			proof[0][5] ^= 1;
			assert_int_equal(cf_audit_check_consistency(&older,
			                 &newer, CF_MERKLE_CONST_PROOF(proof), len,
			                 &e), CF_ERR_CRYPTO);
			proof[0][5] ^= 1;
			assert_int_equal(cf_audit_check_consistency(&older,
			                 &newer, CF_MERKLE_CONST_PROOF(proof),
			                 len - 1, &e), CF_ERR_CRYPTO);
		}
	}
	/* from the empty tree: only its fixed root, and no proof */
	struct cf_audit_checkpoint empty = cp_of(0, 0);
	crypto_hash_sha256(empty.root, (const unsigned char *)"", 0);
	struct cf_audit_checkpoint newer = head(honest, 37);
	assert_int_equal(cf_audit_check_consistency(&empty, &newer, NULL, 0, &e),
	                 CF_OK);
	empty.root[0] ^= 1;
	assert_int_equal(cf_audit_check_consistency(&empty, &newer, NULL, 0, &e),
	                 CF_ERR_CRYPTO);
	cf_merkle_mem_free(honest);
	cf_merkle_mem_free(forked);
}

/* --- proof answers -------------------------------------------------------- */

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	assert_non_null(j);
	return j;
}

static void b64(char out[64], const uint8_t h[32])
{
	assert_int_equal(cf_b64url_encode(out, 64, h, 32), CF_OK);
}

static void test_parse_proof(void **state)
{
	(void)state;
	uint8_t h1[32], h2[32];
	memset(h1, 0x11, 32);
	memset(h2, 0xfe, 32);
	char a[64], b[64];
	b64(a, h1);
	b64(b, h2);
	char text[512];
	snprintf(text, sizeof text, "{\"from\":3,\"to\":9,\"proof\":[\"%s\","
	         "\"%s\"],\"extra\":true}", a, b);
	json_t *doc = load(text);
	uint8_t proof[CF_AUDIT_PROOF_MAX][32];
	size_t len = 99;
	struct cf_audit_error e;
	assert_int_equal(cf_audit_parse_proof(doc, "from", 3, "to", 9, proof,
	                                      &len, &e), CF_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(proof[0], h1, 32);
	assert_memory_equal(proof[1], h2, 32);
	/* for other numbers than asked */
	len = 99;
	assert_int_equal(cf_audit_parse_proof(doc, "from", 3, "to", 10, proof,
	                                      &len, &e), CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
	assert_int_equal(len, 99);
	assert_int_equal(cf_audit_parse_proof(doc, "index", 3, "size", 9, proof,
	                                      &len, &e), CF_ERR_CRYPTO);
	json_decref(doc);

	doc = load("{\"index\":0,\"size\":1,\"proof\":[]}");
	assert_int_equal(cf_audit_parse_proof(doc, "index", 0, "size", 1, proof,
	                                      &len, &e), CF_OK);
	assert_int_equal(len, 0);
	json_decref(doc);

	char pad[80], plus[80], shorter[80], longer[80], blank[80];
	snprintf(pad, sizeof pad, "%s=", a);
	snprintf(plus, sizeof plus, "%s", a);
	plus[0] = '+';
	snprintf(shorter, sizeof shorter, "%s", a);
	shorter[strlen(shorter) - 2] = '\0';            /* 31 bytes */
	snprintf(longer, sizeof longer, "%sAAAA", a);   /* 35 bytes */
	snprintf(blank, sizeof blank, " %s", a);
	const char *entries[] = {
		"1", "null", "[]", "{}", "\"\"", "true",
	};
	char bad[16][256];
	size_t nb = 0;
	snprintf(bad[nb++], 256, "[]");
	snprintf(bad[nb++], 256, "\"proof\"");
	snprintf(bad[nb++], 256, "{\"index\":\"0\",\"size\":1,\"proof\":[]}");
	snprintf(bad[nb++], 256, "{\"index\":0.0,\"size\":1,\"proof\":[]}");
	snprintf(bad[nb++], 256, "{\"index\":-1,\"size\":1,\"proof\":[]}");
	snprintf(bad[nb++], 256, "{\"size\":1,\"proof\":[]}");
	snprintf(bad[nb++], 256, "{\"index\":0,\"size\":1}");
	snprintf(bad[nb++], 256, "{\"index\":0,\"size\":1,\"proof\":\"%s\"}", a);
	snprintf(bad[nb++], 256, "{\"index\":0,\"size\":1,\"proof\":{}}");
	const char *hashes[] = { pad, plus, shorter, longer, blank };
	for (size_t i = 0; i < 5; i++)
		snprintf(bad[nb++], 256, "{\"index\":0,\"size\":1,\"proof\":"
		         "[\"%s\"]}", hashes[i]);
	for (size_t i = 0; i < nb; i++) {
		doc = load(bad[i]);
		len = 99;
		assert_int_equal(cf_audit_parse_proof(doc, "index", 0, "size", 1,
		                 proof, &len, &e), CF_ERR_CRYPTO);
		assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
		assert_int_equal(len, 99);
		json_decref(doc);
	}
	for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
		snprintf(text, sizeof text, "{\"index\":0,\"size\":1,\"proof\":"
		         "[\"%s\",%s]}", a, entries[i]);
		doc = load(text);
		assert_int_equal(cf_audit_parse_proof(doc, "index", 0, "size", 1,
		                 proof, &len, &e), CF_ERR_CRYPTO);
		assert_non_null(strstr(e.text, "proof[1]"));
		json_decref(doc);
	}

	/* CF_AUDIT_PROOF_MAX hashes pass the parser; one more does not */
	json_t *list = json_array();
	for (int i = 0; i < CF_AUDIT_PROOF_MAX; i++)
		json_array_append_new(list, json_string(a));
	doc = json_pack("{s:i, s:i, s:O}", "index", 0, "size", 1, "proof", list);
	assert_int_equal(cf_audit_parse_proof(doc, "index", 0, "size", 1, proof,
	                                      &len, &e), CF_OK);
	assert_int_equal(len, CF_AUDIT_PROOF_MAX);
	json_decref(doc);
	json_array_append_new(list, json_string(a));
	doc = json_pack("{s:i, s:i, s:O}", "index", 0, "size", 1, "proof", list);
	len = 99;
	assert_int_equal(cf_audit_parse_proof(doc, "index", 0, "size", 1, proof,
	                                      &len, &e), CF_ERR_CRYPTO);
	assert_non_null(strstr(e.text, "66 hashes"));
	assert_int_equal(len, 99);
	json_decref(doc);
	json_decref(list);
}

/* --- events answers --------------------------------------------------------- */

static json_t *events_doc(const uint64_t *indexes, const char *const *texts,
                          size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		char enc[512];
		assert_int_equal(cf_b64url_encode(enc, sizeof enc,
		                 (const uint8_t *)texts[i], strlen(texts[i])),
		                 CF_OK);
		json_array_append_new(list, json_pack("{s:I, s:s}", "index",
		                      (json_int_t)indexes[i], "event", enc));
	}
	return json_pack("{s:o}", "events", list);
}

static void test_parse_events(void **state)
{
	(void)state;
	const char *texts[] = { "{\"seq\":5,\"a\":1}", "{\"seq\":6,\"a\":2}",
	                        "{\"seq\":8,\"a\":3}" };
	const uint64_t idx[] = { 5, 6, 8 };
	json_t *doc = events_doc(idx, texts, 3);
	struct cf_audit_event *ev = NULL;
	size_t n = 0;
	struct cf_audit_error e;
	assert_int_equal(cf_audit_parse_events(doc, 5, 4, &ev, &n, &e), CF_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ev[2].index, 8);            /* gap: 7 not shown */
	assert_int_equal(ev[1].len, strlen(texts[1]));
	assert_memory_equal(ev[1].data, texts[1], ev[1].len);
	cf_audit_events_free(ev, n);
	cf_audit_events_free(NULL, 0);

	/* out of the range asked, too many */
	ev = (struct cf_audit_event *)0x1;
	n = 77;
	assert_int_equal(cf_audit_parse_events(doc, 6, 4, &ev, &n, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
	assert_int_equal(cf_audit_parse_events(doc, 5, 3, &ev, &n, &e),
	                 CF_ERR_CRYPTO);                 /* 8 >= 5 + 3 */
	assert_int_equal(cf_audit_parse_events(doc, 5, 2, &ev, &n, &e),
	                 CF_ERR_CRYPTO);                 /* 3 items > 2 */
	assert_ptr_equal(ev, (struct cf_audit_event *)0x1);
	assert_int_equal(n, 77);
	json_decref(doc);

	/* not increasing, repeated */
	const uint64_t down[] = { 6, 5, 7 };
	doc = events_doc(down, texts, 3);
	assert_int_equal(cf_audit_parse_events(doc, 5, 4, &ev, &n, &e),
	                 CF_ERR_CRYPTO);
	json_decref(doc);
	const uint64_t twice[] = { 5, 5, 6 };
	doc = events_doc(twice, texts, 3);
	assert_int_equal(cf_audit_parse_events(doc, 5, 4, &ev, &n, &e),
	                 CF_ERR_CRYPTO);
	json_decref(doc);

	/* empty is fine (nothing visible) */
	doc = load("{\"events\":[]}");
	assert_int_equal(cf_audit_parse_events(doc, 0, 10, &ev, &n, &e), CF_OK);
	assert_int_equal(n, 0);
	assert_null(ev);
	json_decref(doc);

	/* malformed shapes and encodings */
	const char *bad[] = {
		"[]", "{}", "{\"events\":{}}", "{\"events\":[1]}",
		"{\"events\":[{\"index\":0}]}",
		"{\"events\":[{\"event\":\"e30\"}]}",
		"{\"events\":[{\"index\":\"0\",\"event\":\"e30\"}]}",
		"{\"events\":[{\"index\":-1,\"event\":\"e30\"}]}",
		"{\"events\":[{\"index\":0.5,\"event\":\"e30\"}]}",
		"{\"events\":[{\"index\":0,\"event\":7}]}",
		"{\"events\":[{\"index\":0,\"event\":\"\"}]}",
		"{\"events\":[{\"index\":0,\"event\":\"e30=\"}]}",
		"{\"events\":[{\"index\":0,\"event\":\"e3 0\"}]}",
		"{\"events\":[{\"index\":0,\"event\":\"e/0\"}]}",
		"{\"events\":[{\"index\":0,\"event\":\"e\"}]}",
		"{\"events\":[{\"index\":0,\"event\":\"e30\"},{\"index\":1,"
		"\"event\":\"!!\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		doc = load(bad[i]);
		ev = (struct cf_audit_event *)0x1;
		assert_int_equal(cf_audit_parse_events(doc, 0, 10, &ev, &n, &e),
		                 CF_ERR_CRYPTO);
		assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
		assert_ptr_equal(ev, (struct cf_audit_event *)0x1);
		json_decref(doc);
	}

	/* an event over the cap */
	size_t big = CF_AUDIT_EVENT_BYTES_MAX + 1;
	char *raw = malloc(big);
	memset(raw, 'x', big);
	char *enc = malloc(cf_b64url_len(big) + 1);
	assert_int_equal(cf_b64url_encode(enc, cf_b64url_len(big) + 1,
	                                  (const uint8_t *)raw, big), CF_OK);
	doc = json_pack("{s:[{s:i, s:s}]}", "events", "index", 0, "event", enc);
	assert_int_equal(cf_audit_parse_events(doc, 0, 1, &ev, &n, &e),
	                 CF_ERR_CRYPTO);
	json_decref(doc);
	free(raw);
	free(enc);

	/* a page larger than the server's is a caller error */
	doc = load("{\"events\":[]}");
	assert_int_equal(cf_audit_parse_events(doc, 0, CF_AUDIT_PAGE_MAX + 1,
	                                       &ev, &n, &e), CF_ERR_INVALID);
	json_decref(doc);
}

/* --- events against a checkpoint ---------------------------------------- */

static void test_check_event(void **state)
{
	(void)state;
	cf_merkle_mem *m = tree(13, UINT64_MAX);
	struct cf_audit_checkpoint cp = head(m, 13);
	struct cf_audit_error e;
	uint8_t proof[CF_AUDIT_PROOF_MAX][32];
	size_t len = 0;
	for (uint64_t i = 0; i < 13; i++) {
		char ev[64];
		int n = snprintf(ev, sizeof ev, "{\"seq\":%llu,\"x\":\"event\"}",
		                 (unsigned long long)i);
		assert_int_equal(cf_merkle_inclusion_proof(proof,
		                 CF_AUDIT_PROOF_MAX, &len, i, 13,
		                 cf_merkle_mem_node, m), CF_OK);
		assert_int_equal(cf_audit_check_event(&cp, i,
		                 (const unsigned char *)ev, (size_t)n,
		                 CF_MERKLE_CONST_PROOF(proof), len, &e), CF_OK);
		/* one byte changed */
		ev[n - 3] ^= 1;
		assert_int_equal(cf_audit_check_event(&cp, i,
		                 (const unsigned char *)ev, (size_t)n,
		                 CF_MERKLE_CONST_PROOF(proof), len, &e),
		                 CF_ERR_CRYPTO);
		assert_int_equal(e.failure, CF_AUDIT_FAIL_EVENT);
		assert_int_equal(e.index, i);
		assert_non_null(strstr(e.text, "inclusion proof"));
	}
	/* another event's bytes at this index: caught by the prefix */
	const char *wrong = "{\"seq\":4,\"x\":\"event\"}";
	assert_int_equal(cf_merkle_inclusion_proof(proof, CF_AUDIT_PROOF_MAX,
	                 &len, 3, 13, cf_merkle_mem_node, m), CF_OK);
	assert_int_equal(cf_audit_check_event(&cp, 3,
	                 (const unsigned char *)wrong, strlen(wrong),
	                 CF_MERKLE_CONST_PROOF(proof), len, &e), CF_ERR_CRYPTO);
	assert_int_equal(e.index, 3);
	assert_non_null(strstr(e.text, "does not start with {\"seq\":3,"));
	/* "seq":30 does not pass for 3 */
	const char *longer = "{\"seq\":30,\"x\":1}";
	assert_int_equal(cf_audit_check_event(&cp, 3,
	                 (const unsigned char *)longer, strlen(longer),
	                 CF_MERKLE_CONST_PROOF(proof), len, &e), CF_ERR_CRYPTO);
	/* an index past the checkpoint never verifies */
	assert_int_equal(cf_audit_check_event(&cp, 13,
	                 (const unsigned char *)"{\"seq\":13,}", 11,
	                 CF_MERKLE_CONST_PROOF(proof), len, &e), CF_ERR_CRYPTO);
	cf_merkle_mem_free(m);
}

/* A key log registration as the public answer gives it: key hash, index,
 * leaf hash and proof; no event. */
static json_t *registration(cf_merkle_mem *m, uint64_t i, uint64_t size,
                            const char *key)
{
	char ev[64];
	int n = snprintf(ev, sizeof ev, "{\"seq\":%llu,\"x\":\"event\"}",
	                 (unsigned long long)i);
	uint8_t leaf[32], kh[32], proof[CF_AUDIT_PROOF_MAX][32];
	size_t len = 0;
	cf_merkle_leaf_hash(leaf, (const uint8_t *)ev, (size_t)n);
	crypto_hash_sha256(kh, (const unsigned char *)key, strlen(key));
	assert_int_equal(cf_merkle_inclusion_proof(proof, CF_AUDIT_PROOF_MAX,
	                 &len, i, size, cf_merkle_mem_node, m), CF_OK);
	char hex[65], b64[64];
	cf_hex_encode(hex, sizeof hex, kh, 32);
	cf_b64url_encode(b64, sizeof b64, leaf, 32);
	json_t *list = json_array();
	for (size_t k = 0; k < len; k++) {
		char h[64];
		cf_b64url_encode(h, sizeof h, proof[k], 32);
		json_array_append_new(list, json_string(h));
	}
	return json_pack("{s:s, s:I, s:s, s:o}", "key_hash", hex, "index",
	                 (json_int_t)i, "leaf_hash", b64, "proof", list);
}

static void test_check_key_registration(void **state)
{
	(void)state;
	cf_merkle_mem *m = tree(13, UINT64_MAX);
	struct cf_audit_checkpoint cp = head(m, 13);
	struct cf_audit_error e;
	const unsigned char *key = (const unsigned char *)"the user's key";
	size_t klen = strlen((const char *)key);
	json_t *r = registration(m, 5, 13, "the user's key");
	assert_int_equal(cf_audit_check_key_registration(&cp, r, key, klen, &e),
	                 CF_OK);
	/* another key than the one registered */
	assert_int_equal(cf_audit_check_key_registration(&cp, r,
	                 (const unsigned char *)"another key", 11, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_EVENT);
	assert_non_null(strstr(e.text, "another key"));
	/* the leaf moved to another index */
	json_object_set_new(r, "index", json_integer(6));
	assert_int_equal(cf_audit_check_key_registration(&cp, r, key, klen, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_EVENT);
	assert_int_equal(e.index, 6);
	/* a leaf hash that is not 32 bytes; no proof */
	json_object_set_new(r, "index", json_integer(5));
	json_object_set_new(r, "leaf_hash", json_string("AAAA"));
	assert_int_equal(cf_audit_check_key_registration(&cp, r, key, klen, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
	json_decref(r);
	r = registration(m, 5, 13, "the user's key");
	json_object_del(r, "proof");
	assert_int_equal(cf_audit_check_key_registration(&cp, r, key, klen, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
	json_decref(r);
	cf_merkle_mem_free(m);
}

/* --- pinning in a profile folder ------------------------------------------ */

struct fixture {
	char dir[256];
	cf_profile *p;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	cf_errmsg msg;
	if (cf_profile_open(&f->p, f->dir, 0, &msg) != CF_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cf_profile_free(f->p);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static bool exists(const struct fixture *f, const char *name)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	return stat(path, &st) == 0;
}

static void test_trust(void **state)
{
	struct fixture *f = *state;
	struct log_key k, other;
	make_key(&k, "coffre/test", 1);
	make_key(&other, "coffre/other", 2);
	struct cf_audit_error e;
	enum cf_audit_pin pin = 0;
	bool dropped = true;
	char got[CF_AUDIT_KEY_MAX + 1];

	assert_int_equal(cf_audit_pinned_key(f->p, got, sizeof got, &e),
	                 CF_ERR_NOT_FOUND);
	assert_non_null(strstr(e.text, "audit trust"));
	assert_int_equal(cf_audit_trust(f->p, "garbage", false, &pin, &dropped,
	                                &e), CF_ERR_INVALID);
	assert_false(exists(f, CF_AUDIT_KEY_FILE));

	assert_int_equal(cf_audit_trust(f->p, k.text, false, &pin, &dropped, &e),
	                 CF_OK);
	assert_int_equal(pin, CF_AUDIT_PIN_NEW);
	assert_false(dropped);
	assert_int_equal(cf_audit_pinned_key(f->p, got, sizeof got, &e), CF_OK);
	assert_string_equal(got, k.text);
	assert_int_equal(cf_audit_trust(f->p, k.text, false, &pin, &dropped, &e),
	                 CF_OK);
	assert_int_equal(pin, CF_AUDIT_PIN_SAME);

	/* a checkpoint of this key, remembered */
	uint8_t root[32] = { 0 };
	char note[CF_CHECKPOINT_MAX];
	size_t len = sign_note(note, sizeof note, &k, "coffre/test", 3, root);
	assert_int_equal(cf_profile_write(f->p, CF_AUDIT_CHECKPOINT_FILE, note,
	                                  len), CF_OK);

	/* another key: refused without --replace, nothing changes */
	pin = 0;
	assert_int_equal(cf_audit_trust(f->p, other.text, false, &pin, &dropped,
	                                &e), CF_ERR_CONFLICT);
	assert_int_equal(pin, 0);
	assert_non_null(strstr(e.text, "already pinned"));
	assert_non_null(strstr(e.text, "--replace"));
	assert_int_equal(cf_audit_pinned_key(f->p, got, sizeof got, &e), CF_OK);
	assert_string_equal(got, k.text);
	assert_true(exists(f, CF_AUDIT_CHECKPOINT_FILE));

	/* same name, other key: also another key */
	struct log_key twin;
	make_key(&twin, "coffre/test", 9);
	assert_int_equal(cf_audit_trust(f->p, twin.text, false, &pin, &dropped,
	                                &e), CF_ERR_CONFLICT);

	/* replaced: the checkpoint it cannot verify goes */
	assert_int_equal(cf_audit_trust(f->p, other.text, true, &pin, &dropped,
	                                &e), CF_OK);
	assert_int_equal(pin, CF_AUDIT_PIN_REPLACED);
	assert_true(dropped);
	assert_false(exists(f, CF_AUDIT_CHECKPOINT_FILE));
	assert_int_equal(cf_audit_pinned_key(f->p, got, sizeof got, &e), CF_OK);
	assert_string_equal(got, other.text);

	/* a damaged key file is reported, and replaced only with --replace */
	assert_int_equal(cf_profile_write(f->p, CF_AUDIT_KEY_FILE, "x+1+2\n", 6),
	                 CF_OK);
	assert_int_equal(cf_audit_pinned_key(f->p, got, sizeof got, &e),
	                 CF_ERR_INVALID);
	assert_non_null(strstr(e.text, "damaged"));
	assert_int_equal(cf_audit_trust(f->p, k.text, false, &pin, &dropped, &e),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_audit_trust(f->p, k.text, true, &pin, &dropped, &e),
	                 CF_OK);
	assert_int_equal(pin, CF_AUDIT_PIN_REPLACED);
	assert_false(dropped);

	/* too small a buffer */
	char tiny[8];
	assert_int_equal(cf_audit_pinned_key(f->p, tiny, sizeof tiny, &e),
	                 CF_ERR_TOO_LARGE);
}

/* --- refresh against a canned server --------------------------------------- */

struct served {
	char dir[256];
	char profile[300];
	char ca[300];
	char url[64];
	struct ts_server *server;
	struct log_key key;
	cf_client *client;
};

static int served_setup(void **state)
{
	struct served *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	f->server = ts_start(f->dir, TS_CERT_GOOD);
	if (!f->server)
		return -1;
	snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
	snprintf(f->profile, sizeof f->profile, "%s/profile", f->dir);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
	         ts_port(f->server));
	make_key(&f->key, "coffre/test", 1);
	cf_errmsg err = { .text = "" };
	const struct cf_client_options opts = {
		.server_url = f->url,
		.ca_file = f->ca,
		.timeout_ms = 5000,
		.profile_dir = f->profile,
		.error = &err,
	};
	if (cf_client_new(&f->client, &opts) != CF_OK)
		return -1;
	*state = f;
	return 0;
}

static int served_teardown(void **state)
{
	struct served *f = *state;
	cf_client_free(f->client);
	ts_stop(f->server);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static void serve(struct served *f, int status, const char *ct,
                  const char *body, size_t len)
{
	const struct ts_answer a = {
		.status = status, .content_type = ct, .body = body,
		.body_len = len,
	};
	ts_answer_with(f->server, &a);
}

static void serve_note(struct served *f, const struct log_key *k,
                       uint64_t size, uint8_t fill, char *note, size_t cap,
                       size_t *ret_len)
{
	uint8_t root[32];
	memset(root, fill, sizeof root);
	size_t len = sign_note(note, cap, k, "coffre/test", size, root);
	serve(f, 200, "text/plain; charset=utf-8", note, len);
	if (ret_len)
		*ret_len = len;
}

/* The remembered file, or "" when there is none. */
static void remembered(struct served *f, char *out, size_t cap)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", f->profile,
	         CF_AUDIT_CHECKPOINT_FILE);
	FILE *fp = fopen(path, "rb");
	out[0] = '\0';
	if (!fp)
		return;
	size_t n = fread(out, 1, cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
}

static void pin(struct served *f, const struct log_key *k)
{
	cf_profile *p = NULL;
	struct cf_audit_error e;
	assert_int_equal(cf_client_profile(f->client, &p), CF_OK);
	assert_int_equal(cf_audit_trust(p, k->text, true, NULL, NULL, &e),
	                 CF_OK);
}

static void test_refresh_decisions(void **state)
{
	struct served *f = *state;
	struct cf_audit_state st;
	struct cf_audit_error e;
	char note[CF_CHECKPOINT_MAX], kept[CF_CHECKPOINT_MAX + 1];
	char now[CF_CHECKPOINT_MAX + 1];
	size_t len = 0;

	/* no key pinned, none given */
	serve_note(f, &f->key, 10, 1, note, sizeof note, &len);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_NOT_FOUND);
	assert_non_null(strstr(e.text, "no audit key is pinned"));
	pin(f, &f->key);

	/* first use: accepted and remembered, the exact note text */
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e), CF_OK);
	assert_int_equal(st.outcome, CF_AUDIT_FIRST_USE);
	assert_false(st.had_previous);
	assert_int_equal(st.checkpoint.size, 10);
	remembered(f, kept, sizeof kept);
	assert_int_equal(strlen(kept), len);
	assert_memory_equal(kept, note, len);

	/* the same again: unchanged */
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e), CF_OK);
	assert_int_equal(st.outcome, CF_AUDIT_UNCHANGED);
	assert_true(st.had_previous);
	assert_int_equal(st.previous.size, 10);

	/* smaller: rollback, kept */
	memset(&st, 0x5a, sizeof st);
	struct cf_audit_state untouched = st;
	serve_note(f, &f->key, 9, 1, note, sizeof note, NULL);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_ROLLBACK);
	assert_non_null(strstr(e.text, "rolled back"));
	assert_memory_equal(&st, &untouched, sizeof st);
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);

	/* same size, another root: fork, kept */
	serve_note(f, &f->key, 10, 2, note, sizeof note, NULL);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_FORK);
	assert_non_null(strstr(e.text, "same size"));
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);

	/* larger, but the "proof" answer is the note itself: not a proof */
	serve_note(f, &f->key, 11, 3, note, sizeof note, NULL);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_PROTOCOL);
	assert_non_null(strstr(e.text, "consistency proof"));
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);

	/* signed by another key: refused, kept */
	struct log_key other;
	make_key(&other, "coffre/test", 2);
	serve_note(f, &other, 12, 1, note, sizeof note, NULL);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_SIGNATURE);
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);

	/* ... unless that key is given for one call: checked, not kept */
	assert_int_equal(cf_audit_refresh(f->client, other.text, &st, &e),
	                 CF_OK);
	assert_int_equal(st.outcome, CF_AUDIT_NOT_REMEMBERED);
	assert_int_equal(st.checkpoint.size, 12);
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);
	assert_int_equal(cf_audit_refresh(f->client, "nonsense", &st, &e),
	                 CF_ERR_INVALID);

	/* answers that are not checkpoints */
	serve(f, 503, "application/problem+json",
	      "{\"title\":\"busy\",\"status\":503}", 0);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_BUSY);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_NONE);
	assert_non_null(strstr(e.text, "503"));
	serve(f, 200, "text/html", "<html></html>", 0);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_PROTOCOL);
	serve(f, 200, "text/plain", "coffre/test\n10\nnot base64\n\n", 0);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_SIGNATURE);
	char big[CF_CHECKPOINT_MAX + 100];
	memset(big, 'a', sizeof big);
	serve(f, 200, "text/plain", big, sizeof big);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CRYPTO);
	remembered(f, now, sizeof now);
	assert_string_equal(now, kept);

	/* a remembered checkpoint the pinned key cannot verify is refused */
	cf_profile *p = NULL;
	assert_int_equal(cf_client_profile(f->client, &p), CF_OK);
	kept[5] ^= 1;
	assert_int_equal(cf_profile_write(p, CF_AUDIT_CHECKPOINT_FILE, kept,
	                                  strlen(kept)), CF_OK);
	serve_note(f, &f->key, 10, 1, note, sizeof note, NULL);
	assert_int_equal(cf_audit_refresh(f->client, NULL, &st, &e),
	                 CF_ERR_CONFLICT);
	assert_non_null(strstr(e.text, "does not verify"));
}

static void test_verify_events_answers(void **state)
{
	struct served *f = *state;
	struct cf_audit_checkpoint cp = cp_of(5, 1);
	struct cf_audit_range_report rep;
	struct cf_audit_error e;

	/* bad ranges, refused before any request */
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 0, 0, &rep,
	                                        &e), CF_ERR_INVALID);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 0,
	                 CF_AUDIT_VERIFY_MAX + 1, &rep, &e), CF_ERR_INVALID);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp,
	                 UINT64_MAX, 2, &rep, &e), CF_ERR_INVALID);

	/* past the checkpoint: nothing asked, all not covered */
	serve(f, 500, "text/plain", "must not be asked", 0);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 7, 3, &rep,
	                                        &e), CF_OK);
	assert_int_equal(rep.verified, 0);
	assert_int_equal(rep.not_covered, 3);
	assert_int_equal(rep.withheld, 0);

	/* the server shows none of them: withheld, from the first */
	serve(f, 200, "application/json", "{\"events\":[]}", 0);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 2, 6, &rep,
	                                        &e), CF_OK);
	assert_int_equal(rep.verified, 0);
	assert_int_equal(rep.withheld, 3);
	assert_int_equal(rep.first_withheld, 2);
	assert_int_equal(rep.not_covered, 3);

	/* an event whose "proof" answer is not one: refused, with its index */
	char enc[64], body[256];
	const char *ev = "{\"seq\":3,\"x\":1}";
	assert_int_equal(cf_b64url_encode(enc, sizeof enc, (const uint8_t *)ev,
	                                  strlen(ev)), CF_OK);
	snprintf(body, sizeof body, "{\"events\":[{\"index\":3,\"event\":"
	         "\"%s\"}]}", enc);
	serve(f, 200, "application/json", body, 0);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 2, 2, &rep,
	                                        &e), CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);
	assert_int_equal(e.index, 3);
	assert_non_null(strstr(e.text, "event 3"));

	/* a malformed events answer */
	serve(f, 200, "application/json", "{\"events\":[{\"index\":9}]}", 0);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 0, 5, &rep,
	                                        &e), CF_ERR_CRYPTO);
	assert_int_equal(e.failure, CF_AUDIT_FAIL_MALFORMED);

	/* the server's refusal of the key */
	serve(f, 401, "application/problem+json",
	      "{\"title\":\"unauthorized\",\"status\":401}", 0);
	assert_int_equal(cf_audit_verify_events(f->client, "k", &cp, 0, 5, &rep,
	                                        &e), CF_ERR_DENIED);
	assert_non_null(strstr(e.text, "401"));
	char raw[4096];
	ts_last_request(f->server, raw, sizeof raw);
	assert_non_null(strstr(raw, "GET /v1/audit/events?from=0&count=5 "));
	assert_non_null(strstr(raw, "Authorization: Bearer k"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_check),
		cmocka_unit_test(test_note_verify),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_parse_proof),
		cmocka_unit_test(test_parse_events),
		cmocka_unit_test(test_check_event),
		cmocka_unit_test(test_check_key_registration),
		cmocka_unit_test_setup_teardown(test_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_decisions,
		                                served_setup, served_teardown),
		cmocka_unit_test_setup_teardown(test_verify_events_answers,
		                                served_setup, served_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
