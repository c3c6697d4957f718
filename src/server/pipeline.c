#include "server/pipeline.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "server/auth/apikey.h"
#include "server/auth/clientcert.h"
#include "server/auth/session.h"
#include "server/router.h"
#include "util/clock.h"

static bool stage_route(struct cf_request *req)
{
	if (req->route)
		return true;
	if (req->method_mismatch) {
		req->reply.allow = req->allow;
		cf_reply_problem(&req->reply, CF_P_METHOD_NOT_ALLOWED,
		                 "%s is not allowed on this resource (allowed: %s)", req->method,
		                 req->allow);
	} else {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no resource at this path");
	}
	return false;
}

static bool stage_rate_limit(struct cf_request *req)
{
	if (req->route && (req->route->flags & CF_ROUTE_OPS))
		return true;
	unsigned retry = 1;
	/* Keyed like the attempt counters: an IPv6 client by its prefix. */
	if (cf_ratelimit_take(req->srv->ip_limit, req->addr_key, strlen(req->addr_key), cf_mono_ms(),
	                      &retry))
		return true;
	req->reply.retry_after = retry;
	cf_reply_problem(&req->reply, CF_P_RATE_LIMITED,
	                 "too many requests from this address; retry after %u s", retry);
	return false;
}

/* Credentials, when given, must be valid even on public routes (a client
 * that sends a wrong key learns it). Session tokens are "Bearer
 * coffre_s_..." (auth/session.c), API keys "Bearer coffre_..."
 * (auth/apikey.c). */
static bool stage_authenticate(struct cf_request *req)
{
	const char *authz = cf_request_header(req, "Authorization");
	if (!authz)
		return true;
	static const char bearer[] = "Bearer ";
	if (strncmp(authz, bearer, sizeof(bearer) - 1) != 0) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED,
		                 "the Authorization header must be 'Bearer <token>'");
		return false;
	}
	const char *token = authz + sizeof(bearer) - 1;
	if (strncmp(token, CF_SESSION_PREFIX, sizeof(CF_SESSION_PREFIX) - 1) == 0)
		return cf_session_authenticate(req, token);
	return cf_api_key_authenticate(req, token);
}

static bool stage_policy(struct cf_request *req)
{
	char why[160];
	switch (cf_policy_check(&req->who, req->route->action,
	                        (req->route->flags & CF_ROUTE_PUBLIC) != 0, why, sizeof(why))) {
	case CF_POLICY_ALLOW:
		return true;
	case CF_POLICY_UNAUTHENTICATED:
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED, "%s", why);
		return false;
	case CF_POLICY_FORBIDDEN:
		cf_reply_problem(&req->reply, CF_P_FORBIDDEN, "%s", why);
		return false;
	case CF_POLICY_NOT_FOUND:
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "%s", why);
		return false;
	}
	return false;
}

static bool stage_body(struct cf_request *req)
{
	const struct cf_route *r = req->route;
	if (!r->body) {
		if (req->body_len > 0) {
			cf_reply_problem(&req->reply, CF_P_UNEXPECTED_BODY,
			                 "this endpoint takes no request body");
			return false;
		}
		return true;
	}
	if (req->body_len == 0 && (r->flags & CF_ROUTE_BODY_OPTIONAL))
		return true; /* every bound field absent: args stay zero */
	const char *ctype = cf_request_header(req, "Content-Type");
	if (!cf_json_content_type_ok(ctype)) {
		cf_reply_problem(&req->reply, CF_P_UNSUPPORTED_MEDIA_TYPE,
		                 "the body must be application/json (UTF-8)");
		return false;
	}
	json_error_t jerr;
	req->json = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->json) {
		cf_reply_problem(&req->reply, CF_P_MALFORMED_JSON,
		                 "the body is not valid JSON (line %d, column %d): %.120s", jerr.line,
		                 jerr.column, jerr.text);
		return false;
	}
	char why[256];
	if (r->body->size > sizeof(req->args)) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "the body spec does not fit the request");
		return false;
	}
	if (cf_spec_bind(req->json, r->body, req->args.bytes, why, sizeof(why))) {
		cf_reply_problem(&req->reply, CF_P_INVALID_FIELD, "%s", why);
		return false;
	}
	return true;
}

