/* Unit tests of the technical logger (util/log.h): lines written to a file
 * or a pipe hold no PII, one line per call, no forged lines, no
 * interleaving between threads, bounded length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define READ_MAX (4u << 20)

struct fixture {
	char dir[64];
	char path[128];
	int pipe_fd[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/coffre-log-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/coffre.log", f->dir);
	if (pipe2(f->pipe_fd, O_CLOEXEC) != 0)
		return -1;
	cf_log_set_level(CF_LOG_INFO);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(STDERR_FILENO); /* also closes a file we opened */
	cf_log_set_level(CF_LOG_INFO);
	close(f->pipe_fd[0]);
	close(f->pipe_fd[1]);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Whole content of fd (a file from offset 0, or what a pipe holds now),
 * NUL-terminated. */
static char *slurp_fd(int fd, size_t *ret_len)
{
	char *buf = malloc(READ_MAX + 1);
	assert_non_null(buf);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, READ_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == READ_MAX)
			break;
	}
	buf[n] = '\0';
	*ret_len = n;
	return buf;
}

static char *slurp_file(const char *path, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char *buf = slurp_fd(fd, ret_len);
	close(fd);
	return buf;
}

static char *slurp_pipe(int fd, size_t *ret_len)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	char *buf = slurp_fd(fd, ret_len);
	fcntl(fd, F_SETFL, fl);
	return buf;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* "2026-11-22T15:17:57.123Z " at the start of line. */
static bool has_timestamp(const char *line)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (line[i] < '0' || line[i] > '9') : line[i] != shape[i])
			return false;
	}
	return true;
}

static void assert_no_digits_of(const char *text, const char *secret)
{
	char d[64];
	size_t n = 0;
	for (const char *p = secret; *p && n + 1 < sizeof(d); p++)
		if (*p >= '0' && *p <= '9')
			d[n++] = *p;
	d[n] = '\0';
	for (size_t i = 0; i + 4 <= n; i++) {
		/* 4 digits of the secret in a row, with or without separators */
		char plain[5], spaced[8];
		memcpy(plain, d + i, 4);
		plain[4] = '\0';
		snprintf(spaced, sizeof(spaced), "%.2s %.2s", d + i, d + i + 2);
		if (strstr(text, plain) || strstr(text, spaced)) {
			print_error("log still holds digits %s of %s\n", plain, secret);
			fail();
		}
	}
}

static void test_file_holds_no_pii(void **state)
{
	struct fixture *f = *state;
	mode_t old_umask = umask(022);
	assert_int_equal(cf_log_open_file(f->path), CF_OK);
	umask(old_umask);

	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	static const char *const emails[] = {
		"john.doe@example.com", "Jane.Doe+tag@mail.example.co.uk", "x%40y.fr",
	};
	static const char *const phones[] = {
		"06 12 34 56 78", "0698765432", "+33 6 11 22 33 44", "0033 7 55 66 77 88",
		"+1 (555) 123-4567",
	};
	static const char *const nirs[] = {
		"1 85 05 78 006 084 36", "284122A12345678", "1850578006084",
	};
	size_t calls = 0;
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++, calls++)
		cf_log(CF_LOG_INFO, "auth", "login failed for %s (attempt %d)", emails[i], 3);
	for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++, calls++)
		cf_log(CF_LOG_WARN, "sms", "cannot reach \"%s\": status %d", phones[i], 502);
	for (size_t i = 0; i < sizeof(nirs) / sizeof(nirs[0]); i++, calls++)
		cf_log(CF_LOG_ERROR, "import", "{\"nir\":\"%s\",\"row\":%u}", nirs[i], 12u);
	cf_log(CF_LOG_INFO, "http", "GET /v1/users?email=%s&tel=%s 200 3ms id=%s",
	       "a.b%40c.fr", "%2B33612345678", "deadbeef00c0ffee1badb002cafe7e57");
	calls++;
	cf_log(CF_LOG_DEBUG, "http", "dropped: below the level %s", "x@y.fr");

	cf_log_set_fd(-1); /* closes the file */

	size_t len = 0;
	char *text = slurp_file(f->path, &len);
	assert_int_equal(count_lines(text, len), calls);
	assert_null(strchr(text, '@'));
	assert_null(strstr(text, "%40"));
	assert_null(strstr(text, "john"));
	assert_null(strstr(text, "x@y.fr"));
	for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++)
		assert_no_digits_of(text, phones[i]);
	for (size_t i = 0; i < sizeof(nirs) / sizeof(nirs[0]); i++)
		assert_no_digits_of(text, nirs[i]);

	assert_non_null(strstr(text, "Z info auth: login failed for [email] (attempt 3)"));
	assert_non_null(strstr(text, "Z warn sms: cannot reach \"[phone]\": status 502"));
	assert_non_null(strstr(text, "Z error import: {\"nir\":\"[nir]\",\"row\":12}"));
	assert_non_null(strstr(text, "GET /v1/users?email=[email]&tel=[phone] 200 3ms "
	                             "id=deadbeef00c0ffee1badb002cafe7e57"));
	/* Each line: timestamp, level, component, the scrubbed message. */
	size_t seen = 0;
	for (char *line = text, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		assert_true(has_timestamp(line));
		seen++;
	}
	assert_int_equal(seen, calls);
	free(text);
}

