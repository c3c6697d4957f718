/* GET /v1/keys/{kind}/{owner}/log[?size=N]: key transparency. Every
 * registration of a public key of that owner, with what a verifier needs to
 * check it against a signed checkpoint: the key's hash, the index and hash of
 * the audit leaf that registered it, and the leaf's inclusion proof in the
 * tree of size N (default: the newest signed checkpoint). The event itself
 * (actor, device, tenant, request id, address hash) is not given here: those
 * allowed read it under /v1/audit/events (DESIGN §8).
 * Logs of users' keys answer only callers of the user's organisation (and
 * the platform's superadmins); for anyone else a user id is as unknown as a
 * made-up one, so the log does not tell who has an account here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "crypto/merkle.h"
#include "server/handlers.h"
#include "server/identity/identity.h"
#include "util/encoding.h"

#define REGISTRATIONS_MAX 64

static const char *const kinds[] = { "audit", "user-sign", "user-enc", "unit", "device", "escrow" };

struct reg {
	uint8_t hash[32];
	uint64_t seq;
};

struct regs {
	struct reg r[REGISTRATIONS_MAX];
	size_t n;
	bool overflow;
};

static cf_err take_reg(void *ctx, const uint8_t key_hash[32], uint64_t seq)
{
	struct regs *rs = ctx;
	if (rs->n == REGISTRATIONS_MAX) {
		rs->overflow = true;
		return CF_OK;
	}
	memcpy(rs->r[rs->n].hash, key_hash, 32);
	rs->r[rs->n].seq = seq;
	rs->n++;
	return CF_OK;
}

struct one_leaf {
	uint8_t hash[CF_MERKLE_HASH_BYTES];
	bool found;
};

static cf_err take_leaf(void *ctx, uint64_t seq, const uint8_t *ev, size_t len)
{
	struct one_leaf *o = ctx;
	(void)seq;
	cf_merkle_leaf_hash(o->hash, ev, len);
	o->found = true;
	return CF_OK;
}

/* A user's key log: for a caller of the user's organisation (or a
 * superadmin); 401 without credentials, 404 for anyone else, real user or
 * not. */
static bool user_log_allowed(struct cf_request *req, const char *owner)
{
	if (req->who.kind == CF_PRINCIPAL_NONE) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED,
		                 "the key log of a user is for members of the user's organisation");
		return false;
	}
	CF_AUTO_USER user = { 0 };
	cf_err err = cf_user_load(req->srv->store, NULL, owner, &user, NULL);
	if (err && err != CF_ERR_NOT_FOUND) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "users cannot be read now");
		return false;
	}
	if (err || !(req->who.role == CF_ROLE_SUPERADMIN || strcmp(user.org, req->who.tenant) == 0)) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such user in your organisation");
		return false;
	}
	return true;
}

static bool tree_size(struct cf_request *req, uint64_t *ret)
{
	const char *s = cf_request_arg(req, "size");
	if (s) {
		char *end = NULL;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno || *end || s[0] < '0' || s[0] > '9' || v > cf_auditlog_size(req->srv->audit)) {
			cf_reply_problem(&req->reply, CF_P_BAD_QUERY,
			                 "size must be a whole number up to the log size");
			return false;
		}
		*ret = v;
		return true;
	}
	char note[CF_CHECKPOINT_MAX];
	size_t len = 0;
	if (cf_auditlog_checkpoint(req->srv->audit, false, note, sizeof(note), &len, ret)) {
		cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "no checkpoint can be read now");
		return false;
	}
	return true;
}

void cf_h_key_log(struct cf_request *req)
{
	const char *kind = req->params[0], *owner = req->params[1];
	bool known = false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		known |= strcmp(kinds[i], kind) == 0;
	if (!known) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such key kind");
		return;
	}
	if (strncmp(kind, "user-", 5) == 0 && !user_log_allowed(req, owner))
		return;
	uint64_t size = 0;
	if (!tree_size(req, &size))
		return;
	cf_store *st = req->srv->store;
	struct regs rs = { .n = 0, .overflow = false };
	if (st->ops->key_registrations(st, kind, owner, take_reg, &rs)) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "registrations cannot be read now");
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; list && i < rs.n; i++) {
		char hash[65];
		cf_hex_encode(hash, sizeof(hash), rs.r[i].hash, 32);
		json_t *item = json_pack("{s:s, s:I}", "key_hash", hash, "index", (json_int_t)rs.r[i].seq);
		if (rs.r[i].seq < size) {
			struct one_leaf leaf = { .found = false };
			uint8_t proof[CF_MERKLE_PROOF_MAX][32];
			size_t plen = 0;
			if (st->ops->audit_events(st, rs.r[i].seq, 1, take_leaf, &leaf) || !leaf.found ||
			    cf_auditlog_inclusion_proof(req->srv->audit, rs.r[i].seq, size, proof,
			                                CF_MERKLE_PROOF_MAX, &plen)) {
				json_decref(item);
				json_decref(list);
				cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "proofs cannot be built now");
				return;
			}
			json_t *p = json_array();
			for (size_t k = 0; p && k < plen; k++) {
				char b64[64];
				cf_b64url_encode(b64, sizeof(b64), proof[k], 32);
				json_array_append_new(p, json_string(b64));
			}
			json_object_set_new(item, "leaf_hash", cf_jb64(leaf.hash, sizeof(leaf.hash)));
			json_object_set_new(item, "proof", p);
		}
		json_array_append_new(list, item);
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s, s:I, s:o, s:b}", "kind", kind,
	                   "owner", owner, "size", (json_int_t)size, "registrations", list,
	                   "truncated", rs.overflow));
}
