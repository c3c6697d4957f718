/* What a handler answers: status, content type and body, plus the few headers
 * the pipeline adds. Problems are RFC 9457 application/problem+json. */
#ifndef CF_SERVER_REPLY_H
#define CF_SERVER_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include "coffre/error.h"

struct cf_reply {
	unsigned status;           /* 0 until a handler or stage has answered */
	const char *content_type;  /* static string */
	char *body;                /* owned, malloc'ed */
	size_t len;
	const char *allow;         /* for 405; points into the request */
	unsigned retry_after;      /* seconds, for 429/503; 0 = none */
	const char *problem_slug;  /* set on problems; for logs and audit */
};

/* Answers with a problem: type "urn:coffre:problem:<slug>", the standard
 * title of the status, and detail (a precise sentence for the user; never a
 * secret). Replaces any earlier answer. */
void cf_reply_problem(struct cf_reply *r, unsigned status, const char *slug,
                      const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds members to the problem body already in r (e.g. "wipe": true); takes
 * the reference to extra (an object). */
void cf_reply_problem_extend(struct cf_reply *r, json_t *extra);

/* Answers with JSON; takes the reference to obj. */
void cf_reply_json_take(struct cf_reply *r, unsigned status, json_t *obj);

/* Answers with text bytes (copied). */
void cf_reply_text(struct cf_reply *r, unsigned status, const char *content_type,
                   const char *text, size_t len);

void cf_reply_clear(struct cf_reply *r);

/* The reason phrase of an HTTP status, e.g. "Not Found". */
const char *cf_http_reason(unsigned status);

#endif
