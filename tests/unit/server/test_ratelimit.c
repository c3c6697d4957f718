/* Token buckets: burst, refill, independence of clients, Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/auth/ratelimit.h"

static void burst_then_refill(void **state)
{
	cf_ratelimit *rl = NULL;
	assert_int_equal(cf_ratelimit_new(&rl, 10, 20, 1024), CF_OK);
	unsigned retry = 0;
	for (int i = 0; i < 20; i++)
		assert_true(cf_ratelimit_take(rl, "1.2.3.4", 7, 1000, &retry));
	assert_false(cf_ratelimit_take(rl, "1.2.3.4", 7, 1000, &retry));
	assert_int_equal(retry, 1);
	/* another client is not affected */
	assert_true(cf_ratelimit_take(rl, "5.6.7.8", 7, 1000, &retry));
	/* 100 ms later: one token back at 10/s */
	assert_true(cf_ratelimit_take(rl, "1.2.3.4", 7, 1100, &retry));
	assert_false(cf_ratelimit_take(rl, "1.2.3.4", 7, 1100, &retry));
	/* long quiet period refills to the burst, not beyond */
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += cf_ratelimit_take(rl, "1.2.3.4", 7, 100000, &retry);
	assert_int_equal(ok, 20);
	cf_ratelimit_free(rl);
}

static void zero_rate_disables(void **state)
{
	cf_ratelimit *rl = NULL;
	assert_int_equal(cf_ratelimit_new(&rl, 0, 1, 16), CF_OK);
	for (int i = 0; i < 1000; i++)
		assert_true(cf_ratelimit_take(rl, "x", 1, 0, NULL));
	cf_ratelimit_free(rl);
	cf_ratelimit_free(NULL);
	assert_int_equal(cf_ratelimit_new(&rl, 1, 0, 16), CF_ERR_INVALID);
}

static void slow_rate_retry_after(void **state)
{
	cf_ratelimit *rl = NULL;
	assert_int_equal(cf_ratelimit_new(&rl, 1, 1, 16), CF_OK);
	unsigned retry = 0;
	assert_true(cf_ratelimit_take(rl, "k", 1, 5000, &retry));
	assert_false(cf_ratelimit_take(rl, "k", 1, 5000, &retry));
	assert_in_range(retry, 1, 2);
	cf_ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_refill),
		cmocka_unit_test(zero_rate_disables),
		cmocka_unit_test(slow_rate_retry_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
