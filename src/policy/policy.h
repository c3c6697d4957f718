/* Authorisation: who may call what. Deny by default. One table (policy.c),
 * read by one function per question:
 *  - cf_policy_check: may this principal call this action at all (route level);
 *  - cf_policy_on: may this principal do this action on that resource, given
 *    how it relates to them (own, same unit, other unit, other tenant).
 * Roles are one per user per organisation: patient, secretary, professional,
 * admin, superadmin (the platform's). API keys hold scopes instead. */
#ifndef CF_POLICY_H
#define CF_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum cf_principal_kind {
	CF_PRINCIPAL_NONE,       /* anonymous */
	CF_PRINCIPAL_API_KEY,    /* a machine client */
	CF_PRINCIPAL_USER,       /* a person with a session */
};

enum cf_role {
	CF_ROLE_NONE = 0,
	CF_ROLE_PATIENT,
	CF_ROLE_SECRETARY,
	CF_ROLE_PROFESSIONAL,
	CF_ROLE_ADMIN,
	CF_ROLE_SUPERADMIN,
	CF_ROLE_COUNT
};

struct cf_principal {
	enum cf_principal_kind kind;
	char id[33];             /* user or API key id (hex) */
	char tenant[33];         /* organisation id; "" = platform (API keys) */
	char scopes[256];        /* API keys: space-separated */
	enum cf_role role;       /* users */
	char unit[33];           /* users: their unit, "" when none */
	char device[33];         /* users: the session's device */
	char session[33];        /* users: the session id */
};

enum cf_policy_decision {
	CF_POLICY_ALLOW,
	CF_POLICY_UNAUTHENTICATED, /* 401: credentials needed */
	CF_POLICY_FORBIDDEN,       /* 403 */
	CF_POLICY_NOT_FOUND,       /* 404: another tenant's resource is not shown to exist */
};

/* How a target resource relates to the principal. */
enum cf_relation {
	CF_REL_OWN,          /* the principal itself, or what it owns */
	CF_REL_SAME_UNIT,    /* same organisation and unit */
	CF_REL_OTHER_UNIT,   /* same organisation, another or no unit */
	CF_REL_OTHER_TENANT, /* another organisation */
	CF_REL_COUNT
};

/* Route level: may p call action? public: the route needs no credentials. */
enum cf_policy_decision cf_policy_check(const struct cf_principal *p, const char *action,
                                        bool public_route, char *why, size_t cap);

/* Resource level, for users: may p do action on a target with this relation?
 * Another tenant's resource answers NOT_FOUND unless allowed. */
enum cf_policy_decision cf_policy_on(const struct cf_principal *p, const char *action,
                                     enum cf_relation rel, char *why, size_t cap);

/* The relation of a target (its organisation, unit and owner) to p. */
enum cf_relation cf_policy_relation(const struct cf_principal *p, const char *org,
                                    const char *unit, const char *owner);

bool cf_scopes_contain(const char *scopes, const char *scope);
const char *cf_role_name(enum cf_role r);
enum cf_role cf_role_parse(const char *s);   /* CF_ROLE_NONE when unknown */

/* The actions of the table, for tests that walk the whole matrix. */
const char *const *cf_policy_actions(size_t *ret_count);

#endif
