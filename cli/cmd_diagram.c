/* craftctl diagram: the stack's network as a picture (DOT, SVG or PNG), from
 * the live stack when AWS credentials are found, else from the stack file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "cli/cli.h"
#include "config.h"
#include "diagram/compose.h"
#include "diagram/diagram.h"
#include "diagram/graphviz.h"
#include "infra/engine.h"
#include "infra/model.h"

const struct cli_opt cmd_diagram_opts[] = {
	{ "format", 0, CLI_VALUE, "FMT", "dot (default), svg or png (svg and png need graphviz)" },
	{ "output", 'o', CLI_VALUE, "FILE", "write the picture to FILE (default: stdout)" },
	{ "offline", 0, CLI_FLAG, NULL, "draw from the stack file alone; never ask AWS" },
	CLI_OPT_END,
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* 1 when the credential chain finds nothing at all (not: finds something
 * broken). */
static int no_credentials(const struct cli_ctx *ctx, const char *region)
{
	struct craft_aws_cred_opts co;
	struct craft_aws_creds cr;
	struct craft_err err;
	craft_code rc;

	memset(&co, 0, sizeof(co));
	co.profile = ctx->profile;
	co.region = region;
	co.endpoint_url = ctx->endpoint_url;
	craft_err_init(&err);
	rc = craft_aws_creds_resolve(&cr, &co, &err);
	craft_aws_creds_clear(&cr);
	return rc == CRAFT_ECRED;
}

static int write_out(const char *path, const char *data, size_t len)
{
	FILE *f = path ? fopen(path, "wb") : stdout;
	int ok;

	if (!f) {
		fprintf(stderr, "craftctl: cannot write '%s': %s\n", path, strerror(errno));
		return 1;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok &= fflush(f) == 0;
	if (path)
		ok &= fclose(f) == 0;
	if (!ok) {
		fprintf(stderr, "craftctl: cannot write '%s': %s\n", path ? path : "stdout",
		        strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * Discovers the stack into *in. Returns 0 when live, -1 to draw offline
 * (no credentials anywhere), or the exit status after printing.
 */
static int discover(struct cli_ctx *ctx, const struct craft_config *cfg,
                    struct craft_aws_client **aws, struct craft_infra **in)
{
	struct craft_aws_options ao;
	struct craft_infra_opts io;
	struct craft_err err;
	craft_code rc;

	cli_aws_options(ctx, cfg->region, &ao);
	craft_err_init(&err);
	rc = craft_aws_client_new(aws, &ao, &err);
	if (rc == CRAFT_EUSAGE && no_credentials(ctx, cfg->region))
		return -1; /* no region and no credentials: nothing AWS is set up here */
	if (rc)
		return cli_fail(ctx, &err);
	cli_infra_options(ctx, &io);
	io.no_checkip = 1; /* the picture shows the rules AWS has; no lookup needed */
	rc = craft_infra_new(in, cfg, *aws, NULL, &io, &err);
	if (!rc)
		rc = craft_infra_discover(*in, &err);
	if (rc == CRAFT_ECRED) {
		craft_infra_free(*in);
		*in = NULL;
		return -1;
	}
	if (rc) {
		craft_err_prefix(&err,
		                 "cannot discover stack '%s' (--offline draws the stack "
		                 "file alone)",
		                 cfg->stack);
		return cli_fail(ctx, &err);
	}
	return 0;
}

int cmd_diagram(struct cli_ctx *ctx)
{
	const char *format = cli_opt_str(ctx, "format");
	const char *output = cli_opt_str(ctx, "output");
	int offline = cli_opt_count(ctx, "offline") > 0;
	struct craft_config_overrides ov = { ctx->stack, ctx->region };
	struct craft_config *cfg = NULL;
	struct craft_compose *compose = NULL;
	struct craft_model *planned = NULL;
	struct craft_aws_client *aws = NULL;
	struct craft_infra *in = NULL;
	struct craft_diagram_input di;
	struct craft_buf dot = CRAFT_BUF_INIT(16u << 20);
	struct craft_buf pic = CRAFT_BUF_INIT(64u << 20);
	struct craft_err err;
	char cpath[4096], note[600];
	int status = 0;
	craft_code rc;

	if (!format)
		format = "dot";
	if (strcmp(format, "dot") != 0 && strcmp(format, "svg") != 0 && strcmp(format, "png") != 0)
		return cli_usage_error("unknown format '%s' for --format (use dot, svg or png)",
		                       format);
	if (!output && ctx->json)
		return cli_usage_error("with --json, stdout carries events: write the picture "
		                       "with -o FILE");
	if (!output && strcmp(format, "png") == 0 && isatty(1))
		return cli_usage_error("not writing a PNG to a terminal: use -o FILE");
	craft_err_init(&err);
	rc = craft_config_load(&cfg, ctx->config_path, &ov, &err);
	if (rc)
		return cli_fail(ctx, &err);

	compose = calloc(1, sizeof(*compose));
	planned = calloc(1, sizeof(*planned));
	if (!compose || !planned) {
		craft_err_set(&err, CRAFT_ENOMEM, "out of memory");
		status = cli_fail(ctx, &err);
		goto cleanup;
	}
	memset(&di, 0, sizeof(di));
	snprintf(cpath, sizeof(cpath), "%s", cfg->compose_path);
	rc = craft_compose_load(compose, cpath, &err);
	if (rc == CRAFT_ENOTFOUND) {
		craft_logf(&ctx->reporter, CRAFT_LEVEL_WARN,
		           "compose file '%s' not found: the containers are left out", cpath);
		snprintf(note, sizeof(note), "%s not found", cfg->compose_file);
		di.compose_note = note;
	} else if (rc) {
		status = cli_fail(ctx, &err);
		goto cleanup;
	} else {
		di.compose = compose;
	}

	if (!offline) {
		status = discover(ctx, cfg, &aws, &in);
		if (status > 0)
			goto cleanup;
		if (status < 0)
			craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
			           "no AWS credentials found: drawing the planned stack from '%s'",
			           cfg->path);
		status = 0;
	}
	if (in) {
		di.m = craft_infra_model(in);
		di.live = 1;
		di.region = craft_aws_client_region(aws);
	} else {
		rc = craft_model_build(planned, cfg, &err);
		if (rc) {
			status = cli_fail(ctx, &err);
			goto cleanup;
		}
		di.m = planned;
		di.region = cfg->region;
	}
	di.source = base_name(cfg->path);

	rc = craft_diagram_dot(&dot, &di, &err);
	if (!rc && strcmp(format, "dot") != 0)
		rc = craft_graphviz_render(&pic, craft_buf_str(&dot), dot.len, format, &err);
	if (rc) {
		status = cli_fail(ctx, &err);
		goto cleanup;
	}
	if (strcmp(format, "dot") == 0)
		status = write_out(output, craft_buf_str(&dot), dot.len);
	else
		status = write_out(output, pic.data, pic.len);
	if (!status && output) {
		const struct craft_field fields[] = {
			{ "file", output },
			{ "format", format },
			{ "view", di.live ? "live" : "planned" },
		};
		struct craft_event ev;

		craft_event_init(&ev, CRAFT_EV_RESULT, CRAFT_LEVEL_INFO);
		ev.message = "diagram written";
		ev.fields = fields;
		ev.nfields = 3;
		craft_report(&ctx->reporter, &ev);
	}
cleanup:
	craft_buf_release(&dot);
	craft_buf_release(&pic);
	craft_infra_free(in);
	craft_aws_client_free(aws);
	free(planned);
	free(compose);
	craft_config_free(cfg);
	return status;
}
