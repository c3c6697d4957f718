/* Rules the server and the client share (rules.h). */
#include "util/rules.h"

#include <string.h>
#include <strings.h>

bool cf_pin_ok(const char *pin, size_t len)
{
	if (!pin || len < CF_RULE_PIN_MIN || len > CF_RULE_PIN_MAX)
		return false;
	unsigned bad = 0;
	for (size_t i = 0; i < len; i++)
		bad |= (unsigned)((unsigned char)pin[i] - '0') > 9u;
	return bad == 0;
}

bool cf_otp_code_ok(const char *code, size_t len)
{
	if (!code || len != CF_RULE_OTP_DIGITS)
		return false;
	for (size_t i = 0; i < len; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return true;
}

bool cf_phone_ok(const char *phone)
{
	if (!phone || phone[0] != '+' || phone[1] < '1' || phone[1] > '9')
		return false;
	size_t n = 0;
	for (const char *p = phone + 1; *p; p++)
		if (*p < '0' || *p > '9' || ++n > CF_RULE_PHONE_MAX)
			return false;
	return n >= CF_RULE_PHONE_MIN;
}

bool cf_id_hexn_ok(const char *id, size_t n)
{
	if (!id || n != CF_RULE_ID_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool cf_id_hex_ok(const char *id)
{
	return id && cf_id_hexn_ok(id, strnlen(id, CF_RULE_ID_HEX_LEN + 1));
}

const char *const cf_role_names[CF_RULE_ROLE_COUNT + 1] = {
	"patient", "secretary", "professional", "admin", "superadmin", NULL,
};

int cf_role_index(const char *name)
{
	for (int i = 0; name && i < CF_RULE_ROLE_COUNT; i++)
		if (strcmp(name, cf_role_names[i]) == 0)
			return i;
	return -1;
}

bool cf_role_ok(const char *name)
{
	return cf_role_index(name) >= 0;
}

bool cf_media_type_is(const char *content_type, const char *type)
{
	if (!content_type || !type)
		return false;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	size_t n = strlen(type);
	if (strncasecmp(content_type, type, n) != 0)
		return false;
	char next = content_type[n];
	return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

bool cf_media_type_is_json(const char *content_type)
{
	if (cf_media_type_is(content_type, "application/json"))
		return true;
	if (!content_type)
		return false;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	static const char app[] = "application/";
	if (strncasecmp(content_type, app, strlen(app)) != 0)
		return false;
	size_t end = strcspn(content_type, "; \t");
	return end >= strlen(app) + strlen("x+json") &&
	       strncasecmp(content_type + end - 5, "+json", 5) == 0;
}

bool cf_json_content_type_ok(const char *ctype)
{
	if (!ctype)
		return false;
	size_t n = strlen("application/json");
	if (strncasecmp(ctype, "application/json", n) != 0)
		return false;
	const char *rest = ctype + n;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return true;
	if (*rest != ';')
		return false;
	rest++;
	while (*rest == ' ')
		rest++;
	return strcasecmp(rest, "charset=utf-8") == 0 ||
	       strcasecmp(rest, "charset=\"utf-8\"") == 0;
}

const char *cf_http_reason(long status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "";
}
