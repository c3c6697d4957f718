/* libmicrohttpd glue: the HTTPS daemon, the access handler that collects a
 * request (capped headers and body) and the response it sends. The response
 * is queued on a call after the first one, so MHD keeps the connection alive;
 * only early refusals (413 by Content-Length, 431) answer on the first call,
 * which also closes the connection, as they should. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "server/pipeline.h"
#include "server/request.h"
#include "server/router.h"
#include "server/tls.h"
#include "util/encoding.h"
#include "util/log.h"

uint64_t cf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cf_server_ip_hash(struct cf_server *srv, const char *ip, char out[24])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t day = cf_now_ms() / 86400000;
	uint8_t key[32];
	pthread_mutex_lock(&lock);
	if (!srv->ip_day_valid || srv->ip_day != day) {
		cf_audit_ip_day_key(srv->ip_day_key, srv->secret, CF_SERVER_SECRET_BYTES, day);
		srv->ip_day = day;
		srv->ip_day_valid = true;
	}
	memcpy(key, srv->ip_day_key, 32);
	pthread_mutex_unlock(&lock);
	cf_audit_ip_hash(out, 24, key, ip);
	sodium_memzero(key, sizeof(key));
}

uint64_t cf_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *cf_request_arg(const struct cf_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *cf_request_header(const struct cf_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, cap, "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)cap);
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

static struct cf_request *request_new(struct cf_server *srv, struct MHD_Connection *conn,
                                      const char *url, const char *method)
{
	struct cf_request *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->method = method;
	req->path = url;
	req->start_mono_ms = cf_mono_ms();
	cf_random_id(req->id);
	cf_hex_encode(req->id_hex, sizeof(req->id_hex), req->id, sizeof(req->id));
	client_ip(conn, req->ip, sizeof(req->ip));
	cf_route_match(req, srv->cfg.debug_problem_routes);
	atomic_fetch_add(&srv->requests, 1);
	return req;
}

static void request_free(struct cf_request *req)
{
	if (!req)
		return;
	json_decref(req->json);
	json_decref(req->session);
	free(req->body);
	if (req->ctx_free)
		req->ctx_free(req->ctx);
	cf_reply_clear(&req->reply);
	free(req);
}

static bool add_header(struct MHD_Response *resp, const char *k, const char *v)
{
	return MHD_add_response_header(resp, k, v) == MHD_YES;
}

static enum MHD_Result send_reply(struct cf_request *req)
{
	struct cf_reply *r = &req->reply;
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body,
	                                                            MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	r->body = NULL; /* MHD owns it now */
	bool ok = add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                     r->content_type ? r->content_type : "application/json") &&
	          add_header(resp, "X-Request-Id", req->id_hex) &&
	          add_header(resp, "Cache-Control", "no-store") &&
	          add_header(resp, "X-Content-Type-Options", "nosniff") &&
	          add_header(resp, "Strict-Transport-Security", "max-age=31536000") &&
	          add_header(resp, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'") &&
	          add_header(resp, "Referrer-Policy", "no-referrer");
	if (ok && r->allow && r->allow[0])
		ok = add_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (ok && r->retry_after) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u", r->retry_after);
		ok = add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, buf);
	}
	enum MHD_Result res = ok ? MHD_queue_response(req->conn, r->status, resp) : MHD_NO;
	MHD_destroy_response(resp);
	return res;
}

static size_t body_limit(const struct cf_request *req)
{
	return (size_t)req->srv->cfg.json_body_max;
}

/* Refusals decided from the headers alone, before any body is read. */
static bool early_checks(struct cf_request *req)
{
	const struct cf_config *cfg = &req->srv->cfg;
	size_t hdr = strlen(req->method) + strlen(req->path) + 12;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &hdr);
	if (hdr > cfg->header_max) {
		cf_reply_problem(&req->reply, 431, "headers-too-large",
		                 "request headers are %zu bytes; the limit is %llu", hdr,
		                 (unsigned long long)cfg->header_max);
		return false;
	}
	const char *cl = cf_request_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && *end == '\0' && n > body_limit(req)) {
			cf_reply_problem(&req->reply, 413, "body-too-large",
			                 "the request body is %llu bytes; the limit is %zu", n,
			                 body_limit(req));
			return false;
		}
	}
	return true;
}

