#include "audit/event.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "util/encoding.h"

size_t cf_audit_event_prefix(char *out, size_t cap, uint64_t seq)
{
	int n = snprintf(out, cap, "{\"seq\":%llu,", (unsigned long long)seq);
	return n < 0 ? 0 : (size_t)n;
}

static void rfc3339(char *out, size_t cap, uint64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char date[24];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%.19s.%03uZ", date, (unsigned)(ms % 1000));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

cf_err cf_audit_event_encode(char *out, size_t cap, size_t *ret_len, uint64_t seq,
                             uint64_t time_ms, const struct cf_audit_fields *f)
{
	char when[32];
	rfc3339(when, sizeof(when), time_ms);
	json_t *o = json_object();
	if (!o)
		return CF_ERR_NOMEM;
	/* Insertion order is the serialised order (JSON_PRESERVE_ORDER). */
	int bad = json_object_set_new(o, "seq", json_integer((json_int_t)seq)) |
		json_object_set_new(o, "time", json_string(when)) |
		json_object_set_new(o, "actor", str_or_null(f->actor)) |
		json_object_set_new(o, "device", str_or_null(f->device)) |
		json_object_set_new(o, "tenant", str_or_null(f->tenant)) |
		json_object_set_new(o, "action", str_or_null(f->action)) |
		json_object_set_new(o, "resource", str_or_null(f->resource)) |
		json_object_set_new(o, "outcome", json_integer((json_int_t)f->outcome)) |
		json_object_set_new(o, "request_id", str_or_null(f->request_id)) |
		json_object_set_new(o, "ip_hash", str_or_null(f->ip_hash));
	if (f->entity_op)
		bad |= json_object_set_new(o, "op", json_string(f->entity_op)) |
		       json_object_set_new(o, "version", json_integer((json_int_t)f->entity_version)) |
		       json_object_set_new(o, "state_hash", str_or_null(f->state_hash));
	if (f->key_hash)
		bad |= json_object_set_new(o, "key_hash", json_string(f->key_hash));
	if (bad) {
		json_decref(o);
		return CF_ERR_INVALID; /* a field was not valid UTF-8 */
	}
	size_t n = json_dumpb(o, out, cap, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (n == 0 || n > cap)
		return CF_ERR_TOO_LARGE;
	*ret_len = n;
	return CF_OK;
}

cf_err cf_audit_ip_day_key_new(uint8_t out[32])
{
	return cf_random_bytes(out, 32);
}

void cf_audit_ip_hash(char *out, size_t cap, const uint8_t day_key[32], const char *ip)
{
	uint8_t mac[32];
	cf_hmac_sha256(mac, day_key, 32, (const uint8_t *)ip, strlen(ip));
	cf_b64url_encode(out, cap, mac, 16);
}
