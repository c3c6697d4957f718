/* Handlers by resource. Each does its resource's work and nothing else: the
 * pipeline has already routed, limited, authenticated, authorised and checked
 * the body; the audit event is written after it returns. */
#ifndef CF_SERVER_HANDLERS_H
#define CF_SERVER_HANDLERS_H

#include "server/jsonspec.h"
#include "server/request.h"

/* ops.c */
void cf_h_healthz(struct cf_request *req);
void cf_h_readyz(struct cf_request *req);
void cf_h_server_info(struct cf_request *req);
/* metrics.c */
void cf_h_metrics(struct cf_request *req);

/* auth_prelogin.c */
void cf_h_auth_prelogin(struct cf_request *req);
extern const struct cf_spec cf_spec_auth_prelogin;

/* audit_api.c */
void cf_h_audit_checkpoint(struct cf_request *req);
void cf_h_audit_consistency(struct cf_request *req);
void cf_h_audit_inclusion(struct cf_request *req);
void cf_h_audit_events(struct cf_request *req);
void cf_h_audit_export(struct cf_request *req);

/* keys_api.c */
void cf_h_key_log(struct cf_request *req);

/* versions_api.c */
void cf_h_versions_list(struct cf_request *req);

/* debug.c (test environment only) */
void cf_h_debug_problem(struct cf_request *req);

#endif
