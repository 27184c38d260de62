#include <criterion/criterion.h>
#include <string.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/profile.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "core/env.h"

/* A fake environment: NULL-terminated name/value pairs. */
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

TestSuite(endpoint, .fini = restore_env);
TestSuite(retry, .fini = restore_env);
TestSuite(client, .fini = restore_env);
TestSuite(credentials, .fini = restore_env);

static void parse(struct craft_profile_file *f, int config, const char *text)
{
	struct craft_err err;

	craft_profile_init(f, config);
	craft_err_init(&err);
	cr_assert_eq(craft_profile_parse(f, "test", text, strlen(text), &err), CRAFT_OK, "%s",
	             err.msg);
}

Test(profile, config_sections_keys_nesting_and_comments)
{
	struct craft_profile_file f;

	parse(&f, 1,
	      "# comment\n[default]\nregion = us-east-2\n; other\n[profile dev]\n"
	      "Region=eu-west-1\ncredential_process = /bin/x --a=b\ns3 =\n  "
	      "max_concurrent_requests "
	      "= 20\n[sso-session s]\nregion = ap-south-1\n[profile   spaced  ]\nk: v \r\n");
	cr_assert_str_eq(craft_profile_get(&f, "default", "region"), "us-east-2");
	cr_assert_str_eq(craft_profile_get(&f, "dev", "region"), "eu-west-1");
	cr_assert_str_eq(craft_profile_get(&f, "dev", "credential_process"), "/bin/x --a=b");
	cr_assert_str_eq(craft_profile_get(&f, "dev", "s3.max_concurrent_requests"), "20");
	cr_assert_str_eq(craft_profile_get(&f, "spaced", "k"), "v");
	cr_assert_null(craft_profile_get(&f, "s", "region")); /* not a profile */
	cr_assert(!craft_profile_has(&f, "sso-session s"));
	craft_profile_release(&f);
}

Test(profile, credentials_file_sections_are_bare_names)
{
	struct craft_profile_file f;

	parse(&f, 0, "[default]\naws_access_key_id=A\n[profile x]\naws_access_key_id=B\n");
	cr_assert_str_eq(craft_profile_get(&f, "default", "aws_access_key_id"), "A");
	cr_assert_str_eq(craft_profile_get(&f, "profile x", "aws_access_key_id"), "B");
	cr_assert_null(craft_profile_get(&f, "x", "aws_access_key_id"));
	craft_profile_release(&f);
}

Test(profile, later_values_win_and_sections_merge)
{
	struct craft_profile_file f;

	parse(&f, 1, "[profile a]\nregion=one\n[default]\n[profile a]\nregion=two\nx=1\n");
	cr_assert_str_eq(craft_profile_get(&f, "a", "region"), "two");
	cr_assert_str_eq(craft_profile_get(&f, "a", "x"), "1");
	craft_profile_release(&f);
}

Test(profile, errors_name_the_line)
{
	struct craft_profile_file f;
	struct craft_err err;
	static const char *const bad[] = { "region = x\n", "[default]\nno equals here\n",
		                           "[default\nk=v\n", "[default]\n = v\n" };
	static const char *const want[] = { "test:1: key outside", "test:2: expected",
		                            "test:1: section header", "test:2: empty key" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		craft_profile_init(&f, 1);
		craft_err_init(&err);
		cr_assert_eq(craft_profile_parse(&f, "test", bad[i], strlen(bad[i]), &err),
		             CRAFT_ECONFIG);
		cr_assert(strstr(err.msg, want[i]), "'%s' lacks '%s'", err.msg, want[i]);
		craft_profile_release(&f);
	}
}

