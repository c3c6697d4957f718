/* Entity versions and key registrations: the one mechanism every sensitive
 * entity uses. Called from a write function (inside the batch transaction),
 * each stores its row and appends an audit event in the same transaction, so
 * a change and its record commit or fail together. */
#ifndef CF_AUDIT_VERSIONS_H
#define CF_AUDIT_VERSIONS_H

#include <stddef.h>
#include <stdint.h>
#include "audit/auditlog.h"

/* A new version of entity/id: version = last + 1, op "create" | "update" |
 * "delete", state = the canonical bytes of the new state (only its SHA-256 is
 * kept). base gives the actor, tenant, request id of the event. */
cf_err cf_entity_version_record(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                                const char *entity, const char *id, const char *op,
                                const uint8_t *state, size_t state_len, uint64_t *ret_version);

/* A public identity key of kind ("user-sign", "user-enc", "unit", "device",
 * "escrow") for owner: an audit event carrying SHA-256(pk), indexed so that a
 * client can ask for the event and its inclusion proof (key transparency). */
cf_err cf_key_register(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                       const char *kind, const char *owner, const uint8_t *pk, size_t pk_len,
                       uint64_t *ret_seq);

/* The log's own signing key pk, registered once (kind "audit", owner
 * "server"), so a key change is in the log too. Called by setup right after
 * cf_auditlog_open (the log does not register itself: it sits below this
 * module). CF_OK when already registered. */
cf_err cf_key_register_audit_log(cf_auditlog *log, cf_store *st, const uint8_t pk[32]);

#endif
