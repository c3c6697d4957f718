/* The device CA and its certificates (devcert.h), on GnuTLS's X.509 API. */
#include "server/devcert.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/encoding.h"
#include "util/fsutil.h"
#include "util/msg.h"
#include "util/rules.h"

#define PEM_MAX (64 * 1024)
#define CA_DAYS 3650
#define CA_CN_PREFIX "coffre device CA "
#define BACKDATE_S 300 /* a device clock a few minutes behind still accepts it */

struct cf_devca {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	char *pem;                 /* the CA certificate, NUL-terminated */
	pthread_mutex_t lock;      /* issuing: one signature at a time */
};

static void wipe_datum(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

static char *datum_to_cstr(const gnutls_datum_t *d)
{
	char *s = malloc((size_t)d->size + 1);
	if (!s)
		return NULL;
	memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	return s;
}

static cf_err random_serial(gnutls_x509_crt_t crt)
{
	uint8_t serial[16];
	if (cf_random_bytes(serial, sizeof(serial)))
		return CF_ERR_RANDOM;
	serial[0] &= 0x7f; /* a positive INTEGER */
	serial[0] |= 0x01; /* and always 16 bytes long */
	return gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ? CF_ERR_TLS : CF_OK;
}

static cf_err set_key_ids(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	unsigned char kid[64];
	size_t kid_len = sizeof(kid);
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kid_len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len) < 0)
		return CF_ERR_TLS;
	if (!issuer)
		return CF_OK;
	kid_len = sizeof(kid);
	if (gnutls_x509_crt_get_subject_key_id(issuer, kid, &kid_len, NULL) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(crt, kid, kid_len) < 0)
		return CF_ERR_TLS;
	return CF_OK;
}

static struct cf_devca *devca_alloc(void)
{
	struct cf_devca *ca = calloc(1, sizeof(*ca));
	if (!ca)
		return NULL;
	if (pthread_mutex_init(&ca->lock, NULL)) {
		free(ca);
		return NULL;
	}
	if (gnutls_x509_crt_init(&ca->crt) < 0 || gnutls_x509_privkey_init(&ca->key) < 0) {
		cf_devca_free(ca);
		return NULL;
	}
	return ca;
}

void cf_devca_free(struct cf_devca *ca)
{
	if (!ca)
		return;
	if (ca->crt)
		gnutls_x509_crt_deinit(ca->crt);
	if (ca->key)
		gnutls_x509_privkey_deinit(ca->key); /* GnuTLS wipes the key material */
	free(ca->pem);
	pthread_mutex_destroy(&ca->lock);
	free(ca);
}

const char *cf_devca_pem(const struct cf_devca *ca)
{
	return ca->pem;
}

