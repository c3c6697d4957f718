/* The account of a user: recovery with the recovery code, password change,
 * a new recovery code, TOTP, PIN and phone. Keys opened from the bundle
 * live in locked memory for one call (a cf_recovery between two). */
#include <string.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/crypto.h"
#include "util/encoding.h"


struct cf_recovery {
	char email[CF_EMAIL_MAX + 1];
	char user_id[CF_ID_HEX_LEN + 1];
	uint8_t uid[CF_ID_BYTES_RAW];
	struct cf_kdf_params kdf;
	uint8_t recovery_auth[CF_ID_KEY_BYTES];
	struct cf_identity_keys keys;
};

void cf_recovery_free(cf_recovery *rec)
{
	if (rec)
		sodium_free(rec);
}

static void recovery_freep(cf_recovery **r)
{
	cf_recovery_free(*r);
}

cf_err cf_recover_begin(cf_client *client, const char *email,
                        const char *code_text, size_t code_len,
                        cf_recovery **ret, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = cf_check_email(c, p, email)))
		return err;
	CF_CLEANUP(recovery_freep) cf_recovery *r =
		sodium_malloc(sizeof *r);
	uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	if (!r || !code) {
		if (code)
			sodium_free(code);
		return cf_call_nomem(c, p);
	}
	memset(r, 0, sizeof *r);
	memcpy(r->email, email, strlen(email) + 1);
	CF_SECRET_KEY(rec_kek);
	err = code_text ? cf_recovery_code_parse(code, code_text, code_len) :
	                  CF_ERR_INVALID;
	if (!err)
		err = cf_id_recovery_keys(r->recovery_auth, rec_kek, code);
	sodium_free(code);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "not a recovery code: it is 32 letters A-Z "
		                    "and digits 2-7, in groups of 4 (case, "
		                    "blanks and dashes do not matter)");

	CF_AUTO_SECRET_JSON *body = json_pack("{s:s}", "email", email);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/recover/begin",
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	static const char what[] = "recover/begin";
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	if (!cf_answer_b64(doc, "recovery_bundle", sealed, sizeof sealed))
		return cf_answer_bad(c, p, what, "recovery_bundle");
	if ((err = cf_answer_kdf(c, p, doc, what, &r->kdf)))
		return err;
	/* The user id (the bundle's AAD) comes only to the holder of the
	 * code: recover/begin answers all addresses alike. */
	CF_B64(b_rauth);
	cf_b64_of(&b_rauth, r->recovery_auth, CF_ID_KEY_BYTES);
	CF_AUTO_SECRET_JSON *vbody = json_pack("{s:s, s:s}", "email", email,
	                                       "recovery_auth", b_rauth.text);
	CF_AUTO_SECRET_JSON *vdoc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/recover/verify",
		.has_body = true, .body = vbody, .answer = CF_ANSWER_OBJECT },
		&vdoc)))
		return err;
	if (!cf_answer_id(vdoc, "user_id", r->user_id) ||
	    !cf_id_raw(r->user_id, r->uid))
		return cf_answer_bad(c, p, "recover/verify", "user_id");
	/* An unknown address gets a fake answer that no code opens: both
	 * read the same. */
	if (cf_bundle_open(&r->keys, sealed, sizeof sealed, rec_kek, r->uid))
		return cf_call_fail(c, p, CF_ID_FAIL_AUTH, CF_ERR_DENIED,
		                    "this recovery code does not open the "
		                    "recovery key bundle of that account (wrong "
		                    "code or address, or a code that was "
		                    "replaced)");
	*ret = r;
	r = NULL;
	return CF_OK;
}

/* A new recovery code for keys: its text (CF_RECOVERY_TEXT_LEN + 1 bytes of
 * sodium_malloc'ed memory, into *ret_text), its recovery_auth and the keys
 * sealed with its kek (AAD uid), as at enrolment. */
static cf_err new_recovery_code(const struct cf_identity_keys *keys,
                                const uint8_t uid[CF_ID_BYTES_RAW],
                                char **ret_text,
                                uint8_t ret_rauth[CF_ID_KEY_BYTES],
                                uint8_t ret_rbundle[CF_BUNDLE_SEALED_BYTES])
{
	CF_SECRET_KEY(rec_kek);
	CF_AUTO_SODIUM char *text = sodium_malloc(CF_RECOVERY_TEXT_LEN + 1);
	CF_AUTO_SODIUM uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	if (!text || !code)
		return CF_ERR_NOMEM;
	cf_err err = cf_random_bytes(code, CF_RECOVERY_CODE_BYTES);
	if (!err)
		err = cf_id_recovery_keys(ret_rauth, rec_kek, code);
	if (!err)
		err = cf_recovery_code_format(text, code);
	if (!err)
		err = cf_bundle_seal(ret_rbundle, keys, rec_kek, uid);
	if (err) {
		sodium_memzero(ret_rauth, CF_ID_KEY_BYTES);
		return err;
	}
	*ret_text = text;
	text = NULL;
	return CF_OK;
}

