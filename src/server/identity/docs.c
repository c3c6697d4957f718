#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/versions.h"
#include "crypto/crypto.h"
#include "server/identity/identity.h"
#include "util/encoding.h"

cf_err cf_doc_load(cf_store *st, cf_tx *tx, const char *kind, const char *id, json_t **ret,
                   uint64_t *ret_version)
{
	char *text = NULL;
	uint64_t v = 0;
	cf_err err = st->ops->doc_get(st, tx, kind, id, &text, &v);
	if (err)
		return err;
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return CF_ERR_STORE;
	}
	*ret = o;
	if (ret_version)
		*ret_version = v;
	return CF_OK;
}

cf_err cf_doc_save(struct cf_audit_tx *atx, const struct cf_audit_fields *base, const char *kind,
                   const char *id, const char *org, uint64_t version, json_t *doc, const char *op)
{
	/* Sorted keys: the same state always hashes the same. */
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return CF_ERR_NOMEM;
	size_t len = strlen(text);
	uint64_t now = cf_now_ms();
	cf_store *st = atx->tx->st;
	cf_err err = st->ops->doc_put(atx->tx, kind, id, version, org, text, len, now);
	if (!err)
		err = cf_entity_version_record(atx, base, kind, id, op, (const uint8_t *)text, len, NULL);
	sodium_memzero(text, len);
	free(text);
	return err;
}

cf_err cf_eph_load(cf_store *st, cf_tx *tx, const char *kind, const char *key, json_t **ret)
{
	uint64_t now = cf_now_ms();
	char *text = NULL;
	cf_err err = st->ops->eph_get(st, tx, kind, key, now, &text);
	if (err)
		return err;
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return CF_ERR_STORE;
	}
	*ret = o;
	return CF_OK;
}

cf_err cf_eph_save(cf_tx *tx, const char *kind, const char *key, json_t *doc, uint64_t expires_ms)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return CF_ERR_NOMEM;
	cf_err err = tx->st->ops->eph_put(tx, kind, key, text, strlen(text), expires_ms);
	free(text);
	return err;
}

const char *cf_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_int_t cf_jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

bool cf_jbool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

json_t *cf_jb64(const uint8_t *data, size_t len)
{
	size_t cap = cf_b64url_len(len) + 1;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	cf_b64url_encode(buf, cap, data, len);
	json_t *s = json_string(buf);
	free(buf);
	return s;
}

cf_err cf_jget_b64(const json_t *o, const char *key, uint8_t *out, size_t cap, size_t want,
                   size_t *ret_len)
{
	const json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	if (!s)
		return CF_ERR_INVALID;
	size_t got = 0;
	if (cf_b64url_decode(out, cap, &got, s, json_string_length(v)) ||
	    (want && got != want))
		return CF_ERR_INVALID;
	if (ret_len)
		*ret_len = got;
	return CF_OK;
}

void cf_sha256_hex(char out[65], const void *data, size_t len)
{
	uint8_t h[32];
	cf_sha256(h, data, len);
	cf_hex_encode(out, 65, h, 32);
}

void cf_new_id_hex(char out[33])
{
	uint8_t id[16];
	cf_random_id(id);
	cf_hex_encode(out, 33, id, 16);
}

void cf_email_normalise(char *out, size_t cap, const char *email)
{
	size_t i = 0;
	for (; email[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	out[i] = '\0';
}
