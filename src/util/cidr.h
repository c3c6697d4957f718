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

#endif
