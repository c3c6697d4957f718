/* libcoffre: the profile folder of this device (profile.c). */
#ifndef COFFRE_PROFILE_H
#define COFFRE_PROFILE_H

#include <stddef.h>

#include "coffre/http.h"

/* ------------------------------------------------------------------------ */
/* Profile folder                                                            */

/* The folder that holds this device's keys, its session and the last
 * verified audit checkpoint: mode 0700, owned by the user, small files of
 * mode 0600 each written atomically. */
typedef struct cf_profile cf_profile;

#define CF_PROFILE_CREATE      0x1u   /* create the folder (0700) if missing */
#define CF_PROFILE_NAME_MAX    64     /* file names: [A-Za-z0-9._-], no '.' first */
#define CF_PROFILE_FILE_MAX    ((size_t)1024 * 1024)

/* The default folder: $COFFRE_PROFILE when set and not empty, else
 * $HOME/.config/coffre (HOME from the password database when unset).
 * *ret_path is malloc'ed; free() it.
 * Errors: CF_ERR_CONFIG (no home folder), CF_ERR_NOMEM. */
cf_err cf_profile_default_dir(char **ret_path);

/* Opens a profile folder (dir NULL: the default one). With
 * CF_PROFILE_CREATE a missing folder is created with mode 0700 (missing
 * parents too, also 0700). A folder that is not owned by the user or that
 * the group or others can access in any way is refused, never repaired.
 * Errors: CF_ERR_NOT_FOUND (missing, no CREATE), CF_ERR_DENIED (owner or
 * mode), CF_ERR_IO, CF_ERR_CONFIG, CF_ERR_NOMEM. */
cf_err cf_profile_open(cf_profile **ret, const char *dir, unsigned flags,
                       cf_errmsg *error);

/* Closes the profile. Accepts NULL. */
void cf_profile_free(cf_profile *profile);

/* The folder path, as opened. */
const char *cf_profile_dir(const cf_profile *profile);

/* The message of the last failure on this profile ("" if none). */
const char *cf_profile_last_error(const cf_profile *profile);

/* Reads the whole file `name` (at most max bytes; 0 means
 * CF_PROFILE_FILE_MAX). The file must be a regular file owned by the user
 * and not accessible to group or others. *ret_data is in locked memory,
 * NUL-terminated (not counted in *ret_len); release it with
 * cf_profile_data_free, which wipes it.
 * Errors: CF_ERR_NOT_FOUND, CF_ERR_DENIED, CF_ERR_TOO_LARGE, CF_ERR_INVALID
 * (bad name), CF_ERR_IO, CF_ERR_NOMEM. */
cf_err cf_profile_read(cf_profile *profile, const char *name, size_t max,
                       unsigned char **ret_data, size_t *ret_len);

/* Wipes and frees data returned by cf_profile_read. Accepts NULL. */
void cf_profile_data_free(unsigned char *data);

/* Replaces the file `name` atomically with len bytes of data, mode 0600:
 * a temporary file is written, fsync'ed and renamed over the old one, and
 * the folder is fsync'ed. Readers see either the old or the new content.
 * Errors: CF_ERR_INVALID (bad name), CF_ERR_TOO_LARGE, CF_ERR_IO. */
cf_err cf_profile_write(cf_profile *profile, const char *name,
                        const void *data, size_t len);

/* Removes the file `name`; a missing file is not an error.
 * Errors: CF_ERR_INVALID (bad name), CF_ERR_IO. */
cf_err cf_profile_remove(cf_profile *profile, const char *name);

/* The client's profile, opened (and created, 0700) on first use with the
 * folder given in the options. The profile belongs to the client: do not
 * free it. Errors: those of cf_profile_open; the message is the client's
 * last error. */
cf_err cf_client_profile(cf_client *client, cf_profile **ret_borrowed);

#endif
