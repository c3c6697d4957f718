/* Chunked file AEAD: known answers computed independently (Python
 * `cryptography`, i.e. OpenSSL, following DESIGN §4 and filecrypt.h),
 * round trips at the chunk edges, and every way to damage a stream. */
#include "vectors.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/filecrypt.h"
#include "crypto/filecrypt_internal.h"

#define CHUNK CF_FILECRYPT_CHUNK_BYTES
#define CT_CHUNK CF_FILECRYPT_CT_CHUNK_BYTES

static uint8_t key[32];
static uint8_t aad[CF_FILECRYPT_AAD_BYTES];

static void fixture(void)
{
	uint8_t id[16];
	for (size_t i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < 16; i++)
		id[i] = (uint8_t)(0xa0 + i);
	cf_filecrypt_aad(aad, id);
}

static uint8_t *make_plain(size_t n)
{
	uint8_t *p = malloc(n + 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	return p;
}

/* Seal a whole buffer through the streaming API. */
static uint8_t *seal_all(const uint8_t *pt, size_t n, size_t *ret_len)
{
	uint64_t ct_size = 0;
	assert_int_equal(cf_filecrypt_ct_size(n, &ct_size), CF_OK);
	uint8_t *ct = malloc((size_t)ct_size);
	assert_non_null(ct);
	cf_filecrypt *fc = NULL;
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	size_t off = 0, out = 0;
	do {
		size_t len = n - off > CHUNK ? CHUNK : n - off;
		bool last = off + len == n;
		size_t got = 0;
		assert_int_equal(cf_filecrypt_push(fc, ct + out, &got, pt + off, len, last), CF_OK);
		assert_int_equal(got, len + 16);
		off += len;
		out += got;
	} while (off < n);
	assert_int_equal(cf_filecrypt_end(fc), CF_OK);
	cf_filecrypt_free(fc);
	assert_int_equal(out, (size_t)ct_size);
	*ret_len = out;
	return ct;
}

/* Open a stream given as pieces (offsets into ct). Returns the first error
 * (from pull or end), CF_OK if the whole stream opened; the plaintext goes
 * to *ret_pt. */
static cf_err open_pieces(const uint8_t *ct, const size_t *starts, const size_t *lens,
			  size_t n_pieces, uint8_t *pt, size_t *ret_pt_len)
{
	cf_filecrypt *fc = NULL;
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	size_t total = 0;
	cf_err err = CF_OK;
	for (size_t i = 0; i < n_pieces && !err; i++) {
		size_t got = 0;
		bool last = false;
		err = cf_filecrypt_pull(fc, pt + total, &got, &last, ct + starts[i], lens[i]);
		if (!err)
			total += got;
	}
	if (!err)
		err = cf_filecrypt_end(fc);
	cf_filecrypt_free(fc);
	*ret_pt_len = total;
	return err;
}

/* Cut a sealed stream into its natural pieces. */
static size_t split(size_t ct_len, size_t *starts, size_t *lens)
{
	size_t n = 0;
	for (size_t off = 0; off < ct_len; off += CT_CHUNK) {
		starts[n] = off;
		lens[n] = ct_len - off > CT_CHUNK ? CT_CHUNK : ct_len - off;
		n++;
	}
	return n;
}

static void test_known_answers(void **state)
{
	(void)state;
	fixture();
	static const struct { size_t n; const char *sha256; const char *ct; } kat[] = {
		{ 0, "f19b14dd170ac05d5871fd2711bb1bf96c9ff46a98277b5a490c2ed1143852f1",
		  "84784fe6d0e80280c969ac243ef3c118" },
		{ 1, "237bbed6dc73420f79ca9b982df2ed4b16c60d108d562b7ff2961d68677c0cb1",
		  "168ae7c10b8df883779d37a880bb3325cc" },
		{ 65536, "6338b93ea7e81ecf4669d6e5df0684f0ca2255e736f36d87d695d32ff0517df0", NULL },
		{ 65537, "68133d907dc649aafe6304135754cd422859694c6efa799e136eb84883f95c58", NULL },
	};
	uint8_t want_aad[CF_FILECRYPT_AAD_BYTES];
	vec_hex_exact(want_aad, sizeof(want_aad),
		      "636f666672652d76312066696c6500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	assert_memory_equal(aad, want_aad, sizeof(aad));
	for (size_t k = 0; k < sizeof(kat) / sizeof(kat[0]); k++) {
		uint8_t *pt = make_plain(kat[k].n);
		size_t ct_len;
		uint8_t *ct = seal_all(pt, kat[k].n, &ct_len);
		uint8_t digest[32], want[32];
		cf_sha256(digest, ct, ct_len);
		vec_hex_exact(want, 32, kat[k].sha256);
		assert_memory_equal(digest, want, 32);
		if (kat[k].ct != NULL) {
			uint8_t exact[17];
			vec_hex_exact(exact, ct_len, kat[k].ct);
			assert_memory_equal(ct, exact, ct_len);
		}
		free(pt);
		free(ct);
	}
	vec_report("filecrypt", "checked 4 independent known answers (0, 1, 65536, 65537 bytes)");
}

static void test_round_trips(void **state)
{
	(void)state;
	fixture();
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		uint8_t *pt = make_plain(n);
		size_t ct_len;
		uint8_t *ct = seal_all(pt, n, &ct_len);
		size_t starts[8], lens[8];
		size_t pieces = split(ct_len, starts, lens);
		uint8_t *back = malloc(n + CHUNK);
		size_t back_len = 0;
		assert_non_null(back);
		assert_int_equal(open_pieces(ct, starts, lens, pieces, back, &back_len), CF_OK);
		assert_int_equal(back_len, n);
		if (n > 0)
			assert_memory_equal(back, pt, n);
		free(pt); free(ct); free(back);
	}
	vec_report("filecrypt", "round trips at 0, 1, 65535, 65536, 65537, 3*65536, 3*65536+5 bytes");
}

/* A three-and-a-bit chunk stream, damaged in every way that matters. */
static void test_damage(void **state)
{
	(void)state;
	fixture();
	size_t n = 3 * CHUNK + 100;
	uint8_t *pt = make_plain(n);
	size_t ct_len;
	uint8_t *ct = seal_all(pt, n, &ct_len);
	size_t st[8], ln[8], back_len;
	size_t pieces = split(ct_len, st, ln);
	assert_int_equal(pieces, 4);
	uint8_t *back = malloc(n + 2 * CHUNK);
	assert_non_null(back);
	unsigned rejected = 0;

	/* truncation: drop the last chunk (stream ends on a middle chunk) */
	assert_int_equal(open_pieces(ct, st, ln, 3, back, &back_len), CF_ERR_CRYPTO);
	assert_int_equal(back_len, 3 * CHUNK); /* authentic so far, but end() refuses */
	rejected++;
	/* truncation inside the last chunk, and inside a middle one */
	size_t l2[4] = { ln[0], ln[1], ln[2], ln[3] - 1 };
	assert_int_equal(open_pieces(ct, st, l2, 4, back, &back_len), CF_ERR_CRYPTO);
	size_t l3[3] = { ln[0], ln[1], ln[2] - 1 };
	assert_int_equal(open_pieces(ct, st, l3, 3, back, &back_len), CF_ERR_CRYPTO);
	rejected += 2;
	/* reordering: swap chunks 1 and 2; drop chunk 1 */
	size_t sw[4] = { st[0], st[2], st[1], st[3] };
	assert_int_equal(open_pieces(ct, sw, ln, 4, back, &back_len), CF_ERR_CRYPTO);
	assert_int_equal(back_len, CHUNK); /* stopped at the first bad chunk */
	size_t dr[3] = { st[0], st[2], st[3] }, drl[3] = { ln[0], ln[2], ln[3] };
	assert_int_equal(open_pieces(ct, dr, drl, 3, back, &back_len), CF_ERR_CRYPTO);
	rejected += 2;
	/* an extra chunk after the last (a replayed first chunk) */
	size_t ex[5] = { st[0], st[1], st[2], st[3], st[0] };
	size_t exl[5] = { ln[0], ln[1], ln[2], ln[3], ln[0] };
	assert_int_equal(open_pieces(ct, ex, exl, 5, back, &back_len), CF_ERR_CRYPTO);
	rejected++;
	/* a bit flip anywhere in a chunk, sampled across the whole stream */
	for (size_t pos = 0; pos < ct_len; pos += 997) {
		ct[pos] ^= 0x10;
		assert_int_equal(open_pieces(ct, st, ln, 4, back, &back_len), CF_ERR_CRYPTO);
		ct[pos] ^= 0x10;
		rejected++;
	}
	/* the tag bytes of every chunk */
	for (size_t c = 0; c < pieces; c++) {
		size_t pos = st[c] + ln[c] - 1;
		ct[pos] ^= 0x01;
		assert_int_equal(open_pieces(ct, st, ln, 4, back, &back_len), CF_ERR_CRYPTO);
		ct[pos] ^= 0x01;
		rejected++;
	}
	/* another file's AAD or key */
	uint8_t other_aad[CF_FILECRYPT_AAD_BYTES];
	uint8_t id[16] = { 0 };
	cf_filecrypt_aad(other_aad, id);
	cf_filecrypt *fc = NULL;
	size_t got;
	bool last;
	assert_int_equal(cf_filecrypt_new(&fc, key, other_aad, sizeof(other_aad)), CF_OK);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, ln[0]), CF_ERR_CRYPTO);
	/* and a poisoned stream stays poisoned */
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, ln[0]), CF_ERR_CRYPTO);
	assert_int_equal(cf_filecrypt_end(fc), CF_ERR_CRYPTO);
	cf_filecrypt_free(fc);
	rejected++;
	/* intact stream still opens */
	assert_int_equal(open_pieces(ct, st, ln, 4, back, &back_len), CF_OK);
	assert_memory_equal(back, pt, n);
	vec_report("filecrypt", "%u damaged streams rejected (truncation, reordering, dropping, "
		   "extra chunk, bit flips, wrong AAD)", rejected);
	free(pt); free(ct); free(back);
}

