/* The routing table: every endpoint coffred serves, in one static table, with
 * what the pipeline must do around it (body shape, authentication, audit). */
#ifndef CF_SERVER_ROUTER_H
#define CF_SERVER_ROUTER_H

#include <stdbool.h>
#include "server/jsonspec.h"
#include "server/request.h"

typedef void (*cf_handler)(struct cf_request *req);

enum cf_route_flags {
	CF_ROUTE_PUBLIC = 1 << 0,  /* no authentication needed */
	CF_ROUTE_OPS    = 1 << 1,  /* /healthz etc.: not audited, not rate limited */
	CF_ROUTE_DEBUG  = 1 << 2,  /* only with debug.problem_routes (test environment) */
	/* Served by the bootstrap listener of tls.client_cert = required (no
	 * client certificate): what comes before a device has a session, and
	 * the device's certificate (docs/internals/mtls.md). */
	CF_ROUTE_BOOTSTRAP     = 1 << 3,
	CF_ROUTE_WHILE_LOCKED  = 1 << 4,  /* allowed with a session locked by inactivity */
	CF_ROUTE_WHILE_PENDING = 1 << 5,  /* allowed from a device awaiting approval */
	/* The body may be left out (a DELETE whose only fields are optional):
	 * no body binds as an empty object. */
	CF_ROUTE_BODY_OPTIONAL = 1 << 6,
};

struct cf_route {
	const char *method;
	const char *pattern;           /* "/v1/things/{id}" */
	cf_handler handler;
	unsigned flags;
	const char *action;            /* stable name for policy and audit, e.g. "auth.prelogin" */
	const struct cf_spec *body;    /* JSON body spec, or NULL for no body */
};

/* Finds the route for method+path into req (route, params) or, when only the
 * path matches, sets method_mismatch and allow. */
void cf_route_match(struct cf_request *req, bool debug_routes);

#endif
