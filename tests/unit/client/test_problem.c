/* Answers that are errors: RFC 9457 problem bodies into one line, server
 * text made safe for a terminal, statuses into codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/internal.h"

static const char *message(long status, const char *ct, const char *body)
{
	static char out[CF_ERRMSG_MAX];
	cf_problem_message(out, sizeof out, status, ct,
	                   (const unsigned char *)body, body ? strlen(body) : 0);
	return out;
}

static void test_problem_title_and_detail(void **state)
{
	(void)state;
	assert_string_equal(message(503, "application/problem+json",
	    "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
	    "\"status\":503,\"detail\":\"the store is down\"}"),
	    "server answered 503: Service Unavailable: the store is down");
	assert_string_equal(message(403,
	    "application/problem+json; charset=utf-8",
	    "{\"title\":\"Forbidden\",\"status\":403}"),
	    "server answered 403: Forbidden");
	assert_string_equal(message(400, "application/problem+json",
	    "{\"detail\":\"field email is missing\"}"),
	    "server answered 400: field email is missing");
	/* A detail that repeats the title is said once. */
	assert_string_equal(message(404, "application/problem+json",
	    "{\"title\":\"Not Found\",\"detail\":\"not found\"}"),
	    "server answered 404: Not Found");
	/* Plain JSON with the same members is read the same way. */
	assert_string_equal(message(409, "application/json",
	    "{\"title\":\"Conflict\",\"detail\":\"version 3 exists\"}"),
	    "server answered 409: Conflict: version 3 exists");
}

static void test_not_a_problem(void **state)
{
	(void)state;
	assert_string_equal(message(503, "text/html; charset=utf-8",
	                            "<h1>down</h1>"),
	                    "server answered 503 Service Unavailable (text/html)");
	assert_string_equal(message(502, NULL, NULL),
	                    "server answered 502 Bad Gateway");
	assert_string_equal(message(599, "text/plain", ""),
	                    "server answered 599");
	assert_string_equal(message(500, "application/problem+json",
	                            "{not json"),
	                    "server answered 500 Internal Server Error "
	                    "(problem without title or detail)");
	assert_string_equal(message(500, "application/problem+json",
	                            "{\"title\":42,\"detail\":[]}"),
	                    "server answered 500 Internal Server Error "
	                    "(problem without title or detail)");
	assert_string_equal(message(500, "application/json", "[1,2]"),
	                    "server answered 500 Internal Server Error "
	                    "(application/json)");
	/* Duplicate keys are ambiguous: not trusted. */
	assert_string_equal(message(401, "application/problem+json",
	    "{\"title\":\"a\",\"title\":\"b\"}"),
	    "server answered 401 Unauthorized (problem without title or "
	    "detail)");
}

static void test_server_text_cannot_break_the_line(void **state)
{
	(void)state;
	const char *m = message(503, "application/problem+json",
	    "{\"title\":\"bad\\u001b[31mred\\nnext\\u202eline\\u0085x\","
	    "\"detail\":\"  tabs\\tand\\r\\nbreaks  \"}");
	assert_string_equal(m, "server answered 503: bad [31mred next line x: "
	                    "tabs and breaks");
	for (const char *p = m; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void test_long_server_text_is_capped(void **state)
{
	(void)state;
	char body[4096];
	memcpy(body, "{\"detail\":\"", 11);
	memset(body + 11, 'x', 3000);
	memcpy(body + 3011, "\"}", 3);
	const char *m = message(500, "application/problem+json", body);
	assert_true(strlen(m) < 260);
	assert_non_null(strstr(m, "xxx..."));
}

static void test_sanitize(void **state)
{
	(void)state;
	char out[16];
	assert_string_equal(cf_text_sanitize(out, sizeof out, "ok", 2), "ok");
	assert_string_equal(cf_text_sanitize(out, sizeof out, "a\xff" "b", 3),
	                    "a?b");
	/* Overlong encoding of '/' and a lone surrogate are invalid. */
	assert_string_equal(cf_text_sanitize(out, sizeof out, "\xc0\xaf", 2),
	                    "??");
	assert_string_equal(cf_text_sanitize(out, sizeof out, "\xed\xa0\x80",
	                                     3), "???");
	assert_string_equal(cf_text_sanitize(out, sizeof out, "caf\xc3\xa9", 5),
	                    "caf\xc3\xa9");
	assert_string_equal(cf_text_sanitize(out, sizeof out, "a\0b", 3), "a");
	assert_string_equal(cf_text_sanitize(out, sizeof out,
	                                     "0123456789abcdefghij", 20),
	                    "0123456789ab...");
	/* A cut never splits a UTF-8 sequence. */
	assert_string_equal(cf_text_sanitize(out, sizeof out,
	    "0123456789a\xc3\xa9\xc3\xa9\xc3\xa9", 17), "0123456789a...");
	assert_string_equal(cf_text_sanitize(out, sizeof out, NULL, 0), "");
}

static void test_media_types(void **state)
{
	(void)state;
	assert_true(cf_media_type_is("application/json", "application/json"));
	assert_true(cf_media_type_is("Application/JSON; charset=utf-8",
	                             "application/json"));
	assert_false(cf_media_type_is("application/jsonx", "application/json"));
	assert_false(cf_media_type_is(NULL, "application/json"));
	assert_true(cf_media_type_is_json("application/problem+json"));
	assert_true(cf_media_type_is_json("application/json;charset=utf-8"));
	assert_false(cf_media_type_is_json("text/html"));
	assert_false(cf_media_type_is_json("application/+json"));
	assert_false(cf_media_type_is_json("text/x+json"));
	assert_false(cf_media_type_is_json(""));
}

static void test_status_codes(void **state)
{
	(void)state;
	assert_int_equal(cf_http_status_error(400), CF_ERR_INVALID);
	assert_int_equal(cf_http_status_error(401), CF_ERR_DENIED);
	assert_int_equal(cf_http_status_error(403), CF_ERR_DENIED);
	assert_int_equal(cf_http_status_error(404), CF_ERR_NOT_FOUND);
	assert_int_equal(cf_http_status_error(409), CF_ERR_CONFLICT);
	assert_int_equal(cf_http_status_error(413), CF_ERR_TOO_LARGE);
	assert_int_equal(cf_http_status_error(429), CF_ERR_BUSY);
	assert_int_equal(cf_http_status_error(503), CF_ERR_BUSY);
	assert_int_equal(cf_http_status_error(500), CF_ERR_PROTOCOL);
	assert_int_equal(cf_http_status_error(301), CF_ERR_PROTOCOL);
}

static void test_sizes(void **state)
{
	(void)state;
	char out[32];
	cf_size_format(out, sizeof out, (size_t)16 * 1024 * 1024);
	assert_string_equal(out, "16 MiB");
	cf_size_format(out, sizeof out, 65536);
	assert_string_equal(out, "64 KiB");
	cf_size_format(out, sizeof out, 1000);
	assert_string_equal(out, "1000 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problem_title_and_detail),
		cmocka_unit_test(test_not_a_problem),
		cmocka_unit_test(test_server_text_cannot_break_the_line),
		cmocka_unit_test(test_long_server_text_is_capped),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests_name("client_problem", tests, NULL, NULL);
}
