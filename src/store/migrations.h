/* Schema migrations, written once in portable SQL (types and statements that
 * SQLite and PostgreSQL both accept), applied in order at start. Each backend
 * may map the few words that differ (see cf_migration.sql_sqlite/sql_pg). */
#ifndef CF_STORE_MIGRATIONS_H
#define CF_STORE_MIGRATIONS_H

#include <stddef.h>
#include <stdint.h>

struct cf_migration {
	int64_t version;
	const char *name;
	const char *sql;   /* portable SQL; BYTES is BLOB in SQLite and BYTEA in PostgreSQL */
};

const struct cf_migration *cf_migrations(size_t *ret_count);
int64_t cf_migrations_latest(void);

#endif
