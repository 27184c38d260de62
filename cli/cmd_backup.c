/* craftctl backup, backups, restore: snapshots of the stack's data volume
 * (lib/infra/backup.h), and the backup a deploy takes before a release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "infra/backup.h"

const struct cli_opt cmd_backup_opts[] = {
	{ "no-wait", 0, CLI_FLAG, NULL,
	  "return once the snapshot is started (it is the volume as it is now either way)" },
	CLI_OPT_END,
};

const struct cli_opt cmd_restore_opts[] = {
	TARGET_OPTS,
	{ "health-timeout", 0, CLI_VALUE, "SECS",
	  "wait this long for healthchecks, then for HTTP 2xx (180)" },
	CLI_OPT_END,
};

/* The stack's data volume, from its instance (exit status when none). */
static int data_volume(struct cli_ctx *ctx, struct cli_stack *s, char *out, size_t outlen)
{
	struct craft_infra_instance inst;
	struct craft_err err;

	craft_err_init(&err);
	if (craft_infra_find_instance(&inst, s->cfg, s->aws, s->st, &err) != CRAFT_OK)
		return cli_fail(ctx, &err);
	if (!inst.data_volume[0]) {
		craft_err_set(&err, CRAFT_ENOTFOUND,
		              "instance %s of stack '%s' has no data volume (instance.data_volume "
		              "is false, or it is not provisioned yet: run 'craftctl provision')",
		              inst.id, s->cfg->stack);
		return cli_fail(ctx, &err);
	}
	snprintf(out, outlen, "%s", inst.data_volume);
	return 0;
}

static void report_backup(struct cli_ctx *ctx, const char *message, const struct craft_backup *b)
{
	struct craft_event ev;
	char size[16];
	struct craft_field f[6] = { { "snapshot_id", b->id },  { "volume_id", b->volume },
		                    { "state", b->state },     { "release", b->release },
		                    { "started", b->started }, { "size_gb", size } };

	snprintf(size, sizeof(size), "%d", b->size_gb);
	craft_event_init(&ev, CRAFT_EV_RESULT, CRAFT_LEVEL_INFO);
	ev.phase = "backup";
	ev.message = message;
	ev.fields = f;
	ev.nfields = 6;
	craft_report(&ctx->reporter, &ev);
}

int cmd_backup(struct cli_ctx *ctx)
{
	struct cli_stack s;
	struct craft_backup b;
	struct craft_err err;
	char vol[32], msg[300];
	int rc, deleted = 0;

	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	rc = data_volume(ctx, &s, vol, sizeof(vol));
	if (rc)
		goto done;
	craft_err_init(&err);
	if (craft_infra_backup_start(s.cfg, s.aws, vol, NULL, "manual", &b, &err) != CRAFT_OK ||
	    (cli_opt_count(ctx, "no-wait") == 0 &&
	     craft_infra_backup_wait(s.aws, &b, &ctx->reporter, cli_cancel_flag(), &err) !=
	             CRAFT_OK) ||
	    craft_infra_backups_prune(s.cfg, s.aws, s.cfg->backups_keep, &ctx->reporter, &deleted,
	                              &err) != CRAFT_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	snprintf(msg, sizeof(msg), "backup %s of %s: %s (%d GiB); %d older removed, %d kept", b.id,
	         vol, b.state, b.size_gb, deleted, s.cfg->backups_keep);
	report_backup(ctx, msg, &b);
done:
	cli_stack_close(&s);
	return rc;
}

int cmd_backups(struct cli_ctx *ctx)
{
	struct cli_stack s;
	struct craft_backup *all = calloc(CRAFT_BACKUPS_MAX, sizeof(*all));
	struct craft_err err;
	int n = 0, rc;

	if (!all)
		return cli_usage_error("out of memory");
	rc = cli_stack_open(ctx, &s);
	if (rc) {
		free(all);
		return rc;
	}
	craft_err_init(&err);
	if (craft_infra_backups(s.cfg, s.aws, all, CRAFT_BACKUPS_MAX, &n, &err) != CRAFT_OK) {
		rc = cli_fail(ctx, &err);
	} else if (ctx->json) {
		for (int i = 0; i < n; i++)
			report_backup(ctx, all[i].kind, &all[i]);
	} else {
		printf("%-24s %-22s %6s  %-10s %-15s %s\n", "SNAPSHOT", "TAKEN (UTC)", "SIZE",
		       "STATE", "KIND", "RELEASE");
		for (int i = 0; i < n; i++)
			printf("%-24s %-22.19s %4d GB  %-10s %-15s %s\n", all[i].id, all[i].started,
			       all[i].size_gb, all[i].state,
			       strcmp(all[i].kind, "backup") == 0 ? all[i].reason : all[i].kind,
			       all[i].release[0] ? all[i].release : "-");
		printf("%d snapshot%s of stack '%s' (keeping %d backups)\n", n, n == 1 ? "" : "s",
		       s.cfg->stack, s.cfg->backups_keep);
	}
	cli_stack_close(&s);
	free(all);
	return rc;
}

int cli_backup_before_release(struct cli_ctx *ctx, struct cli_target *tg)
{
	struct craft_backup b;
	struct craft_err err;
	int deleted = 0;

	if (!tg->have_stack || !tg->inst.data_volume[0] || tg->never_contacted ||
	    tg->opts.rollback || strcmp(tg->stack.cfg->deploy_backup, "off") == 0)
		return 0;
	craft_err_init(&err);
	if (craft_infra_backup_start(tg->stack.cfg, tg->stack.aws, tg->inst.data_volume, NULL,
	                             "before-release", &b, &err) != CRAFT_OK ||
	    craft_infra_backups_prune(tg->stack.cfg, tg->stack.aws, tg->stack.cfg->backups_keep,
	                              &ctx->reporter, &deleted, &err) != CRAFT_OK) {
		craft_err_prefix(&err,
		                 "the backup before the release (deploy.backup: off skips it)");
		return cli_fail(ctx, &err);
	}
	craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
	           "backup %s of data volume %s taken before the release", b.id,
	           tg->inst.data_volume);
	return 0;
}

