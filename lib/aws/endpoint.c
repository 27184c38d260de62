#include "aws/endpoint.h"

#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "aws/profile.h"
#include "core/env.h"

void craft_aws_service_key(const struct craft_aws_model *svc, int upper, char *out, size_t cap)
{
	/* the model's AWS_ENDPOINT_URL_<ID>, its part after "URL_" */
	const char *id = strstr(svc->endpoint_env, "URL_") + 4;
	size_t n = 0;

	for (; *id && n + 1 < cap; id++)
		out[n++] =
		        (char)(upper ? toupper((unsigned char)*id) : tolower((unsigned char)*id));
	out[n] = '\0';
}

static const struct {
	const char *prefix, *partition, *dns_suffix;
} partitions[] = {
	/* longest prefix first: us-isob- before us-iso- */
	{ "cn-", "aws-cn", "amazonaws.com.cn" },
	{ "us-gov-", "aws-us-gov", "amazonaws.com" },
	{ "us-isob-", "aws-iso-b", "sc2s.sgov.gov" },
	{ "us-iso-", "aws-iso", "c2s.ic.gov" },
};

static int partition_index(const char *region)
{
	for (size_t i = 0; region && i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
			return (int)i;
	return -1;
}

const char *craft_endpoint_partition(const char *region)
{
	int i = partition_index(region);

	return i < 0 ? "aws" : partitions[i].partition;
}

const char *craft_region_invalid(const char *v)
{
	/* two letters, one or more -word parts, a number: us-east-2, us-gov-west-1 */
	const char *p = v ? v : "";
	int parts = 0;

	if (!islower((unsigned char)p[0]) || !islower((unsigned char)p[1]) || p[2] != '-')
		goto bad;
	p += 2;
	while (*p == '-') {
		p++;
		if (islower((unsigned char)*p)) {
			while (islower((unsigned char)*p))
				p++;
			parts++;
			continue;
		}
		if (isdigit((unsigned char)*p) && parts > 0) {
			while (isdigit((unsigned char)*p))
				p++;
			if (*p == '\0')
				return NULL;
		}
		break;
	}
bad:
	return "an AWS region such as us-east-2";
}

craft_code craft_endpoint_check_region(const char *region, struct craft_err *err)
{
	const char *why = craft_region_invalid(region);

	if (why)
		return craft_err_set(err, CRAFT_EUSAGE, "invalid region '%.100s': expected %s",
		                     region ? region : "", why);
	return CRAFT_OK;
}

static int copy(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		return 0;
	memcpy(out, s, n + 1);
	return 1;
}

craft_code craft_endpoint_region(char *out, size_t cap, const char *opt_region,
                                 const struct craft_profile_file *config, const char *profile,
                                 struct craft_err *err)
{
	const char *r = opt_region;
	const char *from = "--region";

	if (!r || !*r) {
		r = craft_env_get("AWS_REGION");
		from = "AWS_REGION";
	}
	if (!r) {
		r = craft_env_get("AWS_DEFAULT_REGION");
		from = "AWS_DEFAULT_REGION";
	}
	if (!r && config) {
		r = craft_profile_get(config, profile ? profile : "default", "region");
		from = "the profile's region";
	}
	if (!r || !*r)
		return craft_err_set(
		        err, CRAFT_EUSAGE,
		        "no AWS region: use --region, AWS_REGION or the profile's region");
	if (craft_endpoint_check_region(r, err) != CRAFT_OK)
		return craft_err_prefix(err, "%s", from);
	if (!copy(out, cap, r))
		return craft_err_set(err, CRAFT_EUSAGE, "region name too long");
	return CRAFT_OK;
}

craft_code craft_endpoint_parse_url(struct craft_endpoint *out, const char *url,
                                    struct craft_err *err)
{
	const char *rest, *slash;
	size_t hl;

	if (!copy(out->url, sizeof(out->url), url))
		return craft_err_set(err, CRAFT_EUSAGE, "endpoint url too long");
	if (strncasecmp(url, "https://", 8) == 0) {
		copy(out->scheme, sizeof(out->scheme), "https");
		rest = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		copy(out->scheme, sizeof(out->scheme), "http");
		rest = url + 7;
	} else {
		return craft_err_set(err, CRAFT_EUSAGE,
		                     "invalid endpoint url '%.200s': expected http:// or https://",
		                     url);
	}
	slash = strpbrk(rest, "/?#");
	hl = slash ? (size_t)(slash - rest) : strlen(rest);
	if (hl == 0 || hl >= sizeof(out->host) || memchr(rest, '@', hl) || memchr(rest, ' ', hl))
		return craft_err_set(err, CRAFT_EUSAGE, "invalid endpoint url '%.200s': bad host",
		                     url);
	memcpy(out->host, rest, hl);
	out->host[hl] = '\0';
	/* The Host header leaves out a default port, as HTTP clients send it. */
	if (strcmp(out->scheme, "https") == 0 && hl > 4 && strcmp(out->host + hl - 4, ":443") == 0)
		out->host[hl - 4] = '\0';
	else if (strcmp(out->scheme, "http") == 0 && hl > 3 &&
	         strcmp(out->host + hl - 3, ":80") == 0)
		out->host[hl - 3] = '\0';
	if (slash && *slash == '/') {
		size_t pl = strcspn(slash, "?#");

		if (pl >= sizeof(out->path))
			return craft_err_set(err, CRAFT_EUSAGE, "endpoint url path too long");
		memcpy(out->path, slash, pl);
		out->path[pl] = '\0';
	} else {
		copy(out->path, sizeof(out->path), "/");
	}
	return CRAFT_OK;
}

static int truthy(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

/* The services section's endpoint_url for svc, as the profile names it. */
static const char *services_url(const struct craft_profile_file *config, const char *prof,
                                const struct craft_aws_model *svc)
{
	const char *name = craft_profile_get(config, prof, "services");
	char id[96], key[128];

	if (!name || !*name)
		return NULL;
	craft_aws_service_key(svc, 0, id, sizeof(id));
	snprintf(key, sizeof(key), "%s.endpoint_url", id);
	return craft_profile_section_get(config, "services", name, key);
}

static craft_code standard(struct craft_endpoint *out, const struct craft_aws_model *svc,
                           const char *region, char *url, size_t cap, struct craft_err *err)
{
	const struct craft_aws_global *g;
	int pi = partition_index(region);

	if (craft_endpoint_check_region(region, err) != CRAFT_OK)
		return CRAFT_EUSAGE;
	g = craft_aws_model_global(svc, craft_endpoint_partition(region));
	if (g && g->host) {
		snprintf(url, cap, "https://%s", g->host);
		if (g->region)
			copy(out->signing_region, sizeof(out->signing_region), g->region);
		return CRAFT_OK;
	}
	snprintf(url, cap, "https://%s.%s.%s", svc->endpoint_prefix, region,
	         pi < 0 ? "amazonaws.com" : partitions[pi].dns_suffix);
	return CRAFT_OK;
}

craft_code craft_endpoint_resolve(struct craft_endpoint *out, const struct craft_aws_model *svc,
                                  const char *region, const char *opt_url,
                                  const struct craft_profile_file *config, const char *profile,
                                  struct craft_err *err)
{
	const char *prof = profile ? profile : "default";
	const char *url = NULL;
	char std[512];
	int ignore = truthy(craft_env_get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"));

	memset(out, 0, sizeof(*out));
	if (!svc)
		return craft_err_set(err, CRAFT_EUSAGE, "unknown AWS service");
	/* Overridden endpoints are signed for the client's region. */
	if (region && !copy(out->signing_region, sizeof(out->signing_region), region))
		return craft_err_set(err, CRAFT_EUSAGE, "region name too long");
	if (!ignore && config)
		ignore = truthy(craft_profile_get(config, prof, "ignore_configured_endpoint_urls"));
	if (opt_url && *opt_url) {
		url = opt_url;
		out->from = "--endpoint-url";
	}
	if (!url && !ignore) {
		url = craft_env_get(svc->endpoint_env);
		out->from = "AWS_ENDPOINT_URL_<SERVICE>";
		if (!url) {
			url = craft_env_get("AWS_ENDPOINT_URL");
			out->from = "AWS_ENDPOINT_URL";
		}
		if (!url && config) {
			url = services_url(config, prof, svc);
			out->from = "the profile's services section";
		}
		if (!url && config) {
			url = craft_profile_get(config, prof, "endpoint_url");
			out->from = "the profile's endpoint_url";
		}
	}
	if (!url) {
		if (standard(out, svc, region, std, sizeof(std), err) != CRAFT_OK)
			return CRAFT_EUSAGE;
		url = std;
		out->from = "the standard endpoint";
	}
	if (craft_endpoint_parse_url(out, url, err) != CRAFT_OK)
		return craft_err_prefix(err, "%s", out->from);
	return CRAFT_OK;
}
