/* The request pipeline: the one place where the cross-cutting work happens,
 * in this order: limits (size, headers: in http.c as data arrives) → rate
 * limit → route → authentication → client certificate → policy → body check →
 * handler → audit (the handler's write and the event commit together).
 * A stage that answers stops the ones after it (except audit, which records
 * every outcome once audit lands). */
#ifndef CF_SERVER_PIPELINE_H
#define CF_SERVER_PIPELINE_H

#include "server/request.h"

void cf_pipeline_run(struct cf_request *req);

#endif
