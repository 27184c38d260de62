/* The setup every stack command shares: the stack file (exit 2 before any
 * AWS call), the AWS client, the state cache and, for commands that change
 * things, the stack's lock (exit 3 naming the holder). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "cli/cli.h"
#include "config.h"
#include "infra/engine.h"
#include "state.h"

void cli_aws_options(struct cli_ctx *ctx, const char *region, struct craft_aws_options *o)
{
	memset(o, 0, sizeof(*o));
	o->region = region;
	o->profile = ctx->profile;
	o->endpoint_url = ctx->endpoint_url;
	o->reporter = &ctx->reporter;
	o->verbose = ctx->verbose;
}

void cli_infra_options(struct cli_ctx *ctx, struct craft_infra_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->reporter = &ctx->reporter;
	o->cancel = cli_cancel_flag();
}

int cli_stack_open(struct cli_ctx *ctx, struct cli_stack *s)
{
	return cli_stack_open_as(ctx, s, ctx->cmd ? ctx->cmd->flags : 0);
}

int cli_stack_open_as(struct cli_ctx *ctx, struct cli_stack *s, unsigned flags)
{
	struct craft_config_overrides ov = { ctx->stack, ctx->region };
	struct craft_aws_options opts;
	struct craft_err err;
	craft_code rc;
	int discarded = 0;

	memset(s, 0, sizeof(*s));
	craft_err_init(&err);
	rc = craft_config_load(&s->cfg, ctx->config_path, &ov, &err);
	if (rc)
		return cli_fail(ctx, &err);
	if ((flags & CLI_CMD_KEY) && !(flags & CLI_CMD_READONLY)) {
		int created = 0;

		rc = craft_config_ensure_key(s->cfg, &created, &err);
		if (rc)
			goto fail;
		if (created)
			craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
			           "generated an ed25519 key for stack '%s': %s", s->cfg->stack,
			           s->cfg->ssh_key);
	}
	if (flags & CLI_CMD_LOCK) {
		rc = craft_state_lock(&s->lock, s->cfg->stack, ctx->cmd ? ctx->cmd->name : "?",
		                      &err);
		if (rc)
			goto fail;
	}
	rc = craft_state_load(&s->st, s->cfg->stack, &discarded, &err);
	if (rc)
		goto fail;
	if (discarded)
		craft_logf(&ctx->reporter, CRAFT_LEVEL_WARN,
		           "the state cache of '%s' was unreadable and is ignored (AWS is asked "
		           "instead)",
		           s->cfg->stack);
	cli_aws_options(ctx, s->cfg->region, &opts);
	rc = craft_aws_client_new(&s->aws, &opts, &err);
	if (rc)
		goto fail;
	cli_cancel_arm();
	return 0;
fail:
	cli_stack_close(s);
	return cli_fail(ctx, &err);
}

void cli_stack_close(struct cli_stack *s)
{
	craft_aws_client_free(s->aws);
	craft_state_free(s->st);
	craft_state_unlock(s->lock);
	craft_config_free(s->cfg);
	memset(s, 0, sizeof(*s));
}

void cli_step_summary(struct cli_ctx *ctx, const char *fmt, ...)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	va_list ap;
	FILE *f;

	if (!ctx->github || !path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}
