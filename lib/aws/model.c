/* The lookup API over the generated service models (lib/aws/models/). */
#include <string.h>

#include "aws/model.h"

/* One extern per generated file; the list below is kept sorted by name. */
extern const struct craft_aws_model craft_aws_model_acm, craft_aws_model_application_autoscaling,
        craft_aws_model_cloudwatch, craft_aws_model_ec2, craft_aws_model_ecr, craft_aws_model_ecs,
        craft_aws_model_elbv2, craft_aws_model_iam, craft_aws_model_logs, craft_aws_model_rds,
        craft_aws_model_route53, craft_aws_model_secretsmanager, craft_aws_model_sns,
        craft_aws_model_sts;

const struct craft_aws_model *const craft_aws_models[] = {
	&craft_aws_model_acm,
	&craft_aws_model_application_autoscaling,
	&craft_aws_model_cloudwatch,
	&craft_aws_model_ec2,
	&craft_aws_model_ecr,
	&craft_aws_model_ecs,
	&craft_aws_model_elbv2,
	&craft_aws_model_iam,
	&craft_aws_model_logs,
	&craft_aws_model_rds,
	&craft_aws_model_route53,
	&craft_aws_model_secretsmanager,
	&craft_aws_model_sns,
	&craft_aws_model_sts,
	NULL,
};

const struct craft_aws_model *craft_aws_model_find(const char *name)
{
	if (!name)
		return NULL;
	for (const struct craft_aws_model *const *m = craft_aws_models; *m; m++)
		if (strcmp((*m)->name, name) == 0)
			return *m;
	for (const struct craft_aws_model *const *m = craft_aws_models; *m; m++)
		if (strcmp((*m)->endpoint_prefix, name) == 0)
			return *m;
	return NULL;
}

const struct craft_aws_op *craft_aws_model_op(const struct craft_aws_model *m, const char *name)
{
	size_t lo = 0, hi;

	if (!m || !name)
		return NULL;
	hi = m->nops;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, m->ops[mid].name);

		if (c == 0)
			return &m->ops[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct craft_aws_member *craft_aws_model_member(const struct craft_aws_model *m, unsigned i)
{
	return m && i < m->nmembers ? &m->members[i] : NULL;
}

const struct craft_aws_shape *craft_aws_model_shape(const struct craft_aws_model *m, unsigned i)
{
	return m && i < m->nshapes ? &m->shapes[i] : NULL;
}

const struct craft_aws_member *craft_aws_model_struct_member(const struct craft_aws_model *m,
                                                             const struct craft_aws_shape *s,
                                                             const char *name)
{
	if (!m || !s || !name || s->type != CRAFT_AWS_T_STRUCTURE)
		return NULL;
	for (unsigned i = 0; i < s->count; i++)
		if (strcmp(m->members[s->first + i].name, name) == 0)
			return &m->members[s->first + i];
	return NULL;
}

const struct craft_aws_global *craft_aws_model_global(const struct craft_aws_model *m,
                                                      const char *partition)
{
	if (!m || !partition)
		return NULL;
	for (size_t i = 0; i < m->nglobals; i++)
		if (strcmp(m->globals[i].partition, partition) == 0)
			return &m->globals[i];
	return NULL;
}

const char *craft_aws_protocol_name(int protocol)
{
	static const char *const names[] = { "ec2", "query", "json", "rest-xml", "rest-json" };

	return protocol >= 0 && protocol < (int)(sizeof(names) / sizeof(names[0])) ? names[protocol]
	                                                                           : "unknown";
}
