/* Organisation administration (docs/api/identity.md "Organisation"): every
 * handler finds its target, asks the policy how the caller relates to it and
 * whether that role may act on it, and writes a new version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth/apikey.h"
#include "server/identity/identity.h"
#include "util/cidr.h"
#include "util/encoding.h"

#define LIST_MAX 1000

bool cf_identity_allowed(struct cf_request *req, const char *action, const char *org,
                         const char *unit, const char *owner)
{
	char why[160];
	enum cf_relation rel = cf_policy_relation(&req->who, org, unit, owner);
	switch (cf_policy_on(&req->who, action, rel, why, sizeof(why))) {
	case CF_POLICY_ALLOW:
		return true;
	case CF_POLICY_NOT_FOUND:
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such resource");
		return false;
	default:
		cf_reply_problem(&req->reply, CF_P_FORBIDDEN, "%s", why);
		return false;
	}
}

/* Loads kind/id or answers 404. */
static json_t *load_or_404(struct cf_request *req, const char *kind, const char *id,
                           uint64_t *ret_version)
{
	json_t *doc = NULL;
	cf_err err = cf_doc_load(req->srv->store, NULL, kind, id, &doc, ret_version);
	if (err == CF_ERR_STORE)
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the store does not answer");
	else if (err)
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such resource");
	return err ? NULL : doc;
}

/* The user or device of an id, typed, or answers (404, 503, 500). */
static bool user_or_404(struct cf_request *req, const char *id, struct cf_user *ret,
                        uint64_t *ret_version)
{
	json_t *doc = load_or_404(req, "user", id, ret_version);
	if (doc && cf_user_decode(doc, ret)) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "the user document is incomplete");
		return false;
	}
	return doc != NULL;
}

static bool device_or_404(struct cf_request *req, const char *id, struct cf_device *ret,
                          uint64_t *ret_version)
{
	json_t *doc = load_or_404(req, "device", id, ret_version);
	if (doc && cf_device_decode(doc, ret)) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "the device document is incomplete");
		return false;
	}
	return doc != NULL;
}

bool cf_identity_allowed_on_device(struct cf_request *req, const char *action,
                                   const struct cf_device *dev)
{
	CF_AUTO_USER owner = { 0 };
	cf_user_load(req->srv->store, NULL, dev->user, &owner, NULL);
	return cf_identity_allowed(req, action, dev->org, owner.unit, dev->user);
}

struct list_ctx {
	json_t *items;
	const char *const *fields;   /* members to show */
	const char *owner_field;     /* keep only documents owned by owner (NULL: all) */
	const char *owner;
};

static cf_err list_one(void *ctx, const char *id, uint64_t version, const char *text, size_t len)
{
	struct list_ctx *c = ctx;
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	if (!doc)
		return CF_ERR_STORE;
	if (c->owner_field && strcmp(cf_jstr(doc, c->owner_field) ? cf_jstr(doc, c->owner_field) : "",
	                             c->owner) != 0) {
		json_decref(doc);
		return CF_OK;
	}
	json_t *item = json_pack("{s:s, s:I}", "id", id, "version", (json_int_t)version);
	for (size_t i = 0; item && c->fields[i]; i++) {
		json_t *v = json_object_get(doc, c->fields[i]);
		json_object_set(item, c->fields[i], v ? v : json_null());
	}
	json_decref(doc);
	return item && !json_array_append_new(c->items, item) ? CF_OK : CF_ERR_NOMEM;
}

static void reply_list(struct cf_request *req, const char *kind, const char *org,
                       const char *const *fields, const char *owner_field, const char *owner)
{
	struct list_ctx c = { .items = json_array(), .fields = fields, .owner_field = owner_field,
	                      .owner = owner };
	cf_store *st = req->srv->store;
	if (!c.items || st->ops->doc_list(st, kind, org, LIST_MAX, list_one, &c)) {
		json_decref(c.items);
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the list cannot be read now");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o}", "items", c.items));
}

