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
	  "  event BYTES NOT NULL"
	  ");"
	  "CREATE TABLE audit_nodes ("
	  "  level INTEGER NOT NULL,"
	  "  idx BIGINT NOT NULL,"
	  "  hash BYTES NOT NULL,"
	  "  PRIMARY KEY (level, idx)"
	  ");"
	  "CREATE TABLE audit_checkpoints ("
	  "  size BIGINT PRIMARY KEY,"
	  "  note TEXT NOT NULL,"
	  "  created_ms BIGINT NOT NULL"
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
