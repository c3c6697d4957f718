/* The device CA (src/server/devcert.c): made once and reloaded, CSR checks
 * (self-signature, key types), what an issued certificate holds whatever the
 * CSR asked for, and the check of presented certificates (other CA, expired,
 * CA certificate). CSRs are made here with GnuTLS's own PKCS#10 API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "crypto/crypto.h"
#include "server/devcert.h"
#include "util/encoding.h"
#include "util/fsutil.h"

#define DEVICE "0123456789abcdef0123456789abcdef"
#define ORG "fedcba9876543210fedcba9876543210"

struct fixture {
	char dir[64];
	struct cf_devca *ca;
};

static void remove_tree(const char *dir)
{
	char p[256];
	static const char *const files[] = { "tls/device-ca.pem", "tls/device-ca.key", NULL };
	for (size_t i = 0; files[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/tls", dir);
	rmdir(p);
	rmdir(dir);
}

static struct cf_devca *new_ca(char dir[64])
{
	snprintf(dir, 64, "/tmp/cf-devcert-XXXXXX");
	assert_non_null(mkdtemp(dir));
	struct cf_devca *ca = NULL;
	bool created = false;
	char msg[256];
	cf_err err = cf_devca_ensure(dir, &ca, &created, msg, sizeof(msg));
	if (err)
		fail_msg("cf_devca_ensure: %s", msg);
	assert_true(created);
	return ca;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->ca = new_ca(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cf_devca_free(f->ca);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* A PEM CSR for a new key of alg/bits with subject CN=cn; extras adds what a
 * greedy client would ask for (CA:true, serverAuth, a DNS name). */
static char *make_csr(gnutls_pk_algorithm_t alg, unsigned bits, const char *cn, bool extras,
                      gnutls_datum_t *ret_der)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crq_t crq;
	assert_true(gnutls_x509_privkey_init(&key) >= 0);
	assert_true(gnutls_x509_privkey_generate(key, alg, bits, 0) >= 0);
	assert_true(gnutls_x509_crq_init(&crq) >= 0);
	assert_true(gnutls_x509_crq_set_version(crq, 1) >= 0);
	assert_true(gnutls_x509_crq_set_key(crq, key) >= 0);
	assert_true(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                          (unsigned)strlen(cn)) >= 0);
	if (extras) {
		assert_true(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
		                                          "evil corp", 9) >= 0);
		assert_true(gnutls_x509_crq_set_basic_constraints(crq, 1, -1) >= 0);
		assert_true(gnutls_x509_crq_set_key_purpose_oid(crq, GNUTLS_KP_TLS_WWW_SERVER, 0) >= 0);
		assert_true(gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME,
		            "evil.example", 12, GNUTLS_FSAN_APPEND) >= 0);
	}
	gnutls_digest_algorithm_t dig = alg == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_UNKNOWN :
	                                GNUTLS_DIG_SHA256;
	assert_true(gnutls_x509_crq_sign2(crq, key, dig, 0) >= 0);
	gnutls_datum_t pem = { NULL, 0 };
	assert_true(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &pem) >= 0);
	if (ret_der)
		assert_true(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, ret_der) >= 0);
	char *s = malloc(pem.size + 1);
	assert_non_null(s);
	memcpy(s, pem.data, pem.size);
	s[pem.size] = '\0';
	gnutls_free(pem.data);
	gnutls_x509_crq_deinit(crq);
	gnutls_x509_privkey_deinit(key);
	return s;
}

static char *p256_csr(const char *cn, bool extras)
{
	return make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), cn,
	                extras, NULL);
}

static cf_err issue(struct cf_devca *ca, const char *csr, time_t now, char **pem, char fp[65],
                    char *why, size_t cap)
{
	return cf_devca_issue(ca, csr, strlen(csr), DEVICE, ORG, now, CF_DEVCERT_DAYS, pem, fp,
	                      why, cap);
}

static gnutls_x509_crt_t parse(const char *pem, gnutls_datum_t *ret_der)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };
	assert_true(gnutls_x509_crt_init(&crt) >= 0);
	assert_true(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0);
	if (ret_der)
		assert_true(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, ret_der) >= 0);
	return crt;
}

static void dn_part(gnutls_x509_crt_t crt, const char *oid, char *out, size_t cap)
{
	size_t len = cap;
	out[0] = '\0';
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, out, &len) < 0)
		out[0] = '\0';
}

