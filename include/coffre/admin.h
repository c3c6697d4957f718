/* libcoffre: organisation administration — invitations, organisations,
 * units, roles, delegations, devices, device certificates, API keys,
 * sessions (admin.c). */
#ifndef COFFRE_ADMIN_H
#define COFFRE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffre/devcert.h"
#include "coffre/identity.h"

/* --- organisation (admins) ----------------------------------------------- */

/* Each returns the server's JSON answer in *ret (new reference; optional
 * where marked: NULL when not wanted; a 204 gives JSON null). Ids are
 * checked (32 lowercase hex) before they go into a path. org_id NULL: the
 * session's organisation. */

/* POST /v1/invitations {email, role, org_id, unit_id?}. */
cf_err cf_admin_invite(cf_client *client, const char *email, const char *role,
                       const char *org_id, const char *unit_id, json_t **ret,
                       struct cf_id_problem *problem);
/* POST /v1/orgs {name, device_approval}; GET /v1/orgs. */
cf_err cf_admin_org_create(cf_client *client, const char *name,
                           bool device_approval, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_admin_orgs_list(cf_client *client, json_t **ret,
                          struct cf_id_problem *problem);
/* POST /v1/orgs/{id}/units {name, enc_pk}: generates the unit's X25519 key
 * pair, sends the public key, and keeps the secret key only wrapped
 * (coffre-v1 HPKE wrap, aad = unit id) to the session user's encryption key,
 * in the profile file "unit-<unit id>.wrap" and in the answer as
 * "enc_sk_wrap" (b64). */
cf_err cf_admin_unit_create(cf_client *client, const char *org_id,
                            const char *name, json_t **ret,
                            struct cf_id_problem *problem);
/* GET /v1/orgs/{id}/units; GET /v1/orgs/{id}/users. */
cf_err cf_admin_units_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_admin_users_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem);
/* PUT /v1/users/{id}/role {role, unit_id?}. */
cf_err cf_admin_role_set(cf_client *client, const char *user_id,
                         const char *role, const char *unit_id, json_t **ret,
                         struct cf_id_problem *problem);
/* POST /v1/delegations {to_user, scope}; GET; DELETE /v1/delegations/{id}. */
cf_err cf_delegation_create(cf_client *client, const char *to_user,
                            const char *scope, json_t **ret,
                            struct cf_id_problem *problem);
cf_err cf_delegations_list(cf_client *client, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_delegation_delete(cf_client *client, const char *id,
                            struct cf_id_problem *problem);
/* GET /v1/devices; POST /v1/devices/{id}/approve; …/wipe (ret optional). */
cf_err cf_devices_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem);
cf_err cf_device_approve(cf_client *client, const char *id, json_t **ret,
                         struct cf_id_problem *problem);
cf_err cf_device_wipe(cf_client *client, const char *id, json_t **ret,
                      struct cf_id_problem *problem);
/* POST /v1/devices/{session device}/certificate {csr} with a new key
 * (cf_devcert_csr), then cf_devcert_store. Issuing again replaces the
 * certificate on record: the old one stops working at once. Under
 * tls.client_cert = required a device that has a certificate renews
 * through the main listener, presenting the current one (automatic). */
struct cf_device_cert_result {
	char device_id[CF_ID_HEX_LEN + 1];
	bool renewed;                /* the profile held a certificate before */
	struct cf_devcert_info info;
};
cf_err cf_device_certificate(cf_client *client,
                             struct cf_device_cert_result *ret,
                             struct cf_id_problem *problem);
/* POST /v1/api-keys {scopes, allow, label}: scopes are sent joined by ' '
 * ("audit.read versions.read"), networks by ", " (CIDRs), so no item may
 * hold a blank or a comma; at most 64 scopes, 32 networks, a label of 64
 * characters. The answer holds the key, shown once (wipe it:
 * cf_json_wipe_decref). GET /v1/api-keys; DELETE /v1/api-keys/{id}. */
cf_err cf_apikey_create(cf_client *client, const char *const *scopes,
                        size_t n_scopes, const char *const *allow,
                        size_t n_allow, const char *label, json_t **ret,
                        struct cf_id_problem *problem);
cf_err cf_apikeys_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem);
cf_err cf_apikey_revoke(cf_client *client, const char *id,
                        struct cf_id_problem *problem);
/* POST /v1/users/{id}/sessions/revoke. */
cf_err cf_sessions_revoke(cf_client *client, const char *user_id,
                          struct cf_id_problem *problem);

#endif
