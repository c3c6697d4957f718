/* Chunked AES-256-GCM file stream; format in filecrypt.h. */
#include "crypto/filecrypt.h"

#include <string.h>

#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/filecrypt_internal.h"
#include "crypto/internal.h"

static const char aad_domain[] = "coffre-v1 file"; /* sizeof includes the NUL */

_Static_assert(sizeof(aad_domain) + 16 == CF_FILECRYPT_AAD_BYTES, "AAD layout");

enum fc_dir { DIR_UNSET, DIR_SEAL, DIR_OPEN };
enum fc_state { ST_RUNNING, ST_ENDED, ST_FAILED };

struct cf_filecrypt {
	uint8_t key[CF_FILECRYPT_KEY_BYTES];
	uint8_t aad[CF_FILECRYPT_AAD_MAX];
	size_t aad_len;
	uint64_t counter;      /* index of the next chunk; UINT64_MAX = exhausted */
	enum fc_dir dir;
	enum fc_state state;
};

void cf_filecrypt_aad(uint8_t out[CF_FILECRYPT_AAD_BYTES], const uint8_t file_id[16])
{
	memcpy(out, aad_domain, sizeof(aad_domain));
	memcpy(out + sizeof(aad_domain), file_id, 16);
}

cf_err cf_filecrypt_new(cf_filecrypt **ret, const uint8_t key[CF_FILECRYPT_KEY_BYTES],
			const uint8_t *aad, size_t aad_len)
{
	if (ret == NULL || key == NULL || !cf_span_ok(aad, aad_len))
		return CF_ERR_INVALID;
	if (aad_len > CF_FILECRYPT_AAD_MAX)
		return CF_ERR_TOO_LARGE;
	/* Guarded, locked memory for the key (sodium_free wipes it). */
	cf_filecrypt *fc = sodium_malloc(sizeof(*fc));
	if (fc == NULL)
		return CF_ERR_NOMEM;
	memset(fc, 0, sizeof(*fc));
	memcpy(fc->key, key, CF_FILECRYPT_KEY_BYTES);
	if (aad_len > 0)
		memcpy(fc->aad, aad, aad_len);
	fc->aad_len = aad_len;
	fc->dir = DIR_UNSET;
	fc->state = ST_RUNNING;
	*ret = fc;
	return CF_OK;
}

void cf_filecrypt_free(cf_filecrypt *fc)
{
	if (fc != NULL)
		sodium_free(fc);
}

void cf_filecrypt_test_set_counter(cf_filecrypt *fc, uint64_t counter)
{
	fc->counter = counter;
}

/* nonce = I2OSP(counter, 11) ‖ last flag. A 64-bit counter fills the low
 * 8 of the 11 bytes; the top 3 are always zero. */
static void chunk_nonce(uint8_t out[CF_AEAD_NONCE_BYTES], uint64_t counter, bool last)
{
	memset(out, 0, 3);
	cf_store_be64(out + 3, counter);
	out[11] = last ? 0x01 : 0x00;
}

/* Shared preconditions of push and pull: direction and state. */
static cf_err enter(cf_filecrypt *fc, enum fc_dir dir)
{
	if (fc == NULL)
		return CF_ERR_INVALID;
	if (fc->state == ST_FAILED)
		return CF_ERR_CRYPTO;
	if (fc->dir != DIR_UNSET && fc->dir != dir)
		return CF_ERR_INVALID;
	return CF_OK;
}

static cf_err check_push(const cf_filecrypt *fc, const uint8_t *ct_out, size_t *ret_ct_len,
			 const uint8_t *pt, size_t pt_len, bool is_last)
{
	if (ct_out == NULL || ret_ct_len == NULL || !cf_span_ok(pt, pt_len))
		return CF_ERR_INVALID;
	if (fc->state == ST_ENDED || pt_len > CF_FILECRYPT_CHUNK_BYTES)
		return CF_ERR_INVALID;
	if (!is_last && pt_len != CF_FILECRYPT_CHUNK_BYTES)
		return CF_ERR_INVALID;
	if (is_last && pt_len == 0 && fc->counter > 0)
		return CF_ERR_INVALID; /* canonical form: no empty trailing chunk */
	if (fc->counter == UINT64_MAX)
		return CF_ERR_TOO_LARGE;
	return CF_OK;
}