/* --- the CA itself -------------------------------------------------------- */

static void ca_made_once_then_reloaded(void **state)
{
	struct fixture *f = *state;
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/tls/device-ca.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/tls/device-ca.pem", f->dir);
	assert_int_equal(stat(path, &st), 0);

	struct cf_devca *again = NULL;
	bool created = true;
	char msg[256];
	assert_int_equal(cf_devca_ensure(f->dir, &again, &created, msg, sizeof(msg)), CF_OK);
	assert_false(created);
	assert_string_equal(cf_devca_pem(again), cf_devca_pem(f->ca));

	/* ECDSA P-256, a CA, and not the server's test CA */
	gnutls_x509_crt_t crt = parse(cf_devca_pem(again), NULL);
	unsigned bits = 0, is_ca = 0;
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
	assert_true(gnutls_x509_crt_get_basic_constraints(crt, NULL, &is_ca, NULL) >= 0);
	assert_true(is_ca);
	char cn[128];
	dn_part(crt, GNUTLS_OID_X520_COMMON_NAME, cn, sizeof(cn));
	assert_true(strncmp(cn, "coffre device CA ", 17) == 0);
	assert_null(strstr(cn, "test CA"));
	gnutls_x509_crt_deinit(crt);

	/* a certificate issued before the reload still checks after it */
	char *csr = p256_csr("x", false), *pem = NULL, fp[65], why[256];
	assert_int_equal(issue(f->ca, csr, time(NULL), &pem, fp, why, sizeof(why)), CF_OK);
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_deinit(parse(pem, &der));
	char dev[33], fp2[65];
	assert_int_equal(cf_devca_check(again, der.data, der.size, dev, fp2, why, sizeof(why)), CF_OK);
	assert_string_equal(fp, fp2);
	gnutls_free(der.data);
	free(pem);
	free(csr);
	cf_devca_free(again);
}

static void ca_files_are_checked(void **state)
{
	struct fixture *f = *state;
	char path[256], msg[256];
	struct cf_devca *ca = NULL;
	snprintf(path, sizeof(path), "%s/tls/device-ca.key", f->dir);
	/* a key readable by others is refused (secret-file rule) */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cf_devca_ensure(f->dir, &ca, NULL, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "device CA key"));
	/* another CA's key does not pass for this one's */
	char other_dir[64];
	struct cf_devca *other = new_ca(other_dir);
	char other_key[256];
	snprintf(other_key, sizeof(other_key), "%s/tls/device-ca.key", other_dir);
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why = NULL;
	assert_int_equal(cf_read_secret_file(other_key, 65536, &buf, &len, &why), CF_OK);
	assert_int_equal(cf_write_file_atomic(path, buf, len, 0600), CF_OK);
	cf_free_secret(buf);
	assert_int_equal(cf_devca_ensure(f->dir, &ca, NULL, msg, sizeof(msg)), CF_ERR_CONFIG);
	assert_non_null(strstr(msg, "does not belong"));
	cf_devca_free(other);
	remove_tree(other_dir);
}

/* --- issuing -------------------------------------------------------------- */

