#include "aws/client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"
#include "aws/retry.h"
#include "aws/sigv4.h"

#define NSERVICES         8
#define CRED_REFRESH_S    300 /* refresh temporary credentials this long before expiry */
#define SKEW_THRESHOLD_S  60
#define DEFAULT_IN_FLIGHT 16
#define MAX_BODY          (8u << 20)

struct call {
	struct craft_aws_client *c;
	const struct craft_aws_service *svc;
	int svc_index;
	char action[128];
	struct craft_buf body;
	craft_aws_done_fn fn;
	void *ud;
	int attempts;
	int skew_retried;
	int last_cost; /* quota taken by the latest retry (0: none) */
	long long not_before_ms;
	CURL *easy;
	struct curl_slist *hdrs;
	struct craft_http_response resp;
	char errbuf[CURL_ERROR_SIZE];
	long long started_ms;
	struct call *next;
};

struct timer {
	long long at_ms;
	void (*fn)(void *ud);
	void *ud;
	struct timer *next;
};

struct craft_aws_client {
	char region[64];
	char *profile;
	char *endpoint_url;
	struct craft_reporter reporter;
	int verbose;
	int max_in_flight;
	long retry_base_ms;
	long connect_timeout_ms;
	long timeout_ms;
	int max_attempts;
	int quota;
	long skew_s; /* server clock minus ours */
	struct craft_endpoint ep[NSERVICES];
	struct craft_aws_creds creds;
	int have_creds;
	int cred_failed;
	struct craft_err cred_err;
	CURLM *multi;
	struct call *queue; /* waiting for a slot or for their backoff */
	struct call *active;
	int in_flight;
	struct timer *timers;
	int running;
};

