/*
 * endpoint — which AWS services craftctl speaks, and where a call goes.
 *
 * Region: the option (--region or the stack file) > AWS_REGION >
 * AWS_DEFAULT_REGION > the profile's `region`. A region must look like a
 * host label (lowercase letters, digits, '-'); anything else is a usage
 * error (CRAFT_EUSAGE), since it would otherwise end up in a host name.
 *
 * Endpoint, as the AWS CLI resolves it: the option (--endpoint-url, for
 * every service at once) > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL >
 * the profile's `services` section (`<service_key> =` then an indented
 * `endpoint_url = URL`) > the profile's `endpoint_url` > the standard one.
 * <SERVICE> is botocore's serviceId upper-cased with spaces as '_'
 * (AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL_ROUTE_53);
 * the services-section key is the same lower-cased (route_53).
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
 * ignore_configured_endpoint_urls) turns every override but the option off.
 *
 * The standard endpoint is https://<endpoint prefix>.<region>.<dns suffix>
 * in the region's partition: aws (amazonaws.com), aws-cn (cn-*,
 * amazonaws.com.cn), aws-us-gov (us-gov-*, amazonaws.com), aws-iso
 * (us-iso-*, c2s.ic.gov), aws-iso-b (us-isob-*, sc2s.sgov.gov). Global services
 * (IAM, Route 53) have one host per partition and are signed for that
 * partition's region (us-east-1 in aws); an overridden endpoint is signed
 * for the client's region, as botocore signs it.
 */
#ifndef CRAFT_AWS_ENDPOINT_H
#define CRAFT_AWS_ENDPOINT_H

#include <stddef.h>

#include "aws/model.h"
#include "core/error.h"

struct craft_profile_file;

/* The services are lib/aws/model.h's models (craft_aws_models[],
 * craft_aws_model_find by name or endpoint prefix): their metadata
 * (protocol, endpoint prefix, signing name, serviceId, AWS_ENDPOINT_URL_
 * name, global endpoints) comes from botocore's models. */

/* "ELASTIC_LOAD_BALANCING_V2" (upper) or "elastic_load_balancing_v2" into
 * out: the service's AWS_ENDPOINT_URL_ suffix and services-section key. */
void craft_aws_service_key(const struct craft_aws_model *svc, int upper, char *out, size_t cap);

/* The partition of a region: "aws", "aws-cn", "aws-us-gov", "aws-iso" or
 * "aws-iso-b". */
const char *craft_endpoint_partition(const char *region);

struct craft_endpoint {
	char url[1024];          /* as resolved, e.g. https://ec2.us-east-2.amazonaws.com */
	char scheme[8];          /* "http" or "https" */
	char host[300];          /* the Host header: host, with ":port" when not the default */
	char path[512];          /* "/" unless the URL has one */
	char signing_region[64]; /* the SigV4 scope's region */
	const char *from;        /* where it came from: "--endpoint-url", "AWS_ENDPOINT_URL", ... */
};

/* CRAFT_OK, or CRAFT_EUSAGE naming the region. */
/* NULL for a region name of AWS's form (two letters, one or more words, a
 * number: us-east-2, us-gov-west-1, ap-southeast-4), else what was
 * expected. The one rule for the stack file, --region and AWS_REGION. */
const char *craft_region_invalid(const char *region);
craft_code craft_endpoint_check_region(const char *region, struct craft_err *err);

/*
 * Resolves the region into out (cap bytes). config may be NULL (profile is
 * the name to read from it). No region anywhere is CRAFT_EUSAGE.
 */
craft_code craft_endpoint_region(char *out, size_t cap, const char *opt_region,
                                 const struct craft_profile_file *config, const char *profile,
                                 struct craft_err *err);

/* Resolves where calls to service go. */
craft_code craft_endpoint_resolve(struct craft_endpoint *out, const struct craft_aws_model *svc,
                                  const char *region, const char *opt_url,
                                  const struct craft_profile_file *config, const char *profile,
                                  struct craft_err *err);

/* Parses an http(s) URL into out's scheme, host and path (CRAFT_EUSAGE if bad). */
craft_code craft_endpoint_parse_url(struct craft_endpoint *out, const char *url,
                                    struct craft_err *err);

#endif
