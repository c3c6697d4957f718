/* Unit tests of the PII scrubber (util/scrub.h): samples of every format in
 * DESIGN §7 must not survive; log vocabulary (ids, timestamps, addresses,
 * statuses, durations) must survive unchanged; truncation never leaves a
 * prefix of an identifier or half a marker; the pass stays linear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/scrub.h"

struct pii_sample {
	const char *in;
	const char *secret;  /* the identifier as written in `in` */
	const char *secret2; /* a second one, or NULL */
};

/* Every sample must lose its identifier(s). */
static const struct pii_sample pii_samples[] = {
	/* e-mail addresses */
	{ "john.doe@example.com", "john.doe@example.com", NULL },
	{ "Contact: <Jane.Doe+tag@mail.example.co.uk>", "Jane.Doe+tag@mail.example.co.uk", NULL },
	{ "{\"email\":\"first_last-99@sub.domain.fr\"}", "first_last-99@sub.domain.fr", NULL },
	{ "\"JOHN.DOE@EXAMPLE.COM\"", "JOHN.DOE@EXAMPLE.COM", NULL },
	{ "GET /v1/users?email=john.doe%40example.com&page=2", "john.doe%40example.com", NULL },
	{ "GET /v1/users?email=john%2Bdoe%40example.com", "john%2Bdoe%40example.com", NULL },
	{ "mailto:a.b-c_d@x.io, then", "a.b-c_d@x.io", NULL },
	{ "(user@example.org)", "user@example.org", NULL },
	{ "email='marie.curie@univ-paris.fr'.", "marie.curie@univ-paris.fr", NULL },
	{ "alice@example.com is blocked", "alice@example.com", NULL },
	{ "blocked: bob@example.net", "bob@example.net", NULL },
	{ "user j\xC3\xA9r\xC3\xB4me@exemple.fr failed", "j\xC3\xA9r\xC3\xB4me@exemple.fr", NULL },
	{ "[\"a@b.fr\",\"c@d.fr\"]", "a@b.fr", "c@d.fr" },
	{ "login failed for Postmaster@Sub.Example.COM;", "Postmaster@Sub.Example.COM", NULL },
	/* French national phone numbers */
	{ "0612345678", "0612345678", NULL },
	{ "call 06 12 34 56 78 now", "06 12 34 56 78", NULL },
	{ "tel.06.12.34.56.78", "06.12.34.56.78", NULL },
	{ "06-12-34-56-78!", "06-12-34-56-78", NULL },
	{ "fax 06/12/34/56/78", "06/12/34/56/78", NULL },
	{ "{\"phone\":\"0712345678\"}", "0712345678", NULL },
	{ "fixe: 01 23 45 67 89.", "01 23 45 67 89", NULL },
	{ "q=06+12+34+56+78&x=y", "06+12+34+56+78", NULL },
	{ "0612345678,0698765432", "0612345678", "0698765432" },
	{ "end of line 09 87 65 43 21", "09 87 65 43 21", NULL },
	{ "06\xC2\xA0" "12\xC2\xA0" "34\xC2\xA0" "56\xC2\xA0" "78", "06\xC2\xA0" "12\xC2\xA0" "34\xC2\xA0" "56\xC2\xA0" "78", NULL },
	/* French international and generic E.164 numbers */
	{ "+33 6 12 34 56 78", "+33 6 12 34 56 78", NULL },
	{ "sms to +33612345678.", "+33612345678", NULL },
	{ "0033 6 12 34 56 78", "0033 6 12 34 56 78", NULL },
	{ "x:0033612345678", "0033612345678", NULL },
	{ "+33 (0)6 12 34 56 78", "+33 (0)6 12 34 56 78", NULL },
	{ "+33(0)612345678", "+33(0)612345678", NULL },
	{ "tel:+33-6-12-34-56-78;ext=1", "+33-6-12-34-56-78", NULL },
	{ "US +1 (555) 123-4567", "+1 (555) 123-4567", NULL },
	{ "UK +44 20 7946 0958", "+44 20 7946 0958", NULL },
	{ "<+4915112345678>", "+4915112345678", NULL },
	{ "phone=%2B33612345678", "%2B33612345678", NULL },
	{ "{\"tel\":\"+32 470 12 34 56\"}", "+32 470 12 34 56", NULL },
	/* NIR */
	{ "1 85 05 78 006 084 36", "1 85 05 78 006 084 36", NULL },
	{ "nir=185057800608436;", "185057800608436", NULL },
	{ "2 84 12 2A 123 456 78", "2 84 12 2A 123 456 78", NULL },
	{ "corse 284122B12345678.", "284122B12345678", NULL },
	{ "without key 1850578006084", "1850578006084", NULL },
	{ "{\"nir\":\"2 84 12 2a 123 456 78\"}", "2 84 12 2a 123 456 78", NULL },
	{ "(7 12 34 56 789 012 34)", "7 12 34 56 789 012 34", NULL },
	{ "secu: 1-85-05-78-006-084-36", "1-85-05-78-006-084-36", NULL },
	{ "nir 1.85.05.78.006.084.36", "1.85.05.78.006.084.36", NULL },
	/* several kinds in one line */
	{ "a@b.co 0612345678", "a@b.co", "0612345678" },
	{ "185057800608436 +33612345678", "185057800608436", "+33612345678" },
	{ "patient 2 84 12 2A 123 456 78 mail x.y@z.fr", "2 84 12 2A 123 456 78", "x.y@z.fr" },
	{ "0612345678abc", "0612345678", NULL },
};

