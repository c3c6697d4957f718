/* coffre enrol: an invited user creates their account on this device.
 *   coffre enrol --email E [--invitation-file F] [--password-file P]
 *                [--pin-file F] [--second-factor email|sms] [--phone +33…]
 *                [--device-cert]
 * Secrets come from their files, else from standard input (one line each,
 * in this order: invitation code, password, PIN), else from prompts (the
 * password and PIN are asked twice). The recovery code is printed once. */
#include <stdio.h>
#include <string.h>

#include "cli/identity_cli.h"

static const char enrol_usage[] =
	"usage: coffre enrol --email E [--invitation-file F] "
	"[--password-file P]\n"
	"                    [--pin-file F] [--second-factor email|sms] "
	"[--phone +33...]\n"
	"                    [--device-cert]\n"
	"  Create your account from the invitation code you received by "
	"e-mail.\n"
	"  Your keys are made on this device; the server only ever gets them "
	"sealed.\n"
	"  The invitation code, password (at least 8 characters) and PIN (4 "
	"to 12\n"
	"  digits, to unlock an idle session) come from their files (mode "
	"0600),\n"
	"  else from standard input, one line each in that order, else from "
	"prompts.\n"
	"  The recovery code is printed once: write it down.\n"
	"  --device-cert also makes this device's TLS key and asks the server's "
	"device CA\n"
	"  for its client certificate (kept in the profile, presented with "
	"every request).\n";

int cli_cmd_enrol(struct cli *cli, int argc, char **argv)
{
	const char *email = NULL, *inv_file = NULL, *pw_file = NULL;
	const char *pin_file = NULL, *method = NULL, *phone = NULL;
	bool device_cert = false;
	const struct idc_opt opts[] = {
		{ "--email", NULL, &email, NULL, NULL },
		{ "--invitation-file", NULL, &inv_file, NULL, NULL },
		{ "--password-file", NULL, &pw_file, NULL, NULL },
		{ "--pin-file", NULL, &pin_file, NULL, NULL },
		{ "--second-factor", NULL, &method, NULL, NULL },
		{ "--phone", NULL, &phone, NULL, NULL },
		{ "--device-cert", &device_cert, NULL, NULL, NULL },
	};
	int rc = idc_parse("enrol", enrol_usage, argc, argv, 1, opts,
	                   sizeof opts / sizeof *opts, NULL, 0, NULL);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!email)
		return idc_missing("enrol", "--email");
	if (method && strcmp(method, "email") != 0 &&
	    strcmp(method, "sms") != 0)
		return cli_fail(CLI_EXIT_USAGE, "enrol: --second-factor is "
		                "email or sms (TOTP is added after login with "
		                "'coffre totp enable')");
	if (method && strcmp(method, "sms") == 0 && !phone)
		return idc_missing("enrol --second-factor sms", "--phone");
	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;

	char *code = NULL, *password = NULL, *pin = NULL, *recovery = NULL;
	size_t code_len = 0, pw_len = 0, pin_len = 0;
	rc = idc_secret(inv_file, "--invitation-file", "invitation code",
	                "Invitation code: ", false, &code, &code_len);
	if (rc != CLI_CONTINUE)
		goto out;

	struct cf_id_problem problem;
	struct cf_enrol_invitation inv;
	cf_err err = cf_enrol_begin(client, code, email, &inv, &problem);
	if (err) {
		rc = idc_fail(cli, err, &problem);
		goto out;
	}
	char role[CF_ROLE_MAX + 1];
	idc_shown(role, sizeof role, inv.role);
	fprintf(stderr, "coffre: invitation accepted: role %s in "
	        "organisation %s\n", role, inv.org_id);

	rc = idc_secret(pw_file, "--password-file", "new password",
	                "New password: ", true, &password, &pw_len);
	if (rc != CLI_CONTINUE)
		goto out;
	rc = idc_secret(pin_file, "--pin-file", "PIN", "PIN (4-12 digits): ",
	                true, &pin, &pin_len);
	if (rc != CLI_CONTINUE)
		goto out;

	const struct cf_enrol_params params = {
		.code = code, .email = email,
		.password = password, .password_len = pw_len,
		.pin = pin, .pin_len = pin_len,
		.second_factor = method, .phone = phone,
		.device_cert = device_cert,
	};
	struct cf_enrol_result res;
	fprintf(stderr, "coffre: making your keys...\n");
	err = cf_enrol_finish(client, &inv, &params, &res, &recovery,
	                      &problem);
	cli_secret_free(password);
	password = NULL;
	cli_secret_free(pin);
	pin = NULL;
	if (err) {
		rc = idc_fail(cli, err, &problem);
		goto out;
	}

	char status[CF_STATUS_MAX + 1];
	idc_shown(role, sizeof role, res.role);
	idc_shown(status, sizeof status, res.device_status);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	                        "email", email, "user_id", res.user_id,
	                        "org_id", res.org_id, "role", res.role,
	                        "device_id", res.device_id,
	                        "device_status", res.device_status);
	if (doc && res.cert_sha256[0] &&
	    json_object_set_new(doc, "cert_sha256",
	                        json_string(res.cert_sha256)) != 0) {
		json_decref(doc);
		doc = NULL;
	}
	if (device_cert && !res.cert_sha256[0])
		/* Enrolled all the same: the recovery code comes next. */
		fprintf(stderr, "coffre: warning: %s; run 'coffre device "
		        "certificate' once logged in\n",
		        cf_client_last_error(client));
	if (!doc) {
		rc = cli_fail(CLI_EXIT_FAILURE, "enrolled, but out of memory "
		              "to show the recovery code");
		goto out;
	}
	char intro[CF_ERRMSG_MAX + 2 * CF_EMAIL_MAX];
	char shown_email[CF_EMAIL_MAX + 1];
	idc_shown(shown_email, sizeof shown_email, email);
	snprintf(intro, sizeof intro,
	         "Enrolled %s as %s (user %s, organisation %s).\n"
	         "This device: %s (%s)%s. Next: coffre login --email %s",
	         shown_email, role, res.user_id, res.org_id, res.device_id,
	         status, res.cert_sha256[0] ? ", with its TLS certificate" : "",
	         shown_email);
	rc = idc_print_recovery(cli, recovery, doc, intro);
out:
	cli_secret_free(code);
	cli_secret_free(password);
	cli_secret_free(pin);
	cf_secret_free(recovery);
	return rc;
}
