/* RFC 6962 / 9162 Merkle tree: hashing, heads, proofs, verification and
 * append over a store of perfect-subtree hashes (see merkle.h). */
#include "crypto/merkle.h"

#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"

#define H CF_MERKLE_HASH_BYTES

void cf_merkle_leaf_hash(uint8_t out[H], const uint8_t *data, size_t len)
{
	static const uint8_t prefix = 0x00;
	cf_sha256_state st;
	cf_sha256_init(&st);
	cf_sha256_update(&st, &prefix, 1);
	cf_sha256_update(&st, data, len);
	cf_sha256_final(&st, out);
}

/* `out` may alias `l` or `r`: both are consumed before out is written. */
void cf_merkle_node_hash(uint8_t out[H], const uint8_t l[H], const uint8_t r[H])
{
	static const uint8_t prefix = 0x01;
	cf_sha256_state st;
	cf_sha256_init(&st);
	cf_sha256_update(&st, &prefix, 1);
	cf_sha256_update(&st, l, H);
	cf_sha256_update(&st, r, H);
	cf_sha256_final(&st, out);
}

static int hash_eq(const uint8_t a[H], const uint8_t b[H])
{
	/* Public values; the constant-time compare is just the house habit. */
	return sodium_memcmp(a, b, H) == 0;
}

static unsigned floor_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* k in RFC 9162: the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << floor_log2(n - 1);
}

/* Hash of the subtree over leaves [lo, hi) (hi > lo). Every subtree of an
 * RFC 6962 tree starts at a multiple of a power of two >= its width, so it
 * is the perfect subtrees given by the set bits of its width, largest
 * first, folded from the right: MTH = node(P1, node(P2, ... Pk)). One
 * callback call per set bit. */
static cf_err range_hash(uint8_t out[H], uint64_t lo, uint64_t hi,
			 cf_merkle_node_fn get, void *ctx)
{
	uint64_t width = hi - lo;
	uint8_t acc[H];
	uint8_t piece[H];
	int have = 0;
	for (unsigned k = 0; k < 64; k++) {
		if (((width >> k) & 1) == 0)
			continue;
		/* Pieces above bit k come first; 2 << 63 wraps to 0 on purpose. */
		uint64_t start = lo + (width & ~((UINT64_C(2) << k) - 1));
		cf_err err = get(ctx, k, start >> k, have ? piece : acc);
		if (err)
			return err;
		if (have)
			cf_merkle_node_hash(acc, piece, acc);
		have = 1;
	}
	memcpy(out, acc, H);
	return CF_OK;
}

cf_err cf_merkle_root(uint8_t out[H], uint64_t size, cf_merkle_node_fn get, void *ctx)
{
	if (out == NULL || get == NULL)
		return CF_ERR_INVALID;
	if (size == 0) {
		cf_sha256(out, NULL, 0);
		return CF_OK;
	}
	return range_hash(out, 0, size, get, ctx);
}

/* Proof elements are found root side first; proofs list them leaf side
 * first. `nodes` NULL: only count. */
struct walk {
	uint64_t lo[CF_MERKLE_PROOF_MAX];
	uint64_t hi[CF_MERKLE_PROOF_MAX];
	size_t n;
};

static void walk_push(struct walk *w, uint64_t lo, uint64_t hi)
{
	w->lo[w->n] = lo;
	w->hi[w->n] = hi;
	w->n++;
}

/* PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1, iteratively. */
static void walk_inclusion(struct walk *w, uint64_t index, uint64_t size)
{
	uint64_t lo = 0, hi = size;
	w->n = 0;
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (index < lo + k) {
			walk_push(w, lo + k, hi);
			hi = lo + k;
		} else {
			walk_push(w, lo, lo + k);
			lo += k;
		}
	}
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, iteratively. */
static void walk_consistency(struct walk *w, uint64_t old_size, uint64_t new_size)
{
	uint64_t lo = 0, hi = new_size, m = old_size;
	int b = 1;
	w->n = 0;
	if (old_size == new_size)
		return;
	for (;;) {
		uint64_t n = hi - lo;
		if (m == n) {
			if (!b)
				walk_push(w, lo, hi);
			return;
		}
		uint64_t k = split_point(n);
		if (m <= k) {
			walk_push(w, lo + k, hi);
			hi = lo + k;
		} else {
			walk_push(w, lo, lo + k);
			lo += k;
			m -= k;
			b = 0;
		}
	}
}

/* Hash the walked ranges, then write them leaf side first. */
static cf_err emit(uint8_t (*proof)[H], size_t cap, size_t *ret_len,
		   const struct walk *w, cf_merkle_node_fn get, void *ctx)
{
	uint8_t tmp[CF_MERKLE_PROOF_MAX][H];
	if (w->n > cap)
		return CF_ERR_TOO_LARGE;
	for (size_t i = 0; i < w->n; i++) {
		cf_err err = range_hash(tmp[w->n - 1 - i], w->lo[i], w->hi[i], get, ctx);
		if (err)
			return err;
	}
	if (w->n > 0)
		memcpy(proof, tmp, w->n * H);
	*ret_len = w->n;
	return CF_OK;
}

