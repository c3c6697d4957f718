/* SQLite backend: versioned documents, lookup keys, short-lived state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

#define DOC_MAX (256 * 1024)

static struct cf_sqlite_conn *conn_for(cf_store *st, cf_tx *tx)
{
	return tx ? cf_sqlite_tx_conn(tx) : cf_sqlite_reader_lock(st);
}

static void conn_done(cf_tx *tx, struct cf_sqlite_conn *c)
{
	if (!tx)
		cf_sqlite_conn_unlock(c);
}

static cf_err step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return CF_OK;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? CF_ERR_CONFLICT : CF_ERR_STORE;
}

static cf_err text_copy(sqlite3_stmt *stmt, int col, char **ret)
{
	size_t len = (size_t)sqlite3_column_bytes(stmt, col);
	const unsigned char *t = sqlite3_column_text(stmt, col);
	if (len > DOC_MAX)
		return CF_ERR_TOO_LARGE;
	char *out = malloc(len + 1);
	if (!out)
		return CF_ERR_NOMEM;
	if (len)
		memcpy(out, t, len);
	out[len] = '\0';
	*ret = out;
	return CF_OK;
}

cf_err cf_sqlite_doc_put(cf_tx *tx, const char *kind, const char *id, uint64_t version,
                         const char *org, const char *doc, size_t len, uint64_t time_ms)
{
	if (len > DOC_MAX)
		return CF_ERR_TOO_LARGE;
	struct cf_sqlite_conn *c = cf_sqlite_tx_conn(tx);
	sqlite3_stmt *last = cf_sqlite_stmt(c,
		"SELECT COALESCE(MAX(version), 0) FROM docs WHERE kind = ?1 AND id = ?2");
	if (!last)
		return CF_ERR_STORE;
	sqlite3_bind_text(last, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(last, 2, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(last);
	uint64_t have = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(last, 0) : 0;
	sqlite3_reset(last);
	if (rc != SQLITE_ROW)
		return CF_ERR_STORE;
	if (version != have + 1)
		return CF_ERR_CONFLICT;
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"INSERT INTO docs(kind, id, version, org, doc, time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)version);
	if (org)
		sqlite3_bind_text(stmt, 4, org, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 4);
	sqlite3_bind_text(stmt, 5, doc, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)time_ms);
	return step_done(stmt);
}

cf_err cf_sqlite_doc_get(cf_store *st, cf_tx *tx, const char *kind, const char *id,
                         char **ret_doc, uint64_t *ret_version)
{
	struct cf_sqlite_conn *c = conn_for(st, tx);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT version, doc FROM docs WHERE kind = ?1 AND id = ?2 ORDER BY version DESC LIMIT 1");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			uint64_t v = (uint64_t)sqlite3_column_int64(stmt, 0);
			err = text_copy(stmt, 1, ret_doc);
			if (!err && ret_version)
				*ret_version = v;
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	conn_done(tx, c);
	return err;
}

cf_err cf_sqlite_doc_version(cf_store *st, cf_tx *tx, const char *kind, const char *id,
                             uint64_t *ret_version)
{
	struct cf_sqlite_conn *c = conn_for(st, tx);
	/* The primary key (kind, id, version) answers it alone. */
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT version FROM docs WHERE kind = ?1 AND id = ?2 ORDER BY version DESC LIMIT 1");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*ret_version = (uint64_t)sqlite3_column_int64(stmt, 0);
			err = CF_OK;
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	conn_done(tx, c);
	return err;
}

cf_err cf_sqlite_doc_list(cf_store *st, const char *kind, const char *org, uint64_t limit,
                          cf_doc_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT d.id, d.version, d.doc FROM docs d WHERE d.kind = ?1 "
		"AND (?2 IS NULL OR d.org = ?2) AND d.version = "
		"(SELECT MAX(version) FROM docs e WHERE e.kind = d.kind AND e.id = d.id) "
		"ORDER BY d.time_ms, d.id LIMIT ?3");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		if (org)
			sqlite3_bind_text(stmt, 2, org, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, 2);
		sqlite3_bind_int64(stmt, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(stmt, 0);
			const char *doc = (const char *)sqlite3_column_text(stmt, 2);
			err = fn(ctx, id ? id : "", (uint64_t)sqlite3_column_int64(stmt, 1), doc ? doc : "",
			         (size_t)sqlite3_column_bytes(stmt, 2));
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_index_put(cf_tx *tx, const char *kind, const char *key, const char *id)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO doc_index(kind, key, id) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(kind, key) DO UPDATE SET id = excluded.id");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, id, -1, SQLITE_STATIC);
	return step_done(stmt);
}

