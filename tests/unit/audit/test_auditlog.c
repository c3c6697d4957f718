/* The audit log over a real SQLite store: group commit from many threads,
 * the incremental tree against an in-memory one, writes that commit or fail
 * with their events, offline verification. */
#include <pthread.h>
#include <stdatomic.h>
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

#include "audit/auditlog.h"
#include "audit/verify.h"
#include "audit/versions.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "crypto/sign.h"

struct fx {
	char dir[64], path[128];
	cf_store *st;
	cf_auditlog *log;
	uint8_t pk[32], sk[64];
	struct cf_note_verifier v;
};

static void open_all(struct fx *f)
{
	char msg[256];
	struct cf_store_config sc = { .backend = "sqlite", .sqlite_path = f->path, .readers = 4 };
	assert_int_equal(cf_store_open(&f->st, &sc, msg, sizeof(msg)), CF_OK);
	struct cf_auditlog_options ao = { .store = f->st, .sign_sk = f->sk, .sign_pk = f->pk,
	                                  .origin = "test/log", .checkpoint_ms = 1 };
	assert_int_equal(cf_auditlog_open(&f->log, &ao, msg, sizeof(msg)), CF_OK);
	/* As coffred's setup does: the log's own key, registered once. */
	assert_int_equal(cf_key_register_audit_log(f->log, f->st, f->pk), CF_OK);
}

static void close_all(struct fx *f)
{
	cf_auditlog_free(f->log);
	f->log = NULL;
	cf_store_close(f->st);
	f->st = NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (cf_crypto_init())
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/a.db", f->dir);
	uint8_t seed[32] = { 7 };
	cf_sign_seed_keypair(f->pk, f->sk, seed);
	char text[256];
	cf_note_verifier_format(text, sizeof(text), "test/log", f->pk);
	cf_note_verifier_parse(&f->v, text);
	open_all(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close_all(f);
	char p[160];
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

#define THREADS 8
#define PER_THREAD 500

static void *appender(void *arg)
{
	cf_auditlog *log = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		struct cf_audit_item it = { .fields = { .action = "test.append", .outcome = 200 } };
		uint64_t seq = 0;
		if (cf_auditlog_append_sync(log, &it, &seq) != CF_OK)
			return (void *)1;
	}
	return NULL;
}

struct collect {
	cf_merkle_mem *mem;
	uint64_t n;
};

static cf_err collect(void *ctx, uint64_t seq, const uint8_t *ev, size_t len)
{
	struct collect *c = ctx;
	uint8_t leaf[32];
	cf_merkle_leaf_hash(leaf, ev, len);
	if (seq != c->n++)
		return CF_ERR_INVALID;
	return cf_merkle_mem_append(c->mem, leaf);
}

static void concurrent_appends_build_the_right_tree(void **state)
{
	struct fx *f = *state;
	uint64_t base = cf_auditlog_size(f->log); /* the log's own key registration */
	assert_int_equal(base, 2);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, appender, f->log);
	for (int i = 0; i < THREADS; i++) {
		void *rc = NULL;
		pthread_join(th[i], &rc);
		assert_null(rc);
	}
	uint64_t n = cf_auditlog_size(f->log);
	assert_int_equal(n, base + THREADS * PER_THREAD);

	struct collect c = { 0 };
	assert_int_equal(cf_merkle_mem_new(&c.mem, n), CF_OK);
	assert_int_equal(f->st->ops->audit_events(f->st, 0, UINT64_MAX, collect, &c), CF_OK);
	assert_int_equal(c.n, n);
	uint8_t want[32], got[32];
	for (uint64_t size = 1; size <= n; size += 397) {
		assert_int_equal(cf_merkle_root(want, size, cf_merkle_mem_node, c.mem), CF_OK);
		assert_int_equal(cf_auditlog_root(f->log, size, got), CF_OK);
		assert_memory_equal(want, got, 32);
		uint8_t proof[CF_MERKLE_PROOF_MAX][32];
		size_t plen = 0;
		uint64_t idx = size / 3;
		uint8_t leaf[32];
		assert_int_equal(cf_merkle_mem_node(c.mem, 0, idx, leaf), CF_OK);
		assert_int_equal(cf_auditlog_inclusion_proof(f->log, idx, size, proof,
		                                             CF_MERKLE_PROOF_MAX, &plen), CF_OK);
		assert_int_equal(cf_merkle_verify_inclusion(leaf, idx, size, CF_MERKLE_CONST_PROOF(proof),
		                                            plen, want), CF_OK);
		if (size > 1) {
			uint8_t old[32];
			cf_merkle_root(old, size / 2, cf_merkle_mem_node, c.mem);
			assert_int_equal(cf_auditlog_consistency_proof(f->log, size / 2, size, proof,
			                 CF_MERKLE_PROOF_MAX, &plen), CF_OK);
			assert_int_equal(cf_merkle_verify_consistency(size / 2, size, old, want,
			                 CF_MERKLE_CONST_PROOF(proof), plen), CF_OK);
		}
	}
	assert_int_equal(cf_auditlog_inclusion_proof(f->log, n, n, NULL, 0, NULL), CF_ERR_INVALID);
	assert_int_equal(cf_auditlog_consistency_proof(f->log, 1, n + 1, NULL, 0, NULL), CF_ERR_INVALID);
	cf_merkle_mem_free(c.mem);

	/* the state survives a restart: appends continue the same tree */
	close_all(f);
	open_all(f);
	assert_int_equal(cf_auditlog_size(f->log), n);
	struct cf_audit_item it = { .fields = { .action = "after.restart", .outcome = 200 } };
	uint64_t seq = 0;
	assert_int_equal(cf_auditlog_append_sync(f->log, &it, &seq), CF_OK);
	assert_int_equal(seq, n);
	close_all(f);
	open_all(f);
	struct cf_verify_report r;
	assert_int_equal(cf_audit_verify_store(f->st, &f->v, &r), CF_OK);
	assert_int_equal(r.events, n + 1);
}

