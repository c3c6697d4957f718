/* coffre status: is the server reachable, trusted (TLS) and healthy?
 *   text:  coffred 0.1.0 at https://127.0.0.1:8443: ok
 *   json:  {"server":"https://127.0.0.1:8443","status":"ok","version":"0.1.0"}
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Server text on our terminal: printable ASCII only, bounded. */
static void shown_version(char *out, size_t size, const char *v)
{
	cli_shown_arg(out, size, v);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p > 0x7e || *p == ' ')
			*p = '?';
}

int cli_cmd_status(struct cli *cli, int argc, char **argv)
{
	int rc = cli_no_arguments(cli, argc, argv);
	if (rc != CLI_CONTINUE)
		return rc;
	cf_client *client = NULL;
	rc = cli_client(cli, &client);
	if (rc != CLI_CONTINUE)
		return rc;

	json_t *health = NULL;
	cf_err err = cf_client_status(client, &health);
	if (err)
		return cli_fail_client(cli, err);

	const char *version = json_string_value(json_object_get(health,
	                                                        "version"));
	if (cli->g.json) {
		json_t *out = json_pack("{s:s, s:s, s:s*}",
		                        "server", cf_client_server_url(client),
		                        "status", "ok", "version", version);
		json_decref(health);
		if (!out)
			return cli_fail(CLI_EXIT_FAILURE, "out of memory");
		rc = cli_print_json(out);
		json_decref(out);
		return rc;
	}
	char shown[64] = "(unknown version)";
	if (version && version[0])
		shown_version(shown, sizeof shown, version);
	printf("coffred %s at %s: ok\n", shown, cf_client_server_url(client));
	json_decref(health);
	return CLI_EXIT_OK;
}
