/* The session of this device:
 *   coffre unlock [--pin-file F]   reopen a session locked after idle time
 *   coffre logout                  end it on the server, forget it here
 *   coffre me                      who the session is */
#include <stdio.h>
#include <string.h>

#include "cli/identity_cli.h"

static const char unlock_usage[] =
	"usage: coffre unlock [--pin-file F]\n"
	"  Reopen a session locked after idle time with your PIN (from F, "
	"standard\n"
	"  input or a prompt). The 5th wrong PIN wipes this device: exit "
	"status 7,\n"
	"  and its key and session are deleted from the profile.\n";

int cli_cmd_unlock(struct cli *cli, int argc, char **argv)
{
	const char *pin_file = NULL;
	const struct idc_opt opts[] = {
		{ "--pin-file", NULL, &pin_file, NULL, NULL },
	};
	int rc = idc_parse("unlock", unlock_usage, argc, argv, 1, opts, 1,
	                   NULL, 0, NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	struct cf_session_info info;
	if (cf_session_get(client, &info) != CF_OK)
		return cli_fail(CLI_EXIT_AUTH, "not logged in to %s: no session "
		                "in the profile (run 'coffre login')",
		                cf_client_server_url(client));
	char *pin = NULL;
	size_t len = 0;
	rc = idc_secret(pin_file, "--pin-file", "PIN", "PIN: ", false, &pin,
	                &len);
	if (rc != CLI_CONTINUE)
		return rc;
	struct cf_id_problem problem;
	cf_err err = cf_session_unlock(client, pin, len, &problem);
	cli_secret_free(pin);
	if (err)
		return idc_fail(cli, err, &problem);
	if (cli->g.json) {
		json_t *doc = json_pack("{s:s}", "status", "unlocked");
		rc = doc ? cli_print_json(doc) :
		     cli_fail(CLI_EXIT_FAILURE, "out of memory");
		json_decref(doc);
		return rc;
	}
	printf("Session unlocked.\n");
	return CLI_EXIT_OK;
}

int cli_cmd_logout(struct cli *cli, int argc, char **argv)
{
	int rc = cli_no_arguments(cli, argc, argv);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	enum cf_logout how = CF_LOGOUT_NONE;
	struct cf_id_problem problem;
	cf_err err = cf_session_logout(client, &how, &problem);
	if (err)
		return idc_fail(cli, err, &problem);
	static const char *const words[] = {
		[CF_LOGOUT_ENDED] = "logged-out",
		[CF_LOGOUT_LOCAL] = "forgotten",
		[CF_LOGOUT_NONE] = "not-logged-in",
	};
	if (cli->g.json) {
		json_t *doc = json_pack("{s:s}", "status", words[how]);
		rc = doc ? cli_print_json(doc) :
		     cli_fail(CLI_EXIT_FAILURE, "out of memory");
		json_decref(doc);
		return rc;
	}
	if (how == CF_LOGOUT_ENDED)
		printf("Logged out.\n");
	else if (how == CF_LOGOUT_LOCAL)
		printf("Logged out (the server had already ended the "
		       "session).\n");
	else
		printf("Not logged in; nothing to do.\n");
	return CLI_EXIT_OK;
}

int cli_cmd_me(struct cli *cli, int argc, char **argv)
{
	int rc = cli_no_arguments(cli, argc, argv);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	json_t *me = NULL;
	struct cf_id_problem problem;
	cf_err err = cf_me(client, &me, &problem);
	if (err)
		return idc_fail(cli, err, &problem);
	return idc_print_answer(cli, me, "ok");
}
