/* Unlock (PIN), logout, me. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pwhash.h"
#include "server/identity/identity.h"

#define PIN_TRIES 5

/* Any text of PIN length: a malformed PIN is a wrong PIN, and counts. */
struct unlock_args {
	const char *pin;
};
static const struct cf_field unlock_fields[] = {
	CF_F_STRING(struct unlock_args, pin, "pin", true, 4, 12),
};
const struct cf_spec cf_spec_unlock = CF_SPEC_BIND(unlock_fields, struct unlock_args);

struct unlock_ctx {
	bool ok;
};

static cf_err wipe_device(struct cf_audit_tx *atx, struct cf_request *req, const char *device)
{
	CF_AUTO_DEVICE dev = { 0 };
	uint64_t v = 0;
	cf_err err = cf_device_load(atx->tx->st, atx->tx, device, &dev, &v);
	if (err)
		return err;
	dev.status = "wiped";
	err = cf_device_update(&dev);
	if (!err)
		err = cf_doc_save(atx, &req->audit.fields, "device", device, dev.org, v + 1, dev.doc,
		                  "update");
	return err;
}

static cf_err unlock_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct unlock_ctx *c = req->ctx;
	json_t *s = NULL;
	/* the session as it is now, not as this request first read it */
	cf_err err = cf_eph_load(atx->tx->st, atx->tx, "session", req->session_key, &s);
	if (err) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED, "invalid, expired or revoked session");
		return CF_OK;
	}
	/* A lock this request found (idle timeout) holds even though the stored
	 * session does not say so yet: only the right PIN lifts it. */
	if (cf_jbool(req->session, "locked"))
		json_object_set_new(s, "locked", json_true());
	json_decref(req->session);
	req->session = s;
	/* this write stores the session it read in the transaction; the
	 * pipeline's touch (of the copy read at authentication) is not needed */
	req->session_touch = false;
	uint64_t expires = (uint64_t)cf_jint(s, "expires_ms");
	err = cf_attempts_record(atx, req, CF_ATT_PIN, req->who.id, c->ok);
	if (err)
		return err;
	if (c->ok) {
		json_object_set_new(s, "locked", json_false());
		json_object_set_new(s, "pin_failures", json_integer(0));
		json_object_set_new(s, "last_ms", json_integer((json_int_t)cf_now_ms()));
		err = cf_eph_save(atx->tx, "session", req->session_key, s, expires);
		if (!err)
			cf_reply_json_take(&req->reply, 200, json_pack("{s:s}", "status", "unlocked"));
		return err;
	}
	json_int_t failures = cf_jint(s, "pin_failures") + 1;
	if (failures >= PIN_TRIES) {
		/* The 5th wrong PIN: the session dies and the device is wiped. */
		err = cf_session_end(atx->tx, req->session_key);
		json_decref(req->session);
		req->session = NULL;
		if (!err)
			err = wipe_device(atx, req, req->who.device);
		cf_reply_problem(&req->reply, CF_P_DEVICE_WIPED,
		                 "too many wrong PINs: the session is closed and this device is wiped");
		cf_reply_problem_extend(&req->reply, json_pack("{s:b}", "wipe", 1));
		return err;
	}
	json_object_set_new(s, "pin_failures", json_integer(failures));
	err = cf_eph_save(atx->tx, "session", req->session_key, s, expires);
	if (err)
		return err;
	cf_reply_problem(&req->reply, CF_P_WRONG_PIN, "wrong PIN; %lld tries left",
	                 (long long)(PIN_TRIES - failures));
	cf_reply_problem_extend(&req->reply, json_pack("{s:I}", "tries_left",
	                                               (json_int_t)(PIN_TRIES - failures)));
	return CF_OK;
}

void cf_h_unlock(struct cf_request *req)
{
	if (!cf_attempts_allowed(req, CF_ATT_PIN, req->who.id))
		return;
	CF_AUTO_USER user = { 0 };
	if (cf_user_load(req->srv->store, NULL, req->who.id, &user, NULL)) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the account cannot be read now");
		return;
	}
	struct unlock_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->ctx = c;
	req->ctx_free = free;
	const char *pin = CF_ARGS(req, struct unlock_args)->pin;
	c->ok = user.pin_hash &&
	        cf_pwhash_str_verify(user.pin_hash, (const uint8_t *)pin, strlen(pin)) == CF_OK;
	req->write = unlock_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the unlock was not stored");
}

static cf_err logout_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	cf_err err = cf_session_end(atx->tx, req->session_key);
	json_decref(req->session);
	req->session = NULL;
	if (!err)
		cf_reply_text(&req->reply, 204, "application/json", "", 0);
	return err;
}

void cf_h_logout(struct cf_request *req)
{
	req->write = logout_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the logout was not stored");
}

void cf_h_me(struct cf_request *req)
{
	cf_store *st = req->srv->store;
	struct cf_auth_user own_user;
	struct cf_auth_device own_dev;
	/* The typed user and device authentication read for this request; read
	 * here only when the caller was not authenticated by a session. */
	const struct cf_auth_user *u = cf_session_user(req);
	const struct cf_auth_device *d = cf_session_device(req);
	if (!u || !d) {
		if (cf_auth_user_load(st, NULL, req->who.id, &own_user) ||
		    cf_auth_device_load(st, NULL, req->who.device, &own_dev)) {
			cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE,
			                 "the account cannot be read now");
			return;
		}
		u = &own_user;
		d = &own_dev;
	}
	json_t *factors = json_pack("[s]", "email");
	if (u->has_phone)
		json_array_append_new(factors, json_string("sms"));
	if (u->has_totp)
		json_array_append_new(factors, json_string("totp"));
	uint64_t now = cf_now_ms(), exp = (uint64_t)cf_jint(req->session, "expires_ms");
	cf_reply_json_take(&req->reply, 200, json_pack(
		"{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:o, s:{s:I, s:I}}",
		"user_id", req->who.id, "org_id", u->org, "role", u->role,
		"unit_id", u->has_unit ? u->unit : NULL, "email", u->email,
		"device_id", req->who.device, "device_status", d->status,
		"second_factors", factors, "session", "idle_timeout_s",
		(json_int_t)req->srv->cfg.idle_timeout_s, "expires_in_s",
		(json_int_t)(exp > now ? (exp - now) / 1000 : 0)));
}
