/* RFC 6962/9162 Merkle tree: every section of vectors/merkle-rfc6962.json,
 * a naive recursive reference for many sizes, proof generation that
 * matches it, callback counts at n = 1,000,000 and near 2^64, append and
 * the in-memory store's caps. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/merkle.h"

#define H 32
#define CP CF_MERKLE_CONST_PROOF

/* ---- decoding probes: hashes must be exactly 32 bytes ------------------- */

/* A probe hash: NULL for JSON null, else decoded. *ok is cleared when the
 * value is not exactly 32 bytes: such a value cannot be passed to the API,
 * and coffre's decoders refuse it before any verification. */
static bool hash_field(uint8_t out[H], const json_t *probe, const char *key)
{
	const json_t *node = json_object_get(probe, key);
	if (node == NULL || json_is_null(node))
		return false;
	size_t len;
	uint8_t *raw = vec_hex_node(node, &len);
	bool ok = len == H;
	if (ok)
		memcpy(out, raw, H);
	free(raw);
	return ok;
}

/* proof: null = absent = empty; every element must be 32 bytes. */
static bool proof_field(uint8_t (**ret)[H], size_t *ret_len, const json_t *probe)
{
	const json_t *arr = json_object_get(probe, "proof");
	*ret = NULL;
	*ret_len = 0;
	if (arr == NULL || json_is_null(arr))
		return true;
	size_t n = json_array_size(arr);
	uint8_t (*proof)[H] = calloc(n + 1, H);
	assert_non_null(proof);
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		uint8_t *raw = vec_hex_node(json_array_get(arr, i), &len);
		if (len == H)
			memcpy(proof[i], raw, H);
		else
			ok = false;
		free(raw);
	}
	*ret = proof;
	*ret_len = n;
	return ok;
}

struct tally {
	unsigned accepted, rejected_verifier, rejected_decode, skipped;
};

static void test_inclusion_probes(void **state)
{
	(void)state;
	json_t *root = vec_load("merkle-rfc6962.json", true);
	struct tally t = { 0 };
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(root, "inclusion_probes"), i, p) {
		const char *file = vec_str(p, "file");
		bool want_err = json_is_true(json_object_get(p, "wantErr"));
		uint8_t leaf[H], rt[H];
		uint8_t (*proof)[H];
		size_t len;
		bool proof_ok = proof_field(&proof, &len, p);
		bool leaf_ok = hash_field(leaf, p, "leafHash");
		bool root_ok = hash_field(rt, p, "root");
		bool decodable = proof_ok && leaf_ok && root_ok;
		if (!decodable) {
			if (!want_err)
				fail_msg("%s: valid probe with a non-32-byte hash", file);
			t.rejected_decode++;
		} else {
			cf_err err = cf_merkle_verify_inclusion(leaf, vec_u64(p, "leafIdx"),
								vec_u64(p, "treeSize"), CP(proof), len, rt);
			if (err != (want_err ? CF_ERR_CRYPTO : CF_OK))
				fail_msg("%s (%s): got %d", file, vec_str(p, "desc"), (int)err);
			if (want_err)
				t.rejected_verifier++;
			else
				t.accepted++;
		}
		free(proof);
	}
	json_decref(root);
	assert_int_equal(t.accepted + t.rejected_verifier + t.rejected_decode, 98);
	assert_int_equal(t.accepted, 6);
	vec_report("merkle", "inclusion probes: 98 checked: %u valid accepted; %u must-fail "
		   "rejected by cf_merkle_verify_inclusion, %u must-fail rejected because a hash "
		   "is not 32 bytes (empty or short: the API cannot even express it); skipped 0",
		   t.accepted, t.rejected_verifier, t.rejected_decode);
}

