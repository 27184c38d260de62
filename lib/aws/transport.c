/* Calls on curl multi: each attempt signed afresh and sent, its answer read
 * by lib/aws/errors.c, retried as lib/aws/retry.h says; timers; the run
 * loop. */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/errors.h"
#include "aws/internal.h"
#include "aws/retry.h"

#define SKEW_THRESHOLD_S 60

struct craft_aws_call *craft_aws_call_new(struct craft_aws_client *c, int idx, const char *action,
                                          const char *method)
{
	struct craft_aws_call *k;

	if (!action || !*action || strlen(action) >= sizeof(k->action) || !method ||
	    strlen(method) >= sizeof(k->method))
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->c = c;
	k->svc = craft_aws_models[idx];
	k->svc_index = idx;
	memcpy(k->action, action, strlen(action) + 1);
	memcpy(k->method, method, strlen(method) + 1);
	craft_buf_init(&k->target, 64 * 1024);
	craft_buf_init(&k->body, CRAFT_AWS_MAX_BODY);
	craft_buf_init(&k->hdrbuf, 64 * 1024);
	craft_http_response_init(&k->resp);
	return k;
}

craft_code craft_aws_call_header(struct craft_aws_call *k, const char *name, const char *value)
{
	craft_code rc;

	if (k->nhdrs >= CRAFT_AWS_MAX_HDRS || !name || !*name || !value || strpbrk(name, ":\r\n") ||
	    strpbrk(value, "\r\n"))
		return CRAFT_EUSAGE;
	rc = craft_buf_add(&k->hdrbuf, name, strlen(name) + 1);
	if (rc == CRAFT_OK)
		rc = craft_buf_add(&k->hdrbuf, value, strlen(value) + 1);
	if (rc == CRAFT_OK)
		k->nhdrs++;
	return rc;
}

void craft_aws_call_free(struct craft_aws_call *k)
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
	craft_buf_release(&k->target);
	craft_buf_release(&k->hdrbuf);
	free(k);
}

void craft_aws_call_queue(struct craft_aws_client *c, struct craft_aws_call *k)
{
	struct craft_aws_call **tail;

	k->next = NULL;
	for (tail = &c->queue; *tail; tail = &(*tail)->next)
		;
	*tail = k;
}

