/* Login (docs/api/identity.md): prelogin → login (auth key) → second factor
 * (e-mail or SMS code, or TOTP, and the device's proof that it holds its key)
 * → session. Unknown address, wrong password, wrong code and wrong proof
 * answer the same 401 with comparable timing: an unknown address still costs
 * one Argon2id verification. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/versions.h"
#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "crypto/pwhash.h"
#include "crypto/sign.h"
#include "crypto/totp.h"
#include "server/identity/identity.h"
#include "server/notify/notify.h"
#include "util/encoding.h"
#include "util/log.h"

#define CODE_TTL_MS (10 * 60 * 1000)
#define CODE_TRIES 5
#define CODE_RESENDS 3  /* codes sent again per pending login: no e-mail/SMS spam */
#define NONCE_B64_LEN 43 /* base64url of CF_DEVICE_PROOF_NONCE_BYTES */

struct login_args {
	const char *email;
	uint8_t auth_key[32];   /* a secret: wiped with the request */
	const char *device_pk;  /* base64url of 32 bytes, kept as text */
};
static const struct cf_field login_fields[] = {
	CF_F_EMAIL(struct login_args, email, "email", true),
	CF_F_B64FIX(struct login_args, auth_key, "auth_key", true),
	CF_F_B64(struct login_args, device_pk, "device_pk", true, 32, 32),
};
const struct cf_spec cf_spec_login = CF_SPEC_BIND(login_fields, struct login_args);

static const char *const sf_methods[] = { "email", "sms", "totp", NULL };
static const char *const send_methods[] = { "email", "sms", NULL };

/* second-factor and second-factor/send (which has neither code nor proof) */
struct sf_args {
	const char *pending;
	const char *method;
	const char *code;
	uint8_t device_proof[CF_SIGN_BYTES];  /* DESIGN §5.3, cf_device_proof_verify */
};
static const struct cf_field sf_fields[] = {
	CF_F_ID(struct sf_args, pending, "pending", true),
	CF_F_ENUM(struct sf_args, method, "method", true, sf_methods),
	CF_F_DIGITS(struct sf_args, code, "code", true, 6, 6),
	CF_F_B64FIX(struct sf_args, device_proof, "device_proof", true),
};
const struct cf_spec cf_spec_second_factor = CF_SPEC_BIND(sf_fields, struct sf_args);

static const struct cf_field send_fields[] = {
	CF_F_ID(struct sf_args, pending, "pending", true),
	CF_F_ENUM(struct sf_args, method, "method", true, send_methods),
};
const struct cf_spec cf_spec_second_factor_send = CF_SPEC_BIND(send_fields, struct sf_args);

static void login_failed(struct cf_request *req)
{
	cf_reply_problem(&req->reply, CF_P_LOGIN_FAILED,
	                 "the e-mail address, password or code is not right");
}

/* An Argon2id verifier that matches nothing, to spend the same time on
 * unknown addresses as on known ones. */
static char dummy_hash[CF_PWHASH_STR_BYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	uint8_t junk[32];
	cf_random_bytes(junk, sizeof(junk));
	cf_pwhash_str(dummy_hash, junk, sizeof(junk));
	sodium_memzero(junk, sizeof(junk));
}

const char *cf_dummy_pwhash(void)
{
	pthread_once(&dummy_once, make_dummy);
	return dummy_hash;
}

/* The user of an address (newest version), or NOT_FOUND. */
cf_err cf_user_by_email(cf_store *st, cf_tx *tx, const char *email, struct cf_user *ret,
                        uint64_t *ret_version)
{
	char norm[256], key[300], id[65];
	cf_email_normalise(norm, sizeof(norm), email);
	snprintf(key, sizeof(key), "email:%s", norm);
	cf_err err = st->ops->index_get(st, tx, "user", key, id);
	if (!err)
		err = cf_user_load(st, tx, id, ret, ret_version);
	return err;
}

static void account_key(char out[65], const char *email)
{
	char norm[256];
	cf_email_normalise(norm, sizeof(norm), email);
	cf_sha256_hex(out, norm, strlen(norm));
}

/* HMAC of the pending id and the code under the server secret: what the
 * pending login keeps instead of the code. */
static void code_mac(char out[65], const uint8_t *secret, const char *pending, const char *code)
{
	uint8_t msg[80], mac[32];
	size_t pl = strlen(pending), cl = strlen(code);
	if (pl + cl + 1 > sizeof(msg))
		pl = cl = 0;
	memcpy(msg, pending, pl);
	msg[pl] = ':';
	memcpy(msg + pl + 1, code, cl);
	cf_hmac_sha256(mac, secret, CF_SERVER_SECRET_BYTES, msg, pl + cl + 1);
	cf_hex_encode(out, 65, mac, 32);
}

