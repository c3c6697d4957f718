/* Brute-force limits: separate counters for passwords, second-factor codes and
 * PINs (one shared counter would let a guesser of one, or a griefer, use up
 * the others), each per account and per client address. Failures bring a
 * growing delay (429 with Retry-After), then a temporary lockout, which raises
 * an alert: a log line and an audit event.
 *
 * Check-then-act is closed by a reservation: an attempt that may go ahead is
 * counted as in flight (in this process) before its Argon2id runs, and stays
 * so until its failure is durable in the stored counter; every check adds the
 * attempts in flight to the stored failures, and reads the stored counters
 * under the same lock. With several nodes the reservation moves into the store
 * (PostgreSQL: one UPDATE … SET inflight = inflight + 1 … RETURNING), see
 * docs/internals/identity.md. */
#include "server/auth/attempts.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "server/identity/identity.h"
#include "util/encoding.h"
#include "util/log.h"

#define WINDOW_MS (60 * 60 * 1000)         /* failures older than this are forgotten */
#define LOCK_MS (15 * 60 * 1000)
#define BUCKETS 1024
#define MAX_RESERVED 65536                 /* keys with attempts in flight */

struct hold {
	struct hold *next;
	unsigned inflight;
	char key[CF_ATTEMPT_KEY_MAX];
};

struct cf_attempts {
	pthread_mutex_t lock;
	struct hold *buckets[BUCKETS];
	unsigned nholds;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];   /* buckets */
	uint8_t addr_key[32];                          /* per-address counter keys */
	atomic_uint hashing;
	unsigned max_hashes;
};

cf_err cf_attempts_new(cf_attempts **ret, unsigned max_hashes)
{
	cf_attempts *a = calloc(1, sizeof(*a));
	if (!a)
		return CF_ERR_NOMEM;
	pthread_mutex_init(&a->lock, NULL);
	randombytes_buf(a->hash_key, sizeof(a->hash_key));
	randombytes_buf(a->addr_key, sizeof(a->addr_key));
	if (max_hashes == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		max_hashes = 2 * (unsigned)(ncpu > 0 ? ncpu : 1);
	}
	a->max_hashes = max_hashes;
	atomic_init(&a->hashing, 0);
	*ret = a;
	return CF_OK;
}

void cf_attempts_free(cf_attempts *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < BUCKETS; i++) {
		struct hold *h = a->buckets[i];
		while (h) {
			struct hold *next = h->next;
			free(h);
			h = next;
		}
	}
	pthread_mutex_destroy(&a->lock);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

static struct hold **find(cf_attempts *a, const char *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)key, strlen(key), a->hash_key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	struct hold **p = &a->buckets[v % BUCKETS];
	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

static unsigned inflight(cf_attempts *a, const char *key)
{
	struct hold **p = find(a, key);
	return *p ? (*p)->inflight : 0;
}

static bool reserve(cf_attempts *a, const char *key)
{
	struct hold **p = find(a, key);
	if (!*p) {
		if (a->nholds >= MAX_RESERVED)
			return false;
		struct hold *h = calloc(1, sizeof(*h));
		if (!h)
			return false;
		snprintf(h->key, sizeof(h->key), "%s", key);
		*p = h;
		a->nholds++;
	}
	(*p)->inflight++;
	return true;
}

static void unreserve(cf_attempts *a, const char *key)
{
	struct hold **p = find(a, key);
	struct hold *h = *p;
	if (!h)
		return;
	if (--h->inflight == 0) {
		*p = h->next;
		free(h);
		a->nholds--;
	}
}

/* Gives back what the request holds: the hashing slot and the reservation.
 * Set as req->attempt_release, so it runs when the request ends (after its
 * write, the count of a failure, is durable). */
static void release(struct cf_request *req)
{
	cf_attempts *a = req->srv->attempts;
	if (req->attempt_hashing) {
		atomic_fetch_sub(&a->hashing, 1);
		req->attempt_hashing = false;
	}
	if (req->attempt_nkeys) {
		pthread_mutex_lock(&a->lock);
		for (unsigned i = 0; i < req->attempt_nkeys; i++)
			unreserve(a, req->attempt_keys[i]);
		pthread_mutex_unlock(&a->lock);
		req->attempt_nkeys = 0;
	}
}

struct limits {
	unsigned delay_from;   /* failures before delays start */
	unsigned lock_at;      /* failures that lock */
};

/* Per account as configured; per address three times as many, since one
 * address may be a whole clinic behind NAT. */
