/* Test-environment only (debug.problem_routes = true, refused in production):
 * answers the problem of any status the API uses, so tests can check the
 * error rendering end to end for statuses no endpoint produces yet. */
#include <stdlib.h>
#include <string.h>

#include "server/handlers.h"

void cf_h_debug_problem(struct cf_request *req)
{
	static const unsigned allowed[] = { 400, 401, 403, 404, 405, 409, 413, 415, 422,
	                                    429, 431, 500, 503 };
	char *end = NULL;
	unsigned long status = strtoul(req->params[0], &end, 10);
	for (size_t i = 0; *end == '\0' && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (allowed[i] == status) {
			cf_reply_problem_status(&req->reply, CF_P_DEBUG, (unsigned)status,
			                        "problem %lu requested from the debug route", status);
			return;
		}
	}
	cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "the debug route has no status '%s'",
	                 req->params[0]);
}
