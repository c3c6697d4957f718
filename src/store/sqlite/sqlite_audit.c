/* SQLite backend: the audit log tables (events as exact bytes, perfect-subtree
 * hashes of the Merkle tree, signed checkpoints). */
#include <stdbool.h>
#include <string.h>

#include "store/sqlite/sqlite_store.h"

/* Tree nodes are keyed by one integer: level in the top 8 bits. */
#define NODE_KEY(level, index) ((sqlite3_int64)(((uint64_t)(level) << 56) | (index)))
#define INDEX_MAX ((UINT64_C(1) << 56) - 1)

static cf_err step_done(sqlite3_stmt *stmt)
{
	cf_err err = sqlite3_step(stmt) == SQLITE_DONE ? CF_OK : CF_ERR_STORE;
	sqlite3_reset(stmt);
	return err;
}

cf_err cf_sqlite_audit_append(cf_tx *tx, uint64_t seq, const uint8_t *event, size_t len,
                              const uint8_t leaf[32])
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO audit_events(seq, event, leaf) VALUES (?1, ?2, ?3)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(stmt, 2, event, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, leaf, 32, SQLITE_STATIC);
	return step_done(stmt);
}

cf_err cf_sqlite_audit_node_put(cf_tx *tx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	if (level > 63 || index > INDEX_MAX)
		return CF_ERR_INVALID;
	if (level == 0)
		return CF_OK; /* stored with the event (audit_events.leaf) */
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO audit_nodes(node, hash) VALUES (?1, ?2)");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, NODE_KEY(level, index));
	sqlite3_bind_blob(stmt, 2, hash, 32, SQLITE_STATIC);
	return step_done(stmt);
}

static const char node_sql[] = "SELECT hash FROM audit_nodes WHERE node = ?1";
static const char leaf_sql[] = "SELECT leaf FROM audit_events WHERE seq = ?1";

cf_err cf_sqlite_audit_node_get(cf_store *st, cf_tx *tx, unsigned level, uint64_t index,
                                uint8_t out[32])
{
	if (level > 63 || index > INDEX_MAX)
		return CF_ERR_NOT_FOUND;
	struct cf_sqlite_conn *c = tx ? cf_sqlite_tx_conn(tx) : cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, level == 0 ? leaf_sql : node_sql);
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_int64(stmt, 1, level == 0 ? (sqlite3_int64)index : NODE_KEY(level, index));
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW && sqlite3_column_bytes(stmt, 0) == 32) {
			memcpy(out, sqlite3_column_blob(stmt, 0), 32);
			err = CF_OK;
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	if (!tx)
		cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_audit_size(cf_store *st, uint64_t *ret_size)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, "SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_events");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		if (sqlite3_step(stmt) == SQLITE_ROW) {
			*ret_size = (uint64_t)sqlite3_column_int64(stmt, 0);
			err = CF_OK;
		}
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

/* One scan of the events; fn or leaf_fn is called for each row. */
static cf_err scan_events(cf_store *st, uint64_t from, uint64_t count, cf_audit_event_fn fn,
                          cf_audit_leaf_event_fn leaf_fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c,
		"SELECT seq, event, leaf FROM audit_events WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)from);
		sqlite3_bind_int64(stmt, 2, count > INT64_MAX ? INT64_MAX : (sqlite3_int64)count);
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			const void *blob = sqlite3_column_blob(stmt, 1);
			size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
			uint64_t seq = (uint64_t)sqlite3_column_int64(stmt, 0);
			if (!blob)
				blob = "";
			if (fn) {
				err = fn(ctx, seq, blob, len);
			} else {
				static const uint8_t none[32];
				const void *leaf = sqlite3_column_blob(stmt, 2);
				/* a damaged leaf column is for the verifier to name, not a read error */
				if (sqlite3_column_bytes(stmt, 2) != 32 || !leaf)
					leaf = none;
				err = leaf_fn(ctx, seq, blob, len, leaf);
			}
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_audit_events(cf_store *st, uint64_t from, uint64_t count, cf_audit_event_fn fn,
                              void *ctx)
{
	return scan_events(st, from, count, fn, NULL, ctx);
}

cf_err cf_sqlite_audit_leaf_events(cf_store *st, uint64_t from, uint64_t count,
                                   cf_audit_leaf_event_fn fn, void *ctx)
{
	return scan_events(st, from, count, NULL, fn, ctx);
}

cf_err cf_sqlite_checkpoint_put(cf_tx *tx, uint64_t size, const char *note, size_t len,
                                uint64_t time_ms)
{
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO audit_checkpoints(size, note, created_ms) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(size) DO NOTHING");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)size);
	sqlite3_bind_text(stmt, 2, note, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)time_ms);
	return step_done(stmt);
}

