/* Authorisation: who may call what. Deny by default. One table, read by one
 * function; the identity work adds roles (patient, secretary, professional,
 * admin, superadmin) and relations (own, same unit, other unit, other
 * tenant) to the same table. */
#ifndef CF_POLICY_H
#define CF_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum cf_principal_kind {
	CF_PRINCIPAL_NONE,       /* anonymous */
	CF_PRINCIPAL_API_KEY,    /* a machine client */
};

struct cf_principal {
	enum cf_principal_kind kind;
	char id[33];             /* API key id (hex) */
	char tenant[33];         /* "" = platform */
	char scopes[256];        /* space-separated */
};

enum cf_policy_decision {
	CF_POLICY_ALLOW,
	CF_POLICY_UNAUTHENTICATED, /* 401: credentials needed */
	CF_POLICY_FORBIDDEN,       /* 403 */
};

/* May p perform action (a route's action name, e.g. "audit.events")?
 * public: the route needs no credentials. why gets a sentence on refusal. */
enum cf_policy_decision cf_policy_check(const struct cf_principal *p, const char *action,
                                        bool public_route, char *why, size_t cap);

/* True when the space-separated scopes contain scope. */
bool cf_scopes_contain(const char *scopes, const char *scope);

#endif
