/* Shared by the identity commands: option parsing, secrets with
 * confirmation, exit statuses for refusals, and output. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/identity_cli.h"

/* --- options ------------------------------------------------------------------ */

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

int idc_parse(const char *what, const char *usage, int argc, char **argv,
              int first, const struct idc_opt *opts, size_t n_opts,
              const char **pos, size_t pos_max, size_t *ret_npos)
{
	char shown[64];
	size_t npos = 0;
	bool only_positional = false;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (!only_positional && strcmp(arg, "--") == 0) {
			only_positional = true;
			continue;
		}
		if (!only_positional && (strcmp(arg, "-h") == 0 ||
		                         strcmp(arg, "--help") == 0)) {
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		}
		if (only_positional || arg[0] != '-' || arg[1] == '\0') {
			if (npos == pos_max) {
				cli_shown_arg(shown, sizeof shown, arg);
				return cli_fail(CLI_EXIT_USAGE, "%s: unexpected "
				                "argument '%s'", what, shown);
			}
			pos[npos++] = arg;
			continue;
		}
		const struct idc_opt *o = NULL;
		const char *value = NULL;
		for (size_t k = 0; k < n_opts && !o; k++) {
			size_t n = strlen(opts[k].name);
			if (strncmp(arg, opts[k].name, n) != 0)
				continue;
			if (arg[n] == '\0')
				o = &opts[k];
			else if (arg[n] == '=' && !opts[k].flag) {
				o = &opts[k];
				value = arg + n + 1;
			}
		}
		if (!o) {
			cli_shown_arg(shown, sizeof shown, arg);
			if (is_global_option(arg))
				return cli_fail(CLI_EXIT_USAGE, "%s: %s is a "
				                "global option: put it before "
				                "the command", what, shown);
			return cli_fail(CLI_EXIT_USAGE, "%s: unknown option "
			                "'%s'; try 'coffre %s --help'", what,
			                shown, what);
		}
		if (o->flag) {
			*o->flag = true;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc)
				return cli_fail(CLI_EXIT_USAGE, "%s: option %s "
				                "needs a value", what, o->name);
			value = argv[++i];
		}
		if (value[0] == '\0')
			return cli_fail(CLI_EXIT_USAGE, "%s: option %s needs a "
			                "value, not an empty one", what, o->name);
		if (o->list) {
			if (*o->count == IDC_LIST_MAX)
				return cli_fail(CLI_EXIT_USAGE, "%s: at most %d "
				                "%s options", what, IDC_LIST_MAX,
				                o->name);
			o->list[(*o->count)++] = value;
		} else {
			*o->value = value;   /* the last one wins */
		}
	}
	if (ret_npos)
		*ret_npos = npos;
	return CLI_CONTINUE;
}

int idc_missing(const char *what, const char *option)
{
	return cli_fail(CLI_EXIT_USAGE, "%s: %s is required; try 'coffre %s "
	                "--help'", what, option, what);
}

/* --- secrets ---------------------------------------------------------------------- */

int idc_secret(const char *file, const char *option, const char *what,
               const char *prompt, bool confirm, char **ret, size_t *ret_len)
{
	char err[CF_ERRMSG_MAX];
	const struct cli_secret_source src = {
		.file = file, .option = option, .what = what, .prompt = prompt,
	};
	/* Only a person at a prompt can mistype unseen. */
	bool prompting = !file && isatty(STDIN_FILENO);
	char *secret = NULL;
	size_t len = 0;
	cf_err rc = cli_secret_read(&src, &secret, &len, err, sizeof err);
	if (rc)
		return cli_fail(rc == CF_ERR_INVALID || rc == CF_ERR_TOO_LARGE ?
		                CLI_EXIT_USAGE : CLI_EXIT_FAILURE, "%s", err);
	if (confirm && prompting) {
		char again_prompt[96];
		snprintf(again_prompt, sizeof again_prompt, "Again, %s: ", what);
		const struct cli_secret_source src2 = {
			.file = NULL, .option = option, .what = what,
			.prompt = again_prompt,
		};
		char *again = NULL;
		size_t again_len = 0;
		rc = cli_secret_read(&src2, &again, &again_len, err,
		                     sizeof err);
		bool same = !rc && again_len == len &&
		            sodium_memcmp(again, secret, len) == 0;
		cli_secret_free(again);
		if (!same) {
			cli_secret_free(secret);
			if (rc)
				return cli_fail(CLI_EXIT_USAGE, "%s", err);
			return cli_fail(CLI_EXIT_USAGE, "the two %s entries "
			                "differ", what);
		}
	}
	*ret = secret;
	*ret_len = len;
	return CLI_CONTINUE;
}

/* --- failures ------------------------------------------------------------------------ */