static cf_err send_code(struct cf_request *req, const struct cf_user *user, const char *method,
                        const char *code)
{
	char text[200];
	snprintf(text, sizeof(text), "Your coffre login code is %s. It expires in 10 minutes. "
	         "If you did not try to log in, tell your administrator.", code);
	cf_err err = strcmp(method, "sms") == 0 ?
		cf_notify_sms(req->srv->notifier, user->phone, text) :
		cf_notify_email(req->srv->notifier, user->email, "Your coffre login code", text);
	sodium_memzero(text, sizeof(text));
	return err;
}

/* Whether the user's policy lets method be the second factor: a user with
 * TOTP has TOTP only (a code by e-mail or SMS would be a downgrade); else
 * e-mail, and SMS when a phone is set. */
static bool method_offered(const struct cf_user *user, const char *method)
{
	if (strcmp(method, "totp") == 0)
		return user->totp != NULL;
	if (user->totp)
		return false;
	return strcmp(method, "email") == 0 || (strcmp(method, "sms") == 0 && user->phone);
}

static json_t *methods_of(const struct cf_user *user)
{
	json_t *m = json_array();
	for (size_t i = 0; m && sf_methods[i]; i++)
		if (method_offered(user, sf_methods[i]))
			json_array_append_new(m, json_string(sf_methods[i]));
	return m;
}

static const char *preferred(const struct cf_user *user)
{
	if (user->totp)
		return "totp";
	const char *m = user->mfa;
	return m && strcmp(m, "sms") == 0 && user->phone ? "sms" : "email";
}

/* --- login ---------------------------------------------------------------- */

struct login_ctx {
	struct cf_user user;  /* user.doc NULL when the address or password is wrong */
	char account[65];
	char pending[33];
	char code[8];
	char nonce[NONCE_B64_LEN + 1];
};

static void login_free(void *p)
{
	struct login_ctx *c = p;
	if (!c)
		return;
	cf_user_clear(&c->user);
	sodium_memzero(c->code, sizeof(c->code));
	free(c);
}

/* A fresh code for method into code and its HMAC into mac (both "" for TOTP). */
static void fresh_code(const struct cf_request *req, const char *pending, const char *method,
                       char code[8], char mac[65])
{
	code[0] = mac[0] = '\0';
	if (strcmp(method, "totp") != 0) {
		snprintf(code, 8, "%06u", (unsigned)randombytes_uniform(1000000));
		code_mac(mac, req->srv->secret, pending, code);
	}
}

/* A pending login with a fresh code for method (none for TOTP) and the
 * server nonce the device signs (into ret_nonce, base64url). */
static cf_err new_pending(struct cf_audit_tx *atx, struct cf_request *req, const struct cf_user *user,
                          const char *pending, const char *method, char code[8],
                          const char *device_pk, char ret_nonce[NONCE_B64_LEN + 1])
{
	char mac[65];
	uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES];
	fresh_code(req, pending, method, code, mac);
	cf_random_bytes(nonce, sizeof(nonce));
	cf_b64url_encode(ret_nonce, NONCE_B64_LEN + 1, nonce, sizeof(nonce));
	struct cf_pending p = { .user = user->id, .method = method, .code_mac = mac,
	                        .device_pk = device_pk, .nonce = ret_nonce,
	                        .expires_ms = (int64_t)(cf_now_ms() + CODE_TTL_MS) };
	return cf_pending_save(atx->tx, pending, &p);
}

static cf_err login_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct login_ctx *c = req->ctx;
	cf_err err = cf_attempts_record(atx, req, CF_ATT_PASSWORD, c->account, c->user.doc != NULL);
	if (err)
		return err;
	if (!c->user.doc) {
		login_failed(req);
		return CF_OK; /* the failure count must be kept */
	}
	const char *method = preferred(&c->user);
	err = new_pending(atx, req, &c->user, c->pending, method, c->code,
	                  CF_ARGS(req, struct login_args)->device_pk, c->nonce);
	if (err)
		return err;
	const char *sent = NULL;
	if (c->code[0]) {
		if (send_code(req, &c->user, method, c->code) != CF_OK) {
			cf_reply_problem(&req->reply, CF_P_DELIVERY_UNAVAILABLE,
			                 "the login code cannot be sent now (%s not configured or busy)",
			                 method);
			return CF_ERR_BUSY;
		}
		sent = method;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s, s:o, s:s?}", "pending",
	                   c->pending, "nonce", c->nonce, "methods", methods_of(&c->user),
	                   "sent", sent));
	return CF_OK;
}

