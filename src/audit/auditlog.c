#include "audit/auditlog.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "crypto/crypto.h"
#include "util/clock.h"

#define LEVELS 64

/* The newest perfect subtree at each level: exactly the nodes an append
 * needs (its left siblings) and the ones the root of the whole tree is made
 * of, so appending never reads the store. */
struct frontier {
	bool has[LEVELS];
	uint64_t index[LEVELS];
	uint8_t hash[LEVELS][32];
};

struct cf_auditlog {
	cf_store *store;
	uint8_t *sk;                  /* sodium_malloc'ed Ed25519 secret key */
	uint8_t pk[32];
	char origin[CF_NOTE_NAME_MAX + 1];
	unsigned max_batch, max_queue, checkpoint_ms;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;         /* queue, stop flag */
	pthread_cond_t wake;          /* committer: work or stop */
	pthread_cond_t done;          /* sync waiters */
	struct cf_audit_item *head, *tail;
	unsigned queued;
	bool stopping, stopped;

	/* committer-thread state */
	uint64_t size;                /* next sequence number */
	uint64_t last_time_ms;
	struct frontier front;
	cf_tx *tx;                    /* the batch transaction (for callbacks) */

	atomic_uint_fast64_t committed;
	atomic_bool failing;          /* the last commit failed */
	void (*on_state)(void *arg, cf_err result);
	void *on_state_arg;
	bool inconsistent;            /* failed the start checks: refuses everything */
	char why[256];
	pthread_mutex_t sign_lock;    /* one signature at a time */
	uint64_t last_sign_ms;        /* monotonic */
	uint64_t last_signed_size;
};

/* --- node access -------------------------------------------------------- */

/* Committed nodes, through a reader (for proofs and signatures). */
static cf_err committed_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	cf_auditlog *log = ctx;
	return log->store->ops->audit_node_get(log->store, NULL, level, index, out);
}

/* Inside the batch: the frontier first, the transaction otherwise. */
static cf_err batch_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	cf_auditlog *log = ctx;
	if (level < LEVELS && log->front.has[level] && log->front.index[level] == index) {
		memcpy(out, log->front.hash[level], 32);
		return CF_OK;
	}
	return log->store->ops->audit_node_get(log->store, log->tx, level, index, out);
}

static cf_err batch_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	cf_auditlog *log = ctx;
	cf_err err = log->store->ops->audit_node_put(log->tx, level, index, hash);
	if (!err && level < LEVELS) {
		log->front.has[level] = true;
		log->front.index[level] = index;
		memcpy(log->front.hash[level], hash, 32);
	}
	return err;
}

static cf_err load_frontier(cf_auditlog *log)
{
	memset(&log->front, 0, sizeof(log->front));
	for (unsigned k = 0; k < LEVELS && (log->size >> k) > 0; k++) {
		uint64_t idx = (log->size >> k) - 1;
		cf_err err = committed_node(log, k, idx, log->front.hash[k]);
		if (err)
			return err;
		log->front.has[k] = true;
		log->front.index[k] = idx;
	}
	return CF_OK;
}

/* --- checkpoints -------------------------------------------------------- */

cf_err cf_auditlog_root(cf_auditlog *log, uint64_t size, uint8_t out[32])
{
	if (size > cf_auditlog_size(log))
		return CF_ERR_INVALID;
	return cf_merkle_root(out, size, committed_node, log);
}

static cf_err sign_size(cf_auditlog *log, uint64_t size)
{
	struct cf_checkpoint cp;
	snprintf(cp.origin, sizeof(cp.origin), "%s", log->origin);
	cp.size = size;
	cf_err err = cf_auditlog_root(log, size, cp.root);
	char note[CF_CHECKPOINT_MAX];
	size_t len = 0;
	if (!err)
		err = cf_checkpoint_sign(note, sizeof(note), &len, &cp, log->sk, log->pk);
	cf_tx *tx = NULL;
	if (!err)
		err = cf_tx_begin(log->store, &tx);
	if (!err) {
		err = log->store->ops->checkpoint_put(tx, size, note, len, cf_now_ms());
		if (err)
			cf_tx_rollback(tx);
		else
			err = cf_tx_commit(tx);
	}
	if (!err) {
		log->last_signed_size = size;
		log->last_sign_ms = cf_mono_ms();
	}
	return err;
}

