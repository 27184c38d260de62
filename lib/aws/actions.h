/*
 * actions — the one table of the AWS API actions craftctl calls, and the
 * least-privilege IAM policy generated from it (`craftctl iam-policy`).
 *
 * Every action the library passes to craft_aws_submit / craft_aws_call /
 * craft_aws_paginate (directly or through a wrapper such as the engine's
 * steps) must have a row here: `make test-pipeline` greps lib/ and cli/ for
 * AWS operation names (botocore's service models) and fails on one that is
 * missing, so the policy cannot fall behind the code. A row no code calls
 * is reported too. `craftctl api` is the exception: it calls whatever the
 * user names, with the user's own rights.
 *
 * Rows marked CRAFT_AWS_ACTION_NO_POLICY are made by the credential chain
 * before craftctl runs as the role the policy is for, so they are left out
 * of it: AssumeRoleWithWebIdentity is authorized by the role's trust
 * policy; AssumeRole (a role profile) by the source identity's own
 * permission on the profile's role_arn and that role's trust policy.
 */
#ifndef CRAFT_AWS_ACTIONS_H
#define CRAFT_AWS_ACTIONS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

#define CRAFT_AWS_ACTION_NO_POLICY 0x1 /* needs no permission in the role's policy */
#define CRAFT_AWS_ACTION_READ      0x2 /* read-only (Describe*, Get*) */

struct craft_aws_action {
	const char *service; /* a craft_aws_models name: "ec2", "sts" */
	const char *action;  /* the API action: "CreateVpc" */
	const char *purpose; /* what craftctl uses it for (shown in docs and tests) */
	unsigned flags;      /* CRAFT_AWS_ACTION_* */
};

/* The table, ended by a row whose action is NULL. */
extern const struct craft_aws_action craft_aws_actions[];

/* The row for service + action, or NULL when craftctl does not call it. */
const struct craft_aws_action *craft_aws_actions_find(const char *service, const char *action);

/*
 * Appends the IAM policy document (JSON) allowing exactly the table's
 * actions that need a permission, in two statements (read-only, and the
 * rest), actions sorted. region, when not NULL, adds an
 * aws:RequestedRegion condition. pretty: indented, else one line.
 */
craft_code craft_aws_actions_policy(struct craft_buf *out, const char *region, int pretty,
                                    struct craft_err *err);

#endif
