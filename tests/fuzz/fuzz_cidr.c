/* libFuzzer target: API-key IP allowlists (util/cidr.h). Input: the list,
 * then a NUL, then the address to test (both as the admin API and the
 * connection give them: NUL-terminated text).
 * Invariants: no crash; a list that fails cf_cidr_list_check allows no
 * address; the refusal names the entry within the cap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *text = malloc(size + 2);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	text[size + 1] = '\0';
	const char *list = text;
	size_t llen = strlen(text);
	const char *ip = text + llen + 1 <= text + size ? text + llen + 1 : text + size + 1;

	char why[128];
	cf_err err = cf_cidr_list_check(list, why, sizeof(why));
	if (err != CF_OK && !memchr(why, '\0', sizeof(why)))
		abort();
	bool allowed = cf_cidr_list_allows(list, ip);
	if (err != CF_OK && allowed)
		abort();
	/* The empty list allows every address. */
	if (!cf_cidr_list_allows("", ip))
		abort();
	free(text);
	return 0;
}