/* Signs the committed tree if it grew and the interval has passed (or force). */
static cf_err maybe_sign(cf_auditlog *log, bool force)
{
	pthread_mutex_lock(&log->sign_lock);
	uint64_t size = cf_auditlog_size(log);
	cf_err err = CF_OK;
	bool due = cf_mono_ms() - log->last_sign_ms >= log->checkpoint_ms;
	if (size != log->last_signed_size && (due || force))
		err = sign_size(log, size);
	pthread_mutex_unlock(&log->sign_lock);
	return err;
}

/* --- the committer ------------------------------------------------------ */

static cf_err append_fields(cf_auditlog *log, const struct cf_audit_fields *f, uint64_t *ret_seq)
{
	char buf[CF_AUDIT_EVENT_MAX];
	size_t len = 0;
	uint64_t now = cf_now_ms();
	if (now < log->last_time_ms)
		now = log->last_time_ms; /* time never goes back along the log */
	cf_err err = cf_audit_event_encode(buf, sizeof(buf), &len, log->size, now, f);
	if (err)
		return err;
	uint8_t leaf[32];
	cf_merkle_leaf_hash(leaf, (const uint8_t *)buf, len);
	err = log->store->ops->audit_append(log->tx, log->size, (const uint8_t *)buf, len, leaf);
	if (!err)
		err = cf_merkle_append(log->size, leaf, batch_node, batch_put, log);
	if (!err) {
		*ret_seq = log->size;
		log->size++;
		log->last_time_ms = now;
	}
	return err;
}

static cf_err append_event(cf_auditlog *log, struct cf_audit_item *it)
{
	if (it->status)
		it->fields.outcome = *it->status;
	return append_fields(log, &it->fields, &it->seq);
}

cf_err cf_auditlog_append_in_tx(struct cf_audit_tx *atx, const struct cf_audit_fields *f,
                                uint64_t *ret_seq)
{
	cf_auditlog *log = atx->log;
	if (!log->tx || log->tx != atx->tx)
		return CF_ERR_INVALID; /* only from a write function */
	uint64_t seq = 0;
	cf_err err = append_fields(log, f, &seq);
	if (!err && ret_seq)
		*ret_seq = seq;
	return err;
}

/* A write runs in a savepoint; if it fails, its changes and the events it
 * appended are undone, and the tree state goes back with them. */
static cf_err run_write(cf_auditlog *log, struct cf_audit_item *it)
{
	if (!it->write)
		return CF_OK;
	cf_err err = cf_tx_savepoint(log->tx);
	if (err)
		return err;
	uint64_t size0 = log->size, time0 = log->last_time_ms;
	struct frontier front0 = log->front;
	struct cf_audit_tx atx = { .tx = log->tx, .log = log };
	if (it->write(&atx, it) == CF_OK)
		return cf_tx_release(log->tx);
	log->size = size0;
	log->last_time_ms = time0;
	log->front = front0;
	return cf_tx_rollback_to(log->tx);
}

/* One transaction for the whole batch; any failure to record an event undoes
 * all of it, so no request of the batch is answered as if it were logged. */
static cf_err commit_batch(cf_auditlog *log, struct cf_audit_item *batch)
{
	uint64_t size0 = log->size, time0 = log->last_time_ms;
	struct frontier front0 = log->front;
	cf_err err = cf_tx_begin(log->store, &log->tx);
	for (struct cf_audit_item *it = batch; !err && it; it = it->next) {
		err = run_write(log, it);
		if (!err)
			err = append_event(log, it);
	}
	if (log->tx) {
		if (err)
			cf_tx_rollback(log->tx);
		else
			err = cf_tx_commit(log->tx);
		log->tx = NULL;
	}
	if (err) {
		log->size = size0;
		log->last_time_ms = time0;
		log->front = front0;
	} else {
		atomic_store(&log->committed, log->size);
	}
	return err;
}

static void finish(cf_auditlog *log, struct cf_audit_item *batch, cf_err err)
{
	while (batch) {
		struct cf_audit_item *next = batch->next;
		batch->result = err;
		if (batch->waiter) {
			pthread_mutex_lock(&log->lock);
			batch->waiter = NULL;
			pthread_cond_broadcast(&log->done);
			pthread_mutex_unlock(&log->lock);
		} else if (batch->done) {
			batch->done(batch, err, batch->seq);
		}
		batch = next;
	}
}

