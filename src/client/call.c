/* The one call of the identity calls (enrol.c, login.c, account.c,
 * admin.c): a request to coffred with the session's bearer or none, the
 * answer read as JSON, and a non-2xx answer decoded from its RFC 9457
 * problem into a cf_id_problem, with what it demands done here (a wiped
 * device forgets its keys; an expired session is dropped). */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "client/call.h"
#include "util/encoding.h"

#define ANSWER_ACCEPT "application/json, application/problem+json"

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */

static void append_error(cf_client *c, const char *text)
{
	char *buf = (char *)(uintptr_t)cf_client_last_error(c);
	size_t len = strnlen(buf, CF_ERRMSG_MAX - 1);
	cf_msg_format(buf + len, CF_ERRMSG_MAX - len, "%s", text);
}

void cf_b64_of(struct cf_b64 *out, const uint8_t *bin, size_t len)
{
	if (cf_b64url_encode(out->text, sizeof out->text, bin, len) != CF_OK)
		out->text[0] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Problems                                                                  */

/* The slug of a problem type: "urn:coffre:problem:session-locked" →
 * "session-locked"; lower-case letters, digits and '-' only. */
static void problem_slug(const char *type, char *out, size_t cap)
{
	out[0] = '\0';
	if (!type)
		return;
	const char *s = type;
	const char *colon = strrchr(type, ':');
	const char *slash = strrchr(type, '/');
	if (colon && colon + 1 > s)
		s = colon + 1;
	if (slash && slash + 1 > s)
		s = slash + 1;
	size_t o = 0;
	for (; *s && o + 1 < cap; s++) {
		char ch = *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-')
			out[o++] = ch;
		else
			break;
	}
	out[o] = '\0';
}

/* What a problem body says beyond its message. */
struct problem_body {
	char slug[sizeof ((struct cf_id_problem *)0)->type];
	int tries;
	long retry;
	bool wipe;
};

static void problem_read(const struct cf_http_response *r,
                         struct problem_body *ret)
{
	struct problem_body b = { .slug = "", .tries = -1, .retry = -1 };
	if (r->body_len > 0 && cf_media_type_is_json(r->content_type)) {
		CF_AUTO_JSON *doc = json_loadb((const char *)r->body,
		                               r->body_len, 0, NULL);
		if (json_is_object(doc)) {
			problem_slug(json_string_value(json_object_get(doc,
			             "type")), b.slug, sizeof b.slug);
			long n;
			if (cf_answer_long(doc, "tries_left", 0, 1000, &n))
				b.tries = (int)n;
			if (cf_answer_long(doc, "retry_after", 0, 1L << 30, &n) ||
			    cf_answer_long(doc, "retry_after_s", 0, 1L << 30, &n))
				b.retry = n;
			b.wipe = json_is_true(json_object_get(doc, "wipe"));
		}
	}
	*ret = b;
}

static enum cf_id_failure problem_failure(const struct cf_call *call,
                                          long status,
                                          const struct problem_body *b)
{
	const char *slug = b->slug;
	if (strcmp(slug, "device-wiped") == 0 || (status == 403 && b->wipe))
		return CF_ID_FAIL_WIPED;
	if (strcmp(slug, "session-locked") == 0)
		return CF_ID_FAIL_LOCKED;
	if (strcmp(slug, "wrong-pin") == 0)
		return CF_ID_FAIL_WRONG_PIN;
	if (strcmp(slug, "session-expired") == 0 ||
	    (call->auth == CF_CALL_SESSION &&
	     strcmp(slug, "unauthenticated") == 0))
		return CF_ID_FAIL_EXPIRED;
	if (strcmp(slug, "device-pending") == 0)
		return CF_ID_FAIL_PENDING;
	if (status == 429 || strcmp(slug, "too-many-attempts") == 0)
		return CF_ID_FAIL_THROTTLED;
	if (status == 401)
		return CF_ID_FAIL_AUTH;
	return CF_ID_FAIL_OTHER;
}

/* Reads the problem of a non-2xx answer into p, and acts on it: the
 * message goes to the client's last error; device-wiped forgets the
 * device; session-expired forgets the session. */
static cf_err answer_problem(cf_client *c, struct cf_id_problem *p,
                             const struct cf_call *call,
                             const struct cf_http_response *r)
{
	char msg[CF_ERRMSG_MAX];
	cf_problem_message(msg, sizeof msg, r->status, r->content_type,
	                   r->body, r->body_len);
	cf_call_error(c, "%s", msg);

	struct problem_body b;
	problem_read(r, &b);
	enum cf_id_failure f = problem_failure(call, r->status, &b);
	cf_profile *prof = NULL;
	if (f == CF_ID_FAIL_WIPED && cf_client_profile(c, &prof) == CF_OK) {
		cf_session_forget(prof, true);
		append_error(c, "; this device's key, session and key bundle "
		             "were deleted from the profile");
	} else if (f == CF_ID_FAIL_EXPIRED && call->auth == CF_CALL_SESSION &&
	           cf_client_profile(c, &prof) == CF_OK) {
		cf_session_forget(prof, false);
	}
	if (p) {
		p->failure = f;
		memcpy(p->type, b.slug, sizeof p->type);
		p->tries_left = b.tries;
		p->retry_after_s = b.retry;
	}
	return cf_http_status_error(r->status);
}

/* ------------------------------------------------------------------------ */
/* The call                                                                  */

/* The JSON of a 2xx answer, of the kind the call expects. */
static cf_err answer_json(cf_client *c, struct cf_id_problem *p,
                          const struct cf_call *call,
                          const struct cf_http_response *r, json_t **ret)
{
	json_t *doc;
	if (r->body_len == 0) {
		doc = json_null();
	} else if (!cf_media_type_is_json(r->content_type)) {
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		                    "server answered %ld to %s %s without JSON",
		                    r->status, call->method, call->path);
	} else {
		doc = json_loadb((const char *)r->body, r->body_len,
		                 JSON_REJECT_DUPLICATES, NULL);
		if (!doc)
			return cf_call_fail(c, p, CF_ID_FAIL_OTHER,
			                    CF_ERR_PROTOCOL, "server answered %ld "
			                    "to %s %s with invalid JSON",
			                    r->status, call->method, call->path);
	}
	if (call->answer == CF_ANSWER_OBJECT && !json_is_object(doc)) {
		cf_json_wipe_decref(doc);
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
		                    "the server's answer to %s %s is not a JSON "
		                    "object", call->method, call->path);
	}
	*ret = doc;
	return CF_OK;
}

