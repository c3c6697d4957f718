/* The server base URL: https only, no credentials, no query, no fragment.
 * The scheme is checked by hand first so the refusal can say exactly what
 * was wrong; the rest is parsed by libcurl's URL API, the same parser that
 * will later send the requests. */
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client/internal.h"

/* Frees a curl_url_get() string. */
static void curl_str_free(char **p)
{
	curl_free(*p);
	*p = NULL;
}

static void curlu_freep(CURLU **p)
{
	curl_url_cleanup(*p);
}

static bool has_part(CURLU *u, CURLUPart part)
{
	CF_CLEANUP(curl_str_free) char *s = NULL;
	return curl_url_get(u, part, &s, 0) == CURLUE_OK && s && s[0] != '\0';
}

cf_err cf_url_check(const char *url, struct cf_url *ret, cf_errmsg *err)
{
	static const char https[] = "https://";
	char shown[64];

	if (!url || url[0] == '\0') {
		cf_errmsg_set(err, "no server URL given");
		return CF_ERR_INVALID;
	}
	size_t len = strnlen(url, CF_CLIENT_MAX_URL);
	if (len >= CF_CLIENT_MAX_URL - 1) {
		cf_errmsg_set(err, "server URL is longer than %d characters",
		              CF_CLIENT_MAX_URL - 2);
		return CF_ERR_INVALID;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch >= 0x7f) {
			cf_errmsg_set(err, "server URL contains a space, a control "
			              "or a non-ASCII character at position %zu",
			              i + 1);
			return CF_ERR_INVALID;
		}
	}

	const char *sep = strstr(url, "://");
	if (!sep) {
		cf_text_sanitize(shown, sizeof shown, url, len);
		cf_errmsg_set(err, "server URL '%s' has no scheme: write it "
		              "https://%s", shown, shown);
		return CF_ERR_INVALID;
	}
	if ((size_t)(sep - url) != strlen("https") ||
	    strncasecmp(url, https, strlen(https)) != 0) {
		size_t scheme_len = (size_t)(sep - url);
		cf_text_sanitize(shown, sizeof shown, url,
		                 scheme_len < 16 ? scheme_len : 16);
		cf_errmsg_set(err, "server URL must start with https:// (got "
		              "%s://): coffre never sends health data without "
		              "TLS", shown);
		return CF_ERR_INVALID;
	}
	/* Userinfo is checked before libcurl sees the URL, and never echoed:
	 * it would be a password on the command line. */
	const char *authority = url + strlen(https);
	size_t auth_len = strcspn(authority, "/?#");
	if (memchr(authority, '@', auth_len)) {
		cf_errmsg_set(err, "server URL must not contain a user name or "
		              "password");
		return CF_ERR_INVALID;
	}

	CF_CLEANUP(curlu_freep) CURLU *u = curl_url();
	if (!u) {
		cf_errmsg_set(err, "out of memory");
		return CF_ERR_NOMEM;
	}
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		cf_errmsg_set(err, "server URL is malformed: %s",
		              curl_url_strerror(uc));
		return CF_ERR_INVALID;
	}
	if (has_part(u, CURLUPART_QUERY) || memchr(url, '?', len)) {
		cf_errmsg_set(err, "server URL must not have a query (?...)");
		return CF_ERR_INVALID;
	}
	if (has_part(u, CURLUPART_FRAGMENT) || memchr(url, '#', len)) {
		cf_errmsg_set(err, "server URL must not have a fragment (#...)");
		return CF_ERR_INVALID;
	}

	CF_CLEANUP(curl_str_free) char *host = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host ||
	    host[0] == '\0') {
		cf_errmsg_set(err, "server URL has no host name");
		return CF_ERR_INVALID;
	}
	CF_CLEANUP(curl_str_free) char *port = NULL;
	uc = curl_url_get(u, CURLUPART_PORT, &port, 0);
	if (uc != CURLUE_OK && uc != CURLUE_NO_PORT) {
		cf_errmsg_set(err, "server URL has a bad port: %s",
		              curl_url_strerror(uc));
		return CF_ERR_INVALID;
	}
	if (port && (strcmp(port, "0") == 0)) {
		cf_errmsg_set(err, "server URL has port 0");
		return CF_ERR_INVALID;
	}
	CF_CLEANUP(curl_str_free) char *path = NULL;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path) {
		cf_errmsg_set(err, "server URL has a bad path");
		return CF_ERR_INVALID;
	}
	size_t path_len = strlen(path);
	while (path_len > 0 && path[path_len - 1] == '/')
		path_len--;

	struct cf_url out;
	int n = snprintf(out.base, sizeof out.base, "https://%s%s%s%.*s",
	                 host, port ? ":" : "", port ? port : "",
	                 (int)path_len, path);
	if (n < 0 || (size_t)n >= sizeof out.base) {
		cf_errmsg_set(err, "server URL is too long");
		return CF_ERR_INVALID;
	}
	n = snprintf(out.hostport, sizeof out.hostport, "%s:%s", host,
	             port ? port : "443");
	if (n < 0 || (size_t)n >= sizeof out.hostport) {
		cf_errmsg_set(err, "server host name is too long");
		return CF_ERR_INVALID;
	}
	*ret = out;
	return CF_OK;
}
