/* Declarative checks of JSON request bodies: each route names the fields it
 * takes (type, required, bounds) and the pipeline refuses anything else with
 * a 422 that names the field, before a handler runs. */
#ifndef CF_SERVER_JSONSPEC_H
#define CF_SERVER_JSONSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"
#include "util/rules.h"   /* CF_RULE_PIN_MIN, CF_RULE_PIN_MAX */

enum cf_ftype {
	CF_FT_STRING,   /* UTF-8 text without control characters; min/max = bytes */
	CF_FT_EMAIL,    /* an e-mail address, 3..254 bytes */
	CF_FT_UINT,     /* integer; min/max = value */
	CF_FT_BOOL,
	CF_FT_B64URL,   /* base64url without padding; min/max = decoded bytes */
	CF_FT_ID,       /* 32 lowercase hex characters */
	CF_FT_OBJECT,   /* an object; min/max = members; with sub: checked against it */
	CF_FT_ARRAY,    /* any array; min/max = items */
	CF_FT_PEM,      /* printable ASCII, tabs and line breaks (a PEM block); min/max = bytes */
	CF_FT_DIGITS,   /* ASCII digits only; min/max = digits (codes) */
	CF_FT_PIN,      /* a PIN: cf_pin_ok (util/rules.h), 4 to 12 digits */
	CF_FT_PHONE,    /* an E.164 number: + and 8 to 15 digits */
	CF_FT_ENUM,     /* one of choices (a NULL-terminated list) */
	CF_FT_B64FIX,   /* base64url decoding to exactly max bytes, into a uint8_t[max] */
};

/* A further check of a text field (a scope list, a CIDR list): CF_OK, or an
 * error with a sentence in why (it follows "field 'x': "). */
typedef cf_err (*cf_text_check)(const char *s, char *why, size_t cap);

struct cf_spec;

/* One member of a body. With bind, the value lands in the route's struct at
 * offset, typed by the field type (see CF_F_* below):
 *   STRING EMAIL ID PEM DIGITS PIN PHONE ENUM B64URL -> const char * (into the
 *     parsed body, valid for the request; NULL when an optional one is absent)
 *   UINT -> uint64_t   BOOL -> bool   B64FIX -> uint8_t[max] (decoded)
 *   OBJECT with sub -> the sub-spec's struct, inline; ARRAY/OBJECT -> const json_t *
 * Absent optional fields leave their destination zero. */
struct cf_field {
	const char *name;
	enum cf_ftype type;
	bool required;
	size_t min, max;
	bool bind;
	size_t offset;
	const char *const *choices;   /* CF_FT_ENUM */
	const struct cf_spec *sub;    /* CF_FT_OBJECT: nested spec (bound at offset) */
	cf_text_check check;          /* text types: a further check, or NULL */
};

struct cf_spec {
	const struct cf_field *fields;
	size_t count;
	bool allow_unknown;
	size_t size;                  /* size of the struct the fields bind into; 0: none */
};

/* A field that is checked but bound nowhere. */
#define CF_FIELD(nm, ft, req, lo, hi) \
	{ .name = (nm), .type = (ft), .required = (req), .min = (lo), .max = (hi) }

#define CF_SPEC(arr) { (arr), sizeof(arr) / sizeof((arr)[0]), false, 0 }
/* A spec whose fields bind into a struct T (the handler's typed arguments). */
#define CF_SPEC_BIND(arr, T) { (arr), sizeof(arr) / sizeof((arr)[0]), false, sizeof(T) }

/* offsetof(T, m), refused at compile time unless T.m has type `type`. */
#define CF_DEST(T, m, type) \
	(offsetof(T, m) + 0 * sizeof(char[_Generic(((T *)0)->m, type: 1, default: -1)]))

#define CF__F(ft, T, m, type, nm, req, lo, hi) \
	{ (nm), (ft), (req), (lo), (hi), .bind = true, .offset = CF_DEST(T, m, type) }
#define CF_F_STRING(T, m, nm, req, lo, hi) CF__F(CF_FT_STRING, T, m, const char *, nm, req, lo, hi)
#define CF_F_EMAIL(T, m, nm, req) CF__F(CF_FT_EMAIL, T, m, const char *, nm, req, 3, 254)
#define CF_F_ID(T, m, nm, req) CF__F(CF_FT_ID, T, m, const char *, nm, req, 0, 0)
#define CF_F_PEM(T, m, nm, req, lo, hi) CF__F(CF_FT_PEM, T, m, const char *, nm, req, lo, hi)
#define CF_F_DIGITS(T, m, nm, req, lo, hi) CF__F(CF_FT_DIGITS, T, m, const char *, nm, req, lo, hi)
#define CF_F_PIN(T, m, nm, req) \
	CF__F(CF_FT_PIN, T, m, const char *, nm, req, CF_RULE_PIN_MIN, CF_RULE_PIN_MAX)
#define CF_F_PHONE(T, m, nm, req) CF__F(CF_FT_PHONE, T, m, const char *, nm, req, 9, 16)
#define CF_F_B64(T, m, nm, req, lo, hi) CF__F(CF_FT_B64URL, T, m, const char *, nm, req, lo, hi)
#define CF_F_UINT(T, m, nm, req, lo, hi) CF__F(CF_FT_UINT, T, m, uint64_t, nm, req, lo, hi)
#define CF_F_BOOL(T, m, nm, req) CF__F(CF_FT_BOOL, T, m, bool, nm, req, 0, 0)
#define CF_F_JSON(ft, T, m, nm, req, lo, hi) CF__F(ft, T, m, const json_t *, nm, req, lo, hi)
/* Exactly sizeof(T.m) bytes once decoded, into the array T.m. */
#define CF_F_B64FIX(T, m, nm, req) \
	CF__F(CF_FT_B64FIX, T, m, uint8_t *, nm, req, sizeof(((T *)0)->m), sizeof(((T *)0)->m))
#define CF_F_ENUM(T, m, nm, req, list) \
	{ (nm), CF_FT_ENUM, (req), 0, 0, .bind = true, .offset = CF_DEST(T, m, const char *), \
	  .choices = (list) }
#define CF_F_CHECKED(T, m, nm, req, lo, hi, fn) \
	{ (nm), CF_FT_STRING, (req), (lo), (hi), .bind = true, \
	  .offset = CF_DEST(T, m, const char *), .check = (fn) }
/* A nested object checked against spec (whose struct is ST), bound into T.m. */
#define CF_F_OBJECT(T, m, ST, nm, req, spec) \
	{ (nm), CF_FT_OBJECT, (req), 0, SIZE_MAX, .bind = true, .offset = CF_DEST(T, m, ST), \
	  .sub = (spec) }

/* Checks obj against spec and, for fields with bind, fills the struct at
 * ret_dest (spec->size bytes, zeroed first; may be NULL to check only).
 * CF_OK, or CF_ERR_INVALID with a sentence naming the field in why (nested
 * fields as "outer.inner"); on failure ret_dest is wiped. */
cf_err cf_spec_bind(const json_t *obj, const struct cf_spec *spec, void *ret_dest, char *why,
                    size_t cap);

/* CF_OK, or CF_ERR_INVALID with a sentence naming the field in why. The same
 * checks as cf_spec_bind, binding nothing. */
cf_err cf_spec_check(const json_t *obj, const struct cf_spec *spec, char *why, size_t cap);

#endif