cf_err cf_sqlite_checkpoint_get(cf_store *st, uint64_t size, uint64_t *ret_size, char *note,
                                size_t cap, size_t *ret_len)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	bool latest = size == UINT64_MAX;
	sqlite3_stmt *stmt = latest ?
		cf_sqlite_stmt(c, "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1") :
		cf_sqlite_stmt(c, "SELECT size, note FROM audit_checkpoints WHERE size = ?1");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		if (!latest)
			sqlite3_bind_int64(stmt, 1, (sqlite3_int64)size);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
			if (len + 1 > cap) {
				err = CF_ERR_TOO_LARGE;
			} else {
				memcpy(note, sqlite3_column_text(stmt, 1), len);
				note[len] = '\0';
				*ret_len = len;
				*ret_size = (uint64_t)sqlite3_column_int64(stmt, 0);
				err = CF_OK;
			}
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_audit_nodes(cf_store *st, unsigned level, uint64_t from, uint64_t count,
                             cf_audit_node_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = level == 0 ?
		cf_sqlite_stmt(c, "SELECT seq, leaf FROM audit_events WHERE seq >= ?1 AND seq <= ?2 "
		               "ORDER BY seq LIMIT ?3") :
		cf_sqlite_stmt(c, "SELECT node, hash FROM audit_nodes WHERE node >= ?1 AND node <= ?2 "
		               "ORDER BY node LIMIT ?3");
	cf_err err = CF_ERR_STORE;
	if (level > 63 || from > INDEX_MAX) {
		cf_sqlite_conn_unlock(c);
		return CF_OK; /* nothing stored there */
	}
	if (stmt) {
		sqlite3_bind_int64(stmt, 1, level == 0 ? (sqlite3_int64)from : NODE_KEY(level, from));
		sqlite3_bind_int64(stmt, 2, level == 0 ? (sqlite3_int64)INDEX_MAX : NODE_KEY(level, INDEX_MAX));
		sqlite3_bind_int64(stmt, 3, count > INT64_MAX ? INT64_MAX : (sqlite3_int64)count);
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (sqlite3_column_bytes(stmt, 1) != 32) {
				err = CF_ERR_STORE;
				break;
			}
			err = fn(ctx, (uint64_t)sqlite3_column_int64(stmt, 0) & INDEX_MAX,
			         sqlite3_column_blob(stmt, 1));
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}

cf_err cf_sqlite_checkpoints(cf_store *st, cf_checkpoint_fn fn, void *ctx)
{
	struct cf_sqlite_conn *c = cf_sqlite_reader_lock(st);
	sqlite3_stmt *stmt = cf_sqlite_stmt(c, "SELECT size, note FROM audit_checkpoints ORDER BY size");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		err = CF_OK;
		int rc;
		while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			const unsigned char *note = sqlite3_column_text(stmt, 1);
			err = fn(ctx, (uint64_t)sqlite3_column_int64(stmt, 0),
			         note ? (const char *)note : "", (size_t)sqlite3_column_bytes(stmt, 1));
		}
		if (!err && rc != SQLITE_DONE)
			err = CF_ERR_STORE;
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(c);
	return err;
}
