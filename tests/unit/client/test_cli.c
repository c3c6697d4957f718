/* The coffre command line: global options, the command table, exit
 * statuses, and reading secrets (file, standard input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>

#include "cli/cli.h"
#include "testutil.h"

/* --- global options ---------------------------------------------------- */

struct parsed {
	cf_err rc;
	struct cli_globals g;
	int next;
	char err[256];
};

static struct parsed parse(const struct cli_env *env, ...)
{
	char *argv[32] = { "coffre" };
	int argc = 1;
	va_list ap;
	va_start(ap, env);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	struct parsed p;
	memset(&p, 0, sizeof p);
	p.next = -7;
	p.rc = cli_parse_globals(argc, argv, env, &p.g, &p.next, p.err,
	                         sizeof p.err);
	return p;
}

static void test_options_before_the_command(void **state)
{
	(void)state;
	struct parsed p = parse(NULL, "--server", "https://h:1", "--ca", "ca.pem",
	                        "--profile", "/p", "--json", "status", "--x",
	                        NULL);
	assert_int_equal(p.rc, CF_OK);
	assert_string_equal(p.g.server, "https://h:1");
	assert_string_equal(p.g.ca_file, "ca.pem");
	assert_string_equal(p.g.profile, "/p");
	assert_true(p.g.json);
	assert_false(p.g.help);
	assert_int_equal(p.next, 8);   /* "status"; "--x" is the command's */

	p = parse(NULL, "--server=https://h:2", "--ca=c.pem", "--profile=/q",
	          "help", NULL);
	assert_int_equal(p.rc, CF_OK);
	assert_string_equal(p.g.server, "https://h:2");
	assert_string_equal(p.g.ca_file, "c.pem");
	assert_string_equal(p.g.profile, "/q");
	assert_false(p.g.json);
	assert_int_equal(p.next, 4);

	p = parse(NULL, NULL);
	assert_int_equal(p.rc, CF_OK);
	assert_int_equal(p.next, 1);
	assert_null(p.g.server);

	p = parse(NULL, "-h", NULL);
	assert_true(p.g.help);
	p = parse(NULL, "--version", NULL);
	assert_true(p.g.version);
	p = parse(NULL, "-V", "status", NULL);
	assert_true(p.g.version);
	assert_int_equal(p.next, 2);

	/* The last one wins; "--" ends the options. */
	p = parse(NULL, "--server", "https://a", "--server", "https://b", "--",
	          "--json", NULL);
	assert_int_equal(p.rc, CF_OK);
	assert_string_equal(p.g.server, "https://b");
	assert_false(p.g.json);
	assert_int_equal(p.next, 6);
}

static void test_environment_is_the_fallback(void **state)
{
	(void)state;
	const struct cli_env env = { .server = "https://env:1",
	                             .ca_file = "/env/ca.pem" };
	struct parsed p = parse(&env, "status", NULL);
	assert_string_equal(p.g.server, "https://env:1");
	assert_string_equal(p.g.ca_file, "/env/ca.pem");
	p = parse(&env, "--server", "https://opt:1", "--ca", "/opt/ca.pem",
	          "status", NULL);
	assert_string_equal(p.g.server, "https://opt:1");
	assert_string_equal(p.g.ca_file, "/opt/ca.pem");
	const struct cli_env empty = { .server = "", .ca_file = "" };
	p = parse(&empty, "status", NULL);
	assert_null(p.g.server);
	assert_null(p.g.ca_file);
}

static void refused(struct parsed p, const char *why)
{
	assert_int_equal(p.rc, CF_ERR_INVALID);
	assert_int_equal(p.next, -7);         /* untouched */
	assert_null(p.g.server);
	if (strcmp(p.err, why) != 0)
		fail_msg("message '%s', expected '%s'", p.err, why);
}

