/*
 * awstool — a test driver for lib/aws (not shipped):
 *   awstool sign             JSON lines in (request + credentials + instant),
 *                            JSON lines out (body, X-Amz-Date, Authorization)
 *   awstool bench [SECONDS]  signatures per second
 *   awstool calls [opts]     N concurrent calls through the client
 *   awstool paginate [opts]  DescribeVpcs page by page
 *   awstool creds [opts]     runs the credential chain; prints where from
 *                            (never the secret)
 * Options: --region R --endpoint-url URL --profile P --count N
 *          --service S --action A --retry-base-ms MS --max-results N
 *          --sequential --in-flight N
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/query.h"
#include "aws/sigv4.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int sign_one(const char *line)
{
	cJSON *in = cJSON_Parse(line), *out = NULL;
	const cJSON *hs, *ps, *when;
	struct craft_sigv4_header hdrs[64];
	int nh = 0;
	struct craft_query q;
	struct craft_buf body = CRAFT_BUF_INIT(16 << 20);
	struct craft_sigv4_request req;
	struct craft_sigv4_params p;
	struct craft_sigv4_result r;
	struct craft_err err;
	const cJSON *h;
	char *s;
	int has_host = 0;

	if (!in) {
		fprintf(stderr, "awstool: bad json line\n");
		return 1;
	}
	craft_query_init(&q);
	hs = cJSON_GetObjectItemCaseSensitive(in, "headers");
	cJSON_ArrayForEach(h, hs)
	{
		if (nh >= 63)
			break;
		hdrs[nh].name = cJSON_GetArrayItem(h, 0)->valuestring;
		hdrs[nh].value = cJSON_GetArrayItem(h, 1)->valuestring;
		if (strcasecmp(hdrs[nh].name, "host") == 0)
			has_host = 1;
		nh++;
	}
	if (!has_host) {
		hdrs[nh].name = "Host";
		hdrs[nh].value = jstr(in, "host");
		nh++;
	}
	ps = cJSON_GetObjectItemCaseSensitive(in, "params");
	cJSON_ArrayForEach(h, ps) craft_query_add(&q, cJSON_GetArrayItem(h, 0)->valuestring,
	                                          cJSON_GetArrayItem(h, 1)->valuestring);
	craft_query_encode(&q, &body);

	memset(&req, 0, sizeof(req));
	req.method = jstr(in, "method");
	req.path = jstr(in, "path");
	req.headers = hdrs;
	req.nheaders = nh;
	if (strcmp(req.method, "GET") == 0) {
		req.query = craft_buf_str(&body);
	} else {
		req.body = body.data;
		req.body_len = body.len;
	}
	memset(&p, 0, sizeof(p));
	p.access_key = jstr(in, "ak");
	p.secret_key = jstr(in, "sk");
	p.session_token = jstr(in, "token");
	p.region = jstr(in, "region");
	p.service = jstr(in, "service");
	when = cJSON_GetObjectItemCaseSensitive(in, "when");
	p.when = (time_t)when->valuedouble;
	p.normalize_path = 1;
	craft_sigv4_result_init(&r);
	craft_err_init(&err);
	if (craft_sigv4_sign(&req, &p, &r, &err) != CRAFT_OK) {
		fprintf(stderr, "awstool: %s\n", err.msg);
		return 1;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "body", craft_buf_str(&body));
	cJSON_AddStringToObject(out, "amz_date", r.amz_date);
	cJSON_AddStringToObject(out, "authorization", craft_buf_str(&r.authorization));
	cJSON_AddStringToObject(out, "canonical", craft_buf_str(&r.canonical_request));
	s = cJSON_PrintUnformatted(out);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(out);
	cJSON_Delete(in);
	craft_sigv4_result_release(&r);
	craft_buf_release(&body);
	craft_query_release(&q);
	return 0;
}

static int cmd_sign(void)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	while (getline(&line, &cap, stdin) > 0)
		rc |= sign_one(line);
	free(line);
	return rc;
}

static int cmd_bench(double secs)
{
	struct craft_sigv4_header hdrs[] = {
		{ "Host", "ec2.us-east-2.amazonaws.com" },
		{ "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
	};
	const char *body =
	        "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3Acraftctl%3Astack"
	        "&Filter.1.Value.1=craftech";
	struct craft_sigv4_request req = { "POST", "/", NULL, hdrs, 2, body, strlen(body) };
	struct craft_sigv4_params p;
	struct craft_sigv4_result r;
	long long start = craft_now_ms(), n = 0, elapsed;
	struct timespec c0, c1;
	double cpu;

	memset(&p, 0, sizeof(p));
	p.access_key = "AKIDEXAMPLE";
	p.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	p.session_token = "FwoGZXIvYXdzEXAMPLETOKEN";
	p.region = "us-east-2";
	p.service = "ec2";
	p.normalize_path = 1;
	craft_sigv4_result_init(&r);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	do {
		for (int i = 0; i < 1000; i++) {
			p.when = (time_t)(1700000000 + n);
			if (craft_sigv4_sign(&req, &p, &r, NULL) != CRAFT_OK)
				return 1;
			n++;
		}
		elapsed = craft_now_ms() - start;
	} while (elapsed < (long long)(secs * 1000));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	craft_sigv4_result_release(&r);
	/* Per CPU second too: the wall-clock rate depends on the machine's load. */
	printf("%lld signatures in %.2f s: %.0f signatures/s (%.0f per CPU second, %.1f us each)\n",
	       n, (double)elapsed / 1000.0, (double)n * 1000.0 / (double)elapsed,
	       cpu > 0 ? (double)n / cpu : 0.0, cpu > 0 ? cpu * 1e6 / (double)n : 0.0);
	return 0;
}

