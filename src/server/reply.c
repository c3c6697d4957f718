#include "server/reply.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rules.h"

void cf_reply_clear(struct cf_reply *r)
{
	if (r->body)
		sodium_memzero(r->body, r->len);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void set_body(struct cf_reply *r, unsigned status, const char *ctype, char *body,
                     size_t len)
{
	if (r->body)
		sodium_memzero(r->body, r->len);
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->len = len;
}

/* The last resort when even the problem body cannot be built. */
static void set_static_500(struct cf_reply *r)
{
	static const char text[] = "{\"type\":\"urn:coffre:problem:internal\","
		"\"title\":\"Internal Server Error\",\"status\":500,\"detail\":\"out of memory\"}";
	char *copy = malloc(sizeof(text));
	if (copy)
		memcpy(copy, text, sizeof(text));
	set_body(r, 500, "application/problem+json", copy, copy ? sizeof(text) - 1 : 0);
	r->problem_slug = "internal";
}

static const struct cf_problem_info problems[CF_P_COUNT] = {
	[CF_P_INTERNAL] = { 500, "internal" },
	[CF_P_STORE_UNAVAILABLE] = { 503, "store-unavailable" },
	[CF_P_AUDIT_UNAVAILABLE] = { 503, "audit-unavailable" },
	[CF_P_AUDIT_LOG_INCONSISTENT] = { 503, "audit-log-inconsistent" },
	[CF_P_DISK_SPACE_LOW] = { 503, "disk-space-low" },
	[CF_P_AUDIT_TREE_DAMAGED] = { 500, "audit-tree-damaged" },
	[CF_P_OVERLOADED] = { 503, "overloaded" },
	[CF_P_UNAVAILABLE] = { 503, "unavailable" },
	[CF_P_DELIVERY_UNAVAILABLE] = { 503, "delivery-unavailable" },
	[CF_P_INVALID_FIELD] = { 422, "invalid-field" },
	[CF_P_BAD_RANGE] = { 422, "bad-range" },
	[CF_P_WRONG_CODE] = { 422, "wrong-code" },
	[CF_P_BAD_QUERY] = { 400, "bad-query" },
	[CF_P_UNEXPECTED_BODY] = { 400, "unexpected-body" },
	[CF_P_MALFORMED_JSON] = { 400, "malformed-json" },
	[CF_P_BAD_FRAMING] = { 400, "bad-framing" },
	[CF_P_BAD_HEADER] = { 400, "bad-header" },
	[CF_P_TRANSFER_CODING] = { 501, "unsupported-transfer-coding" },
	[CF_P_UNAUTHENTICATED] = { 401, "unauthenticated" },
	[CF_P_LOGIN_FAILED] = { 401, "login-failed" },
	[CF_P_WRONG_PIN] = { 401, "wrong-pin" },
	[CF_P_SESSION_LOCKED] = { 401, "session-locked" },
	[CF_P_INVALID_INVITATION] = { 401, "invalid-invitation" },
	[CF_P_FORBIDDEN] = { 403, "forbidden" },
	[CF_P_DEVICE_WIPED] = { 403, "device-wiped" },
	[CF_P_DEVICE_PENDING] = { 403, "device-pending" },
	[CF_P_CLIENT_CERTIFICATE] = { 403, "client-certificate" },
	[CF_P_ADDRESS_NOT_ALLOWED] = { 403, "address-not-allowed" },
	[CF_P_FRESH_PROOF_REQUIRED] = { 403, "fresh-proof-required" },
	[CF_P_METHOD_NOT_OFFERED] = { 403, "method-not-offered" },
	[CF_P_NOT_FOUND] = { 404, "not-found" },
	[CF_P_METHOD_NOT_ALLOWED] = { 405, "method-not-allowed" },
	[CF_P_CONFLICT] = { 409, "conflict" },
	[CF_P_BODY_TOO_LARGE] = { 413, "body-too-large" },
	[CF_P_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported-media-type" },
	[CF_P_RATE_LIMITED] = { 429, "rate-limited" },
	[CF_P_TOO_MANY_ATTEMPTS] = { 429, "too-many-attempts" },
	[CF_P_TOO_MANY_CODES] = { 429, "too-many-codes" },
	[CF_P_HEADERS_TOO_LARGE] = { 431, "headers-too-large" },
	[CF_P_DEBUG] = { 0, "debug" },
};

const struct cf_problem_info *cf_problem_info(enum cf_problem p)
{
	return (unsigned)p < CF_P_COUNT ? &problems[p] : &problems[CF_P_INTERNAL];
}

enum cf_problem cf_problem_of(cf_err err)
{
	switch (err) {
	case CF_ERR_STORE: return CF_P_STORE_UNAVAILABLE;
	case CF_ERR_NOMEM:
	case CF_ERR_BUSY: return CF_P_OVERLOADED;
	case CF_ERR_NOT_FOUND: return CF_P_NOT_FOUND;
	case CF_ERR_CONFLICT: return CF_P_CONFLICT;
	case CF_ERR_INVALID: return CF_P_INVALID_FIELD;
	case CF_ERR_DENIED: return CF_P_FORBIDDEN;
	case CF_ERR_TOO_LARGE: return CF_P_BODY_TOO_LARGE;
	default: return CF_P_INTERNAL;
	}
}

static void vproblem(struct cf_reply *r, enum cf_problem p, unsigned status,
                     const char *detail_fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void vproblem(struct cf_reply *r, enum cf_problem p, unsigned status,
                     const char *detail_fmt, va_list ap)
{
	const struct cf_problem_info *info = cf_problem_info(p);
	if (info->status)
		status = info->status;
	char detail[512];
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);

	char type[96];
	snprintf(type, sizeof(type), "urn:coffre:problem:%s", info->slug);
	/* The title is the status's reason phrase (util/rules.h, as the client
	 * says it); "Error" for a status that table does not know. */
	const char *title = cf_http_reason(status);
	json_t *obj = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
	                        title[0] ? title : "Error",
	                        "status", (int)status, "detail", detail);
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text) {
		set_static_500(r);
		return;
	}
	set_body(r, status, "application/problem+json", text, strlen(text));
	r->problem_slug = info->slug;
}

void cf_reply_problem(struct cf_reply *r, enum cf_problem p, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	vproblem(r, p, 500, detail_fmt, ap);
	va_end(ap);
}

void cf_reply_problem_status(struct cf_reply *r, enum cf_problem p, unsigned status,
                             const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	vproblem(r, p, status, detail_fmt, ap);
	va_end(ap);
}

void cf_reply_json_take(struct cf_reply *r, unsigned status, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text) {
		set_static_500(r);
		return;
	}
	set_body(r, status, "application/json", text, strlen(text));
	r->problem_slug = NULL;
}

void cf_reply_text(struct cf_reply *r, unsigned status, const char *ctype, const char *text,
                   size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy) {
		set_static_500(r);
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	set_body(r, status, ctype, copy, len);
	r->problem_slug = NULL;
}

void cf_reply_problem_extend(struct cf_reply *r, json_t *extra)
{
	json_error_t jerr;
	json_t *body = r->body ? json_loadb(r->body, r->len, 0, &jerr) : NULL;
	if (body && json_is_object(extra) && json_object_update(body, extra) == 0) {
		char *text = json_dumps(body, JSON_COMPACT);
		if (text)
			set_body(r, r->status, r->content_type, text, strlen(text));
	}
	json_decref(body);
	json_decref(extra);
}
