#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/versions.h"
#include "crypto/crypto.h"
#include "server/identity/identity.h"
#include "util/cleanup.h"
#include "util/encoding.h"

cf_err cf_doc_load(cf_store *st, cf_tx *tx, const char *kind, const char *id, json_t **ret,
                   uint64_t *ret_version)
{
	/* The text of a user holds password verifiers: wiped when it goes. */
	CF_AUTO_SECRET_STR *text = NULL;
	uint64_t v = 0;
	cf_err err = st->ops->doc_get(st, tx, kind, id, &text, &v);
	if (err)
		return err;
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return CF_ERR_STORE;
	}
	*ret = o;
	if (ret_version)
		*ret_version = v;
	return CF_OK;
}

cf_err cf_doc_save(struct cf_audit_tx *atx, const struct cf_audit_fields *base, const char *kind,
                   const char *id, const char *org, uint64_t version, json_t *doc, const char *op)
{
	/* Sorted keys: the same state always hashes the same. */
	CF_AUTO_SECRET_STR *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return CF_ERR_NOMEM;
	size_t len = strlen(text);
	uint64_t now = cf_now_ms();
	cf_store *st = atx->tx->st;
	cf_err err = st->ops->doc_put(atx->tx, kind, id, version, org, text, len, now);
	if (!err)
		err = cf_entity_version_record(atx, base, kind, id, op, (const uint8_t *)text, len, NULL);
	return err;
}

cf_err cf_eph_load(cf_store *st, cf_tx *tx, const char *kind, const char *key, json_t **ret)
{
	uint64_t now = cf_now_ms();
	CF_AUTO_SECRET_STR *text = NULL;  /* sessions, pending logins: wiped */
	cf_err err = st->ops->eph_get(st, tx, kind, key, now, &text);
	if (err)
		return err;
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return CF_ERR_STORE;
	}
	*ret = o;
	return CF_OK;
}

cf_err cf_eph_save(cf_tx *tx, const char *kind, const char *key, json_t *doc, uint64_t expires_ms)
{
	CF_AUTO_SECRET_STR *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return CF_ERR_NOMEM;
	return tx->st->ops->eph_put(tx, kind, key, text, strlen(text), expires_ms);
}

const char *cf_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_int_t cf_jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

bool cf_jbool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

json_t *cf_jb64(const uint8_t *data, size_t len)
{
	size_t cap = cf_b64url_len(len) + 1;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	cf_b64url_encode(buf, cap, data, len);
	json_t *s = json_string(buf);
	free(buf);
	return s;
}

cf_err cf_jget_b64(const json_t *o, const char *key, uint8_t *out, size_t cap, size_t want,
                   size_t *ret_len)
{
	const json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	if (!s)
		return CF_ERR_INVALID;
	size_t got = 0;
	if (cf_b64url_decode(out, cap, &got, s, json_string_length(v)) ||
	    (want && got != want))
		return CF_ERR_INVALID;
	if (ret_len)
		*ret_len = got;
	return CF_OK;
}

void cf_sha256_hex(char out[65], const void *data, size_t len)
{
	uint8_t h[32];
	cf_sha256(h, data, len);
	cf_hex_encode(out, 65, h, 32);
}

void cf_new_id_hex(char out[33])
{
	uint8_t id[16];
	cf_random_id(id);
	cf_hex_encode(out, 33, id, 16);
}

