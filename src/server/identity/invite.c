/* Invitations: the only way an account comes to exist. An admin invites an
 * address into their organisation with a role; the single-use code (160
 * random bits, stored only as its SHA-256) goes by e-mail and expires.
 * `coffred init` makes the one invitation of the first superadmin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/pwhash.h"
#include "server/identity/identity.h"
#include "server/notify/notify.h"
#include "util/encoding.h"

#define CODE_BYTES 20

struct invite_args {
	const char *email;
	const char *role;
	const char *org_id;
	const char *unit_id;  /* NULL: no unit */
};
static const struct cf_field invite_fields[] = {
	CF_F_EMAIL(struct invite_args, email, "email", true),
	CF_F_ENUM(struct invite_args, role, "role", true, cf_role_names),
	CF_F_ID(struct invite_args, org_id, "org_id", true),
	CF_F_ID(struct invite_args, unit_id, "unit_id", false),
};
const struct cf_spec cf_spec_invite = CF_SPEC_BIND(invite_fields, struct invite_args);

/* "ABCD-EFGH-…" from 20 bytes: 32 base32 characters in groups of 4. */
static void format_code(char *out, size_t cap, const uint8_t raw[CODE_BYTES])
{
	char plain[40];
	cf_base32_encode(plain, sizeof(plain), raw, CODE_BYTES);
	size_t o = 0;
	for (size_t i = 0; plain[i] && o + 2 < cap; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = plain[i];
	}
	out[o] = '\0';
	sodium_memzero(plain, sizeof(plain));
}

cf_err cf_invitation_create(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                            const char *org, const char *unit, const char *role,
                            const char *email, const char *created_by, uint64_t ttl_ms,
                            char *code_out, size_t code_cap, char id_out[33])
{
	uint8_t raw[CODE_BYTES], salt[16];
	if (cf_random_bytes(raw, sizeof(raw)) || cf_random_bytes(salt, sizeof(salt)))
		return CF_ERR_RANDOM;
	char hash[65], key[80], user_id[33], norm[256];
	cf_sha256_hex(hash, raw, sizeof(raw));
	snprintf(key, sizeof(key), "code:%s", hash);
	format_code(code_out, code_cap, raw);
	sodium_memzero(raw, sizeof(raw));
	cf_new_id_hex(id_out);
	cf_new_id_hex(user_id);
	cf_email_normalise(norm, sizeof(norm), email);
	char salt_b64[32];
	cf_b64url_encode(salt_b64, sizeof(salt_b64), salt, sizeof(salt));
	CF_AUTO_INVITATION inv = {
		.id = id_out, .org = org, .unit = unit, .role = role, .email = norm,
		.user_id = user_id, .salt = salt_b64, .t_cost = CF_ARGON2_T_MIN,
		.m_cost_kib = CF_ARGON2_M_MIN_KIB, .expires_ms = (int64_t)(cf_now_ms() + ttl_ms),
		.created_by = created_by, .used = false };
	cf_err err = cf_invitation_update(&inv);
	if (!err)
		err = cf_doc_save(atx, base, "invitation", id_out, org, 1, inv.doc, "create");
	if (!err)
		err = atx->tx->st->ops->index_put(atx->tx, "invitation", key, id_out);
	return err;
}

struct invite_ctx {
	char code[48];
	char id[33];
};

static void invite_free(void *p)
{
	if (p)
		sodium_memzero(p, sizeof(struct invite_ctx));
	free(p);
}

static cf_err invite_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct invite_ctx *c = req->ctx;
	const struct invite_args *a = CF_ARGS(req, struct invite_args);
	char key[300], found[65], norm[256];
	cf_email_normalise(norm, sizeof(norm), a->email);
	snprintf(key, sizeof(key), "email:%s", norm);
	if (atx->tx->st->ops->index_get(atx->tx->st, atx->tx, "user", key, found) == CF_OK) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "an account already uses this address");
		return CF_ERR_CONFLICT;
	}
	cf_err err = cf_invitation_create(atx, &req->audit.fields, a->org_id,
	                                  a->unit_id, a->role,
	                                  a->email, req->who.id,
	                                  req->srv->cfg.invitation_ttl_s * 1000, c->code,
	                                  sizeof(c->code), c->id);
	if (err)
		return err;
	char text[400];
	snprintf(text, sizeof(text),
	         "You are invited to coffre. Your invitation code is:\n\n  %s\n\n"
	         "Enrol with: coffre enrol --email <this address> --invitation-file <file holding the code>\n"
	         "The code can be used once and expires in %llu hours.\n", c->code,
	         (unsigned long long)(req->srv->cfg.invitation_ttl_s / 3600));
	cf_err sent = cf_notify_email(req->srv->notifier, norm, "Your coffre invitation", text);
	sodium_memzero(text, sizeof(text));
	if (sent) {
		cf_reply_problem(&req->reply, CF_P_DELIVERY_UNAVAILABLE,
		                 "the invitation e-mail cannot be sent now (e-mail not configured or busy)");
		return CF_ERR_BUSY;
	}
	cf_reply_json_take(&req->reply, 201, json_pack("{s:s, s:I}", "invitation_id", c->id,
	                   "expires_in_s", (json_int_t)req->srv->cfg.invitation_ttl_s));
	return CF_OK;
}

void cf_h_invite(struct cf_request *req)
{
	const struct invite_args *a = CF_ARGS(req, struct invite_args);
	enum cf_role role = cf_role_parse(a->role);
	const char *org_id = a->org_id;
	json_t *org = NULL;
	cf_store *st = req->srv->store;
	if (cf_doc_load(st, NULL, "org", org_id, &org, NULL) != CF_OK) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such organisation");
		return;
	}
	bool platform = strcmp(cf_jstr(org, "kind") ? cf_jstr(org, "kind") : "", "platform") == 0;
	json_decref(org);
	if (!cf_identity_allowed(req, "invitations.create", org_id, NULL, NULL))
		return;
	/* Superadmins belong to the platform, and only a superadmin makes one. */
	if ((role == CF_ROLE_SUPERADMIN) != platform ||
	    (role == CF_ROLE_SUPERADMIN && req->who.role != CF_ROLE_SUPERADMIN)) {
		cf_reply_problem(&req->reply, CF_P_FORBIDDEN,
		                 "superadmins are invited into the platform organisation, by a superadmin");
		return;
	}
	const char *unit_id = a->unit_id;
	if (unit_id) {
		json_t *unit = NULL;
		bool ok = cf_doc_load(st, NULL, "unit", unit_id, &unit, NULL) == CF_OK &&
		          strcmp(cf_jstr(unit, "org") ? cf_jstr(unit, "org") : "", org_id) == 0;
		json_decref(unit);
		if (!ok) {
			cf_reply_problem(&req->reply, CF_P_INVALID_FIELD,
			                 "field 'unit_id' is not a unit of this organisation");
			return;
		}
	}
	struct invite_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->ctx = c;
	req->ctx_free = invite_free;
	req->write = invite_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the invitation was not stored");
}