/* Log vocabulary that must come out byte for byte. */
static const char *const clean_samples[] = {
	"request 0123456789abcdef0123456789abcdef done",
	"id=0612345678abcdef0123456789abcdef",
	"ID 0123456789ABCDEF0123456789ABCDEF",
	"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"uuid 123e4567-e89b-12d3-a456-426614174000",
	"traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"2026-11-22T15:17:57Z",
	"2026-11-22T15:17:57.123Z info http: GET /v1/records 200 3ms",
	"at 2026-11-22T15:17:57+01:00 and 2026-11-22 15:17:57",
	"20261122T151757Z",
	"peer 10.0.0.1 port 8443",
	"listening on 0.0.0.0:443 and 192.168.100.200:8080",
	"127.0.0.1 172.16.254.1 255.255.255.255",
	"HTTP/1.1 404 Not Found",
	"status=200 bytes=1048576 took 12.345 ms",
	"duration 0.002s, 1500ms, 2.5s, 0.0612345678s",
	"pid 123456 uid 1000 gid 1000",
	"retry in 30s (attempt 3/5)",
	"route 10.0.0.0/8 and 2026/11/22 15:17",
	"GET /v1/records/0123456789abcdef0123456789abcdef 200 3ms id=0123456789abcdef0123456789abcdef",
	"epoch 1763824677",
	"pi 3.1415926535897",
	"version 1.2.3, coffre/0.1.0",
	"a @ b, cc @alice, 100% done, 50%, 1+1=2",
	"rate 800 req/s, limit 12345678",
	"argon2id m=19456 t=2 p=1",
	"",
};

/* For messages: gcc with -fsanitize sees phantom NULLs in printf args. */
static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void digits_of(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++)
		if (*s >= '0' && *s <= '9')
			out[n++] = *s;
	out[n] = '\0';
}

/* The identifier left no trace: not as written, no 4 of its digits in a
 * row (whatever the separators), and for an address no at-sign at all. */
static void assert_gone(const char *in, const char *out, const char *secret)
{
	if (strstr(out, secret)) {
		print_error("'%s' -> '%s' still holds '%s'\n", show(in), show(out), show(secret));
		fail();
	}
	if (strchr(secret, '@') || strstr(secret, "%40")) {
		if (strchr(out, '@') || strstr(out, "%40")) {
			print_error("'%s' -> '%s' still holds an at-sign\n", show(in), show(out));
			fail();
		}
		size_t local = strcspn(secret, "@%");
		char part[128];
		snprintf(part, sizeof(part), "%.*s", (int)local, secret);
		if (local >= 3 && strstr(out, part)) {
			print_error("'%s' -> '%s' still holds '%s'\n", show(in), show(out), part);
			fail();
		}
	}
	char d_secret[64], d_out[512];
	digits_of(secret, d_secret, sizeof(d_secret));
	digits_of(out, d_out, sizeof(d_out));
	for (size_t i = 0; i + 4 <= strlen(d_secret); i++) {
		char win[5];
		memcpy(win, d_secret + i, 4);
		win[4] = '\0';
		if (strstr(d_out, win)) {
			print_error("'%s' -> '%s' still holds digits %s\n", show(in), show(out), win);
			fail();
		}
	}
}

static void test_pii_samples_are_scrubbed(void **state)
{
	(void)state;
	size_t count = sizeof(pii_samples) / sizeof(pii_samples[0]);
	assert_true(count >= 40);
	for (size_t i = 0; i < count; i++) {
		const struct pii_sample *t = &pii_samples[i];
		char out[512];
		size_t n = cf_scrub(out, sizeof(out), t->in, strlen(t->in));
		assert_int_equal(n, strlen(out));
		assert_true(strstr(out, "[email]") || strstr(out, "[phone]") || strstr(out, "[nir]"));
		assert_gone(t->in, out, t->secret);
		if (t->secret2)
			assert_gone(t->in, out, t->secret2);
	}
}

