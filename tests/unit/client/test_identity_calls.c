/* libcoffre identity calls against canned HTTPS answers: what each refusal
 * becomes (cf_err, cf_id_problem, message), what the profile holds after
 * it (device-wiped deletes the device key and session; an expired session
 * is forgotten), and what goes on the wire (bearer, no secrets in paths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>

#include "client/call.h"
#include "client/internal.h"
#include "testutil.h"
#include "tls_server.h"

static const char user_id[] = "00112233445566778899aabbccddeeff";
static const char org_id[] = "ffeeddccbbaa99887766554433221100";
static const char device_id[] = "0123456789abcdef0123456789abcdef";
static const char token[] =
	"coffre_s_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

struct fixture {
	char dir[256];
	char ca[300];
	char url[64];
	char profile[300];
	struct ts_server *server;
	cf_client *client;
};

static int group_setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	f->server = ts_start(f->dir, TS_CERT_GOOD);
	if (!f->server)
		return -1;
	snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
	         ts_port(f->server));
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	ts_stop(f->server);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;
	static int n;
	snprintf(f->profile, sizeof f->profile, "%s/profile%d", f->dir, n++);
	cf_errmsg err = { .text = "" };
	const struct cf_client_options opts = {
		.server_url = f->url, .ca_file = f->ca, .timeout_ms = 5000,
		.profile_dir = f->profile, .error = &err,
	};
	if (cf_client_new(&f->client, &opts) != CF_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cf_client_free(f->client);
	f->client = NULL;
	return 0;
}

static void answer(struct fixture *f, int status, const char *ct,
                   const char *body)
{
	const struct ts_answer a = {
		.status = status, .content_type = ct, .body = body,
	};
	ts_answer_with(f->server, &a);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in '%s'", part, text);
}

static cf_profile *profile(struct fixture *f)
{
	cf_profile *p = NULL;
	assert_int_equal(cf_client_profile(f->client, &p), CF_OK);
	return p;
}

static bool has_file(struct fixture *f, const char *name)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", f->profile, name);
	return stat(path, &st) == 0;
}

/* A session as cf_login_finish stores it, for server `url`. */
static void store_session(struct fixture *f, const char *url)
{
	char pk[64];
	uint8_t raw[32] = { 1 };
	sodium_bin2base64(pk, sizeof pk, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char text[1024];
	snprintf(text, sizeof text,
	         "{\"v\":1,\"server\":\"%s\",\"email\":\"a@example.org\","
	         "\"token\":\"%s\",\"user_id\":\"%s\",\"org_id\":\"%s\","
	         "\"device_id\":\"%s\",\"role\":\"admin\","
	         "\"device_status\":\"active\",\"sign_pk\":\"%s\","
	         "\"enc_pk\":\"%s\",\"idle_timeout_s\":900,"
	         "\"keys_verified\":true,\"created_at\":1}",
	         url, token, user_id, org_id, device_id, pk, pk);
	assert_int_equal(cf_profile_write(profile(f), CF_SESSION_FILE, text,
	                                  strlen(text)), CF_OK);
	assert_int_equal(cf_profile_write(profile(f), CF_KEY_BUNDLE_FILE,
	                                  "{}", 2), CF_OK);
}

/* --- device key ------------------------------------------------------------- */

static void test_device_key_created_once(void **state)
{
	struct fixture *f = *state;
	uint8_t pk[32], again[32];
	assert_int_equal(cf_device_key(f->client, false, pk, NULL),
	                 CF_ERR_NOT_FOUND);
	assert_int_equal(cf_device_key(f->client, true, pk, NULL), CF_OK);
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", f->profile, CF_DEVICE_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 17 + 32);
	uint8_t *sk = sodium_malloc(64);
	assert_int_equal(cf_device_key(f->client, true, again, sk), CF_OK);
	assert_memory_equal(pk, again, 32);
	assert_memory_equal(sk + 32, pk, 32);   /* libsodium sk = seed ‖ pk */
	sodium_free(sk);

	/* A damaged file is refused, never replaced. */
	assert_int_equal(cf_profile_write(profile(f), CF_DEVICE_KEY_FILE,
	                                  "garbage", 7), CF_OK);
	assert_int_equal(cf_device_key(f->client, true, again, NULL),
	                 CF_ERR_INVALID);
	assert_has(cf_client_last_error(f->client), "damaged");
}

/* --- sessions ------------------------------------------------------------------ */

static void test_no_session(void **state)
{
	struct fixture *f = *state;
	struct cf_id_problem p;
	json_t *me = NULL;
	assert_int_equal(cf_me(f->client, &me, &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_NO_SESSION);
	assert_has(cf_client_last_error(f->client), "not logged in");
	struct cf_session_info info;
	assert_int_equal(cf_session_get(f->client, &info), CF_ERR_NOT_FOUND);
}

static void test_session_of_another_server(void **state)
{
	struct fixture *f = *state;
	store_session(f, "https://elsewhere.example:8443");
	struct cf_id_problem p;
	assert_int_equal(cf_session_unlock(f->client, "1234", 4, &p),
	                 CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_NO_SESSION);
	assert_has(cf_client_last_error(f->client), "another server");
}

static void test_me_sends_the_bearer(void **state)
{
	struct fixture *f = *state;
	store_session(f, f->url);
	struct cf_session_info info;
	assert_int_equal(cf_session_get(f->client, &info), CF_OK);
	assert_string_equal(info.user_id, user_id);
	assert_string_equal(info.role, "admin");
	assert_int_equal(info.idle_timeout_s, 900);
	answer(f, 200, "application/json",
	       "{\"user_id\":\"00112233445566778899aabbccddeeff\","
	       "\"role\":\"admin\"}");
	json_t *me = NULL;
	struct cf_id_problem p;
	assert_int_equal(cf_me(f->client, &me, &p), CF_OK);
	assert_string_equal(json_string_value(json_object_get(me, "role")),
	                    "admin");
	cf_json_wipe_decref(me);
	char req[4096];
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "GET /v1/me HTTP/1.1");
	assert_has(req, "Authorization: Bearer coffre_s_AAAA");
}

static void test_wrong_pin_tells_tries_left(void **state)
{
	struct fixture *f = *state;
	store_session(f, f->url);
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:wrong-pin\",\"title\":\"wrong "
	       "PIN\",\"status\":401,\"detail\":\"the PIN is wrong\","
	       "\"tries_left\":3}");
	struct cf_id_problem p;
	assert_int_equal(cf_session_unlock(f->client, "0000", 4, &p),
	                 CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_WRONG_PIN);
	assert_int_equal(p.tries_left, 3);
	assert_int_equal(p.status, 401);
	assert_string_equal(p.type, "wrong-pin");
	assert_has(cf_client_last_error(f->client), "the PIN is wrong");
	assert_true(has_file(f, CF_SESSION_FILE));
	char req[4096];
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "POST /v1/auth/unlock");
	assert_has(req, "{\"pin\":\"0000\"}");
	/* A PIN that is not 4-12 digits is not sent. */
	assert_int_equal(cf_session_unlock(f->client, "12a4", 4, &p),
	                 CF_ERR_INVALID);
}

