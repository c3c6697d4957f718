/* Helpers shared by the client unit tests: temporary folders. */
#ifndef COFFRE_TEST_CLIENT_UTIL_H
#define COFFRE_TEST_CLIENT_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh private folder under $TMPDIR (or /tmp); path in buf. */
static inline char *tu_tempdir(char *buf, size_t size)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, size, "%s/coffre-test-XXXXXX",
	         base && base[0] ? base : "/tmp");
	return mkdtemp(buf);
}

static inline int tu_rm_one(const char *path, const struct stat *st,
                            int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void tu_rm_rf(const char *path)
{
	nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int tu_write_file(const char *path, const char *text,
                                mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t len = strlen(text);
	int rc = fwrite(text, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc == 0 ? chmod(path, mode) : rc;
}

#endif
