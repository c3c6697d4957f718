/* Reading the members of a server's JSON answer (answer.h), and the
 * identity members built on them (call.h): account, device, Argon2id
 * parameters. */
#include <string.h>

#include <sodium.h>

#include "client/call.h"
#include "crypto/pwhash.h"
#include "util/encoding.h"

/* A string member of at most cap-1 bytes of printable ASCII. */
bool cf_answer_text(const json_t *obj, const char *key, char *out, size_t cap)
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

bool cf_answer_id(const json_t *obj, const char *key,
                  char out[CF_ID_HEX_LEN + 1])
{
	char tmp[CF_ID_HEX_LEN + 1];
	if (!cf_answer_text(obj, key, tmp, sizeof tmp) || !cf_id_hex_ok(tmp))
		return false;
	memcpy(out, tmp, sizeof tmp);
	return true;
}

/* Exactly len bytes of strict base64url. */
bool cf_answer_b64(const json_t *obj, const char *key, uint8_t *out,
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

/* A JSON value that is a whole number in [0, 2^63). */
bool cf_answer_u64(const json_t *value, uint64_t *out)
{
	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return false;
	*out = (uint64_t)json_integer_value(value);
	return true;
}

/* An integer member within [min, max]. */
bool cf_answer_long(const json_t *obj, const char *key, long min, long max,
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

/* Argon2id parameters of an answer, checked against coffre-v1's floor and
 * this client's ceiling before any memory is committed to them. */
cf_err cf_answer_kdf(cf_client *c, struct cf_id_problem *p, const json_t *doc,
                     const char *what, struct cf_kdf_params *ret)
{
	struct cf_kdf_params k;
	long t = 0, m = 0;
	if (!cf_answer_b64(doc, "salt", k.salt, sizeof k.salt))
		return cf_answer_bad(c, p, what, "salt");
	if (!cf_answer_long(doc, "t_cost", 0, 1L << 30, &t))
		return cf_answer_bad(c, p, what, "t_cost");
	if (!cf_answer_long(doc, "m_cost_kib", 0, 1L << 30, &m))
		return cf_answer_bad(c, p, what, "m_cost_kib");
	if (t < CF_ARGON2_T_MIN || m < (long)CF_ARGON2_M_MIN_KIB)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		                    "the server asks for Argon2id t=%ld, m=%ld "
		                    "KiB, below coffre-v1's floor (t >= %d, m "
		                    ">= %u KiB)",
		                    t, m, CF_ARGON2_T_MIN, CF_ARGON2_M_MIN_KIB);
	if (t > CF_ARGON2_T_MAX || m > (long)CF_ARGON2_M_MAX_KIB)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		                    "the server asks for Argon2id t=%ld, m=%ld "
		                    "KiB, above this client's ceiling (t <= %d, "
		                    "m <= %u KiB)",
		                    t, m, CF_ARGON2_T_MAX, CF_ARGON2_M_MAX_KIB);
	k.t_cost = (uint32_t)t;
	k.m_cost_kib = (uint32_t)m;
	*ret = k;
	return CF_OK;
}

bool cf_id_raw(const char *hex, uint8_t out[CF_ID_BYTES_RAW])
{
	return cf_hex_decode(out, CF_ID_BYTES_RAW, hex, CF_ID_HEX_LEN) == CF_OK;
}

/* The account members of an answer: user_id (and its raw bytes when uid is
 * not NULL), org_id and role. Returns the first member that is missing or
 * invalid, NULL when all are good. */
const char *cf_answer_account(const json_t *doc,
                              char user_id[CF_ID_HEX_LEN + 1],
                              uint8_t *uid, char org_id[CF_ID_HEX_LEN + 1],
                              char *role, size_t role_cap)
{
	if (!cf_answer_id(doc, "user_id", user_id) || (uid && !cf_id_raw(user_id, uid)))
		return "user_id";
	if (!cf_answer_id(doc, "org_id", org_id))
		return "org_id";
	if (!cf_answer_text(doc, "role", role, role_cap))
		return "role";
	return NULL;
}

/* The device members of an answer, as get_account. */
const char *cf_answer_device(const json_t *doc,
                             char device_id[CF_ID_HEX_LEN + 1],
                             char *status, size_t status_cap)
{
	if (!cf_answer_id(doc, "device_id", device_id))
		return "device_id";
	if (!cf_answer_text(doc, "device_status", status, status_cap))
		return "device_status";
	return NULL;
}
