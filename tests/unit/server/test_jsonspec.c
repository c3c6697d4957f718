/* Declarative body checks: each violation is refused and names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/jsonspec.h"

static const struct cf_field fields[] = {
	CF_FIELD("name", CF_FT_STRING, true, 1, 10),
	CF_FIELD("email", CF_FT_EMAIL, false, 3, 254),
	CF_FIELD("count", CF_FT_UINT, false, 1, 5),
	CF_FIELD("flag", CF_FT_BOOL, false, 0, 0),
	CF_FIELD("key", CF_FT_B64URL, false, 32, 32),
	CF_FIELD("id", CF_FT_ID, false, 0, 0),
	CF_FIELD("list", CF_FT_ARRAY, false, 0, 2),
};
static const struct cf_spec spec = CF_SPEC(fields);

static cf_err check(const char *text, char *why, size_t cap)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	cf_err err = cf_spec_check(j, &spec, why, cap);
	json_decref(j);
	return err;
}

static void valid_documents_pass(void **state)
{
	char why[200];
	assert_int_equal(check("{\"name\":\"x\"}", why, sizeof(why)), CF_OK);
	assert_int_equal(check("{\"name\":\"0123456789\",\"email\":\"a@b.c\",\"count\":5,"
	                       "\"flag\":false,\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	                       "\"id\":\"00112233445566778899aabbccddeeff\",\"list\":[1,2]}",
	                       why, sizeof(why)), CF_OK);
}

static void violations_name_the_field(void **state)
{
	static const struct { const char *doc; const char *field; } cases[] = {
		{ "{}", "name" },
		{ "{\"name\":\"\"}", "name" },
		{ "{\"name\":\"01234567890\"}", "name" },
		{ "{\"name\":1}", "name" },
		{ "{\"name\":\"a\\nb\"}", "name" },
		{ "{\"name\":\"x\",\"email\":\"no-at\"}", "email" },
		{ "{\"name\":\"x\",\"email\":\"a@b@c\"}", "email" },
		{ "{\"name\":\"x\",\"email\":\"a @b.c\"}", "email" },
		{ "{\"name\":\"x\",\"count\":0}", "count" },
		{ "{\"name\":\"x\",\"count\":6}", "count" },
		{ "{\"name\":\"x\",\"count\":-1}", "count" },
		{ "{\"name\":\"x\",\"count\":1.5}", "count" },
		{ "{\"name\":\"x\",\"flag\":\"true\"}", "flag" },
		{ "{\"name\":\"x\",\"key\":\"AAAA\"}", "key" },
		{ "{\"name\":\"x\",\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}", "key" },
		{ "{\"name\":\"x\",\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\"}", "key" },
		{ "{\"name\":\"x\",\"id\":\"00112233445566778899AABBCCDDEEFF\"}", "id" },
		{ "{\"name\":\"x\",\"id\":\"0011\"}", "id" },
		{ "{\"name\":\"x\",\"list\":[1,2,3]}", "list" },
		{ "{\"name\":\"x\",\"list\":{}}", "list" },
		{ "{\"name\":\"x\",\"other\":1}", "other" },
		{ "[]", "object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[200] = "";
		assert_int_equal(check(cases[i].doc, why, sizeof(why)), CF_ERR_INVALID);
		if (!strstr(why, cases[i].field))
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].field, why);
	}
}

/* Typed binding: each field lands in its member, typed. */
struct inner {
	const char *method;
	const char *phone;
};
static const char *const methods[] = { "email", "sms", NULL };
static const struct cf_field inner_fields[] = {
	CF_F_ENUM(struct inner, method, "method", true, methods),
	CF_F_PHONE(struct inner, phone, "phone", false),
};
static const struct cf_spec inner_spec = CF_SPEC_BIND(inner_fields, struct inner);

static cf_err no_x(const char *s, char *why, size_t cap)
{
	if (strchr(s, 'x')) {
		snprintf(why, cap, "no x please");
		return CF_ERR_INVALID;
	}
	return CF_OK;
}