/* A new CA in ca (key and self-signed certificate), written to the files. */
static cf_err generate(struct cf_devca *ca, const char *cert_path, const char *key_path,
                       char *msg, size_t cap)
{
	gnutls_datum_t key_pem = { NULL, 0 }, crt_pem = { NULL, 0 };
	cf_err err = CF_ERR_TLS;
	uint8_t tag[8];
	char cn[sizeof(CA_CN_PREFIX) + 16];
	char tag_hex[17];
	if (cf_random_bytes(tag, sizeof(tag)))
		return CF_ERR_RANDOM;
	cf_hex_encode(tag_hex, sizeof(tag_hex), tag, sizeof(tag));
	snprintf(cn, sizeof(cn), "%s%s", CA_CN_PREFIX, tag_hex);
	time_t now = time(NULL);

	if (gnutls_x509_privkey_generate(ca->key, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_set_version(ca->crt, 3) < 0 ||
	    gnutls_x509_crt_set_key(ca->crt, ca->key) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(ca->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                  (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(ca->crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                                  "coffre", 6) < 0 ||
	    gnutls_x509_crt_set_activation_time(ca->crt, now - BACKDATE_S) < 0 ||
	    gnutls_x509_crt_set_expiration_time(ca->crt, now + (time_t)CA_DAYS * 86400) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(ca->crt, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0)
		goto out;
	err = random_serial(ca->crt);
	if (!err)
		err = set_key_ids(ca->crt, NULL);
	if (err)
		goto out;
	err = CF_ERR_TLS;
	if (gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(ca->crt, GNUTLS_X509_FMT_PEM, &crt_pem) < 0 ||
	    gnutls_x509_privkey_export2(ca->key, GNUTLS_X509_FMT_PEM, &key_pem) < 0)
		goto out;
	ca->pem = datum_to_cstr(&crt_pem);
	if (!ca->pem) {
		err = CF_ERR_NOMEM;
		goto out;
	}
	/* A certificate GnuTLS has just signed keeps stale raw DNs until it is
	 * parsed again; verification compares those, so hold the parsed form. */
	gnutls_x509_crt_deinit(ca->crt);
	ca->crt = NULL;
	if (gnutls_x509_crt_init(&ca->crt) < 0 ||
	    gnutls_x509_crt_import(ca->crt, &crt_pem, GNUTLS_X509_FMT_PEM) < 0)
		goto out;
	/* Key first, certificate last: a certificate on disk means a complete pair. */
	err = cf_write_file_atomic(key_path, key_pem.data, key_pem.size, 0600);
	if (!err)
		err = cf_write_file_atomic(cert_path, crt_pem.data, crt_pem.size, 0644);
	if (err)
		cf_msg_format(msg, cap, "cannot write the device CA files %s and %s", key_path, cert_path);
out:
	if (err == CF_ERR_TLS)
		cf_msg_format(msg, cap, "cannot generate the device CA (GnuTLS)");
	wipe_datum(&key_pem);
	gnutls_free(crt_pem.data);
	return err;
}

/* Loads an existing CA; checks that the key is the certificate's and that the
 * certificate is a CA. */
static cf_err load(struct cf_devca *ca, const char *cert_path, const char *key_path,
                   char *msg, size_t cap)
{
	uint8_t *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	const char *why = NULL;
	cf_err err = cf_read_file(cert_path, PEM_MAX, &cert, &cert_len);
	if (err) {
		cf_msg_format(msg, cap, "device CA certificate %s: %s", cert_path, cf_strerror(err));
		return CF_ERR_CONFIG;
	}
	err = cf_read_secret_file(key_path, PEM_MAX, &key, &key_len, &why);
	if (err) {
		cf_msg_format(msg, cap, "device CA key %s: %s", key_path, why ? why : cf_strerror(err));
		free(cert);
		return CF_ERR_CONFIG;
	}
	gnutls_datum_t c = { cert, (unsigned)cert_len };
	gnutls_datum_t k = { key, (unsigned)key_len };
	unsigned char id_crt[64], id_key[64];
	size_t id_crt_len = sizeof(id_crt), id_key_len = sizeof(id_key);
	unsigned is_ca = 0;
	err = CF_ERR_CONFIG;
	if (gnutls_x509_crt_import(ca->crt, &c, GNUTLS_X509_FMT_PEM) < 0) {
		cf_msg_format(msg, cap, "device CA certificate %s: not a PEM certificate", cert_path);
	} else if (gnutls_x509_privkey_import(ca->key, &k, GNUTLS_X509_FMT_PEM) < 0) {
		cf_msg_format(msg, cap, "device CA key %s: not a PEM private key", key_path);
	} else if (gnutls_x509_crt_get_key_id(ca->crt, 0, id_crt, &id_crt_len) < 0 ||
	           gnutls_x509_privkey_get_key_id(ca->key, 0, id_key, &id_key_len) < 0 ||
	           id_crt_len != id_key_len || memcmp(id_crt, id_key, id_crt_len) != 0) {
		cf_msg_format(msg, cap, "device CA key %s does not belong to the certificate %s", key_path,
		              cert_path);
	} else if (gnutls_x509_crt_get_basic_constraints(ca->crt, NULL, &is_ca, NULL) < 0 || !is_ca) {
		cf_msg_format(msg, cap, "device CA certificate %s is not a CA certificate", cert_path);
	} else if (gnutls_x509_crt_get_expiration_time(ca->crt) <= time(NULL)) {
		cf_msg_format(msg, cap, "device CA certificate %s has expired", cert_path);
	} else {
		ca->pem = malloc(cert_len + 1);
		if (ca->pem) {
			memcpy(ca->pem, cert, cert_len);
			ca->pem[cert_len] = '\0';
			err = CF_OK;
		} else {
			err = CF_ERR_NOMEM;
			cf_msg_format(msg, cap, "out of memory");
		}
	}
	free(cert);
	cf_free_secret(key);
	return err;
}

cf_err cf_devca_ensure(const char *data_dir, struct cf_devca **ret, bool *ret_created,
                       char *msg, size_t cap)
{
	char dir[1024], cert_path[1024], key_path[1024];
	if (cf_path_join(dir, sizeof(dir), data_dir, "tls") ||
	    cf_path_join(cert_path, sizeof(cert_path), dir, "device-ca.pem") ||
	    cf_path_join(key_path, sizeof(key_path), dir, "device-ca.key")) {
		cf_msg_format(msg, cap, "data directory path too long");
		return CF_ERR_CONFIG;
	}
	struct cf_devca *ca = devca_alloc();
	if (!ca) {
		cf_msg_format(msg, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	cf_err err;
	bool created = false;
	if (cf_file_exists(cert_path)) {
		err = load(ca, cert_path, key_path, msg, cap);
	} else if (cf_mkdir_p(dir, 0700)) {
		cf_msg_format(msg, cap, "cannot create %s", dir);
		err = CF_ERR_IO;
	} else {
		err = generate(ca, cert_path, key_path, msg, cap);
		created = err == CF_OK;
	}
	if (err) {
		cf_devca_free(ca);
		return err;
	}
	*ret = ca;
	if (ret_created)
		*ret_created = created;
	return CF_OK;
}

/* --- issuing ---------------------------------------------------------------- */

static const char *curve_label(gnutls_ecc_curve_t c)
{
	const char *n = gnutls_ecc_curve_get_name(c);
	return n ? n : "unknown";
}

/* The CSR's public key if it is acceptable, else NULL with why. */
static gnutls_pubkey_t csr_key(const char *csr_pem, size_t csr_len, char *why, size_t cap)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	if (csr_len == 0 || csr_len > CF_DEVCERT_CSR_MAX) {
		cf_msg_format(why, cap, "field 'csr': a PEM certificate request of 1 to %d bytes is expected",
		              CF_DEVCERT_CSR_MAX);
		return NULL;
	}
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)csr_pem, (unsigned)csr_len };
	if (gnutls_x509_crq_init(&crq) < 0) {
		cf_msg_format(why, cap, "out of memory");
		return NULL;
	}
	if (!memmem(csr_pem, csr_len, "-----BEGIN ", 11) ||
	    gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM) < 0) {
		cf_msg_format(why, cap, "field 'csr': not a PEM certificate request "
		              "(-----BEGIN CERTIFICATE REQUEST----- with a PKCS#10 body)");
		goto fail;
	}
	if (gnutls_x509_crq_verify(crq, 0) < 0) {
		cf_msg_format(why, cap, "field 'csr': the request's self-signature does not verify "
		              "(it must be signed by the private key of the key it carries)");
		goto fail;
	}
	if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0) {
		cf_msg_format(why, cap, "field 'csr': the request's public key cannot be read");
		goto fail;
	}
	unsigned bits = 0;
	int alg = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (alg == GNUTLS_PK_EDDSA_ED25519) {
		gnutls_x509_crq_deinit(crq);
		return pub;
	}
	if (alg == GNUTLS_PK_ECDSA) {
		gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
		gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
		int rc = gnutls_pubkey_export_ecc_raw(pub, &curve, &x, &y);
		gnutls_free(x.data);
		gnutls_free(y.data);
		if (rc >= 0 && curve == GNUTLS_ECC_CURVE_SECP256R1) {
			gnutls_x509_crq_deinit(crq);
			return pub;
		}
		cf_msg_format(why, cap, "field 'csr': the key is ECDSA on curve %s; only ECDSA P-256 "
		              "(secp256r1) or Ed25519 keys are accepted", curve_label(curve));
		goto fail;
	}
	const char *name = gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)alg);
	cf_msg_format(why, cap, "field 'csr': the key is %s%s; only ECDSA P-256 or Ed25519 keys are "
	              "accepted", name ? name : "of an unknown type", alg == GNUTLS_PK_RSA ? " (RSA)" : "");
