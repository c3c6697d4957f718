/* libcoffre audit client: pins the log's verifier key, remembers the newest
 * checkpoint it has verified, accepts a newer one only with a valid
 * consistency proof from it, and checks events against it with inclusion
 * proofs. A server that rolls its log back or shows a forked log is
 * reported (CF_ERR_CRYPTO) and never followed: the remembered checkpoint is
 * only ever replaced by one proven to extend it.
 * Rules and messages: docs/internals/client-audit.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/checkpoint.h"
#include "client/answer.h"
#include "client/internal.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "util/encoding.h"

_Static_assert(CF_AUDIT_PROOF_MAX == CF_MERKLE_PROOF_MAX,
               "public proof cap must match the Merkle module's");
_Static_assert(CF_AUDIT_HASH_BYTES == CF_MERKLE_HASH_BYTES,
               "hash sizes must match");
_Static_assert(CF_AUDIT_ORIGIN_MAX == CF_NOTE_NAME_MAX,
               "origin cap must match the note name cap");

#define PROOF_BODY_MAX    ((size_t)64 * 1024)
#define EVENTS_BODY_MAX   ((size_t)8 * 1024 * 1024)
#define KEY_SHOWN         80
#define HEX_ROOT          (2 * CF_AUDIT_HASH_BYTES + 1)

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

static void error_clear(struct cf_audit_error *e)
{
	if (!e)
		return;
	e->failure = CF_AUDIT_FAIL_NONE;
	e->index = 0;
	e->text[0] = '\0';
}

static cf_err fail(struct cf_audit_error *e, cf_err code,
                   enum cf_audit_failure kind, uint64_t index,
                   const char *fmt, ...) CF_PRINTF(5, 6);
static cf_err fail(struct cf_audit_error *e, cf_err code,
                   enum cf_audit_failure kind, uint64_t index,
                   const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
	e->failure = kind;
	e->index = index;
	return code;
}

/* The client's or the profile's own message, for failures below us. */
static cf_err pass_on(struct cf_audit_error *e, cf_err code, const char *msg)
{
	return fail(e, code, CF_AUDIT_FAIL_NONE, 0, "%s",
	            msg && msg[0] ? msg : cf_strerror(code));
}

