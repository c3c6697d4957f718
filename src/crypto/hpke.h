/* HPKE (RFC 9180) with DHKEM(X25519, HKDF-SHA256) 0x0020 and HKDF-SHA256
 * 0x0001, and coffre's key wrap on top of it.
 *
 * Three layers, from what most callers need to what the tests need:
 *
 * 1. The coffre key wrap (coffre-v1): a 32-byte content key sealed to a
 *    recipient's X25519 public key with HPKE base mode, AES-256-GCM (0x0002),
 *    single shot, info = "coffre-v1 wrap", aad = the id of the object whose
 *    key is wrapped. Wire form: enc (32) ‖ ciphertext (32) ‖ tag (16).
 * 2. Single-shot base mode with AES-256-GCM (cf_hpke_seal_base/open_base).
 * 3. The general context API: modes base and psk, AEADs AES-128-GCM (0x0001)
 *    and AES-256-GCM (0x0002), sequence numbers, secret export, and a
 *    deterministic sender setup (given ikmE) for known-answer tests.
 *
 * Errors: CF_ERR_INVALID for NULL or malformed arguments; CF_ERR_UNSUPPORTED
 * for another mode or AEAD; CF_ERR_TOO_LARGE for info, psk, psk_id or an
 * exporter context above CF_HPKE_INPUT_MAX, or an exhausted context;
 * CF_ERR_CRYPTO when a public key is of small order (all-zero DH, RFC 9180
 * §7.1.4) or a ciphertext does not authenticate. Outputs are written only
 * on success; a failed open wipes the plaintext buffer. */
#ifndef COFFRE_CRYPTO_HPKE_H
#define COFFRE_CRYPTO_HPKE_H

#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_HPKE_KEM_ID 0x0020
#define CF_HPKE_KDF_ID 0x0001
#define CF_HPKE_ENC_BYTES 32
#define CF_HPKE_PK_BYTES 32
#define CF_HPKE_SK_BYTES 32
#define CF_HPKE_TAG_BYTES 16
#define CF_HPKE_NONCE_BYTES 12
#define CF_HPKE_PSK_MIN 32        /* RFC 9180 §5.1.2: at least 32 bytes of entropy */
#define CF_HPKE_INPUT_MAX 65536   /* info, psk, psk_id, ikm, exporter context */
#define CF_HPKE_EXPORT_MAX (255 * 32)

/* ---- 1. coffre key wrap ------------------------------------------------ */

#define CF_WRAP_INFO "coffre-v1 wrap"
#define CF_WRAP_KEY_BYTES 32
#define CF_WRAP_BYTES (32 + 32 + 16)
#define CF_WRAP_ID_MAX 1024

/* out = enc ‖ HPKE-seal(key) to pk_r, aad = object_id. A fresh ephemeral
 * key each call, so two wraps of the same key differ. id_len must be in
 * [1, CF_WRAP_ID_MAX]: a wrap is always bound to an object. */
cf_err cf_wrap_key(uint8_t out[CF_WRAP_BYTES], const uint8_t key[CF_WRAP_KEY_BYTES],
		   const uint8_t pk_r[CF_HPKE_PK_BYTES],
		   const uint8_t *object_id, size_t id_len);

/* Inverse of cf_wrap_key. CF_ERR_CRYPTO if the wrap was made for another
 * key pair or another object id, or was altered; `key` is then untouched. */
cf_err cf_unwrap_key(uint8_t key[CF_WRAP_KEY_BYTES], const uint8_t wrap[CF_WRAP_BYTES],
		     const uint8_t sk_r[CF_HPKE_SK_BYTES],
		     const uint8_t *object_id, size_t id_len);

/* ---- 2. single-shot base mode, AES-256-GCM ------------------------------ */

/* enc (32 bytes) and ct (pt_len + 16 bytes). */
cf_err cf_hpke_seal_base(uint8_t enc[CF_HPKE_ENC_BYTES], uint8_t *ct,
			 const uint8_t pk_r[CF_HPKE_PK_BYTES],
			 const uint8_t *info, size_t info_len,
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t pt_len);

/* pt receives ct_len - 16 bytes; CF_ERR_INVALID if ct_len < 16. */
cf_err cf_hpke_open_base(uint8_t *pt, const uint8_t enc[CF_HPKE_ENC_BYTES],
			 const uint8_t *ct, size_t ct_len,
			 const uint8_t sk_r[CF_HPKE_SK_BYTES],
			 const uint8_t *info, size_t info_len,
			 const uint8_t *aad, size_t aad_len);

