/* libcoffre internals shared by the files of src/client and the unit tests.
 * Nothing here is public API; see include/coffre/client.h. */
#ifndef COFFRE_CLIENT_INTERNAL_H
#define COFFRE_CLIENT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "coffre/client.h"
#include "util/cleanup.h"
#include "util/msg.h"
#include "util/rules.h"

#if defined(__GNUC__)
#define CF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CF_PRINTF(a, b)
#endif

/* --- text.c: messages and untrusted text ------------------------------- */

/* cf_msg_format, cf_msg_vformat: util/msg.h. */

/* cf_msg_format into an optional cf_errmsg (NULL: nothing happens). */
void cf_errmsg_set(cf_errmsg *msg, const char *fmt, ...) CF_PRINTF(2, 3);

/* Copies at most in_len bytes of untrusted text (e.g. from the server) into
 * out (size > 0) so that it is safe on one terminal line: control
 * characters (C0, DEL, C1), Unicode bidirectional overrides and line
 * separators become ' ', invalid UTF-8 becomes '?', runs of blanks collapse,
 * and text that does not fit ends with "...". Stops at a NUL. Returns out. */
char *cf_text_sanitize(char *out, size_t out_size, const char *in,
                       size_t in_len);

/* strerror(e) with its first letter in lower case ("connection refused"),
 * thread-safe; returns buf. */
const char *cf_errno_text(int e, char *buf, size_t size);

/* "16 MiB", "64 KiB" or "1000 bytes", for limits in messages. */
void cf_size_format(char *buf, size_t size, size_t bytes);

/* --- url.c: server base URL -------------------------------------------- */

struct cf_url {
	char base[CF_CLIENT_MAX_URL];  /* "https://host[:port][/prefix]" */
	char hostport[300];            /* "host:port", port always present */
};

/* Checks a server base URL and fills *ret (untouched on failure).
 * Errors: CF_ERR_INVALID with a reason in *err. */
cf_err cf_url_check(const char *url, struct cf_url *ret, cf_errmsg *err);

/* --- sink.c: capped answer body ---------------------------------------- */

/* Collects an answer body in memory, refusing to grow past max bytes.
 * Grown buffers are copied and the old copy wiped, so no stray copy of a
 * body (it may hold a sealed key bundle) is left on the heap. */
struct cf_sink {
	unsigned char *data;  /* NUL-terminated when not NULL */
	size_t len;
	size_t alloc;
	size_t max;
	bool over;            /* a write would have passed max */
	bool nomem;
};

void cf_sink_init(struct cf_sink *sink, size_t max);
/* Appends; false (and nothing appended) when over the cap or out of
 * memory, with sink->over / sink->nomem telling which. */
bool cf_sink_append(struct cf_sink *sink, const void *data, size_t len);
/* libcurl CURLOPT_WRITEFUNCTION adapter: userdata is a struct cf_sink. */
size_t cf_sink_curl_write(char *ptr, size_t size, size_t nmemb,
                          void *userdata);
/* Hands the buffer to the caller (the sink is reset). */
unsigned char *cf_sink_take(struct cf_sink *sink, size_t *ret_len);
/* Wipes and frees the buffer. */
void cf_sink_clear(struct cf_sink *sink);

/* --- client.c: reading an answer ---------------------------------------- */

/* The answer half of cf_client_call_json: a 2xx JSON body becomes *ret_json
 * (JSON null for an empty body), anything else an error with its message on
 * the client. Separate so the fuzzer (tests/fuzz/fuzz_client_answer.c) can
 * feed it hostile answers without a network. */
cf_err cf_client_answer_json(cf_client *client, const struct cf_http_response *r,
                             json_t **ret_json, long *ret_status);

/* --- problem.c: answers that are errors -------------------------------- */

/* cf_media_type_is, cf_media_type_is_json and cf_http_reason: util/rules.h,
 * shared with the server. */

/* The error code a non-2xx status maps to (see cf_client_call_json). */
cf_err cf_http_status_error(long status);

/* Writes a one-line message for an answer with a non-2xx status:
 * "server answered 503: <title>: <detail>" when the body is an RFC 9457
 * problem (application/problem+json, or JSON with title/detail), else
 * "server answered 503 Service Unavailable (text/html)". Server text is
 * sanitised and capped. */
void cf_problem_message(char *out, size_t out_size, long status,
                        const char *content_type, const unsigned char *body,
                        size_t body_len);

/* --- scope-exit helpers for libcoffre's own types (util/cleanup.h) ------ */

static inline void cf_http_response_freep(struct cf_http_response **r)
{
	cf_http_response_free(*r);
}
#define CF_AUTO_RESPONSE CF_CLEANUP(cf_http_response_freep) struct cf_http_response

/* Profile file contents: locked memory, wiped on release. */
static inline void cf_profile_data_freep(unsigned char **p)
{
	cf_profile_data_free(*p);
}
#define CF_AUTO_PROFILE_DATA CF_CLEANUP(cf_profile_data_freep) unsigned char

#endif
