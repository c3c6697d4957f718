/* The profile folder: created 0700, refused when others can reach it,
 * files written atomically with mode 0600 and read back only when
 * private. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>

#include "client/internal.h"
#include "testutil.h"

struct fixture {
	char dir[256];
	char profile[300];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	snprintf(f->profile, sizeof f->profile, "%s/p", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_created_private(void **state)
{
	struct fixture *f = *state;
	char nested[400];
	snprintf(nested, sizeof nested, "%s/a/b/coffre", f->dir);
	cf_profile *p = NULL;
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_profile_open(&p, nested, CF_PROFILE_CREATE, &err),
	                 CF_OK);
	assert_non_null(p);
	assert_string_equal(cf_profile_dir(p), nested);
	assert_int_equal(mode_of(nested), 0700);
	cf_profile_free(p);
	cf_profile_free(NULL);
}

static void test_missing_without_create(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = (cf_profile *)0x1;
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_profile_open(&p, f->profile, 0, &err),
	                 CF_ERR_NOT_FOUND);
	assert_ptr_equal(p, (cf_profile *)0x1);
	assert_non_null(strstr(err.text, "does not exist"));
}

static void test_open_folder_is_refused(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = { 0755, 0750, 0710, 0701, 0707 };
	assert_int_equal(mkdir(f->profile, 0700), 0);
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		assert_int_equal(chmod(f->profile, modes[i]), 0);
		cf_profile *p = NULL;
		cf_errmsg err = { .text = "" };
		assert_int_equal(cf_profile_open(&p, f->profile,
		                                 CF_PROFILE_CREATE, &err),
		                 CF_ERR_DENIED);
		assert_null(p);
		char want[32];
		snprintf(want, sizeof want, "(mode %04o)", (unsigned)modes[i]);
		assert_non_null(strstr(err.text, "accessible by group or others"));
		assert_non_null(strstr(err.text, want));
		assert_non_null(strstr(err.text, "chmod 700"));
		/* Refused, never repaired. */
		assert_int_equal(mode_of(f->profile), modes[i]);
	}
}

static void test_not_a_folder(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(tu_write_file(f->profile, "x", 0600), 0);
	cf_profile *p = NULL;
	cf_errmsg err = { .text = "" };
	assert_int_equal(cf_profile_open(&p, f->profile, CF_PROFILE_CREATE,
	                                 &err), CF_ERR_INVALID);
	assert_non_null(strstr(err.text, "is not a folder"));
}

static cf_profile *open_profile(struct fixture *f)
{
	cf_profile *p = NULL;
	assert_int_equal(cf_profile_open(&p, f->profile, CF_PROFILE_CREATE,
	                                 NULL), CF_OK);
	return p;
}

static void test_write_then_read(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	assert_int_equal(cf_profile_write(p, "session", "token-1", 7), CF_OK);
	assert_int_equal(cf_profile_write(p, "session", "token-22", 8), CF_OK);
	assert_int_equal(cf_profile_write(p, "empty", NULL, 0), CF_OK);

	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(p, "session", 0, &data, &len), CF_OK);
	assert_int_equal(len, 8);
	assert_string_equal((char *)data, "token-22");
	cf_profile_data_free(data);
	assert_int_equal(cf_profile_read(p, "empty", 0, &data, &len), CF_OK);
	assert_int_equal(len, 0);
	cf_profile_data_free(data);
	cf_profile_data_free(NULL);

	char path[400];
	snprintf(path, sizeof path, "%s/session", f->profile);
	assert_int_equal(mode_of(path), 0600);

	/* No temporary file is left behind. */
	DIR *d = opendir(f->profile);
	assert_non_null(d);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 2);
	cf_profile_free(p);
}

static void test_write_ignores_umask(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	mode_t old = umask(0);
	assert_int_equal(cf_profile_write(p, "keys", "k", 1), CF_OK);
	umask(old);
	char path[400];
	snprintf(path, sizeof path, "%s/keys", f->profile);
	assert_int_equal(mode_of(path), 0600);
	cf_profile_free(p);
}

static void test_bad_names(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {
		"", ".hidden", "../escape", "a/b", "with space", "tab\t",
		("0123456789012345678901234567890123456789012345678901234567890"
		 "1234"),   /* 65 characters */
	};
	cf_profile *p = open_profile(f);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		unsigned char *data = NULL;
		size_t len = 0;
		assert_int_equal(cf_profile_write(p, names[i], "x", 1),
		                 CF_ERR_INVALID);
		assert_non_null(strstr(cf_profile_last_error(p),
		                       "invalid profile file name"));
		assert_int_equal(cf_profile_read(p, names[i], 0, &data, &len),
		                 CF_ERR_INVALID);
		assert_null(data);
		assert_int_equal(cf_profile_remove(p, names[i]), CF_ERR_INVALID);
	}
	assert_int_equal(cf_profile_write(p, "ok-name_1.json", "x", 1), CF_OK);
	cf_profile_free(p);
}

