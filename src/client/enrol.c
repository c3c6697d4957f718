/* Enrolment of an invited user (DESIGN §5.9): the invitation's Argon2id
 * parameters, then password-derived keys, identity keys, two sealed
 * bundles, a recovery code, the PIN and the second factor in one request.
 * The password, kek, recovery code and private keys exist only in locked or
 * wiped memory for the duration of the call. */
#include <string.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/crypto.h"
#include "util/encoding.h"

cf_err cf_enrol_begin(cf_client *client, const char *code, const char *email,
                      struct cf_enrol_invitation *ret,
                      struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = cf_check_email(c, problem, email)))
		return err;
	if (!cf_text_ok(code, 1, CF_CODE_MAX))
		return cf_call_fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the invitation code is empty or too long");
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s}", "code", code, "email", email);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, problem, &(const struct cf_call){
		.method = "POST", .path = "/v1/enrol/begin",
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	struct cf_enrol_invitation inv;
	memset(&inv, 0, sizeof inv);
	static const char what[] = "enrol/begin";
	const char *bad = cf_answer_account(doc, inv.user_id, NULL, inv.org_id,
	                                    inv.role, sizeof inv.role);
	if (bad)
		return cf_answer_bad(c, problem, what, bad);
	if ((err = cf_answer_kdf(c, problem, doc, what, &inv.kdf)))
		return err;
	*ret = inv;
	return CF_OK;
}

/* What the caller gives, checked before any key is derived. */
static cf_err check_params(cf_client *c, struct cf_id_problem *p,
                           const struct cf_enrol_invitation *inv,
                           const struct cf_enrol_params *params,
                           const char *method,
                           uint8_t ret_uid[CF_ID_BYTES_RAW])
{
	cf_err err;
	if (!cf_text_ok(params->code, 1, CF_CODE_MAX))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the invitation code is empty or too long");
	if ((err = cf_check_email(c, p, params->email)) ||
	    (err = cf_check_new_password(c, p, params->password,
	                                 params->password_len)) ||
	    (err = cf_check_pin(c, p, params->pin, params->pin_len)))
		return err;
	if (strcmp(method, "email") != 0 && strcmp(method, "sms") != 0)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the second factor at enrolment is email or "
		                    "sms");
	if (strcmp(method, "sms") == 0 && !cf_phone_ok(params->phone))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "sms needs a phone number: '+' and 8 to 15 "
		                    "digits");
	if (params->phone && !cf_phone_ok(params->phone))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a phone number is '+' and 8 to 15 digits");
	if (!cf_id_hex_ok(inv->user_id) || !cf_id_raw(inv->user_id, ret_uid))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the invitation has no valid user id");
	return CF_OK;
}

/* Everything enrolment makes before it sends: the password-derived keys,
 * the identity keys sealed twice (password kek, recovery kek), and the
 * recovery code. Wiped (and freed) by keys_clear. */
struct enrol_keys {
	uint8_t auth_key[CF_ID_KEY_BYTES];
	uint8_t rec_auth[CF_ID_KEY_BYTES];
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES];
	uint8_t rbundle[CF_BUNDLE_SEALED_BYTES];
	struct cf_identity_keys *keys;
	char *code_text;             /* sodium_malloc, CF_RECOVERY_TEXT_LEN */
};

static void keys_clear(struct enrol_keys *k)
{
	cf_identity_keys_free(k->keys);
	cf_secret_free(k->code_text);
	sodium_memzero(k, sizeof *k);
}

static cf_err make_keys(const struct cf_enrol_invitation *inv,
                        const struct cf_enrol_params *params,
                        const uint8_t uid[CF_ID_BYTES_RAW],
                        struct enrol_keys *k)
{
	CF_SECRET_KEY(kek);
	CF_SECRET_KEY(rec_kek);
	CF_AUTO_SODIUM uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	k->code_text = sodium_malloc(CF_RECOVERY_TEXT_LEN + 1);
	if (!code || !k->code_text || cf_identity_keys_new(&k->keys))
		return CF_ERR_NOMEM;
	cf_err err = cf_id_password_keys(k->auth_key, kek, params->password,
	                                 params->password_len, &inv->kdf);
	if (!err)
		err = cf_identity_keys_generate(k->keys);
	if (!err)
		err = cf_random_bytes(code, CF_RECOVERY_CODE_BYTES);
	if (!err)
		err = cf_id_recovery_keys(k->rec_auth, rec_kek, code);
	if (!err)
		err = cf_recovery_code_format(k->code_text, code);
	if (!err)
		err = cf_bundle_seal(k->bundle, k->keys, kek, uid);
	if (!err)
		err = cf_bundle_seal(k->rbundle, k->keys, rec_kek, uid);
	return err;
}

/* The body of POST /v1/enrol (NULL: out of memory); its secrets are wiped
 * with it (CF_AUTO_SECRET_JSON). */
