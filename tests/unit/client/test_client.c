/* libcoffre's HTTP layer against a real TLS server in the same process:
 * trust (pinned CA, wrong CA, expired certificate), answers (JSON, problem,
 * not JSON, redirect), caps, request headers, and the network failures,
 * each with its precise message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/internal.h"
#include "testutil.h"
#include "tls_server.h"

struct fixture {
	char dir[256];
	char ca[300];
	char other_ca[300];
	char url[64];
	struct ts_server *server;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	f->server = ts_start(f->dir, TS_CERT_GOOD);
	if (!f->server)
		return -1;
	snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
	snprintf(f->other_ca, sizeof f->other_ca, "%s/other-ca.pem", f->dir);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
	         ts_port(f->server));
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	ts_stop(f->server);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static cf_client *client_for(const char *url, const char *ca,
                             size_t max_body)
{
	cf_client *c = NULL;
	cf_errmsg err = { .text = "" };
	const struct cf_client_options opts = {
		.server_url = url,
		.ca_file = ca,
		.timeout_ms = 5000,
		.max_body = max_body,
		.error = &err,
	};
	if (cf_client_new(&c, &opts) != CF_OK)
		fail_msg("cf_client_new: %s", err.text);
	return c;
}

static void answer(struct fixture *f, int status, const char *ct,
                   const char *body)
{
	const struct ts_answer a = {
		.status = status, .content_type = ct, .body = body,
	};
	ts_answer_with(f->server, &a);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' lacks '%s'", text, part);
}

/* --- cf_client_new ----------------------------------------------------- */

static void test_new_refuses_plain_http(void **state)
{
	(void)state;
	cf_client *c = (cf_client *)0x1;
	cf_errmsg err = { .text = "" };
	const struct cf_client_options opts = {
		.server_url = "http://127.0.0.1:8443", .error = &err,
	};
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_INVALID);
	assert_ptr_equal(c, (cf_client *)0x1);
	assert_has(err.text, "must start with https://");
}

static void test_new_checks_the_ca_file(void **state)
{
	struct fixture *f = *state;
	cf_client *c = NULL;
	cf_errmsg err = { .text = "" };
	char path[400];
	struct cf_client_options opts = {
		.server_url = f->url, .ca_file = "/nonexistent/ca.pem",
		.error = &err,
	};
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_CONFIG);
	assert_string_equal(err.text, "cannot read CA file /nonexistent/ca.pem: "
	                    "no such file or directory");
	snprintf(path, sizeof path, "%s/not-pem.txt", f->dir);
	assert_int_equal(tu_write_file(path, "hello\n", 0644), 0);
	opts.ca_file = path;
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_CONFIG);
	assert_has(err.text, "holds no PEM certificate");
	opts.ca_file = f->dir;
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_CONFIG);
	assert_has(err.text, "not a regular file");
	opts.ca_file = "";
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_INVALID);
	assert_null(c);
	opts.ca_file = NULL;
	opts.timeout_ms = -1;
	assert_int_equal(cf_client_new(&c, &opts), CF_ERR_INVALID);
	assert_int_equal(cf_client_new(&c, NULL), CF_ERR_INVALID);
	cf_client_free(NULL);
	cf_http_response_free(NULL);
}

static void test_new_keeps_a_clean_base_url(void **state)
{
	(void)state;
	cf_client *c = client_for("https://coffre.example:8443/api/", NULL, 0);
	assert_string_equal(cf_client_server_url(c),
	                    "https://coffre.example:8443/api");
	assert_string_equal(cf_client_last_error(c), "");
	cf_client_free(c);
	assert_string_equal(cf_client_version(), COFFRE_VERSION);
}

/* --- status ------------------------------------------------------------ */

static void test_status_ok(void **state)
{
	struct fixture *f = *state;
	answer(f, 200, "application/json",
	       "{\"status\":\"ok\",\"version\":\"0.1.0\"}");
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_OK);
	assert_string_equal(json_string_value(json_object_get(health,
	                    "version")), "0.1.0");
	json_decref(health);

	char req[4096];
	ts_last_request(f->server, req, sizeof req);
	assert_has(req, "GET /healthz HTTP/1.1\r\n");
	assert_has(req, "User-Agent: coffre/" COFFRE_VERSION "\r\n");
	assert_has(req, "Accept: application/json");
	assert_null(strcasestr(req, "authorization"));
	cf_client_free(c);
}

static void test_status_problem(void **state)
{
	struct fixture *f = *state;
	answer(f, 503, "application/problem+json",
	       "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
	       "\"status\":503,\"detail\":\"the store is not reachable\"}");
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *health = (json_t *)0x1;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_BUSY);
	assert_ptr_equal(health, (json_t *)0x1);
	assert_string_equal(cf_client_last_error(c), "server answered 503: "
	                    "Service Unavailable: the store is not reachable");
	cf_client_free(c);
}