static void *committer(void *arg)
{
	cf_auditlog *log = arg;
	for (;;) {
		pthread_mutex_lock(&log->lock);
		while (!log->head && !log->stopping)
			pthread_cond_wait(&log->wake, &log->lock);
		struct cf_audit_item *batch = log->head, *last = batch;
		if (!batch) { /* stopping, and nothing left to commit */
			log->stopped = true;
			pthread_mutex_unlock(&log->lock);
			break;
		}
		unsigned n = 1;
		while (last->next && n < log->max_batch) {
			last = last->next;
			n++;
		}
		log->head = last->next;
		if (!log->head)
			log->tail = NULL;
		last->next = NULL;
		log->queued -= n;
		pthread_mutex_unlock(&log->lock);

		cf_err err = commit_batch(log, batch);
		if (atomic_exchange(&log->failing, err != CF_OK) != (err != CF_OK) && log->on_state)
			log->on_state(log->on_state_arg, err);
		finish(log, batch, err);
		if (!err)
			(void)maybe_sign(log, false); /* retried after the next batch if it fails */
	}
	(void)maybe_sign(log, true);
	return NULL;
}

/* --- public ------------------------------------------------------------- */

cf_err cf_auditlog_submit(cf_auditlog *log, struct cf_audit_item *item)
{
	item->next = NULL;
	item->waiter = NULL;
	item->result = CF_OK;
	if (log->inconsistent)
		return CF_ERR_CRYPTO;
	pthread_mutex_lock(&log->lock);
	if (log->stopping || log->queued >= log->max_queue) {
		pthread_mutex_unlock(&log->lock);
		return CF_ERR_BUSY;
	}
	if (log->tail)
		log->tail->next = item;
	else
		log->head = item;
	log->tail = item;
	log->queued++;
	pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
	return CF_OK;
}

cf_err cf_auditlog_append_sync(cf_auditlog *log, struct cf_audit_item *item, uint64_t *ret_seq)
{
	item->next = NULL;
	item->result = CF_OK;
	if (log->inconsistent)
		return CF_ERR_CRYPTO;
	pthread_mutex_lock(&log->lock);
	if (log->stopping || log->queued >= log->max_queue) {
		pthread_mutex_unlock(&log->lock);
		return CF_ERR_BUSY;
	}
	item->waiter = item;
	if (log->tail)
		log->tail->next = item;
	else
		log->head = item;
	log->tail = item;
	log->queued++;
	pthread_cond_signal(&log->wake);
	while (item->waiter)
		pthread_cond_wait(&log->done, &log->lock);
	pthread_mutex_unlock(&log->lock);
	if (!item->result && ret_seq)
		*ret_seq = item->seq;
	return item->result;
}

bool cf_auditlog_inconsistent(cf_auditlog *log, char *msg, size_t cap)
{
	if (log->inconsistent && msg && cap)
		snprintf(msg, cap, "%s", log->why);
	return log->inconsistent;
}

bool cf_auditlog_failing(cf_auditlog *log)
{
	return atomic_load(&log->failing);
}

cf_err cf_auditlog_probe(cf_auditlog *log)
{
	struct cf_audit_item it = { .fields = { .action = "audit.probe", .resource = "audit",
	                                        .outcome = 200 } };
	return cf_auditlog_append_sync(log, &it, NULL);
}

uint64_t cf_auditlog_size(cf_auditlog *log)
{
	return atomic_load(&log->committed);
}

cf_err cf_auditlog_checkpoint(cf_auditlog *log, bool fresh, char *note, size_t cap,
                              size_t *ret_len, uint64_t *ret_size)
{
	if (fresh) {
		cf_err err = maybe_sign(log, false);
		if (err)
			return err;
	}
	return log->store->ops->checkpoint_get(log->store, UINT64_MAX, ret_size, note, cap, ret_len);
}

/* The head a proof of this size must lead to: the tree head from the stored
 * nodes, which must equal the checkpoint of that size if this key signed one.
 * CF_ERR_CRYPTO when they differ (a damaged stored node). */
static cf_err checked_root(cf_auditlog *log, uint64_t size, uint8_t out[32])
{
	cf_err err = cf_merkle_root(out, size, committed_node, log);
	if (err)
		return err;
	char note[CF_CHECKPOINT_MAX], vtext[256];
	size_t len = 0;
	uint64_t have = 0;
	struct cf_note_verifier v;
	struct cf_checkpoint cp;
	if (log->store->ops->checkpoint_get(log->store, size, &have, note, sizeof(note), &len) ||
	    have != size || cf_note_verifier_format(vtext, sizeof(vtext), log->origin, log->pk) ||
	    cf_note_verifier_parse(&v, vtext) || cf_checkpoint_verify(&cp, note, len, &v) ||
	    cp.size != size)
		return CF_OK; /* none signed at this size (or by an earlier key) */
	return memcmp(cp.root, out, 32) == 0 ? CF_OK : CF_ERR_CRYPTO;
}