/* --- organisations and units ---------------------------------------------- */

struct org_args {
	const char *name;
	bool device_approval;
};
static const struct cf_field org_fields[] = {
	CF_F_STRING(struct org_args, name, "name", true, 1, 200),
	CF_F_BOOL(struct org_args, device_approval, "device_approval", false),
};
const struct cf_spec cf_spec_org = CF_SPEC_BIND(org_fields, struct org_args);

static cf_err org_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	const struct org_args *a = CF_ARGS(req, struct org_args);
	char id[33];
	cf_new_id_hex(id);
	json_t *org = json_pack("{s:s, s:s, s:s, s:b, s:I}", "id", id, "kind", "org",
	                        "name", a->name, "device_approval",
	                        a->device_approval, "created_ms",
	                        (json_int_t)cf_now_ms());
	if (!org)
		return CF_ERR_NOMEM;
	cf_err err = cf_doc_save(atx, &req->audit.fields, "org", id, id, 1, org, "create");
	json_decref(org);
	if (!err)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s}", "org_id", id));
	return err;
}

void cf_h_org_create(struct cf_request *req)
{
	req->write = org_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the organisation was not stored");
}

void cf_h_org_list(struct cf_request *req)
{
	static const char *const fields[] = { "kind", "name", "device_approval", NULL };
	reply_list(req, "org", NULL, fields, NULL, NULL);
}

struct unit_args {
	const char *name;
	const char *enc_pk;   /* base64url of 32 bytes, or NULL */
};
static const struct cf_field unit_fields[] = {
	CF_F_STRING(struct unit_args, name, "name", true, 1, 200),
	CF_F_B64(struct unit_args, enc_pk, "enc_pk", false, 32, 32),
};
const struct cf_spec cf_spec_unit = CF_SPEC_BIND(unit_fields, struct unit_args);

static cf_err unit_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	const struct unit_args *a = CF_ARGS(req, struct unit_args);
	char id[33];
	cf_new_id_hex(id);
	const char *org = req->params[0];
	json_t *unit = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "id", id, "org", org,
	                         "name", a->name, "enc_pk", a->enc_pk,
	                         "created_ms", (json_int_t)cf_now_ms());
	if (!unit)
		return CF_ERR_NOMEM;
	cf_err err = cf_doc_save(atx, &req->audit.fields, "unit", id, org, 1, unit, "create");
	uint8_t pk[32];
	size_t got = 0;
	if (!err && a->enc_pk &&
	    cf_b64url_decode(pk, sizeof(pk), &got, a->enc_pk, strlen(a->enc_pk)) == CF_OK && got == 32)
		err = cf_key_register(atx, &req->audit.fields, "unit", id, pk, 32, NULL);
	json_decref(unit);
	if (!err)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s}", "unit_id", id));
	return err;
}

void cf_h_unit_create(struct cf_request *req)
{
	json_t *org = load_or_404(req, "org", req->params[0], NULL);
	if (!org)
		return;
	json_decref(org);
	if (!cf_identity_allowed(req, "units.create", req->params[0], NULL, NULL))
		return;
	req->write = unit_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the unit was not stored");
}

void cf_h_unit_list(struct cf_request *req)
{
	static const char *const fields[] = { "name", "enc_pk", NULL };
	if (cf_identity_allowed(req, "units.list", req->params[0], NULL, NULL))
		reply_list(req, "unit", req->params[0], fields, NULL, NULL);
}

void cf_h_user_list(struct cf_request *req)
{
	static const char *const fields[] = { "email", "role", "unit", "status", NULL };
	if (cf_identity_allowed(req, "users.list", req->params[0], NULL, NULL))
		reply_list(req, "user", req->params[0], fields, NULL, NULL);
}

/* --- users: role, keys, sessions ------------------------------------------- */

/* Roles an admin may give (a superadmin is invited, never promoted). */
static const char *const given_roles[] = { "patient", "secretary", "professional", "admin", NULL };

