/* The coffre binary itself: exit statuses, one-line reasons on stderr and
 * the output of `status`, against the in-process TLS test server. The path
 * of the binary is the first argument (meson passes it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "testutil.h"
#include "tls_server.h"

extern char **environ;

static const char *coffre_exe;

struct fixture {
	char dir[256];
	char ca[300];
	char other_ca[300];
	char url[64];
	struct ts_server *server;
};

struct run {
	int status;
	char out[8192];
	char err[2048];
};

static void drain(int fd, char *buf, size_t size)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
	close(fd);
}

/* Runs coffre with args (NULL-terminated) and extra "NAME=value"
 * environment entries (NULL-terminated, may be NULL). */
static struct run *run_coffre(const char *const *env_extra, ...)
{
	static struct run r;
	memset(&r, 0, sizeof r);
	const char *exe = coffre_exe;
	assert_non_null(exe);
	char *argv[32] = { (char *)exe };
	int argc = 1;
	va_list ap;
	va_start(ap, env_extra);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	/* A clean environment: no COFFRE_* from the caller. */
	char *envp[64];
	int n = 0;
	for (char **e = environ; *e && n < 40; e++)
		if (strncmp(*e, "COFFRE_", 7) != 0)
			envp[n++] = *e;
	for (const char *const *e = env_extra; e && *e && n < 63; e++)
		envp[n++] = (char *)*e;
	envp[n] = NULL;

	int out[2], err[2];
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	pid_t pid;
	assert_int_equal(posix_spawn(&pid, exe, &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	drain(out[0], r.out, sizeof r.out);
	drain(err[0], r.err, sizeof r.err);
	int ws = 0;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	r.status = WEXITSTATUS(ws);
	return &r;
}

static void assert_failed(const struct run *r, int status, const char *msg)
{
	if (r->status != status)
		fail_msg("exit %d (expected %d), stderr: %s", r->status, status,
		         r->err);
	if (strncmp(r->err, msg, strlen(msg)) != 0)
		fail_msg("stderr '%s' does not start with '%s'", r->err, msg);
	/* One line, and nothing on stdout. */
	size_t lines = 0;
	for (const char *p = r->err; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1);
	assert_int_equal(r->err[strlen(r->err) - 1], '\n');
	assert_string_equal(r->out, "");
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	f->server = ts_start(f->dir, TS_CERT_GOOD);
	if (!f->server)
		return -1;
	snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
	snprintf(f->other_ca, sizeof f->other_ca, "%s/other-ca.pem", f->dir);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
	         ts_port(f->server));
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	ts_stop(f->server);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static void healthy(struct fixture *f)
{
	const struct ts_answer a = {
		.status = 200, .content_type = "application/json",
		.body = "{\"status\":\"ok\",\"version\":\"0.1.0\"}",
	};
	ts_answer_with(f->server, &a);
}

static void test_version_and_help(void **state)
{
	(void)state;
	struct run *r = run_coffre(NULL, "--version", NULL);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->out, "coffre " COFFRE_VERSION "\n");
	r = run_coffre(NULL, "help", NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "\n  status  "));
	assert_non_null(strstr(r->out, "\n  help  "));
	r = run_coffre(NULL, "--help", NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "usage: coffre [--server URL]"));
	r = run_coffre(NULL, "help", "status", NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "] status\n"));
	r = run_coffre(NULL, "status", "--help", NULL);
	assert_int_equal(r->status, 0);
}

static void test_usage_errors_exit_2(void **state)
{
	(void)state;
	assert_failed(run_coffre(NULL, NULL), 2,
	              "coffre: no command given; try 'coffre help'\n");
	assert_failed(run_coffre(NULL, "frobnicate", NULL), 2,
	              "coffre: unknown command 'frobnicate'; try 'coffre "
	              "help'\n");
	assert_failed(run_coffre(NULL, "--frob", "status", NULL), 2,
	              "coffre: unknown option '--frob'");
	assert_failed(run_coffre(NULL, "status", NULL), 2,
	              "coffre: no server given: use --server");
	assert_failed(run_coffre(NULL, "--server", "http://127.0.0.1:8443",
	                         "status", NULL), 2,
	              "coffre: server URL must start with https:// (got "
	              "http://)");
	assert_failed(run_coffre(NULL, "--server", "https://127.0.0.1:8443",
	                         "--ca", "/nonexistent.pem", "status", NULL), 2,
	              "coffre: cannot read CA file /nonexistent.pem");
	assert_failed(run_coffre(NULL, "status", "extra", NULL), 2,
	              "coffre: status takes no arguments (got 'extra')");
	assert_failed(run_coffre(NULL, "help", "frob", NULL), 2,
	              "coffre: unknown command 'frob'");
}

