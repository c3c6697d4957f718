/* coffre admin: the organisation endpoints, one subcommand each, routed by
 * one table. Every subcommand prints the server's answer (--json: as is). */
#include <stdio.h>
#include <string.h>

#include "cli/identity_cli.h"

static const char admin_usage[] =
	"usage: coffre admin SUBCOMMAND [OPTIONS]\n"
	"  invite --email E --role R [--org ID] [--unit ID]\n"
	"      invite a user (the code goes by e-mail); roles: patient, "
	"secretary,\n"
	"      professional, admin, superadmin\n"
	"  orgs create --name N [--device-approval]   |   orgs list\n"
	"  units create --name N [--org ID]           |   units list [--org "
	"ID]\n"
	"      create makes the unit's key pair here; its secret key is kept "
	"only\n"
	"      wrapped to your encryption key (profile file unit-ID.wrap)\n"
	"  users list [--org ID]\n"
	"  role set --user ID --role R [--unit ID]\n"
	"  delegations create --to USER --scope S | delegations list\n"
	"  delegations delete ID\n"
	"  devices list | devices approve ID | devices wipe ID\n"
	"  api-keys create --scope S [--scope S...] [--allow CIDR...] "
	"[--label L]\n"
	"      (the key is printed once)\n"
	"  api-keys list | api-keys revoke ID\n"
	"  sessions revoke --user ID\n"
	"  --org defaults to your session's organisation.\n";

struct admin_args {
	const char *email, *role, *org, *unit, *name, *user, *to, *scope;
	const char *label;
	bool device_approval;
	const char *scopes[IDC_LIST_MAX], *allow[IDC_LIST_MAX];
	size_t n_scopes, n_allow;
	const char *pos[1];
	size_t n_pos;
};

typedef cf_err (*admin_run)(cf_client *c, const struct admin_args *a,
                            json_t **ret, struct cf_id_problem *p);

/* Options a subcommand takes (bits), and the positional ID it needs. */
enum {
	O_EMAIL = 1 << 0, O_ROLE = 1 << 1, O_ORG = 1 << 2, O_UNIT = 1 << 3,
	O_NAME = 1 << 4, O_USER = 1 << 5, O_TO = 1 << 6, O_SCOPE = 1 << 7,
	O_SCOPES = 1 << 8, O_ALLOW = 1 << 9, O_LABEL = 1 << 10,
	O_APPROVAL = 1 << 11, O_ID = 1 << 12,
};

static cf_err run_invite(cf_client *c, const struct admin_args *a,
                         json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_invite(c, a->email, a->role, a->org, a->unit, ret, p);
}

static cf_err run_org_create(cf_client *c, const struct admin_args *a,
                             json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_org_create(c, a->name, a->device_approval, ret, p);
}

static cf_err run_orgs_list(cf_client *c, const struct admin_args *a,
                            json_t **ret, struct cf_id_problem *p)
{
	(void)a;
	return cf_admin_orgs_list(c, ret, p);
}

static cf_err run_unit_create(cf_client *c, const struct admin_args *a,
                              json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_unit_create(c, a->org, a->name, ret, p);
}

static cf_err run_units_list(cf_client *c, const struct admin_args *a,
                             json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_units_list(c, a->org, ret, p);
}

static cf_err run_users_list(cf_client *c, const struct admin_args *a,
                             json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_users_list(c, a->org, ret, p);
}

static cf_err run_role_set(cf_client *c, const struct admin_args *a,
                           json_t **ret, struct cf_id_problem *p)
{
	return cf_admin_role_set(c, a->user, a->role, a->unit, ret, p);
}

static cf_err run_deleg_create(cf_client *c, const struct admin_args *a,
                               json_t **ret, struct cf_id_problem *p)
{
	return cf_delegation_create(c, a->to, a->scope, ret, p);
}

static cf_err run_deleg_list(cf_client *c, const struct admin_args *a,
                             json_t **ret, struct cf_id_problem *p)
{
	(void)a;
	return cf_delegations_list(c, ret, p);
}

static cf_err run_deleg_delete(cf_client *c, const struct admin_args *a,
                               json_t **ret, struct cf_id_problem *p)
{
	*ret = json_null();
	return cf_delegation_delete(c, a->pos[0], p);
}

