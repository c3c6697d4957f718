/* coffre: the command-line client.
 *   coffre [--server URL] [--ca FILE] [--profile DIR] [--json] COMMAND ...
 * Global options, then one command from the table in commands.c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <sodium.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* This process will hold keys and session tokens: no core dumps. */
	const struct rlimit no_core = { 0, 0 };
	(void)setrlimit(RLIMIT_CORE, &no_core);

	if (sodium_init() < 0)
		return cli_fail(CLI_EXIT_FAILURE, "cannot initialise libsodium");

	const struct cli_env env = {
		.server = getenv("COFFRE_SERVER"),
		.ca_file = getenv("COFFRE_CA"),
	};
	struct cli cli = { 0 };
	int next = 0;
	char err[CF_ERRMSG_MAX];
	if (cli_parse_globals(argc, argv, &env, &cli.g, &next, err,
	                      sizeof err) != CF_OK)
		return cli_fail(CLI_EXIT_USAGE, "%s", err);

	if (cli.g.version) {
		printf("coffre %s\n", cf_client_version());
		return cli_flush_output();
	}
	if (next >= argc) {
		if (cli.g.help) {
			static char help_name[] = "help";
			char *help_argv[] = { help_name, NULL };
			int rc = cli_cmd_help(&cli, 1, help_argv);
			return rc ? rc : cli_flush_output();
		}
		return cli_fail(CLI_EXIT_USAGE, "no command given; try 'coffre "
		                "help'");
	}

	const struct cli_command *cmd = cli_find_command(argv[next]);
	if (!cmd) {
		char shown[64];
		cli_shown_arg(shown, sizeof shown, argv[next]);
		return cli_fail(CLI_EXIT_USAGE, "unknown command '%s'; try "
		                "'coffre help'", shown);
	}
	cli.command = cmd;
	int rc;
	if (cli.g.help) {
		cli_print_command_usage(cmd);
		rc = CLI_EXIT_OK;
	} else {
		rc = cmd->run(&cli, argc - next, argv + next);
	}
	cf_client_free(cli.client);
	int out = cli_flush_output();
	return rc != CLI_EXIT_OK ? rc : out;
}
