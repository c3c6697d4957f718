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

/* Every problem coffred answers: one row each of the table in reply.c
 * (status, type slug; the title is the status's reason phrase,
 * cf_http_reason in util/rules.h). The slugs are part of the API: never rename. */
enum cf_problem {
	CF_P_INTERNAL,                /* 500 internal */
	CF_P_STORE_UNAVAILABLE,       /* 503 store-unavailable */
	CF_P_AUDIT_UNAVAILABLE,       /* 503 audit-unavailable */
	CF_P_AUDIT_LOG_INCONSISTENT,  /* 503 audit-log-inconsistent */
	CF_P_DISK_SPACE_LOW,          /* 503 disk-space-low */
	CF_P_AUDIT_TREE_DAMAGED,      /* 500 audit-tree-damaged */
	CF_P_OVERLOADED,              /* 503 overloaded */
	CF_P_UNAVAILABLE,             /* 503 unavailable */
	CF_P_DELIVERY_UNAVAILABLE,    /* 503 delivery-unavailable */
	CF_P_INVALID_FIELD,           /* 422 invalid-field */
	CF_P_BAD_RANGE,               /* 422 bad-range */
	CF_P_WRONG_CODE,              /* 422 wrong-code */
	CF_P_BAD_QUERY,               /* 400 bad-query */
	CF_P_UNEXPECTED_BODY,         /* 400 unexpected-body */
	CF_P_MALFORMED_JSON,          /* 400 malformed-json */
	CF_P_BAD_FRAMING,             /* 400 bad-framing */
	CF_P_BAD_HEADER,              /* 400 bad-header */
	CF_P_TRANSFER_CODING,         /* 501 unsupported-transfer-coding */
	CF_P_UNAUTHENTICATED,         /* 401 unauthenticated */
	CF_P_LOGIN_FAILED,            /* 401 login-failed */
	CF_P_WRONG_PIN,               /* 401 wrong-pin */
	CF_P_SESSION_LOCKED,          /* 401 session-locked */
	CF_P_INVALID_INVITATION,      /* 401 invalid-invitation */
	CF_P_FORBIDDEN,               /* 403 forbidden */
	CF_P_DEVICE_WIPED,            /* 403 device-wiped */
	CF_P_DEVICE_PENDING,          /* 403 device-pending */
	CF_P_CLIENT_CERTIFICATE,      /* 403 client-certificate */
	CF_P_ADDRESS_NOT_ALLOWED,     /* 403 address-not-allowed */
	CF_P_FRESH_PROOF_REQUIRED,    /* 403 fresh-proof-required */
	CF_P_METHOD_NOT_OFFERED,      /* 403 method-not-offered */
	CF_P_NOT_FOUND,               /* 404 not-found */
	CF_P_METHOD_NOT_ALLOWED,      /* 405 method-not-allowed */
	CF_P_CONFLICT,                /* 409 conflict */
	CF_P_BODY_TOO_LARGE,          /* 413 body-too-large */
	CF_P_UNSUPPORTED_MEDIA_TYPE,  /* 415 unsupported-media-type */
	CF_P_RATE_LIMITED,            /* 429 rate-limited */
	CF_P_TOO_MANY_ATTEMPTS,       /* 429 too-many-attempts */
	CF_P_TOO_MANY_CODES,          /* 429 too-many-codes */
	CF_P_HEADERS_TOO_LARGE,       /* 431 headers-too-large */
	CF_P_DEBUG,                   /* any status: the test-only debug route */
	CF_P_COUNT
};

struct cf_problem_info {
	unsigned status;    /* 0 for CF_P_DEBUG: the caller gives it */
	const char *slug;   /* type is "urn:coffre:problem:<slug>" */
};

/* The table row of p (an out-of-range p reads as CF_P_INTERNAL). */
const struct cf_problem_info *cf_problem_info(enum cf_problem p);

/* The problem that answers a failed call: store → store-unavailable,
 * no memory or busy → overloaded, not found, conflict, invalid → invalid-field,
 * denied → forbidden, too large → body-too-large, anything else → internal. */
enum cf_problem cf_problem_of(cf_err err);

/* Answers with problem p: its status and type from the table, its title, and
 * detail (a precise sentence for the user; never a secret). Replaces any
 * earlier answer. */
void cf_reply_problem(struct cf_reply *r, enum cf_problem p, const char *detail_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same with the status given by the caller: only for CF_P_DEBUG, whose
 * status is whatever the test asks for. */
void cf_reply_problem_status(struct cf_reply *r, enum cf_problem p, unsigned status,
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

#endif