static cf_err run_devices_list(cf_client *c, const struct admin_args *a,
                               json_t **ret, struct cf_id_problem *p)
{
	(void)a;
	return cf_devices_list(c, ret, p);
}

static cf_err run_device_approve(cf_client *c, const struct admin_args *a,
                                 json_t **ret, struct cf_id_problem *p)
{
	return cf_device_approve(c, a->pos[0], ret, p);
}

static cf_err run_device_wipe(cf_client *c, const struct admin_args *a,
                              json_t **ret, struct cf_id_problem *p)
{
	return cf_device_wipe(c, a->pos[0], ret, p);
}

static cf_err run_apikey_create(cf_client *c, const struct admin_args *a,
                                json_t **ret, struct cf_id_problem *p)
{
	return cf_apikey_create(c, a->scopes, a->n_scopes, a->allow,
	                        a->n_allow, a->label, ret, p);
}

static cf_err run_apikeys_list(cf_client *c, const struct admin_args *a,
                               json_t **ret, struct cf_id_problem *p)
{
	(void)a;
	return cf_apikeys_list(c, ret, p);
}

static cf_err run_apikey_revoke(cf_client *c, const struct admin_args *a,
                                json_t **ret, struct cf_id_problem *p)
{
	*ret = json_null();
	return cf_apikey_revoke(c, a->pos[0], p);
}

static cf_err run_sessions_revoke(cf_client *c, const struct admin_args *a,
                                  json_t **ret, struct cf_id_problem *p)
{
	*ret = json_null();
	return cf_sessions_revoke(c, a->user, p);
}

struct admin_cmd {
	const char *group;     /* "orgs" */
	const char *verb;      /* "create", or NULL for a one-word command */
	admin_run run;
	unsigned takes;        /* O_* */
	unsigned needs;        /* O_* that must be given */
	const char *done;      /* status for an empty answer */
};

static const struct admin_cmd admin_cmds[] = {
	{ "invite", NULL, run_invite, O_EMAIL | O_ROLE | O_ORG | O_UNIT,
	  O_EMAIL | O_ROLE, "invited" },
	{ "orgs", "create", run_org_create, O_NAME | O_APPROVAL, O_NAME,
	  "created" },
	{ "orgs", "list", run_orgs_list, 0, 0, "ok" },
	{ "units", "create", run_unit_create, O_NAME | O_ORG, O_NAME,
	  "created" },
	{ "units", "list", run_units_list, O_ORG, 0, "ok" },
	{ "users", "list", run_users_list, O_ORG, 0, "ok" },
	{ "role", "set", run_role_set, O_USER | O_ROLE | O_UNIT,
	  O_USER | O_ROLE, "role-set" },
	{ "delegations", "create", run_deleg_create, O_TO | O_SCOPE,
	  O_TO | O_SCOPE, "created" },
	{ "delegations", "list", run_deleg_list, 0, 0, "ok" },
	{ "delegations", "delete", run_deleg_delete, O_ID, O_ID, "deleted" },
	{ "devices", "list", run_devices_list, 0, 0, "ok" },
	{ "devices", "approve", run_device_approve, O_ID, O_ID, "approved" },
	{ "devices", "wipe", run_device_wipe, O_ID, O_ID, "wiped" },
	{ "api-keys", "create", run_apikey_create,
	  O_SCOPES | O_ALLOW | O_LABEL, O_SCOPES, "created" },
	{ "api-keys", "list", run_apikeys_list, 0, 0, "ok" },
	{ "api-keys", "revoke", run_apikey_revoke, O_ID, O_ID, "revoked" },
	{ "sessions", "revoke", run_sessions_revoke, O_USER, O_USER,
	  "revoked" },
};

static const struct {
	unsigned bit;
	const char *name;
} option_names[] = {
	{ O_EMAIL, "--email" }, { O_ROLE, "--role" }, { O_ORG, "--org" },
	{ O_UNIT, "--unit" }, { O_NAME, "--name" }, { O_USER, "--user" },
	{ O_TO, "--to" }, { O_SCOPE, "--scope" }, { O_SCOPES, "--scope" },
	{ O_ALLOW, "--allow" }, { O_LABEL, "--label" },
	{ O_APPROVAL, "--device-approval" }, { O_ID, "ID" },
};

