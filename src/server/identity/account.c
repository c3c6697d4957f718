/* The user's own account: TOTP, PIN, phone, recovery code, password, and
 * recovery of a forgotten password with the recovery code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "crypto/pwhash.h"
#include "crypto/totp.h"
#include "server/identity/identity.h"
#include "server/notify/notify.h"
#include "util/encoding.h"

struct acct_ctx {
	struct cf_user user;
	uint64_t version;
	bool ok;
	uint64_t step;
	bool key_proof;         /* an auth_key was checked: a password attempt */
	char account[65];       /* the password counters' key, as login's */
	const char *changed;    /* what a sensitive change changed, for the notice */
};

/* A second factor passed this recently is a fresh proof (DESIGN §5.3). */
#define FRESH_FACTOR_MS (5 * 60 * 1000)

static void acct_free(void *p)
{
	struct acct_ctx *c = p;
	if (c)
		cf_user_clear(&c->user);
	free(c);
}

/* The caller's (or the addressed user's) document into a fresh context. */
static struct acct_ctx *acct_load(struct cf_request *req, const char *user_id)
{
	struct acct_ctx *c = calloc(1, sizeof(*c));
	if (!c || cf_user_load(req->srv->store, NULL, user_id, &c->user, &c->version)) {
		free(c);
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the account cannot be read now");
		return NULL;
	}
	req->ctx = c;
	req->ctx_free = acct_free;
	return c;
}

static cf_err acct_save(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	cf_err err = cf_doc_save(atx, &req->audit.fields, "user", c->user.id, c->user.org,
	                         c->version + 1, c->user.doc, "update");
	if (err == CF_ERR_CONFLICT)
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the account changed meanwhile; try again");
	return err;
}

static cf_err save_204(struct cf_audit_tx *atx, struct cf_request *req)
{
	cf_err err = acct_save(atx, req);
	if (!err)
		cf_reply_text(&req->reply, 204, "application/json", "", 0);
	return err;
}

static void pending_write(struct cf_request *req, cf_err (*fn)(struct cf_audit_tx *, struct cf_request *))
{
	req->write = fn;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the change was not stored");
}

static cf_err hash_text(const char *s, char out[CF_PWHASH_STR_BYTES])
{
	return cf_pwhash_str(out, (const uint8_t *)s, strlen(s));
}

static cf_err hash_key(const uint8_t key[32], char out[CF_PWHASH_STR_BYTES])
{
	return cf_pwhash_str(out, key, 32);
}

static bool verify_key(const uint8_t key[32], const char *hash)
{
	return hash && cf_pwhash_str_verify(hash, key, 32) == CF_OK;
}

/* --- fresh proof and notice of sensitive changes ------------------------------- */

/* Password attempts are counted per account under the key login uses (hex
 * SHA-256 of the normalised e-mail), so guesses made here and at login
 * share one counter. */
static void password_account(struct acct_ctx *c)
{
	char norm[256];
	cf_email_normalise(norm, sizeof(norm), c->user.email ? c->user.email : c->user.id);
	cf_sha256_hex(c->account, norm, strlen(norm));
}

/* Changing a second factor, the phone, the recovery code or the PIN needs a
 * fresh proof (DESIGN §5.3): the current auth_key (all zero: not given, as
 * an absent optional field binds to zero), or a session whose second factor
 * passed in the last 5 minutes. The auth_key is checked here (Argon2id) and
 * counted by the write as a password attempt; a wrong one sets c->ok false.
 * Answers (403 fresh-proof-required, 429) and returns false otherwise. */
