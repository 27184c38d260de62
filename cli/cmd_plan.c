/* craftctl plan: what provision would create, update, replace or delete.
 * Changes nothing. */
#include <string.h>

#include "cli/cli.h"
#include "infra/engine.h"

int cmd_plan(struct cli_ctx *ctx)
{
	struct cli_stack s;
	struct craft_infra *in = NULL;
	struct craft_infra_opts o;
	struct craft_err err;
	int changes = 0;
	int rc;

	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	cli_infra_options(ctx, &o);
	craft_err_init(&err);
	if (craft_infra_new(&in, s.cfg, s.aws, s.st, &o, &err) == CRAFT_OK &&
	    craft_infra_plan(in, &changes, &err) == CRAFT_OK) {
		rc = 0;
		cli_step_summary(ctx, "### craftctl plan: %s\n\n%d resource%s to change\n\n",
		                 s.cfg->stack, changes, changes == 1 ? "" : "s");
	} else
		rc = cli_fail(ctx, &err);
	craft_infra_free(in);
	cli_stack_close(&s);
	return rc;
}
