#include "aws/credentials.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"
#include "aws/query.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "core/buf.h"
#include "core/env.h"

/* What the chain works with: the profile files, loaded once. */
struct chain {
	const struct craft_aws_cred_opts *opts;
	const char *profile;
	int explicit_profile;
	struct craft_profile_file config;
	struct craft_profile_file creds;
	char config_path[1024];
	char creds_path[1024];
	struct craft_buf looked; /* "environment (AWS_ACCESS_KEY_ID), ..." */
};

typedef craft_code (*provider_fn)(struct chain *ch, struct craft_aws_creds *out,
                                  struct craft_err *err);

void craft_aws_creds_clear(struct craft_aws_creds *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

int craft_aws_creds_expiring(const struct craft_aws_creds *c, time_t now, long margin)
{
	return c->expiration != 0 && now + margin >= c->expiration;
}

time_t craft_aws_parse_time(const char *iso)
{
	struct tm tm;
	int n = 0;
	const char *rest;

	if (!iso)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n == 0)
		return -1;
	rest = iso + n;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (!(strcmp(rest, "Z") == 0 || strcmp(rest, "+00:00") == 0 || strcmp(rest, "") == 0 ||
	      strcmp(rest, "UTC") == 0))
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

const char *craft_aws_profile_name(const char *opt_profile)
{
	const char *p = opt_profile && *opt_profile ? opt_profile : craft_env_get("AWS_PROFILE");

	return p ? p : "default";
}

static void home_path(char *out, size_t cap, const char *env, const char *rel)
{
	const char *v = craft_env_get(env);
	const char *home = craft_env_get("HOME");

	if (v && v[0] == '~' && v[1] == '/' && home)
		snprintf(out, cap, "%s%s", home, v + 1);
	else if (v)
		snprintf(out, cap, "%s", v);
	else
		snprintf(out, cap, "%s/%s", home ? home : "", rel);
}

void craft_aws_config_path(char *out, size_t cap)
{
	home_path(out, cap, "AWS_CONFIG_FILE", ".aws/config");
}

void craft_aws_credentials_path(char *out, size_t cap)
{
	home_path(out, cap, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
}

static void looked(struct chain *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void looked(struct chain *ch, const char *fmt, ...)
{
	va_list ap;

	if (ch->looked.len)
		craft_buf_addstr(&ch->looked, "; ");
	va_start(ap, fmt);
	craft_buf_vprintf(&ch->looked, fmt, ap);
	va_end(ap);
}

static craft_code set_creds(struct craft_aws_creds *out, const char *source, const char *ak,
                            const char *sk, const char *token, struct craft_err *err)
{
	if (!ak || !*ak || !sk || !*sk)
		return craft_err_set(err, CRAFT_ECRED,
		                     "%s: incomplete credentials (need an access key id and a "
		                     "secret access key)",
		                     source);
	if (strlen(ak) >= sizeof(out->access_key_id) ||
	    strlen(sk) >= sizeof(out->secret_access_key) ||
	    (token && strlen(token) >= sizeof(out->session_token)))
		return craft_err_set(err, CRAFT_ECRED, "%s: credentials too long", source);
	memset(out, 0, sizeof(*out));
	memcpy(out->access_key_id, ak, strlen(ak) + 1);
	memcpy(out->secret_access_key, sk, strlen(sk) + 1);
	if (token)
		memcpy(out->session_token, token, strlen(token) + 1);
	snprintf(out->source, sizeof(out->source), "%s", source);
	return CRAFT_OK;
}

/* 1. The environment. */
static craft_code from_env(struct chain *ch, struct craft_aws_creds *out, struct craft_err *err)
{
	const char *ak = craft_env_get("AWS_ACCESS_KEY_ID");
	const char *sk = craft_env_get("AWS_SECRET_ACCESS_KEY");
	const char *tok = craft_env_get("AWS_SESSION_TOKEN");

	if (ch->explicit_profile) {
		looked(ch, "environment (skipped: --profile given)");
		return CRAFT_ENOTFOUND;
	}
	looked(ch, "environment (AWS_ACCESS_KEY_ID)");
	if (!ak && !sk)
		return CRAFT_ENOTFOUND;
	if (!tok)
		tok = craft_env_get("AWS_SECURITY_TOKEN");
	return set_creds(out, "environment", ak, sk, tok, err);
}

static char *read_small_file(const char *path, size_t max, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(max);

	if (craft_buf_read_file(&b, path, err) != CRAFT_OK) {
		/* A token file that was named but cannot be read ends the chain
		 * (CRAFT_ENOTFOUND would move on to the next provider). */
		craft_err_recode(err, CRAFT_ECRED);
		return NULL;
	}
	/* Trailing whitespace (a final newline) is no part of a token. */
	while (b.len &&
	       (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	return craft_buf_detach(&b, NULL);
}

/*
 * One STS call for credentials: unsigned (web identity) when signer is NULL,
 * else SigV4-signed with signer's keys. The answer's
 * <RESULT>/Credentials become out.
 */
static craft_code sts_call(struct chain *ch, const struct craft_aws_creds *signer,
                           const struct craft_query *q, const char *result, const char *source,
                           struct craft_aws_creds *out, struct craft_err *err)
{
	struct craft_endpoint ep;
	struct craft_buf body = CRAFT_BUF_INIT(1 << 20);
	struct craft_buf line = CRAFT_BUF_INIT(64 * 1024);
	struct craft_http_response resp;
	struct curl_slist *hdrs = NULL;
	struct craft_sigv4_result sr;
	char region[64], path[128];
	const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
	xmlDocPtr doc = NULL;
	xmlNodePtr c;
	int has_region = ch->opts->region && *ch->opts->region;
	craft_code rc;

	/* STS in the region when there is one, else the global endpoint. */
	snprintf(region, sizeof(region), "%s", has_region ? ch->opts->region : "us-east-1");
	craft_http_response_init(&resp);
	craft_sigv4_result_init(&sr);
	rc = craft_endpoint_resolve(&ep, craft_aws_model_find("sts"), region,
	                            ch->opts->endpoint_url, &ch->config, ch->profile, err);
	if (rc == CRAFT_OK && strcmp(ep.from, "the standard endpoint") == 0 && !has_region)
		rc = craft_endpoint_parse_url(&ep, "https://sts.amazonaws.com", err);
	if (rc != CRAFT_OK)
		goto cleanup;
	if (craft_query_encode(q, &body) != CRAFT_OK ||
	    craft_buf_printf(&line, "Content-Type: %s", ctype) != CRAFT_OK) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	hdrs = curl_slist_append(hdrs, craft_buf_str(&line));
	if (signer) {
		struct craft_sigv4_header h[2] = { { "Host", ep.host }, { "Content-Type", ctype } };
		struct craft_sigv4_request req = {
			"POST", ep.path, NULL, h, 2, body.data, body.len
		};
		struct craft_sigv4_params p;

		memset(&p, 0, sizeof(p));
		p.access_key = signer->access_key_id;
		p.secret_key = signer->secret_access_key;
		p.session_token = signer->session_token;
		p.region = region;
		p.service = "sts";
		p.when = time(NULL);
		p.normalize_path = 1;
		rc = craft_sigv4_sign(&req, &p, &sr, err);
		if (rc != CRAFT_OK)
			goto cleanup;
		craft_buf_reset(&line);
		if (craft_buf_printf(&line, "Host: %s", ep.host) == CRAFT_OK)
			hdrs = curl_slist_append(hdrs, craft_buf_str(&line));
		for (int i = 0; i < sr.nadd; i++) {
			craft_buf_reset(&line);
			if (craft_buf_printf(&line, "%s: %s", sr.add[i].name, sr.add[i].value) ==
			    CRAFT_OK)
				hdrs = curl_slist_append(hdrs, craft_buf_str(&line));
		}
	}
	rc = craft_http_request("POST", ep.url, hdrs, craft_buf_str(&body), 30000, &resp, err);
	if (rc == CRAFT_OK)
		rc = craft_xml_read_response(resp.body.data, resp.body.len, resp.status, &doc, err);
	if (rc != CRAFT_OK) {
		/* An STS refusal means no credentials; a transport failure stays one. */
		rc = rc == CRAFT_EAWS ? CRAFT_ECRED : rc;
		if (err) {
			err->code = rc;
			craft_err_prefix(
			        err, "%s: %s for %s", source,
			        craft_query_get(q, "Action") ? craft_query_get(q, "Action") : "sts",
			        craft_query_get(q, "RoleArn") ? craft_query_get(q, "RoleArn") : "");
		}
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s/Credentials", result);
	c = craft_xml_path(xmlDocGetRootElement(doc), path);
	rc = set_creds(out, source, craft_xml_path_text(c, "AccessKeyId"),
	               craft_xml_path_text(c, "SecretAccessKey"),
	               craft_xml_path_text(c, "SessionToken"), err);
	if (rc == CRAFT_OK) {
		out->expiration = craft_aws_parse_time(craft_xml_path_text(c, "Expiration"));
		if (out->expiration < 0)
			out->expiration = 0;
	}
cleanup:
	if (doc)
		xmlFreeDoc(doc);
	curl_slist_free_all(hdrs);
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	craft_http_response_release(&resp);
	craft_sigv4_result_release(&sr);
	if (body.data)
		OPENSSL_cleanse(body.data, body.len);
	craft_buf_release(&body);
	if (line.data)
		OPENSSL_cleanse(line.data, line.len);
	craft_buf_release(&line);
	return rc;
}

static const char *session_name(const char *given, char *buf, size_t cap)
{
	if (given && *given)
		return given;
	snprintf(buf, cap, "craftctl-%lld", (long long)time(NULL));
	return buf;
}

/* 2. Web identity: STS AssumeRoleWithWebIdentity. */
static craft_code from_web_identity(struct chain *ch, struct craft_aws_creds *out,
                                    struct craft_err *err)
{
	const char *token_file = craft_env_get("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = craft_env_get("AWS_ROLE_ARN");
	const char *session = craft_env_get("AWS_ROLE_SESSION_NAME");
	const char *where = "AWS_WEB_IDENTITY_TOKEN_FILE";
	struct craft_query q;
	char session_buf[64];
	char *token;
	craft_code rc;

	if (!token_file || !role) {
		token_file = craft_profile_get(&ch->config, ch->profile, "web_identity_token_file");
		role = craft_profile_get(&ch->config, ch->profile, "role_arn");
		session = craft_profile_get(&ch->config, ch->profile, "role_session_name");
		where = "the profile's web_identity_token_file";
	}
	looked(ch, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)");
	if (!token_file || !*token_file || !role || !*role)
		return CRAFT_ENOTFOUND;
	token = read_small_file(token_file, 64 * 1024, err);
	if (!token)
		return craft_err_prefix(err, "web identity (%s)", where);
	craft_query_init(&q);
	if (craft_query_add(&q, "Action", "AssumeRoleWithWebIdentity") != CRAFT_OK ||
	    craft_query_add(&q, "Version", "2011-06-15") != CRAFT_OK ||
	    craft_query_add(&q, "RoleArn", role) != CRAFT_OK ||
	    craft_query_add(&q, "RoleSessionName",
	                    session_name(session, session_buf, sizeof(session_buf))) != CRAFT_OK ||
	    craft_query_add(&q, "WebIdentityToken", token) != CRAFT_OK)
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	else
		rc = sts_call(ch, NULL, &q, "AssumeRoleWithWebIdentityResult", "web identity", out,
		              err);
	for (int i = 0; i < q.n; i++)
		OPENSSL_cleanse(q.params[i].value, strlen(q.params[i].value));
	craft_query_release(&q);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	return rc;
}

static craft_code static_keys(struct chain *ch, const char *profile, struct craft_aws_creds *out,
                              struct craft_err *err);

/* The credentials a role profile starts from: its source_profile (itself
 * a role profile or static keys) or its credential_source. */
static craft_code role_source(struct chain *ch, const char *profile, int depth,
                              struct craft_aws_creds *out, struct craft_err *err);

static craft_code assume_role(struct chain *ch, const char *profile, int depth,
                              struct craft_aws_creds *out, struct craft_err *err)
{
	const char *role = craft_profile_get(&ch->config, profile, "role_arn");
	const char *session = craft_profile_get(&ch->config, profile, "role_session_name");
	const char *ext = craft_profile_get(&ch->config, profile, "external_id");
	const char *dur = craft_profile_get(&ch->config, profile, "duration_seconds");
	struct craft_aws_creds base;
	struct craft_query q;
	char session_buf[64];
	craft_code rc;

	if (depth > 4)
		return craft_err_set(err, CRAFT_ECONFIG,
		                     "profile '%s': source_profile chain too long (a loop?)",
		                     profile);
	rc = role_source(ch, profile, depth, &base, err);
	if (rc != CRAFT_OK)
		return rc;
	craft_query_init(&q);
	if (craft_query_add(&q, "Action", "AssumeRole") != CRAFT_OK ||
	    craft_query_add(&q, "Version", "2011-06-15") != CRAFT_OK ||
	    craft_query_add(&q, "RoleArn", role) != CRAFT_OK ||
	    craft_query_add(&q, "RoleSessionName",
	                    session_name(session, session_buf, sizeof(session_buf))) != CRAFT_OK ||
	    (ext && craft_query_add(&q, "ExternalId", ext) != CRAFT_OK) ||
	    (dur && craft_query_add(&q, "DurationSeconds", dur) != CRAFT_OK))
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	else
		rc = sts_call(ch, &base, &q, "AssumeRoleResult", "assume role", out, err);
	craft_query_release(&q);
	craft_aws_creds_clear(&base);
	return rc;
}

static craft_code role_source(struct chain *ch, const char *profile, int depth,
                              struct craft_aws_creds *out, struct craft_err *err)
{
	const char *src = craft_profile_get(&ch->config, profile, "source_profile");
	const char *cs = craft_profile_get(&ch->config, profile, "credential_source");

	if (src && *src) {
		/* A profile may name itself to use its own static keys. */
		if (strcmp(src, profile) != 0 && craft_profile_get(&ch->config, src, "role_arn"))
			return assume_role(ch, src, depth + 1, out, err);
		return static_keys(ch, src, out, err);
	}
	if (cs && strcmp(cs, "Environment") == 0)
		return set_creds(out, "environment", craft_env_get("AWS_ACCESS_KEY_ID"),
		                 craft_env_get("AWS_SECRET_ACCESS_KEY"),
		                 craft_env_get("AWS_SESSION_TOKEN"), err);
	return craft_err_set(err, CRAFT_ECONFIG,
	                     "profile '%s': role_arn needs source_profile (or credential_source "
	                     "= Environment; '%s' is not supported)",
	                     profile, cs ? cs : "");
}

/* 2b. A role profile: role_arn + source_profile / credential_source. */
static craft_code from_assume_role(struct chain *ch, struct craft_aws_creds *out,
                                   struct craft_err *err)
{
	const char *role = craft_profile_get(&ch->config, ch->profile, "role_arn");

	looked(ch, "assume role (role_arn + source_profile of profile %s)", ch->profile);
	if (!role || !*role ||
	    craft_profile_get(&ch->config, ch->profile, "web_identity_token_file"))
		return CRAFT_ENOTFOUND;
	return assume_role(ch, ch->profile, 0, out, err);
}

/* 3. The shared credentials file. */
static craft_code from_credentials_file(struct chain *ch, struct craft_aws_creds *out,
                                        struct craft_err *err)
{
	const char *ak = craft_profile_get(&ch->creds, ch->profile, "aws_access_key_id");
	const char *sk = craft_profile_get(&ch->creds, ch->profile, "aws_secret_access_key");
	const char *tok = craft_profile_get(&ch->creds, ch->profile, "aws_session_token");
	char source[64];

	looked(ch, "shared credentials file (%s", ch->creds_path);
	craft_buf_printf(&ch->looked, " [%s])", ch->profile);
	if (!ak && !sk)
		return CRAFT_ENOTFOUND;
	snprintf(source, sizeof(source), "%s", "shared credentials file");
	return set_creds(out, source, ak, sk, tok, err);
}

static craft_code static_keys(struct chain *ch, const char *profile, struct craft_aws_creds *out,
                              struct craft_err *err)
{
	const struct craft_profile_file *files[2] = { &ch->creds, &ch->config };

	for (int i = 0; i < 2; i++) {
		const char *ak = craft_profile_get(files[i], profile, "aws_access_key_id");
		const char *sk = craft_profile_get(files[i], profile, "aws_secret_access_key");

		if (ak || sk)
			return set_creds(
			        out, i ? "shared config file" : "shared credentials file", ak, sk,
			        craft_profile_get(files[i], profile, "aws_session_token"), err);
	}
	return craft_err_set(err, CRAFT_ECONFIG, "source profile '%s' has no keys in '%s' or '%s'",
	                     profile, ch->creds_path, ch->config_path);
}

/* JSON credentials (credential_process, container, IMDS) into out. */
static craft_code from_json(struct craft_aws_creds *out, const char *source, const char *json,
                            const char *token_key, struct craft_err *err)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *v;
	craft_code rc;

	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return craft_err_set(err, CRAFT_ECRED, "%s: the answer is not a JSON object",
		                     source);
	}
	rc = set_creds(out, source,
	               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "AccessKeyId")),
	               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "SecretAccessKey")),
	               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, token_key)), err);
	v = cJSON_GetObjectItemCaseSensitive(o, "Expiration");
	if (rc == CRAFT_OK && cJSON_IsString(v)) {
		out->expiration = craft_aws_parse_time(v->valuestring);
		if (out->expiration < 0) {
			craft_aws_creds_clear(out);
			rc = craft_err_set(err, CRAFT_ECRED, "%s: bad Expiration '%.64s'", source,
			                   v->valuestring);
		}
	}
	cJSON_Delete(o);
	return rc;
}

