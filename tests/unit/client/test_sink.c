/* Capped answer bodies: the cap holds whatever the server sends, and a
 * refused write leaves what was collected intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/internal.h"

static void test_appends_up_to_the_cap(void **state)
{
	(void)state;
	struct cf_sink sink;
	cf_sink_init(&sink, 10);
	assert_true(cf_sink_append(&sink, "hello", 5));
	assert_true(cf_sink_append(&sink, "", 0));
	assert_true(cf_sink_append(&sink, "world", 5));
	assert_int_equal(sink.len, 10);
	assert_string_equal((char *)sink.data, "helloworld");
	assert_true(sink.alloc <= 11);      /* never more than cap + NUL */
	assert_false(sink.over);
	cf_sink_clear(&sink);
	assert_null(sink.data);
}

static void test_refuses_past_the_cap(void **state)
{
	(void)state;
	struct cf_sink sink;
	cf_sink_init(&sink, 10);
	assert_true(cf_sink_append(&sink, "12345678", 8));
	assert_false(cf_sink_append(&sink, "abc", 3));
	assert_true(sink.over);
	assert_int_equal(sink.len, 8);
	assert_string_equal((char *)sink.data, "12345678");
	cf_sink_clear(&sink);
}

static void test_zero_cap_takes_nothing(void **state)
{
	(void)state;
	struct cf_sink sink;
	cf_sink_init(&sink, 0);
	assert_true(cf_sink_append(&sink, "", 0));
	assert_false(cf_sink_append(&sink, "x", 1));
	assert_true(sink.over);
	cf_sink_clear(&sink);
}

static void test_grows_across_many_writes(void **state)
{
	(void)state;
	struct cf_sink sink;
	char chunk[1000];
	memset(chunk, 'z', sizeof chunk);
	cf_sink_init(&sink, (size_t)100 * 1000);
	for (int i = 0; i < 100; i++)
		assert_true(cf_sink_append(&sink, chunk, sizeof chunk));
	assert_int_equal(sink.len, 100 * 1000);
	assert_int_equal(sink.data[sink.len], '\0');
	assert_false(cf_sink_append(&sink, chunk, 1));
	size_t len = 0;
	unsigned char *data = cf_sink_take(&sink, &len);
	assert_int_equal(len, 100 * 1000);
	assert_null(sink.data);
	assert_int_equal(data[99999], 'z');
	free(data);
	cf_sink_clear(&sink);
}

static void test_curl_adapter_stops_the_transfer(void **state)
{
	(void)state;
	struct cf_sink sink;
	char buf[8] = "abcdefg";
	cf_sink_init(&sink, 10);
	assert_int_equal(cf_sink_curl_write(buf, 1, 7, &sink), 7);
	/* Short count = libcurl aborts with CURLE_WRITE_ERROR. */
	assert_int_equal(cf_sink_curl_write(buf, 1, 7, &sink), 0);
	assert_true(sink.over);
	assert_int_equal(cf_sink_curl_write(buf, 2, 1, &sink), 0);
	cf_sink_clear(&sink);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_up_to_the_cap),
		cmocka_unit_test(test_refuses_past_the_cap),
		cmocka_unit_test(test_zero_cap_takes_nothing),
		cmocka_unit_test(test_grows_across_many_writes),
		cmocka_unit_test(test_curl_adapter_stops_the_transfer),
	};
	return cmocka_run_group_tests_name("client_sink", tests, NULL, NULL);
}
