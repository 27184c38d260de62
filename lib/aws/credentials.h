/*
 * credentials — the AWS credential provider chain (CLI.md), in order:
 *
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *      (skipped when a profile is chosen explicitly with --profile)
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME], or the profile's web_identity_token_file +
 *      role_arn: STS AssumeRoleWithWebIdentity, an unsigned call
 *   3. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials), section [PROFILE]
 *   4. the profile's credential_process (JSON on stdout, Version 1)
 *   5. the shared config file (AWS_CONFIG_FILE, default ~/.aws/config),
 *      section [profile PROFILE] / [default]
 *   6. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   7. IMDSv2 (token PUT, then role GET) at AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      (default http://169.254.169.254) unless AWS_EC2_METADATA_DISABLED=true
 *
 * PROFILE is --profile, else AWS_PROFILE, else "default". A provider that is
 * configured but fails stops the chain with its error; when none is
 * configured the error (CRAFT_ECRED) lists every place that was looked at.
 * The secret and the session token never enter an error message.
 */
#ifndef CRAFT_AWS_CREDENTIALS_H
#define CRAFT_AWS_CREDENTIALS_H

#include <time.h>

#include "core/error.h"

struct craft_aws_creds {
	char access_key_id[128];
	char secret_access_key[256];
	char session_token[8192]; /* "" when none */
	time_t expiration;        /* 0: does not expire */
	char source[64];          /* "environment", "web identity", ... */
};

struct craft_aws_cred_opts {
	const char *profile;      /* --profile, or NULL */
	const char *region;       /* the resolved region (for STS), or NULL */
	const char *endpoint_url; /* --endpoint-url, or NULL (STS goes there too) */
	long imds_timeout_ms;     /* 0: AWS_METADATA_SERVICE_TIMEOUT or 1 s */
};

/* Runs the chain. */
craft_code craft_aws_creds_resolve(struct craft_aws_creds *out,
                                   const struct craft_aws_cred_opts *opts, struct craft_err *err);

/* Wipes the secrets. */
void craft_aws_creds_clear(struct craft_aws_creds *c);

/* True when c expires within margin seconds of now. */
int craft_aws_creds_expiring(const struct craft_aws_creds *c, time_t now, long margin);

/* Parses "2026-11-29T20:00:00Z" (fractions and +00:00 accepted); -1 when bad. */
time_t craft_aws_parse_time(const char *iso);

/* The profile name in effect: opts->profile, AWS_PROFILE, or "default". */
const char *craft_aws_profile_name(const char *opt_profile);
/* The shared file paths in effect (AWS_CONFIG_FILE / ~/.aws/config, ...). */
void craft_aws_config_path(char *out, size_t cap);
void craft_aws_credentials_path(char *out, size_t cap);

#endif
