/* The two clocks, in milliseconds: wall time for what is recorded (events,
 * documents, expiries) and monotonic time for durations and rate limits
 * (never goes back when the wall clock is set). Thread-safe, no state. */
#ifndef CF_UTIL_CLOCK_H
#define CF_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t cf_now_ms(void);
/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
uint64_t cf_mono_ms(void);

#endif