void cli_after_release(struct cli_ctx *ctx, struct cli_target *tg)
{
	struct craft_err err;

	if (!tg->have_stack || !tg->inst.data_volume[0])
		return;
	craft_err_init(&err);
	if (craft_infra_drop_previous(tg->stack.cfg, tg->stack.aws, &ctx->reporter, &err) !=
	    CRAFT_OK)
		craft_logf(&ctx->reporter, CRAFT_LEVEL_WARN, "%s", err.msg);
}

int cmd_restore(struct cli_ctx *ctx)
{
	struct cli_target tg;
	struct cli_stack s;
	struct craft_backup snap;
	struct craft_restore r;
	struct craft_err err;
	const char *want;
	int health = 0, rc;

	if (ctx->argc != 1)
		return cli_usage_error("'restore' needs SNAPSHOT_ID or 'latest' (see 'craftctl "
		                       "backups')");
	want = ctx->argv[0];
	if (cli_parse_seconds(ctx, "health-timeout", 1, 86400, &health))
		return 2;
	/* the stack's lock first (the target never takes it), for the whole swap */
	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	rc = cli_target_setup_stack(ctx, &tg, &s, NULL);
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	craft_err_init(&err);
	if (!tg.have_stack) {
		rc = cli_usage_error("'restore' works on the stack's instance; --host names no "
		                     "data volume");
		goto done;
	}
	if (strcmp(want, "latest") == 0) {
		struct craft_backup *all = calloc(CRAFT_BACKUPS_MAX, sizeof(*all));
		int n = 0, i;

		if (!all || craft_infra_backups(tg.stack.cfg, tg.stack.aws, all, CRAFT_BACKUPS_MAX,
		                                &n, &err) != CRAFT_OK) {
			free(all);
			rc = all ? cli_fail(ctx, &err) : cli_usage_error("out of memory");
			goto done;
		}
		for (i = 0; i < n && strcmp(all[i].state, "completed") != 0; i++)
			;
		if (i == n) {
			free(all);
			craft_err_set(
			        &err, CRAFT_EUSAGE,
			        "stack '%s' has no completed backup to restore (craftctl backup "
			        "takes one)",
			        tg.stack.cfg->stack);
			rc = cli_fail(ctx, &err);
			goto done;
		}
		snap = all[i];
		free(all);
	} else if (craft_infra_backup_get(tg.stack.cfg, tg.stack.aws, want, &snap, &err) !=
	           CRAFT_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO, "restoring %s (%s, taken %s) into stack '%s'",
	           snap.id, snap.kind, snap.started, tg.stack.cfg->stack);
	if (craft_infra_restore_prepare(tg.stack.cfg, tg.stack.aws, tg.inst.id, &snap, &r,
	                                &ctx->reporter, cli_cancel_flag(), &err) != CRAFT_OK) {
		rc = cli_fail(ctx, &err);
		goto done;
	}
	tg.opts.health_timeout_s = health;
	if (!r.done) {
		/* the stack stopped and the disk released before it is swapped */
		tg.opts.data_swap = 1;
		rc = cli_deploy_run(ctx, &tg.ssh, &tg.opts);
		if (rc)
			goto done;
		if (craft_infra_restore_swap(tg.stack.cfg, tg.stack.aws, &r, &ctx->reporter,
		                             cli_cancel_flag(), &err) != CRAFT_OK) {
			rc = cli_fail(ctx, &err);
			goto done;
		}
	}
	tg.opts.data_swap = 2;
	tg.opts.data_volume = r.restored;
	rc = cli_deploy_run(ctx, &tg.ssh, &tg.opts);
done:
	cli_target_release(&tg);
	return rc;
}