cf_err cf_recover_finish(cf_client *client, cf_recovery *rec,
                         const char *new_password, size_t len,
                         char **ret_code, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !rec || !ret_code)
		return CF_ERR_INVALID;
	if ((err = cf_check_new_password(c, p, new_password, len)))
		return err;
	CF_SECRET_KEY(auth_key);
	CF_SECRET_KEY(kek);
	CF_SECRET_KEY(new_rauth);
	CF_AUTO_SODIUM char *text = NULL;
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES], rbundle[CF_BUNDLE_SEALED_BYTES];
	err = cf_id_password_keys(auth_key, kek, new_password, len, &rec->kdf);
	if (!err)
		err = cf_bundle_seal(bundle, &rec->keys, kek, rec->uid);
	/* The code used here is spent: the next one goes with the request. */
	if (!err)
		err = new_recovery_code(&rec->keys, rec->uid, &text, new_rauth,
		                        rbundle);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot derive or seal the keys: %s",
		                    cf_strerror(err));
	CF_B64(b_rauth);
	CF_B64(b_auth);
	CF_B64(b_new_rauth);
	cf_b64_of(&b_rauth, rec->recovery_auth, CF_ID_KEY_BYTES);
	cf_b64_of(&b_auth, auth_key, sizeof auth_key);
	cf_b64_of(&b_new_rauth, new_rauth, sizeof new_rauth);
	char b_salt[32], b_bundle[CF_B64_BUNDLE_LEN + 1];
	char b_rbundle[CF_B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_salt, sizeof b_salt, rec->kdf.salt,
	                 sizeof rec->kdf.salt);
	cf_b64url_encode(b_bundle, sizeof b_bundle, bundle, sizeof bundle);
	cf_b64url_encode(b_rbundle, sizeof b_rbundle, rbundle, sizeof rbundle);
	CF_AUTO_SECRET_JSON *body = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "email", rec->email,
		"recovery_auth", b_rauth.text, "salt", b_salt,
		"auth_key", b_auth.text, "bundle", b_bundle,
		"new_recovery_auth", b_new_rauth.text,
		"new_recovery_bundle", b_rbundle);
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/recover",
		.has_body = true, .body = body }, NULL)))
		return err;
	*ret_code = text;
	text = NULL;
	/* The profile's copy of this user's bundle is sealed with the old
	 * kek: drop it (the next login stores the new one). */
	uint8_t stale[CF_BUNDLE_SEALED_BYTES];
	cf_profile *prof = NULL;
	if (cf_bundle_load(c, NULL, rec->user_id, stale) == CF_OK &&
	    cf_client_profile(c, &prof) == CF_OK)
		(void)cf_profile_remove(prof, CF_KEY_BUNDLE_FILE);
	cf_call_error(c, "%s", "");
	return CF_OK;
}

/* The identity keys of the session's user, opened with the password from
 * the profile's bundle. Also returns the session. */
static cf_err open_own_keys(cf_client *c, struct cf_id_problem *p,
                            const char *password, size_t len,
                            struct cf_stored_session *ret_s, uint8_t ret_auth[32],
                            struct cf_identity_keys *ret_keys)
{
	struct cf_stored_session s;
	cf_err err = cf_check_password(c, p, password, len);
	if (err || (err = cf_session_load(c, p, &s)))
		return err;
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	uint8_t uid[CF_ID_BYTES_RAW];
	struct cf_kdf_params kdf;
	CF_SECRET_KEY(kek);
	if ((err = cf_bundle_load(c, p, s.info.user_id, sealed)) ||
	    (err = cf_prelogin(c, p, s.info.email, &kdf)))
		goto out;
	err = cf_id_password_keys(ret_auth, kek, password, len, &kdf);
	if (err) {
		err = cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                   "cannot derive the keys from the password: "
		                   "%s",
		                   cf_strerror(err));
		goto out;
	}
	if (!cf_id_raw(s.info.user_id, uid) ||
	    cf_bundle_open(ret_keys, sealed, sizeof sealed, kek, uid) ||
	    cf_identity_keys_match(ret_keys, s.info.sign_pk, s.info.enc_pk)) {
		sodium_memzero(ret_auth, CF_ID_KEY_BYTES);
		err = cf_call_fail(c, p, CF_ID_FAIL_AUTH, CF_ERR_DENIED,
		                   "wrong password: it does not open this "
		                   "account's key bundle");
		goto out;
	}
	*ret_s = s;
	return CF_OK;
