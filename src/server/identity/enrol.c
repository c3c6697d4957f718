/* Enrolment of an invited user (docs/api/identity.md): begin shows what the
 * invitation is for and the salt; enrol stores the Argon2id hashes of the
 * auth key, recovery auth and PIN, the sealed key bundles and the public keys
 * (registered through the audit log), the first device, and uses the code up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/versions.h"
#include "crypto/pwhash.h"
#include "server/devcert.h"
#include "server/identity/identity.h"
#include "server/notify/notify.h"
#include "util/encoding.h"

#define CODE_BYTES 20

struct begin_args {
	const char *code;
	const char *email;
};
static const struct cf_field begin_fields[] = {
	CF_F_STRING(struct begin_args, code, "code", true, 1, 64),
	CF_F_EMAIL(struct begin_args, email, "email", true),
};
const struct cf_spec cf_spec_enrol_begin = CF_SPEC_BIND(begin_fields, struct begin_args);

struct sf_choice {
	const char *method;
	const char *phone;
};
static const char *const sf_methods[] = { "email", "sms", NULL };
static const struct cf_field sf_choice_fields[] = {
	CF_F_ENUM(struct sf_choice, method, "method", true, sf_methods),
	CF_F_PHONE(struct sf_choice, phone, "phone", false),
};
static const struct cf_spec sf_choice_spec = CF_SPEC_BIND(sf_choice_fields, struct sf_choice);

struct enrol_args {
	const char *code;
	const char *email;
	uint8_t auth_key[32];       /* secrets: wiped with the request */
	uint8_t recovery_auth[32];
	const char *pin;
	const char *sign_pk, *enc_pk, *device_pk;  /* base64url of 32 bytes */
	const char *bundle, *recovery_bundle;
	struct sf_choice second_factor;
	const char *csr;
};
static const struct cf_field enrol_fields[] = {
	CF_F_STRING(struct enrol_args, code, "code", true, 1, 64),
	CF_F_EMAIL(struct enrol_args, email, "email", true),
	CF_F_B64FIX(struct enrol_args, auth_key, "auth_key", true),
	CF_F_B64(struct enrol_args, sign_pk, "sign_pk", true, 32, 32),
	CF_F_B64(struct enrol_args, enc_pk, "enc_pk", true, 32, 32),
	CF_F_B64(struct enrol_args, bundle, "bundle", true, 60, 4096),
	CF_F_B64(struct enrol_args, recovery_bundle, "recovery_bundle", true, 60, 4096),
	CF_F_B64FIX(struct enrol_args, recovery_auth, "recovery_auth", true),
	CF_F_PIN(struct enrol_args, pin, "pin", true),
	CF_F_B64(struct enrol_args, device_pk, "device_pk", true, 32, 32),
	CF_F_OBJECT(struct enrol_args, second_factor, struct sf_choice, "second_factor", true,
	            &sf_choice_spec),
	CF_F_PEM(struct enrol_args, csr, "csr", false, 64, 8192),
};
const struct cf_spec cf_spec_enrol = CF_SPEC_BIND(enrol_fields, struct enrol_args);

/* The invitation a code opens, if it is usable by this address. */
static cf_err find_invitation(cf_store *st, cf_tx *tx, const char *code, const char *email,
                              struct cf_invitation *ret, uint64_t *ret_version)
{
	uint8_t raw[CODE_BYTES];
	if (cf_base32_decode(raw, sizeof(raw), code))
		return CF_ERR_NOT_FOUND;
	char key[80], hash[65], id[65];
	cf_sha256_hex(hash, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	snprintf(key, sizeof(key), "code:%s", hash);
	cf_err err = st->ops->index_get(st, tx, "invitation", key, id);
	struct cf_invitation inv = { 0 };
	if (!err)
		err = cf_invitation_load(st, tx, id, &inv, ret_version);
	if (err)
		return err;
	char norm[256];
	cf_email_normalise(norm, sizeof(norm), email);
	if (inv.used || (uint64_t)inv.expires_ms <= cf_now_ms() || strcmp(inv.email, norm) != 0) {
		cf_invitation_clear(&inv);
		return CF_ERR_NOT_FOUND;
	}
	*ret = inv;
	return CF_OK;
}

static void invalid_invitation(struct cf_request *req)
{
	cf_reply_problem(&req->reply, CF_P_INVALID_INVITATION,
	                 "this invitation code is unknown, used, expired, or for another address");
}

void cf_h_enrol_begin(struct cf_request *req)
{
	CF_AUTO_INVITATION inv = { 0 };
	const struct begin_args *a = CF_ARGS(req, struct begin_args);
	cf_err err = find_invitation(req->srv->store, NULL, a->code, a->email, &inv, NULL);
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "invitations cannot be read now");
		return;
	}
	if (err) {
		invalid_invitation(req);
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s?, s:s, s:s?, s:s?, s:I, s:I}",
		"user_id", inv.user_id, "org_id", inv.org, "role", inv.role, "salt", inv.salt,
		"t_cost", (json_int_t)inv.t_cost, "m_cost_kib", (json_int_t)inv.m_cost_kib));
}