static void test_status_not_json(void **state)
{
	struct fixture *f = *state;
	answer(f, 200, "text/html", "<html>s_server</html>");
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_PROTOCOL);
	char want[256];
	snprintf(want, sizeof want, "server answered 200 with text/html, not "
	         "JSON: is %s a coffred server?", f->url);
	assert_string_equal(cf_client_last_error(c), want);

	answer(f, 200, "application/json", "{\"version\":\"1\"}");
	assert_int_equal(cf_client_status(c, &health), CF_ERR_PROTOCOL);
	assert_has(cf_client_last_error(c), "without a \"status\" field");
	answer(f, 200, "application/json", "{\"status\":\"ok\"");
	assert_int_equal(cf_client_status(c, &health), CF_ERR_PROTOCOL);
	assert_has(cf_client_last_error(c), "server answered 200 with invalid "
	           "JSON");
	answer(f, 200, "application/json", "{\"status\":\"degraded\"}");
	assert_int_equal(cf_client_status(c, &health), CF_ERR_BUSY);
	assert_string_equal(cf_client_last_error(c),
	                    "server reports status 'degraded'");
	assert_null(health);
	cf_client_free(c);
}

/* --- trust ------------------------------------------------------------- */

static void test_wrong_pinned_ca_is_refused(void **state)
{
	struct fixture *f = *state;
	answer(f, 200, "application/json", "{\"status\":\"ok\"}");
	cf_client *c = client_for(f->url, f->other_ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_TLS);
	char want[512];
	snprintf(want, sizeof want, "server certificate not trusted (pinned "
	         "CA %s): ", f->other_ca);
	assert_has(cf_client_last_error(c), want);
	assert_has(cf_client_last_error(c), "unknown CA");
	assert_null(health);
	cf_client_free(c);
}

static void test_system_store_does_not_know_the_test_ca(void **state)
{
	struct fixture *f = *state;
	cf_client *c = client_for(f->url, NULL, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_TLS);
	assert_has(cf_client_last_error(c), "server certificate not trusted "
	           "(system CA store)");
	cf_client_free(c);
}

/* Starts a second server with another certificate; its CA in ret_ca. */
static struct ts_server *other_server(struct fixture *f, const char *name,
                                      enum ts_cert cert, char *ret_ca,
                                      size_t size)
{
	char dir[300];
	snprintf(dir, sizeof dir, "%s/%s", f->dir, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	struct ts_server *s = ts_start(dir, cert);
	assert_non_null(s);
	snprintf(ret_ca, size, "%s/ca.pem", dir);
	return s;
}

static void test_name_mismatch_is_refused(void **state)
{
	struct fixture *f = *state;
	char ca[400], url[64], want[128];
	struct ts_server *s = other_server(f, "wrong-name", TS_CERT_WRONG_NAME,
	                                   ca, sizeof ca);
	snprintf(url, sizeof url, "https://127.0.0.1:%d", ts_port(s));
	cf_client *c = client_for(url, ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_TLS);
	snprintf(want, sizeof want, "server certificate is not valid for "
	         "127.0.0.1:%d (pinned CA ", ts_port(s));
	assert_has(cf_client_last_error(c), want);
	cf_client_free(c);
	ts_stop(s);
}

static void test_expired_certificate_is_refused(void **state)
{
	struct fixture *f = *state;
	char url[64], ca[400];
	struct ts_server *s = other_server(f, "expired", TS_CERT_EXPIRED, ca,
	                                   sizeof ca);
	snprintf(url, sizeof url, "https://localhost:%d", ts_port(s));
	cf_client *c = client_for(url, ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_TLS);
	assert_has(cf_client_last_error(c), "server certificate not trusted");
	assert_has(cf_client_last_error(c), "expired");
	cf_client_free(c);
	ts_stop(s);
}

/* --- answers ----------------------------------------------------------- */

static void test_body_over_the_cap_is_refused(void **state)
{
	struct fixture *f = *state;
	static char body[2000];
	memset(body, ' ', sizeof body - 1);
	cf_client *c = client_for(f->url, f->ca, 1024);
	const struct cf_http_request req = { .method = "GET", .path = "/x" };
	struct cf_http_response *r = (struct cf_http_response *)0x1;

	/* Announced by Content-Length. */
	answer(f, 200, "application/json", body);
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_TOO_LARGE);
	assert_ptr_equal(r, (struct cf_http_response *)0x1);
	assert_string_equal(cf_client_last_error(c), "server answer is larger "
	                    "than the 1 KiB limit; refused");

	/* Not announced: chunks that add up past the cap. */
	const struct ts_answer chunked = {
		.status = 200, .content_type = "application/json",
		.body = "          ", .repeat = 200, .chunked = true,
	};
	ts_answer_with(f->server, &chunked);
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_TOO_LARGE);
	assert_ptr_equal(r, (struct cf_http_response *)0x1);

	/* Exactly at the cap is fine. */
	body[1024] = '\0';
	answer(f, 200, "text/plain", body);
	r = NULL;
	assert_int_equal(cf_client_request(c, &req, &r), CF_OK);
	assert_int_equal(r->body_len, 1024);
	cf_http_response_free(r);

	/* A per-request cap overrides the client's. */
	const struct cf_http_request small = { .method = "GET", .path = "/x",
	                                  .max_body = 100 };
	r = (struct cf_http_response *)0x1;
	assert_int_equal(cf_client_request(c, &small, &r), CF_ERR_TOO_LARGE);
	assert_has(cf_client_last_error(c), "the 100 bytes limit");
	cf_client_free(c);
}

