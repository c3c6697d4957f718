/* libcoffre identity calls: enrolment, login, sessions, recovery, password,
 * second factors, PIN, phone and the organisation admin endpoints of
 * docs/api/identity.md, on top of the formats of keys.c.
 *
 * Rules (docs/internals/client-identity.md):
 * - the password, kek, recovery code and private keys exist only in locked
 *   (sodium_malloc) or wiped memory, for the duration of one call (a
 *   cf_login / cf_recovery holds them between two calls);
 * - every JSON value that held a secret is wiped before it is released
 *   (cf_json_wipe_decref), every base64 copy of a key too;
 * - the profile keeps the device key, the session (token, ids, public keys)
 *   and the sealed bundle as the server sent it, nothing else;
 * - a device-wiped answer deletes the device key, session and bundle (and
 *   the device's TLS certificate and key) from the profile before the call
 *   returns. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/internal.h"
#include "crypto/crypto.h"
#include "crypto/dh.h"
#include "crypto/hpke.h"
#include "crypto/pwhash.h"
#include "crypto/sign.h"
#include "util/encoding.h"

#define SESSION_FILE_MAX   ((size_t)16 * 1024)
#define BUNDLE_FILE_MAX    ((size_t)4 * 1024)
#define TOKEN_MAX          128
#define PENDING_MAX        128
#define CODE_MAX           64
#define JSON_WIPE_DEPTH    64
#define LOGIN_METHODS_MAX  4
#define B64_KEY_LEN        43      /* 32 bytes */
#define B64_BUNDLE_LEN     123     /* 92 bytes */
#define DEVICE_KEY_MAGIC   "coffre-v1 device"
#define DEVICE_FILE_BYTES  (sizeof DEVICE_KEY_MAGIC + CF_SIGN_SEED_BYTES)
#define ANSWER_ACCEPT      "application/json, application/problem+json"

_Static_assert(B64_KEY_LEN == 43 && B64_BUNDLE_LEN == 123, "b64 lengths");

/* ------------------------------------------------------------------------ */
/* Messages and problems                                                     */

/* The client's last error. cf_client_last_error() points into the
 * client's own CF_ERRMSG_MAX-byte buffer (client.c); identity calls write
 * their reasons there too, so that a caller has one place to look. (To
 * become an internal setter in client.c.) */
static void set_error(cf_client *c, const char *fmt, ...) CF_PRINTF(2, 3);
static void set_error(cf_client *c, const char *fmt, ...)
{
	char *buf = (char *)(uintptr_t)cf_client_last_error(c);
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(buf, CF_ERRMSG_MAX, fmt, ap);
	va_end(ap);
}

static void append_error(cf_client *c, const char *text)
{
	char *buf = (char *)(uintptr_t)cf_client_last_error(c);
	size_t len = strnlen(buf, CF_ERRMSG_MAX - 1);
	cf_msg_format(buf + len, CF_ERRMSG_MAX - len, "%s", text);
}

static void problem_reset(struct cf_id_problem *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof *p);
	p->tries_left = -1;
	p->retry_after_s = -1;
}

static cf_err fail(cf_client *c, struct cf_id_problem *p,
                   enum cf_id_failure failure, cf_err err,
                   const char *fmt, ...) CF_PRINTF(5, 6);
static cf_err fail(cf_client *c, struct cf_id_problem *p,
                   enum cf_id_failure failure, cf_err err,
                   const char *fmt, ...)
{
	char *buf = (char *)(uintptr_t)cf_client_last_error(c);
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(buf, CF_ERRMSG_MAX, fmt, ap);
	va_end(ap);
	if (p)
		p->failure = failure;
	return err;
}

static cf_err no_memory(cf_client *c, struct cf_id_problem *p)
{
	return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------------------------------ */
/* Wiping helpers                                                            */

static void json_wipe(json_t *v, int depth)
{
	if (!v || depth > JSON_WIPE_DEPTH)
		return;
	if (json_is_string(v)) {
		/* The value is owned by this json_t; wiping it in place is
		 * how its bytes leave the heap. */
		char *s = (char *)(uintptr_t)json_string_value(v);
		sodium_memzero(s, json_string_length(v));
	} else if (json_is_object(v)) {
		const char *key;
		json_t *item;
		json_object_foreach(v, key, item)
			json_wipe(item, depth + 1);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
			json_wipe(item, depth + 1);
	}
}

void cf_json_wipe_decref(json_t *doc)
{
	if (!doc)
		return;
	json_wipe(doc, 0);
	json_decref(doc);
}

static void json_wipep(json_t **p)
{
	cf_json_wipe_decref(*p);
	*p = NULL;
}

static void secret_freep(char **p)
{
	cf_secret_free(*p);
	*p = NULL;
}

static void keys_freep(struct cf_identity_keys **p)
{
	cf_identity_keys_free(*p);
	*p = NULL;
}

static void response_freep(struct cf_http_response **r)
{
	cf_http_response_free(*r);
}

static void text_wipe_free(char **p)
{
	if (*p) {
		sodium_memzero(*p, strlen(*p));
		free(*p);
	}
}

static void profile_data_freep(unsigned char **p)
{
	cf_profile_data_free(*p);
}

#define AUTO_JSON __attribute__((cleanup(json_wipep))) json_t
#define AUTO_KEYS __attribute__((cleanup(keys_freep))) struct cf_identity_keys

/* A 32-byte key wiped when it goes out of scope. */
static void wipe_key(uint8_t (*k)[CF_ID_KEY_BYTES])
{
	sodium_memzero(*k, sizeof *k);
}
#define SECRET_KEY(name) \
	__attribute__((cleanup(wipe_key))) uint8_t name[CF_ID_KEY_BYTES]

/* base64url text of a secret, wiped when it goes out of scope. */
struct b64 {
	char text[B64_BUNDLE_LEN + 1];
};
static void wipe_b64(struct b64 *b)
{
	sodium_memzero(b, sizeof *b);
}
#define B64(name) __attribute__((cleanup(wipe_b64))) struct b64 name

static void b64_of(struct b64 *out, const uint8_t *bin, size_t len)
{
	if (cf_b64url_encode(out->text, sizeof out->text, bin, len) != CF_OK)
		out->text[0] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Reading answers                                                           */

/* A string member of at most cap-1 bytes of printable ASCII. */
static bool get_text(const json_t *obj, const char *key, char *out, size_t cap)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0 || len >= cap)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	memcpy(out, s, len + 1);
	return true;
}

static bool get_id(const json_t *obj, const char *key,
                   char out[CF_ID_HEX_LEN + 1])
{
	char tmp[CF_ID_HEX_LEN + 1];
	if (!get_text(obj, key, tmp, sizeof tmp) || cf_id_check(tmp) != CF_OK)
		return false;
	memcpy(out, tmp, sizeof tmp);
	return true;
}

/* Exactly len bytes of strict base64url. */
static bool get_b64(const json_t *obj, const char *key, uint8_t *out,
                    size_t len)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return false;
	size_t got = 0;
	if (cf_b64url_decode(out, len, &got, json_string_value(v),
	                     json_string_length(v)) != CF_OK || got != len) {
		sodium_memzero(out, len);
		return false;
	}
	return true;
}

/* An integer member within [min, max]. */
static bool get_long(const json_t *obj, const char *key, long min, long max,
                     long *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return false;
	*out = (long)n;
	return true;
}

static cf_err bad_answer(cf_client *c, struct cf_id_problem *p,
                         const char *what, const char *member)
{
	return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
	            "the server's answer to %s has no valid \"%s\"", what,
	            member);
}

/* Argon2id parameters of an answer, checked against coffre-v1's floor and
 * this client's ceiling before any memory is committed to them. */
static cf_err get_kdf(cf_client *c, struct cf_id_problem *p, const json_t *doc,
                      const char *what, struct cf_kdf_params *ret)
{
	struct cf_kdf_params k;
	long t = 0, m = 0;
	if (!get_b64(doc, "salt", k.salt, sizeof k.salt))
		return bad_answer(c, p, what, "salt");
	if (!get_long(doc, "t_cost", 0, 1L << 30, &t))
		return bad_answer(c, p, what, "t_cost");
	if (!get_long(doc, "m_cost_kib", 0, 1L << 30, &m))
		return bad_answer(c, p, what, "m_cost_kib");
	if (t < CF_ARGON2_T_MIN || m < (long)CF_ARGON2_M_MIN_KIB)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		            "the server asks for Argon2id t=%ld, m=%ld KiB, "
		            "below coffre-v1's floor (t >= %d, m >= %u KiB)",
		            t, m, CF_ARGON2_T_MIN, CF_ARGON2_M_MIN_KIB);
	if (t > CF_ARGON2_T_MAX || m > (long)CF_ARGON2_M_MAX_KIB)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		            "the server asks for Argon2id t=%ld, m=%ld KiB, "
		            "above this client's ceiling (t <= %d, m <= %u KiB)",
		            t, m, CF_ARGON2_T_MAX, CF_ARGON2_M_MAX_KIB);
	k.t_cost = (uint32_t)t;
	k.m_cost_kib = (uint32_t)m;
	*ret = k;
	return CF_OK;
}

/* The slug of a problem type: "urn:coffre:problem:session-locked" →
 * "session-locked"; lower-case letters, digits and '-' only. */