static struct limits account_limits(const struct cf_request *req)
{
	struct limits l = { (unsigned)req->srv->cfg.attempts_delay_after,
	                    (unsigned)req->srv->cfg.attempts_lock_after };
	return l;
}

static struct limits address_limits(const struct cf_request *req)
{
	struct limits l = account_limits(req);
	l.delay_from *= 3;
	l.lock_at *= 3;
	return l;
}

static const char *kind_name(enum cf_attempt_kind k)
{
	return k == CF_ATT_PASSWORD ? "password" : k == CF_ATT_CODE ? "code" : "pin";
}

/* The counters' keys: the account as given; the client address by its
 * prefix key (util/cidr.h, IPv6 by server.ipv6_prefix) under a key of this
 * process, not today's audit ip_hash, so a lockout does not end at UTC
 * midnight and the counters link to no audit event. */
static void make_keys(const struct cf_request *req, enum cf_attempt_kind k, const char *account,
                      char acct[CF_ATTEMPT_KEY_MAX], char addr[CF_ATTEMPT_KEY_MAX])
{
	snprintf(acct, CF_ATTEMPT_KEY_MAX, "%s:acct:%s", kind_name(k), account);
	uint8_t mac[32];
	cf_hmac_sha256(mac, req->srv->attempts->addr_key, 32, (const uint8_t *)req->addr_key,
	               strlen(req->addr_key));
	char text[32];
	cf_b64url_encode(text, sizeof(text), mac, 16);
	snprintf(addr, CF_ATTEMPT_KEY_MAX, "%s:ip:%s", kind_name(k), text);
}

/* Seconds to wait before the next attempt is allowed; 0 when allowed.
 * Attempts in flight count as failures made now. */
static unsigned wait_s(json_t *doc, unsigned in_flight, const struct limits *lim, uint64_t now)
{
	uint64_t locked = doc ? (uint64_t)cf_jint(doc, "locked_until_ms") : 0;
	if (locked > now)
		return (unsigned)((locked - now + 999) / 1000);
	unsigned failures = doc ? (unsigned)cf_jint(doc, "failures") : 0;
	if (doc && now - (uint64_t)cf_jint(doc, "first_ms") > WINDOW_MS)
		failures = 0; /* counting starts again, as count_failure does */
	failures += in_flight;
	if (failures < lim->delay_from)
		return 0;
	unsigned shift = failures - lim->delay_from;
	uint64_t delay_ms = (uint64_t)1000 << (shift > 10 ? 10 : shift);
	uint64_t last = in_flight ? now : doc ? (uint64_t)cf_jint(doc, "last_ms") : now;
	return last + delay_ms > now ? (unsigned)((last + delay_ms - now + 999) / 1000) : 0;
}

bool cf_attempts_allowed(struct cf_request *req, enum cf_attempt_kind kind, const char *account)
{
	cf_attempts *a = req->srv->attempts;
	if (req->attempt_nkeys + 2 > sizeof(req->attempt_keys) / sizeof(req->attempt_keys[0])) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "too many attempts in one request");
		return false;
	}
	/* Argon2id takes 19 MiB and ~20 ms of a core: past the cap, wait. One
	 * slot per request, whatever it checks. */
	if (kind != CF_ATT_CODE && !req->attempt_hashing) {
		if (atomic_fetch_add(&a->hashing, 1) >= a->max_hashes) {
			atomic_fetch_sub(&a->hashing, 1);
			req->reply.retry_after = 1;
			cf_reply_problem(&req->reply, CF_P_RATE_LIMITED,
			                 "too many password checks in progress; retry after 1 s");
			return false;
		}
		req->attempt_hashing = true;
		req->attempt_release = release;
	}
	cf_store *st = req->srv->store;
	char k1[CF_ATTEMPT_KEY_MAX], k2[CF_ATTEMPT_KEY_MAX];
	make_keys(req, kind, account, k1, k2);
	struct limits la = account_limits(req), lb = address_limits(req);
	json_t *da = NULL, *db = NULL;
	/* The stored counters are read under the lock: a reservation is given
	 * back only once its failure is durable, so each attempt is seen either
	 * in flight or stored, never neither. */
	pthread_mutex_lock(&a->lock);
	cf_err ea = cf_eph_load(st, NULL, "attempt", k1, &da);
	cf_err eb = cf_eph_load(st, NULL, "attempt", k2, &db);
	uint64_t now = cf_now_ms();
	unsigned w = 0;
	bool store_down = ea == CF_ERR_STORE || eb == CF_ERR_STORE;
	if (!store_down) {
		unsigned wa = wait_s(da, inflight(a, k1), &la, now);
		unsigned wb = wait_s(db, inflight(a, k2), &lb, now);
		w = wa > wb ? wa : wb;
	}
	bool held = false;
	if (!store_down && w == 0) {
		held = reserve(a, k1);
		if (held && !reserve(a, k2)) {
			unreserve(a, k1);
			held = false;
		}
	}
	pthread_mutex_unlock(&a->lock);
	json_decref(da);
	json_decref(db);
	if (held) {
		snprintf(req->attempt_keys[req->attempt_nkeys++], CF_ATTEMPT_KEY_MAX, "%s", k1);
		snprintf(req->attempt_keys[req->attempt_nkeys++], CF_ATTEMPT_KEY_MAX, "%s", k2);
		req->attempt_release = release;
		return true;
	}
	release(req);  /* the request answers now: give back what it holds */
	if (store_down) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE,
		                 "attempt counters cannot be read now");
	} else if (w == 0) {
		req->reply.retry_after = 1;
		cf_reply_problem(&req->reply, CF_P_OVERLOADED, "too many attempts in progress");
	} else {
		req->reply.retry_after = w;
		cf_reply_problem(&req->reply, CF_P_TOO_MANY_ATTEMPTS,
		                 "too many failed attempts; try again in %u s", w);
	}
	return false;
}

