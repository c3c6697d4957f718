/* Per-client token buckets (requests per second with a burst), keyed by a
 * keyed hash of the client address so a crafted set of addresses cannot aim
 * at one slot. Fixed memory: a table of slots; a stale slot is reused. */
#ifndef CF_SERVER_AUTH_RATELIMIT_H
#define CF_SERVER_AUTH_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

typedef struct cf_ratelimit cf_ratelimit;

/* rate = tokens per second (0 disables), burst = bucket size. */
cf_err cf_ratelimit_new(cf_ratelimit **ret, uint64_t rate, uint64_t burst, unsigned slots);
void cf_ratelimit_free(cf_ratelimit *rl);

/* Takes one token for key at time now_ms; false when the bucket is empty,
 * with the seconds until a token is back in *ret_retry_after. */
bool cf_ratelimit_take(cf_ratelimit *rl, const void *key, size_t key_len, uint64_t now_ms,
                       unsigned *ret_retry_after);

#endif
