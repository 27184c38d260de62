/* craftctl logs [SERVICE] [-f]: the current release's container logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"

const struct cli_opt cmd_logs_opts[] = {
	TARGET_OPTS,
	{ "follow", 'f', CLI_FLAG, NULL, "keep printing new log lines" },
	{ "tail", 0, CLI_VALUE, "N", "lines of history per service (100)" },
	CLI_OPT_END,
};

int cmd_logs(struct cli_ctx *ctx)
{
	struct cli_target tg;
	struct craft_err err;
	struct craft_ssh *s = NULL;
	struct craft_ssh_sink sink = { cli_ssh_passthrough, NULL };
	struct craft_deploy_kv vars[3];
	const char *tail = cli_opt_str(ctx, "tail");
	char *end = NULL;
	int status = 255, rc;
	craft_code code;

	if (ctx->argc > 1)
		return cli_usage_error("'logs' takes at most one service name");
	if (tail && (strtol(tail, &end, 10) < 0 || !end || *end || !*tail))
		return cli_usage_error("--tail must be a number of lines (got '%s')", tail);
	craft_err_init(&err);
	rc = cli_target_setup(ctx, &tg);
	if (!rc && tg.never_contacted) {
		craft_err_set(&err, CRAFT_EDEPLOY,
		              "instance %s of stack '%s' is not deployed yet (no host key pinned): "
		              "run 'craftctl deploy' first",
		              tg.inst.id, tg.stack.cfg->stack);
		rc = cli_fail(ctx, &err);
	}
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	code = craft_ssh_connect(&tg.ssh, &ctx->reporter, &s, &err);
	if (!code) {
		vars[0] =
		        (struct craft_deploy_kv){ "CRAFT_SERVICE", ctx->argc ? ctx->argv[0] : "" };
		vars[1] = (struct craft_deploy_kv){ "CRAFT_FOLLOW",
			                            cli_opt_count(ctx, "follow") ? "1" : "0" };
		vars[2] = (struct craft_deploy_kv){ "CRAFT_TAIL", tail ? tail : "100" };
		code = craft_deploy_remote_step(s, tg.ssh.user, &tg.opts, "logs", vars, 3, &sink,
		                                &status, &err);
	}
	craft_ssh_close(s);
	if (code) {
		rc = cli_fail(ctx, &err);
		cli_target_release(&tg);
		return rc;
	}
	cli_target_release(&tg);
	return status == 0 ? 0 : 1;
}