static void test_consistency_probes(void **state)
{
	(void)state;
	json_t *root = vec_load("merkle-rfc6962.json", true);
	struct tally t = { 0 };
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(root, "consistency_probes"), i, p) {
		const char *file = vec_str(p, "file");
		bool want_err = json_is_true(json_object_get(p, "wantErr"));
		uint8_t r1[H], r2[H];
		uint8_t (*proof)[H];
		size_t len;
		bool proof_ok = proof_field(&proof, &len, p);
		bool r1_ok = hash_field(r1, p, "root1");
		bool r2_ok = hash_field(r2, p, "root2");
		bool decodable = proof_ok && r1_ok && r2_ok;
		if (!decodable && !want_err) {
			/* "sizes are equal (one) and proof is empty" with 12-byte roots:
			 * the Go verifier compares the roots as byte strings without a
			 * length check; coffre's roots are 32 bytes by type, and the
			 * file's own policy says roots must be exactly 32 bytes. The
			 * same rule with real roots is covered by the derived proofs
			 * (size1 == size2) and test_reference_trees. */
			t.skipped++;
			printf("[merkle] skipped %s: a valid probe with %s roots, not "
			       "representable as 32-byte hashes\n", file, "12-byte");
		} else if (!decodable) {
			t.rejected_decode++;
		} else {
			cf_err err = cf_merkle_verify_consistency(vec_u64(p, "size1"),
								  vec_u64(p, "size2"), r1, r2,
								  CP(proof), len);
			if (err != (want_err ? CF_ERR_CRYPTO : CF_OK))
				fail_msg("%s (%s): got %d", file, vec_str(p, "desc"), (int)err);
			if (want_err)
				t.rejected_verifier++;
			else
				t.accepted++;
		}
		free(proof);
	}
	json_decref(root);
	assert_int_equal(t.accepted + t.rejected_verifier + t.rejected_decode + t.skipped, 98);
	assert_int_equal(t.rejected_verifier + t.rejected_decode, 92);
	assert_int_equal(t.skipped, 1);
	vec_report("merkle", "consistency probes: %u checked: %u valid accepted; %u must-fail "
		   "rejected by cf_merkle_verify_consistency, %u must-fail rejected because a hash "
		   "is not 32 bytes; %u valid probe skipped (12-byte roots, see above)",
		   98 - t.skipped, t.accepted, t.rejected_verifier, t.rejected_decode, t.skipped);
}

/* ---- the 8 test leaves --------------------------------------------------- */

static cf_merkle_mem *tree_of_vectors(const json_t *root, uint8_t (*leaf_hashes)[H])
{
	cf_merkle_mem *mem = NULL;
	assert_int_equal(cf_merkle_mem_new(&mem, 8), CF_OK);
	size_t i;
	const json_t *leaf;
	json_array_foreach(json_object_get(root, "leaves_hex"), i, leaf) {
		size_t len;
		uint8_t *data = vec_hex_node(leaf, &len);
		uint8_t want[H];
		cf_merkle_leaf_hash(leaf_hashes[i], data, len);
		vec_hex_exact(want, H, json_string_value(json_array_get(
			json_object_get(root, "leaf_hashes"), i)));
		assert_memory_equal(leaf_hashes[i], want, H);
		assert_int_equal(cf_merkle_mem_append(mem, leaf_hashes[i]), CF_OK);
		free(data);
	}
	assert_int_equal(cf_merkle_mem_size(mem), 8);
	return mem;
}

static void test_hashes_roots_nodes(void **state)
{
	(void)state;
	json_t *root = vec_load("merkle-rfc6962.json", true);
	uint8_t leaves[8][H], out[H], want[H];
	cf_merkle_mem *mem = tree_of_vectors(root, leaves);
	unsigned hasher = 0, hasher_skipped = 0, roots = 0, nodes = 0;

	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(root, "hasher_checks"), i, c) {
		vec_hex_exact(want, H, vec_str(c, "want"));
		if (json_object_get(c, "input") != NULL) {
			assert_int_equal(cf_merkle_root(out, 0, cf_merkle_mem_node, mem), CF_OK);
		} else if (json_object_get(c, "leaf_hex") != NULL) {
			size_t len;
			uint8_t *d = vec_hex(c, "leaf_hex", &len);
			cf_merkle_leaf_hash(out, d, len);
			free(d);
		} else if (json_object_get(c, "leaf_ascii") != NULL) {
			const char *s = vec_str(c, "leaf_ascii");
			cf_merkle_leaf_hash(out, (const uint8_t *)s, strlen(s));
		} else {
			/* HashChildren("N123", "N456"): 4-byte children; the API's
			 * children are 32-byte hashes, the only kind a tree has. */
			printf("[merkle] skipped hasher check '%s': children are not 32-byte "
			       "hashes\n", vec_str(c, "desc"));
			hasher_skipped++;
			continue;
		}
		assert_memory_equal(out, want, H);
		hasher++;
	}
	for (uint64_t n = 0; n <= 8; n++) {
		char key[4];
		key[0] = (char)('0' + n);
		key[1] = '\0';
		vec_hex_exact(want, H, vec_str(json_object_get(root, "roots"), key));
		assert_int_equal(cf_merkle_root(out, n, cf_merkle_mem_node, mem), CF_OK);
		assert_memory_equal(out, want, H);
		roots++;
	}
	const json_t *levels = json_object_get(json_object_get(root, "node_hashes"), "levels");
	const json_t *level;
	json_array_foreach(levels, i, level) {
		size_t j;
		const json_t *h;
		json_array_foreach(level, j, h) {
			vec_hex_exact(want, H, json_string_value(h));
			assert_int_equal(cf_merkle_mem_node(mem, (unsigned)i, j, out), CF_OK);
			assert_memory_equal(out, want, H);
			nodes++;
		}
		assert_int_equal(cf_merkle_mem_node(mem, (unsigned)i, json_array_size(level), out),
				 CF_ERR_NOT_FOUND);
	}
	cf_merkle_mem_free(mem);
	json_decref(root);
	assert_int_equal(nodes, 15);
	vec_report("merkle", "checked 8 leaf hashes, %u hasher checks (%u skipped: 4-byte "
		   "children), %u roots (sizes 0..8), %u complete-subtree hashes",
		   hasher, hasher_skipped, roots, nodes);
}