void cf_h_login(struct cf_request *req)
{
	const struct login_args *a = CF_ARGS(req, struct login_args);
	const char *email = a->email;
	struct login_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return;
	}
	req->ctx = c;
	req->ctx_free = login_free;
	account_key(c->account, email);
	if (!cf_attempts_allowed(req, CF_ATT_PASSWORD, c->account))
		return;
	struct cf_user user = { 0 };
	cf_err err = cf_user_by_email(req->srv->store, NULL, email, &user, NULL);
	bool active = !err && user.status && strcmp(user.status, "active") == 0;
	const char *hash = active && user.auth_hash ? user.auth_hash : cf_dummy_pwhash();
	bool ok = cf_pwhash_str_verify(hash, a->auth_key, sizeof(a->auth_key)) == CF_OK && active;
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "accounts cannot be read now");
		return;
	}
	if (ok)
		c->user = user;
	else
		cf_user_clear(&user);
	cf_new_id_hex(c->pending);
	req->write = login_write;
	login_failed(req); /* replaced by the write when the password is right */
}

/* --- second factor ---------------------------------------------------------- */

struct sf_ctx {
	struct cf_pending pending;
	struct cf_user user;
	bool ok;
	uint64_t totp_step;
	char device_id[33];
};

static void sf_free(void *p)
{
	struct sf_ctx *c = p;
	if (!c)
		return;
	cf_pending_clear(&c->pending);
	cf_user_clear(&c->user);
	free(c);
}

/* The TOTP secret, sealed at rest with a key derived from the server secret. */
cf_err cf_totp_secret_open(const struct cf_server *srv, const char *uid, const char *sealed_b64,
                           uint8_t out[20])
{
	uint8_t sealed[12 + 20 + 16], key[32];
	size_t len = 0;
	if (!uid || !sealed_b64 ||
	    cf_b64url_decode(sealed, sizeof(sealed), &len, sealed_b64, strlen(sealed_b64)) ||
	    len != sizeof(sealed))
		return CF_ERR_INVALID;
	cf_hkdf_sha256(key, 32, srv->secret, CF_SERVER_SECRET_BYTES, NULL, 0,
	               (const uint8_t *)"coffre-v1 totp at rest", 22);
	cf_err err = cf_aead_open(out, sealed + 12, sizeof(sealed) - 12, (const uint8_t *)uid,
	                          strlen(uid), sealed, key);
	sodium_memzero(key, sizeof(key));
	return err;
}

static bool check_code(struct cf_request *req, struct sf_ctx *c, const char *method,
                       const char *code)
{
	const char *want = c->pending.method;
	if (strcmp(method, "totp") == 0) {
		uint8_t secret[20];
		if (cf_totp_secret_open(req->srv, c->user.id, c->user.totp, secret))
			return false;
		bool ok = cf_totp_verify(code, secret, sizeof(secret), cf_now_ms() / 1000, 1,
		                         &c->totp_step) == CF_OK;
		sodium_memzero(secret, sizeof(secret));
		return ok;
	}
	if (!want || strcmp(want, method) != 0 || !method_offered(&c->user, method))
		return false;
	char mac[65];
	code_mac(mac, req->srv->secret, CF_ARGS(req, struct sf_args)->pending, code);
	const char *stored = c->pending.code_mac;
	return stored && strlen(stored) == 64 && sodium_memcmp(mac, stored, 64) == 0;
}

/* Whether proof is the signature, by the device key the pending login names,
 * of this pending login's id and nonce (DESIGN §5.3): the client holds the
 * key, it does not merely know it. */
static bool device_proof_ok(const struct cf_pending *p, const char *pid,
                            const uint8_t proof[CF_SIGN_BYTES])
{
	uint8_t id[CF_DEVICE_PROOF_PENDING_BYTES], nonce[CF_DEVICE_PROOF_NONCE_BYTES];
	uint8_t pk[CF_SIGN_PK_BYTES];
	size_t nonce_len = 0, pk_len = 0;
	const char *nonce_b64 = p->nonce, *pk_b64 = p->device_pk;
	return nonce_b64 && pk_b64 && strlen(pid) == 2 * sizeof(id) &&
	       cf_hex_decode(id, sizeof(id), pid, strlen(pid)) == CF_OK &&
	       cf_b64url_decode(nonce, sizeof(nonce), &nonce_len, nonce_b64,
	                        strlen(nonce_b64)) == CF_OK && nonce_len == sizeof(nonce) &&
	       cf_b64url_decode(pk, sizeof(pk), &pk_len, pk_b64, strlen(pk_b64)) == CF_OK &&
	       pk_len == sizeof(pk) && cf_device_proof_verify(proof, id, nonce, pk) == CF_OK;
}

