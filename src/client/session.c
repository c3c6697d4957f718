/* What the profile holds for the identity calls: this device's signing key,
 * the session (token, ids, public keys) and the sealed key bundle as the
 * server sent it, nothing else. A device-wiped answer deletes all of it
 * (cf_session_forget). */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/sign.h"
#include "util/encoding.h"

#define SESSION_FILE_MAX   ((size_t)16 * 1024)
#define BUNDLE_FILE_MAX    ((size_t)4 * 1024)
#define DEVICE_KEY_MAGIC   "coffre-v1 device"
#define DEVICE_FILE_BYTES  (sizeof DEVICE_KEY_MAGIC + CF_SIGN_SEED_BYTES)

cf_err cf_call_profile(cf_client *c, struct cf_id_problem *p,
                       cf_profile **ret)
{
	cf_err err = cf_client_profile(c, ret);
	if (err && p)
		p->failure = CF_ID_FAIL_OTHER;
	return err;
}

cf_err cf_call_profile_error(cf_client *c, struct cf_id_problem *p,
                             cf_profile *prof, cf_err err)
{
	return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err, "%s",
	                    cf_profile_last_error(prof));
}

/* Writes doc (NULL: it could not be made) to a profile file, its text
 * wiped after. */
static cf_err write_json(cf_client *c, struct cf_id_problem *p,
                         cf_profile *prof, const char *file,
                         const json_t *doc)
{
	CF_AUTO_SECRET_STR *text =
		doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		return cf_call_nomem(c, p);
	cf_err err = cf_profile_write(prof, file, text, strlen(text));
	return err ? cf_call_profile_error(c, p, prof, err) : CF_OK;
}

/* Removes the files that belong to this device's session. */
void cf_session_forget(cf_profile *prof, bool device_too)
{
	(void)cf_profile_remove(prof, CF_SESSION_FILE);
	(void)cf_profile_remove(prof, CF_KEY_BUNDLE_FILE);
	if (device_too) {
		(void)cf_profile_remove(prof, CF_DEVICE_KEY_FILE);
		/* The TLS pair names the wiped device: the next device made
		 * here would present it and be refused. */
		(void)cf_profile_remove(prof, CF_DEVCERT_NEXT_CERT_FILE);
		(void)cf_profile_remove(prof, CF_DEVCERT_CERT_FILE);
		(void)cf_profile_remove(prof, CF_DEVCERT_KEY_FILE);
		(void)cf_profile_remove(prof, CF_DEVCERT_NEXT_KEY_FILE);
	}
}

void cf_stored_session_clear(struct cf_stored_session *s)
{
	cf_secret_free(s->token);
	s->token = NULL;
}

static cf_err parse_session(cf_client *c, const json_t *doc,
                            struct cf_stored_session *ret)
{
	struct cf_stored_session s;
	memset(&s, 0, sizeof s);
	const json_t *v = json_object_get(doc, "v");
	const char *server = json_string_value(json_object_get(doc, "server"));
	if (!json_is_integer(v) || json_integer_value(v) != 1 || !server)
		return CF_ERR_INVALID;
	if (strcmp(server, cf_client_server_url(c)) != 0)
		return CF_ERR_NOT_FOUND;
	char token[CF_TOKEN_MAX + 1];
	if (!cf_answer_text(doc, "token", token, sizeof token) ||
	    !cf_answer_id(doc, "user_id", s.info.user_id) ||
	    !cf_answer_id(doc, "org_id", s.info.org_id) ||
	    !cf_answer_id(doc, "device_id", s.info.device_id) ||
	    !cf_answer_text(doc, "role", s.info.role, sizeof s.info.role) ||
	    !cf_answer_text(doc, "email", s.info.email, sizeof s.info.email) ||
	    !cf_answer_b64(doc, "sign_pk", s.info.sign_pk, CF_ID_KEY_BYTES) ||
	    !cf_answer_b64(doc, "enc_pk", s.info.enc_pk, CF_ID_KEY_BYTES)) {
		sodium_memzero(token, sizeof token);
		return CF_ERR_INVALID;
	}
	if (!cf_answer_text(doc, "device_status", s.info.device_status,
	                    sizeof s.info.device_status))
		s.info.device_status[0] = '\0';
	if (!cf_answer_long(doc, "idle_timeout_s", 0, 1L << 30,
	                    &s.info.idle_timeout_s))
		s.info.idle_timeout_s = -1;
	s.info.expires_in_s = -1;
	s.info.keys_verified = json_is_true(json_object_get(doc,
	                                                    "keys_verified"));
	size_t tlen = strlen(token);
	s.token = sodium_malloc(tlen + 1);
	if (!s.token) {
		sodium_memzero(token, sizeof token);
		return CF_ERR_NOMEM;
	}
	memcpy(s.token, token, tlen + 1);
	sodium_memzero(token, sizeof token);
	*ret = s;
	return CF_OK;
}