/* A newline (or any control character, or a Unicode line separator) in an
 * argument cannot start a second line. */
static void test_newline_cannot_forge_a_line(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	cf_log(CF_LOG_WARN, "http", "bad path %s",
	       "/x\n2026-11-22T15:17:57.123Z error auth: admin logged in\r\x1b[2J\t"
	       "\xE2\x80\xA8\xC2\x85|");
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_int_equal(count_lines(text, len), 1);
	assert_int_equal(text[len - 1], '\n');
	assert_null(strchr(text, '\r'));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\t'));
	assert_null(strstr(text, "\xE2\x80\xA8"));
	assert_non_null(strstr(text, "bad path /x\\n2026-11-22T15:17:57.123Z error auth: admin "
	                             "logged in\\r\\x1b[2J\\t\\xe2\\x80\\xa8\\xc2\\x85|\n"));
	free(text);
}

/* Bytes >= 0x80 (a decoded "%C3%A9" or "%FF" in a path: valid UTF-8 or not)
 * are escaped like control characters: a log line is plain ASCII, so no
 * terminal, viewer or parser sees a byte the client chose. */
static void test_bytes_above_ascii_are_escaped(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	cf_log(CF_LOG_INFO, "http", "GET %s 404", "/v1/caf\xC3\xA9/\xFF\x80\xFE/\x7F");
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_int_equal(count_lines(text, len), 1);
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)text[i] < 0x80);
	assert_non_null(strstr(text, " info http: GET /v1/caf\\xc3\\xa9/\\xff\\x80\\xfe/\\x7f "
	                             "404\n"));
	free(text);
}

static void test_one_write_per_call_to_pipe(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	for (int i = 0; i < 10; i++)
		cf_log(CF_LOG_INFO, "loop", "iteration %d of %d", i, 10);
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_int_equal(count_lines(text, len), 10);
	assert_non_null(strstr(text, " info loop: iteration 9 of 10\n"));
	free(text);
}

static void test_level_filter(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	cf_log_set_level(CF_LOG_WARN);
	assert_int_equal(cf_log_get_level(), CF_LOG_WARN);
	assert_true(cf_log_enabled(CF_LOG_ERROR));
	assert_false(cf_log_enabled(CF_LOG_INFO));
	cf_log(CF_LOG_INFO, "x", "not written");
	cf_log(CF_LOG_DEBUG, "x", "not written");
	cf_log(CF_LOG_ERROR, "x", "written");
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_int_equal(count_lines(text, len), 1);
	assert_non_null(strstr(text, " error x: written\n"));
	free(text);

	cf_log_set_level((enum cf_log_level)42); /* clamped */
	assert_int_equal(cf_log_get_level(), CF_LOG_DEBUG);
}

static void test_level_names(void **state)
{
	(void)state;
	enum cf_log_level lv = CF_LOG_ERROR;
	assert_int_equal(cf_log_level_parse("debug", &lv), CF_OK);
	assert_int_equal(lv, CF_LOG_DEBUG);
	assert_int_equal(cf_log_level_parse("warn", &lv), CF_OK);
	assert_int_equal(lv, CF_LOG_WARN);
	assert_int_equal(cf_log_level_parse("verbose", &lv), CF_ERR_INVALID);
	assert_int_equal(cf_log_level_parse(NULL, &lv), CF_ERR_INVALID);
	assert_int_equal(lv, CF_LOG_WARN); /* untouched on failure */
	assert_string_equal(cf_log_level_name(CF_LOG_ERROR), "error");
	assert_string_equal(cf_log_level_name(CF_LOG_INFO), "info");
}

/* A long message is cut, marked with "…", and an identifier that the cut
 * splits does not leave its first half in the line. */
