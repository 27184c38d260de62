/* craftctl deploy: ship the stack to an SSH host and health-gate it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "deploy/deploy.h"

const struct cli_opt cmd_deploy_opts[] = {
	TARGET_OPTS,
	{ "rollback", 0, CLI_FLAG, NULL, "re-activate the release before the current one" },
	{ "force-unlock", 0, CLI_FLAG, NULL,
	  "break a deploy lock older than --lock-timeout (a crashed deploy)" },
	{ "health-timeout", 0, CLI_VALUE, "SECS",
	  "wait this long for healthchecks, then for HTTP 2xx (180)" },
	{ "lock-timeout", 0, CLI_VALUE, "SECS", "age after which a lock counts as stale (1800)" },
	CLI_OPT_END,
};

int cli_deploy_run(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                   const struct craft_deploy_opts *o)
{
	return cli_deploy_run_ex(ctx, t, o, NULL, 0);
}

/* "http://host:port/health" -> "http://host:port/". */
static void site_url(char *out, size_t outlen, const char *health_url)
{
	const char *host = strstr(health_url, "://");
	const char *path = host ? strchr(host + 3, '/') : NULL;
	int n = path ? (int)(path - health_url) : (int)strlen(health_url);

	snprintf(out, outlen, "%.*s/", n, health_url);
}

int cli_deploy_run_ex(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                      const struct craft_deploy_opts *o, const struct craft_field *extra,
                      int nextra)
{
	struct craft_deploy_result res;
	struct craft_err err;
	struct craft_field fields[CRAFT_DEPLOY_MAX_STEPS + 16];
	char names[CRAFT_DEPLOY_MAX_STEPS][40], vals[CRAFT_DEPLOY_MAX_STEPS][24];
	char total[24], summary[1024], site[512];
	struct craft_event ev;
	int nf = 0;
	craft_code rc;

	craft_err_init(&err);
	rc = craft_deploy_run(t, o, &ctx->reporter, &res, &err);
	if (res.nsteps) {
		struct craft_buf line = CRAFT_BUF_INIT(4096);

		for (int i = 0; i < res.nsteps; i++)
			(void)craft_buf_printf(&line, "%s%s %.1fs", i ? ", " : "",
			                       res.steps[i].name, (double)res.steps[i].ms / 1000.0);
		craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO, "step times: %s",
		           craft_buf_str(&line));
		craft_buf_release(&line);
	}
	if (rc)
		return cli_fail(ctx, &err);
	if (o->data_swap == 1)
		return 0; /* the first half of a restore: its command reports */
	snprintf(total, sizeof(total), "%lld", res.total_ms);
	fields[nf++] = (struct craft_field){ "release", res.release };
	fields[nf++] = (struct craft_field){ "previous", res.previous };
	/* url is where people go (the site's root); health_url what was checked. */
	site_url(site, sizeof(site), res.url);
	fields[nf++] = (struct craft_field){ "url", site };
	fields[nf++] = (struct craft_field){ "health_url", res.url };
	fields[nf++] = (struct craft_field){ "elapsed_ms", total };
	for (int i = 0; i < nextra && i < 8; i++)
		fields[nf++] = extra[i];
	for (int i = 0; i < res.nsteps; i++) {
		snprintf(names[i], sizeof(names[i]), "step_%s_ms", res.steps[i].name);
		snprintf(vals[i], sizeof(vals[i]), "%lld", res.steps[i].ms);
		fields[nf++] = (struct craft_field){ names[i], vals[i] };
	}
	snprintf(summary, sizeof(summary), "%s complete: release %s serving at %s in %.1fs",
	         o->data_swap  ? "restore"
	         : o->rollback ? "rollback"
	                       : "deploy",
	         res.release, res.url, (double)res.total_ms / 1000.0);
	craft_event_init(&ev, CRAFT_EV_RESULT, CRAFT_LEVEL_INFO);
	ev.phase = "deploy";
	ev.message = summary;
	ev.elapsed_ms = res.total_ms;
	ev.fields = fields;
	ev.nfields = ctx->json ? nf : 4;
	craft_report(&ctx->reporter, &ev);
	return 0;
}

int cmd_deploy(struct cli_ctx *ctx)
{
	struct cli_target tg;
	int health = 0, lock = 0;
	int rc;

	if (cli_parse_seconds(ctx, "health-timeout", 1, 86400, &health) ||
	    cli_parse_seconds(ctx, "lock-timeout", 1, 86400 * 30, &lock))
		return 2;
	rc = cli_target_setup(ctx, &tg);
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	tg.opts.rollback = cli_opt_count(ctx, "rollback") > 0;
	tg.opts.force_unlock = cli_opt_count(ctx, "force-unlock") > 0;
	tg.opts.health_timeout_s = health;
	tg.opts.lock_timeout_s = lock;
	rc = cli_backup_before_release(ctx, &tg);
	if (!rc)
		rc = cli_deploy_run(ctx, &tg.ssh, &tg.opts);
	if (!rc && !tg.opts.rollback)
		cli_after_release(ctx, &tg);
	cli_target_release(&tg);
	return rc;
}
