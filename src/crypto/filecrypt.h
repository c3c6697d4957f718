/* Chunked file encryption (coffre-v1, DESIGN §4): AES-256-GCM over 64 KiB
 * plaintext chunks, streamed.
 *
 * Format (never changes within coffre-v1):
 *  - the plaintext is cut into chunks of exactly CF_FILECRYPT_CHUNK_BYTES,
 *    except the last, which holds 1..CHUNK bytes; an empty file is a single
 *    empty last chunk. The layout is canonical: one plaintext has exactly
 *    one chunking (so no empty last chunk after a full one).
 *  - chunk i (from 0) is sealed with nonce = I2OSP(i, 11) ‖ flag, flag
 *    0x01 for the last chunk and 0x00 otherwise, under the file's key.
 *  - each sealed chunk is its ciphertext followed by its 16-byte tag; the
 *    file is the concatenation of sealed chunks, nothing else (no header).
 *  - every chunk carries the same AAD. coffre uses
 *    cf_filecrypt_aad(file id) = "coffre-v1 file\0" ‖ file id (16 bytes),
 *    so a blob cannot be presented as the content of another file object.
 *    The counter and the last flag are in the nonce, so reordering,
 *    dropping, truncating or extending the stream all fail authentication.
 *  - the key must be unique per file (DESIGN §4): nonces repeat across
 *    files by construction.
 *
 * Streaming use. Sealing: call cf_filecrypt_push() per chunk, is_last on the
 * final one (a producer of unknown length reads one chunk ahead to know).
 * Opening: read the stream in pieces of CF_FILECRYPT_CT_CHUNK_BYTES (the
 * last piece may be shorter) and pass each to cf_filecrypt_pull(); when the
 * stream ends, cf_filecrypt_end() says whether the last chunk was seen.
 * Plaintext from pull is authentic chunk by chunk, but the file is complete
 * only once cf_filecrypt_end() returns CF_OK: a consumer that cannot undo
 * its effects should buffer until then.
 *
 * A cf_filecrypt object is either a sealer or an opener, fixed by its first
 * push/pull. It is not thread-safe. Any authentication failure poisons it:
 * every later call returns CF_ERR_CRYPTO. */
#ifndef COFFRE_CRYPTO_FILECRYPT_H
#define COFFRE_CRYPTO_FILECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/error.h"

#define CF_FILECRYPT_KEY_BYTES 32
#define CF_FILECRYPT_CHUNK_BYTES 65536
#define CF_FILECRYPT_TAG_BYTES 16
#define CF_FILECRYPT_CT_CHUNK_BYTES (CF_FILECRYPT_CHUNK_BYTES + CF_FILECRYPT_TAG_BYTES)
#define CF_FILECRYPT_AAD_MAX 1024
#define CF_FILECRYPT_AAD_BYTES (15 + 16)   /* "coffre-v1 file\0" ‖ file id */

typedef struct cf_filecrypt cf_filecrypt;

/* coffre's AAD for a file: "coffre-v1 file\0" ‖ file_id. */
void cf_filecrypt_aad(uint8_t out[CF_FILECRYPT_AAD_BYTES], const uint8_t file_id[16]);

/* A new stream under `key` (copied into locked, guarded memory) with
 * `aad` (copied; at most CF_FILECRYPT_AAD_MAX bytes, else CF_ERR_TOO_LARGE;
 * NULL allowed when aad_len is 0). Free with cf_filecrypt_free().
 * CF_ERR_NOMEM if the memory cannot be had. */
cf_err cf_filecrypt_new(cf_filecrypt **ret, const uint8_t key[CF_FILECRYPT_KEY_BYTES],
			const uint8_t *aad, size_t aad_len);

/* Wipes the key and frees. Accepts NULL. */
void cf_filecrypt_free(cf_filecrypt *fc);

/* Seal the next chunk into ct_out (pt_len + 16 bytes); *ret_ct_len gets
 * that length. CF_ERR_INVALID (state unchanged) if: pt_len is not exactly
 * CHUNK_BYTES on a non-last chunk, is above CHUNK_BYTES, is 0 on a last
 * chunk other than the first, the stream already ended, or the object is
 * an opener. CF_ERR_TOO_LARGE once the chunk counter is exhausted. */
cf_err cf_filecrypt_push(cf_filecrypt *fc, uint8_t *ct_out, size_t *ret_ct_len,
			 const uint8_t *pt, size_t pt_len, bool is_last);

/* Open the next sealed chunk (16..CT_CHUNK_BYTES bytes) into pt_out
 * (ct_len - 16 bytes); *ret_pt_len and *ret_is_last tell what it was. A
 * piece shorter than CT_CHUNK_BYTES can only be the last chunk; a full one
 * is tried as a middle chunk, then as the last. CF_ERR_CRYPTO (and the
 * stream is poisoned, pt_out wiped) if the chunk does not authenticate at
 * this position, comes after the last chunk, or is a non-canonical empty
 * last chunk. CF_ERR_INVALID for a wrong size or a sealer object;
 * CF_ERR_TOO_LARGE once the chunk counter is exhausted. */
cf_err cf_filecrypt_pull(cf_filecrypt *fc, uint8_t *pt_out, size_t *ret_pt_len,
			 bool *ret_is_last, const uint8_t *ct, size_t ct_len);

/* CF_OK if the last chunk has been pushed or pulled; CF_ERR_CRYPTO if the
 * stream stopped before it (truncation) or was poisoned. */
cf_err cf_filecrypt_end(const cf_filecrypt *fc);

/* Size of the sealed stream for a plaintext of pt_size bytes.
 * CF_ERR_TOO_LARGE if it does not fit in 64 bits. */
cf_err cf_filecrypt_ct_size(uint64_t pt_size, uint64_t *ret_ct_size);

#endif
