/* Unit tests of the rules server and client share (util/rules.h): each
 * case is what the server accepted or refused before the rules moved here
 * (its PIN and code specs, notify/sms.c cf_phone_e164_ok, jsonspec.c is_e164
 * and is_id, pipeline.c and devcert.c is_hex_id, policy.c role names,
 * jsonspec.c cf_is_json_content_type, reply.c cf_http_reason: all gone, the
 * server calls these now) and what the client
 * accepted (keys.c cf_pin_check, cf_id_check; problem.c media types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/cleanup.h"
#include "util/rules.h"

static void test_pin(void **state)
{
	(void)state;
	assert_true(cf_pin_ok("1234", 4));
	assert_true(cf_pin_ok("123456789012", 12));
	assert_false(cf_pin_ok("123", 3));
	assert_false(cf_pin_ok("1234567890123", 13));
	assert_false(cf_pin_ok("12a4", 4));
	assert_false(cf_pin_ok("12 4", 4));
	assert_false(cf_pin_ok(NULL, 4));
	/* Not NUL-terminated: only len bytes count. */
	assert_true(cf_pin_ok("1234xyz", 4));
}

static void test_otp_code(void **state)
{
	(void)state;
	assert_true(cf_otp_code_ok("012345", 6));
	assert_true(cf_otp_code_ok("0123456", 6));   /* only len bytes */
	assert_false(cf_otp_code_ok("01234", 5));
	assert_false(cf_otp_code_ok("0123456", 7));
	assert_false(cf_otp_code_ok("01234a", 6));
	assert_false(cf_otp_code_ok(NULL, 6));
}

static void test_phone(void **state)
{
	(void)state;
	assert_true(cf_phone_ok("+33612345678"));
	assert_true(cf_phone_ok("+12345678"));          /* 8 digits */
	assert_true(cf_phone_ok("+123456789012345"));   /* 15 digits */
	assert_false(cf_phone_ok("+1234567"));          /* 7 */
	assert_false(cf_phone_ok("+1234567890123456")); /* 16 */
	assert_false(cf_phone_ok("+0612345678"));       /* no country 0 */
	assert_false(cf_phone_ok("33612345678"));
	assert_false(cf_phone_ok("+33 612345678"));
	assert_false(cf_phone_ok("+33612345678\n"));
	assert_false(cf_phone_ok("+"));
	assert_false(cf_phone_ok(""));
	assert_false(cf_phone_ok(NULL));
}

static void test_id(void **state)
{
	(void)state;
	const char *good = "0123456789abcdef0123456789abcdef";
	assert_true(cf_id_hex_ok(good));
	assert_true(cf_id_hexn_ok(good, 32));
	assert_false(cf_id_hexn_ok(good, 31));
	assert_false(cf_id_hex_ok("0123456789ABCDEF0123456789abcdef"));
	assert_false(cf_id_hex_ok("0123456789abcdef0123456789abcde"));
	assert_false(cf_id_hex_ok("0123456789abcdef0123456789abcdef0"));
	assert_false(cf_id_hex_ok("0123456789abcdeg0123456789abcdef"));
	assert_false(cf_id_hex_ok(""));
	assert_false(cf_id_hex_ok(NULL));
}

static void test_roles(void **state)
{
	(void)state;
	static const char *const order[] = {
		"patient", "secretary", "professional", "admin", "superadmin",
	};
	for (int i = 0; i < CF_RULE_ROLE_COUNT; i++) {
		assert_string_equal(cf_role_names[i], order[i]);
		assert_int_equal(cf_role_index(order[i]), i);
		assert_true(cf_role_ok(order[i]));
	}
	assert_false(cf_role_ok("none"));
	assert_false(cf_role_ok("Admin"));
	assert_false(cf_role_ok(""));
	assert_false(cf_role_ok(NULL));
	assert_int_equal(cf_role_index("root"), -1);
	assert_null(cf_role_names[CF_RULE_ROLE_COUNT]);   /* a NULL-terminated list */
}

static void test_media_types(void **state)
{
	(void)state;
	assert_true(cf_media_type_is("application/json", "application/json"));
	assert_true(cf_media_type_is(" Application/JSON; charset=utf-8",
	                             "application/json"));
	assert_false(cf_media_type_is("application/jsonx", "application/json"));
	assert_true(cf_media_type_is_json("application/problem+json"));
	assert_false(cf_media_type_is_json("application/+json"));
	assert_false(cf_media_type_is_json("text/x+json"));
	/* The server's rule for request bodies is stricter. */
	assert_true(cf_json_content_type_ok("application/json"));
	assert_true(cf_json_content_type_ok("application/json; charset=UTF-8"));
	assert_true(cf_json_content_type_ok("application/json;charset=\"utf-8\""));
	assert_false(cf_json_content_type_ok("application/json; charset=latin1"));
	assert_false(cf_json_content_type_ok("application/problem+json"));
	assert_false(cf_json_content_type_ok("application/jsonx"));
	assert_false(cf_json_content_type_ok(NULL));
}

static void test_reasons(void **state)
{
	(void)state;
	assert_string_equal(cf_http_reason(200), "OK");
	assert_string_equal(cf_http_reason(411), "Length Required");
	assert_string_equal(cf_http_reason(413), "Content Too Large");
	assert_string_equal(cf_http_reason(423), "Locked");
	assert_string_equal(cf_http_reason(503), "Service Unavailable");
	assert_string_equal(cf_http_reason(599), "");
	assert_string_equal(cf_http_reason(-1), "");
}

static void test_json_wipe(void **state)
{
	(void)state;
	json_t *doc = json_pack("{s:s, s:[s]}", "token", "secret-token",
	                        "list", "secret-item");
	json_t *inner = json_object_get(doc, "list");
	json_incref(inner);
	const char *s = json_string_value(json_array_get(inner, 0));
	cf_json_wipe_decref(doc);   /* last reference: wiped, released */
	assert_int_equal(s[0], '\0');
	/* A value someone else still holds is not wiped under them. */
	json_t *held = json_string("still-mine");
	json_incref(held);
	cf_json_wipe_decref(held);
	assert_string_equal(json_string_value(held), "still-mine");
	cf_json_wipe_decref(held);
	json_decref(inner);
	cf_json_wipe_decref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_otp_code),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_json_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
