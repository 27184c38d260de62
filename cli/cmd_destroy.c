/* craftctl destroy: delete everything tagged with the stack, in reverse
 * dependency order. Asks first unless --yes; with no terminal to ask on,
 * refuses (exit 2) before any AWS call. A second destroy is a no-op. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "infra/backup.h"
#include "infra/engine.h"

const struct cli_opt cmd_destroy_opts[] = {
	{ "skip-final-snapshot", 0, CLI_FLAG, NULL,
	  "delete the data volume without taking its final snapshot first (its data is lost)" },
	{ "delete-backups", 0, CLI_FLAG, NULL,
	  "also delete the stack's backups (the final snapshot stays unless "
	  "--skip-final-snapshot)" },
	CLI_OPT_END,
};

struct ask {
	const char *stack;
};

static int ask_confirm(void *ud, int count)
{
	const struct ask *a = ud;
	char line[64];

	fprintf(stderr, "destroy %d resource%s of stack '%s'? type 'yes' to confirm: ", count,
	        count == 1 ? "" : "s", a->stack);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

int cmd_destroy(struct cli_ctx *ctx)
{
	struct cli_stack s;
	struct craft_infra *in = NULL;
	struct craft_infra_opts o;
	struct craft_err err;
	struct ask a;
	int deleted = 0;
	int rc;

	if (!ctx->yes && !(isatty(0) && isatty(2))) {
		craft_err_init(&err);
		craft_err_set(&err, CRAFT_EUSAGE,
		              "destroy needs confirmation: run it in a terminal, or pass --yes");
		return cli_fail(ctx, &err);
	}
	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	cli_infra_options(ctx, &o);
	o.skip_final_snapshot = cli_opt_count(ctx, "skip-final-snapshot") > 0;
	a.stack = s.cfg->stack;
	craft_err_init(&err);
	if (craft_infra_new(&in, s.cfg, s.aws, s.st, &o, &err) == CRAFT_OK &&
	    craft_infra_destroy(in, ctx->yes ? NULL : ask_confirm, &a, &deleted, &err) ==
	            CRAFT_OK) {
		rc = 0;
		cli_step_summary(ctx, "### craftctl destroy: %s\n\n%d resource%s deleted\n\n",
		                 s.cfg->stack, deleted, deleted == 1 ? "" : "s");
		if (deleted && s.cfg->ssh_key_generated &&
		    craft_config_remove_generated_key(s.cfg->stack, &err) != CRAFT_OK)
			craft_logf(&ctx->reporter, CRAFT_LEVEL_WARN, "%s", err.msg);
		if (cli_opt_count(ctx, "delete-backups") > 0) {
			int gone = 0;

			craft_err_init(&err);
			if (craft_infra_backups_prune(s.cfg, s.aws, 0, &ctx->reporter, &gone,
			                              &err) != CRAFT_OK)
				rc = cli_fail(ctx, &err);
			else
				craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
				           "deleted %d backup%s of stack '%s'", gone,
				           gone == 1 ? "" : "s", s.cfg->stack);
		}
	} else {
		rc = cli_fail(ctx, &err);
	}
	craft_infra_free(in);
	cli_stack_close(&s);
	return rc;
}
