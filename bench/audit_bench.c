/* Audit log benchmarks (not tests): appends per second in the store alone
 * with group commit, proof times at N events, offline verification of N
 * events. Usage: bench_audit [N] [DIR]   (N default 1000000). Prints figures.
 * With DIR, the database stays: `bench_audit 0 DIR` measures again without appending. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/auditlog.h"
#include "audit/verify.h"
#include "crypto/crypto.h"
#include "crypto/sign.h"

#define PRODUCERS 4
#define IN_FLIGHT 4096   /* per producer: the queue a busy HTTP front would keep */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct producer {
	cf_auditlog *log;
	uint64_t count;
	struct cf_audit_item *items;
	atomic_uint_fast64_t done;
	atomic_uint_fast64_t failed;
};

static void on_done(struct cf_audit_item *it, cf_err err, uint64_t seq)
{
	struct producer *p = it->done_arg;
	if (err)
		atomic_fetch_add(&p->failed, 1);
	atomic_fetch_add(&p->done, 1);
}

/* Keeps IN_FLIGHT events queued, like requests waiting for their commit. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t sent = 0;
	while (sent < p->count) {
		while (sent - atomic_load(&p->done) >= IN_FLIGHT)
			sched_yield();
		struct cf_audit_item *it = &p->items[sent % IN_FLIGHT];
		memset(it, 0, sizeof(*it));
		it->fields.action = "bench.append";
		it->fields.resource = "/v1/records/00112233445566778899aabbccddeeff";
		it->fields.request_id = "8f2a0c1d9e7b6a5f4e3d2c1b0a998877";
		it->fields.ip_hash = "Xq3v9kLmN2pQrS5tUvWx0A";
		it->fields.outcome = 200;
		it->done = on_done;
		it->done_arg = p;
		while (cf_auditlog_submit(p->log, it) == CF_ERR_BUSY)
			sched_yield();
		sent++;
	}
	while (atomic_load(&p->done) < p->count)
		sched_yield();
	return NULL;
}

/* CPU seconds (user + system) of this process: holds better than wall time
 * when other work shares the machine. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char dir[256];
	if (argc > 2)
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	else
		snprintf(dir, sizeof(dir), "/tmp/cf-bench-audit-XXXXXX");
	if (argc <= 2 && !mkdtemp(dir))
		return 1;
	if (cf_crypto_init())
		return 1;
	char path[300], msg[256];
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	uint8_t seed[32] = { 42 }, pk[32], sk[64];
	cf_sign_seed_keypair(pk, sk, seed);

	cf_store *st = NULL;
	struct cf_store_config sc = { .backend = "sqlite", .sqlite_path = path, .readers = 4 };
	if (cf_store_open(&st, &sc, msg, sizeof(msg))) {
		fprintf(stderr, "bench_audit: %s\n", msg);
		return 1;
	}
	cf_auditlog *log = NULL;
	struct cf_auditlog_options ao = { .store = st, .sign_sk = sk, .sign_pk = pk,
	                                  .origin = "bench/audit" };
	if (cf_auditlog_open(&log, &ao, msg, sizeof(msg))) {
		fprintf(stderr, "bench_audit: %s\n", msg);
		return 1;
	}
	uint64_t start_size = cf_auditlog_size(log);

	/* 1. appends per second, store alone, durable (WAL, synchronous=FULL) */
	struct producer prod[PRODUCERS];
	pthread_t th[PRODUCERS];
	double t0 = now_s();
	for (int i = 0; i < PRODUCERS; i++) {
		memset(&prod[i], 0, sizeof(prod[i]));
		prod[i].log = log;
		prod[i].count = n / PRODUCERS;
		prod[i].items = calloc(IN_FLIGHT, sizeof(struct cf_audit_item));
		pthread_create(&th[i], NULL, produce, &prod[i]);
	}
	uint64_t failed = 0;
	for (int i = 0; i < PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		failed += atomic_load(&prod[i].failed);
		free(prod[i].items);
	}
	double t_append = now_s() - t0;
	uint64_t size = cf_auditlog_size(log);
	printf("audit appends (store alone, group commit, %d producers): %llu events in %.2f s = "
	       "%.0f events/s (failed %llu)\n", PRODUCERS, (unsigned long long)(size - start_size),
	       t_append, (double)(size - start_size) / t_append, (unsigned long long)failed);

	/* 2. proof times at this size */
	enum { PROOFS = 2000 };
	static double incl[PROOFS], cons[PROOFS];
	uint8_t proof[CF_MERKLE_PROOF_MAX][32];
	size_t plen = 0;
	srand(1);
	for (int i = 0; i < PROOFS; i++) {
		uint64_t idx = ((uint64_t)rand() << 20 ^ (uint64_t)rand()) % size;
		uint64_t old = 1 + ((uint64_t)rand() << 20 ^ (uint64_t)rand()) % size;
		double a = now_s();
		if (cf_auditlog_inclusion_proof(log, idx, size, proof, CF_MERKLE_PROOF_MAX, &plen))
			return 1;
		double b = now_s();
		if (cf_auditlog_consistency_proof(log, old, size, proof, CF_MERKLE_PROOF_MAX, &plen))
			return 1;
		double c = now_s();
		incl[i] = (b - a) * 1e3;
		cons[i] = (c - b) * 1e3;
	}
	qsort(incl, PROOFS, sizeof(double), cmp_double);
	qsort(cons, PROOFS, sizeof(double), cmp_double);
	printf("inclusion proof at %llu events: median %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       (unsigned long long)size, incl[PROOFS / 2], incl[PROOFS * 99 / 100], incl[PROOFS - 1]);
	printf("consistency proof at %llu events: median %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       (unsigned long long)size, cons[PROOFS / 2], cons[PROOFS * 99 / 100], cons[PROOFS - 1]);

	cf_auditlog_free(log);  /* signs the final checkpoint */
	cf_store_close(st);

	/* 3. offline verification of the whole log (fresh read-only open) */
	sc.readonly = true;
	if (cf_store_open(&st, &sc, msg, sizeof(msg)))
		return 1;
	char vtext[256];
	struct cf_note_verifier v;
	cf_note_verifier_format(vtext, sizeof(vtext), "bench/audit", pk);
	cf_note_verifier_parse(&v, vtext);
	struct cf_verify_report r;
	t0 = now_s();
	double c0 = cpu_s();
	cf_err err = cf_audit_verify_store(st, &v, &r);
	double t_verify = now_s() - t0, c_verify = cpu_s() - c0;
	printf("offline verification of %llu events (%llu checkpoints): %.2f s, CPU %.2f s (%s)\n",
	       (unsigned long long)r.events, (unsigned long long)r.checkpoints, t_verify,
	       c_verify, err ? r.msg : "ok");
	cf_store_close(st);
	if (argc <= 2) {
		const char *sfx[] = { "", "-wal", "-shm" };
		for (int i = 0; i < 3; i++) {
			char p[320];
			snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return err ? 1 : 0;
}