/* The marker names the kind of identifier. */
static void test_markers(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "mail john.doe@example.com.", "mail [email]." },
		{ "tel 06 12 34 56 78, ok", "tel [phone], ok" },
		{ "nir 1 85 05 78 006 084 36 ok", "nir [nir] ok" },
		{ "{\"to\":\"+33612345678\"}", "{\"to\":\"[phone]\"}" },
		{ "email=a%40b.fr&y=1", "email=[email]&y=1" },
		{ "a@b.fr,0612345678;185057800608436", "[email],[phone];[nir]" },
		{ "nir 1850578006084 200 OK", "nir [nir] 200 OK" },
		/* the number ends where the log line's own numbers start */
		{ "GET /v1/u?tel=%2B33612345678 200 3ms", "GET /v1/u?tel=[phone] 200 3ms" },
		{ "GET /v1/u?tel=%2B33%206%2012%2034%2056%2078 200 3ms",
		  "GET /v1/u?tel=[phone] 200 3ms" },
		{ "sent to +33 6 12 34 56 78 in 3ms", "sent to [phone] in 3ms" },
		{ "sent to +33 6 12 34 56 78 3ms", "sent to [phone] 3ms" },
		{ "sent to 06 12 34 56 78 200 3ms", "sent to [phone] 200 3ms" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		cf_scrub(out, sizeof(out), cases[i].in, strlen(cases[i].in));
		assert_string_equal(out, cases[i].want);
	}
}

static void test_clean_samples_survive(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(clean_samples) / sizeof(clean_samples[0]); i++) {
		const char *in = clean_samples[i];
		char out[512];
		size_t n = cf_scrub(out, sizeof(out), in, strlen(in));
		if (strcmp(out, in) != 0) {
			print_error("'%s' became '%s'\n", show(in), show(out));
			fail();
		}
		assert_int_equal(n, strlen(in));
	}
}

/* The identifier is found in the input at any position, not only when it
 * is NUL-terminated: in_len bounds the read. */
static void test_reads_only_in_len(void **state)
{
	(void)state;
	/* The bytes after in_len would complete a phone number. */
	const char buf[] = "x 06 12 34 56 78";
	char out[64];
	size_t n = cf_scrub(out, sizeof(out), buf, 8);
	assert_int_equal(n, 8);
	assert_string_equal(out, "x 06 12 ");

	/* Not NUL-terminated at all: an exact-size heap copy (ASan checks). */
	const char *src = "mail a@b.fr";
	size_t len = strlen(src);
	char *exact = malloc(len);
	assert_non_null(exact);
	memcpy(exact, src, len);
	cf_scrub(out, sizeof(out), exact, len);
	assert_string_equal(out, "mail [email]");
	/* The marker at the very end does not fit (found by fuzz_scrub: the
	 * cut check read one byte past in_len). */
	for (size_t cap = 1; cap < 13; cap++) {
		cf_scrub(out, cap, exact, len);
		assert_true(strlen(out) <= 5);
	}
	free(exact);

	/* Embedded NUL is an ordinary byte. */
	const char nul[] = { 'a', '\0', '0', '6', '1', '2', '3', '4', '5', '6', '7', '8' };
	n = cf_scrub(out, sizeof(out), nul, sizeof(nul));
	assert_int_equal(n, 1 + 1 + strlen("[phone]"));
	assert_memory_equal(out, "a\0[phone]", n + 1);

	n = cf_scrub(out, sizeof(out), NULL, 0);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
}

static void test_truncation_zero_and_one(void **state)
{
	(void)state;
	char out[8];
	memset(out, 'Z', sizeof(out));
	assert_int_equal(cf_scrub(out, 0, "hello", 5), 0);
	assert_int_equal(out[0], 'Z'); /* cap 0: nothing written */
	assert_int_equal(cf_scrub(NULL, 0, "hello", 5), 0);

	assert_int_equal(cf_scrub(out, 1, "hello", 5), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');

	bool cut = false;
	assert_int_equal(cf_scrub_ex(out, 1, "", 0, 0, &cut), 0);
	assert_false(cut);
	assert_int_equal(cf_scrub_ex(out, 1, "x", 1, 0, &cut), 0);
	assert_true(cut);
}

/* A marker is never split: when it does not fit, nothing of it (and
 * nothing of the identifier) is written. */
static void test_truncation_never_splits(void **state)
{
	(void)state;
	const char *in = "to: jane.doe@example.com";
	size_t len = strlen(in);
	for (size_t cap = 1; cap <= 16; cap++) {
		char out[32];
		memset(out, 'Z', sizeof(out));
		bool cut = false;
		size_t n = cf_scrub_ex(out, cap, in, len, 0, &cut);
		assert_true(n < cap);
		assert_int_equal(out[n], '\0');
		assert_int_equal(out[cap], 'Z');
		assert_null(strchr(out, '@'));
		assert_null(strstr(out, "jane"));
		if (cap <= 11) /* "to: [email]" is 11 bytes */
			assert_true(cut);
		assert_true(strncmp(out, "to: [email]", n) == 0);
		assert_true(n == 11 || n <= 4);
	}

	/* Each kind at the end of a short buffer, every cap. */
	static const char *const ends[] = {
		"id 06 12 34 56 78", "id +33 6 12 34 56 78", "id 1 85 05 78 006 084 36",
		"id 2 84 12 2A 123 456 78", "id a.b@c.fr", "id a.b%40c.fr",
	};
	for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
		for (size_t cap = 1; cap < 32; cap++) {
			char out[32];
			size_t n = cf_scrub(out, cap, ends[k], strlen(ends[k]));
			assert_true(n < cap);
			/* Either "id " (or less), or the full marker. */
			assert_true(n <= 3 || out[n - 1] == ']');
			assert_null(strpbrk(out, "0123456789@%"));
		}
	}
}

