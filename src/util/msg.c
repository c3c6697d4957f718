/* Messages into the caller's buffer (msg.h). */
#include "util/msg.h"

#include <stdio.h>

void cf_msg_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	if (!buf || size == 0)
		return;
	int n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
}

void cf_msg_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(buf, size, fmt, ap);
	va_end(ap);
}
