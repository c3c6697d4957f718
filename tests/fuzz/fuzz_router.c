/* libFuzzer target: the router's pattern match (server/router.h). Input:
 * "METHOD PATH" (first space splits; no space: GET). The request holds
 * only what cf_route_match reads, like the HTTP glue fills it.
 * Invariants: no crash; a match has at most CF_MAX_PARAMS parameters, each
 * a NUL-terminated segment of 1..CF_PARAM_MAX safe characters; a method
 * mismatch leaves no route and a terminated Allow list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 16384)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	const char *method = "GET";
	char *path = text;
	char *sp = strchr(text, ' ');
	if (sp) {
		*sp = '\0';
		method = text;
		path = sp + 1;
	}
	static struct cf_request req;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	cf_route_match(&req, data[0] & 1);
	if (req.route) {
		if (req.nparams > CF_MAX_PARAMS || req.method_mismatch)
			abort();
		for (unsigned i = 0; i < req.nparams; i++) {
			size_t n = strnlen(req.params[i], CF_PARAM_MAX + 1);
			if (n == 0 || n > CF_PARAM_MAX || strchr(req.params[i], '/'))
				abort();
		}
	}
	if (!memchr(req.allow, '\0', sizeof(req.allow)))
		abort();
	free(text);
	return 0;
}
