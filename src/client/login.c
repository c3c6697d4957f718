/* Login (DESIGN §5.1-3: prelogin, credentials, second factor), and the
 * session's own calls: unlock, logout, me. A cf_login holds the kek between
 * two calls, in locked memory; the key bundle the server returns must open
 * with it and hold the account's keys before anything is stored. The device
 * proves it holds its key by signing the server's nonce (DESIGN §5.3) as soon
 * as the login answer comes; the second factor carries that proof. */
#include <string.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/sign.h"
#include "util/encoding.h"

#define PENDING_MAX        128
#define LOGIN_METHODS_MAX  4

struct cf_login {
	char email[CF_EMAIL_MAX + 1];
	char pending[PENDING_MAX + 1];
	char sent[CF_METHOD_MAX + 1];
	char methods[LOGIN_METHODS_MAX][CF_METHOD_MAX + 1];
	size_t n_methods;
	uint8_t device_proof[CF_SIGN_BYTES];
	uint8_t kek[CF_ID_KEY_BYTES];
};

void cf_login_free(cf_login *login)
{
	if (login)
		sodium_free(login);
}

static void login_freep(cf_login **l)
{
	cf_login_free(*l);
}

const char *cf_login_sent(const cf_login *login)
{
	return login && login->sent[0] ? login->sent : NULL;
}

const char *cf_login_method(const cf_login *login, size_t index)
{
	return login && index < login->n_methods ? login->methods[index] : NULL;
}

bool cf_login_offers(const cf_login *login, const char *method)
{
	for (size_t i = 0; login && method && i < login->n_methods; i++)
		if (strcmp(login->methods[i], method) == 0)
			return true;
	return false;
}

static bool method_known(const char *m)
{
	return m && (strcmp(m, "email") == 0 || strcmp(m, "sms") == 0 ||
	             strcmp(m, "totp") == 0);
}

/* POST /v1/auth/prelogin {email}. */
cf_err cf_prelogin(cf_client *c, struct cf_id_problem *p,
                   const char *email, struct cf_kdf_params *ret)
{
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s}", "email", email);
	CF_AUTO_SECRET_JSON *doc = NULL;
	cf_err err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/prelogin",
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc);
	if (err)
		return err;
	const char *kdf = json_string_value(json_object_get(doc, "kdf"));
	if (!kdf || strcmp(kdf, "argon2id") != 0)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		                    "the server asks for a password hash other "
		                    "than argon2id; this client speaks "
		                    "coffre-v1 only");
	const json_t *par = json_object_get(doc, "parallelism");
	if (par && (!json_is_integer(par) || json_integer_value(par) != 1))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		                    "the server asks for Argon2id with "
		                    "parallelism other than 1; coffre-v1 uses p "
		                    "= 1");
	return cf_answer_kdf(c, p, doc, "prelogin", ret);
}

cf_err cf_login_device_proof(uint8_t ret_proof[CF_SIGN_BYTES],
                             const char *pending,
                             const uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES],
                             const uint8_t sk[CF_SIGN_SK_BYTES])
{
	uint8_t id[CF_DEVICE_PROOF_PENDING_BYTES];
	if (!ret_proof || !pending || !nonce || !sk ||
	    strlen(pending) != 2 * sizeof id ||
	    cf_hex_decode(id, sizeof id, pending, strlen(pending)) != CF_OK)
		return CF_ERR_INVALID;
	return cf_device_proof_sign(ret_proof, id, nonce, sk);
}

/* The pending login, the second factors this client knows among those on
 * offer, and the one a code was sent by, from the login answer into l; the
 * device's proof over the pending id and the nonce, signed with sk. */
static cf_err login_answer(cf_client *c, struct cf_id_problem *p,
                           const json_t *doc, const uint8_t *sk, cf_login *l)
{
	if (!cf_answer_text(doc, "pending", l->pending, sizeof l->pending))
		return cf_answer_bad(c, p, "login", "pending");
	uint8_t nonce[CF_DEVICE_PROOF_NONCE_BYTES];
	if (!cf_answer_b64(doc, "nonce", nonce, sizeof nonce))
		return cf_answer_bad(c, p, "login", "nonce");
	if (cf_login_device_proof(l->device_proof, l->pending, nonce, sk))
		return cf_answer_bad(c, p, "login", "pending");
	const json_t *methods = json_object_get(doc, "methods");
	if (!json_is_array(methods) || json_array_size(methods) == 0)
		return cf_answer_bad(c, p, "login", "methods");
	size_t i;
	const json_t *m;
	json_array_foreach(methods, i, m) {
		const char *s = json_string_value(m);
		/* Methods this client does not know are left out. */
		if (!method_known(s) || l->n_methods == LOGIN_METHODS_MAX)
			continue;
		memcpy(l->methods[l->n_methods++], s, strlen(s) + 1);
	}
	if (l->n_methods == 0)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		                    "the server offers no second factor this "
		                    "client knows (email, sms, totp)");
	const json_t *sent = json_object_get(doc, "sent");
	if (json_is_string(sent) && method_known(json_string_value(sent)))
		memcpy(l->sent, json_string_value(sent),
		       strlen(json_string_value(sent)) + 1);
	else if (sent && !json_is_null(sent))
		return cf_answer_bad(c, p, "login", "sent");
	return CF_OK;
}

