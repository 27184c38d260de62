/*
 * env — the one place lib/ reads the process environment.
 *
 * Everything in lib/ that needs an environment variable asks craft_env_get,
 * so tests can replace the environment with craft_env_set_source and nothing
 * else in lib/ calls getenv.
 */
#ifndef CRAFT_CORE_ENV_H
#define CRAFT_CORE_ENV_H

typedef const char *(*craft_env_fn)(const char *name, void *userdata);

/* The value of name, or NULL when unset. Empty strings count as unset. */
const char *craft_env_get(const char *name);

/* Replaces the source (NULL restores getenv). For tests. */
void craft_env_set_source(craft_env_fn fn, void *userdata);

#endif
