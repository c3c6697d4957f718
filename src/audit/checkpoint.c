#include "audit/checkpoint.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/sign.h"
#include "util/encoding.h"

#define ALG_ED25519 0x01
static const char em_dash[] = "\xe2\x80\x94 ";

static bool name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > CF_NOTE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c == '+' || c == 0x7f)
			return false;
	}
	return true;
}

static void key_hash(uint8_t out[4], const char *name, const uint8_t pk[32])
{
	cf_sha256_state st;
	uint8_t sep[2] = { '\n', ALG_ED25519 };
	uint8_t full[32];
	cf_sha256_init(&st);
	cf_sha256_update(&st, (const uint8_t *)name, strlen(name));
	cf_sha256_update(&st, sep, 2);
	cf_sha256_update(&st, pk, 32);
	cf_sha256_final(&st, full);
	memcpy(out, full, 4);
}

cf_err cf_note_verifier_format(char *out, size_t cap, const char *name, const uint8_t pk[32])
{
	if (!name_ok(name))
		return CF_ERR_INVALID;
	uint8_t kh[4], raw[33];
	key_hash(kh, name, pk);
	raw[0] = ALG_ED25519;
	memcpy(raw + 1, pk, 32);
	char b64[64];
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out, cap, "%s+%02x%02x%02x%02x+%s", name, kh[0], kh[1], kh[2], kh[3], b64);
	return n < 0 || (size_t)n >= cap ? CF_ERR_TOO_LARGE : CF_OK;
}

cf_err cf_note_verifier_parse(struct cf_note_verifier *ret, const char *text)
{
	const char *p1 = strchr(text, '+');
	const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	if (!p1 || !p2 || (size_t)(p1 - text) > CF_NOTE_NAME_MAX || p2 - p1 - 1 != 8)
		return CF_ERR_INVALID;
	struct cf_note_verifier v;
	memcpy(v.name, text, (size_t)(p1 - text));
	v.name[p1 - text] = '\0';
	if (!name_ok(v.name))
		return CF_ERR_INVALID;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_hex2bin(v.key_hash, 4, p1 + 1, 8, NULL, &got, &end) != 0 || got != 4)
		return CF_ERR_INVALID;
	uint8_t raw[33];
	size_t b64_len = strlen(p2 + 1);
	if (cf_b64_decode(raw, sizeof(raw), &got, p2 + 1, b64_len) != CF_OK ||
	    got != 33 || raw[0] != ALG_ED25519)
		return CF_ERR_INVALID;
	memcpy(v.pk, raw + 1, 32);
	uint8_t kh[4];
	key_hash(kh, v.name, v.pk);
	if (memcmp(kh, v.key_hash, 4) != 0)
		return CF_ERR_INVALID;
	*ret = v;
	return CF_OK;
}

static cf_err body_format(char *out, size_t cap, size_t *ret_len, const struct cf_checkpoint *cp)
{
	char root[64];
	sodium_bin2base64(root, sizeof(root), cp->root, 32, sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out, cap, "%s\n%llu\n%s\n", cp->origin, (unsigned long long)cp->size, root);
	if (n < 0 || (size_t)n >= cap)
		return CF_ERR_TOO_LARGE;
	*ret_len = (size_t)n;
	return CF_OK;
}

cf_err cf_checkpoint_sign(char *out, size_t cap, size_t *ret_len, const struct cf_checkpoint *cp,
                          const uint8_t sk[64], const uint8_t pk[32])
{
	if (!name_ok(cp->origin))
		return CF_ERR_INVALID;
	size_t blen = 0;
	cf_err err = body_format(out, cap, &blen, cp);
	if (err)
		return err;
	uint8_t sig[4 + 64];
	key_hash(sig, cp->origin, pk);
	err = cf_sign_detached(sig + 4, (const uint8_t *)out, blen, sk);
	if (err)
		return err;
	char b64[128];
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out + blen, cap - blen, "\n%s%s %s\n", em_dash, cp->origin, b64);
	if (n < 0 || (size_t)n >= cap - blen)
		return CF_ERR_TOO_LARGE;
	*ret_len = blen + (size_t)n;
	return CF_OK;
}

