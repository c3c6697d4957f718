/* HPKE: all 4 RFC 9180 entries of the vector file (both modes, both AEADs),
 * every sequence number, every export, the deterministic key derivation
 * and encapsulation; then the coffre key wrap. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/dh.h"
#include "crypto/hpke.h"
#include "crypto/hpke_internal.h"

struct entry {
	struct cf_hpke_params params;
	uint8_t *info, *psk, *psk_id, *ikm_e, *ikm_r;
	size_t ikm_e_len, ikm_r_len;
	uint8_t sk_r[32], pk_r[32], sk_e[32], pk_e[32], enc[32], shared[32];
	uint8_t key[32], base_nonce[12], exporter_secret[32];
	size_t key_len;
};

static void entry_load(struct entry *e, const json_t *v)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(vec_int(v, "kem_id"), CF_HPKE_KEM_ID);
	assert_int_equal(vec_int(v, "kdf_id"), CF_HPKE_KDF_ID);
	e->params.mode = (enum cf_hpke_mode)vec_int(v, "mode");
	e->params.aead = (enum cf_hpke_aead)vec_int(v, "aead_id");
	e->info = vec_hex(v, "info", &e->params.info_len);
	e->params.info = e->info;
	if (e->params.mode == CF_HPKE_MODE_PSK) {
		e->psk = vec_hex(v, "psk", &e->params.psk_len);
		e->psk_id = vec_hex(v, "psk_id", &e->params.psk_id_len);
		e->params.psk = e->psk;
		e->params.psk_id = e->psk_id;
	}
	e->ikm_e = vec_hex(v, "ikmE", &e->ikm_e_len);
	e->ikm_r = vec_hex(v, "ikmR", &e->ikm_r_len);
	vec_hex_exact(e->sk_r, 32, vec_str(v, "skRm"));
	vec_hex_exact(e->pk_r, 32, vec_str(v, "pkRm"));
	vec_hex_exact(e->sk_e, 32, vec_str(v, "skEm"));
	vec_hex_exact(e->pk_e, 32, vec_str(v, "pkEm"));
	vec_hex_exact(e->enc, 32, vec_str(v, "enc"));
	vec_hex_exact(e->shared, 32, vec_str(v, "shared_secret"));
	e->key_len = strlen(vec_str(v, "key")) / 2;
	vec_hex_exact(e->key, e->key_len, vec_str(v, "key"));
	vec_hex_exact(e->base_nonce, 12, vec_str(v, "base_nonce"));
	vec_hex_exact(e->exporter_secret, 32, vec_str(v, "exporter_secret"));
}

static void entry_free(struct entry *e)
{
	free(e->info); free(e->psk); free(e->psk_id); free(e->ikm_e); free(e->ikm_r);
}

/* DeriveKeyPair for both sides, Encap with ikmE and Decap. */
static void check_kem(const struct entry *e)
{
	uint8_t sk[32], pk[32], shared[32], enc[32];
	assert_int_equal(cf_hpke_derive_keypair(sk, pk, e->ikm_r, e->ikm_r_len), CF_OK);
	assert_memory_equal(sk, e->sk_r, 32);
	assert_memory_equal(pk, e->pk_r, 32);
	assert_int_equal(cf_hpke_derive_keypair(sk, pk, e->ikm_e, e->ikm_e_len), CF_OK);
	assert_memory_equal(sk, e->sk_e, 32);
	assert_memory_equal(pk, e->pk_e, 32);
	assert_int_equal(cf_hpke_encap_derand(shared, enc, e->pk_r, e->ikm_e, e->ikm_e_len), CF_OK);
	assert_memory_equal(enc, e->enc, 32);
	assert_memory_equal(shared, e->shared, 32);
	memset(shared, 0, 32);
	assert_int_equal(cf_hpke_decap(shared, e->enc, e->sk_r), CF_OK);
	assert_memory_equal(shared, e->shared, 32);
}

static void check_schedule(const struct entry *e, const cf_hpke_ctx *ctx)
{
	assert_int_equal(ctx->key_len, e->key_len);
	assert_memory_equal(ctx->key, e->key, e->key_len);
	assert_memory_equal(ctx->base_nonce, e->base_nonce, 12);
	assert_memory_equal(ctx->exporter_secret, e->exporter_secret, 32);
	assert_int_equal(ctx->seq, 0);
}

