/* The messages of the identity calls: the client's last error, the failure
 * kind of a cf_id_problem, and a call's first step. Below call.c, answer.c
 * and session.c, which all report through it (so none of them calls up). */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "client/call.h"

/* cf_client_last_error() points into the client's own CF_ERRMSG_MAX-byte
 * buffer (client.c); the identity calls write their reasons there too, so
 * that a caller has one place to look. */
static void error_vset(cf_client *c, const char *fmt, va_list ap)
	CF_PRINTF(2, 0);
static void error_vset(cf_client *c, const char *fmt, va_list ap)
{
	char *buf = (char *)(uintptr_t)cf_client_last_error(c);
	cf_msg_vformat(buf, CF_ERRMSG_MAX, fmt, ap);
}

void cf_call_error(cf_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(c, fmt, ap);
	va_end(ap);
}

void cf_problem_reset(struct cf_id_problem *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof *p);
	p->tries_left = -1;
	p->retry_after_s = -1;
}

cf_err cf_call_fail(cf_client *c, struct cf_id_problem *p,
                    enum cf_id_failure failure, cf_err err,
                    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(c, fmt, ap);
	va_end(ap);
	if (p)
		p->failure = failure;
	return err;
}

cf_err cf_call_nomem(cf_client *c, struct cf_id_problem *p)
{
	return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_NOMEM,
	                    "out of memory");
}

cf_err cf_answer_bad(cf_client *c, struct cf_id_problem *p, const char *what,
                     const char *member)
{
	return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_PROTOCOL,
	                    "the server's answer to %s has no valid \"%s\"",
	                    what, member);
}

cf_err cf_call_start(cf_client *c, struct cf_id_problem *p)
{
	cf_problem_reset(p);
	return c ? CF_OK : CF_ERR_INVALID;
}
