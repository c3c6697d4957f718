#include "server/tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/crypto.h"
#include "util/fsutil.h"
#include "util/msg.h"

#define PEM_MAX (64 * 1024)
#define CA_CN "coffre local test CA"

static cf_err set_serial(gnutls_x509_crt_t crt)
{
	uint8_t serial[16];
	if (cf_random_bytes(serial, sizeof(serial)))
		return CF_ERR_RANDOM;
	serial[0] &= 0x7f; /* positive */
	return gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ? CF_ERR_TLS : CF_OK;
}

/* Fills the fields both certificates share. */
static cf_err init_crt(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn,
                       time_t days)
{
	time_t now = time(NULL);
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                  (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                                  "coffre test installation", 24) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + days * 86400) < 0)
		return CF_ERR_TLS;
	/* subject key id from the key itself */
	unsigned char kid[64];
	size_t kid_len = sizeof(kid);
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kid_len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len) < 0)
		return CF_ERR_TLS;
	return set_serial(crt);
}

static cf_err export_pem_crt(gnutls_x509_crt_t crt, gnutls_datum_t *out)
{
	return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, out) < 0 ? CF_ERR_TLS : CF_OK;
}

static cf_err write_datum(const char *path, const gnutls_datum_t *d, mode_t mode)
{
	return cf_write_file_atomic(path, d->data, d->size, mode);
}

