/*
 * target — what `deploy`, `ssh` and `logs` share: the SSH target and the
 * deploy options, filled from the command line and the stack file.
 *
 * cli_target_setup fills a cli_target (which owns every string in it);
 * cli_target_release frees them. cli_deploy_run runs a deploy for any
 * target and prints the result (`up` calls it after provisioning).
 */
#ifndef CRAFT_CLI_TARGET_H
#define CRAFT_CLI_TARGET_H

#include "cli/cli.h"
#include "config.h"
#include "deploy/deploy.h"
#include "infra/engine.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

#define CLI_TARGET_MAX 64

/* The options of every command with an SSH target. */
#define TARGET_OPTS                                                                               \
	{ "host", 0, CLI_VALUE, "H", "deploy to this SSH host instead of the stack's instance" }, \
	        { "port", 0, CLI_VALUE, "N", "SSH port (default: instance.ssh_port, 22)" },       \
	        { "user", 0, CLI_VALUE, "U", "SSH user (default: instance.ssh_user, ubuntu)" },   \
	        { "identity", 'i', CLI_VALUE, "FILE",                                             \
		  "private key (default: instance.ssh_key, else ssh-agent, ~/.ssh/id_*)" },       \
	        { "host-key", 0, CLI_LIST, "SHA256:FP",                                           \
		  "accept only this host key fingerprint (repeatable)" },                         \
	        { "accept-new-host-key", 0, CLI_FLAG, NULL,                                       \
		  "trust and record an unknown host's key in known_hosts" },                      \
	        { "known-hosts", 0, CLI_VALUE, "FILE",                                            \
		  "known_hosts file (default ~/.ssh/known_hosts)" },                              \
	{                                                                                         \
		"connect-timeout", 0, CLI_VALUE, "SECS",                                          \
		        "keep retrying the connection this long (120; 300 for the stack's "       \
		        "instance)"                                                               \
	}

struct cli_target {
	struct craft_ssh_target ssh;
	struct craft_deploy_opts opts;
	struct craft_ssh_fpset expected;
	char *host, *user, *identity, *passphrase, *compose_file;
	struct craft_deploy_kv kv[CLI_TARGET_MAX];
	struct craft_config *cfg; /* --host: the stack file */
	/* No --host: the stack (config, AWS client, state) and its instance. */
	struct cli_stack stack;
	int have_stack;
	struct craft_infra_instance inst;
	int pin_needed;
	int never_contacted; /* no host key pinned anywhere: never deployed to */
	const struct craft_reporter *reporter;
};

/* Fills tg from the options and the stack file; with --host the stack
 * file alone, else the stack's instance found in AWS (its pinned host key,
 * or on first contact the keys its console shows, pinned once seen). What
 * the command's row declares applies: CLI_CMD_KEY generates the stack's
 * key; CLI_CMD_READONLY (status, logs) makes no first contact, generates
 * no key and pins nothing, and for an instance with no pinned key returns
 * 0 at once with never_contacted set and the rest of tg unfilled.
 * Returns 0 or the exit status after printing why. Release tg either way. */
int cli_target_setup(struct cli_ctx *ctx, struct cli_target *tg);
/* The same for the stack s the caller has open (tg takes it over, s is
 * left empty) and its instance as already discovered (inst may be NULL):
 * no second parse of the stack file, credential chain or lookup. */
int cli_target_setup_stack(struct cli_ctx *ctx, struct cli_target *tg, struct cli_stack *s,
                           const struct craft_infra_instance *inst);
void cli_target_release(struct cli_target *tg);

/* deploy.backup: before_release, for a stack's instance that has a data
 * volume and a release: a snapshot first, then retention (cmd_backup.c).
 * 0 or the exit status after printing why. */
int cli_backup_before_release(struct cli_ctx *ctx, struct cli_target *tg);
/* After a successful deploy: the volume a restore replaced is deleted. */
void cli_after_release(struct cli_ctx *ctx, struct cli_target *tg);
int cli_deploy_run(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                   const struct craft_deploy_opts *o);
/* The same, with extra fields for the result event (`up`: instance_id, ...). */
int cli_deploy_run_ex(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                      const struct craft_deploy_opts *o, const struct craft_field *extra,
                      int nextra);
/* A craft_ssh_sink callback for `ssh` and `logs`: the remote command's
 * stdout and stderr go to ours, unbuffered, as they arrive. */
void cli_ssh_passthrough(void *ud, int is_stderr, const char *data, size_t len);
/* An option in seconds, lo..hi: 0 (unset leaves *out), or 2 after a usage error. */
int cli_parse_seconds(struct cli_ctx *ctx, const char *name, int lo, int hi, int *out);

#endif
