/* Access: the policy table, IP allowlists, API key formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "policy/policy.h"
#include "server/auth/apikey.h"
#include "util/cidr.h"

static struct cf_principal key(const char *scopes, const char *tenant)
{
	struct cf_principal p = { .kind = CF_PRINCIPAL_API_KEY };
	snprintf(p.id, sizeof(p.id), "%s", "00112233445566778899aabbccddeeff");
	snprintf(p.scopes, sizeof(p.scopes), "%s", scopes);
	snprintf(p.tenant, sizeof(p.tenant), "%s", tenant);
	return p;
}

static void policy_table(void **state)
{
	char why[160];
	struct cf_principal anon = { .kind = CF_PRINCIPAL_NONE };
	struct cf_principal audit = key("audit.read", "");
	struct cf_principal both = key("versions.read audit.read", "");
	struct cf_principal tenant = key("audit.read", "aabbccddeeff00112233445566778899");
	static const struct {
		const char *action;
		bool pub;
		int anon, audit, both, tenant;
	} cells[] = {
		{ "server.info", true, CF_POLICY_ALLOW, CF_POLICY_ALLOW, CF_POLICY_ALLOW, CF_POLICY_ALLOW },
		{ "audit.events", false, CF_POLICY_UNAUTHENTICATED, CF_POLICY_ALLOW, CF_POLICY_ALLOW,
		  CF_POLICY_FORBIDDEN },
		{ "audit.export", false, CF_POLICY_UNAUTHENTICATED, CF_POLICY_ALLOW, CF_POLICY_ALLOW,
		  CF_POLICY_FORBIDDEN },
		{ "audit.proof.inclusion", false, CF_POLICY_UNAUTHENTICATED, CF_POLICY_ALLOW,
		  CF_POLICY_ALLOW, CF_POLICY_FORBIDDEN },
		{ "versions.list", false, CF_POLICY_UNAUTHENTICATED, CF_POLICY_FORBIDDEN, CF_POLICY_ALLOW,
		  CF_POLICY_FORBIDDEN },
		{ "records.read", false, CF_POLICY_UNAUTHENTICATED, CF_POLICY_FORBIDDEN,
		  CF_POLICY_FORBIDDEN, CF_POLICY_FORBIDDEN },
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		assert_int_equal(cf_policy_check(&anon, cells[i].action, cells[i].pub, why, sizeof(why)),
		                 cells[i].anon);
		assert_int_equal(cf_policy_check(&audit, cells[i].action, cells[i].pub, why, sizeof(why)),
		                 cells[i].audit);
		assert_int_equal(cf_policy_check(&both, cells[i].action, cells[i].pub, why, sizeof(why)),
		                 cells[i].both);
		assert_int_equal(cf_policy_check(&tenant, cells[i].action, cells[i].pub, why, sizeof(why)),
		                 cells[i].tenant);
	}
	assert_true(cf_scopes_contain("a b  c", "c"));
	assert_false(cf_scopes_contain("audit.reader", "audit.read"));
	assert_false(cf_scopes_contain("", "audit.read"));
}

static void allowlists(void **state)
{
	assert_true(cf_cidr_list_allows("", "203.0.113.9"));
	assert_true(cf_cidr_list_allows("10.0.0.0/8", "10.200.3.4"));
	assert_false(cf_cidr_list_allows("10.0.0.0/8", "11.0.0.1"));
	assert_true(cf_cidr_list_allows("192.0.2.0/25, 192.0.2.128/25", "192.0.2.200"));
	assert_true(cf_cidr_list_allows("192.0.2.7", "192.0.2.7"));
	assert_false(cf_cidr_list_allows("192.0.2.7", "192.0.2.8"));
	assert_true(cf_cidr_list_allows("2001:db8::/32", "2001:db8:1::5"));
	assert_false(cf_cidr_list_allows("2001:db8::/32", "2001:db9::5"));
	assert_true(cf_cidr_list_allows("127.0.0.0/8", "::ffff:127.0.0.1"));
	assert_false(cf_cidr_list_allows("::/0", "127.0.0.1"));
	assert_true(cf_cidr_list_allows("0.0.0.0/0", "198.51.100.1"));
	assert_true(cf_cidr_list_allows("10.0.0.0/12", "10.15.255.255"));
	assert_false(cf_cidr_list_allows("10.0.0.0/12", "10.16.0.0"));
	assert_false(cf_cidr_list_allows("10.0.0.0/8, garbage", "10.0.0.1")); /* refuses, never guesses */
	assert_false(cf_cidr_list_allows("10.0.0.0/8", "not an ip"));
	char why[160];
	const char *bad[] = { "10.0.0.0/33", "::/129", "10.0.0/8", "example.org", "10.0.0.0/", "1.2.3.4/-1",
	                      "fe80::1%eth0", "10.0.0.0/8,,", " , " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cf_cidr_list_check(bad[i], why, sizeof(why)), CF_ERR_INVALID);
	assert_int_equal(cf_cidr_list_check("10.0.0.0/8 , ::1", why, sizeof(why)), CF_OK);
	/* Found by fuzz_cidr: a list of blanks fails the check (as the API key
	 * command refuses it) but was taken as the empty list, allowing every
	 * address. A list that does not parse allows none. */
	const char *blank[] = { " ", "\t", "  \t " };
	for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		assert_int_equal(cf_cidr_list_check(blank[i], why, sizeof(why)), CF_ERR_INVALID);
		assert_false(cf_cidr_list_allows(blank[i], "203.0.113.9"));
	}
}

static void api_key_format(void **state)
{
	char text[CF_API_KEY_TEXT_LEN + 1];
	uint8_t h1[32], h2[32];
	assert_int_equal(cf_api_key_generate(text, sizeof(text), h1), CF_OK);
	assert_int_equal(strlen(text), CF_API_KEY_TEXT_LEN);
	assert_memory_equal(text, "coffre_", 7);
	assert_int_equal(cf_api_key_hash(text, strlen(text), h2), CF_OK);
	assert_memory_equal(h1, h2, 32);
	char other[CF_API_KEY_TEXT_LEN + 1];
	uint8_t h3[32];
	cf_api_key_generate(other, sizeof(other), h3);
	assert_memory_not_equal(h1, h3, 32);
	char bad[CF_API_KEY_TEXT_LEN + 1];
	memcpy(bad, text, sizeof(bad));
	bad[10] = '+';
	assert_int_equal(cf_api_key_hash(bad, strlen(bad), h2), CF_ERR_INVALID);
	assert_int_equal(cf_api_key_hash(text, strlen(text) - 1, h2), CF_ERR_INVALID);
	assert_int_equal(cf_api_key_hash("coffre-", 7, h2), CF_ERR_INVALID);
	memcpy(bad, text, sizeof(bad));
	bad[0] = 'C';
	assert_int_equal(cf_api_key_hash(bad, strlen(bad), h2), CF_ERR_INVALID);
	char why[160];
	assert_int_equal(cf_api_key_scopes_check("audit.read", why, sizeof(why)), CF_OK);
	assert_int_equal(cf_api_key_scopes_check("audit.read versions.read", why, sizeof(why)), CF_OK);
	assert_int_equal(cf_api_key_scopes_check("", why, sizeof(why)), CF_ERR_INVALID);
	assert_int_equal(cf_api_key_scopes_check("admin", why, sizeof(why)), CF_ERR_INVALID);
}

int main(void)
{
	if (cf_crypto_init())
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_table),
		cmocka_unit_test(allowlists),
		cmocka_unit_test(api_key_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