int idc_fail(const struct cli *cli, cf_err err, const struct cf_id_problem *p)
{
	const char *msg = cli->client ? cf_client_last_error(cli->client) : "";
	if (!msg[0])
		msg = cf_strerror(err);
	enum cf_id_failure f = p ? p->failure : CF_ID_FAIL_NONE;
	switch (f) {
	case CF_ID_FAIL_WIPED:
		return cli_fail(CLI_EXIT_WIPED, "%s", msg);
	case CF_ID_FAIL_LOCKED:
		return cli_fail(CLI_EXIT_AUTH, "%s (run 'coffre unlock')", msg);
	case CF_ID_FAIL_WRONG_PIN:
		if (p->tries_left >= 0)
			return cli_fail(CLI_EXIT_AUTH, "%s (%d %s left before "
			                "this device is wiped)", msg,
			                p->tries_left, p->tries_left == 1 ?
			                "try" : "tries");
		return cli_fail(CLI_EXIT_AUTH, "%s", msg);
	case CF_ID_FAIL_EXPIRED:
	case CF_ID_FAIL_NO_SESSION:
		return cli_fail(CLI_EXIT_AUTH, "%s (run 'coffre login')", msg);
	case CF_ID_FAIL_THROTTLED:
		if (p->retry_after_s >= 0)
			return cli_fail(CLI_EXIT_AUTH, "%s (try again in %ld s)",
			                msg, p->retry_after_s);
		return cli_fail(CLI_EXIT_AUTH, "%s", msg);
	case CF_ID_FAIL_AUTH:
		return cli_fail(CLI_EXIT_AUTH, "%s", msg);
	case CF_ID_FAIL_PENDING:
		return cli_fail(CLI_EXIT_AUTH, "%s (ask an administrator to "
		                "run 'coffre admin devices approve')", msg);
	default:
		return cli_fail(cli_exit_status(err), "%s", msg);
	}
}

/* --- output ----------------------------------------------------------------------------- */

void idc_shown(char *out, size_t size, const char *text)
{
	cli_shown_arg(out, size, text ? text : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p > 0x7e)
			*p = '?';
}

static void print_scalar(const json_t *v)
{
	char shown[256];
	if (json_is_string(v)) {
		idc_shown(shown, sizeof shown, json_string_value(v));
		fputs(shown, stdout);
	} else if (json_is_integer(v)) {
		printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_true(v)) {
		fputs("yes", stdout);
	} else if (json_is_false(v)) {
		fputs("no", stdout);
	} else if (json_is_null(v)) {
		fputs("-", stdout);
	} else if (json_is_array(v)) {
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item) {
			if (i > 0)
				fputs(",", stdout);
			if (json_is_object(item) || json_is_array(item))
				fputs("{...}", stdout);
			else
				print_scalar(item);
		}
		if (json_array_size(v) == 0)
			fputs("-", stdout);
	} else {
		char *text = json_dumps(v, JSON_COMPACT);
		idc_shown(shown, sizeof shown, text);
		fputs(shown, stdout);
		free(text);
	}
}

/* One line: key=value key=value … */
static void print_item(const json_t *obj)
{
	const char *key;
	const json_t *v;
	bool first = true;
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		char k[64];
		idc_shown(k, sizeof k, key);
		printf("%s%s=", first ? "" : "  ", k);
		print_scalar(v);
		first = false;
	}
	fputs("\n", stdout);
}

int idc_print_answer(const struct cli *cli, json_t *doc, const char *done)
{
	int rc = CLI_EXIT_OK;
	if (cli->g.json) {
		if (json_is_null(doc)) {
			json_t *ok = json_pack("{s:s}", "status", done);
			rc = ok ? cli_print_json(ok) :
			     cli_fail(CLI_EXIT_FAILURE, "out of memory");
			json_decref(ok);
		} else {
			rc = cli_print_json(doc);
		}
		cf_json_wipe_decref(doc);
		return rc;
	}
	if (!json_is_object(doc)) {
		printf("%s\n", done);
		cf_json_wipe_decref(doc);
		return rc;
	}
	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v) {
		char k[64];
		idc_shown(k, sizeof k, key);
		if (json_is_array(v) && json_array_size(v) > 0 &&
		    json_is_object(json_array_get(v, 0))) {
			printf("%s (%zu):\n", k, json_array_size(v));
			size_t i;
			const json_t *item;
			json_array_foreach(v, i, item) {
				fputs("  ", stdout);
				if (json_is_object(item))
					print_item(item);
				else {
					print_scalar(item);
					fputs("\n", stdout);
				}
			}
			continue;
		}
		printf("%s: ", k);
		if (json_is_object(v))
			print_item(v);
		else {
			print_scalar(v);
			fputs("\n", stdout);
		}
	}
	cf_json_wipe_decref(doc);
	return rc;
}

int idc_print_recovery(const struct cli *cli, const char *code, json_t *doc,
                       const char *intro)
{
	if (cli->g.json) {
		int rc = CLI_EXIT_OK;
		if (json_object_set_new(doc, "recovery_code",
		                        json_string(code)) != 0)
			rc = cli_fail(CLI_EXIT_FAILURE, "out of memory");
		else
			rc = cli_print_json(doc);
		cf_json_wipe_decref(doc);
		return rc;
	}
	cf_json_wipe_decref(doc);
	printf("%s\n"
	       "\n"
	       "  ================== RECOVERY CODE ==================\n"
	       "\n"
	       "        %s\n"
	       "\n"
	       "  ===================================================\n"
	       "  Shown once. Write it down and keep it offline: it is the\n"
	       "  only way to set a new password if you forget yours\n"
	       "  ('coffre recover'). Nobody can show it again, not even\n"
	       "  the server's operators.\n",
	       intro, code);
	return CLI_EXIT_OK;
}
