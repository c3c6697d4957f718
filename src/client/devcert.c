/* The device's TLS client certificate (mTLS, docs/internals/mtls.md): an
 * ECDSA P-256 key made with GnuTLS, a PKCS#10 request for coffred's device
 * CA, and the issued certificate kept with its key in the profile.
 *
 * Files (all 0600, each written atomically by cf_profile_write):
 *   device-tls-next.key   the key of a request under way
 *   device-tls-next.pem   its certificate, once checked (commit marker)
 *   device-tls.key/.pem   the pair every request presents
 * Store order: next.pem, then key, then pem, then next.pem removed, then
 * next.key removed. Whoever finds next.pem (cf_devcert_files, before every
 * request) redoes the steps after it, so a crash never leaves a key with
 * another key's certificate for long.
 *
 * Key bytes exist in this process only in locked memory from
 * cf_profile_read or in GnuTLS datums wiped with gnutls_memset; GnuTLS
 * wipes the key objects it frees. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "client/internal.h"

#define CSR_CN       "coffre device"
#define KEY_ID_MAX   64

static void datum_wipe(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

static void datum_free(gnutls_datum_t *d)
{
	gnutls_free(d->data);
	d->data = NULL;
	d->size = 0;
}

static void privkey_freep(gnutls_x509_privkey_t *k)
{
	if (*k)
		gnutls_x509_privkey_deinit(*k);
}

static void crt_freep(gnutls_x509_crt_t *c)
{
	if (*c)
		gnutls_x509_crt_deinit(*c);
}

static cf_err gnutls_fail(cf_errmsg *error, const char *what, int rc)
{
	cf_errmsg_set(error, "%s: %s", what, gnutls_strerror(rc));
	return rc == GNUTLS_E_MEMORY_ERROR ? CF_ERR_NOMEM : CF_ERR_CRYPTO;
}

static cf_err profile_fail(cf_profile *prof, cf_errmsg *error, cf_err err)
{
	cf_errmsg_set(error, "%s", cf_profile_last_error(prof));
	return err;
}

/* Reads a profile file (NOT_FOUND passes through without a message). */
static cf_err read_file(cf_profile *prof, const char *name,
                        unsigned char **ret, size_t *ret_len,
                        cf_errmsg *error)
{
	cf_err err = cf_profile_read(prof, name, CF_DEVCERT_PEM_MAX, ret,
	                             ret_len);
	if (err && err != CF_ERR_NOT_FOUND)
		return profile_fail(prof, error, err);
	return err;
}

/* A private key from PEM bytes (PKCS#8 or the legacy forms). */
static cf_err import_key(gnutls_x509_privkey_t *ret, const unsigned char *pem,
                         size_t len, const char *name, cf_errmsg *error)
{
	gnutls_x509_privkey_t key = NULL;
	int rc = gnutls_x509_privkey_init(&key);
	if (rc < 0)
		return gnutls_fail(error, "cannot make a key object", rc);
	const gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	                           (unsigned)len };
	rc = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL,
	                                 GNUTLS_PKCS_PLAIN);
	if (rc < 0) {
		gnutls_x509_privkey_deinit(key);
		cf_errmsg_set(error, "the device TLS key file %s is damaged: %s",
		              name, gnutls_strerror(rc));
		return CF_ERR_CRYPTO;
	}
	*ret = key;
	return CF_OK;
}

static cf_err import_crt(gnutls_x509_crt_t *ret, const char *pem, size_t len,
                         const char *what, cf_errmsg *error)
{
	gnutls_x509_crt_t crt = NULL;
	int rc = gnutls_x509_crt_init(&crt);
	if (rc < 0)
		return gnutls_fail(error, "cannot make a certificate object", rc);
	const gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	                           (unsigned)len };
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		gnutls_x509_crt_deinit(crt);
		cf_errmsg_set(error, "%s is not a PEM X.509 certificate: %s",
		              what, gnutls_strerror(rc));
		return CF_ERR_CRYPTO;
	}
	*ret = crt;
	return CF_OK;
}

/* Whether the certificate carries the key's public key (SHA-256 key ids). */
static cf_err same_key(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
                       cf_errmsg *error)
{
	unsigned char a[KEY_ID_MAX], b[KEY_ID_MAX];
	size_t alen = sizeof a, blen = sizeof b;
	int rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a,
	                                    &alen);
	if (rc < 0)
		return gnutls_fail(error, "cannot read the certificate's key",
		                   rc);
	rc = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b,
	                                    &blen);
	if (rc < 0)
		return gnutls_fail(error, "cannot read the device TLS key", rc);
	if (alen != blen || memcmp(a, b, alen) != 0) {
		cf_errmsg_set(error, "the certificate is not for this device's "
		              "TLS key");
		return CF_ERR_CRYPTO;
	}
	return CF_OK;
}

