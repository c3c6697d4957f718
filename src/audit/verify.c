#include "audit/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/event.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"

#define NODE_CHUNK 4096
#define LEVELS 64

struct cp_entry {
	uint64_t size;
	uint8_t root[32];
};

/* A window of consecutive stored nodes of one level. */
struct node_cursor {
	uint8_t (*nodes)[32];
	uint64_t from;
	size_t len;
};

struct verify_ctx {
	cf_store *st;
	const struct cf_note_verifier *v;
	struct cf_verify_report *r;
	/* checkpoints, sorted by size */
	struct cp_entry *cps;
	size_t ncps, cps_cap, next_cp;
	/* stored nodes of each level, read ahead in chunks (allocated on first use) */
	struct node_cursor cur[LEVELS];
	/* streaming tree: the newest perfect subtree at each level */
	uint8_t front[LEVELS][32];
	uint64_t n;
};

static cf_err fail_at(struct verify_ctx *c, uint64_t index, const char *what)
{
	c->r->failed = true;
	c->r->bad_index = index;
	c->r->bad_index_known = true;
	snprintf(c->r->msg, sizeof(c->r->msg), "event %llu: %s", (unsigned long long)index, what);
	return CF_ERR_CRYPTO;
}

static cf_err collect_cp(void *ctx, uint64_t size, const char *note, size_t len)
{
	struct verify_ctx *c = ctx;
	struct cf_checkpoint cp;
	if (cf_checkpoint_verify(&cp, note, len, c->v) != CF_OK || cp.size != size) {
		c->r->failed = true;
		snprintf(c->r->msg, sizeof(c->r->msg),
		         "checkpoint of size %llu: signature or format does not verify with the audit key",
		         (unsigned long long)size);
		return CF_ERR_CRYPTO;
	}
	if (c->ncps == c->cps_cap) {
		size_t cap = c->cps_cap ? c->cps_cap * 2 : 64;
		struct cp_entry *n = realloc(c->cps, cap * sizeof(*n));
		if (!n)
			return CF_ERR_NOMEM;
		c->cps = n;
		c->cps_cap = cap;
	}
	c->cps[c->ncps].size = size;
	memcpy(c->cps[c->ncps].root, cp.root, 32);
	c->ncps++;
	return CF_OK;
}

static cf_err take_node(void *ctx, uint64_t index, const uint8_t hash[32])
{
	struct node_cursor *cur = ctx;
	if (index != cur->from + cur->len)
		return CF_ERR_NOT_FOUND; /* a hole: reported by the caller */
	memcpy(cur->nodes[cur->len++], hash, 32);
	return CF_OK;
}

/* The stored node (level, index), reading ahead a chunk at a time; every
 * level is read in index order, so each chunk is one range scan. */
static cf_err stored_node(struct verify_ctx *c, unsigned level, uint64_t index,
                          const uint8_t **ret)
{
	struct node_cursor *cur = &c->cur[level];
	if (!cur->nodes) {
		cur->nodes = malloc(NODE_CHUNK * 32);
		if (!cur->nodes)
			return CF_ERR_NOMEM;
	}
	if (index < cur->from || index >= cur->from + cur->len) {
		cur->from = index;
		cur->len = 0;
		cf_err err = c->st->ops->audit_nodes(c->st, level, index, NODE_CHUNK, take_node, cur);
		if (err && err != CF_ERR_NOT_FOUND)
			return err;
		if (cur->len == 0)
			return CF_ERR_NOT_FOUND;
	}
	*ret = cur->nodes[index - cur->from];
	return CF_OK;
}

static cf_err fail_node(struct verify_ctx *c, unsigned level, uint64_t index, const char *what)
{
	c->r->failed = true;
	c->r->bad_node = true;
	c->r->bad_level = level;
	c->r->bad_node_index = index;
	snprintf(c->r->msg, sizeof(c->r->msg), "tree node level %u index %llu (events %llu-%llu): %s",
	         level, (unsigned long long)index, (unsigned long long)(index << level),
	         (unsigned long long)(((index + 1) << level) - 1), what);
	return CF_ERR_CRYPTO;
}

/* Root of the first n leaves from the streaming frontier (RFC 6962 MTH). */
static void frontier_root(const struct verify_ctx *c, uint64_t n, uint8_t out[32])
{
	bool have = false;
	uint8_t acc[32];
	for (unsigned k = 0; k < LEVELS; k++) {
		if (!((n >> k) & 1))
			continue;
		if (!have) {
			memcpy(acc, c->front[k], 32);
			have = true;
		} else {
			cf_merkle_node_hash(acc, c->front[k], acc);
		}
	}
	if (have)
		memcpy(out, acc, 32);
	else
		cf_sha256(out, NULL, 0);
}

