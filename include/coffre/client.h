/* libcoffre: the client library of coffre.
 *
 * This header is the HTTP layer and the profile folder; client-side crypto,
 * chain and proof verification come later and build on it.
 *
 * Conventions (see docs/internals/client.md):
 * - every function returns a cf_err (CF_OK is 0); outputs go through ret_*
 *   parameters and are left untouched when the function fails;
 * - `_new`/`_open` return an object the caller releases with the matching
 *   `_free`, and every `_free` accepts NULL;
 * - the library never prints nor logs: a failure leaves a precise one-line
 *   English message in the object (cf_client_last_error,
 *   cf_profile_last_error) or in a caller-supplied cf_errmsg; messages never
 *   contain secrets (bearer tokens, request bodies) and server-supplied text
 *   in them is stripped of control characters;
 * - a cf_client or cf_profile is not thread-safe: use one per thread.
 *   Creating clients from several threads at once is safe.
 */
#ifndef COFFRE_CLIENT_H
#define COFFRE_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "coffre/error.h"

/* ------------------------------------------------------------------------ */
/* Error messages                                                            */

#define CF_ERRMSG_MAX 512

/* A one-line reason, filled by functions that can fail before there is an
 * object to hold it (cf_client_new, cf_profile_open). Always NUL-terminated;
 * empty when nothing was written. */
typedef struct cf_errmsg {
	char text[CF_ERRMSG_MAX];
} cf_errmsg;

/* The libcoffre version, e.g. "0.1.0". */
const char *cf_client_version(void);

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

typedef struct cf_client cf_client;

#define CF_CLIENT_DEFAULT_TIMEOUT_MS  30000L
#define CF_CLIENT_DEFAULT_MAX_BODY    ((size_t)16 * 1024 * 1024)
#define CF_CLIENT_MAX_URL             2048

struct cf_client_options {
	/* Required. "https://host[:port][/prefix]"; any other scheme, user
	 * credentials, a query or a fragment are refused. A trailing '/' is
	 * dropped. */
	const char *server_url;
	/* Optional PEM file of CA certificates to pin: when set, ONLY these CAs
	 * are trusted; when NULL, the system store is used. */
	const char *ca_file;
	/* Optional whole-request timeout; 0 means CF_CLIENT_DEFAULT_TIMEOUT_MS.
	 * Connecting is bounded by the smaller of this and 10 s. */
	long timeout_ms;
	/* Optional cap on answer bodies; 0 means CF_CLIENT_DEFAULT_MAX_BODY. An
	 * answer over the cap is refused (CF_ERR_TOO_LARGE), never truncated. */
	size_t max_body;
	/* Optional proxy URL. NULL means no proxy at all: the http_proxy and
	 * https_proxy environment variables are ignored, so health data never
	 * goes through a proxy nobody asked for. */
	const char *proxy;
	/* Optional profile folder; NULL means cf_profile_default_dir(). It is
	 * opened only when cf_client_profile() is first called. */
	const char *profile_dir;
	/* Optional: where cf_client_new writes its reason when it fails. */
	cf_errmsg *error;
	/* Optional TLS client certificate (PEM) and its private key (PEM,
	 * unencrypted; the file must not be accessible to group or others):
	 * both or neither. When set, every request presents them; when not,
	 * every request presents the profile's device certificate if the
	 * profile holds one (see "Device certificate" below). libcurl reads
	 * them by path (its GnuTLS backend ignores CURLOPT_SSLCERT_BLOB). */
	const char *cert_file;
	const char *key_file;
};

/* Creates a client for one server. Checks the URL, the CA file (must be a
 * readable file holding at least one PEM certificate) and the options; does
 * not contact the server.
 * Errors: CF_ERR_INVALID (bad URL or option), CF_ERR_CONFIG (CA file
 * unreadable or not PEM), CF_ERR_NOMEM, CF_ERR_UNSUPPORTED (libcurl could
 * not be initialised or has no TLS). */
cf_err cf_client_new(cf_client **ret, const struct cf_client_options *opts);

/* Releases the client and wipes the memory it held. Accepts NULL. */
void cf_client_free(cf_client *client);

/* The message of the last failure on this client ("" if none). The pointer
 * stays valid until the next call on the client. */
const char *cf_client_last_error(const cf_client *client);

/* The server base URL as validated, without a trailing '/'. */
const char *cf_client_server_url(const cf_client *client);

/* One HTTP request. method: "GET", "POST", "PUT", "PATCH" or "DELETE".
 * path: starts with '/', appended to the base URL (may carry a query).
 * At most one of json and body is set: json is sent compact as
 * application/json; body/body_len is sent as content_type (required then).
 * bearer: optional session token or API key, sent as
 * "Authorization: Bearer …" and wiped from the library's memory afterwards.
 * accept: optional Accept header (default "application/json").
 * max_body: optional cap for this answer; 0 means the client's cap. */
struct cf_http_request {
	const char *method;
	const char *path;
	const json_t *json;
	const void *body;
	size_t body_len;
	const char *content_type;
	const char *bearer;
	const char *accept;
	size_t max_body;
};

/* An answer, whatever its status. body is NUL-terminated (the NUL is not
 * counted in body_len) so text answers can be read as strings. content_type
 * is "" when the server sent none. */
struct cf_http_response {
	long status;
	char *content_type;
	unsigned char *body;
	size_t body_len;
};

/* Sends one request and collects the whole answer, up to the cap.
 * Succeeds for any HTTP status (including 3xx, which is never followed and
 * 4xx/5xx); fails only when no complete answer was received.
 * Errors: CF_ERR_INVALID (bad request fields), CF_ERR_TLS (handshake or
 * certificate), CF_ERR_NETWORK (resolve, connect, timeout, connection
 * lost), CF_ERR_TOO_LARGE (answer over the cap), CF_ERR_PROTOCOL,
 * CF_ERR_NOMEM. The response is freed with cf_http_response_free. */
cf_err cf_client_request(cf_client *client, const struct cf_http_request *req,
                         struct cf_http_response **ret_response);

/* Wipes and frees a response. Accepts NULL. */
void cf_http_response_free(struct cf_http_response *response);