/* 4. credential_process: run it, read its JSON. */
static craft_code from_process(struct chain *ch, struct craft_aws_creds *out, struct craft_err *err)
{
	const char *cmd = craft_profile_get(&ch->config, ch->profile, "credential_process");
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	char chunk[4096];
	size_t n;
	FILE *p;
	int status;
	cJSON *o;
	const cJSON *ver;
	craft_code rc;

	if (!cmd)
		cmd = craft_profile_get(&ch->creds, ch->profile, "credential_process");
	looked(ch, "credential_process of profile %s", ch->profile);
	if (!cmd || !*cmd)
		return CRAFT_ENOTFOUND;
	fflush(NULL);
	p = popen(cmd, "r");
	if (!p)
		return craft_err_set(err, CRAFT_ECRED,
		                     "credential_process: cannot run '%.200s': %s", cmd,
		                     strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (craft_buf_add(&b, chunk, n) != CRAFT_OK)
			break;
	status = pclose(p);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = craft_err_set(err, CRAFT_ECRED,
		                   "credential_process '%.200s' failed (exit status %d)", cmd,
		                   status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto cleanup;
	}
	o = cJSON_Parse(craft_buf_str(&b));
	ver = cJSON_GetObjectItemCaseSensitive(o, "Version");
	if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
		cJSON_Delete(o);
		rc = craft_err_set(err, CRAFT_ECRED,
		                   "credential_process '%.200s': expected JSON with \"Version\": 1",
		                   cmd);
		goto cleanup;
	}
	cJSON_Delete(o);
	rc = from_json(out, "credential_process", craft_buf_str(&b), "SessionToken", err);
cleanup:
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	craft_buf_release(&b);
	return rc;
}

