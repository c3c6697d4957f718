/* GET /v1/versions?entity=E[&id=ID][&limit=N]: the version history of
 * sensitive entities (for admins and auditors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/handlers.h"
#include "util/encoding.h"

#define VERSIONS_MAX 1000

static const char *const entities[] = { "api_key", "user", "role", "delegation", "device",
                                        "unit", "record", "thread_member" };

static cf_err add_version(void *ctx, const struct cf_entity_version *v)
{
	char hash[65];
	cf_hex_encode(hash, sizeof(hash), v->state_hash, 32);
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s?, s:I, s:s, s:I}", "entity", v->entity,
	                      "id", v->id, "version", (json_int_t)v->version, "op", v->op,
	                      "actor", v->actor[0] ? v->actor : NULL, "time_ms",
	                      (json_int_t)v->time_ms, "state_hash", hash, "audit_index",
	                      (json_int_t)v->audit_seq);
	return o && !json_array_append_new(ctx, o) ? CF_OK : CF_ERR_NOMEM;
}

void cf_h_versions_list(struct cf_request *req)
{
	const char *entity = cf_request_arg(req, "entity");
	const char *id = cf_request_arg(req, "id");
	const char *limit_s = cf_request_arg(req, "limit");
	bool known = false;
	for (size_t i = 0; entity && i < sizeof(entities) / sizeof(entities[0]); i++)
		known |= strcmp(entities[i], entity) == 0;
	if (!known) {
		cf_reply_problem(&req->reply, CF_P_BAD_QUERY,
		                 "entity must be one of api_key, user, role, delegation, device, unit, "
		                 "record, thread_member");
		return;
	}
	uint8_t raw[16];
	if (id && cf_hex_decode(raw, sizeof(raw), id, strlen(id))) {
		cf_reply_problem(&req->reply, CF_P_BAD_QUERY, "id must be 32 hex characters");
		return;
	}
	unsigned long limit = VERSIONS_MAX;
	if (limit_s) {
		char *end = NULL;
		limit = strtoul(limit_s, &end, 10);
		if (*end || limit_s[0] < '0' || limit_s[0] > '9' || limit == 0 || limit > VERSIONS_MAX) {
			cf_reply_problem(&req->reply, CF_P_BAD_QUERY, "limit must be 1 to %d", VERSIONS_MAX);
			return;
		}
	}
	json_t *list = json_array();
	cf_store *st = req->srv->store;
	if (!list || st->ops->versions(st, entity, id, limit, add_version, list)) {
		json_decref(list);
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "versions cannot be read now");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:o}", "versions", list));
}