/* One encryption: the sender's seal gives ct exactly, the receiver's open
 * gives pt exactly, both at sequence number `seq`. */
static void check_encryption(cf_hpke_ctx *s, cf_hpke_ctx *r, const json_t *enc_case,
			     uint64_t seq, const uint8_t base_nonce[12])
{
	size_t aad_len, pt_len, ct_len;
	uint8_t nonce[12], want_nonce[12];
	uint8_t *aad = vec_hex(enc_case, "aad", &aad_len);
	uint8_t *pt = vec_hex(enc_case, "pt", &pt_len);
	uint8_t *ct = vec_hex(enc_case, "ct", &ct_len);
	vec_hex_exact(want_nonce, 12, vec_str(enc_case, "nonce"));
	/* the file's nonce is base_nonce XOR seq: we read the entries in order */
	memcpy(nonce, base_nonce, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	assert_memory_equal(nonce, want_nonce, 12);
	assert_int_equal(ct_len, pt_len + CF_HPKE_TAG_BYTES);
	uint8_t *out = malloc(ct_len);
	assert_non_null(out);
	assert_int_equal(s->seq, seq);
	assert_int_equal(cf_hpke_ctx_seal(s, out, aad, aad_len, pt, pt_len), CF_OK);
	vec_assert_bytes(out, ct, ct_len, "hpke seal", (long long)seq);
	assert_int_equal(cf_hpke_ctx_open(r, out, aad, aad_len, ct, ct_len), CF_OK);
	vec_assert_bytes(out, pt, pt_len, "hpke open", (long long)seq);
	free(out); free(aad); free(pt); free(ct);
}

static unsigned check_exports(const cf_hpke_ctx *s, const cf_hpke_ctx *r, const json_t *exports)
{
	unsigned n = 0;
	size_t i;
	const json_t *x;
	json_array_foreach(exports, i, x) {
		size_t ctx_len, want_len;
		uint8_t *context = vec_hex(x, "exporter_context", &ctx_len);
		uint8_t *want = vec_hex(x, "exported_value", &want_len);
		size_t len = (size_t)vec_int(x, "L");
		assert_int_equal(len, want_len);
		uint8_t *out = malloc(len);
		assert_non_null(out);
		assert_int_equal(cf_hpke_ctx_export(s, out, len, context, ctx_len), CF_OK);
		assert_memory_equal(out, want, len);
		assert_int_equal(cf_hpke_ctx_export(r, out, len, context, ctx_len), CF_OK);
		assert_memory_equal(out, want, len);
		free(out); free(context); free(want);
		n++;
	}
	return n;
}

/* The coffre suite (mode 0, AES-256-GCM) at sequence number 0 must also
 * open through the single-shot API. */
static void check_single_shot(const struct entry *e, const json_t *first)
{
	size_t aad_len, pt_len, ct_len;
	uint8_t *aad = vec_hex(first, "aad", &aad_len);
	uint8_t *pt = vec_hex(first, "pt", &pt_len);
	uint8_t *ct = vec_hex(first, "ct", &ct_len);
	uint8_t *out = malloc(ct_len);
	assert_non_null(out);
	assert_int_equal(cf_hpke_open_base(out, e->enc, ct, ct_len, e->sk_r, e->info,
					   e->params.info_len, aad, aad_len), CF_OK);
	assert_memory_equal(out, pt, pt_len);
	free(out); free(aad); free(pt); free(ct);
}

static void test_rfc9180_vectors(void **state)
{
	(void)state;
	json_t *root = vec_load("hpke-x25519-sha256-aes.json", false);
	unsigned entries = 0, seal_open = 0, exports = 0, single = 0;
	size_t vi;
	const json_t *v;
	json_array_foreach(root, vi, v) {
		struct entry e;
		entry_load(&e, v);
		check_kem(&e);
		cf_hpke_ctx s, r;
		uint8_t enc[32];
		assert_int_equal(cf_hpke_setup_sender_derand(&s, enc, &e.params, e.pk_r, e.ikm_e,
							     e.ikm_e_len), CF_OK);
		assert_memory_equal(enc, e.enc, 32);
		assert_int_equal(cf_hpke_setup_receiver(&r, &e.params, e.enc, e.sk_r), CF_OK);
		check_schedule(&e, &s);
		check_schedule(&e, &r);
		const json_t *encs = json_object_get(v, "encryptions");
		size_t i;
		const json_t *c;
		json_array_foreach(encs, i, c) {
			check_encryption(&s, &r, c, i, e.base_nonce);
			seal_open++;
		}
		exports += check_exports(&s, &r, json_object_get(v, "exports"));
		if (e.params.mode == CF_HPKE_MODE_BASE && e.params.aead == CF_HPKE_AEAD_AES256GCM) {
			check_single_shot(&e, json_array_get(encs, 0));
			single++;
		}
		cf_hpke_ctx_wipe(&s);
		cf_hpke_ctx_wipe(&r);
		entry_free(&e);
		entries++;
	}
	json_decref(root);
	assert_int_equal(entries, 4);
	assert_int_equal(seal_open, 1028);
	assert_int_equal(exports, 12);
	assert_int_equal(single, 1);
	vec_report("hpke", "checked %u entries (modes base+psk, AEAD 1+2): DeriveKeyPair, Encap "
		   "with ikmE, Decap, key schedule; %u seal/open checks (sequence numbers 0..256, "
		   "sealed and opened exactly); %u exports from both sides; the coffre-suite entry "
		   "also through cf_hpke_open_base; skipped 0", entries, seal_open, exports);
}

static void test_context_rules(void **state)
{
	(void)state;
	uint8_t sk[32], pk[32], enc[32], ct[20], pt[4] = { 1, 2, 3, 4 }, out[4];
	const uint8_t psk[32] = { 7 }, psk_id[] = "id";
	assert_int_equal(cf_hpke_derive_keypair(sk, pk, psk, 32), CF_OK);
	struct cf_hpke_params p = { .mode = CF_HPKE_MODE_BASE, .aead = CF_HPKE_AEAD_AES256GCM };
	cf_hpke_ctx s, r;
	/* mode/psk agreement, unsupported ids */
	p.psk = psk;
	p.psk_len = 32;
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_ERR_INVALID);
	p.mode = CF_HPKE_MODE_PSK;
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_ERR_INVALID); /* no psk_id */
	p.psk_id = psk_id;
	p.psk_id_len = 2;
	p.psk_len = 31;
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_ERR_INVALID); /* short psk */
	p.psk_len = 32;
	p.aead = (enum cf_hpke_aead)3;
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_ERR_UNSUPPORTED);
	p.aead = CF_HPKE_AEAD_AES256GCM;
	p.mode = (enum cf_hpke_mode)2;
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_ERR_UNSUPPORTED);
	p.mode = CF_HPKE_MODE_PSK;
	/* small-order recipient key: all-zero DH refused */
	uint8_t zero[32] = { 0 };
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, zero), CF_ERR_CRYPTO);
	assert_int_equal(cf_hpke_setup_receiver(&r, &p, zero, sk), CF_ERR_CRYPTO);
	/* sequence: a failed open does not advance, a skipped message fails */
	assert_int_equal(cf_hpke_setup_sender(&s, enc, &p, pk), CF_OK);
	assert_int_equal(cf_hpke_setup_receiver(&r, &p, enc, sk), CF_OK);
	uint8_t ct2[20];
	assert_int_equal(cf_hpke_ctx_seal(&s, ct, NULL, 0, pt, 4), CF_OK);
	assert_int_equal(cf_hpke_ctx_seal(&s, ct2, NULL, 0, pt, 4), CF_OK);
	memset(out, 0x99, sizeof(out));
	assert_int_equal(cf_hpke_ctx_open(&r, out, NULL, 0, ct2, 20), CF_ERR_CRYPTO);
	assert_true(sodium_is_zero(out, 4));
	assert_int_equal(r.seq, 0);
	assert_int_equal(cf_hpke_ctx_open(&r, out, NULL, 0, ct, 20), CF_OK);
	assert_int_equal(cf_hpke_ctx_open(&r, out, NULL, 0, ct2, 20), CF_OK);
	assert_memory_equal(out, pt, 4);
	/* exhaustion and export bounds */
	s.seq = UINT64_MAX;
	assert_int_equal(cf_hpke_ctx_seal(&s, ct, NULL, 0, pt, 4), CF_ERR_TOO_LARGE);
	uint8_t big[8];
	assert_int_equal(cf_hpke_ctx_export(&r, big, 255 * 32 + 1, NULL, 0), CF_ERR_INVALID);
	assert_int_equal(cf_hpke_derive_keypair(sk, pk, psk, 31), CF_ERR_INVALID);
	cf_hpke_ctx_wipe(&s);
	cf_hpke_ctx_wipe(&r);
	assert_true(sodium_is_zero((const unsigned char *)&s, sizeof(s)));
	cf_hpke_ctx_wipe(NULL);
}

