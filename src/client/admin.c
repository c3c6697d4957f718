/* Administration of an organisation: invitations, organisations, units
 * (with their key pair), roles, delegations, devices, device certificates,
 * API keys and sessions. Ids are checked before they go into a path. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/dh.h"
#include "crypto/hpke.h"
#include "util/encoding.h"

#define B64_WRAP_LEN 127   /* base64url of a wrap (CF_WRAP_BYTES), with room */

/* Organisation (admins)                                                     */

/* GET path on the session (lists). */
static cf_err session_get(cf_client *c, struct cf_id_problem *p,
                          const char *path, json_t **ret)
{
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	return cf_call(c, p, &(const struct cf_call){
		.method = "GET", .path = path, .auth = CF_CALL_SESSION }, ret);
}

/* The organisation to act on: the one given, else the session's. */
static cf_err org_or_session(cf_client *c, struct cf_id_problem *p,
                             const char *org_id,
                             char ret[CF_ID_HEX_LEN + 1])
{
	if (org_id) {
		cf_err err = cf_check_id(c, p, org_id, "the organisation");
		if (!err)
			memcpy(ret, org_id, CF_ID_HEX_LEN + 1);
		return err;
	}
	struct cf_stored_session s;
	cf_err err = cf_session_load(c, p, &s);
	if (err)
		return err;
	memcpy(ret, s.info.org_id, CF_ID_HEX_LEN + 1);
	cf_stored_session_clear(&s);
	return CF_OK;
}

cf_err cf_admin_invite(cf_client *client, const char *email, const char *role,
                       const char *org_id, const char *unit_id, json_t **ret,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	char org[CF_ID_HEX_LEN + 1];
	if ((err = cf_check_email(c, p, email)) || (err = cf_check_role(c, p, role)) ||
	    (unit_id && (err = cf_check_id(c, p, unit_id, "the unit"))) ||
	    (err = org_or_session(c, p, org_id, org)))
		return err;
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s, s:s}", "email", email,
	                            "role", role, "org_id", org);
	if (body && unit_id)
		json_object_set_new(body, "unit_id", json_string(unit_id));
	return cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/invitations",
		.auth = CF_CALL_SESSION, .has_body = true, .body = body }, ret);
}

cf_err cf_admin_org_create(cf_client *client, const char *name,
                           bool device_approval, json_t **ret,
                           struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = cf_call_start(c, problem);
	if (err)
		return err;
	if (!cf_text_ok(name, 1, 200))
		return cf_call_fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "an organisation name is 1 to 200 "
		                    "characters");
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:b}", "name", name,
	                            "device_approval", device_approval);
	return cf_call(c, problem, &(const struct cf_call){
		.method = "POST", .path = "/v1/orgs", .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, ret);
}

cf_err cf_admin_orgs_list(cf_client *client, json_t **ret,
                          struct cf_id_problem *problem)
{
	return session_get(client, problem, "/v1/orgs", ret);
}

/* The unit's secret key leaves unit creation only wrapped to the creator's
 * own encryption key, bound to the unit id, and kept in the profile
 * ("unit-<id>.wrap"); ret_b64 gets the wrap in base64url. */
static cf_err unit_key_keep(cf_client *c, struct cf_id_problem *p,
                            const uint8_t unit_sk[CF_ID_KEY_BYTES],
                            const uint8_t owner_pk[CF_ID_KEY_BYTES],
                            const char *unit_id,
                            char ret_b64[B64_WRAP_LEN + 1])
{
	uint8_t uid[CF_ID_BYTES_RAW];
	uint8_t wrap[CF_WRAP_BYTES];
	char b_wrap[B64_WRAP_LEN + 1];
	char file[CF_PROFILE_NAME_MAX];
	cf_profile *prof = NULL;
	cf_err err = cf_id_raw(unit_id, uid) ? CF_OK : CF_ERR_INVALID;
	if (!err)
		err = cf_wrap_key(wrap, unit_sk, owner_pk, uid, sizeof uid);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "unit %s was created but its key could not "
		                    "be wrapped: %s", unit_id, cf_strerror(err));
	cf_b64url_encode(b_wrap, sizeof b_wrap, wrap, sizeof wrap);
	cf_msg_format(file, sizeof file, "unit-%s.wrap", unit_id);
	if ((err = cf_call_profile(c, p, &prof)))
		return err;
	if ((err = cf_profile_write(prof, file, b_wrap, strlen(b_wrap))))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "unit %s was created but its wrapped key "
		                    "could not be saved: %s", unit_id,
		                    cf_profile_last_error(prof));
	memcpy(ret_b64, b_wrap, sizeof b_wrap);
	return CF_OK;
}