out:
	cf_stored_session_clear(&s);
	return err;
}

cf_err cf_password_change(cf_client *client, const char *old_password,
                          size_t old_len, const char *new_password,
                          size_t new_len, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if ((err = cf_check_new_password(c, p, new_password, new_len)))
		return err;
	struct cf_stored_session s = { .token = NULL };
	CF_SECRET_KEY(old_auth);
	CF_SECRET_KEY(new_auth);
	CF_SECRET_KEY(new_kek);
	CF_AUTO_KEYS *keys = NULL;
	if (cf_identity_keys_new(&keys))
		return cf_call_nomem(c, p);
	if ((err = open_own_keys(c, p, old_password, old_len, &s, old_auth,
	                         keys)))
		return err;
	uint8_t uid[CF_ID_BYTES_RAW];
	(void)cf_id_raw(s.info.user_id, uid);
	char user_id[CF_ID_HEX_LEN + 1];
	memcpy(user_id, s.info.user_id, sizeof user_id);
	cf_stored_session_clear(&s);

	CF_AUTO_SECRET_JSON *salt_doc = NULL;
	struct cf_kdf_params kdf;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/password/salt",
		.auth = CF_CALL_SESSION, .answer = CF_ANSWER_OBJECT }, &salt_doc)) ||
	    (err = cf_answer_kdf(c, p, salt_doc, "password/salt", &kdf)))
		return err;
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES];
	err = cf_id_password_keys(new_auth, new_kek, new_password, new_len,
	                          &kdf);
	if (!err)
		err = cf_bundle_seal(bundle, keys, new_kek, uid);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot derive or seal the keys: %s",
		                    cf_strerror(err));
	CF_B64(b_old);
	CF_B64(b_new);
	cf_b64_of(&b_old, old_auth, sizeof old_auth);
	cf_b64_of(&b_new, new_auth, sizeof new_auth);
	char b_salt[32], b_bundle[CF_B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_salt, sizeof b_salt, kdf.salt, sizeof kdf.salt);
	cf_b64url_encode(b_bundle, sizeof b_bundle, bundle, sizeof bundle);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s, s:s, s:s}",
	                            "auth_key", b_old.text, "new_salt", b_salt,
	                            "new_auth_key", b_new.text,
	                            "new_bundle", b_bundle);
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/auth/password",
		.auth = CF_CALL_SESSION, .has_body = true, .body = body }, NULL)))
		return err;
	return cf_bundle_save(c, p, user_id, bundle, keys->sign_pk, keys->enc_pk);
}

cf_err cf_recovery_code_regenerate(cf_client *client, const char *password,
                                   size_t len, char **ret_code,
                                   struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !ret_code)
		return CF_ERR_INVALID;
	struct cf_stored_session s = { .token = NULL };
	CF_SECRET_KEY(auth);
	CF_SECRET_KEY(rec_auth);
	CF_AUTO_KEYS *keys = NULL;
	CF_AUTO_SODIUM char *text = NULL;
	if (cf_identity_keys_new(&keys))
		return cf_call_nomem(c, p);
	if ((err = open_own_keys(c, p, password, len, &s, auth, keys)))
		return err;
	uint8_t uid[CF_ID_BYTES_RAW];
	(void)cf_id_raw(s.info.user_id, uid);
	cf_stored_session_clear(&s);

	uint8_t rbundle[CF_BUNDLE_SEALED_BYTES];
	err = new_recovery_code(keys, uid, &text, rec_auth, rbundle);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot make the recovery code: %s",
		                    cf_strerror(err));
	CF_B64(b_rauth);
	CF_B64(b_auth);
	cf_b64_of(&b_rauth, rec_auth, sizeof rec_auth);
	cf_b64_of(&b_auth, auth, sizeof auth);
	char b_rbundle[CF_B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_rbundle, sizeof b_rbundle, rbundle, sizeof rbundle);
	/* The password's auth_key is the fresh proof the change needs. */
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s, s:s}", "recovery_auth",
	                            b_rauth.text, "recovery_bundle", b_rbundle,
	                            "auth_key", b_auth.text);
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/me/recovery-code",
		.auth = CF_CALL_SESSION, .has_body = true, .body = body }, NULL)))
		return err;
	*ret_code = text;
	text = NULL;
	return CF_OK;
}

