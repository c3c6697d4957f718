/* The client-certificate stage of the pipeline (mTLS, DESIGN §5.8,
 * docs/internals/mtls.md): with tls.client_cert on, the certificate a
 * request came with must be a valid one from this server's device CA, of the
 * session's device, that device's current one, and the device not wiped.
 * The HTTP glue records the connection's TLS session and listener in the
 * request (req->tls, req->bootstrap_listener); this stage only reads them. */
#ifndef CF_SERVER_AUTH_CLIENTCERT_H
#define CF_SERVER_AUTH_CLIENTCERT_H

#include <stdbool.h>
#include "server/request.h"

/* After authentication, before policy and handler (tls.client_cert optional
 * or required; a no-op when off): verifies a presented client certificate
 * against the device CA, binds it to the session's device (CN = device id,
 * fingerprint = the device's cert_sha256), refuses a session whose device
 * has a certificate on record when that certificate is not presented, and
 * keeps the bootstrap listener to the routes marked CF_ROUTE_BOOTSTRAP.
 * true when the request may go on; otherwise answers (403
 * "client-certificate", which also closes the connection; 401 or 503 when
 * the device cannot be checked) and returns false. */
bool cf_client_cert_check(struct cf_request *req);

#endif