static cf_err describe(gnutls_x509_crt_t crt, struct cf_devcert_info *ret,
                       cf_errmsg *error)
{
	unsigned char fp[32];
	size_t fplen = sizeof fp;
	int rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
	                                         &fplen);
	if (rc < 0 || fplen != sizeof fp)
		return gnutls_fail(error, "cannot hash the certificate",
		                   rc < 0 ? rc : GNUTLS_E_INTERNAL_ERROR);
	struct cf_devcert_info info;
	memset(&info, 0, sizeof info);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof fp; i++) {
		info.cert_sha256[2 * i] = hex[fp[i] >> 4];
		info.cert_sha256[2 * i + 1] = hex[fp[i] & 15];
	}
	info.not_after = (long long)gnutls_x509_crt_get_expiration_time(crt);
	*ret = info;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* The request                                                               */

cf_err cf_devcert_csr(cf_profile *profile, char **ret_csr, cf_errmsg *error)
{
	if (error)
		error->text[0] = '\0';
	if (!profile || !ret_csr) {
		cf_errmsg_set(error, "no profile given");
		return CF_ERR_INVALID;
	}
	CF_CLEANUP(privkey_freep) gnutls_x509_privkey_t key = NULL;
	gnutls_privkey_t signer = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t pem = { NULL, 0 }, csr = { NULL, 0 }, der = { NULL, 0 };
	cf_err err = CF_OK;
	int rc = gnutls_x509_privkey_init(&key);
	if (rc < 0) {
		err = gnutls_fail(error, "cannot make a key object", rc);
		goto out;
	}
	rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc < 0) {
		err = gnutls_fail(error, "cannot make an ECDSA P-256 key", rc);
		goto out;
	}
	rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	                                       GNUTLS_PKCS_PLAIN, &pem);
	if (rc < 0) {
		err = gnutls_fail(error, "cannot encode the device TLS key", rc);
		goto out;
	}
	if ((rc = gnutls_x509_crq_init(&crq)) < 0 ||
	    (rc = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (rc = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME,
	                                        0, CSR_CN,
	                                        sizeof CSR_CN - 1)) < 0 ||
	    (rc = gnutls_x509_crq_set_key(crq, key)) < 0 ||
	    (rc = gnutls_privkey_init(&signer)) < 0 ||
	    (rc = gnutls_privkey_import_x509(signer, key, 0)) < 0 ||
	    (rc = gnutls_x509_crq_privkey_sign(crq, signer, GNUTLS_DIG_SHA256,
	                                       0)) < 0 ||
	    (rc = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    /* GnuTLS's own PEM label is "NEW CERTIFICATE REQUEST"; the
	     * contract (RFC 7468) says "CERTIFICATE REQUEST". */
	    (rc = gnutls_pem_base64_encode2("CERTIFICATE REQUEST", &der,
	                                    &csr)) < 0) {
		err = gnutls_fail(error, "cannot make the certificate request",
		                  rc);
		goto out;
	}
	char *text = malloc((size_t)csr.size + 1);
	if (!text) {
		cf_errmsg_set(error, "out of memory");
		err = CF_ERR_NOMEM;
		goto out;
	}
	/* The key is written only once the request exists: a failure above
	 * leaves the profile as it was. */
	err = cf_profile_write(profile, CF_DEVCERT_NEXT_KEY_FILE, pem.data,
	                       pem.size);
	if (err) {
		free(text);
		err = profile_fail(profile, error, err);
		goto out;
	}
	memcpy(text, csr.data, csr.size);
	text[csr.size] = '\0';
	*ret_csr = text;
out:
	datum_wipe(&pem);
	datum_free(&csr);
	datum_free(&der);
	if (crq)
		gnutls_x509_crq_deinit(crq);
	if (signer)
		gnutls_privkey_deinit(signer);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Storing and presenting                                                    */

/* next.pem and next.key replace the pair; then both are removed. The
 * certificate is checked against the key again: a next.pem left by
 * anything else than cf_devcert_store is dropped. */
static cf_err commit(cf_profile *prof, cf_errmsg *error)
{
	CF_AUTO_PROFILE_DATA *cert = NULL;
	CF_AUTO_PROFILE_DATA *key = NULL;
	size_t cert_len = 0, key_len = 0;
	cf_err err = read_file(prof, CF_DEVCERT_NEXT_CERT_FILE, &cert,
	                       &cert_len, error);
	if (err)
		return err;
	err = read_file(prof, CF_DEVCERT_NEXT_KEY_FILE, &key, &key_len, error);
	if (err == CF_ERR_NOT_FOUND) {
		(void)cf_profile_remove(prof, CF_DEVCERT_NEXT_CERT_FILE);
		return CF_ERR_NOT_FOUND;
	}
	if (err)
		return err;
	{
		CF_CLEANUP(privkey_freep) gnutls_x509_privkey_t k = NULL;
		CF_CLEANUP(crt_freep) gnutls_x509_crt_t c = NULL;
		cf_errmsg why = { .text = "" };
		if (import_key(&k, key, key_len, CF_DEVCERT_NEXT_KEY_FILE,
		               &why) ||
		    import_crt(&c, (const char *)cert, cert_len,
		               CF_DEVCERT_NEXT_CERT_FILE, &why) ||
		    same_key(c, k, &why)) {
			(void)cf_profile_remove(prof, CF_DEVCERT_NEXT_CERT_FILE);
			cf_errmsg_set(error, "an unfinished device certificate "
			              "in %s was dropped: %s",
			              cf_profile_dir(prof), why.text);
			return CF_ERR_CRYPTO;
		}
	}
	if ((err = cf_profile_write(prof, CF_DEVCERT_KEY_FILE, key, key_len)) ||
	    (err = cf_profile_write(prof, CF_DEVCERT_CERT_FILE, cert,
	                            cert_len)) ||
	    (err = cf_profile_remove(prof, CF_DEVCERT_NEXT_CERT_FILE)) ||
	    (err = cf_profile_remove(prof, CF_DEVCERT_NEXT_KEY_FILE)))
		return profile_fail(prof, error, err);
	return CF_OK;
}

static bool hex_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'F')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'F')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