fail:
	if (pub)
		gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
	return NULL;
}

cf_err cf_devca_issue(struct cf_devca *ca, const char *csr_pem, size_t csr_len,
                      const char *device_id, const char *org_id, time_t now, unsigned days,
                      char **ret_pem, char fp_hex[65], char *why, size_t cap)
{
	gnutls_pubkey_t pub = csr_key(csr_pem, csr_len, why, cap);
	if (!pub)
		return CF_ERR_INVALID;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = { NULL, 0 }, pem = { NULL, 0 };
	cf_err err = CF_ERR_TLS;
	if (gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_crt_set_version(crt, 3) < 0 || gnutls_x509_crt_set_pubkey(crt, pub) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, device_id,
	                                  (unsigned)strlen(device_id)) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org_id,
	                                  (unsigned)strlen(org_id)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - BACKDATE_S) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0)
		goto out;
	err = random_serial(crt);
	if (!err)
		err = set_key_ids(crt, ca->crt);
	if (err)
		goto out;
	pthread_mutex_lock(&ca->lock);
	int rc = gnutls_x509_crt_sign2(crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0);
	pthread_mutex_unlock(&ca->lock);
	err = CF_ERR_TLS;
	if (rc < 0 || gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		goto out;
	uint8_t h[32];
	cf_sha256(h, der.data, der.size);
	cf_hex_encode(fp_hex, 65, h, sizeof(h));
	*ret_pem = datum_to_cstr(&pem);
	err = *ret_pem ? CF_OK : CF_ERR_NOMEM;
out:
	if (err && err != CF_ERR_INVALID)
		cf_msg_format(why, cap, "the certificate could not be made");
	gnutls_free(der.data);
	gnutls_free(pem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	gnutls_pubkey_deinit(pub);
	return err;
}

/* --- checking --------------------------------------------------------------- */

static const char *status_reason(unsigned status)
{
	if (status & GNUTLS_CERT_EXPIRED)
		return "it has expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "it is not valid yet";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "it was not issued by this server's device CA";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "its signature does not verify";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "it uses an insecure algorithm";
	return "it does not verify";
}

static bool has_client_auth(gnutls_x509_crt_t crt)
{
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t len = sizeof(oid);
		int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &len, NULL);
		if (rc < 0)
			return false;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0)
			return true;
	}
}

