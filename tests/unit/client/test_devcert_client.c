/* The device TLS certificate of libcoffre (src/client/devcert.c and its
 * wiring in client.c): the CSR parses and verifies with GnuTLS and is for
 * an ECDSA P-256 key kept 0600 in the profile; a certificate is stored only
 * when it is for that key, from the CA given, with the announced SHA-256;
 * an interrupted store is completed; and every request presents the
 * profile's pair (or the options' pair) to a GnuTLS server that asks for
 * one, which also explains a server that hangs up after asking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "client/internal.h"
#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Certificates made here                                                    */

struct pki {
	gnutls_x509_privkey_t ca_key, srv_key, other_ca_key;
	gnutls_x509_crt_t ca, srv, other_ca;
	char ca_pem[4096], other_ca_pem[4096];
};

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t k;
	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	return k;
}

static unsigned serial_counter = 1;

/* A certificate for key (or for the CSR crq) signed by issuer/ikey
 * (self-signed when issuer is NULL). */
static gnutls_x509_crt_t make_crt(gnutls_x509_privkey_t key,
                                  gnutls_x509_crq_t crq, const char *cn,
                                  bool ca, const char *purpose,
                                  gnutls_x509_crt_t issuer,
                                  gnutls_x509_privkey_t ikey)
{
	gnutls_x509_crt_t c;
	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	if (crq)
		assert_int_equal(gnutls_x509_crt_set_crq(c, crq), 0);
	else
		assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
	assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
	unsigned char serial[4] = { 0, 0, 0, (unsigned char)serial_counter++ };
	assert_int_equal(gnutls_x509_crt_set_serial(c, serial, sizeof serial),
	                 0);
	time_t now = time(NULL);
	assert_int_equal(gnutls_x509_crt_set_activation_time(c, now - 300), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(c, now + 86400),
	                 0);
	if (!crq)
		assert_int_equal(gnutls_x509_crt_set_dn_by_oid(c,
			GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)),
			0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(c, ca, -1), 0);
	if (ca) {
		assert_int_equal(gnutls_x509_crt_set_key_usage(c,
			GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	} else {
		assert_int_equal(gnutls_x509_crt_set_key_usage(c,
			GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
		if (purpose)
			assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(c,
				purpose, 0), 0);
	}
	if (!ca && !crq)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(c,
			GNUTLS_SAN_IPADDRESS, "\x7f\x00\x00\x01", 4,
			GNUTLS_FSAN_SET), 0);
	assert_int_equal(gnutls_x509_crt_sign2(c, issuer ? issuer : c,
	                                       ikey ? ikey : key,
	                                       GNUTLS_DIG_SHA256, 0), 0);
	return c;
}

static void crt_pem(gnutls_x509_crt_t c, char *out, size_t size)
{
	assert_int_equal(gnutls_x509_crt_export(c, GNUTLS_X509_FMT_PEM, out,
	                                        &size), 0);
	out[size] = '\0';
}

static void pki_make(struct pki *p)
{
	p->ca_key = new_key();
	p->ca = make_crt(p->ca_key, NULL, "test device CA", true, NULL, NULL,
	                 NULL);
	p->other_ca_key = new_key();
	p->other_ca = make_crt(p->other_ca_key, NULL, "other CA", true, NULL,
	                       NULL, NULL);
	p->srv_key = new_key();
	p->srv = make_crt(p->srv_key, NULL, "127.0.0.1", false,
	                  GNUTLS_KP_TLS_WWW_SERVER, p->ca, p->ca_key);
	crt_pem(p->ca, p->ca_pem, sizeof p->ca_pem - 1);
	crt_pem(p->other_ca, p->other_ca_pem, sizeof p->other_ca_pem - 1);
}

static void pki_free(struct pki *p)
{
	gnutls_x509_crt_deinit(p->ca);
	gnutls_x509_crt_deinit(p->srv);
	gnutls_x509_crt_deinit(p->other_ca);
	gnutls_x509_privkey_deinit(p->ca_key);
	gnutls_x509_privkey_deinit(p->srv_key);
	gnutls_x509_privkey_deinit(p->other_ca_key);
}

/* The device CA's answer to a CSR, as PEM. */
static void issue(struct pki *p, const char *csr, const char *purpose,
                  gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key,
                  char *out, size_t size)
{
	gnutls_x509_crq_t crq;
	assert_int_equal(gnutls_x509_crq_init(&crq), 0);
	const gnutls_datum_t d = { (unsigned char *)(uintptr_t)csr,
	                           (unsigned)strlen(csr) };
	assert_int_equal(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM),
	                 0);
	gnutls_x509_crt_t c = make_crt(NULL, crq, NULL, false, purpose,
	                               ca ? ca : p->ca,
	                               ca_key ? ca_key : p->ca_key);
	crt_pem(c, out, size - 1);
	gnutls_x509_crt_deinit(c);
	gnutls_x509_crq_deinit(crq);
}

