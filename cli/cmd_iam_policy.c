/* craftctl iam-policy: prints the least-privilege IAM policy for exactly
 * the AWS actions craftctl calls, generated from lib/aws/actions.c. */
#include <stdio.h>

#include "aws/actions.h"
#include "cli/cli.h"

int cmd_iam_policy(struct cli_ctx *ctx)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_err err;
	craft_code rc;

	craft_err_init(&err);
	/* --json: the document on one line, like every other JSON output. */
	rc = craft_aws_actions_policy(&b, ctx->region, !ctx->json, &err);
	if (rc != CRAFT_OK) {
		craft_buf_release(&b);
		return cli_fail(ctx, &err);
	}
	fputs(craft_buf_str(&b), stdout);
	craft_buf_release(&b);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		craft_err_set(&err, CRAFT_EIO, "cannot write the policy to stdout");
		return cli_fail(ctx, &err);
	}
	return 0;
}