/* The cap cuts a run of digits that is not an identifier: the run goes
 * rather than leave something that reads like a phone number. */
static void test_truncation_drops_half_numbers(void **state)
{
	(void)state;
	char out[64];
	const char *in = "n 061234567890123 ok"; /* 15 digits: not a phone */
	cf_scrub(out, sizeof(out), in, strlen(in));
	assert_string_equal(out, in);
	cf_scrub(out, 13, in, strlen(in));
	assert_string_equal(out, "n");

	/* A cut in plain words keeps the words. */
	cf_scrub(out, 8, "hello world", 11);
	assert_string_equal(out, "hello w");

	/* A cut inside a UTF-8 character drops the partial character. */
	cf_scrub(out, 4, "ab\xC3\xA9z", 5);
	assert_string_equal(out, "ab");
}

/* TAIL_CUT: the producer cut the text; the start of an identifier at the
 * very end cannot be recognised, so it is dropped. */
static void test_tail_cut(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "call 06 12 34 5", "call" },
		{ "nir 1 85 05 78 006 0", "nir" },
		{ "nir 2 84 12 2A 1", "nir" },
		{ "mail jean.dup", "mail " },
		{ "mail jean.dupont@exa", "mail " },
		{ "{\"m\":\"jean.dupont%4", "{\"m\":\"" },
		{ "tel +33 (0)6 1", "tel" },
		{ "status 200 ok", "status" }, /* "200 o…" might have been a NIR */
		{ "0612345678 and x", "[phone] and " },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		bool cut = false;
		cf_scrub_ex(out, sizeof(out), cases[i].in, strlen(cases[i].in),
		            CF_SCRUB_TAIL_CUT, &cut);
		assert_string_equal(out, cases[i].want);
		assert_true(cut);
	}
}

/* Bounded time: inputs built to make a backtracking matcher explode. */
static void test_linear_time(void **state)
{
	(void)state;
	static const char *const units[] = {
		"a", "a.", "0", "06 ", "+3", "+3 ", "1 85 ", "%2B", "a%2B", "(0)",
		"0123456789abcdef", "a@", "@", "0.", "00", "%40", "1-", "2A",
	};
	const size_t len = 1u << 20;
	char *in = malloc(len);
	char *out = malloc(2 * len);
	assert_non_null(in);
	assert_non_null(out);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]);
		for (size_t i = 0; i < len; i++)
			in[i] = units[u][i % ul];
		clock_t t0 = clock();
		size_t n = cf_scrub(out, 2 * len, in, len);
		double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		assert_true(n < 2 * len);
		if (secs > 2.0) {
			print_error("unit '%s': %.2f s for 1 MiB\n", show(units[u]), secs);
			fail();
		}
	}
	free(in);
	free(out);
}

/* Scrubbing its own output changes nothing: no identifier is left and no
 * new one is made by gluing pieces around a marker. */
static void test_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pii_samples) / sizeof(pii_samples[0]); i++) {
		char once[512], twice[512];
		cf_scrub(once, sizeof(once), pii_samples[i].in, strlen(pii_samples[i].in));
		cf_scrub(twice, sizeof(twice), once, strlen(once));
		assert_string_equal(once, twice);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pii_samples_are_scrubbed),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_clean_samples_survive),
		cmocka_unit_test(test_reads_only_in_len),
		cmocka_unit_test(test_truncation_zero_and_one),
		cmocka_unit_test(test_truncation_never_splits),
		cmocka_unit_test(test_truncation_drops_half_numbers),
		cmocka_unit_test(test_tail_cut),
		cmocka_unit_test(test_linear_time),
		cmocka_unit_test(test_idempotent),
	};
	return cmocka_run_group_tests_name("scrub", tests, NULL, NULL);
}
