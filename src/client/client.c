/* libcoffre's HTTP layer: one libcurl easy handle per client, reset and
 * fully reconfigured before every request so that no security option can
 * be left out by a code path (TLS >= 1.2, peer and host verification, https
 * only, no redirects, no proxy from the environment, capped answers).
 * Every failure becomes one precise line in client->last_error. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <sodium.h>

#include "client/internal.h"

#ifndef COFFRE_VERSION
#error "COFFRE_VERSION must be defined by the build"
#endif

#define CONNECT_TIMEOUT_MAX_MS 10000L
#define CA_FILE_MAX            ((size_t)4 * 1024 * 1024)
#define PATH_MAX_LEN           4096
#define HEADER_VALUE_MAX       4096
#define SHOWN_MAX              256
#define HEALTH_BODY_MAX        ((size_t)64 * 1024)

struct cf_client {
	CURL *curl;
	struct cf_url url;
	char *ca_file;                 /* NULL: system store */
	char ca_shown[SHOWN_MAX];
	char *proxy;                   /* NULL: no proxy at all */
	char *profile_dir;             /* NULL: default */
	cf_profile *profile;           /* opened on first use */
	char *cert_file, *key_file;    /* options; NULL: the profile's pair */
	char cert_shown[SHOWN_MAX];    /* the certificate presented, or "" */
	bool cert_requested;           /* the server asked for one (GnuTLS) */
	long timeout_ms;
	long connect_timeout_ms;
	size_t max_body;
	char curl_error[CURL_ERROR_SIZE];
	char location[SHOWN_MAX];      /* Location of the last 3xx answer */
	char last_error[CF_ERRMSG_MAX];
};

const char *cf_client_version(void)
{
	return COFFRE_VERSION;
}

/* ------------------------------------------------------------------------ */
/* Process-wide initialisation                                               */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static cf_err global_err = CF_OK;
static char global_reason[128];

/* curl_global_init is not thread-safe (before 7.84), sodium_init is; both
 * run once per process. curl_global_cleanup is deliberately never called:
 * a library cannot know when the last client of the process is gone. */
static void global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		global_err = CF_ERR_UNSUPPORTED;
		cf_msg_format(global_reason, sizeof global_reason,
		              "cannot initialise libcurl: %s",
		              curl_easy_strerror(rc));
		return;
	}
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
	if (!info || !(info->features & CURL_VERSION_SSL)) {
		global_err = CF_ERR_UNSUPPORTED;
		cf_msg_format(global_reason, sizeof global_reason,
		              "this libcurl was built without TLS support");
		return;
	}
	if (sodium_init() < 0) {
		global_err = CF_ERR_NOMEM;
		cf_msg_format(global_reason, sizeof global_reason,
		              "cannot initialise libsodium");
	}
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

static void set_error(cf_client *c, const char *fmt, ...) CF_PRINTF(2, 3);
static void set_error(cf_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cf_msg_vformat(c->last_error, sizeof c->last_error, fmt, ap);
	va_end(ap);
}

const char *cf_client_last_error(const cf_client *client)
{
	return client ? client->last_error : "";
}

const char *cf_client_server_url(const cf_client *client)
{
	return client ? client->url.base : "";
}

/* True when every byte is printable ASCII or a space, as a header value
 * must be; refuses CR/LF, which would let a value inject headers. */