static void good_csr_gives_a_client_certificate(void **state)
{
	struct fixture *f = *state;
	char *csr = p256_csr("whatever", false), *pem = NULL, fp[65], why[256];
	time_t now = time(NULL);
	assert_int_equal(issue(f->ca, csr, now, &pem, fp, why, sizeof(why)), CF_OK);
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t crt = parse(pem, &der);

	char v[256];
	dn_part(crt, GNUTLS_OID_X520_COMMON_NAME, v, sizeof(v));
	assert_string_equal(v, DEVICE);
	dn_part(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, v, sizeof(v));
	assert_string_equal(v, ORG);
	/* issued by the CA and signed by it */
	gnutls_x509_crt_t ca = parse(cf_devca_pem(f->ca), NULL);
	assert_true(gnutls_x509_crt_check_issuer(crt, ca));
	unsigned status = 99;
	assert_true(gnutls_x509_crt_verify(crt, &ca, 1, 0, &status) >= 0);
	assert_int_equal(status, 0);
	/* 365 days, CA:false, digitalSignature, clientAuth only */
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t to = gnutls_x509_crt_get_expiration_time(crt);
	assert_true(from <= now && from >= now - 600);
	assert_int_equal(to - now, (time_t)365 * 86400);
	unsigned is_ca = 1, usage = 0;
	assert_true(gnutls_x509_crt_get_basic_constraints(crt, NULL, &is_ca, NULL) >= 0);
	assert_false(is_ca);
	assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, NULL) >= 0);
	assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
	char oid[128];
	size_t olen = sizeof(oid);
	assert_true(gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &olen, NULL) >= 0);
	assert_string_equal(oid, GNUTLS_KP_TLS_WWW_CLIENT);
	olen = sizeof(oid);
	assert_true(gnutls_x509_crt_get_key_purpose_oid(crt, 1, oid, &olen, NULL) < 0);
	/* a random 16-byte serial; the fingerprint is SHA-256 of the DER */
	unsigned char serial[40];
	size_t slen = sizeof(serial);
	assert_true(gnutls_x509_crt_get_serial(crt, serial, &slen) >= 0);
	assert_int_equal(slen, 16);
	uint8_t h[32];
	char hex[65];
	cf_sha256(h, der.data, der.size);
	cf_hex_encode(hex, sizeof(hex), h, 32);
	assert_string_equal(fp, hex);
	/* and it passes the check of presented certificates */
	char dev[33], fp2[65];
	if (cf_devca_check(f->ca, der.data, der.size, dev, fp2, why, sizeof(why)))
		fail_msg("check: %s", why);
	assert_string_equal(dev, DEVICE);
	assert_string_equal(fp2, fp);

	/* two issues of the same CSR: different serials, different certificates */
	char *pem2 = NULL, fp3[65];
	assert_int_equal(issue(f->ca, csr, now, &pem2, fp3, why, sizeof(why)), CF_OK);
	assert_string_not_equal(fp, fp3);
	free(pem2);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(der.data);
	free(pem);
	free(csr);
}

static void requested_subject_and_extensions_are_ignored(void **state)
{
	struct fixture *f = *state;
	char *csr = p256_csr("admin", true), *pem = NULL, fp[65], why[256];
	assert_int_equal(issue(f->ca, csr, time(NULL), &pem, fp, why, sizeof(why)), CF_OK);
	gnutls_x509_crt_t crt = parse(pem, NULL);
	char dn[512];
	size_t len = sizeof(dn);
	assert_true(gnutls_x509_crt_get_dn(crt, dn, &len) >= 0);
	assert_null(strstr(dn, "admin"));
	assert_null(strstr(dn, "evil"));
	assert_non_null(strstr(dn, "CN=" DEVICE));
	unsigned is_ca = 1;
	assert_true(gnutls_x509_crt_get_basic_constraints(crt, NULL, &is_ca, NULL) >= 0);
	assert_false(is_ca);
	char san[128];
	size_t slen = sizeof(san);
	assert_true(gnutls_x509_crt_get_subject_alt_name(crt, 0, san, &slen, NULL) < 0);
	char oid[128];
	size_t olen = sizeof(oid);
	assert_true(gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &olen, NULL) >= 0);
	assert_string_equal(oid, GNUTLS_KP_TLS_WWW_CLIENT);
	olen = sizeof(oid);
	assert_true(gnutls_x509_crt_get_key_purpose_oid(crt, 1, oid, &olen, NULL) < 0);
	gnutls_x509_crt_deinit(crt);
	free(pem);
	free(csr);
}

static void ed25519_is_accepted(void **state)
{
	struct fixture *f = *state;
	char *csr = make_csr(GNUTLS_PK_EDDSA_ED25519, 0, "x", false, NULL);
	char *pem = NULL, fp[65], why[256];
	assert_int_equal(issue(f->ca, csr, time(NULL), &pem, fp, why, sizeof(why)), CF_OK);
	gnutls_x509_crt_t crt = parse(pem, NULL);
	unsigned bits = 0;
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_EDDSA_ED25519);
	gnutls_x509_crt_deinit(crt);
	free(pem);
	free(csr);
}

static void refused(struct fixture *f, const char *csr, size_t len, const char *word)
{
	char *pem = NULL, fp[65] = "", why[256] = "";
	cf_err err = cf_devca_issue(f->ca, csr, len, DEVICE, ORG, time(NULL), CF_DEVCERT_DAYS, &pem,
	                            fp, why, sizeof(why));
	if (err != CF_ERR_INVALID || !strstr(why, word))
		fail_msg("want CF_ERR_INVALID mentioning '%s'; got %d: %s", word, err, why);
	assert_null(pem);
	assert_string_equal(fp, "");
	assert_non_null(strstr(why, "csr"));
}