static void report(struct craft_aws_client *c, enum craft_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void report(struct craft_aws_client *c, enum craft_level level, const char *fmt, ...)
{
	va_list ap;

	if (!c->reporter.fn)
		return;
	va_start(ap, fmt);
	craft_vlogf(&c->reporter, level, fmt, ap);
	va_end(ap);
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
	if (opts->profile && *opts->profile) {
		c->profile = strdup(opts->profile);
		if (!c->profile) {
			rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (opts->endpoint_url && *opts->endpoint_url) {
		c->endpoint_url = strdup(opts->endpoint_url);
		if (!c->endpoint_url) {
			rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
			goto fail;
		}
	}
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
	if (c->profile && !craft_profile_has(&config, prof)) {
		/* An explicit profile must exist somewhere, as the AWS CLI rules. */
		struct craft_profile_file creds;
		char cpath[1024];
		int found;

		craft_profile_init(&creds, 0);
		craft_aws_credentials_path(cpath, sizeof(cpath));
		rc = craft_profile_load(&creds, cpath, err);
		found = rc == CRAFT_OK && craft_profile_has(&creds, prof);
		craft_profile_release(&creds);
		if (rc != CRAFT_OK && rc != CRAFT_ENOTFOUND)
			goto fail;
		craft_err_init(err);
		if (!found) {
			rc = craft_err_set(err, CRAFT_ECONFIG,
			                   "profile '%s' not found in '%s' or '%s'", prof, path,
			                   cpath);
			goto fail;
		}
		rc = CRAFT_OK;
	}
	rc = craft_endpoint_region(c->region, sizeof(c->region), opts->region, &config, prof, err);
	for (int i = 0; rc == CRAFT_OK && i < NSERVICES && craft_aws_services[i].name; i++)
		rc = craft_endpoint_resolve(&c->ep[i], &craft_aws_services[i], c->region,
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

static void call_free(struct call *k)
{
	if (!k)
		return;
	if (k->easy) {
		if (k->c && k->c->multi)
			curl_multi_remove_handle(k->c->multi, k->easy);
		curl_easy_cleanup(k->easy);
	}
	curl_slist_free_all(k->hdrs);
	craft_http_response_release(&k->resp);
	if (k->body.data)
		OPENSSL_cleanse(k->body.data, k->body.len);
	craft_buf_release(&k->body);
	free(k);
}

void craft_aws_client_free(struct craft_aws_client *c)
{
	if (!c)
		return;
	while (c->queue) {
		struct call *k = c->queue;

		c->queue = k->next;
		call_free(k);
	}
	while (c->active) {
		struct call *k = c->active;

		c->active = k->next;
		call_free(k);
	}
	while (c->timers) {
		struct timer *t = c->timers;

		c->timers = t->next;
		free(t);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	craft_aws_creds_clear(&c->creds);
	free(c->profile);
	free(c->endpoint_url);
	free(c);
}

const char *craft_aws_client_region(const struct craft_aws_client *c)
{
	return c->region;
}

static int service_index(const char *name)
{
	for (int i = 0; i < NSERVICES && craft_aws_services[i].name; i++)
		if (name && strcmp(craft_aws_services[i].name, name) == 0)
			return i;
	return -1;
}

const char *craft_aws_client_endpoint(const struct craft_aws_client *c, const char *service)
{
	int i = service_index(service);

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

craft_code craft_aws_submit(struct craft_aws_client *c, const char *service, const char *action,
                            const struct craft_query *params, craft_aws_done_fn fn, void *ud)
{
	int idx = service_index(service);
	struct call *k, **tail;
	craft_code rc;

	if (idx < 0)
		return CRAFT_EUSAGE;
	if (!action || !*action || strlen(action) >= sizeof(k->action))
		return CRAFT_EUSAGE;
	k = calloc(1, sizeof(*k));
	if (!k)
		return CRAFT_ENOMEM;
	k->c = c;
	k->svc = &craft_aws_services[idx];
	k->svc_index = idx;
	memcpy(k->action, action, strlen(action) + 1);
	k->fn = fn;
	k->ud = ud;
	craft_buf_init(&k->body, MAX_BODY);
	craft_http_response_init(&k->resp);
	rc = craft_buf_addstr(&k->body, "Action=");
	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(&k->body, action, strlen(action), 0);
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(&k->body, "&Version=%s", k->svc->version);
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
			rc = craft_buf_addch(&k->body, '&');
		if (rc == CRAFT_OK)
			rc = craft_query_encode(&rest, &k->body);
		craft_query_release(&rest);
	}
	if (rc != CRAFT_OK) {
		call_free(k);
		return rc;
	}
	for (tail = &c->queue; *tail; tail = &(*tail)->next)
		;
	*tail = k;
	return CRAFT_OK;
}

craft_code craft_aws_timer(struct craft_aws_client *c, long delay_ms, void (*fn)(void *ud),
                           void *ud)
{
	struct timer *t = calloc(1, sizeof(*t)), **p;

	if (!t)
		return CRAFT_ENOMEM;
	t->at_ms = craft_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->ud = ud;
	/* Sorted by time; equal times keep their order. */
	for (p = &c->timers; *p && (*p)->at_ms <= t->at_ms; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	return CRAFT_OK;
}

static double random_unit(void)
{
	unsigned int r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)rand();
	return (double)r / 4294967296.0;
}

static time_t signing_time(const struct craft_aws_client *c)
{
	return time(NULL) + c->skew_s;
}

/* Credentials for the next attempt: cached, refreshed before expiry. */
static craft_code ensure_creds(struct craft_aws_client *c, struct craft_err *err)
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
		report(c, CRAFT_LEVEL_DEBUG, "aws: credentials from %s", c->creds.source);
		return CRAFT_OK;
	}
	/* Still-valid credentials outlive a failed early refresh. */
	if (c->have_creds && c->creds.expiration > time(NULL) + 10) {
		report(c, CRAFT_LEVEL_WARN, "aws: cannot refresh credentials: %s", c->cred_err.msg);
		return CRAFT_OK;
	}
	c->cred_failed = 1;
	c->have_creds = 0;
	if (err)
		*err = c->cred_err;
	return rc;
}

static void trace_signing(struct craft_aws_client *c, const struct call *k,
                          const struct craft_sigv4_result *sr)
{
	struct craft_buf red = CRAFT_BUF_INIT(MAX_BODY * 2);

	if (c->verbose < 2 || !c->reporter.fn)
		return;
	if (craft_sigv4_redact(&red, craft_buf_str(&sr->canonical_request),
	                       c->creds.secret_access_key, c->creds.session_token) == CRAFT_OK)
		report(c, CRAFT_LEVEL_TRACE, "aws: %s %s canonical request:\n%s", k->svc->name,
		       k->action, craft_buf_str(&red));
	if (craft_sigv4_redact(&red, craft_buf_str(&sr->string_to_sign), c->creds.secret_access_key,
	                       c->creds.session_token) == CRAFT_OK)
		report(c, CRAFT_LEVEL_TRACE, "aws: %s %s string to sign:\n%s", k->svc->name,
		       k->action, craft_buf_str(&red));
	craft_buf_release(&red);
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value,
                                     int *ok)
{
	struct craft_buf b = CRAFT_BUF_INIT(64 * 1024);
	struct curl_slist *n = NULL;

	if (craft_buf_printf(&b, "%s: %s", name, value) == CRAFT_OK)
		n = curl_slist_append(l, craft_buf_str(&b));
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	craft_buf_release(&b);
	if (!n) {
		*ok = 0;
		return l;
	}
	return n;
}

/* Signs and hands one attempt to curl. */
static craft_code start_attempt(struct craft_aws_client *c, struct call *k, struct craft_err *err)
{
	const struct craft_endpoint *ep = &c->ep[k->svc_index];
	struct craft_sigv4_header hdrs[2] = {
		{ "Host", ep->host },
		{ "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
	};
	struct craft_sigv4_request req = { "POST", ep->path,     NULL,       hdrs,
		                           2,      k->body.data, k->body.len };
	struct craft_sigv4_params p;
	struct craft_sigv4_result sr;
	char url[1600];
	int ok = 1;
	craft_code rc;

	rc = ensure_creds(c, err);
	if (rc != CRAFT_OK)
		return rc;
	memset(&p, 0, sizeof(p));
	p.access_key = c->creds.access_key_id;
	p.secret_key = c->creds.secret_access_key;
	p.session_token = c->creds.session_token;
	p.region = c->region;
	p.service = k->svc->signing_name;
	p.when = signing_time(c);
	p.normalize_path = 1;
	craft_sigv4_result_init(&sr);
	rc = craft_sigv4_sign(&req, &p, &sr, err);
	if (rc != CRAFT_OK)
		goto cleanup;
	trace_signing(c, k, &sr);

	curl_slist_free_all(k->hdrs);
	k->hdrs = NULL;
	for (int i = 0; i < 2; i++)
		k->hdrs = add_header(k->hdrs, hdrs[i].name, hdrs[i].value, &ok);
	for (int i = 0; i < sr.nadd; i++)
		k->hdrs = add_header(k->hdrs, sr.add[i].name, sr.add[i].value, &ok);
	k->hdrs = add_header(k->hdrs, "Expect", "", &ok); /* no 100-continue round trip */
	if (!ok) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (!k->easy)
		k->easy = curl_easy_init();
	else
		curl_easy_reset(k->easy);
	if (!k->easy) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "cannot create an http handle");
		goto cleanup;
	}
	craft_http_response_release(&k->resp);
	craft_http_response_init(&k->resp);
	snprintf(url, sizeof(url), "%s://%s%s", ep->scheme, ep->host, ep->path);
	craft_http_setup(k->easy, c->connect_timeout_ms, c->timeout_ms);
	curl_easy_setopt(k->easy, CURLOPT_URL, url);
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->hdrs);
	curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, k->body.data ? k->body.data : "");
	curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE, (long)k->body.len);
	curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, craft_http_write_cb);
	curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, &k->resp);
	curl_easy_setopt(k->easy, CURLOPT_HEADERFUNCTION, craft_http_header_cb);
	curl_easy_setopt(k->easy, CURLOPT_HEADERDATA, &k->resp);
	curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->easy, CURLOPT_PRIVATE, k);
	k->errbuf[0] = '\0';
	if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
		rc = craft_err_set(err, CRAFT_ENET, "cannot start the request");
		goto cleanup;
	}
	k->attempts++;
	k->started_ms = craft_now_ms();
	report(c, CRAFT_LEVEL_DEBUG, "aws: %s %s (attempt %d) to %s", k->svc->name, k->action,
	       k->attempts, ep->url);