Test(endpoint, region_names)
{
	/* one rule for the stack file, --region and AWS_REGION: AWS's form */
	static const char *const good[] = { "us-east-2", "eu-central-1", "cn-north-1",
		                            "us-gov-west-1", "ap-southeast-4" };
	static const char *const bad[] = { "",      "US-EAST-1", "us_east_1", "us east 1",
		                           "-us",   "us-",       "us.east",   "a/b",
		                           "local", "us-east2",  "useast-1",  "us-east-",
		                           "us-1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(craft_endpoint_check_region(good[i], NULL), CRAFT_OK, "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(craft_endpoint_check_region(bad[i], NULL), CRAFT_EUSAGE, "%s", bad[i]);
}

Test(endpoint, region_precedence)
{
	static const char *const env[] = { "AWS_REGION", "eu-west-1", "AWS_DEFAULT_REGION",
		                           "us-west-1", NULL };
	static const char *const env2[] = { "AWS_DEFAULT_REGION", "us-west-1", NULL };
	struct craft_profile_file f;
	char r[64];

	parse(&f, 1, "[default]\nregion=ap-south-1\n[profile p]\nregion=sa-east-1\n");
	use_env(env);
	cr_assert_eq(craft_endpoint_region(r, sizeof(r), "us-east-2", &f, "default", NULL),
	             CRAFT_OK);
	cr_assert_str_eq(r, "us-east-2");
	cr_assert_eq(craft_endpoint_region(r, sizeof(r), NULL, &f, "default", NULL), CRAFT_OK);
	cr_assert_str_eq(r, "eu-west-1");
	use_env(env2);
	cr_assert_eq(craft_endpoint_region(r, sizeof(r), NULL, &f, "default", NULL), CRAFT_OK);
	cr_assert_str_eq(r, "us-west-1");
	use_env(NULL);
	cr_assert_eq(craft_endpoint_region(r, sizeof(r), NULL, &f, "p", NULL), CRAFT_OK);
	cr_assert_str_eq(r, "sa-east-1");
	cr_assert_eq(craft_endpoint_region(r, sizeof(r), NULL, NULL, "p", NULL), CRAFT_EUSAGE);
	craft_profile_release(&f);
}

static const char *resolve(const char *service, const char *region, const char *opt,
                           struct craft_profile_file *f, const char *profile)
{
	static struct craft_endpoint ep;
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_endpoint_resolve(&ep, craft_aws_model_find(service), region, opt, f,
	                                    profile, &err),
	             CRAFT_OK, "%s", err.msg);
	return ep.url;
}

Test(endpoint, endpoint_precedence)
{
	static const char *const all[] = { "AWS_ENDPOINT_URL_EC2", "http://ec2-env:1",
		                           "AWS_ENDPOINT_URL", "http://global-env:2", NULL };
	static const char *const global[] = { "AWS_ENDPOINT_URL", "http://global-env:2", NULL };
	static const char *const ignore[] = { "AWS_ENDPOINT_URL", "http://global-env:2",
		                              "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", NULL };
	struct craft_profile_file f;

	parse(&f, 1,
	      "[default]\nendpoint_url = http://profile:3\n[profile ign]\n"
	      "endpoint_url = http://profile:3\nignore_configured_endpoint_urls = true\n");
	use_env(all);
	cr_assert_str_eq(resolve("ec2", "us-east-2", "http://opt:9", &f, "default"),
	                 "http://opt:9");
	cr_assert_str_eq(resolve("ec2", "us-east-2", NULL, &f, "default"), "http://ec2-env:1");
	cr_assert_str_eq(resolve("sts", "us-east-2", NULL, &f, "default"), "http://global-env:2");
	use_env(global);
	cr_assert_str_eq(resolve("ec2", "us-east-2", NULL, &f, "default"), "http://global-env:2");
	use_env(NULL);
	cr_assert_str_eq(resolve("ec2", "us-east-2", NULL, &f, "default"), "http://profile:3");
	cr_assert_str_eq(resolve("ec2", "us-east-2", NULL, &f, "ign"),
	                 "https://ec2.us-east-2.amazonaws.com");
	cr_assert_str_eq(resolve("ec2", "us-east-2", NULL, NULL, "default"),
	                 "https://ec2.us-east-2.amazonaws.com");
	cr_assert_str_eq(resolve("sts", "cn-north-1", NULL, NULL, "default"),
	                 "https://sts.cn-north-1.amazonaws.com.cn");
	use_env(ignore);
	cr_assert_str_eq(resolve("ec2", "eu-west-1", NULL, &f, "default"),
	                 "https://ec2.eu-west-1.amazonaws.com");
	cr_assert_str_eq(resolve("ec2", "eu-west-1", "http://opt:9", &f, "default"),
	                 "http://opt:9");
	craft_profile_release(&f);
}

