/* libcoffre: pinned log key, remembered checkpoint, proofs (DESIGN §4, §6,
 * §8; audit.c; rules in docs/internals/client-audit.md). */
#ifndef COFFRE_AUDIT_H
#define COFFRE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/profile.h"

/* Profile files: the pinned C2SP note verifier key ("name+hash+base64" and
 * a newline) and the exact text of the newest checkpoint note verified with
 * it. */
#define CF_AUDIT_KEY_FILE          "audit-key"
#define CF_AUDIT_CHECKPOINT_FILE   "audit-checkpoint"
#define CF_AUDIT_KEY_MAX           512      /* verifier key text, bytes */
#define CF_AUDIT_ORIGIN_MAX        128      /* log origin = key name */
#define CF_AUDIT_HASH_BYTES        32
#define CF_AUDIT_PROOF_MAX         65       /* hashes in any proof */
#define CF_AUDIT_PAGE_MAX          1000     /* events per request */
#define CF_AUDIT_VERIFY_MAX        100000   /* events per verification run */
#define CF_AUDIT_EVENT_BYTES_MAX   16384    /* one stored event */

/* Why the log was refused. Every refusal returns CF_ERR_CRYPTO: the server
 * showed something its signed log cannot back, and nothing was followed
 * (the remembered checkpoint is left as it was). */
enum cf_audit_failure {
	CF_AUDIT_FAIL_NONE = 0,
	CF_AUDIT_FAIL_SIGNATURE,  /* checkpoint malformed, not signed by the
	                             key, or origin is not the key name */
	CF_AUDIT_FAIL_ROLLBACK,   /* smaller than the remembered checkpoint */
	CF_AUDIT_FAIL_FORK,       /* same size with another root, or a newer
	                             checkpoint without a valid consistency
	                             proof from the remembered one */
	CF_AUDIT_FAIL_MALFORMED,  /* a proof or events answer that is not
	                             well-formed (types, base64url, lengths,
	                             indexes other than asked) */
	CF_AUDIT_FAIL_EVENT,      /* an event's bytes or inclusion proof do not
	                             verify (index says which) */
};

/* The failure of an audit function: a one-line reason (no secrets; server
 * text sanitised) and, for log refusals, what kind and where. Cleared by
 * every call that takes it. */
struct cf_audit_error {
	enum cf_audit_failure failure;
	uint64_t index;                /* CF_AUDIT_FAIL_EVENT/MALFORMED: event */
	char text[CF_ERRMSG_MAX];
};