/* Sends one request and expects a 2xx answer with a JSON body (an empty
 * body, e.g. for 204, gives a JSON null). Any other status is an error
 * whose message carries the server's RFC 9457 problem title/detail, e.g.
 * "server answered 503: service unavailable: store is down".
 * ret_status (optional) receives the status on success.
 * Errors: those of cf_client_request, plus by status 400/422 CF_ERR_INVALID,
 * 401/403 CF_ERR_DENIED, 404/410 CF_ERR_NOT_FOUND, 409/412 CF_ERR_CONFLICT,
 * 413/431 CF_ERR_TOO_LARGE, 429/503 CF_ERR_BUSY, others CF_ERR_PROTOCOL;
 * CF_ERR_PROTOCOL as well for a 2xx that is not JSON. */
cf_err cf_client_call_json(cf_client *client, const struct cf_http_request *req,
                           json_t **ret_json, long *ret_status);

/* GET /healthz. On success *ret_health is the server's object, at least
 * {"status":"ok"} and normally "version" (a new reference; json_decref it).
 * A server that answers 200 with "status" other than "ok" fails with
 * CF_ERR_BUSY. Errors: those of cf_client_call_json. */
cf_err cf_client_status(cf_client *client, json_t **ret_health);

/* ------------------------------------------------------------------------ */
/* Profile folder                                                            */

/* The folder that holds this device's keys, its session and the last
 * verified audit checkpoint: mode 0700, owned by the user, small files of
 * mode 0600 each written atomically. */
typedef struct cf_profile cf_profile;

#define CF_PROFILE_CREATE      0x1u   /* create the folder (0700) if missing */
#define CF_PROFILE_NAME_MAX    64     /* file names: [A-Za-z0-9._-], no '.' first */
#define CF_PROFILE_FILE_MAX    ((size_t)1024 * 1024)

/* The default folder: $COFFRE_PROFILE when set and not empty, else
 * $HOME/.config/coffre (HOME from the password database when unset).
 * *ret_path is malloc'ed; free() it.
 * Errors: CF_ERR_CONFIG (no home folder), CF_ERR_NOMEM. */
cf_err cf_profile_default_dir(char **ret_path);

/* Opens a profile folder (dir NULL: the default one). With
 * CF_PROFILE_CREATE a missing folder is created with mode 0700 (missing
 * parents too, also 0700). A folder that is not owned by the user or that
 * the group or others can access in any way is refused, never repaired.
 * Errors: CF_ERR_NOT_FOUND (missing, no CREATE), CF_ERR_DENIED (owner or
 * mode), CF_ERR_IO, CF_ERR_CONFIG, CF_ERR_NOMEM. */
cf_err cf_profile_open(cf_profile **ret, const char *dir, unsigned flags,
                       cf_errmsg *error);

/* Closes the profile. Accepts NULL. */
void cf_profile_free(cf_profile *profile);

/* The folder path, as opened. */
const char *cf_profile_dir(const cf_profile *profile);

/* The message of the last failure on this profile ("" if none). */
const char *cf_profile_last_error(const cf_profile *profile);

/* Reads the whole file `name` (at most max bytes; 0 means
 * CF_PROFILE_FILE_MAX). The file must be a regular file owned by the user
 * and not accessible to group or others. *ret_data is in locked memory,
 * NUL-terminated (not counted in *ret_len); release it with
 * cf_profile_data_free, which wipes it.
 * Errors: CF_ERR_NOT_FOUND, CF_ERR_DENIED, CF_ERR_TOO_LARGE, CF_ERR_INVALID
 * (bad name), CF_ERR_IO, CF_ERR_NOMEM. */
cf_err cf_profile_read(cf_profile *profile, const char *name, size_t max,
                       unsigned char **ret_data, size_t *ret_len);

/* Wipes and frees data returned by cf_profile_read. Accepts NULL. */
void cf_profile_data_free(unsigned char *data);

/* Replaces the file `name` atomically with len bytes of data, mode 0600:
 * a temporary file is written, fsync'ed and renamed over the old one, and
 * the folder is fsync'ed. Readers see either the old or the new content.
 * Errors: CF_ERR_INVALID (bad name), CF_ERR_TOO_LARGE, CF_ERR_IO. */
cf_err cf_profile_write(cf_profile *profile, const char *name,
                        const void *data, size_t len);

/* Removes the file `name`; a missing file is not an error.
 * Errors: CF_ERR_INVALID (bad name), CF_ERR_IO. */
cf_err cf_profile_remove(cf_profile *profile, const char *name);

/* The client's profile, opened (and created, 0700) on first use with the
 * folder given in the options. The profile belongs to the client: do not
 * free it. Errors: those of cf_profile_open; the message is the client's
 * last error. */
cf_err cf_client_profile(cf_client *client, cf_profile **ret_borrowed);

/* ------------------------------------------------------------------------ */
/* Device certificate (mTLS; src/client/devcert.c, docs/internals/            */
/* client-identity.md "Device certificate")                                  */

/* Profile files (mode 0600, written atomically). The device's TLS key is
 * ECDSA P-256, made here with GnuTLS, never sent; coffred's device CA
 * issues the certificate from a CSR. While a renewal is under way the new
 * key waits in CF_DEVCERT_NEXT_KEY_FILE; the issued certificate is first
 * written to CF_DEVCERT_NEXT_CERT_FILE, then both replace the pair, so a
 * crash leaves either the old pair or something the next request
 * completes. */
#define CF_DEVCERT_KEY_FILE        "device-tls.key"        /* PKCS#8 PEM */
#define CF_DEVCERT_CERT_FILE       "device-tls.pem"
#define CF_DEVCERT_NEXT_KEY_FILE   "device-tls-next.key"
#define CF_DEVCERT_NEXT_CERT_FILE  "device-tls-next.pem"
#define CF_DEVCERT_PEM_MAX         ((size_t)16 * 1024)

struct cf_devcert_info {
	char cert_sha256[65];      /* lowercase hex of the certificate's DER */
	long long not_after;       /* expiry, Unix seconds */
};

/* Makes a new device TLS key, writes it to CF_DEVCERT_NEXT_KEY_FILE and
 * returns a PEM PKCS#10 request signed with it (CN "coffre device"; the
 * server ignores the subject). *ret_csr is malloc'ed: free() it. The
 * current pair, if any, is left alone.
 * Errors: CF_ERR_CRYPTO (GnuTLS), CF_ERR_NOMEM, profile errors. */
cf_err cf_devcert_csr(cf_profile *profile, char **ret_csr, cf_errmsg *error);

