/* The request: a body buffer that grows up to the cap set at creation and
 * answers 413 past it; the route table's flags that the auth stages read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/request.h"
#include "server/router.h"

static struct cf_request *bare_request(size_t body_max)
{
	struct cf_request *req = calloc(1, sizeof(*req));
	assert_non_null(req);
	req->body_max = body_max;
	return req;
}

static void body_grows_up_to_the_cap(void **state)
{
	struct cf_request *req = bare_request(10000);
	char chunk[3000];
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 3; i++)
		cf_request_take_body(req, chunk, sizeof(chunk));
	cf_request_take_body(req, chunk, 1000); /* exactly the cap */
	assert_false(req->body_overflow);
	assert_int_equal(req->body_len, 10000);
	assert_true(req->body_cap <= 10000);
	assert_int_equal(req->reply.status, 0);
	cf_request_free(req);
}

static void past_the_cap_the_body_is_dropped_with_413(void **state)
{
	struct cf_request *req = bare_request(5000);
	char chunk[3000];
	memset(chunk, 'b', sizeof(chunk));
	cf_request_take_body(req, chunk, sizeof(chunk));
	cf_request_take_body(req, chunk, sizeof(chunk));
	assert_true(req->body_overflow);
	assert_null(req->body);
	assert_int_equal(req->body_len, 0);
	assert_int_equal(req->reply.status, 413);
	cf_request_take_body(req, chunk, 1); /* later data is ignored */
	assert_int_equal(req->body_len, 0);
	cf_request_free(req);
	cf_request_free(NULL);
}

static unsigned flags_of(const char *method, const char *path)
{
	struct cf_request req;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	cf_route_match(&req, false);
	assert_non_null(req.route);
	return req.route->flags;
}

static void route_flags_say_what_locked_pending_and_bootstrap_allow(void **state)
{
	unsigned unlock = flags_of("POST", "/v1/auth/unlock");
	unsigned logout = flags_of("POST", "/v1/auth/logout");
	unsigned me = flags_of("GET", "/v1/me");
	unsigned login = flags_of("POST", "/v1/auth/login");
	unsigned cert = flags_of("POST", "/v1/devices/0123456789abcdef0123456789abcdef/certificate");
	unsigned orgs = flags_of("GET", "/v1/orgs");
	assert_true(unlock & CF_ROUTE_WHILE_LOCKED && unlock & CF_ROUTE_WHILE_PENDING);
	assert_true(logout & CF_ROUTE_WHILE_LOCKED && logout & CF_ROUTE_WHILE_PENDING);
	assert_true(me & CF_ROUTE_WHILE_PENDING);
	assert_false(me & CF_ROUTE_WHILE_LOCKED);
	assert_true(login & CF_ROUTE_BOOTSTRAP && login & CF_ROUTE_PUBLIC);
	assert_true(cert & CF_ROUTE_BOOTSTRAP);
	assert_false(cert & CF_ROUTE_PUBLIC);
	assert_int_equal(orgs & (CF_ROUTE_BOOTSTRAP | CF_ROUTE_WHILE_LOCKED | CF_ROUTE_WHILE_PENDING),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_grows_up_to_the_cap),
		cmocka_unit_test(past_the_cap_the_body_is_dropped_with_413),
		cmocka_unit_test(route_flags_say_what_locked_pending_and_bootstrap_allow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
