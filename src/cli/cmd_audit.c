/* coffre audit: pin the log key, check the server's signed log against the
 * newest checkpoint this profile has verified, and verify events.
 *   coffre audit trust KEY [--replace]
 *   coffre audit checkpoint [--audit-key KEY]
 *   coffre audit verify [--from I] [--count K] [--api-key-file FILE]
 *                       [--audit-key KEY]
 * A log the server cannot back (rollback, fork, bad signature, bad proof,
 * bad event) exits with 5, after one line on stderr; the remembered
 * checkpoint is then left as it was. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"

/* Exit status for a log that does not verify (DESIGN §9 "non-zero with a
 * reason"; scripts tell it from a network failure). */

static const char audit_help[] =
	"subcommands:\n"
	"  trust KEY [--replace]\n"
	"      pin the log's verifier key (NAME+HASH+BASE64, printed by\n"
	"      'coffred audit-key' on the server) in the profile; another\n"
	"      pinned key is replaced only with --replace\n"
	"  checkpoint [--audit-key KEY]\n"
	"      fetch the signed checkpoint, check its signature and that it\n"
	"      extends the newest one this profile verified (consistency\n"
	"      proof), then remember it; the first one is trusted on first use\n"
	"  verify [--from I] [--count K] [--api-key-file FILE] [--audit-key KEY]\n"
	"      as checkpoint, then check events I to I+K-1 (K <= 100000) with\n"
	"      their inclusion proofs; the API key (scope audit.read) is read\n"
	"      from FILE (mode 0600), standard input or a prompt\n"
	"exit status: 0 ok, 1 failure, 2 usage, 3 TLS, 4 connect,\n"
	"  5 the log does not verify (rollback, fork, signature, proof, event)\n";

static int audit_exit(cf_err err)
{
	return err == CF_ERR_CRYPTO ? CLI_EXIT_LOG : cli_exit_status(err);
}

static int audit_fail(cf_err err, const struct cf_audit_error *e)
{
	const char *text = e->text[0] ? e->text : cf_strerror(err);
	if (err == CF_ERR_CRYPTO)
		return cli_fail(CLI_EXIT_LOG, "audit log refused: %s", text);
	return cli_fail(audit_exit(err), "%s", text);
}

/* --- options ------------------------------------------------------------- */

struct audit_opts {
	const char *key;           /* trust: the positional KEY */
	bool replace;
	const char *audit_key;     /* --audit-key */
	const char *api_key_file;  /* --api-key-file */
	bool has_from, has_count;
	uint64_t from, count;
};

enum { A_TRUST = 1, A_CHECKPOINT = 2, A_VERIFY = 4 };

struct audit_opt {
	const char *name;
	bool value;
	unsigned subs;             /* where it is allowed */
};

static const struct audit_opt audit_opts_table[] = {
	{ "--replace", false, A_TRUST },
	{ "--audit-key", true, A_CHECKPOINT | A_VERIFY },
	{ "--api-key-file", true, A_VERIFY },
	{ "--from", true, A_VERIFY },
	{ "--count", true, A_VERIFY },
};

