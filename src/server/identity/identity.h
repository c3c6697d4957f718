/* Identity: organisations, units, users, invitations, devices, second
 * factors (DESIGN §3, §5; docs/api/identity.md). Sessions and brute-force
 * counters, which decide who is asking, are in server/auth/.
 * State is kept as versioned JSON documents (store doc_*): every change is a
 * new version and an entity-version audit event in the same transaction. */
#ifndef CF_SERVER_IDENTITY_H
#define CF_SERVER_IDENTITY_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/auditlog.h"
#include "audit/versions.h"
#include "server/auth/attempts.h"
#include "server/auth/session.h"
#include "server/jsonspec.h"
#include "server/request.h"
#include "util/clock.h"

/* --- documents (docs.c) -------------------------------------------------- */

/* The newest version of kind/id as a JSON object (new reference). */
cf_err cf_doc_load(cf_store *st, cf_tx *tx, const char *kind, const char *id, json_t **ret,
                   uint64_t *ret_version);
/* Stores doc as version `version` (newest + 1) and records the entity
 * version (op create/update/delete) in the audit log, in atx. */
cf_err cf_doc_save(struct cf_audit_tx *atx, const struct cf_audit_fields *base, const char *kind,
                   const char *id, const char *org, uint64_t version, json_t *doc, const char *op);
cf_err cf_eph_load(cf_store *st, cf_tx *tx, const char *kind, const char *key, json_t **ret);
cf_err cf_eph_save(cf_tx *tx, const char *kind, const char *key, json_t *doc, uint64_t expires_ms);

const char *cf_jstr(const json_t *o, const char *key);          /* NULL when absent */
json_int_t cf_jint(const json_t *o, const char *key);
bool cf_jbool(const json_t *o, const char *key);
json_t *cf_jb64(const uint8_t *data, size_t len);                /* new string */
/* Decodes a base64url member of exactly want bytes (want 0: any up to cap). */
cf_err cf_jget_b64(const json_t *o, const char *key, uint8_t *out, size_t cap, size_t want,
                   size_t *ret_len);
void cf_sha256_hex(char out[65], const void *data, size_t len);
void cf_new_id_hex(char out[33]);
/* Lower-cases an e-mail address into out (cap >= 255). */
void cf_email_normalise(char *out, size_t cap, const char *email);

/* --- users (login.c) ------------------------------------------------------ */

cf_err cf_user_by_email(cf_store *st, cf_tx *tx, const char *email, json_t **ret,
                        uint64_t *ret_version);
/* An Argon2id verifier matching nothing: unknown accounts cost the same time. */
const char *cf_dummy_pwhash(void);
/* The user's TOTP secret (20 bytes), sealed at rest with the server secret. */
cf_err cf_totp_secret_open(const struct cf_server *srv, const json_t *user, uint8_t out[20]);

/* --- invitations (invite.c) ----------------------------------------------- */

/* In a write: a new invitation; the code text (for the e-mail, or printed by
 * `coffred init`) goes to code_out, never to the store or the log. */
cf_err cf_invitation_create(struct cf_audit_tx *atx, const struct cf_audit_fields *base,
                            const char *org, const char *unit, const char *role,
                            const char *email, const char *created_by, uint64_t ttl_ms,
                            char *code_out, size_t code_cap, char id_out[33]);

/* --- policy on a target (admin.c) ----------------------------------------- */

/* May the caller do action on a target of this organisation, unit and owner?
 * Answers the refusal itself (403, or 404 for another tenant's resource). */
bool cf_identity_allowed(struct cf_request *req, const char *action, const char *org,
                         const char *unit, const char *owner);
/* The same for a device document (its owner's unit is looked up). */
bool cf_identity_allowed_on_device(struct cf_request *req, const char *action, const json_t *dev);

/* --- handlers ------------------------------------------------------------ */

void cf_h_enrol_begin(struct cf_request *req);
void cf_h_enrol(struct cf_request *req);
void cf_h_login(struct cf_request *req);
void cf_h_second_factor(struct cf_request *req);
void cf_h_second_factor_send(struct cf_request *req);
void cf_h_unlock(struct cf_request *req);
void cf_h_logout(struct cf_request *req);
void cf_h_me(struct cf_request *req);
void cf_h_invite(struct cf_request *req);
void cf_h_org_create(struct cf_request *req);
void cf_h_org_list(struct cf_request *req);
void cf_h_unit_create(struct cf_request *req);
void cf_h_unit_list(struct cf_request *req);
void cf_h_user_list(struct cf_request *req);
void cf_h_user_role(struct cf_request *req);
void cf_h_user_keys(struct cf_request *req);
void cf_h_user_sessions_revoke(struct cf_request *req);
void cf_h_device_list(struct cf_request *req);
void cf_h_device_approve(struct cf_request *req);
void cf_h_device_wipe(struct cf_request *req);
void cf_h_device_certificate(struct cf_request *req); /* devcert_api.c */
void cf_h_apikey_create(struct cf_request *req);
void cf_h_apikey_list(struct cf_request *req);
void cf_h_apikey_revoke(struct cf_request *req);
void cf_h_totp_begin(struct cf_request *req);
void cf_h_totp_confirm(struct cf_request *req);
void cf_h_totp_disable(struct cf_request *req);
void cf_h_pin(struct cf_request *req);
void cf_h_phone(struct cf_request *req);
void cf_h_recovery_code(struct cf_request *req);
void cf_h_password(struct cf_request *req);
void cf_h_password_salt(struct cf_request *req);
void cf_h_recover_begin(struct cf_request *req);
void cf_h_recover(struct cf_request *req);
void cf_h_delegation_create(struct cf_request *req);
void cf_h_delegation_list(struct cf_request *req);
void cf_h_delegation_revoke(struct cf_request *req);

extern const struct cf_spec cf_spec_enrol_begin, cf_spec_enrol, cf_spec_login,
	cf_spec_second_factor, cf_spec_second_factor_send, cf_spec_unlock, cf_spec_invite,
	cf_spec_org, cf_spec_unit, cf_spec_role, cf_spec_apikey, cf_spec_totp_confirm, cf_spec_pin,
	cf_spec_phone, cf_spec_recovery_code, cf_spec_password, cf_spec_recover_begin, cf_spec_recover,
	cf_spec_delegation, cf_spec_device_certificate;

#endif
