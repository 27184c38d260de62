/* The client's life (options, profile, region, endpoints, credentials) and
 * the calls made from parameters or a serialized request; transport.c
 * drives them. */
#include "aws/client.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/internal.h"
#include "aws/profile.h"
#include "aws/retry.h"

#define CRED_REFRESH_S    300 /* refresh temporary credentials this long before expiry */
#define DEFAULT_IN_FLIGHT 16

void craft_aws_report(struct craft_aws_client *c, enum craft_level level, const char *fmt, ...)
{
	va_list ap;

	if (!c->reporter.fn)
		return;
	va_start(ap, fmt);
	craft_vlogf(&c->reporter, level, fmt, ap);
	va_end(ap);
}

static craft_code dup_opt(char **out, const char *v, struct craft_err *err)
{
	if (!v || !*v)
		return CRAFT_OK;
	*out = strdup(v);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

/* An explicit profile must exist somewhere, as the AWS CLI rules. */
static craft_code check_profile(const struct craft_profile_file *config, const char *path,
                                const char *prof, struct craft_err *err)
{
	struct craft_profile_file creds;
	char cpath[1024];
	int found;
	craft_code rc;

	if (craft_profile_has(config, prof))
		return CRAFT_OK;
	craft_profile_init(&creds, 0);
	craft_aws_credentials_path(cpath, sizeof(cpath));
	rc = craft_profile_load(&creds, cpath, err);
	found = rc == CRAFT_OK && craft_profile_has(&creds, prof);
	craft_profile_release(&creds);
	if (rc != CRAFT_OK && rc != CRAFT_ENOTFOUND)
		return rc;
	craft_err_init(err);
	if (!found)
		return craft_err_set(err, CRAFT_ECONFIG, "profile '%s' not found in '%s' or '%s'",
		                     prof, path, cpath);
	return CRAFT_OK;
}

static int nservices(void)
{
	int n = 0;

	while (craft_aws_models[n])
		n++;
	return n;
}

craft_code craft_aws_client_new(struct craft_aws_client **out, const struct craft_aws_options *opts,
                                struct craft_err *err)
{
	struct craft_aws_client *c;
	struct craft_profile_file config;
	char path[1024];
	const char *prof;
	craft_code rc;

	*out = NULL;
	rc = craft_http_global_init(err);
	if (rc != CRAFT_OK)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	craft_profile_init(&config, 1);
	rc = dup_opt(&c->profile, opts->profile, err);
	if (rc == CRAFT_OK)
		rc = dup_opt(&c->endpoint_url, opts->endpoint_url, err);
	c->ep = calloc((size_t)nservices(), sizeof(*c->ep));
	if (rc == CRAFT_OK && !c->ep)
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	if (rc != CRAFT_OK)
		goto fail;
	if (opts->reporter)
		c->reporter = *opts->reporter;
	c->verbose = opts->verbose;
	c->max_in_flight = opts->max_in_flight > 0 ? opts->max_in_flight : DEFAULT_IN_FLIGHT;
	c->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 1000;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
	c->max_attempts = craft_retry_max_attempts();
	c->quota = CRAFT_RETRY_QUOTA;

	/* Region and endpoints now, so a bad one is a usage error up front. */
	craft_aws_config_path(path, sizeof(path));
	rc = craft_profile_load(&config, path, err);
	if (rc == CRAFT_ENOTFOUND) {
		craft_err_init(err);
		rc = CRAFT_OK;
	}
	if (rc != CRAFT_OK)
		goto fail;
	prof = craft_aws_profile_name(c->profile);
	if (c->profile) {
		rc = check_profile(&config, path, prof, err);
		if (rc != CRAFT_OK)
			goto fail;
	}
	rc = craft_endpoint_region(c->region, sizeof(c->region), opts->region, &config, prof, err);
	for (int i = 0; rc == CRAFT_OK && craft_aws_models[i]; i++)
		rc = craft_endpoint_resolve(&c->ep[i], craft_aws_models[i], c->region,
		                            c->endpoint_url, &config, prof, err);
	if (rc != CRAFT_OK)
		goto fail;
	c->multi = curl_multi_init();
	if (!c->multi) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "cannot create a curl multi handle");
		goto fail;
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->max_in_flight);
	craft_profile_release(&config);
	*out = c;
	return CRAFT_OK;
fail:
	craft_profile_release(&config);
	craft_aws_client_free(c);
	return rc;
}

