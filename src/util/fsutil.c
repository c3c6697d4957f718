#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cf_err cf_path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap)
		return CF_ERR_TOO_LARGE;
	return CF_OK;
}

bool cf_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

cf_err cf_mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return CF_ERR_INVALID;
	memcpy(buf, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return CF_ERR_IO;
		buf[i] = saved;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return CF_ERR_IO;
	return CF_OK;
}

static cf_err read_fd(int fd, size_t cap, uint8_t *buf, size_t *ret_len)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CF_ERR_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > cap)
			return CF_ERR_TOO_LARGE;
	}
	buf[len] = '\0';
	*ret_len = len;
	return CF_OK;
}

cf_err cf_read_file(const char *path, size_t cap, uint8_t **ret_buf, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO;
	uint8_t *buf = malloc(cap + 2);
	if (!buf) {
		close(fd);
		return CF_ERR_NOMEM;
	}
	size_t len = 0;
	cf_err err = read_fd(fd, cap, buf, &len);
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*ret_buf = buf;
	*ret_len = len;
	return CF_OK;
}

static cf_err check_mode(const struct stat *st, const char **ret_why)
{
	if (!S_ISREG(st->st_mode)) {
		*ret_why = "not a regular file";
		return CF_ERR_DENIED;
	}
	if (st->st_mode & (S_IROTH | S_IWOTH | S_IXOTH)) {
		*ret_why = "readable or writable by others (use mode 0600 or 0640)";
		return CF_ERR_DENIED;
	}
	if (st->st_mode & S_IWGRP) {
		*ret_why = "writable by its group (use mode 0600 or 0640)";
		return CF_ERR_DENIED;
	}
	return CF_OK;
}

cf_err cf_check_secret_mode(const char *path, const char **ret_why)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		*ret_why = errno == ENOENT ? "does not exist" : "cannot be read";
		return errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO;
	}
	return check_mode(&st, ret_why);
}

cf_err cf_read_secret_file(const char *path, size_t cap, uint8_t **ret_buf,
                           size_t *ret_len, const char **ret_why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*ret_why = errno == ENOENT ? "does not exist" : "cannot be opened";
		return errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO;
	}
	/* fstat on the open file: no window between the check and the read. */
	if (fstat(fd, &st) != 0) {
		close(fd);
		*ret_why = "cannot be read";
		return CF_ERR_IO;
	}
	cf_err err = check_mode(&st, ret_why);
	if (err) {
		close(fd);
		return err;
	}
	uint8_t *buf = sodium_malloc(cap + 2);
	if (!buf) {
		close(fd);
		return CF_ERR_NOMEM;
	}
	size_t len = 0;
	err = read_fd(fd, cap, buf, &len);
	close(fd);
	if (err) {
		*ret_why = err == CF_ERR_TOO_LARGE ? "is too large" : "cannot be read";
		sodium_free(buf);
		return err;
	}
	*ret_buf = buf;
	*ret_len = len;
	return CF_OK;
}

void cf_free_secret(uint8_t *buf)
{
	if (buf)
		sodium_free(buf);
}

static cf_err write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CF_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return CF_OK;
}

cf_err cf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return CF_ERR_TOO_LARGE;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return CF_ERR_IO;
	cf_err err = write_all(fd, data, len);
	if (!err && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
		err = CF_ERR_IO;
	if (close(fd) != 0 && !err)
		err = CF_ERR_IO;
	if (!err && rename(tmp, path) != 0)
		err = CF_ERR_IO;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* Make the rename itself durable. */
	char dir[PATH_MAX];
	size_t plen = strlen(path);
	if (plen >= sizeof(dir))
		return CF_OK;
	memcpy(dir, path, plen + 1);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return CF_OK;
}