cf_err cf_devcert_store(cf_profile *profile, const char *cert_pem,
                        const char *ca_pem, const char *cert_sha256,
                        struct cf_devcert_info *ret, cf_errmsg *error)
{
	if (error)
		error->text[0] = '\0';
	if (!profile || !cert_pem) {
		cf_errmsg_set(error, "no profile or certificate given");
		return CF_ERR_INVALID;
	}
	size_t cert_len = strnlen(cert_pem, CF_DEVCERT_PEM_MAX + 1);
	if (cert_len == 0 || cert_len > CF_DEVCERT_PEM_MAX) {
		cf_errmsg_set(error, "the device certificate is empty or over "
		              "16 KiB");
		return CF_ERR_CRYPTO;
	}
	CF_AUTO_PROFILE_DATA *keypem = NULL;
	size_t key_len = 0;
	cf_err err = read_file(profile, CF_DEVCERT_NEXT_KEY_FILE, &keypem,
	                       &key_len, error);
	if (err == CF_ERR_NOT_FOUND) {
		cf_errmsg_set(error, "no device TLS key is waiting for a "
		              "certificate in %s", cf_profile_dir(profile));
		return err;
	}
	if (err)
		return err;
	CF_CLEANUP(privkey_freep) gnutls_x509_privkey_t key = NULL;
	CF_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	CF_CLEANUP(crt_freep) gnutls_x509_crt_t ca = NULL;
	if ((err = import_key(&key, keypem, key_len, CF_DEVCERT_NEXT_KEY_FILE,
	                      error)) ||
	    (err = import_crt(&crt, cert_pem, cert_len,
	                      "the device certificate", error)) ||
	    (err = same_key(crt, key, error)))
		return err;