static void bad_signature_is_refused(void **state)
{
	struct fixture *f = *state;
	gnutls_datum_t der = { NULL, 0 };
	char *csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
	                     "whatever", false, &der);
	/* change the signed subject after signing: CN=whatever -> CN=whatevex */
	uint8_t *p = memmem(der.data, der.size, "whatever", 8);
	assert_non_null(p);
	p[7] = 'x';
	gnutls_datum_t pem = { NULL, 0 };
	assert_true(gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &der, &pem) >= 0);
	refused(f, (const char *)pem.data, pem.size, "self-signature");
	gnutls_free(pem.data);
	gnutls_free(der.data);
	free(csr);
}

static void rsa_and_other_curves_are_refused(void **state)
{
	struct fixture *f = *state;
	char *csr = make_csr(GNUTLS_PK_RSA, 2048, "x", false, NULL);
	refused(f, csr, strlen(csr), "RSA");
	free(csr);
	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), "x", false,
	               NULL);
	refused(f, csr, strlen(csr), "SECP384R1");
	free(csr);
}

static void garbage_is_refused(void **state)
{
	struct fixture *f = *state;
	refused(f, "", 0, "PEM");
	static const char junk[] = "hello, I am a certificate request";
	refused(f, junk, strlen(junk), "PEM");
	static const char bad_b64[] = "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
	                              "-----END CERTIFICATE REQUEST-----\n";
	refused(f, bad_b64, strlen(bad_b64), "PEM");
	/* a certificate is not a request */
	refused(f, cf_devca_pem(f->ca), strlen(cf_devca_pem(f->ca)), "PEM");
	/* too large */
	size_t big = CF_DEVCERT_CSR_MAX + 1;
	char *b = malloc(big);
	assert_non_null(b);
	memset(b, 'A', big);
	refused(f, b, big, "bytes");
	free(b);
}

/* --- checking presented certificates -------------------------------------- */

static void check_refuses_other_ca_expired_and_ca(void **state)
{
	struct fixture *f = *state;
	char other_dir[64];
	struct cf_devca *other = new_ca(other_dir);
	char *csr = p256_csr("x", false), *pem = NULL, fp[65], why[256], dev[33], fp2[65];
	gnutls_datum_t der = { NULL, 0 };

	/* issued by another device CA (another installation) */
	assert_int_equal(issue(other, csr, time(NULL), &pem, fp, why, sizeof(why)), CF_OK);
	gnutls_x509_crt_deinit(parse(pem, &der));
	assert_int_equal(cf_devca_check(f->ca, der.data, der.size, dev, fp2, why, sizeof(why)),
	                 CF_ERR_DENIED);
	assert_non_null(strstr(why, "not issued by this server's device CA"));
	gnutls_free(der.data);
	free(pem);

	/* expired: issued 400 days ago for 365 days */
	assert_int_equal(issue(f->ca, csr, time(NULL) - 400 * 86400, &pem, fp, why, sizeof(why)),
	                 CF_OK);
	gnutls_x509_crt_deinit(parse(pem, &der));
	assert_int_equal(cf_devca_check(f->ca, der.data, der.size, dev, fp2, why, sizeof(why)),
	                 CF_ERR_DENIED);
	assert_non_null(strstr(why, "expired"));
	gnutls_free(der.data);
	free(pem);

	/* the CA certificate itself names no device */
	gnutls_x509_crt_deinit(parse(cf_devca_pem(f->ca), &der));
	assert_int_equal(cf_devca_check(f->ca, der.data, der.size, dev, fp2, why, sizeof(why)),
	                 CF_ERR_DENIED);
	gnutls_free(der.data);

	/* bytes that are no certificate */
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	assert_int_equal(cf_devca_check(f->ca, junk, sizeof(junk), dev, fp2, why, sizeof(why)),
	                 CF_ERR_DENIED);
	free(csr);
	cf_devca_free(other);
	remove_tree(other_dir);
}

int main(void)
{
	if (cf_crypto_init() != CF_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ca_made_once_then_reloaded, setup, teardown),
		cmocka_unit_test_setup_teardown(ca_files_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(good_csr_gives_a_client_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(requested_subject_and_extensions_are_ignored, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(ed25519_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_signature_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(rsa_and_other_curves_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(check_refuses_other_ca_expired_and_ca, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