static void hex_root(char out[HEX_ROOT], const uint8_t root[32])
{
	sodium_bin2hex(out, HEX_ROOT, root, CF_AUDIT_HASH_BYTES);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */

static bool key_text_ok(const char *key)
{
	size_t len = strnlen(key, CF_AUDIT_KEY_MAX + 1);
	if (len == 0 || len > CF_AUDIT_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

static cf_err key_parse(const char *key, struct cf_note_verifier *ret,
                        struct cf_audit_error *e)
{
	char shown[KEY_SHOWN];
	cf_text_sanitize(shown, sizeof shown, key ? key : "",
	                 key ? strnlen(key, CF_AUDIT_KEY_MAX + 1) : 0);
	if (!key || !key_text_ok(key) ||
	    cf_note_verifier_parse(ret, key) != CF_OK)
		return fail(e, CF_ERR_INVALID, CF_AUDIT_FAIL_NONE, 0,
		            "'%s' is not an audit verifier key: expected "
		            "NAME+HASH+BASE64 as printed by 'coffred audit-key' "
		            "(Ed25519, with a hash that matches name and key)",
		            shown);
	return CF_OK;
}

static bool same_key(const struct cf_note_verifier *a,
                     const struct cf_note_verifier *b)
{
	return strcmp(a->name, b->name) == 0 &&
	       memcmp(a->pk, b->pk, sizeof a->pk) == 0;
}

static cf_err key_format(char *out, size_t cap,
                         const struct cf_note_verifier *v,
                         struct cf_audit_error *e)
{
	if (cf_note_verifier_format(out, cap, v->name, v->pk) != CF_OK)
		return fail(e, CF_ERR_TOO_LARGE, CF_AUDIT_FAIL_NONE, 0,
		            "the audit key does not fit in %zu bytes", cap);
	return CF_OK;
}

cf_err cf_audit_key_check(const char *key, struct cf_audit_error *error)
{
	error_clear(error);
	struct cf_note_verifier v;
	return key_parse(key, &v, error);
}

/* Reads and parses the pinned key; CF_ERR_NOT_FOUND when none. */
static cf_err pinned_read(cf_profile *p, struct cf_note_verifier *ret,
                          struct cf_audit_error *e)
{
	CF_AUTO_PROFILE_DATA *data = NULL;
	size_t len = 0;
	cf_err err = cf_profile_read(p, CF_AUDIT_KEY_FILE, CF_AUDIT_KEY_MAX + 2,
	                             &data, &len);
	if (err == CF_ERR_NOT_FOUND)
		return fail(e, err, CF_AUDIT_FAIL_NONE, 0, "no audit key is "
		            "pinned in %s: run 'coffre audit trust KEY' with the "
		            "key printed by 'coffred audit-key' on the server "
		            "(or give --audit-key KEY)", cf_profile_dir(p));
	if (err == CF_ERR_TOO_LARGE)
		return fail(e, CF_ERR_INVALID, CF_AUDIT_FAIL_NONE, 0,
		            "the pinned audit key (%s/%s) is damaged: too long",
		            cf_profile_dir(p), CF_AUDIT_KEY_FILE);
	if (err)
		return pass_on(e, err, cf_profile_last_error(p));
	if (len > 0 && data[len - 1] == '\n')
		data[--len] = '\0';
	struct cf_note_verifier v;
	if (memchr(data, '\0', len) || key_parse((const char *)data, &v, NULL))
		return fail(e, CF_ERR_INVALID, CF_AUDIT_FAIL_NONE, 0,
		            "the pinned audit key (%s/%s) is damaged; pin it "
		            "again with 'coffre audit trust --replace KEY'",
		            cf_profile_dir(p), CF_AUDIT_KEY_FILE);
	*ret = v;
	return CF_OK;
}

cf_err cf_audit_pinned_key(cf_profile *profile, char *ret_key, size_t cap,
                           struct cf_audit_error *error)
{
	error_clear(error);
	struct cf_note_verifier v;
	cf_err err = pinned_read(profile, &v, error);
	if (err)
		return err;
	char text[CF_AUDIT_KEY_MAX + 1];
	err = key_format(text, sizeof text, &v, error);
	if (err)
		return err;
	if (!ret_key || strlen(text) >= cap)
		return fail(error, CF_ERR_TOO_LARGE, CF_AUDIT_FAIL_NONE, 0,
		            "no room for the audit key");
	memcpy(ret_key, text, strlen(text) + 1);
	return CF_OK;
}

/* The remembered checkpoint. *ret_found false when there is none.
 * CF_ERR_CONFLICT when it does not verify with v. */
static cf_err remembered_read(cf_profile *p, const struct cf_note_verifier *v,
                              bool *ret_found, struct cf_checkpoint *ret,
                              struct cf_audit_error *e)
{
	CF_AUTO_PROFILE_DATA *data = NULL;
	size_t len = 0;
	cf_err err = cf_profile_read(p, CF_AUDIT_CHECKPOINT_FILE,
	                             CF_CHECKPOINT_MAX, &data, &len);
	if (err == CF_ERR_NOT_FOUND) {
		*ret_found = false;
		return CF_OK;
	}
	if (err == CF_ERR_TOO_LARGE)
		err = CF_ERR_CONFLICT;
	else if (err)
		return pass_on(e, err, cf_profile_last_error(p));
	struct cf_checkpoint cp;
	if (err || cf_checkpoint_verify(&cp, (const char *)data, len, v) ||
	    strcmp(cp.origin, v->name) != 0)
		return fail(e, CF_ERR_CONFLICT, CF_AUDIT_FAIL_NONE, 0,
		            "the remembered checkpoint (%s/%s) does not verify "
		            "with the audit key %s: it was damaged or belongs to "
		            "another key; nothing was compared", cf_profile_dir(p),
		            CF_AUDIT_CHECKPOINT_FILE, v->name);
	*ret_found = true;
	*ret = cp;
	return CF_OK;
}

cf_err cf_audit_trust(cf_profile *profile, const char *key, bool replace,
                      enum cf_audit_pin *ret_pin, bool *ret_dropped,
                      struct cf_audit_error *error)
{
	error_clear(error);
	struct cf_note_verifier v, old;
	cf_err err = key_parse(key, &v, error);
	if (err)
		return err;
	enum cf_audit_pin pin = CF_AUDIT_PIN_NEW;
	err = pinned_read(profile, &old, error);
	if (err == CF_OK) {
		if (same_key(&old, &v)) {
			pin = CF_AUDIT_PIN_SAME;
		} else if (!replace) {
			char shown[CF_AUDIT_KEY_MAX + 1] = "";
			(void)key_format(shown, sizeof shown, &old, NULL);
			return fail(error, CF_ERR_CONFLICT, CF_AUDIT_FAIL_NONE,
			            0, "another audit key is already pinned "
			            "(%s); refusing to replace it: a new key "
			            "would let another log be trusted. If the "
			            "operator really changed the key, run 'coffre "
			            "audit trust --replace KEY'", shown);
		} else {
			pin = CF_AUDIT_PIN_REPLACED;
		}
	} else if (err == CF_ERR_INVALID && replace) {
		pin = CF_AUDIT_PIN_REPLACED;   /* a damaged file is replaced */
	} else if (err != CF_ERR_NOT_FOUND) {
		return err;
	}
	error_clear(error);

	char text[CF_AUDIT_KEY_MAX + 2];
	err = key_format(text, sizeof text - 1, &v, error);
	if (err)
		return err;
	if (pin != CF_AUDIT_PIN_SAME) {
		size_t len = strlen(text);
		text[len++] = '\n';
		text[len] = '\0';
		err = cf_profile_write(profile, CF_AUDIT_KEY_FILE, text, len);
		if (err)
			return pass_on(error, err, cf_profile_last_error(profile));
	}

	/* A remembered checkpoint the pinned key cannot verify is another
	 * log's: keeping it would block every refresh. */
	bool found = false, dropped = false;
	struct cf_checkpoint cp;
	err = remembered_read(profile, &v, &found, &cp, error);
	if (err == CF_ERR_CONFLICT) {
		err = cf_profile_remove(profile, CF_AUDIT_CHECKPOINT_FILE);
		if (err)
			return pass_on(error, err,
			               cf_profile_last_error(profile));
		dropped = true;
	} else if (err) {
		return err;
	}
	error_clear(error);
	if (ret_pin)
		*ret_pin = pin;
	if (ret_dropped)
		*ret_dropped = dropped;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Pure checks                                                               */

static void to_public(struct cf_audit_checkpoint *out,
                      const struct cf_checkpoint *cp)
{
	memset(out, 0, sizeof *out);
	memcpy(out->origin, cp->origin, sizeof out->origin);
	out->origin[CF_AUDIT_ORIGIN_MAX] = '\0';
	out->size = cp->size;
	memcpy(out->root, cp->root, CF_AUDIT_HASH_BYTES);
}

static cf_err note_verify(const struct cf_note_verifier *v, const char *note,
                          size_t len, struct cf_audit_checkpoint *ret,
                          struct cf_audit_error *e)
{
	struct cf_checkpoint cp;
	cf_err err = cf_checkpoint_verify(&cp, note, len, v);
	if (err == CF_ERR_CRYPTO)
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_SIGNATURE, 0,
		            "the checkpoint is not signed by the audit key %s: "
		            "another log, or the wrong key pinned", v->name);
	if (err)
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_SIGNATURE, 0,
		            "the checkpoint is not a well-formed signed note");
	if (strcmp(cp.origin, v->name) != 0) {
		char shown[64];
		cf_text_sanitize(shown, sizeof shown, cp.origin,
		                 strlen(cp.origin));
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_SIGNATURE, 0,
		            "the checkpoint's origin '%s' is not the audit key "
		            "name '%s'", shown, v->name);
	}
	to_public(ret, &cp);
	return CF_OK;
}

cf_err cf_audit_note_verify(const char *key, const char *note, size_t len,
                            struct cf_audit_checkpoint *ret,
                            struct cf_audit_error *error)
{
	error_clear(error);
	struct cf_note_verifier v;
	cf_err err = key_parse(key, &v, error);
	if (err)
		return err;
	if (!note)
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_SIGNATURE, 0,
		            "no checkpoint");
	return note_verify(&v, note, len, ret, error);
}