cf_err cf_login_begin(cf_client *client, const char *email,
                      const char *password, size_t password_len,
                      cf_login **ret, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = cf_check_email(c, p, email)) ||
	    (err = cf_check_password(c, p, password, password_len)))
		return err;
	CF_CLEANUP(login_freep) cf_login *l =
		sodium_malloc(sizeof *l);
	if (!l)
		return cf_call_nomem(c, p);
	memset(l, 0, sizeof *l);
	memcpy(l->email, email, strlen(email) + 1);

	struct cf_kdf_params kdf;
	if ((err = cf_prelogin(c, p, email, &kdf)))
		return err;
	uint8_t device_pk[CF_ID_KEY_BYTES];
	CF_AUTO_SODIUM uint8_t *device_sk = sodium_malloc(CF_SIGN_SK_BYTES);
	if (!device_sk)
		return cf_call_nomem(c, p);
	if ((err = cf_device_key_load(c, p, true, device_pk, device_sk)))
		return err;
	CF_SECRET_KEY(auth_key);
	err = cf_id_password_keys(auth_key, l->kek, password, password_len,
	                          &kdf);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot derive the keys from the password: "
		                    "%s",
		                    cf_strerror(err));
	CF_B64(b_auth);
	cf_b64_of(&b_auth, auth_key, sizeof auth_key);
	char b_dev[CF_B64_KEY_LEN + 1];
	cf_b64url_encode(b_dev, sizeof b_dev, device_pk, sizeof device_pk);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s, s:s}", "email", email,
	                            "auth_key", b_auth.text, "device_pk",
	                            b_dev);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/login",
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	if ((err = login_answer(c, p, doc, device_sk, l)))
		return err;
	*ret = l;
	l = NULL;
	return CF_OK;
}

cf_err cf_login_send(cf_client *client, cf_login *login, const char *method,
                     struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !login)
		return CF_ERR_INVALID;
	if (!method || (strcmp(method, "email") && strcmp(method, "sms")))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a code can be sent by email or sms");
	if (!cf_login_offers(login, method))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the server does not offer %s for this "
		                    "account",
		                    method);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s}", "pending", login->pending,
	                            "method", method);
	err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/second-factor/send",
		.has_body = true, .body = body }, NULL);
	if (!err)
		memcpy(login->sent, method, strlen(method) + 1);
	return err;
}

/* Ends a session the client will not keep (best effort). */
static void end_token(cf_client *c, const char *token)
{
	const struct cf_call logout = {
		.method = "POST", .path = "/v1/auth/logout",
		.auth = CF_CALL_TOKEN, .token = token,
	};
	char saved[CF_ERRMSG_MAX];
	cf_msg_format(saved, sizeof saved, "%s", cf_client_last_error(c));
	(void)cf_call(c, NULL, &logout, NULL);
	cf_call_error(c, "%s", saved);
}

/* A session token, wiped when it goes out of scope. */
struct token {
	char text[CF_TOKEN_MAX + 1];
};
static void token_wipe(struct token *t)
{
	sodium_memzero(t, sizeof *t);
}

/* The members of a second-factor answer besides the token, into *info (its
 * email aside), uid and sealed. Returns the first member missing or
 * invalid, NULL when all are good. */
static const char *session_members(const json_t *doc,
                                   struct cf_session_info *info,
                                   uint8_t uid[CF_ID_BYTES_RAW],
                                   uint8_t sealed[CF_BUNDLE_SEALED_BYTES])
{
	const char *bad = cf_answer_account(doc, info->user_id, uid,
	                                    info->org_id, info->role,
	                                    sizeof info->role);
	if (!bad)
		bad = cf_answer_device(doc, info->device_id, info->device_status,
		                       sizeof info->device_status);
	if (!bad && !cf_answer_b64(doc, "bundle", sealed,
	                           CF_BUNDLE_SEALED_BYTES))
		bad = "bundle";
	if (!bad && !cf_answer_b64(doc, "sign_pk", info->sign_pk,
	                           CF_ID_KEY_BYTES))
		bad = "sign_pk";
	if (!bad && !cf_answer_b64(doc, "enc_pk", info->enc_pk,
	                           CF_ID_KEY_BYTES))
		bad = "enc_pk";
	if (bad)
		return bad;
	if (!cf_answer_long(doc, "idle_timeout_s", 0, 1L << 30,
	                    &info->idle_timeout_s))
		info->idle_timeout_s = -1;
	if (!cf_answer_long(doc, "expires_in_s", 0, 1L << 30,
	                    &info->expires_in_s))
		info->expires_in_s = -1;
	return NULL;
}

/* The bundle must open with this password's kek and hold the keys the
 * server registered: else the server is not giving back our keys. */
