/* A message into the caller's buffer (a `why`, an error line): bounded,
 * always NUL-terminated, truncating. Server, client and CLI all write their
 * messages this way; before, each file kept its own set_msg or set_err. */
#ifndef CF_UTIL_MSG_H
#define CF_UTIL_MSG_H

#include <stdarg.h>
#include <stddef.h>

/* Formats into buf (size bytes). buf NULL or size 0: nothing happens; a
 * formatting error leaves "". */
void cf_msg_vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void cf_msg_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
