/* POST /v1/devices/{id}/certificate {csr}: coffred's device CA issues a
 * client certificate (mTLS, docs/internals/mtls.md) for one device, from a
 * CSR made on that device. The device's own user or an admin of its
 * organisation may ask (policy "devices.certificate"); a wiped device gets
 * 409; a refused CSR gets 422 and nothing is stored. The certificate's
 * SHA-256 goes into a new version of the device document (cert_sha256), in
 * the same transaction as the audit event: from then on that device's
 * sessions are accepted only with that certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/devcert.h"
#include "server/identity/identity.h"

/* The body is {csr: PEM}: a multi-line text, which the PEM type admits. */
struct cert_args {
	const char *csr;
};
static const struct cf_field cert_fields[] = {
	CF_F_PEM(struct cert_args, csr, "csr", true, 1, CF_DEVCERT_CSR_MAX),
};
const struct cf_spec cf_spec_device_certificate = CF_SPEC_BIND(cert_fields, struct cert_args);

struct cert_ctx {
	struct cf_device dev;
	uint64_t version;
	char *cert_pem;
	char fp[65];
};

static void cert_ctx_free(void *p)
{
	struct cert_ctx *c = p;
	if (!c)
		return;
	cf_device_clear(&c->dev);
	free(c->cert_pem);
	free(c);
}

static cf_err cert_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct cert_ctx *c = req->ctx;
	c->dev.cert_sha256 = c->fp;
	c->dev.cert_issued_ms = (int64_t)cf_now_ms();
	cf_err err = cf_device_update(&c->dev);
	if (!err)
		err = cf_doc_save(atx, &req->audit.fields, "device", c->dev.id, c->dev.org,
		                  c->version + 1, c->dev.doc, "update");
	if (err == CF_ERR_CONFLICT) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the device changed meanwhile; try again");
		return err;
	}
	struct cf_devca *ca = cf_devca_current();
	if (!err && ca)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s, s:s, s:s, s:s}", "device_id",
		                   c->dev.id, "certificate", c->cert_pem, "ca",
		                   cf_devca_pem(ca), "cert_sha256", c->fp));
	return err;
}

void cf_h_device_certificate(struct cf_request *req)
{
	struct cf_devca *ca = cf_devca_current();
	if (!ca) {
		cf_reply_problem(&req->reply, CF_P_UNAVAILABLE, "the device CA is not loaded");
		return;
	}
	const char *csr = CF_ARGS(req, struct cert_args)->csr;
	size_t csr_len = strlen(csr);
	uint64_t v = 0;
	struct cf_device dev = { 0 };
	cf_err err = cf_device_load(req->srv->store, NULL, req->params[0], &dev, &v);
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the store does not answer");
		return;
	}
	if (err) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such resource");
		return;
	}
	if (!cf_identity_allowed_on_device(req, "devices.certificate", &dev)) {
		cf_device_clear(&dev);
		return;
	}
	if (dev.status && strcmp(dev.status, "wiped") == 0) {
		cf_device_clear(&dev);
		cf_reply_problem(&req->reply, CF_P_CONFLICT,
		                 "the device is wiped: it gets no certificate");
		return;
	}
	const char *org = dev.org;
	const char *id = dev.id;
	struct cert_ctx *c = calloc(1, sizeof(*c));
	if (!c || !org || !id) {
		free(c);
		cf_device_clear(&dev);
		cf_reply_problem(&req->reply, c ? CF_P_INTERNAL : CF_P_OVERLOADED,
		                 c ? "the device document is incomplete" : "out of memory");
		return;
	}
	char why[256];
	err = cf_devca_issue(ca, csr, csr_len, id, org, time(NULL), CF_DEVCERT_DAYS, &c->cert_pem,
	                     c->fp, why, sizeof(why));
	if (err) {
		free(c);
		cf_device_clear(&dev);
		if (err == CF_ERR_INVALID)
			cf_reply_problem(&req->reply, CF_P_INVALID_FIELD, "%s", why);
		else
			cf_reply_problem(&req->reply, CF_P_UNAVAILABLE, "%s", why);
		return;
	}
	c->dev = dev;
	c->version = v;
	req->ctx = c;
	req->ctx_free = cert_ctx_free;
	req->write = cert_write;
	cf_reply_problem(&req->reply, CF_P_INTERNAL, "the certificate was not recorded");
}