static void test_usage_errors(void **state)
{
	(void)state;
	refused(parse(NULL, "--bogus", "status", NULL),
	        "unknown option '--bogus'; try 'coffre --help'");
	refused(parse(NULL, "-x", NULL),
	        "unknown option '-x'; try 'coffre --help'");
	refused(parse(NULL, "--serverx=1", NULL),
	        "unknown option '--serverx=1'; try 'coffre --help'");
	refused(parse(NULL, "--server", NULL), "option --server needs a URL");
	refused(parse(NULL, "--ca", NULL), "option --ca needs a file");
	refused(parse(NULL, "--profile=", "status", NULL),
	        "option --profile needs a folder, not an empty value");
	refused(parse(NULL, "--server", "", "status", NULL),
	        "option --server needs a URL, not an empty value");
	refused(parse(NULL, "--json=yes", NULL),
	        "option --json takes no value");
	refused(parse(NULL, "--bad\x1b[2J", NULL),
	        "unknown option '--bad?[2J'; try 'coffre --help'");
}

/* --- commands and exit statuses ---------------------------------------- */

static void test_command_table(void **state)
{
	(void)state;
	size_t n = 0;
	const struct cli_command *cmds = cli_commands(&n);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(cmds[i].name);
		assert_non_null(cmds[i].run);
		assert_non_null(cmds[i].args);
		assert_true(cmds[i].help && cmds[i].help[0]);
		assert_null(strchr(cmds[i].help, '\n'));
		assert_ptr_equal(cli_find_command(cmds[i].name), &cmds[i]);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(cmds[i].name, cmds[k].name);
	}
	assert_non_null(cli_find_command("status"));
	assert_non_null(cli_find_command("help"));
	assert_null(cli_find_command("stat"));
	assert_null(cli_find_command(""));
	assert_null(cli_find_command(NULL));
}

static void test_exit_statuses(void **state)
{
	(void)state;
	assert_int_equal(cli_exit_status(CF_OK), 0);
	assert_int_equal(cli_exit_status(CF_ERR_TLS), 3);
	assert_int_equal(cli_exit_status(CF_ERR_NETWORK), 4);
	assert_int_equal(cli_exit_status(CF_ERR_PROTOCOL), 1);
	assert_int_equal(cli_exit_status(CF_ERR_BUSY), 1);
	assert_int_equal(cli_exit_status(CF_ERR_DENIED), 1);
	assert_int_equal(CLI_EXIT_USAGE, 2);
}

static void test_shown_arguments(void **state)
{
	(void)state;
	char out[8];
	cli_shown_arg(out, sizeof out, "ab\ncd");
	assert_string_equal(out, "ab?cd");
	cli_shown_arg(out, sizeof out, "0123456789");
	assert_string_equal(out, "0123...");
}

/* --- secrets ----------------------------------------------------------- */

static int pipe_with(const char *data, size_t len)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

static void test_secret_first_line_of_a_stream(void **state)
{
	(void)state;
	int fd = pipe_with("hunter2\r\nnext line\n", 19);
	char *secret = NULL;
	size_t len = 0;
	char err[256] = "";
	assert_int_equal(cli_secret_read_fd(fd, true, "password",
	                                    "standard input", &secret, &len,
	                                    err, sizeof err), CF_OK);
	assert_string_equal(secret, "hunter2");
	assert_int_equal(len, 7);
	cli_secret_free(secret);
	/* Nothing after the line was consumed. */
	char rest[32] = "";
	assert_int_equal(read(fd, rest, sizeof rest - 1), 10);
	assert_string_equal(rest, "next line\n");
	close(fd);
	cli_secret_free(NULL);
}

static cf_err read_stream(const char *data, size_t len, bool one_line,
                          char *err, size_t err_size, char **ret)
{
	int fd = pipe_with(data, len);
	size_t out_len = 0;
	cf_err rc = cli_secret_read_fd(fd, one_line, "password", "the test",
	                               ret, &out_len, err, err_size);
	close(fd);
	return rc;
}