static void problem_slug(const char *type, char *out, size_t cap)
{
	out[0] = '\0';
	if (!type)
		return;
	const char *s = type;
	const char *colon = strrchr(type, ':');
	const char *slash = strrchr(type, '/');
	if (colon && colon + 1 > s)
		s = colon + 1;
	if (slash && slash + 1 > s)
		s = slash + 1;
	size_t o = 0;
	for (; *s && o + 1 < cap; s++) {
		char ch = *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-')
			out[o++] = ch;
		else
			break;
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Profile: session, bundle, device key                                      */

static cf_err profile_of(cf_client *c, struct cf_id_problem *p,
                         cf_profile **ret)
{
	cf_err err = cf_client_profile(c, ret);
	if (err && p)
		p->failure = CF_ID_FAIL_OTHER;
	return err;
}

static cf_err profile_error(cf_client *c, struct cf_id_problem *p,
                            cf_profile *prof, cf_err err)
{
	return fail(c, p, CF_ID_FAIL_OTHER, err, "%s",
	            cf_profile_last_error(prof));
}

/* Writes doc (NULL: it could not be made) to a profile file, its text
 * wiped after. */
static cf_err write_json(cf_client *c, struct cf_id_problem *p,
                         cf_profile *prof, const char *file,
                         const json_t *doc)
{
	__attribute__((cleanup(text_wipe_free))) char *text =
		doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		return no_memory(c, p);
	cf_err err = cf_profile_write(prof, file, text, strlen(text));
	return err ? profile_error(c, p, prof, err) : CF_OK;
}

/* Removes the files that belong to this device's session. */
static void forget_session(cf_profile *prof, bool device_too)
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

/* A session read from the profile: its token in locked memory. */
struct session {
	struct cf_session_info info;
	char *token;
};

static void session_clear(struct session *s)
{
	cf_secret_free(s->token);
	s->token = NULL;
}

static cf_err parse_session(cf_client *c, const json_t *doc,
                            struct session *ret)
{
	struct session s;
	memset(&s, 0, sizeof s);
	const json_t *v = json_object_get(doc, "v");
	const char *server = json_string_value(json_object_get(doc, "server"));
	if (!json_is_integer(v) || json_integer_value(v) != 1 || !server)
		return CF_ERR_INVALID;
	if (strcmp(server, cf_client_server_url(c)) != 0)
		return CF_ERR_NOT_FOUND;
	char token[TOKEN_MAX + 1];
	if (!get_text(doc, "token", token, sizeof token) ||
	    !get_id(doc, "user_id", s.info.user_id) ||
	    !get_id(doc, "org_id", s.info.org_id) ||
	    !get_id(doc, "device_id", s.info.device_id) ||
	    !get_text(doc, "role", s.info.role, sizeof s.info.role) ||
	    !get_text(doc, "email", s.info.email, sizeof s.info.email) ||
	    !get_b64(doc, "sign_pk", s.info.sign_pk, CF_ID_KEY_BYTES) ||
	    !get_b64(doc, "enc_pk", s.info.enc_pk, CF_ID_KEY_BYTES)) {
		sodium_memzero(token, sizeof token);
		return CF_ERR_INVALID;
	}
	if (!get_text(doc, "device_status", s.info.device_status,
	              sizeof s.info.device_status))
		s.info.device_status[0] = '\0';
	if (!get_long(doc, "idle_timeout_s", 0, 1L << 30,
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
	cf_err err = profile_of(c, p, &prof);
	if (err)
		return err;
	__attribute__((cleanup(profile_data_freep))) unsigned char *data = NULL;
	size_t len = 0;
	err = cf_profile_read(prof, file, max, &data, &len);
	if (err == CF_ERR_NOT_FOUND)
		return fail(c, p, CF_ID_FAIL_NO_SESSION, missing_err,
		            "%s in the profile %s%s", what,
		            cf_profile_dir(prof), hint);
	if (err)
		return profile_error(c, p, prof, err);
	*ret_prof = prof;
	*ret_doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES,
	                      NULL);
	return CF_OK;
}

static cf_err load_session(cf_client *c, struct cf_id_problem *p,
                           struct session *ret)
{
	cf_profile *prof = NULL;
	AUTO_JSON *doc = NULL;
	cf_err err = read_json(c, p, CF_SESSION_FILE, SESSION_FILE_MAX,
	                       CF_ERR_DENIED, "not logged in: no session", "",
	                       &prof, &doc);
	if (err)
		return err;
	err = doc ? parse_session(c, doc, ret) : CF_ERR_INVALID;
	if (err == CF_ERR_NOT_FOUND)
		return fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_DENIED,
		            "not logged in to %s: the session in the profile "
		            "is for another server", cf_client_server_url(c));
	if (err == CF_ERR_INVALID)
		return fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_INVALID,
		            "the session file in %s is damaged; log in again",
		            cf_profile_dir(prof));
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err, "out of memory");
	return CF_OK;
}

cf_err cf_session_get(cf_client *client, struct cf_session_info *ret)
{
	if (!client || !ret)
		return CF_ERR_INVALID;
	struct session s;
	cf_err err = load_session(client, NULL, &s);
	if (err)
		return err == CF_ERR_DENIED ? CF_ERR_NOT_FOUND : err;
	*ret = s.info;
	session_clear(&s);
	return CF_OK;
}

static cf_err save_session(cf_client *c, struct cf_id_problem *p,
                           const struct cf_session_info *info,
                           const char *token)
{
	cf_profile *prof = NULL;
	cf_err err = profile_of(c, p, &prof);
	if (err)
		return err;
	char spk[B64_KEY_LEN + 1], epk[B64_KEY_LEN + 1];
	cf_b64url_encode(spk, sizeof spk, info->sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(epk, sizeof epk, info->enc_pk, CF_ID_KEY_BYTES);
	AUTO_JSON *doc = json_pack(
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

static cf_err save_bundle(cf_client *c, struct cf_id_problem *p,
                          const char *user_id,
                          const uint8_t sealed[CF_BUNDLE_SEALED_BYTES],
                          const uint8_t sign_pk[CF_ID_KEY_BYTES],
                          const uint8_t enc_pk[CF_ID_KEY_BYTES])
{
	cf_profile *prof = NULL;
	cf_err err = profile_of(c, p, &prof);
	if (err)
		return err;
	char b[B64_BUNDLE_LEN + 1], spk[B64_KEY_LEN + 1], epk[B64_KEY_LEN + 1];
	cf_b64url_encode(b, sizeof b, sealed, CF_BUNDLE_SEALED_BYTES);
	cf_b64url_encode(spk, sizeof spk, sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(epk, sizeof epk, enc_pk, CF_ID_KEY_BYTES);
	AUTO_JSON *doc = json_pack("{s:i, s:s, s:s, s:s, s:s}", "v", 1,
	                           "user_id", user_id, "bundle", b,
	                           "sign_pk", spk, "enc_pk", epk);
	return write_json(c, p, prof, CF_KEY_BUNDLE_FILE, doc);
}

/* The sealed bundle the profile holds for user_id. */
static cf_err load_bundle(cf_client *c, struct cf_id_problem *p,
                          const char *user_id,
                          uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES])
{
	cf_profile *prof = NULL;
	AUTO_JSON *doc = NULL;
	cf_err err = read_json(c, p, CF_KEY_BUNDLE_FILE, BUNDLE_FILE_MAX,
	                       CF_ERR_NOT_FOUND, "no key bundle",
	                       "; log in again", &prof, &doc);
	if (err)
		return err;
	char uid[CF_ID_HEX_LEN + 1];
	const json_t *v = json_object_get(doc, "v");
	if (!doc || !json_is_integer(v) || json_integer_value(v) != 1 ||
	    !get_id(doc, "user_id", uid) ||
	    !get_b64(doc, "bundle", ret_sealed, CF_BUNDLE_SEALED_BYTES))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the key bundle file in %s is damaged; log in again",
		            cf_profile_dir(prof));
	if (strcmp(uid, user_id) != 0)
		return fail(c, p, CF_ID_FAIL_NO_SESSION, CF_ERR_NOT_FOUND,
		            "the key bundle in %s is another user's; log in "
		            "again", cf_profile_dir(prof));
	return CF_OK;
}

static cf_err device_key_profile(cf_client *c, struct cf_id_problem *p,
                                 bool create, uint8_t ret_pk[32],
                                 uint8_t *ret_sk)
{
	cf_profile *prof = NULL;
	cf_err err = profile_of(c, p, &prof);
	if (err)
		return err;
	__attribute__((cleanup(profile_data_freep))) unsigned char *data = NULL;
	size_t len = 0;
	uint8_t *sk = sodium_malloc(CF_SIGN_SK_BYTES);
	uint8_t *file = sodium_malloc(DEVICE_FILE_BYTES);
	uint8_t pk[CF_SIGN_PK_BYTES];
	if (!sk || !file) {
		err = fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_NOMEM,
		           "out of memory");
		goto out;
	}
	err = cf_profile_read(prof, CF_DEVICE_KEY_FILE, DEVICE_FILE_BYTES + 1,
	                      &data, &len);
	if (err == CF_ERR_NOT_FOUND && create) {
		/* First use of this profile: a new device. */
		memcpy(file, DEVICE_KEY_MAGIC, sizeof DEVICE_KEY_MAGIC);
		err = cf_sign_keypair(pk, sk);
		if (!err) {
			memcpy(file + sizeof DEVICE_KEY_MAGIC, sk,
			       CF_SIGN_SEED_BYTES);
			err = cf_profile_write(prof, CF_DEVICE_KEY_FILE, file,
			                       DEVICE_FILE_BYTES);
			if (err)
				err = profile_error(c, p, prof, err);
		} else {
			err = fail(c, p, CF_ID_FAIL_OTHER, err,
			           "cannot make a device key");
		}
		goto out;
	}
	if (err == CF_ERR_NOT_FOUND) {
		err = fail(c, p, CF_ID_FAIL_NO_SESSION, err,
		           "no device key in the profile %s",
		           cf_profile_dir(prof));
		goto out;
	}
	if (err) {
		err = profile_error(c, p, prof, err);
		goto out;
	}
	if (len != DEVICE_FILE_BYTES ||
	    memcmp(data, DEVICE_KEY_MAGIC, sizeof DEVICE_KEY_MAGIC) != 0 ||
	    cf_sign_seed_keypair(pk, sk, data + sizeof DEVICE_KEY_MAGIC)) {
		err = fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		           "the device key file in %s is damaged",
		           cf_profile_dir(prof));
		goto out;
	}
out:
	if (!err) {
		memcpy(ret_pk, pk, sizeof pk);
		if (ret_sk)
			memcpy(ret_sk, sk, CF_SIGN_SK_BYTES);
	}
	if (sk)
		sodium_free(sk);
	if (file)
		sodium_free(file);
	return err;
}