/* Stores the certificate issued for the pending key: it must parse, hold
 * the pending key's public key, be a client certificate valid now, be
 * signed by ca_pem (when not NULL) and have the SHA-256 cert_sha256 (when
 * not NULL, as the server announced it). Then it and the pending key
 * replace the profile's pair. ret (optional) describes it.
 * Errors: CF_ERR_NOT_FOUND (no pending key), CF_ERR_CRYPTO (any check
 * above; nothing changed), profile errors. */
cf_err cf_devcert_store(cf_profile *profile, const char *cert_pem,
                        const char *ca_pem, const char *cert_sha256,
                        struct cf_devcert_info *ret, cf_errmsg *error);

/* The paths of the profile's pair (malloc'ed; free() them), after
 * completing an interrupted store. Both files must be regular files of the
 * user, mode 0600 (cf_profile_read's rules); their bytes are read and
 * wiped, not parsed. Errors: CF_ERR_NOT_FOUND (no certificate: nothing
 * to present), CF_ERR_CONFIG (a certificate without its key),
 * CF_ERR_DENIED and other profile errors. */
cf_err cf_devcert_files(cf_profile *profile, char **ret_cert_path,
                        char **ret_key_path, cf_errmsg *error);

/* The profile's certificate, described. Errors: CF_ERR_NOT_FOUND,
 * CF_ERR_CRYPTO (damaged), profile errors. */
cf_err cf_devcert_info(cf_profile *profile, struct cf_devcert_info *ret,
                       cf_errmsg *error);

/* ======================================================================== */
/* Audit: pinned log key, remembered checkpoint, proofs (DESIGN §4, §6, §8)  */
/* (src/client/audit.c; rules in docs/internals/client-audit.md)             */
/* ======================================================================== */

#include <stdbool.h>
#include <stdint.h>

/* Profile files: the pinned C2SP note verifier key ("name+hash+base64" and
 * a newline) and the exact text of the newest checkpoint note verified with
 * it. */
#define CF_AUDIT_KEY_FILE          "audit-key"
#define CF_AUDIT_CHECKPOINT_FILE   "audit-checkpoint"
#define CF_AUDIT_KEY_MAX           512      /* verifier key text, bytes */
#define CF_AUDIT_ORIGIN_MAX        128      /* log origin = key name */
#define CF_AUDIT_HASH_BYTES        32
#define CF_AUDIT_PROOF_MAX         65       /* hashes in any proof */
#define CF_AUDIT_PAGE_MAX          1000     /* events per request */
#define CF_AUDIT_VERIFY_MAX        100000   /* events per verification run */
#define CF_AUDIT_EVENT_BYTES_MAX   16384    /* one stored event */

/* Why the log was refused. Every refusal returns CF_ERR_CRYPTO: the server
 * showed something its signed log cannot back, and nothing was followed
 * (the remembered checkpoint is left as it was). */
enum cf_audit_failure {
	CF_AUDIT_FAIL_NONE = 0,
	CF_AUDIT_FAIL_SIGNATURE,  /* checkpoint malformed, not signed by the
	                             key, or origin is not the key name */
	CF_AUDIT_FAIL_ROLLBACK,   /* smaller than the remembered checkpoint */
	CF_AUDIT_FAIL_FORK,       /* same size with another root, or a newer
	                             checkpoint without a valid consistency
	                             proof from the remembered one */
	CF_AUDIT_FAIL_MALFORMED,  /* a proof or events answer that is not
	                             well-formed (types, base64url, lengths,
	                             indexes other than asked) */
	CF_AUDIT_FAIL_EVENT,      /* an event's bytes or inclusion proof do not
	                             verify (index says which) */
};

/* The failure of an audit function: a one-line reason (no secrets; server
 * text sanitised) and, for log refusals, what kind and where. Cleared by
 * every call that takes it. */
struct cf_audit_error {
	enum cf_audit_failure failure;
	uint64_t index;                /* CF_AUDIT_FAIL_EVENT/MALFORMED: event */
	char text[CF_ERRMSG_MAX];
};