static void test_derived_proofs(void **state)
{
	(void)state;
	json_t *root = vec_load("merkle-rfc6962.json", true);
	uint8_t leaves[8][H], rt[H], r2[H];
	cf_merkle_mem *mem = tree_of_vectors(root, leaves);
	unsigned inc = 0, con = 0;
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(root, "derived_inclusion_proofs"), i, p) {
		uint8_t leaf[H], (*want)[H], got[CF_MERKLE_PROOF_MAX][H];
		size_t want_len, got_len = 0;
		assert_true(hash_field(leaf, p, "leafHash") && hash_field(rt, p, "root"));
		assert_true(proof_field(&want, &want_len, p));
		uint64_t idx = vec_u64(p, "leafIdx"), size = vec_u64(p, "treeSize");
		assert_int_equal(cf_merkle_verify_inclusion(leaf, idx, size, CP(want), want_len, rt),
				 CF_OK);
		assert_int_equal(cf_merkle_inclusion_proof(got, CF_MERKLE_PROOF_MAX, &got_len, idx,
							   size, cf_merkle_mem_node, mem), CF_OK);
		assert_int_equal(got_len, want_len);
		if (got_len > 0)
			assert_memory_equal(got, want, got_len * H);
		free(want);
		inc++;
	}
	json_array_foreach(json_object_get(root, "derived_consistency_proofs"), i, p) {
		uint8_t (*want)[H], got[CF_MERKLE_PROOF_MAX][H];
		size_t want_len, got_len = 0;
		assert_true(hash_field(rt, p, "root1") && hash_field(r2, p, "root2"));
		assert_true(proof_field(&want, &want_len, p));
		uint64_t m = vec_u64(p, "size1"), n = vec_u64(p, "size2");
		assert_int_equal(cf_merkle_verify_consistency(m, n, rt, r2, CP(want), want_len), CF_OK);
		assert_int_equal(cf_merkle_consistency_proof(got, CF_MERKLE_PROOF_MAX, &got_len, m, n,
							     cf_merkle_mem_node, mem), CF_OK);
		assert_int_equal(got_len, want_len);
		if (got_len > 0)
			assert_memory_equal(got, want, got_len * H);
		free(want);
		con++;
	}
	cf_merkle_mem_free(mem);
	json_decref(root);
	assert_int_equal(inc, 36);
	assert_int_equal(con, 36);
	vec_report("merkle", "derived proofs: %u inclusion + %u consistency verified, and "
		   "generated byte for byte from the tree; skipped 0", inc, con);
}

/* ---- naive reference (RFC 9162 §2.1 as recursion) ------------------------ */

