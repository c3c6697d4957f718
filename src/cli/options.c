/* Global options of `coffre`. A small hand-written loop rather than
 * getopt_long: no global state (the tests call it many times), it stops at
 * the command so each command parses its own options, and every refusal
 * can say precisely which option was wrong. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/msg.h"

enum opt_kind { OPT_FLAG, OPT_VALUE };

struct opt {
	const char *name;      /* "--server" */
	const char *short_name;
	enum opt_kind kind;
	const char *value_name;
};

static const struct opt opts[] = {
	{ "--server",  NULL, OPT_VALUE, "a URL" },
	{ "--ca",      NULL, OPT_VALUE, "a file" },
	{ "--profile", NULL, OPT_VALUE, "a folder" },
	{ "--json",    NULL, OPT_FLAG,  NULL },
	{ "--help",    "-h", OPT_FLAG,  NULL },
	{ "--version", "-V", OPT_FLAG,  NULL },
};

static const char *env_value(const char *v)
{
	return v && v[0] != '\0' ? v : NULL;
}

cf_err cli_parse_globals(int argc, char **argv, const struct cli_env *env,
                         struct cli_globals *ret, int *ret_next,
                         char *err, size_t err_size)
{
	struct cli_globals g = { 0 };
	const char *server = NULL;
	const char *ca_file = NULL;
	char shown[80];
	int i = 1;

	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;   /* the command (or "-") */

		const struct opt *o = NULL;
		const char *value = NULL;
		for (size_t k = 0; k < sizeof opts / sizeof *opts && !o; k++) {
			size_t n = strlen(opts[k].name);
			if (strcmp(arg, opts[k].name) == 0 ||
			    (opts[k].short_name &&
			     strcmp(arg, opts[k].short_name) == 0)) {
				o = &opts[k];
			} else if (strncmp(arg, opts[k].name, n) == 0 &&
			           arg[n] == '=') {
				o = &opts[k];
				value = arg + n + 1;
			}
		}
		if (!o) {
			cli_shown_arg(shown, sizeof shown, arg);
			cf_msg_format(err, err_size, "unknown option '%s'; try "
			              "'coffre --help'", shown);
			return CF_ERR_INVALID;
		}
		if (o->kind == OPT_FLAG) {
			if (value) {
				cf_msg_format(err, err_size, "option %s takes no "
				              "value", o->name);
				return CF_ERR_INVALID;
			}
			if (strcmp(o->name, "--json") == 0)
				g.json = true;
			else if (strcmp(o->name, "--help") == 0)
				g.help = true;
			else
				g.version = true;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				cf_msg_format(err, err_size, "option %s needs %s",
				              o->name, o->value_name);
				return CF_ERR_INVALID;
			}
			value = argv[++i];
		}
		if (value[0] == '\0') {
			cf_msg_format(err, err_size, "option %s needs %s, not an "
			              "empty value", o->name, o->value_name);
			return CF_ERR_INVALID;
		}
		/* The last one wins, as with most tools. */
		if (strcmp(o->name, "--server") == 0)
			server = value;
		else if (strcmp(o->name, "--ca") == 0)
			ca_file = value;
		else
			g.profile = value;
	}

	g.server = server ? server : env_value(env ? env->server : NULL);
	g.ca_file = ca_file ? ca_file : env_value(env ? env->ca_file : NULL);
	*ret = g;
	*ret_next = i;
	return CF_OK;
}
