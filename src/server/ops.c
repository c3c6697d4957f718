/* Liveness, readiness and what a client needs to know about this server. */
#include <jansson.h>

#include "server/handlers.h"

void cf_h_healthz(struct cf_request *req)
{
	cf_reply_json_take(&req->reply, 200,
	                   json_pack("{s:s, s:s}", "status", "ok", "version", COFFRE_VERSION));
}

void cf_h_readyz(struct cf_request *req)
{
	if (cf_store_ping(req->srv->store) != CF_OK) {
		req->reply.retry_after = 5;
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the store does not answer");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s}", "status", "ready"));
}

void cf_h_server_info(struct cf_request *req)
{
	const struct cf_config *cfg = &req->srv->cfg;
	cf_reply_json_take(&req->reply, 200, json_pack(
		"{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}}",
		"name", "coffred", "version", COFFRE_VERSION, "api", "v1", "suite", "coffre-v1",
		"limits", "json_body", (json_int_t)cfg->json_body_max,
		"headers", (json_int_t)cfg->header_max, "blob", (json_int_t)cfg->blob_max_bytes));
}
