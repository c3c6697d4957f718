/* libmicrohttpd glue: the HTTPS daemon, the access handler that collects a
 * request (capped headers and body) and the response it sends. The response
 * is queued on a call after the first one, so MHD keeps the connection alive;
 * only early refusals (413 by Content-Length, 431) answer on the first call,
 * which also closes the connection, as they should. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
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
#include "server/devcert.h"
#include "server/identity/identity.h"
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

/* Answers can carry session tokens, API keys, key bundles and TOTP secrets:
 * wipe every body before it goes back to the allocator. Bodies are text,
 * NUL-terminated (cf_reply_*). */
static void wipe_body(void *body)
{
	if (body) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
}

static enum MHD_Result send_reply(struct cf_request *req)
{
	struct cf_reply *r = &req->reply;
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
		r->len, r->body, wipe_body, r->body);
	if (!resp)
		return MHD_NO; /* the body stays ours: freed with the request */
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
	/* A refused client certificate ends the connection too (mTLS). */
	if (ok && r->problem_slug && strcmp(r->problem_slug, "client-certificate") == 0)
		ok = add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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

/* MHD's message format: checked like printf's (clang -Wformat-nonliteral). */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	cf_log(CF_LOG_DEBUG, "mhd", "%s", line);
}

/* --- client certificates (mTLS, docs/internals/mtls.md) ------------------ */

/* The listener without client certificates that tls.client_cert = required
 * may add for enrolment and login (one server per process). Its connections
 * carry &bootstrap_marker as their socket context. */
static struct MHD_Daemon *bootstrap_daemon;
static char bootstrap_marker;

/* Main listener. With tls.client_cert = required: MHD made the GnuTLS
 * session (with GNUTLS_CERT_REQUEST, since a trust store is given) before it
 * tells us of the connection, and the handshake runs only afterwards, so
 * requiring the certificate and its verification here makes GnuTLS itself
 * fail the handshake without a valid certificate from the device CA. */
static void on_connection_main(void *cls, struct MHD_Connection *conn, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe)
{
	const struct cf_server *srv = cls;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED || srv->cfg.client_cert != CF_CLIENT_CERT_REQUIRED)
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		/* Cannot happen with MHD_USE_TLS; the request stage still refuses. */
		cf_log(CF_LOG_ERROR, "mtls", "no TLS session at connection start");
		return;
	}
	gnutls_session_t tls = ci->tls_session;
	gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert(tls, NULL, 0);
}

static void on_connection_bootstrap(void *cls, struct MHD_Connection *conn, void **socket_context,
                                    enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = &bootstrap_marker;
}

static bool on_bootstrap_listener(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci && ci->socket_context == &bootstrap_marker;
}

/* What the bootstrap listener serves: what comes before a device has a
 * session, and the device's certificate. */
static bool bootstrap_action(const char *action)
{
	static const char *const allowed[] = {
		"ops.healthz", "ops.readyz", "server.info", "auth.prelogin", "enrol.begin", "enrol",
		"auth.login", "auth.second_factor", "auth.second_factor.send", "auth.recover.begin",
		"auth.recover", "devices.certificate",
	};
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i], action) == 0)
			return true;
	return false;
}