cf_err cf_device_key(cf_client *client, bool create,
                     uint8_t ret_pk[CF_ID_KEY_BYTES], uint8_t *ret_sk)
{
	if (!client || !ret_pk)
		return CF_ERR_INVALID;
	return device_key_profile(client, NULL, create, ret_pk, ret_sk);
}

/* ------------------------------------------------------------------------ */
/* One call                                                                  */

enum call_auth {
	CALL_PUBLIC = 0,
	CALL_SESSION,     /* bearer from the profile's session */
	CALL_TOKEN,       /* bearer given (a session that is not stored yet) */
};

struct call {
	const char *method;
	const char *path;
	const json_t *body;
	enum call_auth auth;
	const char *token;
};

/* Reads the problem of a non-2xx answer into p, and acts on it: the
 * message goes to the client's last error; device-wiped forgets the
 * device; session-expired forgets the session. */
static cf_err answer_problem(cf_client *c, struct cf_id_problem *p,
                             const struct call *call,
                             const struct cf_http_response *r)
{
	char msg[CF_ERRMSG_MAX];
	cf_problem_message(msg, sizeof msg, r->status, r->content_type,
	                   r->body, r->body_len);
	set_error(c, "%s", msg);

	char slug[sizeof p->type] = "";
	int tries = -1;
	long retry = -1;
	bool wipe = false;
	if (r->body_len > 0 && cf_media_type_is_json(r->content_type)) {
		json_t *doc = json_loadb((const char *)r->body, r->body_len, 0,
		                         NULL);
		if (json_is_object(doc)) {
			problem_slug(json_string_value(json_object_get(doc,
			             "type")), slug, sizeof slug);
			long n;
			if (get_long(doc, "tries_left", 0, 1000, &n))
				tries = (int)n;
			if (get_long(doc, "retry_after", 0, 1L << 30, &n) ||
			    get_long(doc, "retry_after_s", 0, 1L << 30, &n))
				retry = n;
			wipe = json_is_true(json_object_get(doc, "wipe"));
		}
		json_decref(doc);
	}

	enum cf_id_failure f = CF_ID_FAIL_OTHER;
	if (strcmp(slug, "device-wiped") == 0 || (r->status == 403 && wipe))
		f = CF_ID_FAIL_WIPED;
	else if (strcmp(slug, "session-locked") == 0)
		f = CF_ID_FAIL_LOCKED;
	else if (strcmp(slug, "wrong-pin") == 0)
		f = CF_ID_FAIL_WRONG_PIN;
	else if (strcmp(slug, "session-expired") == 0 ||
	         (call->auth == CALL_SESSION &&
	          strcmp(slug, "unauthenticated") == 0))
		f = CF_ID_FAIL_EXPIRED;
	else if (strcmp(slug, "device-pending") == 0)
		f = CF_ID_FAIL_PENDING;
	else if (r->status == 429 || strcmp(slug, "too-many-attempts") == 0)
		f = CF_ID_FAIL_THROTTLED;
	else if (r->status == 401)
		f = CF_ID_FAIL_AUTH;

	cf_profile *prof = NULL;
	if (f == CF_ID_FAIL_WIPED && cf_client_profile(c, &prof) == CF_OK) {
		forget_session(prof, true);
		append_error(c, "; this device's key, session and key bundle "
		             "were deleted from the profile");
	} else if (f == CF_ID_FAIL_EXPIRED && call->auth == CALL_SESSION &&
	           cf_client_profile(c, &prof) == CF_OK) {
		forget_session(prof, false);
	}
	if (p) {
		p->failure = f;
		memcpy(p->type, slug, sizeof p->type);
		p->tries_left = tries;
		p->retry_after_s = retry;
	}
	return cf_http_status_error(r->status);
}

/* Sends one request of the contract and returns its JSON answer (JSON null
 * for an empty 2xx body). ret may be NULL when the answer is not wanted. */
static cf_err call(cf_client *c, struct cf_id_problem *p,
                   const struct call *call, json_t **ret)
{
	struct session s = { .token = NULL };
	const char *bearer = NULL;
	cf_err err;
	if (call->auth == CALL_SESSION) {
		err = load_session(c, p, &s);
		if (err)
			return err;
		bearer = s.token;
	} else if (call->auth == CALL_TOKEN) {
		bearer = call->token;
	}
	const struct cf_http_request req = {
		.method = call->method,
		.path = call->path,
		.json = call->body,
		.bearer = bearer,
		.accept = ANSWER_ACCEPT,
	};
	__attribute__((cleanup(response_freep))) struct cf_http_response *r =
		NULL;
	err = cf_client_request(c, &req, &r);
	session_clear(&s);
	if (err) {
		if (p)
			p->failure = CF_ID_FAIL_OTHER;
		return err;
	}
	if (p)
		p->status = r->status;
	if (r->status < 200 || r->status >= 300)
		return answer_problem(c, p, call, r);

	json_t *doc;
	if (r->body_len == 0) {
		doc = json_null();
	} else if (!cf_media_type_is_json(r->content_type)) {
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		            "server answered %ld to %s %s without JSON",
		            r->status, call->method, call->path);
	} else {
		doc = json_loadb((const char *)r->body, r->body_len,
		                 JSON_REJECT_DUPLICATES, NULL);
		if (!doc)
			return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
			            "server answered %ld to %s %s with invalid "
			            "JSON", r->status, call->method, call->path);
	}
	if (ret)
		*ret = doc;
	else
		cf_json_wipe_decref(doc);
	return CF_OK;
}

/* A call whose answer must be a JSON object. */
static cf_err call_object(cf_client *c, struct cf_id_problem *p,
                          const struct call *cl, json_t **ret)
{
	json_t *doc = NULL;
	cf_err err = call(c, p, cl, &doc);
	if (err)
		return err;
	if (!json_is_object(doc)) {
		cf_json_wipe_decref(doc);
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		            "the server's answer to %s %s is not a JSON object",
		            cl->method, cl->path);
	}
	*ret = doc;
	return CF_OK;
}

static cf_err need_client(cf_client *c, struct cf_id_problem *p)
{
	problem_reset(p);
	return c ? CF_OK : CF_ERR_INVALID;
}

/* What a call's answer must be. */
enum answer {
	ANSWER_JSON = 0,  /* any JSON (null for an empty body) */
	ANSWER_OBJECT,    /* a JSON object */
};

/* One call; body NULL sends none. */
static cf_err run_call(cf_client *c, struct cf_id_problem *p,
                       const char *method, const char *path,
                       enum call_auth auth, const json_t *body,
                       enum answer answer, json_t **ret)
{
	const struct call cl = { method, path, body, auth, NULL };
	return answer == ANSWER_OBJECT ? call_object(c, p, &cl, ret) :
	                                 call(c, p, &cl, ret);
}

/* A call with the session's bearer; body NULL sends none. */
static cf_err session_call(cf_client *c, struct cf_id_problem *p,
                           const char *method, const char *path,
                           const json_t *body, json_t **ret)
{
	return run_call(c, p, method, path, CALL_SESSION, body, ANSWER_JSON,
	                ret);
}

/* A call with a body made by the caller: NULL there means it could not be
 * made (out of memory), and nothing is sent. */
static cf_err send_body(cf_client *c, struct cf_id_problem *p,
                        const char *method, const char *path,
                        enum call_auth auth, const json_t *body,
                        enum answer answer, json_t **ret)
{
	if (!body)
		return no_memory(c, p);
	return run_call(c, p, method, path, auth, body, answer, ret);
}

/* METHOD path on the session with a body of one member, key: value (the
 * body taking value); the body is wiped after. */
