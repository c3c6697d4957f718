/* libFuzzer target: audit event encoding (audit/event.h). The fields carry
 * request bytes (resource path, action, ids, address hash), so the encoder
 * faces the network. Input: 8 bytes seq, 8 bytes time, 2 bytes outcome, a
 * flags byte, then up to nine NUL-separated field texts.
 * Invariants: no crash; an encoded event starts with
 * cf_audit_event_prefix(seq) (a verifier checks the order without parsing),
 * is one line of valid JSON whose fields read back the same, and fits the
 * cap; failure is CF_ERR_INVALID (not UTF-8) or CF_ERR_TOO_LARGE only. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t take_u64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *n > 0; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

static void same(const json_t *doc, const char *name, const char *want)
{
	const json_t *v = json_object_get(doc, name);
	if (want ? !json_is_string(v) || strcmp(json_string_value(v), want) != 0 : !json_is_null(v))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 19 || size > 8192)
		return 0;
	/* Sequence numbers are SQLite rowids (< 2^63); times are the server's
	 * clock, bounded to year 9999 so gmtime_r cannot fail. */
	uint64_t seq = take_u64(&data, &size) & INT64_MAX;
	uint64_t time_ms = take_u64(&data, &size) % 253402300800000ull;
	unsigned outcome = (unsigned)data[0] << 8 | data[1];
	uint8_t flags = data[2];
	data += 3;
	size -= 3;

	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	const char *parts[9] = { 0 };
	char *p = text;
	for (int i = 0; i < 9 && p <= text + size; i++) {
		if (flags & (1u << (i % 8)))
			parts[i] = p;
		p += strlen(p) + 1;
	}
	struct cf_audit_fields f = {
		.actor = parts[0], .device = parts[1], .tenant = parts[2],
		.action = parts[3] ? parts[3] : "fuzz.action", .resource = parts[4],
		.outcome = outcome, .request_id = parts[5], .ip_hash = parts[6],
		.entity_op = parts[7], .entity_version = seq ^ time_ms,
		.state_hash = parts[8], .key_hash = parts[8],
	};

	static char out[CF_AUDIT_EVENT_MAX];
	size_t len = 0;
	cf_err err = cf_audit_event_encode(out, sizeof(out), &len, seq, time_ms, &f);
	if (err == CF_OK) {
		char prefix[40];
		size_t plen = cf_audit_event_prefix(prefix, sizeof(prefix), seq);
		if (len == 0 || len > sizeof(out) || len < plen || memcmp(out, prefix, plen) != 0 ||
		    memchr(out, '\n', len))
			abort();
		json_t *doc = json_loadb(out, len, JSON_REJECT_DUPLICATES, NULL);
		if (!doc)
			abort();
		same(doc, "actor", f.actor);
		same(doc, "resource", f.resource);
		same(doc, "action", f.action);
		same(doc, "ip_hash", f.ip_hash);
		if (json_integer_value(json_object_get(doc, "outcome")) != (json_int_t)outcome)
			abort();
		json_decref(doc);
	} else if (err != CF_ERR_INVALID && err != CF_ERR_TOO_LARGE) {
		abort();
	}
	free(text);
	return 0;
}
