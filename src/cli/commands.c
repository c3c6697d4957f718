/* The one table of `coffre` commands. A new command is one file
 * (cmd_<name>.c), one declaration in cli.h and one line here. */
#include <string.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"   /* identity command handlers */

/* cmd_audit.c; to move into cli.h with the other command handlers. */
int cli_cmd_audit(struct cli *cli, int argc, char **argv);
/* cmd_device.c; to move into identity_cli.h. */
int cli_cmd_device(struct cli *cli, int argc, char **argv);

static const struct cli_command commands[] = {
	{ "status", cli_cmd_status, "",
	  "check that the server is reachable, trusted and healthy" },
	{ "enrol", cli_cmd_enrol, "--email E [--invitation-file F] "
	  "[--password-file P] [--pin-file F] [--second-factor email|sms] "
	  "[--phone N]", "create your account from an invitation" },
	{ "login", cli_cmd_login, "--email E [--password-file P] "
	  "[--method email|sms|totp] [--code-file F]",
	  "log in: password, then a code by e-mail, SMS or TOTP" },
	{ "unlock", cli_cmd_unlock, "[--pin-file F]",
	  "reopen a session locked after idle time, with the PIN" },
	{ "logout", cli_cmd_logout, "", "end the session of this device" },
	{ "me", cli_cmd_me, "", "show who you are logged in as" },
	{ "totp", cli_cmd_totp, "enable|confirm|disable [--code-file F] "
	  "[--password-file P]",
	  "turn codes from an authenticator app on or off" },
	{ "recovery", cli_cmd_recovery, "regenerate [--password-file P]",
	  "replace your recovery code (the old one stops working)" },
	{ "recover", cli_cmd_recover, "--email E [--recovery-file F] "
	  "[--password-file P]", "set a new password with your recovery code "
	  "(prints the next code)" },
	{ "password", cli_cmd_password, "[--password-file P] "
	  "[--new-password-file N]", "change your password" },
	{ "pin", cli_cmd_pin, "[--pin-file F] [--password-file P]",
	  "change your PIN" },
	{ "phone", cli_cmd_phone, "NUMBER [--password-file P]",
	  "set the phone number for codes by SMS" },
	{ "device", cli_cmd_device, "certificate",
	  "get or renew this device's TLS client certificate" },
	{ "admin", cli_cmd_admin, "SUBCOMMAND [OPTIONS]",
	  "organisations, units, users, roles, invitations, devices, API keys" },
	{ "audit", cli_cmd_audit, "trust|checkpoint|verify [OPTIONS]",
	  "pin the log key, detect rollbacks and forks, verify events" },
	{ "help", cli_cmd_help, "[COMMAND]",
	  "list the commands, or show how to use one" },
};

const struct cli_command *cli_commands(size_t *ret_count)
{
	*ret_count = sizeof commands / sizeof *commands;
	return commands;
}

const struct cli_command *cli_find_command(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}
