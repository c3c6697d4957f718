/* Encodings (strict decoding) and the secret-file permission rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "util/encoding.h"
#include "util/fsutil.h"

static void hex_round_trip_and_strictness(void **state)
{
	const uint8_t bin[4] = { 0x00, 0xab, 0x10, 0xff };
	char hex[9];
	assert_int_equal(cf_hex_encode(hex, sizeof(hex), bin, 4), CF_OK);
	assert_string_equal(hex, "00ab10ff");
	assert_int_equal(cf_hex_encode(hex, 8, bin, 4), CF_ERR_TOO_LARGE);
	uint8_t out[4] = { 0 };
	assert_int_equal(cf_hex_decode(out, 4, "00AB10ff", 8), CF_OK);
	assert_memory_equal(out, bin, 4);
	uint8_t keep[4] = { 9, 9, 9, 9 };
	assert_int_equal(cf_hex_decode(keep, 4, "00ab10f", 7), CF_ERR_INVALID);
	assert_int_equal(cf_hex_decode(keep, 4, "00ab10fg", 8), CF_ERR_INVALID);
	assert_int_equal(cf_hex_decode(keep, 4, "00ab10ff00", 10), CF_ERR_INVALID);
	assert_int_equal(keep[0], 9);
}

static void b64url_round_trip_and_strictness(void **state)
{
	uint8_t bin[32];
	for (int i = 0; i < 32; i++)
		bin[i] = (uint8_t)(i * 37 + 250);
	char txt[64];
	for (size_t n = 0; n <= 32; n++) {
		assert_int_equal(cf_b64url_encode(txt, sizeof(txt), bin, n), CF_OK);
		assert_int_equal(strlen(txt), cf_b64url_len(n));
		assert_null(strchr(txt, '='));
		uint8_t back[32];
		size_t len = 0;
		assert_int_equal(cf_b64url_decode(back, sizeof(back), &len, txt, strlen(txt)), CF_OK);
		assert_int_equal(len, n);
		assert_memory_equal(back, bin, n);
	}
	uint8_t out[8];
	size_t len = 0;
	assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, "AAE=", 4), CF_ERR_INVALID);
	assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, "AA+/", 4), CF_ERR_INVALID);
	assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, "AA E", 4), CF_ERR_INVALID);
	assert_int_equal(cf_b64url_decode(out, 2, &len, "AAAAAAAA", 8), CF_ERR_INVALID);
	assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, "A", 1), CF_ERR_INVALID);
}

/* Found by fuzz_encoding: libsodium 1.0.18 decodes every byte >= 0x80 as
 * '_' (63), so "AAA\xe4" was accepted as "AAA_": a second spelling of the
 * same bytes. Only the 64 characters of the alphabet may decode. */
static void b64url_refuses_non_ascii(void **state)
{
	(void)state;
	uint8_t out[8];
	size_t len = 0;
	assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, "AAA_", 4), CF_OK);
	for (int c = 0x80; c <= 0xff; c++) {
		char in[5] = { 'A', 'A', 'A', (char)c, 0 };
		len = 99;
		assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, in, 4), CF_ERR_INVALID);
		assert_int_equal(len, 99);
	}
	for (int c = 0; c < 0x80; c++) {
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '_';
		char in[5] = { 'A', 'A', 'A', (char)c, 0 };
		assert_int_equal(cf_b64url_decode(out, sizeof(out), &len, in, 4) == CF_OK, alpha);
	}
}

static void base32_round_trip_and_strictness(void **state)
{
	/* RFC 4648 test vector "foobar" -> MZXW6YTBOI (no padding) */
	char out[64];
	assert_int_equal(cf_base32_encode(out, sizeof(out), (const uint8_t *)"foobar", 6), CF_OK);
	assert_string_equal(out, "MZXW6YTBOI");
	uint8_t back[6];
	assert_int_equal(cf_base32_decode(back, 6, "mzxw-6ytb oi"), CF_OK);
	assert_memory_equal(back, "foobar", 6);
	uint8_t raw[20], raw2[20];
	for (int i = 0; i < 20; i++)
		raw[i] = (uint8_t)(i * 13 + 7);
	assert_int_equal(cf_base32_encode(out, sizeof(out), raw, 20), CF_OK);
	assert_int_equal(strlen(out), 32);
	assert_int_equal(cf_base32_decode(raw2, 20, out), CF_OK);
	assert_memory_equal(raw, raw2, 20);
	uint8_t keep[6] = { 1, 2, 3, 4, 5, 6 };
	assert_int_equal(cf_base32_decode(keep, 6, "MZXW6YTBO1"), CF_ERR_INVALID); /* '1' */
	assert_int_equal(cf_base32_decode(keep, 6, "MZXW6YTB"), CF_ERR_INVALID);   /* short */
	assert_int_equal(cf_base32_decode(keep, 6, "MZXW6YTBOIAA"), CF_ERR_INVALID); /* long */
	assert_int_equal(cf_base32_decode(keep, 6, "MZXW6YTBOJ"), CF_ERR_INVALID); /* stray bits */
	assert_int_equal(cf_base32_decode(keep, 6, "MZXW6YTBOI="), CF_ERR_INVALID);
	assert_int_equal(keep[0], 1);
	assert_int_equal(cf_base32_encode(out, 10, raw, 20), CF_ERR_TOO_LARGE);
}

static void secret_file_modes(void **state)
{
	char dir[] = "/tmp/cf-fs-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/secret", dir);
	assert_int_equal(cf_write_file_atomic(path, "s3cret", 6, 0600), CF_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why = NULL;
	assert_int_equal(cf_read_secret_file(path, 64, &buf, &len, &why), CF_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "s3cret", 6);
	cf_free_secret(buf);

	chmod(path, 0640);
	assert_int_equal(cf_check_secret_mode(path, &why), CF_OK);
	chmod(path, 0644);
	buf = NULL;
	assert_int_equal(cf_read_secret_file(path, 64, &buf, &len, &why), CF_ERR_DENIED);
	assert_null(buf);
	assert_non_null(strstr(why, "others"));
	chmod(path, 0660);
	assert_int_equal(cf_check_secret_mode(path, &why), CF_ERR_DENIED);
	chmod(path, 0600);
	assert_int_equal(cf_read_secret_file(path, 3, &buf, &len, &why), CF_ERR_TOO_LARGE);

	char link[64];
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(cf_read_secret_file(link, 64, &buf, &len, &why), CF_OK);
	unlink(link);
	unlink(path);
	assert_int_equal(cf_read_secret_file(path, 64, &buf, &len, &why), CF_ERR_NOT_FOUND);

	char deep[96];
	snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
	assert_int_equal(cf_mkdir_p(deep, 0700), CF_OK);
	assert_int_equal(cf_mkdir_p(deep, 0700), CF_OK);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/a/b", dir);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/a", dir);
	rmdir(deep);
	rmdir(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_round_trip_and_strictness),
		cmocka_unit_test(b64url_round_trip_and_strictness),
		cmocka_unit_test(b64url_refuses_non_ascii),
		cmocka_unit_test(base32_round_trip_and_strictness),
		cmocka_unit_test(secret_file_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