cf_err cf_totp_begin(cf_client *client, struct cf_totp_setup *ret,
                     struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err || !ret)
		return CF_ERR_INVALID;
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, problem, &(const struct cf_call){
		.method = "POST", .path = "/v1/me/totp/begin",
		.auth = CF_CALL_SESSION, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	if (!cf_answer_text(doc, "secret", ret->secret, sizeof ret->secret))
		return cf_answer_bad(c, problem, "totp/begin", "secret");
	if (!cf_answer_text(doc, "uri", ret->uri, sizeof ret->uri) ||
	    strncmp(ret->uri, "otpauth://totp/", 15) != 0) {
		sodium_memzero(ret, sizeof *ret);
		return cf_answer_bad(c, problem, "totp/begin", "uri");
	}
	return CF_OK;
}

cf_err cf_totp_confirm(cf_client *client, const char *code, size_t len,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err)
		return err;
	if ((err = cf_check_code6(c, problem, code, len)))
		return err;
	CF_AUTO_SECRET_JSON *body = json_pack("{s:o}", "code",
	                                      json_stringn(code, len));
	return cf_call(c, problem, &(const struct cf_call){
		.method = "POST", .path = "/v1/me/totp", .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, NULL);
}

/* The fresh proof of a sensitive change (DESIGN §5.3), when a password is
 * given: its auth_key, once the password opens this device's key bundle
 * (a wrong password is told here, and costs no attempt on the server).
 * Without one, the server takes a second factor passed in the last 5
 * minutes, or answers 403 fresh-proof-required. */
static cf_err add_proof(cf_client *c, struct cf_id_problem *p,
                        const char *password, size_t len, json_t *body)
{
	if (!password)
		return CF_OK;
	struct cf_stored_session s = { .token = NULL };
	CF_SECRET_KEY(auth);
	CF_AUTO_KEYS *keys = NULL;
	if (cf_identity_keys_new(&keys))
		return cf_call_nomem(c, p);
	cf_err err = open_own_keys(c, p, password, len, &s, auth, keys);
	if (err)
		return err;
	cf_stored_session_clear(&s);
	CF_B64(b_auth);
	cf_b64_of(&b_auth, auth, sizeof auth);
	if (!body || json_object_set_new(body, "auth_key",
	                                 json_string(b_auth.text)))
		return cf_call_nomem(c, p);
	return CF_OK;
}

cf_err cf_totp_disable(cf_client *client, const char *password, size_t len,
                       struct cf_id_problem *problem)
{
	cf_err err = cf_call_start(client, problem);
	if (err)
		return err;
	CF_AUTO_SECRET_JSON *body = password ? json_object() : NULL;
	if ((err = add_proof(client, problem, password, len, body)))
		return err;
	return cf_call(client, problem, &(const struct cf_call){
		.method = "DELETE", .path = "/v1/me/totp",
		.auth = CF_CALL_SESSION, .has_body = body != NULL,
		.body = body }, NULL);
}

cf_err cf_pin_change(cf_client *client, const char *pin, size_t len,
                     const char *password, size_t password_len,
                     struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err)
		return err;
	if ((err = cf_check_pin(c, problem, pin, len)))
		return err;
	CF_AUTO_SECRET_JSON *body = json_pack("{s:o}", "pin",
	                                      json_stringn(pin, len));
	if ((err = add_proof(c, problem, password, password_len, body)))
		return err;
	return cf_call(c, problem, &(const struct cf_call){
		.method = "POST", .path = "/v1/me/pin", .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, NULL);
}

cf_err cf_phone_set(cf_client *client, const char *phone,
                    const char *password, size_t password_len,
                    struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err)
		return err;
	if (!cf_phone_ok(phone))
		return cf_call_fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a phone number is '+' and 8 to 15 digits "
		                    "(E.164, e.g. +33612345678)");
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s}", "phone", phone);
	if ((err = add_proof(c, problem, password, password_len, body)))
		return err;
	return cf_call(c, problem, &(const struct cf_call){
		.method = "PUT", .path = "/v1/me/phone", .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, NULL);
}

/* ------------------------------------------------------------------------ */
