#include "audit/versions.h"

#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/clock.h"
#include "util/encoding.h"

static bool word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

cf_err cf_entity_version_record(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                                const char *entity, const char *id, const char *op,
                                const uint8_t *state, size_t state_len, uint64_t *ret_version)
{
	if (!word_ok(entity, 31) || !word_ok(id, 64) ||
	    (strcmp(op, "create") && strcmp(op, "update") && strcmp(op, "delete")))
		return CF_ERR_INVALID;
	cf_store *st = atx->tx->st;
	struct cf_entity_version v;
	memset(&v, 0, sizeof(v));
	cf_err err = st->ops->version_last(atx->tx, entity, id, &v.version);
	if (err)
		return err;
	v.version++;
	snprintf(v.entity, sizeof(v.entity), "%s", entity);
	snprintf(v.id, sizeof(v.id), "%s", id);
	snprintf(v.op, sizeof(v.op), "%s", op);
	snprintf(v.actor, sizeof(v.actor), "%s", base->actor ? base->actor : "");
	v.time_ms = cf_now_ms();
	cf_sha256(v.state_hash, state, state_len);

	char action[64], resource[100], hash_hex[65];
	snprintf(action, sizeof(action), "version.%s.%s", entity, op);
	snprintf(resource, sizeof(resource), "%s/%s", entity, id);
	cf_hex_encode(hash_hex, sizeof(hash_hex), v.state_hash, 32);
	struct cf_audit_fields f = *base;
	f.action = action;
	f.resource = resource;
	f.outcome = 200;
	f.entity_op = v.op;
	f.entity_version = v.version;
	f.state_hash = hash_hex;
	f.key_hash = NULL;
	err = cf_auditlog_append_in_tx(atx, &f, &v.audit_seq);
	if (!err)
		err = st->ops->version_put(atx->tx, &v);
	if (!err && ret_version)
		*ret_version = v.version;
	return err;
}

cf_err cf_key_register(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                       const char *kind, const char *owner, const uint8_t *pk, size_t pk_len,
                       uint64_t *ret_seq)
{
	if (!word_ok(kind, 31) || !word_ok(owner, 64) || pk_len == 0)
		return CF_ERR_INVALID;
	uint8_t hash[32];
	char hash_hex[65], resource[100];
	cf_sha256(hash, pk, pk_len);
	cf_hex_encode(hash_hex, sizeof(hash_hex), hash, 32);
	snprintf(resource, sizeof(resource), "%s/%s", kind, owner);
	struct cf_audit_fields f = *base;
	f.action = "key.register";
	f.resource = resource;
	f.outcome = 200;
	f.entity_op = NULL;
	f.key_hash = hash_hex;
	uint64_t seq = 0;
	cf_err err = cf_auditlog_append_in_tx(atx, &f, &seq);
	if (!err)
		err = atx->tx->st->ops->key_registration_put(atx->tx, kind, owner, hash, seq);
	if (!err && ret_seq)
		*ret_seq = seq;
	return err;
}

struct find_key {
	uint8_t hash[32];
	bool found;
};

static cf_err find_key(void *ctx, const uint8_t key_hash[32], uint64_t seq)
{
	struct find_key *f = ctx;
	if (memcmp(f->hash, key_hash, 32) == 0)
		f->found = true;
	return CF_OK;
}

static cf_err register_log_key(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	return cf_key_register(atx, &it->fields, "audit", "server", it->write_arg, 32, NULL);
}

cf_err cf_key_register_audit_log(cf_auditlog *log, cf_store *st, const uint8_t pk[32])
{
	struct find_key f = { .found = false };
	cf_sha256(f.hash, pk, 32);
	cf_err err = st->ops->key_registrations(st, "audit", "server", find_key, &f);
	if (err || f.found)
		return err;
	struct cf_audit_item it = { .fields = { .action = "audit.key.register",
	                                        .resource = "audit/server", .outcome = 200 },
	                            .write = register_log_key, .write_arg = (void *)(uintptr_t)pk };
	return cf_auditlog_append_sync(log, &it, NULL);
}
