/* Brute-force limits: separate counters for passwords, second-factor codes and
 * PINs (one shared counter would let a guesser of one, or a griefer, use up
 * the others), each per account and per client address. Failures bring a
 * growing delay (429 with Retry-After), then a temporary lockout, which raises
 * an alert: a log line and an audit event. */
#include "server/auth/attempts.h"

#include <stdio.h>
#include <string.h>

#include "server/identity/identity.h"
#include "util/log.h"

#define WINDOW_MS (60 * 60 * 1000)         /* failures older than this are forgotten */
#define LOCK_MS (15 * 60 * 1000)

struct limits {
	unsigned delay_from;   /* failures before delays start */
	unsigned lock_at;      /* failures that lock */
};

/* Per account as configured; per address three times as many, since one
 * address may be a whole clinic behind NAT. */
static struct limits account_limits(const struct cf_request *req)
{
	struct limits l = { (unsigned)req->srv->cfg.attempts_delay_after,
	                    (unsigned)req->srv->cfg.attempts_lock_after };
	return l;
}

static struct limits address_limits(const struct cf_request *req)
{
	struct limits l = account_limits(req);
	l.delay_from *= 3;
	l.lock_at *= 3;
	return l;
}

static const char *kind_name(enum cf_attempt_kind k)
{
	return k == CF_ATT_PASSWORD ? "password" : k == CF_ATT_CODE ? "code" : "pin";
}

static void make_key(char *out, size_t cap, enum cf_attempt_kind k, const char *scope,
                     const char *who)
{
	snprintf(out, cap, "%s:%s:%s", kind_name(k), scope, who);
}

/* Seconds to wait before the next attempt is allowed; 0 when allowed. */
static unsigned wait_s(json_t *doc, const struct limits *lim, uint64_t now)
{
	if (!doc)
		return 0;
	uint64_t locked = (uint64_t)cf_jint(doc, "locked_until_ms");
	if (locked > now)
		return (unsigned)((locked - now + 999) / 1000);
	unsigned failures = (unsigned)cf_jint(doc, "failures");
	if (failures < lim->delay_from)
		return 0;
	unsigned shift = failures - lim->delay_from;
	uint64_t delay_ms = (uint64_t)1000 << (shift > 10 ? 10 : shift);
	uint64_t last = (uint64_t)cf_jint(doc, "last_ms");
	return last + delay_ms > now ? (unsigned)((last + delay_ms - now + 999) / 1000) : 0;
}

bool cf_attempts_allowed(struct cf_request *req, enum cf_attempt_kind kind, const char *account)
{
	cf_store *st = req->srv->store;
	char k1[200], k2[200];
	make_key(k1, sizeof(k1), kind, "acct", account);
	make_key(k2, sizeof(k2), kind, "ip", req->ip_hash);
	json_t *a = NULL, *b = NULL;
	uint64_t now = cf_now_ms();
	cf_eph_load(st, NULL, "attempt", k1, &a);
	cf_eph_load(st, NULL, "attempt", k2, &b);
	struct limits la = account_limits(req), lb = address_limits(req);
	unsigned wa = wait_s(a, &la, now), wb = wait_s(b, &lb, now);
	json_decref(a);
	json_decref(b);
	unsigned w = wa > wb ? wa : wb;
	if (w == 0)
		return true;
	req->reply.retry_after = w;
	cf_reply_problem(&req->reply, CF_P_TOO_MANY_ATTEMPTS,
	                 "too many failed attempts; try again in %u s", w);
	return false;
}

static cf_err count_failure(struct cf_audit_tx *atx, struct cf_request *req, const char *key,
                            const struct limits *lim, const char *what)
{
	cf_tx *tx = atx->tx;
	uint64_t now = cf_now_ms();
	json_t *doc = NULL;
	if (cf_eph_load(tx->st, tx, "attempt", key, &doc) != CF_OK ||
	    now - (uint64_t)cf_jint(doc, "first_ms") > WINDOW_MS) {
		json_decref(doc);
		doc = json_pack("{s:i, s:I, s:I, s:I}", "failures", 0, "first_ms", (json_int_t)now,
		                "last_ms", (json_int_t)now, "locked_until_ms", (json_int_t)0);
		if (!doc)
			return CF_ERR_NOMEM;
	}
	json_int_t failures = cf_jint(doc, "failures") + 1;
	json_object_set_new(doc, "failures", json_integer(failures));
	json_object_set_new(doc, "last_ms", json_integer((json_int_t)now));
	cf_err err = CF_OK;
	if (failures == (json_int_t)lim->lock_at) {
		json_object_set_new(doc, "locked_until_ms", json_integer((json_int_t)(now + LOCK_MS)));
		cf_log(CF_LOG_WARN, "alert", "lockout: %s after %lld failed attempts (request %s)", what,
		       (long long)failures, req->id_hex);
		char resource[64];
		snprintf(resource, sizeof(resource), "attempts/%s", what);
		struct cf_audit_fields f = req->audit.fields;
		f.action = "alert.lockout";
		f.resource = resource;
		f.outcome = 429;
		f.entity_op = NULL;
		f.key_hash = NULL;
		err = cf_auditlog_append_in_tx(atx, &f, NULL);
	}
	if (!err)
		err = cf_eph_save(tx, "attempt", key, doc, now + WINDOW_MS + LOCK_MS);
	json_decref(doc);
	return err;
}

cf_err cf_attempts_record(struct cf_audit_tx *atx, struct cf_request *req,
                          enum cf_attempt_kind kind, const char *account, bool success)
{
	char k1[200], k2[200], what[48];
	make_key(k1, sizeof(k1), kind, "acct", account);
	make_key(k2, sizeof(k2), kind, "ip", req->ip_hash);
	if (success)
		return atx->tx->st->ops->eph_del(atx->tx, "attempt", k1);
	struct limits la = account_limits(req), lb = address_limits(req);
	snprintf(what, sizeof(what), "%s/account", kind_name(kind));
	cf_err err = count_failure(atx, req, k1, &la, what);
	snprintf(what, sizeof(what), "%s/address", kind_name(kind));
	if (!err)
		err = count_failure(atx, req, k2, &lb, what);
	return err;
}