/* Parses "origin\nsize\nroot\n" (extension lines after the root are allowed). */
static cf_err body_parse(struct cf_checkpoint *cp, const char *body, size_t len)
{
	const char *end = body + len;
	const char *nl1 = memchr(body, '\n', len);
	if (!nl1 || nl1 == body || (size_t)(nl1 - body) > CF_NOTE_NAME_MAX)
		return CF_ERR_INVALID;
	memcpy(cp->origin, body, (size_t)(nl1 - body));
	cp->origin[nl1 - body] = '\0';
	const char *p = nl1 + 1;
	const char *nl2 = memchr(p, '\n', (size_t)(end - p));
	if (!nl2 || nl2 == p || nl2 - p > 20)
		return CF_ERR_INVALID;
	uint64_t size = 0;
	for (const char *q = p; q < nl2; q++) {
		if (*q < '0' || *q > '9' || (q == p && *q == '0' && nl2 - p > 1))
			return CF_ERR_INVALID;
		uint64_t d = (uint64_t)(*q - '0');
		if (size > (UINT64_MAX - d) / 10)
			return CF_ERR_INVALID;
		size = size * 10 + d;
	}
	cp->size = size;
	p = nl2 + 1;
	const char *nl3 = memchr(p, '\n', (size_t)(end - p));
	if (!nl3)
		return CF_ERR_INVALID;
	size_t got = 0;
	if (cf_b64_decode(cp->root, 32, &got, p, (size_t)(nl3 - p)) != CF_OK || got != 32)
		return CF_ERR_INVALID;
	return CF_OK;
}

cf_err cf_checkpoint_verify(struct cf_checkpoint *ret, const char *note, size_t len,
                            const struct cf_note_verifier *v)
{
	if (len > CF_CHECKPOINT_MAX || memchr(note, '\0', len))
		return CF_ERR_INVALID;
	/* The text ends at the first blank line; signatures follow. */
	const char *sep = NULL;
	for (size_t i = 0; i + 1 < len; i++) {
		if (note[i] == '\n' && note[i + 1] == '\n') {
			sep = note + i;
			break;
		}
	}
	if (!sep)
		return CF_ERR_INVALID;
	size_t blen = (size_t)(sep - note) + 1;
	struct cf_checkpoint cp;
	cf_err err = body_parse(&cp, note, blen);
	if (err)
		return err;
	if (note[len - 1] != '\n')
		return CF_ERR_INVALID;
	bool verified = false;
	const char *p = sep + 2;
	const char *end = note + len;
	size_t dash = strlen(em_dash);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || (size_t)(nl - p) < dash || memcmp(p, em_dash, dash) != 0)
			return CF_ERR_INVALID;
		const char *name = p + dash;
		const char *sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp)
			return CF_ERR_INVALID;
		uint8_t sig[4 + 64 + 8];
		size_t got = 0;
		bool same_name = (size_t)(sp - name) == strlen(v->name) &&
		                 memcmp(name, v->name, (size_t)(sp - name)) == 0;
		/* strict: one spelling per signature (cf_b64_decode) */
		if (cf_b64_decode(sig, sizeof(sig), &got, sp + 1, (size_t)(nl - sp - 1)) != CF_OK)
			return CF_ERR_INVALID;
		if (same_name && got == 68 && memcmp(sig, v->key_hash, 4) == 0 &&
		    cf_sign_verify(sig + 4, (const uint8_t *)note, blen, v->pk) == CF_OK)
			verified = true;
		p = nl + 1;
	}
	if (!verified)
		return CF_ERR_CRYPTO;
	*ret = cp;
	return CF_OK;
}