enum cf_audit_decision cf_audit_decide(
	const struct cf_audit_checkpoint *remembered,
	const struct cf_audit_checkpoint *received)
{
	if (!remembered)
		return CF_AUDIT_DECIDE_FIRST_USE;
	if (received->size < remembered->size)
		return CF_AUDIT_DECIDE_ROLLBACK;
	if (received->size == remembered->size)
		return sodium_memcmp(received->root, remembered->root,
		                     CF_AUDIT_HASH_BYTES) == 0 ?
		       CF_AUDIT_DECIDE_SAME : CF_AUDIT_DECIDE_FORK;
	return CF_AUDIT_DECIDE_NEED_PROOF;
}

cf_err cf_audit_check_consistency(const struct cf_audit_checkpoint *older,
                                  const struct cf_audit_checkpoint *newer,
                                  const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                                  size_t len, struct cf_audit_error *error)
{
	error_clear(error);
	char o[HEX_ROOT], n[HEX_ROOT];
	hex_root(o, older->root);
	hex_root(n, newer->root);
	bool ok;
	if (older->size == 0) {
		/* Every tree extends the empty one, whose root is fixed. */
		uint8_t empty[CF_AUDIT_HASH_BYTES];
		crypto_hash_sha256(empty, (const unsigned char *)"", 0);
		ok = len == 0 && newer->size > 0 &&
		     sodium_memcmp(older->root, empty, sizeof empty) == 0;
	} else {
		ok = cf_merkle_verify_consistency(older->size, newer->size,
		                                  older->root, newer->root,
		                                  proof, len) == CF_OK;
	}
	if (!ok)
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_FORK, 0,
		            "fork: the log of size %" PRIu64 " (root %s) is not "
		            "consistent with the remembered checkpoint of size "
		            "%" PRIu64 " (root %s): the consistency proof does "
		            "not verify", newer->size, n, older->size, o);
	return CF_OK;
}