/* Reads a JSON file of the profile: *ret_doc is NULL when it is not JSON.
 * A missing file is a no-session failure with missing_err, told as
 * "<what> in the profile <dir><hint>". */
static cf_err read_json(cf_client *c, struct cf_id_problem *p,
                        const char *file, size_t max, cf_err missing_err,
                        const char *what, const char *hint,
                        cf_profile **ret_prof, json_t **ret_doc)
{
	cf_profile *prof = NULL;
	cf_err err = cf_call_profile(c, p, &prof);
	if (err)
		return err;
	CF_AUTO_PROFILE_DATA *data = NULL;
	size_t len = 0;
	err = cf_profile_read(prof, file, max, &data, &len);
	if (err == CF_ERR_NOT_FOUND)
		return cf_call_fail(c, p, CF_ID_FAIL_NO_SESSION, missing_err,
		                    "%s in the profile %s%s", what,
		                    cf_profile_dir(prof), hint);
	if (err)
		return cf_call_profile_error(c, p, prof, err);
	*ret_prof = prof;
	*ret_doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
	                      NULL);
	return CF_OK;
}

cf_err cf_session_load(cf_client *c, struct cf_id_problem *p,
                       struct cf_stored_session *ret)
{
	cf_profile *prof = NULL;
	CF_AUTO_SECRET_JSON *doc = NULL;
	cf_err err = read_json(c, p, CF_SESSION_FILE, SESSION_FILE_MAX,
	                       CF_ERR_DENIED, "not logged in: no session", "",
	                       &prof, &doc);
	if (err)
		return err;
	err = doc ? parse_session(c, doc, ret) : CF_ERR_INVALID;
	if (err == CF_ERR_NOT_FOUND)
		return cf_call_fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_DENIED,
		                    "not logged in to %s: the session in the "
		                    "profile is for another server", cf_client_server_url(c));
	if (err == CF_ERR_INVALID)
		return cf_call_fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_INVALID,
		                    "the session file in %s is damaged; log in "
		                    "again",
		                    cf_profile_dir(prof));
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err, "out of memory");
	return CF_OK;
}

cf_err cf_session_get(cf_client *client, struct cf_session_info *ret)
{
	if (!client || !ret)
		return CF_ERR_INVALID;
	struct cf_stored_session s;
	cf_err err = cf_session_load(client, NULL, &s);
	if (err)
		return err == CF_ERR_DENIED ? CF_ERR_NOT_FOUND : err;
	*ret = s.info;
	cf_stored_session_clear(&s);
	return CF_OK;
}

cf_err cf_session_save(cf_client *c, struct cf_id_problem *p,
                       const struct cf_session_info *info,
                       const char *token)
{
	cf_profile *prof = NULL;
	cf_err err = cf_call_profile(c, p, &prof);
	if (err)
		return err;
	char spk[CF_B64_KEY_LEN + 1], epk[CF_B64_KEY_LEN + 1];
	cf_b64url_encode(spk, sizeof spk, info->sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(epk, sizeof epk, info->enc_pk, CF_ID_KEY_BYTES);
	CF_AUTO_SECRET_JSON *doc = json_pack(
		"{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I,"
		" s:b, s:I}",
		"v", 1, "server", cf_client_server_url(c),
		"email", info->email, "token", token,
		"user_id", info->user_id, "org_id", info->org_id,
		"device_id", info->device_id, "role", info->role,
		"device_status", info->device_status,
		"sign_pk", spk, "enc_pk", epk,
		"idle_timeout_s", (json_int_t)info->idle_timeout_s,
		"keys_verified", info->keys_verified,
		"created_at", (json_int_t)time(NULL));
	return write_json(c, p, prof, CF_SESSION_FILE, doc);
}

cf_err cf_bundle_save(cf_client *c, struct cf_id_problem *p,
                      const char *user_id,
                      const uint8_t sealed[CF_BUNDLE_SEALED_BYTES],
                      const uint8_t sign_pk[CF_ID_KEY_BYTES],
                      const uint8_t enc_pk[CF_ID_KEY_BYTES])
{
	cf_profile *prof = NULL;
	cf_err err = cf_call_profile(c, p, &prof);
	if (err)
		return err;
	char b[CF_B64_BUNDLE_LEN + 1], spk[CF_B64_KEY_LEN + 1], epk[CF_B64_KEY_LEN + 1];
	cf_b64url_encode(b, sizeof b, sealed, CF_BUNDLE_SEALED_BYTES);
	cf_b64url_encode(spk, sizeof spk, sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(epk, sizeof epk, enc_pk, CF_ID_KEY_BYTES);
	CF_AUTO_SECRET_JSON *doc = json_pack("{s:i, s:s, s:s, s:s, s:s}", "v", 1,
	                           "user_id", user_id, "bundle", b,
	                           "sign_pk", spk, "enc_pk", epk);
	return write_json(c, p, prof, CF_KEY_BUNDLE_FILE, doc);
}

/* The sealed bundle the profile holds for user_id. */
cf_err cf_bundle_load(cf_client *c, struct cf_id_problem *p,
                      const char *user_id,
                      uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES])
{
	cf_profile *prof = NULL;
	CF_AUTO_SECRET_JSON *doc = NULL;
	cf_err err = read_json(c, p, CF_KEY_BUNDLE_FILE, BUNDLE_FILE_MAX,
	                       CF_ERR_NOT_FOUND, "no key bundle",
	                       "; log in again", &prof, &doc);
	if (err)
		return err;
	char uid[CF_ID_HEX_LEN + 1];
	const json_t *v = json_object_get(doc, "v");
	if (!doc || !json_is_integer(v) || json_integer_value(v) != 1 ||
	    !cf_answer_id(doc, "user_id", uid) ||
	    !cf_answer_b64(doc, "bundle", ret_sealed, CF_BUNDLE_SEALED_BYTES))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the key bundle file in %s is damaged; log "
		                    "in again",
		                    cf_profile_dir(prof));
	if (strcmp(uid, user_id) != 0)
		return cf_call_fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_NOT_FOUND,
		                    "the key bundle in %s is another user's; "
		                    "log in again", cf_profile_dir(prof));
	return CF_OK;
}

