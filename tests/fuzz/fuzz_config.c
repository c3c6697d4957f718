/* libFuzzer target: coffred's configuration parser (a file an operator
 * writes, but parsed before anything is checked).
 * Built by meson -Dfuzz=true; run with scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_config cfg;
	char msg[512];
	cf_config_defaults(&cfg);
	if (cf_config_parse(&cfg, (const char *)data, size, msg, sizeof(msg)) == CF_OK)
		(void)cf_config_finish(&cfg, msg, sizeof(msg));
	return 0;
}