struct enrol_ctx {
	struct cf_user user;     /* the new user */
	struct cf_device device;
	char *cert_pem;   /* the device certificate, when a CSR came with the enrolment */
	char user_id[33], device_id[33], org[33];
	uint8_t sign_pk[32], enc_pk[32], device_pk[32];
};

static void enrol_free(void *p)
{
	struct enrol_ctx *c = p;
	if (!c)
		return;
	cf_user_clear(&c->user);
	cf_device_clear(&c->device);
	free(c->cert_pem);
	free(c);
}

/* The 32 bytes of a base64url text the spec has checked. */
static cf_err key32(const char *b64, uint8_t out[32])
{
	size_t got = 0;
	return cf_b64url_decode(out, 32, &got, b64, strlen(b64)) || got != 32 ? CF_ERR_INVALID : CF_OK;
}

static cf_err enrol_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct enrol_ctx *c = req->ctx;
	cf_store *st = atx->tx->st;
	struct cf_invitation inv = { 0 };
	uint64_t inv_version = 0;
	/* Again inside the transaction: one use only, even for two racing requests. */
	const struct enrol_args *a = CF_ARGS(req, struct enrol_args);
	cf_err err = find_invitation(st, atx->tx, a->code, a->email, &inv, &inv_version);
	if (err) {
		invalid_invitation(req);
		return err;
	}
	char key[300], found[65];
	snprintf(key, sizeof(key), "email:%s", inv.email);
	if (st->ops->index_get(st, atx->tx, "user", key, found) == CF_OK) {
		cf_invitation_clear(&inv);
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "an account already uses this address");
		return CF_ERR_CONFLICT;
	}
	const struct cf_audit_fields *base = &req->audit.fields;
	inv.used = true;
	err = cf_invitation_update(&inv);
	if (!err)
		err = cf_doc_save(atx, base, "invitation", inv.id, inv.org, inv_version + 1, inv.doc,
		                  "update");
	if (!err)
		err = cf_doc_save(atx, base, "user", c->user_id, c->org, 1, c->user.doc, "create");
	if (!err)
		err = st->ops->index_put(atx->tx, "user", key, c->user_id);
	if (!err)
		err = cf_doc_save(atx, base, "device", c->device_id, c->org, 1, c->device.doc, "create");
	char pkhash[65], dkey[80];
	cf_sha256_hex(pkhash, c->device_pk, 32);
	snprintf(dkey, sizeof(dkey), "pk:%s", pkhash);
	if (!err)
		err = st->ops->index_put(atx->tx, "device", dkey, c->device_id);
	if (!err)
		err = cf_key_register(atx, base, "user-sign", c->user_id, c->sign_pk, 32, NULL);
	if (!err)
		err = cf_key_register(atx, base, "user-enc", c->user_id, c->enc_pk, 32, NULL);
	if (!err)
		err = cf_key_register(atx, base, "device", c->device_id, c->device_pk, 32, NULL);
	if (!err) {
		json_t *ans = json_pack("{s:s, s:s, s:s, s:s, s:s}",
			"user_id", c->user_id, "org_id", c->org, "role", inv.role,
			"device_id", c->device_id, "device_status", c->device.status);
		if (ans && c->cert_pem && cf_devca_current()) {
			json_object_set_new(ans, "certificate", json_string(c->cert_pem));
			json_object_set_new(ans, "ca", json_string(cf_devca_pem(cf_devca_current())));
			json_object_set_new(ans, "cert_sha256", json_string(c->device.cert_sha256));
		}
		cf_reply_json_take(&req->reply, 201, ans);
	}
	cf_invitation_clear(&inv);
	return err;
}