/* First use of this profile: a new device key, written as the magic and
 * the seed. */
static cf_err device_key_make(cf_client *c, struct cf_id_problem *p,
                              cf_profile *prof, uint8_t pk[CF_SIGN_PK_BYTES],
                              uint8_t *sk)
{
	CF_AUTO_SODIUM uint8_t *file = sodium_malloc(DEVICE_FILE_BYTES);
	if (!file)
		return cf_call_nomem(c, p);
	cf_err err = cf_sign_keypair(pk, sk);
	if (err)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, err,
		                    "cannot make a device key");
	memcpy(file, DEVICE_KEY_MAGIC, sizeof DEVICE_KEY_MAGIC);
	memcpy(file + sizeof DEVICE_KEY_MAGIC, sk, CF_SIGN_SEED_BYTES);
	err = cf_profile_write(prof, CF_DEVICE_KEY_FILE, file,
	                       DEVICE_FILE_BYTES);
	return err ? cf_call_profile_error(c, p, prof, err) : CF_OK;
}

/* The device key the profile holds (CF_ERR_NOT_FOUND when none, with no
 * message). */
static cf_err device_key_read(cf_client *c, struct cf_id_problem *p,
                              cf_profile *prof, uint8_t pk[CF_SIGN_PK_BYTES],
                              uint8_t *sk)
{
	CF_AUTO_PROFILE_DATA *data = NULL;
	size_t len = 0;
	cf_err err = cf_profile_read(prof, CF_DEVICE_KEY_FILE,
	                             DEVICE_FILE_BYTES + 1, &data, &len);
	if (err == CF_ERR_NOT_FOUND)
		return err;
	if (err)
		return cf_call_profile_error(c, p, prof, err);
	if (len != DEVICE_FILE_BYTES ||
	    memcmp(data, DEVICE_KEY_MAGIC, sizeof DEVICE_KEY_MAGIC) != 0 ||
	    cf_sign_seed_keypair(pk, sk, data + sizeof DEVICE_KEY_MAGIC))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the device key file in %s is damaged",
		                    cf_profile_dir(prof));
	return CF_OK;
}

cf_err cf_device_key_load(cf_client *c, struct cf_id_problem *p,
                          bool create, uint8_t ret_pk[32],
                          uint8_t *ret_sk)
{
	cf_profile *prof = NULL;
	cf_err err = cf_call_profile(c, p, &prof);
	if (err)
		return err;
	CF_AUTO_SODIUM uint8_t *sk = sodium_malloc(CF_SIGN_SK_BYTES);
	uint8_t pk[CF_SIGN_PK_BYTES];
	if (!sk)
		return cf_call_nomem(c, p);
	err = device_key_read(c, p, prof, pk, sk);
	if (err == CF_ERR_NOT_FOUND && create)
		err = device_key_make(c, p, prof, pk, sk);
	else if (err == CF_ERR_NOT_FOUND)
		err = cf_call_fail(c, p, CF_ID_FAIL_NO_SESSION, err,
		                   "no device key in the profile %s",
		                   cf_profile_dir(prof));
	if (err)
		return err;
	memcpy(ret_pk, pk, sizeof pk);
	if (ret_sk)
		memcpy(ret_sk, sk, CF_SIGN_SK_BYTES);
	return CF_OK;
}

cf_err cf_device_key(cf_client *client, bool create,
                     uint8_t ret_pk[CF_ID_KEY_BYTES], uint8_t *ret_sk)
{
	if (!client || !ret_pk)
		return CF_ERR_INVALID;
	return cf_device_key_load(client, NULL, create, ret_pk, ret_sk);
}
