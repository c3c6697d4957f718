/* The store: every persistent read and write of coffred goes through this
 * interface, one struct of function pointers per backend (sqlite now,
 * postgres later), chosen by name from the configuration. Callers never see
 * SQL or a backend type. */
#ifndef CF_STORE_H
#define CF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

typedef struct cf_store cf_store;
/* A write transaction: the single writer, held from begin to commit/rollback.
 * Every write of coffred happens inside one, together with its audit event. */
typedef struct cf_tx cf_tx;

/* Called for each stored tree node of one level, in index order. */
typedef cf_err (*cf_audit_node_fn)(void *ctx, uint64_t index, const uint8_t hash[32]);
/* Called for each stored checkpoint, in size order. */
typedef cf_err (*cf_checkpoint_fn)(void *ctx, uint64_t size, const char *note, size_t len);

/* Called for each stored audit event, in order; a non-CF_OK return stops. */
typedef cf_err (*cf_audit_event_fn)(void *ctx, uint64_t seq, const uint8_t *event, size_t len);
/* The same with the leaf hash stored beside the event. */
typedef cf_err (*cf_audit_leaf_event_fn)(void *ctx, uint64_t seq, const uint8_t *event, size_t len,
                                         const uint8_t leaf[32]);

/* A machine client's key: stored by the SHA-256 of the key text only. */
struct cf_api_key {
	char id[33];               /* 32 hex */
	uint8_t key_hash[32];
	char tenant[33];           /* "" for a platform key */
	char scopes[256];          /* space-separated, e.g. "audit.read" */
	char allow[512];           /* comma-separated CIDRs; "" = any address */
	char label[65];
	uint64_t created_ms;
	bool revoked;
	uint64_t revoked_ms;
};
typedef cf_err (*cf_api_key_fn)(void *ctx, const struct cf_api_key *key);

/* One version of a sensitive entity (DESIGN §6). */
struct cf_entity_version {
	char entity[32];           /* "api_key", "user", "record", ... */
	char id[65];
	uint64_t version;          /* 1, 2, ... */
	char op[8];                /* "create" | "update" | "delete" */
	char actor[33];            /* "" when the operator acted offline */
	uint64_t time_ms;
	uint8_t state_hash[32];    /* SHA-256 of the new state */
	uint64_t audit_seq;        /* the audit event that carries it */
};
typedef cf_err (*cf_entity_version_fn)(void *ctx, const struct cf_entity_version *v);

/* Called for the newest version of each listed document. */
typedef cf_err (*cf_doc_fn)(void *ctx, const char *id, uint64_t version, const char *doc,
                            size_t len);

/* A public identity key registered through the audit log. */
typedef cf_err (*cf_key_registration_fn)(void *ctx, const uint8_t key_hash[32], uint64_t audit_seq);

struct cf_store_config {
	const char *backend;      /* "sqlite" */
	const char *sqlite_path;  /* database file */
	unsigned readers;         /* read connections in the pool */
	bool readonly;            /* offline tools: no writer, no migration */
};

/* What every backend provides. Each function returns a cf_err and writes its
 * outputs only on success. Messages for operators go to msg (cap bytes). */
struct cf_store_ops {
	const char *name;
	cf_err (*open)(cf_store **ret, const struct cf_store_config *cfg, char *msg, size_t cap);
	void (*close)(cf_store *st);
	cf_err (*ping)(cf_store *st);
	cf_err (*schema_version)(cf_store *st, int64_t *ret_version);
	cf_err (*meta_get)(cf_store *st, const char *key, uint8_t *buf, size_t cap, size_t *ret_len);
	cf_err (*meta_put)(cf_store *st, const char *key, const uint8_t *val, size_t len);
	/* The random key of the client-address hashes of UTC day `day`: the
	 * stored one if any (another process may have made it), else `fresh`,
	 * stored. In the same transaction, keys of days before keep_from are
	 * overwritten and deleted. Its own transaction, like meta_put. */
	cf_err (*ip_day_key)(cf_store *st, uint64_t day, const uint8_t fresh[32], uint64_t keep_from,
	                     uint8_t ret_key[32]);

