#include "audit/export.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "crypto/merkle.h"
#include "util/encoding.h"

/* Private enterprise number reserved for documentation (RFC 5612); an
 * operator with their own may substitute it in the SD-ID. */
#define SD_ID "coffre@32473"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : NULL;
}

/* BALP action codes: C/R/U/D from the entity operation or the action's
 * kind; E (execute) for everything else. */
static const char *fhir_action(json_t *ev)
{
	const char *op = str(ev, "op");
	if (op)
		return strcmp(op, "create") == 0 ? "C" : strcmp(op, "update") == 0 ? "U" : "D";
	const char *a = str(ev, "action");
	static const char *const reads[] = { "server.info", "audit.checkpoint", "audit.events",
	                                     "audit.proof.inclusion", "audit.proof.consistency",
	                                     "audit.export", "versions.list" };
	for (size_t i = 0; a && i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strcmp(a, reads[i]) == 0)
			return "R";
	return "E";
}

/* FHIR outcome: 0 success, 4 minor failure (refused request), 8 serious failure. */
static const char *fhir_outcome(json_int_t status)
{
	return status < 400 ? "0" : status < 500 ? "4" : "8";
}

static json_t *identifier(const char *system, const char *value)
{
	return json_pack("{s:{s:s, s:s}}", "identifier", "system", system, "value", value);
}

cf_err cf_export_fhir(const uint8_t *event, size_t len, const char *origin, json_t **ret)
{
	json_error_t jerr;
	json_t *ev = json_loadb((const char *)event, len, 0, &jerr);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return CF_ERR_INVALID;
	}
	json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
	json_int_t status = json_integer_value(json_object_get(ev, "outcome"));
	const char *action = str(ev, "action") ? str(ev, "action") : "unknown";
	char id[32], outcome_desc[32], log_ref[200], leaf_b64[64];
	snprintf(id, sizeof(id), "%lld", (long long)seq);
	snprintf(outcome_desc, sizeof(outcome_desc), "HTTP %lld", (long long)status);
	snprintf(log_ref, sizeof(log_ref), "%s#%lld", origin, (long long)seq);
	uint8_t leaf[32];
	cf_merkle_leaf_hash(leaf, event, len);
	sodium_bin2base64(leaf_b64, sizeof(leaf_b64), leaf, 32, sodium_base64_VARIANT_ORIGINAL);

	json_t *who = str(ev, "actor") ? identifier("urn:coffre:actor", str(ev, "actor")) :
	                                 json_pack("{s:s}", "display", "anonymous");
	/* the requesting agent: BALP's DICOM "110153 Source Role ID" */
	json_t *agent = json_pack("{s:{s:[{s:s, s:s, s:s}]}, s:o, s:b}",
		"type", "coding", "system", "http://dicom.nema.org/resources/ontology/DCM",
		"code", "110153", "display", "Source Role ID", "who", who, "requestor", 1);
	if (agent) {
		if (str(ev, "ip_hash"))
			json_object_set_new(agent, "altId", json_string(str(ev, "ip_hash")));
		if (str(ev, "device"))
			json_object_set_new(agent, "location", json_pack("{s:s}", "display", str(ev, "device")));
	}
	json_t *entities = json_array();
	if (str(ev, "resource"))
		json_array_append_new(entities, json_pack("{s:o, s:{s:s, s:s, s:s}}",
			"what", identifier("urn:coffre:resource", str(ev, "resource")),
			"type", "system", "http://terminology.hl7.org/CodeSystem/audit-entity-type",
			"code", "2", "display", "System Object"));
	if (str(ev, "request_id"))
		json_array_append_new(entities, json_pack("{s:o, s:{s:s, s:s, s:s}}",
			"what", identifier("urn:coffre:request", str(ev, "request_id")),
			"type", "system", "http://terminology.hl7.org/CodeSystem/audit-entity-type",
			"code", "4", "display", "Other"));
	json_array_append_new(entities, json_pack("{s:o, s:[{s:s, s:s}]}",
		"what", identifier("urn:coffre:audit-log", log_ref),
		"detail", "type", "merkle-leaf-sha256", "valueBase64Binary", leaf_b64));

	json_t *ae = json_pack("{s:s, s:s, s:{s:[s]}, s:{s:s, s:s, s:s}, s:[{s:s, s:s}], s:s, s:s, "
	                       "s:s, s:s, s:[o], s:{s:s, s:{s:s}, s:[{s:s, s:s, s:s}]}, s:o}",
		"resourceType", "AuditEvent",
		"id", id,
		"meta", "profile", "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit",
		"type", "system", "http://terminology.hl7.org/CodeSystem/audit-event-type",
		"code", "rest", "display", "RESTful Operation",
		"subtype", "system", "urn:coffre:action", "code", action,
		"action", fhir_action(ev),
		"recorded", str(ev, "time") ? str(ev, "time") : "",
		"outcome", fhir_outcome(status),
		"outcomeDesc", outcome_desc,
		"agent", agent,
		"source", "site", origin, "observer", "display", "coffred",
		"type", "system", "http://terminology.hl7.org/CodeSystem/security-source-type",
		"code", "4", "display", "Application Server",
		"entity", entities);
	json_decref(ev);
	if (!ae)
		return CF_ERR_NOMEM;
	*ret = ae;
	return CF_OK;
}

/* SD-PARAM values escape '"', '\' and ']' (RFC 5424 6.3.3). */
static size_t sd_escape(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; s && *s && o + 3 < cap; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
	return o;
}

cf_err cf_export_syslog(const uint8_t *event, size_t len, const char *origin, char *out,
                        size_t cap, size_t *ret_len)
{
	json_error_t jerr;
	json_t *ev = json_loadb((const char *)event, len, 0, &jerr);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return CF_ERR_INVALID;
	}
	json_int_t status = json_integer_value(json_object_get(ev, "outcome"));
	/* facility 10 (security/authorization), severity: info, warning, error */
	int pri = 10 * 8 + (status < 400 ? 6 : status < 500 ? 4 : 3);
	char host[256];
	size_t h = 0;
	for (const char *p = origin; *p && h + 1 < sizeof(host); p++)
		host[h++] = (*p > 32 && *p < 127) ? *p : '_';
	host[h] = '\0';
	char action[128], seq[32];
	sd_escape(action, sizeof(action), str(ev, "action"));
	snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(json_object_get(ev, "seq")));
	int n = snprintf(out, cap, "<%d>1 %s %s coffred - audit [" SD_ID " seq=\"%s\" outcome=\"%lld\" "
	                 "action=\"%s\"] \xEF\xBB\xBF%.*s", pri, str(ev, "time") ? str(ev, "time") : "-",
	                 h ? host : "-", seq, (long long)status, action, (int)len, (const char *)event);
	json_decref(ev);
	if (n < 0 || (size_t)n >= cap)
		return CF_ERR_TOO_LARGE;
	*ret_len = (size_t)n;
	return CF_OK;
}