/* The device this login comes from: known by its key, or registered now
 * (pending approval when the organisation asks for it). */
static cf_err login_device(struct cf_audit_tx *atx, struct cf_request *req, struct sf_ctx *c,
                           struct cf_device *ret_device)
{
	cf_store *st = atx->tx->st;
	uint8_t pk[32];
	size_t got = 0;
	const char *pk_b64 = c->pending.device_pk;
	if (!pk_b64 || cf_b64url_decode(pk, sizeof(pk), &got, pk_b64, strlen(pk_b64)) || got != 32)
		return CF_ERR_INVALID;
	char hash[65], key[80], id[65];
	cf_sha256_hex(hash, pk, 32);
	snprintf(key, sizeof(key), "pk:%s", hash);
	struct cf_device dev = { 0 };
	if (st->ops->index_get(st, atx->tx, "device", key, id) == CF_OK &&
	    cf_device_load(st, atx->tx, id, &dev, NULL) == CF_OK) {
		/* another user's device, or (never, as the index is by key) a
		 * device registered with a key other than the one that signed */
		if (strcmp(dev.user, c->user.id) != 0 || !dev.sign_pk ||
		    strcmp(dev.sign_pk, pk_b64) != 0) {
			cf_device_clear(&dev);
			return CF_ERR_DENIED;
		}
		*ret_device = dev;
		return CF_OK;
	}
	json_t *org = NULL;
	bool approval = cf_doc_load(st, atx->tx, "org", c->user.org, &org, NULL) == CF_OK &&
	                cf_jbool(org, "device_approval");
	json_decref(org);
	cf_new_id_hex(c->device_id);
	dev = (struct cf_device){ .id = c->device_id, .user = c->user.id, .org = c->user.org,
	                          .sign_pk = c->pending.device_pk,
	                          .status = approval ? "pending" : "approved",
	                          .created_ms = (int64_t)cf_now_ms() };
	cf_err err = cf_device_update(&dev);
	if (!err)
		err = cf_doc_save(atx, &req->audit.fields, "device", c->device_id, c->user.org, 1,
		                  dev.doc, "create");
	if (!err)
		err = st->ops->index_put(atx->tx, "device", key, c->device_id);
	if (!err)
		err = cf_key_register(atx, &req->audit.fields, "device", c->device_id, pk, 32, NULL);
	if (err) {
		cf_device_clear(&dev);
		return err;
	}
	*ret_device = dev;
	return CF_OK;
}

static cf_err sf_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct sf_ctx *c = req->ctx;
	cf_store *st = atx->tx->st;
	const struct sf_args *a = CF_ARGS(req, struct sf_args);
	const char *pid = a->pending;
	const char *uid = c->user.id;
	CF_AUTO_PENDING p = { 0 };
	/* Re-read inside the transaction: tries and single use hold under races. */
	if (cf_pending_load(st, atx->tx, pid, &p) != CF_OK) {
		login_failed(req);
		return CF_OK;
	}
	if (c->ok && strcmp(a->method, "totp") == 0) {
		char key[100];
		snprintf(key, sizeof(key), "%s:%llu", uid, (unsigned long long)c->totp_step);
		json_t *used = NULL;
		if (cf_eph_load(st, atx->tx, "totp-used", key, &used) == CF_OK) {
			c->ok = false; /* each code is usable once */
			json_decref(used);
		} else {
			json_t *mark = json_pack("{s:b}", "used", 1);
			cf_err err = cf_eph_save(atx->tx, "totp-used", key, mark, cf_now_ms() + 5 * 60 * 1000);
			json_decref(mark);
			if (err)
				return err;
		}
	}
	cf_err err = cf_attempts_record(atx, req, CF_ATT_CODE, uid, c->ok);
	if (!err && !c->ok) {
		p.tries++;
		if (p.tries >= CODE_TRIES)
			err = st->ops->eph_del(atx->tx, "pending", pid);
		else
			err = cf_pending_save(atx->tx, pid, &p);
		login_failed(req);
		return err;
	}
	if (err)
		return err;
	err = st->ops->eph_del(atx->tx, "pending", pid);
	struct cf_device dev = { 0 };
	if (!err)
		err = login_device(atx, req, c, &dev);
	if (err == CF_ERR_DENIED) {
		login_failed(req);
		return err;
	}
	char token[CF_SESSION_TEXT_LEN + 1];
	if (!err)
		err = cf_session_create(atx, req, &c->user, dev.id, token, sizeof(token));
	if (!err) {
		const struct cf_user *u = &c->user;
		cf_reply_json_take(&req->reply, 200, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I}",
			"token", token, "user_id", uid, "org_id", u->org,
			"role", u->role, "device_id", dev.id,
			"device_status", dev.status, "bundle", u->bundle,
			"sign_pk", u->sign_pk, "enc_pk", u->enc_pk,
			"idle_timeout_s", (json_int_t)req->srv->cfg.idle_timeout_s,
			"expires_in_s", (json_int_t)req->srv->cfg.session_lifetime_s));
	}
	sodium_memzero(token, sizeof(token));
	cf_device_clear(&dev);
	return err;
}

