/* Audit checkpoints: the C2SP tlog-checkpoint body, signed as a C2SP
 * signed-note with Ed25519, and the note verifier key `name+hash+base64`.
 * Pure functions (no I/O): shared by coffred and libcoffre. */
#ifndef CF_AUDIT_CHECKPOINT_H
#define CF_AUDIT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

#define CF_CHECKPOINT_MAX 2048
#define CF_NOTE_NAME_MAX 128

struct cf_note_verifier {
	char name[CF_NOTE_NAME_MAX + 1];
	uint8_t key_hash[4];
	uint8_t pk[32];
};

struct cf_checkpoint {
	char origin[CF_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/* "name+8 hex digits+base64(0x01 || pk)". name: no spaces, '+' or control chars. */
cf_err cf_note_verifier_format(char *out, size_t cap, const char *name, const uint8_t pk[32]);
cf_err cf_note_verifier_parse(struct cf_note_verifier *ret, const char *text);

/* Writes the signed note of checkpoint cp (origin is also the key name):
 *   origin \n size \n base64(root) \n \n — name base64(keyhash || sig) \n */
cf_err cf_checkpoint_sign(char *out, size_t cap, size_t *ret_len, const struct cf_checkpoint *cp,
                          const uint8_t sk[64], const uint8_t pk[32]);

/* Parses and verifies a signed checkpoint note against v: the body must be a
 * well-formed checkpoint and one signature line must be by v and valid.
 * Other signature lines are ignored. CF_ERR_CRYPTO on a bad/missing
 * signature, CF_ERR_INVALID on a malformed note. */
cf_err cf_checkpoint_verify(struct cf_checkpoint *ret, const char *note, size_t len,
                            const struct cf_note_verifier *v);

#endif