/* A checkpoint whose signature was verified. */
struct cf_audit_checkpoint {
	char origin[CF_AUDIT_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[CF_AUDIT_HASH_BYTES];
};

/* --- pinning the log key (no network) ----------------------------------- */

/* Checks a verifier key text: "name+8 hex+base64(0x01 || Ed25519 key)" as
 * printed by `coffred audit-key`, whose hash matches name and key. No
 * blanks around it. Errors: CF_ERR_INVALID (with the reason). */
cf_err cf_audit_key_check(const char *key, struct cf_audit_error *error);

enum cf_audit_pin {
	CF_AUDIT_PIN_NEW = 1,      /* no key was pinned; this one is now */
	CF_AUDIT_PIN_SAME,         /* this very key was already pinned */
	CF_AUDIT_PIN_REPLACED,     /* another key was pinned; replaced */
};

/* Pins key in the profile (file CF_AUDIT_KEY_FILE, written atomically).
 * Another pinned key is replaced only with `replace`. A remembered
 * checkpoint that does not verify with the newly pinned key is removed
 * (*ret_dropped true): it belongs to another log or key, and the next
 * refresh starts over with trust on first use.
 * Errors: CF_ERR_INVALID (malformed key), CF_ERR_CONFLICT (another key is
 * pinned and !replace), those of cf_profile_read/write/remove. */
cf_err cf_audit_trust(cf_profile *profile, const char *key, bool replace,
                      enum cf_audit_pin *ret_pin, bool *ret_dropped,
                      struct cf_audit_error *error);

/* The pinned key, canonical, into ret_key (cap >= CF_AUDIT_KEY_MAX + 1).
 * Errors: CF_ERR_NOT_FOUND (none pinned), CF_ERR_INVALID (the file is
 * damaged), profile errors. */
cf_err cf_audit_pinned_key(cf_profile *profile, char *ret_key, size_t cap,
                           struct cf_audit_error *error);

/* --- the newest verified checkpoint (network) --------------------------- */

enum cf_audit_outcome {
	CF_AUDIT_FIRST_USE = 1,    /* nothing remembered: trusted on first use,
	                              and remembered */
	CF_AUDIT_UNCHANGED,        /* same size and root as remembered */
	CF_AUDIT_CONSISTENT,       /* newer, proven (RFC 9162) to extend the
	                              remembered one, which it replaced */
	CF_AUDIT_NOT_REMEMBERED,   /* the key given is not the pinned one: the
	                              signature was checked, nothing compared
	                              with nor written to the profile */
};

struct cf_audit_state {
	struct cf_audit_checkpoint checkpoint;  /* the server's, verified */
	enum cf_audit_outcome outcome;
	bool had_previous;
	struct cf_audit_checkpoint previous;    /* remembered before the call */
};

/* Fetches GET /v1/audit/checkpoint, verifies its signature with `key` (NULL:
 * the key pinned in the client's profile) and that its origin is the key
 * name, then compares it with the remembered checkpoint: none → first use;
 * smaller → CF_AUDIT_FAIL_ROLLBACK; same size → roots must match, else
 * CF_AUDIT_FAIL_FORK; larger → GET /v1/audit/proof/consistency from the
 * remembered size, which must verify, else CF_AUDIT_FAIL_FORK. Only a
 * checkpoint accepted this way replaces the remembered one.
 * Errors: CF_ERR_CRYPTO (log refused: error->failure says why),
 * CF_ERR_NOT_FOUND (no key pinned and none given), CF_ERR_INVALID (key
 * malformed), CF_ERR_CONFLICT (the remembered checkpoint does not verify
 * with the pinned key), those of cf_client_request/cf_client_call_json and
 * of the profile. */
cf_err cf_audit_refresh(cf_client *client, const char *key,
                        struct cf_audit_state *ret,
                        struct cf_audit_error *error);

/* --- events against a verified checkpoint (network) --------------------- */

struct cf_audit_range_report {
	uint64_t from, count;      /* as asked */
	uint64_t verified;         /* bytes, seq prefix and inclusion checked */
	uint64_t not_covered;      /* index >= checkpoint size: not checked */
	uint64_t withheld;         /* below the size, not returned by the server
	                              (not visible to this key?) */
	uint64_t first_withheld;   /* valid when withheld > 0 */
};

/* Checks events [from, from + count) against a checkpoint verified by
 * cf_audit_refresh: GET /v1/audit/events by pages of CF_AUDIT_PAGE_MAX,
 * and for each event GET /v1/audit/proof/inclusion?index=i&size=N; each
 * event must start with {"seq":i, and its proof verify against the root.
 * Stops at the first bad event. bearer: an API key (scope audit.read) or
 * session token; it is not kept. 1 <= count <= CF_AUDIT_VERIFY_MAX.
 * Errors: CF_ERR_CRYPTO (CF_AUDIT_FAIL_EVENT or _MALFORMED with the
 * index), CF_ERR_INVALID (bad range), those of cf_client_call_json. */
cf_err cf_audit_verify_events(cf_client *client, const char *bearer,
                              const struct cf_audit_checkpoint *checkpoint,
                              uint64_t from, uint64_t count,
                              struct cf_audit_range_report *ret,
                              struct cf_audit_error *error);

/* --- pure helpers (no I/O): the decisions above, for offline verifiers
 *     and the tests ------------------------------------------------------ */

/* Parses and verifies a signed checkpoint note with key; the origin must
 * be the key name. Errors: CF_ERR_INVALID (key malformed),
 * CF_ERR_CRYPTO/CF_AUDIT_FAIL_SIGNATURE. */
cf_err cf_audit_note_verify(const char *key, const char *note, size_t len,
                            struct cf_audit_checkpoint *ret,
                            struct cf_audit_error *error);

enum cf_audit_decision {
	CF_AUDIT_DECIDE_FIRST_USE = 1,  /* nothing remembered */
	CF_AUDIT_DECIDE_SAME,           /* same size, same root */
	CF_AUDIT_DECIDE_NEED_PROOF,     /* larger: needs a consistency proof */
	CF_AUDIT_DECIDE_ROLLBACK,       /* smaller */
	CF_AUDIT_DECIDE_FORK,           /* same size, another root */
};

/* What to do with `received` given `remembered` (NULL: none). */
enum cf_audit_decision cf_audit_decide(
	const struct cf_audit_checkpoint *remembered,
	const struct cf_audit_checkpoint *received);

/* CF_OK when newer extends older with this proof (RFC 9162 §2.1.4.2);
 * from the empty tree (size 0) only an empty proof and the empty root.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_FORK. */
cf_err cf_audit_check_consistency(const struct cf_audit_checkpoint *older,
                                  const struct cf_audit_checkpoint *newer,
                                  const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                                  size_t len, struct cf_audit_error *error);

/* Parses {"from":M,"to":N,"proof":[b64url…]} (consistency; index_name
 * "from", size_name "to") or {"index":I,"size":N,"proof":[…]} (inclusion;
 * "index", "size"): both numbers must be the ones asked, the proof at most
 * CF_AUDIT_PROOF_MAX strings of exactly 32 bytes in strict base64url
 * without padding. Unknown members are ignored.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_MALFORMED; outputs untouched. */
cf_err cf_audit_parse_proof(const json_t *doc, const char *index_name,
                            uint64_t index, const char *size_name,
                            uint64_t size,
                            uint8_t (*ret_proof)[CF_AUDIT_HASH_BYTES],
                            size_t *ret_len, struct cf_audit_error *error);

/* One event of an events answer: its index and exact stored bytes. */
struct cf_audit_event {
	uint64_t index;
	unsigned char *data;
	size_t len;
};

/* Parses {"events":[{"index":I,"event":"<b64url>"}…]} asked for
 * [from, from + count): at most count items, indexes strictly increasing
 * inside the range (gaps are allowed: events not shown to this key),
 * events of 1 to CF_AUDIT_EVENT_BYTES_MAX bytes in strict base64url.
 * *ret_events (NULL when *ret_count is 0) is freed with
 * cf_audit_events_free. Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_MALFORMED,
 * CF_ERR_NOMEM; outputs untouched. */
cf_err cf_audit_parse_events(const json_t *doc, uint64_t from, uint64_t count,
                             struct cf_audit_event **ret_events,
                             size_t *ret_count, struct cf_audit_error *error);

/* Frees (and wipes) what cf_audit_parse_events returned. Accepts NULL. */
void cf_audit_events_free(struct cf_audit_event *events, size_t count);

/* CF_OK when the event at `index` starts with {"seq":index, and the proof
 * shows its leaf in the checkpoint's tree.
 * Errors: CF_ERR_CRYPTO/CF_AUDIT_FAIL_EVENT (error->index = index). */
cf_err cf_audit_check_event(const struct cf_audit_checkpoint *checkpoint,
                            uint64_t index, const unsigned char *data,
                            size_t len,
                            const uint8_t (*proof)[CF_AUDIT_HASH_BYTES],
                            size_t proof_len, struct cf_audit_error *error);

/* ======================================================================== */
/* end of the audit section                                                 */
/* ======================================================================== */

/* ======================================================================== */
/* Identity: client keys, enrolment, login, sessions, account, admin         */
/* (src/client/keys.c: formats, no I/O; src/client/identity.c: the calls of */
/*  docs/api/identity.md; rules in docs/internals/client-identity.md)       */
/* ======================================================================== */

#include <stdbool.h>
#include <stdint.h>

/* --- coffre-v1 identity formats (bytes that must never drift) ------------ */

#define CF_ID_BYTES_RAW          16   /* ids: 16 bytes ... */
#define CF_ID_HEX_LEN            32   /* ... written as 32 lowercase hex */
#define CF_ID_KEY_BYTES          32   /* auth_key, kek, recovery_auth,
                                         recovery_kek, seeds, public keys */
#define CF_ID_SALT_BYTES         16
#define CF_RECOVERY_CODE_BYTES   20   /* 160 random bits */
#define CF_RECOVERY_CODE_CHARS   32   /* RFC 4648 base32, no padding */
#define CF_RECOVERY_TEXT_LEN     39   /* 8 groups of 4 joined by '-' */
#define CF_BUNDLE_PLAIN_BYTES    64   /* sign_seed (32) ‖ enc_sk (32) */
#define CF_BUNDLE_SEALED_BYTES   92   /* nonce (12) ‖ ciphertext (64) ‖ tag */
#define CF_BUNDLE_AAD_DOMAIN     "coffre-v1 bundle"  /* + its NUL ‖ user id */
#define CF_BUNDLE_AAD_BYTES      (17 + CF_ID_BYTES_RAW)
#define CF_PIN_MIN_DIGITS        4
#define CF_PIN_MAX_DIGITS        12
#define CF_PASSWORD_MIN          8    /* bytes, for new passwords */
#define CF_PASSWORD_MAX          1024 /* bytes */

/* Profile files (mode 0600, written atomically). Never stored: the
 * password, the kek, the recovery code or an unsealed private key. */
#define CF_DEVICE_KEY_FILE  "device.key"  /* "coffre-v1 device\0" ‖ seed */
#define CF_SESSION_FILE     "session"     /* JSON: token, ids, public keys */
#define CF_KEY_BUNDLE_FILE  "key-bundle"  /* JSON: the sealed bundle as the
                                             server returned it */

/* Argon2id parameters and salt from the server (prelogin, enrol/begin,
 * recover/begin, password/salt). */
struct cf_kdf_params {
	uint8_t salt[CF_ID_SALT_BYTES];
	uint32_t t_cost;
	uint32_t m_cost_kib;
};

/* A user's identity: Ed25519 signing and X25519 encryption key pairs.
 * Secret: allocate with cf_identity_keys_new (locked memory), release with
 * cf_identity_keys_free (wiped). */
struct cf_identity_keys {
	uint8_t sign_seed[CF_ID_KEY_BYTES];  /* Ed25519 seed (RFC 8032) */
	uint8_t enc_sk[CF_ID_KEY_BYTES];     /* X25519 secret */
	uint8_t sign_pk[CF_ID_KEY_BYTES];
	uint8_t enc_pk[CF_ID_KEY_BYTES];
};

/* --- pure functions (no I/O; src/client/keys.c) --------------------------- */

/* Zeroed keys in sodium_malloc'ed memory. Errors: CF_ERR_NOMEM. */
cf_err cf_identity_keys_new(struct cf_identity_keys **ret);
/* Wipes and frees. Accepts NULL. */
void cf_identity_keys_free(struct cf_identity_keys *keys);
/* Fresh random key pairs into keys. */
cf_err cf_identity_keys_generate(struct cf_identity_keys *keys);

/* master = Argon2id(password, salt, t, m, p = 1), 32 bytes;
 * auth_key = HKDF-SHA256(master, "", "coffre-v1 auth");
 * kek      = HKDF-SHA256(master, "", "coffre-v1 kek"). master is wiped.
 * Errors: CF_ERR_INVALID (empty password, parameters under the coffre-v1
 * floor t >= 2, m >= 19 MiB), CF_ERR_TOO_LARGE (password over
 * CF_PASSWORD_MAX, parameters over the ceilings of crypto/pwhash.h: a
 * hostile server cannot make us allocate without bound), CF_ERR_NOMEM. */
cf_err cf_id_password_keys(uint8_t ret_auth_key[CF_ID_KEY_BYTES],
                           uint8_t ret_kek[CF_ID_KEY_BYTES],
                           const char *password, size_t len,
                           const struct cf_kdf_params *kdf);

/* recovery_auth = HKDF-SHA256(code, "", "coffre-v1 recovery auth");
 * recovery_kek  = HKDF-SHA256(code, "", "coffre-v1 recovery kek"). */
cf_err cf_id_recovery_keys(uint8_t ret_recovery_auth[CF_ID_KEY_BYTES],
                           uint8_t ret_recovery_kek[CF_ID_KEY_BYTES],
                           const uint8_t code[CF_RECOVERY_CODE_BYTES]);

/* "ABCD-EFGH-…" (8 groups of 4, upper case, NUL-terminated) of the 20
 * bytes, in constant time. */
cf_err cf_recovery_code_format(char ret_text[CF_RECOVERY_TEXT_LEN + 1],
                               const uint8_t code[CF_RECOVERY_CODE_BYTES]);

/* The 20 bytes of a typed recovery code: exactly 32 characters of the RFC
 * 4648 alphabet (A-Z, 2-7) in any case; blanks, tabs and '-' anywhere are
 * ignored; anything else (0, 1, 8, 9, '=', a 33rd character, …) is
 * refused. Constant time in the characters' values. Errors:
 * CF_ERR_INVALID (the reason never quotes the text), CF_ERR_TOO_LARGE
 * (over 256 bytes). ret_code is untouched on failure. */
cf_err cf_recovery_code_parse(uint8_t ret_code[CF_RECOVERY_CODE_BYTES],
                              const char *text, size_t len);

/* "coffre-v1 bundle\0" ‖ user id (16 bytes). */
void cf_bundle_aad(uint8_t ret_aad[CF_BUNDLE_AAD_BYTES],
                   const uint8_t user_id[CF_ID_BYTES_RAW]);

/* nonce (12, random) ‖ AES-256-GCM(key, nonce, aad(user_id),
 * sign_seed ‖ enc_sk). key: the kek or the recovery kek. */
cf_err cf_bundle_seal(uint8_t ret_sealed[CF_BUNDLE_SEALED_BYTES],
                      const struct cf_identity_keys *keys,
                      const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW]);

