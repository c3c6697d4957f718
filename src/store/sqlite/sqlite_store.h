/* Internals of the SQLite backend shared by its files (not for callers). */
#ifndef CF_STORE_SQLITE_H
#define CF_STORE_SQLITE_H

#include <sqlite3.h>
#include "store/store.h"

struct cf_sqlite_conn;

/* A reader connection, locked for the caller until cf_sqlite_conn_unlock. */
struct cf_sqlite_conn *cf_sqlite_reader_lock(cf_store *st);
void cf_sqlite_conn_unlock(struct cf_sqlite_conn *c);
/* The writer connection of a transaction (already locked by it). */
struct cf_sqlite_conn *cf_sqlite_tx_conn(cf_tx *tx);
/* A cached prepared statement of c, reset and unbound; sql must be a string
 * literal (the cache keys on its address). NULL on failure. */
sqlite3_stmt *cf_sqlite_stmt(struct cf_sqlite_conn *c, const char *sql);
cf_err cf_sqlite_exec(sqlite3 *db, const char *sql, char *msg, size_t cap);

/* sqlite_audit.c */
cf_err cf_sqlite_audit_append(cf_tx *tx, uint64_t seq, const uint8_t *event, size_t len,
                              const uint8_t leaf[32]);
cf_err cf_sqlite_audit_node_put(cf_tx *tx, unsigned level, uint64_t index, const uint8_t hash[32]);
cf_err cf_sqlite_audit_node_get(cf_store *st, cf_tx *tx, unsigned level, uint64_t index,
                                uint8_t out[32]);
cf_err cf_sqlite_audit_size(cf_store *st, uint64_t *ret_size);
cf_err cf_sqlite_audit_events(cf_store *st, uint64_t from, uint64_t count, cf_audit_event_fn fn,
                              void *ctx);
cf_err cf_sqlite_audit_leaf_events(cf_store *st, uint64_t from, uint64_t count,
                                   cf_audit_leaf_event_fn fn, void *ctx);
cf_err cf_sqlite_audit_nodes(cf_store *st, unsigned level, uint64_t from, uint64_t count,
                             cf_audit_node_fn fn, void *ctx);
cf_err cf_sqlite_checkpoints(cf_store *st, cf_checkpoint_fn fn, void *ctx);
cf_err cf_sqlite_checkpoint_put(cf_tx *tx, uint64_t size, const char *note, size_t len,
                                uint64_t time_ms);
cf_err cf_sqlite_checkpoint_get(cf_store *st, uint64_t size, uint64_t *ret_size, char *note,
                                size_t cap, size_t *ret_len);

/* sqlite_entities.c */
cf_err cf_sqlite_api_key_put(cf_tx *tx, const struct cf_api_key *key);
cf_err cf_sqlite_api_key_revoke(cf_tx *tx, const char *id, uint64_t time_ms);
cf_err cf_sqlite_api_key_by_hash(cf_store *st, const uint8_t hash[32], struct cf_api_key *ret);
cf_err cf_sqlite_api_key_get(cf_tx *tx, const char *id, struct cf_api_key *ret);
cf_err cf_sqlite_api_keys(cf_store *st, cf_api_key_fn fn, void *ctx);
cf_err cf_sqlite_version_last(cf_tx *tx, const char *entity, const char *id, uint64_t *ret);
cf_err cf_sqlite_version_put(cf_tx *tx, const struct cf_entity_version *v);
cf_err cf_sqlite_versions(cf_store *st, const char *entity, const char *id, uint64_t limit,
                          cf_entity_version_fn fn, void *ctx);
cf_err cf_sqlite_key_registration_put(cf_tx *tx, const char *kind, const char *owner,
                                      const uint8_t key_hash[32], uint64_t audit_seq);
cf_err cf_sqlite_key_registrations(cf_store *st, const char *kind, const char *owner,
                                   cf_key_registration_fn fn, void *ctx);

cf_err cf_sqlite_doc_version(cf_store *st, cf_tx *tx, const char *kind, const char *id,
                             uint64_t *ret_version);
/* sqlite_docs.c: sessions */
cf_err cf_sqlite_session_touch(cf_tx *tx, const char *key, uint64_t now_ms);
cf_err cf_sqlite_session_lock(cf_tx *tx, const char *key, uint64_t idle_before_ms);

/* sqlite_docs.c */
cf_err cf_sqlite_doc_put(cf_tx *tx, const char *kind, const char *id, uint64_t version,
                         const char *org, const char *doc, size_t len, uint64_t time_ms);
cf_err cf_sqlite_doc_get(cf_store *st, cf_tx *tx, const char *kind, const char *id,
                         char **ret_doc, uint64_t *ret_version);
cf_err cf_sqlite_doc_list(cf_store *st, const char *kind, const char *org, uint64_t limit,
                          cf_doc_fn fn, void *ctx);
cf_err cf_sqlite_index_put(cf_tx *tx, const char *kind, const char *key, const char *id);
cf_err cf_sqlite_index_del(cf_tx *tx, const char *kind, const char *key);
cf_err cf_sqlite_index_get(cf_store *st, cf_tx *tx, const char *kind, const char *key,
                           char id[65]);
cf_err cf_sqlite_eph_put(cf_tx *tx, const char *kind, const char *key, const char *doc,
                         size_t len, uint64_t expires_ms);
cf_err cf_sqlite_eph_get(cf_store *st, cf_tx *tx, const char *kind, const char *key,
                         uint64_t now_ms, char **ret_doc);
cf_err cf_sqlite_eph_del(cf_tx *tx, const char *kind, const char *key);
cf_err cf_sqlite_eph_purge(cf_tx *tx, uint64_t now_ms);

#endif
