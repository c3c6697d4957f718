/* libFuzzer target: coffred's configuration parser (a file an operator
 * writes, but parsed before anything is checked).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *   -DCOFFRE_VERSION=\"fuzz\" -I/usr/include/x86_64-linux-gnu \
 *   tests/fuzz/fuzz_config.c src/server/config.c src/util/fsutil.c src/util/error.c src/util/cidr.c \
 *   src/server/notify/channel.c src/server/notify/mailer.c src/server/notify/sms.c \
 *   src/server/notify/outbox.c src/server/notify/notify.c \
 *   src/util/log.c src/util/scrub.c src/util/encoding.c -lsodium -lcurl-gnutls -ljansson \
 *   -lpthread -o /tmp/fuzz_config */
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