cf_err cf_call(cf_client *c, struct cf_id_problem *p,
               const struct cf_call *call, json_t **ret)
{
	if (call->has_body && !call->body)
		return cf_call_nomem(c, p);
	struct cf_stored_session s = { .token = NULL };
	const char *bearer = NULL;
	cf_err err;
	if (call->auth == CF_CALL_SESSION) {
		if ((err = cf_session_load(c, p, &s)))
			return err;
		bearer = s.token;
	} else if (call->auth == CF_CALL_TOKEN) {
		bearer = call->token;
	}
	const struct cf_http_request req = {
		.method = call->method,
		.path = call->path,
		.json = call->has_body ? call->body : NULL,
		.bearer = bearer,
		.accept = ANSWER_ACCEPT,
	};
	CF_AUTO_RESPONSE *r = NULL;
	err = cf_client_request(c, &req, &r);
	cf_stored_session_clear(&s);
	if (err) {
		if (p)
			p->failure = CF_ID_FAIL_OTHER;
		return err;
	}
	if (p)
		p->status = r->status;
	if (r->status < 200 || r->status >= 300)
		return answer_problem(c, p, call, r);
	json_t *doc = NULL;
	if ((err = answer_json(c, p, call, r, &doc)))
		return err;
	if (ret)
		*ret = doc;
	else
		cf_json_wipe_decref(doc);
	return CF_OK;
}
