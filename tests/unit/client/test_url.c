/* Server base URL validation: https only, no credentials, no query or
 * fragment, and a precise reason for every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "client/internal.h"

static void accepted(const char *url, const char *base, const char *hostport)
{
	struct cf_url u;
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_url_check(url, &u, &err), CF_OK);
	assert_string_equal(u.base, base);
	assert_string_equal(u.hostport, hostport);
	assert_string_equal(err.text, "");
}

/* Refused with CF_ERR_INVALID, a message holding `why`, and ret left
 * untouched. */
static void refused(const char *url, const char *why)
{
	struct cf_url u;
	memset(&u, 0x5a, sizeof u);
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_url_check(url, &u, &err), CF_ERR_INVALID);
	if (!strstr(err.text, why))
		fail_msg("URL '%s': message '%s' lacks '%s'", url, err.text, why);
	for (size_t i = 0; i < sizeof u; i++)
		assert_int_equal(((unsigned char *)&u)[i], 0x5a);
}

static void test_https_urls_are_accepted(void **state)
{
	(void)state;
	accepted("https://example.org", "https://example.org",
	         "example.org:443");
	accepted("https://127.0.0.1:8443", "https://127.0.0.1:8443",
	         "127.0.0.1:8443");
	accepted("https://127.0.0.1:8443/", "https://127.0.0.1:8443",
	         "127.0.0.1:8443");
	accepted("https://coffre.example:8443/api//",
	         "https://coffre.example:8443/api", "coffre.example:8443");
	accepted("HTTPS://localhost:9000", "https://localhost:9000",
	         "localhost:9000");
	accepted("https://[::1]:8443/", "https://[::1]:8443", "[::1]:8443");
}

static void test_other_schemes_are_refused(void **state)
{
	(void)state;
	refused("http://127.0.0.1:8443",
	        "server URL must start with https:// (got http://)");
	refused("ftp://example.org", "(got ftp://)");
	refused("httpss://example.org", "(got httpss://)");
	refused("127.0.0.1:8443", "has no scheme: write it "
	        "https://127.0.0.1:8443");
	refused("example.org", "has no scheme");
}

static void test_malformed_urls_are_refused(void **state)
{
	(void)state;
	refused(NULL, "no server URL given");
	refused("", "no server URL given");
	refused("https://", "server URL");
	refused("https://example.org/?x=1", "must not have a query");
	refused("https://example.org/#top", "must not have a fragment");
	refused("https://example.org:0", "port 0");
	refused("https://example.org:99999", "malformed: Port number");
	refused("https://example.org:abc", "server URL");
	refused("https://exa mple.org", "contains a space");
	refused("https://example.org/\n", "control");
	refused("https://example.org/\xc3\xa9", "non-ASCII");
}

static void test_credentials_are_refused_and_not_echoed(void **state)
{
	(void)state;
	struct cf_url u;
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_url_check("https://alice:s3cret@example.org", &u,
	                              &err), CF_ERR_INVALID);
	assert_non_null(strstr(err.text, "user name or password"));
	assert_null(strstr(err.text, "s3cret"));
	assert_null(strstr(err.text, "alice"));
	refused("https://alice@example.org/", "user name or password");
}

static void test_long_urls_are_refused(void **state)
{
	(void)state;
	char url[CF_CLIENT_MAX_URL + 16];
	memset(url, 'a', sizeof url - 1);
	url[sizeof url - 1] = '\0';
	memcpy(url, "https://", 8);
	refused(url, "longer than");
}

static int setup(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_urls_are_accepted),
		cmocka_unit_test(test_other_schemes_are_refused),
		cmocka_unit_test(test_malformed_urls_are_refused),
		cmocka_unit_test(test_credentials_are_refused_and_not_echoed),
		cmocka_unit_test(test_long_urls_are_refused),
	};
	return cmocka_run_group_tests_name("client_url", tests, setup, NULL);
}
