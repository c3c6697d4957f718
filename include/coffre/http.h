/* libcoffre: the client object and one HTTPS request to coffred (client.c,
 * url.c, sink.c, problem.c). Conventions: include/coffre/client.h. */
#ifndef COFFRE_HTTP_H
#define COFFRE_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "coffre/error.h"

/* ------------------------------------------------------------------------ */
/* Error messages                                                            */

#define CF_ERRMSG_MAX 512

/* A one-line reason, filled by functions that can fail before there is an
 * object to hold it (cf_client_new, cf_profile_open). Always NUL-terminated;
 * empty when nothing was written. */
typedef struct cf_errmsg {
	char text[CF_ERRMSG_MAX];
} cf_errmsg;

/* The libcoffre version, e.g. "0.1.0". */
const char *cf_client_version(void);

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

typedef struct cf_client cf_client;

#define CF_CLIENT_DEFAULT_TIMEOUT_MS  30000L
#define CF_CLIENT_DEFAULT_MAX_BODY    ((size_t)16 * 1024 * 1024)
#define CF_CLIENT_MAX_URL             2048

struct cf_client_options {
	/* Required. "https://host[:port][/prefix]"; any other scheme, user
	 * credentials, a query or a fragment are refused. A trailing '/' is
	 * dropped. */
	const char *server_url;
	/* Optional PEM file of CA certificates to pin: when set, ONLY these CAs
	 * are trusted; when NULL, the system store is used. */
	const char *ca_file;
	/* Optional whole-request timeout; 0 means CF_CLIENT_DEFAULT_TIMEOUT_MS.
	 * Connecting is bounded by the smaller of this and 10 s. */
	long timeout_ms;
	/* Optional cap on answer bodies; 0 means CF_CLIENT_DEFAULT_MAX_BODY. An
	 * answer over the cap is refused (CF_ERR_TOO_LARGE), never truncated. */
	size_t max_body;
	/* Optional proxy URL. NULL means no proxy at all: the http_proxy and
	 * https_proxy environment variables are ignored, so health data never
	 * goes through a proxy nobody asked for. */
	const char *proxy;
	/* Optional profile folder; NULL means cf_profile_default_dir(). It is
	 * opened only when cf_client_profile() is first called. */
	const char *profile_dir;
	/* Optional: where cf_client_new writes its reason when it fails. */
	cf_errmsg *error;
	/* Optional TLS client certificate (PEM) and its private key (PEM,
	 * unencrypted; the file must not be accessible to group or others):
	 * both or neither. When set, every request presents them; when not,
	 * every request presents the profile's device certificate if the
	 * profile holds one (see "Device certificate" below). libcurl reads
	 * them by path (its GnuTLS backend ignores CURLOPT_SSLCERT_BLOB). */
	const char *cert_file;
	const char *key_file;
};

/* Creates a client for one server. Checks the URL, the CA file (must be a
 * readable file holding at least one PEM certificate) and the options; does
 * not contact the server.
 * Errors: CF_ERR_INVALID (bad URL or option), CF_ERR_CONFIG (CA file
 * unreadable or not PEM), CF_ERR_NOMEM, CF_ERR_UNSUPPORTED (libcurl could
 * not be initialised or has no TLS). */
cf_err cf_client_new(cf_client **ret, const struct cf_client_options *opts);

/* Releases the client and wipes the memory it held. Accepts NULL. */
void cf_client_free(cf_client *client);

/* The message of the last failure on this client ("" if none). The pointer
 * stays valid until the next call on the client. */
const char *cf_client_last_error(const cf_client *client);

/* The server base URL as validated, without a trailing '/'. */
const char *cf_client_server_url(const cf_client *client);

/* One HTTP request. method: "GET", "POST", "PUT", "PATCH" or "DELETE".
 * path: starts with '/', appended to the base URL (may carry a query).
 * At most one of json and body is set: json is sent compact as
 * application/json; body/body_len is sent as content_type (required then).
 * bearer: optional session token or API key, sent as
 * "Authorization: Bearer …" and wiped from the library's memory afterwards.
 * accept: optional Accept header (default "application/json").
 * max_body: optional cap for this answer; 0 means the client's cap. */
struct cf_http_request {
	const char *method;
	const char *path;
	const json_t *json;
	const void *body;
	size_t body_len;
	const char *content_type;
	const char *bearer;
	const char *accept;
	size_t max_body;
};

/* An answer, whatever its status. body is NUL-terminated (the NUL is not
 * counted in body_len) so text answers can be read as strings. content_type
 * is "" when the server sent none. */
struct cf_http_response {
	long status;
	char *content_type;
	unsigned char *body;
	size_t body_len;
};

/* Sends one request and collects the whole answer, up to the cap.
 * Succeeds for any HTTP status (including 3xx, which is never followed and
 * 4xx/5xx); fails only when no complete answer was received.
 * Errors: CF_ERR_INVALID (bad request fields), CF_ERR_TLS (handshake or
 * certificate), CF_ERR_NETWORK (resolve, connect, timeout, connection
 * lost), CF_ERR_TOO_LARGE (answer over the cap), CF_ERR_PROTOCOL,
 * CF_ERR_NOMEM. The response is freed with cf_http_response_free. */
cf_err cf_client_request(cf_client *client, const struct cf_http_request *req,
                         struct cf_http_response **ret_response);

/* Wipes and frees a response. Accepts NULL. */
void cf_http_response_free(struct cf_http_response *response);

/* Sends one request and expects a 2xx answer with a JSON body (an empty
 * body, e.g. for 204, gives a JSON null). Any other status is an error
 * whose message carries the server's RFC 9457 problem title/detail, e.g.
 * "server answered 503: service unavailable: store is down".
 * ret_status (optional) receives the status on success.
 * Errors: those of cf_client_request, plus by status 400/422 CF_ERR_INVALID,
 * 401/403 CF_ERR_DENIED, 404/410 CF_ERR_NOT_FOUND, 409/412 CF_ERR_CONFLICT,
 * 413/431 CF_ERR_TOO_LARGE, 429/503 CF_ERR_BUSY, others CF_ERR_PROTOCOL;
 * CF_ERR_PROTOCOL as well for a 2xx that is not JSON. */
cf_err cf_client_call_json(cf_client *client, const struct cf_http_request *req,
                           json_t **ret_json, long *ret_status);

/* GET /healthz. On success *ret_health is the server's object, at least
 * {"status":"ok"} and normally "version" (a new reference; json_decref it).
 * A server that answers 200 with "status" other than "ok" fails with
 * CF_ERR_BUSY. Errors: those of cf_client_call_json. */
cf_err cf_client_status(cf_client *client, json_t **ret_health);

/* Wipes every string of a JSON value (tokens, keys, bundles) then drops the
 * reference. Accepts NULL. */
void cf_json_wipe_decref(json_t *doc);

#endif
