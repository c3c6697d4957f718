/* The SQLite store: migrations, refusal of newer schemas, meta values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static cf_store *open_store(struct fixture *f, cf_err expect, char *msg, size_t cap)
{
	struct cf_store_config cfg = { .backend = "sqlite", .sqlite_path = f->path, .readers = 2 };
	cf_store *st = NULL;
	assert_int_equal(cf_store_open(&st, &cfg, msg, cap), expect);
	return st;
}

static void migrates_to_latest_and_reopens(void **state)
{
	struct fixture *f = *state;
	char msg[256];
	cf_store *st = open_store(f, CF_OK, msg, sizeof(msg));
	int64_t v = 0;
	assert_int_equal(cf_store_schema_version(st, &v), CF_OK);
	assert_int_equal(v, cf_store_schema_latest());
	assert_int_equal(cf_store_ping(st), CF_OK);
	cf_store_close(st);
	st = open_store(f, CF_OK, msg, sizeof(msg));
	assert_int_equal(cf_store_schema_version(st, &v), CF_OK);
	assert_int_equal(v, cf_store_schema_latest());
	cf_store_close(st);
}

static void meta_round_trip(void **state)
{
	struct fixture *f = *state;
	char msg[256];
	cf_store *st = open_store(f, CF_OK, msg, sizeof(msg));
	uint8_t buf[16];
	size_t len = 99;
	assert_int_equal(cf_store_meta_get(st, "k", buf, sizeof(buf), &len), CF_ERR_NOT_FOUND);
	assert_int_equal(len, 99); /* untouched on failure */
	assert_int_equal(cf_store_meta_put(st, "k", (const uint8_t *)"hello", 5), CF_OK);
	assert_int_equal(cf_store_meta_put(st, "k", (const uint8_t *)"world!", 6), CF_OK);
	assert_int_equal(cf_store_meta_get(st, "k", buf, sizeof(buf), &len), CF_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "world!", 6);
	assert_int_equal(cf_store_meta_get(st, "k", buf, 3, &len), CF_ERR_TOO_LARGE);
	cf_store_close(st);
}

static void newer_schema_is_refused_untouched(void **state)
{
	struct fixture *f = *state;
	char msg[256];
	cf_store_close(open_store(f, CF_OK, msg, sizeof(msg)));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (4242, 'future', 0);"
	                              "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	msg[0] = '\0';
	assert_null(open_store(f, CF_ERR_SCHEMA, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "4242"));
	assert_non_null(strstr(msg, "newer"));
	/* still refused the second time: nothing was rewritten */
	assert_null(open_store(f, CF_ERR_SCHEMA, msg, sizeof(msg)));
}

static void unknown_backend_is_refused(void **state)
{
	struct cf_store_config cfg = { .backend = "oracle", .sqlite_path = "/nonexistent" };
	cf_store *st = NULL;
	char msg[128];
	assert_int_equal(cf_store_open(&st, &cfg, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "oracle"));
	cf_store_close(NULL);
}

static void unopenable_path_is_an_error(void **state)
{
	struct cf_store_config cfg = { .backend = "sqlite", .sqlite_path = "/nonexistent/dir/x.db" };
	cf_store *st = NULL;
	char msg[256];
	assert_int_equal(cf_store_open(&st, &cfg, msg, sizeof(msg)), CF_ERR_STORE);
	assert_non_null(strstr(msg, "/nonexistent/dir/x.db"));
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(migrates_to_latest_and_reopens, setup, teardown),
		cmocka_unit_test_setup_teardown(meta_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_is_refused_untouched, setup, teardown),
		cmocka_unit_test(unknown_backend_is_refused),
		cmocka_unit_test(unopenable_path_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
