/* coffred audit-key, coffred audit verify. */
#include <sodium.h>
#include <stdio.h>

#include "audit/checkpoint.h"
#include "audit/verify.h"
#include "server/setup.h"
#include "store/store.h"
#include "util/encoding.h"

int cf_cmd_audit_key(const struct cf_options *o)
{
	struct cf_config cfg;
	if (cf_setup_config(o, &cfg))
		return 2;
	uint8_t *sk = NULL, pk[32];
	char origin[129], vkey[256];
	if (cf_setup_audit_key(&cfg, true, &sk, pk, origin, sizeof(origin)))
		return 1;
	sodium_free(sk);
	if (cf_note_verifier_format(vkey, sizeof(vkey), origin, pk)) {
		fprintf(stderr, "coffred: cannot format the audit key\n");
		return 1;
	}
	printf("%s\n", vkey);
	return 0;
}

/* Offline check of the audit log in the data directory (read only; works
 * while coffred runs, and before any account exists). */
int cf_cmd_audit_verify(const struct cf_options *o)
{
	struct cf_config cfg;
	if (cf_setup_config(o, &cfg))
		return 2;
	struct cf_note_verifier v;
	if (o->key) {
		if (cf_note_verifier_parse(&v, o->key)) {
			fprintf(stderr, "coffred: --key is not a note verifier key (name+hash+base64)\n");
			return 2;
		}
	} else {
		uint8_t *sk = NULL, pk[32];
		char origin[129], vkey[256];
		if (cf_setup_audit_key(&cfg, false, &sk, pk, origin, sizeof(origin)))
			return 1;
		sodium_free(sk);
		if (cf_note_verifier_format(vkey, sizeof(vkey), origin, pk) ||
		    cf_note_verifier_parse(&v, vkey))
			return 1;
	}
	char msg[512];
	cf_store *st = NULL;
	struct cf_store_config scfg = { .backend = cfg.store_backend, .sqlite_path = cfg.sqlite_path,
	                                .readers = 2, .readonly = true };
	if (cf_store_open(&st, &scfg, msg, sizeof(msg))) {
		fprintf(stderr, "coffred: store: %s\n", msg);
		return 1;
	}
	struct cf_verify_report r;
	cf_err err = cf_audit_verify_store(st, &v, &r);
	cf_store_close(st);
	if (err == CF_ERR_CRYPTO) {
		printf("audit log FAILED verification: %s\n", r.msg);
		return 1;
	}
	if (err) {
		fprintf(stderr, "coffred: cannot read the audit log: %s\n", cf_strerror(err));
		return 1;
	}
	char root[65];
	cf_hex_encode(root, sizeof(root), r.root, 32);
	printf("audit log verified: %llu events, %llu signed checkpoints; newest checkpoint "
	       "size %llu root %s\n", (unsigned long long)r.events,
	       (unsigned long long)r.checkpoints, (unsigned long long)r.tree_size, root);
	return 0;
}

