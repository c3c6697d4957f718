/* Small file-system helpers with the permission rules coffre's secrets need. */
#ifndef CF_UTIL_FSUTIL_H
#define CF_UTIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "coffre/error.h"

/* Creates dir (and missing parents) with mode; an existing dir is kept. */
cf_err cf_mkdir_p(const char *dir, mode_t mode);

/* Reads a whole file of at most cap bytes into a malloc'ed buffer (NUL added
 * after the data, not counted). Larger files are CF_ERR_TOO_LARGE. The caller
 * frees *ret_buf (free, or cf_free_secret for secrets). */
cf_err cf_read_file(const char *path, size_t cap, uint8_t **ret_buf, size_t *ret_len);

/* Like cf_read_file for a secret: refuses a file that is not a regular file or
 * that others can read or anyone but the owner can write (0600 and 0640 pass),
 * with why in *ret_why (static text). The buffer is sodium_malloc'ed: release
 * it with cf_free_secret. */
cf_err cf_read_secret_file(const char *path, size_t cap, uint8_t **ret_buf,
                           size_t *ret_len, const char **ret_why);
void cf_free_secret(uint8_t *buf);

/* Checks the mode rule above without reading. */
cf_err cf_check_secret_mode(const char *path, const char **ret_why);

/* Writes data to path atomically (temporary file, fsync, rename, fsync of the
 * folder) with the given mode. */
cf_err cf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

bool cf_file_exists(const char *path);

/* Joins dir and name into out (cap bytes); CF_ERR_TOO_LARGE if it does not fit. */
cf_err cf_path_join(char *out, size_t cap, const char *dir, const char *name);

#endif