static cf_err write_ok(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	const uint8_t state[] = "state-1";
	return cf_entity_version_record(atx, &it->fields, "user", "00112233445566778899aabbccddeeff",
	                                "create", state, sizeof(state), NULL);
}

static cf_err write_fails(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	const uint8_t state[] = "state-2";
	cf_err err = cf_entity_version_record(atx, &it->fields, "user",
	                                      "00112233445566778899aabbccddeeff", "update", state,
	                                      sizeof(state), NULL);
	assert_int_equal(err, CF_OK);
	unsigned *status = it->write_arg;
	*status = 409;
	return CF_ERR_CONFLICT; /* undone, event still written with 409 */
}

static cf_err count_versions(void *ctx, const struct cf_entity_version *v)
{
	(*(int *)ctx)++;
	return CF_OK;
}

static void writes_commit_with_their_events(void **state)
{
	struct fx *f = *state;
	uint64_t base = cf_auditlog_size(f->log);
	unsigned status = 201;
	struct cf_audit_item ok = { .fields = { .action = "user.create" }, .status = &status,
	                            .write = write_ok };
	uint64_t seq = 0;
	assert_int_equal(cf_auditlog_append_sync(f->log, &ok, &seq), CF_OK);
	assert_int_equal(seq, base + 1); /* the version event went first */
	assert_int_equal(cf_auditlog_size(f->log), base + 2);

	unsigned status2 = 200;
	struct cf_audit_item bad = { .fields = { .action = "user.update" }, .status = &status2,
	                             .write = write_fails, .write_arg = &status2 };
	assert_int_equal(cf_auditlog_append_sync(f->log, &bad, &seq), CF_OK);
	assert_int_equal(seq, base + 2); /* the undone version event left no trace */
	assert_int_equal(cf_auditlog_size(f->log), base + 3);
	int n = 0;
	assert_int_equal(f->st->ops->versions(f->st, "user", NULL, 100, count_versions, &n), CF_OK);
	assert_int_equal(n, 1);

	/* outside a write function, nothing can be slipped into a batch */
	struct cf_audit_tx fake = { .tx = NULL, .log = f->log };
	struct cf_audit_fields fl = { .action = "x" };
	assert_int_equal(cf_auditlog_append_in_tx(&fake, &fl, NULL), CF_ERR_INVALID);

	close_all(f);
	open_all(f);
	struct cf_verify_report r;
	assert_int_equal(cf_audit_verify_store(f->st, &f->v, &r), CF_OK);
	assert_int_equal(r.events, base + 3);
}

