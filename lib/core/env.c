#include "core/env.h"

#include <stdlib.h>

static craft_env_fn source;
static void *source_data;

const char *craft_env_get(const char *name)
{
	const char *v = source ? source(name, source_data) : getenv(name);

	return (v && *v) ? v : NULL;
}

void craft_env_set_source(craft_env_fn fn, void *userdata)
{
	source = fn;
	source_data = userdata;
}
