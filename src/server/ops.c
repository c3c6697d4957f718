/* Liveness, readiness and what a client needs to know about this server. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "server/handlers.h"
#include "util/log.h"

/* Why audited requests cannot succeed, most fundamental first. */
enum ready_state {
	READY = 0,
	NOT_READY_LOG_INCONSISTENT,  /* refused at start: fail closed until repaired */
	NOT_READY_STORE,             /* the store does not answer */
	NOT_READY_AUDIT,             /* the last events could not be stored */
	NOT_READY_DISK,              /* free space below store.min_free_bytes */
};

struct readiness {
	enum ready_state state;
	enum cf_problem problem;     /* its problem type */
	char why[400];               /* for the problem detail and the log */
};

/* Free bytes for an unprivileged writer on the file system of the store. */
static bool store_free_bytes(const struct cf_config *cfg, uint64_t *ret)
{
	char dir[CF_CONFIG_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", cfg->sqlite_path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	struct statvfs vfs;
	if (statvfs(dir, &vfs) != 0)
		return false;
	*ret = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	return true;
}

/* A size for the log: bytes below 1 GiB, MiB above (a long digit run would
 * be taken for a NIR by the log scrubber). */
static void format_size(char *out, size_t cap, uint64_t bytes)
{
	if (bytes < (UINT64_C(1) << 30))
		snprintf(out, cap, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(out, cap, "%llu MiB", (unsigned long long)(bytes >> 20));
}

/* probe: when the audit log is failing, try to store one event first, so
 * that a log that can write again is seen as ready (nothing else would
 * send it an event while a load balancer keeps requests away). */
static void assess(struct cf_server *srv, bool probe, struct readiness *r)
{
	char why[256];
	uint64_t free_bytes = 0;
	r->state = READY;
	r->problem = CF_P_INTERNAL;
	r->why[0] = '\0';
	if (cf_auditlog_inconsistent(srv->audit, why, sizeof(why))) {
		r->state = NOT_READY_LOG_INCONSISTENT;
		r->problem = CF_P_AUDIT_LOG_INCONSISTENT;
		snprintf(r->why, sizeof(r->why), "the audit log is inconsistent: %s; every /v1 request "
		         "is refused until it is repaired", why);
	} else if (cf_store_ping(srv->store) != CF_OK) {
		r->state = NOT_READY_STORE;
		r->problem = CF_P_STORE_UNAVAILABLE;
		snprintf(r->why, sizeof(r->why), "the store does not answer");
	} else if (cf_auditlog_failing(srv->audit) &&
	           (!probe || cf_auditlog_probe(srv->audit) != CF_OK)) {
		r->state = NOT_READY_AUDIT;
		r->problem = CF_P_AUDIT_UNAVAILABLE;
		snprintf(r->why, sizeof(r->why), "the audit log cannot store events (%s), so audited "
		         "requests fail", cf_strerror((cf_err)atomic_load(&srv->audit_err)));
	} else if (srv->cfg.store_min_free_bytes &&
	           store_free_bytes(&srv->cfg, &free_bytes) &&
	           free_bytes < srv->cfg.store_min_free_bytes) {
		char have[32], floor[32];
		format_size(have, sizeof(have), free_bytes);
		format_size(floor, sizeof(floor), srv->cfg.store_min_free_bytes);
		r->state = NOT_READY_DISK;
		r->problem = CF_P_DISK_SPACE_LOW;
		snprintf(r->why, sizeof(r->why), "%s free for the store, below store.min_free_bytes "
		         "(%s)", have, floor);
	}
}

/* Logs when the state changes (whoever sees the change first). */
static void note_state(struct cf_server *srv, const struct readiness *r)
{
	unsigned old = atomic_exchange(&srv->ready_state, (unsigned)r->state);
	if (old == (unsigned)r->state)
		return;
	if (r->state == NOT_READY_LOG_INCONSISTENT)
		cf_log(CF_LOG_ERROR, "ready", "not ready: %s (`coffred audit verify` checks it all)",
		       r->why);
	else if (r->state != READY)
		cf_log(CF_LOG_WARN, "ready", "not ready: %s", r->why);
	else /* at warn level too, so that it ends the warning it answers */
		cf_log(CF_LOG_WARN, "ready", "ready again: audited requests can be recorded");
}

void cf_ready_update(struct cf_server *srv)
{
	struct readiness r;
	assess(srv, false, &r);
	note_state(srv, &r);
}

void cf_ready_on_audit_state(void *arg, cf_err result)
{
	struct cf_server *srv = arg;
	if (result)
		atomic_store(&srv->audit_err, (int)result);
	cf_ready_update(srv);
}

void cf_h_healthz(struct cf_request *req)
{
	cf_reply_json_take(&req->reply, 200,
	                   json_pack("{s:s, s:s}", "status", "ok", "version", COFFRE_VERSION));
}

void cf_h_readyz(struct cf_request *req)
{
	struct readiness r;
	assess(req->srv, true, &r);
	note_state(req->srv, &r);
	if (r.state != READY) {
		if (r.state != NOT_READY_LOG_INCONSISTENT)
			req->reply.retry_after = 5;
		cf_reply_problem(&req->reply, r.problem, "%s", r.why);
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
