/* libmicrohttpd glue, and nothing else: the HTTPS daemons, the connection
 * and access callbacks that feed a request (request.c) to the pipeline
 * (pipeline.c) and the response they send. Nothing below calls back in here:
 * facts only the connection knows (client address, TLS session, listener)
 * are copied into the request. The response is queued on a call after the
 * first one, so MHD keeps the connection alive; only early refusals (413 by
 * Content-Length, 431) answer on the first call, which also closes the
 * connection, as they should. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conns.h"
#include "server/devcert.h"
#include "server/pipeline.h"
#include "server/request.h"
#include "server/router.h"
#include "server/tls.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
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
	/* A refused client certificate ends the connection too (mTLS), and so
	 * does a head whose framing is in doubt (the rest of the stream is). */
	if (ok && r->problem_slug && (strcmp(r->problem_slug, "client-certificate") == 0 ||
	                              strcmp(r->problem_slug, "bad-framing") == 0 ||
	                              strcmp(r->problem_slug, "bad-header") == 0))
		ok = add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result res = ok ? MHD_queue_response(req->conn, r->status, resp) : MHD_NO;
	MHD_destroy_response(resp);
	return res;
}

/* What the framing of a request head says, from every header line. */
struct framing {
	unsigned content_length, host, transfer_encoding;
	const char *te;        /* the Transfer-Encoding value */
	bool nul;              /* a NUL byte inside a name or value */
	bool bad_name;         /* a name that is not an RFC 9110 token */
};

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
	(void)kind;
	struct framing *f = cls;
	if (strlen(key) != key_size || (value && strlen(value) != value_size))
		f->nul = true;
	if (key_size == 0)
		f->bad_name = true;
	for (size_t i = 0; i < key_size; i++)
		if (!is_tchar((unsigned char)key[i]))
			f->bad_name = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		f->host++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		f->te = value;
	}
	return MHD_YES;
}

/* Heads that a proxy in front of coffred could read differently from
 * libmicrohttpd (request smuggling): refused, before anything else, and the
 * connection closed (the answer goes out on the first call). */
static bool framing_checks(struct cf_request *req, const char *version)
{
	struct framing f = { 0 };
	MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, scan_header, &f);
	const char *why = NULL;
	enum cf_problem problem = CF_P_BAD_FRAMING;
	if (f.nul) {
		why = "a header contains a NUL byte";
		problem = CF_P_BAD_HEADER;
	} else if (f.bad_name) {
		why = "a header name is not a token (RFC 9110 5.1)";
		problem = CF_P_BAD_HEADER;
	} else if (f.content_length > 1)
		why = "the request has more than one Content-Length header";
	else if (f.host > 1)
		why = "the request has more than one Host header";
	else if (f.host == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
		why = "an HTTP/1.1 request needs a Host header";
	else if (f.transfer_encoding && f.content_length)
		why = "the request has both Content-Length and Transfer-Encoding";
	else if (f.transfer_encoding > 1)
		why = "the request has more than one Transfer-Encoding header";
	else if (f.transfer_encoding && strcasecmp(f.te ? f.te : "", "chunked") != 0) {
		problem = CF_P_TRANSFER_CODING;
		why = "the only transfer coding accepted is chunked";
	}
	if (!why)
		return true;
	cf_reply_problem(&req->reply, problem, "%s", why);
	return false;
}

/* Refusals decided from the headers alone, before any body is read. */
static bool early_checks(struct cf_request *req, const char *version)
{
	if (!framing_checks(req, version))
		return false;
	const struct cf_config *cfg = &req->srv->cfg;
	size_t hdr = strlen(req->method) + strlen(req->path) + 12;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &hdr);
	if (hdr > cfg->header_max) {
		cf_reply_problem(&req->reply, CF_P_HEADERS_TOO_LARGE,
		                 "request headers are %zu bytes; the limit is %llu", hdr,
		                 (unsigned long long)cfg->header_max);
		return false;
	}
	const char *cl = cf_request_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && *end == '\0' && n > req->body_max) {
			cf_reply_problem(&req->reply, CF_P_BODY_TOO_LARGE,
			                 "the request body is %llu bytes; the limit is %zu", n,
			                 req->body_max);
			return false;
		}
	}
	return true;
}