cf_err cf_admin_unit_create(cf_client *client, const char *org_id,
                            const char *name, json_t **ret,
                            struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if (!cf_text_ok(name, 1, 200))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a unit name is 1 to 200 characters");
	char org[CF_ID_HEX_LEN + 1];
	if ((err = org_or_session(c, p, org_id, org)))
		return err;
	struct cf_stored_session s;
	if ((err = cf_session_load(c, p, &s)))
		return err;
	uint8_t owner_pk[CF_ID_KEY_BYTES];
	memcpy(owner_pk, s.info.enc_pk, sizeof owner_pk);
	cf_stored_session_clear(&s);

	CF_SECRET_KEY(unit_sk);
	uint8_t unit_pk[CF_ID_KEY_BYTES];
	if ((err = cf_x25519_keypair(unit_pk, unit_sk)))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot make the unit key pair");
	char b_pk[CF_B64_KEY_LEN + 1];
	cf_b64url_encode(b_pk, sizeof b_pk, unit_pk, sizeof unit_pk);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s}", "name", name, "enc_pk", b_pk);
	char path[CF_PATH_MAX];
	cf_msg_format(path, sizeof path, "/v1/orgs/%s/units", org);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = path, .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, &doc)))
		return err;
	char unit_id[CF_ID_HEX_LEN + 1];
	if (!cf_answer_id(doc, "unit_id", unit_id))
		return cf_answer_bad(c, p, "orgs/{id}/units", "unit_id");

	char b_wrap[B64_WRAP_LEN + 1];
	if ((err = unit_key_keep(c, p, unit_sk, owner_pk, unit_id, b_wrap)))
		return err;
	json_object_set_new(doc, "enc_pk", json_string(b_pk));
	json_object_set_new(doc, "enc_sk_wrap", json_string(b_wrap));
	if (ret) {
		*ret = doc;
		doc = NULL;
	}
	return CF_OK;
}

static cf_err org_list(cf_client *c, struct cf_id_problem *p,
                       const char *org_id, const char *what, json_t **ret)
{
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	char org[CF_ID_HEX_LEN + 1];
	if ((err = org_or_session(c, p, org_id, org)))
		return err;
	char path[CF_PATH_MAX];
	cf_msg_format(path, sizeof path, "/v1/orgs/%s/%s", org, what);
	return session_get(c, p, path, ret);
}

cf_err cf_admin_units_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem)
{
	return org_list(client, problem, org_id, "units", ret);
}

cf_err cf_admin_users_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem)
{
	return org_list(client, problem, org_id, "users", ret);
}

cf_err cf_admin_role_set(cf_client *client, const char *user_id,
                         const char *role, const char *unit_id, json_t **ret,
                         struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if ((err = cf_check_id(c, p, user_id, "the user")) ||
	    (err = cf_check_role(c, p, role)) ||
	    (unit_id && (err = cf_check_id(c, p, unit_id, "the unit"))))
		return err;
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s}", "role", role);
	if (body && unit_id)
		json_object_set_new(body, "unit_id", json_string(unit_id));
	char path[CF_PATH_MAX];
	cf_msg_format(path, sizeof path, "/v1/users/%s/role", user_id);
	return cf_call(c, p, &(const struct cf_call){
		.method = "PUT", .path = path, .auth = CF_CALL_SESSION,
		.has_body = true, .body = body }, ret);
}

cf_err cf_delegation_create(cf_client *client, const char *to_user,
                            const char *scope, json_t **ret,
                            struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if ((err = cf_check_id(c, p, to_user, "the delegate")))
		return err;
	if (!cf_text_ok(scope, 1, 200))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a delegation scope is 1 to 200 characters");
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s, s:s}", "to_user", to_user, "scope",
	                            scope);
	return cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/delegations",
		.auth = CF_CALL_SESSION, .has_body = true, .body = body }, ret);
}

cf_err cf_delegations_list(cf_client *client, json_t **ret,
                           struct cf_id_problem *problem)
{
	return session_get(client, problem, "/v1/delegations", ret);
}

/* METHOD /v1/<collection>/<id><suffix> with a checked id. */
static cf_err id_action(cf_client *c, struct cf_id_problem *p,
                        const char *method, const char *collection,
                        const char *id, const char *suffix, const char *what,
                        json_t **ret)
{
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if ((err = cf_check_id(c, p, id, what)))
		return err;
	char path[CF_PATH_MAX];
	cf_msg_format(path, sizeof path, "/v1/%s/%s%s", collection, id, suffix);
	return cf_call(c, p, &(const struct cf_call){
		.method = method, .path = path, .auth = CF_CALL_SESSION }, ret);
}

cf_err cf_delegation_delete(cf_client *client, const char *id,
                            struct cf_id_problem *problem)
{
	return id_action(client, problem, "DELETE", "delegations", id, "",
	                 "the delegation", NULL);
}

cf_err cf_devices_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem)
{
	return session_get(client, problem, "/v1/devices", ret);
}

cf_err cf_device_approve(cf_client *client, const char *id, json_t **ret,
                         struct cf_id_problem *problem)
{
	return id_action(client, problem, "POST", "devices", id, "/approve",
	                 "the device", ret);
}

cf_err cf_device_wipe(cf_client *client, const char *id, json_t **ret,
                      struct cf_id_problem *problem)
{
	return id_action(client, problem, "POST", "devices", id, "/wipe",
	                 "the device", ret);
}