	time_t now = time(NULL);
	if (gnutls_x509_crt_get_activation_time(crt) > now ||
	    gnutls_x509_crt_get_expiration_time(crt) <= now) {
		cf_errmsg_set(error, "the device certificate is not valid now");
		return CF_ERR_CRYPTO;
	}
	unsigned critical = 0;
	if (gnutls_x509_crt_get_ca_status(crt, &critical) > 0) {
		cf_errmsg_set(error, "the device certificate is a CA "
		              "certificate");
		return CF_ERR_CRYPTO;
	}
	char oid[128];
	bool client_auth = false;
	for (unsigned i = 0; !client_auth; i++) {
		size_t len = sizeof oid;
		if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &len,
		                                        NULL) < 0)
			break;
		client_auth = strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0;
	}
	if (!client_auth) {
		cf_errmsg_set(error, "the device certificate is not for TLS "
		              "clients (no extKeyUsage clientAuth)");
		return CF_ERR_CRYPTO;
	}
	if (ca_pem) {
		size_t ca_len = strnlen(ca_pem, CF_DEVCERT_PEM_MAX + 1);
		unsigned status = 0;
		if (ca_len > CF_DEVCERT_PEM_MAX) {
			cf_errmsg_set(error, "the device CA certificate is over "
			              "16 KiB");
			return CF_ERR_CRYPTO;
		}
		if ((err = import_crt(&ca, ca_pem, ca_len,
		                      "the device CA certificate", error)))
			return err;
		int rc = gnutls_x509_crt_list_verify(&crt, 1, &ca, 1, NULL, 0,
		                                     0, &status);
		if (rc < 0 || status != 0) {
			cf_errmsg_set(error, "the device certificate is not "
			              "signed by the device CA the server sent");
			return CF_ERR_CRYPTO;
		}
	}
	struct cf_devcert_info info;
	if ((err = describe(crt, &info, error)))
		return err;
	if (cert_sha256 && !hex_equal(cert_sha256, info.cert_sha256)) {
		cf_errmsg_set(error, "the device certificate's SHA-256 is not "
		              "the one the server announced");
		return CF_ERR_CRYPTO;
	}

	err = cf_profile_write(profile, CF_DEVCERT_NEXT_CERT_FILE, cert_pem,
	                       cert_len);
	if (err)
		return profile_fail(profile, error, err);
	if ((err = commit(profile, error)))
		return err;
	if (ret)
		*ret = info;
	return CF_OK;
}

static char *join_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *path = malloc(len);
	if (path)
		cf_msg_format(path, len, "%s/%s", dir, name);
	return path;
}

cf_err cf_devcert_files(cf_profile *profile, char **ret_cert_path,
                        char **ret_key_path, cf_errmsg *error)
{
	if (error)
		error->text[0] = '\0';
	if (!profile || !ret_cert_path || !ret_key_path) {
		cf_errmsg_set(error, "no profile given");
		return CF_ERR_INVALID;
	}
	/* An interrupted store first. Its failure is not this request's:
	 * the pair below, if complete, is still the one on record. */
	cf_err err = commit(profile, NULL);
	(void)err;

	CF_AUTO_PROFILE_DATA *cert = NULL;
	CF_AUTO_PROFILE_DATA *key = NULL;
	size_t cert_len = 0, key_len = 0;
	err = read_file(profile, CF_DEVCERT_CERT_FILE, &cert, &cert_len,
	                error);
	if (err)
		return err;
	err = read_file(profile, CF_DEVCERT_KEY_FILE, &key, &key_len, error);
	if (err == CF_ERR_NOT_FOUND) {
		cf_errmsg_set(error, "the profile %s has a device certificate "
		              "(%s) but no key for it (%s)",
		              cf_profile_dir(profile), CF_DEVCERT_CERT_FILE,
		              CF_DEVCERT_KEY_FILE);
		return CF_ERR_CONFIG;
	}
	if (err)
		return err;
	char *c = join_path(cf_profile_dir(profile), CF_DEVCERT_CERT_FILE);
	char *k = join_path(cf_profile_dir(profile), CF_DEVCERT_KEY_FILE);
	if (!c || !k) {
		free(c);
		free(k);
		cf_errmsg_set(error, "out of memory");
		return CF_ERR_NOMEM;
	}
	*ret_cert_path = c;
	*ret_key_path = k;
	return CF_OK;
}

cf_err cf_devcert_info(cf_profile *profile, struct cf_devcert_info *ret,
                       cf_errmsg *error)
{
	if (error)
		error->text[0] = '\0';
	if (!profile || !ret) {
		cf_errmsg_set(error, "no profile given");
		return CF_ERR_INVALID;
	}
	CF_AUTO_PROFILE_DATA *cert = NULL;
	size_t len = 0;
	cf_err err = read_file(profile, CF_DEVCERT_CERT_FILE, &cert, &len,
	                       error);
	if (err)
		return err;
	CF_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	if ((err = import_crt(&crt, (const char *)cert, len,
	                      CF_DEVCERT_CERT_FILE, error)))
		return err;
	return describe(crt, ret, error);
}