static void sha256_hex(const char *pem, char out[65])
{
	gnutls_x509_crt_t c;
	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	const gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	                           (unsigned)strlen(pem) };
	assert_int_equal(gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM),
	                 0);
	unsigned char fp[32];
	size_t n = sizeof fp;
	assert_int_equal(gnutls_x509_crt_get_fingerprint(c, GNUTLS_DIG_SHA256,
	                                                 fp, &n), 0);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", fp[i]);
	gnutls_x509_crt_deinit(c);
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                   */

struct fixture {
	char dir[256];
	char profile[300];
	cf_profile *prof;
	struct pki pki;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !tu_tempdir(f->dir, sizeof f->dir))
		return -1;
	snprintf(f->profile, sizeof f->profile, "%s/p", f->dir);
	if (cf_profile_open(&f->prof, f->profile, CF_PROFILE_CREATE, NULL))
		return -1;
	pki_make(&f->pki);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cf_profile_free(f->prof);
	pki_free(&f->pki);
	tu_rm_rf(f->dir);
	free(f);
	return 0;
}

static bool exists(const struct fixture *f, const char *name)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", f->profile, name);
	return stat(path, &st) == 0;
}

static mode_t mode_of(const struct fixture *f, const char *name)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", f->profile, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static char *read_text(const struct fixture *f, const char *name)
{
	unsigned char *data = NULL;
	size_t len = 0;
	assert_int_equal(cf_profile_read(f->prof, name, 0, &data, &len), CF_OK);
	char *copy = strdup((const char *)data);
	cf_profile_data_free(data);
	return copy;
}

/* A stored pair, from a fresh CSR signed by the test CA. */
static void store_pair(struct fixture *f, char sha[65])
{
	char *csr = NULL;
	char cert[4096];
	assert_int_equal(cf_devcert_csr(f->prof, &csr, NULL), CF_OK);
	issue(&f->pki, csr, GNUTLS_KP_TLS_WWW_CLIENT, NULL, NULL, cert,
	      sizeof cert);
	free(csr);
	sha256_hex(cert, sha);
	struct cf_devcert_info info;
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem, sha,
	                                  &info, NULL), CF_OK);
	assert_string_equal(info.cert_sha256, sha);
}

/* ------------------------------------------------------------------------ */
/* CSR and key                                                               */