cf_err cf_audit_parse_proof(const json_t *doc, const char *index_name,
                            uint64_t index, const char *size_name,
                            uint64_t size,
                            uint8_t (*ret_proof)[CF_AUDIT_HASH_BYTES],
                            size_t *ret_len, struct cf_audit_error *error)
{
	error_clear(error);
	const enum cf_audit_failure M = CF_AUDIT_FAIL_MALFORMED;
	if (!json_is_object(doc))
		return fail(error, CF_ERR_CRYPTO, M, index, "the proof answer "
		            "is not a JSON object");
	uint64_t a = 0, b = 0;
	if (!cf_answer_u64(json_object_get(doc, index_name), &a) ||
	    !cf_answer_u64(json_object_get(doc, size_name), &b))
		return fail(error, CF_ERR_CRYPTO, M, index, "the proof answer "
		            "has no whole numbers \"%s\" and \"%s\"", index_name,
		            size_name);
	if (a != index || b != size)
		return fail(error, CF_ERR_CRYPTO, M, index, "the proof answer "
		            "is for %s=%" PRIu64 " %s=%" PRIu64 ", not the %"
		            PRIu64 " and %" PRIu64 " asked", index_name, a,
		            size_name, b, index, size);
	const json_t *list = json_object_get(doc, "proof");
	if (!json_is_array(list))
		return fail(error, CF_ERR_CRYPTO, M, index, "the proof answer "
		            "has no \"proof\" array");
	size_t n = json_array_size(list);
	if (n > CF_AUDIT_PROOF_MAX)
		return fail(error, CF_ERR_CRYPTO, M, index, "the proof has %zu "
		            "hashes; no proof has more than %d", n,
		            CF_AUDIT_PROOF_MAX);
	uint8_t proof[CF_AUDIT_PROOF_MAX][CF_AUDIT_HASH_BYTES];
	for (size_t i = 0; i < n; i++) {
		const json_t *h = json_array_get(list, i);
		size_t got = 0;
		if (!json_is_string(h) ||
		    cf_b64url_decode(proof[i], CF_AUDIT_HASH_BYTES, &got,
		                     json_string_value(h),
		                     json_string_length(h)) != CF_OK ||
		    got != CF_AUDIT_HASH_BYTES)
			return fail(error, CF_ERR_CRYPTO, M, index, "proof[%zu] "
			            "is not a 32-byte hash in base64url", i);
	}
	if (n)
		memcpy(ret_proof, proof, n * sizeof proof[0]);
	*ret_len = n;
	return CF_OK;
}

void cf_audit_events_free(struct cf_audit_event *events, size_t count)
{
	if (!events)
		return;
	for (size_t i = 0; i < count; i++) {
		if (events[i].data) {
			sodium_memzero(events[i].data, events[i].len);
			free(events[i].data);
		}
	}
	free(events);
}