void craft_aws_client_free(struct craft_aws_client *c)
{
	if (!c)
		return;
	while (c->queue) {
		struct craft_aws_call *k = c->queue;

		c->queue = k->next;
		craft_aws_call_free(k);
	}
	while (c->active) {
		struct craft_aws_call *k = c->active;

		c->active = k->next;
		craft_aws_call_free(k);
	}
	while (c->timers) {
		struct craft_aws_timer *t = c->timers;

		c->timers = t->next;
		free(t);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	craft_aws_creds_clear(&c->creds);
	free(c->ep);
	free(c->profile);
	free(c->endpoint_url);
	free(c);
}

const char *craft_aws_client_region(const struct craft_aws_client *c)
{
	return c->region;
}

int craft_aws_service_index(const char *name)
{
	const struct craft_aws_model *s = craft_aws_model_find(name);

	for (int i = 0; s && craft_aws_models[i]; i++)
		if (craft_aws_models[i] == s)
			return i;
	return -1;
}

const char *craft_aws_client_endpoint(const struct craft_aws_client *c, const char *service)
{
	int i = craft_aws_service_index(service);

	return i < 0 ? NULL : c->ep[i].url;
}

xmlDocPtr craft_aws_result_take_doc(const struct craft_aws_result *res)
{
	/* The result is the client's own mutable struct, handed out const so
	 * callbacks cannot change the rest of it. */
	struct craft_aws_result *r = (struct craft_aws_result *)(uintptr_t)res;
	xmlDocPtr d = r->doc;

	r->doc = NULL;
	return d;
}

craft_code craft_aws_ensure_creds(struct craft_aws_client *c, struct craft_err *err)
{
	struct craft_aws_cred_opts o;
	struct craft_aws_creds fresh;
	craft_code rc;

	if (c->have_creds && !craft_aws_creds_expiring(&c->creds, time(NULL), CRED_REFRESH_S))
		return CRAFT_OK;
	if (c->cred_failed) {
		if (err)
			*err = c->cred_err;
		return c->cred_err.code;
	}
	memset(&o, 0, sizeof(o));
	o.profile = c->profile;
	o.region = c->region;
	o.endpoint_url = c->endpoint_url;
	rc = craft_aws_creds_resolve(&fresh, &o, &c->cred_err);
	if (rc == CRAFT_OK) {
		craft_aws_creds_clear(&c->creds);
		c->creds = fresh;
		craft_aws_creds_clear(&fresh);
		c->have_creds = 1;
		craft_aws_report(c, CRAFT_LEVEL_DEBUG, "aws: credentials from %s", c->creds.source);
		return CRAFT_OK;
	}
	/* Still-valid credentials outlive a failed early refresh. */
	if (c->have_creds && c->creds.expiration > time(NULL) + 10) {
		craft_aws_report(c, CRAFT_LEVEL_WARN, "aws: cannot refresh credentials: %s",
		                 c->cred_err.msg);
		return CRAFT_OK;
	}
	c->cred_failed = 1;
	c->have_creds = 0;
	if (err)
		*err = c->cred_err;
	return rc;
}

static int is_query(const struct craft_aws_model *s)
{
	return s->protocol == CRAFT_AWS_PROTO_EC2 || s->protocol == CRAFT_AWS_PROTO_QUERY;
}

/* Action, Version, then the caller's parameters but those two. */
static craft_code query_body(struct craft_buf *b, const char *action, const char *version,
                             const struct craft_query *params)
{
	craft_code rc = craft_buf_addstr(b, "Action=");

	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(b, action, strlen(action), 0);
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(b, "&Version=%s", version);
	if (rc == CRAFT_OK && params && params->n) {
		struct craft_query rest;

		/* Action and Version belong to the service table, not the caller. */
		craft_query_init(&rest);
		for (int i = 0; i < params->n && rc == CRAFT_OK; i++)
			if (strcmp(params->params[i].key, "Action") != 0 &&
			    strcmp(params->params[i].key, "Version") != 0)
				rc = craft_query_add(&rest, params->params[i].key,
				                     params->params[i].value);
		if (rc == CRAFT_OK && rest.n)
			rc = craft_buf_addch(b, '&');
		if (rc == CRAFT_OK)
			rc = craft_query_encode(&rest, b);
		craft_query_release(&rest);
	}
	return rc;
}

craft_code craft_aws_submit(struct craft_aws_client *c, const char *service, const char *action,
                            const struct craft_query *params, craft_aws_done_fn fn, void *ud)
{
	int idx = craft_aws_service_index(service);
	struct craft_aws_call *k;
	craft_code rc;

	if (idx < 0 || !is_query(craft_aws_models[idx]))
		return CRAFT_EUSAGE;
	k = craft_aws_call_new(c, idx, action, "POST");
	if (!k)
		return action && *action ? CRAFT_ENOMEM : CRAFT_EUSAGE;
	k->fn = fn;
	k->ud = ud;
	rc = craft_aws_call_header(k, "Content-Type",
	                           "application/x-www-form-urlencoded; charset=utf-8");
	if (rc == CRAFT_OK)
		rc = query_body(&k->body, action, k->svc->api_version, params);
	if (rc != CRAFT_OK) {
		craft_aws_call_free(k);
		return rc;
	}
	craft_aws_call_queue(c, k);
	return CRAFT_OK;
}

craft_code craft_aws_submit_raw(struct craft_aws_client *c, const struct craft_aws_raw_request *req,
                                craft_aws_done_fn fn, void *ud)
{
	int idx = craft_aws_service_index(req->service);
	struct craft_aws_call *k;
	craft_code rc = CRAFT_OK;

	if (idx < 0 || req->nheaders < 0 || req->nheaders > CRAFT_AWS_MAX_HDRS ||
	    (req->nheaders && !req->headers))
		return CRAFT_EUSAGE;
	k = craft_aws_call_new(c, idx, req->action, req->method ? req->method : "POST");
	if (!k)
		return req->action && *req->action ? CRAFT_ENOMEM : CRAFT_EUSAGE;
	k->fn = fn;
	k->ud = ud;
	if (req->path && *req->path)
		rc = craft_buf_addstr(&k->target, req->path);
	if (rc == CRAFT_OK && req->query && *req->query)
		rc = craft_buf_printf(&k->target, "?%s", req->query);
	for (int i = 0; rc == CRAFT_OK && i < req->nheaders; i++)
		rc = craft_aws_call_header(k, req->headers[i].name, req->headers[i].value);
	if (rc == CRAFT_OK && req->body_len)
		rc = craft_buf_add(&k->body, req->body, req->body_len);
	if (rc != CRAFT_OK) {
		craft_aws_call_free(k);
		return rc;
	}
	craft_aws_call_queue(c, k);
	return CRAFT_OK;
}

craft_code craft_aws_submit_json(struct craft_aws_client *c, const char *service,
                                 const char *action, const char *body, size_t len,
                                 craft_aws_done_fn fn, void *ud)
{
	const struct craft_aws_model *s = craft_aws_model_find(service);
	char target[256], type[64];
	struct craft_sigv4_header h[2] = { { "Content-Type", type }, { "X-Amz-Target", target } };
	struct craft_aws_raw_request req = { service, action, "POST", "/", NULL, h, 2, body, len };

	if (!s || s->protocol != CRAFT_AWS_PROTO_JSON || !action || !*action)
		return CRAFT_EUSAGE;
	if (!body) {
		req.body = "{}";
		req.body_len = 2;
	}
	snprintf(type, sizeof(type), "application/x-amz-json-%s", s->json_version);
	if ((size_t)snprintf(target, sizeof(target), "%s.%s", s->target_prefix, action) >=
	    sizeof(target))
		return CRAFT_EUSAGE;
	return craft_aws_submit_raw(c, &req, fn, ud);
}

craft_code craft_aws_submit_http(struct craft_aws_client *c, const char *service,
                                 const char *action, const struct craft_aws_http_req *req,
                                 craft_aws_done_fn fn, void *ud)
{
	struct craft_sigv4_header h[CRAFT_AWS_MAX_HDRS];
	struct craft_aws_raw_request raw = { service,
		                             action,
		                             req->method,
		                             craft_buf_str(&req->path),
		                             craft_buf_str(&req->query),
		                             h,
		                             0,
		                             req->body.data,
		                             req->body.len };

	if (req->nheaders < 0 || req->nheaders > CRAFT_AWS_MAX_HDRS)
		return CRAFT_EUSAGE;
	for (int i = 0; i < req->nheaders; i++)
		h[i] = (struct craft_sigv4_header){ req->headers[i].name, req->headers[i].value };
	raw.nheaders = req->nheaders;
	return craft_aws_submit_raw(c, &raw, fn, ud);
}

struct sync_ctx {
	craft_code code;
	struct craft_err err;
	xmlDocPtr doc;
};

static void sync_done(void *ud, const struct craft_aws_result *res)
{
	struct sync_ctx *s = ud;

	s->code = res->code;
	s->err = res->err;
	if (res->code == CRAFT_OK)
		s->doc = craft_aws_result_take_doc(res);
}

craft_code craft_aws_call(struct craft_aws_client *c, const char *service, const char *action,
                          const struct craft_query *params, xmlDocPtr *out, struct craft_err *err)
{
	struct sync_ctx s;
	craft_code rc;

	if (out)
		*out = NULL;
	if (c->running)
		return craft_err_set(err, CRAFT_EINTERNAL, "craft_aws_call from a callback");
	memset(&s, 0, sizeof(s));
	s.code = CRAFT_EINTERNAL;
	rc = craft_aws_submit(c, service, action, params, sync_done, &s);
	if (rc != CRAFT_OK)
		return craft_err_set(err, rc, "cannot call %s %s: %s", service ? service : "",
		                     action ? action : "",
		                     rc == CRAFT_EUSAGE ? "unknown service or action"
		                                        : craft_code_name(rc));
	rc = craft_aws_run(c, err);
	if (rc != CRAFT_OK) {
		if (s.doc)
			xmlFreeDoc(s.doc);
		return rc;
	}
	if (s.code != CRAFT_OK) {
		if (err)
			*err = s.err;
		return s.code;
	}
	if (out)
		*out = s.doc;
	else if (s.doc)
		xmlFreeDoc(s.doc);
	return CRAFT_OK;
}
