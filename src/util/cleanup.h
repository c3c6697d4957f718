/* One set of scope-exit helpers for server and client (systemd's _cleanup_):
 * a variable declared with one of these is freed, and for secrets wiped, on
 * every path out of its scope. Each helper accepts NULL. */
#ifndef CF_UTIL_CLEANUP_H
#define CF_UTIL_CLEANUP_H

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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

/* Wipes every string and integer held by a JSON value (recursively), then
 * drops the reference. For parsed answers and bodies that carry secrets. */
static inline void cf_json_wipe(json_t *j)
{
	if (!j)
		return;
	if (json_is_string(j)) {
		/* jansson stores the text it returns; it is ours to overwrite. */
		char *s = (char *)json_string_value(j);
		sodium_memzero(s, json_string_length(j));
	} else if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			cf_json_wipe(v);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			cf_json_wipe(v);
	}
}
static inline void cf_json_wipe_decref(json_t *j)
{
	if (j && j->refcount == 1)
		cf_json_wipe(j);
	json_decref(j);
}
static inline void cf_json_wipe_decrefp(json_t **p)
{
	cf_json_wipe_decref(*p);
}
static inline void cf_json_decrefp(json_t **p)
{
	json_decref(*p);
}

/* Declarations that clean up after themselves. */
#define CF_AUTO_FREE CF_CLEANUP(cf_freep)
#define CF_AUTO_JSON CF_CLEANUP(cf_json_decrefp) json_t
#define CF_AUTO_SECRET_JSON CF_CLEANUP(cf_json_wipe_decrefp) json_t
#define CF_AUTO_SECRET_STR CF_CLEANUP(cf_str_wipe_freep) char

#endif