cf_err cf_audit_parse_events(const json_t *doc, uint64_t from, uint64_t count,
                             struct cf_audit_event **ret_events,
                             size_t *ret_count, struct cf_audit_error *error)
{
	error_clear(error);
	const enum cf_audit_failure M = CF_AUDIT_FAIL_MALFORMED;
	const json_t *list = json_is_object(doc) ?
	                     json_object_get(doc, "events") : NULL;
	if (!json_is_array(list))
		return fail(error, CF_ERR_CRYPTO, M, from, "the events answer "
		            "has no \"events\" array");
	size_t n = json_array_size(list);
	if (count > CF_AUDIT_PAGE_MAX || UINT64_MAX - from < count)
		return fail(error, CF_ERR_INVALID, CF_AUDIT_FAIL_NONE, 0,
		            "at most %d events per page", CF_AUDIT_PAGE_MAX);
	if (n > count)
		return fail(error, CF_ERR_CRYPTO, M, from, "the server returned "
		            "%zu events for %" PRIu64 " asked", n, count);
	if (n == 0) {
		*ret_events = NULL;
		*ret_count = 0;
		return CF_OK;
	}
	struct cf_audit_event *ev = calloc(n, sizeof *ev);
	if (!ev)
		return fail(error, CF_ERR_NOMEM, CF_AUDIT_FAIL_NONE, 0,
		            "out of memory");
	uint64_t next = from;
	cf_err err = CF_OK;
	for (size_t i = 0; i < n && !err; i++) {
		const json_t *item = json_array_get(list, i);
		const json_t *text = json_object_get(item, "event");
		uint64_t index = 0;
		if (!json_is_object(item) ||
		    !cf_answer_u64(json_object_get(item, "index"), &index)) {
			err = fail(error, CF_ERR_CRYPTO, M, next, "events[%zu] "
			           "has no whole number \"index\"", i);
			break;
		}
		if (index < next || index - from >= count) {
			err = fail(error, CF_ERR_CRYPTO, M, next, "events[%zu] "
			           "has index %" PRIu64 ", outside [%" PRIu64
			           ", %" PRIu64 ") or not increasing", i, index,
			           next, from + count);
			break;
		}
		size_t tlen = json_is_string(text) ? json_string_length(text) : 0;
		/* base64url of at most EVENT_BYTES_MAX bytes. */
		if (tlen == 0 || tlen > (CF_AUDIT_EVENT_BYTES_MAX + 2) / 3 * 4) {
			err = fail(error, CF_ERR_CRYPTO, M, index, "event %" PRIu64
			           ": \"event\" is %s", index, tlen ?
			           "longer than the limit" : "not a non-empty "
			           "string");
			break;
		}
		size_t cap = tlen / 4 * 3 + 3;
		ev[i].data = malloc(cap);
		if (!ev[i].data) {
			err = fail(error, CF_ERR_NOMEM, CF_AUDIT_FAIL_NONE, 0,
			           "out of memory");
			break;
		}
		ev[i].index = index;
		if (cf_b64url_decode(ev[i].data, cap, &ev[i].len,
		                     json_string_value(text), tlen) != CF_OK ||
		    ev[i].len == 0 || ev[i].len > CF_AUDIT_EVENT_BYTES_MAX) {
			err = fail(error, CF_ERR_CRYPTO, M, index, "event %" PRIu64
			           ": \"event\" is not strict base64url of 1 to "
			           "%d bytes", index, CF_AUDIT_EVENT_BYTES_MAX);
			break;
		}
		next = index + 1;
	}
	if (err) {
		cf_audit_events_free(ev, n);
		return err;
	}
	*ret_events = ev;
	*ret_count = n;
	return CF_OK;
}

cf_err cf_audit_check_event(const struct cf_audit_checkpoint *checkpoint,
                            uint64_t index, const unsigned char *data,
                            size_t len,
                            const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                            size_t proof_len, struct cf_audit_error *error)
{
	error_clear(error);
	char prefix[40];
	int plen = snprintf(prefix, sizeof prefix, "{\"seq\":%" PRIu64 ",",
	                    index);
	if (plen < 0 || !data || len < (size_t)plen ||
	    memcmp(data, prefix, (size_t)plen) != 0)
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_EVENT, index,
		            "event %" PRIu64 " does not start with %s: the "
		            "server gave another event at this index", index,
		            prefix);
	uint8_t leaf[CF_AUDIT_HASH_BYTES];
	cf_merkle_leaf_hash(leaf, data, len);
	if (cf_merkle_verify_inclusion(leaf, index, checkpoint->size, proof,
	                               proof_len, checkpoint->root) != CF_OK) {
		char r[HEX_ROOT];
		hex_root(r, checkpoint->root);
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_EVENT, index,
		            "event %" PRIu64 ": its inclusion proof does not "
		            "verify against the checkpoint (size %" PRIu64
		            ", root %s): the event was altered or the log "
		            "forked", index, checkpoint->size, r);
	}
	return CF_OK;
}