static void test_csr_parses_and_key_is_private(void **state)
{
	struct fixture *f = *state;
	char *csr = NULL;
	cf_errmsg why;
	assert_int_equal(cf_devcert_csr(f->prof, &csr, &why), CF_OK);
	assert_true(strncmp(csr, "-----BEGIN CERTIFICATE REQUEST-----\n",
	                    36) == 0);

	gnutls_x509_crq_t crq;
	assert_int_equal(gnutls_x509_crq_init(&crq), 0);
	const gnutls_datum_t d = { (unsigned char *)csr, (unsigned)strlen(csr) };
	assert_int_equal(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM),
	                 0);
	assert_true(gnutls_x509_crq_verify(crq, 0) >= 0);   /* self-signature */
	unsigned bits = 0;
	assert_int_equal(gnutls_x509_crq_get_pk_algorithm(crq, &bits),
	                 GNUTLS_PK_ECDSA);
	gnutls_pubkey_t pub;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_x509_crq(pub, crq, 0), 0);
	assert_int_equal(gnutls_pubkey_export_ecc_raw(pub, &curve, NULL, NULL),
	                 0);
	assert_int_equal(curve, GNUTLS_ECC_CURVE_SECP256R1);

	/* the key waits in the profile, 0600, PKCS#8, and is the CSR's */
	assert_true(exists(f, CF_DEVCERT_NEXT_KEY_FILE));
	assert_int_equal(mode_of(f, CF_DEVCERT_NEXT_KEY_FILE), 0600);
	char *key = read_text(f, CF_DEVCERT_NEXT_KEY_FILE);
	assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	gnutls_x509_privkey_t k;
	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	const gnutls_datum_t kd = { (unsigned char *)key, (unsigned)strlen(key) };
	assert_int_equal(gnutls_x509_privkey_import(k, &kd, GNUTLS_X509_FMT_PEM),
	                 0);
	unsigned char a[64], b[64];
	size_t alen = sizeof a, blen = sizeof b;
	assert_int_equal(gnutls_x509_crq_get_key_id(crq, GNUTLS_KEYID_USE_SHA256,
	                                            a, &alen), 0);
	assert_int_equal(gnutls_x509_privkey_get_key_id(k,
		GNUTLS_KEYID_USE_SHA256, b, &blen), 0);
	assert_memory_equal(a, b, alen);
	gnutls_x509_privkey_deinit(k);
	free(key);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);

	/* nothing to present yet */
	char *cp = NULL, *kp = NULL;
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, &why),
	                 CF_ERR_NOT_FOUND);
	assert_false(exists(f, CF_DEVCERT_KEY_FILE));
	free(csr);
}

static void test_store_and_files(void **state)
{
	struct fixture *f = *state;
	char sha[65];
	store_pair(f, sha);
	assert_true(exists(f, CF_DEVCERT_KEY_FILE));
	assert_true(exists(f, CF_DEVCERT_CERT_FILE));
	assert_false(exists(f, CF_DEVCERT_NEXT_KEY_FILE));
	assert_false(exists(f, CF_DEVCERT_NEXT_CERT_FILE));
	assert_int_equal(mode_of(f, CF_DEVCERT_KEY_FILE), 0600);
	assert_int_equal(mode_of(f, CF_DEVCERT_CERT_FILE), 0600);

	char *cp = NULL, *kp = NULL;
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, NULL), CF_OK);
	char want[400];
	snprintf(want, sizeof want, "%s/%s", f->profile, CF_DEVCERT_CERT_FILE);
	assert_string_equal(cp, want);
	snprintf(want, sizeof want, "%s/%s", f->profile, CF_DEVCERT_KEY_FILE);
	assert_string_equal(kp, want);
	free(cp);
	free(kp);
	struct cf_devcert_info info;
	assert_int_equal(cf_devcert_info(f->prof, &info, NULL), CF_OK);
	assert_string_equal(info.cert_sha256, sha);
	assert_true(info.not_after > (long long)time(NULL));

	/* a key others can read is refused, not silently skipped */
	char path[400];
	snprintf(path, sizeof path, "%s/%s", f->profile, CF_DEVCERT_KEY_FILE);
	assert_int_equal(chmod(path, 0640), 0);
	cf_errmsg why;
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, &why),
	                 CF_ERR_DENIED);
	assert_int_equal(chmod(path, 0600), 0);
	/* a certificate without its key is a configuration error */
	assert_int_equal(cf_profile_remove(f->prof, CF_DEVCERT_KEY_FILE), CF_OK);
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, &why),
	                 CF_ERR_CONFIG);
	assert_non_null(strstr(why.text, "no key"));
}

