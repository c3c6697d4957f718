/* The one table of `coffre` commands. A new command is one file
 * (cmd_<name>.c), one declaration in cli.h and one line here. */
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
	{ "status", cli_cmd_status, "",
	  "check that the server is reachable, trusted and healthy" },
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