static void test_secret_refusals(void **state)
{
	(void)state;
	char err[256] = "";
	char *s = NULL;
	assert_int_equal(read_stream("", 0, true, err, sizeof err, &s),
	                 CF_ERR_INVALID);
	assert_string_equal(err, "got an empty password from the test");
	assert_int_equal(read_stream("\n", 1, false, err, sizeof err, &s),
	                 CF_ERR_INVALID);
	assert_int_equal(read_stream("a\0b\n", 4, true, err, sizeof err, &s),
	                 CF_ERR_INVALID);
	assert_string_equal(err, "the password from the test contains a NUL "
	                    "byte");
	assert_int_equal(read_stream("one\ntwo\n", 8, false, err, sizeof err,
	                             &s), CF_ERR_INVALID);
	assert_string_equal(err, "the test has more than one line; it must "
	                    "hold only the password");
	assert_null(s);

	static char big[CLI_SECRET_MAX + 8];
	memset(big, 'p', sizeof big);
	for (int one_line = 0; one_line < 2; one_line++) {
		assert_int_equal(read_stream(big, CLI_SECRET_MAX + 1, one_line,
		                             err, sizeof err, &s),
		                 CF_ERR_TOO_LARGE);
		assert_string_equal(err, "the password from the test is longer "
		                    "than 1024 bytes");
		assert_int_equal(read_stream(big, sizeof big, one_line, err,
		                             sizeof err, &s), CF_ERR_TOO_LARGE);
		/* Exactly the cap, with or without a final newline. */
		big[CLI_SECRET_MAX] = '\n';
		assert_int_equal(read_stream(big, CLI_SECRET_MAX + 1, one_line,
		                             err, sizeof err, &s), CF_OK);
		assert_int_equal(strlen(s), CLI_SECRET_MAX);
		cli_secret_free(s);
		s = NULL;
		assert_int_equal(read_stream(big, CLI_SECRET_MAX, one_line,
		                             err, sizeof err, &s), CF_OK);
		cli_secret_free(s);
		s = NULL;
		big[CLI_SECRET_MAX] = 'p';
	}
}

static void test_secret_from_a_file(void **state)
{
	(void)state;
	char dir[256], path[300], err[512] = "";
	assert_non_null(tu_tempdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/pw", dir);
	const struct cli_secret_source src = {
		.file = path, .option = "--password-file", .what = "password",
		.prompt = "Password: ",
	};
	char *secret = NULL;
	size_t len = 0;

	assert_int_equal(cli_secret_read(&src, &secret, &len, err, sizeof err),
	                 CF_ERR_NOT_FOUND);
	assert_non_null(strstr(err, "cannot open password file"));
	assert_non_null(strstr(err, "(--password-file)"));

	assert_int_equal(tu_write_file(path, "correct horse\n", 0600), 0);
	assert_int_equal(cli_secret_read(&src, &secret, &len, err, sizeof err),
	                 CF_OK);
	assert_string_equal(secret, "correct horse");
	assert_int_equal(len, 13);
	cli_secret_free(secret);
	secret = NULL;

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cli_secret_read(&src, &secret, &len, err, sizeof err),
	                 CF_ERR_DENIED);
	assert_null(secret);
	assert_non_null(strstr(err, "accessible by group or others (mode "
	                        "0644); run: chmod 600"));
	assert_null(strstr(err, "horse"));

	const struct cli_secret_source folder = {
		.file = dir, .option = "--pin-file", .what = "PIN",
		.prompt = "PIN: ",
	};
	assert_int_equal(cli_secret_read(&folder, &secret, &len, err,
	                                 sizeof err), CF_ERR_INVALID);
	assert_non_null(strstr(err, "PIN file"));
	assert_non_null(strstr(err, "is a folder"));
	tu_rm_rf(dir);
}

static void test_secret_from_standard_input(void **state)
{
	(void)state;
	int saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	int fd = pipe_with("s3cret\n", 7);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	const struct cli_secret_source src = {
		.option = "--password-file", .what = "password",
		.prompt = "Password: ",
	};
	char *secret = NULL;
	size_t len = 0;
	char err[256] = "";
	cf_err rc = cli_secret_read(&src, &secret, &len, err, sizeof err);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	assert_int_equal(rc, CF_OK);
	assert_string_equal(secret, "s3cret");
	cli_secret_free(secret);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_before_the_command),
		cmocka_unit_test(test_environment_is_the_fallback),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_exit_statuses),
		cmocka_unit_test(test_shown_arguments),
		cmocka_unit_test(test_secret_first_line_of_a_stream),
		cmocka_unit_test(test_secret_refusals),
		cmocka_unit_test(test_secret_from_a_file),
		cmocka_unit_test(test_secret_from_standard_input),
	};
	return cmocka_run_group_tests_name("client_cli", tests, setup, NULL);
}