/* Opens a sealed bundle and recomputes both public keys from the secrets.
 * Errors: CF_ERR_INVALID (not CF_BUNDLE_SEALED_BYTES long), CF_ERR_CRYPTO
 * (another key or user id, or altered); ret_keys untouched on failure. */
cf_err cf_bundle_open(struct cf_identity_keys *ret_keys, const uint8_t *sealed,
                      size_t len, const uint8_t key[CF_ID_KEY_BYTES],
                      const uint8_t user_id[CF_ID_BYTES_RAW]);

/* CF_OK when both public keys are the keys' (constant time), else
 * CF_ERR_CRYPTO. */
cf_err cf_identity_keys_match(const struct cf_identity_keys *keys,
                              const uint8_t sign_pk[CF_ID_KEY_BYTES],
                              const uint8_t enc_pk[CF_ID_KEY_BYTES]);

/* CF_OK for 4 to 12 ASCII digits, else CF_ERR_INVALID. */
cf_err cf_pin_check(const char *pin, size_t len);

/* CF_OK for 32 lowercase hex characters (an id), else CF_ERR_INVALID. */
cf_err cf_id_check(const char *id);

/* Wipes and frees a secret string returned by this section (recovery
 * codes). Accepts NULL. */
void cf_secret_free(char *secret);