static cf_err bundle_is_ours(const cf_login *login,
                             const uint8_t sealed[CF_BUNDLE_SEALED_BYTES],
                             const uint8_t uid[CF_ID_BYTES_RAW],
                             const struct cf_session_info *info)
{
	CF_AUTO_KEYS *keys = NULL;
	cf_err err = cf_identity_keys_new(&keys);
	if (!err)
		err = cf_bundle_open(keys, sealed, CF_BUNDLE_SEALED_BYTES,
		                     login->kek, uid);
	if (!err)
		err = cf_identity_keys_match(keys, info->sign_pk, info->enc_pk);
	return err;
}

cf_err cf_login_finish(cf_client *client, cf_login *login, const char *method,
                       const char *code, size_t code_len,
                       struct cf_session_info *ret,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !login || !ret)
		return CF_ERR_INVALID;
	if (!method_known(method))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the second factor is email, sms or totp");
	if ((err = cf_check_code6(c, p, code, code_len)))
		return err;
	char proof[CF_B64_KEY_LEN * 2 + 1];
	cf_b64url_encode(proof, sizeof proof, login->device_proof,
	                 sizeof login->device_proof);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s, s:o, s:s}", "pending",
	                                      login->pending, "method", method,
	                                      "code",
	                                      json_stringn(code, code_len),
	                                      "device_proof", proof);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/second-factor",
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;

	static const char what[] = "second-factor";
	CF_CLEANUP(token_wipe) struct token token = { .text = "" };
	if (!cf_answer_text(doc, "token", token.text, sizeof token.text))
		return cf_answer_bad(c, p, what, "token");
	/* From here the token exists on the server: end it on failure. */
	struct cf_session_info info;
	memset(&info, 0, sizeof info);
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	uint8_t uid[CF_ID_BYTES_RAW];
	const char *bad = session_members(doc, &info, uid, sealed);
	if (bad) {
		err = cf_answer_bad(c, p, what, bad);
		end_token(c, token.text);
		return err;
	}
	memcpy(info.email, login->email, sizeof info.email);
	if (bundle_is_ours(login, sealed, uid, &info) != CF_OK) {
		err = cf_call_fail(c, p, CF_ID_FAIL_KEYS, CF_ERR_CRYPTO,
		                   "the key bundle the server returned does not "
		                   "open with this password or does not hold "
		                   "the account's public keys; nothing was "
		                   "stored and the session was ended");
		end_token(c, token.text);
		return err;
	}
	info.keys_verified = true;
	err = cf_bundle_save(c, p, info.user_id, sealed, info.sign_pk,
	                     info.enc_pk);
	if (!err)
		err = cf_session_save(c, p, &info, token.text);
	if (err)
		return err;
	*ret = info;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Session                                                                   */

/* POST {"pin"} on the session, for a client and a PIN checked first. */
cf_err cf_send_pin(cf_client *c, struct cf_id_problem *p,
                   const char *path, const char *pin, size_t len)
{
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if ((err = cf_check_pin(c, p, pin, len)))
		return err;
	CF_AUTO_SECRET_JSON *body = json_pack("{s:o}", "pin",
	                                      json_stringn(pin, len));
	return cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = path, .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, NULL);
}

cf_err cf_session_unlock(cf_client *client, const char *pin, size_t pin_len,
                         struct cf_id_problem *problem)
{
	return cf_send_pin(client, problem, "/v1/auth/unlock", pin, pin_len);
}

cf_err cf_session_logout(cf_client *client, enum cf_logout *ret,
                         struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	cf_profile *prof = NULL;
	if ((err = cf_call_profile(c, p, &prof)))
		return err;
	struct cf_stored_session s;
	err = cf_session_load(c, p, &s);
	if (err && p && p->failure == CF_ID_FAIL_NO_SESSION) {
		/* Nothing to end; a stale bundle goes too. */
		(void)cf_profile_remove(prof, CF_KEY_BUNDLE_FILE);
		cf_problem_reset(p);
		*ret = CF_LOGOUT_NONE;
		return CF_OK;
	}
	if (err)
		return err;
	cf_stored_session_clear(&s);
	struct cf_id_problem local;
	cf_problem_reset(&local);
	err = cf_call(c, &local, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/logout",
		.auth = CF_CALL_SESSION }, NULL);
	if (p)
		*p = local;
	if (!err) {
		cf_session_forget(prof, false);
		*ret = CF_LOGOUT_ENDED;
		return CF_OK;
	}
	if (local.status == 401) {
		/* The server no longer takes this token: forget it. */
		cf_session_forget(prof, false);
		cf_problem_reset(p);
		*ret = CF_LOGOUT_LOCAL;
		return CF_OK;
	}
	return err;
}

cf_err cf_me(cf_client *client, json_t **ret_me, struct cf_id_problem *problem)
{
	cf_err err = cf_call_start(client, problem);
	if (err || !ret_me)
		return CF_ERR_INVALID;
	return cf_call(client, problem, &(const struct cf_call){
		.method = "GET", .path = "/v1/me", .auth = CF_CALL_SESSION,
		.answer = CF_ANSWER_OBJECT }, ret_me);
}

/* ------------------------------------------------------------------------ */
/* Recovery and password                                                     */
