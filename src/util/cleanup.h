/* One set of scope-exit helpers for server and client (systemd's _cleanup_):
 * a variable declared with one of these is freed, and for secrets wiped, on
 * every path out of its scope. Each helper accepts NULL. */
#ifndef CF_UTIL_CLEANUP_H
#define CF_UTIL_CLEANUP_H

#include <jansson.h>
#include <stdint.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CF_CLEANUP(fn) __attribute__((cleanup(fn)))

/* free(*p). */
static inline void cf_freep(void *p)
{
	free(*(void **)p);
}

/* Wipes a NUL-terminated string, then frees it. */
static inline void cf_str_wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}
static inline void cf_str_wipe_freep(char **p)
{
	cf_str_wipe_free(*p);
}

/* Wipes every string held by a JSON value (recursively, in place). For
 * parsed answers and bodies that carry secrets. (cleanup.c) */
void cf_json_wipe(json_t *j);
/* Wipes j (when this is its last reference), then drops the reference.
 * Accepts NULL. (cleanup.c; libcoffre exports it as public API.) */
void cf_json_wipe_decref(json_t *j);
static inline void cf_json_wipe_decrefp(json_t **p)
{
	cf_json_wipe_decref(*p);
	*p = NULL;
}
static inline void cf_json_decrefp(json_t **p)
{
	json_decref(*p);
}

/* sodium_free(*p): locked memory from sodium_malloc, wiped on release. */
static inline void cf_sodium_freep(void *p)
{
	void *q = *(void **)p;
	if (q)
		sodium_free(q);
}

/* close(*fd) when it is open (>= 0). */
static inline void cf_closep(const int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Fixed-size byte arrays of secrets (keys, seeds, codes), wiped on every
 * path out of their scope: CF_AUTO_WIPED(kek, 32). Sizes with a wipe
 * function below; add one when a new size is needed. */
#define CF_DEFINE_ARRAY_WIPE(n) \
	static inline void cf_wipe_##n(uint8_t (*p)[n]) \
	{ \
		sodium_memzero(*p, sizeof *p); \
	}
CF_DEFINE_ARRAY_WIPE(16)
CF_DEFINE_ARRAY_WIPE(20)
CF_DEFINE_ARRAY_WIPE(32)
CF_DEFINE_ARRAY_WIPE(64)
#define CF_WIPE_FN_(n) cf_wipe_##n
#define CF_WIPE_FN(n) CF_WIPE_FN_(n)
#define CF_AUTO_WIPED(name, n) CF_CLEANUP(CF_WIPE_FN(n)) uint8_t name[n]

/* Declarations that clean up after themselves. */
#define CF_AUTO_FREE CF_CLEANUP(cf_freep)
#define CF_AUTO_JSON CF_CLEANUP(cf_json_decrefp) json_t
#define CF_AUTO_SECRET_JSON CF_CLEANUP(cf_json_wipe_decrefp) json_t
#define CF_AUTO_SECRET_STR CF_CLEANUP(cf_str_wipe_freep) char
#define CF_AUTO_SODIUM CF_CLEANUP(cf_sodium_freep)
#define CF_AUTO_FD CF_CLEANUP(cf_closep) int

#endif
