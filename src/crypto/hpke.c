/* RFC 9180 HPKE: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-GCM.
 * Section numbers below refer to RFC 9180. */
#include "crypto/hpke.h"

#include <string.h>

#include <sodium.h>

#include "crypto/aead_internal.h"
#include "crypto/dh.h"
#include "crypto/hpke_internal.h"
#include "crypto/internal.h"
#include "crypto/kdf_internal.h"

#define LABEL(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* suite_id = "KEM" ‖ I2OSP(kem_id, 2) for the KEM (§4.1). */
static const uint8_t kem_suite[5] = { 'K', 'E', 'M', 0x00, 0x20 };

/* suite_id = "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id for the key schedule (§5.1). */
static void hpke_suite(uint8_t out[10], enum cf_hpke_aead aead)
{
	memcpy(out, "HPKE", 4);
	cf_store_be16(out + 4, CF_HPKE_KEM_ID);
	cf_store_be16(out + 6, CF_HPKE_KDF_ID);
	cf_store_be16(out + 8, (uint16_t)aead);
}

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite ‖ label ‖ ikm) */
static cf_err labeled_extract(uint8_t prk[32], const uint8_t *suite, size_t suite_len,
			      const uint8_t *salt, size_t salt_len,
			      const uint8_t *label, size_t label_len,
			      const uint8_t *ikm, size_t ikm_len)
{
	const struct cf_span parts[] = {
		{ LABEL("HPKE-v1") }, { suite, suite_len }, { label, label_len }, { ikm, ikm_len },
	};
	return cf_hkdf_extract_parts(prk, salt, salt_len, parts, 4);
}

/* LabeledExpand(prk, label, info, L) =
 *   Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite ‖ label ‖ info, L) */
static cf_err labeled_expand(uint8_t *out, size_t out_len, const uint8_t prk[32],
			     const uint8_t *suite, size_t suite_len,
			     const uint8_t *label, size_t label_len,
			     const uint8_t *info, size_t info_len)
{
	if (out_len > CF_HPKE_EXPORT_MAX)
		return CF_ERR_INVALID;
	uint8_t len_be[2];
	cf_store_be16(len_be, (uint16_t)out_len);
	const struct cf_span parts[] = {
		{ len_be, 2 }, { LABEL("HPKE-v1") }, { suite, suite_len },
		{ label, label_len }, { info, info_len },
	};
	return cf_hkdf_expand_parts(out, out_len, prk, parts, 5);
}

/* ---- DHKEM (§4.1, §7.1.3) ---------------------------------------------- */

