/* Secrets (password, PIN, recovery code) for `coffre`. They are never
 * command-line arguments (other users can read /proc/PID/cmdline): they come
 * from a file named by an option, from standard input when it is not a
 * terminal, or from a prompt with echo off. They live in sodium_malloc'ed
 * (locked, guarded) memory, are capped, and are wiped when freed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "util/msg.h"

/* Room for CLI_SECRET_MAX bytes, "\r\n", one byte to notice more, NUL. */
#define SECRET_BUF (CLI_SECRET_MAX + 4)

void cli_secret_free(char *secret)
{
	if (secret)
		sodium_free(secret);   /* wipes first */
}

cf_err cli_secret_read_fd(int fd, bool one_line, const char *what,
                          const char *from, char **ret_secret,
                          size_t *ret_len, char *err, size_t err_size)
{
	char *buf = sodium_malloc(SECRET_BUF);
	if (!buf) {
		cf_msg_format(err, err_size, "out of memory");
		return CF_ERR_NOMEM;
	}
	size_t len = 0;
	bool line_end = false;
	while (len < SECRET_BUF - 1) {
		/* One byte at a time for a line, so that what follows it on
		 * standard input is left for the command. */
		size_t want = one_line ? 1 : SECRET_BUF - 1 - len;
		ssize_t n = read(fd, buf + len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cf_msg_format(err, err_size, "cannot read the %s from %s: %s",
			              what, from, strerror(errno));
			sodium_free(buf);
			return CF_ERR_IO;
		}
		if (n == 0)
			break;
		if (one_line && buf[len] == '\n') {
			line_end = true;
			break;
		}
		len += (size_t)n;
	}
	bool filled = len >= SECRET_BUF - 1 && !line_end;
	if (!one_line && len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';

	cf_err rc = CF_OK;
	if (filled || len > CLI_SECRET_MAX) {
		cf_msg_format(err, err_size, "the %s from %s is longer than %d bytes",
		              what, from, CLI_SECRET_MAX);
		rc = CF_ERR_TOO_LARGE;
	} else if (len == 0) {
		cf_msg_format(err, err_size, "got an empty %s from %s", what, from);
		rc = CF_ERR_INVALID;
	} else if (memchr(buf, '\0', len)) {
		cf_msg_format(err, err_size, "the %s from %s contains a NUL byte", what,
		              from);
		rc = CF_ERR_INVALID;
	} else if (!one_line && memchr(buf, '\n', len)) {
		cf_msg_format(err, err_size, "%s has more than one line; it must hold "
		              "only the %s", from, what);
		rc = CF_ERR_INVALID;
	}
	if (rc) {
		sodium_free(buf);
		return rc;
	}
	*ret_secret = buf;
	*ret_len = len;
	return CF_OK;
}

static cf_err read_from_file(const struct cli_secret_source *src,
                             char **ret_secret, size_t *ret_len, char *err,
                             size_t err_size)
{
	char shown[200];
	char from[256];
	cli_shown_arg(shown, sizeof shown, src->file);
	snprintf(from, sizeof from, "%s file %s", src->what, shown);

	int fd = open(src->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		cf_msg_format(err, err_size, "cannot open %s (%s): %s", from,
		              src->option, strerror(e));
		return e == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO;
	}
	struct stat st;
	cf_err rc = CF_OK;
	if (fstat(fd, &st) != 0) {
		cf_msg_format(err, err_size, "cannot inspect %s: %s", from,
		              strerror(errno));
		rc = CF_ERR_IO;
	} else if (S_ISDIR(st.st_mode)) {
		cf_msg_format(err, err_size, "%s is a folder", from);
		rc = CF_ERR_INVALID;
	} else if (S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		/* Pipes (<(...), /dev/stdin) have no meaningful mode. */
		cf_msg_format(err, err_size, "%s is accessible by group or others "
		              "(mode %04o); run: chmod 600 %s", from,
		              (unsigned)(st.st_mode & 07777), shown);
		rc = CF_ERR_DENIED;
	}
	if (!rc)
		rc = cli_secret_read_fd(fd, false, src->what, from, ret_secret,
		                        ret_len, err, err_size);
	close(fd);
	return rc;
}

/* Terminal state to put back if a signal interrupts the prompt. */
static volatile sig_atomic_t prompt_tty = -1;
static struct termios prompt_saved;

static void restore_tty_and_die(int sig)
{
	if (prompt_tty >= 0)
		tcsetattr(prompt_tty, TCSAFLUSH, &prompt_saved);
	/* SA_RESETHAND put the default action back: die of the signal. */
	raise(sig);
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_PROMPT_SIGNALS (sizeof prompt_signals / sizeof *prompt_signals)

static cf_err read_from_prompt(const struct cli_secret_source *src,
                               char **ret_secret, size_t *ret_len, char *err,
                               size_t err_size)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0) {
		cf_msg_format(err, err_size, "cannot ask for the %s: no terminal; use "
		              "%s or standard input", src->what, src->option);
		return CF_ERR_INVALID;
	}
	struct termios saved;
	if (tcgetattr(tty, &saved) != 0) {
		cf_msg_format(err, err_size, "cannot ask for the %s: %s", src->what,
		              strerror(errno));
		close(tty);
		return CF_ERR_IO;
	}

	struct sigaction act, old[N_PROMPT_SIGNALS];
	memset(&act, 0, sizeof act);
	act.sa_handler = restore_tty_and_die;
	act.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&act.sa_mask);
	prompt_saved = saved;
	prompt_tty = tty;
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &act, &old[i]);

	struct termios quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	quiet.c_lflag |= ICANON;
	cf_err rc = CF_OK;
	size_t plen = strlen(src->prompt);
	if (write(tty, src->prompt, plen) != (ssize_t)plen ||
	    tcsetattr(tty, TCSAFLUSH, &quiet) != 0) {
		cf_msg_format(err, err_size, "cannot ask for the %s: %s", src->what,
		              strerror(errno));
		rc = CF_ERR_IO;
	}
	if (!rc)
		rc = cli_secret_read_fd(tty, true, src->what, "the prompt",
		                        ret_secret, ret_len, err, err_size);
	tcsetattr(tty, TCSAFLUSH, &saved);
	if (write(tty, "\n", 1) != 1) {
		/* Only cosmetic. */
	}
	prompt_tty = -1;
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	close(tty);
	return rc;
}

cf_err cli_secret_read(const struct cli_secret_source *src, char **ret_secret,
                       size_t *ret_len, char *err, size_t err_size)
{
	if (sodium_init() < 0) {
		cf_msg_format(err, err_size, "cannot initialise libsodium");
		return CF_ERR_NOMEM;
	}
	if (src->file)
		return read_from_file(src, ret_secret, ret_len, err, err_size);
	if (!isatty(STDIN_FILENO))
		return cli_secret_read_fd(STDIN_FILENO, true, src->what,
		                          "standard input", ret_secret, ret_len,
		                          err, err_size);
	return read_from_prompt(src, ret_secret, ret_len, err, err_size);
}