/* The caller's copy of a checked proof: err as it is, CF_ERR_TOO_LARGE past
 * cap; proof and ret_len untouched on failure. */
static cf_err hand_out(cf_err err, uint8_t (*buf)[32], size_t len, uint8_t (*proof)[32],
                       size_t cap, size_t *ret_len)
{
	if (!err && len > cap)
		err = CF_ERR_TOO_LARGE;
	if (err)
		return err;
	memcpy(proof, buf, len * 32);
	*ret_len = len;
	return CF_OK;
}

/* Proofs are built from stored nodes; each one is checked before it is
 * handed out, so a damaged node fails loudly (CF_ERR_CRYPTO) instead of
 * reaching a client as a wrong proof. */
cf_err cf_auditlog_inclusion_proof(cf_auditlog *log, uint64_t index, uint64_t size,
                                   uint8_t (*proof)[32], size_t cap, size_t *ret_len)
{
	if (index >= size || size > cf_auditlog_size(log))
		return CF_ERR_INVALID;
	uint8_t buf[CF_MERKLE_PROOF_MAX][32], leaf[32], root[32];
	size_t len = 0;
	cf_err err = cf_merkle_inclusion_proof(buf, CF_MERKLE_PROOF_MAX, &len, index, size,
	                                       committed_node, log);
	if (!err)
		err = committed_node(log, 0, index, leaf);
	if (!err)
		err = checked_root(log, size, root);
	if (!err && cf_merkle_verify_inclusion(leaf, index, size, CF_MERKLE_CONST_PROOF(buf), len,
	                                       root) != CF_OK)
		err = CF_ERR_CRYPTO;
	return hand_out(err, buf, len, proof, cap, ret_len);
}

cf_err cf_auditlog_consistency_proof(cf_auditlog *log, uint64_t old_size, uint64_t new_size,
                                     uint8_t (*proof)[32], size_t cap, size_t *ret_len)
{
	if (old_size == 0 || old_size > new_size || new_size > cf_auditlog_size(log))
		return CF_ERR_INVALID;
	uint8_t buf[CF_MERKLE_PROOF_MAX][32], old_root[32], new_root[32];
	size_t len = 0;
	cf_err err = cf_merkle_consistency_proof(buf, CF_MERKLE_PROOF_MAX, &len, old_size, new_size,
	                                         committed_node, log);
	if (!err)
		err = checked_root(log, old_size, old_root);
	if (!err)
		err = checked_root(log, new_size, new_root);
	if (!err && cf_merkle_verify_consistency(old_size, new_size, old_root, new_root,
	                                         CF_MERKLE_CONST_PROOF(buf), len) != CF_OK)
		err = CF_ERR_CRYPTO;
	return hand_out(err, buf, len, proof, cap, ret_len);
}

void cf_auditlog_stop(cf_auditlog *log)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	log->stopping = true;
	pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
	if (log->thread_started) {
		pthread_join(log->thread, NULL);
		log->thread_started = false;
	}
}

void cf_auditlog_free(cf_auditlog *log)
{
	if (!log)
		return;
	cf_auditlog_stop(log);
	pthread_mutex_destroy(&log->lock);
	pthread_mutex_destroy(&log->sign_lock);
	pthread_cond_destroy(&log->wake);
	pthread_cond_destroy(&log->done);
	if (log->sk)
		sodium_free(log->sk);
	free(log);
}

static cf_err probe_node(void *ctx, uint64_t index, const uint8_t hash[32])
{
	*(bool *)ctx = true;
	return CF_OK;
}

/* The cheap start checks (O(log n) reads): a truncated log, or one whose
 * stored tree does not hash to what this key signed, must not take new
 * events — they would fork the log or fail one by one. CF_ERR_CRYPTO with
 * log->why naming the first bad index. The full check is `coffred audit
 * verify`. */
