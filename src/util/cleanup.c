/* The JSON wipe helpers of cleanup.h (out of line: libcoffre exports
 * cf_json_wipe_decref, and one definition serves server and client). */
#include "util/cleanup.h"

#include <stdint.h>

void cf_json_wipe(json_t *j)
{
	if (!j)
		return;
	if (json_is_string(j)) {
		/* jansson stores the text it returns; it is ours to overwrite. */
		char *s = (char *)(uintptr_t)json_string_value(j);
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

void cf_json_wipe_decref(json_t *j)
{
	if (j && j->refcount == 1)
		cf_json_wipe(j);
	json_decref(j);
}