/* The audit event could not be stored: nothing of the request happened. */
static void audit_failed(struct cf_request *req)
{
	req->reply.retry_after = 5;
	cf_reply_problem(&req->reply, CF_P_AUDIT_UNAVAILABLE,
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

/* The listener without client certificates that tls.client_cert = required
 * may add for enrolment and login (one server per process). Its connections
 * are marked in their socket context (struct cf_conn, conns.h). */
static struct MHD_Daemon *bootstrap_daemon;

/* The connection guard's record of this connection (the socket context). */
static struct cf_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* For the client-certificate stage (auth/clientcert.c): the connection's
 * GnuTLS session and whether it came through the bootstrap listener. Only
 * read when client certificates are on, so the default path does no more. */
static void note_tls(struct cf_request *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	req->tls = ci ? ci->tls_session : NULL;
	const struct cf_conn *c = conn_of(req->conn);
	req->bootstrap_listener = c && c->bootstrap;
}

/* Set as the request context by the URI log callback, as soon as MHD has
 * read a request line: a request that ends with this context never reached
 * the access handler, that is, libmicrohttpd refused it itself (bad version,
 * bad or missing headers, head too large) or the client left mid-head. */
static char mhd_only_marker;
/* The same, for a request target (as sent, before MHD decodes it) with a
 * space or a control byte: MHD_OPTION_STRICT_FOR_CLIENT = 0 lets it
 * through, so framing_checks refuses it. */
static char bad_target_marker;

static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return &bad_target_marker;
	return &mhd_only_marker;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
	struct cf_server *srv = cls;
	bool bad_target = *req_cls == &bad_target_marker;
	struct cf_request *req = *req_cls == &mhd_only_marker || bad_target ? NULL : *req_cls;

	if (!req) {
		struct cf_conn *c = conn_of(conn);
		if (c)
			cf_conns_head_done(c); /* the head is complete: no deadline now */
		req = cf_request_new(srv, conn, method, url);
		if (!req)
			return MHD_NO;
		cf_route_match(req, srv->cfg.debug_problem_routes);
		if (srv->cfg.client_cert != CF_CLIENT_CERT_OFF)
			note_tls(req);
		atomic_fetch_add(&srv->requests, 1);
		*req_cls = req;
		if (bad_target)
			cf_reply_problem(&req->reply, CF_P_BAD_FRAMING,
			                 "the request target contains a space or a control character");
		if (bad_target || !early_checks(req, version)) {
			req->processed = true;
			cf_pipeline_run(req); /* records the refusal like any other outcome */
			return answer_now(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		cf_request_take_body(req, upload_data, *upload_data_size);
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
	struct cf_server *srv = cls;
	struct cf_request *req = *req_cls;
	struct cf_conn *c = conn_of(conn);
	if (c)
		cf_conns_request_done(c); /* keep-alive wait, then the head deadline */
	bool marker = req == (void *)&mhd_only_marker || req == (void *)&bad_target_marker;
	if (marker || (req && !req->processed)) {
		/* Ended before the pipeline ran (so no audit event). The ones MHD
		 * answered itself (WITH_ERROR) are counted in mhd_log, from its
		 * "Error processing request" line, which also covers the requests
		 * that never got this far (bad version, request line too long);
		 * here the client went away mid-head or mid-upload, or timed out. */
		if (toe != MHD_REQUEST_TERMINATED_WITH_ERROR && srv->conns)
			cf_conns_count_mhd_refused(srv->conns);
		if (marker) {
			*req_cls = NULL;
			return;
		}
	}
	if (!req)
		return;
	if (req->route == NULL || !(req->route->flags & CF_ROUTE_OPS)) {
		cf_log(CF_LOG_INFO, "http", "%s %s %u %llums id=%s%s", req->method, req->path,
		       req->reply.status, (unsigned long long)(cf_mono_ms() - req->start_mono_ms),
		       req->id_hex, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	cf_request_free(req);
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
	struct cf_server *srv = cls;
	/* What MHD decides alone is known to us only through its log: its own
	 * error answers (HTML; docs/internals/request-path.md) and its
	 * connection cap. Counted; the guard logs the counts, rate-limited. */
	if (srv->conns && strstr(line, "Error processing request (HTTP response code is"))
		cf_conns_count_mhd_refused(srv->conns);
	else if (srv->conns && strstr(line, "reached connection limit"))
		cf_conns_count_mhd_full(srv->conns);
	cf_log(CF_LOG_DEBUG, "mhd", "%s", line);
}

/* --- client certificates (mTLS, docs/internals/mtls.md) ------------------ */

/* GnuTLS calls this in the connection's MHD thread for each handshake
 * message; the client's Finished ends the handshake deadline. libmicrohttpd
 * keeps its connection as the session's pointer (checked before the hook is
 * set, in track_connection). */
static int on_handshake_msg(gnutls_session_t tls, unsigned htype, unsigned when,
                            unsigned incoming, const gnutls_datum_t *msg)
{
	(void)msg;
	if (!incoming || htype != GNUTLS_HANDSHAKE_FINISHED || when != GNUTLS_HOOK_POST)
		return 0;
	struct MHD_Connection *conn = gnutls_session_get_ptr(tls);
	struct cf_conn *c = conn ? conn_of(conn) : NULL;
	if (c)
		cf_conns_handshake_done(c);
	return 0;
}

/* Every listener: the connection guard tracks the connection from accept to
 * close (deadlines, eviction near the cap). MHD made the GnuTLS session
 * before it tells us of the connection and the handshake runs only
 * afterwards, so the handshake hook is in place in time. */
static void track_connection(struct cf_server *srv, struct MHD_Connection *conn,
                             void **socket_context, enum MHD_ConnectionNotificationCode toe,
                             bool bootstrap)
{
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		cf_conns_closed(*socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || !srv->conns)
		return;
	struct cf_conn *c = cf_conns_opened(srv->conns, ci->connect_fd);
	if (!c)
		return;
	c->bootstrap = bootstrap;
	*socket_context = c;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t tls = ci ? ci->tls_session : NULL;
	if (tls && gnutls_session_get_ptr(tls) == conn)
		gnutls_handshake_set_hook_function(tls, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
		                                   on_handshake_msg);
	else
		cf_conns_handshake_done(c); /* no hook: the head deadline counts from accept */
}

/* Main listener. With tls.client_cert = required: MHD made the GnuTLS
 * session (with GNUTLS_CERT_REQUEST, since a trust store is given) before it
 * tells us of the connection, and the handshake runs only afterwards, so
 * requiring the certificate and its verification here makes GnuTLS itself
 * fail the handshake without a valid certificate from the device CA. */
static void on_connection_main(void *cls, struct MHD_Connection *conn, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe)
{
	struct cf_server *srv = cls;
	track_connection(srv, conn, socket_context, toe, false);
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
	track_connection(cls, conn, socket_context, toe, true);
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

/* What differs between the main listener and the bootstrap one. */
struct listener {
	const char *listen;           /* ADDR:PORT */
	const char *name;             /* for messages: "listen", "bootstrap listen" */
	const char *hint;             /* prefix of the "cannot listen" reason */
	unsigned threads;
	unsigned mhd_limit;           /* MHD_OPTION_CONNECTION_LIMIT */
	MHD_NotifyConnectionCallback on_connection;
	const char *trust_pem;        /* device CA: ask for client certificates; or NULL */
};

/* One HTTPS daemon on l->listen with the server certificate, our limits and
 * callbacks; *ret_port is the port actually bound. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct cf_server *srv = cls;
	return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

static cf_err start_daemon(struct cf_server *srv, const struct listener *l, const char *cert_pem,
                           const char *key_pem, struct MHD_Daemon **ret, uint16_t *ret_port,
                           char *msg, size_t cap)
{
	const struct cf_config *cfg = &srv->cfg;
	char host[64];
	uint16_t port = 0;
	if (cf_parse_listen(l->listen, host, sizeof(host), &port)) {
		snprintf(msg, cap, "bad %s address '%s'", l->name, l->listen);
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
	/* Room for headers up to the configured cap plus MHD's own bookkeeping, so
	 * that the 431 problem body comes from us, not from MHD. */
	size_t mem = (size_t)cfg->header_max * 2 + 32 * 1024;
	/* A trust store makes MHD ask for a client certificate (optional);
	 * required also makes the handshake fail without a valid one
	 * (on_connection_main). */
	struct MHD_OptionItem trust[2] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };
	if (l->trust_pem)
		trust[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
		                                    (void *)(uintptr_t)l->trust_pem };
	struct MHD_Daemon *d = MHD_start_daemon(flags, port, accept_policy, srv, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first: it applies to what follows */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, CF_TLS_PRIORITIES,
		MHD_OPTION_THREAD_POOL_SIZE, l->threads,
		MHD_OPTION_CONNECTION_LIMIT, l->mhd_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, l->on_connection, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
		/* 0, not 1: a request without Host, or with a space in its target,
		 * then reaches coffred, which refuses it with a problem
		 * (framing_checks, on_request_line) instead of MHD's HTML. */
		MHD_OPTION_STRICT_FOR_CLIENT, 0,
		MHD_OPTION_ARRAY, trust,
		MHD_OPTION_END);
	if (!d) {
		snprintf(msg, cap, "cannot listen on %s (%saddress in use, or not allowed)", l->listen,
		         l->hint);
		return CF_ERR_IO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*ret = d;
	*ret_port = di ? di->port : port;
	return CF_OK;
}

/* Descriptors kept for everything but connections: the store, blobs, logs,
 * the notifier, libraries. */
#define FD_RESERVE 256
/* The automatic connection cap never goes above this (memory: about 100 KiB
 * per connection at worst, the MHD pool and the TLS session). */
#define AUTO_MAX_CONNECTIONS 8192

/* libmicrohttpd's own cap is above ours (the guard refuses at ours): its
 * cap is split evenly between the worker threads, and connections are not. */
static uint64_t mhd_limit_for(uint64_t max)
{
	return max + max / 4 + 16;
}

/* Raises the descriptor limit to its hard maximum and sets the connection
 * cap: limits.max_connections, or (0, auto) what the descriptors allow; a
 * configured cap the descriptors cannot hold is lowered, with a warning. */
static void size_connections(struct cf_server *srv, unsigned threads)
{
	struct cf_config *cfg = &srv->cfg;
	struct rlimit rl;
	uint64_t fds = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			struct rlimit want = { rl.rlim_max, rl.rlim_max };
			if (setrlimit(RLIMIT_NOFILE, &want) == 0)
				rl.rlim_cur = rl.rlim_max;
		}
		fds = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (uint64_t)rl.rlim_cur;
	}
	uint64_t room = fds > FD_RESERVE + 64 ? fds - FD_RESERVE : 64;
	uint64_t fit = (room - 16 - threads) * 4 / 5; /* mhd_limit_for(fit) <= room */
	if (cfg->max_connections == 0) {
		cfg->max_connections = fit < AUTO_MAX_CONNECTIONS ? fit : AUTO_MAX_CONNECTIONS;
		cf_log(CF_LOG_INFO, "conn", "connection cap %llu (descriptor limit %llu)",
		       (unsigned long long)cfg->max_connections, (unsigned long long)fds);
	} else if (cfg->max_connections > fit) {
		cf_log(CF_LOG_WARN, "conn", "limits.max_connections = %llu lowered to %llu: the "
		       "descriptor limit is %llu", (unsigned long long)cfg->max_connections,
		       (unsigned long long)fit, (unsigned long long)fds);
		cfg->max_connections = fit;
	}
}

cf_err cf_http_start(struct cf_server *srv, const char *cert_pem, const char *key_pem,
                     char *msg, size_t cap)
{
	const struct cf_config *cfg = &srv->cfg;
	cf_err err = load_device_ca(srv, msg, cap);
	if (err)
		return err;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads ? (unsigned)cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	size_connections(srv, threads);
	const struct cf_conns_limits limits = {
		.max = cfg->max_connections,
		.handshake_ms = cfg->handshake_timeout_s * 1000,
		.head_ms = cfg->head_timeout_s * 1000,
		.idle_ms = cfg->connection_timeout_s * 1000,
	};
	if (!srv->conns && cf_conns_new(&limits, &srv->conns)) {
		snprintf(msg, cap, "cannot start the connection guard");
		return CF_ERR_IO;
	}
	const struct listener main_listener = {
		.listen = cfg->listen, .name = "listen", .hint = "",
		.threads = threads,
		.mhd_limit = (unsigned)mhd_limit_for(cfg->max_connections),
		.on_connection = on_connection_main,
		.trust_pem = cfg->client_cert != CF_CLIENT_CERT_OFF ?
		             cf_devca_pem(cf_devca_current()) : NULL,
	};
	err = start_daemon(srv, &main_listener, cert_pem, key_pem, &srv->daemon, &srv->port, msg,
	                   cap);
	if (err || cfg->client_cert != CF_CLIENT_CERT_REQUIRED ||
	    !cfg->client_cert_bootstrap_listen[0])
		return err;
	/* Enrolment and login without a certificate (CF_ROUTE_BOOTSTRAP routes). */
	const struct listener bootstrap = {
		.listen = cfg->client_cert_bootstrap_listen, .name = "bootstrap listen",
		.hint = "tls.client_cert_bootstrap_listen: ", .threads = 2,
		.mhd_limit = (unsigned)mhd_limit_for(cfg->max_connections),
		.on_connection = on_connection_bootstrap, .trust_pem = NULL,
	};
	uint16_t port = 0;
	err = start_daemon(srv, &bootstrap, cert_pem, key_pem, &bootstrap_daemon, &port, msg, cap);
	if (err)
		return err;
	cf_log(CF_LOG_INFO, "mtls", "bootstrap listener (enrolment, login, device certificates; "
	       "no client certificates) on %s", cfg->client_cert_bootstrap_listen);
	return CF_OK;
}

/* Shutdown takes no new connection. Not MHD_quiesce_daemon: with a thread
 * pool on epoll (0.9.75) it races the workers removing the listen socket
 * from their own epoll sets and can end in MHD_PANIC ("Failed to remove
 * listen FD from epoll set"); a refusing accept policy cannot race. */
void cf_http_quiesce(struct cf_server *srv)
{
	atomic_store(&srv->stopping, true);
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
	/* Every connection is closed: the guard can go. */
	cf_conns_free(srv->conns);
	srv->conns = NULL;
	/* No handler runs any more: the device CA can go. */
	struct cf_devca *ca = cf_devca_current();
	cf_devca_set_current(NULL);
	cf_devca_free(ca);
}