static cf_err session_send_one(cf_client *c, struct cf_id_problem *p,
                               const char *method, const char *path,
                               const char *key, json_t *value)
{
	AUTO_JSON *body = json_pack("{s:o}", key, value);
	return send_body(c, p, method, path, CALL_SESSION, body, ANSWER_JSON,
	                 NULL);
}

/* METHOD path on the session with no body, for a client that is checked
 * first. */
static cf_err no_body_call(cf_client *c, struct cf_id_problem *p,
                           const char *method, const char *path,
                           json_t **ret)
{
	cf_err err = need_client(c, p);
	if (err)
		return err;
	return session_call(c, p, method, path, NULL, ret);
}

/* ------------------------------------------------------------------------ */
/* Input checks                                                              */

static bool text_ok(const char *s, size_t min, size_t max)
{
	if (!s)
		return false;
	size_t len = strnlen(s, max + 1);
	if (len < min || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static cf_err check_email(cf_client *c, struct cf_id_problem *p,
                          const char *email)
{
	if (!text_ok(email, 3, CF_EMAIL_MAX) || !strchr(email, '@') ||
	    strchr(email, ' '))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "not an e-mail address");
	return CF_OK;
}

static cf_err check_new_password(cf_client *c, struct cf_id_problem *p,
                                 const char *pw, size_t len)
{
	if (!pw || len < CF_PASSWORD_MIN)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the password must be at least %d characters long",
		            CF_PASSWORD_MIN);
	if (len > CF_PASSWORD_MAX)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_TOO_LARGE,
		            "the password must be at most %d bytes long",
		            CF_PASSWORD_MAX);
	return CF_OK;
}

/* A password to derive keys from (not a new one: any length that fits). */
static cf_err check_password(cf_client *c, struct cf_id_problem *p,
                             const char *pw, size_t len)
{
	if (!pw || len == 0 || len > CF_PASSWORD_MAX)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the password is empty or longer than %d bytes",
		            CF_PASSWORD_MAX);
	return CF_OK;
}

static cf_err check_pin(cf_client *c, struct cf_id_problem *p,
                        const char *pin, size_t len)
{
	if (cf_pin_check(pin, len) != CF_OK)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a PIN is %d to %d digits", CF_PIN_MIN_DIGITS,
		            CF_PIN_MAX_DIGITS);
	return CF_OK;
}

static bool phone_ok(const char *phone)
{
	if (!phone || phone[0] != '+')
		return false;
	size_t n = strnlen(phone + 1, 16);
	if (n < 8 || n > 15)
		return false;
	for (size_t i = 1; i <= n; i++)
		if (phone[i] < '0' || phone[i] > '9')
			return false;
	return true;
}

static cf_err check_id(cf_client *c, struct cf_id_problem *p, const char *id,
                       const char *what)
{
	if (cf_id_check(id) != CF_OK)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "%s must be an id of 32 lowercase hex characters",
		            what);
	return CF_OK;
}

static bool role_ok(const char *role)
{
	static const char *const roles[] = {
		"patient", "secretary", "professional", "admin", "superadmin",
	};
	for (size_t i = 0; role && i < sizeof roles / sizeof *roles; i++)
		if (strcmp(role, roles[i]) == 0)
			return true;
	return false;
}

static cf_err check_role(cf_client *c, struct cf_id_problem *p,
                         const char *role)
{
	if (!role_ok(role))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a role is patient, secretary, professional, admin "
		            "or superadmin");
	return CF_OK;
}

static cf_err check_code6(cf_client *c, struct cf_id_problem *p,
                          const char *code, size_t len)
{
	bool ok = code && len == 6;
	for (size_t i = 0; ok && i < len; i++)
		ok = code[i] >= '0' && code[i] <= '9';
	if (!ok)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a code is 6 digits");
	return CF_OK;
}

static bool id_raw(const char *hex, uint8_t out[CF_ID_BYTES_RAW])
{
	return cf_hex_decode(out, CF_ID_BYTES_RAW, hex, CF_ID_HEX_LEN) == CF_OK;
}

/* The account members of an answer: user_id (and its raw bytes when uid is
 * not NULL), org_id and role. Returns the first member that is missing or
 * invalid, NULL when all are good. */
static const char *get_account(const json_t *doc,
                               char user_id[CF_ID_HEX_LEN + 1],
                               uint8_t *uid, char org_id[CF_ID_HEX_LEN + 1],
                               char *role, size_t role_cap)
{
	if (!get_id(doc, "user_id", user_id) || (uid && !id_raw(user_id, uid)))
		return "user_id";
	if (!get_id(doc, "org_id", org_id))
		return "org_id";
	if (!get_text(doc, "role", role, role_cap))
		return "role";
	return NULL;
}

/* The device members of an answer, as get_account. */
static const char *get_device(const json_t *doc,
                              char device_id[CF_ID_HEX_LEN + 1],
                              char *status, size_t status_cap)
{
	if (!get_id(doc, "device_id", device_id))
		return "device_id";
	if (!get_text(doc, "device_status", status, status_cap))
		return "device_status";
	return NULL;
}

/* A JSON copy of a short secret (PIN, code) that is not NUL-terminated
 * where it comes from; the body holding it is wiped by
 * cf_json_wipe_decref. */
static json_t *json_secret(const char *s, size_t len)
{
	return json_stringn(s, len);
}

/* ------------------------------------------------------------------------ */
/* Enrolment                                                                 */

cf_err cf_enrol_begin(cf_client *client, const char *code, const char *email,
                      struct cf_enrol_invitation *ret,
                      struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = need_client(c, problem);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = check_email(c, problem, email)))
		return err;
	if (!text_ok(code, 1, CODE_MAX))
		return fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the invitation code is empty or too long");
	AUTO_JSON *body = json_pack("{s:s, s:s}", "code", code, "email", email);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, problem, "POST", "/v1/enrol/begin",
	                     CALL_PUBLIC, body, ANSWER_OBJECT, &doc)))
		return err;
	struct cf_enrol_invitation inv;
	memset(&inv, 0, sizeof inv);
	static const char what[] = "enrol/begin";
	const char *bad = get_account(doc, inv.user_id, NULL, inv.org_id,
	                              inv.role, sizeof inv.role);
	if (bad)
		return bad_answer(c, problem, what, bad);
	if ((err = get_kdf(c, problem, doc, what, &inv.kdf)))
		return err;
	*ret = inv;
	return CF_OK;
}