static cf_err check_consistency(cf_auditlog *log)
{
	uint64_t size = log->size;
	for (unsigned k = 1; k < 56; k++) {
		bool beyond = false;
		cf_err err = log->store->ops->audit_nodes(log->store, k, size >> k, 1, probe_node,
		                                          &beyond);
		if (err)
			return err;
		if (beyond) {
			snprintf(log->why, sizeof(log->why), "event %llu: missing; the log ends after "
			         "%llu events but its stored tree covers more (truncated)",
			         (unsigned long long)size, (unsigned long long)size);
			return CF_ERR_CRYPTO;
		}
	}
	char note[CF_CHECKPOINT_MAX];
	size_t len = 0;
	uint64_t signed_size = 0;
	cf_err err = log->store->ops->checkpoint_get(log->store, UINT64_MAX, &signed_size, note,
	                                             sizeof(note), &len);
	if (err == CF_ERR_NOT_FOUND)
		return CF_OK; /* a new log */
	if (err)
		return err;
	if (signed_size > size) {
		snprintf(log->why, sizeof(log->why), "event %llu: missing; the log ends after %llu "
		         "events but a signed checkpoint covers %llu (truncated)",
		         (unsigned long long)size, (unsigned long long)size,
		         (unsigned long long)signed_size);
		return CF_ERR_CRYPTO;
	}
	/* A checkpoint of an earlier key cannot be checked here (key rotation):
	 * the offline verification does it with that key. */
	char vtext[256];
	struct cf_note_verifier v;
	struct cf_checkpoint cp;
	if (cf_note_verifier_format(vtext, sizeof(vtext), log->origin, log->pk) ||
	    cf_note_verifier_parse(&v, vtext) || cf_checkpoint_verify(&cp, note, len, &v) ||
	    cp.size != signed_size)
		return CF_OK;
	uint8_t root[32];
	err = cf_merkle_root(root, signed_size, committed_node, log);
	if (err == CF_ERR_NOT_FOUND || (!err && memcmp(root, cp.root, 32) != 0)) {
		snprintf(log->why, sizeof(log->why), "the stored tree does not hash to the signed "
		         "checkpoint of size %llu (events 0-%llu: an event or tree node was altered "
		         "or removed; `coffred audit verify` names it)",
		         (unsigned long long)signed_size,
		         (unsigned long long)(signed_size ? signed_size - 1 : 0));
		return CF_ERR_CRYPTO;
	}
	return err;
}

cf_err cf_auditlog_open(cf_auditlog **ret, const struct cf_auditlog_options *o, char *msg,
                        size_t cap)
{
	cf_auditlog *log = calloc(1, sizeof(*log));
	if (!log)
		return CF_ERR_NOMEM;
	pthread_mutex_init(&log->lock, NULL);
	pthread_mutex_init(&log->sign_lock, NULL);
	pthread_cond_init(&log->wake, NULL);
	pthread_cond_init(&log->done, NULL);
	log->store = o->store;
	log->max_batch = o->max_batch ? o->max_batch : 1024;
	log->max_queue = o->max_queue ? o->max_queue : 65536;
	log->checkpoint_ms = o->checkpoint_ms ? o->checkpoint_ms : 1000;
	snprintf(log->origin, sizeof(log->origin), "%s", o->origin);
	memcpy(log->pk, o->sign_pk, 32);
	log->sk = sodium_malloc(64);
	if (!log->sk) {
		cf_auditlog_free(log);
		return CF_ERR_NOMEM;
	}
	memcpy(log->sk, o->sign_sk, 64);
	log->on_state = o->on_state;
	log->on_state_arg = o->on_state_arg;
	cf_err err = log->store->ops->audit_size(log->store, &log->size);
	if (!err)
		err = check_consistency(log);
	if (err == CF_ERR_CRYPTO) {
		snprintf(msg, cap, "%s", log->why);
		if (!o->keep_inconsistent) {
			cf_auditlog_free(log);
			return err;
		}
		/* refusing: no committer, no signature, no key registration */
		log->inconsistent = true;
		atomic_store(&log->committed, log->size);
		*ret = log;
		return CF_OK;
	}
	if (!err)
		err = load_frontier(log);
	if (err) {
		snprintf(msg, cap, "cannot load the audit tree from the store");
		cf_auditlog_free(log);
		return err;
	}
	atomic_store(&log->committed, log->size);
	/* A checkpoint for what is there now (size 0 included), unless it exists. */
	char note[CF_CHECKPOINT_MAX];
	size_t len = 0;
	uint64_t have = 0;
	err = log->store->ops->checkpoint_get(log->store, log->size, &have, note, sizeof(note), &len);
	if (err == CF_ERR_NOT_FOUND)
		err = sign_size(log, log->size);
	else if (!err)
		log->last_signed_size = log->size;
	if (err) {
		snprintf(msg, cap, "cannot sign the audit checkpoint");
		cf_auditlog_free(log);
		return err;
	}
	if (pthread_create(&log->thread, NULL, committer, log) != 0) {
		snprintf(msg, cap, "cannot start the audit committer thread");
		cf_auditlog_free(log);
		return CF_ERR_NOMEM;
	}
	log->thread_started = true;
	*ret = log;
	return CF_OK;
}
