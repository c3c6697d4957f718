/* TLS material for coffred: the self-signed test certificate made on first run
 * (a local CA and a localhost certificate it signs, so clients pin the CA) and
 * the loading of configured certificate/key files with the secret-file rules. */
#ifndef CF_SERVER_TLS_H
#define CF_SERVER_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include "coffre/error.h"

/* The GnuTLS priority string: TLS 1.3 and 1.2 only, AEAD ciphers only, and in
 * TLS 1.2 only ECDHE key exchange (forward secrecy) for ECDSA and RSA
 * certificates alike: SECURE128 alone lets an RSA certificate negotiate the
 * static RSA key exchange (AES128-GCM-SHA256). No DHE (no parameters set;
 * ECDHE covers every client we serve). TLS 1.3 is always (EC)DHE. */
#define CF_TLS_PRIORITIES \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
	"+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
	"%SERVER_PRECEDENCE"

struct cf_tls_files {
	char cert[1024];
	char key[1024];
	char ca[1024];   /* the local CA certificate, when generated; else empty */
	char ca_key[1024];
};

/* Makes data_dir/tls/{ca.pem,ca.key,server.pem,server.key} unless they exist
 * (keys mode 0600), and returns their paths. *ret_created tells whether new
 * files were made. */
cf_err cf_tls_ensure_selfsigned(const char *data_dir, struct cf_tls_files *ret_files,
                                bool *ret_created, char *msg, size_t cap);

/* Loads a PEM certificate (chain) and its PEM key; the key file must pass the
 * secret-file rule. Buffers are NUL-terminated; free the cert with free() and
 * the key with cf_free_secret(). */
cf_err cf_tls_load(const char *cert_path, const char *key_path, char **ret_cert,
                   char **ret_key, char *msg, size_t cap);

/* True when the first certificate of the PEM chain is self-issued (subject ==
 * issuer), or is issued by a CA that a test installation generated. */
cf_err cf_tls_is_self_signed(const char *cert_pem, bool *ret);

#endif