static bool fresh_proof(struct cf_request *req, struct acct_ctx *c, const uint8_t auth_key[32],
                        const char *changed)
{
	c->changed = changed;
	if (!sodium_is_zero(auth_key, 32)) {
		password_account(c);
		if (!cf_attempts_allowed(req, CF_ATT_PASSWORD, c->account))
			return false;
		c->key_proof = true;
		c->ok = verify_key(auth_key, c->user.auth_hash);
		return true;
	}
	int64_t at = req->session ? (int64_t)cf_jint(req->session, "factor_ms") : 0;
	int64_t now = (int64_t)cf_now_ms();
	if (at > 0 && now - at <= FRESH_FACTOR_MS) {
		c->ok = true;
		return true;
	}
	cf_reply_problem(&req->reply, CF_P_FRESH_PROOF_REQUIRED,
	                 "changing the %s needs a fresh proof: send auth_key (from your password), "
	                 "or log in again (a second factor passed in the last 5 minutes)", changed);
	return false;
}

/* Tells the account's address that something changed: what and when, no
 * value and no secret. Best effort: the change stands if the mail cannot
 * be queued. */
static void notify_change(struct cf_request *req, const struct cf_user *u, const char *changed)
{
	if (!u->email || !changed)
		return;
	char when[40] = "";
	time_t t = (time_t)(cf_now_ms() / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	char text[600];
	snprintf(text, sizeof(text),
	         "The %s of your coffre account was changed on %s.\n\n"
	         "If you did not make this change, tell your administrator at once:\n"
	         "someone may know your password or use one of your devices.\n", changed, when);
	(void)cf_notify_email(req->srv->notifier, u->email, "Your coffre account was changed", text);
}

/* The write of a sensitive change prepared in c->user by the handler (only
 * when c->ok): the password attempt, if an auth_key was the proof, then the
 * new version and the notice. */
static cf_err sensitive_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	if (c->key_proof) {
		cf_err err = cf_attempts_record(atx, req, CF_ATT_PASSWORD, c->account, c->ok);
		if (err)
			return err;
	}
	if (!c->ok) {
		cf_reply_problem(&req->reply, CF_P_LOGIN_FAILED,
		                 "auth_key is not the current password's: no proof, nothing changed");
		return CF_OK;
	}
	cf_err err = save_204(atx, req);
	if (!err)
		notify_change(req, &c->user, c->changed);
	return err;
}

/* --- TOTP ------------------------------------------------------------------ */

static cf_err totp_seal(const struct cf_server *srv, const char *uid, const uint8_t secret[20],
                        char *ret, size_t cap)
{
	uint8_t sealed[12 + 20 + 16], key[32];
	cf_random_bytes(sealed, 12);
	cf_hkdf_sha256(key, 32, srv->secret, CF_SERVER_SECRET_BYTES, NULL, 0,
	               (const uint8_t *)"coffre-v1 totp at rest", 22);
	cf_err err = cf_aead_seal(sealed + 12, secret, 20, (const uint8_t *)uid, strlen(uid), sealed, key);
	sodium_memzero(key, sizeof(key));
	if (!err)
		err = cf_b64url_encode(ret, cap, sealed, sizeof(sealed));
	return err;
}

/* begin: a new secret, kept (sealed) as "totp_pending" until a code checks. */
static cf_err totp_begin_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	uint8_t secret[20];
	char b32[40], uri[200], sealed[80];
	cf_random_bytes(secret, sizeof(secret));
	cf_err err = totp_seal(req->srv, c->user.id, secret, sealed, sizeof(sealed));
	cf_base32_encode(b32, sizeof(b32), secret, sizeof(secret));
	sodium_memzero(secret, sizeof(secret));
	if (err)
		return err;
	c->user.totp_pending = sealed;
	err = cf_user_update(&c->user);
	if (!err)
		err = acct_save(atx, req);
	snprintf(uri, sizeof(uri), "otpauth://totp/coffre:%s?secret=%s&issuer=coffre&algorithm=SHA1"
	         "&digits=6&period=30", c->user.id, b32);
	if (!err)
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:s}", "secret", b32, "uri", uri));
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	return err;
}

void cf_h_totp_begin(struct cf_request *req)
{
	if (acct_load(req, req->who.id))
		pending_write(req, totp_begin_write);
}

