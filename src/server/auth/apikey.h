/* API keys for machine clients: "coffre_" + base64url(32 random bytes),
 * shown once, stored as SHA-256 of the text. */
#ifndef CF_SERVER_AUTH_APIKEY_H
#define CF_SERVER_AUTH_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "coffre/error.h"
#include "server/request.h"
#include "store/store.h"

#define CF_API_KEY_PREFIX "coffre_"
#define CF_API_KEY_TEXT_LEN (sizeof(CF_API_KEY_PREFIX) - 1 + 43)

/* A new key text (NUL-terminated, cap > CF_API_KEY_TEXT_LEN) and its hash. */
cf_err cf_api_key_generate(char *text, size_t cap, uint8_t ret_hash[32]);

/* Hash of a presented key; CF_ERR_INVALID when it is not a well-formed key. */
cf_err cf_api_key_hash(const char *text, size_t len, uint8_t ret_hash[32]);

/* The canonical bytes of a key's state (what entity versions hash). */
cf_err cf_api_key_state(const struct cf_api_key *k, char *out, size_t cap, size_t *ret_len);

/* Checks a space-separated scope list against the scopes coffred knows. */
cf_err cf_api_key_scopes_check(const char *scopes, char *why, size_t cap);

/* The pipeline's authentication of "Bearer <token>" when the token is not a
 * session's: a known, unrevoked key used from an allowed address becomes
 * req->who; otherwise answers (401, 403 address-not-allowed, 503) and
 * returns false. */
bool cf_api_key_authenticate(struct cf_request *req, const char *token);

#endif
