/* Offline verification of an audit log in a store: every event against the
 * stored tree (each stored leaf and each stored perfect-subtree node is
 * recomputed from the events) and every signed checkpoint, streaming (memory O(log n) plus one
 * chunk of node hashes). Reports the first bad index. */
#ifndef CF_AUDIT_VERIFY_H
#define CF_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "audit/checkpoint.h"
#include "store/store.h"

struct cf_verify_report {
	uint64_t events;          /* events checked */
	uint64_t checkpoints;     /* signed checkpoints checked */
	uint64_t tree_size;       /* newest checkpoint size */
	uint8_t root[32];         /* its root */
	bool failed;
	uint64_t bad_index;       /* first bad event index, when known */
	bool bad_index_known;
	bool bad_node;            /* a stored tree node (level ≥ 1) is wrong or missing: */
	unsigned bad_level;       /*   the first one, in the order the events complete them */
	uint64_t bad_node_index;
	char msg[512];            /* what failed, for the operator */
};

/* CF_OK when everything holds; CF_ERR_CRYPTO with report->msg when the log
 * does not; another code when the store cannot be read. */
cf_err cf_audit_verify_store(cf_store *st, const struct cf_note_verifier *v,
                             struct cf_verify_report *report);

#endif
