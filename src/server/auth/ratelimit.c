#include "server/auth/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

struct slot {
	uint64_t key;        /* keyed hash of the client key; 0 = empty */
	uint64_t last_ms;
	double tokens;
};

struct cf_ratelimit {
	uint64_t rate, burst;
	unsigned nslots;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	pthread_mutex_t locks[STRIPES];
	struct slot slots[];
};

cf_err cf_ratelimit_new(cf_ratelimit **ret, uint64_t rate, uint64_t burst, unsigned nslots)
{
	if (nslots == 0 || burst == 0)
		return CF_ERR_INVALID;
	cf_ratelimit *rl = calloc(1, sizeof(*rl) + nslots * sizeof(struct slot));
	if (!rl)
		return CF_ERR_NOMEM;
	rl->rate = rate;
	rl->burst = burst;
	rl->nslots = nslots;
	randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
	for (unsigned i = 0; i < STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	*ret = rl;
	return CF_OK;
}

void cf_ratelimit_free(cf_ratelimit *rl)
{
	if (!rl)
		return;
	for (unsigned i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl);
}

bool cf_ratelimit_take(cf_ratelimit *rl, const void *key, size_t key_len, uint64_t now_ms,
                       unsigned *ret_retry_after)
{
	if (rl->rate == 0)
		return true;
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, key_len, rl->hash_key);
	uint64_t hv;
	memcpy(&hv, h, sizeof(hv));
	hv |= 1; /* never 0, which marks an empty slot */
	unsigned idx = (unsigned)(hv % rl->nslots);
	pthread_mutex_t *lock = &rl->locks[idx % STRIPES];

	pthread_mutex_lock(lock);
	struct slot *s = &rl->slots[idx];
	double full_after_ms = (double)rl->burst * 1000.0 / (double)rl->rate;
	if (s->key != hv) {
		/* Another client holds the slot: take it over once its bucket would be
		 * full again (it has been quiet), else share it. */
		if (s->key == 0 || (double)(now_ms - s->last_ms) >= full_after_ms) {
			s->key = hv;
			s->tokens = (double)rl->burst;
			s->last_ms = now_ms;
		}
	}
	if (now_ms > s->last_ms) {
		s->tokens += (double)(now_ms - s->last_ms) * (double)rl->rate / 1000.0;
		if (s->tokens > (double)rl->burst)
			s->tokens = (double)rl->burst;
		s->last_ms = now_ms;
	}
	bool ok = s->tokens >= 1.0;
	if (ok) {
		s->tokens -= 1.0;
	} else if (ret_retry_after) {
		double wait_s = (1.0 - s->tokens) / (double)rl->rate;
		*ret_retry_after = (unsigned)wait_s + 1;
	}
	pthread_mutex_unlock(lock);
	return ok;
}
