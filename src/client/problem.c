/* Answers that are errors: RFC 9457 problem details into one line, and the
 * mapping of HTTP statuses to cf_err codes. */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "client/internal.h"

#define PROBLEM_TEXT_MAX 200   /* bytes kept of a server title or detail */

cf_err cf_http_status_error(long status)
{
	switch (status) {
	case 400:
	case 422:
		return CF_ERR_INVALID;
	case 401:
	case 403:
		return CF_ERR_DENIED;
	case 404:
	case 410:
		return CF_ERR_NOT_FOUND;
	case 409:
	case 412:
		return CF_ERR_CONFLICT;
	case 413:
	case 431:
		return CF_ERR_TOO_LARGE;
	case 429:
	case 503:
		return CF_ERR_BUSY;
	}
	return CF_ERR_PROTOCOL;
}

/* A non-empty string member, sanitised into buf; NULL when absent. */
static const char *problem_text(json_t *obj, const char *key, char *buf,
                                size_t size)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return NULL;
	cf_text_sanitize(buf, size, json_string_value(v),
	                 json_string_length(v));
	return buf[0] != '\0' ? buf : NULL;
}

static void plain_message(char *out, size_t out_size, long status,
                          const char *content_type, size_t body_len)
{
	const char *reason = cf_http_reason(status);
	char ct[64];
	cf_text_sanitize(ct, sizeof ct, content_type ? content_type : "",
	                 content_type ? strlen(content_type) : 0);
	/* Only the media type, not its parameters. */
	ct[strcspn(ct, "; ")] = '\0';
	if (body_len == 0 || ct[0] == '\0')
		cf_msg_format(out, out_size, "server answered %ld%s%s", status,
		              reason[0] ? " " : "", reason);
	else
		cf_msg_format(out, out_size, "server answered %ld%s%s (%s)",
		              status, reason[0] ? " " : "", reason, ct);
}

void cf_problem_message(char *out, size_t out_size, long status,
                        const char *content_type, const unsigned char *body,
                        size_t body_len)
{
	bool problem = cf_media_type_is(content_type,
	                                "application/problem+json");
	if (!body || body_len == 0 ||
	    !(problem || cf_media_type_is_json(content_type))) {
		plain_message(out, out_size, status, content_type, body_len);
		return;
	}

	json_error_t jerr;
	json_t *doc = json_loadb((const char *)body, body_len,
	                         JSON_REJECT_DUPLICATES, &jerr);
	char title_buf[PROBLEM_TEXT_MAX];
	char detail_buf[PROBLEM_TEXT_MAX];
	const char *title = NULL;
	const char *detail = NULL;
	if (json_is_object(doc)) {
		title = problem_text(doc, "title", title_buf, sizeof title_buf);
		detail = problem_text(doc, "detail", detail_buf,
		                      sizeof detail_buf);
	}
	json_decref(doc);

	if (title && detail && strcasecmp(title, detail) == 0)
		detail = NULL;
	if (title && detail)
		cf_msg_format(out, out_size, "server answered %ld: %s: %s",
		              status, title, detail);
	else if (title || detail)
		cf_msg_format(out, out_size, "server answered %ld: %s", status,
		              title ? title : detail);
	else if (problem)
		cf_msg_format(out, out_size, "server answered %ld%s%s (problem "
		              "without title or detail)", status,
		              cf_http_reason(status)[0] ? " " : "",
		              cf_http_reason(status));
	else
		plain_message(out, out_size, status, content_type, body_len);
}