cf_err cf_sqlite_index_del(cf_tx *tx, const char *kind, const char *key)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"DELETE FROM doc_index WHERE kind = ?1 AND key = ?2");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	return step_done(stmt);
}

cf_err cf_sqlite_index_get(cf_store *st, cf_tx *tx, const char *kind, const char *key,
                           char id[65])
{
	struct cf_sqlite_conn *c = conn_for(st, tx);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, "SELECT id FROM doc_index WHERE kind = ?1 AND key = ?2");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(stmt, 0);
			snprintf(id, 65, "%s", t ? (const char *)t : "");
			err = CF_OK;
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	conn_done(tx, c);
	return err;
}

cf_err cf_sqlite_eph_put(cf_tx *tx, const char *kind, const char *key, const char *doc,
                         size_t len, uint64_t expires_ms)
{
	if (len > DOC_MAX)
		return CF_ERR_TOO_LARGE;
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO ephemeral(kind, key, doc, expires_ms) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT(kind, key) DO UPDATE SET doc = excluded.doc, expires_ms = excluded.expires_ms");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, doc, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)expires_ms);
	return step_done(stmt);
}

cf_err cf_sqlite_eph_get(cf_store *st, cf_tx *tx, const char *kind, const char *key,
                         uint64_t now_ms, char **ret_doc)
{
	struct cf_sqlite_conn *c = conn_for(st, tx);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT doc FROM ephemeral WHERE kind = ?1 AND key = ?2 AND expires_ms > ?3");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)now_ms);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW)
			err = text_copy(stmt, 0, ret_doc);
		else if (rc == SQLITE_DONE)
			err = CF_ERR_NOT_FOUND;
		sqlite3_reset(stmt);
	}
	conn_done(tx, c);
	return err;
}

cf_err cf_sqlite_eph_del(cf_tx *tx, const char *kind, const char *key)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"DELETE FROM ephemeral WHERE kind = ?1 AND key = ?2");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	return step_done(stmt);
}

cf_err cf_sqlite_eph_purge(cf_tx *tx, uint64_t now_ms)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"DELETE FROM ephemeral WHERE expires_ms <= ?1");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now_ms);
	return step_done(stmt);
}

/* One UPDATE with its condition, so the check and the change are one step. */
static cf_err step_changed(sqlite3_stmt *stmt, sqlite3 *db)
{
	cf_err err = step_done(stmt);
	if (!err && sqlite3_changes(db) == 0)
		err = CF_ERR_NOT_FOUND;
	return err;
}

/* One conditional UPDATE of a session row by key and a time (?2). */
static cf_err session_update(cf_tx *tx, const char *sql, const char *key, uint64_t ms)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx), sql);
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)ms);
	return step_changed(stmt, sqlite3_db_handle(stmt));
}

cf_err cf_sqlite_session_touch(cf_tx *tx, const char *key, uint64_t now_ms)
{
	return session_update(tx,
		"UPDATE ephemeral SET doc = json_set(doc, '$.last_ms', ?2) "
		"WHERE kind = 'session' AND key = ?1 AND json_extract(doc, '$.locked') = 0 "
		"AND json_extract(doc, '$.last_ms') < ?2", key, now_ms);
}

cf_err cf_sqlite_session_lock(cf_tx *tx, const char *key, uint64_t idle_before_ms)
{
	return session_update(tx,
		"UPDATE ephemeral SET doc = json_set(doc, '$.locked', json('true')) "
		"WHERE kind = 'session' AND key = ?1 AND json_extract(doc, '$.locked') = 0 "
		"AND json_extract(doc, '$.last_ms') <= ?2", key, idle_before_ms);
}
