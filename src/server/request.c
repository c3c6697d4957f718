/* One request: made when its headers have arrived, freed when MHD is done
 * with it. Headers and query arguments are read from the connection; the
 * body is copied into a buffer capped at creation (json_body_max). */
#include "server/request.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/crypto.h"
#include "util/cidr.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/encoding.h"

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

/* Wipes and frees the body buffer (it may hold secrets). */
static void wipe_body(struct cf_request *req)
{
	if (req->body)
		sodium_memzero(req->body, req->body_cap);
	free(req->body);
	req->body = NULL;
	req->body_len = 0;
	req->body_cap = 0;
}

struct cf_request *cf_request_new(struct cf_server *srv, struct MHD_Connection *conn,
                                  const char *method, const char *path)
{
	struct cf_request *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->method = method;
	req->path = path;
	req->body_max = (size_t)srv->cfg.json_body_max;
	req->start_mono_ms = cf_mono_ms();
	cf_random_id(req->id);
	cf_hex_encode(req->id_hex, sizeof(req->id_hex), req->id, sizeof(req->id));
	client_ip(conn, req->ip, sizeof(req->ip));
	cf_client_addr_key(req->ip, (unsigned)srv->cfg.ipv6_prefix, req->addr_key,
	                   sizeof(req->addr_key));
	return req;
}

void cf_request_free(struct cf_request *req)
{
	if (!req)
		return;
	/* After the reply, so after the request's write is durable. */
	if (req->attempt_release)
		req->attempt_release(req);
	/* The body, its parsed form and its bound fields may hold secrets
	 * (auth_key, PIN, recovery_auth): wiped before they are freed. */
	cf_json_wipe_decref(req->json);
	sodium_memzero(&req->args, sizeof(req->args));
	json_decref(req->session);
	if (req->auth_state_free)
		req->auth_state_free(req->auth_state);
	wipe_body(req);
	if (req->ctx_free)
		req->ctx_free(req->ctx);
	cf_reply_clear(&req->reply);
	free(req);
}

const char *cf_request_arg(const struct cf_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *cf_request_header(const struct cf_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void cf_request_take_body(struct cf_request *req, const char *data, size_t len)
{
	if (req->body_overflow)
		return;
	size_t limit = req->body_max;
	if (len > limit - req->body_len) {
		req->body_overflow = true;
		wipe_body(req);
		cf_reply_problem(&req->reply, CF_P_BODY_TOO_LARGE,
		                 "the request body exceeds the limit of %zu bytes", limit);
		return;
	}
	if (req->body_len + len > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 4096;
		while (cap < req->body_len + len)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		/* Grown by copy, not realloc, so no unwiped copy of a secret is
		 * left behind in freed memory. */
		uint8_t *nb = malloc(cap + 1);
		if (!nb) {
			req->body_overflow = true;
			cf_reply_problem(&req->reply, CF_P_OVERLOADED, "out of memory for the body");
			return;
		}
		if (req->body_len)
			memcpy(nb, req->body, req->body_len);
		size_t old_len = req->body_len;
		wipe_body(req);
		req->body_len = old_len;
		req->body = nb;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
}
