/* libFuzzer target: request body specs (server/jsonspec.h). A JSON body from
 * the network is parsed as the pipeline parses it and checked against a spec
 * holding every field type, with the bounds real routes use; the first byte
 * picks allow_unknown. Also the Content-Type check.
 * Invariants: no crash; a refusal always says why (non-empty, NUL-terminated
 * inside the cap). Built by meson -Dfuzz=true (scripts/fuzz.sh). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/jsonspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cf_field fields[] = {
	{ "s", CF_FT_STRING, false, 1, 64 },
	{ "email", CF_FT_EMAIL, false, 3, 254 },
	{ "n", CF_FT_UINT, false, 1, 1000 },
	{ "b", CF_FT_BOOL, false, 0, 0 },
	{ "key", CF_FT_B64URL, false, 32, 32 },
	{ "blob", CF_FT_B64URL, false, 0, 4096 },
	{ "id", CF_FT_ID, true, 0, 0 },
	{ "o", CF_FT_OBJECT, false, 0, 4 },
	{ "a", CF_FT_ARRAY, false, 1, 8 },
	{ "pem", CF_FT_PEM, false, 10, 8192 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1u << 16)
		return 0;
	struct cf_spec spec = { fields, sizeof(fields) / sizeof(fields[0]), data[0] & 1 };
	data++;
	size--;

	/* The Content-Type header, as a C string (MHD gives it NUL-terminated). */
	char ctype[256];
	size_t clen = size < sizeof(ctype) - 1 ? size : sizeof(ctype) - 1;
	memcpy(ctype, data, clen);
	ctype[clen] = '\0';
	(void)cf_is_json_content_type(ctype);

	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return 0;
	char why[256];
	memset(why, 0, sizeof(why));
	if (cf_spec_check(doc, &spec, why, sizeof(why)) != CF_OK) {
		if (why[0] == '\0' || !memchr(why, '\0', sizeof(why)))
			abort();
	}
	/* A tiny cap must still give a terminated message. */
	char small[8];
	(void)cf_spec_check(doc, &spec, small, sizeof(small));
	if (!memchr(small, '\0', sizeof(small)) && cf_spec_check(doc, &spec, small, sizeof(small)))
		abort();
	json_decref(doc);
	return 0;
}