static bool given(const struct admin_args *a, unsigned bit)
{
	switch (bit) {
	case O_EMAIL: return a->email;
	case O_ROLE: return a->role;
	case O_ORG: return a->org;
	case O_UNIT: return a->unit;
	case O_NAME: return a->name;
	case O_USER: return a->user;
	case O_TO: return a->to;
	case O_SCOPE: return a->scope;
	case O_SCOPES: return a->n_scopes > 0;
	case O_ALLOW: return a->n_allow > 0;
	case O_LABEL: return a->label;
	case O_APPROVAL: return a->device_approval;
	case O_ID: return a->n_pos > 0;
	default: return false;
	}
}

int cli_cmd_admin(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_fail(CLI_EXIT_USAGE, "admin: which subcommand? try "
		                "'coffre admin --help'");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(admin_usage, stdout);
		return CLI_EXIT_OK;
	}
	const struct admin_cmd *cmd = NULL;
	int first = 2;
	for (size_t i = 0; i < sizeof admin_cmds / sizeof *admin_cmds; i++) {
		const struct admin_cmd *c = &admin_cmds[i];
		if (strcmp(argv[1], c->group) != 0)
			continue;
		if (!c->verb) {
			cmd = c;
			break;
		}
		if (argc > 2 && strcmp(argv[2], c->verb) == 0) {
			cmd = c;
			first = 3;
			break;
		}
	}
	char what[64];
	if (!cmd) {
		char shown[64];
		cli_shown_arg(shown, sizeof shown, argc > 2 ?
		              argv[2] : argv[1]);
		return cli_fail(CLI_EXIT_USAGE, "admin: unknown subcommand "
		                "'%s%s%s'; try 'coffre admin --help'",
		                argc > 2 ? argv[1] : "", argc > 2 ? " " : "",
		                shown);
	}
	snprintf(what, sizeof what, "admin %s%s%s", cmd->group,
	         cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");

	struct admin_args a;
	memset(&a, 0, sizeof a);
	struct idc_opt opts[16];
	size_t n = 0;
	unsigned t = cmd->takes;
#define ADD(bit, nm, fl, val, lst, cnt) \
	if (t & (bit)) opts[n++] = (struct idc_opt){ nm, fl, val, lst, cnt }
	ADD(O_EMAIL, "--email", NULL, &a.email, NULL, NULL);
	ADD(O_ROLE, "--role", NULL, &a.role, NULL, NULL);
	ADD(O_ORG, "--org", NULL, &a.org, NULL, NULL);
	ADD(O_UNIT, "--unit", NULL, &a.unit, NULL, NULL);
	ADD(O_NAME, "--name", NULL, &a.name, NULL, NULL);
	ADD(O_USER, "--user", NULL, &a.user, NULL, NULL);
	ADD(O_TO, "--to", NULL, &a.to, NULL, NULL);
	ADD(O_SCOPE, "--scope", NULL, &a.scope, NULL, NULL);
	ADD(O_SCOPES, "--scope", NULL, NULL, a.scopes, &a.n_scopes);
	ADD(O_ALLOW, "--allow", NULL, NULL, a.allow, &a.n_allow);
	ADD(O_LABEL, "--label", NULL, &a.label, NULL, NULL);
	ADD(O_APPROVAL, "--device-approval", &a.device_approval, NULL, NULL,
	    NULL);
#undef ADD
	int rc = idc_parse(what, admin_usage, argc, argv, first, opts, n,
	                   a.pos, (t & O_ID) ? 1 : 0, &a.n_pos);
	if (rc != CLI_CONTINUE)
		return rc;
	for (size_t i = 0; i < sizeof option_names / sizeof *option_names;
	     i++) {
		unsigned bit = option_names[i].bit;
		if ((cmd->needs & bit) && !given(&a, bit))
			return idc_missing(what, option_names[i].name);
	}

	cf_client *client = NULL;
	if ((rc = cli_client(cli, &client)) != CLI_CONTINUE)
		return rc;
	json_t *doc = NULL;
	struct cf_id_problem problem;
	cf_err err = cmd->run(client, &a, &doc, &problem);
	if (err) {
		json_decref(doc);
		return idc_fail(cli, err, &problem);
	}
	if (!cli->g.json && cmd->run == run_apikey_create)
		fprintf(stderr, "coffre: the API key below is shown once; keep "
		        "it in a file of mode 0600\n");
	return idc_print_answer(cli, doc, cmd->done);
}
