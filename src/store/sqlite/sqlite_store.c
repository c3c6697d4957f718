/* SQLite backend: one writer connection (serialised by a mutex) and a pool of
 * reader connections, WAL mode with synchronous=FULL so a commit is durable
 * when it returns, and a busy timeout so readers and an outside backup tool
 * never see SQLITE_BUSY as a failure. */
#include "store/sqlite/sqlite_store.h"

#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"

#define BUSY_TIMEOUT_MS 10000
#define META_MAX (64 * 1024)

#define STMT_CACHE 64

/* A connection with its lock and its prepared statements (keyed by the SQL
 * text's address: callers pass string literals). */
struct cf_sqlite_conn {
	sqlite3 *db;
	pthread_mutex_t lock;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
};

struct sqlite_store {
	struct cf_store base;
	struct cf_sqlite_conn writer;
	struct cf_sqlite_conn *readers;
	unsigned nreaders;
	atomic_uint next_reader;
};

struct sqlite_tx {
	struct cf_tx base;
	unsigned savepoints;
	struct cf_sqlite_conn *reader;  /* a read snapshot (read_begin); NULL: the writer */
};

static struct sqlite_store *from(cf_store *st)
{
	return (struct sqlite_store *)st;
}

static cf_err open_conn(const char *path, bool readonly, sqlite3 **ret, char *msg, size_t cap)
{
	sqlite3 *db = NULL;
	int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
	            SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, cap, "cannot open database %s: %s", path,
		         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return CF_ERR_STORE;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* No mmap: every audited request commits, and with mmap each reader would
	 * unmap and remap its view of the file at its next transaction (measured:
	 * GET /v1/me at 2x the CPU). Page caches per connection instead. */
	const char *pragmas = readonly ?
		"PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;" :
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
		"PRAGMA cache_size=-65536;";
	char *err = NULL;
	if (sqlite3_exec(db, pragmas, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(msg, cap, "cannot configure database %s: %s", path, err ? err : "?");
		sqlite3_free(err);
		sqlite3_close(db);
		return CF_ERR_STORE;
	}
	*ret = db;
	return CF_OK;
}

cf_err cf_sqlite_exec(sqlite3 *db, const char *sql, char *msg, size_t cap)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (msg)
			snprintf(msg, cap, "%s", err ? err : "sqlite error");
		sqlite3_free(err);
		return CF_ERR_STORE;
	}
	return CF_OK;
}

/* Maps the portable SQL of the migrations to SQLite's words: BYTES is BLOB,
 * and a BIGINT primary key becomes the rowid (INTEGER PRIMARY KEY). */
static char *portable_to_sqlite(const char *sql)
{
	static const struct { const char *from, *to; } words[] = {
		{ "BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY" },
		{ "BYTES", "BLOB" },
	};
	size_t len = strlen(sql);
	char *out = malloc(2 * len + 1); /* a replacement is at most twice as long */
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		bool replaced = false;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]) && !replaced; w++) {
			size_t fl = strlen(words[w].from);
			if (strncmp(sql + i, words[w].from, fl) == 0) {
				size_t tl = strlen(words[w].to);
				memcpy(out + o, words[w].to, tl);
				o += tl;
				i += fl;
				replaced = true;
			}
		}
		if (!replaced)
			out[o++] = sql[i++];
	}
	out[o] = '\0';
	return out;
}

static cf_err current_version(sqlite3 *db, int64_t *ret)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	                       -1, &stmt, NULL) != SQLITE_OK)
		return CF_ERR_STORE;
	cf_err err = CF_ERR_STORE;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(stmt, 0);
		err = CF_OK;
	}
	sqlite3_finalize(stmt);
	return err;
}

static cf_err table_exists(sqlite3 *db, const char *name, bool *ret)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
	                       -1, &stmt, NULL) != SQLITE_OK)
		return CF_ERR_STORE;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return CF_ERR_STORE;
	*ret = rc == SQLITE_ROW;
	return CF_OK;
}

