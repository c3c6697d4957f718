/* In-memory store of perfect-subtree hashes: one growing array per level. */
#include "crypto/merkle.h"

#include <stdlib.h>
#include <string.h>

#define H CF_MERKLE_HASH_BYTES
#define LEVELS 64
#define MEM_MAX_LEAVES (UINT64_C(1) << 40)
#define MEM_MIN_CAP 16

struct cf_merkle_mem {
	uint64_t size;
	uint64_t max_leaves;
	uint8_t (*level[LEVELS])[H]; /* level[k][i]: subtree (k, i) */
	uint64_t cap[LEVELS];
};

cf_err cf_merkle_mem_new(cf_merkle_mem **ret, uint64_t max_leaves)
{
	if (ret == NULL || max_leaves == 0 || max_leaves > MEM_MAX_LEAVES)
		return CF_ERR_INVALID;
	cf_merkle_mem *mem = calloc(1, sizeof(*mem));
	if (mem == NULL)
		return CF_ERR_NOMEM;
	mem->max_leaves = max_leaves;
	*ret = mem;
	return CF_OK;
}

void cf_merkle_mem_free(cf_merkle_mem *mem)
{
	if (mem == NULL)
		return;
	for (unsigned k = 0; k < LEVELS; k++)
		free(mem->level[k]);
	free(mem);
}

uint64_t cf_merkle_mem_size(const cf_merkle_mem *mem)
{
	return mem != NULL ? mem->size : 0;
}

/* Make room for a tree of new_size leaves at every level, doubling up to
 * the cap, so that the puts of an append cannot fail half way. */
static cf_err reserve(cf_merkle_mem *mem, uint64_t new_size)
{
	for (unsigned k = 0; k < LEVELS && (new_size >> k) > 0; k++) {
		uint64_t need = new_size >> k;
		if (need <= mem->cap[k])
			continue;
		uint64_t cap = mem->cap[k] ? mem->cap[k] * 2 : MEM_MIN_CAP;
		uint64_t limit = mem->max_leaves >> k;
		if (cap > limit)
			cap = limit;
		if (cap < need)
			cap = need;
		void *grown = realloc(mem->level[k], (size_t)cap * H);
		if (grown == NULL)
			return CF_ERR_NOMEM;
		mem->level[k] = grown;
		mem->cap[k] = cap;
	}
	return CF_OK;
}

cf_err cf_merkle_mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	const cf_merkle_mem *mem = ctx;
	if (mem == NULL || out == NULL)
		return CF_ERR_INVALID;
	if (level >= LEVELS || index >= (mem->size >> level))
		return CF_ERR_NOT_FOUND;
	memcpy(out, mem->level[level][index], H);
	return CF_OK;
}

static cf_err mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[H])
{
	cf_merkle_mem *mem = ctx;
	if (level >= LEVELS || index >= mem->cap[level])
		return CF_ERR_INVALID; /* reserve() guarantees this cannot happen */
	memcpy(mem->level[level][index], hash, H);
	return CF_OK;
}

cf_err cf_merkle_mem_append(cf_merkle_mem *mem, const uint8_t leaf_hash[H])
{
	if (mem == NULL || leaf_hash == NULL)
		return CF_ERR_INVALID;
	if (mem->size >= mem->max_leaves)
		return CF_ERR_TOO_LARGE;
	cf_err err = reserve(mem, mem->size + 1);
	if (!err)
		err = cf_merkle_append(mem->size, leaf_hash, cf_merkle_mem_node, mem_put, mem);
	if (!err)
		mem->size++;
	return err;
}
