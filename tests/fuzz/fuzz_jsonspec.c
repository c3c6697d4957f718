/* libFuzzer target: request body specs (server/jsonspec.h). A JSON body from
 * the network is parsed as the pipeline parses it, checked against a spec
 * holding every field type with the bounds real routes use, and bound into a
 * typed struct as the pipeline binds it (nested object included); the first
 * byte picks allow_unknown. Also the Content-Type check.
 * Invariants: no crash; a refusal always says why (non-empty, NUL-terminated
 * inside the cap); check and bind agree. Built by meson -Dfuzz=true
 * (scripts/fuzz.sh). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/jsonspec.h"
#include "util/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct inner {
	const char *method;
	const char *phone;
};

struct args {
	const char *s, *email, *id, *pem, *code, *pin, *phone, *method, *blob;
	uint64_t n;
	bool b;
	uint8_t key[32];
	const json_t *o, *a;
	struct inner second;
};

static const char *const methods[] = { "email", "sms", "totp", NULL };

static const struct cf_field inner_fields[] = {
	CF_F_ENUM(struct inner, method, "method", true, methods),
	CF_F_PHONE(struct inner, phone, "phone", false),
};
static const struct cf_spec inner_spec = CF_SPEC_BIND(inner_fields, struct inner);

static const struct cf_field fields[] = {
	CF_F_STRING(struct args, s, "s", false, 1, 64),
	CF_F_EMAIL(struct args, email, "email", false),
	CF_F_UINT(struct args, n, "n", false, 1, 1000),
	CF_F_BOOL(struct args, b, "b", false),
	CF_F_B64FIX(struct args, key, "key", false),
	CF_F_B64(struct args, blob, "blob", false, 0, 4096),
	CF_F_ID(struct args, id, "id", true),
	CF_F_JSON(CF_FT_OBJECT, struct args, o, "o", false, 0, 4),
	CF_F_JSON(CF_FT_ARRAY, struct args, a, "a", false, 1, 8),
	CF_F_PEM(struct args, pem, "pem", false, 10, 8192),
	CF_F_DIGITS(struct args, code, "code", false, 6, 6),
	CF_F_PIN(struct args, pin, "pin", false),
	CF_F_PHONE(struct args, phone, "phone", false),
	CF_F_ENUM(struct args, method, "method", false, methods),
	CF_F_OBJECT(struct args, second, struct inner, "second_factor", false, &inner_spec),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1u << 16)
		return 0;
	struct cf_spec spec = CF_SPEC_BIND(fields, struct args);
	spec.allow_unknown = data[0] & 1;
	data++;
	size--;

	/* The Content-Type header, as a C string (MHD gives it NUL-terminated). */
	char ctype[256];
	size_t clen = size < sizeof(ctype) - 1 ? size : sizeof(ctype) - 1;
	memcpy(ctype, data, clen);
	ctype[clen] = '\0';
	(void)cf_json_content_type_ok(ctype);

	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return 0;
	char why[256];
	memset(why, 0, sizeof(why));
	cf_err checked = cf_spec_check(doc, &spec, why, sizeof(why));
	if (checked != CF_OK && (why[0] == '\0' || !memchr(why, '\0', sizeof(why))))
		abort();
	struct args a;
	memset(&a, 0, sizeof(a));
	char why2[256];
	memset(why2, 0, sizeof(why2));
	cf_err bound = cf_spec_bind(doc, &spec, &a, why2, sizeof(why2));
	if ((checked == CF_OK) != (bound == CF_OK))
		abort();
	if (bound == CF_OK) {
		/* what was bound is what the checks promise */
		if (!a.id || !cf_id_hex_ok(a.id))
			abort();
		if (a.pin && !cf_pin_ok(a.pin, strlen(a.pin)))
			abort();
		if (a.phone && !cf_phone_ok(a.phone))
			abort();
	} else if (why2[0] == '\0' || !memchr(why2, '\0', sizeof(why2))) {
		abort();
	}
	/* A tiny cap must still give a terminated message. */
	char small[8];
	memset(small, 'x', sizeof(small));
	if (cf_spec_check(doc, &spec, small, sizeof(small)) != CF_OK &&
	    !memchr(small, '\0', sizeof(small)))
		abort();
	json_decref(doc);
	return 0;
}
