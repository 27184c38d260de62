/* craftctl up: provision, then deploy to the instance just provisioned. */
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "infra/engine.h"

const struct cli_opt cmd_up_opts[] = {
	CLI_OPT_REPLACE,
	{ "user", 0, CLI_VALUE, "U", "SSH user (default: instance.ssh_user)" },
	{ "identity", 'i', CLI_VALUE, "FILE",
	  "private key (default: instance.ssh_key, else the stack's generated key)" },
	{ "connect-timeout", 0, CLI_VALUE, "SECS",
	  "wait this long for the new instance's sshd and host keys (300)" },
	{ "health-timeout", 0, CLI_VALUE, "SECS",
	  "wait this long for healthchecks, then for HTTP 2xx (180)" },
	{ "lock-timeout", 0, CLI_VALUE, "SECS",
	  "age after which a deploy lock counts as stale (1800)" },
	{ "force-unlock", 0, CLI_FLAG, NULL, "break a deploy lock older than --lock-timeout" },
	CLI_OPT_END,
};

int cmd_up(struct cli_ctx *ctx)
{
	struct craft_infra_outputs out;
	struct cli_target tg;
	struct craft_field extra[3];
	int health = 0, lock = 0;
	int rc;

	if (cli_parse_seconds(ctx, "health-timeout", 1, 86400, &health) ||
	    cli_parse_seconds(ctx, "lock-timeout", 1, 86400 * 30, &lock))
		return 2;
	/* The stack lock guards AWS changes and is released before the deploy,
	 * which has the host's own lock. */
	rc = cli_stack_provision(ctx, &out, 0);
	if (rc)
		return rc;

	rc = cli_target_setup(ctx, &tg);
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	tg.opts.force_unlock = cli_opt_count(ctx, "force-unlock") > 0;
	tg.opts.health_timeout_s = health;
	tg.opts.lock_timeout_s = lock;
	extra[0] = (struct craft_field){ "instance_id", out.instance_id };
	extra[1] = (struct craft_field){ "public_ip", out.address };
	extra[2] = (struct craft_field){ "ssh", out.ssh };
	rc = cli_backup_before_release(ctx, &tg);
	if (!rc)
		rc = cli_deploy_run_ex(ctx, &tg.ssh, &tg.opts, extra, 3);
	if (!rc)
		cli_after_release(ctx, &tg);
	cli_target_release(&tg);
	return rc;
}