static bool parse_u64(const char *s, uint64_t *ret)
{
	size_t len = strlen(s);
	if (len == 0 || len > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

static bool is_global_option(const char *arg)
{
	static const char *const globals[] = {
		"--server", "--ca", "--profile", "--json",
	};
	for (size_t i = 0; i < sizeof globals / sizeof *globals; i++) {
		size_t n = strlen(globals[i]);
		if (strncmp(arg, globals[i], n) == 0 &&
		    (arg[n] == '\0' || arg[n] == '='))
			return true;
	}
	return false;
}

/* argv[0] is the subcommand. Returns CLI_CONTINUE, or an exit status after
 * a message. */
static int parse_opts(const char *sub, unsigned where, int argc, char **argv,
                      struct audit_opts *o)
{
	char shown[64];
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			if (where == A_TRUST && !o->key) {
				o->key = arg;
				continue;
			}
			cli_shown_arg(shown, sizeof shown, arg);
			return cli_fail(CLI_EXIT_USAGE, "audit %s: unexpected "
			                "argument '%s'", sub, shown);
		}
		const struct audit_opt *opt = NULL;
		const char *value = NULL;
		for (size_t k = 0; k < sizeof audit_opts_table /
		     sizeof *audit_opts_table; k++) {
			const struct audit_opt *c = &audit_opts_table[k];
			size_t n = strlen(c->name);
			if (strncmp(arg, c->name, n) == 0 &&
			    (arg[n] == '\0' || (c->value && arg[n] == '='))) {
				opt = c;
				value = arg[n] == '=' ? arg + n + 1 : NULL;
				break;
			}
		}
		cli_shown_arg(shown, sizeof shown, arg);
		if (!opt && is_global_option(arg))
			return cli_fail(CLI_EXIT_USAGE, "audit %s: '%s' is a "
			                "global option; put it before the "
			                "command", sub, shown);
		if (!opt || !(opt->subs & where))
			return cli_fail(CLI_EXIT_USAGE, "audit %s: unknown "
			                "option '%s'; try 'coffre audit --help'",
			                sub, shown);
		if (opt->value && !value) {
			if (i + 1 >= argc)
				return cli_fail(CLI_EXIT_USAGE, "audit %s: %s "
				                "needs a value", sub, opt->name);
			value = argv[++i];
		}
		if (strcmp(opt->name, "--replace") == 0) {
			o->replace = true;
		} else if (strcmp(opt->name, "--audit-key") == 0) {
			o->audit_key = value;
		} else if (strcmp(opt->name, "--api-key-file") == 0) {
			if (!value[0])
				return cli_fail(CLI_EXIT_USAGE, "audit %s: "
				                "--api-key-file needs a file name",
				                sub);
			o->api_key_file = value;
		} else {
			bool from = strcmp(opt->name, "--from") == 0;
			uint64_t v = 0;
			cli_shown_arg(shown, sizeof shown, value);
			if (!parse_u64(value, &v))
				return cli_fail(CLI_EXIT_USAGE, "audit %s: %s "
				                "must be a whole number (got "
				                "'%s')", sub, opt->name, shown);
			if (from) {
				o->from = v;
				o->has_from = true;
			} else {
				o->count = v;
				o->has_count = true;
			}
		}
	}
	if (where == A_TRUST && !o->key)
		return cli_fail(CLI_EXIT_USAGE, "audit trust needs the KEY "
		                "printed by 'coffred audit-key'");
	if (o->has_from && !o->has_count)
		return cli_fail(CLI_EXIT_USAGE, "audit verify: --from needs "
		                "--count (1 to %d)", CF_AUDIT_VERIFY_MAX);
	if (o->has_count && (o->count == 0 || o->count > CF_AUDIT_VERIFY_MAX))
		return cli_fail(CLI_EXIT_USAGE, "audit verify: --count must be "
		                "1 to %d", CF_AUDIT_VERIFY_MAX);
	if (o->has_count && UINT64_MAX - o->from < o->count)
		return cli_fail(CLI_EXIT_USAGE, "audit verify: --from + --count "
		                "is past the largest index");
	if (o->api_key_file && !o->has_count)
		return cli_fail(CLI_EXIT_USAGE, "audit verify: --api-key-file "
		                "is for a range of events (--count K)");
	if (o->audit_key) {
		struct cf_audit_error e;
		if (cf_audit_key_check(o->audit_key, &e) != CF_OK)
			return cli_fail(CLI_EXIT_USAGE, "--audit-key: %s",
			                e.text);
	}
	return CLI_CONTINUE;
}

/* --- trust -------------------------------------------------------------- */

