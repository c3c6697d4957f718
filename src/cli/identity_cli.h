/* What the identity commands of `coffre` share (enrol, login, unlock,
 * logout, me, totp, recovery, recover, password, pin, phone, admin):
 * their option parser, secrets, exit statuses and output helpers.
 * Implemented in identity_cli.c. */
#ifndef COFFRE_CLI_IDENTITY_H
#define COFFRE_CLI_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

/* --- command handlers (one line each in commands.c) ------------------------ */

int cli_cmd_enrol(struct cli *cli, int argc, char **argv);
int cli_cmd_login(struct cli *cli, int argc, char **argv);
int cli_cmd_unlock(struct cli *cli, int argc, char **argv);
int cli_cmd_logout(struct cli *cli, int argc, char **argv);
int cli_cmd_me(struct cli *cli, int argc, char **argv);
int cli_cmd_totp(struct cli *cli, int argc, char **argv);
int cli_cmd_recovery(struct cli *cli, int argc, char **argv);
int cli_cmd_recover(struct cli *cli, int argc, char **argv);
int cli_cmd_password(struct cli *cli, int argc, char **argv);
int cli_cmd_pin(struct cli *cli, int argc, char **argv);
int cli_cmd_phone(struct cli *cli, int argc, char **argv);
int cli_cmd_admin(struct cli *cli, int argc, char **argv);

/* --- options ------------------------------------------------------------------ */

#define IDC_LIST_MAX 64

/* One option of a command: a flag (`flag` set), a value (`value` set), or a
 * repeatable value (`list`/`count`, at most IDC_LIST_MAX). */
struct idc_opt {
	const char *name;          /* "--email" */
	bool *flag;
	const char **value;
	const char **list;
	size_t *count;
};

/* Parses argv[first..argc) against opts; other words are positional (at
 * most pos_max, into pos; *ret_npos gets how many). "-h"/"--help" prints
 * `usage` and returns 0; a mistake prints one line and returns 2; else
 * CLI_CONTINUE. `what` names the command in messages ("admin invite"). */
int idc_parse(const char *what, const char *usage, int argc, char **argv,
              int first, const struct idc_opt *opts, size_t n_opts,
              const char **pos, size_t pos_max, size_t *ret_npos);

/* A required option that is missing: one line, exit 2. */
int idc_missing(const char *what, const char *option);

/* --- secrets ------------------------------------------------------------------- */

/* Reads a secret as cli_secret_read does (file, else standard input when
 * it is not a terminal, else a prompt). With `confirm` and a prompt, asks
 * twice and compares. Returns CLI_CONTINUE, or an exit status after the
 * reason. Free *ret with cli_secret_free. */
int idc_secret(const char *file, const char *option, const char *what,
               const char *prompt, bool confirm, char **ret, size_t *ret_len);

/* --- results and failures ------------------------------------------------------ */

/* Prints why a call failed, with a hint for locked / expired sessions, and
 * returns the exit status: 7 wiped, 6 authentication, else cli's. */
int idc_fail(const struct cli *cli, cf_err err, const struct cf_id_problem *p);

/* Prints a server JSON answer: with --json as is, else as "key: value"
 * lines (arrays of objects one line per item), server text made safe for a
 * terminal. Wipes and releases doc. Returns an exit status. */
int idc_print_answer(const struct cli *cli, json_t *doc, const char *done);

/* Prints a recovery code so that it cannot be missed (text), or inside
 * `doc` as "recovery_code" (--json; doc is then printed, wiped and
 * released). Returns an exit status. */
int idc_print_recovery(const struct cli *cli, const char *code, json_t *doc,
                       const char *intro);

/* Copies server text for the terminal: printable ASCII, bounded. */
void idc_shown(char *out, size_t size, const char *text);

#endif