static void a_failing_store_fails_the_whole_batch(void **state)
{
	struct fx *f = *state;
	struct cf_audit_item a = { .fields = { .action = "a", .outcome = 200 } };
	assert_int_equal(cf_auditlog_append_sync(f->log, &a, NULL), CF_OK);
	uint64_t base = cf_auditlog_size(f->log);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER no BEFORE INSERT ON audit_events BEGIN "
	                              "SELECT RAISE(ABORT, 'no'); END", NULL, NULL, NULL), SQLITE_OK);
	struct cf_audit_item b = { .fields = { .action = "b", .outcome = 200 } };
	assert_int_not_equal(cf_auditlog_append_sync(f->log, &b, NULL), CF_OK);
	assert_int_equal(cf_auditlog_size(f->log), base);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER no", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	uint64_t seq = 0;
	assert_int_equal(cf_auditlog_append_sync(f->log, &b, &seq), CF_OK);
	assert_int_equal(seq, base);
	cf_auditlog_stop(f->log);
	assert_int_equal(cf_auditlog_append_sync(f->log, &b, &seq), CF_ERR_BUSY);
	assert_int_equal(cf_auditlog_submit(f->log, &b), CF_ERR_BUSY);
}

static atomic_int state_calls;
static atomic_int last_state;

static void on_state(void *arg, cf_err result)
{
	atomic_fetch_add(&state_calls, 1);
	atomic_store(&last_state, (int)result);
}

/* The failing state is reported once when it starts and once when it ends;
 * a probe is how a failing log finds out it can write again. */
static void failing_state_is_reported_once_per_change(void **state)
{
	struct fx *f = *state;
	cf_auditlog_free(f->log);
	char msg[256];
	atomic_store(&state_calls, 0);
	struct cf_auditlog_options ao = { .store = f->st, .sign_sk = f->sk, .sign_pk = f->pk,
	                                  .origin = "test/log", .on_state = on_state };
	assert_int_equal(cf_auditlog_open(&f->log, &ao, msg, sizeof(msg)), CF_OK);
	assert_false(cf_auditlog_failing(f->log));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER no BEFORE INSERT ON audit_events BEGIN "
	                              "SELECT RAISE(ABORT, 'no'); END", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		struct cf_audit_item b = { .fields = { .action = "b", .outcome = 200 } };
		assert_int_not_equal(cf_auditlog_append_sync(f->log, &b, NULL), CF_OK);
	}
	assert_true(cf_auditlog_failing(f->log));
	assert_int_not_equal(cf_auditlog_probe(f->log), CF_OK);
	assert_int_equal(atomic_load(&state_calls), 1);
	assert_int_not_equal(atomic_load(&last_state), CF_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER no", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(cf_auditlog_probe(f->log), CF_OK);
	assert_false(cf_auditlog_failing(f->log));
	assert_int_equal(atomic_load(&state_calls), 2);
	assert_int_equal(atomic_load(&last_state), CF_OK);
}

/* A log whose newest event is gone is refused at open, naming the index;
 * kept open on request, it refuses every event and signs nothing. */