/* A full-size piece sealed as the last chunk (65536-byte file) opens as
 * last; the same bytes cannot pass as a middle chunk, and an empty last
 * chunk is only valid for an empty file. */
static void test_canonical_form(void **state)
{
	(void)state;
	fixture();
	uint8_t *pt = make_plain(CHUNK);
	uint8_t *ct = malloc(2 * CT_CHUNK);
	uint8_t *back = malloc(CHUNK);
	assert_true(ct && back);
	cf_filecrypt *fc = NULL;
	size_t got = 0;
	bool last = false;
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	/* push refuses: short middle chunk, oversize, empty trailing chunk */
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, CHUNK - 1, false), CF_ERR_INVALID);
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, CHUNK + 1, true), CF_ERR_INVALID);
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, CHUNK, false), CF_OK);
	assert_int_equal(cf_filecrypt_push(fc, ct + CT_CHUNK, &got, NULL, 0, true), CF_ERR_INVALID);
	assert_int_equal(cf_filecrypt_end(fc), CF_ERR_CRYPTO); /* not finished */
	/* a sealer cannot pull */
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, CT_CHUNK), CF_ERR_INVALID);
	cf_filecrypt_free(fc);

	/* forge the non-canonical "full middle chunk + empty last chunk" by
	 * sealing the empty chunk by hand: the opener refuses it */
	uint8_t nonce[12] = { 0 };
	nonce[10] = 1;  /* counter 1 */
	nonce[11] = 1;  /* last */
	assert_int_equal(cf_aead_seal(ct + CT_CHUNK, NULL, 0, aad, sizeof(aad), nonce, key), CF_OK);
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, CT_CHUNK), CF_OK);
	assert_false(last);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct + CT_CHUNK, 16), CF_ERR_CRYPTO);
	cf_filecrypt_free(fc);

	/* after the last chunk, push refuses and pull refuses */
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, 10, true), CF_OK);
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, 10, true), CF_ERR_INVALID);
	assert_int_equal(cf_filecrypt_end(fc), CF_OK);
	cf_filecrypt_free(fc);
	/* bad sizes for pull */
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, 15), CF_ERR_INVALID);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, CT_CHUNK + 1), CF_ERR_INVALID);
	cf_filecrypt_free(fc);
	cf_filecrypt_free(NULL);
	free(pt); free(ct); free(back);
}