cf_err cf_enrol_finish(cf_client *client,
                       const struct cf_enrol_invitation *inv,
                       const struct cf_enrol_params *params,
                       struct cf_enrol_result *ret, char **ret_recovery_code,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !inv || !params || !ret || !ret_recovery_code)
		return CF_ERR_INVALID;
	const char *method = params->second_factor ? params->second_factor :
	                     "email";
	if (!text_ok(params->code, 1, CODE_MAX))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the invitation code is empty or too long");
	if ((err = check_email(c, p, params->email)) ||
	    (err = check_new_password(c, p, params->password,
	                              params->password_len)) ||
	    (err = check_pin(c, p, params->pin, params->pin_len)))
		return err;
	if (strcmp(method, "email") != 0 && strcmp(method, "sms") != 0)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the second factor at enrolment is email or sms");
	if (strcmp(method, "sms") == 0 && !phone_ok(params->phone))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "sms needs a phone number: '+' and 8 to 15 digits");
	if (params->phone && !phone_ok(params->phone))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a phone number is '+' and 8 to 15 digits");
	uint8_t uid[CF_ID_BYTES_RAW];
	if (cf_id_check(inv->user_id) || !id_raw(inv->user_id, uid))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the invitation has no valid user id");

	/* Keys first, so nothing is sent unless all of them exist. */
	SECRET_KEY(auth_key);
	SECRET_KEY(kek);
	SECRET_KEY(rec_auth);
	SECRET_KEY(rec_kek);
	AUTO_KEYS *keys = NULL;
	__attribute__((cleanup(secret_freep))) char *code_text = NULL;
	uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES], rbundle[CF_BUNDLE_SEALED_BYTES];
	uint8_t device_pk[CF_ID_KEY_BYTES];
	code_text = sodium_malloc(CF_RECOVERY_TEXT_LEN + 1);
	if (!code || !code_text || cf_identity_keys_new(&keys)) {
		if (code)
			sodium_free(code);
		return no_memory(c, p);
	}
	err = cf_id_password_keys(auth_key, kek, params->password,
	                          params->password_len, &inv->kdf);
	if (!err)
		err = cf_identity_keys_generate(keys);
	if (!err)
		err = cf_random_bytes(code, CF_RECOVERY_CODE_BYTES);
	if (!err)
		err = cf_id_recovery_keys(rec_auth, rec_kek, code);
	if (!err)
		err = cf_recovery_code_format(code_text, code);
	if (!err)
		err = cf_bundle_seal(bundle, keys, kek, uid);
	if (!err)
		err = cf_bundle_seal(rbundle, keys, rec_kek, uid);
	sodium_free(code);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot derive or seal the keys: %s",
		            cf_strerror(err));
	if ((err = device_key_profile(c, p, true, device_pk, NULL)))
		return err;
	cf_profile *prof = NULL;
	__attribute__((cleanup(text_wipe_free))) char *csr = NULL;
	if (params->device_cert) {
		cf_errmsg why = { .text = "" };
		if ((err = profile_of(c, p, &prof)))
			return err;
		if ((err = cf_devcert_csr(prof, &csr, &why)))
			return fail(c, p, CF_ID_FAIL_OTHER, err, "cannot make the "
			            "device certificate request: %s", why.text);
	}

	B64(b_auth);
	B64(b_rauth);
	b64_of(&b_auth, auth_key, sizeof auth_key);
	b64_of(&b_rauth, rec_auth, sizeof rec_auth);
	char b_bundle[B64_BUNDLE_LEN + 1], b_rbundle[B64_BUNDLE_LEN + 1];
	char b_spk[B64_KEY_LEN + 1], b_epk[B64_KEY_LEN + 1];
	char b_dev[B64_KEY_LEN + 1];
	cf_b64url_encode(b_bundle, sizeof b_bundle, bundle, sizeof bundle);
	cf_b64url_encode(b_rbundle, sizeof b_rbundle, rbundle, sizeof rbundle);
	cf_b64url_encode(b_spk, sizeof b_spk, keys->sign_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(b_epk, sizeof b_epk, keys->enc_pk, CF_ID_KEY_BYTES);
	cf_b64url_encode(b_dev, sizeof b_dev, device_pk, sizeof device_pk);

	AUTO_JSON *factor = params->phone ?
		json_pack("{s:s, s:s}", "method", method, "phone",
		          params->phone) :
		json_pack("{s:s}", "method", method);
	AUTO_JSON *body = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:O}",
		"code", params->code, "email", params->email,
		"auth_key", b_auth.text, "sign_pk", b_spk, "enc_pk", b_epk,
		"bundle", b_bundle, "recovery_bundle", b_rbundle,
		"recovery_auth", b_rauth.text,
		"pin", json_secret(params->pin, params->pin_len),
		"device_pk", b_dev, "second_factor", factor);
	if (!body || (csr && json_object_set_new(body, "csr",
	                                         json_string(csr)) != 0))
		return no_memory(c, p);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", "/v1/enrol", CALL_PUBLIC, body,
	                     ANSWER_OBJECT, &doc)))
		return err;
	struct cf_enrol_result res;
	memset(&res, 0, sizeof res);
	const char *bad = get_account(doc, res.user_id, NULL, res.org_id,
	                              res.role, sizeof res.role);
	if (!bad)
		bad = get_device(doc, res.device_id, res.device_status,
		                 sizeof res.device_status);
	if (bad)
		return bad_answer(c, p, "enrol", bad);
	/* The account exists now: whatever happens to the certificate, the
	 * recovery code must reach the user, so this cannot fail the call. */
	set_error(c, "%s", "");
	if (params->device_cert) {
		const char *pem = json_string_value(json_object_get(doc,
		                                    "certificate"));
		struct cf_devcert_info info;
		cf_errmsg why = { .text = "" };
		if (!pem)
			set_error(c, "enrolled, but the server sent no device "
			          "certificate (is it older than device "
			          "certificates?)");
		else if (cf_devcert_store(prof, pem,
		                          json_string_value(json_object_get(doc,
		                                            "ca")),
		                          json_string_value(json_object_get(doc,
		                                            "cert_sha256")),
		                          &info, &why) != CF_OK)
			set_error(c, "enrolled, but the device certificate was "
			          "not stored: %s", why.text);
		else {
			memcpy(res.cert_sha256, info.cert_sha256,
			       sizeof res.cert_sha256);
			res.cert_not_after = info.not_after;
		}
	}
	*ret = res;
	*ret_recovery_code = code_text;
	code_text = NULL;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Login                                                                     */

struct cf_login {
	char email[CF_EMAIL_MAX + 1];
	char pending[PENDING_MAX + 1];
	char sent[CF_METHOD_MAX + 1];
	char methods[LOGIN_METHODS_MAX][CF_METHOD_MAX + 1];
	size_t n_methods;
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
static cf_err prelogin(cf_client *c, struct cf_id_problem *p,
                       const char *email, struct cf_kdf_params *ret)
{
	AUTO_JSON *body = json_pack("{s:s}", "email", email);
	AUTO_JSON *doc = NULL;
	cf_err err = send_body(c, p, "POST", "/v1/auth/prelogin",
	                       CALL_PUBLIC, body, ANSWER_OBJECT, &doc);
	if (err)
		return err;
	const char *kdf = json_string_value(json_object_get(doc, "kdf"));
	if (!kdf || strcmp(kdf, "argon2id") != 0)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		            "the server asks for a password hash other than "
		            "argon2id; this client speaks coffre-v1 only");
	const json_t *par = json_object_get(doc, "parallelism");
	if (par && (!json_is_integer(par) || json_integer_value(par) != 1))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		            "the server asks for Argon2id with parallelism "
		            "other than 1; coffre-v1 uses p = 1");
	return get_kdf(c, p, doc, "prelogin", ret);
}

cf_err cf_login_begin(cf_client *client, const char *email,
                      const char *password, size_t password_len,
                      cf_login **ret, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = check_email(c, p, email)) ||
	    (err = check_password(c, p, password, password_len)))
		return err;
	__attribute__((cleanup(login_freep))) cf_login *l =
		sodium_malloc(sizeof *l);
	if (!l)
		return no_memory(c, p);
	memset(l, 0, sizeof *l);
	memcpy(l->email, email, strlen(email) + 1);

	struct cf_kdf_params kdf;
	if ((err = prelogin(c, p, email, &kdf)))
		return err;
	uint8_t device_pk[CF_ID_KEY_BYTES];
	if ((err = device_key_profile(c, p, true, device_pk, NULL)))
		return err;
	SECRET_KEY(auth_key);
	err = cf_id_password_keys(auth_key, l->kek, password, password_len,
	                          &kdf);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot derive the keys from the password: %s",
		            cf_strerror(err));
	B64(b_auth);
	b64_of(&b_auth, auth_key, sizeof auth_key);
	char b_dev[B64_KEY_LEN + 1];
	cf_b64url_encode(b_dev, sizeof b_dev, device_pk, sizeof device_pk);
	AUTO_JSON *body = json_pack("{s:s, s:s, s:s}", "email", email,
	                            "auth_key", b_auth.text, "device_pk",
	                            b_dev);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", "/v1/auth/login", CALL_PUBLIC,
	                     body, ANSWER_OBJECT, &doc)))
		return err;
	if (!get_text(doc, "pending", l->pending, sizeof l->pending))
		return bad_answer(c, p, "login", "pending");
	const json_t *methods = json_object_get(doc, "methods");
	if (!json_is_array(methods) || json_array_size(methods) == 0)
		return bad_answer(c, p, "login", "methods");
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
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_UNSUPPORTED,
		            "the server offers no second factor this client "
		            "knows (email, sms, totp)");
	const json_t *sent = json_object_get(doc, "sent");
	if (json_is_string(sent) && method_known(json_string_value(sent)))
		memcpy(l->sent, json_string_value(sent),
		       strlen(json_string_value(sent)) + 1);
	else if (sent && !json_is_null(sent))
		return bad_answer(c, p, "login", "sent");
	*ret = l;
	l = NULL;
	return CF_OK;
}

cf_err cf_login_send(cf_client *client, cf_login *login, const char *method,
                     struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !login)
		return CF_ERR_INVALID;
	if (!method || (strcmp(method, "email") && strcmp(method, "sms")))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a code can be sent by email or sms");
	if (!cf_login_offers(login, method))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the server does not offer %s for this account",
		            method);
	AUTO_JSON *body = json_pack("{s:s, s:s}", "pending", login->pending,
	                            "method", method);
	err = send_body(c, p, "POST", "/v1/auth/second-factor/send",
	                CALL_PUBLIC, body, ANSWER_JSON, NULL);
	if (!err)
		memcpy(login->sent, method, strlen(method) + 1);
	return err;
}

/* Ends a session the client will not keep (best effort). */
static void end_token(cf_client *c, const char *token)
{
	const struct call cl = { "POST", "/v1/auth/logout", NULL, CALL_TOKEN,
	                         token };
	char saved[CF_ERRMSG_MAX];
	cf_msg_format(saved, sizeof saved, "%s", cf_client_last_error(c));
	(void)call(c, NULL, &cl, NULL);
	set_error(c, "%s", saved);
}