static void a_truncated_log_is_refused_at_open(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 5; i++) {
		struct cf_audit_item it = { .fields = { .action = "x", .outcome = 200 } };
		assert_int_equal(cf_auditlog_append_sync(f->log, &it, NULL), CF_OK);
	}
	uint64_t n = cf_auditlog_size(f->log);
	close_all(f); /* signs a checkpoint of size n */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM audit_events WHERE seq = %llu",
	         (unsigned long long)(n - 1));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	char msg[256], want[64], why[256];
	struct cf_store_config sc = { .backend = "sqlite", .sqlite_path = f->path, .readers = 4 };
	assert_int_equal(cf_store_open(&f->st, &sc, msg, sizeof(msg)), CF_OK);
	struct cf_auditlog_options ao = { .store = f->st, .sign_sk = f->sk, .sign_pk = f->pk,
	                                  .origin = "test/log" };
	assert_int_equal(cf_auditlog_open(&f->log, &ao, msg, sizeof(msg)), CF_ERR_CRYPTO);
	assert_null(f->log);
	snprintf(want, sizeof(want), "event %llu: missing", (unsigned long long)(n - 1));
	assert_non_null(strstr(msg, want));

	ao.keep_inconsistent = true;
	assert_int_equal(cf_auditlog_open(&f->log, &ao, msg, sizeof(msg)), CF_OK);
	assert_true(cf_auditlog_inconsistent(f->log, why, sizeof(why)));
	assert_non_null(strstr(why, want));
	struct cf_audit_item it = { .fields = { .action = "x", .outcome = 200 } };
	assert_int_not_equal(cf_auditlog_append_sync(f->log, &it, NULL), CF_OK);
	assert_int_not_equal(cf_auditlog_submit(f->log, &it), CF_OK);
	assert_int_equal(cf_auditlog_size(f->log), n - 1);
}

/* A damaged stored node does not reach a client as a wrong proof: every
 * proof is checked against the tree head (and the signed checkpoint of its
 * size) before it is handed out. */
static void a_damaged_node_fails_the_proofs_that_use_it(void **state)
{
	struct fx *f = *state;
	while (cf_auditlog_size(f->log) < 16) {
		struct cf_audit_item it = { .fields = { .action = "x", .outcome = 200 } };
		assert_int_equal(cf_auditlog_append_sync(f->log, &it, NULL), CF_OK);
	}
	uint8_t proof[CF_MERKLE_PROOF_MAX][32];
	size_t len = 0;
	assert_int_equal(cf_auditlog_inclusion_proof(f->log, 6, 16, proof, CF_MERKLE_PROOF_MAX, &len),
	                 CF_OK);
	assert_int_equal(cf_auditlog_consistency_proof(f->log, 6, 16, proof, CF_MERKLE_PROOF_MAX,
	                                               &len), CF_OK);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	/* node (level 1, index 2): events 4-5, a sibling in the proofs of 6 and 7 */
	assert_int_equal(sqlite3_exec(db, "UPDATE audit_nodes SET hash = zeroblob(32) "
	                              "WHERE node = (1 << 56) | 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(cf_auditlog_inclusion_proof(f->log, 6, 16, proof, CF_MERKLE_PROOF_MAX, &len),
	                 CF_ERR_CRYPTO);
	assert_int_equal(cf_auditlog_inclusion_proof(f->log, 7, 16, proof, CF_MERKLE_PROOF_MAX, &len),
	                 CF_ERR_CRYPTO);
	assert_int_equal(cf_auditlog_consistency_proof(f->log, 6, 16, proof, CF_MERKLE_PROOF_MAX,
	                                               &len), CF_ERR_CRYPTO);
	/* proofs that do not use it still work */
	assert_int_equal(cf_auditlog_inclusion_proof(f->log, 0, 16, proof, CF_MERKLE_PROOF_MAX, &len),
	                 CF_OK);
	assert_int_equal(cf_auditlog_consistency_proof(f->log, 8, 16, proof, CF_MERKLE_PROOF_MAX,
	                                               &len), CF_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_appends_build_the_right_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_commit_with_their_events, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failing_store_fails_the_whole_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(failing_state_is_reported_once_per_change, setup, teardown),
		cmocka_unit_test_setup_teardown(a_truncated_log_is_refused_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_node_fails_the_proofs_that_use_it, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