static cf_err apply_one(sqlite3 *db, const struct cf_migration *m, char *msg, size_t cap)
{
	char *sql = portable_to_sqlite(m->sql);
	if (!sql)
		return CF_ERR_NOMEM;
	cf_err err = cf_sqlite_exec(db, "BEGIN IMMEDIATE", msg, cap);
	if (!err)
		err = cf_sqlite_exec(db, sql, msg, cap);
	if (!err) {
		sqlite3_stmt *stmt = NULL;
		err = CF_ERR_STORE;
		if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations(version, name, applied_at) "
		                       "VALUES (?1, ?2, strftime('%s','now'))", -1, &stmt, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(stmt, 1, m->version);
			sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
			if (sqlite3_step(stmt) == SQLITE_DONE)
				err = CF_OK;
		}
		sqlite3_finalize(stmt);
	}
	if (!err)
		err = cf_sqlite_exec(db, "COMMIT", msg, cap);
	if (err) {
		char inner[200];
		snprintf(inner, sizeof(inner), "%s", msg);
		snprintf(msg, cap, "migration %lld (%s) failed: %s", (long long)m->version, m->name, inner);
		cf_sqlite_exec(db, "ROLLBACK", NULL, 0);
	}
	free(sql);
	return err;
}

static cf_err migrate(sqlite3 *db, char *msg, size_t cap)
{
	bool exists = false;
	if (table_exists(db, "schema_migrations", &exists)) {
		snprintf(msg, cap, "cannot read the database schema: %s", sqlite3_errmsg(db));
		return CF_ERR_STORE;
	}
	int64_t have = 0;
	if (exists && current_version(db, &have)) {
		snprintf(msg, cap, "cannot read the schema version: %s", sqlite3_errmsg(db));
		return CF_ERR_STORE;
	}
	int64_t latest = cf_migrations_latest();
	if (have > latest) {
		/* Refuse before writing anything: an older program must not damage it. */
		snprintf(msg, cap, "database schema version %lld is newer than this coffred "
		         "(which knows up to %lld); upgrade coffred", (long long)have, (long long)latest);
		return CF_ERR_SCHEMA;
	}
	if (!exists && cf_sqlite_exec(db, "CREATE TABLE schema_migrations ("
	                              "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                              "applied_at INTEGER NOT NULL)", msg, cap))
		return CF_ERR_STORE;
	size_t n = 0;
	const struct cf_migration *all = cf_migrations(&n);
	for (size_t i = 0; i < n; i++) {
		if (all[i].version <= have)
			continue;
		cf_err err = apply_one(db, &all[i], msg, cap);
		if (err)
			return err;
	}
	return CF_OK;
}

/* Offline tools read a database as it is: it must exist and have exactly
 * the schema this program knows. */
static cf_err check_readonly(const char *path, char *msg, size_t cap)
{
	sqlite3 *db = NULL;
	cf_err err = open_conn(path, true, &db, msg, cap);
	if (err)
		return err;
	bool exists = false;
	int64_t have = 0;
	if (table_exists(db, "schema_migrations", &exists) || !exists ||
	    current_version(db, &have)) {
		snprintf(msg, cap, "%s is not a coffre database", path);
		err = CF_ERR_STORE;
	} else if (have != cf_migrations_latest()) {
		snprintf(msg, cap, "database schema version %lld differs from this program's %lld",
		         (long long)have, (long long)cf_migrations_latest());
		err = CF_ERR_SCHEMA;
	}
	sqlite3_close(db);
	return err;
}

static void conn_close(struct cf_sqlite_conn *c)
{
	for (unsigned i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(c->cache[i].stmt);
	sqlite3_close(c->db);
	pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

sqlite3_stmt *cf_sqlite_stmt(struct cf_sqlite_conn *c, const char *sql)
{
	unsigned i = 0;
	for (; i < STMT_CACHE && c->cache[i].sql; i++) {
		if (c->cache[i].sql == sql) {
			sqlite3_reset(c->cache[i].stmt);
			sqlite3_clear_bindings(c->cache[i].stmt);
			return c->cache[i].stmt;
		}
	}
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v3(c->db, sql, -1, i < STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0,
	                       &stmt, NULL) != SQLITE_OK)
		return NULL;
	if (i < STMT_CACHE) {
		c->cache[i].sql = sql;
		c->cache[i].stmt = stmt;
		return stmt;
	}
	/* Cache full: a programming error (raise STMT_CACHE); refuse rather than leak. */
	sqlite3_finalize(stmt);
	return NULL;
}

static void sqlite_close(cf_store *base)
{
	struct sqlite_store *st = from(base);
	for (unsigned i = 0; i < st->nreaders; i++)
		conn_close(&st->readers[i]);
	free(st->readers);
	conn_close(&st->writer);
	free(st);
}

static cf_err sqlite_open(cf_store **ret, const struct cf_store_config *cfg, char *msg, size_t cap)
{
	struct sqlite_store *st = calloc(1, sizeof(*st));
	if (!st)
		return CF_ERR_NOMEM;
	st->base.ops = &cf_store_sqlite_ops;
	pthread_mutex_init(&st->writer.lock, NULL);
	cf_err err = cfg->readonly ? check_readonly(cfg->sqlite_path, msg, cap) :
	             open_conn(cfg->sqlite_path, false, &st->writer.db, msg, cap);
	if (!err && !cfg->readonly)
		err = migrate(st->writer.db, msg, cap);
	unsigned n = cfg->readers ? cfg->readers : 4;
	if (!err) {
		st->readers = calloc(n, sizeof(*st->readers));
		if (!st->readers)
			err = CF_ERR_NOMEM;
	}
	for (unsigned i = 0; !err && i < n; i++) {
		err = open_conn(cfg->sqlite_path, true, &st->readers[i].db, msg, cap);
		if (!err) {
			pthread_mutex_init(&st->readers[i].lock, NULL);
			st->nreaders++;
		}
	}
	if (err) {
		sqlite_close(&st->base);
		return err;
	}
	*ret = &st->base;
	return CF_OK;
}

/* Takes an idle reader if there is one, else waits on one (round robin). */
struct cf_sqlite_conn *cf_sqlite_reader_lock(cf_store *base)
{
	struct sqlite_store *st = from(base);
	unsigned start = atomic_fetch_add(&st->next_reader, 1);
	for (unsigned i = 0; i < st->nreaders; i++) {
		struct cf_sqlite_conn *r = &st->readers[(start + i) % st->nreaders];
		if (pthread_mutex_trylock(&r->lock) == 0)
			return r;
	}
	struct cf_sqlite_conn *r = &st->readers[start % st->nreaders];
	pthread_mutex_lock(&r->lock);
	return r;
}

void cf_sqlite_conn_unlock(struct cf_sqlite_conn *c)
{
	pthread_mutex_unlock(&c->lock);
}

struct cf_sqlite_conn *cf_sqlite_tx_conn(cf_tx *tx)
{
	struct sqlite_tx *t = (struct sqlite_tx *)tx;
	return t->reader ? t->reader : &from(tx->st)->writer;
}

/* Several reads in one read transaction of one reader: one snapshot, and one
 * WAL check instead of one per statement (after every commit, a new read
 * transaction starts with an empty page cache). */
static cf_err sqlite_read_begin(cf_store *base, cf_tx **ret)
{
	struct sqlite_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return CF_ERR_NOMEM;
	tx->base.st = base;
	tx->reader = cf_sqlite_reader_lock(base);
	if (cf_sqlite_exec(tx->reader->db, "BEGIN", NULL, 0)) {
		cf_sqlite_conn_unlock(tx->reader);
		free(tx);
		return CF_ERR_STORE;
	}
	*ret = &tx->base;
	return CF_OK;
}

static void sqlite_read_end(cf_tx *base)
{
	if (!base)
		return;
	struct sqlite_tx *tx = (struct sqlite_tx *)base;
	if (!sqlite3_get_autocommit(tx->reader->db))
		cf_sqlite_exec(tx->reader->db, "COMMIT", NULL, 0);
	cf_sqlite_conn_unlock(tx->reader);
	free(tx);
}

static cf_err sqlite_ping(cf_store *base)
{
	struct cf_sqlite_conn *r = cf_sqlite_reader_lock(base);
	sqlite3_stmt *stmt = cf_sqlite_stmt(r, "SELECT COUNT(*) FROM schema_migrations");
	cf_err err = stmt && sqlite3_step(stmt) == SQLITE_ROW ? CF_OK : CF_ERR_STORE;
	if (stmt)
		sqlite3_reset(stmt);
	cf_sqlite_conn_unlock(r);
	return err;
}

static cf_err sqlite_schema_version(cf_store *base, int64_t *ret)
{
	struct cf_sqlite_conn *r = cf_sqlite_reader_lock(base);
	cf_err err = current_version(r->db, ret);
	cf_sqlite_conn_unlock(r);
	return err;
}

static cf_err sqlite_meta_get(cf_store *base, const char *key, uint8_t *buf, size_t cap,
                              size_t *ret_len)
{
	struct cf_sqlite_conn *r = cf_sqlite_reader_lock(base);
	sqlite3_stmt *stmt = cf_sqlite_stmt(r, "SELECT value FROM meta WHERE key = ?1");
	cf_err err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
			if (len > cap) {
				err = CF_ERR_TOO_LARGE;
			} else {
				if (len)
					memcpy(buf, sqlite3_column_blob(stmt, 0), len);
				*ret_len = len;
				err = CF_OK;
			}
		} else if (rc == SQLITE_DONE) {
			err = CF_ERR_NOT_FOUND;
		}
		sqlite3_reset(stmt);
	}
	cf_sqlite_conn_unlock(r);
	return err;
}

