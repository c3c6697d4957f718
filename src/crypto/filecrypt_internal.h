/* Test hook: counter exhaustion cannot be reached by pushing 2^64 chunks,
 * so the unit tests move the counter directly. Not for production code. */
#ifndef COFFRE_CRYPTO_FILECRYPT_INTERNAL_H
#define COFFRE_CRYPTO_FILECRYPT_INTERNAL_H

#include <stdint.h>

#include "crypto/filecrypt.h"

void cf_filecrypt_test_set_counter(cf_filecrypt *fc, uint64_t counter);

#endif