struct role_args {
	const char *role;
	const char *unit_id;
};
static const struct cf_field role_fields[] = {
	CF_F_ENUM(struct role_args, role, "role", true, given_roles),
	CF_F_ID(struct role_args, unit_id, "unit_id", false),
};
const struct cf_spec cf_spec_role = CF_SPEC_BIND(role_fields, struct role_args);

struct user_ctx {
	struct cf_user user;
	uint64_t version;
};

static void user_ctx_free(void *p)
{
	struct user_ctx *c = p;
	if (c)
		cf_user_clear(&c->user);
	free(c);
}

static struct user_ctx *user_target(struct cf_request *req, const char *action)
{
	uint64_t v = 0;
	struct cf_user u = { 0 };
	if (!user_or_404(req, req->params[0], &u, &v))
		return NULL;
	if (!cf_identity_allowed(req, action, u.org, u.unit, u.id)) {
		cf_user_clear(&u);
		return NULL;
	}
	struct user_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_user_clear(&u);
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return NULL;
	}
	c->user = u;
	c->version = v;
	req->ctx = c;
	req->ctx_free = user_ctx_free;
	return c;
}

/* Saves the next version of the target user, if nobody changed it meanwhile. */
static cf_err save_user(struct cf_audit_tx *atx, struct cf_request *req, struct user_ctx *c)
{
	cf_err err = cf_doc_save(atx, &req->audit.fields, "user", c->user.id, c->user.org,
	                         c->version + 1, c->user.doc, "update");
	if (err == CF_ERR_CONFLICT)
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the user changed meanwhile; try again");
	return err;
}

static cf_err role_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct user_ctx *c = req->ctx;
	cf_err err = save_user(atx, req, c);
	if (!err)
		cf_reply_json_take(&req->reply, 200, json_pack("{s:I}", "version",
		                                               (json_int_t)(c->version + 1)));
	return err;
}

void cf_h_user_role(struct cf_request *req)
{
	const struct role_args *a = CF_ARGS(req, struct role_args);
	enum cf_role role = cf_role_parse(a->role);
	struct user_ctx *c = user_target(req, "users.role");
	if (!c)
		return;
	if (c->user.role && strcmp(c->user.role, "superadmin") == 0) {
		cf_reply_problem(&req->reply, CF_P_FORBIDDEN, "a superadmin's role is not changed here");
		return;
	}
	const char *unit = a->unit_id;
	if (unit) {
		json_t *u = NULL;
		bool ok = cf_doc_load(req->srv->store, NULL, "unit", unit, &u, NULL) == CF_OK &&
		          strcmp(cf_jstr(u, "org") ? cf_jstr(u, "org") : "", c->user.org) == 0;
		json_decref(u);
		if (!ok) {
			cf_reply_problem(&req->reply, CF_P_INVALID_FIELD,
			                 "field 'unit_id' is not a unit of the user's organisation");
			return;
		}
	}
	c->user.role = cf_role_name(role);
	c->user.unit = unit;
	if (cf_user_update(&c->user)) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->write = role_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the role was not stored");
}

void cf_h_user_keys(struct cf_request *req)
{
	CF_AUTO_USER u = { 0 };
	if (!user_or_404(req, req->params[0], &u, NULL))
		return;
	if (cf_identity_allowed(req, "users.keys", u.org, u.unit, u.id))
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s?, s:s?}", "user_id",
		                   u.id, "sign_pk", u.sign_pk, "enc_pk", u.enc_pk));
}

static cf_err revoke_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct user_ctx *c = req->ctx;
	c->user.session_epoch++;
	cf_err err = cf_user_update(&c->user);
	if (!err)
		err = save_user(atx, req, c);
	if (!err)
		cf_reply_text(&req->reply, 204, "application/json", "", 0);
	return err;
}