static uint64_t k_of(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_mth(uint8_t out[H], uint8_t (*d)[H], uint64_t n)
{
	if (n == 1) {
		memcpy(out, d[0], H);
		return;
	}
	uint64_t k = k_of(n);
	uint8_t l[H], r[H];
	ref_mth(l, d, k);
	ref_mth(r, d + k, n - k);
	cf_merkle_node_hash(out, l, r);
}

static size_t ref_path(uint8_t (*out)[H], uint64_t m, uint8_t (*d)[H], uint64_t n)
{
	if (n == 1)
		return 0;
	uint64_t k = k_of(n);
	size_t len;
	if (m < k) {
		len = ref_path(out, m, d, k);
		ref_mth(out[len], d + k, n - k);
	} else {
		len = ref_path(out, m - k, d + k, n - k);
		ref_mth(out[len], d, k);
	}
	return len + 1;
}

static size_t ref_subproof(uint8_t (*out)[H], uint64_t m, uint8_t (*d)[H], uint64_t n, bool b)
{
	if (m == n) {
		if (b)
			return 0;
		ref_mth(out[0], d, n);
		return 1;
	}
	uint64_t k = k_of(n);
	size_t len;
	if (m <= k) {
		len = ref_subproof(out, m, d, k, b);
		ref_mth(out[len], d + k, n - k);
	} else {
		len = ref_subproof(out, m - k, d + k, n - k, false);
		ref_mth(out[len], d, k);
	}
	return len + 1;
}

/* Every inclusion and consistency proof of every size up to N against the
 * reference, each verified, and each with one flipped bit refused. */
static void test_reference_trees(void **state)
{
	(void)state;
	enum { N = 70 };
	uint8_t leaves[N][H];
	cf_merkle_mem *mem = NULL;
	assert_int_equal(cf_merkle_mem_new(&mem, N), CF_OK);
	unsigned proofs = 0, mutations = 0;
	for (uint64_t n = 1; n <= N; n++) {
		uint8_t data[8];
		for (int b = 0; b < 8; b++)
			data[b] = (uint8_t)((n - 1) >> (8 * b));
		cf_merkle_leaf_hash(leaves[n - 1], data, sizeof(data));
		assert_int_equal(cf_merkle_mem_append(mem, leaves[n - 1]), CF_OK);
		uint8_t rt[H], want_rt[H];
		ref_mth(want_rt, leaves, n);
		assert_int_equal(cf_merkle_root(rt, n, cf_merkle_mem_node, mem), CF_OK);
		assert_memory_equal(rt, want_rt, H);
		for (uint64_t m = 0; m < n; m++) {
			uint8_t want[CF_MERKLE_PROOF_MAX][H], got[CF_MERKLE_PROOF_MAX][H];
			size_t want_len = ref_path(want, m, leaves, n), got_len = 0;
			assert_int_equal(cf_merkle_inclusion_proof(got, CF_MERKLE_PROOF_MAX, &got_len,
								   m, n, cf_merkle_mem_node, mem), CF_OK);
			assert_int_equal(got_len, want_len);
			if (got_len)
				assert_memory_equal(got, want, got_len * H);
			assert_int_equal(cf_merkle_verify_inclusion(leaves[m], m, n, CP(got), got_len,
								    rt), CF_OK);
			if (got_len) {
				got[m % got_len][m % H] ^= 4;
				assert_int_equal(cf_merkle_verify_inclusion(leaves[m], m, n, CP(got),
									    got_len, rt), CF_ERR_CRYPTO);
				mutations++;
			}
			/* another leaf with this leaf's proof. (A wrong tree size can
			 * verify: the proof binds the size only through the root, which
			 * the signed checkpoint binds to its size.) */
			if (n > 1)
				assert_int_equal(cf_merkle_verify_inclusion(leaves[(m + 1) % n], m, n,
									    CP(want), want_len, rt),
						 CF_ERR_CRYPTO);
			proofs++;
		}
		for (uint64_t m = 1; m <= n; m++) {
			uint8_t want[CF_MERKLE_PROOF_MAX][H], got[CF_MERKLE_PROOF_MAX][H], old[H];
			size_t want_len = ref_subproof(want, m, leaves, n, true), got_len = 0;
			ref_mth(old, leaves, m);
			assert_int_equal(cf_merkle_consistency_proof(got, CF_MERKLE_PROOF_MAX, &got_len,
								     m, n, cf_merkle_mem_node, mem),
					 CF_OK);
			assert_int_equal(got_len, want_len);
			if (got_len)
				assert_memory_equal(got, want, got_len * H);
			assert_int_equal(cf_merkle_verify_consistency(m, n, old, rt, CP(got), got_len),
					 CF_OK);
			if (got_len) {
				got[m % got_len][n % H] ^= 1;
				assert_int_equal(cf_merkle_verify_consistency(m, n, old, rt, CP(got),
									      got_len), CF_ERR_CRYPTO);
				/* and a proof with an extra element */
				memcpy(got, want, got_len * H);
				memcpy(got[got_len], want[0], H);
				assert_int_equal(cf_merkle_verify_consistency(m, n, old, rt, CP(got),
									      got_len + 1), CF_ERR_CRYPTO);
				mutations += 2;
			}
			proofs++;
		}
	}
	cf_merkle_mem_free(mem);
	vec_report("merkle", "reference trees 1..%d: %u proofs equal to the naive RFC 9162 "
		   "recursion and verified; %u altered proofs refused", N, proofs, mutations);
}

/* ---- callback cost ---------------------------------------------------------- */

struct counting {
	cf_merkle_mem *mem;   /* NULL: computed fake */
	uint64_t size;        /* every request must lie inside the tree */
	unsigned calls;
};

static cf_err counting_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	struct counting *c = ctx;
	c->calls++;
	if (level >= 64 || index >= (c->size >> level))
		fail_msg("callback asked for (%u, %llu) outside a tree of %llu", level,
			 (unsigned long long)index, (unsigned long long)c->size);
	if (c->mem != NULL)
		return cf_merkle_mem_node(c->mem, level, index, out);
	uint8_t buf[12];
	memcpy(buf, &level, 4);
	memcpy(buf + 4, &index, 8);
	cf_sha256(out, buf, sizeof(buf));
	return CF_OK;
}

