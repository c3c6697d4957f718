/* libFuzzer target: libcoffre reading a server's answer (the half of
 * cf_client_call_json after the transfer, cf_client_answer_json) and the
 * RFC 9457 problem reader (cf_problem_message) it uses on errors.
 * Input: status (2 bytes, mod 600), content-type length (1 byte), the
 * content type, then the body. The server is not trusted: any bytes.
 * Invariants: no crash; success only for a 2xx with a JSON document; the
 * problem message is NUL-terminated within its cap, also a tiny one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cf_client *client;
	if (!client) {
		const struct cf_client_options o = { .server_url = "https://127.0.0.1:1" };
		if (cf_client_new(&client, &o) != CF_OK)
			abort();
	}
	if (size < 3 || size > (1u << 20))
		return 0;
	long status = (long)(((unsigned)data[0] << 8 | data[1]) % 600);
	size_t clen = data[2];
	data += 3;
	size -= 3;
	if (clen > size)
		clen = size;
	/* Owned copies, as cf_client_request makes them: both NUL-terminated. */
	struct cf_http_response r = { .status = status };
	r.content_type = malloc(clen + 1);
	r.body = malloc(size - clen + 1);
	if (!r.content_type || !r.body)
		abort();
	memcpy(r.content_type, data, clen);
	r.content_type[clen] = '\0';
	r.body_len = size - clen;
	memcpy(r.body, data + clen, r.body_len);
	r.body[r.body_len] = '\0';

	json_t *doc = NULL;
	long got = -1;
	cf_err err = cf_client_answer_json(client, &r, &doc, &got);
	if (err == CF_OK) {
		if (!doc || status < 200 || status >= 300 || got != status)
			abort();
		json_decref(doc);
	}
	if (strnlen(cf_client_last_error(client), CF_ERRMSG_MAX) >= CF_ERRMSG_MAX)
		abort();

	char msg[256], tiny[4];
	cf_problem_message(msg, sizeof msg, status, r.content_type, r.body, r.body_len);
	cf_problem_message(tiny, sizeof tiny, status, r.content_type, r.body, r.body_len);
	if (!memchr(msg, '\0', sizeof msg) || !memchr(tiny, '\0', sizeof tiny))
		abort();
	(void)cf_media_type_is_json(r.content_type);
	(void)cf_media_type_is(r.content_type, "application/problem+json");
	(void)cf_http_status_error(status);
	(void)cf_http_reason(status);
	free(r.content_type);
	free(r.body);
	return 0;
}
