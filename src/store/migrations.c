#include "store/migrations.h"

/* Append only: a released migration is never edited. */
static const struct cf_migration migrations[] = {
	{ 1, "meta",
	  "CREATE TABLE meta ("
	  "  key TEXT PRIMARY KEY,"
	  "  value BYTES NOT NULL"
	  ");" },
	{ 2, "audit",
	  "CREATE TABLE audit_events ("
	  "  seq BIGINT PRIMARY KEY,"
	  "  event BYTES NOT NULL,"
	  "  leaf BYTES NOT NULL"   /* the tree's level-0 node: SHA-256(0x00 || event) */
	  ");"
	  /* node = level << 56 | index: one integer key, one B-tree lookup */
	  "CREATE TABLE audit_nodes ("
	  "  node BIGINT PRIMARY KEY,"
	  "  hash BYTES NOT NULL"
	  ");"
	  "CREATE TABLE audit_checkpoints ("
	  "  size BIGINT PRIMARY KEY,"
	  "  note TEXT NOT NULL,"
	  "  created_ms BIGINT NOT NULL"
	  ");" },
	{ 3, "entity versions, api keys, key registrations",
	  /* Every create/update/delete of a sensitive entity, never rewritten. */
	  "CREATE TABLE entity_versions ("
	  "  entity TEXT NOT NULL,"
	  "  id TEXT NOT NULL,"
	  "  version BIGINT NOT NULL,"
	  "  op TEXT NOT NULL,"
	  "  actor TEXT,"
	  "  time_ms BIGINT NOT NULL,"
	  "  state_hash BYTES NOT NULL,"
	  "  audit_seq BIGINT NOT NULL,"
	  "  PRIMARY KEY (entity, id, version)"
	  ");"
	  /* API keys are inserted once; a revocation is a row of its own. */
	  "CREATE TABLE api_keys ("
	  "  id TEXT PRIMARY KEY,"
	  "  key_hash BYTES NOT NULL UNIQUE,"
	  "  tenant TEXT,"
	  "  scopes TEXT NOT NULL,"
	  "  allow TEXT NOT NULL,"
	  "  label TEXT NOT NULL,"
	  "  created_ms BIGINT NOT NULL"
	  ");"
	  "CREATE TABLE api_key_revocations ("
	  "  id TEXT PRIMARY KEY REFERENCES api_keys(id),"
	  "  revoked_ms BIGINT NOT NULL"
	  ");"
	  /* Public identity keys and the audit event that registered each. */
	  "CREATE TABLE key_registrations ("
	  "  kind TEXT NOT NULL,"
	  "  owner TEXT NOT NULL,"
	  "  key_hash BYTES NOT NULL,"
	  "  audit_seq BIGINT NOT NULL,"
	  "  PRIMARY KEY (kind, owner, key_hash)"
	  ");" },
	{ 4, "documents",
	  /* Sensitive entities (organisations, units, users, devices, invitations,
	   * delegations): every version is a new row; the newest is the state. */
	  "CREATE TABLE docs ("
	  "  kind TEXT NOT NULL,"
	  "  id TEXT NOT NULL,"
	  "  version BIGINT NOT NULL,"
	  "  org TEXT,"
	  "  doc TEXT NOT NULL,"
	  "  time_ms BIGINT NOT NULL,"
	  "  PRIMARY KEY (kind, id, version)"
	  ");"
	  "CREATE INDEX docs_org ON docs(kind, org);"
	  /* Lookup keys (e-mail address, invitation code hash, device key hash). */
	  "CREATE TABLE doc_index ("
	  "  kind TEXT NOT NULL,"
	  "  key TEXT NOT NULL,"
	  "  id TEXT NOT NULL,"
	  "  PRIMARY KEY (kind, key)"
	  ");"
	  /* Short-lived security state: sessions, pending logins, attempt counters. */
	  "CREATE TABLE ephemeral ("
	  "  kind TEXT NOT NULL,"
	  "  key TEXT NOT NULL,"
	  "  doc TEXT NOT NULL,"
	  "  expires_ms BIGINT NOT NULL,"
	  "  PRIMARY KEY (kind, key)"
	  ");" },
	{ 5, "daily client-address hash keys",
	  /* One random key per UTC day for the audit events' ip_hash; destroyed
	   * after audit.ip_key_retention_days (docs/internals/audit.md). */
	  "CREATE TABLE ip_day_keys ("
	  "  day BIGINT PRIMARY KEY,"
	  "  key BYTES NOT NULL"
	  ");" },
};

const struct cf_migration *cf_migrations(size_t *ret_count)
{
	*ret_count = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

int64_t cf_migrations_latest(void)
{
	return migrations[sizeof(migrations) / sizeof(migrations[0]) - 1].version;
}
