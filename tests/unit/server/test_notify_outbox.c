/* The outbox (issue 7): in environment = test, e-mail and SMS without a
 * server become one file each in DATA/outbox; production never does this. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "server/config.h"
#include "server/notify/notify.h"

static char tmpdir[] = "/tmp/coffre-outbox-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A config whose data_dir is a fresh folder under tmpdir. */
static cf_err config(struct cf_config *cfg, const char *name, const char *extra,
                     char *msg, size_t cap)
{
	char text[1024];
	snprintf(text, sizeof(text), "data_dir = %s/%s\n%s", tmpdir, name, extra);
	cf_config_defaults(cfg);
	cf_err err = cf_config_parse(cfg, text, strlen(text), msg, cap);
	if (!err)
		err = cf_config_finish(cfg, msg, cap);
	return err;
}

/* The names in dir, sorted; returns how many (at most max). */
static size_t list(const char *dir, char names[][256], size_t max)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	qsort(names, n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* 20261206T041502.123456Z-000001-9f3a61c2.eml */
static void assert_name_shape(const char *name, const char *ext)
{
	assert_int_equal(strlen(name), 43);
	assert_int_equal(name[8], 'T');
	assert_int_equal(name[15], '.');
	assert_int_equal(name[22], 'Z');
	assert_int_equal(name[23], '-');
	assert_int_equal(name[30], '-');
	assert_string_equal(name + 43 - strlen(ext), ext);
}

static void test_env_writes_mail_and_sms_files(void **state)
{
	struct cf_config cfg;
	char msg[256] = "";
	assert_int_equal(config(&cfg, "a", "", msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	if (cf_notifier_new(&n, &cfg, msg, sizeof(msg)))
		fail_msg("%s", msg);
	assert_true(cf_notifier_has(n, CF_NOTIFY_EMAIL));
	assert_true(cf_notifier_has(n, CF_NOTIFY_SMS));
	bool m = false, s = false;
	const char *ob = cf_notifier_outbox(n, &m, &s);
	assert_non_null(ob);
	assert_true(m && s);
	char want[512];
	snprintf(want, sizeof(want), "%s/a/outbox", tmpdir);
	assert_string_equal(ob, want);
	struct stat st;
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(cf_notify_email(n, "alice@example.org", "Your coffre login code",
	                                 "Your coffre login code is 123456.\nBye"), CF_OK);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "code 654321"), CF_OK);
	assert_int_equal(cf_notifier_flush(n, 5000), CF_OK);
	struct cf_notify_stats stats;
	cf_notifier_stats(n, CF_NOTIFY_EMAIL, &stats);
	assert_int_equal(stats.sent, 1);
	cf_notifier_stats(n, CF_NOTIFY_SMS, &stats);
	assert_int_equal(stats.sent, 1);

	char names[8][256];
	assert_int_equal(list(want, names, 8), 2);   /* no temporary file left */
	const char *eml = strstr(names[0], ".eml") ? names[0] : names[1];
	const char *txt = eml == names[0] ? names[1] : names[0];
	assert_name_shape(eml, ".eml");
	assert_name_shape(txt, ".txt");

	char path[800];
	snprintf(path, sizeof(path), "%s/%s", want, eml);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	const char *body = slurp(path);
	/* the RFC 5322 message the SMTP backend would send */
	assert_non_null(strstr(body, "\r\nFrom: coffre@localhost\r\n"));
	assert_non_null(strstr(body, "\r\nTo: alice@example.org\r\n"));
	assert_non_null(strstr(body, "\r\nSubject: Your coffre login code\r\n"));
	assert_non_null(strstr(body, "\r\nMessage-ID: <"));
	assert_non_null(strstr(body, "@localhost>\r\n"));
	assert_non_null(strstr(body, "\r\n\r\nYour coffre login code is 123456.\r\nBye\r\n"));
	assert_int_equal(strncmp(body, "Date: ", 6), 0);

	snprintf(path, sizeof(path), "%s/%s", want, txt);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	body = slurp(path);
	assert_int_equal(strncmp(body, "To: +33612345678\nDate: ", 23), 0);
	assert_non_null(strstr(body, "\n\ncode 654321\n"));

	/* bad input is refused before anything is written */
	assert_int_equal(cf_notify_email(n, "a@example.org", "s\r\nBcc: e@x.org", "t"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_notify_sms(n, "0612345678", "t"), CF_ERR_INVALID);
	cf_notifier_free(n);
	assert_int_equal(list(want, names, 8), 2);
}

static void names_sort_by_time_and_are_unique(void **state)
{
	struct cf_config cfg;
	char msg[256] = "";
	assert_int_equal(config(&cfg, "b", "", msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	enum { N = 20 };
	for (int i = 0; i < N; i++) {
		char text[32];
		snprintf(text, sizeof(text), "message %02d", i);
		assert_int_equal(cf_notify_email(n, "bob@example.org", "s", text), CF_OK);
	}
	assert_int_equal(cf_notifier_flush(n, 5000), CF_OK);
	cf_notifier_free(n);
	char dir[512], names[N + 2][256];
	snprintf(dir, sizeof(dir), "%s/b/outbox", tmpdir);
	assert_int_equal(list(dir, names, N + 2), N);
	for (int i = 0; i < N; i++) {   /* sorted names = queue order */
		char path[800], want[32];
		snprintf(path, sizeof(path), "%s/%.255s", dir, names[i]);
		snprintf(want, sizeof(want), "\r\n\r\nmessage %02d\r\n", i);
		assert_non_null(strstr(slurp(path), want));
	}
}

static void production_never_uses_the_outbox(void **state)
{
	struct cf_config cfg;
	char msg[256] = "";
	assert_int_equal(config(&cfg, "c", "environment = production\ntls.cert_file = /c\n"
	                        "tls.key_file = /k\n", msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	assert_false(cf_notifier_has(n, CF_NOTIFY_EMAIL));
	assert_false(cf_notifier_has(n, CF_NOTIFY_SMS));
	assert_null(cf_notifier_outbox(n, NULL, NULL));
	assert_int_equal(cf_notify_email(n, "a@example.org", "s", "t"), CF_ERR_UNSUPPORTED);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "t"), CF_ERR_UNSUPPORTED);
	cf_notifier_free(n);
	char dir[512];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/c/outbox", tmpdir);
	assert_int_not_equal(stat(dir, &st), 0);   /* no folder made */
}

static void off_and_per_channel(void **state)
{
	struct cf_config cfg;
	char msg[256] = "";
	/* notify.outbox = off: no server means off, as in production */
	assert_int_equal(config(&cfg, "d", "notify.outbox = off\n", msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	assert_false(cf_notifier_has(n, CF_NOTIFY_EMAIL));
	assert_null(cf_notifier_outbox(n, NULL, NULL));
	cf_notifier_free(n);
	assert_int_equal(config(&cfg, "d", "notify.outbox = maybe\n", msg, sizeof(msg)),
	                 CF_ERR_CONFIG);

	/* a configured channel keeps its server; only the other one goes to the outbox */
	assert_int_equal(config(&cfg, "e", "smtp.url = smtp://127.0.0.1:9\n"
	                        "smtp.from = coffre@example.org\n", msg, sizeof(msg)), CF_OK);
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	bool m = true, s = false;
	assert_non_null(cf_notifier_outbox(n, &m, &s));
	assert_false(m);
	assert_true(s);
	cf_notifier_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_writes_mail_and_sms_files),
		cmocka_unit_test(names_sort_by_time_and_are_unique),
		cmocka_unit_test(production_never_uses_the_outbox),
		cmocka_unit_test(off_and_per_channel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
