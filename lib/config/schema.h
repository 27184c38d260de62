/*
 * schema — what the stack file may say, shared by config.c's walk and
 * schema.c (nothing outside lib/config.c includes this): one table of known
 * keys with each value's type, place in struct craft_config, limits and
 * validator, and the "did you mean" suggestions for keys it does not know.
 *
 * A validator returns NULL when the value is fine, else what was expected
 * ("an AWS region such as us-east-2"); the walk puts that in the message.
 */
#ifndef CRAFT_CONFIG_SCHEMA_H
#define CRAFT_CONFIG_SCHEMA_H

#include <stddef.h>

#include "config.h"

typedef const char *(*check_fn)(const char *v);

enum ftype { T_STR, T_INT, T_STRLIST, T_MAP, T_SECTION };

struct field {
	const char *key;
	enum ftype type;
	size_t off;       /* T_STR: char*; T_INT: int; T_STRLIST: char*[]; T_MAP: kv[] */
	size_t count_off; /* T_STRLIST, T_MAP */
	const struct field *sub;
	check_fn check;      /* value (T_STR, list items, map values) */
	check_fn check_key;  /* T_MAP keys */
	long min, max;       /* T_INT range; T_STRLIST/T_MAP maximum count in max */
	const char *special; /* ssh_key, ... handled after the walk */
};

/* The top level of the file; a row with key NULL ends every table. */
extern const struct field schema_root[];

/* The rules for the values the CLI's --stack and --region replace. */
const char *schema_check_stack(const char *v);
const char *schema_check_region(const char *v);

/* The known key of fields closest to key, when close enough to suggest. */
const char *schema_closest_key(const struct field *fields, const char *key);

/* The section other than except where key is known: "'cidr' belongs
 * under 'network'". NULL when none. */
const char *schema_home_of(const char *key, const struct field *except);

#endif
