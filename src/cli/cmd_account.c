/* The account of the logged-in user, and its recovery:
 *   coffre totp enable [--code-file F] | totp confirm [--code-file F]
 *             | totp disable [--password-file P]
 *   coffre recovery regenerate [--password-file P]
 *   coffre recover --email E [--recovery-file F] [--password-file P]
 *   coffre password [--password-file P] [--new-password-file N]
 *   coffre pin [--pin-file F] [--password-file P]
 *   coffre phone NUMBER [--password-file P]
 * Secrets as everywhere: files (mode 0600), else standard input (one line
 * each, in the order of the options above), else prompts.
 * totp disable, pin and phone need a fresh proof (DESIGN §5.3): with
 * --password-file, the password's auth_key goes at once; without, the
 * change is sent alone (enough within 5 minutes of the login's second
 * factor) and, if the server asks for a fresh proof, the password is read
 * (next line of standard input, or a prompt) and the change sent again. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/identity_cli.h"

/* A change that takes an optional password (the fresh proof). */
typedef cf_err (*proof_change)(cf_client *client, const void *arg,
                               const char *password, size_t len,
                               struct cf_id_problem *problem);

/* Runs change as the comment at the top says; CLI_CONTINUE when done. */
static int with_fresh_proof(const struct cli *cli, cf_client *client,
                            const char *pw_file, proof_change change,
                            const void *arg)
{
	struct cf_id_problem problem;
	char *pw = NULL;
	size_t len = 0;
	int rc;
	if (pw_file) {
		rc = idc_secret(pw_file, "--password-file", "password",
		                "Password: ", false, &pw, &len);
		if (rc != CLI_CONTINUE)
			return rc;
	}
	cf_err err = change(client, arg, pw, len, &problem);
	if (err && !pw && strcmp(problem.type, "fresh-proof-required") == 0) {
		rc = idc_secret(NULL, "--password-file", "password",
		                "Password (this change needs a fresh proof): ",
		                false, &pw, &len);
		if (rc != CLI_CONTINUE)
			return rc;
		err = change(client, arg, pw, len, &problem);
	}
	cli_secret_free(pw);
	return err ? idc_fail(cli, err, &problem) : CLI_CONTINUE;
}

static cf_err totp_disable_change(cf_client *client, const void *arg,
                                  const char *pw, size_t len,
                                  struct cf_id_problem *problem)
{
	(void)arg;
	return cf_totp_disable(client, pw, len, problem);
}

struct pin_arg {
	const char *pin;
	size_t len;
};

static cf_err pin_change(cf_client *client, const void *arg, const char *pw,
                         size_t len, struct cf_id_problem *problem)
{
	const struct pin_arg *a = arg;
	return cf_pin_change(client, a->pin, a->len, pw, len, problem);
}

static cf_err phone_change(cf_client *client, const void *arg,
                           const char *pw, size_t len,
                           struct cf_id_problem *problem)
{
	return cf_phone_set(client, arg, pw, len, problem);
}

static int print_status(const struct cli *cli, const char *status,
                        const char *text)
{
	if (cli->g.json) {
		json_t *doc = json_pack("{s:s}", "status", status);
		int rc = doc ? cli_print_json(doc) :
		         cli_fail(CLI_EXIT_FAILURE, "out of memory");
		json_decref(doc);
		return rc;
	}
	printf("%s\n", text);
	return CLI_EXIT_OK;
}

/* --- totp ------------------------------------------------------------------------- */

static const char totp_usage[] =
	"usage: coffre totp enable [--code-file F]\n"
	"       coffre totp confirm [--code-file F]\n"
	"       coffre totp disable [--password-file P]\n"
	"  enable: asks the server for a TOTP secret, prints it and its "
	"otpauth://\n"
	"    URI (with --json: {\"secret\",\"uri\"} at once), then waits for "
	"a code of\n"
	"    your app (from F, standard input or a prompt); TOTP is on once "
	"it checks.\n"
	"  confirm: the second half of enable, for scripts that add the app "
	"between\n"
	"    two commands.\n"
	"  disable: back to codes by e-mail or SMS. Needs a fresh proof: "
	"within 5\n"
	"    minutes of your login, nothing more; later your password (from "
	"P,\n"
	"    standard input or a prompt).\n";

