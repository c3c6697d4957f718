/* Technical log of the server (DESIGN §7). One line per call:
 *
 *   2026-11-22T15:17:57.123Z info http: GET /v1/records 200 3ms id=...
 *
 * Every line goes whole through the PII scrubber (util/scrub.h), then
 * control characters and bytes >= 0x80 are escaped (a message cannot forge a
 * second line; a line is ASCII),
 * then it is written with a single write(2) of at most CF_LOG_LINE_MAX
 * bytes, so lines of concurrent threads (and of processes sharing the fd
 * through a pipe or O_APPEND) never interleave. Never log content, secrets
 * or tokens: the scrubber is a safety net, not a licence.
 *
 * Library code (crypto, store, audit, client) never logs; only the server
 * and the CLI do. All functions are thread-safe; none is async-signal-safe.
 * errno is preserved across cf_log. See docs/internals/log.md. */
#ifndef CF_UTIL_LOG_H
#define CF_UTIL_LOG_H

#include <stdbool.h>
#include "coffre/error.h"

/* Most severe first; a line is written when its level <= the threshold. */
enum cf_log_level {
	CF_LOG_ERROR = 0,
	CF_LOG_WARN = 1,
	CF_LOG_INFO = 2,
	CF_LOG_DEBUG = 3,
};

#define CF_LOG_MSG_MAX 2048   /* formatted message before scrubbing, with NUL */
#define CF_LOG_LINE_MAX 4096  /* one written line with its '\n' (PIPE_BUF) */

/* Formats the message (printf), scrubs and escapes the whole line and
 * writes it. A message longer than CF_LOG_MSG_MAX - 1 bytes is cut, its
 * last partial word or number dropped, and the line ends with "…".
 * component: a short constant name ("http", "auth"); NULL is written "-";
 * cut to 32 bytes. Write errors are ignored (there is nowhere to report). */
void cf_log(enum cf_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Threshold; lines above it are dropped before formatting. Default: info.
 * Out-of-range values are clamped. */
void cf_log_set_level(enum cf_log_level level);
enum cf_log_level cf_log_get_level(void);

/* True when a line at this level would be written (to skip costly
 * argument preparation). */
bool cf_log_enabled(enum cf_log_level level);

/* "error", "warn", "info", "debug". */
const char *cf_log_level_name(enum cf_log_level level);

/* Parses a level name (as above, exact lower case). CF_ERR_INVALID for
 * anything else; *ret_level is untouched on failure. */
cf_err cf_log_level_parse(const char *name, enum cf_log_level *ret_level);

/* Sends the log to fd (default: stderr). The caller keeps ownership of fd
 * and must keep it open until the next cf_log_set_fd / cf_log_open_file.
 * A negative fd discards every line. A file previously opened by
 * cf_log_open_file is closed. */
void cf_log_set_fd(int fd);

/* Opens path for appending (O_APPEND | O_CLOEXEC, created with mode 0640
 * minus the umask) and sends the log there; the log owns that fd. Calling
 * it again with the same path reopens the file (after a log rotation); the
 * previous file is closed once no line is being written to it.
 * CF_ERR_INVALID if path is NULL or empty, CF_ERR_IO if it cannot be
 * opened; on failure the current destination is kept. */
cf_err cf_log_open_file(const char *path);

#endif
