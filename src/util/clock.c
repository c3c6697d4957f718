#include "util/clock.h"

#include <time.h>

static uint64_t read_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t cf_now_ms(void)
{
	return read_ms(CLOCK_REALTIME);
}

uint64_t cf_mono_ms(void)
{
	return read_ms(CLOCK_MONOTONIC);
}