cleanup:
	craft_sigv4_result_release(&sr);
	return rc;
}

static void scrub(struct craft_aws_client *c, struct craft_err *e)
{
	struct craft_buf red = CRAFT_BUF_INIT(sizeof(e->msg) * 2);

	if (!c->have_creds)
		return;
	if (craft_sigv4_redact(&red, e->msg, c->creds.secret_access_key, c->creds.session_token) ==
	            CRAFT_OK &&
	    strcmp(craft_buf_str(&red), e->msg) != 0) {
		size_t n = red.len < sizeof(e->msg) - 1 ? red.len : sizeof(e->msg) - 1;

		memcpy(e->msg, red.data, n);
		e->msg[n] = '\0';
	}
	craft_buf_release(&red);
}

/* Calls the callback once and frees the call. */
static void finish(struct craft_aws_client *c, struct call *k, craft_code code,
                   const struct craft_err *e, xmlDocPtr doc)
{
	struct craft_aws_result res;

	memset(&res, 0, sizeof(res));
	res.code = code;
	if (e && code != CRAFT_OK)
		res.err = *e;
	res.err.code = code;
	if (code != CRAFT_OK)
		scrub(c, &res.err);
	res.http_status = k->resp.status;
	if (code != CRAFT_OK && !res.err.http_status)
		res.err.http_status = k->resp.status;
	res.doc = doc;
	res.body = craft_buf_str(&k->resp.body);
	res.body_len = k->resp.body.len;
	res.attempts = k->attempts;
	res.service = k->svc->name;
	res.action = k->action;
	if (k->fn)
		k->fn(k->ud, &res);
	if (res.doc)
		xmlFreeDoc(res.doc);
	call_free(k);
}

