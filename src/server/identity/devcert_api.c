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
	json_t *dev;
	uint64_t version;
	char *cert_pem;
	char fp[65];
};

static void cert_ctx_free(void *p)
{
	struct cert_ctx *c = p;
	if (!c)
		return;
	json_decref(c->dev);
	free(c->cert_pem);
	free(c);
}

static cf_err cert_write(struct cf_audit_tx *atx, struct cf_request *req)
{
	struct cert_ctx *c = req->ctx;
	json_object_set_new(c->dev, "cert_sha256", json_string(c->fp));
	json_object_set_new(c->dev, "cert_issued_ms", json_integer((json_int_t)cf_now_ms()));
	cf_err err = cf_doc_save(atx, &req->audit.fields, "device", cf_jstr(c->dev, "id"),
	                         cf_jstr(c->dev, "org"), c->version + 1, c->dev, "update");
	if (err == CF_ERR_CONFLICT) {
		cf_reply_problem(&req->reply, CF_P_CONFLICT, "the device changed meanwhile; try again");
		return err;
	}
	struct cf_devca *ca = cf_devca_current();
	if (!err && ca)
		cf_reply_json_take(&req->reply, 201, json_pack("{s:s, s:s, s:s, s:s}", "device_id",
		                   cf_jstr(c->dev, "id"), "certificate", c->cert_pem, "ca",
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
	json_t *dev = NULL;
	cf_err err = cf_doc_load(req->srv->store, NULL, "device", req->params[0], &dev, &v);
	if (err == CF_ERR_STORE) {
		cf_reply_problem(&req->reply, CF_P_STORE_UNAVAILABLE, "the store does not answer");
		return;
	}
	if (err) {
		cf_reply_problem(&req->reply, CF_P_NOT_FOUND, "no such resource");
		return;
	}
	if (!cf_identity_allowed_on_device(req, "devices.certificate", dev)) {
		json_decref(dev);
		return;
	}
	const char *status = cf_jstr(dev, "status");
	if (status && strcmp(status, "wiped") == 0) {
		json_decref(dev);
		cf_reply_problem(&req->reply, CF_P_CONFLICT,
		                 "the device is wiped: it gets no certificate");
		return;
	}
	const char *org = cf_jstr(dev, "org");
	const char *id = cf_jstr(dev, "id");
	struct cert_ctx *c = calloc(1, sizeof(*c));
	if (!c || !org || !id) {
		free(c);
		json_decref(dev);
		cf_reply_problem(&req->reply, c ? CF_P_INTERNAL : CF_P_OVERLOADED,
		                 c ? "the device document is incomplete" : "out of memory");
		return;
	}
	char why[256];
	err = cf_devca_issue(ca, csr, csr_len, id, org, time(NULL), CF_DEVCERT_DAYS, &c->cert_pem,
	                     c->fp, why, sizeof(why));
	if (err) {
		free(c);
		json_decref(dev);
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