cf_err cf_login_finish(cf_client *client, cf_login *login, const char *method,
                       const char *code, size_t code_len,
                       struct cf_session_info *ret,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !login || !ret)
		return CF_ERR_INVALID;
	if (!method_known(method))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "the second factor is email, sms or totp");
	if ((err = check_code6(c, p, code, code_len)))
		return err;
	AUTO_JSON *body = json_pack("{s:s, s:s, s:o}", "pending",
	                            login->pending, "method", method, "code",
	                            json_secret(code, code_len));
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", "/v1/auth/second-factor",
	                     CALL_PUBLIC, body, ANSWER_OBJECT, &doc)))
		return err;

	static const char what[] = "second-factor";
	struct cf_session_info info;
	memset(&info, 0, sizeof info);
	char token[TOKEN_MAX + 1];
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	uint8_t uid[CF_ID_BYTES_RAW];
	if (!get_text(doc, "token", token, sizeof token))
		return bad_answer(c, p, what, "token");
	/* From here the token exists on the server: end it on failure. */
	const char *bad = get_account(doc, info.user_id, uid, info.org_id,
	                              info.role, sizeof info.role);
	if (!bad)
		bad = get_device(doc, info.device_id, info.device_status,
		                 sizeof info.device_status);
	if (!bad && !get_b64(doc, "bundle", sealed, sizeof sealed))
		bad = "bundle";
	if (!bad && !get_b64(doc, "sign_pk", info.sign_pk, CF_ID_KEY_BYTES))
		bad = "sign_pk";
	if (!bad && !get_b64(doc, "enc_pk", info.enc_pk, CF_ID_KEY_BYTES))
		bad = "enc_pk";
	if (bad) {
		err = bad_answer(c, p, what, bad);
		end_token(c, token);
		sodium_memzero(token, sizeof token);
		return err;
	}
	if (!get_long(doc, "idle_timeout_s", 0, 1L << 30, &info.idle_timeout_s))
		info.idle_timeout_s = -1;
	if (!get_long(doc, "expires_in_s", 0, 1L << 30, &info.expires_in_s))
		info.expires_in_s = -1;
	memcpy(info.email, login->email, sizeof info.email);

	/* The bundle must open with this password's kek and hold the keys the
	 * server registered: else the server is not giving back our keys. */
	AUTO_KEYS *keys = NULL;
	err = cf_identity_keys_new(&keys);
	if (!err)
		err = cf_bundle_open(keys, sealed, sizeof sealed, login->kek, uid);
	if (!err)
		err = cf_identity_keys_match(keys, info.sign_pk, info.enc_pk);
	if (err) {
		err = fail(c, p, CF_ID_FAIL_KEYS, CF_ERR_CRYPTO,
		           "the key bundle the server returned does not open "
		           "with this password or does not hold the account's "
		           "public keys; nothing was stored and the session was "
		           "ended");
		end_token(c, token);
		sodium_memzero(token, sizeof token);
		return err;
	}
	info.keys_verified = true;
	err = save_bundle(c, p, info.user_id, sealed, info.sign_pk,
	                  info.enc_pk);
	if (!err)
		err = save_session(c, p, &info, token);
	sodium_memzero(token, sizeof token);
	if (err)
		return err;
	*ret = info;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Session                                                                   */

/* POST {"pin"} on the session, for a client and a PIN checked first. */
static cf_err send_pin(cf_client *c, struct cf_id_problem *p,
                       const char *path, const char *pin, size_t len)
{
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if ((err = check_pin(c, p, pin, len)))
		return err;
	return session_send_one(c, p, "POST", path, "pin",
	                        json_secret(pin, len));
}

cf_err cf_session_unlock(cf_client *client, const char *pin, size_t pin_len,
                         struct cf_id_problem *problem)
{
	return send_pin(client, problem, "/v1/auth/unlock", pin, pin_len);
}

cf_err cf_session_logout(cf_client *client, enum cf_logout *ret,
                         struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	cf_profile *prof = NULL;
	if ((err = profile_of(c, p, &prof)))
		return err;
	struct session s;
	err = load_session(c, p, &s);
	if (err && p && p->failure == CF_ID_FAIL_NO_SESSION) {
		/* Nothing to end; a stale bundle goes too. */
		(void)cf_profile_remove(prof, CF_KEY_BUNDLE_FILE);
		problem_reset(p);
		*ret = CF_LOGOUT_NONE;
		return CF_OK;
	}
	if (err)
		return err;
	session_clear(&s);
	struct cf_id_problem local;
	problem_reset(&local);
	err = session_call(c, &local, "POST", "/v1/auth/logout", NULL, NULL);
	if (p)
		*p = local;
	if (!err) {
		forget_session(prof, false);
		*ret = CF_LOGOUT_ENDED;
		return CF_OK;
	}
	if (local.status == 401) {
		/* The server no longer takes this token: forget it. */
		forget_session(prof, false);
		problem_reset(p);
		*ret = CF_LOGOUT_LOCAL;
		return CF_OK;
	}
	return err;
}

cf_err cf_me(cf_client *client, json_t **ret_me, struct cf_id_problem *problem)
{
	cf_err err = need_client(client, problem);
	if (err || !ret_me)
		return CF_ERR_INVALID;
	return run_call(client, problem, "GET", "/v1/me", CALL_SESSION, NULL,
	                ANSWER_OBJECT, ret_me);
}

/* ------------------------------------------------------------------------ */
/* Recovery and password                                                     */

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
	cf_err err = need_client(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	if ((err = check_email(c, p, email)))
		return err;
	__attribute__((cleanup(recovery_freep))) cf_recovery *r =
		sodium_malloc(sizeof *r);
	uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	if (!r || !code) {
		if (code)
			sodium_free(code);
		return no_memory(c, p);
	}
	memset(r, 0, sizeof *r);
	memcpy(r->email, email, strlen(email) + 1);
	SECRET_KEY(rec_kek);
	err = code_text ? cf_recovery_code_parse(code, code_text, code_len) :
	                  CF_ERR_INVALID;
	if (!err)
		err = cf_id_recovery_keys(r->recovery_auth, rec_kek, code);
	sodium_free(code);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "not a recovery code: it is 32 letters A-Z and "
		            "digits 2-7, in groups of 4 (case, blanks and dashes "
		            "do not matter)");

	AUTO_JSON *body = json_pack("{s:s}", "email", email);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", "/v1/auth/recover/begin",
	                     CALL_PUBLIC, body, ANSWER_OBJECT, &doc)))
		return err;
	static const char what[] = "recover/begin";
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	if (!get_id(doc, "user_id", r->user_id) || !id_raw(r->user_id, r->uid))
		return bad_answer(c, p, what, "user_id");
	if (!get_b64(doc, "recovery_bundle", sealed, sizeof sealed))
		return bad_answer(c, p, what, "recovery_bundle");
	if ((err = get_kdf(c, p, doc, what, &r->kdf)))
		return err;
	/* An unknown address gets a fake answer that no code opens: both
	 * read the same. */
	if (cf_bundle_open(&r->keys, sealed, sizeof sealed, rec_kek, r->uid))
		return fail(c, p, CF_ID_FAIL_AUTH, CF_ERR_DENIED,
		            "this recovery code does not open the recovery key "
		            "bundle of that account (wrong code or address, or "
		            "a code that was replaced)");
	*ret = r;
	r = NULL;
	return CF_OK;
}

cf_err cf_recover_finish(cf_client *client, cf_recovery *rec,
                         const char *new_password, size_t len,
                         struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !rec)
		return CF_ERR_INVALID;
	if ((err = check_new_password(c, p, new_password, len)))
		return err;
	SECRET_KEY(auth_key);
	SECRET_KEY(kek);
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES];
	err = cf_id_password_keys(auth_key, kek, new_password, len, &rec->kdf);
	if (!err)
		err = cf_bundle_seal(bundle, &rec->keys, kek, rec->uid);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot derive or seal the keys: %s",
		            cf_strerror(err));
	B64(b_rauth);
	B64(b_auth);
	b64_of(&b_rauth, rec->recovery_auth, CF_ID_KEY_BYTES);
	b64_of(&b_auth, auth_key, sizeof auth_key);
	char b_salt[32], b_bundle[B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_salt, sizeof b_salt, rec->kdf.salt,
	                 sizeof rec->kdf.salt);
	cf_b64url_encode(b_bundle, sizeof b_bundle, bundle, sizeof bundle);
	AUTO_JSON *body = json_pack("{s:s, s:s, s:s, s:s, s:s}",
	                            "email", rec->email,
	                            "recovery_auth", b_rauth.text,
	                            "salt", b_salt, "auth_key", b_auth.text,
	                            "bundle", b_bundle);
	if ((err = send_body(c, p, "POST", "/v1/auth/recover", CALL_PUBLIC,
	                     body, ANSWER_JSON, NULL)))
		return err;
	/* The profile's copy of this user's bundle is sealed with the old
	 * kek: drop it (the next login stores the new one). */
	uint8_t stale[CF_BUNDLE_SEALED_BYTES];
	cf_profile *prof = NULL;
	if (load_bundle(c, NULL, rec->user_id, stale) == CF_OK &&
	    cf_client_profile(c, &prof) == CF_OK)
		(void)cf_profile_remove(prof, CF_KEY_BUNDLE_FILE);
	set_error(c, "%s", "");
	return CF_OK;
}

/* The identity keys of the session's user, opened with the password from
 * the profile's bundle. Also returns the session. */