static void test_device_wiped_forgets_the_device(void **state)
{
	struct fixture *f = *state;
	uint8_t pk[32];
	assert_int_equal(cf_device_key(f->client, true, pk, NULL), CF_OK);
	store_session(f, f->url);
	answer(f, 403, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:device-wiped\",\"title\":"
	       "\"device wiped\",\"status\":403,\"wipe\":true}");
	struct cf_id_problem p;
	assert_int_equal(cf_session_unlock(f->client, "9999", 4, &p),
	                 CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_WIPED);
	assert_has(cf_client_last_error(f->client), "deleted from the profile");
	assert_false(has_file(f, CF_DEVICE_KEY_FILE));
	assert_false(has_file(f, CF_SESSION_FILE));
	assert_false(has_file(f, CF_KEY_BUNDLE_FILE));
}

static void test_locked_and_expired(void **state)
{
	struct fixture *f = *state;
	store_session(f, f->url);
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:session-locked\",\"title\":"
	       "\"session locked\",\"status\":401}");
	struct cf_id_problem p;
	json_t *me = NULL;
	assert_int_equal(cf_me(f->client, &me, &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_LOCKED);
	assert_true(has_file(f, CF_SESSION_FILE));

	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:session-expired\",\"title\":"
	       "\"session expired\",\"status\":401}");
	assert_int_equal(cf_me(f->client, &me, &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_EXPIRED);
	assert_false(has_file(f, CF_SESSION_FILE));

	/* coffred's word for a revoked or unknown token. */
	store_session(f, f->url);
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:unauthenticated\",\"title\":"
	       "\"unauthenticated\",\"status\":401}");
	assert_int_equal(cf_me(f->client, &me, &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_EXPIRED);
	assert_false(has_file(f, CF_SESSION_FILE));
	/* ... but on a public call it is only an authentication failure. */
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:login-failed\",\"title\":"
	       "\"login failed\",\"status\":401}");
	struct cf_enrol_invitation inv0;
	assert_int_equal(cf_enrol_begin(f->client, "c", "a@example.org", &inv0,
	                                &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_AUTH);

	answer(f, 429, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:too-many-attempts\",\"title\":"
	       "\"too many attempts\",\"status\":429,\"retry_after\":30}");
	assert_int_equal(cf_enrol_begin(f->client, "code", "a@example.org",
	                                &(struct cf_enrol_invitation){ 0 },
	                                &p), CF_ERR_BUSY);
	assert_int_equal(p.failure, CF_ID_FAIL_THROTTLED);
	assert_int_equal(p.retry_after_s, 30);
}