cf_err cf_audit_check_key_registration(
	const struct cf_audit_checkpoint *checkpoint, const json_t *registration,
	const unsigned char *key, size_t key_len, struct cf_audit_error *error)
{
	error_clear(error);
	const enum cf_audit_failure M = CF_AUDIT_FAIL_MALFORMED;
	const json_t *reg = registration;
	uint64_t index = 0;
	if (!checkpoint || !json_is_object(reg) ||
	    !cf_answer_u64(json_object_get(reg, "index"), &index))
		return fail(error, CF_ERR_CRYPTO, M, 0, "the key registration "
		            "has no whole number \"index\"");
	const json_t *kh = json_object_get(reg, "key_hash");
	const json_t *lh = json_object_get(reg, "leaf_hash");
	uint8_t got[CF_AUDIT_HASH_BYTES], want[CF_AUDIT_HASH_BYTES];
	uint8_t leaf[CF_AUDIT_HASH_BYTES];
	size_t llen = 0;
	if (!json_is_string(kh) || json_string_length(kh) != 64 ||
	    cf_hex_decode(got, sizeof got, json_string_value(kh), 64) != CF_OK)
		return fail(error, CF_ERR_CRYPTO, M, index, "registration %"
		            PRIu64 ": \"key_hash\" is not 64 hex digits", index);
	if (!json_is_string(lh) ||
	    cf_b64url_decode(leaf, sizeof leaf, &llen, json_string_value(lh),
	                     json_string_length(lh)) != CF_OK ||
	    llen != sizeof leaf)
		return fail(error, CF_ERR_CRYPTO, M, index, "registration %"
		            PRIu64 ": \"leaf_hash\" is not a 32-byte hash in "
		            "base64url", index);
	/* The proof list, checked as an inclusion answer's. */
	json_t *doc = json_pack("{s:I, s:I, s:O?}", "index", (json_int_t)index,
	                        "size", (json_int_t)checkpoint->size, "proof",
	                        json_object_get(reg, "proof"));
	if (!doc)
		return fail(error, CF_ERR_NOMEM, CF_AUDIT_FAIL_NONE, index,
		            "out of memory");
	uint8_t proof[CF_AUDIT_PROOF_MAX][CF_AUDIT_HASH_BYTES];
	size_t plen = 0;
	cf_err err = cf_audit_parse_proof(doc, "index", index, "size",
	                                  checkpoint->size, proof, &plen, error);
	json_decref(doc);
	if (err)
		return err;
	cf_sha256(want, key, key_len);
	if (sodium_memcmp(got, want, sizeof got) != 0)
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_EVENT, index,
		            "registration %" PRIu64 " is of another key: the "
		            "server handed out a key its log does not hold",
		            index);
	if (cf_merkle_verify_inclusion(leaf, index, checkpoint->size,
	                               (const uint8_t (*)[CF_AUDIT_HASH_BYTES])proof,
	                               plen, checkpoint->root) != CF_OK) {
		char r[HEX_ROOT];
		hex_root(r, checkpoint->root);
		return fail(error, CF_ERR_CRYPTO, CF_AUDIT_FAIL_EVENT, index,
		            "registration %" PRIu64 ": its inclusion proof does "
		            "not verify against the checkpoint (size %" PRIu64
		            ", root %s)", index, checkpoint->size, r);
	}
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* Network                                                                   */

/* GET /v1/audit/checkpoint: the note text, at most CF_CHECKPOINT_MAX. */
static cf_err fetch_note(cf_client *c, char *out, size_t *ret_len,
                         struct cf_audit_error *e)
{
	const struct cf_http_request req = {
		.method = "GET",
		.path = "/v1/audit/checkpoint",
		.accept = "text/plain, application/problem+json",
		.max_body = CF_CHECKPOINT_MAX,
	};
	CF_AUTO_RESPONSE *r = NULL;
	cf_err err = cf_client_request(c, &req, &r);
	if (err == CF_ERR_TOO_LARGE)
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_SIGNATURE, 0,
		            "the server's checkpoint is longer than %d bytes: "
		            "not a checkpoint", CF_CHECKPOINT_MAX);
	if (err)
		return pass_on(e, err, cf_client_last_error(c));
	if (r->status < 200 || r->status >= 300) {
		char msg[CF_ERRMSG_MAX];
		cf_problem_message(msg, sizeof msg, r->status, r->content_type,
		                   r->body, r->body_len);
		return fail(e, cf_http_status_error(r->status),
		            CF_AUDIT_FAIL_NONE, 0, "cannot get the checkpoint: %s",
		            msg);
	}
	if (!cf_media_type_is(r->content_type, "text/plain")) {
		char ct[64];
		cf_text_sanitize(ct, sizeof ct, r->content_type,
		                 strlen(r->content_type));
		return fail(e, CF_ERR_PROTOCOL, CF_AUDIT_FAIL_NONE, 0,
		            "server answered %ld with %s, not a text/plain "
		            "checkpoint: is %s a coffred server?", r->status,
		            ct[0] ? ct : "no content type",
		            cf_client_server_url(c));
	}
	memcpy(out, r->body, r->body_len);
	out[r->body_len] = '\0';
	*ret_len = r->body_len;
	return CF_OK;
}

static cf_err get_json(cf_client *c, const char *path, const char *bearer,
                       size_t cap, json_t **ret, struct cf_audit_error *e)
{
	const struct cf_http_request req = {
		.method = "GET",
		.path = path,
		.bearer = bearer,
		.accept = "application/json, application/problem+json",
		.max_body = cap,
	};
	cf_err err = cf_client_call_json(c, &req, ret, NULL);
	if (err)
		return pass_on(e, err, cf_client_last_error(c));
	return CF_OK;
}