craft_code craft_aws_timer(struct craft_aws_client *c, long delay_ms, void (*fn)(void *ud),
                           void *ud)
{
	struct craft_aws_timer *t = calloc(1, sizeof(*t)), **p;

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

static void trace_signing(struct craft_aws_client *c, const struct craft_aws_call *k,
                          const struct craft_sigv4_result *sr)
{
	struct craft_buf red = CRAFT_BUF_INIT(CRAFT_AWS_MAX_BODY * 2);

	if (c->verbose < 2 || !c->reporter.fn)
		return;
	if (craft_sigv4_redact(&red, craft_buf_str(&sr->canonical_request),
	                       c->creds.secret_access_key, c->creds.session_token) == CRAFT_OK)
		craft_aws_report(c, CRAFT_LEVEL_TRACE, "aws: %s %s canonical request:\n%s",
		                 k->svc->name, k->action, craft_buf_str(&red));
	if (craft_sigv4_redact(&red, craft_buf_str(&sr->string_to_sign), c->creds.secret_access_key,
	                       c->creds.session_token) == CRAFT_OK)
		craft_aws_report(c, CRAFT_LEVEL_TRACE, "aws: %s %s string to sign:\n%s",
		                 k->svc->name, k->action, craft_buf_str(&red));
	craft_buf_release(&red);
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value,
                                     int *ok)
{
	struct craft_buf b = CRAFT_BUF_INIT(64 * 1024);
	struct curl_slist *n = NULL;

	/* "Name;" is how curl sends a header with an empty value. */
	if (craft_buf_printf(&b, *value ? "%s: %s" : "%s;", name, value) == CRAFT_OK)
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

/* The URL path: the endpoint's, then the request's (one '/' between). */
static craft_code join_path(struct craft_buf *out, const char *base, const char *target)
{
	size_t bl = strlen(base);
	craft_code rc;

	if (!*target || *target == '?')
		return craft_buf_printf(out, "%s%s", base, target);
	if (bl && base[bl - 1] == '/' && *target == '/')
		bl--;
	rc = craft_buf_add(out, base, bl);
	if (rc == CRAFT_OK && *target != '/')
		rc = craft_buf_addch(out, '/');
	return rc == CRAFT_OK ? craft_buf_addstr(out, target) : rc;
}

static void set_method(CURL *h, const struct craft_aws_call *k)
{
	if (strcmp(k->method, "GET") == 0 && k->body.len == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(k->method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
	if (strcmp(k->method, "POST") == 0 || k->body.len) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, k->body.data ? k->body.data : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)k->body.len);
	}
}

/* Builds the headers to sign (Host first) from the call's own. */
static int sign_headers(const struct craft_aws_call *k, const struct craft_endpoint *ep,
                        struct craft_sigv4_header *h, int *has_type)
{
	const char *p = k->hdrbuf.data;
	int n = 0;

	*has_type = 0;
	h[n++] = (struct craft_sigv4_header){ "Host", ep->host };
	for (int i = 0; i < k->nhdrs; i++) {
		h[n].name = p;
		p += strlen(p) + 1;
		h[n].value = p;
		p += strlen(p) + 1;
		if (strcasecmp(h[n].name, "Content-Type") == 0)
			*has_type = 1;
		n++;
	}
	return n;
}

static craft_code sign(struct craft_aws_client *c, struct craft_aws_call *k, const char *path,
                       const char *query, const struct craft_sigv4_header *hdrs, int nh,
                       struct craft_sigv4_result *sr, struct craft_err *err)
{
	const struct craft_endpoint *ep = &c->ep[k->svc_index];
	struct craft_sigv4_request req = { k->method, path,         query,      hdrs,
		                           nh,        k->body.data, k->body.len };
	struct craft_sigv4_params p;

	memset(&p, 0, sizeof(p));
	p.access_key = c->creds.access_key_id;
	p.secret_key = c->creds.secret_access_key;
	p.session_token = c->creds.session_token;
	p.region = ep->signing_region[0] ? ep->signing_region : c->region;
	p.service = k->svc->signing_name;
	p.when = time(NULL) + c->skew_s;
	p.normalize_path = 1;
	return craft_sigv4_sign(&req, &p, sr, err);
}

/* Signs and hands one attempt to curl. */
static craft_code start_attempt(struct craft_aws_client *c, struct craft_aws_call *k,
                                struct craft_err *err)
{
	const struct craft_endpoint *ep = &c->ep[k->svc_index];
	struct craft_sigv4_header hdrs[CRAFT_AWS_MAX_HDRS + 1];
	struct craft_sigv4_result sr;
	struct craft_buf path = CRAFT_BUF_INIT(128 * 1024), url = CRAFT_BUF_INIT(128 * 1024);
	char *q;
	int ok = 1, nh, has_type;
	craft_code rc;

	rc = craft_aws_ensure_creds(c, err);
	if (rc != CRAFT_OK)
		return rc;
	craft_sigv4_result_init(&sr);
	rc = join_path(&path, ep->path, craft_buf_str(&k->target));
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(&url, "%s://%s%s", ep->scheme, ep->host,
		                      craft_buf_str(&path));
	if (rc != CRAFT_OK) {
		rc = craft_err_set(err, rc, "request path too long");
		goto cleanup;
	}
	q = strchr(path.data, '?');
	if (q)
		*q++ = '\0';
	nh = sign_headers(k, ep, hdrs, &has_type);
	rc = sign(c, k, path.data, q, hdrs, nh, &sr, err);
	if (rc != CRAFT_OK)
		goto cleanup;
	trace_signing(c, k, &sr);

	curl_slist_free_all(k->hdrs);
	k->hdrs = NULL;
	for (int i = 0; i < nh; i++)
		k->hdrs = add_header(k->hdrs, hdrs[i].name, hdrs[i].value, &ok);
	for (int i = 0; i < sr.nadd; i++)
		k->hdrs = add_header(k->hdrs, sr.add[i].name, sr.add[i].value, &ok);
	k->hdrs = add_header(k->hdrs, "Expect", "", &ok); /* no 100-continue round trip */
	if (!has_type) /* nor curl's own form Content-Type, which nobody signed */
		k->hdrs = curl_slist_append(k->hdrs, "Content-Type:");
	if (!ok || !k->hdrs) {
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
	craft_http_setup(k->easy, c->connect_timeout_ms, c->timeout_ms);
	curl_easy_setopt(k->easy, CURLOPT_URL, craft_buf_str(&url));
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->hdrs);
	set_method(k->easy, k);
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
	craft_aws_report(c, CRAFT_LEVEL_DEBUG, "aws: %s %s (attempt %d) to %s", k->svc->name,
	                 k->action, k->attempts, ep->url);
cleanup:
	craft_buf_release(&path);
	craft_buf_release(&url);
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
static void finish(struct craft_aws_client *c, struct craft_aws_call *k, craft_code code,
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
	craft_aws_call_free(k);
}

static void requeue(struct craft_aws_client *c, struct craft_aws_call *k, long delay_ms)
{
	k->not_before_ms = craft_now_ms() + delay_ms;
	craft_aws_call_queue(c, k);
}

/* A clock-skew error: correct from the server's Date, retry once. */
static int skew_retry(struct craft_aws_client *c, struct craft_aws_call *k, const char *code)
{
	time_t server;
	long skew;

	if (k->skew_retried || !craft_retry_is_clock_skew(code) || !k->resp.date[0])
		return 0;
	server = curl_getdate(k->resp.date, NULL);
	skew = server > 0 ? (long)(server - time(NULL)) : 0;
	if (server <= 0 || labs(skew - c->skew_s) <= SKEW_THRESHOLD_S)
		return 0;
	c->skew_s = skew;
	k->skew_retried = 1;
	craft_aws_report(c, CRAFT_LEVEL_WARN,
	                 "aws: the local clock is off by %ld s from %s; correcting and retrying",
	                 skew, k->svc->name);
	requeue(c, k, 0);
	return 1;
}

/* After an answer or a transport failure: done, or another attempt. */
static void complete_attempt(struct craft_aws_client *c, struct craft_aws_call *k, CURLcode cc)
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
		struct craft_aws_answer a = { craft_aws_protocol_name(k->svc->protocol),
			                      0,
			                      k->resp.request_id,
			                      k->resp.error_type,
			                      k->resp.body.data,
			                      k->resp.body.len };

		curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &k->resp.status);
		a.status = k->resp.status;
		rc = craft_aws_read_answer(&a, &doc, &e);
		kind = rc == CRAFT_EAWS ? craft_retry_classify_answer(k->resp.status, e.aws_code)
		                        : CRAFT_RETRY_NO;
	}
	craft_aws_report(c, CRAFT_LEVEL_DEBUG, "aws: %s %s: HTTP %ld in %lld ms%s%s", k->svc->name,
	                 k->action, k->resp.status, craft_now_ms() - k->started_ms,
	                 rc == CRAFT_OK ? "" : ": ",
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
	if (rc == CRAFT_EAWS && skew_retry(c, k, e.aws_code))
		return;
	cost = kind == CRAFT_RETRY_TIMEOUT ? CRAFT_RETRY_TIMEOUT_COST : CRAFT_RETRY_COST;
	if (kind != CRAFT_RETRY_NO && k->attempts < c->max_attempts && c->quota >= cost) {
		long delay = craft_retry_backoff_ms(k->attempts, c->retry_base_ms,
		                                    CRAFT_RETRY_MAX_BACKOFF_MS, random_unit());

		c->quota -= cost;
		k->last_cost = cost;
		scrub(c, &e);
		craft_aws_report(c, CRAFT_LEVEL_DEBUG,
		                 "aws: retrying %s %s in %ld ms (attempt %d of %d): %s",
		                 k->svc->name, k->action, delay, k->attempts + 1, c->max_attempts,
		                 e.msg);
		requeue(c, k, delay);
		return;
	}
	/* AWS errors keep their "<Code>: <Message>" form; a transport failure
	 * says how often it was tried. */
	if (kind != CRAFT_RETRY_NO && k->attempts > 1) {
		if (rc == CRAFT_EAWS)
			craft_aws_report(c, CRAFT_LEVEL_DEBUG,
			                 "aws: %s %s: giving up after %d attempts", k->svc->name,
			                 k->action, k->attempts);
		else
			craft_err_prefix(&e, "after %d attempts", k->attempts);
	}
	finish(c, k, rc, &e, NULL);
}

