/* Configuration parsing: every refusal names the key and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/config.h"

static cf_err parse(struct cf_config *cfg, const char *text, char *msg, size_t cap)
{
	cf_config_defaults(cfg);
	cf_err err = cf_config_parse(cfg, text, strlen(text), msg, cap);
	if (!err)
		err = cf_config_finish(cfg, msg, cap);
	return err;
}

static void defaults_are_safe(void **state)
{
	struct cf_config cfg;
	char msg[256];
	assert_int_equal(parse(&cfg, "", msg, sizeof(msg)), CF_OK);
	assert_int_equal(cfg.environment, CF_ENV_TEST);
	assert_string_equal(cfg.listen, "127.0.0.1:8443");
	assert_int_equal(cfg.json_body_max, 1 << 20);
	assert_int_equal(cfg.header_max, 16 << 10);
	assert_string_equal(cfg.sqlite_path, "./coffre-data/coffre.db");
	assert_string_equal(cfg.blobs_dir, "./coffre-data/blobs");
	assert_false(cfg.debug_problem_routes);
}

static void values_and_units_parse(void **state)
{
	struct cf_config cfg;
	char msg[256];
	const char *text =
		"# a comment\n"
		"  environment = test  \r\n"
		"listen = [::1]:9443\n"
		"limits.json_body = 2MiB\n"
		"limits.connection_timeout = 2m\n"
		"blobs.max_size = 1GiB\n"
		"debug.problem_routes = true\n"
		"data_dir = /srv/coffre\n";
	assert_int_equal(parse(&cfg, text, msg, sizeof(msg)), CF_OK);
	assert_string_equal(cfg.listen, "[::1]:9443");
	assert_int_equal(cfg.json_body_max, 2 << 20);
	assert_int_equal(cfg.connection_timeout_s, 120);
	assert_int_equal(cfg.blob_max_bytes, UINT64_C(1) << 30);
	assert_true(cfg.debug_problem_routes);
	assert_string_equal(cfg.sqlite_path, "/srv/coffre/coffre.db");
}

struct bad_case {
	const char *text;
	const char *must_contain[3];
};

static void bad_values_are_refused_with_reason(void **state)
{
	static const struct bad_case cases[] = {
		{ "nope = 1\n", { "line 1", "unknown key 'nope'" } },
		{ "\n\nlimits.json_body = -1\n", { "line 3", "limits.json_body" } },
		{ "limits.json_body = 1 MiB\n", { "limits.json_body", "'1 MiB'" } },
		{ "limits.json_body = 99999999999999999999999\n", { "limits.json_body" } },
		{ "limits.json_body = 18446744073709551615GiB\n", { "limits.json_body" } },
		{ "limits.connection_timeout = 5MiB\n", { "limits.connection_timeout", "duration" } },
		{ "environment = Production\n", { "environment", "test, production" } },
		{ "listen =\n", { "listen", "empty" } },
		{ "listen = 127.0.0.1\n", { "listen", "ADDRESS:PORT" } },
		{ "listen = 300.0.0.1:80\n", { "listen" } },
		{ "listen = [::1:80\n", { "listen" } },
		{ "listen = 127.0.0.1:65536\n", { "listen" } },
		{ "log.level = loud\n", { "log.level", "error, warn, info, debug" } },
		{ "key without equals\n", { "line 1", "key = value" } },
		{ "tls.key_file = /k\n", { "tls.cert_file", "both" } },
		{ "environment = production\n", { "tls.cert_file", "production" } },
		{ "environment = production\ntls.cert_file=/c\ntls.key_file=/k\nlog.level = debug\n",
		  { "log.level", "production" } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cf_config cfg;
		char msg[256] = "";
		assert_int_equal(parse(&cfg, cases[i].text, msg, sizeof(msg)), CF_ERR_CONFIG);
		for (size_t j = 0; j < 3 && cases[i].must_contain[j]; j++) {
			if (!strstr(msg, cases[i].must_contain[j]))
				fail_msg("case %zu: '%s' not in '%s'", i, cases[i].must_contain[j], msg);
		}
	}
}

static void long_and_binary_lines_are_refused(void **state)
{
	struct cf_config cfg;
	char msg[256];
	char text[4096];
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(&cfg, text, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "longer"));

	cf_config_defaults(&cfg);
	static const char nul[] = "listen = 1\0x\n";
	assert_int_equal(cf_config_parse(&cfg, nul, sizeof(nul) - 1, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "NUL"));
}

static void listen_parser(void **state)
{
	char host[64];
	uint16_t port = 1;
	assert_int_equal(cf_parse_listen("127.0.0.1:0", host, sizeof(host), &port), CF_OK);
	assert_int_equal(port, 0);
	assert_int_equal(cf_parse_listen("[2001:db8::1]:443", host, sizeof(host), &port), CF_OK);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 443);
	assert_int_equal(cf_parse_listen("2001:db8::1:443", host, sizeof(host), &port), CF_ERR_INVALID);
	assert_int_equal(cf_parse_listen(":443", host, sizeof(host), &port), CF_ERR_INVALID);
	assert_int_equal(cf_parse_listen("1.2.3.4:+5", host, sizeof(host), &port), CF_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_safe),
		cmocka_unit_test(values_and_units_parse),
		cmocka_unit_test(bad_values_are_refused_with_reason),
		cmocka_unit_test(long_and_binary_lines_are_refused),
		cmocka_unit_test(listen_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