static void test_single_shot(void **state)
{
	(void)state;
	uint8_t sk[32], pk[32], sk2[32], pk2[32], enc[32], ct[21], out[5];
	const uint8_t info[] = "app info", aad[] = "aad", msg[5] = "hello";
	assert_int_equal(cf_x25519_keypair(pk, sk), CF_OK);
	assert_int_equal(cf_x25519_keypair(pk2, sk2), CF_OK);
	assert_int_equal(cf_hpke_seal_base(enc, ct, pk, info, sizeof(info), aad, sizeof(aad),
					   msg, sizeof(msg)), CF_OK);
	assert_int_equal(cf_hpke_open_base(out, enc, ct, sizeof(ct), sk, info, sizeof(info),
					   aad, sizeof(aad)), CF_OK);
	assert_memory_equal(out, msg, sizeof(msg));
	/* wrong info, aad, key, enc; short ciphertext */
	assert_int_equal(cf_hpke_open_base(out, enc, ct, sizeof(ct), sk, info, 3, aad,
					   sizeof(aad)), CF_ERR_CRYPTO);
	assert_int_equal(cf_hpke_open_base(out, enc, ct, sizeof(ct), sk, info, sizeof(info),
					   NULL, 0), CF_ERR_CRYPTO);
	assert_int_equal(cf_hpke_open_base(out, enc, ct, sizeof(ct), sk2, info, sizeof(info),
					   aad, sizeof(aad)), CF_ERR_CRYPTO);
	assert_int_equal(cf_hpke_open_base(out, pk2, ct, sizeof(ct), sk, info, sizeof(info),
					   aad, sizeof(aad)), CF_ERR_CRYPTO);
	assert_int_equal(cf_hpke_open_base(out, enc, ct, 15, sk, info, sizeof(info),
					   aad, sizeof(aad)), CF_ERR_INVALID);
	sodium_memzero(sk, 32);
	sodium_memzero(sk2, 32);
}

