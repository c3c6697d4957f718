/* The audit API (DESIGN §8): the signed checkpoint and consistency proofs are
 * public (hashes only); events, inclusion proofs and exports are for those
 * allowed to see the events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/export.h"
#include "server/handlers.h"
#include "util/encoding.h"
#include "util/log.h"

#define EVENTS_MAX_COUNT 1000

/* A required unsigned query argument; answers 400 and returns false if bad. */
static bool arg_u64(struct cf_request *req, const char *name, uint64_t *ret)
{
	const char *s = cf_request_arg(req, name);
	if (!s || !*s) {
		cf_reply_problem(&req->reply, CF_P_BAD_QUERY, "query argument '%s' is required", name);
		return false;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9' || strlen(s) > 19) {
		cf_reply_problem(&req->reply, CF_P_BAD_QUERY,
		                 "query argument '%s' must be a whole number", name);
		return false;
	}
	*ret = v;
	return true;
}

static json_t *proof_array(uint8_t (*proof)[32], size_t len)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < len; i++) {
		char b64[64];
		cf_b64url_encode(b64, sizeof(b64), proof[i], 32);
		json_array_append_new(a, json_string(b64));
	}
	return a;
}

void cf_h_audit_checkpoint(struct cf_request *req)
{
	char note[CF_CHECKPOINT_MAX];
	size_t len = 0;
	uint64_t size = 0;
	if (cf_auditlog_checkpoint(req->srv->audit, true, note, sizeof(note), &len, &size)) {
		cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "no checkpoint can be read now");
		return;
	}
	cf_reply_text(&req->reply, 200, "text/plain; charset=utf-8", note, len);
}

/* A proof that does not verify against the log's own heads is never sent:
 * a damaged stored node is an operator's emergency, said once per request
 * in the log and as a 500 to the client. */
static void proof_failed(struct cf_request *req, cf_err err, const char *w)
{
	if (err == CF_ERR_CRYPTO) {
		cf_log(CF_LOG_ERROR, "audit", "the stored audit tree is damaged: the %s does not "
		       "verify; not sent (`coffred audit verify` names the bad node)", w);
		cf_reply_problem(&req->reply, CF_P_AUDIT_TREE_DAMAGED,
		                 "the %s does not verify against the signed log; it was not sent", w);
		return;
	}
	req->reply.retry_after = 5;
	cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "the proof cannot be built now");
}

void cf_h_audit_consistency(struct cf_request *req)
{
	uint64_t from = 0, to = 0;
	if (!arg_u64(req, "from", &from) || !arg_u64(req, "to", &to))
		return;
	uint64_t size = cf_auditlog_size(req->srv->audit);
	if (from == 0 || from > to || to > size) {
		cf_reply_problem(&req->reply, CF_P_BAD_RANGE,
		                 "need 1 <= from <= to <= %llu (the log size)", (unsigned long long)size);
		return;
	}
	uint8_t proof[CF_MERKLE_PROOF_MAX][32];
	size_t len = 0;
	cf_err err = cf_auditlog_consistency_proof(req->srv->audit, from, to, proof,
	                                           CF_MERKLE_PROOF_MAX, &len);
	if (err) {
		char what[96];
		snprintf(what, sizeof(what), "consistency proof from %llu to %llu",
		         (unsigned long long)from, (unsigned long long)to);
		proof_failed(req, err, what);
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from,
	                   "to", (json_int_t)to, "proof", proof_array(proof, len)));
}

void cf_h_audit_inclusion(struct cf_request *req)
{
	uint64_t index = 0, size = 0;
	if (!arg_u64(req, "index", &index) || !arg_u64(req, "size", &size))
		return;
	uint64_t have = cf_auditlog_size(req->srv->audit);
	if (index >= size || size > have) {
		cf_reply_problem(&req->reply, CF_P_BAD_RANGE,
		                 "need index < size <= %llu (the log size)", (unsigned long long)have);
		return;
	}
	uint8_t proof[CF_MERKLE_PROOF_MAX][32];
	size_t len = 0;
	cf_err err = cf_auditlog_inclusion_proof(req->srv->audit, index, size, proof,
	                                         CF_MERKLE_PROOF_MAX, &len);
	if (err) {
		char what[96];
		snprintf(what, sizeof(what), "inclusion proof of event %llu in size %llu",
		         (unsigned long long)index, (unsigned long long)size);
		proof_failed(req, err, what);
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:I, s:I, s:o}", "index", (json_int_t)index,
	                   "size", (json_int_t)size, "proof", proof_array(proof, len)));
}

struct events_ctx {
	json_t *list;
	cf_err err;
};