/* The route pattern with its ids filled in; any other parameter stays a
 * placeholder, so nothing but ids reaches the audit log. */
static void audit_resource(struct cf_request *req)
{
	const char *p = req->route->pattern;
	size_t o = 0;
	unsigned param = 0;
	char *out = req->resource;
	size_t cap = sizeof(req->resource);
	while (*p && o + 1 < cap) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			const char *val = param < req->nparams && cf_id_hex_ok(req->params[param]) ?
			                  req->params[param] : NULL;
			size_t len = val ? strlen(val) : (size_t)(end - p + 1);
			if (o + len + 1 > cap)
				break;
			memcpy(out + o, val ? val : p, len);
			o += len;
			p = end + 1;
			param++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

static cf_err commit_write(struct cf_audit_tx *atx, struct cf_audit_item *item)
{
	struct cf_request *req = item->write_arg;
	cf_err err = req->write ? req->write(atx, req) : CF_OK;
	if (!err)
		err = cf_session_touch(atx, req);
	if (err && req->reply.status < 400)
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "the change could not be stored");
	return err;
}

static void audit_fields(struct cf_request *req)
{
	struct cf_audit_fields *f = &req->audit.fields;
	f->action = req->route ? req->route->action : "unrouted";
	if (req->route) {
		audit_resource(req);
		f->resource = req->resource;
	}
	f->request_id = req->id_hex;
	if (req->who.kind != CF_PRINCIPAL_NONE) {
		f->actor = req->who.id;
		f->tenant = req->who.tenant[0] ? req->who.tenant : NULL;
	}
	if (req->who.kind == CF_PRINCIPAL_USER)
		f->device = req->who.device;
	f->ip_hash = req->ip_hash[0] ? req->ip_hash : NULL;
	req->audit.status = &req->reply.status;
	/* The handler's write and the session's last use commit with the event. */
	if (req->write || req->session_touch) {
		req->audit.write = commit_write;
		req->audit.write_arg = req;
	}
}

/* The keyed hash of the client address for the audit event. The key is
 * random, one per UTC day, stored (store.h ip_day_key: restarts and other
 * processes within the day hash alike) and destroyed after
 * audit.ip_key_retention_days; it is not derived from any secret, so neither
 * server.secret nor a backup reverses a hash once the key is gone. Without a
 * key (store down at the day's first request) the hash is left out. */
static void ip_hash(struct cf_request *req)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct cf_server *srv = req->srv;
	uint64_t day = cf_now_ms() / 86400000;
	uint8_t key[32];
	bool have = false;
	pthread_mutex_lock(&lock);
	if (!srv->ip_day_valid || srv->ip_day != day) {
		uint8_t fresh[32];
		uint64_t keep = srv->cfg.ip_key_retention_days;
		uint64_t keep_from = day >= keep ? day - keep + 1 : 0;
		if (cf_audit_ip_day_key_new(fresh) == CF_OK &&
		    srv->store->ops->ip_day_key(srv->store, day, fresh, keep_from,
		                                srv->ip_day_key) == CF_OK) {
			srv->ip_day = day;
			srv->ip_day_valid = true;
		} else {
			srv->ip_day_valid = false;
		}
		sodium_memzero(fresh, sizeof(fresh));
	}
	if (srv->ip_day_valid) {
		memcpy(key, srv->ip_day_key, 32);
		have = true;
	}
	pthread_mutex_unlock(&lock);
	req->ip_hash[0] = '\0';
	if (!have)
		return;
	cf_audit_ip_hash(req->ip_hash, sizeof(req->ip_hash), key, req->ip);
	sodium_memzero(key, sizeof(key));
}

void cf_pipeline_run(struct cf_request *req)
{
	ip_hash(req);
	if (req->reply.status == 0 && stage_rate_limit(req) && stage_route(req) &&
	    stage_authenticate(req) && cf_client_cert_check(req) && stage_policy(req) &&
	    stage_body(req)) {
		req->route->handler(req);
		if (req->reply.status == 0)
			cf_reply_problem(&req->reply, CF_P_INTERNAL, "the handler gave no answer");
	}
	audit_fields(req);
}