struct args {
	const char *name;
	uint8_t key[32];
	const char *pin;
	uint64_t count;
	bool flag;
	const char *label;
	struct inner sf;
};
static const struct cf_field bound_fields[] = {
	CF_F_STRING(struct args, name, "name", true, 1, 10),
	CF_F_B64FIX(struct args, key, "key", true),
	CF_F_PIN(struct args, pin, "pin", true),
	CF_F_UINT(struct args, count, "count", false, 1, 5),
	CF_F_BOOL(struct args, flag, "flag", false),
	CF_F_CHECKED(struct args, label, "label", false, 0, 20, no_x),
	CF_F_OBJECT(struct args, sf, struct inner, "sf", true, &inner_spec),
};
static const struct cf_spec bound_spec = CF_SPEC_BIND(bound_fields, struct args);

static cf_err bind(const char *text, struct args *a, char *why, size_t cap)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	cf_err err = cf_spec_bind(j, &bound_spec, a, why, cap);
	json_decref(j);
	return err;
}

static void fields_bind_into_the_struct(void **state)
{
	char why[200] = "";
	struct args a;
	json_error_t e;
	json_t *j = json_loads("{\"name\":\"n\",\"key\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
	                       "\"pin\":\"1234\",\"count\":3,\"flag\":true,"
	                       "\"sf\":{\"method\":\"sms\",\"phone\":\"+33612345678\"}}", 0, &e);
	assert_non_null(j);
	assert_int_equal(cf_spec_bind(j, &bound_spec, &a, why, sizeof(why)), CF_OK);
	assert_string_equal(a.name, "n");
	for (size_t i = 0; i < sizeof(a.key); i++)
		assert_int_equal(a.key[i], 1);
	assert_string_equal(a.pin, "1234");
	assert_int_equal(a.count, 3);
	assert_true(a.flag);
	assert_null(a.label);
	assert_string_equal(a.sf.method, "sms");
	assert_string_equal(a.sf.phone, "+33612345678");
	json_decref(j);
}

static void bound_violations_name_the_field(void **state)
{
	static const char ok_rest[] = "\"key\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"";
	static const struct { const char *body; const char *words; } cases[] = {
		{ "\"pin\":\"12a4\",\"sf\":{\"method\":\"sms\"}", "'pin' must be 4 to 12 digits" },
		{ "\"pin\":\"123\",\"sf\":{\"method\":\"sms\"}", "'pin' must be 4 to 12 digits" },
		{ "\"pin\":\"1234567890123\",\"sf\":{\"method\":\"sms\"}",
		  "'pin' must be 4 to 12 digits" },
		{ "\"pin\":\"1234\",\"sf\":{\"method\":\"pigeon\"}", "'sf.method' must be email or sms" },
		{ "\"pin\":\"1234\",\"sf\":{\"method\":\"sms\",\"phone\":\"0612\"}", "'sf.phone'" },
		{ "\"pin\":\"1234\",\"sf\":{\"method\":\"sms\",\"x\":1}", "'sf.x' is not accepted" },
		{ "\"pin\":\"1234\",\"sf\":{}", "'sf.method' is required" },
		{ "\"pin\":\"1234\",\"sf\":1", "'sf' must be an object" },
		{ "\"pin\":\"1234\",\"label\":\"xx\",\"sf\":{\"method\":\"sms\"}", "'label': no x please" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[400], why[200] = "";
		snprintf(text, sizeof(text), "{\"name\":\"n\",%s,%s}", ok_rest, cases[i].body);
		struct args a;
		memset(&a, 0x55, sizeof(a));
		assert_int_equal(bind(text, &a, why, sizeof(why)), CF_ERR_INVALID);
		if (!strstr(why, cases[i].words))
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].words, why);
		/* nothing half-bound survives a refusal */
		for (size_t k = 0; k < sizeof(a); k++)
			assert_int_equal(((uint8_t *)&a)[k], 0);
	}
}

static void content_types(void **state)
{
	assert_true(cf_json_content_type_ok("application/json"));
	assert_true(cf_json_content_type_ok("application/json; charset=utf-8"));
	assert_true(cf_json_content_type_ok("Application/JSON;charset=UTF-8"));
	assert_false(cf_json_content_type_ok(NULL));
	assert_false(cf_json_content_type_ok("application/jsonx"));
	assert_false(cf_json_content_type_ok("application/json; charset=latin1"));
	assert_false(cf_json_content_type_ok("text/plain"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_documents_pass),
		cmocka_unit_test(violations_name_the_field),
		cmocka_unit_test(fields_bind_into_the_struct),
		cmocka_unit_test(bound_violations_name_the_field),
		cmocka_unit_test(content_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
