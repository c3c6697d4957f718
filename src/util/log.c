/* Technical logger: format, scrub, escape, one write(2). See util/log.h and
 * docs/internals/log.md. */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/scrub.h"

#define CF_LOG_PREFIX_MAX 80        /* timestamp, level, component */
#define CF_LOG_COMPONENT_MAX 32
#define CF_LOG_ELLIPSIS "\xE2\x80\xA6" /* "…", marks a cut line */

static atomic_int log_level = CF_LOG_INFO;

/* The destination. The lock is held around each write(2) so that a
 * concurrent cf_log_set_fd/cf_log_open_file never closes (or lets the
 * kernel reuse) an fd that a line is being written to. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO; /* guarded by log_lock; -1 discards */
static bool log_fd_owned;          /* guarded by log_lock */

static const char *const level_names[] = {
	[CF_LOG_ERROR] = "error",
	[CF_LOG_WARN] = "warn",
	[CF_LOG_INFO] = "info",
	[CF_LOG_DEBUG] = "debug",
};

static enum cf_log_level clamp_level(enum cf_log_level level)
{
	if ((int)level < CF_LOG_ERROR)
		return CF_LOG_ERROR;
	if ((int)level > CF_LOG_DEBUG)
		return CF_LOG_DEBUG;
	return level;
}

void cf_log_set_level(enum cf_log_level level)
{
	atomic_store_explicit(&log_level, (int)clamp_level(level), memory_order_relaxed);
}

enum cf_log_level cf_log_get_level(void)
{
	return (enum cf_log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

bool cf_log_enabled(enum cf_log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

const char *cf_log_level_name(enum cf_log_level level)
{
	return level_names[clamp_level(level)];
}

cf_err cf_log_level_parse(const char *name, enum cf_log_level *ret_level)
{
	if (name == NULL)
		return CF_ERR_INVALID;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret_level = (enum cf_log_level)i;
			return CF_OK;
		}
	}
	return CF_ERR_INVALID;
}

/* Installs fd as the destination and closes the previous one if we owned
 * it. The close happens after the lock is released: no writer can still be
 * using the old fd, since writers read log_fd under the lock. */
static void replace_fd(int fd, bool owned)
{
	pthread_mutex_lock(&log_lock);
	int old = log_fd_owned ? log_fd : -1;
	log_fd = fd < 0 ? -1 : fd;
	log_fd_owned = owned && fd >= 0;
	pthread_mutex_unlock(&log_lock);
	if (old >= 0 && old != fd)
		close(old);
}

void cf_log_set_fd(int fd)
{
	replace_fd(fd, false);
}

cf_err cf_log_open_file(const char *path)
{
	if (path == NULL || path[0] == '\0')
		return CF_ERR_INVALID;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return CF_ERR_IO;
	replace_fd(fd, true);
	return CF_OK;
}

/* "2026-11-22T15:17:57.123Z info http: " into buf; returns its length. */
static size_t format_prefix(char *buf, size_t cap, enum cf_log_level level, const char *component)
{
	uint64_t now = cf_now_ms();
	time_t sec = (time_t)(now / 1000);
	struct tm tm = { 0 };
	gmtime_r(&sec, &tm);
	int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %.*s: ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, (int)(now % 1000), cf_log_level_name(level),
	                 CF_LOG_COMPONENT_MAX, component ? component : "-");
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Copies src to dst (at most cap bytes) with every control character
 * escaped ("\n", "\r", "\t", "\xHH") and every byte >= 0x80 as "\xHH"
 * too (UTF-8 or not: a decoded "%C3%A9" or "%FF" in a path), so the line is
 * plain ASCII (but for the "…" cf_log adds to a cut line): no byte sequence
 * of the message can start a new line (NEL, U+2028, U+2029), move a
 * terminal or reach a log parser raw. Stops before an escape that does not
 * fit (*ret_cut = true). */
static size_t escape_line(char *dst, size_t cap, const char *src, size_t n, bool *ret_cut)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char esc[4];
		size_t elen = 2;
		unsigned char c = s[i];
		esc[0] = '\\';
		if (c == '\n') {
			esc[1] = 'n';
		} else if (c == '\r') {
			esc[1] = 'r';
		} else if (c == '\t') {
			esc[1] = 't';
		} else if (c < 0x20 || c >= 0x7f) {
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 0xf];
			elen = 4;
		} else {
			esc[0] = (char)c;
			elen = 1;
		}
		if (elen > cap - o) {
			*ret_cut = true;
			return o;
		}
		memcpy(dst + o, esc, elen);
		o += elen;
	}
	return o;
}

/* One write(2) of the whole line, under the lock (see replace_fd). A short
 * write (disk full) is not retried: a second write could interleave. */
static void emit(const char *line, size_t len)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0) {
		ssize_t w;
		do
			w = write(log_fd, line, len);
		while (w < 0 && errno == EINTR);
	}
	pthread_mutex_unlock(&log_lock);
}

void cf_log(enum cf_log_level level, const char *component, const char *fmt, ...)
{
	if (!cf_log_enabled(level) || fmt == NULL)
		return;
	int saved_errno = errno;

	/* 1. prefix + formatted message, bounded. */
	char raw[CF_LOG_PREFIX_MAX + CF_LOG_MSG_MAX];
	size_t plen = format_prefix(raw, CF_LOG_PREFIX_MAX, level, component);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw + plen, CF_LOG_MSG_MAX, fmt, ap);
	va_end(ap);
	bool cut = false;
	size_t mlen;
	if (n < 0) {
		static const char bad[] = "(unformattable message)";
		memcpy(raw + plen, bad, sizeof(bad));
		mlen = sizeof(bad) - 1;
	} else if ((size_t)n >= CF_LOG_MSG_MAX) {
		mlen = CF_LOG_MSG_MAX - 1;
		cut = true;
	} else {
		mlen = (size_t)n;
	}

	/* 2. the whole line through the scrubber; a cut message may end with
	 * the first half of an identifier, which TAIL_CUT drops. */
	char clean[CF_LOG_LINE_MAX];
	bool scrub_cut = false;
	size_t clen = cf_scrub_ex(clean, sizeof(clean), raw, plen + mlen,
	                          cut ? CF_SCRUB_TAIL_CUT : 0, &scrub_cut);

	/* 3. escape, leaving room for "…\n". */
	char line[CF_LOG_LINE_MAX];
	const size_t tail = sizeof(CF_LOG_ELLIPSIS) - 1 + 1;
	bool esc_cut = false;
	size_t llen = escape_line(line, sizeof(line) - tail, clean, clen, &esc_cut);
	if (cut || scrub_cut || esc_cut) {
		memcpy(line + llen, CF_LOG_ELLIPSIS, sizeof(CF_LOG_ELLIPSIS) - 1);
		llen += sizeof(CF_LOG_ELLIPSIS) - 1;
	}
	line[llen++] = '\n';

	emit(line, llen);
	errno = saved_errno;
}