/* --- failures of the calls below ----------------------------------------- */

/* What kind of refusal a call met, beyond its cf_err, so that a program can
 * react (unlock, log in again, wait). The one-line reason is always in
 * cf_client_last_error(); server problem details appear there as sent. */
enum cf_id_failure {
	CF_ID_FAIL_NONE = 0,
	CF_ID_FAIL_AUTH,       /* login-failed, invalid-invitation, a wrong
	                          password or recovery code found locally */
	CF_ID_FAIL_LOCKED,     /* session-locked: unlock with the PIN */
	CF_ID_FAIL_WRONG_PIN,  /* wrong-pin; tries_left */
	CF_ID_FAIL_EXPIRED,    /* session-expired, or (on a session call)
	                          unauthenticated: a token the server no longer
	                          takes; log in again (the profile's session is
	                          removed) */
	CF_ID_FAIL_THROTTLED,  /* too-many-attempts; retry_after_s */
	CF_ID_FAIL_WIPED,      /* device-wiped: this profile's device key, session
	                          and key bundle were deleted */
	CF_ID_FAIL_NO_SESSION, /* no session in the profile for this server */
	CF_ID_FAIL_KEYS,       /* the server's key bundle does not open with the
	                          password, or its public keys do not match */
	CF_ID_FAIL_OTHER,      /* any other problem answer (see status, type) */
	CF_ID_FAIL_PENDING,    /* device-pending: an administrator must approve
	                          this device first */
};

struct cf_id_problem {
	enum cf_id_failure failure;
	long status;           /* HTTP status, 0 when no answer */
	char type[64];         /* problem slug ("session-locked"), sanitised */
	int tries_left;        /* wrong-pin: PIN tries left, else -1 */
	long retry_after_s;    /* too-many-attempts: seconds, else -1 */
};

/* Every call below takes an optional `problem` (NULL: not wanted), cleared
 * at the start; the client must not be NULL. Calls that need a session use
 * the profile's (CF_SESSION_FILE), which must have been made for the same
 * server URL. Errors of all of them: those of cf_client_request, the
 * status mapping of cf_client_call_json, CF_ERR_PROTOCOL for a 2xx answer
 * that is not the JSON the contract describes, profile errors; for a session
 * call without one, CF_ERR_DENIED/CF_ID_FAIL_NO_SESSION. */

/* --- session in the profile (no network) --------------------------------- */

#define CF_ROLE_MAX       16
#define CF_STATUS_MAX     24
#define CF_EMAIL_MAX      254
#define CF_METHOD_MAX     8    /* "email", "sms", "totp" */

struct cf_session_info {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char device_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	char device_status[CF_STATUS_MAX + 1];  /* as the server says */
	char email[CF_EMAIL_MAX + 1];
	uint8_t sign_pk[CF_ID_KEY_BYTES];
	uint8_t enc_pk[CF_ID_KEY_BYTES];
	long idle_timeout_s;                     /* -1: unknown */
	long expires_in_s;                       /* at login; -1: unknown */
	bool keys_verified;                      /* login: the bundle opened
	                                            and its keys match */
};

/* The session stored in the profile (without its token).
 * Errors: CF_ERR_NOT_FOUND/CF_ID_FAIL_NO_SESSION (none, or made for another
 * server), CF_ERR_INVALID (damaged file). */
cf_err cf_session_get(cf_client *client, struct cf_session_info *ret);

/* This profile's device public key; the key is created (Ed25519, file
 * CF_DEVICE_KEY_FILE) on first use when `create`. ret_sk (optional) gets
 * the 64-byte libsodium secret key: keep it in locked memory.
 * Errors: CF_ERR_NOT_FOUND (none and !create), CF_ERR_INVALID (damaged). */
cf_err cf_device_key(cf_client *client, bool create,
                     uint8_t ret_pk[CF_ID_KEY_BYTES], uint8_t *ret_sk);

/* --- enrolment (an invited user) ----------------------------------------- */

struct cf_enrol_invitation {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	struct cf_kdf_params kdf;
};

/* POST /v1/enrol/begin {code, email}: checks the invitation (does not use
 * it up). Errors: CF_ERR_DENIED/CF_ID_FAIL_AUTH (invalid-invitation). */
cf_err cf_enrol_begin(cf_client *client, const char *code, const char *email,
                      struct cf_enrol_invitation *ret,
                      struct cf_id_problem *problem);