/* Appends a leaf; every perfect subtree it completes is recomputed from the
 * events and compared with the stored node of that subtree, since the server
 * builds its proofs and tree heads from the stored nodes. */
static cf_err frontier_append(struct verify_ctx *c, const uint8_t leaf[32])
{
	uint8_t h[32];
	memcpy(h, leaf, 32);
	unsigned k = 0;
	/* each trailing 1 bit of n is a left sibling to merge with */
	for (uint64_t n = c->n; n & 1; n >>= 1, k++) {
		cf_merkle_node_hash(h, c->front[k], h);
		uint64_t index = c->n >> (k + 1);
		const uint8_t *stored = NULL;
		cf_err err = stored_node(c, k + 1, index, &stored);
		if (err == CF_ERR_NOT_FOUND)
			return fail_node(c, k + 1, index, "missing from the stored tree");
		if (err)
			return err;
		if (memcmp(stored, h, 32) != 0)
			return fail_node(c, k + 1, index,
			                 "its stored hash does not match the events below it (altered)");
	}
	memcpy(c->front[k], h, 32);
	c->n++;
	return CF_OK;
}

static cf_err check_checkpoints_at(struct verify_ctx *c)
{
	while (c->next_cp < c->ncps && c->cps[c->next_cp].size == c->n) {
		uint8_t root[32];
		frontier_root(c, c->n, root);
		if (memcmp(root, c->cps[c->next_cp].root, 32) != 0) {
			c->r->failed = true;
			snprintf(c->r->msg, sizeof(c->r->msg),
			         "the events do not hash to the signed checkpoint of size %llu",
			         (unsigned long long)c->n);
			return CF_ERR_CRYPTO;
		}
		c->r->checkpoints++;
		c->next_cp++;
	}
	return CF_OK;
}

static cf_err on_event(void *ctx, uint64_t seq, const uint8_t *ev, size_t len,
                       const uint8_t stored[32])
{
	struct verify_ctx *c = ctx;
	if (seq != c->n)
		return fail_at(c, c->n, "missing (deleted from the log)");
	char prefix[40];
	size_t plen = cf_audit_event_prefix(prefix, sizeof(prefix), seq);
	if (len < plen || memcmp(ev, prefix, plen) != 0)
		return fail_at(c, seq, "its bytes carry another sequence number (reordered or altered)");
	uint8_t leaf[32];
	cf_merkle_leaf_hash(leaf, ev, len);
	if (memcmp(stored, leaf, 32) != 0)
		return fail_at(c, seq, "its bytes do not match the tree (altered)");
	cf_err err = frontier_append(c, leaf);
	if (err)
		return err;
	c->r->events++;
	return check_checkpoints_at(c);
}

static cf_err probe_node(void *ctx, uint64_t index, const uint8_t hash[32])
{
	*(bool *)ctx = true;
	return CF_OK;
}

cf_err cf_audit_verify_store(cf_store *st, const struct cf_note_verifier *v,
                             struct cf_verify_report *r)
{
	memset(r, 0, sizeof(*r));
	struct verify_ctx c = { .st = st, .v = v, .r = r };
	cf_err err = st->ops->checkpoints(st, collect_cp, &c);
	if (!err && c.ncps == 0) {
		r->failed = true;
		snprintf(r->msg, sizeof(r->msg), "no signed checkpoint in the store");
		err = CF_ERR_CRYPTO;
	}
	if (!err)
		err = check_checkpoints_at(&c); /* the size-0 checkpoint */
	if (!err)
		err = st->ops->audit_leaf_events(st, 0, UINT64_MAX, on_event, &c);
	if (!err) {
		/* Events gone from the end: a signed checkpoint, or a stored subtree
		 * that covers leaves beyond them (level 0 lives with the events). */
		bool leaf_beyond = false;
		for (unsigned k = 1; !err && !leaf_beyond && k < 56; k++)
			err = st->ops->audit_nodes(st, k, c.n >> k, 1, probe_node, &leaf_beyond);
		uint64_t signed_size = c.cps[c.ncps - 1].size;
		if (!err && (signed_size > c.n || leaf_beyond)) {
			r->failed = true;
			r->bad_index = c.n;
			r->bad_index_known = true;
			snprintf(r->msg, sizeof(r->msg), "event %llu: missing — the log is truncated after "
			         "%llu events (signed checkpoints cover %llu)", (unsigned long long)c.n,
			         (unsigned long long)c.n, (unsigned long long)signed_size);
			err = CF_ERR_CRYPTO;
		}
	}
	if (!err) {
		r->tree_size = c.cps[c.ncps - 1].size;
		memcpy(r->root, c.cps[c.ncps - 1].root, 32);
	}
	free(c.cps);
	for (unsigned k = 0; k < LEVELS; k++)
		free(c.cur[k].nodes);
	return err;
}
