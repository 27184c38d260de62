/*
 * endpoint — which AWS services craftctl speaks, and where a call goes.
 *
 * Region: the option (--region or the stack file) > AWS_REGION >
 * AWS_DEFAULT_REGION > the profile's `region`. A region must look like a
 * host label (lowercase letters, digits, '-'); anything else is a usage
 * error (CRAFT_EUSAGE), since it would otherwise end up in a host name.
 *
 * Endpoint: the option (--endpoint-url) > AWS_ENDPOINT_URL_<SERVICE> >
 * AWS_ENDPOINT_URL > the profile's `endpoint_url` > the standard
 * https://<service>.<region>.amazonaws.com (".amazonaws.com.cn" for cn-*).
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
 * ignore_configured_endpoint_urls) turns every override but the option off.
 */
#ifndef CRAFT_AWS_ENDPOINT_H
#define CRAFT_AWS_ENDPOINT_H

#include "core/error.h"

struct craft_profile_file;

struct craft_aws_service {
	const char *name;         /* "ec2", as on the command line */
	const char *version;      /* the Query API version */
	const char *signing_name; /* the SigV4 service name */
	const char *env_id;       /* AWS_ENDPOINT_URL_<env_id> */
};

/* The service called name, or NULL. */
const struct craft_aws_service *craft_aws_service_find(const char *name);
/* The known services, ended by a row whose name is NULL. */
extern const struct craft_aws_service craft_aws_services[];

struct craft_endpoint {
	char url[1024];   /* as resolved, e.g. https://ec2.us-east-2.amazonaws.com */
	char scheme[8];   /* "http" or "https" */
	char host[300];   /* the Host header: host, with ":port" when not the default */
	char path[512];   /* "/" unless the URL has one */
	const char *from; /* where it came from: "--endpoint-url", "AWS_ENDPOINT_URL", ... */
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
craft_code craft_endpoint_resolve(struct craft_endpoint *out, const struct craft_aws_service *svc,
                                  const char *region, const char *opt_url,
                                  const struct craft_profile_file *config, const char *profile,
                                  struct craft_err *err);

/* Parses an http(s) URL into out's scheme, host and path (CRAFT_EUSAGE if bad). */
craft_code craft_endpoint_parse_url(struct craft_endpoint *out, const char *url,
                                    struct craft_err *err);

#endif