/* A wrap made by the general API with the coffre parameters and a fixed
 * ephemeral key opens with cf_unwrap_key, and the reverse: the wire form
 * is exactly enc ‖ HPKE ciphertext, info "coffre-v1 wrap", aad = id. The
 * recipient is the RFC 9180 A.1-style key of the coffre-suite entry. */
static void test_wrap_layout(void **state)
{
	(void)state;
	uint8_t ikm_r[32], ikm_e[32], sk[32], pk[32], key[32], wrap[CF_WRAP_BYTES], got[32];
	const uint8_t id[16] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	vec_hex_exact(ikm_r, 32, "dac33b0e9db1b59dbbea58d59a14e7b5896e9bdf98fad6891e99d1686492b9ee");
	vec_hex_exact(ikm_e, 32, "2cd7c601cefb3d42a62b04b7a9041494c06c7843818e0ce28a8f704ae7ab20f9");
	for (size_t i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x40 + i);
	assert_int_equal(cf_hpke_derive_keypair(sk, pk, ikm_r, 32), CF_OK);
	struct cf_hpke_params p = {
		.mode = CF_HPKE_MODE_BASE, .aead = CF_HPKE_AEAD_AES256GCM,
		.info = (const uint8_t *)CF_WRAP_INFO, .info_len = sizeof(CF_WRAP_INFO) - 1,
	};
	cf_hpke_ctx s;
	assert_int_equal(cf_hpke_setup_sender_derand(&s, wrap, &p, pk, ikm_e, 32), CF_OK);
	assert_int_equal(cf_hpke_ctx_seal(&s, wrap + 32, id, sizeof(id), key, 32), CF_OK);
	cf_hpke_ctx_wipe(&s);
	assert_int_equal(cf_unwrap_key(got, wrap, sk, id, sizeof(id)), CF_OK);
	assert_memory_equal(got, key, 32);

	cf_hpke_ctx r;
	assert_int_equal(cf_wrap_key(wrap, key, pk, id, sizeof(id)), CF_OK);
	assert_int_equal(cf_hpke_setup_receiver(&r, &p, wrap, sk), CF_OK);
	memset(got, 0, 32);
	assert_int_equal(cf_hpke_ctx_open(&r, got, id, sizeof(id), wrap + 32, 48), CF_OK);
	assert_memory_equal(got, key, 32);
	cf_hpke_ctx_wipe(&r);
	sodium_memzero(sk, 32);
}

