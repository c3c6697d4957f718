#include "server/reply.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cf_http_reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

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

void cf_reply_problem(struct cf_reply *r, unsigned status, const char *slug,
                      const char *detail_fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);

	char type[96];
	snprintf(type, sizeof(type), "urn:coffre:problem:%s", slug);
	json_t *obj = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
	                        cf_http_reason(status), "status", (int)status, "detail", detail);
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text) {
		set_static_500(r);
		return;
	}
	set_body(r, status, "application/problem+json", text, strlen(text));
	r->problem_slug = slug;
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