static void test_status_ok(void **state)
{
	struct fixture *f = *state;
	healthy(f);
	struct run *r = run_coffre(NULL, "--server", f->url, "--ca", f->ca,
	                           "status", NULL);
	char want[128];
	snprintf(want, sizeof want, "coffred 0.1.0 at %s: ok\n", f->url);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->out, want);
	assert_string_equal(r->err, "");

	/* The same from the environment. */
	char server_env[128], ca_env[400];
	snprintf(server_env, sizeof server_env, "COFFRE_SERVER=%s", f->url);
	snprintf(ca_env, sizeof ca_env, "COFFRE_CA=%s", f->ca);
	const char *const env[] = { server_env, ca_env, NULL };
	r = run_coffre(env, "status", NULL);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->out, want);
}

static void test_status_json(void **state)
{
	struct fixture *f = *state;
	healthy(f);
	struct run *r = run_coffre(NULL, "--json", "--server", f->url, "--ca",
	                           f->ca, "status", NULL);
	assert_int_equal(r->status, 0);
	json_error_t jerr;
	json_t *doc = json_loads(r->out, 0, &jerr);
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 3);
	assert_string_equal(json_string_value(json_object_get(doc, "server")),
	                    f->url);
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	                    "ok");
	assert_string_equal(json_string_value(json_object_get(doc, "version")),
	                    "0.1.0");
	json_decref(doc);
	/* One document, one line. */
	assert_int_equal(strchr(r->out, '\n') - r->out,
	                 (long)strlen(r->out) - 1);
}

static void test_untrusted_certificate_exits_3(void **state)
{
	struct fixture *f = *state;
	healthy(f);
	char want[512];
	snprintf(want, sizeof want, "coffre: server certificate not trusted "
	         "(pinned CA %s): ", f->other_ca);
	assert_failed(run_coffre(NULL, "--server", f->url, "--ca", f->other_ca,
	                         "status", NULL), 3, want);
	assert_failed(run_coffre(NULL, "--json", "--server", f->url, "status",
	                         NULL), 3,
	              "coffre: server certificate not trusted (system CA "
	              "store)");
}

static void test_unreachable_server_exits_4(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char url[64], want[128];
	snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(want, sizeof want, "coffre: cannot connect to 127.0.0.1:%d: "
	         "connection refused\n", ntohs(a.sin_port));
	assert_failed(run_coffre(NULL, "--server", url, "status", NULL), 4,
	              want);
	close(fd);
}

static void test_unhealthy_server_exits_1(void **state)
{
	struct fixture *f = *state;
	const struct ts_answer down = {
		.status = 503, .content_type = "application/problem+json",
		.body = "{\"title\":\"Service Unavailable\",\"status\":503,"
		        "\"detail\":\"audit log not writable\"}",
	};
	ts_answer_with(f->server, &down);
	assert_failed(run_coffre(NULL, "--server", f->url, "--ca", f->ca,
	                         "status", NULL), 1,
	              "coffre: server answered 503: Service Unavailable: audit "
	              "log not writable\n");
	const struct ts_answer html = {
		.status = 200, .content_type = "text/html", .body = "<p>hi</p>",
	};
	ts_answer_with(f->server, &html);
	assert_failed(run_coffre(NULL, "--server", f->url, "--ca", f->ca,
	                         "status", NULL), 1,
	              "coffre: server answered 200 with text/html, not JSON");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-OF-coffre\n", argv[0]);
		return 2;
	}
	coffre_exe = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_status_ok),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_untrusted_certificate_exits_3),
		cmocka_unit_test(test_unreachable_server_exits_4),
		cmocka_unit_test(test_unhealthy_server_exits_1),
	};
	return cmocka_run_group_tests_name("client_cli_exe", tests, group_setup,
	                                   group_teardown);
}
