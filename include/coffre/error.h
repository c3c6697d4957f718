/* coffre error codes: stable names shared by libcoffre, coffred and the CLI.
 * Functions return a cf_err; CF_OK is 0 so `if (err)` reads naturally.
 * The boundary (HTTP problem body, CLI message) turns a code into words once. */
#ifndef COFFRE_ERROR_H
#define COFFRE_ERROR_H

typedef enum cf_err {
	CF_OK = 0,
	CF_ERR_NOMEM,        /* allocation failed */
	CF_ERR_INVALID,      /* malformed or out-of-range input */
	CF_ERR_CRYPTO,       /* authentication/verification failed, bad key */
	CF_ERR_RANDOM,       /* no randomness */
	CF_ERR_IO,           /* file system or socket failure */
	CF_ERR_STORE,        /* database failure */
	CF_ERR_NOT_FOUND,    /* no such object */
	CF_ERR_CONFLICT,     /* state conflict (exists, version mismatch) */
	CF_ERR_TOO_LARGE,    /* exceeds a configured cap */
	CF_ERR_CONFIG,       /* configuration refused */
	CF_ERR_TLS,          /* TLS handshake or certificate failure */
	CF_ERR_NETWORK,      /* cannot reach the peer */
	CF_ERR_PROTOCOL,     /* peer answered something unexpected */
	CF_ERR_UNSUPPORTED,  /* feature or version not supported */
	CF_ERR_BUSY,         /* try again later */
	CF_ERR_DENIED,       /* not allowed */
	CF_ERR_SCHEMA,       /* database schema newer than this program */
} cf_err;

/* A short English description; never NULL, never contains secrets. */
const char *cf_strerror(cf_err err);

#endif
