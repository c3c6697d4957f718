/* POST /v1/auth/prelogin {email}: the Argon2id parameters and salt a client
 * needs to derive its keys. An unknown address gets a stable salt made from
 * the server secret, with the same parameters, so the answer does not tell
 * whether an account exists. */
#include <ctype.h>
#include <string.h>

#include "crypto/kdf.h"
#include "server/handlers.h"
#include "server/identity/identity.h"
#include "util/encoding.h"

#define PRELOGIN_T_COST 2
#define PRELOGIN_M_KIB 19456
#define SALT_BYTES 16

struct prelogin_args {
	const char *email;
};
static const struct cf_field prelogin_fields[] = {
	CF_F_EMAIL(struct prelogin_args, email, "email", true),
};
const struct cf_spec cf_spec_auth_prelogin = CF_SPEC_BIND(prelogin_fields, struct prelogin_args);

void cf_h_auth_prelogin(struct cf_request *req)
{
	const char *s = CF_ARGS(req, struct prelogin_args)->email;
	CF_AUTO_USER user = { 0 };
	if (cf_user_by_email(req->srv->store, NULL, s, &user, NULL) == CF_OK) {
		cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:I, s:I, s:i, s:s?}",
			"kdf", "argon2id", "t_cost", (json_int_t)user.t_cost, "m_cost_kib",
			(json_int_t)user.m_cost_kib, "parallelism", 1, "salt", user.salt));
		return;
	}
	size_t len = strlen(s);

	/* Addresses compare case-insensitively. */
	static const char domain[] = "coffre-v1 fake-salt";
	uint8_t msg[sizeof(domain) + 254];
	memcpy(msg, domain, sizeof(domain));
	for (size_t i = 0; i < len; i++)
		msg[sizeof(domain) + i] = (uint8_t)tolower((unsigned char)s[i]);

	uint8_t mac[32];
	char salt[64];
	if (cf_hmac_sha256(mac, req->srv->secret, CF_SERVER_SECRET_BYTES, msg,
	                   sizeof(domain) + len) != CF_OK ||
	    cf_b64url_encode(salt, sizeof(salt), mac, SALT_BYTES) != CF_OK) {
		cf_reply_problem(&req->reply, CF_P_INTERNAL, "cannot compute the salt");
		return;
	}
	cf_reply_json_take(&req->reply, 200, json_pack("{s:s, s:i, s:i, s:i, s:s}",
		"kdf", "argon2id", "t_cost", PRELOGIN_T_COST, "m_cost_kib", PRELOGIN_M_KIB,
		"parallelism", 1, "salt", salt));
}