/* 5. The shared config file's static keys. */
static craft_code from_config_file(struct chain *ch, struct craft_aws_creds *out,
                                   struct craft_err *err)
{
	const char *ak = craft_profile_get(&ch->config, ch->profile, "aws_access_key_id");
	const char *sk = craft_profile_get(&ch->config, ch->profile, "aws_secret_access_key");
	const char *tok = craft_profile_get(&ch->config, ch->profile, "aws_session_token");

	looked(ch, "shared config file (%s", ch->config_path);
	craft_buf_printf(&ch->looked, " [profile %s])", ch->profile);
	if (!ak && !sk)
		return CRAFT_ENOTFOUND;
	return set_creds(out, "shared config file", ak, sk, tok, err);
}

/* The container endpoint may only be plain http on addresses that cannot
 * leave the machine (as the AWS SDKs rule). */
static int allowed_container_host(const char *url)
{
	static const char *const ok[] = { "http://127.",           "http://localhost:",
		                          "http://localhost/",     "http://[::1]",
		                          "http://169.254.170.2:", "http://169.254.170.2/",
		                          "http://169.254.170.23", "http://[fd00:ec2::23]" };

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncasecmp(url, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/* 6. Container credentials. */
static craft_code from_container(struct chain *ch, struct craft_aws_creds *out,
                                 struct craft_err *err)
{
	const char *rel = craft_env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = craft_env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tok = craft_env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tok_file = craft_env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	struct craft_http_response resp;
	struct curl_slist *hdrs = NULL;
	struct craft_buf auth = CRAFT_BUF_INIT(64 * 1024);
	char url[2048];
	char *file_tok = NULL;
	craft_code rc;

	looked(ch, "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / "
	           "_FULL_URI)");
	if (rel)
		snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
	else if (full)
		snprintf(url, sizeof(url), "%s", full);
	else
		return CRAFT_ENOTFOUND;
	if (!allowed_container_host(url))
		return craft_err_set(err, CRAFT_ECRED,
		                     "container credentials: '%.200s' is not a loopback or "
		                     "container address (use https)",
		                     url);
	if (tok_file) {
		file_tok = read_small_file(tok_file, 16 * 1024, err);
		if (!file_tok)
			return craft_err_prefix(err, "container credentials");
		tok = file_tok;
	}
	if (tok && (strchr(tok, '\r') || strchr(tok, '\n'))) {
		rc = craft_err_set(
		        err, CRAFT_ECRED,
		        "container credentials: the authorization token has a line break");
		goto cleanup;
	}
	if (tok && craft_buf_printf(&auth, "Authorization: %s", tok) == CRAFT_OK)
		hdrs = curl_slist_append(hdrs, craft_buf_str(&auth));
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	craft_http_response_init(&resp);
	rc = craft_http_request("GET", url, hdrs, NULL, 5000, &resp, err);
	if (rc == CRAFT_OK && resp.status != 200)
		rc = craft_err_set(err, CRAFT_ECRED, "container credentials: HTTP %ld from %s",
		                   resp.status, url);
	else if (rc == CRAFT_OK)
		rc = from_json(out, "container credentials", craft_buf_str(&resp.body), "Token",
		               err);
	else
		craft_err_prefix(err, "container credentials");
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	craft_http_response_release(&resp);
cleanup:
	if (auth.data)
		OPENSSL_cleanse(auth.data, auth.len);
	craft_buf_release(&auth);
	curl_slist_free_all(hdrs);
	if (file_tok) {
		OPENSSL_cleanse(file_tok, strlen(file_tok));
		free(file_tok);
	}
	return rc;
}

static int truthy(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

/* 7. IMDSv2. A missing or silent metadata service means "not here". */
static craft_code from_imds(struct chain *ch, struct craft_aws_creds *out, struct craft_err *err)
{
	const char *base = craft_env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *tmo = craft_env_get("AWS_METADATA_SERVICE_TIMEOUT");
	long timeout = ch->opts->imds_timeout_ms;
	struct craft_http_response resp;
	struct curl_slist *hdrs = NULL;
	struct craft_buf h = CRAFT_BUF_INIT(8192);
	char url[2048], role[256], root[1024];
	size_t rl;
	craft_code rc;

	if (truthy(craft_env_get("AWS_EC2_METADATA_DISABLED"))) {
		looked(ch, "instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
		return CRAFT_ENOTFOUND;
	}
	if (!base)
		base = craft_profile_get(&ch->config, ch->profile, "ec2_metadata_service_endpoint");
	if (!base)
		base = "http://169.254.169.254";
	snprintf(root, sizeof(root), "%s", base);
	rl = strlen(root);
	while (rl && root[rl - 1] == '/')
		root[--rl] = '\0';
	looked(ch, "instance metadata (IMDSv2 at %s)", root);
	if (timeout <= 0) {
		char *end = NULL;
		double secs = tmo ? strtod(tmo, &end) : 1.0;

		timeout = (tmo && (end == tmo || secs <= 0)) ? 1000 : (long)(secs * 1000);
	}
	craft_http_response_init(&resp);

	/* The session token. */
	hdrs = curl_slist_append(hdrs, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	snprintf(url, sizeof(url), "%s/latest/api/token", root);
	rc = craft_http_request("PUT", url, hdrs, "", timeout, &resp, NULL);
	curl_slist_free_all(hdrs);
	hdrs = NULL;
	if (rc != CRAFT_OK || resp.status != 200 || resp.body.len == 0) {
		rc = CRAFT_ENOTFOUND; /* no metadata service (or no IMDSv2) here */
		goto cleanup;
	}
	if (craft_buf_printf(&h, "X-aws-ec2-metadata-token: %s", craft_buf_str(&resp.body)) !=
	    CRAFT_OK) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	hdrs = curl_slist_append(hdrs, craft_buf_str(&h));

	/* The role. */
	craft_http_response_release(&resp);
	craft_http_response_init(&resp);
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", root);
	rc = craft_http_request("GET", url, hdrs, NULL, timeout, &resp, err);
	if (rc == CRAFT_OK && resp.status == 404) {
		rc = CRAFT_ENOTFOUND; /* an instance without a role */
		goto cleanup;
	}
	if (rc != CRAFT_OK || resp.status != 200) {
		rc = craft_err_set(err, CRAFT_ECRED, "instance metadata: cannot read the role (%s)",
		                   rc != CRAFT_OK ? (err ? err->msg : "") : "HTTP error");
		goto cleanup;
	}
	rl = strcspn(craft_buf_str(&resp.body), "\r\n");
	if (rl == 0 || rl >= sizeof(role)) {
		rc = craft_err_set(err, CRAFT_ECRED, "instance metadata: no role name");
		goto cleanup;
	}
	memcpy(role, resp.body.data, rl);
	role[rl] = '\0';

	/* The credentials. */
	craft_http_response_release(&resp);
	craft_http_response_init(&resp);
	snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s", root, role);
	rc = craft_http_request("GET", url, hdrs, NULL, timeout, &resp, err);
	if (rc != CRAFT_OK || resp.status != 200) {
		rc = craft_err_set(err, CRAFT_ECRED,
		                   "instance metadata: cannot read the credentials of role %s",
		                   role);
		goto cleanup;
	}
	rc = from_json(out, "instance metadata", craft_buf_str(&resp.body), "Token", err);
cleanup:
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	craft_http_response_release(&resp);
	if (h.data)
		OPENSSL_cleanse(h.data, h.len);
	craft_buf_release(&h);
	curl_slist_free_all(hdrs);
	return rc;
}

static const provider_fn providers[] = {
	from_env,     from_web_identity, from_assume_role, from_credentials_file,
	from_process, from_config_file,  from_container,   from_imds,
};

static craft_code load_file(struct craft_profile_file *f, const char *path, struct craft_err *err)
{
	craft_code rc = craft_profile_load(f, path, err);

	if (rc == CRAFT_ENOTFOUND) {
		craft_err_init(err);
		return CRAFT_OK;
	}
	return rc;
}

craft_code craft_aws_creds_resolve(struct craft_aws_creds *out,
                                   const struct craft_aws_cred_opts *opts, struct craft_err *err)
{
	struct chain ch;
	craft_code rc;

	memset(&ch, 0, sizeof(ch));
	ch.opts = opts;
	ch.explicit_profile = opts->profile && *opts->profile;
	ch.profile = craft_aws_profile_name(opts->profile);
	craft_buf_init(&ch.looked, 8192);
	craft_profile_init(&ch.config, 1);
	craft_profile_init(&ch.creds, 0);
	craft_aws_config_path(ch.config_path, sizeof(ch.config_path));
	craft_aws_credentials_path(ch.creds_path, sizeof(ch.creds_path));
	memset(out, 0, sizeof(*out));
	rc = load_file(&ch.config, ch.config_path, err);
	if (rc == CRAFT_OK)
		rc = load_file(&ch.creds, ch.creds_path, err);
	if (rc != CRAFT_OK)
		goto cleanup;
	if (ch.explicit_profile && !craft_profile_has(&ch.config, ch.profile) &&
	    !craft_profile_has(&ch.creds, ch.profile)) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "profile '%s' not found in '%s' or '%s'",
		                   ch.profile, ch.config_path, ch.creds_path);
		goto cleanup;
	}
	rc = CRAFT_ENOTFOUND;
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		rc = providers[i](&ch, out, err);
		if (rc != CRAFT_ENOTFOUND)
			break;
	}
	if (rc == CRAFT_ENOTFOUND)
		rc = craft_err_set(err, CRAFT_ECRED, "no AWS credentials found; looked in: %s",
		                   craft_buf_str(&ch.looked));
	if (rc != CRAFT_OK)
		craft_aws_creds_clear(out);
cleanup:
	craft_buf_release(&ch.looked);
	craft_profile_release(&ch.config);
	craft_profile_release(&ch.creds);
	return rc;
}
