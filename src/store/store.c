#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "store/migrations.h"

static const struct cf_store_ops *const backends[] = {
	&cf_store_sqlite_ops,
};

int64_t cf_store_schema_latest(void)
{
	return cf_migrations_latest();
}

cf_err cf_store_open(cf_store **ret, const struct cf_store_config *cfg, char *msg, size_t cap)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, cfg->backend) == 0)
			return backends[i]->open(ret, cfg, msg, cap);
	snprintf(msg, cap, "store backend '%s' is not available", cfg->backend);
	return CF_ERR_CONFIG;
}

void cf_store_close(cf_store *st)
{
	if (st)
		st->ops->close(st);
}
