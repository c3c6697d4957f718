/* IP allowlists: comma-separated IPv4/IPv6 addresses and CIDR prefixes,
 * e.g. "10.0.0.0/8, 2001:db8::/32, 192.0.2.7". */
#ifndef CF_UTIL_CIDR_H
#define CF_UTIL_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include "coffre/error.h"

#define CF_CIDR_LIST_MAX 32

/* CF_OK when every entry parses; else CF_ERR_INVALID with the entry in why. */
cf_err cf_cidr_list_check(const char *list, char *why, size_t cap);

/* True when ip (textual IPv4 or IPv6; an IPv4-mapped IPv6 address counts as
 * IPv4) is inside one entry of list. An empty list allows every address; a
 * list that does not parse allows none. */
bool cf_cidr_list_allows(const char *list, const char *ip);

/* Enough for "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128". */
#define CF_ADDR_KEY_MAX 48

/* The key under which per-address limits count a client: an IPv4 address
 * (IPv4-mapped IPv6 included) as itself, an IPv6 address as its prefix of
 * v6_prefix bits (1..128; 64 = one customer's network, which can rotate
 * freely inside it), written "2001:db8:1:2::/64". Text that is no address is
 * kept as it is (truncated). Always NUL-terminates out (cap >= 1). */
void cf_client_addr_key(const char *ip, unsigned v6_prefix, char *out, size_t cap);

#endif