static void requeue(struct craft_aws_client *c, struct call *k, long delay_ms)
{
	struct call **tail;

	k->not_before_ms = craft_now_ms() + delay_ms;
	k->next = NULL;
	for (tail = &c->queue; *tail; tail = &(*tail)->next)
		;
	*tail = k;
}

/* After an answer or a transport failure: done, or another attempt. */
static void complete_attempt(struct craft_aws_client *c, struct call *k, CURLcode cc)
{
	struct craft_err e;
	enum craft_retry_kind kind;
	xmlDocPtr doc = NULL;
	craft_code rc;
	int cost;

	craft_err_init(&e);
	curl_multi_remove_handle(c->multi, k->easy);
	c->in_flight--;
	if (cc != CURLE_OK) {
		rc = craft_http_curl_error(cc, k->errbuf, c->ep[k->svc_index].url, &e);
		kind = craft_retry_classify_transport(cc);
		k->resp.status = 0;
	} else {
		curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->resp.status);
		rc = craft_xml_read_response(k->resp.body.data, k->resp.body.len, k->resp.status,
		                             &doc, &e);
		kind = rc == CRAFT_EAWS ? craft_retry_classify_answer(k->resp.status, e.aws_code)
		                        : CRAFT_RETRY_NO;
	}
	report(c, CRAFT_LEVEL_DEBUG, "aws: %s %s: HTTP %ld in %lld ms%s%s", k->svc->name, k->action,
	       k->resp.status, craft_now_ms() - k->started_ms, rc == CRAFT_OK ? "" : ": ",
	       rc == CRAFT_OK  ? ""
	       : e.aws_code[0] ? e.aws_code
	                       : e.msg);

	if (rc == CRAFT_OK) {
		/* Standard mode: a success gives back what its retry took, or a token. */
		c->quota += k->last_cost ? k->last_cost : CRAFT_RETRY_NO_RETRY_REFUND;
		if (c->quota > CRAFT_RETRY_QUOTA)
			c->quota = CRAFT_RETRY_QUOTA;
		finish(c, k, CRAFT_OK, NULL, doc);
		return;
	}

	/* A clock-skew error: correct from the server's Date, retry once. */
	if (rc == CRAFT_EAWS && !k->skew_retried && craft_retry_is_clock_skew(e.aws_code) &&
	    k->resp.date[0]) {
		time_t server = curl_getdate(k->resp.date, NULL);
		long skew = server > 0 ? (long)(server - time(NULL)) : 0;

		if (server > 0 && labs(skew - c->skew_s) > SKEW_THRESHOLD_S) {
			c->skew_s = skew;
			k->skew_retried = 1;
			report(c, CRAFT_LEVEL_WARN,
			       "aws: the local clock is off by %ld s from %s; correcting and "
			       "retrying",
			       skew, k->svc->name);
			requeue(c, k, 0);
			return;
		}
	}
	cost = kind == CRAFT_RETRY_TIMEOUT ? CRAFT_RETRY_TIMEOUT_COST : CRAFT_RETRY_COST;
	if (kind != CRAFT_RETRY_NO && k->attempts < c->max_attempts && c->quota >= cost) {
		long delay = craft_retry_backoff_ms(k->attempts, c->retry_base_ms,
		                                    CRAFT_RETRY_MAX_BACKOFF_MS, random_unit());

		c->quota -= cost;
		k->last_cost = cost;
		scrub(c, &e);
		report(c, CRAFT_LEVEL_DEBUG, "aws: retrying %s %s in %ld ms (attempt %d of %d): %s",
		       k->svc->name, k->action, delay, k->attempts + 1, c->max_attempts, e.msg);
		requeue(c, k, delay);
		return;
	}
	/* AWS errors keep their "<Code>: <Message>" form; a transport failure
	 * says how often it was tried. */
	if (kind != CRAFT_RETRY_NO && k->attempts > 1) {
		if (rc == CRAFT_EAWS)
			report(c, CRAFT_LEVEL_DEBUG, "aws: %s %s: giving up after %d attempts",
			       k->svc->name, k->action, k->attempts);
		else
			craft_err_prefix(&e, "after %d attempts", k->attempts);
	}
	finish(c, k, rc, &e, NULL);
}

