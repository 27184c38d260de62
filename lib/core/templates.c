#include "core/templates.h"

#include <string.h>

const char *craft_template_get(const char *name, size_t *len)
{
	for (const struct craft_template *t = craft_templates; t->name; t++) {
		if (strcmp(t->name, name) == 0) {
			if (len)
				*len = t->len;
			return t->data;
		}
	}
	return NULL;
}