static int run_trust(struct cli *cli, const struct audit_opts *o)
{
	struct cf_audit_error e;
	cf_err err = cf_audit_key_check(o->key, &e);
	if (err)
		return cli_fail(CLI_EXIT_USAGE, "audit trust: %s", e.text);
	cf_errmsg msg = { .text = "" };
	cf_profile *p = NULL;
	err = cf_profile_open(&p, cli->g.profile, CF_PROFILE_CREATE, &msg);
	if (err)
		return cli_fail(cli_exit_status(err), "%s", msg.text[0] ?
		                msg.text : cf_strerror(err));
	enum cf_audit_pin pin = CF_AUDIT_PIN_NEW;
	bool dropped = false;
	err = cf_audit_trust(p, o->key, o->replace, &pin, &dropped, &e);
	/* Shown as stored (canonical: lower-case hash). */
	char key[CF_AUDIT_KEY_MAX + 1];
	if (!err)
		err = cf_audit_pinned_key(p, key, sizeof key, &e);
	char dir[512];
	cli_shown_arg(dir, sizeof dir, cf_profile_dir(p));
	cf_profile_free(p);
	if (err)
		return audit_fail(err, &e);

	static const char *const words[] = {
		[CF_AUDIT_PIN_NEW] = "pinned",
		[CF_AUDIT_PIN_SAME] = "already pinned",
		[CF_AUDIT_PIN_REPLACED] = "replaced",
	};
	if (cli->g.json) {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:b}", "key", key,
		                        "profile", dir, "pin", words[pin],
		                        "checkpoint_dropped", dropped);
		if (!doc)
			return cli_fail(CLI_EXIT_FAILURE, "out of memory");
		int rc = cli_print_json(doc);
		json_decref(doc);
		return rc;
	}
	printf("audit key %s: %s in %s\n", words[pin], key, dir);
	if (pin == CF_AUDIT_PIN_REPLACED)
		printf("the previous key was replaced (--replace)\n");
	if (dropped)
		printf("the remembered checkpoint was not signed by this key "
		       "and was dropped; the next check trusts on first use\n");
	return CLI_EXIT_OK;
}

/* --- checkpoint and verify ---------------------------------------------- */

static const char *outcome_word(enum cf_audit_outcome o)
{
	switch (o) {
	case CF_AUDIT_FIRST_USE:
		return "first-use";
	case CF_AUDIT_UNCHANGED:
		return "unchanged";
	case CF_AUDIT_CONSISTENT:
		return "consistent";
	case CF_AUDIT_NOT_REMEMBERED:
		return "not-remembered";
	}
	return "unknown";
}

static void hex32(char out[65], const uint8_t root[32])
{
	sodium_bin2hex(out, 65, root, 32);
}

/* The origin is a key name (no blanks or controls), but keep it safe. */
static void shown_origin(char *out, size_t size, const char *origin)
{
	cli_shown_arg(out, size, origin);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p > 0x7e)
			*p = '?';
}

static void print_state(const struct cli *cli, const struct cf_audit_state *s)
{
	char root[65], prev[65], origin[CF_AUDIT_ORIGIN_MAX + 1];
	hex32(root, s->checkpoint.root);
	shown_origin(origin, sizeof origin, s->checkpoint.origin);
	printf("audit log %s at %s: size %" PRIu64 ", root %s\n", origin,
	       cf_client_server_url(cli->client), s->checkpoint.size, root);
	switch (s->outcome) {
	case CF_AUDIT_FIRST_USE:
		printf("first use: no checkpoint was remembered, so this one "
		       "is trusted on first use and now remembered; compare "
		       "its root with the operator's out of band\n");
		break;
	case CF_AUDIT_UNCHANGED:
		printf("unchanged: same size and root as the remembered "
		       "checkpoint\n");
		break;
	case CF_AUDIT_CONSISTENT:
		hex32(prev, s->previous.root);
		printf("consistent: proven to extend the remembered checkpoint "
		       "of size %" PRIu64 " (root %s); now remembered\n",
		       s->previous.size, prev);
		break;
	case CF_AUDIT_NOT_REMEMBERED:
		printf("not remembered: --audit-key is not the key pinned in "
		       "this profile; only the signature was checked\n");
		break;
	}
}

static json_t *state_json(const struct cli *cli, const struct cf_audit_state *s)
{
	char root[65], prev[65];
	hex32(root, s->checkpoint.root);
	json_t *previous = json_null();
	if (s->had_previous) {
		hex32(prev, s->previous.root);
		previous = json_pack("{s:I, s:s}", "size",
		                     (json_int_t)s->previous.size, "root", prev);
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o*}",
	                 "server", cf_client_server_url(cli->client),
	                 "origin", s->checkpoint.origin,
	                 "size", (json_int_t)s->checkpoint.size,
	                 "root", root,
	                 "trust", outcome_word(s->outcome),
	                 "previous", previous);
}

