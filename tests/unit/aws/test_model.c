/*
 * lib/aws/model: the generated service models, their lookups, and that
 * the committed tables are what tools/awsmodel.py makes from botocore.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/actions.h"
#include "aws/model.h"

Test(model, the_committed_tables_match_botocore)
{
	char line[512];
	FILE *p;
	int rc;

	/* The tables are committed for users without botocore; with it, they
	 * must be exactly what the generator makes. */
	if (system("/usr/bin/python3 -c 'import botocore' >/dev/null 2>&1") != 0)
		cr_skip_test(
		        "python3-botocore is not installed: tools/awsmodel.py --check skipped");
	p = popen("/usr/bin/python3 tools/awsmodel.py --check 2>&1", "r");
	cr_assert_not_null(p);
	line[0] = '\0';
	while (fgets(line, sizeof(line), p))
		;
	rc = pclose(p);
	cr_assert_eq(rc, 0, "tools/awsmodel.py --check: %s", line);
}

Test(model, models_are_sorted_and_complete)
{
	const struct craft_aws_model *prev = NULL;
	size_t n = 0;

	for (const struct craft_aws_model *const *m = craft_aws_models; *m; m++, n++) {
		if (prev)
			cr_assert_lt(strcmp(prev->name, (*m)->name), 0, "%s out of order",
			             (*m)->name);
		cr_assert((*m)->nops > 0 && (*m)->api_version && (*m)->signing_name);
		for (size_t i = 1; i < (*m)->nops; i++)
			cr_assert_lt(strcmp((*m)->ops[i - 1].name, (*m)->ops[i].name), 0);
		for (size_t i = 0; i < (*m)->nmembers; i++)
			cr_assert_lt((*m)->members[i].shape, (*m)->nshapes);
		for (size_t i = 0; i < (*m)->nshapes; i++) {
			const struct craft_aws_shape *s = &(*m)->shapes[i];

			if (s->type == CRAFT_AWS_T_STRING)
				cr_assert_leq(s->first + s->count, (*m)->nenums);
			else if (s->count)
				cr_assert_leq(s->first + s->count, (*m)->nmembers);
		}
		prev = *m;
	}
	cr_assert_eq(n, 14);
}

Test(model, every_action_craftctl_calls_is_modelled_in_full)
{
	for (const struct craft_aws_action *a = craft_aws_actions; a->action; a++) {
		const struct craft_aws_model *m = craft_aws_model_find(a->service);
		const struct craft_aws_op *op = craft_aws_model_op(m, a->action);

		cr_assert_not_null(op, "%s %s has no model", a->service, a->action);
		cr_assert_neq(op->input, CRAFT_AWS_NONE, "%s %s: input not modelled", a->service,
		              a->action);
	}
}

Test(model, metadata)
{
	const struct craft_aws_model *m = craft_aws_model_find("elbv2");
	const struct craft_aws_global *g;

	cr_assert_not_null(m);
	cr_assert_eq(m->protocol, CRAFT_AWS_PROTO_QUERY);
	cr_assert_str_eq(m->signing_name, "elasticloadbalancing");
	cr_assert_str_eq(m->endpoint_env, "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
	cr_assert_eq(craft_aws_model_find("elasticloadbalancing"), m);
	m = craft_aws_model_find("monitoring");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->name, "cloudwatch");
	cr_assert_str_eq(m->endpoint_env, "AWS_ENDPOINT_URL_CLOUDWATCH");
	m = craft_aws_model_find("ecr");
	cr_assert_eq(m->protocol, CRAFT_AWS_PROTO_JSON);
	cr_assert_str_eq(m->target_prefix, "AmazonEC2ContainerRegistry_V20150921");
	cr_assert_str_eq(m->json_version, "1.1");
	cr_assert_str_eq(m->endpoint_prefix, "api.ecr");
	cr_assert_str_eq(m->signing_name, "ecr");
	m = craft_aws_model_find("route53");
	cr_assert_eq(m->protocol, CRAFT_AWS_PROTO_RESTXML);
	g = craft_aws_model_global(m, "aws");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->region, "us-east-1");
	cr_assert_str_eq(g->host, "route53.amazonaws.com");
	cr_assert_not_null(craft_aws_model_global(craft_aws_model_find("iam"), "aws"));
	cr_assert_null(craft_aws_model_global(craft_aws_model_find("ecs"), "aws"));
	cr_assert_null(craft_aws_model_find("s3"));
	cr_assert_str_eq(craft_aws_protocol_name(CRAFT_AWS_PROTO_RESTXML), "rest-xml");
}

Test(model, shapes_of_an_operation)
{
	const struct craft_aws_model *m = craft_aws_model_find("route53");
	const struct craft_aws_op *op = craft_aws_model_op(m, "ChangeResourceRecordSets");
	const struct craft_aws_member *in, *id, *batch;
	const struct craft_aws_shape *s;

	cr_assert_not_null(op);
	cr_assert_str_eq(op->method, "POST");
	cr_assert_str_eq(op->request_uri, "/2013-04-01/hostedzone/{Id}/rrset/");
	in = craft_aws_model_member(m, op->input);
	cr_assert_str_eq(in->loc_name, "ChangeResourceRecordSetsRequest");
	cr_assert_str_eq(in->xml_ns, "https://route53.amazonaws.com/doc/2013-04-01/");
	s = craft_aws_model_shape(m, in->shape);
	id = craft_aws_model_struct_member(m, s, "HostedZoneId");
	cr_assert_eq(id->location, CRAFT_AWS_LOC_URI);
	cr_assert_str_eq(id->loc_name, "Id");
	cr_assert(id->flags & CRAFT_AWS_M_REQUIRED);
	batch = craft_aws_model_struct_member(m, s, "ChangeBatch");
	cr_assert_eq(craft_aws_model_shape(m, batch->shape)->type, CRAFT_AWS_T_STRUCTURE);
	cr_assert_null(craft_aws_model_struct_member(m, s, "Nope"));
	/* an operation listed but not modelled */
	op = craft_aws_model_op(m, "CreateTrafficPolicy");
	cr_assert_not_null(op);
	cr_assert_eq(op->input, CRAFT_AWS_NONE);
	/* RDS spells its subnet list's members SubnetIdentifier */
	m = craft_aws_model_find("rds");
	op = craft_aws_model_op(m, "CreateDBSubnetGroup");
	s = craft_aws_model_shape(m, craft_aws_model_member(m, op->input)->shape);
	in = craft_aws_model_struct_member(m, s, "SubnetIds");
	s = craft_aws_model_shape(m, in->shape);
	cr_assert_eq(s->type, CRAFT_AWS_T_LIST);
	cr_assert_str_eq(craft_aws_model_member(m, s->first)->loc_name, "SubnetIdentifier");
}
