/* craftctl: parse the command line, set up output, run one command. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/env.h"

static void resolve_globals(struct cli_ctx *ctx)
{
	ctx->config_path = cli_opt_str(ctx, "config");
	if (!ctx->config_path)
		ctx->config_path = "craftctl.yaml";
	ctx->stack = cli_opt_str(ctx, "stack");
	ctx->region = cli_opt_str(ctx, "region");
	ctx->profile = cli_opt_str(ctx, "profile");
	ctx->endpoint_url = cli_opt_str(ctx, "endpoint-url");
	ctx->json = cli_opt_count(ctx, "json") > 0;
	ctx->verbose = cli_opt_count(ctx, "verbose");
	ctx->yes = cli_opt_count(ctx, "yes") > 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx;
	int done = 0;
	int rc;

	/* A dead peer must be an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	memset(&ctx, 0, sizeof(ctx));
	ctx.start_ms = craft_now_ms();
	rc = cli_parse(&ctx, argc, argv, &done);
	if (rc || done) {
		free(ctx.argv);
		return rc;
	}
	resolve_globals(&ctx);
	cli_output_init(&ctx);
	rc = ctx.cmd->fn(&ctx);
	fflush(stdout);
	free(ctx.argv);
	return rc;
}