struct code_args {
	const char *code;
};
static const struct cf_field code_fields[] = {
	CF_F_STRING(struct code_args, code, "code", true, 6, 6),
};
const struct cf_spec cf_spec_totp_confirm = CF_SPEC_BIND(code_fields, struct code_args);

static cf_err totp_confirm_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	cf_err err = cf_attempts_record(atx, req, CF_ATT_CODE, req->who.id, c->ok);
	if (err)
		return err;
	if (!c->ok) {
		cf_reply_problem(&req->reply, CF_P_WRONG_CODE, "the code does not match the new secret");
		return CF_OK;
	}
	c->user.totp = c->user.totp_pending;
	c->user.totp_pending = NULL;
	err = cf_user_update(&c->user);
	return err ? err : save_204(atx, req);
}

void cf_h_totp_confirm(struct cf_request *req)
{
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c || !cf_attempts_allowed(req, CF_ATT_CODE, req->who.id))
		return;
	if (!c->user.totp_pending) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "start with POST /v1/me/totp/begin");
		return;
	}
	uint8_t secret[20];
	c->ok = cf_totp_secret_open(req->srv, c->user.id, c->user.totp_pending, secret) == CF_OK &&
	        cf_totp_verify(CF_ARGS(req, struct code_args)->code, secret, sizeof(secret), cf_now_ms() / 1000,
	                       1, &c->step) == CF_OK;
	sodium_memzero(secret, sizeof(secret));
	pending_write(req, totp_confirm_write);
}

/* The proof of a sensitive change: the current auth_key, optional when a
 * second factor passed in the last 5 minutes. */
struct proof_args {
	uint8_t auth_key[32];
};
static const struct cf_field proof_fields[] = {
	CF_F_B64FIX(struct proof_args, auth_key, "auth_key", false),
};
const struct cf_spec cf_spec_totp_disable = CF_SPEC_BIND(proof_fields, struct proof_args);

void cf_h_totp_disable(struct cf_request *req)
{
	const struct proof_args *a = CF_ARGS(req, struct proof_args);
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c || !fresh_proof(req, c, a->auth_key, "two-step login (TOTP turned off)"))
		return;
	if (c->ok) {
		c->user.totp = c->user.totp_pending = NULL;
		if (cf_user_update(&c->user))
			return;
	}
	pending_write(req, sensitive_write);
}

/* --- PIN, phone ------------------------------------------------------------- */

struct pin_args {
	const char *pin;
	uint8_t auth_key[32];
};
static const struct cf_field pin_fields[] = {
	CF_F_PIN(struct pin_args, pin, "pin", true),
	CF_F_B64FIX(struct pin_args, auth_key, "auth_key", false),
};
const struct cf_spec cf_spec_pin = CF_SPEC_BIND(pin_fields, struct pin_args);

void cf_h_pin(struct cf_request *req)
{
	const struct pin_args *a = CF_ARGS(req, struct pin_args);
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c || !fresh_proof(req, c, a->auth_key, "PIN"))
		return;
	if (c->ok) {
		char hash[CF_PWHASH_STR_BYTES];
		if (hash_text(a->pin, hash))
			return;
		c->user.pin_hash = hash;
		cf_err err = cf_user_update(&c->user);
		sodium_memzero(hash, sizeof(hash));
		if (err)
			return;
	}
	pending_write(req, sensitive_write);
}

struct phone_args {
	const char *phone;
	uint8_t auth_key[32];
};
static const struct cf_field phone_fields[] = {
	CF_F_PHONE(struct phone_args, phone, "phone", true),
	CF_F_B64FIX(struct phone_args, auth_key, "auth_key", false),
};
const struct cf_spec cf_spec_phone = CF_SPEC_BIND(phone_fields, struct phone_args);

void cf_h_phone(struct cf_request *req)
{
	const struct phone_args *a = CF_ARGS(req, struct phone_args);
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c || !fresh_proof(req, c, a->auth_key, "phone number"))
		return;
	if (c->ok) {
		c->user.phone = a->phone;
		if (cf_user_update(&c->user))
			return;
	}
	pending_write(req, sensitive_write);
}

