/*
 * compose — the shape of a docker-compose file, as much as a picture needs:
 * the services, the image or build context of each, the ports each one
 * publishes on the host, and its depends_on edges.
 *
 * The file is read with libyaml (aliases and `<<` merge keys resolve as
 * YAML defines them; keys the picture does not need are ignored). A broken
 * file is CRAFT_ECONFIG naming "'file': line L, column C: problem"; a
 * missing one CRAFT_ENOTFOUND. Values keep their ${VAR:-default}
 * interpolations as written; craft_compose_interpolate resolves them with
 * the variables the deploy sets.
 *
 * Ownership: struct craft_compose is a plain value (fixed arrays, no
 * allocation); the caller owns it and nothing needs freeing.
 */
#ifndef CRAFT_DIAGRAM_COMPOSE_H
#define CRAFT_DIAGRAM_COMPOSE_H

#include <stddef.h>

#include "core/error.h"

#define CRAFT_COMPOSE_MAX_SERVICES 32
#define CRAFT_COMPOSE_MAX_PORTS    8
#define CRAFT_COMPOSE_MAX_DEPS     16

struct craft_compose_service {
	char name[64];
	char image[160];       /* "" when none */
	char build[160];       /* the build context, "" when none */
	char network_mode[64]; /* "" when not set; "host": its ports are the host's */
	/* published ports as "HOST:CONTAINER" (short syntax as written, minus
	 * any host address and /protocol; long syntax rebuilt) */
	char ports[CRAFT_COMPOSE_MAX_PORTS][64];
	int nports;
	char deps[CRAFT_COMPOSE_MAX_DEPS][64]; /* depends_on, in file order */
	int ndeps;
};

struct craft_compose {
	struct craft_compose_service svc[CRAFT_COMPOSE_MAX_SERVICES]; /* in file order */
	int n;
};

/* Reads path. On failure out->n is 0 and err says where. */
craft_code craft_compose_load(struct craft_compose *out, const char *path, struct craft_err *err);

/* The same from memory; name is used in messages. */
craft_code craft_compose_parse(struct craft_compose *out, const char *name, const char *text,
                               size_t len, struct craft_err *err);

/* Index of the service called name, or -1. */
int craft_compose_find(const struct craft_compose *c, const char *name);

/* A variable the deploy sets for the stack (HTTP_PORT, deploy.env, ...). */
struct craft_compose_var {
	const char *name;
	const char *value;
};

/*
 * Copies s to out the way compose reads it with vars set (the last of a
 * name wins): ${VAR} and ${VAR?msg} become VAR's value; ${VAR:-default}
 * and ${VAR-default} the value, else the default (":-" also when the value
 * is empty). An unset variable without a default stays as written.
 * Truncates to fit.
 */
void craft_compose_interpolate(char *out, size_t outsz, const char *s,
                               const struct craft_compose_var *vars, int nvars);

#endif