/* The pending login and its user into a new context, or the generic 401. */
static struct sf_ctx *load_pending(struct cf_request *req, const char *pid)
{
	cf_store *st = req->srv->store;
	struct sf_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return NULL;
	}
	req->ctx = c;
	req->ctx_free = sf_free;
	const char *uid = NULL;
	if (cf_pending_load(st, NULL, pid, &c->pending) != CF_OK ||
	    !(uid = c->pending.user) ||
	    cf_user_load(st, NULL, uid, &c->user, NULL) != CF_OK) {
		login_failed(req);
		return NULL;
	}
	return c;
}

void cf_h_second_factor(struct cf_request *req)
{
	const struct sf_args *a = CF_ARGS(req, struct sf_args);
	const char *method = a->method, *code = a->code;
	struct sf_ctx *c = load_pending(req, a->pending);
	if (!c)
		return;
	const char *uid = c->pending.user;
	if (!cf_attempts_allowed(req, CF_ATT_CODE, uid))
		return;
	/* both checked, always: a wrong proof counts as a wrong code */
	bool code_ok = check_code(req, c, method, code);
	bool proof_ok = device_proof_ok(&c->pending, a->pending, a->device_proof);
	c->ok = code_ok && proof_ok;
	req->write = sf_write;
	login_failed(req);
}

static void too_many_codes(struct cf_request *req)
{
	cf_reply_problem(&req->reply, CF_P_TOO_MANY_CODES,
	                 "no more codes are sent for this login; start the login again");
}

/* A new code by method for the same pending login: its tries, expiry, nonce
 * and device stay as they are (a resend is no fresh start), and at most
 * CODE_RESENDS codes are sent again. */
static cf_err send_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct sf_ctx *c = req->ctx;
	const char *method = CF_ARGS(req, struct sf_args)->method;
	const char *pid = CF_ARGS(req, struct sf_args)->pending;
	CF_AUTO_PENDING p = { 0 };
	/* Re-read inside the transaction: the count of resends holds under races. */
	if (cf_pending_load(atx->tx->st, atx->tx, pid, &p) != CF_OK) {
		login_failed(req);
		return CF_OK;
	}
	if (p.sends >= CODE_RESENDS) {
		too_many_codes(req);
		return CF_OK;
	}
	char code[8], mac[65];
	fresh_code(req, pid, method, code, mac);
	p.method = method;
	p.code_mac = mac;
	p.sends++;
	cf_err err = cf_pending_save(atx->tx, pid, &p);
	if (!err && send_code(req, &c->user, method, code) != CF_OK) {
		cf_reply_problem(&req->reply, CF_P_DELIVERY_UNAVAILABLE,
		                 "the code cannot be sent now (%s not configured or busy)", method);
		err = CF_ERR_BUSY;
	}
	sodium_memzero(code, sizeof(code));
	if (!err)
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s}", "pending", pid, "sent", method));
	return err;
}

void cf_h_second_factor_send(struct cf_request *req)
{
	const char *method = CF_ARGS(req, struct sf_args)->method;
	struct sf_ctx *c = load_pending(req, CF_ARGS(req, struct sf_args)->pending);
	if (!c)
		return;
	const char *uid = c->pending.user;
	/* the spec admits email and sms; the account's policy may not (TOTP:
	 * no code by e-mail or SMS; SMS only with a phone) */
	if (!method_offered(&c->user, method)) {
		cf_reply_problem(&req->reply, CF_P_METHOD_NOT_OFFERED,
		                 "this account's second factor is not %s", method);
		return;
	}
	if (c->pending.sends >= CODE_RESENDS) {
		too_many_codes(req);
		return;
	}
	if (!cf_attempts_allowed(req, CF_ATT_CODE, uid))
		return;
	req->write = send_write;
	login_failed(req);
}