/* DeriveKeyPair (RFC 9180 §7.1.3): a key pair from ikm (>= 32 bytes, else
 * CF_ERR_INVALID). Deterministic: the same ikm gives the same pair. */
cf_err cf_hpke_derive_keypair(uint8_t sk[CF_HPKE_SK_BYTES], uint8_t pk[CF_HPKE_PK_BYTES],
			      const uint8_t *ikm, size_t ikm_len);

/* ---- 3. general context API --------------------------------------------- */

enum cf_hpke_mode {
	CF_HPKE_MODE_BASE = 0x00,
	CF_HPKE_MODE_PSK = 0x01,
};

enum cf_hpke_aead {
	CF_HPKE_AEAD_AES128GCM = 0x0001,
	CF_HPKE_AEAD_AES256GCM = 0x0002,
};

/* Setup inputs. Base mode: psk and psk_id empty. PSK mode: psk of at least
 * CF_HPKE_PSK_MIN bytes and a non-empty psk_id. Pointers may be NULL when
 * their length is 0. */
struct cf_hpke_params {
	enum cf_hpke_mode mode;
	enum cf_hpke_aead aead;
	const uint8_t *info;
	size_t info_len;
	const uint8_t *psk;
	size_t psk_len;
	const uint8_t *psk_id;
	size_t psk_id_len;
};

/* An encryption context. It holds secrets: the owner keeps it in wiped
 * memory and calls cf_hpke_ctx_wipe() when done. Fields are exposed for
 * known-answer tests only; treat them as read-only. A context is not
 * thread-safe (it carries the sequence number). */
typedef struct cf_hpke_ctx {
	enum cf_hpke_aead aead;
	size_t key_len;                  /* 16 or 32 */
	uint8_t key[32];
	uint8_t base_nonce[CF_HPKE_NONCE_BYTES];
	uint8_t exporter_secret[32];
	uint64_t seq;                    /* next sequence number */
} cf_hpke_ctx;

/* SetupS: random ephemeral key. Writes *ret_ctx and enc on success. */
cf_err cf_hpke_setup_sender(cf_hpke_ctx *ret_ctx, uint8_t enc[CF_HPKE_ENC_BYTES],
			    const struct cf_hpke_params *params,
			    const uint8_t pk_r[CF_HPKE_PK_BYTES]);

/* SetupS with the ephemeral key derived from ikm_e (DeriveKeyPair).
 * For known-answer tests; never use a fixed ikm_e in production. */
cf_err cf_hpke_setup_sender_derand(cf_hpke_ctx *ret_ctx, uint8_t enc[CF_HPKE_ENC_BYTES],
				   const struct cf_hpke_params *params,
				   const uint8_t pk_r[CF_HPKE_PK_BYTES],
				   const uint8_t *ikm_e, size_t ikm_e_len);

/* SetupR. */
cf_err cf_hpke_setup_receiver(cf_hpke_ctx *ret_ctx, const struct cf_hpke_params *params,
			      const uint8_t enc[CF_HPKE_ENC_BYTES],
			      const uint8_t sk_r[CF_HPKE_SK_BYTES]);

/* Seal with the next sequence number (ct: pt_len + 16 bytes). The sequence
 * number advances only on success; CF_ERR_TOO_LARGE once 2^64 - 1
 * messages were sealed. */
cf_err cf_hpke_ctx_seal(cf_hpke_ctx *ctx, uint8_t *ct,
			const uint8_t *aad, size_t aad_len,
			const uint8_t *pt, size_t pt_len);

/* Open with the next sequence number (pt: ct_len - 16 bytes). On failure
 * the sequence number stays and pt is wiped. */
cf_err cf_hpke_ctx_open(cf_hpke_ctx *ctx, uint8_t *pt,
			const uint8_t *aad, size_t aad_len,
			const uint8_t *ct, size_t ct_len);

/* Secret export (RFC 9180 §5.3): out_len <= CF_HPKE_EXPORT_MAX. */
cf_err cf_hpke_ctx_export(const cf_hpke_ctx *ctx, uint8_t *out, size_t out_len,
			  const uint8_t *exporter_context, size_t context_len);

/* Wipe every secret of the context. Accepts NULL. */
void cf_hpke_ctx_wipe(cf_hpke_ctx *ctx);

#endif