void cf_email_normalise(char *out, size_t cap, const char *email)
{
	size_t i = 0;
	for (; email[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	out[i] = '\0';
}

/* --- typed documents --------------------------------------------------------
 * One table per kind: the member name and where its value lives in the struct,
 * so decode and encode cannot disagree about a field. */

enum mtype { M_STR, M_INT, M_BOOL };

struct member {
	const char *name;
	enum mtype type;
	size_t offset;
};

#define MSTR(T, m) { #m, M_STR, offsetof(T, m) }
#define MINT(T, m) { #m, M_INT, offsetof(T, m) }
#define MBOOL(T, m) { #m, M_BOOL, offsetof(T, m) }

static const struct member user_members[] = {
	MSTR(struct cf_user, id), MSTR(struct cf_user, org), MSTR(struct cf_user, email),
	MSTR(struct cf_user, role), MSTR(struct cf_user, unit), MSTR(struct cf_user, status),
	MSTR(struct cf_user, phone), MSTR(struct cf_user, mfa), MSTR(struct cf_user, auth_hash),
	MSTR(struct cf_user, recovery_hash), MSTR(struct cf_user, pin_hash),
	MSTR(struct cf_user, salt), MSTR(struct cf_user, bundle),
	MSTR(struct cf_user, recovery_bundle), MSTR(struct cf_user, sign_pk),
	MSTR(struct cf_user, enc_pk), MSTR(struct cf_user, totp),
	MSTR(struct cf_user, totp_pending), MINT(struct cf_user, t_cost),
	MINT(struct cf_user, m_cost_kib), MINT(struct cf_user, created_ms),
	MINT(struct cf_user, session_epoch),
};

static const struct member device_members[] = {
	MSTR(struct cf_device, id), MSTR(struct cf_device, user), MSTR(struct cf_device, org),
	MSTR(struct cf_device, sign_pk), MSTR(struct cf_device, status),
	MSTR(struct cf_device, cert_sha256), MINT(struct cf_device, created_ms),
	MINT(struct cf_device, cert_issued_ms),
};

/* Fills the members of base (a struct whose first member is json_t *doc)
 * from doc, which it takes. */
static void decode_members(json_t *doc, void *base, const struct member *m, size_t n)
{
	uint8_t *b = base;
	memcpy(b, &doc, sizeof(doc));
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(doc, m[i].name);
		if (m[i].type == M_STR) {
			const char *s = json_string_value(v);
			memcpy(b + m[i].offset, &s, sizeof(s));
		} else if (m[i].type == M_BOOL) {
			bool x = json_is_true(v);
			memcpy(b + m[i].offset, &x, sizeof(x));
		} else {
			int64_t x = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
			memcpy(b + m[i].offset, &x, sizeof(x));
		}
	}
}

/* A new document of the members; absent texts are left out, integers are
 * written when present in the old document or non-zero, booleans always. */
static json_t *encode_members(const void *base, const json_t *old, const struct member *m,
                              size_t n)
{
	const uint8_t *b = base;
	json_t *doc = json_object();
	for (size_t i = 0; doc && i < n; i++) {
		json_t *v = NULL;
		if (m[i].type == M_STR) {
			const char *s;
			memcpy(&s, b + m[i].offset, sizeof(s));
			if (!s)
				continue;
			v = json_string(s);
		} else if (m[i].type == M_BOOL) {
			bool x;
			memcpy(&x, b + m[i].offset, sizeof(x));
			v = json_boolean(x);
		} else {
			int64_t x;
			memcpy(&x, b + m[i].offset, sizeof(x));
			if (x == 0 && !json_object_get(old, m[i].name))
				continue;
			v = json_integer((json_int_t)x);
		}
		if (!v || json_object_set_new(doc, m[i].name, v)) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

cf_err cf_user_decode(json_t *doc, struct cf_user *ret)
{
	if (!json_string_value(json_object_get(doc, "id")) ||
	    !json_string_value(json_object_get(doc, "org"))) {
		json_decref(doc);
		return CF_ERR_STORE;
	}
	decode_members(doc, ret, user_members, COUNT(user_members));
	return CF_OK;
}

json_t *cf_user_encode(const struct cf_user *u)
{
	return encode_members(u, u->doc, user_members, COUNT(user_members));
}

cf_err cf_user_update(struct cf_user *u)
{
	json_t *doc = cf_user_encode(u);
	if (!doc)
		return CF_ERR_NOMEM;
	json_t *old = u->doc;
	cf_err err = cf_user_decode(doc, u);
	if (!err)
		cf_json_wipe_decref(old);
	return err;
}

cf_err cf_user_load(cf_store *st, cf_tx *tx, const char *id, struct cf_user *ret,
                    uint64_t *ret_version)
{
	json_t *doc = NULL;
	uint64_t v = 0;
	cf_err err = id ? cf_doc_load(st, tx, "user", id, &doc, &v) : CF_ERR_NOT_FOUND;
	if (!err)
		err = cf_user_decode(doc, ret);
	if (!err && ret_version)
		*ret_version = v;
	return err;
}

void cf_user_clear(struct cf_user *u)
{
	cf_json_wipe_decref(u->doc);  /* verifiers and sealed TOTP secrets */
	memset(u, 0, sizeof(*u));
}

cf_err cf_device_decode(json_t *doc, struct cf_device *ret)
{
	if (!json_string_value(json_object_get(doc, "id")) ||
	    !json_string_value(json_object_get(doc, "user"))) {
		json_decref(doc);
		return CF_ERR_STORE;
	}
	decode_members(doc, ret, device_members, COUNT(device_members));
	return CF_OK;
}

json_t *cf_device_encode(const struct cf_device *d)
{
	return encode_members(d, d->doc, device_members, COUNT(device_members));
}

cf_err cf_device_update(struct cf_device *d)
{
	json_t *doc = cf_device_encode(d);
	if (!doc)
		return CF_ERR_NOMEM;
	json_t *old = d->doc;
	cf_err err = cf_device_decode(doc, d);
	if (!err)
		json_decref(old);
	return err;
}

cf_err cf_device_load(cf_store *st, cf_tx *tx, const char *id, struct cf_device *ret,
                      uint64_t *ret_version)
{
	json_t *doc = NULL;
	uint64_t v = 0;
	cf_err err = id ? cf_doc_load(st, tx, "device", id, &doc, &v) : CF_ERR_NOT_FOUND;
	if (!err)
		err = cf_device_decode(doc, ret);
	if (!err && ret_version)
		*ret_version = v;
	return err;
}

void cf_device_clear(struct cf_device *d)
{
	json_decref(d->doc);
	memset(d, 0, sizeof(*d));
}

static const struct member invitation_members[] = {
	MSTR(struct cf_invitation, id), MSTR(struct cf_invitation, org),
	MSTR(struct cf_invitation, unit), MSTR(struct cf_invitation, role),
	MSTR(struct cf_invitation, email), MSTR(struct cf_invitation, user_id),
	MSTR(struct cf_invitation, salt), MSTR(struct cf_invitation, created_by),
	MINT(struct cf_invitation, t_cost), MINT(struct cf_invitation, m_cost_kib),
	MINT(struct cf_invitation, expires_ms), MBOOL(struct cf_invitation, used),
};

cf_err cf_invitation_decode(json_t *doc, struct cf_invitation *ret)
{
	if (!json_string_value(json_object_get(doc, "id")) ||
	    !json_string_value(json_object_get(doc, "org")) ||
	    !json_string_value(json_object_get(doc, "email"))) {
		json_decref(doc);
		return CF_ERR_STORE;
	}
	decode_members(doc, ret, invitation_members, COUNT(invitation_members));
	return CF_OK;
}

json_t *cf_invitation_encode(const struct cf_invitation *inv)
{
	return encode_members(inv, inv->doc, invitation_members, COUNT(invitation_members));
}

cf_err cf_invitation_update(struct cf_invitation *inv)
{
	json_t *doc = cf_invitation_encode(inv);
	if (!doc)
		return CF_ERR_NOMEM;
	json_t *old = inv->doc;
	cf_err err = cf_invitation_decode(doc, inv);
	if (!err)
		json_decref(old);
	return err;
}

cf_err cf_invitation_load(cf_store *st, cf_tx *tx, const char *id, struct cf_invitation *ret,
                          uint64_t *ret_version)
{
	json_t *doc = NULL;
	uint64_t v = 0;
	cf_err err = id ? cf_doc_load(st, tx, "invitation", id, &doc, &v) : CF_ERR_NOT_FOUND;
	if (!err)
		err = cf_invitation_decode(doc, ret);
	if (!err && ret_version)
		*ret_version = v;
	return err;
}

void cf_invitation_clear(struct cf_invitation *inv)
{
	json_decref(inv->doc);
	memset(inv, 0, sizeof(*inv));
}

static const struct member delegation_members[] = {
	MSTR(struct cf_delegation, id), MSTR(struct cf_delegation, org),
	MSTR(struct cf_delegation, from), MSTR(struct cf_delegation, to),
	MSTR(struct cf_delegation, scope), MBOOL(struct cf_delegation, revoked),
	MINT(struct cf_delegation, created_ms),
};

cf_err cf_delegation_decode(json_t *doc, struct cf_delegation *ret)
{
	if (!json_string_value(json_object_get(doc, "id")) ||
	    !json_string_value(json_object_get(doc, "org"))) {
		json_decref(doc);
		return CF_ERR_STORE;
	}
	decode_members(doc, ret, delegation_members, COUNT(delegation_members));
	return CF_OK;
}

json_t *cf_delegation_encode(const struct cf_delegation *d)
{
	return encode_members(d, d->doc, delegation_members, COUNT(delegation_members));
}

cf_err cf_delegation_update(struct cf_delegation *d)
{
	json_t *doc = cf_delegation_encode(d);
	if (!doc)
		return CF_ERR_NOMEM;
	json_t *old = d->doc;
	cf_err err = cf_delegation_decode(doc, d);
	if (!err)
		json_decref(old);
	return err;
}

cf_err cf_delegation_load(cf_store *st, cf_tx *tx, const char *id, struct cf_delegation *ret,
                          uint64_t *ret_version)
{
	json_t *doc = NULL;
	uint64_t v = 0;
	cf_err err = id ? cf_doc_load(st, tx, "delegation", id, &doc, &v) : CF_ERR_NOT_FOUND;
	if (!err)
		err = cf_delegation_decode(doc, ret);
	if (!err && ret_version)
		*ret_version = v;
	return err;
}

void cf_delegation_clear(struct cf_delegation *d)
{
	json_decref(d->doc);
	memset(d, 0, sizeof(*d));
}

static const struct member pending_members[] = {
	MSTR(struct cf_pending, user), MSTR(struct cf_pending, method),
	MSTR(struct cf_pending, code_mac), MSTR(struct cf_pending, device_pk),
	MSTR(struct cf_pending, nonce), MINT(struct cf_pending, expires_ms),
	MINT(struct cf_pending, tries), MINT(struct cf_pending, sends),
};

cf_err cf_pending_decode(json_t *doc, struct cf_pending *ret)
{
	if (!json_string_value(json_object_get(doc, "user")) ||
	    !json_string_value(json_object_get(doc, "method"))) {
		json_decref(doc);
		return CF_ERR_STORE;
	}
	decode_members(doc, ret, pending_members, COUNT(pending_members));
	return CF_OK;
}

json_t *cf_pending_encode(const struct cf_pending *p)
{
	return encode_members(p, p->doc, pending_members, COUNT(pending_members));
}

cf_err cf_pending_load(cf_store *st, cf_tx *tx, const char *id, struct cf_pending *ret)
{
	json_t *doc = NULL;
	cf_err err = cf_eph_load(st, tx, "pending", id, &doc);
	if (!err)
		err = cf_pending_decode(doc, ret);
	return err;
}

cf_err cf_pending_save(cf_tx *tx, const char *id, const struct cf_pending *p)
{
	CF_AUTO_SECRET_JSON *doc = cf_pending_encode(p);
	if (!doc)
		return CF_ERR_NOMEM;
	return cf_eph_save(tx, "pending", id, doc, (uint64_t)p->expires_ms);
}

void cf_pending_clear(struct cf_pending *p)
{
	cf_json_wipe_decref(p->doc);
	memset(p, 0, sizeof(*p));
}