static void test_readable_file_is_refused(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	char path[400];
	snprintf(path, sizeof path, "%s/session", f->profile);
	assert_int_equal(tu_write_file(path, "tok", 0644), 0);
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(p, "session", 0, &data, &len),
	                 CF_ERR_DENIED);
	assert_null(data);
	assert_non_null(strstr(cf_profile_last_error(p), "(mode 0644)"));
	assert_non_null(strstr(cf_profile_last_error(p), "chmod 600"));
	assert_non_null(strstr(cf_profile_last_error(p), "/session"));
	cf_profile_free(p);
}

static void test_links_and_folders_are_refused(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	char target[400], link[400], sub[400];
	snprintf(target, sizeof target, "%s/target", f->dir);
	snprintf(link, sizeof link, "%s/session", f->profile);
	snprintf(sub, sizeof sub, "%s/sub", f->profile);
	assert_int_equal(tu_write_file(target, "tok", 0600), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(p, "session", 0, &data, &len),
	                 CF_ERR_DENIED);
	assert_non_null(strstr(cf_profile_last_error(p), "symbolic link"));
	assert_int_equal(cf_profile_read(p, "sub", 0, &data, &len),
	                 CF_ERR_DENIED);
	assert_non_null(strstr(cf_profile_last_error(p), "not a regular"));
	assert_int_equal(cf_profile_read(p, "missing", 0, &data, &len),
	                 CF_ERR_NOT_FOUND);
	/* Writing replaces the link itself, never its target. */
	assert_int_equal(cf_profile_write(p, "session", "new", 3), CF_OK);
	assert_int_equal(cf_profile_read(p, "session", 0, &data, &len), CF_OK);
	assert_string_equal((char *)data, "new");
	cf_profile_data_free(data);
	FILE *t = fopen(target, "r");
	char buf[8] = "";
	assert_non_null(t);
	assert_non_null(fgets(buf, sizeof buf, t));
	fclose(t);
	assert_string_equal(buf, "tok");
	cf_profile_free(p);
}

static void test_size_caps(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	assert_int_equal(cf_profile_write(p, "big", "0123456789", 10), CF_OK);
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(p, "big", 9, &data, &len),
	                 CF_ERR_TOO_LARGE);
	assert_null(data);
	assert_non_null(strstr(cf_profile_last_error(p), "larger than 9 bytes"));
	assert_int_equal(cf_profile_read(p, "big", 10, &data, &len), CF_OK);
	cf_profile_data_free(data);
	static char huge[CF_PROFILE_FILE_MAX + 1];
	assert_int_equal(cf_profile_write(p, "huge", huge, sizeof huge),
	                 CF_ERR_TOO_LARGE);
	cf_profile_free(p);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	cf_profile *p = open_profile(f);
	assert_int_equal(cf_profile_write(p, "session", "t", 1), CF_OK);
	assert_int_equal(cf_profile_remove(p, "session"), CF_OK);
	assert_int_equal(cf_profile_remove(p, "session"), CF_OK);
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(p, "session", 0, &data, &len),
	                 CF_ERR_NOT_FOUND);
	cf_profile_free(p);
}

static void test_default_dir(void **state)
{
	(void)state;
	char *path = NULL;
	assert_int_equal(setenv("COFFRE_PROFILE", "/x/profile", 1), 0);
	assert_int_equal(cf_profile_default_dir(&path), CF_OK);
	assert_string_equal(path, "/x/profile");
	free(path);
	assert_int_equal(unsetenv("COFFRE_PROFILE"), 0);
	assert_int_equal(setenv("HOME", "/home/alice", 1), 0);
	assert_int_equal(cf_profile_default_dir(&path), CF_OK);
	assert_string_equal(path, "/home/alice/.config/coffre");
	free(path);
	assert_int_equal(setenv("COFFRE_PROFILE", "", 1), 0);
	assert_int_equal(cf_profile_default_dir(&path), CF_OK);
	assert_string_equal(path, "/home/alice/.config/coffre");
	free(path);
}

static void test_client_opens_its_profile_on_demand(void **state)
{
	struct fixture *f = *state;
	cf_client *c = NULL;
	const struct cf_client_options opts = {
		.server_url = "https://127.0.0.1:8443",
		.profile_dir = f->profile,
	};
	assert_int_equal(cf_client_new(&c, &opts), CF_OK);
	struct stat st;
	assert_int_not_equal(stat(f->profile, &st), 0);  /* not yet */
	cf_profile *p = NULL;
	assert_int_equal(cf_client_profile(c, &p), CF_OK);
	assert_non_null(p);
	assert_int_equal(mode_of(f->profile), 0700);
	cf_profile *again = NULL;
	assert_int_equal(cf_client_profile(c, &again), CF_OK);
	assert_ptr_equal(p, again);
	cf_client_free(c);

	assert_int_equal(chmod(f->profile, 0755), 0);
	assert_int_equal(cf_client_new(&c, &opts), CF_OK);
	p = NULL;
	assert_int_equal(cf_client_profile(c, &p), CF_ERR_DENIED);
	assert_null(p);
	assert_non_null(strstr(cf_client_last_error(c), "(mode 0755)"));
	cf_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_private, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_missing_without_create,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_folder_is_refused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_folder, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_then_read, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_ignores_umask, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_file_is_refused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_links_and_folders_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test_setup_teardown(
			test_client_opens_its_profile_on_demand, setup, teardown),
	};
	return cmocka_run_group_tests_name("client_profile", tests, NULL, NULL);
}
