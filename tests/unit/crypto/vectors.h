/* Helpers shared by the crypto unit tests: loading the public vector files
 * from $COFFRE_VECTORS_DIR (a missing folder or file FAILS the test, it is
 * never skipped), hex decoding, and case accounting. */
#ifndef COFFRE_TESTS_CRYPTO_VECTORS_H
#define COFFRE_TESTS_CRYPTO_VECTORS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

/* Parse vectors/<name>; fails the running test if it cannot. The merkle
 * file holds 2^64 - 1 (Go's uint64(-1)), beyond jansson's int64: pass
 * big_ints = true to read integers as reals and use vec_u64(). */
json_t *vec_load(const char *name, bool big_ints);

/* Decode the hex string at obj[key] into a malloc'ed buffer (never NULL,
 * even for ""); *ret_len receives its length. Fails the test on a missing
 * key or bad hex. */
uint8_t *vec_hex(const json_t *obj, const char *key, size_t *ret_len);

/* As vec_hex, for a string node. */
uint8_t *vec_hex_node(const json_t *node, size_t *ret_len);

/* Decode hex into exactly `len` bytes of out (fails the test otherwise). */
void vec_hex_exact(uint8_t *out, size_t len, const char *hex);

/* obj[key] as a string / an integer; fails the test if absent. */
const char *vec_str(const json_t *obj, const char *key);
long long vec_int(const json_t *obj, const char *key);

/* A non-negative integer read with big_ints (see vec_load): exact up to
 * 2^53; the real 2^64 can only come from the token 18446744073709551615
 * and maps to UINT64_MAX. Anything else fails the test. */
uint64_t vec_u64(const json_t *obj, const char *key);

/* Does the string array obj[key] contain `flag`? */
bool vec_has_flag(const json_t *test, const char *flag);

/* Assert two byte strings are equal, naming the case on failure. */
void vec_assert_bytes(const uint8_t *got, const uint8_t *want, size_t len,
		      const char *what, long long id);

/* Print one summary line: "[name] ..." to stdout. */
void vec_report(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