static cf_err generate(const struct cf_tls_files *f, char *msg, size_t cap)
{
	gnutls_x509_privkey_t ca_key = NULL, srv_key = NULL;
	gnutls_x509_crt_t ca = NULL, srv = NULL;
	gnutls_datum_t ca_pem = { 0 }, ca_key_pem = { 0 }, srv_pem = { 0 }, srv_key_pem = { 0 };
	cf_err err = CF_ERR_TLS;

	if (gnutls_x509_privkey_init(&ca_key) < 0 || gnutls_x509_privkey_init(&srv_key) < 0 ||
	    gnutls_x509_crt_init(&ca) < 0 || gnutls_x509_crt_init(&srv) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(ca_key, GNUTLS_PK_ECDSA,
	        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_privkey_generate(srv_key, GNUTLS_PK_ECDSA,
	        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		goto out;

	if (init_crt(ca, ca_key, CA_CN, 3650) ||
	    gnutls_x509_crt_set_basic_constraints(ca, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;

	static const unsigned char ip4[4] = { 127, 0, 0, 1 };
	static const unsigned char ip6[16] = { [15] = 1 };
	if (init_crt(srv, srv_key, "localhost", 825) ||
	    gnutls_x509_crt_set_basic_constraints(srv, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(srv, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(srv, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_DNSNAME, "localhost", 9,
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_IPADDRESS, ip4, 4,
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_IPADDRESS, ip6, 16,
	                                         GNUTLS_FSAN_APPEND) < 0)
		goto out;
	unsigned char kid[64];
	size_t kid_len = sizeof(kid);
	if (gnutls_x509_crt_get_subject_key_id(ca, kid, &kid_len, NULL) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(srv, kid, kid_len) < 0 ||
	    gnutls_x509_crt_sign2(srv, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;

	if (export_pem_crt(ca, &ca_pem) || export_pem_crt(srv, &srv_pem) ||
	    gnutls_x509_privkey_export2(ca_key, GNUTLS_X509_FMT_PEM, &ca_key_pem) < 0 ||
	    gnutls_x509_privkey_export2(srv_key, GNUTLS_X509_FMT_PEM, &srv_key_pem) < 0)
		goto out;

	/* Keys first, certificates last: a certificate on disk means a complete set. */
	err = write_datum(f->key, &srv_key_pem, 0600);
	if (!err)
		err = write_datum(f->ca_key, &ca_key_pem, 0600);
	if (!err)
		err = write_datum(f->ca, &ca_pem, 0644);
	if (!err)
		err = write_datum(f->cert, &srv_pem, 0644);
	if (err)
		cf_msg_format(msg, cap, "cannot write the test certificate files in %s", f->cert);
out:
	if (err == CF_ERR_TLS)
		cf_msg_format(msg, cap, "cannot generate the self-signed test certificate (GnuTLS)");
	if (ca_key_pem.data) {
		gnutls_memset(ca_key_pem.data, 0, ca_key_pem.size);
		gnutls_free(ca_key_pem.data);
	}
	if (srv_key_pem.data) {
		gnutls_memset(srv_key_pem.data, 0, srv_key_pem.size);
		gnutls_free(srv_key_pem.data);
	}
	gnutls_free(ca_pem.data);
	gnutls_free(srv_pem.data);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(srv_key);
	return err;
}

cf_err cf_tls_ensure_selfsigned(const char *data_dir, struct cf_tls_files *f,
                                bool *ret_created, char *msg, size_t cap)
{
	char dir[1024];
	if (cf_path_join(dir, sizeof(dir), data_dir, "tls") ||
	    cf_path_join(f->cert, sizeof(f->cert), dir, "server.pem") ||
	    cf_path_join(f->key, sizeof(f->key), dir, "server.key") ||
	    cf_path_join(f->ca, sizeof(f->ca), dir, "ca.pem") ||
	    cf_path_join(f->ca_key, sizeof(f->ca_key), dir, "ca.key")) {
		cf_msg_format(msg, cap, "data directory path too long");
		return CF_ERR_CONFIG;
	}
	if (cf_file_exists(f->cert) && cf_file_exists(f->key)) {
		*ret_created = false;
		return CF_OK;
	}
	if (cf_mkdir_p(dir, 0700)) {
		cf_msg_format(msg, cap, "cannot create %s", dir);
		return CF_ERR_IO;
	}
	cf_err err = generate(f, msg, cap);
	if (!err)
		*ret_created = true;
	return err;
}

cf_err cf_tls_load(const char *cert_path, const char *key_path, char **ret_cert,
                   char **ret_key, char *msg, size_t cap)
{
	uint8_t *cert = NULL, *key = NULL;
	size_t len = 0;
	const char *why = NULL;
	cf_err err = cf_read_file(cert_path, PEM_MAX, &cert, &len);
	if (err) {
		cf_msg_format(msg, cap, "TLS certificate %s: %s", cert_path, cf_strerror(err));
		return CF_ERR_CONFIG;
	}
	err = cf_read_secret_file(key_path, PEM_MAX, &key, &len, &why);
	if (err) {
		cf_msg_format(msg, cap, "TLS key %s: %s", key_path, why ? why : cf_strerror(err));
		free(cert);
		return CF_ERR_CONFIG;
	}
	/* Check that the pair parses and matches before MHD sees it. */
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t c = { cert, (unsigned)strlen((char *)cert) };
	gnutls_datum_t k = { key, (unsigned)strlen((char *)key) };
	int rc = gnutls_certificate_allocate_credentials(&cred);
	if (rc >= 0)
		rc = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0) {
		cf_msg_format(msg, cap, "TLS certificate %s and key %s: %s", cert_path, key_path,
		              gnutls_strerror(rc));
		free(cert);
		cf_free_secret(key);
		return CF_ERR_CONFIG;
	}
	*ret_cert = (char *)cert;
	*ret_key = (char *)key;
	return CF_OK;
}

cf_err cf_tls_is_self_signed(const char *cert_pem, bool *ret)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)cert_pem, (unsigned)strlen(cert_pem) };
	if (gnutls_x509_crt_init(&crt) < 0)
		return CF_ERR_NOMEM;
	cf_err err = CF_OK;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		err = CF_ERR_INVALID;
	} else {
		char issuer[512];
		size_t ilen = sizeof(issuer);
		bool local_ca = gnutls_x509_crt_get_issuer_dn(crt, issuer, &ilen) >= 0 &&
		                strstr(issuer, "CN=" CA_CN) != NULL;
		*ret = gnutls_x509_crt_check_issuer(crt, crt) != 0 || local_ca;
	}
	gnutls_x509_crt_deinit(crt);
	return err;
}