struct cf_enrol_params {
	const char *code;            /* invitation code */
	const char *email;
	const char *password;        /* CF_PASSWORD_MIN..MAX bytes */
	size_t password_len;
	const char *pin;             /* 4 to 12 digits */
	size_t pin_len;
	const char *second_factor;   /* "email" (NULL: "email") or "sms" */
	const char *phone;           /* "sms": E.164, "+33612345678" */
	bool device_cert;            /* also send a CSR for a device TLS
	                                certificate (cf_devcert_csr) and store
	                                the certificate that comes back */
};

struct cf_enrol_result {
	char user_id[CF_ID_HEX_LEN + 1];
	char org_id[CF_ID_HEX_LEN + 1];
	char role[CF_ROLE_MAX + 1];
	char device_id[CF_ID_HEX_LEN + 1];
	char device_status[CF_STATUS_MAX + 1];
	/* device_cert: the stored certificate's SHA-256 (hex); "" when none
	 * was asked for, or when it could not be stored: the enrolment still
	 * succeeded (its recovery code must be shown) and
	 * cf_client_last_error() says why; 'coffre device certificate' can
	 * get one later. */
	char cert_sha256[65];
	long long cert_not_after;
};

/* Derives auth_key/kek from the password with the invitation's parameters,
 * generates the identity keys and a recovery code, seals both bundles for
 * inv->user_id, creates the device key if the profile has none, and sends
 * POST /v1/enrol. *ret_recovery_code (locked memory, "XXXX-…", free with
 * cf_secret_free) must be shown to the user once: it exists nowhere else.
 * Errors: CF_ERR_INVALID (password, PIN, method or phone refused before
 * anything is sent), the server's. */
cf_err cf_enrol_finish(cf_client *client,
                       const struct cf_enrol_invitation *inv,
                       const struct cf_enrol_params *params,
                       struct cf_enrol_result *ret, char **ret_recovery_code,
                       struct cf_id_problem *problem);

/* --- login --------------------------------------------------------------- */

/* A login between the password step and the second factor. Holds the kek
 * (locked memory) to open the key bundle at the end. */
typedef struct cf_login cf_login;

/* prelogin (parameters checked against the coffre-v1 floors and ceilings),
 * Argon2id, then POST /v1/auth/login {email, auth_key, device_pk} (the
 * device key is created on first use). Free *ret with cf_login_free.
 * Errors: CF_ERR_DENIED/CF_ID_FAIL_AUTH (login-failed),
 * CF_ERR_BUSY/CF_ID_FAIL_THROTTLED, CF_ERR_UNSUPPORTED (another kdf). */
cf_err cf_login_begin(cf_client *client, const char *email,
                      const char *password, size_t password_len,
                      cf_login **ret, struct cf_id_problem *problem);

void cf_login_free(cf_login *login);

/* Where the server sent a code ("email", "sms"), or NULL (TOTP, nothing). */
const char *cf_login_sent(const cf_login *login);
/* The methods the server offers, in its order; NULL past the end. */
const char *cf_login_method(const cf_login *login, size_t index);
bool cf_login_offers(const cf_login *login, const char *method);

/* POST /v1/auth/second-factor/send {pending, method}: a code by another
 * method ("email" or "sms"). */
cf_err cf_login_send(cf_client *client, cf_login *login, const char *method,
                     struct cf_id_problem *problem);

/* POST /v1/auth/second-factor {pending, method, code} (6 digits), then
 * opens the returned bundle with the kek and checks its public keys; only
 * then stores the session and the sealed bundle in the profile.
 * Errors: CF_ERR_INVALID (not 6 digits), CF_ERR_DENIED/CF_ID_FAIL_AUTH,
 * CF_ERR_CRYPTO/CF_ID_FAIL_KEYS (nothing stored; the new session is ended
 * on the server). */
cf_err cf_login_finish(cf_client *client, cf_login *login, const char *method,
                       const char *code, size_t code_len,
                       struct cf_session_info *ret,
                       struct cf_id_problem *problem);

/* --- session ------------------------------------------------------------- */

/* POST /v1/auth/unlock {pin}. Errors: CF_ERR_DENIED/CF_ID_FAIL_WRONG_PIN
 * (tries_left), CF_ERR_DENIED/CF_ID_FAIL_WIPED after the 5th. */
cf_err cf_session_unlock(cf_client *client, const char *pin, size_t pin_len,
                         struct cf_id_problem *problem);

enum cf_logout {
	CF_LOGOUT_ENDED = 1,   /* the server ended the session */
	CF_LOGOUT_LOCAL,       /* the server no longer took the token (401) */
	CF_LOGOUT_NONE,        /* there was no session in the profile */
};

/* POST /v1/auth/logout, then removes the session and key bundle from the
 * profile. A token the server no longer takes (401) is removed as well; on
 * a network, TLS or server failure nothing is removed (try again). */
cf_err cf_session_logout(cf_client *client, enum cf_logout *ret,
                         struct cf_id_problem *problem);

/* GET /v1/me: the server's object (new reference). */
cf_err cf_me(cf_client *client, json_t **ret_me,
             struct cf_id_problem *problem);

/* --- recovery and password ----------------------------------------------- */

/* A recovery between opening the recovery bundle and setting the password;
 * holds the identity keys (locked memory). */
typedef struct cf_recovery cf_recovery;

/* POST /v1/auth/recover/begin {email}, parses the recovery code and opens
 * the recovery bundle with its recovery kek. A wrong code and an unknown
 * address look the same (CF_ERR_DENIED/CF_ID_FAIL_AUTH). */
cf_err cf_recover_begin(cf_client *client, const char *email,
                        const char *code_text, size_t code_len,
                        cf_recovery **ret, struct cf_id_problem *problem);

/* Derives the new keys with the salt from recover/begin, seals the same
 * identity keys with the new kek and sends POST /v1/auth/recover. The
 * profile's bundle for that user, now stale, is removed. */
cf_err cf_recover_finish(cf_client *client, cf_recovery *rec,
                         const char *new_password, size_t len,
                         struct cf_id_problem *problem);

void cf_recovery_free(cf_recovery *rec);

/* The old password opens the profile's bundle (else CF_ID_FAIL_AUTH and
 * nothing is sent); POST /v1/auth/password/salt, new keys, the same
 * identity keys sealed with the new kek, POST /v1/auth/password; the
 * profile's bundle is replaced. */