static void fire_timers(struct craft_aws_client *c)
{
	long long now = craft_now_ms();

	while (c->timers && c->timers->at_ms <= now) {
		struct craft_aws_timer *t = c->timers;

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
	struct craft_aws_call **p = &c->queue;

	while (*p) {
		struct craft_aws_call *k = *p;
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

static void unlink_active(struct craft_aws_client *c, struct craft_aws_call *k)
{
	for (struct craft_aws_call **p = &c->active; *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			k->next = NULL;
			return;
		}
	}
}

/* How long the loop may sleep: until a timer is due or a backoff ends. */
static long wait_ms(const struct craft_aws_client *c, long q)
{
	long wait = 1000;

	if (q >= 0 && q < wait)
		wait = q;
	if (c->timers) {
		long long t = c->timers->at_ms - craft_now_ms();

		if (t < wait)
			wait = t < 0 ? 0 : (long)t;
	}
	if (c->queue && q < 0 && c->in_flight < c->max_in_flight)
		wait = 0;
	return wait;
}

craft_code craft_aws_run(struct craft_aws_client *c, struct craft_err *err)
{
	if (c->running)
		return craft_err_set(err, CRAFT_EINTERNAL, "craft_aws_run called from a callback");
	c->running = 1;
	c->cred_failed = 0;
	while (c->queue || c->active || c->timers) {
		long wait, q;
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
			struct craft_aws_call *k = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
			if (!k)
				continue;
			unlink_active(c, k);
			complete_attempt(c, k, m->data.result);
		}
		if (!c->queue && !c->active && !c->timers)
			break;
		/* Sleep until a socket is ready, a timer is due or a backoff ends. */
		wait = wait_ms(c, q);
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