static cf_err open_own_keys(cf_client *c, struct cf_id_problem *p,
                            const char *password, size_t len,
                            struct session *ret_s, uint8_t ret_auth[32],
                            struct cf_identity_keys *ret_keys)
{
	struct session s;
	cf_err err = check_password(c, p, password, len);
	if (err || (err = load_session(c, p, &s)))
		return err;
	uint8_t sealed[CF_BUNDLE_SEALED_BYTES];
	uint8_t uid[CF_ID_BYTES_RAW];
	struct cf_kdf_params kdf;
	SECRET_KEY(kek);
	if ((err = load_bundle(c, p, s.info.user_id, sealed)) ||
	    (err = prelogin(c, p, s.info.email, &kdf)))
		goto out;
	err = cf_id_password_keys(ret_auth, kek, password, len, &kdf);
	if (err) {
		err = fail(c, p, CF_ID_FAIL_OTHER, err,
		           "cannot derive the keys from the password: %s",
		           cf_strerror(err));
		goto out;
	}
	if (!id_raw(s.info.user_id, uid) ||
	    cf_bundle_open(ret_keys, sealed, sizeof sealed, kek, uid) ||
	    cf_identity_keys_match(ret_keys, s.info.sign_pk, s.info.enc_pk)) {
		sodium_memzero(ret_auth, CF_ID_KEY_BYTES);
		err = fail(c, p, CF_ID_FAIL_AUTH, CF_ERR_DENIED,
		           "wrong password: it does not open this account's "
		           "key bundle");
		goto out;
	}
	*ret_s = s;
	return CF_OK;
out:
	session_clear(&s);
	return err;
}

cf_err cf_password_change(cf_client *client, const char *old_password,
                          size_t old_len, const char *new_password,
                          size_t new_len, struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if ((err = check_new_password(c, p, new_password, new_len)))
		return err;
	struct session s = { .token = NULL };
	SECRET_KEY(old_auth);
	SECRET_KEY(new_auth);
	SECRET_KEY(new_kek);
	AUTO_KEYS *keys = NULL;
	if (cf_identity_keys_new(&keys))
		return no_memory(c, p);
	if ((err = open_own_keys(c, p, old_password, old_len, &s, old_auth,
	                         keys)))
		return err;
	uint8_t uid[CF_ID_BYTES_RAW];
	(void)id_raw(s.info.user_id, uid);
	char user_id[CF_ID_HEX_LEN + 1];
	memcpy(user_id, s.info.user_id, sizeof user_id);
	session_clear(&s);

	AUTO_JSON *salt_doc = NULL;
	struct cf_kdf_params kdf;
	if ((err = run_call(c, p, "POST", "/v1/auth/password/salt",
	                    CALL_SESSION, NULL, ANSWER_OBJECT, &salt_doc)) ||
	    (err = get_kdf(c, p, salt_doc, "password/salt", &kdf)))
		return err;
	uint8_t bundle[CF_BUNDLE_SEALED_BYTES];
	err = cf_id_password_keys(new_auth, new_kek, new_password, new_len,
	                          &kdf);
	if (!err)
		err = cf_bundle_seal(bundle, keys, new_kek, uid);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot derive or seal the keys: %s",
		            cf_strerror(err));
	B64(b_old);
	B64(b_new);
	b64_of(&b_old, old_auth, sizeof old_auth);
	b64_of(&b_new, new_auth, sizeof new_auth);
	char b_salt[32], b_bundle[B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_salt, sizeof b_salt, kdf.salt, sizeof kdf.salt);
	cf_b64url_encode(b_bundle, sizeof b_bundle, bundle, sizeof bundle);
	AUTO_JSON *body = json_pack("{s:s, s:s, s:s, s:s}",
	                            "auth_key", b_old.text, "new_salt", b_salt,
	                            "new_auth_key", b_new.text,
	                            "new_bundle", b_bundle);
	if ((err = send_body(c, p, "POST", "/v1/auth/password", CALL_SESSION,
	                     body, ANSWER_JSON, NULL)))
		return err;
	return save_bundle(c, p, user_id, bundle, keys->sign_pk, keys->enc_pk);
}

cf_err cf_recovery_code_regenerate(cf_client *client, const char *password,
                                   size_t len, char **ret_code,
                                   struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err || !ret_code)
		return CF_ERR_INVALID;
	struct session s = { .token = NULL };
	SECRET_KEY(auth);
	SECRET_KEY(rec_auth);
	SECRET_KEY(rec_kek);
	AUTO_KEYS *keys = NULL;
	__attribute__((cleanup(secret_freep))) char *text =
		sodium_malloc(CF_RECOVERY_TEXT_LEN + 1);
	if (!text || cf_identity_keys_new(&keys))
		return no_memory(c, p);
	if ((err = open_own_keys(c, p, password, len, &s, auth, keys)))
		return err;
	uint8_t uid[CF_ID_BYTES_RAW];
	(void)id_raw(s.info.user_id, uid);
	session_clear(&s);

	uint8_t *code = sodium_malloc(CF_RECOVERY_CODE_BYTES);
	uint8_t rbundle[CF_BUNDLE_SEALED_BYTES];
	err = code ? cf_random_bytes(code, CF_RECOVERY_CODE_BYTES) :
	             CF_ERR_NOMEM;
	if (!err)
		err = cf_id_recovery_keys(rec_auth, rec_kek, code);
	if (!err)
		err = cf_recovery_code_format(text, code);
	if (!err)
		err = cf_bundle_seal(rbundle, keys, rec_kek, uid);
	if (code)
		sodium_free(code);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot make the recovery code: %s",
		            cf_strerror(err));
	B64(b_rauth);
	b64_of(&b_rauth, rec_auth, sizeof rec_auth);
	char b_rbundle[B64_BUNDLE_LEN + 1];
	cf_b64url_encode(b_rbundle, sizeof b_rbundle, rbundle, sizeof rbundle);
	AUTO_JSON *body = json_pack("{s:s, s:s}", "recovery_auth",
	                            b_rauth.text, "recovery_bundle", b_rbundle);
	if ((err = send_body(c, p, "POST", "/v1/me/recovery-code",
	                     CALL_SESSION, body, ANSWER_JSON, NULL)))
		return err;
	*ret_code = text;
	text = NULL;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Second factors, PIN, phone                                                */

cf_err cf_totp_begin(cf_client *client, struct cf_totp_setup *ret,
                     struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = need_client(c, problem);
	if (err || !ret)
		return CF_ERR_INVALID;
	AUTO_JSON *doc = NULL;
	if ((err = run_call(c, problem, "POST", "/v1/me/totp/begin",
	                    CALL_SESSION, NULL, ANSWER_OBJECT, &doc)))
		return err;
	if (!get_text(doc, "secret", ret->secret, sizeof ret->secret))
		return bad_answer(c, problem, "totp/begin", "secret");
	if (!get_text(doc, "uri", ret->uri, sizeof ret->uri) ||
	    strncmp(ret->uri, "otpauth://totp/", 15) != 0) {
		sodium_memzero(ret, sizeof *ret);
		return bad_answer(c, problem, "totp/begin", "uri");
	}
	return CF_OK;
}

cf_err cf_totp_confirm(cf_client *client, const char *code, size_t len,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = need_client(c, problem);
	if (err)
		return err;
	if ((err = check_code6(c, problem, code, len)))
		return err;
	return session_send_one(c, problem, "POST", "/v1/me/totp", "code",
	                        json_secret(code, len));
}

cf_err cf_totp_disable(cf_client *client, struct cf_id_problem *problem)
{
	return no_body_call(client, problem, "DELETE", "/v1/me/totp", NULL);
}

cf_err cf_pin_change(cf_client *client, const char *pin, size_t len,
                     struct cf_id_problem *problem)
{
	return send_pin(client, problem, "/v1/me/pin", pin, len);
}

cf_err cf_phone_set(cf_client *client, const char *phone,
                    struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = need_client(c, problem);
	if (err)
		return err;
	if (!phone_ok(phone))
		return fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a phone number is '+' and 8 to 15 digits "
		            "(E.164, e.g. +33612345678)");
	return session_send_one(c, problem, "PUT", "/v1/me/phone", "phone",
	                        json_string(phone));
}

/* ------------------------------------------------------------------------ */
/* Organisation (admins)                                                     */

#define PATH_MAX_LEN 160

/* The organisation to act on: the one given, else the session's. */
static cf_err org_or_session(cf_client *c, struct cf_id_problem *p,
                             const char *org_id,
                             char ret[CF_ID_HEX_LEN + 1])
{
	if (org_id) {
		cf_err err = check_id(c, p, org_id, "the organisation");
		if (!err)
			memcpy(ret, org_id, CF_ID_HEX_LEN + 1);
		return err;
	}
	struct session s;
	cf_err err = load_session(c, p, &s);
	if (err)
		return err;
	memcpy(ret, s.info.org_id, CF_ID_HEX_LEN + 1);
	session_clear(&s);
	return CF_OK;
}

cf_err cf_admin_invite(cf_client *client, const char *email, const char *role,
                       const char *org_id, const char *unit_id, json_t **ret,
                       struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err)
		return err;
	char org[CF_ID_HEX_LEN + 1];
	if ((err = check_email(c, p, email)) || (err = check_role(c, p, role)) ||
	    (unit_id && (err = check_id(c, p, unit_id, "the unit"))) ||
	    (err = org_or_session(c, p, org_id, org)))
		return err;
	AUTO_JSON *body = json_pack("{s:s, s:s, s:s}", "email", email,
	                            "role", role, "org_id", org);
	if (body && unit_id)
		json_object_set_new(body, "unit_id", json_string(unit_id));
	return send_body(c, p, "POST", "/v1/invitations", CALL_SESSION, body,
	                 ANSWER_JSON, ret);
}