static cf_err sqlite_tx_begin(cf_store *base, cf_tx **ret)
{
	struct sqlite_store *st = from(base);
	struct sqlite_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return CF_ERR_NOMEM;
	tx->base.st = base;
	pthread_mutex_lock(&st->writer.lock);
	if (cf_sqlite_exec(st->writer.db, "BEGIN IMMEDIATE", NULL, 0)) {
		pthread_mutex_unlock(&st->writer.lock);
		free(tx);
		return CF_ERR_STORE;
	}
	*ret = &tx->base;
	return CF_OK;
}

static void tx_end(cf_tx *base)
{
	pthread_mutex_unlock(&from(base->st)->writer.lock);
	free(base);
}

static void sqlite_tx_rollback(cf_tx *base)
{
	sqlite3 *db = from(base->st)->writer.db;
	if (!sqlite3_get_autocommit(db))
		cf_sqlite_exec(db, "ROLLBACK", NULL, 0);
	tx_end(base);
}

static cf_err sqlite_tx_commit(cf_tx *base)
{
	sqlite3 *db = from(base->st)->writer.db;
	if (cf_sqlite_exec(db, "COMMIT", NULL, 0)) {
		sqlite_tx_rollback(base);
		return CF_ERR_STORE;
	}
	tx_end(base);
	return CF_OK;
}

