/* The audit log: one committer thread appends the events of many concurrent
 * requests in one transaction (group commit), keeps the RFC 6962 tree up to
 * date incrementally (only the new perfect-subtree hashes are written) and
 * signs checkpoints (at most every second, and on demand). A request's
 * answer leaves only after its event is durable; when the event cannot be
 * stored, the whole batch is rolled back and each of its requests gets 503. */
#ifndef CF_AUDIT_AUDITLOG_H
#define CF_AUDIT_AUDITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/event.h"
#include "coffre/error.h"
#include "crypto/merkle.h"
#include "store/store.h"

typedef struct cf_auditlog cf_auditlog;

struct cf_audit_item;

/* What a write function works in: the batch transaction, and the log, to
 * append further events (entity versions, key registrations) with its own. */
struct cf_audit_tx {
	cf_tx *tx;
	cf_auditlog *log;
};

/* A write that must commit with its event. Runs on the committer thread in
 * the batch transaction, inside a savepoint: CF_OK keeps its changes; any
 * other code undoes them (the request's event is still recorded, with the
 * outcome the write left in *item->status). */
typedef cf_err (*cf_audit_write_fn)(struct cf_audit_tx *atx, struct cf_audit_item *item);

/* Called on the committer thread once the batch is durable (result CF_OK,
 * seq = the event's index) or has failed (result != CF_OK: nothing of the
 * batch was stored). */
typedef void (*cf_audit_done_fn)(struct cf_audit_item *item, cf_err result, uint64_t seq);

struct cf_audit_item {
	struct cf_audit_fields fields;   /* outcome is read from *status at commit */
	const unsigned *status;          /* the answer's status; may be NULL (then fields.outcome) */
	cf_audit_write_fn write;         /* optional */
	void *write_arg;
	cf_audit_done_fn done;           /* optional for cf_auditlog_append_sync */
	void *done_arg;
	/* private */
	struct cf_audit_item *next;
	cf_err result;
	uint64_t seq;
	void *waiter;
};

struct cf_auditlog_options {
	cf_store *store;
	const uint8_t *sign_sk;   /* Ed25519 secret key (64 bytes); copied into locked memory */
	const uint8_t *sign_pk;   /* 32 bytes */
	const char *origin;       /* checkpoint origin and note key name */
	unsigned max_batch;       /* events per transaction (default 1024) */
	unsigned max_queue;       /* waiting events before CF_ERR_BUSY (default 65536) */
	unsigned checkpoint_ms;   /* minimum interval between signatures (default 1000) */
	/* Open a log that fails its start checks anyway, in a refusing state
	 * (every submission fails; nothing is signed), so that a server can still
	 * say why on /readyz. Without it, cf_auditlog_open fails. */
	bool keep_inconsistent;
	/* Called on the committer thread when storing events starts failing
	 * (result != CF_OK) or works again (CF_OK); optional. */
	void (*on_state)(void *arg, cf_err result);
	void *on_state_arg;
};

/* Checks that the stored log holds together (no signed checkpoint beyond
 * the last event, no stored tree node beyond it, the stored tree hashes to
 * the newest checkpoint signed with this key), loads the tree state, signs a
 * first checkpoint if needed and starts the committer thread.
 * CF_ERR_CRYPTO with msg naming the first bad event index when the checks
 * fail (unless keep_inconsistent, see above). */
cf_err cf_auditlog_open(cf_auditlog **ret, const struct cf_auditlog_options *opts,
                        char *msg, size_t cap);
/* Commits what is queued, then stops; later submissions get CF_ERR_BUSY. */
void cf_auditlog_stop(cf_auditlog *log);
void cf_auditlog_free(cf_auditlog *log);   /* stops first; accepts NULL */

/* Queues item; its done callback runs later on the committer thread.
 * CF_ERR_BUSY when stopped or the queue is full (done is not called). */
cf_err cf_auditlog_submit(cf_auditlog *log, struct cf_audit_item *item);
/* Queues item and waits until it is durable or failed. */
cf_err cf_auditlog_append_sync(cf_auditlog *log, struct cf_audit_item *item, uint64_t *ret_seq);

/* From a write function only: appends another event in the batch
 * transaction (undone with the write if it fails). */
cf_err cf_auditlog_append_in_tx(struct cf_audit_tx *atx, const struct cf_audit_fields *f,
                                uint64_t *ret_seq);

/* True when the log failed its start checks; why (the first bad index) is
 * copied to msg. Such a log refuses every event. */
bool cf_auditlog_inconsistent(cf_auditlog *log, char *msg, size_t cap);

/* True while the last attempt to store events failed. */
bool cf_auditlog_failing(cf_auditlog *log);

/* Tries to store one event ("audit.probe"): how a failing log finds out that
 * it can write again. CF_OK when it was stored. */
cf_err cf_auditlog_probe(cf_auditlog *log);

/* Events durably stored. */
uint64_t cf_auditlog_size(cf_auditlog *log);

/* The newest signed checkpoint note; with fresh, one that covers every event
 * committed now unless one was signed less than the minimum interval ago. */
cf_err cf_auditlog_checkpoint(cf_auditlog *log, bool fresh, char *note, size_t cap,
                              size_t *ret_len, uint64_t *ret_size);

/* Proofs against the committed tree (size <= cf_auditlog_size). Each proof
 * is verified before it is returned, against the tree head of its size(s)
 * and the checkpoint signed at that size if any: CF_ERR_CRYPTO when a stored
 * tree node is damaged (run `coffred audit verify` to name it). */
cf_err cf_auditlog_inclusion_proof(cf_auditlog *log, uint64_t index, uint64_t size,
                                   uint8_t (*proof)[32], size_t cap, size_t *ret_len);
cf_err cf_auditlog_consistency_proof(cf_auditlog *log, uint64_t old_size, uint64_t new_size,
                                     uint8_t (*proof)[32], size_t cap, size_t *ret_len);
cf_err cf_auditlog_root(cf_auditlog *log, uint64_t size, uint8_t out[32]);

#endif
