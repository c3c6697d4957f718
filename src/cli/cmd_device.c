/* coffre device certificate: get or renew this profile's device TLS client
 * certificate (mTLS, docs/internals/mtls.md) with the session's rights:
 * a new ECDSA P-256 key is made here, its CSR goes to
 * POST /v1/devices/{id}/certificate, and the certificate that comes back
 * is kept in the profile with its key (device-tls.pem, device-tls.key);
 * every later request presents them. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/identity_cli.h"

/* Listed in commands.c (to move into identity_cli.h). */
int cli_cmd_device(struct cli *cli, int argc, char **argv);

static const char device_usage[] =
	"usage: coffre device certificate\n"
	"  Get a TLS client certificate for this device from the server's "
	"device CA,\n"
	"  or renew it (with a new key; the previous certificate stops "
	"working at once).\n"
	"  Needs a session ('coffre login'). Under tls.client_cert = required, "
	"a device\n"
	"  without a certificate asks through the server's bootstrap listener "
	"(--server),\n"
	"  then logs in again on the main one; a device with one renews on the "
	"main one.\n";

static void utc_text(char *out, size_t size, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, size, "%lld", t);
}

int cli_cmd_device(struct cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	size_t npos = 0;
	int rc = idc_parse("device", device_usage, argc, argv, 1, NULL, 0,
	                   pos, 1, &npos);
	if (rc != CLI_CONTINUE)
		return rc;
	if (npos == 0)
		return cli_fail(CLI_EXIT_USAGE, "device: which subcommand? "
		                "try 'coffre device --help'");
	if (strcmp(pos[0], "certificate") != 0) {
		char shown[64];
		cli_shown_arg(shown, sizeof shown, pos[0]);
		return cli_fail(CLI_EXIT_USAGE, "device: unknown subcommand "
		                "'%s'; try 'coffre device --help'", shown);
	}
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	struct cf_device_cert_result res;
	struct cf_id_problem problem;
	cf_err err = cf_device_certificate(client, &res, &problem);
	if (err)
		return idc_fail(cli, err, &problem);
	char until[64];
	utc_text(until, sizeof until, res.info.not_after);
	if (cli->g.json) {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}",
		                        "status", res.renewed ? "renewed" :
		                        "issued", "device_id", res.device_id,
		                        "cert_sha256", res.info.cert_sha256,
		                        "not_after",
		                        (json_int_t)res.info.not_after,
		                        "not_after_utc", until,
		                        "renewed", res.renewed);
		rc = doc ? cli_print_json(doc) :
		     cli_fail(CLI_EXIT_FAILURE, "out of memory");
		json_decref(doc);
		return rc;
	}
	printf("Device certificate %s for %s, valid until %s.\n"
	       "SHA-256: %s\n"
	       "Kept in the profile; every request now presents it.\n",
	       res.renewed ? "renewed" : "issued", res.device_id, until,
	       res.info.cert_sha256);
	return CLI_EXIT_OK;
}