/* A checkpoint whose signature was verified. */
struct cf_audit_checkpoint {
	char origin[CF_AUDIT_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[CF_AUDIT_HASH_BYTES];
};

/* --- pinning the log key (no network) ----------------------------------- */

/* Checks a verifier key text: "name+8 hex+base64(0x01 || Ed25519 key)" as
 * printed by `coffred audit-key`, whose hash matches name and key. No
 * blanks around it. Errors: CF_ERR_INVALID (with the reason). */
cf_err cf_audit_key_check(const char *key, struct cf_audit_error *error);

enum cf_audit_pin {
	CF_AUDIT_PIN_NEW = 1,      /* no key was pinned; this one is now */
	CF_AUDIT_PIN_SAME,         /* this very key was already pinned */
	CF_AUDIT_PIN_REPLACED,     /* another key was pinned; replaced */
};

/* Pins key in the profile (file CF_AUDIT_KEY_FILE, written atomically).
 * Another pinned key is replaced only with `replace`. A remembered
 * checkpoint that does not verify with the newly pinned key is removed
 * (*ret_dropped true): it belongs to another log or key, and the next
 * refresh starts over with trust on first use.
 * Errors: CF_ERR_INVALID (malformed key), CF_ERR_CONFLICT (another key is
 * pinned and !replace), those of cf_profile_read/write/remove. */
cf_err cf_audit_trust(cf_profile *profile, const char *key, bool replace,
                      enum cf_audit_pin *ret_pin, bool *ret_dropped,
                      struct cf_audit_error *error);

/* The pinned key, canonical, into ret_key (cap >= CF_AUDIT_KEY_MAX + 1).
 * Errors: CF_ERR_NOT_FOUND (none pinned), CF_ERR_INVALID (the file is
 * damaged), profile errors. */
cf_err cf_audit_pinned_key(cf_profile *profile, char *ret_key, size_t cap,
                           struct cf_audit_error *error);

/* --- the newest verified checkpoint (network) --------------------------- */

enum cf_audit_outcome {
	CF_AUDIT_FIRST_USE = 1,    /* nothing remembered: trusted on first use,
	                              and remembered */
	CF_AUDIT_UNCHANGED,        /* same size and root as remembered */
	CF_AUDIT_CONSISTENT,       /* newer, proven (RFC 9162) to extend the
	                              remembered one, which it replaced */
	CF_AUDIT_NOT_REMEMBERED,   /* the key given is not the pinned one: the
	                              signature was checked, nothing compared
	                              with nor written to the profile */
};

struct cf_audit_state {
	struct cf_audit_checkpoint checkpoint;  /* the server's, verified */
	enum cf_audit_outcome outcome;
	bool had_previous;
	struct cf_audit_checkpoint previous;    /* remembered before the call */
};

/* Fetches GET /v1/audit/checkpoint, verifies its signature with `key` (NULL:
 * the key pinned in the client's profile) and that its origin is the key
 * name, then compares it with the remembered checkpoint: none → first use;
 * smaller → CF_AUDIT_FAIL_ROLLBACK; same size → roots must match, else
 * CF_AUDIT_FAIL_FORK; larger → GET /v1/audit/proof/consistency from the
 * remembered size, which must verify, else CF_AUDIT_FAIL_FORK. Only a
 * checkpoint accepted this way replaces the remembered one.
 * Errors: CF_ERR_CRYPTO (log refused: error->failure says why),
 * CF_ERR_NOT_FOUND (no key pinned and none given), CF_ERR_INVALID (key
 * malformed), CF_ERR_CONFLICT (the remembered checkpoint does not verify
 * with the pinned key), those of cf_client_request/cf_client_call_json and
 * of the profile. */
cf_err cf_audit_refresh(cf_client *client, const char *key,
                        struct cf_audit_state *ret,
                        struct cf_audit_error *error);

/* --- events against a verified checkpoint (network) --------------------- */

struct cf_audit_range_report {
	uint64_t from, count;      /* as asked */
	uint64_t verified;         /* bytes, seq prefix and inclusion checked */
	uint64_t not_covered;      /* index >= checkpoint size: not checked */
	uint64_t withheld;         /* below the size, not returned by the server
	                              (not visible to this key?) */
	uint64_t first_withheld;   /* valid when withheld > 0 */
};

/* Checks events [from, from + count) against a checkpoint verified by
 * cf_audit_refresh: GET /v1/audit/events by pages of CF_AUDIT_PAGE_MAX,
 * and for each event GET /v1/audit/proof/inclusion?index=i&size=N; each
 * event must start with {"seq":i, and its proof verify against the root.
 * Stops at the first bad event. bearer: an API key (scope audit.read) or
 * session token; it is not kept. 1 <= count <= CF_AUDIT_VERIFY_MAX.
 * Errors: CF_ERR_CRYPTO (CF_AUDIT_FAIL_EVENT or _MALFORMED with the
 * index), CF_ERR_INVALID (bad range), those of cf_client_call_json. */
cf_err cf_audit_verify_events(cf_client *client, const char *bearer,
                              const struct cf_audit_checkpoint *checkpoint,
                              uint64_t from, uint64_t count,
                              struct cf_audit_range_report *ret,
                              struct cf_audit_error *error);

/* --- pure helpers (no I/O): the decisions above, for offline verifiers
 *     and the tests ------------------------------------------------------ */

/* Parses and verifies a signed checkpoint note with key; the origin must
 * be the key name. Errors: CF_ERR_INVALID (key malformed),
 * CF_ERR_CRYPTO/CF_AUDIT_FAIL_SIGNATURE. */
cf_err cf_audit_note_verify(const char *key, const char *note, size_t len,
                            struct cf_audit_checkpoint *ret,
                            struct cf_audit_error *error);

enum cf_audit_decision {
	CF_AUDIT_DECIDE_FIRST_USE = 1,  /* nothing remembered */
	CF_AUDIT_DECIDE_SAME,           /* same size, same root */
	CF_AUDIT_DECIDE_NEED_PROOF,     /* larger: needs a consistency proof */
	CF_AUDIT_DECIDE_ROLLBACK,       /* smaller */
	CF_AUDIT_DECIDE_FORK,           /* same size, another root */
};

/* What to do with `received` given `remembered` (NULL: none). */
enum cf_audit_decision cf_audit_decide(
	const struct cf_audit_checkpoint *remembered,
	const struct cf_audit_checkpoint *received);

/* CF_OK when newer extends older with this proof (RFC 9162 §2.1.4.2);
 * from the empty tree (size 0) only an empty proof and the empty root.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_FORK. */
cf_err cf_audit_check_consistency(const struct cf_audit_checkpoint *older,
                                  const struct cf_audit_checkpoint *newer,
                                  const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                                  size_t len, struct cf_audit_error *error);

/* Parses {"from":M,"to":N,"proof":[b64url…]} (consistency; index_name
 * "from", size_name "to") or {"index":I,"size":N,"proof":[…]} (inclusion;
 * "index", "size"): both numbers must be the ones asked, the proof at most
 * CF_AUDIT_PROOF_MAX strings of exactly 32 bytes in strict base64url
 * without padding. Unknown members are ignored.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_MALFORMED; outputs untouched. */
cf_err cf_audit_parse_proof(const json_t *doc, const char *index_name,
                            uint64_t index, const char *size_name,
                            uint64_t size,
                            uint8_t (*ret_proof)[CF_AUDIT_HASH_BYTES],
                            size_t *ret_len, struct cf_audit_error *error);

/* One event of an events answer: its index and exact stored bytes. */
struct cf_audit_event {
	uint64_t index;
	unsigned char *data;
	size_t len;
};

/* Parses {"events":[{"index":I,"event":"<b64url>"}…]} asked for
 * [from, from + count): at most count items, indexes strictly increasing
 * inside the range (gaps are allowed: events not shown to this key),
 * events of 1 to CF_AUDIT_EVENT_BYTES_MAX bytes in strict base64url.
 * *ret_events (NULL when *ret_count is 0) is freed with
 * cf_audit_events_free. Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_MALFORMED,
 * CF_ERR_NOMEM; outputs untouched. */
cf_err cf_audit_parse_events(const json_t *doc, uint64_t from, uint64_t count,
                             struct cf_audit_event **ret_events,
                             size_t *ret_count, struct cf_audit_error *error);

/* Frees (and wipes) what cf_audit_parse_events returned. Accepts NULL. */
void cf_audit_events_free(struct cf_audit_event *events, size_t count);

/* CF_OK when the event at `index` starts with {"seq":index, and the proof
 * shows its leaf in the checkpoint's tree.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_EVENT (error->index = index). */
cf_err cf_audit_check_event(const struct cf_audit_checkpoint *checkpoint,
                            uint64_t index, const unsigned char *data,
                            size_t len,
                            const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                            size_t proof_len, struct cf_audit_error *error);

/* One registration of a key log answer (GET /v1/keys/{kind}/{owner}/log
 * ?size=checkpoint->size): {"key_hash", "index", "leaf_hash", "proof"}.
 * CF_OK when key_hash is the SHA-256 of key (the key the server handed
 * out) and the proof shows leaf_hash at index in the checkpoint's tree
 * (verified before: cf_audit_checkpoint_*). The public answer carries no
 * event, so the leaf's bytes are not checked here: those allowed to read
 * the event (GET /v1/audit/events) check it with cf_audit_check_event.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_MALFORMED (shape),
 * CF_ERR_CRYPTO/CF_AUDIT_FAIL_EVENT (another key, or a leaf outside the
 * tree; error->index = index). */
cf_err cf_audit_check_key_registration(
	const struct cf_audit_checkpoint *checkpoint, const json_t *registration,
	const unsigned char *key, size_t key_len, struct cf_audit_error *error);

#endif