cf_err cf_devca_check(const struct cf_devca *ca, const uint8_t *der, size_t len,
                      char device_id[33], char fp_hex[65], char *why, size_t cap)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
	cf_err err = CF_ERR_DENIED;
	if (gnutls_x509_crt_init(&crt) < 0) {
		cf_msg_format(why, cap, "out of memory");
		return CF_ERR_NOMEM;
	}
	unsigned status = 0, is_ca = 0;
	char cn[128];
	size_t cn_len = sizeof(cn) - 1;
	int bc;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		cf_msg_format(why, cap, "the client certificate cannot be parsed");
	} else if (gnutls_x509_crt_verify(crt, &ca->crt, 1, 0, &status) < 0 || status != 0) {
		cf_msg_format(why, cap, "the client certificate is refused: %s", status_reason(status));
	} else if ((bc = gnutls_x509_crt_get_basic_constraints(crt, NULL, &is_ca, NULL)) >= 0 &&
	           is_ca) {
		cf_msg_format(why, cap, "the client certificate is a CA certificate");
	} else if (!has_client_auth(crt)) {
		cf_msg_format(why, cap, "the client certificate is not for client authentication");
	} else if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
	                                         &cn_len) < 0 || !cf_id_hexn_ok(cn, cn_len)) {
		cf_msg_format(why, cap, "the client certificate does not name a device");
	} else {
		memcpy(device_id, cn, 32);
		device_id[32] = '\0';
		uint8_t h[32];
		cf_sha256(h, der, len);
		cf_hex_encode(fp_hex, 65, h, sizeof(h));
		err = CF_OK;
	}
	gnutls_x509_crt_deinit(crt);
	return err;
}

/* --- the running server's CA ---------------------------------------------- */

static _Atomic(struct cf_devca *) current;

void cf_devca_set_current(struct cf_devca *ca)
{
	atomic_store(&current, ca);
}

struct cf_devca *cf_devca_current(void)
{
	return atomic_load(&current);
}
