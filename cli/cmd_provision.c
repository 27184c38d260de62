/* craftctl provision: create or converge the stack's infrastructure. */
#include <string.h>

#include "cli/cli.h"
#include "infra/engine.h"

const struct cli_opt cmd_provision_opts[] = {
	CLI_OPT_REPLACE,
	CLI_OPT_END,
};

int cli_stack_provision(struct cli_ctx *ctx, struct craft_infra_outputs *out, int summary)
{
	struct cli_stack s;
	struct craft_infra *in = NULL;
	struct craft_infra_opts o;
	struct craft_err err;
	int rc;

	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	cli_infra_options(ctx, &o);
	o.replace = cli_opt_count(ctx, "replace") > 0;
	craft_err_init(&err);
	if (craft_infra_new(&in, s.cfg, s.aws, s.st, &o, &err) == CRAFT_OK &&
	    craft_infra_provision(in, out, &err) == CRAFT_OK) {
		rc = 0;
		if (summary)
			cli_step_summary(
			        ctx,
			        "### craftctl provision: %s\n\n| output | value |\n|---|---|\n"
			        "| instance | `%s` |\n| address | `%s` |\n| ssh | `%s` |\n"
			        "| url | %s |\n\n",
			        s.cfg->stack, out->instance_id, out->address, out->ssh, out->url);
	} else {
		rc = cli_fail(ctx, &err);
		if (summary)
			cli_step_summary(ctx,
			                 "### craftctl provision: %s failed\n\n```\n%s\n```\n\n",
			                 s.cfg->stack, err.msg);
	}
	craft_infra_free(in);
	cli_stack_close(&s);
	return rc;
}

int cmd_provision(struct cli_ctx *ctx)
{
	struct craft_infra_outputs out;

	return cli_stack_provision(ctx, &out, 1);
}