/* --- recovery code ------------------------------------------------------------ */

struct rc_args {
	uint8_t recovery_auth[32];
	const char *recovery_bundle;
	uint8_t auth_key[32];
};
static const struct cf_field rc_fields[] = {
	CF_F_B64FIX(struct rc_args, recovery_auth, "recovery_auth", true),
	CF_F_B64(struct rc_args, recovery_bundle, "recovery_bundle", true, 60, 4096),
	CF_F_B64FIX(struct rc_args, auth_key, "auth_key", false),
};
const struct cf_spec cf_spec_recovery_code = CF_SPEC_BIND(rc_fields, struct rc_args);

void cf_h_recovery_code(struct cf_request *req)
{
	const struct rc_args *a = CF_ARGS(req, struct rc_args);
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c || !fresh_proof(req, c, a->auth_key, "recovery code"))
		return;
	if (c->ok) {
		char hash[CF_PWHASH_STR_BYTES];
		if (hash_key(a->recovery_auth, hash))
			return;
		/* The old code stops working: its hash and its bundle are replaced. */
		c->user.recovery_hash = hash;
		c->user.recovery_bundle = a->recovery_bundle;
		cf_err err = cf_user_update(&c->user);
		sodium_memzero(hash, sizeof(hash));
		if (err)
			return;
	}
	pending_write(req, sensitive_write);
}

/* --- password (with a session) -------------------------------------------------- */

struct pw_args {
	uint8_t auth_key[32];
	const char *new_salt;
	uint8_t new_auth_key[32];
	const char *new_bundle;
};
static const struct cf_field pw_fields[] = {
	CF_F_B64FIX(struct pw_args, auth_key, "auth_key", true),
	CF_F_B64(struct pw_args, new_salt, "new_salt", true, 16, 16),
	CF_F_B64FIX(struct pw_args, new_auth_key, "new_auth_key", true),
	CF_F_B64(struct pw_args, new_bundle, "new_bundle", true, 60, 4096),
};
const struct cf_spec cf_spec_password = CF_SPEC_BIND(pw_fields, struct pw_args);

static cf_err password_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	cf_err err = cf_attempts_record(atx, req, CF_ATT_PASSWORD, c->account, c->ok);
	if (err)
		return err;
	if (!c->ok) {
		cf_reply_problem(&req->reply, CF_P_LOGIN_FAILED, "the current password is not right");
		return CF_OK;
	}
	err = save_204(atx, req);
	/* The new epoch ends every session of the user; this one goes on under
	 * it (an API key has no session to keep). */
	if (!err && req->session) {
		json_object_set_new(req->session, "epoch",
		                    json_integer((json_int_t)c->user.session_epoch));
		err = cf_eph_save(atx->tx, "session", req->session_key, req->session,
		                  (uint64_t)cf_jint(req->session, "expires_ms"));
	}
	return err;
}

void cf_h_password(struct cf_request *req)
{
	struct acct_ctx *c = acct_load(req, req->who.id);
	if (!c)
		return;
	password_account(c);
	if (!cf_attempts_allowed(req, CF_ATT_PASSWORD, c->account))
		return;
	const struct pw_args *a = CF_ARGS(req, struct pw_args);
	c->ok = verify_key(a->auth_key, c->user.auth_hash);
	char hash[CF_PWHASH_STR_BYTES];
	if (c->ok) {
		if (hash_key(a->new_auth_key, hash))
			return;
		c->user.auth_hash = hash;
		c->user.salt = a->new_salt;
		c->user.bundle = a->new_bundle;
		c->user.session_epoch++; /* every other session ends */
		cf_err err = cf_user_update(&c->user);
		sodium_memzero(hash, sizeof(hash));
		if (err)
			return;
	}
	pending_write(req, password_write);
}