Test(endpoint, url_parts_and_host_header)
{
	struct craft_endpoint ep;

	cr_assert_eq(craft_endpoint_parse_url(&ep, "http://127.0.0.1:4566", NULL), CRAFT_OK);
	cr_assert_str_eq(ep.host, "127.0.0.1:4566");
	cr_assert_str_eq(ep.path, "/");
	cr_assert_eq(craft_endpoint_parse_url(&ep, "https://h.example:443/base?x#y", NULL),
	             CRAFT_OK);
	cr_assert_str_eq(ep.host, "h.example");
	cr_assert_str_eq(ep.path, "/base");
	cr_assert_str_eq(ep.scheme, "https");
	cr_assert_eq(craft_endpoint_parse_url(&ep, "ftp://h", NULL), CRAFT_EUSAGE);
	cr_assert_eq(craft_endpoint_parse_url(&ep, "http://", NULL), CRAFT_EUSAGE);
	cr_assert_eq(craft_endpoint_parse_url(&ep, "http://user@h/", NULL), CRAFT_EUSAGE);
}

Test(retry, classification)
{
	static const char *const throttles[] = {
		"Throttling",       "ThrottlingException",      "RequestLimitExceeded",
		"RequestThrottled", "TooManyRequestsException", "EC2ThrottledException"
	};

	for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
		cr_assert_eq(craft_retry_classify_answer(400, throttles[i]), CRAFT_RETRY_THROTTLE);
	/* botocore lists it among both: throttling, then transient */
	cr_assert_eq(craft_retry_classify_answer(400, "PriorRequestNotComplete"),
	             CRAFT_RETRY_THROTTLE);
	cr_assert_eq(craft_retry_classify_answer(400, "RequestTimeout"), CRAFT_RETRY_TRANSIENT);
	cr_assert_eq(craft_retry_classify_answer(429, ""), CRAFT_RETRY_THROTTLE);
	for (long s = 500; s <= 504; s++)
		cr_assert_eq(craft_retry_classify_answer(s, NULL),
		             s == 501 ? CRAFT_RETRY_NO : CRAFT_RETRY_TRANSIENT, "%ld", s);
	cr_assert_eq(craft_retry_classify_answer(400, "DependencyViolation"), CRAFT_RETRY_NO);
	cr_assert_eq(craft_retry_classify_answer(400, "InvalidVpcID.NotFound"), CRAFT_RETRY_NO);
	cr_assert_eq(craft_retry_classify_answer(403, "AuthFailure"), CRAFT_RETRY_NO);
	cr_assert_eq(craft_retry_classify_transport(CURLE_COULDNT_CONNECT), CRAFT_RETRY_TRANSIENT);
	cr_assert_eq(craft_retry_classify_transport(CURLE_RECV_ERROR), CRAFT_RETRY_TRANSIENT);
	cr_assert_eq(craft_retry_classify_transport(CURLE_OPERATION_TIMEDOUT), CRAFT_RETRY_TIMEOUT);
	cr_assert_eq(craft_retry_classify_transport(CURLE_PEER_FAILED_VERIFICATION),
	             CRAFT_RETRY_NO);
	cr_assert(craft_retry_is_clock_skew("RequestTimeTooSkewed"));
	cr_assert(!craft_retry_is_clock_skew("Throttling"));
}

Test(retry, full_jitter_backoff_capped_at_20s)
{
	cr_assert_eq(craft_retry_backoff_ms(1, 1000, 20000, 0.5), 500);
	cr_assert_eq(craft_retry_backoff_ms(2, 1000, 20000, 0.5), 1000);
	cr_assert_eq(craft_retry_backoff_ms(4, 1000, 20000, 0.999), 7992);
	cr_assert_eq(craft_retry_backoff_ms(6, 1000, 20000, 0.5), 10000); /* 32 s capped to 20 */
	cr_assert_eq(craft_retry_backoff_ms(60, 1000, 20000, 0.9999), 19998);
	cr_assert_eq(craft_retry_backoff_ms(3, 1000, 20000, 0.0), 0);
}