static void test_store_refusals_change_nothing(void **state)
{
	struct fixture *f = *state;
	char sha[65], cert[4096], other_sha[65];
	store_pair(f, sha);
	char *before = read_text(f, CF_DEVCERT_CERT_FILE);
	cf_errmsg why;

	/* no pending key */
	assert_int_equal(cf_devcert_store(f->prof, before, NULL, NULL, NULL,
	                                  &why), CF_ERR_NOT_FOUND);

	char *csr1 = NULL, *csr2 = NULL;
	assert_int_equal(cf_devcert_csr(f->prof, &csr1, NULL), CF_OK);
	assert_int_equal(cf_devcert_csr(f->prof, &csr2, NULL), CF_OK);
	/* a certificate for another key (csr1's; the pending key is csr2's) */
	issue(&f->pki, csr1, GNUTLS_KP_TLS_WWW_CLIENT, NULL, NULL, cert,
	      sizeof cert);
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem, NULL,
	                                  NULL, &why), CF_ERR_CRYPTO);
	assert_non_null(strstr(why.text, "not for this device's TLS key"));
	/* from another CA than the one given */
	issue(&f->pki, csr2, GNUTLS_KP_TLS_WWW_CLIENT, f->pki.other_ca,
	      f->pki.other_ca_key, cert, sizeof cert);
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem, NULL,
	                                  NULL, &why), CF_ERR_CRYPTO);
	assert_non_null(strstr(why.text, "device CA"));
	/* not for TLS clients */
	issue(&f->pki, csr2, GNUTLS_KP_TLS_WWW_SERVER, NULL, NULL, cert,
	      sizeof cert);
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem, NULL,
	                                  NULL, &why), CF_ERR_CRYPTO);
	assert_non_null(strstr(why.text, "clientAuth"));
	/* the right one, but not the fingerprint announced */
	issue(&f->pki, csr2, GNUTLS_KP_TLS_WWW_CLIENT, NULL, NULL, cert,
	      sizeof cert);
	sha256_hex(cert, other_sha);
	other_sha[0] = other_sha[0] == '0' ? '1' : '0';
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem,
	                                  other_sha, NULL, &why), CF_ERR_CRYPTO);
	assert_int_equal(cf_devcert_store(f->prof, "garbage", NULL, NULL, NULL,
	                                  &why), CF_ERR_CRYPTO);
	char *after = read_text(f, CF_DEVCERT_CERT_FILE);
	assert_string_equal(before, after);
	assert_false(exists(f, CF_DEVCERT_NEXT_CERT_FILE));
	/* and the good one (upper-case fingerprint is the same one) */
	sha256_hex(cert, other_sha);
	for (char *c = other_sha; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	assert_int_equal(cf_devcert_store(f->prof, cert, f->pki.ca_pem,
	                                  other_sha, NULL, &why), CF_OK);
	free(after);
	after = read_text(f, CF_DEVCERT_CERT_FILE);
	assert_string_equal(after, cert);
	free(before);
	free(after);
	free(csr1);
	free(csr2);
}

static void test_interrupted_store_is_completed(void **state)
{
	struct fixture *f = *state;
	char sha[65], cert[4096];
	store_pair(f, sha);
	char *csr = NULL;
	assert_int_equal(cf_devcert_csr(f->prof, &csr, NULL), CF_OK);
	issue(&f->pki, csr, GNUTLS_KP_TLS_WWW_CLIENT, NULL, NULL, cert,
	      sizeof cert);
	/* as if the process died right after writing the commit marker */
	assert_int_equal(cf_profile_write(f->prof, CF_DEVCERT_NEXT_CERT_FILE,
	                                  cert, strlen(cert)), CF_OK);
	char *cp = NULL, *kp = NULL;
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, NULL), CF_OK);
	free(cp);
	free(kp);
	char *now = read_text(f, CF_DEVCERT_CERT_FILE);
	assert_string_equal(now, cert);
	assert_false(exists(f, CF_DEVCERT_NEXT_CERT_FILE));
	assert_false(exists(f, CF_DEVCERT_NEXT_KEY_FILE));
	free(now);
	/* a marker that is not for the pending key is dropped, pair kept */
	free(csr);
	csr = NULL;
	assert_int_equal(cf_devcert_csr(f->prof, &csr, NULL), CF_OK);
	assert_int_equal(cf_profile_write(f->prof, CF_DEVCERT_NEXT_CERT_FILE,
	                                  cert, strlen(cert)), CF_OK);
	assert_int_equal(cf_devcert_files(f->prof, &cp, &kp, NULL), CF_OK);
	free(cp);
	free(kp);
	assert_false(exists(f, CF_DEVCERT_NEXT_CERT_FILE));
	now = read_text(f, CF_DEVCERT_CERT_FILE);
	assert_string_equal(now, cert);
	free(now);
	free(csr);
}

