/* See vectors.h. */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *vec_load(const char *name, bool big_ints)
{
	const char *dir = getenv("COFFRE_VECTORS_DIR");
	if (dir == NULL || dir[0] == '\0')
		fail_msg("COFFRE_VECTORS_DIR is not set: the vector tests cannot run");
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		fail_msg("vector path too long");
	json_error_t error;
	json_t *root = json_load_file(path, big_ints ? JSON_DECODE_INT_AS_REAL : 0, &error);
	if (root == NULL)
		fail_msg("cannot load %s: %s (line %d)", path, error.text, error.line);
	return root;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex_decode(uint8_t *out, const char *hex, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

uint8_t *vec_hex_node(const json_t *node, size_t *ret_len)
{
	if (!json_is_string(node))
		fail_msg("expected a hex string");
	const char *hex = json_string_value(node);
	size_t n = strlen(hex);
	if (n % 2 != 0)
		fail_msg("odd-length hex string");
	uint8_t *out = malloc(n / 2 + 1);
	assert_non_null(out);
	if (!hex_decode(out, hex, n / 2))
		fail_msg("bad hex: %s", hex);
	*ret_len = n / 2;
	return out;
}

uint8_t *vec_hex(const json_t *obj, const char *key, size_t *ret_len)
{
	const json_t *node = json_object_get(obj, key);
	if (node == NULL)
		fail_msg("missing field %s", key);
	return vec_hex_node(node, ret_len);
}

void vec_hex_exact(uint8_t *out, size_t len, const char *hex)
{
	if (strlen(hex) != 2 * len || !hex_decode(out, hex, len))
		fail_msg("bad hex of %zu bytes: %s", len, hex);
}

const char *vec_str(const json_t *obj, const char *key)
{
	const json_t *node = json_object_get(obj, key);
	if (!json_is_string(node))
		fail_msg("missing string field %s", key);
	return json_string_value(node);
}

long long vec_int(const json_t *obj, const char *key)
{
	const json_t *node = json_object_get(obj, key);
	if (!json_is_integer(node))
		fail_msg("missing integer field %s", key);
	return (long long)json_integer_value(node);
}

uint64_t vec_u64(const json_t *obj, const char *key)
{
	const json_t *node = json_object_get(obj, key);
	if (json_is_integer(node) && json_integer_value(node) >= 0)
		return (uint64_t)json_integer_value(node);
	if (!json_is_real(node))
		fail_msg("missing numeric field %s", key);
	double v = json_real_value(node);
	if (v >= 0 && v <= 9007199254740992.0 && v == (double)(uint64_t)v)
		return (uint64_t)v;
	if (v == 18446744073709551616.0)
		return UINT64_MAX;
	fail_msg("field %s = %.17g is not an exact uint64", key, v);
	return 0;
}

bool vec_has_flag(const json_t *test, const char *flag)
{
	const json_t *flags = json_object_get(test, "flags");
	size_t i;
	const json_t *f;
	json_array_foreach(flags, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), flag) == 0)
			return true;
	}
	return false;
}

void vec_assert_bytes(const uint8_t *got, const uint8_t *want, size_t len,
		      const char *what, long long id)
{
	if (len > 0 && memcmp(got, want, len) != 0)
		fail_msg("%s: case %lld: bytes differ", what, id);
}

void vec_report(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("[%s] ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
