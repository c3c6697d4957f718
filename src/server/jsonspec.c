#include "server/jsonspec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/encoding.h"

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static bool is_email(const char *s, size_t len)
{
	if (len < 3 || len > 254 || has_control(s, len))
		return false;
	const char *at = memchr(s, '@', len);
	if (!at || at == s || at == s + len - 1 || memchr(at + 1, '@', (size_t)(s + len - at - 1)))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ')
			return false;
	return true;
}

static bool is_id(const char *s, size_t len)
{
	if (len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static cf_err check_field(const struct cf_field *f, const json_t *v, char *why, size_t cap)
{
	switch (f->type) {
	case CF_FT_PEM: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		bool ok = s && len >= f->min && len <= f->max;
		for (size_t i = 0; ok && i < len; i++)
			ok = (s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\r';
		if (!ok) {
			snprintf(why, cap, "field '%s' must be a PEM text of %zu to %zu bytes", f->name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		return CF_OK;
	}
	case CF_FT_STRING:
	case CF_FT_EMAIL:
	case CF_FT_ID:
	case CF_FT_B64URL: {
		if (!json_is_string(v)) {
			snprintf(why, cap, "field '%s' must be a string", f->name);
			return CF_ERR_INVALID;
		}
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (memchr(s, '\0', len)) {
			snprintf(why, cap, "field '%s' contains a NUL character", f->name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_EMAIL && !is_email(s, len)) {
			snprintf(why, cap, "field '%s' is not an e-mail address", f->name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_ID && !is_id(s, len)) {
			snprintf(why, cap, "field '%s' must be 32 lowercase hex characters", f->name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_STRING) {
			if (has_control(s, len)) {
				snprintf(why, cap, "field '%s' contains control characters", f->name);
				return CF_ERR_INVALID;
			}
			if (len < f->min || len > f->max) {
				snprintf(why, cap, "field '%s' must be %zu to %zu bytes long", f->name,
				         f->min, f->max);
				return CF_ERR_INVALID;
			}
		}
		if (f->type == CF_FT_B64URL) {
			/* decoded length = floor(len*3/4); check bounds before decoding */
			size_t dec = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
			uint8_t scratch[64];
			size_t got = 0;
			bool valid = len % 4 != 1 && dec >= f->min && dec <= f->max;
			/* Validate the alphabet in slices small enough for the scratch buffer. */
			for (size_t off = 0; valid && off < len; off += 64) {
				size_t n = len - off < 64 ? len - off : 64;
				valid = cf_b64url_decode(scratch, sizeof(scratch), &got, s + off, n) == CF_OK;
			}
			if (!valid) {
				snprintf(why, cap, "field '%s' must be base64url without padding, %zu to %zu "
				         "bytes once decoded", f->name, f->min, f->max);
				return CF_ERR_INVALID;
			}
		}
		return CF_OK;
	}
	case CF_FT_UINT: {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (size_t)json_integer_value(v) < f->min || (size_t)json_integer_value(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an integer from %zu to %zu", f->name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		return CF_OK;
	}
	case CF_FT_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, cap, "field '%s' must be true or false", f->name);
			return CF_ERR_INVALID;
		}
		return CF_OK;
	case CF_FT_OBJECT:
		if (!json_is_object(v) || json_object_size(v) < f->min || json_object_size(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an object with %zu to %zu members",
			         f->name, f->min, f->max);
			return CF_ERR_INVALID;
		}
		return CF_OK;
	case CF_FT_ARRAY:
		if (!json_is_array(v) || json_array_size(v) < f->min || json_array_size(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an array of %zu to %zu items", f->name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		return CF_OK;
	}
	return CF_ERR_INVALID;
}

cf_err cf_spec_check(const json_t *obj, const struct cf_spec *spec, char *why, size_t cap)
{
	if (!json_is_object(obj)) {
		snprintf(why, cap, "the body must be a JSON object");
		return CF_ERR_INVALID;
	}
	for (size_t i = 0; i < spec->count; i++) {
		const struct cf_field *f = &spec->fields[i];
		const json_t *v = json_object_get(obj, f->name);
		if (!v) {
			if (f->required) {
				snprintf(why, cap, "field '%s' is required", f->name);
				return CF_ERR_INVALID;
			}
			continue;
		}
		cf_err err = check_field(f, v, why, cap);
		if (err)
			return err;
	}
	if (!spec->allow_unknown) {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
			bool known = false;
			for (size_t i = 0; i < spec->count && !known; i++)
				known = strcmp(spec->fields[i].name, key) == 0;
			if (!known) {
				snprintf(why, cap, "field '%.64s' is not accepted here", key);
				return CF_ERR_INVALID;
			}
		}
	}
	return CF_OK;
}

bool cf_is_json_content_type(const char *ctype)
{
	if (!ctype)
		return false;
	size_t n = strlen("application/json");
	if (strncasecmp(ctype, "application/json", n) != 0)
		return false;
	const char *rest = ctype + n;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return true;
	if (*rest != ';')
		return false;
	rest++;
	while (*rest == ' ')
		rest++;
	return strcasecmp(rest, "charset=utf-8") == 0 || strcasecmp(rest, "charset=\"utf-8\"") == 0;
}