static void test_wrap_rejections(void **state)
{
	(void)state;
	uint8_t sk[32], pk[32], sk2[32], pk2[32], key[32], wrap[CF_WRAP_BYTES], wrap2[CF_WRAP_BYTES];
	uint8_t got[32];
	uint8_t id[16], id2[16];
	cf_random_id(id);
	memcpy(id2, id, 16);
	id2[0] ^= 1;
	cf_aead_keygen(key);
	assert_int_equal(cf_x25519_keypair(pk, sk), CF_OK);
	assert_int_equal(cf_x25519_keypair(pk2, sk2), CF_OK);
	assert_int_equal(cf_wrap_key(wrap, key, pk, id, 16), CF_OK);
	assert_int_equal(cf_wrap_key(wrap2, key, pk, id, 16), CF_OK);
	assert_memory_not_equal(wrap, wrap2, CF_WRAP_BYTES); /* fresh ephemeral each time */
	assert_int_equal(cf_unwrap_key(got, wrap, sk, id, 16), CF_OK);
	assert_memory_equal(got, key, 32);

	unsigned rejected = 0;
	memset(got, 0x66, 32);
	assert_int_equal(cf_unwrap_key(got, wrap, sk, id2, 16), CF_ERR_CRYPTO);   /* other object */
	assert_int_equal(cf_unwrap_key(got, wrap, sk, id, 15), CF_ERR_CRYPTO);    /* id prefix */
	assert_int_equal(cf_unwrap_key(got, wrap, sk2, id, 16), CF_ERR_CRYPTO);   /* other key */
	rejected += 3;
	for (size_t i = 0; i < CF_WRAP_BYTES; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			wrap[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(cf_unwrap_key(got, wrap, sk, id, 16), CF_ERR_CRYPTO);
			wrap[i] ^= (uint8_t)(1u << bit);
			rejected++;
		}
	}
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(got[i], 0x66); /* never written on failure */
	/* bad arguments */
	assert_int_equal(cf_wrap_key(wrap, key, pk, id, 0), CF_ERR_INVALID);
	assert_int_equal(cf_wrap_key(wrap, key, pk, NULL, 16), CF_ERR_INVALID);
	assert_int_equal(cf_wrap_key(wrap, key, pk, id, CF_WRAP_ID_MAX + 1), CF_ERR_TOO_LARGE);
	uint8_t zero[32] = { 0 };
	assert_int_equal(cf_wrap_key(wrap2, key, zero, id, 16), CF_ERR_CRYPTO);
	vec_report("wrap", "round trip ok; %u altered wraps / wrong ids / wrong keys rejected", rejected);
	sodium_memzero(sk, 32);
	sodium_memzero(sk2, 32);
	sodium_memzero(key, 32);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9180_vectors),
		cmocka_unit_test(test_context_rules),
		cmocka_unit_test(test_single_shot),
		cmocka_unit_test(test_wrap_layout),
		cmocka_unit_test(test_wrap_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