cf_err cf_admin_org_create(cf_client *client, const char *name,
                           bool device_approval, json_t **ret,
                           struct cf_id_problem *problem)
{
	cf_client *c = client;
	cf_err err = need_client(c, problem);
	if (err)
		return err;
	if (!text_ok(name, 1, 200))
		return fail(c, problem, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "an organisation name is 1 to 200 characters");
	AUTO_JSON *body = json_pack("{s:s, s:b}", "name", name,
	                            "device_approval", device_approval);
	return send_body(c, problem, "POST", "/v1/orgs", CALL_SESSION, body,
	                 ANSWER_JSON, ret);
}

cf_err cf_admin_orgs_list(cf_client *client, json_t **ret,
                          struct cf_id_problem *problem)
{
	return no_body_call(client, problem, "GET", "/v1/orgs", ret);
}

cf_err cf_admin_unit_create(cf_client *client, const char *org_id,
                            const char *name, json_t **ret,
                            struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if (!text_ok(name, 1, 200))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a unit name is 1 to 200 characters");
	char org[CF_ID_HEX_LEN + 1];
	if ((err = org_or_session(c, p, org_id, org)))
		return err;
	struct session s;
	if ((err = load_session(c, p, &s)))
		return err;
	uint8_t owner_pk[CF_ID_KEY_BYTES];
	memcpy(owner_pk, s.info.enc_pk, sizeof owner_pk);
	session_clear(&s);

	SECRET_KEY(unit_sk);
	uint8_t unit_pk[CF_ID_KEY_BYTES];
	if ((err = cf_x25519_keypair(unit_pk, unit_sk)))
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "cannot make the unit key pair");
	char b_pk[B64_KEY_LEN + 1];
	cf_b64url_encode(b_pk, sizeof b_pk, unit_pk, sizeof unit_pk);
	AUTO_JSON *body = json_pack("{s:s, s:s}", "name", name, "enc_pk", b_pk);
	char path[PATH_MAX_LEN];
	cf_msg_format(path, sizeof path, "/v1/orgs/%s/units", org);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", path, CALL_SESSION, body,
	                     ANSWER_JSON, &doc)))
		return err;
	char unit_id[CF_ID_HEX_LEN + 1];
	uint8_t uid[CF_ID_BYTES_RAW];
	if (!get_id(doc, "unit_id", unit_id) || !id_raw(unit_id, uid))
		return bad_answer(c, p, "orgs/{id}/units", "unit_id");

	/* The unit's secret key leaves this call only wrapped to the
	 * creator's own encryption key, bound to the unit id. */
	uint8_t wrap[CF_WRAP_BYTES];
	char b_wrap[128];
	char file[CF_PROFILE_NAME_MAX];
	cf_profile *prof = NULL;
	if ((err = cf_wrap_key(wrap, unit_sk, owner_pk, uid, sizeof uid)))
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "unit %s was created but its key could not be "
		            "wrapped: %s", unit_id, cf_strerror(err));
	cf_b64url_encode(b_wrap, sizeof b_wrap, wrap, sizeof wrap);
	cf_msg_format(file, sizeof file, "unit-%s.wrap", unit_id);
	if ((err = profile_of(c, p, &prof)))
		return err;
	if ((err = cf_profile_write(prof, file, b_wrap, strlen(b_wrap))))
		return fail(c, p, CF_ID_FAIL_OTHER, err,
		            "unit %s was created but its wrapped key could not "
		            "be saved: %s", unit_id, cf_profile_last_error(prof));
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
	cf_err err = need_client(c, p);
	if (err)
		return err;
	char org[CF_ID_HEX_LEN + 1];
	if ((err = org_or_session(c, p, org_id, org)))
		return err;
	char path[PATH_MAX_LEN];
	cf_msg_format(path, sizeof path, "/v1/orgs/%s/%s", org, what);
	return session_call(c, p, "GET", path, NULL, ret);
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
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if ((err = check_id(c, p, user_id, "the user")) ||
	    (err = check_role(c, p, role)) ||
	    (unit_id && (err = check_id(c, p, unit_id, "the unit"))))
		return err;
	AUTO_JSON *body = json_pack("{s:s}", "role", role);
	if (body && unit_id)
		json_object_set_new(body, "unit_id", json_string(unit_id));
	char path[PATH_MAX_LEN];
	cf_msg_format(path, sizeof path, "/v1/users/%s/role", user_id);
	return send_body(c, p, "PUT", path, CALL_SESSION, body, ANSWER_JSON,
	                 ret);
}

cf_err cf_delegation_create(cf_client *client, const char *to_user,
                            const char *scope, json_t **ret,
                            struct cf_id_problem *problem)
{
	cf_client *c = client;
	struct cf_id_problem *p = problem;
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if ((err = check_id(c, p, to_user, "the delegate")))
		return err;
	if (!text_ok(scope, 1, 200))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a delegation scope is 1 to 200 characters");
	AUTO_JSON *body = json_pack("{s:s, s:s}", "to_user", to_user, "scope",
	                            scope);
	return send_body(c, p, "POST", "/v1/delegations", CALL_SESSION, body,
	                 ANSWER_JSON, ret);
}

cf_err cf_delegations_list(cf_client *client, json_t **ret,
                           struct cf_id_problem *problem)
{
	return no_body_call(client, problem, "GET", "/v1/delegations", ret);
}

/* METHOD /v1/<collection>/<id><suffix> with a checked id. */
static cf_err id_action(cf_client *c, struct cf_id_problem *p,
                        const char *method, const char *collection,
                        const char *id, const char *suffix, const char *what,
                        json_t **ret)
{
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if ((err = check_id(c, p, id, what)))
		return err;
	char path[PATH_MAX_LEN];
	cf_msg_format(path, sizeof path, "/v1/%s/%s%s", collection, id, suffix);
	return session_call(c, p, method, path, NULL, ret);
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
	return no_body_call(client, problem, "GET", "/v1/devices", ret);
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
	cf_err err = need_client(c, p);
	if (err || !ret)
		return CF_ERR_INVALID;
	struct session s;
	if ((err = load_session(c, p, &s)))
		return err;
	struct cf_device_cert_result res;
	memset(&res, 0, sizeof res);
	memcpy(res.device_id, s.info.device_id, sizeof res.device_id);
	session_clear(&s);
	cf_profile *prof = NULL;
	if ((err = profile_of(c, p, &prof)))
		return err;
	struct cf_devcert_info old;
	res.renewed = cf_devcert_info(prof, &old, NULL) == CF_OK;

	cf_errmsg why = { .text = "" };
	__attribute__((cleanup(text_wipe_free))) char *csr = NULL;
	if ((err = cf_devcert_csr(prof, &csr, &why)))
		return fail(c, p, CF_ID_FAIL_OTHER, err, "cannot make the device "
		            "certificate request: %s", why.text);
	AUTO_JSON *body = json_pack("{s:s}", "csr", csr);
	char path[64 + CF_ID_HEX_LEN];
	cf_msg_format(path, sizeof path, "/v1/devices/%s/certificate",
	              res.device_id);
	AUTO_JSON *doc = NULL;
	if ((err = send_body(c, p, "POST", path, CALL_SESSION, body,
	                     ANSWER_OBJECT, &doc)))
		return err;
	char dev[CF_ID_HEX_LEN + 1];
	const char *pem = json_string_value(json_object_get(doc, "certificate"));
	static const char what[] = "devices/certificate";
	if (!get_id(doc, "device_id", dev) || strcmp(dev, res.device_id) != 0)
		return bad_answer(c, p, what, "device_id");
	if (!pem)
		return bad_answer(c, p, what, "certificate");
	err = cf_devcert_store(prof, pem,
	                       json_string_value(json_object_get(doc, "ca")),
	                       json_string_value(json_object_get(doc,
	                                         "cert_sha256")),
	                       &res.info, &why);
	if (err)
		return fail(c, p, CF_ID_FAIL_OTHER, err, "the server issued a "
		            "device certificate but it was not stored (%s); the "
		            "previous one no longer works: ask again", why.text);
	*ret = res;
	return CF_OK;
}

static json_t *joined(const char *const *items, size_t n, const char *sep)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!text_ok(items[i], 1, 200) || strpbrk(items[i], " ,\t"))
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
	cf_err err = need_client(c, p);
	if (err)
		return err;
	if (n_scopes == 0 || n_scopes > 64 || n_allow > 32 || !scopes ||
	    (n_allow && !allow))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "an API key needs 1 to 64 scopes and at most 32 "
		            "allowed networks");
	if (label && !text_ok(label, 1, 64))
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a label is 1 to 64 characters");
	json_t *s = joined(scopes, n_scopes, " ");
	json_t *a = n_allow ? joined(allow, n_allow, ", ") : NULL;
	if (!s || (n_allow && !a)) {
		json_decref(s);
		json_decref(a);
		return fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		            "a scope or network is empty, too long, or holds a "
		            "blank, a comma or a control character");
	}
	AUTO_JSON *body = json_pack("{s:o}", "scopes", s);   /* takes s */
	if (!body)
		json_decref(a);
	if (!body || (a && json_object_set_new(body, "allow", a) != 0) ||
	    (label && json_object_set_new(body, "label",
	                                  json_string(label)) != 0))
		return no_memory(c, p);
	return session_call(c, p, "POST", "/v1/api-keys", body, ret);
}

cf_err cf_apikeys_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem)
{
	return no_body_call(client, problem, "GET", "/v1/api-keys", ret);
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
