/* Declarative body checks: each violation is refused and names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/jsonspec.h"

static const struct cf_field fields[] = {
	{ "name", CF_FT_STRING, true, 1, 10 },
	{ "email", CF_FT_EMAIL, false, 3, 254 },
	{ "count", CF_FT_UINT, false, 1, 5 },
	{ "flag", CF_FT_BOOL, false, 0, 0 },
	{ "key", CF_FT_B64URL, false, 32, 32 },
	{ "id", CF_FT_ID, false, 0, 0 },
	{ "list", CF_FT_ARRAY, false, 0, 2 },
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

static void content_types(void **state)
{
	assert_true(cf_is_json_content_type("application/json"));
	assert_true(cf_is_json_content_type("application/json; charset=utf-8"));
	assert_true(cf_is_json_content_type("Application/JSON;charset=UTF-8"));
	assert_false(cf_is_json_content_type(NULL));
	assert_false(cf_is_json_content_type("application/jsonx"));
	assert_false(cf_is_json_content_type("application/json; charset=latin1"));
	assert_false(cf_is_json_content_type("text/plain"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_documents_pass),
		cmocka_unit_test(violations_name_the_field),
		cmocka_unit_test(content_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
