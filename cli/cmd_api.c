/* craftctl api SERVICE ACTION [Key=Value... | --body FILE|-]: one signed
 * AWS API call of any service craftctl speaks; prints the response body as
 * it came (XML or JSON). Query input is Key=Value in AWS's flattened form,
 * JSON input is sent as given, REST input is placed by the model's
 * serializer (lib/aws/request.h). The escape hatch and debugging tool. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/endpoint.h"
#include "cli/cli.h"

const struct cli_opt cmd_api_opts[] = {
	{ "body", 0, CLI_VALUE, "FILE",
	  "JSON and REST services: the request's input as JSON, from FILE or - (stdin)" },
	CLI_OPT_END,
};

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

static int unknown_service(const char *name)
{
	char known[512] = "";
	size_t len = 0;

	for (const struct craft_aws_model *const *m = craft_aws_models; *m; m++) {
		int n = snprintf(known + len, sizeof(known) - len, "%s%s", len ? ", " : "",
		                 (*m)->name);

		if (n < 0 || (size_t)n >= sizeof(known) - len)
			break;
		len += (size_t)n;
	}
	return cli_usage_error("unknown service '%s' (known: %s)", name, known);
}

/* EC2's model lists only the operations craftctl selects, so EC2 alone
 * leaves an unknown action to the service's own InvalidAction. */
static int unknown_action(const struct craft_aws_model *s, const char *action)
{
	struct craft_buf known = CRAFT_BUF_INIT(64 * 1024);
	int status;

	for (size_t i = 0; i < s->nops; i++)
		if (craft_buf_printf(&known, "%s%s", i ? ", " : "", s->ops[i].name) != CRAFT_OK)
			break;
	status = cli_usage_error("unknown %s action '%s' (known: %s)", s->name, action,
	                         craft_buf_str(&known));
	craft_buf_release(&known);
	return status;
}

static int is_query(const struct craft_aws_model *s)
{
	return s->protocol == CRAFT_AWS_PROTO_EC2 || s->protocol == CRAFT_AWS_PROTO_QUERY;
}

/* Key=Value arguments into q (Query services). */
static int query_params(struct cli_ctx *ctx, struct craft_query *q)
{
	for (int i = 2; i < ctx->argc; i++) {
		const char *eq = strchr(ctx->argv[i], '=');
		char key[512];

		if (!eq || eq == ctx->argv[i] || (size_t)(eq - ctx->argv[i]) >= sizeof(key))
			return cli_usage_error("expected Key=Value, got '%s'", ctx->argv[i]);
		memcpy(key, ctx->argv[i], (size_t)(eq - ctx->argv[i]));
		key[eq - ctx->argv[i]] = '\0';
		if (craft_query_add(q, key, eq + 1) != CRAFT_OK) {
			struct craft_err err;

			craft_err_set(&err, CRAFT_ENOMEM, "out of memory");
			return cli_fail(ctx, &err);
		}
	}
	return 0;
}

/* --body into b: a JSON object, from a file or stdin. */
static int json_body(struct cli_ctx *ctx, const struct craft_aws_model *s, struct craft_buf *b)
{
	const char *path = cli_opt_str(ctx, "body");
	struct craft_err err;
	cJSON *j;

	if (ctx->argc > 2)
		return cli_usage_error("%s takes its input as JSON (--body FILE|-), not '%s'",
		                       s->name, ctx->argv[2]);
	if (!path)
		return craft_buf_addstr(b, "{}") == CRAFT_OK ? 0 : -1;
	craft_err_init(&err);
	if (craft_buf_read_file(b, strcmp(path, "-") == 0 ? "/dev/stdin" : path, &err) !=
	    CRAFT_OK) {
		craft_err_prefix(&err, "--body");
		craft_err_recode(&err, CRAFT_EUSAGE); /* the command line named it */
		return cli_fail(ctx, &err);
	}
	j = cJSON_ParseWithLength(b->data ? b->data : "", b->len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return cli_usage_error("--body '%s': expected a JSON object", path);
	}
	cJSON_Delete(j);
	return 0;
}

