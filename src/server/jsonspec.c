#include "server/jsonspec.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/encoding.h"
#include "util/rules.h"

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

static bool is_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "a, b or c" into out. */
static void choice_list(char *out, size_t cap, const char *const *choices)
{
	size_t n = 0, o = 0;
	while (choices && choices[n])
		n++;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + o, cap - o, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		                 choices[i]);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

static cf_err bind_object(const json_t *obj, const struct cf_spec *spec, uint8_t *dest,
                          const char *prefix, char *why, size_t cap);

/* Checks one present value; writes it to dest (the field's destination, or
 * NULL). name is the field's full name ("outer.inner"). */
static cf_err check_field(const struct cf_field *f, const char *name, const json_t *v,
                          uint8_t *dest, char *why, size_t cap)
{
	switch (f->type) {
	case CF_FT_PEM: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		bool ok = s && len >= f->min && len <= f->max;
		for (size_t i = 0; ok && i < len; i++)
			ok = (s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\r' ||
			     s[i] == '\t';
		if (!ok) {
			snprintf(why, cap, "field '%s' must be a PEM text of %zu to %zu bytes", name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		if (dest)
			memcpy(dest, &s, sizeof(s));
		return CF_OK;
	}
	case CF_FT_STRING:
	case CF_FT_EMAIL:
	case CF_FT_ID:
	case CF_FT_DIGITS:
	case CF_FT_PIN:
	case CF_FT_PHONE:
	case CF_FT_ENUM:
	case CF_FT_B64FIX:
	case CF_FT_B64URL: {
		if (!json_is_string(v)) {
			snprintf(why, cap, "field '%s' must be a string", name);
			return CF_ERR_INVALID;
		}
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (memchr(s, '\0', len)) {
			snprintf(why, cap, "field '%s' contains a NUL character", name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_EMAIL && !is_email(s, len)) {
			snprintf(why, cap, "field '%s' is not an e-mail address", name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_ID && !cf_id_hexn_ok(s, len)) {
			snprintf(why, cap, "field '%s' must be 32 lowercase hex characters", name);
			return CF_ERR_INVALID;
		}
		bool digits_bad = f->type == CF_FT_PIN ? !cf_pin_ok(s, len) :
		                  f->type == CF_FT_DIGITS &&
		                  (len < f->min || len > f->max || !is_digits(s, len));
		if (digits_bad) {
			if (f->min == f->max)
				snprintf(why, cap, "field '%s' must be %zu digits", name, f->min);
			else
				snprintf(why, cap, "field '%s' must be %zu to %zu digits", name, f->min,
				         f->max);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_PHONE && !cf_phone_ok(s)) {
			snprintf(why, cap, "field '%s' must be an E.164 number (+ and 8 to 15 digits)",
			         name);
			return CF_ERR_INVALID;
		}
		if (f->type == CF_FT_ENUM) {
			bool known = false;
			for (size_t i = 0; f->choices && f->choices[i] && !known; i++)
				known = strlen(f->choices[i]) == len && memcmp(f->choices[i], s, len) == 0;
			if (!known) {
				char list[200];
				choice_list(list, sizeof(list), f->choices);
				snprintf(why, cap, "field '%s' must be %s", name, list);
				return CF_ERR_INVALID;
			}
		}
		if (f->type == CF_FT_STRING) {
			if (has_control(s, len)) {
				snprintf(why, cap, "field '%s' contains control characters", name);
				return CF_ERR_INVALID;
			}
			if (len < f->min || len > f->max) {
				snprintf(why, cap, "field '%s' must be %zu to %zu bytes long", name,
				         f->min, f->max);
				return CF_ERR_INVALID;
			}
		}
		if (f->type == CF_FT_B64URL || f->type == CF_FT_B64FIX) {
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
			sodium_memzero(scratch, sizeof(scratch));
			if (valid && f->type == CF_FT_B64FIX && dest)
				valid = cf_b64url_decode(dest, f->max, &got, s, len) == CF_OK &&
				        got == f->max;
			if (!valid) {
				snprintf(why, cap, "field '%s' must be base64url without padding, %zu to %zu "
				         "bytes once decoded", name, f->min, f->max);
				return CF_ERR_INVALID;
			}
		}
		if (f->check) {
			char sub[200];
			if (f->check(s, sub, sizeof(sub))) {
				snprintf(why, cap, "field '%s': %s", name, sub);
				return CF_ERR_INVALID;
			}
		}
		if (dest && f->type != CF_FT_B64FIX)
			memcpy(dest, &s, sizeof(s));
		return CF_OK;
	}
	case CF_FT_UINT: {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (size_t)json_integer_value(v) < f->min || (size_t)json_integer_value(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an integer from %zu to %zu", name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		if (dest) {
			uint64_t u = (uint64_t)json_integer_value(v);
			memcpy(dest, &u, sizeof(u));
		}
		return CF_OK;
	}
	case CF_FT_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, cap, "field '%s' must be true or false", name);
			return CF_ERR_INVALID;
		}
		if (dest) {
			bool b = json_is_true(v);
			memcpy(dest, &b, sizeof(b));
		}
		return CF_OK;
	case CF_FT_OBJECT:
		if (f->sub) {
			if (!json_is_object(v)) {
				snprintf(why, cap, "field '%s' must be an object", name);
				return CF_ERR_INVALID;
			}
			return bind_object(v, f->sub, dest, name, why, cap);
		}
		if (!json_is_object(v) || json_object_size(v) < f->min || json_object_size(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an object with %zu to %zu members",
			         name, f->min, f->max);
			return CF_ERR_INVALID;
		}
		if (dest)
			memcpy(dest, &v, sizeof(v));
		return CF_OK;
	case CF_FT_ARRAY:
		if (!json_is_array(v) || json_array_size(v) < f->min || json_array_size(v) > f->max) {
			snprintf(why, cap, "field '%s' must be an array of %zu to %zu items", name,
			         f->min, f->max);
			return CF_ERR_INVALID;
		}
		if (dest)
			memcpy(dest, &v, sizeof(v));
		return CF_OK;
	}
	return CF_ERR_INVALID;
}

/* Nested names stay short: a spec nests at most a few levels. */
#define NAME_MAX_LEN 128

static cf_err bind_object(const json_t *obj, const struct cf_spec *spec, uint8_t *dest,
                          const char *prefix, char *why, size_t cap)
{
	for (size_t i = 0; i < spec->count; i++) {
		const struct cf_field *f = &spec->fields[i];
		char name[NAME_MAX_LEN];
		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", f->name);
		const json_t *v = json_object_get(obj, f->name);
		if (!v) {
			if (f->required) {
				snprintf(why, cap, "field '%s' is required", name);
				return CF_ERR_INVALID;
			}
			continue;
		}
		cf_err err = check_field(f, name, v, dest && f->bind ? dest + f->offset : NULL, why,
		                         cap);
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
				if (prefix)
					snprintf(why, cap, "field '%.64s.%.64s' is not accepted here", prefix,
					         key);
				else
					snprintf(why, cap, "field '%.64s' is not accepted here", key);
				return CF_ERR_INVALID;
			}
		}
	}
	return CF_OK;
}

cf_err cf_spec_bind(const json_t *obj, const struct cf_spec *spec, void *ret_dest, char *why,
                    size_t cap)
{
	if (!json_is_object(obj)) {
		snprintf(why, cap, "the body must be a JSON object");
		return CF_ERR_INVALID;
	}
	if (ret_dest && spec->size)
		memset(ret_dest, 0, spec->size);
	cf_err err = bind_object(obj, spec, ret_dest && spec->size ? ret_dest : NULL, NULL, why, cap);
	if (err && ret_dest && spec->size)
		sodium_memzero(ret_dest, spec->size);
	return err;
}

cf_err cf_spec_check(const json_t *obj, const struct cf_spec *spec, char *why, size_t cap)
{
	return cf_spec_bind(obj, spec, NULL, why, cap);
}