static void test_redirects_are_not_followed(void **state)
{
	struct fixture *f = *state;
	const struct ts_answer redirect = {
		.status = 301, .content_type = "text/html", .body = "moved",
		.extra_headers = "Location: http://evil.example/healthz\r\n",
	};
	ts_answer_with(f->server, &redirect);
	cf_client *c = client_for(f->url, f->ca, 0);
	const struct cf_http_request req = { .method = "GET", .path = "/healthz" };
	struct cf_http_response *r = NULL;
	assert_int_equal(cf_client_request(c, &req, &r), CF_OK);
	assert_int_equal(r->status, 301);
	assert_string_equal(r->content_type, "text/html");
	assert_string_equal((char *)r->body, "moved");
	cf_http_response_free(r);

	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_PROTOCOL);
	assert_string_equal(cf_client_last_error(c), "server answered 301 "
	                    "Moved Permanently to http://evil.example/healthz; "
	                    "redirects are not followed: check the server URL");
	cf_client_free(c);
}

static void test_post_json_with_bearer(void **state)
{
	struct fixture *f = *state;
	answer(f, 201, "application/json", "{\"id\":\"abc\"}");
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *body = json_pack("{s:s}", "email", "a@example.org");
	const struct cf_http_request req = {
		.method = "POST", .path = "/v1/auth/prelogin", .json = body,
		.bearer = "tok_0123456789",
	};
	json_t *out = NULL;
	long status = 0;
	assert_int_equal(cf_client_call_json(c, &req, &out, &status), CF_OK);
	assert_int_equal(status, 201);
	assert_string_equal(json_string_value(json_object_get(out, "id")),
	                    "abc");
	json_decref(out);
	json_decref(body);

	char raw[4096];
	ts_last_request(f->server, raw, sizeof raw);
	assert_has(raw, "POST /v1/auth/prelogin HTTP/1.1\r\n");
	assert_has(raw, "Authorization: Bearer tok_0123456789\r\n");
	assert_has(raw, "Content-Type: application/json\r\n");
	assert_has(raw, "\r\n\r\n{\"email\":\"a@example.org\"}");
	assert_null(strcasestr(raw, "Expect:"));
	cf_client_free(c);
}

static void test_raw_body_and_methods(void **state)
{
	struct fixture *f = *state;
	cf_client *c = client_for(f->url, f->ca, 0);
	static const char *const methods[] = { "PUT", "PATCH", "DELETE" };
	for (size_t i = 0; i < 3; i++) {
		answer(f, 204, NULL, NULL);
		const struct cf_http_request req = {
			.method = methods[i], .path = "/v1/records/1",
			.body = "abc", .body_len = 3,
			.content_type = "application/octet-stream",
		};
		json_t *out = NULL;
		long status = 0;
		assert_int_equal(cf_client_call_json(c, &req, &out, &status),
		                 CF_OK);
		assert_int_equal(status, 204);
		assert_true(json_is_null(out));
		char raw[4096], line[64];
		ts_last_request(f->server, raw, sizeof raw);
		snprintf(line, sizeof line, "%s /v1/records/1 HTTP/1.1\r\n",
		         methods[i]);
		assert_has(raw, line);
		assert_has(raw, "Content-Type: application/octet-stream\r\n");
		assert_has(raw, "\r\n\r\nabc");
	}
	cf_client_free(c);
}