/* items joined by sep into a new JSON string; every item 1 to 200
 * characters without control characters, blanks or commas (the wire form is
 * "audit.read versions.read" for scopes, "10.0.0.0/8, ::1/128" for
 * networks). */
cf_err cf_device_certificate(cf_client *client,
                             struct cf_device_cert_result *ret,
                             struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	struct cf_stored_session s;
	if ((err = cf_session_load(c, p, &s)))
		return err;
	struct cf_device_cert_result res;
	memset(&res, 0, sizeof res);
	memcpy(res.device_id, s.info.device_id, sizeof res.device_id);
	cf_stored_session_clear(&s);
	cf_profile *prof = NULL;
	if ((err = cf_call_profile(c, p, &prof)))
		return err;
	struct cf_devcert_info old;
	res.renewed = cf_devcert_info(prof, &old, NULL) == CF_OK;

	cf_errmsg why = { .text = "" };
	CF_AUTO_SECRET_STR *csr = NULL;
	if ((err = cf_devcert_csr(prof, &csr, &why)))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err, "cannot make the device "
		                    "certificate request: %s", why.text);
	CF_AUTO_SECRET_JSON *body = json_pack("{s:s}", "csr", csr);
	char path[64 + CF_ID_HEX_LEN];
	cf_msg_format(path, sizeof path, "/v1/devices/%s/certificate",
	              res.device_id);
	CF_AUTO_SECRET_JSON *doc = NULL;
	if ((err = cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = path, .auth = CF_CALL_SESSION,
		.has_body = true, .body = body, .answer = CF_ANSWER_OBJECT }, &doc)))
		return err;
	char dev[CF_ID_HEX_LEN + 1];
	const char *pem = json_string_value(json_object_get(doc, "certificate"));
	static const char what[] = "devices/certificate";
	if (!cf_answer_id(doc, "device_id", dev) || strcmp(dev, res.device_id) != 0)
		return cf_answer_bad(c, p, what, "device_id");
	if (!pem)
		return cf_answer_bad(c, p, what, "certificate");
	err = cf_devcert_store(prof, pem,
	                       json_string_value(json_object_get(doc, "ca")),
	                       json_string_value(json_object_get(doc,
	                                         "cert_sha256")),
	                       &res.info, &why);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err, "the server issued a "
		                    "device certificate but it was not stored "
		                    "(%s); the previous one no longer works: "
		                    "ask again", why.text);
	*ret = res;
	return CF_OK;
}

static json_t *joined(const char *const *items, size_t n, const char *sep)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!cf_text_ok(items[i], 1, 200) || strpbrk(items[i], " ,\t"))
			return NULL;
		len += strlen(items[i]) + strlen(sep);
	}
	char *text = malloc(len + 1);
	if (!text)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]);
		if (i > 0) {
			memcpy(text + o, sep, strlen(sep));
			o += strlen(sep);
		}
		memcpy(text + o, items[i], l);
		o += l;
	}
	text[o] = '\0';
	json_t *v = json_string(text);
	free(text);
	return v;
}

cf_err cf_apikey_create(cf_client *client, const char *const *scopes,
                        size_t n_scopes, const char *const *allow,
                        size_t n_allow, const char *label, json_t **ret,
                        struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = cf_call_start(c, p);
	if (err)
		return err;
	if (n_scopes == 0 || n_scopes > 64 || n_allow > 32 || !scopes ||
	    (n_allow && !allow))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "an API key needs 1 to 64 scopes and at "
		                    "most 32 allowed networks");
	if (label && !cf_text_ok(label, 1, 64))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a label is 1 to 64 characters");
	json_t *s = joined(scopes, n_scopes, " ");
	json_t *a = n_allow ? joined(allow, n_allow, ", ") : NULL;
	if (!s || (n_allow && !a)) {
		json_decref(s);
		json_decref(a);
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a scope or network is empty, too long, or "
		                    "holds a blank, a comma or a control "
		                    "character");
	}
	CF_AUTO_SECRET_JSON *body = json_pack("{s:o}", "scopes", s);   /* takes s */
	if (!body)
		json_decref(a);
	if (!body || (a && json_object_set_new(body, "allow", a) != 0) ||
	    (label && json_object_set_new(body, "label",
	                                  json_string(label)) != 0))
		return cf_call_nomem(c, p);
	return cf_call(c, p, &(const struct cf_call){
		.method = "POST", .path = "/v1/api-keys",
		.auth = CF_CALL_SESSION, .has_body = true, .body = body }, ret);
}

cf_err cf_apikeys_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem)
{
	return session_get(client, problem, "/v1/api-keys", ret);
}

cf_err cf_apikey_revoke(cf_client *client, const char *id,
                        struct cf_id_problem *problem)
{
	return id_action(client, problem, "DELETE", "api-keys", id, "",
	                 "the API key", NULL);
}

cf_err cf_sessions_revoke(cf_client *client, const char *user_id,
                          struct cf_id_problem *problem)
{
	return id_action(client, problem, "POST", "users", user_id,
	                 "/sessions/revoke", "the user", NULL);
}
