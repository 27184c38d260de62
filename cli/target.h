/*
 * target — what `deploy`, `ssh` and `logs` share: the SSH target and the
 * deploy options, filled from the command line and the stack file.
 *
 * cli_target_setup fills a cli_target (which owns every string in it);
 * cli_target_release frees them. cli_deploy_run runs a deploy for any
 * target and prints the result: the engine's `deploy`/`up` for a
 * provisioned instance calls it with its own verified target.
 */
#ifndef CRAFT_CLI_TARGET_H
#define CRAFT_CLI_TARGET_H

#include "cli/cli.h"
#include "deploy/deploy.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

#define CLI_TARGET_MAX 64

struct cli_target_kv {
	char *key;
	char *value;
};

struct cli_target {
	struct craft_ssh_target ssh;
	struct craft_deploy_opts opts;
	struct craft_ssh_fpset expected;
	char *host, *user, *identity, *passphrase, *stack, *compose_file, *health_path;
	int port_set;
	struct cli_target_kv env[CLI_TARGET_MAX];
	struct craft_deploy_kv kv[CLI_TARGET_MAX];
	int nenv;
	char *secrets[CLI_TARGET_MAX];
	int nsecrets;
};

int cli_target_setup(struct cli_ctx *ctx, struct cli_target *tg, struct craft_err *err);
void cli_target_release(struct cli_target *tg);

int cli_deploy_run(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                   const struct craft_deploy_opts *o);

#endif
