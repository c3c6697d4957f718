#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

/* Which scope an API key needs for an action, and whether only platform
 * (not tenant) principals may hold it. An action not listed here is refused
 * to every API key. */
static const struct rule {
	const char *action;
	const char *scope;
	bool platform_only;    /* the action reaches across tenants */
} rules[] = {
	{ "audit.events", "audit.read", true },
	{ "audit.proof.inclusion", "audit.read", true },
	{ "audit.export", "audit.read", true },
	{ "versions.list", "versions.read", true },
};

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
	if (!r) {
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
