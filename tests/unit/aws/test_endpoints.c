/* Every service craftctl speaks, in every partition, with every override. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "aws/endpoint.h"
#include "aws/profile.h"
#include "core/env.h"

static const char *const *fake_env;

static const char *env_lookup(const char *name, void *ud)
{
	(void)ud;
	for (int i = 0; fake_env && fake_env[i]; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static void use_env(const char *const *pairs)
{
	fake_env = pairs;
	craft_env_set_source(env_lookup, NULL);
}

static void restore_env(void)
{
	craft_env_set_source(NULL, NULL);
	fake_env = NULL;
}

TestSuite(services, .init = restore_env, .fini = restore_env);

/* The standard endpoints and signing regions, as botocore 1.29 resolves
 * them (boto3 clients with no endpoint_url, the Authorization scope). */
static const struct {
	const char *service, *region, *url, *scope;
} standard[] = {
	{ "acm", "us-east-2", "https://acm.us-east-2.amazonaws.com", "us-east-2" },
	{ "acm", "cn-northwest-1", "https://acm.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "acm", "us-gov-east-1", "https://acm.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "application-autoscaling", "us-east-2",
	  "https://application-autoscaling.us-east-2.amazonaws.com", "us-east-2" },
	{ "application-autoscaling", "cn-northwest-1",
	  "https://application-autoscaling.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1" },
	{ "application-autoscaling", "us-gov-east-1",
	  "https://application-autoscaling.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "cloudwatch", "us-east-2", "https://monitoring.us-east-2.amazonaws.com", "us-east-2" },
	{ "cloudwatch", "cn-northwest-1", "https://monitoring.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "cloudwatch", "us-gov-east-1", "https://monitoring.us-gov-east-1.amazonaws.com",
	  "us-gov-east-1" },
	{ "ec2", "us-east-2", "https://ec2.us-east-2.amazonaws.com", "us-east-2" },
	{ "ec2", "cn-northwest-1", "https://ec2.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "ec2", "us-gov-east-1", "https://ec2.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "ecr", "us-east-2", "https://api.ecr.us-east-2.amazonaws.com", "us-east-2" },
	{ "ecr", "cn-northwest-1", "https://api.ecr.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "ecr", "us-gov-east-1", "https://api.ecr.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "ecs", "us-east-2", "https://ecs.us-east-2.amazonaws.com", "us-east-2" },
	{ "ecs", "cn-northwest-1", "https://ecs.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "ecs", "us-gov-east-1", "https://ecs.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "elbv2", "us-east-2", "https://elasticloadbalancing.us-east-2.amazonaws.com",
	  "us-east-2" },
	{ "elbv2", "cn-northwest-1", "https://elasticloadbalancing.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "elbv2", "us-gov-east-1", "https://elasticloadbalancing.us-gov-east-1.amazonaws.com",
	  "us-gov-east-1" },
	{ "iam", "us-east-2", "https://iam.amazonaws.com", "us-east-1" },
	{ "iam", "cn-northwest-1", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1" },
	{ "iam", "us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1" },
	{ "logs", "us-east-2", "https://logs.us-east-2.amazonaws.com", "us-east-2" },
	{ "logs", "cn-northwest-1", "https://logs.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "logs", "us-gov-east-1", "https://logs.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "rds", "us-east-2", "https://rds.us-east-2.amazonaws.com", "us-east-2" },
	{ "rds", "cn-northwest-1", "https://rds.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "rds", "us-gov-east-1", "https://rds.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "route53", "us-east-2", "https://route53.amazonaws.com", "us-east-1" },
	{ "route53", "cn-northwest-1", "https://route53.amazonaws.com.cn", "cn-northwest-1" },
	{ "route53", "us-gov-east-1", "https://route53.us-gov.amazonaws.com", "us-gov-west-1" },
	{ "secretsmanager", "us-east-2", "https://secretsmanager.us-east-2.amazonaws.com",
	  "us-east-2" },
	{ "secretsmanager", "cn-northwest-1",
	  "https://secretsmanager.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1" },
	{ "secretsmanager", "us-gov-east-1", "https://secretsmanager.us-gov-east-1.amazonaws.com",
	  "us-gov-east-1" },
	{ "sns", "us-east-2", "https://sns.us-east-2.amazonaws.com", "us-east-2" },
	{ "sns", "cn-northwest-1", "https://sns.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "sns", "us-gov-east-1", "https://sns.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
	{ "sts", "us-east-2", "https://sts.us-east-2.amazonaws.com", "us-east-2" },
	{ "sts", "cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn",
	  "cn-northwest-1" },
	{ "sts", "us-gov-east-1", "https://sts.us-gov-east-1.amazonaws.com", "us-gov-east-1" },
};

/* The AWS CLI's names: AWS_ENDPOINT_URL_<serviceId, upper, '_'>, and the
 * services-section keys (the same, lower). */
static const struct {
	const char *service, *env, *key;
} names[] = {
	{ "acm", "AWS_ENDPOINT_URL_ACM", "acm" },
	{ "application-autoscaling", "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
	  "application_auto_scaling" },
	{ "cloudwatch", "AWS_ENDPOINT_URL_CLOUDWATCH", "cloudwatch" },
	{ "ec2", "AWS_ENDPOINT_URL_EC2", "ec2" },
	{ "ecr", "AWS_ENDPOINT_URL_ECR", "ecr" },
	{ "ecs", "AWS_ENDPOINT_URL_ECS", "ecs" },
	{ "elbv2", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "elastic_load_balancing_v2" },
	{ "iam", "AWS_ENDPOINT_URL_IAM", "iam" },
	{ "logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "cloudwatch_logs" },
	{ "rds", "AWS_ENDPOINT_URL_RDS", "rds" },
	{ "route53", "AWS_ENDPOINT_URL_ROUTE_53", "route_53" },
	{ "secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secrets_manager" },
	{ "sns", "AWS_ENDPOINT_URL_SNS", "sns" },
	{ "sts", "AWS_ENDPOINT_URL_STS", "sts" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void resolve(struct craft_endpoint *ep, const char *service, const char *region,
                    const char *opt, const struct craft_profile_file *f, const char *profile)
{
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_endpoint_resolve(ep, craft_aws_model_find(service), region, opt, f,
	                                    profile, &err),
	             CRAFT_OK, "%s %s: %s", service, region, err.msg);
}

Test(services, every_service_is_known_and_has_its_names)
{
	size_t n = 0;

	while (craft_aws_models[n])
		n++;
	cr_assert_eq(n, N(names));
	for (size_t i = 0; i < N(names); i++) {
		const struct craft_aws_model *s = craft_aws_model_find(names[i].service);
		char buf[128];

		cr_assert_not_null(s, "%s", names[i].service);
		craft_aws_service_key(s, 1, buf, sizeof(buf));
		cr_assert_eq(strncmp(names[i].env, "AWS_ENDPOINT_URL_", 17), 0);
		cr_assert_str_eq(buf, names[i].env + 17);
		craft_aws_service_key(s, 0, buf, sizeof(buf));
		cr_assert_str_eq(buf, names[i].key);
	}
	/* by endpoint prefix too, as the AWS docs and IAM's action prefixes say */
	cr_assert_str_eq(craft_aws_model_find("monitoring")->name, "cloudwatch");
	cr_assert_str_eq(craft_aws_model_find("elasticloadbalancing")->name, "elbv2");
	cr_assert_str_eq(craft_aws_model_find("api.ecr")->name, "ecr");
	cr_assert_null(craft_aws_model_find("s3"));
	cr_assert_null(craft_aws_model_find(NULL));
}

Test(services, standard_endpoint_of_every_service_in_every_partition)
{
	struct craft_endpoint ep;

	cr_assert_eq(N(standard), 3 * N(names));
	for (size_t i = 0; i < N(standard); i++) {
		resolve(&ep, standard[i].service, standard[i].region, NULL, NULL, NULL);
		cr_assert_str_eq(ep.url, standard[i].url, "%s in %s", standard[i].service,
		                 standard[i].region);
		cr_assert_str_eq(ep.signing_region, standard[i].scope, "%s in %s",
		                 standard[i].service, standard[i].region);
		cr_assert_str_eq(ep.scheme, "https");
		cr_assert_str_eq(ep.path, "/");
		cr_assert_str_eq(ep.from, "the standard endpoint");
	}
	cr_assert_str_eq(craft_endpoint_partition("cn-north-1"), "aws-cn");
	cr_assert_str_eq(craft_endpoint_partition("us-gov-west-1"), "aws-us-gov");
	cr_assert_str_eq(craft_endpoint_partition("us-east-1"), "aws");
	cr_assert_str_eq(craft_endpoint_partition("eu-central-2"), "aws");
	cr_assert_str_eq(craft_endpoint_partition("us-iso-east-1"), "aws-iso");
	cr_assert_str_eq(craft_endpoint_partition("us-isob-east-1"), "aws-iso-b");
}

Test(services, every_override_for_every_service)
{
	struct craft_profile_file f;
	char text[4096];
	size_t len = 0;

	/* a profile with a services section naming every service's own URL */
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	                        "[default]\nendpoint_url = http://profile:3\nservices = local\n"
	                        "[profile bare]\nendpoint_url = http://bare:4\n"
	                        "[services local]\n");
	for (size_t i = 0; i < N(names); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s =\n  endpoint_url = http://section-%s:5\n",
		                        names[i].key, names[i].service);
	craft_profile_init(&f, 1);
	cr_assert_eq(craft_profile_parse(&f, "test", text, len, NULL), CRAFT_OK);

	for (size_t i = 0; i < N(names); i++) {
		const char *svc = names[i].service;
		/* another service's variable must not apply */
		const char *other = names[(i + 1) % N(names)].env;
		const char *const own[] = { names[i].env, "http://own:1", "AWS_ENDPOINT_URL",
			                    "http://all:2", NULL };
		const char *const all[] = { other, "http://other:1", "AWS_ENDPOINT_URL",
			                    "http://all:2", NULL };
		const char *const ign[] = { names[i].env, "http://own:1",
			                    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", NULL };
		struct craft_endpoint ep;
		char want[128];

		use_env(own);
		resolve(&ep, svc, "us-east-2", "http://127.0.0.1:9/", &f, "default");
		cr_assert_str_eq(ep.url, "http://127.0.0.1:9/", "%s", svc);
		cr_assert_str_eq(ep.host, "127.0.0.1:9");
		/* an overridden endpoint is signed for the client's region, even
		 * for a global service, as botocore does */
		cr_assert_str_eq(ep.signing_region, "us-east-2", "%s", svc);
		resolve(&ep, svc, "us-east-2", NULL, &f, "default");
		cr_assert_str_eq(ep.url, "http://own:1", "%s", svc);
		cr_assert_str_eq(ep.from, "AWS_ENDPOINT_URL_<SERVICE>");
		use_env(all);
		resolve(&ep, svc, "us-east-2", NULL, &f, "default");
		cr_assert_str_eq(ep.url, "http://all:2", "%s", svc);
		use_env(NULL);
		resolve(&ep, svc, "us-east-2", NULL, &f, "default");
		snprintf(want, sizeof(want), "http://section-%s:5", svc);
		cr_assert_str_eq(ep.url, want, "%s", svc);
		cr_assert_str_eq(ep.from, "the profile's services section");
		resolve(&ep, svc, "cn-north-1", NULL, &f, "bare");
		cr_assert_str_eq(ep.url, "http://bare:4", "%s", svc);
		cr_assert_str_eq(ep.signing_region, "cn-north-1");
		use_env(ign);
		resolve(&ep, svc, "us-gov-west-1", NULL, &f, "default");
		cr_assert_str_eq(ep.from, "the standard endpoint", "%s", svc);
	}
	craft_profile_release(&f);
}

Test(services, services_section_only_for_the_services_it_names)
{
	static const char text[] = "[profile p]\nservices = mine\nendpoint_url = http://p:1\n"
	                           "[services mine]\nroute_53 =\n  endpoint_url = http://r53:2\n"
	                           "[services other]\niam =\n  endpoint_url = http://no:3\n";
	struct craft_profile_file f;
	struct craft_endpoint ep;

	craft_profile_init(&f, 1);
	cr_assert_eq(craft_profile_parse(&f, "test", text, sizeof(text) - 1, NULL), CRAFT_OK);
	resolve(&ep, "route53", "us-east-2", NULL, &f, "p");
	cr_assert_str_eq(ep.url, "http://r53:2");
	resolve(&ep, "iam", "us-east-2", NULL, &f, "p");
	cr_assert_str_eq(ep.url, "http://p:1");
	cr_assert_str_eq(craft_profile_section_get(&f, "services", "other", "iam.endpoint_url"),
	                 "http://no:3");
	cr_assert_null(craft_profile_section_get(&f, "services", "p", "iam.endpoint_url"));
	craft_profile_release(&f);
}

Test(services, protocol_metadata_matches_the_models)
{
	static const struct {
		const char *service, *protocol, *target, *signing;
	} meta[] = {
		{ "ec2", "ec2", NULL, "ec2" },
		{ "iam", "query", NULL, "iam" },
		{ "route53", "rest-xml", NULL, "route53" },
		{ "ecr", "json", "AmazonEC2ContainerRegistry_V20150921", "ecr" },
		{ "ecs", "json", "AmazonEC2ContainerServiceV20141113", "ecs" },
		{ "logs", "json", "Logs_20140328", "logs" },
		{ "elbv2", "query", NULL, "elasticloadbalancing" },
		{ "cloudwatch", "query", NULL, "monitoring" },
	};

	for (size_t i = 0; i < N(meta); i++) {
		const struct craft_aws_model *s = craft_aws_model_find(meta[i].service);

		cr_assert_str_eq(craft_aws_protocol_name(s->protocol), meta[i].protocol);
		cr_assert_str_eq(s->signing_name, meta[i].signing);
		if (meta[i].target) {
			cr_assert_str_eq(s->target_prefix, meta[i].target);
			cr_assert_str_eq(s->json_version, "1.1");
		} else {
			cr_assert_null(s->target_prefix);
		}
	}
}