static void test_call_counts(void **state)
{
	(void)state;
	const uint64_t n = 1000000;
	struct counting c = { .size = n };
	assert_int_equal(cf_merkle_mem_new(&c.mem, n), CF_OK);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t data[8], leaf[H];
		memcpy(data, &i, 8);
		cf_merkle_leaf_hash(leaf, data, 8);
		assert_int_equal(cf_merkle_mem_append(c.mem, leaf), CF_OK);
	}
	uint8_t rt[H], proof[CF_MERKLE_PROOF_MAX][H];
	size_t len;
	unsigned worst_root, worst_inc = 0, worst_con = 0;
	c.calls = 0;
	assert_int_equal(cf_merkle_root(rt, n, counting_get, &c), CF_OK);
	worst_root = c.calls;
	static const uint64_t idx[] = { 0, 1, 499999, 524287, 524288, 999998, 999999, 777777 };
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		uint8_t leaf[H];
		c.calls = 0;
		assert_int_equal(cf_merkle_inclusion_proof(proof, CF_MERKLE_PROOF_MAX, &len, idx[i], n,
							   counting_get, &c), CF_OK);
		worst_inc = c.calls > worst_inc ? c.calls : worst_inc;
		assert_int_equal(cf_merkle_mem_node(c.mem, 0, idx[i], leaf), CF_OK);
		assert_int_equal(cf_merkle_verify_inclusion(leaf, idx[i], n, CP(proof), len, rt), CF_OK);
	}
	static const uint64_t olds[] = { 1, 2, 3, 1000, 524288, 524289, 999999, 999000, 123457 };
	for (size_t i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		uint8_t old_root[H];
		assert_int_equal(cf_merkle_root(old_root, olds[i], cf_merkle_mem_node, c.mem), CF_OK);
		c.calls = 0;
		assert_int_equal(cf_merkle_consistency_proof(proof, CF_MERKLE_PROOF_MAX, &len, olds[i],
							     n, counting_get, &c), CF_OK);
		worst_con = c.calls > worst_con ? c.calls : worst_con;
		assert_int_equal(cf_merkle_verify_consistency(olds[i], n, old_root, rt, CP(proof), len),
				 CF_OK);
	}
	cf_merkle_mem_free(c.mem);
	/* log2(10^6) < 20: a root is at most popcount(n) calls, a proof at most
	 * its length (<= 21) plus one decomposed right border (<= 20). */
	assert_true(worst_root <= 20);
	assert_true(worst_inc <= 40);
	assert_true(worst_con <= 42);

	/* the computed fake: a tree too big to store, same bounds */
	struct counting f = { .mem = NULL, .size = UINT64_MAX - 12345 };
	unsigned fake_worst = 0;
	assert_int_equal(cf_merkle_root(rt, f.size, counting_get, &f), CF_OK);
	fake_worst = f.calls;
	f.calls = 0;
	assert_int_equal(cf_merkle_inclusion_proof(proof, CF_MERKLE_PROOF_MAX, &len, f.size / 3,
						   f.size, counting_get, &f), CF_OK);
	fake_worst = f.calls > fake_worst ? f.calls : fake_worst;
	f.calls = 0;
	assert_int_equal(cf_merkle_consistency_proof(proof, CF_MERKLE_PROOF_MAX, &len, f.size / 3,
						     f.size, counting_get, &f), CF_OK);
	fake_worst = f.calls > fake_worst ? f.calls : fake_worst;
	assert_true(fake_worst <= 2 * 64 + 1);
	vec_report("merkle", "n = 1,000,000 (real tree): root %u calls, inclusion proof <= %u, "
		   "consistency proof <= %u; n = 2^64-12346 (computed fake): <= %u calls",
		   worst_root, worst_inc, worst_con, fake_worst);
}