/* REST services: the members placed by the model (URI, query string,
 * headers, body), checked against it first (a bad one is a usage error
 * naming its path). */
static int rest_request(struct cli_ctx *ctx, const struct craft_aws_model *s,
                        const struct craft_buf *body, struct craft_aws_http_req *req)
{
	cJSON *params = cJSON_ParseWithLength(craft_buf_str(body), body->len);
	struct craft_err err;
	craft_code rc;

	craft_err_init(&err);
	rc = craft_aws_serialize(s, craft_aws_model_op(s, ctx->argv[1]), params, NULL, req, &err);
	cJSON_Delete(params);
	if (rc == CRAFT_OK)
		return 0;
	return cli_fail(ctx, &err); /* the message names the operation and the member */
}

/* Queues the call for s on client. */
static craft_code submit(struct cli_ctx *ctx, struct craft_aws_client *client,
                         const struct craft_aws_model *s, const struct craft_query *q,
                         const struct craft_buf *body, const struct craft_aws_http_req *req,
                         struct api_out *out)
{
	if (is_query(s))
		return craft_aws_submit(client, s->name, ctx->argv[1], q, on_done, out);
	if (s->protocol == CRAFT_AWS_PROTO_JSON)
		return craft_aws_submit_json(client, s->name, ctx->argv[1], craft_buf_str(body),
		                             body->len, on_done, out);
	return craft_aws_submit_http(client, s->name, ctx->argv[1], req, on_done, out);
}

int cmd_api(struct cli_ctx *ctx)
{
	const struct craft_aws_model *s;
	struct craft_aws_options opts;
	struct craft_aws_client *client = NULL;
	struct craft_buf body = CRAFT_BUF_INIT(8u << 20);
	struct craft_aws_http_req req;
	struct craft_query q;
	struct craft_err err;
	struct api_out out;
	craft_code rc;
	int status;

	if (ctx->argc < 2)
		return cli_usage_error("'api' needs SERVICE and ACTION (e.g. 'craftctl api ec2 "
		                       "DescribeVpcs')");
	s = craft_aws_model_find(ctx->argv[0]);
	if (!s)
		return unknown_service(ctx->argv[0]);
	if (s->protocol != CRAFT_AWS_PROTO_EC2 && !craft_aws_model_op(s, ctx->argv[1]))
		return unknown_action(s, ctx->argv[1]);
	if (is_query(s) && cli_opt_str(ctx, "body"))
		return cli_usage_error("%s takes Key=Value parameters, not --body", s->name);
	craft_query_init(&q);
	craft_aws_http_req_init(&req);
	status = is_query(s) ? query_params(ctx, &q) : json_body(ctx, s, &body);
	if (!status && !is_query(s) && s->protocol != CRAFT_AWS_PROTO_JSON)
		status = rest_request(ctx, s, &body, &req);
	if (status) {
		craft_query_release(&q);
		craft_aws_http_req_release(&req);
		craft_buf_release(&body);
		return status;
	}

	cli_aws_options(ctx, ctx->region, &opts);
	craft_err_init(&err);
	rc = craft_aws_client_new(&client, &opts, &err);
	if (rc == CRAFT_OK) {
		memset(&out, 0, sizeof(out));
		out.code = CRAFT_EINTERNAL;
		rc = submit(ctx, client, s, &q, &body, &req, &out);
		if (rc != CRAFT_OK)
			craft_err_set(&err, rc, "cannot call %s %s", s->name, ctx->argv[1]);
		else
			rc = craft_aws_run(client, &err);
		if (rc == CRAFT_OK) {
			rc = out.code;
			err = out.err;
		}
	}
	craft_query_release(&q);
	craft_aws_http_req_release(&req);
	craft_buf_release(&body);
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
