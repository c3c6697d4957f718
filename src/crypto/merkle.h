/* RFC 6962 / RFC 9162 Merkle tree over SHA-256, for the audit log.
 *
 * leaf hash = SHA-256(0x00 ‖ data), node hash = SHA-256(0x01 ‖ left ‖ right),
 * root of the empty tree = SHA-256("").
 *
 * Storage model: the caller stores the hashes of *perfect* subtrees only.
 * (level k, index i) is the subtree over leaves [i·2^k, (i+1)·2^k); level 0
 * holds the leaf hashes. Tree heads and proofs are computed from those by
 * decomposing any other range into perfect subtrees, so every function
 * below makes O(log n) callback calls (at most about 2·64), whatever n.
 * The callbacks are only asked for subtrees that lie entirely inside the
 * tree size given; a callback error is returned as is, outputs untouched.
 *
 * Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and the stricter
 * policy of the reference verifier (transparency-dev/merkle): index <
 * size; proofs of exactly the computed length; consistency from size 0 is
 * refused; equal sizes need an empty proof and equal roots. Hashes are
 * exactly 32 bytes by type: a caller decoding them from JSON must refuse
 * any other length (empty included) before calling.
 *
 * C note: `const uint8_t (*)[32]` does not accept a `uint8_t (*)[32]`
 * without a cast before C23 (gcc -Wpedantic); use CF_MERKLE_CONST_PROOF. */
#ifndef COFFRE_CRYPTO_MERKLE_H
#define COFFRE_CRYPTO_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_MERKLE_HASH_BYTES 32
/* Longest proof for any 64-bit tree size (inclusion: 64; consistency: 65). */
#define CF_MERKLE_PROOF_MAX 65
#define CF_MERKLE_CONST_PROOF(p) ((const uint8_t (*)[CF_MERKLE_HASH_BYTES])(p))

/* Fetch the stored hash of perfect subtree (level, index) into out. */
typedef cf_err (*cf_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
				    uint8_t out[CF_MERKLE_HASH_BYTES]);
/* Store the hash of perfect subtree (level, index). */
typedef cf_err (*cf_merkle_put_fn)(void *ctx, unsigned level, uint64_t index,
				   const uint8_t hash[CF_MERKLE_HASH_BYTES]);

void cf_merkle_leaf_hash(uint8_t out[CF_MERKLE_HASH_BYTES], const uint8_t *data, size_t len);
void cf_merkle_node_hash(uint8_t out[CF_MERKLE_HASH_BYTES],
			 const uint8_t l[CF_MERKLE_HASH_BYTES],
			 const uint8_t r[CF_MERKLE_HASH_BYTES]);

/* Root (tree head) of the first `size` leaves; size 0 gives SHA-256(""). */
cf_err cf_merkle_root(uint8_t out[CF_MERKLE_HASH_BYTES], uint64_t size,
		      cf_merkle_node_fn get, void *ctx);

/* Inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` in the tree of
 * `size` leaves, leaf-side first. CF_ERR_INVALID if index >= size;
 * CF_ERR_TOO_LARGE if the proof has more than `cap` hashes (nothing is
 * written then). `proof` may be NULL when cap is 0. */
cf_err cf_merkle_inclusion_proof(uint8_t (*proof)[CF_MERKLE_HASH_BYTES], size_t cap,
				 size_t *ret_len, uint64_t index, uint64_t size,
				 cf_merkle_node_fn get, void *ctx);

/* Consistency proof (RFC 9162 §2.1.4.1) from old_size to new_size.
 * CF_ERR_INVALID unless 0 < old_size <= new_size; old_size == new_size
 * gives an empty proof. CF_ERR_TOO_LARGE as above. */
cf_err cf_merkle_consistency_proof(uint8_t (*proof)[CF_MERKLE_HASH_BYTES], size_t cap,
				   size_t *ret_len, uint64_t old_size, uint64_t new_size,
				   cf_merkle_node_fn get, void *ctx);

/* CF_OK if the proof shows leaf_hash at `index` in the tree of `size`
 * leaves with head `root`; CF_ERR_CRYPTO otherwise (any inconsistency,
 * including index >= size or a proof of the wrong length); CF_ERR_INVALID
 * only for NULL arguments. */
cf_err cf_merkle_verify_inclusion(const uint8_t leaf_hash[CF_MERKLE_HASH_BYTES],
				  uint64_t index, uint64_t size,
				  const uint8_t (*proof)[CF_MERKLE_HASH_BYTES], size_t len,
				  const uint8_t root[CF_MERKLE_HASH_BYTES]);

/* CF_OK if the proof shows that the tree of new_size leaves with head
 * new_root extends the tree of old_size leaves with head old_root;
 * CF_ERR_CRYPTO otherwise, including old_size == 0, old_size > new_size,
 * a non-empty proof for equal sizes, an empty one for different sizes. */
cf_err cf_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
				    const uint8_t old_root[CF_MERKLE_HASH_BYTES],
				    const uint8_t new_root[CF_MERKLE_HASH_BYTES],
				    const uint8_t (*proof)[CF_MERKLE_HASH_BYTES], size_t len);

/* Append leaf number `index` (= the current size): put() the leaf at
 * (0, index), then every perfect subtree it completes, bottom up (at most
 * 64 puts, and one get per completed level). On a callback error some
 * puts may already have happened: run it inside the store's transaction. */
cf_err cf_merkle_append(uint64_t index, const uint8_t leaf_hash[CF_MERKLE_HASH_BYTES],
			cf_merkle_node_fn get, cf_merkle_put_fn put, void *ctx);

/* ---- in-memory tree, for tests and offline verification ----------------- */

typedef struct cf_merkle_mem cf_merkle_mem;

/* An empty tree that will hold at most max_leaves leaves (>= 1, and at
 * most 2^40 — else CF_ERR_INVALID). Memory grows with the tree, about
 * 64 bytes per leaf. */
cf_err cf_merkle_mem_new(cf_merkle_mem **ret, uint64_t max_leaves);
void cf_merkle_mem_free(cf_merkle_mem *mem); /* accepts NULL */

/* Append a leaf hash. CF_ERR_TOO_LARGE at the cap, CF_ERR_NOMEM; the tree
 * is unchanged on failure. */
cf_err cf_merkle_mem_append(cf_merkle_mem *mem, const uint8_t leaf_hash[CF_MERKLE_HASH_BYTES]);

uint64_t cf_merkle_mem_size(const cf_merkle_mem *mem);

/* cf_merkle_node_fn over a cf_merkle_mem passed as ctx. CF_ERR_NOT_FOUND
 * for a subtree that is not complete yet. */
cf_err cf_merkle_mem_node(void *ctx, unsigned level, uint64_t index,
			  uint8_t out[CF_MERKLE_HASH_BYTES]);

#endif
