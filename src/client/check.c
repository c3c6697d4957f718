/* What a caller gives the identity calls, checked before anything is sent,
 * each refusal with a one-line reason (call.h). The rules both sides share
 * (PIN, one-time code, phone, id, role) are util/rules.h's. */
#include <string.h>

#include "client/call.h"
#include "coffre/keys.h"

/* The public limits say what util/rules.h checks. */
_Static_assert(CF_PIN_MIN_DIGITS == CF_RULE_PIN_MIN && CF_PIN_MAX_DIGITS == CF_RULE_PIN_MAX,
               "coffre/keys.h PIN limits and util/rules.h");
_Static_assert(CF_ID_HEX_LEN == CF_RULE_ID_HEX_LEN, "coffre/keys.h CF_ID_HEX_LEN and util/rules.h");

bool cf_text_ok(const char *s, size_t min, size_t max)
{
	if (!s)
		return false;
	size_t len = strnlen(s, max + 1);
	if (len < min || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

cf_err cf_check_email(cf_client *c, struct cf_id_problem *p,
                      const char *email)
{
	if (!cf_text_ok(email, 3, CF_EMAIL_MAX) || !strchr(email, '@') ||
	    strchr(email, ' '))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "not an e-mail address");
	return CF_OK;
}

cf_err cf_check_new_password(cf_client *c, struct cf_id_problem *p,
                             const char *pw, size_t len)
{
	if (!pw || len < CF_PASSWORD_MIN)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the password must be at least %d "
		                    "characters long",
		                    CF_PASSWORD_MIN);
	if (len > CF_PASSWORD_MAX)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_TOO_LARGE,
		                    "the password must be at most %d bytes long",
		                    CF_PASSWORD_MAX);
	return CF_OK;
}

/* A password to derive keys from (not a new one: any length that fits). */
cf_err cf_check_password(cf_client *c, struct cf_id_problem *p,
                         const char *pw, size_t len)
{
	if (!pw || len == 0 || len > CF_PASSWORD_MAX)
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "the password is empty or longer than %d "
		                    "bytes",
		                    CF_PASSWORD_MAX);
	return CF_OK;
}

cf_err cf_check_pin(cf_client *c, struct cf_id_problem *p,
                    const char *pin, size_t len)
{
	if (!cf_pin_ok(pin, len))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a PIN is %d to %d digits", CF_PIN_MIN_DIGITS,
		                    CF_PIN_MAX_DIGITS);
	return CF_OK;
}

cf_err cf_check_id(cf_client *c, struct cf_id_problem *p, const char *id,
                   const char *what)
{
	if (!cf_id_hex_ok(id))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "%s must be an id of 32 lowercase hex "
		                    "characters",
		                    what);
	return CF_OK;
}

cf_err cf_check_role(cf_client *c, struct cf_id_problem *p,
                     const char *role)
{
	if (!cf_role_ok(role))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a role is patient, secretary, "
		                    "professional, admin or superadmin");
	return CF_OK;
}

cf_err cf_check_code6(cf_client *c, struct cf_id_problem *p,
                      const char *code, size_t len)
{
	if (!cf_otp_code_ok(code, len))
		return cf_call_fail(c, p, CF_ID_FAIL_OTHER, CF_ERR_INVALID,
		                    "a code is 6 digits");
	return CF_OK;
}

