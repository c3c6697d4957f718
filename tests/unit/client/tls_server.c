#include "tls_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define REQUEST_MAX 65536

struct ts_server {
	int listen_fd;
	int stop_pipe[2];
	int port;
	pthread_t thread;
	gnutls_certificate_credentials_t cred;
	pthread_mutex_t lock;
	struct ts_answer answer;
	char request[REQUEST_MAX + 1];
};

struct keycert {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
};

static void keycert_free(struct keycert *kc)
{
	if (kc->crt)
		gnutls_x509_crt_deinit(kc->crt);
	if (kc->key)
		gnutls_x509_privkey_deinit(kc->key);
}

/* A P-256 key and a certificate for it, signed by issuer (NULL: itself). */
static int make_cert(struct keycert *kc, const char *dn, bool ca,
                     time_t not_before, time_t not_after,
                     const struct keycert *issuer, unsigned serial,
                     const char *dns_name)
{
	const char *err = NULL;
	unsigned char ser[4] = { 0, 0, (unsigned char)(serial >> 8),
	                         (unsigned char)serial };
	if (gnutls_x509_privkey_init(&kc->key) < 0 ||
	    gnutls_x509_privkey_generate(kc->key, GNUTLS_PK_ECDSA,
	        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&kc->crt) < 0 ||
	    gnutls_x509_crt_set_version(kc->crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(kc->crt, ser, sizeof ser) < 0 ||
	    gnutls_x509_crt_set_activation_time(kc->crt, not_before) < 0 ||
	    gnutls_x509_crt_set_expiration_time(kc->crt, not_after) < 0 ||
	    gnutls_x509_crt_set_dn(kc->crt, dn, &err) < 0 ||
	    gnutls_x509_crt_set_key(kc->crt, kc->key) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(kc->crt, ca ? 1 : 0, -1) < 0)
		return -1;
	if (ca) {
		if (gnutls_x509_crt_set_key_usage(kc->crt,
		        GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0)
			return -1;
	} else {
		static const unsigned char ip[4] = { 127, 0, 0, 1 };
		if (gnutls_x509_crt_set_key_usage(kc->crt,
		        GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
		    gnutls_x509_crt_set_key_purpose_oid(kc->crt,
		        GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
		    gnutls_x509_crt_set_subject_alt_name(kc->crt,
		        GNUTLS_SAN_DNSNAME, dns_name, (unsigned)strlen(dns_name),
		        GNUTLS_FSAN_SET) < 0)
			return -1;
		if (strcmp(dns_name, "localhost") == 0 &&
		    gnutls_x509_crt_set_subject_alt_name(kc->crt,
		        GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND) < 0)
			return -1;
	}
	const struct keycert *by = issuer ? issuer : kc;
	return gnutls_x509_crt_sign2(kc->crt, by->crt, by->key,
	                             GNUTLS_DIG_SHA256, 0) < 0 ? -1 : 0;
}

static int write_pem(const char *dir, const char *name, gnutls_x509_crt_t crt)
{
	char path[1024];
	gnutls_datum_t pem = { NULL, 0 };
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		return -1;
	FILE *f = fopen(path, "w");
	int rc = f && fwrite(pem.data, 1, pem.size, f) == pem.size ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	gnutls_free(pem.data);
	return rc;
}

static int send_all(gnutls_session_t session, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(session, data, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads the head and the Content-Length body of one request. */
static size_t read_request(gnutls_session_t session, char *buf, size_t max)
{
	size_t len = 0;
	size_t need = 0;
	while (len < max) {
		ssize_t n = gnutls_record_recv(session, buf + len, max - len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (need == 0) {
			size_t head = (size_t)(end - buf) + 4;
			char *cl = strcasestr(buf, "\r\ncontent-length:");
			size_t body = cl && cl < end ?
			              strtoul(cl + 17, NULL, 10) : 0;
			need = head + body;
		}
		if (len >= need)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void serve_one(struct ts_server *s, int fd)
{
	gnutls_session_t session;
	if (gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) < 0)
		return;
	gnutls_set_default_priority(session);
	gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, s->cred);
	gnutls_transport_set_int(session, fd);
	gnutls_handshake_set_timeout(session, 5000);
	int rc;
	do {
		rc = gnutls_handshake(session);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		gnutls_deinit(session);
		return;
	}

	char *req = malloc(REQUEST_MAX + 1);
	if (!req) {
		gnutls_deinit(session);
		return;
	}
	read_request(session, req, REQUEST_MAX);
	pthread_mutex_lock(&s->lock);
	memcpy(s->request, req, strlen(req) + 1);
	struct ts_answer a = s->answer;
	pthread_mutex_unlock(&s->lock);
	free(req);

	if (!a.hang_up) {
		size_t body_len = a.body ? (a.body_len ? a.body_len :
		                            strlen(a.body)) : 0;
		size_t repeat = a.repeat ? a.repeat : 1;
		char head[2048];
		int n = snprintf(head, sizeof head, "HTTP/1.1 %d Test\r\n"
		                 "%s%s%s", a.status,
		                 a.content_type ? "Content-Type: " : "",
		                 a.content_type ? a.content_type : "",
		                 a.content_type ? "\r\n" : "");
		if (a.chunked)
			n += snprintf(head + n, sizeof head - (size_t)n,
			              "Transfer-Encoding: chunked\r\n");
		else
			n += snprintf(head + n, sizeof head - (size_t)n,
			              "Content-Length: %zu\r\n", body_len * repeat);
		snprintf(head + n, sizeof head - (size_t)n,
		         "Connection: close\r\n%s\r\n",
		         a.extra_headers ? a.extra_headers : "");
		if (send_all(session, head, strlen(head)) == 0) {
			for (size_t i = 0; i < repeat; i++) {
				char size_line[32];
				if (a.chunked) {
					snprintf(size_line, sizeof size_line,
					         "%zx\r\n", body_len);
					if (send_all(session, size_line,
					             strlen(size_line)) < 0)
						break;
				}
				if (send_all(session, a.body, body_len) < 0 ||
				    (a.chunked && send_all(session, "\r\n", 2) < 0))
					break;
			}
			if (a.chunked)
				send_all(session, "0\r\n\r\n", 5);
		}
		gnutls_bye(session, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(session);
}

static void *serve(void *arg)
{
	struct ts_server *s = arg;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = s->listen_fd, .events = POLLIN },
			{ .fd = s->stop_pipe[0], .events = POLLIN },
		};
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

struct ts_server *ts_start(const char *dir, enum ts_cert cert)
{
	struct ts_server *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->listen_fd = -1;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->answer.status = 200;

	time_t now = time(NULL);
	struct keycert ca = { 0 }, other = { 0 }, leaf = { 0 };
	int rc = -1;
	const char *name = cert == TS_CERT_WRONG_NAME ? "elsewhere.example" :
	                   "localhost";
	char dn[64];
	snprintf(dn, sizeof dn, "CN=%s", name);
	if (make_cert(&ca, "CN=coffre test CA", true, now - 7200, now + 7200,
	              NULL, 1, NULL) == 0 &&
	    make_cert(&other, "CN=another CA", true, now - 7200, now + 7200,
	              NULL, 2, NULL) == 0 &&
	    make_cert(&leaf, dn, false,
	              cert == TS_CERT_EXPIRED ? now - 5400 : now - 3600,
	              cert == TS_CERT_EXPIRED ? now - 3600 : now + 3600,
	              &ca, 3, name) == 0 &&
	    write_pem(dir, "ca.pem", ca.crt) == 0 &&
	    write_pem(dir, "other-ca.pem", other.crt) == 0 &&
	    gnutls_certificate_allocate_credentials(&s->cred) == 0 &&
	    gnutls_certificate_set_x509_key(s->cred, &leaf.crt, 1,
	                                    leaf.key) == 0)
		rc = 0;
	keycert_free(&ca);
	keycert_free(&other);
	keycert_free(&leaf);
	if (rc != 0) {
		ts_stop(s);
		return NULL;
	}

	struct sockaddr_in addr = { .sin_family = AF_INET };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof addr;
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(s->listen_fd, 8) != 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) != 0 ||
	    pipe(s->stop_pipe) != 0 ||
	    pthread_create(&s->thread, NULL, serve, s) != 0) {
		if (s->stop_pipe[0] >= 0) {
			close(s->stop_pipe[0]);
			close(s->stop_pipe[1]);
			s->stop_pipe[0] = s->stop_pipe[1] = -1;
		}
		ts_stop(s);
		return NULL;
	}
	s->port = ntohs(addr.sin_port);
	return s;
}

void ts_stop(struct ts_server *s)
{
	if (!s)
		return;
	if (s->stop_pipe[1] >= 0) {
		if (write(s->stop_pipe[1], "x", 1) == 1)
			pthread_join(s->thread, NULL);
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int ts_port(const struct ts_server *s)
{
	return s->port;
}

void ts_answer_with(struct ts_server *s, const struct ts_answer *a)
{
	pthread_mutex_lock(&s->lock);
	s->answer = *a;
	pthread_mutex_unlock(&s->lock);
}

char *ts_last_request(struct ts_server *s, char *buf, size_t size)
{
	pthread_mutex_lock(&s->lock);
	snprintf(buf, size, "%s", s->request);
	pthread_mutex_unlock(&s->lock);
	return buf;
}
