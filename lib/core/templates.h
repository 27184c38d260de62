/*
 * templates — the files of templates/, compiled into the binary by
 * scripts/embed.sh so craftctl runs from any directory.
 */
#ifndef CRAFT_CORE_TEMPLATES_H
#define CRAFT_CORE_TEMPLATES_H

#include <stddef.h>

struct craft_template {
	const char *name; /* path below templates/, e.g. "install-docker.sh" */
	const char *data; /* NUL-terminated contents */
	size_t len;
};

/* The table, ended by a row whose name is NULL. Generated. */
extern const struct craft_template craft_templates[];

/* The template called name, or NULL. Borrowed, static. len may be NULL. */
const char *craft_template_get(const char *name, size_t *len);

#endif