static bool cert_refused(struct cf_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool cert_refused(struct cf_request *req, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	cf_reply_problem(&req->reply, 403, "client-certificate", "%s", detail);
	/* A token used without its device's certificate does not keep the
	 * session alive (a lock decided on this read is still recorded). */
	if (req->session && !cf_jbool(req->session, "locked"))
		req->session_touch = false;
	cf_log(CF_LOG_WARN, "mtls", "refused %s %s id=%s: %s", req->method, req->path, req->id_hex,
	       detail);
	return false;
}

/* The device document's status and certificate fingerprint ("" = none). */
static cf_err device_record(struct cf_request *req, const char *device, char fp[65],
                            bool *ret_wiped)
{
	json_t *dev = NULL;
	cf_err err = cf_doc_load(req->srv->store, NULL, "device", device, &dev, NULL);
	if (err)
		return err;
	const char *have = cf_jstr(dev, "cert_sha256");
	const char *status = cf_jstr(dev, "status");
	snprintf(fp, 65, "%s", have ? have : "");
	*ret_wiped = status && strcmp(status, "wiped") == 0;
	json_decref(dev);
	return CF_OK;
}

bool cf_http_client_cert_stage(struct cf_request *req)
{
	const struct cf_config *cfg = &req->srv->cfg;
	if (cfg->client_cert == CF_CLIENT_CERT_OFF || !req->conn || !req->route)
		return true;
	bool user = req->who.kind == CF_PRINCIPAL_USER;
	bool wiped = false;
	char recorded[65] = "";
	if (user) {
		cf_err err = device_record(req, req->who.device, recorded, &wiped);
		if (err) {
			cf_reply_problem(&req->reply, err == CF_ERR_STORE ? 503 : 401,
			                 err == CF_ERR_STORE ? "store-unavailable" : "unauthenticated",
			                 "the session's device cannot be checked");
			return false;
		}
	}
	if (on_bootstrap_listener(req->conn)) {
		if (!bootstrap_action(req->route->action))
			return cert_refused(req, "this listener serves only enrolment, login and device "
			                    "certificates; use the main listener with the device's certificate");
		if (recorded[0])
			return cert_refused(req, "this session's device has a client certificate; use the "
			                    "main listener with it");
		return true;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t tls = ci ? ci->tls_session : NULL;
	unsigned n = 0;
	const gnutls_datum_t *peers = tls ? gnutls_certificate_get_peers(tls, &n) : NULL;
	if (!peers || n == 0) {
		if (cfg->client_cert == CF_CLIENT_CERT_REQUIRED)
			return cert_refused(req, "a client certificate from this server's device CA is "
			                    "required");
		if (recorded[0])
			return cert_refused(req, "this session's device has a client certificate: the "
			                    "request must present it");
		return true;
	}
	unsigned status = 0;
	if (gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0)
		return cert_refused(req, "the client certificate is not valid (%s)",
		                    status & GNUTLS_CERT_EXPIRED ? "expired" :
		                    status & GNUTLS_CERT_NOT_ACTIVATED ? "not valid yet" :
		                    status & GNUTLS_CERT_SIGNER_NOT_FOUND ?
		                    "not issued by this server's device CA" : "it does not verify");
	struct cf_devca *ca = cf_devca_current();
	char cert_device[33], fp[65], why[200];
	if (!ca || cf_devca_check(ca, peers[0].data, peers[0].size, cert_device, fp, why,
	                          sizeof(why)))
		return cert_refused(req, "%s", ca ? why : "the device CA is not loaded");
	if (user && strcmp(cert_device, req->who.device) != 0)
		return cert_refused(req, "certificate of another device: this session belongs to "
		                    "device %s, the certificate to device %s", req->who.device,
		                    cert_device);
	if (!user) {
		cf_err err = device_record(req, cert_device, recorded, &wiped);
		if (err == CF_ERR_STORE) {
			cf_reply_problem(&req->reply, 503, "store-unavailable",
			                 "the certificate's device cannot be checked");
			return false;
		}
		if (err)
			return cert_refused(req, "the client certificate names an unknown device");
	}
	if (wiped)
		return cert_refused(req, "the certificate's device is wiped");
	if (strcmp(recorded, fp) != 0)
		return cert_refused(req, "the client certificate is not the device's current "
		                    "certificate (a newer one was issued, or none is on record)");
	return true;
}

/* Loads (or makes, at first start) the device CA; every mode uses it, since
 * certificates may be issued before client certificates are switched on. */
static cf_err load_device_ca(struct cf_server *srv, char *msg, size_t cap)
{
	if (cf_devca_current())
		return CF_OK;
	struct cf_devca *ca = NULL;
	bool created = false;
	cf_err err = cf_devca_ensure(srv->cfg.data_dir, &ca, &created, msg, cap);
	if (err)
		return err;
	if (created)
		cf_log(CF_LOG_INFO, "mtls", "generated the device CA in %s/tls/device-ca.pem",
		       srv->cfg.data_dir);
	cf_devca_set_current(ca);
	return CF_OK;
}

static cf_err start_bootstrap(struct cf_server *srv, const char *cert_pem, const char *key_pem,
                              unsigned flags_base, size_t mem, char *msg, size_t cap)
{
	const struct cf_config *cfg = &srv->cfg;
	char host[64];
	uint16_t port = 0;
	if (cf_parse_listen(cfg->client_cert_bootstrap_listen, host, sizeof(host), &port)) {
		snprintf(msg, cap, "bad bootstrap listen address '%s'", cfg->client_cert_bootstrap_listen);
		return CF_ERR_CONFIG;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = flags_base;
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
	bootstrap_daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, CF_TLS_PRIORITIES,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection_bootstrap, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_END);
	if (!bootstrap_daemon) {
		snprintf(msg, cap, "cannot listen on %s (tls.client_cert_bootstrap_listen: address in "
		         "use, or not allowed)", cfg->client_cert_bootstrap_listen);
		return CF_ERR_IO;
	}
	cf_log(CF_LOG_INFO, "mtls", "bootstrap listener (enrolment, login, device certificates; "
	       "no client certificates) on %s", cfg->client_cert_bootstrap_listen);
	return CF_OK;
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

	cf_err err = load_device_ca(srv, msg, cap);
	if (err)
		return err;
	/* Client certificates: a trust store makes MHD ask for one (optional);
	 * required also makes the handshake fail without a valid one
	 * (on_connection_main). */
	struct MHD_OptionItem mtls[2] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };
	if (cfg->client_cert != CF_CLIENT_CERT_OFF)
		mtls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
		                                   (void *)(uintptr_t)cf_devca_pem(cf_devca_current()) };

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
		MHD_OPTION_NOTIFY_CONNECTION, on_connection_main, srv,
		MHD_OPTION_ARRAY, mtls,
		MHD_OPTION_END);
	if (!srv->daemon) {
		snprintf(msg, cap, "cannot listen on %s (address in use, or not allowed)", cfg->listen);
		return CF_ERR_IO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : port;
	if (cfg->client_cert == CF_CLIENT_CERT_REQUIRED && cfg->client_cert_bootstrap_listen[0])
		return start_bootstrap(srv, cert_pem, key_pem, flags & ~(unsigned)MHD_USE_IPv6, mem,
		                       msg, cap);
	return CF_OK;
}

void cf_http_quiesce(struct cf_server *srv)
{
	if (srv->daemon)
		MHD_quiesce_daemon(srv->daemon);
	if (bootstrap_daemon)
		MHD_quiesce_daemon(bootstrap_daemon);
}

void cf_http_stop(struct cf_server *srv)
{
	if (bootstrap_daemon) {
		MHD_stop_daemon(bootstrap_daemon);
		bootstrap_daemon = NULL;
	}
	if (srv->daemon) {
		MHD_stop_daemon(srv->daemon);
		srv->daemon = NULL;
	}
	/* No handler runs any more: the device CA can go. */
	struct cf_devca *ca = cf_devca_current();
	cf_devca_set_current(NULL);
	cf_devca_free(ca);
}