cf_err cf_hpke_derive_keypair(uint8_t sk[CF_HPKE_SK_BYTES], uint8_t pk[CF_HPKE_PK_BYTES],
			      const uint8_t *ikm, size_t ikm_len)
{
	if (sk == NULL || pk == NULL || ikm == NULL || ikm_len < CF_HPKE_SK_BYTES)
		return CF_ERR_INVALID;
	if (ikm_len > CF_HPKE_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	uint8_t prk[32];
	uint8_t tsk[CF_HPKE_SK_BYTES];
	uint8_t tpk[CF_HPKE_PK_BYTES];
	cf_err err = labeled_extract(prk, kem_suite, sizeof(kem_suite), NULL, 0,
				     LABEL("dkp_prk"), ikm, ikm_len);
	if (!err)
		err = labeled_expand(tsk, sizeof(tsk), prk, kem_suite, sizeof(kem_suite),
				     LABEL("sk"), NULL, 0);
	if (!err)
		err = cf_x25519_public(tpk, tsk);
	if (!err) {
		memcpy(sk, tsk, sizeof(tsk));
		memcpy(pk, tpk, sizeof(tpk));
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(tsk, sizeof(tsk));
	return err;
}

/* shared_secret = ExtractAndExpand(DH(sk, pk), enc ‖ pkR) */
static cf_err kem_shared(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32],
			 const uint8_t enc[32], const uint8_t pk_r[32])
{
	uint8_t dh[32];
	uint8_t prk[32];
	uint8_t kem_context[64];
	memcpy(kem_context, enc, 32);
	memcpy(kem_context + 32, pk_r, 32);
	cf_err err = cf_x25519(dh, sk, pk);
	if (!err)
		err = labeled_extract(prk, kem_suite, sizeof(kem_suite), NULL, 0,
				      LABEL("eae_prk"), dh, sizeof(dh));
	if (!err)
		err = labeled_expand(shared, 32, prk, kem_suite, sizeof(kem_suite),
				     LABEL("shared_secret"), kem_context, sizeof(kem_context));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(prk, sizeof(prk));
	return err;
}

/* Encap with a given ephemeral secret key. */
static cf_err encap_with(uint8_t shared[32], uint8_t enc[32], const uint8_t pk_r[32],
			 const uint8_t sk_e[32])
{
	uint8_t pk_e[32];
	uint8_t tshared[32];
	cf_err err = cf_x25519_public(pk_e, sk_e);
	if (!err)
		err = kem_shared(tshared, sk_e, pk_r, pk_e, pk_r);
	if (!err) {
		memcpy(shared, tshared, sizeof(tshared));
		memcpy(enc, pk_e, sizeof(pk_e));
	}
	sodium_memzero(tshared, sizeof(tshared));
	return err;
}

cf_err cf_hpke_encap_derand(uint8_t shared[32], uint8_t enc[32], const uint8_t pk_r[32],
			    const uint8_t *ikm_e, size_t ikm_e_len)
{
	if (shared == NULL || enc == NULL || pk_r == NULL)
		return CF_ERR_INVALID;
	uint8_t sk_e[32];
	uint8_t pk_e[32];
	cf_err err = cf_hpke_derive_keypair(sk_e, pk_e, ikm_e, ikm_e_len);
	if (!err)
		err = encap_with(shared, enc, pk_r, sk_e);
	sodium_memzero(sk_e, sizeof(sk_e));
	return err;
}

static cf_err encap_random(uint8_t shared[32], uint8_t enc[32], const uint8_t pk_r[32])
{
	uint8_t sk_e[32];
	randombytes_buf(sk_e, sizeof(sk_e));
	cf_err err = encap_with(shared, enc, pk_r, sk_e);
	sodium_memzero(sk_e, sizeof(sk_e));
	return err;
}

cf_err cf_hpke_decap(uint8_t shared[32], const uint8_t enc[32], const uint8_t sk_r[32])
{
	if (shared == NULL || enc == NULL || sk_r == NULL)
		return CF_ERR_INVALID;
	uint8_t pk_r[32];
	cf_err err = cf_x25519_public(pk_r, sk_r);
	if (!err)
		err = kem_shared(shared, sk_r, enc, enc, pk_r);
	return err;
}

/* ---- key schedule (§5.1) ----------------------------------------------- */

static size_t aead_key_len(enum cf_hpke_aead aead)
{
	switch (aead) {
	case CF_HPKE_AEAD_AES128GCM: return 16;
	case CF_HPKE_AEAD_AES256GCM: return 32;
	}
	return 0;
}

/* VerifyPSKInputs plus coffre's size caps. */
static cf_err check_params(const struct cf_hpke_params *p)
{
	if (p == NULL || !cf_span_ok(p->info, p->info_len) ||
	    !cf_span_ok(p->psk, p->psk_len) || !cf_span_ok(p->psk_id, p->psk_id_len))
		return CF_ERR_INVALID;
	if (aead_key_len(p->aead) == 0)
		return CF_ERR_UNSUPPORTED;
	if (p->info_len > CF_HPKE_INPUT_MAX || p->psk_len > CF_HPKE_INPUT_MAX ||
	    p->psk_id_len > CF_HPKE_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	switch (p->mode) {
	case CF_HPKE_MODE_BASE:
		return p->psk_len == 0 && p->psk_id_len == 0 ? CF_OK : CF_ERR_INVALID;
	case CF_HPKE_MODE_PSK:
		return p->psk_len >= CF_HPKE_PSK_MIN && p->psk_id_len > 0 ?
		       CF_OK : CF_ERR_INVALID;
	}
	return CF_ERR_UNSUPPORTED;
}

/* key_schedule_context = mode ‖ LabeledExtract("", "psk_id_hash", psk_id)
 *                             ‖ LabeledExtract("", "info_hash", info) */
static cf_err schedule_context(uint8_t ksc[65], const uint8_t suite[10],
			       const struct cf_hpke_params *p)
{
	ksc[0] = (uint8_t)p->mode;
	cf_err err = labeled_extract(ksc + 1, suite, 10, NULL, 0, LABEL("psk_id_hash"),
				     p->psk_id, p->psk_id_len);
	if (!err)
		err = labeled_extract(ksc + 33, suite, 10, NULL, 0, LABEL("info_hash"),
				      p->info, p->info_len);
	return err;
}

static cf_err key_schedule(cf_hpke_ctx *ret_ctx, const uint8_t shared[32],
			   const struct cf_hpke_params *p)
{
	uint8_t suite[10];
	uint8_t ksc[65];
	uint8_t secret[32];
	cf_hpke_ctx ctx = { .aead = p->aead, .key_len = aead_key_len(p->aead), .seq = 0 };
	hpke_suite(suite, p->aead);
	cf_err err = schedule_context(ksc, suite, p);
	if (!err)
		err = labeled_extract(secret, suite, sizeof(suite), shared, 32,
				      LABEL("secret"), p->psk, p->psk_len);
	if (!err)
		err = labeled_expand(ctx.key, ctx.key_len, secret, suite, sizeof(suite),
				     LABEL("key"), ksc, sizeof(ksc));
	if (!err)
		err = labeled_expand(ctx.base_nonce, sizeof(ctx.base_nonce), secret, suite,
				     sizeof(suite), LABEL("base_nonce"), ksc, sizeof(ksc));
	if (!err)
		err = labeled_expand(ctx.exporter_secret, sizeof(ctx.exporter_secret), secret,
				     suite, sizeof(suite), LABEL("exp"), ksc, sizeof(ksc));
	if (!err)
		*ret_ctx = ctx;
	sodium_memzero(secret, sizeof(secret));
	cf_hpke_ctx_wipe(&ctx);
	return err;
}

/* ---- setup (§5.1.1, §5.1.2) -------------------------------------------- */

/* Shared tail of both sender setups: schedule, then publish ctx and enc. */
static cf_err finish_sender(cf_hpke_ctx *ret_ctx, uint8_t enc[32], cf_err err,
			    const uint8_t shared[32], const uint8_t tenc[32],
			    const struct cf_hpke_params *params)
{
	cf_hpke_ctx ctx;
	if (!err)
		err = key_schedule(&ctx, shared, params);
	if (!err) {
		*ret_ctx = ctx;
		memcpy(enc, tenc, 32);
	}
	cf_hpke_ctx_wipe(&ctx);
	return err;
}

cf_err cf_hpke_setup_sender(cf_hpke_ctx *ret_ctx, uint8_t enc[CF_HPKE_ENC_BYTES],
			    const struct cf_hpke_params *params,
			    const uint8_t pk_r[CF_HPKE_PK_BYTES])
{
	if (ret_ctx == NULL || enc == NULL || pk_r == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_params(params);
	if (err)
		return err;
	uint8_t shared[32];
	uint8_t tenc[32];
	err = encap_random(shared, tenc, pk_r);
	err = finish_sender(ret_ctx, enc, err, shared, tenc, params);
	sodium_memzero(shared, sizeof(shared));
	return err;
}

cf_err cf_hpke_setup_sender_derand(cf_hpke_ctx *ret_ctx, uint8_t enc[CF_HPKE_ENC_BYTES],
				   const struct cf_hpke_params *params,
				   const uint8_t pk_r[CF_HPKE_PK_BYTES],
				   const uint8_t *ikm_e, size_t ikm_e_len)
{
	if (ret_ctx == NULL || enc == NULL || pk_r == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_params(params);
	if (err)
		return err;
	uint8_t shared[32];
	uint8_t tenc[32];
	err = cf_hpke_encap_derand(shared, tenc, pk_r, ikm_e, ikm_e_len);
	err = finish_sender(ret_ctx, enc, err, shared, tenc, params);
	sodium_memzero(shared, sizeof(shared));
	return err;
}

cf_err cf_hpke_setup_receiver(cf_hpke_ctx *ret_ctx, const struct cf_hpke_params *params,
			      const uint8_t enc[CF_HPKE_ENC_BYTES],
			      const uint8_t sk_r[CF_HPKE_SK_BYTES])
{
	if (ret_ctx == NULL || enc == NULL || sk_r == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_params(params);
	if (err)
		return err;
	uint8_t shared[32];
	err = cf_hpke_decap(shared, enc, sk_r);
	if (!err)
		err = key_schedule(ret_ctx, shared, params);
	sodium_memzero(shared, sizeof(shared));
	return err;
}

/* ---- encryption and export (§5.2, §5.3) -------------------------------- */

/* nonce = base_nonce XOR I2OSP(seq, Nn). The 64-bit counter fills the low
 * 8 bytes; the high 4 stay as in base_nonce. */
static void ctx_nonce(uint8_t out[12], const cf_hpke_ctx *ctx)
{
	uint8_t seq_be[8];
	cf_store_be64(seq_be, ctx->seq);
	memcpy(out, ctx->base_nonce, 12);
	for (size_t i = 0; i < 8; i++)
		out[4 + i] ^= seq_be[i];
}

static cf_err check_ctx(const cf_hpke_ctx *ctx)
{
	if (ctx == NULL || aead_key_len(ctx->aead) != ctx->key_len)
		return CF_ERR_INVALID;
	if (ctx->seq == UINT64_MAX)
		return CF_ERR_TOO_LARGE; /* MessageLimitReachedError */
	return CF_OK;
}

cf_err cf_hpke_ctx_seal(cf_hpke_ctx *ctx, uint8_t *ct,
			const uint8_t *aad, size_t aad_len,
			const uint8_t *pt, size_t pt_len)
{
	cf_err err = check_ctx(ctx);
	if (err)
		return err;
	uint8_t nonce[12];
	ctx_nonce(nonce, ctx);
	err = cf_aes_gcm_seal(CF_AES_IMPL_AUTO, ct, pt, pt_len, aad, aad_len, nonce,
			      ctx->key, ctx->key_len);
	if (!err)
		ctx->seq++;
	return err;
}

cf_err cf_hpke_ctx_open(cf_hpke_ctx *ctx, uint8_t *pt,
			const uint8_t *aad, size_t aad_len,
			const uint8_t *ct, size_t ct_len)
{
	cf_err err = check_ctx(ctx);
	if (err)
		return err;
	uint8_t nonce[12];
	ctx_nonce(nonce, ctx);
	err = cf_aes_gcm_open(CF_AES_IMPL_AUTO, pt, ct, ct_len, aad, aad_len, nonce,
			      ctx->key, ctx->key_len);
	if (!err)
		ctx->seq++;
	return err;
}

cf_err cf_hpke_ctx_export(const cf_hpke_ctx *ctx, uint8_t *out, size_t out_len,
			  const uint8_t *exporter_context, size_t context_len)
{
	if (ctx == NULL || !cf_span_ok(out, out_len) ||
	    !cf_span_ok(exporter_context, context_len) || out_len > CF_HPKE_EXPORT_MAX)
		return CF_ERR_INVALID;
	if (context_len > CF_HPKE_INPUT_MAX)
		return CF_ERR_TOO_LARGE;
	uint8_t suite[10];
	hpke_suite(suite, ctx->aead);
	return labeled_expand(out, out_len, ctx->exporter_secret, suite, sizeof(suite),
			      LABEL("sec"), exporter_context, context_len);
}

void cf_hpke_ctx_wipe(cf_hpke_ctx *ctx)
{
	if (ctx != NULL)
		sodium_memzero(ctx, sizeof(*ctx));
}

/* ---- single shot (§6.1) ------------------------------------------------ */

static const struct cf_hpke_params base_params_init = {
	.mode = CF_HPKE_MODE_BASE, .aead = CF_HPKE_AEAD_AES256GCM,
};

cf_err cf_hpke_seal_base(uint8_t enc[CF_HPKE_ENC_BYTES], uint8_t *ct,
			 const uint8_t pk_r[CF_HPKE_PK_BYTES],
			 const uint8_t *info, size_t info_len,
			 const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t pt_len)
{
	if (enc == NULL)
		return CF_ERR_INVALID;
	struct cf_hpke_params p = base_params_init;
	p.info = info;
	p.info_len = info_len;
	cf_hpke_ctx ctx;
	uint8_t tenc[32];
	cf_err err = cf_hpke_setup_sender(&ctx, tenc, &p, pk_r);
	if (err)
		return err;
	err = cf_hpke_ctx_seal(&ctx, ct, aad, aad_len, pt, pt_len);
	if (!err)
		memcpy(enc, tenc, sizeof(tenc));
	cf_hpke_ctx_wipe(&ctx);
	return err;
}

cf_err cf_hpke_open_base(uint8_t *pt, const uint8_t enc[CF_HPKE_ENC_BYTES],
			 const uint8_t *ct, size_t ct_len,
			 const uint8_t sk_r[CF_HPKE_SK_BYTES],
			 const uint8_t *info, size_t info_len,
			 const uint8_t *aad, size_t aad_len)
{
	if (ct_len < CF_HPKE_TAG_BYTES)
		return CF_ERR_INVALID;
	struct cf_hpke_params p = base_params_init;
	p.info = info;
	p.info_len = info_len;
	cf_hpke_ctx ctx;
	cf_err err = cf_hpke_setup_receiver(&ctx, &p, enc, sk_r);
	if (err)
		return err;
	err = cf_hpke_ctx_open(&ctx, pt, aad, aad_len, ct, ct_len);
	cf_hpke_ctx_wipe(&ctx);
	return err;
}

/* ---- coffre key wrap ---------------------------------------------------- */

static cf_err check_object_id(const uint8_t *object_id, size_t id_len)
{
	if (object_id == NULL || id_len == 0)
		return CF_ERR_INVALID;
	if (id_len > CF_WRAP_ID_MAX)
		return CF_ERR_TOO_LARGE;
	return CF_OK;
}

cf_err cf_wrap_key(uint8_t out[CF_WRAP_BYTES], const uint8_t key[CF_WRAP_KEY_BYTES],
		   const uint8_t pk_r[CF_HPKE_PK_BYTES],
		   const uint8_t *object_id, size_t id_len)
{
	if (out == NULL || key == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_object_id(object_id, id_len);
	if (err)
		return err;
	uint8_t tmp[CF_WRAP_BYTES];
	err = cf_hpke_seal_base(tmp, tmp + CF_HPKE_ENC_BYTES, pk_r, LABEL(CF_WRAP_INFO),
				object_id, id_len, key, CF_WRAP_KEY_BYTES);
	if (!err)
		memcpy(out, tmp, sizeof(tmp));
	return err;
}

cf_err cf_unwrap_key(uint8_t key[CF_WRAP_KEY_BYTES], const uint8_t wrap[CF_WRAP_BYTES],
		     const uint8_t sk_r[CF_HPKE_SK_BYTES],
		     const uint8_t *object_id, size_t id_len)
{
	if (key == NULL || wrap == NULL)
		return CF_ERR_INVALID;
	cf_err err = check_object_id(object_id, id_len);
	if (err)
		return err;
	uint8_t tmp[CF_WRAP_KEY_BYTES];
	err = cf_hpke_open_base(tmp, wrap, wrap + CF_HPKE_ENC_BYTES,
				CF_WRAP_BYTES - CF_HPKE_ENC_BYTES, sk_r,
				LABEL(CF_WRAP_INFO), object_id, id_len);
	if (!err)
		memcpy(key, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return err;
}
