/* Sessions: opaque bearer tokens ("coffre_s_" + 32 random bytes), stored by
 * their SHA-256, bound to a device, locked after the idle timeout, ended at
 * their absolute lifetime, on logout, on revocation and on the 5th wrong PIN. */
#include "server/auth/session.h"

#include <pthread.h>
#include <sodium.h>
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

/* A cache of the typed facts of users and devices, keyed by (id, newest
 * version). Documents are insert-only, so a (id, version) pair never
 * changes: a hit is as good as parsing the document, and every request still
 * reads the newest version number (one index lookup), so a revocation, a
 * role change or a wipe (each a new version) takes effect at once. Fixed
 * memory; a slot is overwritten by the next id that hashes to it. */
#define CACHE_SLOTS 4096
#define CACHE_STRIPES 64

struct user_slot {
	const cf_store *st;
	struct cf_auth_user u;
};
struct device_slot {
	const cf_store *st;
	struct cf_auth_device d;
};

static struct user_slot user_slots[CACHE_SLOTS];
static struct device_slot device_slots[CACHE_SLOTS];
static pthread_mutex_t cache_locks[CACHE_STRIPES];
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static uint8_t cache_key[crypto_shorthash_KEYBYTES];

static void cache_init(void)
{
	for (unsigned i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&cache_locks[i], NULL);
	randombytes_buf(cache_key, sizeof(cache_key));
}

static unsigned slot_of(const char *id)
{
	pthread_once(&cache_once, cache_init);
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)id, strlen(id), cache_key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return (unsigned)(v % CACHE_SLOTS);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

cf_err cf_auth_user_load(cf_store *st, cf_tx *tx, const char *id, struct cf_auth_user *ret)
{
	if (!id)
		return CF_ERR_NOT_FOUND;
	uint64_t v = 0;
	cf_err err = st->ops->doc_version(st, tx, "user", id, &v);
	if (err)
		return err;
	unsigned i = slot_of(id);
	pthread_mutex_t *lock = &cache_locks[i % CACHE_STRIPES];
	pthread_mutex_lock(lock);
	struct user_slot *sl = &user_slots[i];
	bool hit = sl->st == st && sl->u.version == v && strcmp(sl->u.id, id) == 0;
	if (hit)
		*ret = sl->u;
	pthread_mutex_unlock(lock);
	if (hit)
		return CF_OK;
	CF_AUTO_USER user = { 0 };
	err = cf_user_load(st, tx, id, &user, &v);
	if (err)
		return err;
	struct cf_auth_user u = { .version = v, .session_epoch = user.session_epoch,
	                          .has_phone = user.phone != NULL, .has_totp = user.totp != NULL,
	                          .has_unit = user.unit != NULL };
	copy_text(u.id, sizeof(u.id), user.id);
	copy_text(u.org, sizeof(u.org), user.org);
	copy_text(u.unit, sizeof(u.unit), user.unit);
	copy_text(u.role, sizeof(u.role), user.role);
	copy_text(u.status, sizeof(u.status), user.status);
	copy_text(u.email, sizeof(u.email), user.email);
	if (strcmp(u.id, id) != 0)
		return CF_ERR_STORE;
	pthread_mutex_lock(lock);
	sl->st = st;
	sl->u = u;
	pthread_mutex_unlock(lock);
	*ret = u;
	return CF_OK;
}

cf_err cf_auth_device_load(cf_store *st, cf_tx *tx, const char *id, struct cf_auth_device *ret)
{
	if (!id)
		return CF_ERR_NOT_FOUND;
	uint64_t v = 0;
	cf_err err = st->ops->doc_version(st, tx, "device", id, &v);
	if (err)
		return err;
	unsigned i = slot_of(id);
	pthread_mutex_t *lock = &cache_locks[i % CACHE_STRIPES];
	pthread_mutex_lock(lock);
	struct device_slot *sl = &device_slots[i];
	bool hit = sl->st == st && sl->d.version == v && strcmp(sl->d.id, id) == 0;
	if (hit)
		*ret = sl->d;
	pthread_mutex_unlock(lock);
	if (hit)
		return CF_OK;
	CF_AUTO_DEVICE dev = { 0 };
	err = cf_device_load(st, tx, id, &dev, &v);
	if (err)
		return err;
	struct cf_auth_device d = { .version = v };
	copy_text(d.id, sizeof(d.id), dev.id);
	copy_text(d.user, sizeof(d.user), dev.user);
	copy_text(d.status, sizeof(d.status), dev.status);
	if (strcmp(d.id, id) != 0)
		return CF_ERR_STORE;
	pthread_mutex_lock(lock);
	sl->st = st;
	sl->d = d;
	pthread_mutex_unlock(lock);
	*ret = d;
	return CF_OK;
}

/* The user and device read at authentication, kept for the handler. */
struct auth_state {
	struct cf_auth_user user;
	struct cf_auth_device dev;
};

static void auth_state_free(void *p)
{
	free(p);
}

static struct auth_state *auth_state_of(const struct cf_request *req)
{
	return req->auth_state_free == auth_state_free ? req->auth_state : NULL;
}

const struct cf_auth_user *cf_session_user(const struct cf_request *req)
{
	struct auth_state *a = auth_state_of(req);
	return a ? &a->user : NULL;
}

const struct cf_auth_device *cf_session_device(const struct cf_request *req)
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
	struct cf_auth_device *dev = &a->dev;
	if (cf_auth_device_load(st, rt, device, dev)) {
		json_decref(s);
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED, "the session's device is unknown");
		return false;
	}
	bool wiped = strcmp(dev->status, "wiped") == 0;
	bool pending = strcmp(dev->status, "pending") == 0;
	struct cf_auth_user *user = &a->user;
	const char *uid = cf_jstr(s, "user");
	bool live = cf_auth_user_load(st, rt, uid, user) == CF_OK &&
	            strcmp(user->status, "active") == 0 &&
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
	snprintf(p->unit, sizeof(p->unit), "%s", user->unit);
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
	 * so the session does not copy them. A session is made by a passed
	 * second factor: factor_ms is when (a fresh proof, DESIGN §5.3). */
	json_t *s = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:i}",
		"id", id, "user", user->id, "device", device_id,
		"created_ms", (json_int_t)now, "factor_ms", (json_int_t)now, "last_ms",
		(json_int_t)now, "expires_ms", (json_int_t)expires, "locked", 0, "pin_failures", 0);
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