static int totp_confirm(struct cli *cli, cf_client *client,
                        const char *code_file, bool quiet)
{
	char *code = NULL;
	size_t len = 0;
	int rc = idc_secret(code_file, "--code-file", "code",
	                    "Code from your app: ", false, &code, &len);
	if (rc != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	cf_err err = cf_totp_confirm(client, code, len, &problem);
	cli_secret_free(code);
	if (err)
		return idc_fail(cli, err, &problem);
	if (quiet)
		return CLI_EXIT_OK;
	return print_status(cli, "totp-enabled", "TOTP enabled: log in with "
	                    "'coffre login --method totp'.");
}

int cli_cmd_totp(struct cli *cli, int argc, char **argv)
{
	const char *code_file = NULL, *pw_file = NULL;
	const struct idc_opt opts[] = {
		{ "--code-file", NULL, &code_file, NULL, NULL },
		{ "--password-file", NULL, &pw_file, NULL, NULL },
	};
	const char *sub[1] = { NULL };
	size_t n = 0;
	int rc = idc_parse("totp", totp_usage, argc, argv, 1, opts, 2, sub, 1,
	                   &n);
	if (rc != CLI_CONTINUE)
		return rc;
	if (n == 0)
		return cli_fail(CLI_EXIT_USAGE, "totp: say enable, confirm or "
		                "disable; try 'coffre totp --help'");
	bool enable = strcmp(sub[0], "enable") == 0;
	bool confirm = strcmp(sub[0], "confirm") == 0;
	bool disable = strcmp(sub[0], "disable") == 0;
	if (!enable && !confirm && !disable) {
		char shown[32];
		cli_shown_arg(shown, sizeof shown, sub[0]);
		return cli_fail(CLI_EXIT_USAGE, "totp: unknown subcommand '%s'",
		                shown);
	}
	if (disable && code_file)
		return cli_fail(CLI_EXIT_USAGE, "totp disable takes no code");
	if (!disable && pw_file)
		return cli_fail(CLI_EXIT_USAGE, "only totp disable takes "
		                "--password-file");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	if (disable) {
		rc = with_fresh_proof(cli, client, pw_file, totp_disable_change,
		                      NULL);
		if (rc != CLI_CONTINUE)
			return rc;
		return print_status(cli, "totp-disabled", "TOTP disabled.");
	}
	if (confirm)
		return totp_confirm(cli, client, code_file, false);

	struct cf_totp_setup *setup = sodium_malloc(sizeof *setup);
	if (!setup)
		return cli_fail(CLI_EXIT_FAILURE, "out of memory");
	cf_err err = cf_totp_begin(client, setup, &problem);
	if (err) {
		sodium_free(setup);
		return idc_fail(cli, err, &problem);
	}
	char secret[CF_TOTP_SECRET_MAX + 1], uri[CF_TOTP_URI_MAX + 1];
	idc_shown(secret, sizeof secret, setup->secret);
	idc_shown(uri, sizeof uri, setup->uri);
	if (cli->g.json) {
		/* The one document, before the code is asked for: a script
		 * needs the secret to compute it. */
		json_t *doc = json_pack("{s:s, s:s}", "secret", secret, "uri",
		                        uri);
		rc = doc ? cli_print_json(doc) :
		     cli_fail(CLI_EXIT_FAILURE, "out of memory");
		cf_json_wipe_decref(doc);
	} else {
		printf("Add this account to your authenticator app:\n"
		       "  secret: %s\n"
		       "  URI:    %s\n", secret, uri);
		rc = CLI_EXIT_OK;
	}
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(uri, sizeof uri);
	sodium_free(setup);
	if (rc == CLI_EXIT_OK)
		rc = cli_flush_output();
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = totp_confirm(cli, client, code_file, cli->g.json);
	if (rc == CLI_EXIT_OK && !cli->g.json)
		fflush(stdout);
	return rc;
}

/* --- recovery regenerate ------------------------------------------------------- */

static const char recovery_usage[] =
	"usage: coffre recovery regenerate [--password-file P]\n"
	"  Make a new recovery code (printed once) and stop the old one from "
	"working.\n"
	"  Your password opens your keys on this device to seal them with "
	"the new\n"
	"  code.\n";

int cli_cmd_recovery(struct cli *cli, int argc, char **argv)
{
	const char *pw_file = NULL;
	const struct idc_opt opts[] = {
		{ "--password-file", NULL, &pw_file, NULL, NULL },
	};
	const char *sub[1] = { NULL };
	size_t n = 0;
	int rc = idc_parse("recovery", recovery_usage, argc, argv, 1, opts, 1,
	                   sub, 1, &n);
	if (rc != CLI_CONTINUE)
		return rc;
	if (n == 0 || strcmp(sub[0], "regenerate") != 0)
		return cli_fail(CLI_EXIT_USAGE, "recovery: the subcommand is "
		                "'regenerate'; try 'coffre recovery --help'");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	char *password = NULL, *code = NULL;
	size_t len = 0;
	rc = idc_secret(pw_file, "--password-file", "password", "Password: ",
	                false, &password, &len);
	if (rc != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	cf_err err = cf_recovery_code_regenerate(client, password, len, &code,
	                                         &problem);
	cli_secret_free(password);
	if (err)
		return idc_fail(cli, err, &problem);
	json_t *doc = json_pack("{s:s}", "status", "recovery-code-replaced");
	if (!doc) {
		cf_secret_free(code);
		return cli_fail(CLI_EXIT_FAILURE, "the recovery code was "
		                "replaced, but out of memory to show it");
	}
	rc = idc_print_recovery(cli, code, doc, "New recovery code made; the "
	                        "old one no longer works.");
	cf_secret_free(code);
	return rc;
}

/* --- recover ---------------------------------------------------------------------- */

static const char recover_usage[] =
	"usage: coffre recover --email E [--recovery-file F] "
	"[--password-file P]\n"
	"  Set a new password with your recovery code (from F, standard "
	"input or a\n"
	"  prompt; case, blanks and dashes do not matter). The code opens "
	"your keys\n"
	"  here; they are sealed again with the new password (from P, the "
	"next line\n"
	"  of standard input, or a prompt asked twice). The code used is "
	"spent: a new\n"
	"  one is printed, once. Every session of the account ends; then log "
	"in.\n";

int cli_cmd_recover(struct cli *cli, int argc, char **argv)
{
	const char *email = NULL, *rec_file = NULL, *pw_file = NULL;
	const struct idc_opt opts[] = {
		{ "--email", NULL, &email, NULL, NULL },
		{ "--recovery-file", NULL, &rec_file, NULL, NULL },
		{ "--password-file", NULL, &pw_file, NULL, NULL },
	};
	int rc = idc_parse("recover", recover_usage, argc, argv, 1, opts,
	                   sizeof opts / sizeof *opts, NULL, 0, NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!email)
		return idc_missing("recover", "--email");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	char *code = NULL, *password = NULL, *new_code = NULL;
	size_t code_len = 0, pw_len = 0;
	cf_recovery *rec = NULL;
	rc = idc_secret(rec_file, "--recovery-file", "recovery code",
	                "Recovery code: ", false, &code, &code_len);
	if (rc != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	cf_err err = cf_recover_begin(client, email, code, code_len, &rec,
	                              &problem);
	cli_secret_free(code);
	if (err)
		return idc_fail(cli, err, &problem);
	rc = idc_secret(pw_file, "--password-file", "new password",
	                "New password: ", true, &password, &pw_len);
	if (rc != CLI_CONTINUE)
		goto out;
	err = cf_recover_finish(client, rec, password, pw_len, &new_code,
	                        &problem);
	if (err) {
		rc = idc_fail(cli, err, &problem);
		goto out;
	}
	json_t *doc = json_pack("{s:s}", "status", "password-changed");
	if (!doc) {
		rc = cli_fail(CLI_EXIT_FAILURE, "the password was changed, but "
		              "out of memory to show the new recovery code");
		goto out;
	}
	rc = idc_print_recovery(cli, new_code, doc, "New password set; your "
	                        "keys are the same. Log in with 'coffre "
	                        "login'.\nThe recovery code you used no "
	                        "longer works; here is the new one.");
out:
	cf_secret_free(new_code);
	cli_secret_free(password);
	cf_recovery_free(rec);
	return rc;
}

/* --- password ----------------------------------------------------------------------- */

static const char password_usage[] =
	"usage: coffre password [--password-file P] [--new-password-file N]\n"
	"  Change your password: the current one (from P, standard input or "
	"a\n"
	"  prompt) must open your keys on this device; the new one (from N, "
	"the next\n"
	"  line of standard input, or a prompt asked twice) seals them "
	"again.\n";

int cli_cmd_password(struct cli *cli, int argc, char **argv)
{
	const char *old_file = NULL, *new_file = NULL;
	const struct idc_opt opts[] = {
		{ "--password-file", NULL, &old_file, NULL, NULL },
		{ "--new-password-file", NULL, &new_file, NULL, NULL },
	};
	int rc = idc_parse("password", password_usage, argc, argv, 1, opts, 2,
	                   NULL, 0, NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	char *old_pw = NULL, *new_pw = NULL;
	size_t old_len = 0, new_len = 0;
	rc = idc_secret(old_file, "--password-file", "current password",
	                "Current password: ", false, &old_pw, &old_len);
	if (rc == CLI_CONTINUE)
		rc = idc_secret(new_file, "--new-password-file",
		                "new password", "New password: ", true, &new_pw,
		                &new_len);
	if (rc == CLI_CONTINUE) {
		struct cf_id_problem problem;
		cf_err err = cf_password_change(client, old_pw, old_len, new_pw,
		                                new_len, &problem);
		rc = err ? idc_fail(cli, err, &problem) :
		     print_status(cli, "password-changed", "Password changed.");
	}
	cli_secret_free(old_pw);
	cli_secret_free(new_pw);
	return rc;
}

/* --- pin, phone --------------------------------------------------------------------- */

static const char pin_usage[] =
	"usage: coffre pin [--pin-file F] [--password-file P]\n"
	"  Set a new PIN (4 to 12 digits; from F, standard input, or a "
	"prompt asked\n"
	"  twice). Needs a fresh proof: within 5 minutes of your login, "
	"nothing more;\n"
	"  later your password (from P, the next line of standard input, or "
	"a prompt).\n";

int cli_cmd_pin(struct cli *cli, int argc, char **argv)
{
	const char *pin_file = NULL, *pw_file = NULL;
	const struct idc_opt opts[] = {
		{ "--pin-file", NULL, &pin_file, NULL, NULL },
		{ "--password-file", NULL, &pw_file, NULL, NULL },
	};
	int rc = idc_parse("pin", pin_usage, argc, argv, 1, opts, 2, NULL, 0,
	                   NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	char *pin = NULL;
	size_t len = 0;
	rc = idc_secret(pin_file, "--pin-file", "new PIN", "New PIN: ", true,
	                &pin, &len);
	if (rc != CLI_CONTINUE)
		return rc;
	const struct pin_arg arg = { pin, len };
	rc = with_fresh_proof(cli, client, pw_file, pin_change, &arg);
	cli_secret_free(pin);
	if (rc != CLI_CONTINUE)
		return rc;
	return print_status(cli, "pin-changed", "PIN changed.");
}

static const char phone_usage[] =
	"usage: coffre phone NUMBER [--password-file P]\n"
	"  Set the phone number for codes by SMS, in international form "
	"(+33612345678).\n"
	"  Needs a fresh proof: within 5 minutes of your login, nothing "
	"more; later\n"
	"  your password (from P, standard input, or a prompt).\n";

int cli_cmd_phone(struct cli *cli, int argc, char **argv)
{
	const char *number[1] = { NULL }, *pw_file = NULL;
	const struct idc_opt opts[] = {
		{ "--password-file", NULL, &pw_file, NULL, NULL },
	};
	size_t n = 0;
	int rc = idc_parse("phone", phone_usage, argc, argv, 1, opts, 1,
	                   number, 1, &n);
	if (rc != CLI_CONTINUE)
		return rc;
	if (n == 0)
		return cli_fail(CLI_EXIT_USAGE, "phone: give the number, e.g. "
		                "coffre phone +33612345678");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	rc = with_fresh_proof(cli, client, pw_file, phone_change, number[0]);
	if (rc != CLI_CONTINUE)
		return rc;
	return print_status(cli, "phone-changed", "Phone number changed.");
}
