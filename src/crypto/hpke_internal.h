/* DHKEM steps of RFC 9180 §4.1, visible to the unit tests so they can
 * check the shared secret of each vector, not only its consequences. */
#ifndef COFFRE_CRYPTO_HPKE_INTERNAL_H
#define COFFRE_CRYPTO_HPKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

/* Encap with the ephemeral pair DeriveKeyPair(ikm_e). */
cf_err cf_hpke_encap_derand(uint8_t shared[32], uint8_t enc[32], const uint8_t pk_r[32],
			    const uint8_t *ikm_e, size_t ikm_e_len);

cf_err cf_hpke_decap(uint8_t shared[32], const uint8_t enc[32], const uint8_t sk_r[32]);

#endif