	/* Transactions: begin takes the writer; commit and rollback release it
	 * (commit rolls back and releases on failure). Savepoints nest inside. */
	cf_err (*tx_begin)(cf_store *st, cf_tx **ret);
	/* A read-only snapshot for several reads (pass it as tx to read ops
	 * only; never to a write); read_end ends it and accepts NULL. */
	cf_err (*read_begin)(cf_store *st, cf_tx **ret);
	void (*read_end)(cf_tx *tx);
	cf_err (*tx_commit)(cf_tx *tx);
	void (*tx_rollback)(cf_tx *tx);
	cf_err (*tx_savepoint)(cf_tx *tx);
	cf_err (*tx_release)(cf_tx *tx);
	cf_err (*tx_rollback_to)(cf_tx *tx);

	/* Audit log: events (exact bytes) with their leaf hash, perfect-subtree
	 * hashes, checkpoints. Level-0 nodes are the events' leaf hashes: putting
	 * one is a no-op, getting one reads the event's row. */
	cf_err (*audit_append)(cf_tx *tx, uint64_t seq, const uint8_t *event, size_t len,
	                       const uint8_t leaf[32]);
	cf_err (*audit_node_put)(cf_tx *tx, unsigned level, uint64_t index, const uint8_t hash[32]);
	/* tx may be NULL: read committed state through a reader. */
	cf_err (*audit_node_get)(cf_store *st, cf_tx *tx, unsigned level, uint64_t index,
	                         uint8_t out[32]);
	cf_err (*audit_size)(cf_store *st, uint64_t *ret_size);
	cf_err (*audit_events)(cf_store *st, uint64_t from, uint64_t count, cf_audit_event_fn fn,
	                       void *ctx);
	cf_err (*audit_nodes)(cf_store *st, unsigned level, uint64_t from, uint64_t count,
	                      cf_audit_node_fn fn, void *ctx);
	/* Events with their stored leaf hash, in one scan (offline verification). */
	cf_err (*audit_leaf_events)(cf_store *st, uint64_t from, uint64_t count,
	                            cf_audit_leaf_event_fn fn, void *ctx);
	cf_err (*checkpoints)(cf_store *st, cf_checkpoint_fn fn, void *ctx);
	cf_err (*checkpoint_put)(cf_tx *tx, uint64_t size, const char *note, size_t len,
	                         uint64_t time_ms);
	/* API keys. revoke: CF_ERR_NOT_FOUND, CF_ERR_CONFLICT when already revoked. */
	cf_err (*api_key_put)(cf_tx *tx, const struct cf_api_key *key);
	cf_err (*api_key_revoke)(cf_tx *tx, const char *id, uint64_t time_ms);
	cf_err (*api_key_by_hash)(cf_store *st, const uint8_t hash[32], struct cf_api_key *ret);
	cf_err (*api_key_get)(cf_tx *tx, const char *id, struct cf_api_key *ret);
	cf_err (*api_keys)(cf_store *st, cf_api_key_fn fn, void *ctx);

	/* Entity versions: last (0 when none), put, and list (id NULL: all of entity). */
	cf_err (*version_last)(cf_tx *tx, const char *entity, const char *id, uint64_t *ret);
	cf_err (*version_put)(cf_tx *tx, const struct cf_entity_version *v);
	cf_err (*versions)(cf_store *st, const char *entity, const char *id, uint64_t limit,
	                   cf_entity_version_fn fn, void *ctx);

	/* Key transparency. */
	cf_err (*key_registration_put)(cf_tx *tx, const char *kind, const char *owner,
	                               const uint8_t key_hash[32], uint64_t audit_seq);
	cf_err (*key_registrations)(cf_store *st, const char *kind, const char *owner,
	                            cf_key_registration_fn fn, void *ctx);

