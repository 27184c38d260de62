/*
 * lib/aws/actions: the table of AWS actions and the IAM policy made from it.
 * (make test-pipeline checks the table against the code's calls.)
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "aws/actions.h"
#include "aws/endpoint.h"

Test(actions, rows_are_sorted_unique_and_of_known_services)
{
	const struct craft_aws_action *prev = NULL;

	for (const struct craft_aws_action *a = craft_aws_actions; a->action; a++) {
		cr_assert_not_null(craft_aws_model_find(a->service), "%s: unknown service",
		                   a->action);
		cr_assert(a->purpose && *a->purpose, "%s has no purpose", a->action);
		if (prev) {
			int c = strcmp(prev->service, a->service);

			cr_assert(c < 0 || (c == 0 && strcmp(prev->action, a->action) < 0),
			          "%s:%s is out of order or repeated", a->service, a->action);
		}
		prev = a;
	}
	cr_assert_not_null(prev, "the table is empty");
}

Test(actions, find)
{
	const struct craft_aws_action *a = craft_aws_actions_find("ec2", "RunInstances");

	cr_assert_not_null(a);
	cr_assert_str_eq(a->action, "RunInstances");
	cr_assert_null(craft_aws_actions_find("ec2", "DescribeRegions"));
	cr_assert_null(craft_aws_actions_find("sts", "RunInstances"));
	cr_assert_null(craft_aws_actions_find(NULL, "RunInstances"));
}

static cJSON *policy(const char *region, int pretty)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_err err;
	cJSON *doc;

	craft_err_init(&err);
	cr_assert_eq(craft_aws_actions_policy(&b, region, pretty, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(strchr(craft_buf_str(&b), '\n') == craft_buf_str(&b) + b.len - 1, !pretty);
	doc = cJSON_Parse(craft_buf_str(&b));
	craft_buf_release(&b);
	cr_assert_not_null(doc);
	return doc;
}

static int allows(const cJSON *doc, const char *action)
{
	const cJSON *st, *a;

	cJSON_ArrayForEach(st, cJSON_GetObjectItem(doc, "Statement"))
	{
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(st, "Action"))
		{
			if (strcmp(a->valuestring, action) == 0)
				return 1;
		}
	}
	return 0;
}

Test(actions, policy_allows_every_row_that_needs_a_permission)
{
	cJSON *doc = policy(NULL, 1);

	cr_assert_str_eq(cJSON_GetObjectItem(doc, "Version")->valuestring, "2012-10-17");
	for (const struct craft_aws_action *a = craft_aws_actions; a->action; a++) {
		char name[128];

		snprintf(name, sizeof(name), "%s:%s", a->service, a->action);
		cr_assert_eq(allows(doc, name), !(a->flags & CRAFT_AWS_ACTION_NO_POLICY), "%s",
		             name);
	}
	cr_assert_not(allows(doc, "sts:AssumeRoleWithWebIdentity"));
	cr_assert_null(cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "Statement"), 0), "Condition"));
	cJSON_Delete(doc);
}

Test(actions, region_condition_on_every_statement)
{
	cJSON *doc = policy("ap-south-1", 0);
	const cJSON *st;
	int n = 0;

	cJSON_ArrayForEach(st, cJSON_GetObjectItem(doc, "Statement"))
	{
		const cJSON *eq =
		        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "Condition"), "StringEquals");

		cr_assert_str_eq(cJSON_GetObjectItem(eq, "aws:RequestedRegion")->valuestring,
		                 "ap-south-1");
		n++;
	}
	cr_assert_eq(n, 2);
	cJSON_Delete(doc);
}

Test(actions, bad_region_is_a_usage_error)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_aws_actions_policy(&b, "us-east-2\"}", 1, &err), CRAFT_EUSAGE);
	cr_assert_eq(b.len, 0);
	craft_buf_release(&b);
}

Test(actions, a_full_buffer_fails_whole)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_aws_actions_policy(&b, NULL, 1, &err), CRAFT_ETOOBIG);
	cr_assert_eq(b.len, 0);
	cr_assert(strstr(err.msg, "IAM policy"), "%s", err.msg);
}
