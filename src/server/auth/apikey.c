#include "server/auth/apikey.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/cidr.h"
#include "util/encoding.h"

static const char *const known_scopes[] = { "audit.read", "versions.read" };

cf_err cf_api_key_generate(char *text, size_t cap, uint8_t ret_hash[32])
{
	if (cap <= CF_API_KEY_TEXT_LEN)
		return CF_ERR_TOO_LARGE;
	uint8_t raw[32];
	cf_err err = cf_random_bytes(raw, sizeof(raw));
	if (err)
		return err;
	memcpy(text, CF_API_KEY_PREFIX, sizeof(CF_API_KEY_PREFIX) - 1);
	cf_b64url_encode(text + sizeof(CF_API_KEY_PREFIX) - 1, cap - (sizeof(CF_API_KEY_PREFIX) - 1),
	                 raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	cf_sha256(ret_hash, (const uint8_t *)text, CF_API_KEY_TEXT_LEN);
	return CF_OK;
}

cf_err cf_api_key_hash(const char *text, size_t len, uint8_t ret_hash[32])
{
	size_t plen = sizeof(CF_API_KEY_PREFIX) - 1;
	if (len != CF_API_KEY_TEXT_LEN || memcmp(text, CF_API_KEY_PREFIX, plen) != 0)
		return CF_ERR_INVALID;
	uint8_t raw[32];
	size_t got = 0;
	cf_err err = cf_b64url_decode(raw, sizeof(raw), &got, text + plen, len - plen);
	sodium_memzero(raw, sizeof(raw));
	if (err || got != 32)
		return CF_ERR_INVALID;
	cf_sha256(ret_hash, (const uint8_t *)text, len);
	return CF_OK;
}

cf_err cf_api_key_state(const struct cf_api_key *k, char *out, size_t cap, size_t *ret_len)
{
	char hash[65];
	cf_hex_encode(hash, sizeof(hash), k->key_hash, 32);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "id", k->id,
	                      "key_hash", hash, "tenant", k->tenant, "scopes", k->scopes,
	                      "allow", k->allow, "label", k->label, "created_ms",
	                      (json_int_t)k->created_ms, "revoked", k->revoked);
	if (!o)
		return CF_ERR_INVALID;
	size_t n = json_dumpb(o, out, cap, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (n == 0 || n > cap)
		return CF_ERR_TOO_LARGE;
	*ret_len = n;
	return CF_OK;
}

cf_err cf_api_key_scopes_check(const char *scopes, char *why, size_t cap)
{
	const char *p = scopes;
	unsigned n = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool known = false;
		for (size_t i = 0; i < sizeof(known_scopes) / sizeof(known_scopes[0]); i++)
			known |= strlen(known_scopes[i]) == len && memcmp(known_scopes[i], p, len) == 0;
		if (!known) {
			snprintf(why, cap, "unknown scope '%.*s' (known: audit.read, versions.read)",
			         (int)(len > 40 ? 40 : len), p);
			return CF_ERR_INVALID;
		}
		n++;
		p += len;
	}
	if (n == 0) {
		snprintf(why, cap, "at least one scope is needed");
		return CF_ERR_INVALID;
	}
	return CF_OK;
}

bool cf_api_key_authenticate(struct cf_request *req, const char *token)
{
	uint8_t hash[32];
	struct cf_api_key key;
	cf_store *st = req->srv->store;
	cf_err err = cf_api_key_hash(token, strlen(token), hash);
	if (!err)
		err = st->ops->api_key_by_hash(st, hash, &key);
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "credentials cannot be checked now");
		return false;
	}
	if (err || key.revoked) {
		cf_reply_problem(&req->reply, CF_P_UNAUTHENTICATED, "invalid or revoked credentials");
		return false;
	}
	struct cf_principal *p = &req->who;
	p->kind = CF_PRINCIPAL_API_KEY;
	snprintf(p->id, sizeof(p->id), "%s", key.id);
	snprintf(p->tenant, sizeof(p->tenant), "%s", key.tenant);
	snprintf(p->scopes, sizeof(p->scopes), "%s", key.scopes);
	if (!cf_cidr_list_allows(key.allow, req->ip)) {
		cf_reply_problem(&req->reply, CF_P_ADDRESS_NOT_ALLOWED,
		                 "this API key may not be used from this address");
		return false;
	}
	return true;
}
