/* The whole authorisation matrix: every action × role × relation of the
 * policy table against the expected answers written here a second time, from
 * docs/api/identity.md, so that an edit of the table cannot pass unnoticed.
 * Cells per role: own, same unit, other unit, other tenant;
 * Y = allowed, - = 403, n = 404 (another tenant's resource is not shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"

static const struct {
	const char *action;
	const char *cells[5]; /* patient, secretary, professional, admin, superadmin */
} expected[] = {
	{ "me.read",               { "Y--n", "Y--n", "Y--n", "Y--n", "Y--n" } },
	{ "me.update",             { "Y--n", "Y--n", "Y--n", "Y--n", "Y--n" } },
	{ "auth.unlock",           { "Y--n", "Y--n", "Y--n", "Y--n", "Y--n" } },
	{ "auth.logout",           { "Y--n", "Y--n", "Y--n", "Y--n", "Y--n" } },
	{ "auth.password",         { "Y--n", "Y--n", "Y--n", "Y--n", "Y--n" } },
	{ "orgs.create",           { "---n", "---n", "---n", "---n", "YYYY" } },
	{ "orgs.list",             { "---n", "---n", "---n", "---n", "YYYY" } },
	{ "units.create",          { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "units.list",            { "---n", "YYYn", "YYYn", "YYYn", "YYYY" } },
	{ "users.list",            { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "users.keys",            { "YYYn", "YYYn", "YYYn", "YYYn", "YYYY" } },
	{ "users.role",            { "---n", "---n", "---n", "-YYn", "YYYY" } },
	{ "users.sessions.revoke", { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "invitations.create",    { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "delegations.create",    { "---n", "---n", "-YYn", "---n", "---n" } },
	{ "delegations.list",      { "---n", "Y--n", "Y--n", "YYYn", "YYYY" } },
	{ "delegations.revoke",    { "---n", "---n", "Y--n", "YYYn", "YYYY" } },
	{ "devices.list",          { "Y--n", "Y--n", "Y--n", "YYYn", "YYYY" } },
	{ "devices.approve",       { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "devices.wipe",          { "Y--n", "Y--n", "Y--n", "YYYn", "YYYY" } },
	{ "devices.certificate",   { "Y--n", "Y--n", "Y--n", "YYYn", "YYYY" } },
	{ "apikeys.manage",        { "---n", "---n", "---n", "YYYn", "YYYY" } },
	{ "audit.events",          { "---n", "---n", "---n", "---n", "YYYY" } },
	{ "audit.proof.inclusion", { "---n", "---n", "---n", "---n", "YYYY" } },
	{ "audit.export",          { "---n", "---n", "---n", "---n", "YYYY" } },
	{ "versions.list",         { "---n", "---n", "---n", "---n", "YYYY" } },
};

static char decide(enum cf_role role, const char *action, enum cf_relation rel)
{
	struct cf_principal p = { .kind = CF_PRINCIPAL_USER, .role = role };
	char why[160];
	switch (cf_policy_on(&p, action, rel, why, sizeof(why))) {
	case CF_POLICY_ALLOW: return 'Y';
	case CF_POLICY_FORBIDDEN: return '-';
	case CF_POLICY_NOT_FOUND: return 'n';
	default: return '?';
	}
}

static void every_cell(void **state)
{
	size_t n = 0;
	const char *const *actions = cf_policy_actions(&n);
	/* every action of the table is in the expectations, and the reverse */
	assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
	unsigned checked = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < n && strcmp(expected[j].action, actions[i]) != 0)
			j++;
		if (j == n)
			fail_msg("action %s has no expected row", actions[i]);
		for (int r = 0; r < 5; r++) {
			for (int rel = 0; rel < CF_REL_COUNT; rel++) {
				char got = decide((enum cf_role)(CF_ROLE_PATIENT + r), actions[i],
				                  (enum cf_relation)rel);
				char want = expected[j].cells[r][rel];
				if (got != want)
					fail_msg("%s as %s on relation %d: got %c, want %c", actions[i],
					         cf_role_name((enum cf_role)(CF_ROLE_PATIENT + r)), rel, got, want);
				checked++;
			}
		}
	}
	printf("policy matrix: %u cells checked (%zu actions x 5 roles x 4 relations)\n", checked, n);
}

static void route_level_and_unknown(void **state)
{
	char why[160];
	struct cf_principal anon = { .kind = CF_PRINCIPAL_NONE };
	struct cf_principal user = { .kind = CF_PRINCIPAL_USER, .role = CF_ROLE_ADMIN };
	struct cf_principal none = { .kind = CF_PRINCIPAL_USER, .role = CF_ROLE_NONE };
	assert_int_equal(cf_policy_check(&anon, "me.read", false, why, sizeof(why)),
	                 CF_POLICY_UNAUTHENTICATED);
	assert_int_equal(cf_policy_check(&anon, "auth.login", true, why, sizeof(why)), CF_POLICY_ALLOW);
	assert_int_equal(cf_policy_check(&user, "no.such.action", false, why, sizeof(why)),
	                 CF_POLICY_FORBIDDEN);
	assert_int_equal(cf_policy_check(&none, "me.read", false, why, sizeof(why)),
	                 CF_POLICY_FORBIDDEN);
	assert_int_equal(cf_policy_on(&user, "no.such.action", CF_REL_OWN, why, sizeof(why)),
	                 CF_POLICY_FORBIDDEN);
	/* relations */
	struct cf_principal p = { .kind = CF_PRINCIPAL_USER, .role = CF_ROLE_PROFESSIONAL };
	snprintf(p.id, sizeof(p.id), "%s", "aa");
	snprintf(p.tenant, sizeof(p.tenant), "%s", "org1");
	snprintf(p.unit, sizeof(p.unit), "%s", "u1");
	assert_int_equal(cf_policy_relation(&p, "org1", "u1", "aa"), CF_REL_OWN);
	assert_int_equal(cf_policy_relation(&p, "org1", "u1", "bb"), CF_REL_SAME_UNIT);
	assert_int_equal(cf_policy_relation(&p, "org1", "u2", "bb"), CF_REL_OTHER_UNIT);
	assert_int_equal(cf_policy_relation(&p, "org1", NULL, "bb"), CF_REL_OTHER_UNIT);
	assert_int_equal(cf_policy_relation(&p, "org2", "u1", "aa"), CF_REL_OTHER_TENANT);
	assert_int_equal(cf_policy_relation(&p, NULL, NULL, NULL), CF_REL_OTHER_TENANT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_cell),
		cmocka_unit_test(route_level_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