static cf_err sqlite_tx_savepoint(cf_tx *base)
{
	struct sqlite_tx *tx = (struct sqlite_tx *)base;
	if (cf_sqlite_exec(from(base->st)->writer.db, "SAVEPOINT sp", NULL, 0))
		return CF_ERR_STORE;
	tx->savepoints++;
	return CF_OK;
}

static cf_err sqlite_tx_release(cf_tx *base)
{
	struct sqlite_tx *tx = (struct sqlite_tx *)base;
	if (tx->savepoints == 0 || cf_sqlite_exec(from(base->st)->writer.db, "RELEASE sp", NULL, 0))
		return CF_ERR_STORE;
	tx->savepoints--;
	return CF_OK;
}

static cf_err sqlite_tx_rollback_to(cf_tx *base)
{
	struct sqlite_tx *tx = (struct sqlite_tx *)base;
	if (tx->savepoints == 0 ||
	    cf_sqlite_exec(from(base->st)->writer.db, "ROLLBACK TO sp; RELEASE sp", NULL, 0))
		return CF_ERR_STORE;
	tx->savepoints--;
	return CF_OK;
}

static cf_err sqlite_meta_put(cf_store *base, const char *key, const uint8_t *val, size_t len)
{
	if (len > META_MAX)
		return CF_ERR_TOO_LARGE;
	cf_tx *tx = NULL;
	cf_err err = sqlite_tx_begin(base, &tx);
	if (err)
		return err;
	sqlite3_stmt *stmt = cf_sqlite_stmt(cf_sqlite_tx_conn(tx),
		"INSERT INTO meta(key, value) VALUES (?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	err = CF_ERR_STORE;
	if (stmt) {
		sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_blob(stmt, 2, val, (int)len, SQLITE_STATIC);
		if (sqlite3_step(stmt) == SQLITE_DONE)
			err = CF_OK;
		sqlite3_reset(stmt);
	}
	if (err) {
		sqlite_tx_rollback(tx);
		return err;
	}
	return sqlite_tx_commit(tx);
}

static cf_err ip_day_key_in(cf_tx *tx, uint64_t day, const uint8_t fresh[32], uint64_t keep_from,
                            uint8_t ret_key[32])
{
	struct cf_sqlite_conn *c = cf_sqlite_tx_conn(tx);
	/* Zeroed before deletion, so the page that held a key does not keep it. */
	static const char *const purge[] = {
		"UPDATE ip_day_keys SET key = zeroblob(32) WHERE day < ?1",
		"DELETE FROM ip_day_keys WHERE day < ?1",
	};
	sqlite3_stmt *stmt;
	for (size_t i = 0; i < 2; i++) {
		stmt = cf_sqlite_stmt(c, purge[i]);
		if (!stmt)
			return CF_ERR_STORE;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)keep_from);
		int rc = sqlite3_step(stmt);
		sqlite3_reset(stmt);
		if (rc != SQLITE_DONE)
			return CF_ERR_STORE;
	}
	stmt = cf_sqlite_stmt(c, "INSERT INTO ip_day_keys(day, key) VALUES (?1, ?2) "
	                         "ON CONFLICT(day) DO NOTHING");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)day);
	sqlite3_bind_blob(stmt, 2, fresh, 32, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return CF_ERR_STORE;
	stmt = cf_sqlite_stmt(c, "SELECT key FROM ip_day_keys WHERE day = ?1");
	if (!stmt)
		return CF_ERR_STORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)day);
	cf_err err = CF_ERR_STORE;
	if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_bytes(stmt, 0) == 32) {
		memcpy(ret_key, sqlite3_column_blob(stmt, 0), 32);
		err = CF_OK;
	}
	sqlite3_reset(stmt);
	return err;
}