struct opts {
	const char *region, *endpoint, *profile, *service, *action;
	int count, sequential, in_flight, max_results;
	long retry_base_ms;
	long timeout_ms;
};

struct tally {
	int ok, failed, attempts;
};

static void on_done(void *ud, const struct craft_aws_result *res)
{
	struct tally *t = ud;

	t->attempts += res->attempts;
	if (res->code == CRAFT_OK) {
		t->ok++;
	} else {
		t->failed++;
		printf("error: %s [%s] aws_code=%s http=%ld attempts=%d\n", res->err.msg,
		       craft_code_name(res->code), res->err.aws_code, res->err.http_status,
		       res->attempts);
	}
}

static void on_event(const struct craft_event *ev, void *ud)
{
	(void)ud;
	if (ev->kind == CRAFT_EV_LOG && ev->level <= CRAFT_LEVEL_DEBUG)
		fprintf(stderr, "%s\n", ev->message);
}

static int make_client(const struct opts *o, struct craft_aws_client **c,
                       const struct craft_reporter *rep)
{
	struct craft_aws_options co;
	struct craft_err err;

	memset(&co, 0, sizeof(co));
	co.region = o->region;
	co.endpoint_url = o->endpoint;
	co.profile = o->profile;
	co.retry_base_ms = o->retry_base_ms;
	co.timeout_ms = o->timeout_ms;
	co.max_in_flight = o->in_flight;
	co.reporter = rep;
	co.verbose = 1;
	craft_err_init(&err);
	if (craft_aws_client_new(c, &co, &err) != CRAFT_OK) {
		printf("error: %s [%s]\n", err.msg, craft_code_name(err.code));
		return craft_exit_status(err.code);
	}
	return 0;
}

static int cmd_calls(const struct opts *o)
{
	struct craft_reporter rep = { on_event, NULL };
	struct craft_aws_client *c;
	struct tally t = { 0, 0, 0 };
	struct craft_err err;
	long long start;
	int rc = make_client(o, &c, &rep);

	if (rc)
		return rc;
	start = craft_now_ms();
	for (int i = 0; i < o->count; i++) {
		struct craft_query q;
		char v[32];

		craft_query_init(&q);
		snprintf(v, sizeof(v), "call-%d", i);
		craft_query_add(&q, "Filter.1.Name", "tag:Name");
		craft_query_add(&q, "Filter.1.Value.1", v);
		if (craft_aws_submit(c, o->service, o->action, &q, on_done, &t) != CRAFT_OK) {
			printf("error: submit failed\n");
			return 1;
		}
		craft_query_release(&q);
		if (o->sequential && craft_aws_run(c, &err) != CRAFT_OK) {
			printf("error: run: %s\n", err.msg);
			return 1;
		}
	}
	craft_err_init(&err);
	if (craft_aws_run(c, &err) != CRAFT_OK) {
		printf("error: run: %s\n", err.msg);
		return 1;
	}
	printf("ok=%d failed=%d attempts=%d ms=%lld\n", t.ok, t.failed, t.attempts,
	       craft_now_ms() - start);
	craft_aws_client_free(c);
	return t.failed ? 1 : 0;
}

