/* libFuzzer harness: parameters from outside (craftctl api --body) through
 * validation and every protocol's serializer (lib/aws/proto/). The first
 * byte picks the operation; the rest is the parameters' JSON. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aws/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static craft_code token(char out[64], void *ctx)
{
	(void)ctx;
	out[0] = 't';
	out[1] = '\0';
	return CRAFT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ops[][2] = {
		{ "route53", "ChangeResourceRecordSets" },
		{ "route53", "ListResourceRecordSets" },
		{ "elbv2", "CreateLoadBalancer" },
		{ "rds", "CreateDBSubnetGroup" },
		{ "ecs", "RegisterTaskDefinition" },
		{ "ec2", "RunInstances" },
		{ "sns", "Publish" },
		{ "cloudwatch", "PutMetricData" },
		{ "secretsmanager", "CreateSecret" },
		{ "iam", "CreateRole" },
	};
	const size_t nops = sizeof(ops) / sizeof(ops[0]);
	const struct craft_aws_model *m;
	struct craft_aws_ser_opts opts = { token, NULL };
	struct craft_aws_http_req req;
	struct craft_err err;
	cJSON *params;

	if (size < 1)
		return 0;
	m = craft_aws_model_find(ops[data[0] % nops][0]);
	params = cJSON_ParseWithLength((const char *)data + 1, size - 1);
	craft_aws_http_req_init(&req);
	craft_err_init(&err);
	if (craft_aws_serialize(m, craft_aws_model_op(m, ops[data[0] % nops][1]), params, &opts,
	                        &req, &err) != CRAFT_OK &&
	    err.code != CRAFT_EUSAGE)
		abort(); /* a bad parameter is a usage error, nothing else */
	craft_aws_http_req_release(&req);
	cJSON_Delete(params);
	return 0;
}
