/* Declarative checks of JSON request bodies: each route names the fields it
 * takes (type, required, bounds) and the pipeline refuses anything else with
 * a 422 that names the field, before a handler runs. */
#ifndef CF_SERVER_JSONSPEC_H
#define CF_SERVER_JSONSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "coffre/error.h"

enum cf_ftype {
	CF_FT_STRING,   /* UTF-8 text without control characters; min/max = bytes */
	CF_FT_EMAIL,    /* an e-mail address, 3..254 bytes */
	CF_FT_UINT,     /* integer; min/max = value */
	CF_FT_BOOL,
	CF_FT_B64URL,   /* base64url without padding; min/max = decoded bytes */
	CF_FT_ID,       /* 32 lowercase hex characters */
	CF_FT_OBJECT,   /* any object; min/max = members */
	CF_FT_ARRAY,    /* any array; min/max = items */
	CF_FT_PEM,      /* printable ASCII and line breaks (a PEM block); min/max = bytes */
};

struct cf_field {
	const char *name;
	enum cf_ftype type;
	bool required;
	size_t min, max;
};

struct cf_spec {
	const struct cf_field *fields;
	size_t count;
	bool allow_unknown;
};

#define CF_SPEC(arr) { (arr), sizeof(arr) / sizeof((arr)[0]), false }

/* CF_OK, or CF_ERR_INVALID with a sentence naming the field in why. */
cf_err cf_spec_check(const json_t *obj, const struct cf_spec *spec, char *why, size_t cap);

/* True for "application/json" with optional parameters (charset=utf-8 only). */
bool cf_is_json_content_type(const char *ctype);

#endif
