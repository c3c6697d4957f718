/* coffred api-key create|list|revoke: the operator's offline management of
 * platform API keys (machine clients such as an audit repository). Writing
 * commands take the data-directory lock (coffred must be stopped), and record
 * the change in the audit log with an entity version, like any other write. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/versions.h"
#include "crypto/crypto.h"
#include "server/auth/apikey.h"
#include "server/setup.h"
#include "util/cidr.h"
#include "util/clock.h"
#include "util/encoding.h"
#include "util/fsutil.h"

/* The key's new state as an entity version, in the write's transaction. */
static cf_err record_version(struct cf_audit_tx *atx, struct cf_audit_item *it,
                             const struct cf_api_key *k, const char *op)
{
	char state[1024];
	size_t len = 0;
	cf_err err = cf_api_key_state(k, state, sizeof(state), &len);
	if (!err)
		err = cf_entity_version_record(atx, &it->fields, "api_key", k->id, op,
		                               (const uint8_t *)state, len, NULL);
	return err;
}

static cf_err write_create(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	const struct cf_api_key *k = it->write_arg;
	cf_err err = atx->tx->st->ops->api_key_put(atx->tx, k);
	if (!err)
		err = record_version(atx, it, k, "create");
	return err;
}

static cf_err write_revoke(struct cf_audit_tx *atx, struct cf_audit_item *it)
{
	struct cf_api_key *k = it->write_arg;
	uint64_t t = cf_now_ms();
	cf_err err = atx->tx->st->ops->api_key_revoke(atx->tx, k->id, t);
	if (err) {
		it->fields.outcome = err == CF_ERR_NOT_FOUND ? 404 : err == CF_ERR_CONFLICT ? 409 : 500;
		return err;
	}
	err = atx->tx->st->ops->api_key_get(atx->tx, k->id, k);
	if (!err)
		err = record_version(atx, it, k, "delete");
	return err;
}

static bool label_ok(const char *s)
{
	size_t n = strlen(s);
	if (n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int create(const struct cf_options *o)
{
	char why[200];
	if (!o->scope || cf_api_key_scopes_check(o->scope, why, sizeof(why))) {
		fprintf(stderr, "coffred: --scope: %s\n", o->scope ? why : "at least one scope is needed");
		return 2;
	}
	if (o->allow && cf_cidr_list_check(o->allow, why, sizeof(why))) {
		fprintf(stderr, "coffred: --allow: %s\n", why);
		return 2;
	}
	if (o->label && !label_ok(o->label)) {
		fprintf(stderr, "coffred: --label: at most 64 printable ASCII characters\n");
		return 2;
	}
	struct cf_offline off;
	int rc = cf_offline_open(o, &off, true);
	if (rc)
		return rc;
	struct cf_api_key k;
	memset(&k, 0, sizeof(k));
	uint8_t id[16];
	cf_random_id(id);
	cf_hex_encode(k.id, sizeof(k.id), id, sizeof(id));
	snprintf(k.scopes, sizeof(k.scopes), "%s", o->scope);
	snprintf(k.allow, sizeof(k.allow), "%s", o->allow ? o->allow : "");
	snprintf(k.label, sizeof(k.label), "%s", o->label ? o->label : "");
	k.created_ms = cf_now_ms();
	char text[CF_API_KEY_TEXT_LEN + 1];
	char resource[64];
	snprintf(resource, sizeof(resource), "api_key/%s", k.id);
	struct cf_audit_item it = { .fields = { .action = "operator.api_key.create",
	                                        .resource = resource, .outcome = 200 },
	                            .write = write_create, .write_arg = &k };
	cf_err err = cf_api_key_generate(text, sizeof(text), k.key_hash);
	if (!err)
		err = cf_auditlog_append_sync(off.log, &it, NULL);
	cf_offline_close(&off);
	if (err) {
		sodium_memzero(text, sizeof(text));
		fprintf(stderr, "coffred: cannot create the API key: %s\n", cf_strerror(err));
		return 1;
	}
	printf("API key %s created (scopes: %s; allowed from: %s).\n"
	       "Store this key now; it is not shown again:\n%s\n", k.id, k.scopes,
	       k.allow[0] ? k.allow : "any address", text);
	sodium_memzero(text, sizeof(text));
	return 0;
}

static cf_err print_key(void *ctx, const struct cf_api_key *k)
{
	char when[32];
	time_t t = (time_t)(k->created_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s  %-8s  created %s  scopes: %s  allow: %s  label: %s\n", k->id,
	       k->revoked ? "revoked" : "active", when, k->scopes, k->allow[0] ? k->allow : "any",
	       k->label);
	return CF_OK;
}

static int list(const struct cf_options *o)
{
	struct cf_offline off;
	int rc = cf_offline_open(o, &off, false);
	if (rc)
		return rc;
	cf_err err = off.st->ops->api_keys(off.st, print_key, NULL);
	cf_offline_close(&off);
	if (err) {
		fprintf(stderr, "coffred: cannot list API keys: %s\n", cf_strerror(err));
		return 1;
	}
	return 0;
}

static int revoke(const struct cf_options *o)
{
	uint8_t id[16];
	if (!o->target || cf_hex_decode(id, sizeof(id), o->target, strlen(o->target))) {
		fprintf(stderr, "coffred: api-key revoke needs the key id (32 hex characters)\n");
		return 2;
	}
	struct cf_offline off;
	int rc = cf_offline_open(o, &off, true);
	if (rc)
		return rc;
	struct cf_api_key k;
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", o->target);
	char resource[64];
	snprintf(resource, sizeof(resource), "api_key/%s", k.id);
	struct cf_audit_item it = { .fields = { .action = "operator.api_key.revoke",
	                                        .resource = resource, .outcome = 200 },
	                            .write = write_revoke, .write_arg = &k };
	cf_err err = cf_auditlog_append_sync(off.log, &it, NULL);
	cf_offline_close(&off);
	if (err) {
		fprintf(stderr, "coffred: cannot record the revocation: %s\n", cf_strerror(err));
		return 1;
	}
	if (it.fields.outcome == 404) {
		fprintf(stderr, "coffred: no API key %s\n", o->target);
		return 1;
	}
	if (it.fields.outcome == 409) {
		fprintf(stderr, "coffred: API key %s is already revoked\n", o->target);
		return 1;
	}
	printf("API key %s revoked.\n", o->target);
	return 0;
}

int cf_cmd_api_key(const struct cf_options *o)
{
	const char *sub = o->subcommand ? o->subcommand : "";
	if (strcmp(sub, "create") == 0)
		return create(o);
	if (strcmp(sub, "list") == 0)
		return list(o);
	if (strcmp(sub, "revoke") == 0)
		return revoke(o);
	fprintf(stderr, "coffred: api-key needs create, list or revoke\n");
	return 2;
}
