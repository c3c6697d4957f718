/* The client-certificate stage (see auth/clientcert.h). Moved out of the
 * HTTP glue so that the pipeline never calls back into it: the glue hands
 * over the TLS session and the listener in the request. */
#include "server/auth/clientcert.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/devcert.h"
#include "server/identity/identity.h"
#include "server/router.h"
#include "util/cleanup.h"
#include "util/log.h"

static bool cert_refused(struct cf_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool cert_refused(struct cf_request *req, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	cf_reply_problem(&req->reply, CF_P_CLIENT_CERTIFICATE, "%s", detail);
	/* A token used without its device's certificate does not keep the
	 * session alive (a lock decided on this read is still recorded). */
	if (req->session && !cf_jbool(req->session, "locked"))
		req->session_touch = false;
	cf_log(CF_LOG_WARN, "mtls", "refused %s %s id=%s: %s", req->method, req->path, req->id_hex,
	       detail);
	return false;
}

/* The device's status and certificate fingerprint ("" = none). */
static cf_err device_record(struct cf_request *req, const char *device, char fp[65],
                            bool *ret_wiped)
{
	CF_AUTO_DEVICE dev = { 0 };
	cf_err err = cf_device_load(req->srv->store, NULL, device, &dev, NULL);
	if (err)
		return err;
	snprintf(fp, 65, "%s", dev.cert_sha256 ? dev.cert_sha256 : "");
	*ret_wiped = dev.status && strcmp(dev.status, "wiped") == 0;
	return CF_OK;
}

bool cf_client_cert_check(struct cf_request *req)
{
	const struct cf_config *cfg = &req->srv->cfg;
	if (cfg->client_cert == CF_CLIENT_CERT_OFF || !req->conn || !req->route)
		return true;
	bool user = req->who.kind == CF_PRINCIPAL_USER;
	bool wiped = false;
	char recorded[65] = "";
	if (user) {
		cf_err err = device_record(req, req->who.device, recorded, &wiped);
		if (err) {
			cf_reply_problem(&req->reply, err == CF_ERR_STORE ?
			                 CF_P_STORE_UNAVAILABLE : CF_P_UNAUTHENTICATED, "the session's device cannot be checked");
			return false;
		}
	}
	if (req->bootstrap_listener) {
		if (!(req->route->flags & CF_ROUTE_BOOTSTRAP))
			return cert_refused(req, "this listener serves only enrolment, login and device "
			                    "certificates; use the main listener with the device's certificate");
		if (recorded[0])
			return cert_refused(req, "this session's device has a client certificate; use the "
			                    "main listener with it");
		return true;
	}
	gnutls_session_t tls = req->tls;
	unsigned n = 0;
	const gnutls_datum_t *peers = tls ? gnutls_certificate_get_peers(tls, &n) : NULL;
	if (!peers || n == 0) {
		if (cfg->client_cert == CF_CLIENT_CERT_REQUIRED)
			return cert_refused(req, "a client certificate from this server's device CA is "
			                    "required");
		if (recorded[0])
			return cert_refused(req, "this session's device has a client certificate: the "
			                    "request must present it");
		return true;
	}
	unsigned status = 0;
	if (gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0)
		return cert_refused(req, "the client certificate is not valid (%s)",
		                    status & GNUTLS_CERT_EXPIRED ? "expired" :
		                    status & GNUTLS_CERT_NOT_ACTIVATED ? "not valid yet" :
		                    status & GNUTLS_CERT_SIGNER_NOT_FOUND ?
		                    "not issued by this server's device CA" : "it does not verify");
	struct cf_devca *ca = cf_devca_current();
	char cert_device[33], fp[65], why[200];
	if (!ca || cf_devca_check(ca, peers[0].data, peers[0].size, cert_device, fp, why,
	                          sizeof(why)))
		return cert_refused(req, "%s", ca ? why : "the device CA is not loaded");
	if (user && strcmp(cert_device, req->who.device) != 0)
		return cert_refused(req, "certificate of another device: this session belongs to "
		                    "device %s, the certificate to device %s", req->who.device,
		                    cert_device);
	if (!user) {
		cf_err err = device_record(req, cert_device, recorded, &wiped);
		if (err == CF_ERR_STORE) {
			cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE,
			                 "the certificate's device cannot be checked");
			return false;
		}
		if (err)
			return cert_refused(req, "the client certificate names an unknown device");
	}
	if (wiped)
		return cert_refused(req, "the certificate's device is wiped");
	if (strcmp(recorded, fp) != 0)
		return cert_refused(req, "the client certificate is not the device's current "
		                    "certificate (a newer one was issued, or none is on record)");
	return true;
}
