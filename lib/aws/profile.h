/*
 * profile — the AWS shared files (~/.aws/credentials and ~/.aws/config):
 * an INI parser with AWS's rules, and lookups by profile.
 *
 * Rules (as botocore's configparser reads them): '#' and ';' start comment
 * lines; "[name]" opens a section; "key = value" (or "key: value") sets a
 * key, keys compare case-insensitively; an indented "sub = value" under a
 * key with an empty value is a nested key, stored as "key.sub"; a key
 * outside any section is an error naming the line. In the config file a
 * profile is "[profile NAME]" (and "[default]"); in the credentials file it
 * is "[NAME]". Later values win.
 * Lifecycle: craft_profile_init ... craft_profile_release.
 */
#ifndef CRAFT_AWS_PROFILE_H
#define CRAFT_AWS_PROFILE_H

#include <stddef.h>

#include "core/error.h"

struct craft_profile_kv {
	char *key;
	char *value;
};

struct craft_profile_section {
	char *name; /* the profile name ("profile " already removed in config files) */
	int is_profile;
	struct craft_profile_kv *kv;
	int n, cap;
};

struct craft_profile_file {
	struct craft_profile_section *sec;
	int n, cap;
	int config_format; /* 1: ~/.aws/config rules, 0: ~/.aws/credentials */
};

void craft_profile_init(struct craft_profile_file *f, int config_format);
void craft_profile_release(struct craft_profile_file *f);

/* Parses text (not NUL-terminated); name is used in error messages. */
craft_code craft_profile_parse(struct craft_profile_file *f, const char *name, const char *text,
                               size_t len, struct craft_err *err);
/* Reads and parses path; CRAFT_ENOTFOUND when the file does not exist. */
craft_code craft_profile_load(struct craft_profile_file *f, const char *path,
                              struct craft_err *err);

/* The value of key in profile, or NULL. Borrowed. */
const char *craft_profile_get(const struct craft_profile_file *f, const char *profile,
                              const char *key);
int craft_profile_has(const struct craft_profile_file *f, const char *profile);

/* The value of key in the config file's "[KIND NAME]" section (kind
 * "services", "sso-session"), or NULL. Borrowed. */
const char *craft_profile_section_get(const struct craft_profile_file *f, const char *kind,
                                      const char *name, const char *key);

#endif
