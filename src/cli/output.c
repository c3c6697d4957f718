/* What the user sees: one-line reasons on stderr, results on stdout, and
 * the exit status that goes with each failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void cli_shown_arg(char *out, size_t size, const char *arg)
{
	size_t len = strlen(arg);
	size_t o = 0;
	for (; o < len && o + 1 < size; o++) {
		unsigned char ch = (unsigned char)arg[o];
		out[o] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[o] = '\0';
	if (o < len && size >= 4)
		memcpy(out + size - 4, "...", 4);
}

int cli_fail(int code, const char *fmt, ...)
{
	char line[CF_ERRMSG_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof line, fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	/* One line, whatever the message holds. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fflush(stdout);
	fprintf(stderr, "coffre: %s\n", line[0] ? line : "failed");
	return code;
}

int cli_exit_status(cf_err err)
{
	switch (err) {
	case CF_OK:
		return CLI_EXIT_OK;
	case CF_ERR_TLS:
		return CLI_EXIT_TLS;
	case CF_ERR_NETWORK:
		return CLI_EXIT_CONNECT;
	default:
		return CLI_EXIT_FAILURE;
	}
}

int cli_fail_client(const struct cli *cli, cf_err err)
{
	const char *msg = cli->client ? cf_client_last_error(cli->client) : "";
	return cli_fail(cli_exit_status(err), "%s",
	                msg[0] ? msg : cf_strerror(err));
}

int cli_client(struct cli *cli, cf_client **ret_client)
{
	if (cli->client) {
		*ret_client = cli->client;
		return CLI_CONTINUE;
	}
	if (!cli->g.server)
		return cli_fail(CLI_EXIT_USAGE, "no server given: use --server "
		                "https://HOST:PORT or set COFFRE_SERVER");
	cf_errmsg msg = { .text = "" };
	const struct cf_client_options opts = {
		.server_url = cli->g.server,
		.ca_file = cli->g.ca_file,
		.profile_dir = cli->g.profile,
		.error = &msg,
	};
	cf_err err = cf_client_new(&cli->client, &opts);
	if (err) {
		/* A URL or CA file the user gave us is a usage problem. */
		int code = err == CF_ERR_INVALID || err == CF_ERR_CONFIG ?
		           CLI_EXIT_USAGE : cli_exit_status(err);
		return cli_fail(code, "%s", msg.text[0] ? msg.text :
		                cf_strerror(err));
	}
	*ret_client = cli->client;
	return CLI_CONTINUE;
}

void cli_print_command_usage(const struct cli_command *cmd)
{
	printf("usage: coffre [--server URL] [--ca FILE] [--profile DIR] "
	       "[--json] %s%s%s\n  %s\n", cmd->name, cmd->args[0] ? " " : "",
	       cmd->args, cmd->help);
}

int cli_no_arguments(const struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	                  strcmp(argv[1], "--help") == 0)) {
		cli_print_command_usage(cli->command);
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		char shown[64];
		cli_shown_arg(shown, sizeof shown, argv[1]);
		return cli_fail(CLI_EXIT_USAGE, "%s takes no arguments (got "
		                "'%s'); global options go before the command",
		                cli->command->name, shown);
	}
	return CLI_CONTINUE;
}

int cli_print_json(const json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_COMPACT | JSON_ENCODE_ANY) != 0 ||
	    fputc('\n', stdout) == EOF)
		return cli_fail(CLI_EXIT_FAILURE, "cannot write the output");
	return CLI_EXIT_OK;
}

int cli_flush_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		fprintf(stderr, "coffre: cannot write the output: %s\n",
		        e ? strerror(e) : "write error");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}
