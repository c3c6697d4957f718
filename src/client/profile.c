/* The profile folder: this device's keys, its session, the last verified
 * audit checkpoint. The folder is opened once and every file is reached
 * through that descriptor (openat/renameat), so a path swapped after the
 * checks cannot redirect a write. Permissions are checked, never repaired:
 * a folder others could read may already have leaked, and the user must
 * know. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "client/internal.h"

#define SHOWN_PATH_MAX 256

struct cf_profile {
	int dirfd;
	char *path;
	char shown[SHOWN_PATH_MAX];     /* path, safe to print */
	char last_error[CF_ERRMSG_MAX];
};

static void profile_error(cf_profile *p, const char *fmt, ...) CF_PRINTF(2, 3);
static void profile_error(cf_profile *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(p->last_error, sizeof p->last_error, fmt, ap);
	va_end(ap);
}

static cf_err home_dir(char **ret_home)
{
	const char *home = secure_getenv("HOME");
	if (home && home[0] != '\0') {
		char *copy = strdup(home);
		if (!copy)
			return CF_ERR_NOMEM;
		*ret_home = copy;
		return CF_OK;
	}
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t bufsize = size > 0 && size < 65536 ? (size_t)size : 16384;
	CF_AUTO_FREE char *buf = malloc(bufsize);
	if (!buf)
		return CF_ERR_NOMEM;
	struct passwd pw;
	struct passwd *found = NULL;
	if (getpwuid_r(geteuid(), &pw, buf, bufsize, &found) != 0 || !found ||
	    !found->pw_dir || found->pw_dir[0] == '\0')
		return CF_ERR_CONFIG;
	char *copy = strdup(found->pw_dir);
	if (!copy)
		return CF_ERR_NOMEM;
	*ret_home = copy;
	return CF_OK;
}

cf_err cf_profile_default_dir(char **ret_path)
{
	const char *env = secure_getenv("COFFRE_PROFILE");
	if (env && env[0] != '\0') {
		char *copy = strdup(env);
		if (!copy)
			return CF_ERR_NOMEM;
		*ret_path = copy;
		return CF_OK;
	}
	CF_AUTO_FREE char *home = NULL;
	cf_err err = home_dir(&home);
	if (err)
		return err;
	static const char suffix[] = "/.config/coffre";
	size_t len = strlen(home) + sizeof suffix;
	char *path = malloc(len);
	if (!path)
		return CF_ERR_NOMEM;
	cf_msg_format(path, len, "%s%s", home, suffix);
	*ret_path = path;
	return CF_OK;
}

/* mkdir -p, every missing component with mode 0700. */
static int mkdir_parents(const char *path)
{
	size_t len = strlen(path);
	CF_AUTO_FREE char *copy = strdup(path);
	if (!copy)
		return ENOMEM;
	for (size_t i = 1; i <= len; i++) {
		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		if (copy[i - 1] == '/')
			continue;
		char saved = copy[i];
		copy[i] = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST)
			return errno;
		copy[i] = saved;
	}
	return 0;
}

/* Checks that st belongs to us and nobody else can use it. */
static cf_err check_private(const struct stat *st, const char *what,
                            const char *shown, cf_errmsg *err)
{
	if (st->st_uid != geteuid()) {
		cf_errmsg_set(err, "%s %s belongs to user id %ld, not to you "
		              "(user id %ld)", what, shown, (long)st->st_uid,
		              (long)geteuid());
		return CF_ERR_DENIED;
	}
	if (st->st_mode & 077) {
		cf_errmsg_set(err, "%s %s is accessible by group or others "
		              "(mode %04o); run: chmod %s %s", what, shown,
		              (unsigned)(st->st_mode & 07777),
		              S_ISDIR(st->st_mode) ? "700" : "600", shown);
		return CF_ERR_DENIED;
	}
	return CF_OK;
}