static bool header_safe(const char *s, bool allow_space)
{
	size_t len = strnlen(s, HEADER_VALUE_MAX + 1);
	if (len == 0 || len > HEADER_VALUE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || (ch == ' ' && !allow_space))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* Creation                                                                  */

/* The pinned CA file must exist now and hold a PEM certificate: better a
 * clear refusal at start than a TLS failure that blames the server. */
static cf_err check_ca_file(const char *path, const char *shown,
                            cf_errmsg *err)
{
	char ebuf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		cf_errmsg_set(err, "cannot read CA file %s: %s", shown,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_CONFIG;
	}
	CF_AUTO_FD file = fd;
	struct stat st;
	if (fstat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		cf_errmsg_set(err, "CA file %s is not a regular file", shown);
		return CF_ERR_CONFIG;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size > CA_FILE_MAX) {
		cf_errmsg_set(err, "CA file %s is %s", shown,
		              st.st_size <= 0 ? "empty" : "larger than 4 MiB");
		return CF_ERR_CONFIG;
	}
	size_t size = (size_t)st.st_size;
	CF_AUTO_FREE char *buf = malloc(size);
	if (!buf) {
		cf_errmsg_set(err, "out of memory");
		return CF_ERR_NOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(file, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cf_errmsg_set(err, "cannot read CA file %s: %s", shown,
			              cf_errno_text(errno, ebuf, sizeof ebuf));
			return CF_ERR_CONFIG;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	static const char marker[] = "-----BEGIN CERTIFICATE-----";
	if (!memmem(buf, got, marker, sizeof marker - 1)) {
		cf_errmsg_set(err, "CA file %s holds no PEM certificate "
		              "(\"%s\")", shown, marker);
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

/* The client certificate and key given as options: regular PEM files,
 * the key not accessible to group or others. The key's bytes are read
 * into locked memory only to look for its PEM marker, then wiped. */
static cf_err check_cert_option(const char *path, bool is_key, cf_errmsg *err)
{
	char shown[SHOWN_MAX], ebuf[128];
	const char *what = is_key ? "client key file" : "client certificate file";
	cf_text_sanitize(shown, sizeof shown, path, strlen(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		cf_errmsg_set(err, "cannot read %s %s: %s", what, shown,
		              cf_errno_text(errno, ebuf, sizeof ebuf));
		return CF_ERR_CONFIG;
	}
	CF_AUTO_FD file = fd;
	struct stat st;
	if (fstat(file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > 65536) {
		cf_errmsg_set(err, "%s %s is not a regular file of 1 byte to "
		              "64 KiB", what, shown);
		return CF_ERR_CONFIG;
	}
	if (is_key && ((st.st_mode & 077) || st.st_uid != geteuid())) {
		cf_errmsg_set(err, "%s %s must be yours and not accessible to "
		              "group or others (chmod 600)", what, shown);
		return CF_ERR_DENIED;
	}
	size_t size = (size_t)st.st_size;
	char *buf = sodium_malloc(size);
	if (!buf) {
		cf_errmsg_set(err, "out of memory");
		return CF_ERR_NOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(file, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	static const char cert_marker[] = "-----BEGIN CERTIFICATE-----";
	static const char key_marker[] = "PRIVATE KEY-----";
	const char *marker = is_key ? key_marker : cert_marker;
	bool ok = memmem(buf, got, marker, strlen(marker)) != NULL;
	sodium_free(buf);   /* wipes */
	if (!ok) {
		cf_errmsg_set(err, "%s %s holds no PEM %s", what, shown,
		              is_key ? "private key" : "certificate");
		return CF_ERR_CONFIG;
	}
	return CF_OK;
}

static bool text_safe(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

cf_err cf_client_new(cf_client **ret, const struct cf_client_options *opts)
{
	cf_errmsg *err = opts ? opts->error : NULL;
	if (err)
		err->text[0] = '\0';
	if (!ret || !opts) {
		cf_errmsg_set(err, "no client options given");
		return CF_ERR_INVALID;
	}

	pthread_once(&global_once, global_init);
	if (global_err) {
		cf_errmsg_set(err, "%s", global_reason);
		return global_err;
	}

	struct cf_url url;
	cf_err e = cf_url_check(opts->server_url, &url, err);
	if (e)
		return e;
	if (opts->timeout_ms < 0) {
		cf_errmsg_set(err, "timeout must not be negative");
		return CF_ERR_INVALID;
	}
	if (opts->proxy && !text_safe(opts->proxy, CF_CLIENT_MAX_URL)) {
		cf_errmsg_set(err, "proxy URL is empty, too long or contains "
		              "control characters");
		return CF_ERR_INVALID;
	}
	if (opts->profile_dir && !text_safe(opts->profile_dir, PATH_MAX_LEN)) {
		cf_errmsg_set(err, "profile folder path is empty, too long or "
		              "contains control characters");
		return CF_ERR_INVALID;
	}
	char ca_shown[SHOWN_MAX] = "";
	if (opts->ca_file) {
		if (opts->ca_file[0] == '\0') {
			cf_errmsg_set(err, "CA file name is empty");
			return CF_ERR_INVALID;
		}
		cf_text_sanitize(ca_shown, sizeof ca_shown, opts->ca_file,
		                 strlen(opts->ca_file));
		e = check_ca_file(opts->ca_file, ca_shown, err);
		if (e)
			return e;
	}

	if (!opts->cert_file != !opts->key_file) {
		cf_errmsg_set(err, "a client certificate needs its key file and "
		              "a key file its certificate: give both or neither");
		return CF_ERR_INVALID;
	}
	if (opts->cert_file &&
	    (!text_safe(opts->cert_file, PATH_MAX_LEN) ||
	     !text_safe(opts->key_file, PATH_MAX_LEN))) {
		cf_errmsg_set(err, "client certificate or key path is empty, too "
		              "long or contains control characters");
		return CF_ERR_INVALID;
	}
	if (opts->cert_file &&
	    ((e = check_cert_option(opts->cert_file, false, err)) ||
	     (e = check_cert_option(opts->key_file, true, err))))
		return e;

	cf_client *c = calloc(1, sizeof *c);
	if (!c) {
		cf_errmsg_set(err, "out of memory");
		return CF_ERR_NOMEM;
	}
	c->url = url;
	memcpy(c->ca_shown, ca_shown, sizeof c->ca_shown);
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms :
	                CF_CLIENT_DEFAULT_TIMEOUT_MS;
	c->connect_timeout_ms = c->timeout_ms < CONNECT_TIMEOUT_MAX_MS ?
	                        c->timeout_ms : CONNECT_TIMEOUT_MAX_MS;
	c->max_body = opts->max_body ? opts->max_body :
	              CF_CLIENT_DEFAULT_MAX_BODY;
	c->curl = curl_easy_init();
	if (!c->curl ||
	    (opts->ca_file && !(c->ca_file = strdup(opts->ca_file))) ||
	    (opts->proxy && !(c->proxy = strdup(opts->proxy))) ||
	    (opts->profile_dir && !(c->profile_dir = strdup(opts->profile_dir))) ||
	    (opts->cert_file && !(c->cert_file = strdup(opts->cert_file))) ||
	    (opts->key_file && !(c->key_file = strdup(opts->key_file)))) {
		cf_client_free(c);
		cf_errmsg_set(err, "out of memory");
		return CF_ERR_NOMEM;
	}
	*ret = c;
	return CF_OK;
}

void cf_client_free(cf_client *client)
{
	if (!client)
		return;
	if (client->curl)
		curl_easy_cleanup(client->curl);
	cf_profile_free(client->profile);
	free(client->ca_file);
	free(client->proxy);
	free(client->profile_dir);
	free(client->cert_file);
	free(client->key_file);
	sodium_memzero(client, sizeof *client);
	free(client);
}

cf_err cf_client_profile(cf_client *client, cf_profile **ret_borrowed)
{
	if (!client->profile) {
		cf_errmsg msg = { .text = "" };
		cf_err err = cf_profile_open(&client->profile,
		                             client->profile_dir,
		                             CF_PROFILE_CREATE, &msg);
		if (err) {
			set_error(client, "%s", msg.text);
			return err;
		}
	}
	*ret_borrowed = client->profile;
	return CF_OK;
}

/* ------------------------------------------------------------------------ */
/* One request                                                               */

/* Wipes header values (one holds the bearer token) before freeing. */
static void slist_wipe_free(struct curl_slist **list)
{
	for (struct curl_slist *it = *list; it; it = it->next)
		if (it->data)
			sodium_memzero(it->data, strlen(it->data));
	curl_slist_free_all(*list);
	*list = NULL;
}

static bool add_header(struct curl_slist **list, const char *name,
                       const char *value)
{
	size_t len = strlen(name) + strlen(value) + 3;
	char *line = malloc(len);
	if (!line)
		return false;
	cf_msg_format(line, len, "%s: %s", name, value);
	struct curl_slist *grown = curl_slist_append(*list, line);
	sodium_memzero(line, len);
	free(line);
	if (!grown)
		return false;
	*list = grown;
	return true;
}

#define SETOPT(c, opt, val)                                                  \
	do {                                                                 \
		CURLcode rc_ = curl_easy_setopt((c)->curl, opt, val);        \
		if (rc_ != CURLE_OK) {                                       \
			set_error((c), "libcurl refused option %s: %s",      \
			          #opt, curl_easy_strerror(rc_));            \
			return CF_ERR_UNSUPPORTED;                           \
		}                                                            \
	} while (0)

/* The options every request gets, whatever its method. Any refusal by
 * libcurl fails the request: we never send with a weaker setting. */
static cf_err apply_security_options(cf_client *c)
{
	SETOPT(c, CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(c, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(c, CURLOPT_MAXREDIRS, 0L);
	SETOPT(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(c, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file) {
		/* Pinning: this file only. CAPATH must be cleared too, or a
		 * build-time default folder (/etc/ssl/certs) would still be
		 * searched. */
		SETOPT(c, CURLOPT_CAINFO, c->ca_file);
		SETOPT(c, CURLOPT_CAPATH, (char *)NULL);
	}
	/* "" disables every proxy, including http_proxy/https_proxy/
	 * all_proxy from the environment. */
	SETOPT(c, CURLOPT_PROXY, c->proxy ? c->proxy : "");
	SETOPT(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(c, CURLOPT_NOSIGNAL, 1L);
	SETOPT(c, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SETOPT(c, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SETOPT(c, CURLOPT_ERRORBUFFER, c->curl_error);
	SETOPT(c, CURLOPT_USERAGENT, "coffre/" COFFRE_VERSION);
	return CF_OK;
}

/* libcurl calls this once the connection (and its TLS handshake) is up,
 * before sending: with GnuTLS, remember whether the server asked for a
 * client certificate, to explain a server that then hangs up (TLS 1.3:
 * a server that refuses the certificate closes after the handshake). */
static int on_connected(void *clientp, char *ip, char *local_ip, int port,
                        int local_port)
{
	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	cf_client *c = clientp;
	struct curl_tlssessioninfo *tls = NULL;
	if (curl_easy_getinfo(c->curl, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK &&
	    tls && tls->backend == CURLSSLBACKEND_GNUTLS && tls->internals)
		c->cert_requested = gnutls_certificate_client_get_request_status(
			(gnutls_session_t)tls->internals) != 0;
	return CURL_PREREQFUNC_OK;
}

/* The client certificate of this request: the options' pair, else the
 * profile's (device-tls.pem/.key) when the profile exists and holds both.
 * A profile that does not exist or cannot be opened has none (as before
 * device certificates); a pair that is there but unusable (mode, a
 * certificate without its key) fails the request rather than silently
 * going without. libcurl reads the files by path: its GnuTLS backend
 * accepts but ignores CURLOPT_SSLCERT_BLOB/SSLKEY_BLOB (curl 7.88). */
static cf_err apply_client_cert(cf_client *c)
{
	c->cert_shown[0] = '\0';
	c->cert_requested = false;
	SETOPT(c, CURLOPT_PREREQFUNCTION, on_connected);
	SETOPT(c, CURLOPT_PREREQDATA, (void *)c);
	CF_AUTO_FREE char *cert = NULL;
	CF_AUTO_FREE char *key = NULL;
	if (c->cert_file) {
		if (!(cert = strdup(c->cert_file)) ||
		    !(key = strdup(c->key_file))) {
			set_error(c, "out of memory");
			return CF_ERR_NOMEM;
		}
	} else {
		cf_errmsg msg = { .text = "" };
		if (!c->profile &&
		    cf_profile_open(&c->profile, c->profile_dir, 0, &msg) != CF_OK)
			return CF_OK;
		cf_err err = cf_devcert_files(c->profile, &cert, &key, &msg);
		if (err == CF_ERR_NOT_FOUND)
			return CF_OK;
		if (err) {
			set_error(c, "cannot use the device certificate: %s",
			          msg.text);
			return err;
		}
	}
	SETOPT(c, CURLOPT_SSLCERT, cert);
	SETOPT(c, CURLOPT_SSLCERTTYPE, "PEM");
	SETOPT(c, CURLOPT_SSLKEY, key);
	SETOPT(c, CURLOPT_SSLKEYTYPE, "PEM");
	cf_text_sanitize(c->cert_shown, sizeof c->cert_shown, cert,
	                 strlen(cert));
	return CF_OK;
}

static cf_err check_request(cf_client *c, const struct cf_http_request *req)
{
	static const char *const methods[] = {
		"GET", "POST", "PUT", "PATCH", "DELETE",
	};
	bool known = false;
	for (size_t i = 0; req->method && i < sizeof methods / sizeof *methods;
	     i++)
		known = known || strcmp(req->method, methods[i]) == 0;
	if (!known) {
		set_error(c, "unsupported HTTP method");
		return CF_ERR_INVALID;
	}
	if (!req->path || req->path[0] != '/' ||
	    !header_safe(req->path, false) ||
	    strnlen(req->path, PATH_MAX_LEN + 1) > PATH_MAX_LEN ||
	    strchr(req->path, '#')) {
		set_error(c, "request path must start with '/' and hold only "
		          "printable ASCII, at most %d characters", PATH_MAX_LEN);
		return CF_ERR_INVALID;
	}
	if (req->json && req->body) {
		set_error(c, "a request has either a JSON or a raw body");
		return CF_ERR_INVALID;
	}
	if (!req->json && (req->body || req->body_len) &&
	    (!req->content_type || !header_safe(req->content_type, true))) {
		set_error(c, "a raw request body needs a valid content type");
		return CF_ERR_INVALID;
	}
	if (!req->body && req->body_len) {
		set_error(c, "request body length without a body");
		return CF_ERR_INVALID;
	}
	if (req->bearer && !header_safe(req->bearer, false)) {
		/* Never echo the token, not even in part. */
		set_error(c, "session token is empty or malformed");
		return CF_ERR_INVALID;
	}
	if (req->accept && !header_safe(req->accept, true)) {
		set_error(c, "Accept header value is malformed");
		return CF_ERR_INVALID;
	}
	return CF_OK;
}

/* Why the certificate was refused, in words, from the verification status
 * libcurl keeps. The bits are GnuTLS's, so this is only done when libcurl
 * runs on GnuTLS (Debian's libcurl3-gnutls); else the caller keeps
 * libcurl's own text. Returns false when there is nothing to say. */
static bool cert_status_text(CURL *curl, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *text;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "issued by an unknown CA" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "issuer is not a CA" },
		{ GNUTLS_CERT_EXPIRED, "expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
		{ GNUTLS_CERT_REVOKED, "revoked" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "signed with an insecure "
		  "algorithm" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "issuer constraints "
		  "violated" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER, "issued for another name" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, "not for TLS servers" },
		{ GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown critical "
		  "extension" },
	};
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
	long status = 0;
	if (!info || !info->ssl_version ||
	    strncmp(info->ssl_version, "GnuTLS", 6) != 0 ||
	    curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &status) !=
	    CURLE_OK || status <= 0)
		return false;
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
		if (!((unsigned long)status & reasons[i].bit))
			continue;
		int n = snprintf(out + o, size - o, "%s%s", o ? ", " : "",
		                 reasons[i].text);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	return o > 0;
}

/* Turns a libcurl failure into a code and one line. */
static cf_err transfer_error(cf_client *c, CURLcode rc,
                             const struct cf_sink *sink, size_t cap)
{
	char detail[CURL_ERROR_SIZE + 8];
	char ebuf[128];
	char trust[SHOWN_MAX + 16];
	char why[256];
	const char *hp = c->url.hostport;

	cf_text_sanitize(detail, sizeof detail, c->curl_error,
	                 strnlen(c->curl_error, sizeof c->curl_error));
	if (detail[0] == '\0')
		cf_msg_format(detail, sizeof detail, "%s",
		              curl_easy_strerror(rc));
	if (c->ca_file)
		cf_msg_format(trust, sizeof trust, "pinned CA %s", c->ca_shown);
	else
		cf_msg_format(trust, sizeof trust, "system CA store");

	/* A server that asked for a client certificate, then hung up before
	 * any answer: coffred with tls.client_cert = required refusing the
	 * certificate (or its absence) after a TLS 1.3 handshake. */
	long header_bytes = 0;
	if ((rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	     rc == CURLE_SEND_ERROR) && c->cert_requested &&
	    curl_easy_getinfo(c->curl, CURLINFO_HEADER_SIZE, &header_bytes) ==
	    CURLE_OK && header_bytes == 0) {
		if (c->cert_shown[0])
			set_error(c, "%s asked for a TLS client certificate, then "
			          "closed the connection without answering: it "
			          "refused the certificate %s (expired, or not "
			          "issued by its device CA?)", hp, c->cert_shown);
		else
			set_error(c, "%s asked for a TLS client certificate, then "
			          "closed the connection without answering: it "
			          "requires one (tls.client_cert = required) and "
			          "this profile has no device certificate", hp);
		return CF_ERR_TLS;
	}
	if (rc == CURLE_SSL_CERTPROBLEM && c->cert_shown[0]) {
		set_error(c, "cannot use the client certificate %s or its key: "
		          "%s", c->cert_shown, detail);
		return CF_ERR_CONFIG;
	}

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		set_error(c, "cannot resolve the server name in %s: %s",
		          c->url.base, detail);
		return CF_ERR_NETWORK;
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_error(c, "cannot resolve the proxy name: %s", detail);
		return CF_ERR_NETWORK;
	case CURLE_COULDNT_CONNECT: {
		long os_errno = 0;
		if (curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno) !=
		    CURLE_OK)
			os_errno = 0;
		if (os_errno > 0 && os_errno < INT32_MAX)
			set_error(c, "cannot connect to %s%s: %s", hp,
			          c->proxy ? " through the proxy" : "",
			          cf_errno_text((int)os_errno, ebuf, sizeof ebuf));
		else
			set_error(c, "cannot connect to %s%s: %s", hp,
			          c->proxy ? " through the proxy" : "", detail);
		return CF_ERR_NETWORK;
	}
	case CURLE_OPERATION_TIMEDOUT: {
		/* libcurl counts the TLS handshake as "connecting", so ask
		 * whether TCP got through: the local port is only known then. */
		long local_port = 0;
		if (curl_easy_getinfo(c->curl, CURLINFO_LOCAL_PORT,
		                      &local_port) != CURLE_OK)
			local_port = 0;
		if (local_port <= 0)
			set_error(c, "cannot connect to %s: no answer within %ld "
			          "ms", hp, c->connect_timeout_ms);
		else
			set_error(c, "no answer from %s within %ld ms", hp,
			          c->timeout_ms);
		return CF_ERR_NETWORK;
	}
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(c->curl_error, "does not match") ||
		    strstr(c->curl_error, "no alternative certificate subject"))
			set_error(c, "server certificate is not valid for %s "
			          "(%s): %s", hp, trust, detail);
		else if (cert_status_text(c->curl, why, sizeof why))
			set_error(c, "server certificate not trusted (%s): %s",
			          trust, why);
		else
			set_error(c, "server certificate not trusted (%s): %s",
			          trust, detail);
		return CF_ERR_TLS;
	case CURLE_SSL_CACERT_BADFILE:
		set_error(c, "cannot use the CA certificates (%s): %s", trust,
		          detail);
		return CF_ERR_TLS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		set_error(c, "TLS handshake with %s failed (is it an HTTPS "
		          "server with TLS 1.2 or later?): %s", hp, detail);
		return CF_ERR_TLS;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (sink->nomem) {
			set_error(c, "out of memory while receiving the answer");
			return CF_ERR_NOMEM;
		}
		if (sink->over || rc == CURLE_FILESIZE_EXCEEDED) {
			char limit[32];
			cf_size_format(limit, sizeof limit, cap);
			set_error(c, "server answer is larger than the %s limit; "
			          "refused", limit);
			return CF_ERR_TOO_LARGE;
		}
		set_error(c, "cannot receive the answer from %s: %s", hp,
		          detail);
		return CF_ERR_IO;
	case CURLE_GOT_NOTHING:
		set_error(c, "%s closed the connection without answering", hp);
		return CF_ERR_NETWORK;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_error(c, "connection to %s lost: %s", hp, detail);
		return CF_ERR_NETWORK;
	case CURLE_OUT_OF_MEMORY:
		set_error(c, "out of memory");
		return CF_ERR_NOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		set_error(c, "request URL refused: %s", detail);
		return CF_ERR_INVALID;
	default:
		set_error(c, "request to %s failed: %s", hp, detail);
		return CF_ERR_PROTOCOL;
	}
}

static cf_err set_method(cf_client *c, const char *method, const char *body,
                         size_t body_len, bool has_body)
{
	if (strcmp(method, "GET") == 0) {
		SETOPT(c, CURLOPT_HTTPGET, 1L);
		return CF_OK;
	}
	if (strcmp(method, "POST") == 0)
		SETOPT(c, CURLOPT_POST, 1L);
	else
		SETOPT(c, CURLOPT_CUSTOMREQUEST, method);
	if (has_body || strcmp(method, "POST") == 0) {
		SETOPT(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		SETOPT(c, CURLOPT_POSTFIELDS, body ? body : "");
	}
	return CF_OK;
}

cf_err cf_client_request(cf_client *client, const struct cf_http_request *req,
                         struct cf_http_response **ret_response)
{
	cf_client *c = client;
	c->last_error[0] = '\0';
	c->location[0] = '\0';
	c->curl_error[0] = '\0';
	if (!req || !ret_response) {
		set_error(c, "no request given");
		return CF_ERR_INVALID;
	}
	cf_err err = check_request(c, req);
	if (err)
		return err;

	size_t url_len = strlen(c->url.base) + strlen(req->path) + 1;
	CF_AUTO_FREE char *url = malloc(url_len);
	if (!url) {
		set_error(c, "out of memory");
		return CF_ERR_NOMEM;
	}
	cf_msg_format(url, url_len, "%s%s", c->url.base, req->path);

	CF_AUTO_SECRET_STR *json_text = NULL;
	const char *body = req->body;
	size_t body_len = req->body_len;
	const char *content_type = req->content_type;
	if (req->json) {
		json_text = json_dumps(req->json, JSON_COMPACT |
		                       JSON_ENCODE_ANY);
		if (!json_text) {
			set_error(c, "cannot encode the request as JSON");
			return CF_ERR_INVALID;
		}
		body = json_text;
		body_len = strlen(json_text);
		content_type = "application/json";
	}

	CF_CLEANUP(slist_wipe_free) struct curl_slist *headers =
		NULL;
	if (!add_header(&headers, "Accept",
	                req->accept ? req->accept : "application/json") ||
	    (body && !add_header(&headers, "Content-Type", content_type)) ||
	    /* No "Expect: 100-continue" round trip on large bodies. */
	    !(headers = curl_slist_append(headers, "Expect:"))) {
		set_error(c, "out of memory");
		return CF_ERR_NOMEM;
	}
	if (req->bearer) {
		size_t len = strlen("Bearer ") + strlen(req->bearer) + 1;
		char *value = malloc(len);
		if (!value) {
			set_error(c, "out of memory");
			return CF_ERR_NOMEM;
		}
		cf_msg_format(value, len, "Bearer %s", req->bearer);
		bool ok = add_header(&headers, "Authorization", value);
		sodium_memzero(value, len);
		free(value);
		if (!ok) {
			set_error(c, "out of memory");
			return CF_ERR_NOMEM;
		}
	}

	size_t cap = req->max_body ? req->max_body : c->max_body;
	struct cf_sink sink;
	cf_sink_init(&sink, cap);

	curl_easy_reset(c->curl);
	err = apply_security_options(c);
	if (!err)
		err = apply_client_cert(c);
	if (err)
		return err;
	SETOPT(c, CURLOPT_URL, url);
	SETOPT(c, CURLOPT_HTTPHEADER, headers);
	SETOPT(c, CURLOPT_WRITEFUNCTION, cf_sink_curl_write);
	SETOPT(c, CURLOPT_WRITEDATA, (void *)&sink);
	/* Refuses early an answer whose Content-Length is over the cap; the
	 * sink enforces the cap whatever the server announces. */
	if (cap < (size_t)INT64_MAX)
		SETOPT(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
	err = set_method(c, req->method, body, body_len, body != NULL);
	if (err)
		return err;

	CURLcode rc = curl_easy_perform(c->curl);
	/* The handle keeps pointers to the headers and body: drop them now
	 * that they are about to be wiped and freed. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, (void *)NULL);
	if (rc != CURLE_OK) {
		err = transfer_error(c, rc, &sink, cap);
		cf_sink_clear(&sink);
		return err;
	}

	long status = 0;
	char *ct = NULL;
	if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 100 || status > 599) {
		cf_sink_clear(&sink);
		set_error(c, "%s sent an invalid HTTP status", c->url.hostport);
		return CF_ERR_PROTOCOL;
	}
	if (curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK)
		ct = NULL;
	if (status >= 300 && status < 400) {
		char *loc = NULL;
		if (curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc) ==
		    CURLE_OK && loc)
			cf_text_sanitize(c->location, sizeof c->location, loc,
			                 strlen(loc));
	}

	struct cf_http_response *resp = calloc(1, sizeof *resp);
	if (resp)
		resp->content_type = strdup(ct ? ct : "");
	if (resp && !sink.data)
		cf_sink_append(&sink, "", 0);   /* an empty, NUL-ended body */
	if (!resp || !resp->content_type || !sink.data) {
		cf_http_response_free(resp);
		cf_sink_clear(&sink);
		set_error(c, "out of memory");
		return CF_ERR_NOMEM;
	}
	resp->status = status;
	resp->body = cf_sink_take(&sink, &resp->body_len);
	*ret_response = resp;
	return CF_OK;
}

void cf_http_response_free(struct cf_http_response *response)
{
	if (!response)
		return;
	if (response->body) {
		sodium_memzero(response->body, response->body_len + 1);
		free(response->body);
	}
	free(response->content_type);
	free(response);
}

/* ------------------------------------------------------------------------ */
/* JSON calls                                                                */

cf_err cf_client_answer_json(cf_client *client, const struct cf_http_response *r,
                             json_t **ret_json, long *ret_status)
{
	cf_client *c = client;
	char ct[64];
	cf_text_sanitize(ct, sizeof ct, r->content_type,
	                 strlen(r->content_type));
	ct[strcspn(ct, "; ")] = '\0';

	if (r->status >= 300 && r->status < 400) {
		const char *reason = cf_http_reason(r->status);
		set_error(c, "server answered %ld%s%s%s%s; redirects are not "
		          "followed: check the server URL", r->status,
		          reason[0] ? " " : "", reason,
		          c->location[0] ? " to " : "", c->location);
		return CF_ERR_PROTOCOL;
	}
	if (r->status < 200 || r->status >= 300) {
		cf_problem_message(c->last_error, sizeof c->last_error,
		                   r->status, r->content_type, r->body,
		                   r->body_len);
		return cf_http_status_error(r->status);
	}

	json_t *doc;
	if (r->body_len == 0) {
		doc = json_null();
	} else if (!cf_media_type_is_json(r->content_type)) {
		set_error(c, "server answered %ld with %s, not JSON: is %s a "
		          "coffred server?", r->status,
		          ct[0] ? ct : "no content type", c->url.base);
		return CF_ERR_PROTOCOL;
	} else {
		json_error_t jerr;
		doc = json_loadb((const char *)r->body, r->body_len,
		                 JSON_REJECT_DUPLICATES, &jerr);
		if (!doc) {
			char why[sizeof jerr.text];
			cf_text_sanitize(why, sizeof why, jerr.text,
			                 strnlen(jerr.text, sizeof jerr.text));
			set_error(c, "server answered %ld with invalid JSON: %s "
			          "(line %d, column %d)", r->status, why,
			          jerr.line, jerr.column);
			return CF_ERR_PROTOCOL;
		}
	}
	if (ret_status)
		*ret_status = r->status;
	*ret_json = doc;
	return CF_OK;
}

cf_err cf_client_call_json(cf_client *client, const struct cf_http_request *req,
                           json_t **ret_json, long *ret_status)
{
	CF_AUTO_RESPONSE *r = NULL;
	cf_err err = cf_client_request(client, req, &r);
	if (err)
		return err;
	return cf_client_answer_json(client, r, ret_json, ret_status);
}

cf_err cf_client_status(cf_client *client, json_t **ret_health)
{
	const struct cf_http_request req = {
		.method = "GET",
		.path = "/healthz",
		.accept = "application/json, application/problem+json",
		.max_body = HEALTH_BODY_MAX,
	};
	json_t *doc = NULL;
	cf_err err = cf_client_call_json(client, &req, &doc, NULL);
	if (err)
		return err;
	json_t *status = json_object_get(doc, "status");
	if (!json_is_object(doc) || !json_is_string(status)) {
		json_decref(doc);
		set_error(client, "server answered /healthz without a \"status\" "
		          "field: is %s a coffred server?", client->url.base);
		return CF_ERR_PROTOCOL;
	}
	if (strcmp(json_string_value(status), "ok") != 0) {
		char shown[64];
		cf_text_sanitize(shown, sizeof shown, json_string_value(status),
		                 json_string_length(status));
		json_decref(doc);
		set_error(client, "server reports status '%s'", shown);
		return CF_ERR_BUSY;
	}
	*ret_health = doc;
	return CF_OK;
}