static cf_err add_event(void *ctx, uint64_t seq, const uint8_t *ev, size_t len)
{
	struct events_ctx *c = ctx;
	size_t cap = cf_b64url_len(len) + 1;
	char *b64 = malloc(cap);
	if (!b64)
		return CF_ERR_NOMEM;
	cf_b64url_encode(b64, cap, ev, len);
	json_t *item = json_pack("{s:I, s:s}", "index", (json_int_t)seq, "event", b64);
	free(b64);
	if (!item || json_array_append_new(c->list, item))
		return CF_ERR_NOMEM;
	return CF_OK;
}

void cf_h_audit_events(struct cf_request *req)
{
	uint64_t from = 0, count = 0;
	if (!arg_u64(req, "from", &from) || !arg_u64(req, "count", &count))
		return;
	if (count == 0 || count > EVENTS_MAX_COUNT) {
		cf_reply_problem(&req->reply, CF_P_BAD_RANGE, "count must be 1 to %d",
		                 EVENTS_MAX_COUNT);
		return;
	}
	uint64_t size = cf_auditlog_size(req->srv->audit);
	if (from >= size) {
		cf_reply_problem(&req->reply, CF_P_BAD_RANGE, "from must be below %llu (the log size)",
		                 (unsigned long long)size);
		return;
	}
	if (count > size - from)
		count = size - from;
	struct events_ctx c = { .list = json_array() };
	cf_store *st = req->srv->store;
	if (!c.list || st->ops->audit_events(st, from, count, add_event, &c)) {
		json_decref(c.list);
		cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "the events cannot be read now");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o}", "events", c.list));
}

struct export_ctx {
	const char *origin;
	bool fhir;
	json_t *entries;
	char *text;
	size_t len, cap;
};

static cf_err export_one(void *ctx, uint64_t seq, const uint8_t *ev, size_t len)
{
	struct export_ctx *c = ctx;
	if (c->fhir) {
		json_t *ae = NULL;
		cf_err err = cf_export_fhir(ev, len, c->origin, &ae);
		if (err)
			return err;
		char url[48];
		snprintf(url, sizeof(url), "urn:coffre:audit:%llu", (unsigned long long)seq);
		json_t *entry = json_pack("{s:s, s:o}", "fullUrl", url, "resource", ae);
		return entry && !json_array_append_new(c->entries, entry) ? CF_OK : CF_ERR_NOMEM;
	}
	if (c->cap - c->len < CF_AUDIT_EVENT_MAX + 512) {
		size_t cap = c->cap ? c->cap * 2 : 64 * 1024;
		char *n = realloc(c->text, cap);
		if (!n)
			return CF_ERR_NOMEM;
		c->text = n;
		c->cap = cap;
	}
	size_t n = 0;
	cf_err err = cf_export_syslog(ev, len, c->origin, c->text + c->len, c->cap - c->len - 1, &n);
	if (err)
		return err;
	c->len += n;
	c->text[c->len++] = '\n';
	return CF_OK;
}

void cf_h_audit_export(struct cf_request *req)
{
	const char *format = cf_request_arg(req, "format");
	uint64_t from = 0, count = 0;
	if (!format || (strcmp(format, "fhir") && strcmp(format, "syslog"))) {
		cf_reply_problem(&req->reply, CF_P_BAD_QUERY, "format must be fhir or syslog");
		return;
	}
	if (!arg_u64(req, "from", &from) || !arg_u64(req, "count", &count))
		return;
	uint64_t size = cf_auditlog_size(req->srv->audit);
	if (count == 0 || count > EVENTS_MAX_COUNT || from >= size) {
		cf_reply_problem(&req->reply, CF_P_BAD_RANGE,
		                 "need from < %llu (the log size) and count from 1 to %d",
		                 (unsigned long long)size, EVENTS_MAX_COUNT);
		return;
	}
	struct export_ctx c = { .origin = req->srv->audit_origin, .fhir = format[0] == 'f' };
	if (c.fhir && !(c.entries = json_array())) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	cf_store *st = req->srv->store;
	cf_err err = st->ops->audit_events(st, from, count, export_one, &c);
	if (err) {
		json_decref(c.entries);
		free(c.text);
		cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE, "the events cannot be exported now");
		return;
	}
	if (c.fhir) {
		json_t *bundle = json_pack("{s:s, s:s, s:I, s:o}", "resourceType", "Bundle",
		                           "type", "collection", "total",
		                           (json_int_t)json_array_size(c.entries), "entry", c.entries);
		char *text = bundle ? json_dumps(bundle, JSON_COMPACT) : NULL;
		json_decref(bundle);
		if (!text) {
			cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
			return;
		}
		cf_reply_text(&req->reply, 200, "application/fhir+json", text, strlen(text));
		free(text);
		return;
	}
	cf_reply_text(&req->reply, 200, "text/plain; charset=utf-8", c.text ? c.text : "", c.len);
	free(c.text);
}
