/* coffred init --email ADDRESS: the bootstrap (DESIGN §5.9, issue: "Nothing
 * else can create the first superadmin"). Offline, with coffred stopped:
 * creates the platform organisation and prints one single-use superadmin
 * invitation for that address. Refused once the platform exists. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "server/identity/identity.h"
#include "server/setup.h"

struct init_ctx {
	const char *email;
	uint64_t ttl_ms;
	char org[33], invitation[33], code[48];
	bool exists;
};

static cf_err init_write(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	struct init_ctx *c = it->write_arg;
	cf_store *st = atx->tx->st;
	char found[65];
	if (st->ops->index_get(st, atx->tx, "org", "platform", found) == CF_OK) {
		c->exists = true;
		it->fields.outcome = 409;
		return CF_ERR_CONFLICT;
	}
	cf_new_id_hex(c->org);
	json_t *org = json_pack("{s:s, s:s, s:s, s:b, s:I}", "id", c->org, "kind", "platform",
	                        "name", "platform", "device_approval", 0, "created_ms",
	                        (json_int_t)cf_now_ms());
	if (!org)
		return CF_ERR_NOMEM;
	cf_err err = cf_doc_save(atx, &it->fields, "org", c->org, c->org, 1, org, "create");
	json_decref(org);
	if (!err)
		err = st->ops->index_put(atx->tx, "org", "platform", c->org);
	if (!err)
		err = cf_invitation_create(atx, &it->fields, c->org, NULL, "superadmin", c->email, NULL,
		                           c->ttl_ms, c->code, sizeof(c->code), c->invitation);
	return err;
}

int cf_cmd_init(const struct cf_options *o)
{
	if (!o->email || !strchr(o->email, '@') || strlen(o->email) > 254) {
		fprintf(stderr, "coffred: init needs --email ADDRESS (the first superadmin's)\n");
		return 2;
	}
	struct cf_offline off;
	int rc = cf_offline_open(o, &off, true);
	if (rc)
		return rc;
	struct init_ctx c = { .email = o->email, .ttl_ms = off.cfg.invitation_ttl_s * 1000 };
	struct cf_audit_item it = { .fields = { .action = "operator.init", .resource = "org/platform",
	                                        .outcome = 201 },
	                            .write = init_write, .write_arg = &c };
	cf_err err = cf_auditlog_append_sync(off.log, &it, NULL);
	cf_offline_close(&off);
	if (err) {
		fprintf(stderr, "coffred: cannot record the initialisation: %s\n", cf_strerror(err));
		return 1;
	}
	if (c.exists) {
		fprintf(stderr, "coffred: this installation is already initialised; invite people "
		        "from an admin account\n");
		return 1;
	}
	printf("Platform organisation %s created.\n"
	       "Single-use superadmin invitation for %s (expires in %llu hours):\n%s\n",
	       c.org, o->email, (unsigned long long)(off.cfg.invitation_ttl_s / 3600), c.code);
	sodium_memzero(c.code, sizeof(c.code));
	return 0;
}