static void fire_timers(struct craft_aws_client *c)
{
	long long now = craft_now_ms();

	while (c->timers && c->timers->at_ms <= now) {
		struct timer *t = c->timers;

		c->timers = t->next;
		t->fn(t->ud);
		free(t);
	}
}

/* Starts every queued call that may start now; returns the ms until the
 * next one may (or -1). */
static long start_ready(struct craft_aws_client *c)
{
	long long now = craft_now_ms();
	long long next = -1;
	struct call **p = &c->queue;

	while (*p) {
		struct call *k = *p;
		struct craft_err e;

		if (k->not_before_ms > now) {
			if (next < 0 || k->not_before_ms < next)
				next = k->not_before_ms;
			p = &k->next;
			continue;
		}
		if (c->in_flight >= c->max_in_flight)
			break;
		*p = k->next;
		craft_err_init(&e);
		if (start_attempt(c, k, &e) != CRAFT_OK) {
			finish(c, k, e.code ? e.code : CRAFT_EINTERNAL, &e, NULL);
			now = craft_now_ms();
			p = &c->queue; /* the callback may have queued more */
			continue;
		}
		k->next = c->active;
		c->active = k;
		c->in_flight++;
	}
	return next < 0 ? -1 : (long)(next - now > 0 ? next - now : 0);
}

static void unlink_active(struct craft_aws_client *c, struct call *k)
{
	for (struct call **p = &c->active; *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			k->next = NULL;
			return;
		}
	}
}