cf_err cf_profile_open(cf_profile **ret, const char *dir, unsigned flags,
                       cf_errmsg *error)
{
	char ebuf[128];
	char shown[SHOWN_PATH_MAX];
	CF_AUTO_FREE char *path = NULL;

	if (dir && dir[0] != '\0') {
		path = strdup(dir);
		if (!path) {
			cf_errmsg_set(error, "out of memory");
			return CF_ERR_NOMEM;
		}
	} else {
		cf_err err = cf_profile_default_dir(&path);
		if (err) {
			cf_errmsg_set(error, "cannot find the profile folder: %s",
			              err == CF_ERR_NOMEM ? "out of memory" :
			              "no home folder; set COFFRE_PROFILE or use "
			              "--profile");
			return err;
		}
	}
	cf_text_sanitize(shown, sizeof shown, path, strlen(path));

	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && (flags & CF_PROFILE_CREATE)) {
		int e = mkdir_parents(path);
		if (e != 0) {
			cf_errmsg_set(error, "cannot create profile folder %s: %s",
			              shown, cf_errno_text(e, ebuf, sizeof ebuf));
			return e == EACCES || e == EPERM ? CF_ERR_DENIED :
			       e == ENOMEM ? CF_ERR_NOMEM : CF_ERR_IO;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT) {
			cf_errmsg_set(error, "profile folder %s does not exist",
			              shown);
			return CF_ERR_NOT_FOUND;
		}
		if (e == ENOTDIR) {
			cf_errmsg_set(error, "profile folder %s is not a folder",
			              shown);
			return CF_ERR_INVALID;
		}
		cf_errmsg_set(error, "cannot open profile folder %s: %s", shown,
		              cf_errno_text(e, ebuf, sizeof ebuf));
		return e == EACCES || e == EPERM ? CF_ERR_DENIED : CF_ERR_IO;
	}
	CF_AUTO_FD dirfd = fd;

	struct stat st;
	if (fstat(dirfd, &st) != 0) {
		cf_errmsg_set(error, "cannot inspect profile folder %s: %s",
		              shown, cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	cf_err err = check_private(&st, "profile folder", shown, error);
	if (err)
		return err;

	cf_profile *p = calloc(1, sizeof *p);
	if (!p) {
		cf_errmsg_set(error, "out of memory");
		return CF_ERR_NOMEM;
	}
	p->dirfd = dirfd;
	dirfd = -1;
	p->path = path;
	path = NULL;
	memcpy(p->shown, shown, sizeof p->shown);
	*ret = p;
	return CF_OK;
}

void cf_profile_free(cf_profile *profile)
{
	if (!profile)
		return;
	if (profile->dirfd >= 0)
		close(profile->dirfd);
	free(profile->path);
	free(profile);
}

const char *cf_profile_dir(const cf_profile *profile)
{
	return profile ? profile->path : "";
}

const char *cf_profile_last_error(const cf_profile *profile)
{
	return profile ? profile->last_error : "";
}

static bool valid_name(const char *name)
{
	if (!name || name[0] == '\0' || name[0] == '.')
		return false;
	size_t len = strnlen(name, CF_PROFILE_NAME_MAX + 1);
	if (len > CF_PROFILE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static cf_err check_name(cf_profile *p, const char *name)
{
	if (valid_name(name))
		return CF_OK;
	char shown[CF_PROFILE_NAME_MAX + 8];
	cf_text_sanitize(shown, sizeof shown, name ? name : "",
	                 name ? strnlen(name, CF_PROFILE_NAME_MAX + 8) : 0);
	profile_error(p, "invalid profile file name '%s' (use at most %d "
	              "letters, digits, '.', '_' or '-', not starting with "
	              "'.')", shown, CF_PROFILE_NAME_MAX);
	return CF_ERR_INVALID;
}

cf_err cf_profile_read(cf_profile *profile, const char *name, size_t max,
                       unsigned char **ret_data, size_t *ret_len)
{
	char ebuf[128];
	cf_errmsg msg;
	cf_err err = check_name(profile, name);
	if (err)
		return err;
	if (max == 0 || max > CF_PROFILE_FILE_MAX)
		max = CF_PROFILE_FILE_MAX;

	/* O_NONBLOCK: a FIFO planted here must not hang the client. */
	int fd = openat(profile->dirfd, name, O_RDONLY | O_NOFOLLOW |
	                O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT) {
			profile_error(profile, "profile file %s/%s does not exist",
			              profile->shown, name);
			return CF_ERR_NOT_FOUND;
		}
		if (e == ELOOP) {
			profile_error(profile, "profile file %s/%s is a symbolic "
			              "link; refusing it", profile->shown, name);
			return CF_ERR_DENIED;
		}
		profile_error(profile, "cannot open profile file %s/%s: %s",
		              profile->shown, name,
		              cf_errno_text(e, ebuf, sizeof ebuf));
		return e == EACCES ? CF_ERR_DENIED : CF_ERR_IO;
	}
	CF_AUTO_FD file = fd;

	struct stat st;
	if (fstat(file, &st) != 0) {
		profile_error(profile, "cannot inspect profile file %s/%s: %s",
		              profile->shown, name,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		profile_error(profile, "profile file %s/%s is not a regular file",
		              profile->shown, name);
		return CF_ERR_DENIED;
	}
	char shown_file[SHOWN_PATH_MAX + CF_PROFILE_NAME_MAX + 2];
	cf_msg_format(shown_file, sizeof shown_file, "%s/%s", profile->shown,
	              name);
	err = check_private(&st, "profile file", shown_file, &msg);
	if (err) {
		profile_error(profile, "%s", msg.text);
		return err;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		char limit[32];
		cf_size_format(limit, sizeof limit, max);
		profile_error(profile, "profile file %s/%s is larger than %s",
		              profile->shown, name, limit);
		return CF_ERR_TOO_LARGE;
	}
	size_t size = (size_t)st.st_size;

	if (sodium_init() < 0) {
		profile_error(profile, "cannot initialise libsodium");
		return CF_ERR_NOMEM;
	}
	unsigned char *data = sodium_malloc(size + 1);
	if (!data) {
		profile_error(profile, "out of memory");
		return CF_ERR_NOMEM;
	}
	size_t got = 0;
	for (;;) {
		/* One byte more than announced, to notice a file that grew. */
		size_t room = size + 1 - got;
		if (room == 0)
			break;
		ssize_t n = read(file, data + got, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			profile_error(profile, "cannot read profile file %s/%s: %s",
			              profile->shown, name,
			              cf_errno_text(errno, ebuf, sizeof ebuf));
			sodium_free(data);
			return CF_ERR_IO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		profile_error(profile, "profile file %s/%s changed while being "
		              "read", profile->shown, name);
		sodium_free(data);
		return CF_ERR_IO;
	}
	data[size] = '\0';
	*ret_data = data;
	*ret_len = size;
	return CF_OK;
}

void cf_profile_data_free(unsigned char *data)
{
	if (data)
		sodium_free(data);   /* wipes before freeing */
}

static int write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

cf_err cf_profile_write(cf_profile *profile, const char *name,
                        const void *data, size_t len)
{
	char ebuf[128];
	cf_err err = check_name(profile, name);
	if (err)
		return err;
	if (len > CF_PROFILE_FILE_MAX) {
		char limit[32];
		cf_size_format(limit, sizeof limit, CF_PROFILE_FILE_MAX);
		profile_error(profile, "profile file %s would be larger than %s",
		              name, limit);
		return CF_ERR_TOO_LARGE;
	}
	if (len > 0 && !data) {
		profile_error(profile, "no data to write to profile file %s",
		              name);
		return CF_ERR_INVALID;
	}
	if (sodium_init() < 0) {
		profile_error(profile, "cannot initialise libsodium");
		return CF_ERR_NOMEM;
	}

	/* A dot name, so it cannot collide with a valid file name. */
	unsigned char rnd[8];
	char rnd_hex[sizeof rnd * 2 + 1];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(rnd_hex, sizeof rnd_hex, rnd, sizeof rnd);
	char tmp[CF_PROFILE_NAME_MAX + 32];
	cf_msg_format(tmp, sizeof tmp, ".%s.tmp-%s", name, rnd_hex);

	int fd = openat(profile->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	                O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		profile_error(profile, "cannot create a file in profile folder "
		              "%s: %s", profile->shown,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	int e = 0;
	const char *step = "write";
	/* The umask may only remove bits; fchmod makes the mode exact. */
	if (fchmod(fd, 0600) != 0) {
		e = errno;
		step = "set the mode of";
	}
	if (!e && (e = write_all(fd, data, len)) != 0)
		step = "write";
	if (!e && fsync(fd) != 0) {
		e = errno;
		step = "flush";
	}
	if (close(fd) != 0 && !e) {
		e = errno;
		step = "close";
	}
	if (!e && renameat(profile->dirfd, tmp, profile->dirfd, name) != 0) {
		e = errno;
		step = "replace";
	}
	if (e) {
		unlinkat(profile->dirfd, tmp, 0);
		profile_error(profile, "cannot %s profile file %s/%s: %s", step,
		              profile->shown, name,
		              cf_errno_text(e, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	/* Make the rename itself durable. */
	if (fsync(profile->dirfd) != 0) {
		profile_error(profile, "cannot flush profile folder %s: %s",
		              profile->shown,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	return CF_OK;
}

cf_err cf_profile_remove(cf_profile *profile, const char *name)
{
	char ebuf[128];
	cf_err err = check_name(profile, name);
	if (err)
		return err;
	if (unlinkat(profile->dirfd, name, 0) != 0) {
		if (errno == ENOENT)
			return CF_OK;
		profile_error(profile, "cannot remove profile file %s/%s: %s",
		              profile->shown, name,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	if (fsync(profile->dirfd) != 0) {
		profile_error(profile, "cannot flush profile folder %s: %s",
		              profile->shown,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_IO;
	}
	return CF_OK;
}
