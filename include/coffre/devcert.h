/* libcoffre: the device's TLS key and certificate for mTLS (devcert.c). */
#ifndef COFFRE_DEVCERT_H
#define COFFRE_DEVCERT_H

#include <stdint.h>
#include <time.h>

#include "coffre/profile.h"

/* ------------------------------------------------------------------------ */
/* Device certificate (mTLS; src/client/devcert.c, docs/internals/            */
/* client-identity.md "Device certificate")                                  */

/* Profile files (mode 0600, written atomically). The device's TLS key is
 * ECDSA P-256, made here with GnuTLS, never sent; coffred's device CA
 * issues the certificate from a CSR. While a renewal is under way the new
 * key waits in CF_DEVCERT_NEXT_KEY_FILE; the issued certificate is first
 * written to CF_DEVCERT_NEXT_CERT_FILE, then both replace the pair, so a
 * crash leaves either the old pair or something the next request
 * completes. */
#define CF_DEVCERT_KEY_FILE        "device-tls.key"        /* PKCS#8 PEM */
#define CF_DEVCERT_CERT_FILE       "device-tls.pem"
#define CF_DEVCERT_NEXT_KEY_FILE   "device-tls-next.key"
#define CF_DEVCERT_NEXT_CERT_FILE  "device-tls-next.pem"
#define CF_DEVCERT_PEM_MAX         ((size_t)16 * 1024)

struct cf_devcert_info {
	char cert_sha256[65];      /* lowercase hex of the certificate's DER */
	long long not_after;       /* expiry, Unix seconds */
};

/* Makes a new device TLS key, writes it to CF_DEVCERT_NEXT_KEY_FILE and
 * returns a PEM PKCS#10 request signed with it (CN "coffre device"; the
 * server ignores the subject). *ret_csr is malloc'ed: free() it. The
 * current pair, if any, is left alone.
 * Errors: CF_ERR_CRYPTO (GnuTLS), CF_ERR_NOMEM, profile errors. */
cf_err cf_devcert_csr(cf_profile *profile, char **ret_csr, cf_errmsg *error);

/* Stores the certificate issued for the pending key: it must parse, hold
 * the pending key's public key, be a client certificate valid now, be
 * signed by ca_pem (when not NULL) and have the SHA-256 cert_sha256 (when
 * not NULL, as the server announced it). Then it and the pending key
 * replace the profile's pair. ret (optional) describes it.
 * Errors: CF_ERR_NOT_FOUND (no pending key), CF_ERR_CRYPTO (any check
 * above; nothing changed), profile errors. */
cf_err cf_devcert_store(cf_profile *profile, const char *cert_pem,
                        const char *ca_pem, const char *cert_sha256,
                        struct cf_devcert_info *ret, cf_errmsg *error);

/* The paths of the profile's pair (malloc'ed; free() them), after
 * completing an interrupted store. Both files must be regular files of the
 * user, mode 0600 (cf_profile_read's rules); their bytes are read and
 * wiped, not parsed. Errors: CF_ERR_NOT_FOUND (no certificate: nothing
 * to present), CF_ERR_CONFIG (a certificate without its key),
 * CF_ERR_DENIED and other profile errors. */
cf_err cf_devcert_files(cf_profile *profile, char **ret_cert_path,
                        char **ret_key_path, cf_errmsg *error);

/* The profile's certificate, described. Errors: CF_ERR_NOT_FOUND,
 * CF_ERR_CRYPTO (damaged), profile errors. */
cf_err cf_devcert_info(cf_profile *profile, struct cf_devcert_info *ret,
                       cf_errmsg *error);

#endif
