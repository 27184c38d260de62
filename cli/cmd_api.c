/* craftctl api SERVICE ACTION [Key=Value...]: one signed AWS Query API
 * call; prints the response body. The escape hatch and debugging tool. */
#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/endpoint.h"
#include "cli/cli.h"

struct api_out {
	craft_code code;
	struct craft_err err;
};

static void on_done(void *ud, const struct craft_aws_result *res)
{
	struct api_out *o = ud;

	o->code = res->code;
	o->err = res->err;
	if (res->code == CRAFT_OK) {
		fwrite(res->body, 1, res->body_len, stdout);
		if (res->body_len && res->body[res->body_len - 1] != '\n')
			fputc('\n', stdout);
	}
}

int cmd_api(struct cli_ctx *ctx)
{
	struct craft_aws_options opts;
	struct craft_aws_client *client = NULL;
	struct craft_query q;
	struct craft_err err;
	struct api_out out;
	craft_code rc;
	int status;

	if (ctx->argc < 2)
		return cli_usage_error("'api' needs SERVICE and ACTION (e.g. 'craftctl api ec2 "
		                       "DescribeVpcs')");
	if (!craft_aws_service_find(ctx->argv[0])) {
		char known[256] = "";
		size_t len = 0;

		for (const struct craft_aws_service *s = craft_aws_services; s->name; s++) {
			int n = snprintf(known + len, sizeof(known) - len, "%s%s", len ? ", " : "",
			                 s->name);

			if (n < 0 || (size_t)n >= sizeof(known) - len)
				break;
			len += (size_t)n;
		}
		return cli_usage_error("unknown service '%s' (known: %s)", ctx->argv[0], known);
	}
	craft_query_init(&q);
	for (int i = 2; i < ctx->argc; i++) {
		const char *eq = strchr(ctx->argv[i], '=');
		char key[512];

		if (!eq || eq == ctx->argv[i] || (size_t)(eq - ctx->argv[i]) >= sizeof(key)) {
			craft_query_release(&q);
			return cli_usage_error("expected Key=Value, got '%s'", ctx->argv[i]);
		}
		memcpy(key, ctx->argv[i], (size_t)(eq - ctx->argv[i]));
		key[eq - ctx->argv[i]] = '\0';
		if (craft_query_add(&q, key, eq + 1) != CRAFT_OK) {
			craft_query_release(&q);
			craft_err_set(&err, CRAFT_ENOMEM, "out of memory");
			return cli_fail(ctx, &err);
		}
	}

	cli_aws_options(ctx, ctx->region, &opts);
	craft_err_init(&err);
	rc = craft_aws_client_new(&client, &opts, &err);
	if (rc == CRAFT_OK) {
		memset(&out, 0, sizeof(out));
		out.code = CRAFT_EINTERNAL;
		rc = craft_aws_submit(client, ctx->argv[0], ctx->argv[1], &q, on_done, &out);
		if (rc != CRAFT_OK)
			craft_err_set(&err, rc, "cannot call %s %s", ctx->argv[0], ctx->argv[1]);
		else
			rc = craft_aws_run(client, &err);
		if (rc == CRAFT_OK) {
			rc = out.code;
			err = out.err;
		}
	}
	craft_query_release(&q);
	craft_aws_client_free(client);
	if (rc == CRAFT_OK)
		return 0;
	if (rc == CRAFT_EAWS && err.request_id[0]) {
		size_t len = strlen(err.msg);

		snprintf(err.msg + len, sizeof(err.msg) - len, " (request id %s)", err.request_id);
	}
	err.code = rc;
	status = cli_fail(ctx, &err);
	return status;
}