void cf_h_user_sessions_revoke(struct cf_request *req)
{
	if (!user_target(req, "users.sessions.revoke"))
		return;
	req->write = revoke_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the revocation was not stored");
}

/* --- devices --------------------------------------------------------------- */

void cf_h_device_list(struct cf_request *req)
{
	static const char *const fields[] = { "user", "status", "sign_pk", "created_ms", NULL };
	bool admin = req->who.role == CF_ROLE_ADMIN || req->who.role == CF_ROLE_SUPERADMIN;
	reply_list(req, "device", req->who.tenant, fields, admin ? NULL : "user",
	           admin ? NULL : req->who.id);
}

struct device_ctx {
	struct cf_device dev;
	uint64_t version;
	const char *status;
};

static void device_ctx_free(void *p)
{
	struct device_ctx *c = p;
	if (c)
		cf_device_clear(&c->dev);
	free(c);
}

static cf_err device_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct device_ctx *c = req->ctx;
	c->dev.status = c->status;
	cf_err err = cf_device_update(&c->dev);
	if (!err)
		err = cf_doc_save(atx, &req->audit.fields, "device", c->dev.id, c->dev.org,
		                  c->version + 1, c->dev.doc, "update");
	if (err == CF_ERR_CONFLICT)
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the device changed meanwhile; try again");
	if (!err)
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s}", "device_id",
		                   c->dev.id, "status", c->status));
	return err;
}

static void device_change(struct cf_request *req, const char *action, const char *status)
{
	uint64_t v = 0;
	struct cf_device dev = { 0 };
	if (!device_or_404(req, req->params[0], &dev, &v))
		return;
	if (!cf_identity_allowed_on_device(req, action, &dev)) {
		cf_device_clear(&dev);
		return;
	}
	if (dev.status && strcmp(dev.status, "wiped") == 0) {
		cf_device_clear(&dev);
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the device is wiped already");
		return;
	}
	struct device_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_device_clear(&dev);
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	c->dev = dev;
	c->version = v;
	c->status = status;
	req->ctx = c;
	req->ctx_free = device_ctx_free;
	req->write = device_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the device change was not stored");
}

void cf_h_device_approve(struct cf_request *req)
{
	device_change(req, "devices.approve", "approved");
}

void cf_h_device_wipe(struct cf_request *req)
{
	device_change(req, "devices.wipe", "wiped");
}

/* --- API keys of an organisation ------------------------------------------ */

struct apikey_args {
	const char *scopes;
	const char *allow;   /* NULL: from anywhere */
	const char *label;
};
static const struct cf_field apikey_fields[] = {
	CF_F_CHECKED(struct apikey_args, scopes, "scopes", true, 1, 200, cf_api_key_scopes_check),
	CF_F_CHECKED(struct apikey_args, allow, "allow", false, 0, 500, cf_cidr_list_check),
	CF_F_STRING(struct apikey_args, label, "label", false, 0, 64),
};
const struct cf_spec cf_spec_apikey = CF_SPEC_BIND(apikey_fields, struct apikey_args);

struct apikey_ctx {
	struct cf_api_key key;
	char text[CF_API_KEY_TEXT_LEN + 1];
};

static void apikey_free(void *p)
{
	if (p)
		sodium_memzero(p, sizeof(struct apikey_ctx));
	free(p);
}

static cf_err apikey_version(struct cf_audit_tx *atx, struct cf_request *req,
                             const struct cf_api_key *k, const char *op)
{
	char state[1024];
	size_t len = 0;
	cf_err err = cf_api_key_state(k, state, sizeof(state), &len);
	if (!err)
		err = cf_entity_version_record(atx, &req->audit.fields, "api_key", k->id, op,
		                               (const uint8_t *)state, len, NULL);
	return err;
}

static cf_err apikey_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct apikey_ctx *c = req->ctx;
	cf_err err = atx->tx->st->ops->api_key_put(atx->tx, &c->key);
	if (!err)
		err = apikey_version(atx, req, &c->key, "create");
	if (!err)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s, s:s, s:s, s:s}", "id", c->key.id,
		                   "key", c->text, "scopes", c->key.scopes, "allow", c->key.allow));
	return err;
}