Test(retry, max_attempts_from_env)
{
	static const char *const three[] = { "AWS_MAX_ATTEMPTS", "3", NULL };
	static const char *const junk[] = { "AWS_MAX_ATTEMPTS", "x", NULL };

	use_env(NULL);
	cr_assert_eq(craft_retry_max_attempts(), 5);
	use_env(three);
	cr_assert_eq(craft_retry_max_attempts(), 3);
	use_env(junk);
	cr_assert_eq(craft_retry_max_attempts(), 5);
}

Test(credentials, time_parsing)
{
	cr_assert_eq(craft_aws_parse_time("2015-08-30T12:36:00Z"), 1440938160);
	cr_assert_eq(craft_aws_parse_time("2015-08-30T12:36:00.123Z"), 1440938160);
	cr_assert_eq(craft_aws_parse_time("2015-08-30T12:36:00+00:00"), 1440938160);
	cr_assert_eq(craft_aws_parse_time("2015-08-30 12:36:00Z"), -1);
	cr_assert_eq(craft_aws_parse_time("2015-13-30T12:36:00Z"), -1);
	cr_assert_eq(craft_aws_parse_time(NULL), -1);
}

Test(credentials, environment_first_partial_is_an_error)
{
	static const char *const env[] = { "AWS_ACCESS_KEY_ID",
		                           "AKID",
		                           "AWS_SECRET_ACCESS_KEY",
		                           "SECRET",
		                           "AWS_SESSION_TOKEN",
		                           "TOK",
		                           "AWS_CONFIG_FILE",
		                           "/nonexistent/c",
		                           "AWS_SHARED_CREDENTIALS_FILE",
		                           "/nonexistent/k",
		                           NULL };
	static const char *const partial[] = { "AWS_ACCESS_KEY_ID",
		                               "AKID",
		                               "AWS_CONFIG_FILE",
		                               "/nonexistent/c",
		                               "AWS_SHARED_CREDENTIALS_FILE",
		                               "/nonexistent/k",
		                               NULL };
	struct craft_aws_cred_opts o;
	struct craft_aws_creds c;
	struct craft_err err;

	memset(&o, 0, sizeof(o));
	use_env(env);
	craft_err_init(&err);
	cr_assert_eq(craft_aws_creds_resolve(&c, &o, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_str_eq(c.access_key_id, "AKID");
	cr_assert_str_eq(c.secret_access_key, "SECRET");
	cr_assert_str_eq(c.session_token, "TOK");
	cr_assert_str_eq(c.source, "environment");
	cr_assert_eq(c.expiration, 0);
	craft_aws_creds_clear(&c);
	cr_assert_eq(c.secret_access_key[0], '\0');
	use_env(partial);
	cr_assert_eq(craft_aws_creds_resolve(&c, &o, &err), CRAFT_ECRED);
	cr_assert(strstr(err.msg, "incomplete credentials"), "%s", err.msg);
	cr_assert_null(strstr(err.msg, "AKID"));
}

Test(credentials, expiry_margin)
{
	struct craft_aws_creds c;

	memset(&c, 0, sizeof(c));
	cr_assert(!craft_aws_creds_expiring(&c, 1000, 300));
	c.expiration = 1200;
	cr_assert(craft_aws_creds_expiring(&c, 1000, 300));
	cr_assert(!craft_aws_creds_expiring(&c, 800, 300));
}

Test(sigv4, redact_removes_secret_and_token_also_encoded)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);

	cr_assert_eq(craft_sigv4_redact(&b, "t=ab/c+d== and ab%2Fc%2Bd%3D%3D and s3cr3t!",
	                                "s3cr3t!", "ab/c+d=="),
	             CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "t=<redacted> and <redacted> and <redacted>");
	craft_buf_release(&b);
}

Test(sigv4, unsigned_payload_and_presign_with_token)
{
	struct craft_sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
	struct craft_sigv4_request req = { "GET", "/", "a=1", h, 1, NULL, 0 };
	struct craft_sigv4_params p;
	struct craft_sigv4_result r;

	memset(&p, 0, sizeof(p));
	p.access_key = "AKID";
	p.secret_key = "SECRET";
	p.session_token = "TOK/EN";
	p.region = "us-east-1";
	p.service = "s3";
	p.when = 1440938160;
	p.unsigned_payload = 1;
	p.presign = 1;
	p.expires = 60;
	craft_sigv4_result_init(&r);
	cr_assert_eq(craft_sigv4_sign(&req, &p, &r, NULL), CRAFT_OK);
	cr_assert(strstr(craft_buf_str(&r.canonical_request), "\nUNSIGNED-PAYLOAD"));
	cr_assert(strstr(craft_buf_str(&r.canonical_request), "X-Amz-Security-Token=TOK%2FEN"));
	cr_assert(strstr(craft_buf_str(&r.query_add), "X-Amz-Expires=60&X-Amz-Security-Token="));
	cr_assert_eq(r.nadd, 0);
	craft_sigv4_result_release(&r);
}