static void test_logout_forgets_even_a_dead_session(void **state)
{
	struct fixture *f = *state;
	store_session(f, f->url);
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:unauthenticated\",\"title\":"
	       "\"unauthenticated\",\"status\":401}");
	enum cf_logout how = 0;
	struct cf_id_problem p;
	assert_int_equal(cf_session_logout(f->client, &how, &p), CF_OK);
	assert_int_equal(how, CF_LOGOUT_LOCAL);
	assert_false(has_file(f, CF_SESSION_FILE));
	assert_false(has_file(f, CF_KEY_BUNDLE_FILE));
	assert_int_equal(cf_session_logout(f->client, &how, &p), CF_OK);
	assert_int_equal(how, CF_LOGOUT_NONE);

	store_session(f, f->url);
	answer(f, 204, NULL, "");
	assert_int_equal(cf_session_logout(f->client, &how, &p), CF_OK);
	assert_int_equal(how, CF_LOGOUT_ENDED);
	assert_false(has_file(f, CF_SESSION_FILE));

	/* A server in trouble: keep the session to try again. */
	store_session(f, f->url);
	answer(f, 503, "application/problem+json",
	       "{\"title\":\"unavailable\",\"status\":503}");
	assert_int_equal(cf_session_logout(f->client, &how, &p), CF_ERR_BUSY);
	assert_true(has_file(f, CF_SESSION_FILE));
}

/* --- enrolment answers ------------------------------------------------------------ */

