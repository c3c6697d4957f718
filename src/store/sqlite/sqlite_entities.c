/* SQLite backend: API keys, entity versions and key registrations. All
 * insert-only: a change is a new row, never an update in place. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

static void copy_text(char *dst, size_t cap, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static cf_err step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return CF_OK;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? CF_ERR_CONFLICT : CF_ERR_STORE;
}

cf_err cf_sqlite_api_key_put(cf_tx *tx, const struct cf_api_key *k)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO api_keys(id, key_hash, tenant, scopes, allow, label, created_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, k->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, k->key_hash, 32, SQLITE_STATIC);
	if (k->tenant[0])
		sqlite3_bind_text(stmt, 3, k->tenant, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 3);
	sqlite3_bind_text(stmt, 4, k->scopes, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, k->allow, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, k->label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)k->created_ms);
	return step_done(stmt);
}

#define KEY_COLUMNS "k.id, k.key_hash, k.tenant, k.scopes, k.allow, k.label, k.created_ms, " \
	"r.revoked_ms FROM api_keys k LEFT JOIN api_key_revocations r ON r.id = k.id "

static void read_key(sqlite3_stmt *stmt, struct cf_api_key *k)
{
	memset(k, 0, sizeof(*k));
	copy_text(k->id, sizeof(k->id), stmt, 0);
	if (sqlite3_column_bytes(stmt, 1) == 32)
		memcpy(k->key_hash, sqlite3_column_blob(stmt, 1), 32);
	copy_text(k->tenant, sizeof(k->tenant), stmt, 2);
	copy_text(k->scopes, sizeof(k->scopes), stmt, 3);
	copy_text(k->allow, sizeof(k->allow), stmt, 4);
	copy_text(k->label, sizeof(k->label), stmt, 5);
	k->created_ms = (uint64_t)sqlite3_column_int64(stmt, 6);
	k->revoked = sqlite3_column_type(stmt, 7) != SQLITE_NULL;
	k->revoked_ms = (uint64_t)sqlite3_column_int64(stmt, 7);
}

static cf_err one_key(sqlite3_stmt *stmt, struct cf_api_key *ret)
{
	int rc = sqlite3_step(stmt);
	cf_err err = CF_ERR_STORE;
	if (rc == SQLITE_ROW) {
		read_key(stmt, ret);
		err = CF_OK;
	} else if (rc == SQLITE_DONE) {
		err = CF_ERR_NOT_FOUND;
	}
	sqlite3_reset(stmt);
	return err;
}

cf_err cf_sqlite_api_key_by_hash(cf_store *st, const uint8_t hash[32], struct cf_api_key *ret)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, "SELECT " KEY_COLUMNS "WHERE k.key_hash = ?1");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
		err = one_key(stmt, ret);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_api_key_get(cf_tx *tx, const char *id, struct cf_api_key *ret)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"SELECT " KEY_COLUMNS "WHERE k.id = ?1");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	return one_key(stmt, ret);
}

cf_err cf_sqlite_api_key_revoke(cf_tx *tx, const char *id, uint64_t time_ms)
{
	struct cf_api_key k;
	cf_err err = cf_sqlite_api_key_get(tx, id, &k);
	if (err)
		return err;
	if (k.revoked)
		return CF_ERR_CONFLICT;
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO api_key_revocations(id, revoked_ms) VALUES (?1, ?2)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)time_ms);
	return step_done(stmt);
}

cf_err cf_sqlite_api_keys(cf_store *st, cf_api_key_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, "SELECT " KEY_COLUMNS "ORDER BY k.created_ms, k.id");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			struct cf_api_key k;
			read_key(stmt, &k);
			err = fn(ctx, &k);
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_version_last(cf_tx *tx, const char *entity, const char *id, uint64_t *ret)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"SELECT COALESCE(MAX(version), 0) FROM entity_versions WHERE entity = ?1 AND id = ?2");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
	cf_err err = CF_ERR_STORE;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*ret = (uint64_t)sqlite3_column_int64(stmt, 0);
		err = CF_OK;
	}
	sqlite3_reset(stmt);
	return err;
}

cf_err cf_sqlite_version_put(cf_tx *tx, const struct cf_entity_version *v)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO entity_versions(entity, id, version, op, actor, time_ms, state_hash, audit_seq) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, v->entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, v->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)v->version);
	sqlite3_bind_text(stmt, 4, v->op, -1, SQLITE_STATIC);
	if (v->actor[0])
		sqlite3_bind_text(stmt, 5, v->actor, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 5);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)v->time_ms);
	sqlite3_bind_blob(stmt, 7, v->state_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, (sqlite3_int64)v->audit_seq);
	return step_done(stmt);
}

cf_err cf_sqlite_versions(cf_store *st, const char *entity, const char *id, uint64_t limit,
                          cf_entity_version_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT entity, id, version, op, actor, time_ms, state_hash, audit_seq "
		"FROM entity_versions WHERE entity = ?1 AND (?2 IS NULL OR id = ?2) "
		"ORDER BY audit_seq LIMIT ?3");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_STATIC);
		if (id)
			sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, 2);
		sqlite3_bind_int64(stmt, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			struct cf_entity_version v;
			memset(&v, 0, sizeof(v));
			copy_text(v.entity, sizeof(v.entity), stmt, 0);
			copy_text(v.id, sizeof(v.id), stmt, 1);
			v.version = (uint64_t)sqlite3_column_int64(stmt, 2);
			copy_text(v.op, sizeof(v.op), stmt, 3);
			copy_text(v.actor, sizeof(v.actor), stmt, 4);
			v.time_ms = (uint64_t)sqlite3_column_int64(stmt, 5);
			if (sqlite3_column_bytes(stmt, 6) == 32)
				memcpy(v.state_hash, sqlite3_column_blob(stmt, 6), 32);
			v.audit_seq = (uint64_t)sqlite3_column_int64(stmt, 7);
			err = fn(ctx, &v);
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_key_registration_put(cf_tx *tx, const char *kind, const char *owner,
                                      const uint8_t key_hash[32], uint64_t audit_seq)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO key_registrations(kind, owner, key_hash, audit_seq) VALUES (?1, ?2, ?3, ?4)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, key_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)audit_seq);
	return step_done(stmt);
}

cf_err cf_sqlite_key_registrations(cf_store *st, const char *kind, const char *owner,
                                   cf_key_registration_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT key_hash, audit_seq FROM key_registrations WHERE kind = ?1 AND owner = ?2 "
		"ORDER BY audit_seq");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, owner, -1, SQLITE_STATIC);
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (sqlite3_column_bytes(stmt, 0) != 32) {
				err = CF_ERR_STORE;
				break;
			}
			err = fn(ctx, sqlite3_column_blob(stmt, 0), (uint64_t)sqlite3_column_int64(stmt, 1));
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}