static int run_check(struct cli *cli, const struct audit_opts *o,
                     bool verify)
{
	cf_client *client = NULL;
	int rc = cli_client(cli, &client);
	if (rc != CLI_CONTINUE)
		return rc;

	/* The API key first: a refused file fails before any request. */
	char *api_key = NULL;
	size_t api_key_len = 0;
	if (verify && o->has_count) {
		const struct cli_secret_source src = {
			.file = o->api_key_file,
			.option = "--api-key-file",
			.what = "API key",
			.prompt = "API key: ",
		};
		char err[CF_ERRMSG_MAX];
		cf_err e = cli_secret_read(&src, &api_key, &api_key_len, err,
		                           sizeof err);
		if (e)
			return cli_fail(cli_exit_status(e), "%s", err);
	}

	struct cf_audit_error e;
	struct cf_audit_state st;
	cf_err err = cf_audit_refresh(client, o->audit_key, &st, &e);
	if (err) {
		cli_secret_free(api_key);
		return audit_fail(err, &e);
	}
	struct cf_audit_range_report rep = { 0 };
	if (api_key) {
		err = cf_audit_verify_events(client, api_key, &st.checkpoint,
		                             o->from, o->count, &rep, &e);
		cli_secret_free(api_key);
		api_key = NULL;
		if (err)
			return audit_fail(err, &e);
		if (rep.withheld)
			return cli_fail(CLI_EXIT_FAILURE, "the server did not "
			                "return %" PRIu64 " of the %" PRIu64
			                " events asked (the first is %" PRIu64
			                "): not visible to this API key? %" PRIu64
			                " were verified, none was inconsistent",
			                rep.withheld, rep.count,
			                rep.first_withheld, rep.verified);
	}

	if (cli->g.json) {
		json_t *doc = state_json(cli, &st);
		if (doc && verify && o->has_count) {
			json_t *ev = json_pack("{s:I, s:I, s:I, s:I}",
			                       "from", (json_int_t)rep.from,
			                       "count", (json_int_t)rep.count,
			                       "verified", (json_int_t)rep.verified,
			                       "not_covered",
			                       (json_int_t)rep.not_covered);
			if (!ev || json_object_set_new(doc, "events", ev)) {
				json_decref(doc);
				doc = NULL;
			}
		}
		if (!doc)
			return cli_fail(CLI_EXIT_FAILURE, "out of memory");
		rc = cli_print_json(doc);
		json_decref(doc);
		return rc;
	}
	print_state(cli, &st);
	if (verify && o->has_count) {
		char root[65];
		hex32(root, st.checkpoint.root);
		if (rep.verified)
			printf("verified %" PRIu64 " events (%" PRIu64 " to %"
			       PRIu64 ") against the checkpoint of size %"
			       PRIu64 ", root %s\n", rep.verified, rep.from,
			       rep.from + rep.verified - 1, st.checkpoint.size,
			       root);
		else
			printf("verified 0 events against the checkpoint of "
			       "size %" PRIu64 ", root %s\n",
			       st.checkpoint.size, root);
		if (rep.not_covered)
			printf("%" PRIu64 " events (from %" PRIu64 ") are not "
			       "yet covered by the checkpoint; verify them "
			       "later\n", rep.not_covered,
			       rep.from + rep.count - rep.not_covered);
	}
	return CLI_EXIT_OK;
}

/* --- dispatch ------------------------------------------------------------ */

int cli_cmd_audit(struct cli *cli, int argc, char **argv);

int cli_cmd_audit(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		if (argc < 2)
			return cli_fail(CLI_EXIT_USAGE, "audit needs a "
			                "subcommand: trust, checkpoint or verify; "
			                "try 'coffre audit --help'");
		cli_print_command_usage(cli->command);
		fputs(audit_help, stdout);
		return CLI_EXIT_OK;
	}
	static const struct {
		const char *name;
		unsigned where;
	} subs[] = {
		{ "trust", A_TRUST },
		{ "checkpoint", A_CHECKPOINT },
		{ "verify", A_VERIFY },
	};
	unsigned where = 0;
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			where = subs[i].where;
	if (!where) {
		char shown[64];
		cli_shown_arg(shown, sizeof shown, argv[1]);
		return cli_fail(CLI_EXIT_USAGE, "unknown audit subcommand '%s'; "
		                "use trust, checkpoint or verify", shown);
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			cli_print_command_usage(cli->command);
			fputs(audit_help, stdout);
			return CLI_EXIT_OK;
		}
	}
	struct audit_opts o = { 0 };
	int rc = parse_opts(argv[1], where, argc - 1, argv + 1, &o);
	if (rc != CLI_CONTINUE)
		return rc;
	if (where == A_TRUST)
		return run_trust(cli, &o);
	return run_check(cli, &o, where == A_VERIFY);
}
