/* libFuzzer target for the PII scrubber (util/scrub.h). Built by meson
 * -Dfuzz=true; run with scripts/fuzz.sh.
 *
 * Checks, besides memory safety (the input buffer is exactly `size` bytes,
 * not NUL-terminated): the NUL is within the cap and no byte past it is
 * touched; a smaller cap gives a prefix of the full output; scrubbing the
 * output again changes nothing (nothing recognisable is left and nothing
 * new is glued together around a marker). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANARY 0xA5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1u << 16)
		return 0;
	const char *in = (const char *)data;
	/* Worst expansion: "a@" (2 bytes) becomes "[email]" (7). */
	size_t full_cap = 4 * size + 16;
	char *full = malloc(full_cap + 1);
	char *again = malloc(full_cap + 1);
	char *small = malloc(full_cap + 1);
	if (!full || !again || !small)
		abort();

	bool cut = true;
	size_t n = cf_scrub_ex(full, full_cap, in, size, 0, &cut);
	if (n >= full_cap || full[n] != '\0' || cut)
		abort();

	/* Idempotence. */
	size_t m = cf_scrub(again, full_cap, full, n);
	if (m != n || memcmp(full, again, n) != 0)
		abort();

	/* Caps: bounded, terminated, canary intact, a prefix of the full
	 * output (truncation only drops, never rewrites). */
	size_t caps[] = { 0, 1, 2, 7, 8, size / 2 + 1, size + 1 };
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		size_t cap = caps[k];
		memset(small, CANARY, full_cap + 1);
		size_t s = cf_scrub(small, cap, in, size);
		if (cap == 0) {
			if (s != 0 || (uint8_t)small[0] != CANARY)
				abort();
			continue;
		}
		if (s >= cap || small[s] != '\0' || (uint8_t)small[cap] != CANARY)
			abort();
		if (s > n || memcmp(small, full, s) != 0)
			abort();
	}

	/* TAIL_CUT: bounded, terminated, and again nothing left to scrub. */
	size_t t = cf_scrub_ex(small, full_cap, in, size, CF_SCRUB_TAIL_CUT, NULL);
	if (t >= full_cap || small[t] != '\0')
		abort();
	m = cf_scrub(again, full_cap, small, t);
	if (m != t || memcmp(small, again, t) != 0)
		abort();

	free(full);
	free(again);
	free(small);
	return 0;
}
