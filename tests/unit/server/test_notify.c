/* Notifications: the e-mail and SMS formats, the input checks done at queue
 * time, the smtp.* / sms.* configuration rules, and the queue (full, retry,
 * drop, bounded shutdown) against local sockets that never deliver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sodium.h>

#include "server/config.h"
#include "server/notify/notify.h"
#include "util/log.h"

static const uint8_t fixed_id[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static cf_err config(struct cf_config *cfg, const char *text, char *msg, size_t cap)
{
	cf_config_defaults(cfg);
	/* These tests are about servers and sinks: no outbox folder in the
	 * working directory (test_notify_outbox.c tests the outbox). */
	snprintf(cfg->notify_outbox, sizeof(cfg->notify_outbox), "off");
	cf_err err = cf_config_parse(cfg, text, strlen(text), msg, cap);
	if (!err)
		err = cf_config_finish(cfg, msg, cap);
	return err;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A TCP port on 127.0.0.1 that refuses connections: bound, not listening,
 * kept until closed (no other process can take it meanwhile). */
static int closed_port(uint16_t *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

/* A port that accepts TCP (the kernel finishes the handshake) but never
 * answers: a peer that hangs. */
static int silent_port(uint16_t *ret_port)
{
	int fd = closed_port(ret_port);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/* ------------------------------------------------------------------------ */

static void addresses(void **state)
{
	static const char *const good[] = {
		"alice@example.org", "a@b", "first.last+tag@sub.example.co.uk",
		"o'brien@example.org", "x_y-z@a-b.example", "user@localhost",
	};
	static const char *const bad[] = {
		"", "alice", "@example.org", "alice@", "alice@@example.org", "a@b@c",
		".alice@example.org", "alice.@example.org", "al..ice@example.org",
		"alice@-example.org", "alice@example-.org", "alice@example..org", "alice@example.org.",
		"alice@.example.org", "alice smith@example.org", "alice@exa mple.org",
		"\"alice\"@example.org", "alice@[127.0.0.1]", "<alice@example.org>",
		"alice@example.org\r\nRCPT TO:<x@y>", "alice@example.org,bob@example.org",
		"al\xc3\xa9@example.org", "alice@ex\xc3\xa4mple.org", "alice@example.org\n",
		"alice@exa_mple.org",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!cf_mail_address_ok(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cf_mail_address_ok(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(cf_mail_address_ok(NULL));

	char local[70], longest[300];
	memset(local, 'a', 64);
	local[64] = '\0';
	snprintf(longest, sizeof(longest), "%s@example.org", local);
	assert_true(cf_mail_address_ok(longest));
	local[64] = 'a';
	local[65] = '\0';
	snprintf(longest, sizeof(longest), "%s@example.org", local);
	assert_false(cf_mail_address_ok(longest));
	/* 255 bytes in all: over the path limit */
	char big[256];
	memcpy(big, "a@", 2);
	for (size_t i = 2; i < 255; i++)
		big[i] = (i % 60 == 0) ? '.' : 'b';
	big[255] = '\0';
	assert_false(cf_mail_address_ok(big));
}

static void phones_are_e164(void **state)
{
	static const char *const good[] = {
		"+33612345678", "+12025550123", "+4915123456789", "+12345678", "+123456789012345",
	};
	static const char *const bad[] = {
		"", "+", "33612345678", "0612345678", "+3361234", "+1234567890123456",
		"+0612345678", "+33 6 12 34 56 78", "+33-612345678", "++33612345678",
		"+33612345678\n", "+33612345678x", "+３３612345678", "0033612345678",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!cf_phone_ok(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cf_phone_ok(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(cf_phone_ok(NULL));
}

static void format(char *out, size_t cap, const char *to, const char *subject,
                   const char *text, cf_err want)
{
	size_t len = 0;
	cf_err err = cf_mail_format(out, cap, &len, "coffre@mail.example.org", to, subject, text,
	                            1700000000, fixed_id);
	if (err != want)
		fail_msg("format(%s, %s): %d, wanted %d", to, subject, err, want);
	if (!err)
		assert_int_equal(len, strlen(out));
}

static void every_line_ends_with_crlf(const char *m)
{
	for (const char *p = m; *p; p++) {
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
	size_t n = strlen(m);
	assert_true(n >= 2 && m[n - 2] == '\r' && m[n - 1] == '\n');
}

static void mail_headers_and_crlf(void **state)
{
	char out[8192];
	format(out, sizeof(out), "alice@example.org", "Your coffre code",
	       "Your code is 123456.\nIt expires in 10 minutes.\r\n\n.a line with a dot\n",
	       CF_OK);
	static const char *const want[] = {
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
		"\r\nFrom: coffre@mail.example.org\r\n",
		"\r\nTo: alice@example.org\r\n",
		"\r\nSubject: Your coffre code\r\n",
		"\r\nMessage-ID: <000102030405060708090a0b0c0d0e0f@mail.example.org>\r\n",
		"\r\nMIME-Version: 1.0\r\n",
		"\r\nContent-Type: text/plain; charset=utf-8\r\n",
		"\r\nContent-Transfer-Encoding: 8bit\r\n",
		"\r\nAuto-Submitted: auto-generated\r\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(out, want[i]))
			fail_msg("missing %s in:\n%s", want[i], out);
	assert_int_equal(strncmp(out, "Date: ", 6), 0);
	every_line_ends_with_crlf(out);
	const char *body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	/* dot-stuffing is libcurl's job: the message keeps the dot as is */
	assert_string_equal(body + 4, "Your code is 123456.\r\nIt expires in 10 minutes.\r\n\r\n"
	                    ".a line with a dot\r\n");
	/* a text without a final line end gets one */
	format(out, sizeof(out), "alice@example.org", "s", "no final newline", CF_OK);
	assert_non_null(strstr(out, "\r\n\r\nno final newline\r\n"));
	every_line_ends_with_crlf(out);
}

static void header_injection_is_refused(void **state)
{
	char out[8192];
	static const char *const subjects[] = {
		"Hello\r\nBcc: eve@example.org", "Hello\nBcc: eve@example.org", "Hello\rX",
		"tab\there", "nul\x7f", "", "bad utf-8 \xc3\x28", "overlong \xc0\xaf",
		"surrogate \xed\xa0\x80",
	};
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		format(out, sizeof(out), "alice@example.org", subjects[i], "t", CF_ERR_INVALID);
	static const char *const tos[] = {
		"alice@example.org\r\nBcc: eve@example.org", "alice@example.org\n",
		"alice@example.org>", "Alice <alice@example.org>", "",
	};
	for (size_t i = 0; i < sizeof(tos) / sizeof(tos[0]); i++)
		format(out, sizeof(out), tos[i], "s", "t", CF_ERR_INVALID);
	size_t len;
	assert_int_equal(cf_mail_format(out, sizeof(out), &len, "bad from", "a@b", "s", "t",
	                                1700000000, fixed_id), CF_ERR_INVALID);
	assert_int_equal(cf_mail_format(out, sizeof(out), &len, "a@b", "a@b", NULL, "t",
	                                1700000000, fixed_id), CF_ERR_INVALID);
	assert_int_equal(cf_mail_format(out, sizeof(out), &len, "a@b", "a@b", "s", NULL,
	                                1700000000, fixed_id), CF_ERR_INVALID);
}

static void subject_length_is_capped(void **state)
{
	char out[8192], subject[CF_MAIL_SUBJECT_MAX + 2];
	memset(subject, 's', CF_MAIL_SUBJECT_MAX);
	subject[CF_MAIL_SUBJECT_MAX] = '\0';
	format(out, sizeof(out), "alice@example.org", subject, "t", CF_OK);
	subject[CF_MAIL_SUBJECT_MAX] = 's';
	subject[CF_MAIL_SUBJECT_MAX + 1] = '\0';
	format(out, sizeof(out), "alice@example.org", subject, "t", CF_ERR_INVALID);
}

/* Decodes every encoded word of the Subject header back to UTF-8. */
static void decode_subject(const char *msg, char *out, size_t cap)
{
	const char *s = strstr(msg, "\r\nSubject: ");
	assert_non_null(s);
	s += 11;
	const char *end = strstr(s, "\r\nMessage-ID:");
	assert_non_null(end);
	size_t used = 0;
	while (s < end) {
		const char *w = strstr(s, "=?utf-8?B?");
		assert_true(w && w < end);
		const char *q = strstr(w + 10, "?=");
		assert_true(q && q < end);
		/* RFC 2047: an encoded word is at most 75 characters */
		assert_true(q + 2 - w <= 75);
		size_t n = 0;
		assert_int_equal(sodium_base642bin((unsigned char *)out + used, cap - used, w + 10,
		                                   (size_t)(q - w - 10), NULL, &n, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL), 0);
		/* every word holds whole characters */
		assert_true((out[used] & 0xc0) != 0x80);
		used += n;
		s = q + 2;
		if (s < end) {
			assert_int_equal(strncmp(s, "\r\n ", 3), 0);   /* folded */
			s += 3;
		}
	}
	out[used] = '\0';
}

static void non_ascii_subject_is_encoded(void **state)
{
	char out[8192], back[512];
	const char *subject = "Invitation \xc3\xa0 coffre \xe2\x80\x94 code";
	format(out, sizeof(out), "alice@example.org", subject, "Bonjour \xc3\xa9t\xc3\xa9\n", CF_OK);
	decode_subject(out, back, sizeof(back));
	assert_string_equal(back, subject);
	/* the body is sent as 8bit UTF-8 */
	assert_non_null(strstr(out, "\r\n\r\nBonjour \xc3\xa9t\xc3\xa9\r\n"));

	/* 100 two-byte characters: several words, none splits a character */
	char longs[CF_MAIL_SUBJECT_MAX + 1];
	for (size_t i = 0; i < CF_MAIL_SUBJECT_MAX; i += 2) {
		longs[i] = (char)0xc3;
		longs[i + 1] = (char)0xa9;
	}
	longs[CF_MAIL_SUBJECT_MAX] = '\0';
	format(out, sizeof(out), "alice@example.org", longs, "t", CF_OK);
	decode_subject(out, back, sizeof(back));
	assert_string_equal(back, longs);
	every_line_ends_with_crlf(out);
	/* ASCII that looks like an encoded word is encoded too */
	format(out, sizeof(out), "alice@example.org", "=?utf-8?B?QQ==?=", "t", CF_OK);
	decode_subject(out, back, sizeof(back));
	assert_string_equal(back, "=?utf-8?B?QQ==?=");
}

static void body_rules(void **state)
{
	char out[40000];
	char line[CF_MAIL_LINE_MAX + 3];
	memset(line, 'x', CF_MAIL_LINE_MAX);
	line[CF_MAIL_LINE_MAX] = '\n';
	line[CF_MAIL_LINE_MAX + 1] = '\0';
	format(out, sizeof(out), "a@b", "s", line, CF_OK);
	line[CF_MAIL_LINE_MAX] = 'x';
	line[CF_MAIL_LINE_MAX + 1] = '\n';
	line[CF_MAIL_LINE_MAX + 2] = '\0';
	format(out, sizeof(out), "a@b", "s", line, CF_ERR_INVALID);
	format(out, sizeof(out), "a@b", "s", "a lone\rCR", CF_ERR_INVALID);
	format(out, sizeof(out), "a@b", "s", "", CF_ERR_INVALID);
	format(out, sizeof(out), "a@b", "s", "bad \xff utf-8", CF_ERR_INVALID);

	/* the longest text, all line ends: fits the advertised capacity */
	static char text[CF_MAIL_TEXT_MAX + 2];
	memset(text, '\n', CF_MAIL_TEXT_MAX);
	text[CF_MAIL_TEXT_MAX] = '\0';
	char subject[CF_MAIL_SUBJECT_MAX + 1];
	memset(subject, 0, sizeof(subject));
	for (size_t i = 0; i + 3 <= CF_MAIL_SUBJECT_MAX; i += 3)
		memcpy(subject + i, "\xe2\x82\xac", 3);   /* euro signs */
	size_t cap = cf_mail_format_cap(subject, text);
	char *big = malloc(cap);
	assert_non_null(big);
	size_t len;
	assert_int_equal(cf_mail_format(big, cap, &len, "a@b", "a@b", subject, text, 0, fixed_id),
	                 CF_OK);
	assert_true(len < cap);
	/* a buffer one byte short is CF_ERR_TOO_LARGE, never a cut message */
	assert_int_equal(cf_mail_format(big, len, &len, "a@b", "a@b", subject, text, 0, fixed_id),
	                 CF_ERR_TOO_LARGE);
	free(big);
	text[CF_MAIL_TEXT_MAX] = '\n';
	text[CF_MAIL_TEXT_MAX + 1] = '\0';
	format(out, sizeof(out), "a@b", "s", text, CF_ERR_INVALID);
}

static void sms_json(void **state)
{
	char out[256];
	size_t len = 0;
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "+33612345678",
	                               "coffre code 123456"), CF_OK);
	assert_string_equal(out, "{\"to\":\"+33612345678\",\"text\":\"coffre code 123456\"}");
	assert_int_equal(len, strlen(out));
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "+33612345678",
	                               "say \"hi\"\\\nnext \xc3\xa9"), CF_OK);
	assert_string_equal(out, "{\"to\":\"+33612345678\",\"text\":\"say \\\"hi\\\"\\\\\\nnext \xc3\xa9\"}");
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "0612345678", "t"), CF_ERR_INVALID);
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "+33612345678", ""), CF_ERR_INVALID);
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "+33612345678", "a\rb"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_sms_format(out, sizeof(out), &len, "+33612345678", "\xc3"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_sms_format(out, 20, &len, "+33612345678", "too long for 20"),
	                 CF_ERR_TOO_LARGE);
	static char text[CF_SMS_TEXT_MAX + 2];
	memset(text, '"', CF_SMS_TEXT_MAX);   /* worst escaping */
	static char big[6 * CF_SMS_TEXT_MAX + 64];
	assert_int_equal(cf_sms_format(big, sizeof(big), &len, "+33612345678", text), CF_OK);
	text[CF_SMS_TEXT_MAX] = '"';
	assert_int_equal(cf_sms_format(big, sizeof(big), &len, "+33612345678", text),
	                 CF_ERR_INVALID);
}

struct cfg_case {
	const char *text;
	cf_err want;
	const char *must_contain[2];
};

static void config_rules(void **state)
{
	static const struct cfg_case cases[] = {
		{ "", CF_OK, { NULL } },
		{ "smtp.url = smtp://127.0.0.1:2525\nsmtp.from = coffre@example.org\n", CF_OK, { NULL } },
		{ "smtp.url = smtps://mail.example.org:465\nsmtp.from = a@example.org\n"
		  "smtp.username = coffre\nsmtp.password_file = /run/secrets/smtp\n", CF_OK, { NULL } },
		{ "smtp.url = smtp://mail.example.org/coffre.example.org\nsmtp.from = a@example.org\n"
		  "smtp.starttls = required\n", CF_OK, { NULL } },
		{ "smtp.url = http://mail.example.org\nsmtp.from = a@example.org\n",
		  CF_ERR_CONFIG, { "'smtp.url'", "smtp://" } },
		{ "smtp.url = mail.example.org\nsmtp.from = a@example.org\n",
		  CF_ERR_CONFIG, { "'smtp.url'", NULL } },
		{ "smtp.url = smtp://user:hunter2@mail.example.org\nsmtp.from = a@example.org\n",
		  CF_ERR_CONFIG, { "'smtp.url'", "smtp.password_file" } },
		{ "smtp.url = smtp://127.0.0.1:2525\n", CF_ERR_CONFIG, { "'smtp.from'", "required" } },
		{ "smtp.url = smtp://127.0.0.1:2525\nsmtp.from = not an address\n",
		  CF_ERR_CONFIG, { "'smtp.from'", "address" } },
		{ "smtp.from = a@example.org\n", CF_ERR_CONFIG, { "'smtp.from'", "smtp.url" } },
		{ "smtp.starttls = required\n", CF_ERR_CONFIG, { "'smtp.starttls'", "smtp.url" } },
		{ "smtp.starttls = maybe\n", CF_ERR_CONFIG, { "'smtp.starttls'", "off, required" } },
		{ "smtp.url = smtp://127.0.0.1:2525\nsmtp.from = a@example.org\nsmtp.username = u\n",
		  CF_ERR_CONFIG, { "smtp.password_file", "both" } },
		{ "smtp.url = smtp://127.0.0.1:2525\nsmtp.from = a@example.org\n"
		  "smtp.password_file = /p\n", CF_ERR_CONFIG, { "smtp.username", "both" } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "smtp.url = smtp://mail.example.org\nsmtp.from = a@example.org\n",
		  CF_ERR_CONFIG, { "'smtp.starttls'", "production" } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "smtp.url = smtp://mail.example.org\nsmtp.from = a@example.org\n"
		  "smtp.starttls = off\n", CF_ERR_CONFIG, { "'smtp.starttls'", "required" } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "smtp.url = smtp://mail.example.org\nsmtp.from = a@example.org\n"
		  "smtp.starttls = required\n", CF_OK, { NULL } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "smtp.url = smtps://mail.example.org\nsmtp.from = a@example.org\n", CF_OK, { NULL } },
		{ "sms.gateway_url = http://127.0.0.1:9999/send\n", CF_OK, { NULL } },
		{ "sms.gateway_url = http://[::1]:9999/send\n", CF_OK, { NULL } },
		{ "sms.gateway_url = https://sms.example.org/v1/send\nsms.token_file = /t\n",
		  CF_OK, { NULL } },
		{ "sms.gateway_url = http://sms.example.org/send\n",
		  CF_ERR_CONFIG, { "'sms.gateway_url'", "127.0.0.1" } },
		{ "sms.gateway_url = ftp://sms.example.org/send\n",
		  CF_ERR_CONFIG, { "'sms.gateway_url'", "https://" } },
		{ "sms.gateway_url = https://tok:s3cr3tpw@sms.example.org/send\n",
		  CF_ERR_CONFIG, { "'sms.gateway_url'", "sms.token_file" } },
		{ "sms.gateway_url = https://sms.example.org/a b\n",
		  CF_ERR_CONFIG, { "'sms.gateway_url'", "spaces" } },
		{ "sms.token_file = /t\n", CF_ERR_CONFIG, { "'sms.token_file'", "sms.gateway_url" } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "sms.gateway_url = http://127.0.0.1:9999/send\n",
		  CF_ERR_CONFIG, { "'sms.gateway_url'", "production" } },
		{ "environment = production\ntls.cert_file = /c\ntls.key_file = /k\n"
		  "sms.gateway_url = https://sms.example.org/send\n", CF_OK, { NULL } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cf_config cfg;
		char msg[512] = "";
		cf_err err = config(&cfg, cases[i].text, msg, sizeof(msg));
		if (err != cases[i].want)
			fail_msg("case %zu: %d (%s), wanted %d", i, err, msg, cases[i].want);
		for (size_t j = 0; j < 2 && cases[i].must_contain[j]; j++)
			if (!strstr(msg, cases[i].must_contain[j]))
				fail_msg("case %zu: '%s' not in '%s'", i, cases[i].must_contain[j], msg);
		/* a refusal never echoes a password that was inside a URL */
		assert_null(strstr(msg, "hunter2"));
		assert_null(strstr(msg, "s3cr3tpw"));
	}
}

static void unconfigured_channels_are_unsupported(void **state)
{
	struct cf_config cfg;
	char msg[256];
	assert_int_equal(config(&cfg, "", msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	assert_false(cf_notifier_has(n, CF_NOTIFY_EMAIL));
	assert_false(cf_notifier_has(n, CF_NOTIFY_SMS));
	assert_int_equal(cf_notify_email(n, "a@example.org", "s", "t"), CF_ERR_UNSUPPORTED);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "t"), CF_ERR_UNSUPPORTED);
	assert_int_equal(cf_notifier_flush(n, 10), CF_OK);
	cf_notifier_free(n);
	assert_int_equal(cf_notify_email(NULL, "a@example.org", "s", "t"), CF_ERR_UNSUPPORTED);
	assert_false(cf_notifier_has(NULL, CF_NOTIFY_SMS));
	cf_notifier_free(NULL);
}

static cf_notifier *notifier_at(uint16_t smtp_port, uint16_t sms_port,
                                const struct cf_notify_tuning *t)
{
	char text[512], msg[256];
	snprintf(text, sizeof(text),
	         "smtp.url = smtp://127.0.0.1:%u\nsmtp.from = coffre@example.org\n"
	         "sms.gateway_url = http://127.0.0.1:%u/send\n", smtp_port, sms_port);
	struct cf_config cfg;
	assert_int_equal(config(&cfg, text, msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	if (cf_notifier_new_tuned(&n, &cfg, t, msg, sizeof(msg)))
		fail_msg("%s", msg);
	assert_true(cf_notifier_has(n, CF_NOTIFY_EMAIL));
	assert_true(cf_notifier_has(n, CF_NOTIFY_SMS));
	return n;
}

static void bad_input_is_refused_at_queue_time(void **state)
{
	uint16_t port;
	int fd = closed_port(&port);
	struct cf_notify_tuning t = { .backoff_ms = 60000, .drain_ms = 100 };
	cf_notifier *n = notifier_at(port, port, &t);
	assert_int_equal(cf_notify_email(n, "a@example.org\r\nBcc: e@x.org", "s", "t"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_notify_email(n, "a@example.org", "s\r\nBcc: e@x.org", "t"),
	                 CF_ERR_INVALID);
	assert_int_equal(cf_notify_email(n, "a@example.org", "s", "line\rCR"), CF_ERR_INVALID);
	assert_int_equal(cf_notify_email(n, NULL, "s", "t"), CF_ERR_INVALID);
	assert_int_equal(cf_notify_sms(n, "+33 6 12 34 56 78", "t"), CF_ERR_INVALID);
	assert_int_equal(cf_notify_sms(n, "+33612345678", ""), CF_ERR_INVALID);
	struct cf_notify_stats s;
	cf_notifier_stats(n, CF_NOTIFY_EMAIL, &s);
	assert_int_equal(s.queued, 0);
	cf_notifier_stats(n, CF_NOTIFY_SMS, &s);
	assert_int_equal(s.queued, 0);
	cf_notifier_free(n);
	close(fd);
}

/* Messages wait for their retry (60 s) in the queue: it fills up. */
static void full_queue_is_busy(void **state)
{
	uint16_t port;
	int fd = closed_port(&port);
	struct cf_notify_tuning t = { .queue_max = 8, .attempts = 3, .backoff_ms = 60000,
	                              .drain_ms = 300 };
	cf_notifier *n = notifier_at(port, port, &t);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(cf_notify_email(n, "a@example.org", "s", "code 123456"), CF_OK);
		assert_int_equal(cf_notify_sms(n, "+33612345678", "code 123456"), CF_OK);
	}
	uint64_t start = mono_ms();
	assert_int_equal(cf_notify_email(n, "a@example.org", "s", "t"), CF_ERR_BUSY);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "t"), CF_ERR_BUSY);
	/* queueing never waits for the network */
	assert_true(mono_ms() - start < 100);
	struct cf_notify_stats s;
	cf_notifier_stats(n, CF_NOTIFY_EMAIL, &s);
	assert_int_equal(s.queued, 8);
	assert_int_equal(s.waiting, 8);
	assert_int_equal(s.sent, 0);
	assert_int_equal(cf_notifier_flush(n, 50), CF_ERR_BUSY);
	/* shutdown: one last attempt each within drain_ms, then all dropped */
	start = mono_ms();
	cf_notifier_free(n);
	assert_true(mono_ms() - start < 3000);
	close(fd);
}

/* Fast retries (injected delays) against a refusing port: every attempt is
 * made, then the message is dropped; nothing personal reaches the log. */
static void retries_then_drop_and_log_nothing_personal(void **state)
{
	char logpath[] = "/tmp/coffre-notify-log-XXXXXX";
	int logfd = mkstemp(logpath);
	assert_true(logfd >= 0);
	cf_log_set_fd(logfd);

	uint16_t port;
	int fd = closed_port(&port);
	struct cf_notify_tuning t = { .attempts = 3, .backoff_ms = 10, .backoff_max_ms = 20,
	                              .drain_ms = 100 };
	cf_notifier *n = notifier_at(port, port, &t);
	assert_int_equal(cf_notify_email(n, "alice@example.org", "Code", "Your code: 482913\n"),
	                 CF_OK);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "Your code: 482913"), CF_OK);
	assert_int_equal(cf_notifier_flush(n, 5000), CF_OK);
	struct cf_notify_stats s;
	for (int ch = CF_NOTIFY_EMAIL; ch <= CF_NOTIFY_SMS; ch++) {
		cf_notifier_stats(n, (enum cf_notify_channel)ch, &s);
		assert_int_equal(s.queued, 1);
		assert_int_equal(s.sent, 0);
		assert_int_equal(s.retried, 2);
		assert_int_equal(s.dropped, 1);
		assert_int_equal(s.waiting, 0);
	}
	cf_notifier_free(n);
	close(fd);

	cf_log_set_fd(-1);
	char buf[8192];
	ssize_t len = pread(logfd, buf, sizeof(buf) - 1, 0);
	close(logfd);
	unlink(logpath);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_non_null(strstr(buf, "e-mail delivery failed: Couldn't connect to server"));
	assert_non_null(strstr(buf, "SMS delivery failed: Couldn't connect to server"));
	assert_non_null(strstr(buf, "dropped"));
	/* the scrubber would have left [email]/[phone]: nothing was there to scrub */
	static const char *const never[] = { "alice", "example.org", "482913", "[email]",
	                                     "[phone]", "33612345678" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (strstr(buf, never[i]))
			fail_msg("'%s' in the log:\n%s", never[i], buf);
}

/* A server that accepts the connection and never answers: free() still
 * returns soon after drain_ms (the transfer is cut), the message dropped. */
static void shutdown_is_bounded_by_drain(void **state)
{
	uint16_t port;
	int fd = silent_port(&port);
	struct cf_notify_tuning t = { .drain_ms = 300, .mail_timeout_ms = 60000,
	                              .sms_timeout_ms = 60000 };
	cf_notifier *n = notifier_at(port, port, &t);
	assert_int_equal(cf_notify_email(n, "a@example.org", "s", "t"), CF_OK);
	assert_int_equal(cf_notify_sms(n, "+33612345678", "t"), CF_OK);
	usleep(200 * 1000);   /* the threads are now waiting for an answer */
	uint64_t start = mono_ms();
	cf_notifier_free(n);
	uint64_t took = mono_ms() - start;
	if (took > 2500)
		fail_msg("free took %llu ms", (unsigned long long)took);
	close(fd);
}

static void secret_files_are_checked(void **state)
{
	char dir[] = "/tmp/coffre-notify-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], text[1024], msg[512];
	snprintf(path, sizeof(path), "%s/smtp.password", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "pw\n", 3), 3);
	close(fd);
	chmod(path, 0644);
	snprintf(text, sizeof(text),
	         "smtp.url = smtp://127.0.0.1:1\nsmtp.from = a@example.org\n"
	         "smtp.username = coffre\nsmtp.password_file = %s\n", path);
	struct cf_config cfg;
	assert_int_equal(config(&cfg, text, msg, sizeof(msg)), CF_OK);
	cf_notifier *n = NULL;
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_ERR_DENIED);
	assert_null(n);
	assert_non_null(strstr(msg, "smtp.password_file"));
	assert_non_null(strstr(msg, "0600"));
	chmod(path, 0600);
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_OK);
	cf_notifier_free(n);
	n = NULL;

	/* a token with a space cannot be a header value */
	char tpath[256];
	snprintf(tpath, sizeof(tpath), "%s/sms.token", dir);
	fd = open(tpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "two words\n", 10), 10);
	close(fd);
	snprintf(text, sizeof(text), "sms.gateway_url = http://127.0.0.1:1/send\n"
	         "sms.token_file = %s\n", tpath);
	assert_int_equal(config(&cfg, text, msg, sizeof(msg)), CF_OK);
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "sms.token_file"));
	assert_null(strstr(msg, "two words"));
	/* a missing file names the key */
	snprintf(text, sizeof(text), "sms.gateway_url = http://127.0.0.1:1/send\n"
	         "sms.token_file = %s/none\n", dir);
	assert_int_equal(config(&cfg, text, msg, sizeof(msg)), CF_OK);
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_ERR_NOT_FOUND);
	assert_non_null(strstr(msg, "sms.token_file"));
	/* an empty one too */
	fd = open(tpath, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	snprintf(text, sizeof(text), "sms.gateway_url = http://127.0.0.1:1/send\n"
	         "sms.token_file = %s\n", tpath);
	assert_int_equal(config(&cfg, text, msg, sizeof(msg)), CF_OK);
	assert_int_equal(cf_notifier_new(&n, &cfg, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "empty"));
	unlink(tpath);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	cf_log_set_fd(-1);   /* the expected failures are noisy; one test reads the log */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses),
		cmocka_unit_test(phones_are_e164),
		cmocka_unit_test(mail_headers_and_crlf),
		cmocka_unit_test(header_injection_is_refused),
		cmocka_unit_test(subject_length_is_capped),
		cmocka_unit_test(non_ascii_subject_is_encoded),
		cmocka_unit_test(body_rules),
		cmocka_unit_test(sms_json),
		cmocka_unit_test(config_rules),
		cmocka_unit_test(unconfigured_channels_are_unsupported),
		cmocka_unit_test(bad_input_is_refused_at_queue_time),
		cmocka_unit_test(full_queue_is_busy),
		cmocka_unit_test(retries_then_drop_and_log_nothing_personal),
		cmocka_unit_test(shutdown_is_bounded_by_drain),
		cmocka_unit_test(secret_files_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
