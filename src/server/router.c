#include "server/router.h"

#include <stdio.h>
#include <string.h>

#include "server/handlers.h"
#include "server/identity/identity.h"

/* Every endpoint. Order does not matter: patterns never overlap. */
static const struct cf_route routes[] = {
	{ "GET", "/healthz", cf_h_healthz,
	  CF_ROUTE_PUBLIC | CF_ROUTE_OPS | CF_ROUTE_BOOTSTRAP, "ops.healthz", NULL },
	{ "GET", "/readyz", cf_h_readyz,
	  CF_ROUTE_PUBLIC | CF_ROUTE_OPS | CF_ROUTE_BOOTSTRAP, "ops.readyz", NULL },
	{ "GET", "/metrics", cf_h_metrics, CF_ROUTE_PUBLIC | CF_ROUTE_OPS, "ops.metrics", NULL },
	{ "GET", "/v1/server", cf_h_server_info,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "server.info", NULL },
	{ "POST", "/v1/auth/prelogin", cf_h_auth_prelogin,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.prelogin", &cf_spec_auth_prelogin },
	{ "POST", "/v1/enrol/begin", cf_h_enrol_begin,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "enrol.begin", &cf_spec_enrol_begin },
	{ "POST", "/v1/enrol", cf_h_enrol,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "enrol", &cf_spec_enrol },
	{ "POST", "/v1/auth/login", cf_h_login,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.login", &cf_spec_login },
	{ "POST", "/v1/auth/second-factor", cf_h_second_factor,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.second_factor", &cf_spec_second_factor },
	{ "POST", "/v1/auth/second-factor/send", cf_h_second_factor_send,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.second_factor.send",
	  &cf_spec_second_factor_send },
	{ "POST", "/v1/auth/unlock", cf_h_unlock,
	  CF_ROUTE_WHILE_LOCKED | CF_ROUTE_WHILE_PENDING, "auth.unlock", &cf_spec_unlock },
	{ "POST", "/v1/auth/logout", cf_h_logout,
	  CF_ROUTE_WHILE_LOCKED | CF_ROUTE_WHILE_PENDING, "auth.logout", NULL },
	{ "GET", "/v1/me", cf_h_me, CF_ROUTE_WHILE_PENDING, "me.read", NULL },
	{ "POST", "/v1/me/totp/begin", cf_h_totp_begin, 0, "me.update", NULL },
	{ "POST", "/v1/me/totp", cf_h_totp_confirm, 0, "me.update", &cf_spec_totp_confirm },
	{ "DELETE", "/v1/me/totp", cf_h_totp_disable, CF_ROUTE_BODY_OPTIONAL, "me.update",
	  &cf_spec_totp_disable },
	{ "POST", "/v1/me/pin", cf_h_pin, 0, "me.update", &cf_spec_pin },
	{ "PUT", "/v1/me/phone", cf_h_phone, 0, "me.update", &cf_spec_phone },
	{ "POST", "/v1/me/recovery-code", cf_h_recovery_code, 0, "me.update", &cf_spec_recovery_code },
	{ "POST", "/v1/auth/password", cf_h_password, 0, "auth.password", &cf_spec_password },
	{ "POST", "/v1/auth/password/salt", cf_h_password_salt, 0, "auth.password", NULL },
	{ "POST", "/v1/auth/recover/begin", cf_h_recover_begin,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.recover.begin", &cf_spec_recover_begin },
	{ "POST", "/v1/auth/recover/verify", cf_h_recover_verify,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.recover.verify", &cf_spec_recover_verify },
	{ "POST", "/v1/auth/recover", cf_h_recover,
	  CF_ROUTE_PUBLIC | CF_ROUTE_BOOTSTRAP, "auth.recover", &cf_spec_recover },
	{ "POST", "/v1/invitations", cf_h_invite, 0, "invitations.create", &cf_spec_invite },
	{ "POST", "/v1/orgs", cf_h_org_create, 0, "orgs.create", &cf_spec_org },
	{ "GET", "/v1/orgs", cf_h_org_list, 0, "orgs.list", NULL },
	{ "POST", "/v1/orgs/{id}/units", cf_h_unit_create, 0, "units.create", &cf_spec_unit },
	{ "GET", "/v1/orgs/{id}/units", cf_h_unit_list, 0, "units.list", NULL },
	{ "GET", "/v1/orgs/{id}/users", cf_h_user_list, 0, "users.list", NULL },
	{ "PUT", "/v1/users/{id}/role", cf_h_user_role, 0, "users.role", &cf_spec_role },
	{ "GET", "/v1/users/{id}/keys", cf_h_user_keys, 0, "users.keys", NULL },
	{ "POST", "/v1/users/{id}/sessions/revoke", cf_h_user_sessions_revoke, 0,
	  "users.sessions.revoke", NULL },
	{ "POST", "/v1/delegations", cf_h_delegation_create, 0, "delegations.create",
	  &cf_spec_delegation },
	{ "GET", "/v1/delegations", cf_h_delegation_list, 0, "delegations.list", NULL },
	{ "DELETE", "/v1/delegations/{id}", cf_h_delegation_revoke, 0, "delegations.revoke", NULL },
	{ "GET", "/v1/devices", cf_h_device_list, 0, "devices.list", NULL },
	{ "POST", "/v1/devices/{id}/approve", cf_h_device_approve, 0, "devices.approve", NULL },
	{ "POST", "/v1/devices/{id}/wipe", cf_h_device_wipe, 0, "devices.wipe", NULL },
	{ "POST", "/v1/devices/{id}/certificate", cf_h_device_certificate,
	  CF_ROUTE_BOOTSTRAP, "devices.certificate", &cf_spec_device_certificate },
	{ "POST", "/v1/api-keys", cf_h_apikey_create, 0, "apikeys.manage", &cf_spec_apikey },
	{ "GET", "/v1/api-keys", cf_h_apikey_list, 0, "apikeys.manage", NULL },
	{ "DELETE", "/v1/api-keys/{id}", cf_h_apikey_revoke, 0, "apikeys.manage", NULL },
	{ "GET", "/v1/audit/checkpoint", cf_h_audit_checkpoint, CF_ROUTE_PUBLIC, "audit.checkpoint", NULL },
	{ "GET", "/v1/audit/proof/consistency", cf_h_audit_consistency, CF_ROUTE_PUBLIC,
	  "audit.proof.consistency", NULL },
	{ "GET", "/v1/audit/proof/inclusion", cf_h_audit_inclusion, 0, "audit.proof.inclusion", NULL },
	{ "GET", "/v1/audit/events", cf_h_audit_events, 0, "audit.events", NULL },
	{ "GET", "/v1/audit/export", cf_h_audit_export, 0, "audit.export", NULL },
	{ "GET", "/v1/keys/{kind}/{owner}/log", cf_h_key_log, CF_ROUTE_PUBLIC, "keys.log", NULL },
	{ "GET", "/v1/versions", cf_h_versions_list, 0, "versions.list", NULL },
	{ "GET", "/v1/_debug/problem/{status}", cf_h_debug_problem,
	  CF_ROUTE_PUBLIC | CF_ROUTE_DEBUG, "debug.problem", NULL },
};

static bool segment_ok(const char *s, size_t len)
{
	if (len == 0 || len > CF_PARAM_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Matches path against pattern, capturing {params}; false on any difference. */
static bool match(const char *pattern, const char *path,
                  char params[][CF_PARAM_MAX + 1], unsigned *ret_n)
{
	unsigned n = 0;
	while (*pattern && *path) {
		if (*pattern == '{') {
			const char *pend = strchr(pattern, '}');
			const char *send = strchr(path, '/');
			size_t len = send ? (size_t)(send - path) : strlen(path);
			if (!pend || n >= CF_MAX_PARAMS || !segment_ok(path, len))
				return false;
			memcpy(params[n], path, len);
			params[n][len] = '\0';
			n++;
			pattern = pend + 1;
			path += len;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (*pattern || *path)
		return false;
	*ret_n = n;
	return true;
}

void cf_route_match(struct cf_request *req, bool debug_routes)
{
	char params[CF_MAX_PARAMS][CF_PARAM_MAX + 1];
	unsigned n = 0;
	size_t used = 0;

	req->route = NULL;
	req->method_mismatch = false;
	req->allow[0] = '\0';
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct cf_route *r = &routes[i];
		if ((r->flags & CF_ROUTE_DEBUG) && !debug_routes)
			continue;
		if (!match(r->pattern, req->path, params, &n))
			continue;
		if (strcmp(r->method, req->method) == 0) {
			req->route = r;
			req->nparams = n;
			memcpy(req->params, params, sizeof(params));
			return;
		}
		req->method_mismatch = true;
		int w = snprintf(req->allow + used, sizeof(req->allow) - used, "%s%s",
		                 used ? ", " : "", r->method);
		if (w > 0 && (size_t)w < sizeof(req->allow) - used)
			used += (size_t)w;
	}
}