cf_err cf_merkle_inclusion_proof(uint8_t (*proof)[H], size_t cap, size_t *ret_len,
				 uint64_t index, uint64_t size,
				 cf_merkle_node_fn get, void *ctx)
{
	if (ret_len == NULL || get == NULL || (proof == NULL && cap > 0) || index >= size)
		return CF_ERR_INVALID;
	struct walk w;
	walk_inclusion(&w, index, size);
	return emit(proof, cap, ret_len, &w, get, ctx);
}

cf_err cf_merkle_consistency_proof(uint8_t (*proof)[H], size_t cap, size_t *ret_len,
				   uint64_t old_size, uint64_t new_size,
				   cf_merkle_node_fn get, void *ctx)
{
	if (ret_len == NULL || get == NULL || (proof == NULL && cap > 0) ||
	    old_size == 0 || old_size > new_size)
		return CF_ERR_INVALID;
	struct walk w;
	walk_consistency(&w, old_size, new_size);
	return emit(proof, cap, ret_len, &w, get, ctx);
}

/* "Right-shift both fn and sn equally until either LSB(fn) is set or fn
 * is 0" (RFC 9162 §2.1.3.2 step 4.b.2 and §2.1.4.2 step 6.b.3). */
static void shift_to_set_bit(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

cf_err cf_merkle_verify_inclusion(const uint8_t leaf_hash[H], uint64_t index, uint64_t size,
				  const uint8_t (*proof)[H], size_t len,
				  const uint8_t root[H])
{
	if (leaf_hash == NULL || root == NULL || (proof == NULL && len > 0))
		return CF_ERR_INVALID;
	if (index >= size || len > 64)
		return CF_ERR_CRYPTO;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[H];
	memcpy(r, leaf_hash, H);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return CF_ERR_CRYPTO; /* proof longer than the path */
		if ((fn & 1) || fn == sn) {
			cf_merkle_node_hash(r, proof[i], r);
			shift_to_set_bit(&fn, &sn);
		} else {
			cf_merkle_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(r, root) ? CF_OK : CF_ERR_CRYPTO;
}

/* Steps 3 to 7 of RFC 9162 §2.1.4.2 over first ‖ rest[0..n). */
static cf_err consistency_path(uint64_t old_size, uint64_t new_size,
			       const uint8_t first[H], const uint8_t (*rest)[H], size_t n,
			       const uint8_t old_root[H], const uint8_t new_root[H])
{
	uint64_t fn = old_size - 1, sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[H], sr[H];
	memcpy(fr, first, H);
	memcpy(sr, first, H);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return CF_ERR_CRYPTO;
		if ((fn & 1) || fn == sn) {
			cf_merkle_node_hash(fr, rest[i], fr);
			cf_merkle_node_hash(sr, rest[i], sr);
			shift_to_set_bit(&fn, &sn);
		} else {
			cf_merkle_node_hash(sr, sr, rest[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(fr, old_root) && hash_eq(sr, new_root) ?
	       CF_OK : CF_ERR_CRYPTO;
}

cf_err cf_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
				    const uint8_t old_root[H], const uint8_t new_root[H],
				    const uint8_t (*proof)[H], size_t len)
{
	if (old_root == NULL || new_root == NULL || (proof == NULL && len > 0))
		return CF_ERR_INVALID;
	/* A proof from the empty tree proves nothing; a shrinking log is no
	 * extension. */
	if (old_size == 0 || old_size > new_size)
		return CF_ERR_CRYPTO;
	if (old_size == new_size)
		return len == 0 && hash_eq(old_root, new_root) ? CF_OK : CF_ERR_CRYPTO;
	if (len == 0 || len > CF_MERKLE_PROOF_MAX)
		return CF_ERR_CRYPTO;
	/* Step 2: when old_size is a power of two, the old root is the first
	 * node of the path and the proof omits it. */
	if ((old_size & (old_size - 1)) == 0)
		return consistency_path(old_size, new_size, old_root, proof, len,
					old_root, new_root);
	return consistency_path(old_size, new_size, proof[0], proof + 1, len - 1,
				old_root, new_root);
}

cf_err cf_merkle_append(uint64_t index, const uint8_t leaf_hash[H],
			cf_merkle_node_fn get, cf_merkle_put_fn put, void *ctx)
{
	if (leaf_hash == NULL || get == NULL || put == NULL)
		return CF_ERR_INVALID;
	if (index == UINT64_MAX)
		return CF_ERR_TOO_LARGE; /* the size would not fit in 64 bits */
	cf_err err = put(ctx, 0, index, leaf_hash);
	uint8_t h[H], left[H];
	memcpy(h, leaf_hash, H);
	/* Each trailing 1 bit of the index is a left sibling now completed. */
	for (unsigned level = 0; !err && ((index >> level) & 1); level++) {
		uint64_t i = index >> level;
		err = get(ctx, level, i - 1, left);
		if (!err) {
			cf_merkle_node_hash(h, left, h);
			err = put(ctx, level + 1, i >> 1, h);
		}
	}
	return err;
}
