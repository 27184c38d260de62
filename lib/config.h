/*
 * config — the stack file (craftctl.yaml) parsed into a validated struct.
 *
 * craft_config_load reads the file with libyaml, walks it against one table
 * of known keys (unknown keys are errors, with the closest known key
 * suggested), fills every default in one place (config_defaults in
 * config.c) and validates every value. Every error message names the file,
 * line and column ("craftctl.yaml: line 4, column 3: ...") and comes back as
 * CRAFT_ECONFIG, so the CLI exits 2 before any AWS call.
 *
 * Loading never touches the network and never writes. When instance.ssh_key
 * is left out, craft_config_ensure_key generates (or reuses) an ed25519 key
 * for the stack under $XDG_CONFIG_HOME/craftctl/<stack>/ (default
 * ~/.config/craftctl/<stack>/): the private key in OpenSSH format, mode
 * 0600, and its .pub beside it, made and written by craftctl itself
 * (ssh/keyfile.h; no ssh-keygen needed).
 *
 * Ownership: a struct craft_config from craft_config_load belongs to the
 * caller (craft_config_free); every string inside belongs to the struct.
 */
#ifndef CRAFT_CONFIG_H
#define CRAFT_CONFIG_H

#include <stddef.h>

#include "core/error.h"

#define CRAFT_CONFIG_MAX_LIST 32
#define CRAFT_CONFIG_MAX_MAP  64

struct craft_config_kv {
	char *key;
	char *value;
};

struct craft_config {
	char *path;   /* as given */
	char *stack;  /* [a-z0-9-], 1-32 */
	char *region; /* NULL: the AWS client's chain decides */

	/* network */
	char *cidr;   /* a.b.c.d/n, host bits zero, /16 to /24 */
	int az_count; /* 1-6 */

	/* instance */
	char *instance_type; /* family.size, e.g. t3.medium */
	char *image;         /* ubuntu-24.04, ubuntu-22.04 or ami-... */
	int root_size_gb;    /* 8-16384 */
	char *root_type;     /* gp2, gp3, standard */
	int data_volume;     /* 1 (default): a separate, kept EBS volume for the stack's data */
	int data_size_gb;    /* 1-16384, default 20 */
	char *data_type;     /* gp3 (default), gp2, io1, io2, st1, sc1, standard */
	char *deploy_backup; /* before_release (default) or off */
	int backups_keep;    /* how many of the stack's backups to keep, 1-1000, default 7 */
	char *ssh_user;
	char *ssh_key;         /* private key path, ~ expanded; NULL until ensured when left out */
	int ssh_key_generated; /* 1: left out, craftctl's own key for the stack */
	int ssh_port;          /* 1-65535, default 22 */

	/* access: CIDRs or "auto" */
	char *ssh_from[CRAFT_CONFIG_MAX_LIST];
	int n_ssh_from;
	char *http_from[CRAFT_CONFIG_MAX_LIST];
	int n_http_from;

	/* deploy */
	char *compose_file; /* as written (shown in output) */
	char *compose_path; /* the file: relative to the stack file's folder, ~ expanded */
	int http_port;
	char *health_path;
	struct craft_config_kv env[CRAFT_CONFIG_MAX_MAP];
	int n_env;
	char *secrets[CRAFT_CONFIG_MAX_LIST]; /* variable names */
	int n_secrets;

	/* tags added to every resource */
	struct craft_config_kv tags[CRAFT_CONFIG_MAX_MAP];
	int n_tags;
};

/* Values that replace what the file says (the CLI's --stack, --region);
 * NULL members are ignored. */
struct craft_config_overrides {
	const char *stack;
	const char *region;
};

/* Reads and validates path. On failure *out is NULL and err says where. */
craft_code craft_config_load(struct craft_config **out, const char *path,
                             const struct craft_config_overrides *ov, struct craft_err *err);

/* The same from memory; name is used in messages. For tests and the fuzzer. */
craft_code craft_config_parse(struct craft_config **out, const char *name, const char *text,
                              size_t len, const struct craft_config_overrides *ov,
                              struct craft_err *err);

void craft_config_free(struct craft_config *c);

/*
 * When ssh_key was left out: sets c->ssh_key to the stack's generated key,
 * creating it (0600, with .pub) on first use. *created (may be NULL) says
 * whether it was made now. A no-op for a configured key.
 */
craft_code craft_config_ensure_key(struct craft_config *c, int *created, struct craft_err *err);

/* Where the generated key of a stack lives (private key path). */
craft_code craft_config_generated_key_path(char **out, const char *stack, struct craft_err *err);

/* Deletes the stack's generated key and its .pub (after destroy). Missing
 * files are fine. */
craft_code craft_config_remove_generated_key(const char *stack, struct craft_err *err);

/* The public half of the configured key ("ssh-ed25519 AAAA... comment"),
 * read from <ssh_key>.pub, trailing newline removed. Caller frees. */
craft_code craft_config_public_key(char **out, const struct craft_config *c, struct craft_err *err);

/* 1 when instance_type is an arm64 (Graviton) type: t4g, m6g, c7gn, a1, ... */
int craft_config_is_arm64(const char *instance_type);

/* The CIDR of subnet number index of the carved layout (public i = i,
 * private i = 8 + i): vpc prefix + 4 bits. */
craft_code craft_config_subnet_cidr(char *out, size_t outsz, const char *vpc_cidr, int index);

/* The edit distance used for "did you mean" suggestions. */
int craft_config_distance(const char *a, const char *b);

#endif
