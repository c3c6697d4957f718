/* Sessions: opaque bearer tokens ("coffre_s_" + 32 random bytes), stored by
 * their SHA-256, bound to a device, locked after the idle timeout, ended at
 * their absolute lifetime, on logout, on revocation and on the 5th wrong PIN. */
#include "server/auth/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "server/identity/identity.h"
#include "server/router.h"
#include "util/encoding.h"

/* Recording every single request's time would cost a write each; a few
 * seconds of precision is plenty for a 15-minute idle timeout. */
#define TOUCH_EVERY_MS 5000

static bool token_hash(const char *token, char out[65])
{
	size_t plen = sizeof(CF_SESSION_PREFIX) - 1;
	size_t len = strlen(token);
	if (len != CF_SESSION_TEXT_LEN || memcmp(token, CF_SESSION_PREFIX, plen) != 0)
		return false;
	uint8_t raw[32];
	size_t got = 0;
	if (cf_b64url_decode(raw, sizeof(raw), &got, token + plen, len - plen) || got != 32)
		return false;
	sodium_memzero(raw, sizeof(raw));
	cf_sha256_hex(out, token, len);
	return true;
}

/* The user and device read at authentication, kept for the handler. */
struct auth_state {
	struct cf_user user;
	struct cf_device dev;
};

static void auth_state_free(void *p)
{
	struct auth_state *a = p;
	if (!a)
		return;
	cf_user_clear(&a->user);
	cf_device_clear(&a->dev);
	free(a);
}

static struct auth_state *auth_state_of(const struct cf_request *req)
{
	return req->auth_state_free == auth_state_free ? req->auth_state : NULL;
}

const struct cf_user *cf_session_user(const struct cf_request *req)
{
	struct auth_state *a = auth_state_of(req);
	return a ? &a->user : NULL;
}

const struct cf_device *cf_session_device(const struct cf_request *req)
{
	struct auth_state *a = auth_state_of(req);
	return a ? &a->dev : NULL;
}

static bool authenticate_in(struct cf_request *req, cf_tx *rt, const char *key);

bool cf_session_authenticate(struct cf_request *req, const char *token)
{
	cf_store *st = req->srv->store;
	char key[65];
	if (!token_hash(token, key)) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED,
		                 "invalid, expired or revoked session");
		return false;
	}
	/* The session, its device and its user from one snapshot. */
	cf_tx *rt = NULL;
	if (st->ops->read_begin(st, &rt))
		rt = NULL;  /* each read on its own, then */
	bool ok = authenticate_in(req, rt, key);
	st->ops->read_end(rt);
	return ok;
}

static bool authenticate_in(struct cf_request *req, cf_tx *rt, const char *key)
{
	cf_store *st = req->srv->store;
	json_t *s = NULL;
	cf_err err = cf_eph_load(st, rt, "session", key, &s);
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "sessions cannot be checked now");
		return false;
	}
	if (err) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED,
		                 "invalid, expired or revoked session");
		return false;
	}
	struct auth_state *a = calloc(1, sizeof(*a));
	if (!a) {
		json_decref(s);
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return false;
	}
	req->auth_state = a;
	req->auth_state_free = auth_state_free;
	const char *device = cf_jstr(s, "device");
	struct cf_device *dev = &a->dev;
	if (cf_device_load(st, rt, device, dev, NULL)) {
		json_decref(s);
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED, "the session's device is unknown");
		return false;
	}
	bool wiped = dev->status && strcmp(dev->status, "wiped") == 0;
	bool pending = dev->status && strcmp(dev->status, "pending") == 0;
	struct cf_user *user = &a->user;
	const char *uid = cf_jstr(s, "user");
	bool live = cf_user_load(st, rt, uid, user, NULL) == CF_OK &&
	            user->status && strcmp(user->status, "active") == 0 &&
	            user->session_epoch == cf_jint(s, "epoch");
	if (!live) {
		json_decref(s);
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED,
		                 "invalid, expired or revoked session");
		return false;
	}

	/* Role, organisation and unit come from the user's current version. */
	struct cf_principal *p = &req->who;
	p->kind = CF_PRINCIPAL_USER;
	snprintf(p->id, sizeof(p->id), "%s", uid);
	snprintf(p->tenant, sizeof(p->tenant), "%s", user->org);
	snprintf(p->unit, sizeof(p->unit), "%s", user->unit ? user->unit : "");
	snprintf(p->device, sizeof(p->device), "%s", device);
	snprintf(p->session, sizeof(p->session), "%s", cf_jstr(s, "id") ? cf_jstr(s, "id") : "");
	p->role = cf_role_parse(user->role);
	req->session = s;
	snprintf(req->session_key, sizeof(req->session_key), "%s", key);

	if (wiped) {
		cf_reply_problem(&req->reply, CF_P_DEVICE_WIPED,
		                 "this device was wiped: its keys and data must be erased");
		cf_reply_problem_extend(&req->reply, json_pack("{s:b}", "wipe", 1));
		return false;
	}
	uint64_t now = cf_now_ms();
	uint64_t last = (uint64_t)cf_jint(s, "last_ms");
	bool locked = cf_jbool(s, "locked");
	if (!locked && now > last && now - last > req->srv->cfg.idle_timeout_s * 1000) {
		locked = true;
		json_object_set_new(s, "locked", json_true());
		req->session_touch = true; /* record the lock */
	}
	/* What a locked session or a pending device may still do is marked in
	 * the route table (CF_ROUTE_WHILE_LOCKED, CF_ROUTE_WHILE_PENDING). */
	unsigned flags = req->route->flags;
	if (locked && !(flags & CF_ROUTE_WHILE_LOCKED)) {
		cf_reply_problem(&req->reply, CF_P_SESSION_LOCKED,
		                 "the session is locked after inactivity; unlock it with the PIN");
		return false;
	}
	if (pending && !(flags & CF_ROUTE_WHILE_PENDING)) {
		cf_reply_problem(&req->reply, CF_P_DEVICE_PENDING,
		                 "this device awaits approval by an administrator");
		return false;
	}
	if (!locked && now - last >= TOUCH_EVERY_MS)
		req->session_touch = true;
	return true;
}