static json_t *enrol_body(const struct cf_enrol_params *params,
                          const char *method, const struct enrol_keys *k,
                          const uint8_t device_pk[CF_ID_KEY_BYTES],
                          const char *csr)
{
	CF_B64(b_auth);
	CF_B64(b_rauth);
	cf_b64_of(&b_auth, k->auth_key, sizeof k->auth_key);
	cf_b64_of(&b_rauth, k->rec_auth, sizeof k->rec_auth);
	char b_bundle[CF_B64_BUNDLE_LEN + 1], b_rbundle[CF_B64_BUNDLE_LEN + 1];
	char b_spk[CF_B64_KEY_LEN + 1], b_epk[CF_B64_KEY_LEN + 1];
	char b_dev[CF_B64_KEY_LEN + 1];
	cf_b64url_encode(b_bundle, sizeof b_bundle, k->bundle, sizeof k->bundle);
	cf_b64url_encode(b_rbundle, sizeof b_rbundle, k->rbundle,
	                 sizeof k->rbundle);
	cf_b64url_encode(b_spk, sizeof b_spk, k->keys->sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(b_epk, sizeof b_epk, k->keys->enc_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(b_dev, sizeof b_dev, device_pk, CF_ID_KEY_BYTES);

	CF_AUTO_SECRET_JSON *factor = params->phone ?
		json_pack("{s:s, s:s}", "method", method, "phone",
		          params->phone) :
		json_pack("{s:s}", "method", method);
	json_t *body = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:O}",
		"code", params->code, "email", params->email,
		"auth_key", b_auth.text, "sign_pk", b_spk, "enc_pk", b_epk,
		"bundle", b_bundle, "recovery_bundle", b_rbundle,
		"recovery_auth", b_rauth.text,
		"pin", json_stringn(params->pin, params->pin_len),
		"device_pk", b_dev, "second_factor", factor);
	if (body && csr &&
	    json_object_set_new(body, "csr", json_string(csr)) != 0) {
		cf_json_wipe_decref(body);
		return NULL;
	}
	return body;
}

/* Stores the device certificate of the enrol answer. The account exists
 * by now: whatever happens here, the recovery code must reach the user, so
 * this only leaves a message and cannot fail the call. */
static void store_certificate(cf_client *c, cf_profile *prof,
                              const json_t *doc, struct cf_enrol_result *res)
{
	const char *pem = json_string_value(json_object_get(doc,
	                                                    "certificate"));
	const char *ca = json_string_value(json_object_get(doc, "ca"));
	const char *sha = json_string_value(json_object_get(doc,
	                                                    "cert_sha256"));
	struct cf_devcert_info info;
	cf_errmsg why = { .text = "" };
	if (!pem) {
		cf_call_error(c, "enrolled, but the server sent no device "
		              "certificate (is it older than device "
		              "certificates?)");
	} else if (cf_devcert_store(prof, pem, ca, sha, &info, &why) != CF_OK) {
		cf_call_error(c, "enrolled, but the device certificate was not "
		              "stored: %s", why.text);
	} else {
		memcpy(res->cert_sha256, info.cert_sha256,
		       sizeof res->cert_sha256);
		res->cert_not_after = info.not_after;
	}
}

cf_err cf_enrol_finish(cf_client *client,
                       const struct cf_enrol_invitation *inv,
                       const struct cf_enrol_params *params,
                       struct cf_enrol_result *ret, char **ret_recovery_code,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !inv || !params || !ret || !ret_recovery_code)
		return CF_ERR_INVALID;
	const char *method = params->second_factor ? params->second_factor :
	                     "email";
	uint8_t uid[CF_ID_BYTES_RAW];
	if ((err = check_params(c, p, inv, params, method, uid)))
		return err;

	/* Keys first, so nothing is sent unless all of them exist. */
	CF_CLEANUP(keys_clear) struct enrol_keys k;
	memset(&k, 0, sizeof k);
	if ((err = make_keys(inv, params, uid, &k)))
		return err == CF_ERR_NOMEM ? cf_call_nomem(c, p) :
		       cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot derive or seal the keys: %s",
		                    cf_strerror(err));
	uint8_t device_pk[CF_ID_KEY_BYTES];
	if ((err = cf_device_key_load(c, p, true, device_pk, NULL)))
		return err;
	cf_profile *prof = NULL;
	CF_AUTO_SECRET_STR *csr = NULL;
	if (params->device_cert) {
		cf_errmsg why = { .text = "" };
		if ((err = cf_call_profile(c, p, &prof)))
			return err;
		if ((err = cf_devcert_csr(prof, &csr, &why)))
			return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
			                    "cannot make the device certificate "
			                    "request: %s", why.text);
	}

	CF_AUTO_SECRET_JSON *body = enrol_body(params, method, &k, device_pk,
	                                       csr);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/enrol", .has_body = true,
		.body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	struct cf_enrol_result res;
	memset(&res, 0, sizeof res);
	const char *bad = cf_answer_account(doc, res.user_id, NULL, res.org_id,
	                                    res.role, sizeof res.role);
	if (!bad)
		bad = cf_answer_device(doc, res.device_id, res.device_status,
		                       sizeof res.device_status);
	if (bad)
		return cf_answer_bad(c, p, "enrol", bad);
	cf_call_error(c, "%s", "");
	if (params->device_cert)
		store_certificate(c, prof, doc, &res);
	*ret = res;
	*ret_recovery_code = k.code_text;
	k.code_text = NULL;
	return CF_OK;
}
