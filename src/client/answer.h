/* Reading the members of a server's JSON answer: bounded, strict, and
 * nothing written to an output unless the member is good. Shared by the
 * identity calls and audit.c. No I/O; nothing here logs. */
#ifndef COFFRE_CLIENT_ANSWER_H
#define COFFRE_CLIENT_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coffre/keys.h"

/* A string member of 1 to cap-1 bytes of printable ASCII (no blank),
 * copied NUL-terminated into out. */
bool cf_answer_text(const json_t *obj, const char *key, char *out,
                    size_t cap);

/* A string member that is an id (32 lowercase hex characters). */
bool cf_answer_id(const json_t *obj, const char *key,
                  char out[CF_ID_HEX_LEN + 1]);

/* A string member of exactly len bytes of strict base64url; out is wiped
 * when it is not. */
bool cf_answer_b64(const json_t *obj, const char *key, uint8_t *out,
                   size_t len);

/* An integer member within [min, max]. */
bool cf_answer_long(const json_t *obj, const char *key, long min, long max,
                    long *out);

/* A JSON value that is a whole number in [0, 2^63). */
bool cf_answer_u64(const json_t *value, uint64_t *out);

/* The raw 16 bytes of an id already checked. */
bool cf_id_raw(const char *hex, uint8_t out[CF_ID_BYTES_RAW]);

#endif