void cf_h_password_salt(struct cf_request *req)
{
	uint8_t salt[16];
	cf_random_bytes(salt, sizeof(salt));
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o, s:i, s:i}", "salt",
	                   cf_jb64(salt, sizeof(salt)), "t_cost", CF_ARGON2_T_MIN, "m_cost_kib",
	                   CF_ARGON2_M_MIN_KIB));
}

/* --- recovery of a forgotten password (no session) ------------------------------- */

struct email_args {
	const char *email;
};
static const struct cf_field rb_fields[] = {
	CF_F_EMAIL(struct email_args, email, "email", true),
};
const struct cf_spec cf_spec_recover_begin = CF_SPEC_BIND(rb_fields, struct email_args);

/* Stable fake answers for unknown addresses: HMAC of the server secret. */
static void fake_bytes(const struct cf_server *srv, const char *what, const char *email,
                       uint8_t *out, size_t len)
{
	char norm[256], msg[320];
	cf_email_normalise(norm, sizeof(norm), email);
	snprintf(msg, sizeof(msg), "coffre-v1 fake %s\n%s", what, norm);
	uint8_t mac[32];
	cf_hmac_sha256(mac, srv->secret, CF_SERVER_SECRET_BYTES, (const uint8_t *)msg, strlen(msg));
	memcpy(out, mac, len < 32 ? len : 32);
	for (size_t i = 32; i < len; i++)
		out[i] = mac[i % 32] ^ (uint8_t)i;
}

/* Existing and unknown addresses get answers of the same shape: the user id
 * is no part of it (it is revealed by recover/verify, to the holder of the
 * recovery code), and an account without a recovery bundle gets a fake one. */
void cf_h_recover_begin(struct cf_request *req)
{
	const char *email = CF_ARGS(req, struct email_args)->email;
	CF_AUTO_USER user = { 0 };
	uint8_t salt[16], bundle[92];
	cf_random_bytes(salt, sizeof(salt));
	fake_bytes(req->srv, "bundle", email, bundle, sizeof(bundle));
	bool found = cf_user_by_email(req->srv->store, NULL, email, &user, NULL) == CF_OK;
	json_t *rb = found && user.recovery_bundle ? json_string(user.recovery_bundle) :
	             cf_jb64(bundle, sizeof(bundle));
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o, s:o, s:i, s:i}",
		"recovery_bundle", rb, "salt", cf_jb64(salt, sizeof(salt)),
		"t_cost", CF_ARGON2_T_MIN, "m_cost_kib", CF_ARGON2_M_MIN_KIB));
}

/* The recovery counters are kept per address (hex SHA-256 of the normalised
 * e-mail): unknown addresses are counted like known ones. */
static void recover_account(char out[65], const char *email)
{
	char norm[256];
	cf_email_normalise(norm, sizeof(norm), email);
	cf_sha256_hex(out, norm, strlen(norm));
}

/* Loads the addressed user into a new context and checks the recovery code
 * (a dummy verifier for unknown addresses: same time); c->ok says. */
static struct acct_ctx *recover_check(struct cf_request *req, const char *email,
                                      const uint8_t recovery_auth[32])
{
	char account[65];
	recover_account(account, email);
	if (!cf_attempts_allowed(req, CF_ATT_PASSWORD, account))
		return NULL;
	struct acct_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory");
		return NULL;
	}
	req->ctx = c;
	req->ctx_free = acct_free;
	bool found = cf_user_by_email(req->srv->store, NULL, email, &c->user,
	                              &c->version) == CF_OK;
	const char *hash = found && c->user.recovery_hash ? c->user.recovery_hash :
	                   cf_dummy_pwhash();
	c->ok = verify_key(recovery_auth, hash) && found;
	return c;
}