/* ---- append, caps, arguments ---------------------------------------------- */

struct log_store {
	cf_merkle_mem *mem;
	unsigned puts, gets;
	unsigned put_level[70];
};

static cf_err log_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	struct log_store *s = ctx;
	s->gets++;
	return cf_merkle_mem_node(s->mem, level, index, out);
}

static cf_err log_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[H])
{
	struct log_store *s = ctx;
	(void)index;
	(void)hash;
	s->put_level[s->puts++] = level;
	return CF_OK;
}

static void test_append_and_caps(void **state)
{
	(void)state;
	struct log_store s = { 0 };
	uint8_t leaf[H] = { 1 }, out[H], proof[4][H];
	assert_int_equal(cf_merkle_mem_new(&s.mem, 3), CF_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cf_merkle_mem_append(s.mem, leaf), CF_OK);
	assert_int_equal(cf_merkle_mem_append(s.mem, leaf), CF_ERR_TOO_LARGE);
	assert_int_equal(cf_merkle_mem_size(s.mem), 3);
	assert_int_equal(cf_merkle_mem_node(s.mem, 1, 1, out), CF_ERR_NOT_FOUND);
	assert_int_equal(cf_merkle_mem_node(s.mem, 1, 0, out), CF_OK);
	/* appending leaf 3 completes (1,1) and (2,0): 3 puts, 2 gets */
	assert_int_equal(cf_merkle_append(3, leaf, log_get, log_put, &s), CF_OK);
	assert_int_equal(s.puts, 3);
	assert_int_equal(s.gets, 2);
	assert_int_equal(s.put_level[0], 0);
	assert_int_equal(s.put_level[2], 2);
	/* appending an even index completes nothing */
	s.puts = s.gets = 0;
	assert_int_equal(cf_merkle_append(2, leaf, log_get, log_put, &s), CF_OK);
	assert_int_equal(s.puts, 1);
	assert_int_equal(s.gets, 0);
	assert_int_equal(cf_merkle_append(UINT64_MAX, leaf, log_get, log_put, &s), CF_ERR_TOO_LARGE);

	/* proof caps: too small is refused and writes nothing */
	size_t len = 77;
	memset(proof, 0xcc, sizeof(proof));
	assert_int_equal(cf_merkle_inclusion_proof(proof, 1, &len, 0, 3, cf_merkle_mem_node, s.mem),
			 CF_ERR_TOO_LARGE);
	assert_int_equal(len, 77);
	assert_int_equal(proof[0][0], 0xcc);
	assert_int_equal(cf_merkle_inclusion_proof(proof, 4, &len, 3, 3, cf_merkle_mem_node, s.mem),
			 CF_ERR_INVALID);
	assert_int_equal(cf_merkle_consistency_proof(proof, 4, &len, 0, 3, cf_merkle_mem_node, s.mem),
			 CF_ERR_INVALID);
	assert_int_equal(cf_merkle_consistency_proof(proof, 4, &len, 3, 2, cf_merkle_mem_node, s.mem),
			 CF_ERR_INVALID);
	assert_int_equal(cf_merkle_consistency_proof(NULL, 0, &len, 3, 3, cf_merkle_mem_node, s.mem),
			 CF_OK);
	assert_int_equal(len, 0);
	/* a callback error comes back as is */
	assert_int_equal(cf_merkle_root(out, 4, cf_merkle_mem_node, s.mem), CF_ERR_NOT_FOUND);
	cf_merkle_mem_free(s.mem);
	cf_merkle_mem_free(NULL);
	cf_merkle_mem *m = NULL;
	assert_int_equal(cf_merkle_mem_new(&m, 0), CF_ERR_INVALID);
	assert_null(m);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes_roots_nodes),
		cmocka_unit_test(test_inclusion_probes),
		cmocka_unit_test(test_consistency_probes),
		cmocka_unit_test(test_derived_proofs),
		cmocka_unit_test(test_reference_trees),
		cmocka_unit_test(test_call_counts),
		cmocka_unit_test(test_append_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