static void test_enrol_begin_checks_kdf(void **state)
{
	struct fixture *f = *state;
	struct cf_enrol_invitation inv;
	struct cf_id_problem p;
	answer(f, 200, "application/json",
	       "{\"user_id\":\"00112233445566778899aabbccddeeff\","
	       "\"org_id\":\"ffeeddccbbaa99887766554433221100\","
	       "\"role\":\"superadmin\",\"salt\":\"AAECAwQFBgcICQoLDA0ODw\","
	       "\"t_cost\":2,\"m_cost_kib\":19456}");
	assert_int_equal(cf_enrol_begin(f->client, "INVITE-CODE",
	                                "a@example.org", &inv, &p), CF_OK);
	assert_string_equal(inv.user_id, user_id);
	assert_string_equal(inv.role, "superadmin");
	assert_int_equal(inv.kdf.t_cost, 2);
	assert_int_equal(inv.kdf.salt[15], 15);
	char req[4096];
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "POST /v1/enrol/begin");
	assert_has(req, "\"code\":\"INVITE-CODE\"");

	/* A server asking for a weak hash is refused before any work. */
	answer(f, 200, "application/json",
	       "{\"user_id\":\"00112233445566778899aabbccddeeff\","
	       "\"org_id\":\"ffeeddccbbaa99887766554433221100\","
	       "\"role\":\"patient\",\"salt\":\"AAECAwQFBgcICQoLDA0ODw\","
	       "\"t_cost\":1,\"m_cost_kib\":1024}");
	assert_int_equal(cf_enrol_begin(f->client, "INVITE-CODE",
	                                "a@example.org", &inv, &p),
	                 CF_ERR_PROTOCOL);
	assert_has(cf_client_last_error(f->client), "below coffre-v1's floor");
	/* A malformed id never reaches a later path. */
	answer(f, 200, "application/json",
	       "{\"user_id\":\"../../v1/orgs\",\"org_id\":\"x\","
	       "\"role\":\"patient\",\"salt\":\"AAECAwQFBgcICQoLDA0ODw\","
	       "\"t_cost\":2,\"m_cost_kib\":19456}");
	assert_int_equal(cf_enrol_begin(f->client, "INVITE-CODE",
	                                "a@example.org", &inv, &p),
	                 CF_ERR_PROTOCOL);
	/* invalid-invitation: an authentication failure. */
	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:invalid-invitation\","
	       "\"title\":\"invalid invitation\",\"status\":401}");
	assert_int_equal(cf_enrol_begin(f->client, "NOPE", "a@example.org",
	                                &inv, &p), CF_ERR_DENIED);
	assert_int_equal(p.failure, CF_ID_FAIL_AUTH);
}

static void test_admin_ids_are_checked(void **state)
{
	struct fixture *f = *state;
	store_session(f, f->url);
	struct cf_id_problem p;
	assert_int_equal(cf_device_wipe(f->client, "../me", NULL, &p),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_admin_role_set(f->client, user_id, "king", NULL,
	                                   NULL, &p), CF_ERR_INVALID);
	answer(f, 200, "application/json", "{\"version\":2}");
	json_t *doc = NULL;
	assert_int_equal(cf_admin_role_set(f->client, user_id, "secretary",
	                                   NULL, &doc, &p), CF_OK);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")),
	                 2);
	cf_json_wipe_decref(doc);
	char req[4096];
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "PUT /v1/users/00112233445566778899aabbccddeeff/role");
	/* --org defaults to the session's organisation. */
	answer(f, 200, "application/json", "{\"units\":[]}");
	assert_int_equal(cf_admin_units_list(f->client, NULL, &doc, &p),
	                 CF_OK);
	cf_json_wipe_decref(doc);
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "GET /v1/orgs/ffeeddccbbaa99887766554433221100/units");
}

/* --- login: the device proof (DESIGN §5.3) ------------------------------------ */

static const char pending_id[] = "00112233445566778899aabbccddeeff";

/* The layout written out here, apart from crypto/sign.c: the signed message
 * is "coffre-v1 device proof" and its NUL, the pending id's 16 bytes, the
 * nonce's 32 bytes. */
static void expected_message(uint8_t msg[23 + 16 + 32], const uint8_t nonce[32])
{
	memcpy(msg, "coffre-v1 device proof", 22);
	msg[22] = 0;
	for (size_t i = 0; i < 16; i++)
		msg[23 + i] = (uint8_t)(16 * i + i);   /* 00 11 22 … ff */
	memcpy(msg + 23 + 16, nonce, 32);
}

static void test_device_proof_layout(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], nonce[32], proof[64], msg[23 + 16 + 32];
	crypto_sign_ed25519_keypair(pk, sk);
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(cf_login_device_proof(proof, pending_id, nonce, sk), CF_OK);
	expected_message(msg, nonce);
	assert_int_equal(crypto_sign_ed25519_verify_detached(proof, msg, sizeof msg, pk), 0);
	/* Ed25519 is deterministic: the same signature as libsodium's own */
	uint8_t want[64];
	crypto_sign_ed25519_detached(want, NULL, msg, sizeof msg, sk);
	assert_memory_equal(proof, want, 64);
	/* another nonce, another pending id: another message */
	msg[sizeof msg - 1] ^= 1;
	assert_int_not_equal(crypto_sign_ed25519_verify_detached(proof, msg, sizeof msg, pk), 0);
	/* a pending id that is not 32 hex digits is refused, proof untouched */
	memset(proof, 0x55, sizeof proof);
	assert_int_equal(cf_login_device_proof(proof, "0011", nonce, sk), CF_ERR_INVALID);
	assert_int_equal(cf_login_device_proof(proof, "0x112233445566778899aabbccddeeff",
	                                       nonce, sk), CF_ERR_INVALID);
	assert_int_equal(proof[0], 0x55);
}

