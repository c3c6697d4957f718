#include "util/cidr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct addr {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

static bool parse_addr(const char *s, struct addr *a)
{
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (memcmp(a->bytes, mapped, 12) == 0) {
			memmove(a->bytes, a->bytes + 12, 4);
			a->family = AF_INET;
		} else {
			a->family = AF_INET6;
		}
		return true;
	}
	return false;
}

/* Parses one "addr[/bits]" entry (trimmed) of at most 63 characters. */
static bool parse_entry(const char *s, size_t len, struct addr *net, unsigned *ret_bits)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *slash = strchr(buf, '/');
	int bits = -1;
	if (slash) {
		*slash = '\0';
		const char *b = slash + 1;
		if (!*b || strlen(b) > 3)
			return false;
		bits = 0;
		for (; *b; b++) {
			if (*b < '0' || *b > '9')
				return false;
			bits = bits * 10 + (*b - '0');
		}
	}
	if (!parse_addr(buf, net) || strchr(buf, '%'))
		return false;
	int max = net->family == AF_INET ? 32 : 128;
	if (bits < 0)
		bits = max;
	if (bits > max)
		return false;
	*ret_bits = (unsigned)bits;
	return true;
}

static bool in_prefix(const struct addr *ip, const struct addr *net, unsigned bits)
{
	if (ip->family != net->family)
		return false;
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(ip->bytes, net->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (ip->bytes[full] & mask) == (net->bytes[full] & mask);
}

/* Calls fn on each entry; false as soon as one does not parse. */
static bool each_entry(const char *list, bool (*fn)(void *, const struct addr *, unsigned),
                       void *ctx, const char **ret_bad, size_t *ret_bad_len)
{
	const char *p = list;
	unsigned n = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct addr net;
		unsigned bits = 0;
		if (++n > CF_CIDR_LIST_MAX || !parse_entry(p, len, &net, &bits)) {
			*ret_bad = p;
			*ret_bad_len = len;
			return false;
		}
		if (fn && fn(ctx, &net, bits))
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return true;
}

cf_err cf_cidr_list_check(const char *list, char *why, size_t cap)
{
	const char *bad = NULL;
	size_t bad_len = 0;
	if (!each_entry(list, NULL, NULL, &bad, &bad_len)) {
		snprintf(why, cap, "'%.*s' is not an IPv4/IPv6 address or CIDR prefix (at most %d entries)",
		         (int)(bad_len > 64 ? 64 : bad_len), bad, CF_CIDR_LIST_MAX);
		return CF_ERR_INVALID;
	}
	return CF_OK;
}

struct match_ctx {
	struct addr ip;
	bool found;
};

static bool match_one(void *ctx, const struct addr *net, unsigned bits)
{
	struct match_ctx *m = ctx;
	if (in_prefix(&m->ip, net, bits))
		m->found = true;
	return m->found;
}

bool cf_cidr_list_allows(const char *list, const char *ip)
{
	/* Only the truly empty list means "anywhere": a list of blanks does
	 * not pass cf_cidr_list_check, so it allows none (found by fuzz_cidr). */
	if (*list == '\0')
		return true;
	struct match_ctx m = { .found = false };
	if (!parse_addr(ip, &m.ip))
		return false;
	const char *bad = NULL;
	size_t bad_len = 0;
	if (cf_cidr_list_check(list, NULL, 0) != CF_OK)
		return false;
	each_entry(list, match_one, &m, &bad, &bad_len);
	return m.found;
}

void cf_client_addr_key(const char *ip, unsigned v6_prefix, char *out, size_t cap)
{
	if (cap == 0)
		return;
	uint8_t b[16];
	if (inet_pton(AF_INET6, ip, b) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			char v4[INET_ADDRSTRLEN];
			if (inet_ntop(AF_INET, b + 12, v4, sizeof(v4))) {
				snprintf(out, cap, "%s", v4);
				return;
			}
		}
		if (v6_prefix == 0 || v6_prefix > 128)
			v6_prefix = 128;
		for (unsigned i = 0; i < 16; i++) {
			unsigned keep = v6_prefix > i * 8 ? v6_prefix - i * 8 : 0;
			if (keep < 8)
				b[i] &= (uint8_t)(0xff00u >> keep);
		}
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, b, text, sizeof(text))) {
			snprintf(out, cap, "%s/%u", text, v6_prefix);
			return;
		}
	}
	snprintf(out, cap, "%s", ip);
}
