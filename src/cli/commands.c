/* The one table of `coffre` commands. A new command is one file
 * (cmd_<name>.c), one declaration in cli.h and one line here. */
#include <string.h>

#include "cli/cli.h"

/* cmd_audit.c; to move into cli.h with the other command handlers. */
int cli_cmd_audit(struct cli *cli, int argc, char **argv);

static const struct cli_command commands[] = {
	{ "status", cli_cmd_status, "",
	  "check that the server is reachable, trusted and healthy" },
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