static cf_err count_failure(struct cf_audit_tx *atx, struct cf_request *req, const char *key,
                            const struct limits *lim, const char *what)
{
	cf_tx *tx = atx->tx;
	uint64_t now = cf_now_ms();
	json_t *doc = NULL;
	if (cf_eph_load(tx->st, tx, "attempt", key, &doc) != CF_OK ||
	    now - (uint64_t)cf_jint(doc, "first_ms") > WINDOW_MS) {
		json_decref(doc);
		doc = json_pack("{s:i, s:I, s:I, s:I}", "failures", 0, "first_ms", (json_int_t)now,
		                "last_ms", (json_int_t)now, "locked_until_ms", (json_int_t)0);
		if (!doc)
			return CF_ERR_NOMEM;
	}
	json_int_t failures = cf_jint(doc, "failures") + 1;
	json_object_set_new(doc, "failures", json_integer(failures));
	json_object_set_new(doc, "last_ms", json_integer((json_int_t)now));
	cf_err err = CF_OK;
	if (failures == (json_int_t)lim->lock_at) {
		json_object_set_new(doc, "locked_until_ms", json_integer((json_int_t)(now + LOCK_MS)));
		cf_log(CF_LOG_WARN, "alert", "lockout: %s after %lld failed attempts (request %s)", what,
		       (long long)failures, req->id_hex);
		char resource[64];
		snprintf(resource, sizeof(resource), "attempts/%s", what);
		struct cf_audit_fields f = req->audit.fields;
		f.action = "alert.lockout";
		f.resource = resource;
		f.outcome = 429;
		f.entity_op = NULL;
		f.key_hash = NULL;
		err = cf_auditlog_append_in_tx(atx, &f, NULL);
	}
	if (!err)
		err = cf_eph_save(tx, "attempt", key, doc, now + WINDOW_MS + LOCK_MS);
	json_decref(doc);
	return err;
}

cf_err cf_attempts_record(struct cf_audit_tx *atx, struct cf_request *req,
                          enum cf_attempt_kind kind, const char *account, bool success)
{
	/* The hash is done: its slot can serve another request now. */
	if (req->attempt_hashing) {
		atomic_fetch_sub(&req->srv->attempts->hashing, 1);
		req->attempt_hashing = false;
	}
	char k1[CF_ATTEMPT_KEY_MAX], k2[CF_ATTEMPT_KEY_MAX], what[48];
	make_keys(req, kind, account, k1, k2);
	if (success)
		return atx->tx->st->ops->eph_del(atx->tx, "attempt", k1);
	struct limits la = account_limits(req), lb = address_limits(req);
	snprintf(what, sizeof(what), "%s/account", kind_name(kind));
	cf_err err = count_failure(atx, req, k1, &la, what);
	snprintf(what, sizeof(what), "%s/address", kind_name(kind));
	if (!err)
		err = count_failure(atx, req, k2, &lb, what);
	return err;
}