/* Records one fact, conditionally (store.h session_touch/lock), never the
 * document this request read: that copy may be stale by now (a logout, an
 * unlock or a wrong PIN committed in between), and writing it back would undo
 * them. A session gone or changed meanwhile is left as it is. */
cf_err cf_session_touch(struct cf_audit_tx *atx, struct cf_request *req)
{
	if (!req->session || !req->session_touch)
		return CF_OK;
	cf_tx *tx = atx->tx;
	uint64_t now = cf_now_ms();
	cf_err err;
	if (cf_jbool(req->session, "locked")) {
		uint64_t idle_ms = req->srv->cfg.idle_timeout_s * 1000;
		err = tx->st->ops->session_lock(tx, req->session_key, now > idle_ms ? now - idle_ms : 0);
	} else {
		err = tx->st->ops->session_touch(tx, req->session_key, now);
	}
	return err == CF_ERR_NOT_FOUND ? CF_OK : err;
}

cf_err cf_session_create(struct cf_audit_tx *atx, struct cf_request *req, const struct cf_user *user,
                         const char *device_id, char *token_out, size_t cap)
{
	if (cap <= CF_SESSION_TEXT_LEN)
		return CF_ERR_TOO_LARGE;
	uint8_t raw[32];
	cf_err err = cf_random_bytes(raw, sizeof(raw));
	if (err)
		return err;
	size_t plen = sizeof(CF_SESSION_PREFIX) - 1;
	memcpy(token_out, CF_SESSION_PREFIX, plen);
	cf_b64url_encode(token_out + plen, cap - plen, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	char key[65], id[33];
	cf_sha256_hex(key, token_out, CF_SESSION_TEXT_LEN);
	cf_new_id_hex(id);
	uint64_t now = cf_now_ms();
	uint64_t expires = now + req->srv->cfg.session_lifetime_s * 1000;
	/* Role, organisation and unit are read from the user on every request,
	 * so the session does not copy them. */
	json_t *s = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:i}",
		"id", id, "user", user->id, "device", device_id,
		"created_ms", (json_int_t)now, "last_ms", (json_int_t)now, "expires_ms",
		(json_int_t)expires, "locked", 0, "pin_failures", 0);
	if (!s)
		return CF_ERR_NOMEM;
	/* Revoking a user's sessions raises the user's epoch: older sessions die. */
	json_object_set_new(s, "epoch", json_integer((json_int_t)user->session_epoch));
	err = cf_eph_save(atx->tx, "session", key, s, expires);
	json_decref(s);
	return err;
}

cf_err cf_session_end(cf_tx *tx, const char *token_hash_hex)
{
	return tx->st->ops->eph_del(tx, "session", token_hash_hex);
}
