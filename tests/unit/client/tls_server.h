/* A tiny HTTPS server for the libcoffre unit tests: GnuTLS in a thread,
 * on 127.0.0.1 with an ephemeral port, certificates made in memory at
 * start (a test CA signing a localhost/127.0.0.1 certificate, and an
 * unrelated CA), one canned answer per connection. Not a model of anything
 * but the wire. */
#ifndef COFFRE_TEST_TLS_SERVER_H
#define COFFRE_TEST_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct ts_answer {
	int status;
	const char *content_type;     /* NULL: no Content-Type */
	const char *body;
	size_t body_len;              /* 0 with body set: strlen(body) */
	size_t repeat;                /* body sent this many times (0: once) */
	bool chunked;                 /* no Content-Length */
	const char *extra_headers;    /* "Name: value\r\n..." or NULL */
	bool hang_up;                 /* close after the request, no answer */
};

enum ts_cert {
	TS_CERT_GOOD,                 /* valid now, for localhost/127.0.0.1 */
	TS_CERT_EXPIRED,              /* expired an hour ago */
	TS_CERT_WRONG_NAME,           /* valid, for elsewhere.example only */
};

struct ts_server;

/* Starts the server; writes dir/ca.pem (the CA that signed its
 * certificate) and dir/other-ca.pem. NULL on failure. */
struct ts_server *ts_start(const char *dir, enum ts_cert cert);
void ts_stop(struct ts_server *s);

int ts_port(const struct ts_server *s);
/* What the next connections get. */
void ts_answer_with(struct ts_server *s, const struct ts_answer *a);
/* A copy of the last request (head and body) into buf; returns buf. */
char *ts_last_request(struct ts_server *s, char *buf, size_t size);

#endif