/* ------------------------------------------------------------------------ */
/* Wiring: a GnuTLS server that asks for a client certificate                */

struct srv {
	int fd, port;
	pthread_t thread;
	gnutls_certificate_credentials_t cred;
	bool hang_up;             /* close after the handshake, no answer */
	int connections;          /* to serve, then the thread ends */
	char seen[65];            /* SHA-256 of the last client certificate */
	int seen_count;           /* connections that presented one */
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	for (int i = 0; i < s->connections; i++) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			break;
		gnutls_session_t ss;
		gnutls_init(&ss, GNUTLS_SERVER);
		gnutls_set_default_priority(ss);
		gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, s->cred);
		gnutls_certificate_server_set_request(ss, GNUTLS_CERT_REQUEST);
		gnutls_transport_set_int(ss, c);
		int rc;
		do {
			rc = gnutls_handshake(ss);
		} while (rc < 0 && !gnutls_error_is_fatal(rc));
		if (rc == 0) {
			unsigned n = 0;
			const gnutls_datum_t *peers =
				gnutls_certificate_get_peers(ss, &n);
			s->seen[0] = '\0';
			if (peers && n > 0) {
				unsigned char fp[32];
				size_t fl = sizeof fp;
				gnutls_fingerprint(GNUTLS_DIG_SHA256, &peers[0], fp,
				                   &fl);
				for (size_t k = 0; k < 32; k++)
					snprintf(s->seen + 2 * k, 3, "%02x", fp[k]);
				s->seen_count++;
			}
			char buf[4096];
			size_t got = 0;
			while (!s->hang_up && got < sizeof buf - 1) {
				ssize_t r = gnutls_record_recv(ss, buf + got,
				                               sizeof buf - 1 - got);
				if (r <= 0)
					break;
				got += (size_t)r;
				buf[got] = '\0';
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			if (!s->hang_up) {
				static const char answer[] =
					"HTTP/1.1 200 OK\r\nContent-Type: "
					"application/json\r\nContent-Length: 2\r\n"
					"Connection: close\r\n\r\n{}";
				gnutls_record_send(ss, answer, sizeof answer - 1);
				gnutls_bye(ss, GNUTLS_SHUT_WR);
			}
		}
		gnutls_deinit(ss);
		close(c);
	}
	return NULL;
}

