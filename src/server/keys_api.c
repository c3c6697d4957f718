/* GET /v1/keys/{kind}/{owner}/log[?size=N]: key transparency. Every
 * registration of a public key of that owner, with the audit event that
 * carries its hash and the event's inclusion proof in the tree of size N
 * (default: the newest signed checkpoint), so a client can check that a key
 * the server hands it is the one in the log. Public: hashes and ids only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "server/handlers.h"
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

struct one_event {
	char *b64;
};

static cf_err take_event(void *ctx, uint64_t seq, const uint8_t *ev, size_t len)
{
	struct one_event *o = ctx;
	size_t cap = cf_b64url_len(len) + 1;
	o->b64 = malloc(cap);
	if (!o->b64)
		return CF_ERR_NOMEM;
	cf_b64url_encode(o->b64, cap, ev, len);
	return CF_OK;
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
			struct one_event ev = { NULL };
			uint8_t proof[CF_MERKLE_PROOF_MAX][32];
			size_t plen = 0;
			if (st->ops->audit_events(st, rs.r[i].seq, 1, take_event, &ev) || !ev.b64 ||
			    cf_auditlog_inclusion_proof(req->srv->audit, rs.r[i].seq, size, proof,
			                                CF_MERKLE_PROOF_MAX, &plen)) {
				free(ev.b64);
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
			json_object_set_new(item, "event", json_string(ev.b64));
			json_object_set_new(item, "proof", p);
			free(ev.b64);
		}
		json_array_append_new(list, item);
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s, s:I, s:o, s:b}", "kind", kind,
	                   "owner", owner, "size", (json_int_t)size, "registrations", list,
	                   "truncated", rs.overflow));
}