static cf_err fetch_consistency(cf_client *c,
                                const struct cf_audit_checkpoint *older,
                                const struct cf_audit_checkpoint *newer,
                                struct cf_audit_error *e)
{
	if (older->size == 0)
		return cf_audit_check_consistency(older, newer, NULL, 0, e);
	char path[128];
	cf_msg_format(path, sizeof path, "/v1/audit/proof/consistency?from=%"
	              PRIu64 "&to=%" PRIu64, older->size, newer->size);
	CF_AUTO_JSON *doc = NULL;
	cf_err err = get_json(c, path, NULL, PROOF_BODY_MAX, &doc, e);
	if (err) {
		char why[CF_ERRMSG_MAX];
		memcpy(why, e->text, sizeof why);
		return fail(e, err, CF_AUDIT_FAIL_NONE, 0, "cannot get the "
		            "consistency proof from size %" PRIu64 " to %" PRIu64
		            ": %s", older->size, newer->size, why);
	}
	uint8_t proof[CF_AUDIT_PROOF_MAX][CF_AUDIT_HASH_BYTES];
	size_t len = 0;
	err = cf_audit_parse_proof(doc, "from", older->size, "to", newer->size,
	                           proof, &len, e);
	if (err) {
		char why[CF_ERRMSG_MAX];
		memcpy(why, e->text, sizeof why);
		return fail(e, err, CF_AUDIT_FAIL_FORK, 0, "fork: no valid "
		            "consistency proof from the remembered checkpoint "
		            "(size %" PRIu64 ") to size %" PRIu64 ": %s",
		            older->size, newer->size, why);
	}
	return cf_audit_check_consistency(older, newer,
	                                  CF_MERKLE_CONST_PROOF(proof), len, e);
}

cf_err cf_audit_refresh(cf_client *client, const char *key,
                        struct cf_audit_state *ret,
                        struct cf_audit_error *error)
{
	struct cf_audit_error scratch;
	struct cf_audit_error *e = error ? error : &scratch;
	error_clear(e);
	cf_profile *p = NULL;
	cf_err err = cf_client_profile(client, &p);
	if (err)
		return pass_on(e, err, cf_client_last_error(client));

	/* Which key, and whether the profile's remembered checkpoint is
	 * this key's to read and replace. */
	struct cf_note_verifier v, pinned;
	bool have_pinned = false;
	err = pinned_read(p, &pinned, e);
	if (err == CF_OK)
		have_pinned = true;
	else if (err != CF_ERR_NOT_FOUND || !key)
		return err;
	error_clear(e);
	if (key) {
		err = key_parse(key, &v, e);
		if (err)
			return err;
	} else {
		v = pinned;
	}
	bool owns = !have_pinned || same_key(&pinned, &v);

	struct cf_checkpoint remembered;
	bool found = false;
	if (owns) {
		err = remembered_read(p, &v, &found, &remembered, e);
		if (err)
			return err;
	}

	char note[CF_CHECKPOINT_MAX + 1];
	size_t note_len = 0;
	err = fetch_note(client, note, &note_len, e);
	if (err)
		return err;
	struct cf_audit_state st;
	memset(&st, 0, sizeof st);
	err = note_verify(&v, note, note_len, &st.checkpoint, e);
	if (err)
		return err;
	if (!owns) {
		st.outcome = CF_AUDIT_NOT_REMEMBERED;
		*ret = st;
		return CF_OK;
	}

	st.had_previous = found;
	if (found)
		to_public(&st.previous, &remembered);
	const struct cf_audit_checkpoint *old = found ? &st.previous : NULL;
	const struct cf_audit_checkpoint *cur = &st.checkpoint;
	char o[HEX_ROOT] = "", n[HEX_ROOT];
	if (old)
		hex_root(o, old->root);
	hex_root(n, cur->root);
	bool store = false;
	switch (cf_audit_decide(old, cur)) {
	case CF_AUDIT_DECIDE_FIRST_USE:
		st.outcome = CF_AUDIT_FIRST_USE;
		store = true;
		break;
	case CF_AUDIT_DECIDE_SAME:
		st.outcome = CF_AUDIT_UNCHANGED;
		break;
	case CF_AUDIT_DECIDE_ROLLBACK:
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_ROLLBACK, 0,
		            "the server's log rolled back: its checkpoint has "
		            "size %" PRIu64 " (root %s), but a checkpoint of "
		            "size %" PRIu64 " (root %s) was verified before; "
		            "the remembered checkpoint is kept", cur->size, n,
		            old->size, o);
	case CF_AUDIT_DECIDE_FORK:
		return fail(e, CF_ERR_CRYPTO, CF_AUDIT_FAIL_FORK, 0,
		            "fork: the server's checkpoint of size %" PRIu64
		            " has root %s, but the remembered checkpoint of the "
		            "same size has root %s; the remembered checkpoint "
		            "is kept", cur->size, n, o);
	case CF_AUDIT_DECIDE_NEED_PROOF:
		err = fetch_consistency(client, old, cur, e);
		if (err) {
			if (e->failure != CF_AUDIT_FAIL_NONE) {
				char why[CF_ERRMSG_MAX];
				memcpy(why, e->text, sizeof why);
				return fail(e, err, e->failure, 0, "%s; the "
				            "remembered checkpoint is kept", why);
			}
			return err;
		}
		st.outcome = CF_AUDIT_CONSISTENT;
		store = true;
		break;
	}
	if (store) {
		err = cf_profile_write(p, CF_AUDIT_CHECKPOINT_FILE, note,
		                       note_len);
		if (err)
			return pass_on(e, err, cf_profile_last_error(p));
	}
	*ret = st;
	return CF_OK;
}