static craft_code count_page(void *ud, xmlDocPtr doc, struct craft_err *err)
{
	int *n = ud;

	(void)err;
	n[0]++;
	for (xmlNodePtr x = craft_xml_items(xmlDocGetRootElement(doc), "vpcSet"); x;
	     x = craft_xml_next_item(x))
		n[1]++;
	return CRAFT_OK;
}

static int cmd_paginate(const struct opts *o)
{
	struct craft_aws_client *c;
	struct craft_query q;
	struct craft_err err;
	char mr[16];
	int n[2] = { 0, 0 };
	int rc = make_client(o, &c, NULL);

	if (rc)
		return rc;
	craft_query_init(&q);
	snprintf(mr, sizeof(mr), "%d", o->max_results);
	craft_query_add(&q, "MaxResults", mr);
	craft_err_init(&err);
	rc = craft_aws_paginate(c, "ec2", "DescribeVpcs", &q, count_page, n, &err);
	craft_query_release(&q);
	craft_aws_client_free(c);
	if (rc != CRAFT_OK) {
		printf("error: %s\n", err.msg);
		return 1;
	}
	printf("pages=%d vpcs=%d\n", n[0], n[1]);
	return 0;
}

static int cmd_creds(const struct opts *o)
{
	struct craft_aws_cred_opts co;
	struct craft_aws_creds cr;
	struct craft_err err;

	memset(&co, 0, sizeof(co));
	co.profile = o->profile;
	co.region = o->region;
	co.endpoint_url = o->endpoint;
	craft_err_init(&err);
	if (craft_aws_creds_resolve(&cr, &co, &err) != CRAFT_OK) {
		printf("error: %s [%s]\n", err.msg, craft_code_name(err.code));
		return craft_exit_status(err.code);
	}
	printf("source=%s akid=%s token=%s expires=%s\n", cr.source, cr.access_key_id,
	       cr.session_token[0] ? "yes" : "no", cr.expiration ? "yes" : "no");
	craft_aws_creds_clear(&cr);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	memset(&o, 0, sizeof(o));
	o.service = "ec2";
	o.action = "DescribeVpcs";
	o.count = 1;
	o.max_results = 1;
	if (argc < 2) {
		fprintf(stderr, "usage: awstool sign|bench|calls|paginate|creds [options]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--sequential") == 0) {
			o.sequential = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "awstool: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--region") == 0)
			o.region = v;
		else if (strcmp(a, "--endpoint-url") == 0)
			o.endpoint = v;
		else if (strcmp(a, "--profile") == 0)
			o.profile = v;
		else if (strcmp(a, "--service") == 0)
			o.service = v;
		else if (strcmp(a, "--action") == 0)
			o.action = v;
		else if (strcmp(a, "--count") == 0)
			o.count = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--in-flight") == 0)
			o.in_flight = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--max-results") == 0)
			o.max_results = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--retry-base-ms") == 0)
			o.retry_base_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--timeout-ms") == 0)
			o.timeout_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--seconds") == 0)
			return cmd_bench(strtod(v, NULL));
		else {
			fprintf(stderr, "awstool: unknown option %s\n", a);
			return 2;
		}
	}
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign();
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(2.0);
	if (strcmp(argv[1], "calls") == 0)
		return cmd_calls(&o);
	if (strcmp(argv[1], "paginate") == 0)
		return cmd_paginate(&o);
	if (strcmp(argv[1], "creds") == 0)
		return cmd_creds(&o);
	fprintf(stderr, "awstool: unknown command %s\n", argv[1]);
	return 2;
}