static void test_error_statuses_map_to_codes(void **state)
{
	struct fixture *f = *state;
	cf_client *c = client_for(f->url, f->ca, 0);
	const struct cf_http_request req = { .method = "GET", .path = "/v1/me" };
	json_t *out = NULL;
	answer(f, 401, "application/problem+json",
	       "{\"title\":\"Unauthorized\",\"detail\":\"session expired\"}");
	assert_int_equal(cf_client_call_json(c, &req, &out, NULL),
	                 CF_ERR_DENIED);
	assert_string_equal(cf_client_last_error(c),
	                    "server answered 401: Unauthorized: session expired");
	answer(f, 404, "application/problem+json", "{\"title\":\"Not Found\"}");
	assert_int_equal(cf_client_call_json(c, &req, &out, NULL),
	                 CF_ERR_NOT_FOUND);
	answer(f, 413, NULL, NULL);
	assert_int_equal(cf_client_call_json(c, &req, &out, NULL),
	                 CF_ERR_TOO_LARGE);
	assert_string_equal(cf_client_last_error(c),
	                    "server answered 413 Content Too Large");
	assert_null(out);
	cf_client_free(c);
}

static void test_bad_requests_are_refused_before_sending(void **state)
{
	struct fixture *f = *state;
	cf_client *c = client_for(f->url, f->ca, 0);
	struct cf_http_response *r = NULL;
	struct cf_http_request req = { .method = "GET", .path = "healthz" };
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	req.path = "/a b";
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	req.path = "/a\r\nX: y";
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	req.path = "/a#frag";
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	req.path = "/ok";
	req.method = "TRACE";
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	req.method = "GET";
	req.bearer = "secret-token\r\nX-Injected: 1";
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	assert_string_equal(cf_client_last_error(c),
	                    "session token is empty or malformed");
	req.bearer = NULL;
	req.body = "x";
	req.body_len = 1;
	assert_int_equal(cf_client_request(c, &req, &r), CF_ERR_INVALID);
	assert_has(cf_client_last_error(c), "content type");
	assert_null(r);
	cf_client_free(c);
}

/* --- network ----------------------------------------------------------- */

/* A loopback port bound but not listening: connections are refused. */
static int closed_port(int *ret_fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_fd = fd;
	return ntohs(a.sin_port);
}

static void test_connection_refused(void **state)
{
	(void)state;
	int fd;
	int port = closed_port(&fd);
	char url[64], want[128];
	snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
	cf_client *c = client_for(url, NULL, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_NETWORK);
	snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: "
	         "connection refused", port);
	assert_string_equal(cf_client_last_error(c), want);
	cf_client_free(c);
	close(fd);
}

static void test_silent_server_times_out(void **state)
{
	(void)state;
	int fd;
	int port = closed_port(&fd);
	assert_int_equal(listen(fd, 4), 0);   /* accepts, never answers */
	char url[64], want[128];
	snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
	cf_client *c = NULL;
	const struct cf_client_options opts = {
		.server_url = url, .timeout_ms = 300,
	};
	assert_int_equal(cf_client_new(&c, &opts), CF_OK);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_NETWORK);
	snprintf(want, sizeof want, "no answer from 127.0.0.1:%d within "
	         "300 ms", port);
	assert_has(cf_client_last_error(c), want);
	cf_client_free(c);
	close(fd);
}

static void test_server_hangs_up(void **state)
{
	struct fixture *f = *state;
	const struct ts_answer a = { .hang_up = true };
	ts_answer_with(f->server, &a);
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_ERR_NETWORK);
	assert_has(cf_client_last_error(c), "127.0.0.1:");
	cf_client_free(c);
}

static void test_proxy_environment_is_ignored(void **state)
{
	struct fixture *f = *state;
	answer(f, 200, "application/json", "{\"status\":\"ok\"}");
	setenv("https_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	cf_client *c = client_for(f->url, f->ca, 0);
	json_t *health = NULL;
	assert_int_equal(cf_client_status(c, &health), CF_OK);
	json_decref(health);
	cf_client_free(c);
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_refuses_plain_http),
		cmocka_unit_test(test_new_checks_the_ca_file),
		cmocka_unit_test(test_new_keeps_a_clean_base_url),
		cmocka_unit_test(test_status_ok),
		cmocka_unit_test(test_status_problem),
		cmocka_unit_test(test_status_not_json),
		cmocka_unit_test(test_wrong_pinned_ca_is_refused),
		cmocka_unit_test(test_system_store_does_not_know_the_test_ca),
		cmocka_unit_test(test_name_mismatch_is_refused),
		cmocka_unit_test(test_expired_certificate_is_refused),
		cmocka_unit_test(test_body_over_the_cap_is_refused),
		cmocka_unit_test(test_redirects_are_not_followed),
		cmocka_unit_test(test_post_json_with_bearer),
		cmocka_unit_test(test_raw_body_and_methods),
		cmocka_unit_test(test_error_statuses_map_to_codes),
		cmocka_unit_test(test_bad_requests_are_refused_before_sending),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_server_hangs_up),
		cmocka_unit_test(test_proxy_environment_is_ignored),
	};
	return cmocka_run_group_tests_name("client_http", tests, group_setup,
	                                   group_teardown);
}