Test(sigv4, path_normalisation_off_keeps_segments)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);

	cr_assert_eq(craft_sigv4_canonical_uri(&b, "/a//b/../c/./d ", 0), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "/a//b/../c/./d%20");
	craft_buf_reset(&b);
	cr_assert_eq(craft_sigv4_canonical_uri(&b, "/a//b/../c/./d ", 1), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "/a/c/d%20");
	craft_buf_reset(&b);
	cr_assert_eq(craft_sigv4_canonical_uri(&b, "/%41", 1), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "/%2541"); /* double-encoded, as AWS wants (not S3) */
	craft_buf_release(&b);
}

/* The client's timers and errors, without any network. */
static int order[8];
static int norder;

static void tick(void *ud)
{
	order[norder++] = (int)(long)ud;
}

static struct craft_aws_client *offline_client(void)
{
	static const char *const env[] = { "AWS_CONFIG_FILE", "/nonexistent/c",
		                           "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k", NULL };
	struct craft_aws_options o;
	struct craft_aws_client *c = NULL;
	struct craft_err err;

	use_env(env);
	memset(&o, 0, sizeof(o));
	o.region = "us-east-2";
	craft_err_init(&err);
	cr_assert_eq(craft_aws_client_new(&c, &o, &err), CRAFT_OK, "%s", err.msg);
	return c;
}

Test(client, timers_fire_in_order_inside_run)
{
	struct craft_aws_client *c = offline_client();
	long long start = craft_now_ms();

	norder = 0;
	cr_assert_eq(craft_aws_timer(c, 60, tick, (void *)3L), CRAFT_OK);
	cr_assert_eq(craft_aws_timer(c, 0, tick, (void *)1L), CRAFT_OK);
	cr_assert_eq(craft_aws_timer(c, 30, tick, (void *)2L), CRAFT_OK);
	cr_assert_eq(craft_aws_run(c, NULL), CRAFT_OK);
	cr_assert_eq(norder, 3);
	cr_assert(order[0] == 1 && order[1] == 2 && order[2] == 3);
	cr_assert_geq(craft_now_ms() - start, 55);
	cr_assert_str_eq(craft_aws_client_region(c), "us-east-2");
	cr_assert_str_eq(craft_aws_client_endpoint(c, "ec2"),
	                 "https://ec2.us-east-2.amazonaws.com");
	craft_aws_client_free(c);
}

Test(client, unknown_service_fails_at_submit)
{
	struct craft_aws_client *c = offline_client();

	cr_assert_eq(craft_aws_submit(c, "s3", "ListBuckets", NULL, NULL, NULL), CRAFT_EUSAGE);
	cr_assert_null(craft_aws_client_endpoint(c, "s3"));
	craft_aws_client_free(c);
}

Test(client, invalid_region_is_a_usage_error)
{
	struct craft_aws_options o;
	struct craft_aws_client *c = NULL;
	struct craft_err err;

	use_env(NULL);
	memset(&o, 0, sizeof(o));
	o.region = "Mars 1";
	craft_err_init(&err);
	cr_assert_eq(craft_aws_client_new(&c, &o, &err), CRAFT_EUSAGE);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, "invalid region 'Mars 1'"), "%s", err.msg);
}

Test(sigv4, canonical_query_edge_cases)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);

	cr_assert_eq(craft_sigv4_canonical_query(&b, "&&"), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "");
	cr_assert_eq(craft_sigv4_canonical_query(&b, "b=2&a&a=1&%7e=%2f&bad=%zz"), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "a=&a=1&b=2&bad=%25zz&~=%2F");
	craft_buf_release(&b);
}