craft_code craft_aws_run(struct craft_aws_client *c, struct craft_err *err)
{
	if (c->running)
		return craft_err_set(err, CRAFT_EINTERNAL, "craft_aws_run called from a callback");
	c->running = 1;
	c->cred_failed = 0;
	while (c->queue || c->active || c->timers) {
		long wait = 1000, q;
		int still = 0, numfds = 0;
		CURLMsg *m;
		CURLMcode mc;

		fire_timers(c);
		q = start_ready(c);
		mc = curl_multi_perform(c->multi, &still);
		if (mc != CURLM_OK) {
			c->running = 0;
			return craft_err_set(err, CRAFT_ENET, "curl: %s", curl_multi_strerror(mc));
		}
		while ((m = curl_multi_info_read(c->multi, &still)) != NULL) {
			struct call *k = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
			if (!k)
				continue;
			unlink_active(c, k);
			complete_attempt(c, k, m->data.result);
		}
		/* Sleep until a socket is ready, a timer is due or a backoff ends. */
		if (q >= 0 && q < wait)
			wait = q;
		if (c->timers) {
			long long t = c->timers->at_ms - craft_now_ms();

			if (t < wait)
				wait = t < 0 ? 0 : (long)t;
		}
		if (c->queue && q < 0 && c->in_flight < c->max_in_flight)
			wait = 0;
		if (!c->queue && !c->active && !c->timers)
			break;
		if (wait > 0 || c->active) {
			mc = curl_multi_poll(c->multi, NULL, 0, (int)wait, &numfds);
			if (mc != CURLM_OK) {
				c->running = 0;
				return craft_err_set(err, CRAFT_ENET, "curl: %s",
				                     curl_multi_strerror(mc));
			}
		}
	}
	c->running = 0;
	return CRAFT_OK;
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

/* Paging. */
struct pager {
	struct craft_aws_client *c;
	const char *service;
	char action[128];
	struct craft_query params;
	craft_aws_page_fn page;
	void *page_ud;
	craft_aws_done_fn done;
	void *done_ud;
};

static const char *next_token(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *t = craft_xml_path_text(root, "nextToken");

	/* Query services other than EC2 nest it in <ActionResult>. */
	for (xmlNodePtr n = root ? root->children : NULL; n && !(t && *t); n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			t = craft_xml_path_text(n, "NextToken");
	if (!(t && *t))
		t = craft_xml_path_text(root, "NextToken");
	return t && *t ? t : NULL;
}

static void pager_free(struct pager *pg)
{
	craft_query_release(&pg->params);
	free(pg);
}

static void pager_done(void *ud, const struct craft_aws_result *res)
{
	struct pager *pg = ud;
	struct craft_aws_result *r = (struct craft_aws_result *)(uintptr_t)res;
	const char *tok;

	if (res->code == CRAFT_OK) {
		struct craft_err e;
		craft_code rc;

		craft_err_init(&e);
		rc = pg->page(pg->page_ud, res->doc, &e);
		if (rc != CRAFT_OK) {
			r->code = rc;
			if (!e.code)
				e.code = rc;
			r->err = e;
		} else if ((tok = next_token(res->doc)) != NULL) {
			if (craft_query_set(&pg->params, "NextToken", tok) == CRAFT_OK &&
			    craft_aws_submit(pg->c, pg->service, pg->action, &pg->params,
			                     pager_done, pg) == CRAFT_OK)
				return;
			r->code = craft_err_set(&r->err, CRAFT_ENOMEM, "out of memory");
		}
	}
	if (pg->done)
		pg->done(pg->done_ud, res);
	pager_free(pg);
}

static craft_code submit_paged(struct craft_aws_client *c, const char *service, const char *action,
                               const struct craft_query *params, craft_aws_page_fn page,
                               void *page_ud, craft_aws_done_fn done, void *done_ud)
{
	struct pager *pg;
	int idx = service_index(service);
	craft_code rc;

	if (idx < 0 || !action || !page || strlen(action) >= sizeof(pg->action))
		return CRAFT_EUSAGE;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return CRAFT_ENOMEM;
	pg->c = c;
	pg->service = craft_aws_services[idx].name;
	memcpy(pg->action, action, strlen(action) + 1);
	pg->page = page;
	pg->page_ud = page_ud;
	pg->done = done;
	pg->done_ud = done_ud;
	rc = craft_query_copy(&pg->params, params);
	if (rc == CRAFT_OK)
		rc = craft_aws_submit(c, service, action, &pg->params, pager_done, pg);
	if (rc != CRAFT_OK)
		pager_free(pg);
	return rc;
}

craft_code craft_aws_submit_paged(struct craft_aws_client *c, const char *service,
                                  const char *action, const struct craft_query *params,
                                  craft_aws_page_fn page, craft_aws_done_fn done, void *ud)
{
	return submit_paged(c, service, action, params, page, ud, done, ud);
}

static void sync_paged_done(void *ud, const struct craft_aws_result *res)
{
	struct sync_ctx *s = ud;

	s->code = res->code;
	s->err = res->err;
}

craft_code craft_aws_paginate(struct craft_aws_client *c, const char *service, const char *action,
                              const struct craft_query *params, craft_aws_page_fn page, void *ud,
                              struct craft_err *err)
{
	struct sync_ctx s;
	craft_code rc;

	if (c->running)
		return craft_err_set(err, CRAFT_EINTERNAL, "craft_aws_paginate from a callback");
	memset(&s, 0, sizeof(s));
	s.code = CRAFT_EINTERNAL;
	rc = submit_paged(c, service, action, params, page, ud, sync_paged_done, &s);
	if (rc != CRAFT_OK)
		return craft_err_set(err, rc, "cannot call %s %s", service ? service : "",
		                     action ? action : "");
	rc = craft_aws_run(c, err);
	if (rc != CRAFT_OK)
		return rc;
	if (s.code != CRAFT_OK && err)
		*err = s.err;
	return s.code;
}
