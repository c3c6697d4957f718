/* Audit events: one JSON line per request (or per entity version, or per key
 * registration), serialised once and stored as those exact bytes. Ids only:
 * no names, e-mail addresses, phone numbers or content; the client address is
 * a keyed hash whose key changes every day. */
#ifndef CF_AUDIT_EVENT_H
#define CF_AUDIT_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"

#define CF_AUDIT_EVENT_MAX 2048
#define CF_AUDIT_IP_HASH_LEN 22   /* 16 bytes, base64url */

struct cf_audit_fields {
	const char *actor;       /* user/api-key id (hex) or NULL */
	const char *device;      /* device id (hex) or NULL */
	const char *tenant;      /* organisation id (hex) or NULL */
	const char *action;      /* route action, e.g. "auth.prelogin" */
	const char *resource;    /* path with ids only, or NULL */
	unsigned outcome;        /* HTTP status of the answer */
	const char *request_id;  /* hex, or NULL for events without a request */
	const char *ip_hash;     /* or NULL */
	/* entity versions and key registrations only (else NULL / 0) */
	const char *entity_op;   /* "create" | "update" | "delete" */
	uint64_t entity_version;
	const char *state_hash;  /* hex SHA-256 of the new state */
	const char *key_hash;    /* hex SHA-256 of a registered public key */
};

/* Serialises the event with its sequence number and time (RFC 3339, ms, UTC)
 * as one compact JSON object that starts with {"seq":N, so a verifier can
 * check the order without parsing. */
cf_err cf_audit_event_encode(char *out, size_t cap, size_t *ret_len, uint64_t seq,
                             uint64_t time_ms, const struct cf_audit_fields *f);

/* The prefix every event with sequence number seq starts with. */
size_t cf_audit_event_prefix(char *out, size_t cap, uint64_t seq);

/* A new daily key for client-address hashes: 32 random bytes, derived from
 * nothing, so neither the server secret nor a backup of it reverses a hash;
 * the caller stores it for the day and destroys it after the retention of
 * technical data (server/pipeline.c, store.h ip_day_key). */
cf_err cf_audit_ip_day_key_new(uint8_t out[32]);
/* base64url(HMAC(day_key, ip)[:16]) into out (cap >= 23). */
void cf_audit_ip_hash(char *out, size_t cap, const uint8_t day_key[32], const char *ip);

#endif