/* In the write: the attempt is counted; false (answered 401) when wrong. */
static bool recover_counted(struct cf_audit_tx *atx, struct cf_request *req, const char *email,
                            cf_err *ret_err)
{
	struct acct_ctx *c = req->ctx;
	char account[65];
	recover_account(account, email);
	*ret_err = cf_attempts_record(atx, req, CF_ATT_PASSWORD, account, c->ok);
	if (*ret_err)
		return false;
	if (!c->ok) {
		cf_reply_problem(&req->reply, CF_P_LOGIN_FAILED,
		                 "the e-mail address or recovery code is not right");
		return false;
	}
	return true;
}

struct rv_args {
	const char *email;
	uint8_t recovery_auth[32];
};
static const struct cf_field rv_fields[] = {
	CF_F_EMAIL(struct rv_args, email, "email", true),
	CF_F_B64FIX(struct rv_args, recovery_auth, "recovery_auth", true),
};
const struct cf_spec cf_spec_recover_verify = CF_SPEC_BIND(rv_fields, struct rv_args);

static cf_err recover_verify_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct acct_ctx *c = req->ctx;
	cf_err err = CF_OK;
	if (recover_counted(atx, req, CF_ARGS(req, struct rv_args)->email, &err))
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s}", "user_id", c->user.id));
	return err;
}

/* POST /v1/auth/recover/verify: the user id (the AAD of the key bundles),
 * only to the holder of the recovery code. Counted as a password attempt. */
void cf_h_recover_verify(struct cf_request *req)
{
	const struct rv_args *a = CF_ARGS(req, struct rv_args);
	if (recover_check(req, a->email, a->recovery_auth))
		pending_write(req, recover_verify_write);
}

struct rec_args {
	const char *email;
	uint8_t recovery_auth[32];
	const char *salt;
	uint8_t auth_key[32];
	const char *bundle;
	uint8_t new_recovery_auth[32];
	const char *new_recovery_bundle;
};
static const struct cf_field rec_fields[] = {
	CF_F_EMAIL(struct rec_args, email, "email", true),
	CF_F_B64FIX(struct rec_args, recovery_auth, "recovery_auth", true),
	CF_F_B64(struct rec_args, salt, "salt", true, 16, 16),
	CF_F_B64FIX(struct rec_args, auth_key, "auth_key", true),
	CF_F_B64(struct rec_args, bundle, "bundle", true, 60, 4096),
	CF_F_B64FIX(struct rec_args, new_recovery_auth, "new_recovery_auth", true),
	CF_F_B64(struct rec_args, new_recovery_bundle, "new_recovery_bundle", true, 60, 4096),
};
const struct cf_spec cf_spec_recover = CF_SPEC_BIND(rec_fields, struct rec_args);

static cf_err recover_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	cf_err err = CF_OK;
	if (!recover_counted(atx, req, CF_ARGS(req, struct rec_args)->email, &err))
		return err;
	return save_204(atx, req);
}

/* A new password with the recovery code. The code is spent: the request
 * brings the next one (its recovery_auth and recovery bundle, made by the
 * client as at enrolment), and every session ends. */
void cf_h_recover(struct cf_request *req)
{
	const struct rec_args *a = CF_ARGS(req, struct rec_args);
	struct acct_ctx *c = recover_check(req, a->email, a->recovery_auth);
	if (!c)
		return;
	if (c->ok) {
		char newhash[CF_PWHASH_STR_BYTES], rechash[CF_PWHASH_STR_BYTES];
		if (hash_key(a->auth_key, newhash))
			return;
		if (hash_key(a->new_recovery_auth, rechash)) {
			sodium_memzero(newhash, sizeof(newhash));
			return;
		}
		c->user.auth_hash = newhash;
		c->user.salt = a->salt;
		c->user.bundle = a->bundle;
		c->user.recovery_hash = rechash;
		c->user.recovery_bundle = a->new_recovery_bundle;
		c->user.session_epoch++; /* a new password ends every session */
		cf_err err = cf_user_update(&c->user);
		sodium_memzero(newhash, sizeof(newhash));
		sodium_memzero(rechash, sizeof(rechash));
		if (err)
			return;
	}
	pending_write(req, recover_write);
}
