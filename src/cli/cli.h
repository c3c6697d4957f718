/* The `coffre` command line: global options, the command table, output
 * and exit codes, secrets. One file per command (cmd_<name>.c), each
 * listed once in commands.c. */
#ifndef COFFRE_CLI_H
#define COFFRE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "coffre/client.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Exit statuses: scripts rely on them (DESIGN §9). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,   /* anything else that went wrong */
	CLI_EXIT_USAGE = 2,     /* bad command line or option value */
	CLI_EXIT_TLS = 3,       /* TLS handshake or server certificate */
	CLI_EXIT_CONNECT = 4,   /* cannot resolve, connect, or timed out */
	CLI_EXIT_LOG = 5,       /* the audit log does not verify (rollback, fork, bad proof) */
	CLI_EXIT_AUTH = 6,      /* authentication failed, locked, throttled, not logged in */
	CLI_EXIT_WIPED = 7,     /* the server wiped this device */
};

/* A handler helper's "keep going" (not an exit status). */
#define CLI_CONTINUE (-1)

/* --- options.c ---------------------------------------------------------- */

/* Global options, before the command. Strings are borrowed from argv or
 * the environment. */
struct cli_globals {
	const char *server;    /* --server, else $COFFRE_SERVER */
	const char *ca_file;   /* --ca, else $COFFRE_CA */
	const char *profile;   /* --profile; NULL: $COFFRE_PROFILE or default */
	bool json;             /* --json */
	bool help;             /* -h, --help */
	bool version;          /* -V, --version */
};

/* The environment the options fall back on (NULL or "" when unset). */
struct cli_env {
	const char *server;    /* COFFRE_SERVER */
	const char *ca_file;   /* COFFRE_CA */
};

/* Parses the global options of argv[1..argc). On success fills *ret and
 * sets *ret_next to the index of the command (argc when none) and returns
 * CF_OK; on a usage error writes a one-line reason in err and returns
 * CF_ERR_INVALID. Outputs are untouched on failure. */
cf_err cli_parse_globals(int argc, char **argv, const struct cli_env *env,
                         struct cli_globals *ret, int *ret_next,
                         char *err, size_t err_size);

/* --- commands.c --------------------------------------------------------- */

struct cli;

/* argv[0] is the command name; argv[argc] is NULL. Returns an exit
 * status. */
typedef int (*cli_handler)(struct cli *cli, int argc, char **argv);

struct cli_command {
	const char *name;
	cli_handler run;
	const char *args;      /* argument synopsis, "" when none */
	const char *help;      /* one line */
};

/* The table, in the order `coffre help` lists it. */
const struct cli_command *cli_commands(size_t *ret_count);
/* NULL when there is no such command. */
const struct cli_command *cli_find_command(const char *name);

/* --- context (main.c, output.c) ----------------------------------------- */

struct cli {
	struct cli_globals g;
	const struct cli_command *command;   /* the one running */
	cf_client *client;                   /* see cli_client() */
};

/* The client for --server/--ca/--profile, created on first use. On
 * failure prints the reason and returns its exit status (2 for a missing
 * or bad server URL or CA file); returns CLI_CONTINUE on success. */
int cli_client(struct cli *cli, cf_client **ret_client);

/* Copies a command-line argument for a message: control characters
 * become '?', and a long one ends with "...". */
void cli_shown_arg(char *out, size_t size, const char *arg);

/* Prints "coffre: <message>" on stderr as one line; returns code. */
int cli_fail(int code, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Prints the client's last error like cli_fail, with the exit status of
 * err (cli_exit_status). */
int cli_fail_client(const struct cli *cli, cf_err err);

/* The exit status for a library error: CF_ERR_TLS 3, CF_ERR_NETWORK 4,
 * anything else 1. */
int cli_exit_status(cf_err err);

/* For commands without arguments: handles -h/--help (prints the usage,
 * returns 0) and refuses anything else (returns 2); else CLI_CONTINUE. */
int cli_no_arguments(const struct cli *cli, int argc, char **argv);

/* Prints the usage line of one command on stdout. */
void cli_print_command_usage(const struct cli_command *cmd);

/* Prints one JSON document on stdout, compact, on its own line. Returns 0,
 * or 1 after a message when it cannot. */
int cli_print_json(const json_t *doc);

/* Flushes stdout; 1 after a message when the output could not be written
 * (full disk, closed pipe), else 0. */
int cli_flush_output(void);

/* --- secret.c ----------------------------------------------------------- */

#define CLI_SECRET_MAX 1024   /* bytes; longer input is refused */

/* Where a secret comes from, in this order: the file named by an option
 * (e.g. --password-file), else standard input when it is not a terminal
 * (one line), else a prompt on the terminal with echo off. */
struct cli_secret_source {
	const char *file;      /* value of the option, or NULL */
	const char *option;    /* "--password-file", for messages */
	const char *what;      /* "password", for messages */
	const char *prompt;    /* "Password: " */
};

/* Reads a secret into locked memory (sodium_malloc), NUL-terminated,
 * without its final newline; *ret_len excludes the NUL. A secret file must
 * not be accessible by group or others. Empty secrets, NUL bytes and more
 * than CLI_SECRET_MAX bytes are refused. On failure writes a one-line
 * reason (never the secret) in err. Free with cli_secret_free. */
cf_err cli_secret_read(const struct cli_secret_source *src, char **ret_secret,
                       size_t *ret_len, char *err, size_t err_size);

/* Reads one secret from fd: the whole stream, or the first line when
 * one_line (byte by byte, so nothing after the line is consumed). Exposed
 * for the tests. */
cf_err cli_secret_read_fd(int fd, bool one_line, const char *what,
                          const char *from, char **ret_secret,
                          size_t *ret_len, char *err, size_t err_size);

/* Wipes and frees a secret. Accepts NULL. */
void cli_secret_free(char *secret);

/* --- commands ------------------------------------------------------------ */

int cli_cmd_help(struct cli *cli, int argc, char **argv);
int cli_cmd_status(struct cli *cli, int argc, char **argv);

#endif
