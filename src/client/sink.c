/* A capped, growing buffer for answer bodies. The cap is set when the sink
 * is created and checked before every append, so a server cannot make the
 * client allocate more than max + 1 bytes, whatever it announces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/internal.h"

#define SINK_MIN_ALLOC 4096u

void cf_sink_init(struct cf_sink *sink, size_t max)
{
	memset(sink, 0, sizeof *sink);
	sink->max = max < SIZE_MAX - 1 ? max : SIZE_MAX - 2;
}

bool cf_sink_append(struct cf_sink *sink, const void *data, size_t len)
{
	if (len > sink->max - sink->len) {
		sink->over = true;
		return false;
	}
	size_t need = sink->len + len + 1;   /* + NUL; cannot overflow */
	if (need > sink->alloc) {
		size_t alloc = sink->alloc ? sink->alloc : SINK_MIN_ALLOC;
		while (alloc < need)
			alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
		if (alloc > sink->max + 1)
			alloc = sink->max + 1;
		unsigned char *grown = malloc(alloc);
		if (!grown) {
			sink->nomem = true;
			return false;
		}
		if (sink->data) {
			memcpy(grown, sink->data, sink->len);
			sodium_memzero(sink->data, sink->alloc);
			free(sink->data);
		}
		sink->data = grown;
		sink->alloc = alloc;
	}
	if (len > 0)
		memcpy(sink->data + sink->len, data, len);
	sink->len += len;
	sink->data[sink->len] = '\0';
	return true;
}

size_t cf_sink_curl_write(char *ptr, size_t size, size_t nmemb,
                          void *userdata)
{
	struct cf_sink *sink = userdata;
	/* libcurl promises size == 1; refuse anything else rather than
	 * multiply. Returning a short count aborts the transfer with
	 * CURLE_WRITE_ERROR. */
	if (size != 1)
		return 0;
	if (!cf_sink_append(sink, ptr, nmemb))
		return 0;
	return nmemb;
}

unsigned char *cf_sink_take(struct cf_sink *sink, size_t *ret_len)
{
	unsigned char *data = sink->data;
	*ret_len = sink->len;
	sink->data = NULL;
	sink->len = 0;
	sink->alloc = 0;
	return data;
}

void cf_sink_clear(struct cf_sink *sink)
{
	if (sink->data) {
		sodium_memzero(sink->data, sink->alloc);
		free(sink->data);
	}
	sink->data = NULL;
	sink->len = 0;
	sink->alloc = 0;
}