static void srv_start(struct srv *s, struct pki *p, int connections,
                      bool hang_up)
{
	memset(s, 0, sizeof *s);
	s->connections = connections;
	s->hang_up = hang_up;
	assert_int_equal(gnutls_certificate_allocate_credentials(&s->cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key(s->cred, &p->srv, 1,
	                                                 p->srv_key), 0);
	assert_true(gnutls_certificate_set_x509_trust(s->cred, &p->ca, 1) > 0);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
	gnutls_certificate_free_credentials(s->cred);
}

static cf_client *client_for(struct fixture *f, const struct srv *s,
                             const char *cert, const char *key, cf_err *ret)
{
	char url[64], ca[400];
	snprintf(url, sizeof url, "https://127.0.0.1:%d", s->port);
	snprintf(ca, sizeof ca, "%s/ca.pem", f->dir);
	assert_int_equal(tu_write_file(ca, f->pki.ca_pem, 0644), 0);
	cf_errmsg why;
	const struct cf_client_options opts = {
		.server_url = url, .ca_file = ca, .profile_dir = f->profile,
		.error = &why, .cert_file = cert, .key_file = key,
		.timeout_ms = 10000,
	};
	cf_client *c = NULL;
	*ret = cf_client_new(&c, &opts);
	return c;
}

static cf_err get(cf_client *c)
{
	const struct cf_http_request req = { .method = "GET", .path = "/x" };
	struct cf_http_response *r = NULL;
	cf_err err = cf_client_request(c, &req, &r);
	cf_http_response_free(r);
	return err;
}

static void test_requests_present_the_profile_pair(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	cf_err err;

	/* no pair in the profile: nothing presented, as before */
	srv_start(&s, &f->pki, 1, false);
	cf_client *c = client_for(f, &s, NULL, NULL, &err);
	assert_int_equal(err, CF_OK);
	assert_int_equal(get(c), CF_OK);
	cf_client_free(c);
	srv_stop(&s);
	assert_int_equal(s.seen_count, 0);

	/* with the pair: every request presents it */
	char sha[65];
	store_pair(f, sha);
	srv_start(&s, &f->pki, 2, false);
	c = client_for(f, &s, NULL, NULL, &err);
	assert_int_equal(get(c), CF_OK);
	assert_int_equal(get(c), CF_OK);
	cf_client_free(c);
	srv_stop(&s);
	assert_int_equal(s.seen_count, 2);
	assert_string_equal(s.seen, sha);
}

static void test_options_pair_and_checks(void **state)
{
	struct fixture *f = *state;
	char sha[65], cert[400], key[400];
	store_pair(f, sha);
	/* the same pair, copied out of the profile, given as options */
	snprintf(cert, sizeof cert, "%s/c.pem", f->dir);
	snprintf(key, sizeof key, "%s/k.pem", f->dir);
	char *text = read_text(f, CF_DEVCERT_CERT_FILE);
	assert_int_equal(tu_write_file(cert, text, 0644), 0);
	free(text);
	text = read_text(f, CF_DEVCERT_KEY_FILE);
	assert_int_equal(tu_write_file(key, text, 0600), 0);
	free(text);
	assert_int_equal(cf_profile_remove(f->prof, CF_DEVCERT_CERT_FILE), CF_OK);

	struct srv s;
	cf_err err;
	srv_start(&s, &f->pki, 1, false);
	cf_client *c = client_for(f, &s, cert, key, &err);
	assert_int_equal(err, CF_OK);
	assert_int_equal(get(c), CF_OK);
	cf_client_free(c);
	srv_stop(&s);
	assert_int_equal(s.seen_count, 1);
	assert_string_equal(s.seen, sha);

	/* both or neither; the key private; PEM */
	assert_null(client_for(f, &s, cert, NULL, &err));
	assert_int_equal(err, CF_ERR_INVALID);
	assert_null(client_for(f, &s, NULL, key, &err));
	assert_int_equal(err, CF_ERR_INVALID);
	assert_int_equal(chmod(key, 0640), 0);
	assert_null(client_for(f, &s, cert, key, &err));
	assert_int_equal(err, CF_ERR_DENIED);
	assert_null(client_for(f, &s, key, cert, &err));   /* swapped */
	assert_int_equal(err, CF_ERR_CONFIG);
	assert_int_equal(chmod(key, 0600), 0);
	assert_null(client_for(f, &s, key, key, &err));
	assert_int_equal(err, CF_ERR_CONFIG);
}

static void test_hang_up_after_asking_is_explained(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	cf_err err;
	srv_start(&s, &f->pki, 1, true);
	cf_client *c = client_for(f, &s, NULL, NULL, &err);
	assert_int_equal(get(c), CF_ERR_TLS);
	assert_non_null(strstr(cf_client_last_error(c),
	                       "asked for a TLS client certificate"));
	assert_non_null(strstr(cf_client_last_error(c),
	                       "no device certificate"));
	cf_client_free(c);
	srv_stop(&s);

	char sha[65];
	store_pair(f, sha);
	srv_start(&s, &f->pki, 1, true);
	c = client_for(f, &s, NULL, NULL, &err);
	assert_int_equal(get(c), CF_ERR_TLS);
	assert_non_null(strstr(cf_client_last_error(c), "refused the "
	                       "certificate"));
	assert_non_null(strstr(cf_client_last_error(c), "device-tls.pem"));
	cf_client_free(c);
	srv_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_csr_parses_and_key_is_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_and_files, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
			test_store_refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_interrupted_store_is_completed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_requests_present_the_profile_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options_pair_and_checks,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_hang_up_after_asking_is_explained, setup, teardown),
	};
	return cmocka_run_group_tests_name("client_devcert", tests, NULL, NULL);
}