cf_err cf_filecrypt_push(cf_filecrypt *fc, uint8_t *ct_out, size_t *ret_ct_len,
			 const uint8_t *pt, size_t pt_len, bool is_last)
{
	cf_err err = enter(fc, DIR_SEAL);
	if (!err)
		err = check_push(fc, ct_out, ret_ct_len, pt, pt_len, is_last);
	if (err)
		return err;
	uint8_t nonce[CF_AEAD_NONCE_BYTES];
	chunk_nonce(nonce, fc->counter, is_last);
	err = cf_aead_seal(ct_out, pt, pt_len, fc->aad, fc->aad_len, nonce, fc->key);
	if (err)
		return err;
	fc->dir = DIR_SEAL;
	fc->counter++;
	if (is_last)
		fc->state = ST_ENDED;
	*ret_ct_len = pt_len + CF_FILECRYPT_TAG_BYTES;
	return CF_OK;
}

static cf_err open_at(cf_filecrypt *fc, uint8_t *pt_out, const uint8_t *ct, size_t ct_len,
		      bool last)
{
	uint8_t nonce[CF_AEAD_NONCE_BYTES];
	chunk_nonce(nonce, fc->counter, last);
	return cf_aead_open(pt_out, ct, ct_len, fc->aad, fc->aad_len, nonce, fc->key);
}

/* Which chunk is this? Only a full-size piece can be a middle chunk; a
 * shorter one must be the last, and an empty last chunk only ends an
 * empty file. The flag is authenticated, so trying "middle" then "last"
 * on a full piece cannot be fooled. */
static cf_err open_chunk(cf_filecrypt *fc, uint8_t *pt_out, const uint8_t *ct, size_t ct_len,
			 bool *ret_last)
{
	if (ct_len == CF_FILECRYPT_CT_CHUNK_BYTES &&
	    open_at(fc, pt_out, ct, ct_len, false) == CF_OK) {
		*ret_last = false;
		return CF_OK;
	}
	if (ct_len == CF_FILECRYPT_TAG_BYTES && fc->counter > 0)
		return CF_ERR_CRYPTO;
	cf_err err = open_at(fc, pt_out, ct, ct_len, true);
	if (!err)
		*ret_last = true;
	return err;
}

cf_err cf_filecrypt_pull(cf_filecrypt *fc, uint8_t *pt_out, size_t *ret_pt_len,
			 bool *ret_is_last, const uint8_t *ct, size_t ct_len)
{
	cf_err err = enter(fc, DIR_OPEN);
	if (err)
		return err;
	if (ret_pt_len == NULL || ret_is_last == NULL || ct == NULL ||
	    ct_len < CF_FILECRYPT_TAG_BYTES || ct_len > CF_FILECRYPT_CT_CHUNK_BYTES ||
	    !cf_span_ok(pt_out, ct_len - CF_FILECRYPT_TAG_BYTES))
		return CF_ERR_INVALID;
	if (fc->state == ST_ENDED) {
		fc->state = ST_FAILED; /* data after the last chunk */
		return CF_ERR_CRYPTO;
	}
	if (fc->counter == UINT64_MAX)
		return CF_ERR_TOO_LARGE;
	fc->dir = DIR_OPEN;
	bool last = false;
	err = open_chunk(fc, pt_out, ct, ct_len, &last);
	if (err) {
		fc->state = ST_FAILED;
		return CF_ERR_CRYPTO;
	}
	fc->counter++;
	if (last)
		fc->state = ST_ENDED;
	*ret_pt_len = ct_len - CF_FILECRYPT_TAG_BYTES;
	*ret_is_last = last;
	return CF_OK;
}

cf_err cf_filecrypt_end(const cf_filecrypt *fc)
{
	if (fc == NULL)
		return CF_ERR_INVALID;
	return fc->state == ST_ENDED ? CF_OK : CF_ERR_CRYPTO;
}

cf_err cf_filecrypt_ct_size(uint64_t pt_size, uint64_t *ret_ct_size)
{
	if (ret_ct_size == NULL)
		return CF_ERR_INVALID;
	uint64_t chunks = pt_size / CF_FILECRYPT_CHUNK_BYTES +
			  (pt_size % CF_FILECRYPT_CHUNK_BYTES != 0 || pt_size == 0);
	uint64_t tags = chunks * CF_FILECRYPT_TAG_BYTES; /* chunks < 2^48: no overflow */
	if (pt_size > UINT64_MAX - tags)
		return CF_ERR_TOO_LARGE;
	*ret_ct_size = pt_size + tags;
	return CF_OK;
}