static void take_upload(struct cf_request *req, const char *data, size_t len)
{
	if (req->body_overflow)
		return;
	size_t limit = body_limit(req);
	if (len > limit - req->body_len) {
		req->body_overflow = true;
		free(req->body);
		req->body = NULL;
		req->body_len = 0;
		cf_reply_problem(&req->reply, 413, "body-too-large",
		                 "the request body exceeds the limit of %zu bytes", limit);
		return;
	}
	if (req->body_len + len > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 4096;
		while (cap < req->body_len + len)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		uint8_t *nb = realloc(req->body, cap + 1);
		if (!nb) {
			req->body_overflow = true;
			cf_reply_problem(&req->reply, 503, "overloaded", "out of memory for the body");
			return;
		}
		req->body = nb;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
}

/* The audit event could not be stored: nothing of the request happened. */
static void audit_failed(struct cf_request *req)
{
	req->reply.retry_after = 5;
	cf_reply_problem(&req->reply, 503, "audit-unavailable",
	                 "the audit log cannot record this request, so it was not carried out");
}

static void on_audited(struct cf_audit_item *item, cf_err result, uint64_t seq)
{
	struct cf_request *req = item->done_arg;
	if (result)
		audit_failed(req);
	req->audited = true;
	MHD_resume_connection(req->conn);
}

static bool audited_route(const struct cf_request *req)
{
	return !req->route || !(req->route->flags & CF_ROUTE_OPS);
}

/* Early refusals answer on the first call, so their event is written
 * synchronously (a rare path). */
static enum MHD_Result answer_now(struct cf_request *req)
{
	if (audited_route(req) && cf_auditlog_append_sync(req->srv->audit, &req->audit, NULL))
		audit_failed(req);
	req->audited = true;
	return send_reply(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
	struct cf_server *srv = cls;
	struct cf_request *req = *req_cls;

	if (!req) {
		req = request_new(srv, conn, url, method);
		if (!req)
			return MHD_NO;
		*req_cls = req;
		if (!early_checks(req)) {
			req->processed = true;
			cf_pipeline_run(req); /* records the refusal like any other outcome */
			return answer_now(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		take_upload(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!req->processed) {
		req->processed = true;
		cf_pipeline_run(req);
		if (audited_route(req)) {
			/* Answer once the event is durable: park the connection; the
			 * committer resumes it (on_audited) and MHD calls us again. */
			req->audit.done = on_audited;
			req->audit.done_arg = req;
			MHD_suspend_connection(conn);
			if (cf_auditlog_submit(srv->audit, &req->audit) == CF_OK)
				return MHD_YES;
			MHD_resume_connection(conn);
			audit_failed(req);
		}
		req->audited = true;
	}
	return send_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct cf_request *req = *req_cls;
	if (!req)
		return;
	if (req->route == NULL || !(req->route->flags & CF_ROUTE_OPS)) {
		cf_log(CF_LOG_INFO, "http", "%s %s %u %llums id=%s%s", req->method, req->path,
		       req->reply.status, (unsigned long long)(cf_mono_ms() - req->start_mono_ms),
		       req->id_hex, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	request_free(req);
	*req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	cf_log(CF_LOG_DEBUG, "mhd", "%s", line);
}

cf_err cf_http_start(struct cf_server *srv, const char *cert_pem, const char *key_pem,
                     char *msg, size_t cap)
{
	const struct cf_config *cfg = &srv->cfg;
	char host[64];
	uint16_t port = 0;
	if (cf_parse_listen(cfg->listen, host, sizeof(host), &port)) {
		snprintf(msg, cap, "bad listen address '%s'", cfg->listen);
		return CF_ERR_CONFIG;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &a6->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		inet_pton(AF_INET, host, &a4->sin_addr);
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads ? (unsigned)cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	/* Room for headers up to the configured cap plus MHD's own bookkeeping, so
	 * that the 431 problem body comes from us, not from MHD. */
	size_t mem = (size_t)cfg->header_max * 2 + 32 * 1024;

	srv->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, CF_TLS_PRIORITIES,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_END);
	if (!srv->daemon) {
		snprintf(msg, cap, "cannot listen on %s (address in use, or not allowed)", cfg->listen);
		return CF_ERR_IO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : port;
	return CF_OK;
}

void cf_http_quiesce(struct cf_server *srv)
{
	if (srv->daemon)
		MHD_quiesce_daemon(srv->daemon);
}

void cf_http_stop(struct cf_server *srv)
{
	if (srv->daemon) {
		MHD_stop_daemon(srv->daemon);
		srv->daemon = NULL;
	}
}
