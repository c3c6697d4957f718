/* Rules the server and the client share, so that both sides agree on what a
 * PIN, a one-time code, a phone number, an id, a role or a JSON media type
 * is, and say the same reason phrase for a status. Pure functions: no I/O, no allocation.
 * docs/internals/client.md lists who calls them. */
#ifndef CF_UTIL_RULES_H
#define CF_UTIL_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define CF_RULE_ID_HEX_LEN      32   /* ids: 16 bytes as lowercase hex */
#define CF_RULE_PIN_MIN         4    /* PIN digits */
#define CF_RULE_PIN_MAX         12
#define CF_RULE_PHONE_MIN       8    /* E.164 digits after the '+' */
#define CF_RULE_PHONE_MAX       15
#define CF_RULE_ROLE_COUNT      5

/* A PIN: len (4 to 12) ASCII digits. pin need not be NUL-terminated; every
 * byte is looked at, whatever the first bad one (no early exit on a
 * secret). */
bool cf_pin_ok(const char *pin, size_t len);

/* A one-time code (e-mail, SMS, TOTP second factor): exactly 6 ASCII
 * digits; code need not be NUL-terminated. */
#define CF_RULE_OTP_DIGITS      6
bool cf_otp_code_ok(const char *code, size_t len);

/* An E.164 phone number: '+', a first digit 1-9, 8 to 15 digits in all,
 * nothing after them. NULL is not a phone number. */
bool cf_phone_ok(const char *phone);

/* An id written as exactly 32 lowercase hex characters, NUL-terminated. */
bool cf_id_hex_ok(const char *id);
/* The same for n bytes that need not be NUL-terminated (path segments). */
bool cf_id_hexn_ok(const char *id, size_t n);

/* The role names of DESIGN §3, in rank order: patient, secretary,
 * professional, admin, superadmin, then NULL (a list the server's body specs
 * take as is). The index is the rank - 1 of the server's enum cf_role (whose
 * 0 is "none"). */
extern const char *const cf_role_names[CF_RULE_ROLE_COUNT + 1];
/* The index of a role name in cf_role_names, or -1 when it is not one. */
int cf_role_index(const char *name);
/* True for one of the five role names (case-sensitive). */
bool cf_role_ok(const char *name);

/* True when content_type names the media type `type` (case-insensitive,
 * leading blanks skipped, parameters ignored). */
bool cf_media_type_is(const char *content_type, const char *type);
/* application/json or any application/...+json (answers: problem+json). */
bool cf_media_type_is_json(const char *content_type);
/* What a request body must say: "application/json" with, optionally, only
 * "; charset=utf-8" (the server's rule for the bodies it accepts). */
bool cf_json_content_type_ok(const char *content_type);

/* The standard reason phrase of an HTTP status ("Service Unavailable"), or
 * "" for a status this table does not know. */
const char *cf_http_reason(long status);

#endif