static void test_counter_exhaustion(void **state)
{
	(void)state;
	fixture();
	uint8_t pt[CHUNK] = { 0 };
	uint8_t *ct = malloc(2 * CT_CHUNK);
	uint8_t back[CHUNK];
	assert_non_null(ct);
	size_t got;
	bool last;
	cf_filecrypt *fc = NULL;
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	cf_filecrypt_test_set_counter(fc, UINT64_MAX - 1);
	assert_int_equal(cf_filecrypt_push(fc, ct, &got, pt, CHUNK, false), CF_OK);
	assert_int_equal(cf_filecrypt_push(fc, ct + CT_CHUNK, &got, pt, 1, true), CF_ERR_TOO_LARGE);
	cf_filecrypt_free(fc);
	/* the opener stops at the same place */
	assert_int_equal(cf_filecrypt_new(&fc, key, aad, sizeof(aad)), CF_OK);
	cf_filecrypt_test_set_counter(fc, UINT64_MAX - 1);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, CT_CHUNK), CF_OK);
	assert_false(last);
	assert_int_equal(cf_filecrypt_pull(fc, back, &got, &last, ct, CT_CHUNK), CF_ERR_TOO_LARGE);
	cf_filecrypt_free(fc);
	free(ct);
}

static void test_sizes_and_args(void **state)
{
	(void)state;
	fixture();
	uint64_t sz = 0;
	assert_int_equal(cf_filecrypt_ct_size(0, &sz), CF_OK);
	assert_int_equal(sz, 16);
	assert_int_equal(cf_filecrypt_ct_size(CHUNK, &sz), CF_OK);
	assert_int_equal(sz, CHUNK + 16);
	assert_int_equal(cf_filecrypt_ct_size(CHUNK + 1, &sz), CF_OK);
	assert_int_equal(sz, CHUNK + 1 + 32);
	assert_int_equal(cf_filecrypt_ct_size(UINT64_MAX, &sz), CF_ERR_TOO_LARGE);
	cf_filecrypt *fc = (cf_filecrypt *)&sz;
	uint8_t big[CF_FILECRYPT_AAD_MAX + 1] = { 0 };
	assert_int_equal(cf_filecrypt_new(&fc, key, big, sizeof(big)), CF_ERR_TOO_LARGE);
	assert_int_equal(cf_filecrypt_new(&fc, NULL, aad, 1), CF_ERR_INVALID);
	assert_ptr_equal(fc, (cf_filecrypt *)&sz); /* untouched */
	assert_int_equal(cf_filecrypt_end(NULL), CF_ERR_INVALID);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_canonical_form),
		cmocka_unit_test(test_counter_exhaustion),
		cmocka_unit_test(test_sizes_and_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
