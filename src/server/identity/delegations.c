/* Delegations: a professional lets a secretary of the same organisation act
 * within a scope (e.g. the administrative documents of the professional's
 * patients). Versioned like every sensitive entity; revoking is a new version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/identity/identity.h"

static const char *const scopes[] = { "documents.administrative", "appointments", NULL };

struct deleg_args {
	const char *to_user;
	const char *scope;
};
static const struct cf_field deleg_fields[] = {
	CF_F_ID(struct deleg_args, to_user, "to_user", true),
	CF_F_ENUM(struct deleg_args, scope, "scope", true, scopes),
};
const struct cf_spec cf_spec_delegation = CF_SPEC_BIND(deleg_fields, struct deleg_args);

struct deleg_ctx {
	struct cf_delegation d;
	uint64_t version;
};

static void deleg_free(void *p)
{
	struct deleg_ctx *c = p;
	if (c)
		cf_delegation_clear(&c->d);
	free(c);
}

static cf_err deleg_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct deleg_ctx *c = req->ctx;
	const char *op = c->version == 0 ? "create" : "delete";
	cf_err err = cf_doc_save(atx, &req->audit.fields, "delegation", c->d.id, c->d.org,
	                         c->version + 1, c->d.doc, op);
	if (err == CF_ERR_CONFLICT)
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the delegation changed meanwhile");
	else if (!err && c->version == 0)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s}", "delegation_id", c->d.id));
	else if (!err)
		cf_reply_text(&req->reply, 204, "application/json", "", 0);
	return err;
}

void cf_h_delegation_create(struct cf_request *req)
{
	const struct deleg_args *a = CF_ARGS(req, struct deleg_args);
	const char *scope = a->scope;
	CF_AUTO_USER to = { 0 };
	if (cf_user_load(req->srv->store, NULL, a->to_user, &to, NULL)) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such user");
		return;
	}
	bool ok = cf_identity_allowed(req, "delegations.create", to.org, to.unit, to.id);
	bool secretary = to.role && strcmp(to.role, "secretary") == 0;
	if (!ok)
		return;
	if (!secretary) {
		cf_reply_problem(&req->reply, CF_P_INVALID_FIELD, "field 'to_user' must be a secretary");
		return;
	}
	struct deleg_ctx *c = calloc(1, sizeof(*c));
	char id[33];
	cf_new_id_hex(id);
	if (c)
		c->d = (struct cf_delegation){ .id = id, .org = req->who.tenant, .from = req->who.id,
		                               .to = a->to_user, .scope = scope, .revoked = false,
		                               .created_ms = (int64_t)cf_now_ms() };
	if (!c || cf_delegation_update(&c->d)) {
		deleg_free(c);
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->ctx = c;
	req->ctx_free = deleg_free;
	req->write = deleg_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the delegation was not stored");
}

struct dlist {
	json_t *items;
	const struct cf_principal *who;
	bool all;
};

static cf_err deleg_item(void *ctx, const char *id, uint64_t version, const char *text, size_t len)
{
	struct dlist *l = ctx;
	json_error_t jerr;
	CF_AUTO_DELEGATION d = { 0 };
	if (cf_delegation_decode(json_loadb(text, len, 0, &jerr), &d))
		return CF_ERR_STORE;
	bool mine = (d.from && strcmp(d.from, l->who->id) == 0) ||
	            (d.to && strcmp(d.to, l->who->id) == 0);
	if ((l->all || mine) && !d.revoked)
		json_array_append(l->items, d.doc);
	return CF_OK;
}

void cf_h_delegation_list(struct cf_request *req)
{
	bool all = req->who.role == CF_ROLE_ADMIN || req->who.role == CF_ROLE_SUPERADMIN;
	struct dlist l = { .items = json_array(), .who = &req->who, .all = all };
	cf_store *st = req->srv->store;
	if (!l.items || st->ops->doc_list(st, "delegation", req->who.tenant, 1000, deleg_item, &l)) {
		json_decref(l.items);
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "delegations cannot be read now");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o}", "items", l.items));
}

void cf_h_delegation_revoke(struct cf_request *req)
{
	struct deleg_ctx *c = calloc(1, sizeof(*c));
	if (!c || cf_delegation_load(req->srv->store, NULL, req->params[0], &c->d, &c->version)) {
		free(c);
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such delegation");
		return;
	}
	req->ctx = c;
	req->ctx_free = deleg_free;
	if (!cf_identity_allowed(req, "delegations.revoke", c->d.org, NULL, c->d.from))
		return;
	if (c->d.revoked) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the delegation is revoked already");
		return;
	}
	c->d.revoked = true;
	if (cf_delegation_update(&c->d)) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->write = deleg_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the revocation was not stored");
}