static cf_err sqlite_ip_day_key(cf_store *base, uint64_t day, const uint8_t fresh[32],
                                uint64_t keep_from, uint8_t ret_key[32])
{
	cf_tx *tx = NULL;
	cf_err err = sqlite_tx_begin(base, &tx);
	if (err)
		return err;
	uint8_t key[32];
	err = ip_day_key_in(tx, day, fresh, keep_from, key);
	if (err) {
		sqlite_tx_rollback(tx);
		return err;
	}
	err = sqlite_tx_commit(tx);
	if (!err)
		memcpy(ret_key, key, 32);
	explicit_bzero(key, sizeof(key));
	return err;
}

const struct cf_store_ops cf_store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.ping = sqlite_ping,
	.schema_version = sqlite_schema_version,
	.meta_get = sqlite_meta_get,
	.meta_put = sqlite_meta_put,
	.ip_day_key = sqlite_ip_day_key,
	.tx_begin = sqlite_tx_begin,
	.read_begin = sqlite_read_begin,
	.read_end = sqlite_read_end,
	.tx_commit = sqlite_tx_commit,
	.tx_rollback = sqlite_tx_rollback,
	.tx_savepoint = sqlite_tx_savepoint,
	.tx_release = sqlite_tx_release,
	.tx_rollback_to = sqlite_tx_rollback_to,
	.audit_append = cf_sqlite_audit_append,
	.audit_node_put = cf_sqlite_audit_node_put,
	.audit_node_get = cf_sqlite_audit_node_get,
	.audit_size = cf_sqlite_audit_size,
	.audit_events = cf_sqlite_audit_events,
	.audit_leaf_events = cf_sqlite_audit_leaf_events,
	.audit_nodes = cf_sqlite_audit_nodes,
	.checkpoints = cf_sqlite_checkpoints,
	.checkpoint_put = cf_sqlite_checkpoint_put,
	.api_key_put = cf_sqlite_api_key_put,
	.api_key_revoke = cf_sqlite_api_key_revoke,
	.api_key_by_hash = cf_sqlite_api_key_by_hash,
	.api_key_get = cf_sqlite_api_key_get,
	.api_keys = cf_sqlite_api_keys,
	.version_last = cf_sqlite_version_last,
	.version_put = cf_sqlite_version_put,
	.versions = cf_sqlite_versions,
	.key_registration_put = cf_sqlite_key_registration_put,
	.key_registrations = cf_sqlite_key_registrations,
	.doc_put = cf_sqlite_doc_put,
	.doc_get = cf_sqlite_doc_get,
	.doc_version = cf_sqlite_doc_version,
	.doc_list = cf_sqlite_doc_list,
	.index_put = cf_sqlite_index_put,
	.index_del = cf_sqlite_index_del,
	.index_get = cf_sqlite_index_get,
	.eph_put = cf_sqlite_eph_put,
	.eph_get = cf_sqlite_eph_get,
	.eph_del = cf_sqlite_eph_del,
	.eph_purge = cf_sqlite_eph_purge,
	.session_touch = cf_sqlite_session_touch,
	.session_lock = cf_sqlite_session_lock,
	.checkpoint_get = cf_sqlite_checkpoint_get,
};
