/* coffre help [COMMAND] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 2)
		return cli_fail(CLI_EXIT_USAGE, "help takes at most one command "
		                "name");
	if (argc == 2) {
		const struct cli_command *cmd = cli_find_command(argv[1]);
		if (!cmd) {
			char shown[64];
			cli_shown_arg(shown, sizeof shown, argv[1]);
			return cli_fail(CLI_EXIT_USAGE, "unknown command '%s'; "
			                "try 'coffre help'", shown);
		}
		cli_print_command_usage(cmd);
		return CLI_EXIT_OK;
	}

	size_t n = 0;
	const struct cli_command *cmds = cli_commands(&n);
	size_t width = 0;
	for (size_t i = 0; i < n; i++)
		if (strlen(cmds[i].name) > width)
			width = strlen(cmds[i].name);
	printf("usage: coffre [--server URL] [--ca FILE] [--profile DIR] "
	       "[--json] COMMAND ...\n"
	       "\n"
	       "Global options (before the command):\n"
	       "  --server URL    server base URL, https:// only "
	       "(or $COFFRE_SERVER)\n"
	       "  --ca FILE       trust only the CA certificates in FILE "
	       "(or $COFFRE_CA);\n"
	       "                  default: the system CA store\n"
	       "  --profile DIR   this device's keys and session "
	       "(or $COFFRE_PROFILE;\n"
	       "                  default: ~/.config/coffre), mode 0700\n"
	       "  --json          print one JSON document per command\n"
	       "  -h, --help      show this help\n"
	       "  -V, --version   show the version\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-*s  %s\n", (int)width, cmds[i].name, cmds[i].help);
	printf("\n"
	       "Secrets are never command-line arguments: they are read from "
	       "a file\n"
	       "(--password-file, --pin-file, --recovery-file), from standard "
	       "input, or\n"
	       "from a prompt.\n"
	       "\n"
	       "Turning TOTP off, a new PIN, phone number or recovery code need "
	       "a fresh\n"
	       "proof: within 5 minutes of 'coffre login' nothing more; later "
	       "your password\n"
	       "(--password-file, standard input, or a prompt when the server "
	       "asks for it).\n"
	       "'coffre recovery regenerate' always asks for the password.\n"
	       "\n"
	       "Exit status: 0 success, 1 failure, 2 usage error, 3 TLS or "
	       "certificate\n"
	       "problem, 4 cannot connect to the server, 5 the audit log does not "
	       "verify,\n"
	       "6 authentication failed or session locked, 7 this device was wiped.\n");
	return CLI_EXIT_OK;
}
