/* Device certificates (DESIGN §3 devices, §5.8; docs/internals/mtls.md):
 * coffred's own device CA, made at first start in DATA/tls/device-ca.pem and
 * device-ca.key (ECDSA P-256, key 0600), distinct from the server's test CA
 * and used in every environment (it is not the web PKI); the issuing of a
 * client certificate from a device's CSR; and the check of a certificate a
 * client presents. The CA is used by one process at a time; issuing is
 * serialised inside. */
#ifndef CF_SERVER_DEVCERT_H
#define CF_SERVER_DEVCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "coffre/error.h"

#define CF_DEVCERT_DAYS 365
#define CF_DEVCERT_CSR_MAX (16 * 1024)

struct cf_devca;

/* Loads DATA/tls/device-ca.{pem,key}, or makes them when the certificate is
 * missing (the key is written first: a certificate on disk means a complete
 * pair). The key file must pass the secret-file rule. *ret_created tells
 * whether a new CA was made. On failure msg says why. */
cf_err cf_devca_ensure(const char *data_dir, struct cf_devca **ret, bool *ret_created,
                       char *msg, size_t cap);
void cf_devca_free(struct cf_devca *ca);

/* The CA certificate, PEM, NUL-terminated (owned by ca). */
const char *cf_devca_pem(const struct cf_devca *ca);

/* Issues a client certificate for device_id of org_id from a PEM CSR.
 * The CSR must carry a valid self-signature and an ECDSA P-256 or Ed25519
 * key; its subject and requested extensions are ignored. The certificate:
 * CN = device_id, O = org_id, random 128-bit serial, valid from now - 5 min
 * for `days` days, keyUsage digitalSignature, extKeyUsage clientAuth,
 * basicConstraints CA:false, signed SHA-256 by the CA.
 * CF_ERR_INVALID: the CSR was refused, why (cap bytes) says precisely why.
 * On success *ret_pem is malloc'ed (free()) and fp_hex is the lowercase
 * hex SHA-256 of the certificate's DER. */
cf_err cf_devca_issue(struct cf_devca *ca, const char *csr_pem, size_t csr_len,
                      const char *device_id, const char *org_id, time_t now, unsigned days,
                      char **ret_pem, char fp_hex[65], char *why, size_t cap);

/* Checks a client certificate (DER): issued by this CA, within its validity
 * now, extKeyUsage clientAuth, CN a device id. Fills device_id (the CN) and
 * fp_hex (SHA-256 of der). CF_ERR_DENIED with why on any failure. */
cf_err cf_devca_check(const struct cf_devca *ca, const uint8_t *der, size_t len,
                      char device_id[33], char fp_hex[65], char *why, size_t cap);

/* The device CA of the running server: set by cf_http_start (http.c), read
 * by the certificate endpoint and the client-certificate stage. NULL before
 * the daemon starts. */
void cf_devca_set_current(struct cf_devca *ca);
struct cf_devca *cf_devca_current(void);

#endif
