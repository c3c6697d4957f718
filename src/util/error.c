#include "coffre/error.h"

const char *cf_strerror(cf_err err)
{
	switch (err) {
	case CF_OK: return "success";
	case CF_ERR_NOMEM: return "out of memory";
	case CF_ERR_INVALID: return "invalid input";
	case CF_ERR_CRYPTO: return "cryptographic verification failed";
	case CF_ERR_RANDOM: return "random number generator failed";
	case CF_ERR_IO: return "input/output error";
	case CF_ERR_STORE: return "database error";
	case CF_ERR_NOT_FOUND: return "not found";
	case CF_ERR_CONFLICT: return "conflict with the current state";
	case CF_ERR_TOO_LARGE: return "too large";
	case CF_ERR_CONFIG: return "configuration error";
	case CF_ERR_TLS: return "TLS error";
	case CF_ERR_NETWORK: return "network error";
	case CF_ERR_PROTOCOL: return "unexpected answer from peer";
	case CF_ERR_UNSUPPORTED: return "not supported";
	case CF_ERR_BUSY: return "busy, try again later";
	case CF_ERR_DENIED: return "not allowed";
	case CF_ERR_SCHEMA: return "database schema is newer than this program";
	}
	return "unknown error";
}