	/* Documents (versioned JSON state of sensitive entities). doc_get: the newest
	 * version, malloc'ed and NUL-terminated (free it); tx may be NULL. put: the
	 * version must be the newest + 1 (CF_ERR_CONFLICT otherwise). */
	cf_err (*doc_put)(cf_tx *tx, const char *kind, const char *id, uint64_t version,
	                  const char *org, const char *doc, size_t len, uint64_t time_ms);
	cf_err (*doc_get)(cf_store *st, cf_tx *tx, const char *kind, const char *id,
	                  char **ret_doc, uint64_t *ret_version);
	/* The newest version number of a document, without reading it. */
	cf_err (*doc_version)(cf_store *st, cf_tx *tx, const char *kind, const char *id,
	                      uint64_t *ret_version);
	cf_err (*doc_list)(cf_store *st, const char *kind, const char *org, uint64_t limit,
	                   cf_doc_fn fn, void *ctx);
	/* Lookup keys: put replaces; get fills id (65 bytes). */
	cf_err (*index_put)(cf_tx *tx, const char *kind, const char *key, const char *id);
	cf_err (*index_del)(cf_tx *tx, const char *kind, const char *key);
	cf_err (*index_get)(cf_store *st, cf_tx *tx, const char *kind, const char *key,
	                    char id[65]);
	/* Short-lived state, replaced in place; expired rows read as absent. */
	cf_err (*eph_put)(cf_tx *tx, const char *kind, const char *key, const char *doc,
	                  size_t len, uint64_t expires_ms);
	cf_err (*eph_get)(cf_store *st, cf_tx *tx, const char *kind, const char *key,
	                  uint64_t now_ms, char **ret_doc);
	cf_err (*eph_del)(cf_tx *tx, const char *kind, const char *key);
	cf_err (*eph_purge)(cf_tx *tx, uint64_t now_ms);
	/* Sessions (ephemeral rows of kind "session"): each records one fact in
	 * place, conditionally, and never writes a whole session back, so a
	 * request racing a logout, an unlock or a wrong PIN cannot bring back
	 * what they changed. An update, never an insert. CF_ERR_NOT_FOUND when
	 * no row changed (ended, locked, or already newer).
	 * touch: last use = now_ms, if the session is not locked and its last use
	 * is older; lock: locked, if its last use is still at or before
	 * idle_before_ms (an unlock in between wins). */
	cf_err (*session_touch)(cf_tx *tx, const char *key, uint64_t now_ms);
	cf_err (*session_lock)(cf_tx *tx, const char *key, uint64_t idle_before_ms);

	/* The newest checkpoint, or the one at exactly `size` when size != UINT64_MAX. */
	cf_err (*checkpoint_get)(cf_store *st, uint64_t size, uint64_t *ret_size, char *note,
	                         size_t cap, size_t *ret_len);
};

/* Every backend's handle starts with this header. */
struct cf_store {
	const struct cf_store_ops *ops;
};

/* Opens the backend named in cfg, applying schema migrations. A database
 * written by a newer coffred is refused (CF_ERR_SCHEMA) and left untouched. */
cf_err cf_store_open(cf_store **ret, const struct cf_store_config *cfg, char *msg, size_t cap);
void cf_store_close(cf_store *st);   /* accepts NULL */

/* The schema version this program writes. */
int64_t cf_store_schema_latest(void);

static inline cf_err cf_store_ping(cf_store *st) { return st->ops->ping(st); }
static inline cf_err cf_store_schema_version(cf_store *st, int64_t *v)
{
	return st->ops->schema_version(st, v);
}
/* Small installation facts (ids, key fingerprints); values up to 64 KiB. */
static inline cf_err cf_store_meta_get(cf_store *st, const char *key, uint8_t *buf,
                                       size_t cap, size_t *ret_len)
{
	return st->ops->meta_get(st, key, buf, cap, ret_len);
}
static inline cf_err cf_store_meta_put(cf_store *st, const char *key, const uint8_t *val,
                                       size_t len)
{
	return st->ops->meta_put(st, key, val, len);
}

static inline cf_err cf_tx_begin(cf_store *st, cf_tx **ret) { return st->ops->tx_begin(st, ret); }

/* Every transaction handle starts with this header. */
struct cf_tx {
	cf_store *st;
};

static inline cf_err cf_tx_commit(cf_tx *tx) { return tx->st->ops->tx_commit(tx); }
static inline void cf_tx_rollback(cf_tx *tx) { tx->st->ops->tx_rollback(tx); }
static inline cf_err cf_tx_savepoint(cf_tx *tx) { return tx->st->ops->tx_savepoint(tx); }
static inline cf_err cf_tx_release(cf_tx *tx) { return tx->st->ops->tx_release(tx); }
static inline cf_err cf_tx_rollback_to(cf_tx *tx) { return tx->st->ops->tx_rollback_to(tx); }

extern const struct cf_store_ops cf_store_sqlite_ops;

#endif