cf_err cf_password_change(cf_client *client, const char *old_password,
                          size_t old_len, const char *new_password,
                          size_t new_len, struct cf_id_problem *problem);

/* The password opens the profile's bundle; a new recovery code, its
 * recovery bundle, POST /v1/me/recovery-code. *ret_code as in
 * cf_enrol_finish; the old code stops working. */
cf_err cf_recovery_code_regenerate(cf_client *client, const char *password,
                                   size_t len, char **ret_code,
                                   struct cf_id_problem *problem);

/* --- second factors, PIN, phone ------------------------------------------ */

#define CF_TOTP_SECRET_MAX 128
#define CF_TOTP_URI_MAX    1024

/* TOTP setup from POST /v1/me/totp/begin. Secret: wipe it after use
 * (sodium_memzero). */
struct cf_totp_setup {
	char secret[CF_TOTP_SECRET_MAX + 1];   /* base32 */
	char uri[CF_TOTP_URI_MAX + 1];         /* otpauth://totp/… */
};

cf_err cf_totp_begin(cf_client *client, struct cf_totp_setup *ret,
                     struct cf_id_problem *problem);
/* POST /v1/me/totp {code}: TOTP is enabled once a code checks. */
cf_err cf_totp_confirm(cf_client *client, const char *code, size_t len,
                       struct cf_id_problem *problem);
/* DELETE /v1/me/totp. */
cf_err cf_totp_disable(cf_client *client, struct cf_id_problem *problem);

/* POST /v1/me/pin {pin}. */
cf_err cf_pin_change(cf_client *client, const char *pin, size_t len,
                     struct cf_id_problem *problem);

/* PUT /v1/me/phone {phone}; phone: '+' and 8 to 15 digits. */
cf_err cf_phone_set(cf_client *client, const char *phone,
                    struct cf_id_problem *problem);

/* --- organisation (admins) ----------------------------------------------- */

/* Each returns the server's JSON answer in *ret (new reference; optional
 * where marked: NULL when not wanted; a 204 gives JSON null). Ids are
 * checked (32 lowercase hex) before they go into a path. org_id NULL: the
 * session's organisation. */

/* POST /v1/invitations {email, role, org_id, unit_id?}. */
cf_err cf_admin_invite(cf_client *client, const char *email, const char *role,
                       const char *org_id, const char *unit_id, json_t **ret,
                       struct cf_id_problem *problem);
/* POST /v1/orgs {name, device_approval}; GET /v1/orgs. */
cf_err cf_admin_org_create(cf_client *client, const char *name,
                           bool device_approval, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_admin_orgs_list(cf_client *client, json_t **ret,
                          struct cf_id_problem *problem);
/* POST /v1/orgs/{id}/units {name, enc_pk}: generates the unit's X25519 key
 * pair, sends the public key, and keeps the secret key only wrapped
 * (coffre-v1 HPKE wrap, aad = unit id) to the session user's encryption key,
 * in the profile file "unit-<unit id>.wrap" and in the answer as
 * "enc_sk_wrap" (b64). */
cf_err cf_admin_unit_create(cf_client *client, const char *org_id,
                            const char *name, json_t **ret,
                            struct cf_id_problem *problem);
/* GET /v1/orgs/{id}/units; GET /v1/orgs/{id}/users. */
cf_err cf_admin_units_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_admin_users_list(cf_client *client, const char *org_id, json_t **ret,
                           struct cf_id_problem *problem);
/* PUT /v1/users/{id}/role {role, unit_id?}. */
cf_err cf_admin_role_set(cf_client *client, const char *user_id,
                         const char *role, const char *unit_id, json_t **ret,
                         struct cf_id_problem *problem);
/* POST /v1/delegations {to_user, scope}; GET; DELETE /v1/delegations/{id}. */
cf_err cf_delegation_create(cf_client *client, const char *to_user,
                            const char *scope, json_t **ret,
                            struct cf_id_problem *problem);
cf_err cf_delegations_list(cf_client *client, json_t **ret,
                           struct cf_id_problem *problem);
cf_err cf_delegation_delete(cf_client *client, const char *id,
                            struct cf_id_problem *problem);
/* GET /v1/devices; POST /v1/devices/{id}/approve; …/wipe (ret optional). */
cf_err cf_devices_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem);
cf_err cf_device_approve(cf_client *client, const char *id, json_t **ret,
                         struct cf_id_problem *problem);
cf_err cf_device_wipe(cf_client *client, const char *id, json_t **ret,
                      struct cf_id_problem *problem);
/* POST /v1/devices/{session device}/certificate {csr} with a new key
 * (cf_devcert_csr), then cf_devcert_store. Issuing again replaces the
 * certificate on record: the old one stops working at once. Under
 * tls.client_cert = required a device that has a certificate renews
 * through the main listener, presenting the current one (automatic). */
struct cf_device_cert_result {
	char device_id[CF_ID_HEX_LEN + 1];
	bool renewed;                /* the profile held a certificate before */
	struct cf_devcert_info info;
};
cf_err cf_device_certificate(cf_client *client,
                             struct cf_device_cert_result *ret,
                             struct cf_id_problem *problem);
/* POST /v1/api-keys {scopes, allow, label}: scopes are sent joined by ' '
 * ("audit.read versions.read"), networks by ", " (CIDRs), so no item may
 * hold a blank or a comma; at most 64 scopes, 32 networks, a label of 64
 * characters. The answer holds the key, shown once (wipe it:
 * cf_json_wipe_decref). GET /v1/api-keys; DELETE /v1/api-keys/{id}. */
cf_err cf_apikey_create(cf_client *client, const char *const *scopes,
                        size_t n_scopes, const char *const *allow,
                        size_t n_allow, const char *label, json_t **ret,
                        struct cf_id_problem *problem);
cf_err cf_apikeys_list(cf_client *client, json_t **ret,
                       struct cf_id_problem *problem);
cf_err cf_apikey_revoke(cf_client *client, const char *id,
                        struct cf_id_problem *problem);
/* POST /v1/users/{id}/sessions/revoke. */
cf_err cf_sessions_revoke(cf_client *client, const char *user_id,
                          struct cf_id_problem *problem);

/* Wipes every string of a JSON value (tokens, keys, bundles) then drops the
 * reference. Accepts NULL. */
void cf_json_wipe_decref(json_t *doc);

/* ======================================================================== */
/* end of the identity section                                              */
/* ======================================================================== */

#endif