void cf_h_enrol(struct cf_request *req)
{
	const struct enrol_args *a = CF_ARGS(req, struct enrol_args);
	struct cf_invitation inv = { 0 };
	cf_err err = find_invitation(req->srv->store, NULL, a->code, a->email, &inv, NULL);
	if (err) {
		if (err == CF_ERR_STORE)
			cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "invitations cannot be read now");
		else
			invalid_invitation(req);
		return;
	}
	const char *method = a->second_factor.method;
	const char *phone = a->second_factor.phone;
	/* The spec checked the phone's form; SMS needs one. */
	if (strcmp(method, "sms") == 0 && !phone) {
		cf_invitation_clear(&inv);
		cf_reply_problem(&req->reply, CF_P_INVALID_FIELD,
		                 "field 'second_factor.phone' must be an E.164 number (+ and 8 to 15 digits)");
		return;
	}
	struct enrol_ctx *c = calloc(1, sizeof(*c));
	char auth_hash[CF_PWHASH_STR_BYTES], rec_hash[CF_PWHASH_STR_BYTES], pin_hash[CF_PWHASH_STR_BYTES];
	if (!c || cf_pwhash_str(auth_hash, a->auth_key, sizeof(a->auth_key)) ||
	    cf_pwhash_str(rec_hash, a->recovery_auth, sizeof(a->recovery_auth)) ||
	    cf_pwhash_str(pin_hash, (const uint8_t *)a->pin, strlen(a->pin)) ||
	    key32(a->sign_pk, c->sign_pk) || key32(a->enc_pk, c->enc_pk) ||
	    key32(a->device_pk, c->device_pk)) {
		free(c);
		cf_invitation_clear(&inv);
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "cannot hash the credentials");
		return;
	}
	req->ctx = c;
	req->ctx_free = enrol_free;
	snprintf(c->user_id, sizeof(c->user_id), "%s", inv.user_id ? inv.user_id : "");
	snprintf(c->org, sizeof(c->org), "%s", inv.org);
	cf_new_id_hex(c->device_id);
	uint64_t now = cf_now_ms();
	c->user = (struct cf_user){
		.id = c->user_id, .org = c->org, .email = inv.email,
		.role = inv.role, .unit = inv.unit, .status = "active",
		.phone = phone, .mfa = method, .auth_hash = auth_hash, .recovery_hash = rec_hash,
		.pin_hash = pin_hash, .salt = inv.salt,
		.t_cost = inv.t_cost, .m_cost_kib = inv.m_cost_kib,
		.bundle = a->bundle, .recovery_bundle = a->recovery_bundle,
		.sign_pk = a->sign_pk, .enc_pk = a->enc_pk, .created_ms = (int64_t)now };
	c->device = (struct cf_device){ .id = c->device_id, .user = c->user_id, .org = c->org,
		.sign_pk = a->device_pk, .status = "approved", .created_ms = (int64_t)now };
	cf_err uerr = cf_user_update(&c->user);
	cf_err derr = cf_device_update(&c->device);
	sodium_memzero(auth_hash, sizeof(auth_hash));
	sodium_memzero(rec_hash, sizeof(rec_hash));
	sodium_memzero(pin_hash, sizeof(pin_hash));
	cf_invitation_clear(&inv);
	if (uerr || derr) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "out of memory");
		return;
	}
	/* A CSR with the enrolment: the device gets its certificate at once. */
	const char *csr = a->csr;
	if (csr) {
		struct cf_devca *ca = cf_devca_current();
		char fp[65], why[200];
		if (!ca) {
			cf_reply_problem(&req->reply, CF_P_UNAVAILABLE, "the device CA is not loaded");
			return;
		}
		if (cf_devca_issue(ca, csr, strlen(csr), c->device_id, c->org, (time_t)(now / 1000), 365,
		                   &c->cert_pem, fp, why, sizeof(why))) {
			cf_reply_problem(&req->reply, CF_P_INVALID_FIELD, "field 'csr': %s", why);
			return;
		}
		c->device.cert_sha256 = fp;
		c->device.cert_issued_ms = (int64_t)now;
		if (cf_device_update(&c->device)) {
			cf_reply_problem(&req->reply, CF_P_INTERNAL, "out of memory");
			return;
		}
	}
	req->write = enrol_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the enrolment was not stored");
}