void cf_h_apikey_create(struct cf_request *req)
{
	const struct apikey_args *a = CF_ARGS(req, struct apikey_args);
	const char *scopes = a->scopes;
	const char *allow = a->allow ? a->allow : "";
	const char *label = a->label ? a->label : "";
	if (!cf_identity_allowed(req, "apikeys.manage", req->who.tenant, NULL, NULL))
		return;
	struct apikey_ctx *c = calloc(1, sizeof(*c));
	if (!c || cf_api_key_generate(c->text, sizeof(c->text), c->key.key_hash)) {
		free(c);
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "cannot make a key now");
		return;
	}
	req->ctx = c;
	req->ctx_free = apikey_free;
	cf_new_id_hex(c->key.id);
	/* A superadmin's key is a platform key; an admin's belongs to their org. */
	snprintf(c->key.tenant, sizeof(c->key.tenant), "%s",
	         req->who.role == CF_ROLE_SUPERADMIN ? "" : req->who.tenant);
	snprintf(c->key.scopes, sizeof(c->key.scopes), "%s", scopes);
	snprintf(c->key.allow, sizeof(c->key.allow), "%s", allow);
	snprintf(c->key.label, sizeof(c->key.label), "%s", label);
	c->key.created_ms = cf_now_ms();
	req->write = apikey_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the API key was not stored");
}

struct keys_list {
	json_t *items;
	const char *tenant;
	bool platform;
};

static cf_err key_item(void *ctx, const struct cf_api_key *k)
{
	struct keys_list *l = ctx;
	if (!l->platform && strcmp(k->tenant, l->tenant) != 0)
		return CF_OK;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "id", k->id, "tenant", k->tenant,
	                      "scopes", k->scopes, "allow", k->allow, "label", k->label,
	                      "created_ms", (json_int_t)k->created_ms, "revoked", k->revoked);
	return o && !json_array_append_new(l->items, o) ? CF_OK : CF_ERR_NOMEM;
}

void cf_h_apikey_list(struct cf_request *req)
{
	if (!cf_identity_allowed(req, "apikeys.manage", req->who.tenant, NULL, NULL))
		return;
	struct keys_list l = { .items = json_array(), .tenant = req->who.tenant,
	                       .platform = req->who.role == CF_ROLE_SUPERADMIN };
	cf_store *st = req->srv->store;
	if (!l.items || st->ops->api_keys(st, key_item, &l)) {
		json_decref(l.items);
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "keys cannot be read now");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o}", "items", l.items));
}

static cf_err apikey_revoke_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct cf_api_key k;
	cf_err err = atx->tx->st->ops->api_key_get(atx->tx, req->params[0], &k);
	bool mine = !err && (req->who.role == CF_ROLE_SUPERADMIN || strcmp(k.tenant, req->who.tenant) == 0);
	if (err == CF_ERR_NOT_FOUND || (!err && !mine)) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such API key");
		return CF_ERR_NOT_FOUND;
	}
	if (!err)
		err = atx->tx->st->ops->api_key_revoke(atx->tx, k.id, cf_now_ms());
	if (err == CF_ERR_CONFLICT) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the key is revoked already");
		return err;
	}
	if (!err)
		err = atx->tx->st->ops->api_key_get(atx->tx, req->params[0], &k);
	if (!err)
		err = apikey_version(atx, req, &k, "delete");
	if (!err)
		cf_reply_text(&req->reply, 204, "application/json", "", 0);
	return err;
}

void cf_h_apikey_revoke(struct cf_request *req)
{
	if (!cf_identity_allowed(req, "apikeys.manage", req->who.tenant, NULL, NULL))
		return;
	req->write = apikey_revoke_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the revocation was not stored");
}
