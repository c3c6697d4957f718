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
#include "util/cleanup.h"
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

/* --- typed documents (docs.c) -------------------------------------------- */

/* A user (document kind "user"), typed. Text members point into doc, which
 * the struct holds; NULL when absent. To change a user: set members (to any
 * text alive until the next call), then cf_user_update re-encodes them into a
 * new doc and points the members into it. */
struct cf_user {
	json_t *doc;                        /* owned reference */
	const char *id, *org, *email, *role, *unit, *status, *phone, *mfa;
	const char *auth_hash, *recovery_hash, *pin_hash;  /* Argon2id verifiers */
	const char *salt, *bundle, *recovery_bundle;        /* base64url */
	const char *sign_pk, *enc_pk;                       /* base64url */
	const char *totp, *totp_pending;    /* sealed TOTP secrets (base64url) */
	int64_t t_cost, m_cost_kib, created_ms, session_epoch;
};

/* Takes doc (a reference) into ret; CF_ERR_STORE, with doc dropped and ret
 * untouched, when it is not a user document (no id or org). */
cf_err cf_user_decode(json_t *doc, struct cf_user *ret);
/* A new document of u's members (new reference), or NULL. */
json_t *cf_user_encode(const struct cf_user *u);
/* Re-encodes u's members into u->doc. */
cf_err cf_user_update(struct cf_user *u);
cf_err cf_user_load(cf_store *st, cf_tx *tx, const char *id, struct cf_user *ret,
                    uint64_t *ret_version);
/* Drops the document; the members become NULL. Accepts a cleared struct. */
void cf_user_clear(struct cf_user *u);

/* A device (document kind "device"), typed like cf_user. */
struct cf_device {
	json_t *doc;
	const char *id, *user, *org;
	const char *sign_pk;                /* base64url of the device's Ed25519 key */
	const char *status;                 /* "approved", "pending" or "wiped" */
	const char *cert_sha256;            /* hex, or NULL without a certificate */
	int64_t created_ms, cert_issued_ms;
};

cf_err cf_device_decode(json_t *doc, struct cf_device *ret);
json_t *cf_device_encode(const struct cf_device *d);
cf_err cf_device_update(struct cf_device *d);
cf_err cf_device_load(cf_store *st, cf_tx *tx, const char *id, struct cf_device *ret,
                      uint64_t *ret_version);
void cf_device_clear(struct cf_device *d);

/* An invitation (document kind "invitation"), typed like cf_user. */
struct cf_invitation {
	json_t *doc;
	const char *id, *org, *unit, *role;
	const char *email;                  /* normalised (lower case) */
	const char *user_id;                /* the id the invited user will get */
	const char *salt;                   /* base64url: the user's Argon2id salt */
	const char *created_by;
	int64_t t_cost, m_cost_kib, expires_ms;
	bool used;
};

cf_err cf_invitation_decode(json_t *doc, struct cf_invitation *ret);
json_t *cf_invitation_encode(const struct cf_invitation *inv);
cf_err cf_invitation_update(struct cf_invitation *inv);
cf_err cf_invitation_load(cf_store *st, cf_tx *tx, const char *id, struct cf_invitation *ret,
                          uint64_t *ret_version);
void cf_invitation_clear(struct cf_invitation *inv);

/* A delegation (document kind "delegation"), typed like cf_user. */
struct cf_delegation {
	json_t *doc;
	const char *id, *org;
	const char *from, *to;              /* the professional, the secretary */
	const char *scope;
	bool revoked;
	int64_t created_ms;
};

cf_err cf_delegation_decode(json_t *doc, struct cf_delegation *ret);
json_t *cf_delegation_encode(const struct cf_delegation *d);
cf_err cf_delegation_update(struct cf_delegation *d);
cf_err cf_delegation_load(cf_store *st, cf_tx *tx, const char *id, struct cf_delegation *ret,
                          uint64_t *ret_version);
void cf_delegation_clear(struct cf_delegation *d);

/* A pending login (ephemeral kind "pending", keyed by its id), typed. */
struct cf_pending {
	json_t *doc;
	const char *user;
	const char *method;                 /* "email", "sms" or "totp" */
	const char *code_mac;               /* hex HMAC of the code; "" for TOTP */
	const char *device_pk;              /* base64url of the device's key */
	const char *nonce;                  /* base64url, 32 bytes: signed by the device */
	int64_t expires_ms, tries;
	int64_t sends;                      /* codes sent again (second-factor/send) */
};

cf_err cf_pending_decode(json_t *doc, struct cf_pending *ret);
json_t *cf_pending_encode(const struct cf_pending *p);
cf_err cf_pending_load(cf_store *st, cf_tx *tx, const char *id, struct cf_pending *ret);
cf_err cf_pending_save(cf_tx *tx, const char *id, const struct cf_pending *p);
void cf_pending_clear(struct cf_pending *p);

/* Typed documents dropped (and a user's wiped) when they go out of scope;
 * the clear functions take the struct's address, as cleanup attributes do. */
#define CF_AUTO_USER CF_CLEANUP(cf_user_clear) struct cf_user
#define CF_AUTO_DEVICE CF_CLEANUP(cf_device_clear) struct cf_device
#define CF_AUTO_INVITATION CF_CLEANUP(cf_invitation_clear) struct cf_invitation
#define CF_AUTO_DELEGATION CF_CLEANUP(cf_delegation_clear) struct cf_delegation
#define CF_AUTO_PENDING CF_CLEANUP(cf_pending_clear) struct cf_pending

/* --- users (login.c) ------------------------------------------------------ */

cf_err cf_user_by_email(cf_store *st, cf_tx *tx, const char *email, struct cf_user *ret,
                        uint64_t *ret_version);
/* An Argon2id verifier matching nothing: unknown accounts cost the same time. */
const char *cf_dummy_pwhash(void);
/* A user's TOTP secret (20 bytes) from its sealed form (user.totp or
 * user.totp_pending), sealed at rest with the server secret and the user id. */
cf_err cf_totp_secret_open(const struct cf_server *srv, const char *user_id, const char *sealed,
                           uint8_t out[20]);

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
bool cf_identity_allowed_on_device(struct cf_request *req, const char *action,
                                   const struct cf_device *dev);

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
void cf_h_recover_verify(struct cf_request *req);
void cf_h_recover(struct cf_request *req);
void cf_h_delegation_create(struct cf_request *req);
void cf_h_delegation_list(struct cf_request *req);
void cf_h_delegation_revoke(struct cf_request *req);

extern const struct cf_spec cf_spec_enrol_begin, cf_spec_enrol, cf_spec_login,
	cf_spec_second_factor, cf_spec_second_factor_send, cf_spec_unlock, cf_spec_invite,
	cf_spec_org, cf_spec_unit, cf_spec_role, cf_spec_apikey, cf_spec_totp_confirm, cf_spec_pin,
	cf_spec_phone, cf_spec_recovery_code, cf_spec_password, cf_spec_recover_begin,
	cf_spec_recover_verify, cf_spec_recover, cf_spec_totp_disable,
	cf_spec_delegation, cf_spec_device_certificate;

#endif