/* The bytes of base64url member name of the JSON body in a request. */
static size_t body_b64(const char *req, const char *name, uint8_t *out, size_t cap)
{
	char key[64];
	snprintf(key, sizeof key, "\"%s\":\"", name);
	const char *v = strstr(req, key);
	assert_non_null(v);
	v += strlen(key);
	const char *end = strchr(v, '"');
	assert_non_null(end);
	size_t len = 0;
	assert_int_equal(sodium_base642bin(out, cap, v, (size_t)(end - v), NULL, &len, NULL,
	                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	return len;
}

/* prelogin and login answered by one document holding both answers. */
#define LOGIN_ANSWER(nonce_member) \
	"{\"kdf\":\"argon2id\",\"t_cost\":2,\"m_cost_kib\":19456," \
	"\"parallelism\":1,\"salt\":\"AAECAwQFBgcICQoLDA0ODw\"," \
	"\"pending\":\"00112233445566778899aabbccddeeff\"," nonce_member \
	"\"methods\":[\"email\"],\"sent\":\"email\"}"

static void test_login_signs_the_nonce_with_the_device_key(void **state)
{
	struct fixture *f = *state;
	static const char pw[] = "correct horse battery staple";
	struct cf_id_problem p;
	cf_login *login = NULL;
	/* nonce: the bytes a0 a1 … bf */
	answer(f, 200, "application/json",
	       LOGIN_ANSWER("\"nonce\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8\","));
	assert_int_equal(cf_login_begin(f->client, "a@example.org", pw, strlen(pw), &login, &p),
	                 CF_OK);
	char req[8192];
	ts_last_request(f->server, req, sizeof req);
	uint8_t sent_pk[32], pk[32];
	assert_int_equal(body_b64(req, "device_pk", sent_pk, sizeof sent_pk), 32);
	assert_int_equal(cf_device_key(f->client, false, pk, NULL), CF_OK);
	assert_memory_equal(sent_pk, pk, 32);

	answer(f, 401, "application/problem+json",
	       "{\"type\":\"urn:coffre:problem:login-failed\",\"title\":\"x\",\"status\":401}");
	struct cf_session_info info;
	assert_int_not_equal(cf_login_finish(f->client, login, "email", "123456", 6, &info, &p),
	                     CF_OK);
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "POST /v1/auth/second-factor");
	uint8_t proof[64], nonce[32], msg[23 + 16 + 32];
	assert_int_equal(body_b64(req, "device_proof", proof, sizeof proof), 64);
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	expected_message(msg, nonce);
	assert_int_equal(crypto_sign_ed25519_verify_detached(proof, msg, sizeof msg, pk), 0);
	cf_login_free(login);

	/* a login answer without a nonce is not one of coffre-v1 */
	login = NULL;
	answer(f, 200, "application/json", LOGIN_ANSWER(""));
	assert_int_equal(cf_login_begin(f->client, "a@example.org", pw, strlen(pw), &login, &p),
	                 CF_ERR_PROTOCOL);
	assert_null(login);
	assert_has(cf_client_last_error(f->client), "nonce");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_device_key_created_once),
		T(test_no_session),
		T(test_session_of_another_server),
		T(test_me_sends_the_bearer),
		T(test_wrong_pin_tells_tries_left),
		T(test_device_wiped_forgets_the_device),
		T(test_locked_and_expired),
		T(test_logout_forgets_even_a_dead_session),
		T(test_enrol_begin_checks_kdf),
		T(test_admin_ids_are_checked),
		T(test_device_proof_layout),
		T(test_login_signs_the_nonce_with_the_device_key),
	};
#undef T
	return cmocka_run_group_tests_name("client_identity_calls", tests,
	                                   group_setup, group_teardown);
}
