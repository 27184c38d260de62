/* craftctl status: every resource with its id and state, the address, the
 * URL, and drift from the stack file; then, for a running instance, the
 * release it serves and the answer of its health check. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "core/buf.h"
#include "deploy/health.h"
#include "infra/engine.h"

static void collect(void *ud, int is_stderr, const char *data, size_t len)
{
	if (!is_stderr)
		(void)craft_buf_add(ud, data, len);
}

/* The current release over SSH, only where a host key is already pinned:
 * status never makes first contact (that is deploy's job). */
static void current_release(struct cli_ctx *ctx, struct cli_stack *stack,
                            const struct craft_infra_instance *inst, char *out, size_t outlen)
{
	struct cli_target tg;
	struct craft_err err;
	struct craft_ssh *s = NULL;
	struct craft_buf buf = CRAFT_BUF_INIT(4096);
	struct craft_ssh_sink sink = { collect, &buf };
	struct craft_reporter quiet = { NULL, NULL };
	const char *line;
	int status = 255;

	snprintf(out, outlen, "unknown");
	craft_err_init(&err);
	if (cli_target_setup_stack(ctx, &tg, stack, inst) != 0)
		goto done;
	if (tg.never_contacted) {
		snprintf(out, outlen, "not deployed yet (no host key pinned)");
		goto done;
	}
	tg.ssh.connect_timeout_s = 15;
	if (craft_ssh_connect(&tg.ssh, &quiet, &s, &err) == CRAFT_OK &&
	    craft_deploy_remote_step(s, tg.ssh.user, &tg.opts, "current", NULL, 0, &sink, &status,
	                             &err) == CRAFT_OK &&
	    status == 0 && (line = strstr(craft_buf_str(&buf), "CURRENT ")) != NULL) {
		line += strlen("CURRENT ");
		snprintf(out, outlen, "%.*s", (int)strcspn(line, "\r\n"), line);
		if (!*out)
			snprintf(out, outlen, "none (nothing deployed yet)");
	} else {
		snprintf(out, outlen, "unknown (%.200s)", err.msg[0] ? err.msg : "ssh failed");
	}
	craft_ssh_close(s);
done:
	cli_target_release(&tg);
	cli_stack_close(stack); /* when setup failed before taking it over */
	craft_buf_release(&buf);
}

static void health(const char *url, char *out, size_t outlen)
{
	struct craft_err err;
	long code = 0;

	craft_err_init(&err);
	if (craft_health_get(url, 5000, &code, NULL, 0, &err) == CRAFT_OK)
		snprintf(out, outlen, "%ld%s", code,
		         code >= 200 && code < 300 ? " ok" : " failing");
	else
		snprintf(out, outlen, "unreachable (%.400s)", err.msg);
}

int cmd_status(struct cli_ctx *ctx)
{
	struct cli_stack s;
	struct craft_infra *in = NULL;
	struct craft_infra_opts o;
	struct craft_infra_outputs out;
	struct craft_infra_instance inst;
	struct craft_err err;
	char health_url[512] = "", release[256], answer[600], msg[1500];
	struct craft_field fields[3];
	struct craft_event ev;
	int drift = 0;
	int rc;

	rc = cli_stack_open(ctx, &s);
	if (rc)
		return rc;
	cli_infra_options(ctx, &o);
	memset(&out, 0, sizeof(out));
	craft_err_init(&err);
	if (craft_infra_new(&in, s.cfg, s.aws, s.st, &o, &err) == CRAFT_OK &&
	    craft_infra_status(in, &drift, &out, &err) == CRAFT_OK)
		rc = 0;
	else
		rc = cli_fail(ctx, &err);
	if (!rc && out.address[0] && strcmp(out.state, "running") == 0 &&
	    craft_infra_instance_known(in, &inst, &err) == CRAFT_OK)
		snprintf(health_url, sizeof(health_url), "http://%s:%d%s", out.address,
		         s.cfg->http_port, s.cfg->health_path);
	craft_infra_free(in);
	if (rc || !health_url[0]) {
		cli_stack_close(&s);
		return rc;
	}

	/* the stack and the instance as discovered: no second lookup */
	current_release(ctx, &s, &inst, release, sizeof(release));
	health(health_url, answer, sizeof(answer));
	fields[0] = (struct craft_field){ "release", release };
	fields[1] = (struct craft_field){ "health", answer };
	fields[2] = (struct craft_field){ "health_url", health_url };
	/* A log event with fields, so --json's final result stays the one with
	 * the stack's outputs. */
	snprintf(msg, sizeof(msg), "  %-14s %s\n  %-14s %s (%s)", "release", release, "health",
	         answer, health_url);
	craft_event_init(&ev, CRAFT_EV_LOG, CRAFT_LEVEL_INFO);
	ev.message = msg;
	ev.fields = fields;
	ev.nfields = 3;
	craft_report(&ctx->reporter, &ev);
	return 0;
}
