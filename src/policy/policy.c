#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

#include "util/rules.h"

/* Relation bits. */
#define OWN (1u << CF_REL_OWN)
#define UNIT (1u << CF_REL_SAME_UNIT)
#define ORG (1u << CF_REL_OTHER_UNIT)
#define ANY (1u << CF_REL_OTHER_TENANT)
#define IN_ORG (OWN | UNIT | ORG)
#define ALL (IN_ORG | ANY)

/* One row per action: the relations each role may act on (0 = never), and
 * the scope an API key needs (NULL = API keys never). */
static const struct rule {
	const char *action;
	unsigned roles[CF_ROLE_COUNT]; /* indexed by enum cf_role */
	const char *scope;
	bool platform_only;            /* API keys: only platform keys (cross-tenant) */
} rules[] = {
	/*                               none patient secretary professional admin superadmin */
	{ "me.read",                   { 0, OWN, OWN, OWN, OWN, OWN }, NULL, false },
	{ "me.update",                 { 0, OWN, OWN, OWN, OWN, OWN }, NULL, false },
	{ "auth.unlock",               { 0, OWN, OWN, OWN, OWN, OWN }, NULL, false },
	{ "auth.logout",               { 0, OWN, OWN, OWN, OWN, OWN }, NULL, false },
	{ "auth.password",             { 0, OWN, OWN, OWN, OWN, OWN }, NULL, false },
	{ "orgs.create",               { 0, 0, 0, 0, 0, ALL }, NULL, false },
	{ "orgs.list",                 { 0, 0, 0, 0, 0, ALL }, NULL, false },
	{ "units.create",              { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "units.list",                { 0, 0, IN_ORG, IN_ORG, IN_ORG, ALL }, NULL, false },
	{ "users.list",                { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "users.keys",                { 0, IN_ORG, IN_ORG, IN_ORG, IN_ORG, ALL }, NULL, false },
	{ "users.role",                { 0, 0, 0, 0, UNIT | ORG, ALL }, NULL, false },
	{ "users.sessions.revoke",     { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "invitations.create",        { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "delegations.create",        { 0, 0, 0, UNIT | ORG, 0, 0 }, NULL, false },
	{ "delegations.list",          { 0, 0, OWN, OWN, IN_ORG, ALL }, NULL, false },
	{ "delegations.revoke",        { 0, 0, 0, OWN, IN_ORG, ALL }, NULL, false },
	{ "devices.list",              { 0, OWN, OWN, OWN, IN_ORG, ALL }, NULL, false },
	{ "devices.approve",           { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "devices.wipe",              { 0, OWN, OWN, OWN, IN_ORG, ALL }, NULL, false },
	{ "devices.certificate",       { 0, OWN, OWN, OWN, IN_ORG, ALL }, NULL, false },
	{ "apikeys.manage",            { 0, 0, 0, 0, IN_ORG, ALL }, NULL, false },
	{ "audit.events",              { 0, 0, 0, 0, 0, ALL }, "audit.read", true },
	{ "audit.proof.inclusion",     { 0, 0, 0, 0, 0, ALL }, "audit.read", true },
	{ "audit.export",              { 0, 0, 0, 0, 0, ALL }, "audit.read", true },
	{ "versions.list",             { 0, 0, 0, 0, 0, ALL }, "versions.read", true },
};

/* The role names are util/rules.h's, which the client shares; its index
 * is the enum's minus 1 (the enum's 0 is "none"). */
_Static_assert(CF_ROLE_COUNT == CF_RULE_ROLE_COUNT + 1, "roles: enum cf_role and cf_role_names");

const char *cf_role_name(enum cf_role r)
{
	return r > CF_ROLE_NONE && (unsigned)r < CF_ROLE_COUNT ? cf_role_names[r - 1] : "none";
}

enum cf_role cf_role_parse(const char *s)
{
	return (enum cf_role)(cf_role_index(s) + 1);   /* -1 (unknown) is CF_ROLE_NONE */
}

const char *const *cf_policy_actions(size_t *ret_count)
{
	static const char *names[sizeof(rules) / sizeof(rules[0])];
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		names[i] = rules[i].action;
	*ret_count = sizeof(rules) / sizeof(rules[0]);
	return names;
}

bool cf_scopes_contain(const char *scopes, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = scopes;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, scope, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static const struct rule *find_rule(const char *action)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].action, action) == 0)
			return &rules[i];
	return NULL;
}

enum cf_policy_decision cf_policy_check(const struct cf_principal *p, const char *action,
                                        bool public_route, char *why, size_t cap)
{
	if (public_route)
		return CF_POLICY_ALLOW;
	if (p->kind == CF_PRINCIPAL_NONE) {
		snprintf(why, cap, "this endpoint needs a valid session token or API key");
		return CF_POLICY_UNAUTHENTICATED;
	}
	const struct rule *r = find_rule(action);
	if (p->kind == CF_PRINCIPAL_API_KEY) {
		if (!r || !r->scope) {
			snprintf(why, cap, "API keys may not use this endpoint");
			return CF_POLICY_FORBIDDEN;
		}
		if (!cf_scopes_contain(p->scopes, r->scope)) {
			snprintf(why, cap, "this API key lacks the scope '%s'", r->scope);
			return CF_POLICY_FORBIDDEN;
		}
		if (r->platform_only && p->tenant[0]) {
			snprintf(why, cap, "only platform keys may read across organisations");
			return CF_POLICY_FORBIDDEN;
		}
		return CF_POLICY_ALLOW;
	}
	if (!r || (unsigned)p->role >= CF_ROLE_COUNT || r->roles[p->role] == 0) {
		snprintf(why, cap, "the role %s may not do this", cf_role_name(p->role));
		return CF_POLICY_FORBIDDEN;
	}
	return CF_POLICY_ALLOW;
}

enum cf_relation cf_policy_relation(const struct cf_principal *p, const char *org,
                                    const char *unit, const char *owner)
{
	if (!org || strcmp(org, p->tenant) != 0)
		return CF_REL_OTHER_TENANT;
	if (owner && owner[0] && strcmp(owner, p->id) == 0)
		return CF_REL_OWN;
	if (unit && unit[0] && p->unit[0] && strcmp(unit, p->unit) == 0)
		return CF_REL_SAME_UNIT;
	return CF_REL_OTHER_UNIT;
}

enum cf_policy_decision cf_policy_on(const struct cf_principal *p, const char *action,
                                     enum cf_relation rel, char *why, size_t cap)
{
	const struct rule *r = find_rule(action);
	unsigned allowed = r && p->kind == CF_PRINCIPAL_USER && (unsigned)p->role < CF_ROLE_COUNT ?
	                   r->roles[p->role] : 0;
	if (allowed & (1u << rel))
		return CF_POLICY_ALLOW;
	if (rel == CF_REL_OTHER_TENANT) {
		snprintf(why, cap, "no such resource");
		return CF_POLICY_NOT_FOUND;
	}
	snprintf(why, cap, "the role %s may not do this on that resource", cf_role_name(p->role));
	return CF_POLICY_FORBIDDEN;
}