static void test_long_message_is_cut_safely(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);

	static char big[8192];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cf_log(CF_LOG_INFO, "big", "%s", big);
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_int_equal(count_lines(text, len), 1);
	assert_true(len <= CF_LOG_LINE_MAX);
	assert_true(len > 4 && memcmp(text + len - 4, "\xE2\x80\xA6\n", 4) == 0);
	free(text);

	/* The message buffer ends inside a phone number / NIR / address,
	 * whatever the offset of the cut. */
	static const char *const tails[] = {
		"06 12 34 56 78", "+33 6 12 34 56 78", "1 85 05 78 006 084 36",
		"jean.dupont@example.com", "2 84 12 2A 123 456 78",
	};
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		size_t tl = strlen(tails[t]);
		for (size_t off = 1; off < tl; off++) {
			/* pad so that exactly `off` bytes of the tail fit */
			size_t pad = CF_LOG_MSG_MAX - 1 - off - 1;
			char msg[CF_LOG_MSG_MAX + 64];
			memset(msg, 'w', pad);
			msg[pad] = ' ';
			memcpy(msg + pad + 1, tails[t], tl + 1);
			cf_log(CF_LOG_INFO, "cut", "%s", msg);
			text = slurp_pipe(f->pipe_fd[0], &len);
			assert_int_equal(count_lines(text, len), 1);
			assert_true(memcmp(text + len - 4, "\xE2\x80\xA6\n", 4) == 0);
			/* Nothing after the padding but the ellipsis. */
			const char *after = strrchr(text, 'w');
			assert_non_null(after);
			if (strcmp(after + 1, "\xE2\x80\xA6\n") != 0 &&
			    strcmp(after + 1, " \xE2\x80\xA6\n") != 0) {
				print_error("tail '%s' cut at %zu left '%s'\n", tails[t], off, after + 1);
				fail();
			}
			free(text);
		}
	}
}

/* Whole line is scrubbed: the component too. */
static void test_component_is_scrubbed(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	cf_log(CF_LOG_INFO, "to:a@b.fr", "ok");
	cf_log(CF_LOG_INFO, NULL, "no component");
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_null(strchr(text, '@'));
	assert_non_null(strstr(text, " info to:[email]: ok\n"));
	assert_non_null(strstr(text, " info -: no component\n"));
	free(text);
}

static void test_errno_preserved(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	errno = ENOSPC;
	cf_log(CF_LOG_ERROR, "disk", "write failed: %s", strerror(errno));
	assert_int_equal(errno, ENOSPC);
	size_t len = 0;
	free(slurp_pipe(f->pipe_fd[0], &len));
}

static void test_open_file_errors(void **state)
{
	struct fixture *f = *state;
	cf_log_set_fd(f->pipe_fd[1]);
	assert_int_equal(cf_log_open_file(NULL), CF_ERR_INVALID);
	assert_int_equal(cf_log_open_file(""), CF_ERR_INVALID);
	assert_int_equal(cf_log_open_file("/nonexistent-coffre-dir/x.log"), CF_ERR_IO);
	/* The destination is kept. */
	cf_log(CF_LOG_INFO, "x", "still here");
	size_t len = 0;
	char *text = slurp_pipe(f->pipe_fd[0], &len);
	assert_non_null(strstr(text, " info x: still here\n"));
	free(text);

	/* Reopening (log rotation) appends to the new file. */
	assert_int_equal(cf_log_open_file(f->path), CF_OK);
	cf_log(CF_LOG_INFO, "x", "one");
	assert_int_equal(cf_log_open_file(f->path), CF_OK);
	cf_log(CF_LOG_INFO, "x", "two");
	cf_log_set_fd(-1);
	cf_log(CF_LOG_INFO, "x", "discarded");
	text = slurp_file(f->path, &len);
	assert_int_equal(count_lines(text, len), 2);
	assert_non_null(strstr(text, " x: one\n"));
	assert_non_null(strstr(text, " x: two\n"));
	free(text);
}

#define THREADS 8
#define PER_THREAD 500

static void *log_worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	char body[301];
	memset(body, 'a' + id, sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (int i = 0; i < PER_THREAD; i++)
		cf_log(CF_LOG_INFO, "t", "%d %s %04d", id, body, i);
	return NULL;
}

/* Lines of concurrent threads never interleave. */
static void test_threads_do_not_interleave(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(cf_log_open_file(f->path), CF_OK);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_worker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	cf_log_set_fd(-1);

	size_t len = 0;
	char *text = slurp_file(f->path, &len);
	assert_int_equal(count_lines(text, len), THREADS * PER_THREAD);
	for (char *line = text, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		assert_true(has_timestamp(line));
		const char *msg = strstr(line, " info t: ");
		assert_non_null(msg);
		msg += strlen(" info t: ");
		int id = msg[0] - '0';
		assert_true(id >= 0 && id < THREADS);
		/* "<id> <300 same letters> <4 digits>" */
		assert_int_equal(strlen(msg), 1 + 1 + 300 + 1 + 4);
		for (int k = 0; k < 300; k++)
			assert_int_equal(msg[2 + k], 'a' + id);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_holds_no_pii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_cannot_forge_a_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_above_ascii_are_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_write_per_call_to_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test_setup_teardown(test_long_message_is_cut_safely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_component_is_scrubbed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_preserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_do_not_interleave, setup, teardown),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