/* One event: its inclusion proof at the checkpoint size, then the check. */
static cf_err verify_one(cf_client *c, const char *bearer,
                         const struct cf_audit_checkpoint *cp,
                         const struct cf_audit_event *ev,
                         struct cf_audit_error *e)
{
	char path[128];
	cf_msg_format(path, sizeof path, "/v1/audit/proof/inclusion?index=%"
	              PRIu64 "&size=%" PRIu64, ev->index, cp->size);
	CF_AUTO_JSON *doc = NULL;
	cf_err err = get_json(c, path, bearer, PROOF_BODY_MAX, &doc, e);
	if (err) {
		char why[CF_ERRMSG_MAX];
		memcpy(why, e->text, sizeof why);
		return fail(e, err, CF_AUDIT_FAIL_NONE, ev->index, "event %"
		            PRIu64 ": cannot get its inclusion proof: %s",
		            ev->index, why);
	}
	uint8_t proof[CF_AUDIT_PROOF_MAX][CF_AUDIT_HASH_BYTES];
	size_t len = 0;
	err = cf_audit_parse_proof(doc, "index", ev->index, "size", cp->size,
	                           proof, &len, e);
	if (err) {
		char why[CF_ERRMSG_MAX];
		memcpy(why, e->text, sizeof why);
		return fail(e, err, e->failure, ev->index, "event %" PRIu64
		            ": bad inclusion proof: %s", ev->index, why);
	}
	return cf_audit_check_event(cp, ev->index, ev->data, ev->len,
	                            CF_MERKLE_CONST_PROOF(proof), len, e);
}

struct events_page {
	struct cf_audit_event *ev;
	size_t n;
};

static void events_pagep(struct events_page *p)
{
	cf_audit_events_free(p->ev, p->n);
	p->ev = NULL;
	p->n = 0;
}

cf_err cf_audit_verify_events(cf_client *client, const char *bearer,
                              const struct cf_audit_checkpoint *checkpoint,
                              uint64_t from, uint64_t count,
                              struct cf_audit_range_report *ret,
                              struct cf_audit_error *error)
{
	struct cf_audit_error scratch;
	struct cf_audit_error *e = error ? error : &scratch;
	error_clear(e);
	if (!checkpoint || count == 0 || count > CF_AUDIT_VERIFY_MAX ||
	    UINT64_MAX - from < count)
		return fail(e, CF_ERR_INVALID, CF_AUDIT_FAIL_NONE, 0,
		            "the range must hold 1 to %d events",
		            CF_AUDIT_VERIFY_MAX);
	struct cf_audit_range_report rep = { .from = from, .count = count };
	uint64_t end = from + count;
	uint64_t covered_end = end < checkpoint->size ? end : checkpoint->size;
	if (end > checkpoint->size)
		rep.not_covered = end - (from > checkpoint->size ?
		                         from : checkpoint->size);

	/* count <= CF_AUDIT_VERIFY_MAX: at most 100 pages of PAGE_MAX. */
	for (uint64_t page = from; page < covered_end;) {
		uint64_t n = covered_end - page;
		if (n > CF_AUDIT_PAGE_MAX)
			n = CF_AUDIT_PAGE_MAX;
		char path[128];
		cf_msg_format(path, sizeof path, "/v1/audit/events?from=%"
		              PRIu64 "&count=%" PRIu64, page, n);
		json_t *doc = NULL;
		cf_err err = get_json(client, path, bearer, EVENTS_BODY_MAX,
		                      &doc, e);
		if (err)
			return err;
		CF_CLEANUP(events_pagep) struct events_page pg =
			{ 0 };
		err = cf_audit_parse_events(doc, page, n, &pg.ev, &pg.n, e);
		json_decref(doc);
		if (err)
			return err;
		uint64_t next = page;
		for (size_t i = 0; i < pg.n; i++) {
			if (pg.ev[i].index > next) {
				if (rep.withheld == 0)
					rep.first_withheld = next;
				rep.withheld += pg.ev[i].index - next;
			}
			err = verify_one(client, bearer, checkpoint, &pg.ev[i],
			                 e);
			if (err)
				return err;
			rep.verified++;
			next = pg.ev[i].index + 1;
		}
		if (page + n > next) {
			if (rep.withheld == 0)
				rep.first_withheld = next;
			rep.withheld += page + n - next;
		}
		page += n;
	}
	*ret = rep;
	return CF_OK;
}
