/* coffre login: password, then a second factor, in one process.
 *   coffre login --email E [--password-file P] [--method email|sms|totp]
 *                [--code-file F]
 * The kek derived from the password must stay in this process until the
 * key bundle is opened, so the code is read after the login step, while the
 * command waits: from --code-file (read at that moment), else from standard
 * input when it is not a terminal (the line after the password when the
 * password also comes from standard input), else from a prompt. A script
 * starts `coffre login`, reads the e-mail or computes the TOTP code, and
 * writes it to the command's standard input. */
#include <stdio.h>
#include <string.h>

#include "cli/identity_cli.h"

static const char login_usage[] =
	"usage: coffre login --email E [--password-file P] "
	"[--method email|sms|totp]\n"
	"                    [--code-file F]\n"
	"  Log in on this device. After the password, the server sends a "
	"code by\n"
	"  e-mail or SMS (or asks for your authenticator's code); the command "
	"then\n"
	"  waits for it: from --code-file, else from standard input when it "
	"is not\n"
	"  a terminal (one line; after the password line when the password "
	"comes\n"
	"  from standard input too), else from a prompt.\n"
	"  --method picks the second factor (default: the one the server "
	"chose).\n"
	"  Exit status 6: wrong address, password or code, or too many "
	"tries.\n";

/* The method to finish with, and whether a code must be sent for it. */
static int choose_method(cf_client *client, cf_login *login,
                         const char *wanted, const struct cli *cli,
                         const char **ret)
{
	const char *sent = cf_login_sent(login);
	if (!wanted) {
		if (sent) {
			*ret = sent;
			return CLI_CONTINUE;
		}
		wanted = cf_login_offers(login, "totp") ? "totp" :
		         cf_login_method(login, 0);
	}
	if (!cf_login_offers(login, wanted)) {
		char offered[64] = "";
		size_t o = 0;
		for (size_t i = 0; cf_login_method(login, i); i++) {
			int n = snprintf(offered + o, sizeof offered - o, "%s%s",
			                 i ? ", " : "", cf_login_method(login, i));
			if (n < 0 || (size_t)n >= sizeof offered - o)
				break;
			o += (size_t)n;
		}
		return cli_fail(CLI_EXIT_USAGE, "login: %s is not a second "
		                "factor of this account (offered: %s)", wanted,
		                offered);
	}
	if (strcmp(wanted, "totp") != 0 && (!sent || strcmp(sent, wanted))) {
		struct cf_id_problem problem;
		cf_err err = cf_login_send(client, login, wanted, &problem);
		if (err)
			return idc_fail(cli, err, &problem);
	}
	*ret = wanted;
	return CLI_CONTINUE;
}

int cli_cmd_login(struct cli *cli, int argc, char **argv)
{
	const char *email = NULL, *pw_file = NULL, *method = NULL;
	const char *code_file = NULL;
	const struct idc_opt opts[] = {
		{ "--email", NULL, &email, NULL, NULL },
		{ "--password-file", NULL, &pw_file, NULL, NULL },
		{ "--method", NULL, &method, NULL, NULL },
		{ "--code-file", NULL, &code_file, NULL, NULL },
	};
	int rc = idc_parse("login", login_usage, argc, argv, 1, opts,
	                   sizeof opts / sizeof *opts, NULL, 0, NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!email)
		return idc_missing("login", "--email");
	if (method && strcmp(method, "email") && strcmp(method, "sms") &&
	    strcmp(method, "totp"))
		return cli_fail(CLI_EXIT_USAGE, "login: --method is email, sms "
		                "or totp");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;

	char *password = NULL, *code = NULL;
	size_t pw_len = 0, code_len = 0;
	cf_login *login = NULL;
	rc = idc_secret(pw_file, "--password-file", "password", "Password: ",
	                false, &password, &pw_len);
	if (rc != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	cf_err err = cf_login_begin(client, email, password, pw_len, &login,
	                            &problem);
	cli_secret_free(password);
	if (err)
		return idc_fail(cli, err, &problem);

	const char *use = NULL;
	rc = choose_method(client, login, method, cli, &use);
	if (rc != CLI_CONTINUE)
		goto out;
	if (strcmp(use, "totp") == 0)
		fprintf(stderr, "coffre: enter the code of your authenticator "
		        "app\n");
	else
		fprintf(stderr, "coffre: a 6-digit code was sent by %s; enter "
		        "it (valid 10 minutes)\n", use);
	fflush(stderr);
	rc = idc_secret(code_file, "--code-file", "code", "Code: ", false,
	                &code, &code_len);
	if (rc != CLI_CONTINUE)
		goto out;
	struct cf_session_info info;
	err = cf_login_finish(client, login, use, code, code_len, &info,
	                      &problem);
	if (err) {
		rc = idc_fail(cli, err, &problem);
		goto out;
	}

	if (cli->g.json) {
		json_t *doc = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b}",
			"email", info.email, "user_id", info.user_id,
			"org_id", info.org_id, "role", info.role,
			"device_id", info.device_id,
			"device_status", info.device_status, "method", use,
			"idle_timeout_s", (json_int_t)info.idle_timeout_s,
			"expires_in_s", (json_int_t)info.expires_in_s,
			"keys_verified", info.keys_verified);
		rc = doc ? cli_print_json(doc) :
		     cli_fail(CLI_EXIT_FAILURE, "out of memory");
		json_decref(doc);
		goto out;
	}
	char shown_email[CF_EMAIL_MAX + 1], role[CF_ROLE_MAX + 1];
	char status[CF_STATUS_MAX + 1];
	idc_shown(shown_email, sizeof shown_email, info.email);
	idc_shown(role, sizeof role, info.role);
	idc_shown(status, sizeof status, info.device_status);
	printf("Logged in as %s (%s, user %s) on device %s (%s); your keys "
	       "open with this password.\n", shown_email, role, info.user_id,
	       info.device_id, status);
	if (info.idle_timeout_s >= 0)
		printf("The session locks after %ld s idle ('coffre unlock' "
		       "with your PIN).\n", info.idle_timeout_s);
	rc = CLI_EXIT_OK;
out:
	cli_secret_free(code);
	cf_login_free(login);
	return rc;
}
