/*
 * The C side of the protocol differential test and bench (make
 * test-awsproto, make bench): reads one request a line as JSON
 *   {"id", "service", "op", "params", "region", "host", "ak", "sk",
 *    "token" (session token or null), "when" (epoch seconds)}
 * and for each, serializes it through lib/aws/request.h and signs it with
 * lib/aws/sigv4.h, printing one JSON line with what it sent and signed:
 *   {"id", "method", "path", "query", "headers": [[name, value]...],
 *    "body" (base64), "canonical", "string_to_sign", "signature",
 *    "authorization"}  or  {"id", "error", "code"}.
 * An absent idempotency token is filled with "00000000-0000-4000-8000-"
 * and the request id on 12 digits, so botocore can be given the same.
 *
 * usage: driver sign < requests.jsonl
 *        driver bench [SECONDS] < requests.jsonl   (throughput per protocol)
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/model.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "core/base64.h"

struct item {
	cJSON *doc;
	const struct craft_aws_model *m;
	const struct craft_aws_op *op;
	long id;
};

/* tests/unit/aws/models/: services craftctl does not call, for what none
 * of those it calls has (rest-json, greedy labels, ...; tools/awsmodel.py). */
extern const struct craft_aws_model *const craft_aws_test_models[];

static const struct craft_aws_model *find_model(const char *name)
{
	for (const struct craft_aws_model *const *m = craft_aws_test_models; name && *m; m++)
		if (strcmp((*m)->name, name) == 0)
			return *m;
	return craft_aws_model_find(name);
}

static craft_code fixed_token(char out[64], void *ctx)
{
	snprintf(out, 64, "00000000-0000-4000-8000-%012ld", *(const long *)ctx);
	return CRAFT_OK;
}

static const char *str(const cJSON *doc, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Serializes and signs it; fills req and sig (both initialised). */
static craft_code run(const struct item *it, struct craft_aws_http_req *req,
                      struct craft_sigv4_result *sig, struct craft_err *err)
{
	struct craft_aws_ser_opts opts = { fixed_token, (void *)&it->id };
	struct craft_sigv4_header hs[CRAFT_AWS_REQ_MAX_HEADERS + 1];
	struct craft_sigv4_request sr;
	struct craft_sigv4_params p;
	craft_code rc;
	int n = 0;

	rc = craft_aws_serialize(it->m, it->op, cJSON_GetObjectItemCaseSensitive(it->doc, "params"),
	                         &opts, req, err);
	if (rc != CRAFT_OK)
		return rc;
	hs[n++] = (struct craft_sigv4_header){ "Host", str(it->doc, "host") };
	for (int i = 0; i < req->nheaders; i++)
		hs[n++] =
		        (struct craft_sigv4_header){ req->headers[i].name, req->headers[i].value };
	memset(&sr, 0, sizeof(sr));
	sr.method = req->method;
	sr.path = craft_buf_str(&req->path);
	sr.query = craft_buf_str(&req->query);
	sr.headers = hs;
	sr.nheaders = n;
	sr.body = req->body.data;
	sr.body_len = req->body.len;
	memset(&p, 0, sizeof(p));
	p.access_key = str(it->doc, "ak");
	p.secret_key = str(it->doc, "sk");
	p.session_token = str(it->doc, "token");
	p.region = str(it->doc, "region");
	p.service = it->m->signing_name;
	p.when = (time_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it->doc, "when"));
	p.normalize_path = 1;
	return craft_sigv4_sign(&sr, &p, sig, err);
}

static int load(struct item **items, size_t *n)
{
	static char line[1 << 22];
	size_t cap = 0;

	*items = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), stdin)) {
		cJSON *doc = cJSON_Parse(line);
		struct item it;

		if (!doc) {
			fprintf(stderr, "driver: line %zu is not JSON\n", *n + 1);
			return -1;
		}
		it.doc = doc;
		it.id = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "id"));
		it.m = find_model(str(doc, "service"));
		it.op = craft_aws_model_op(it.m, str(doc, "op"));
		if (*n == cap) {
			struct item *x = realloc(*items, (cap = cap ? cap * 2 : 256) * sizeof(*x));

			if (!x)
				return -1;
			*items = x;
		}
		(*items)[(*n)++] = it;
	}
	return 0;
}

static void print_one(const struct item *it)
{
	struct craft_aws_http_req req;
	struct craft_sigv4_result sig;
	struct craft_err err;
	cJSON *out = cJSON_CreateObject(), *hs;
	char *b64, *text;

	craft_aws_http_req_init(&req);
	craft_sigv4_result_init(&sig);
	craft_err_init(&err);
	cJSON_AddNumberToObject(out, "id", (double)it->id);
	if (!it->op) {
		cJSON_AddStringToObject(out, "error", "unknown service or operation");
		cJSON_AddStringToObject(out, "code", "usage");
	} else if (run(it, &req, &sig, &err) != CRAFT_OK) {
		cJSON_AddStringToObject(out, "error", err.msg);
		cJSON_AddStringToObject(out, "code", craft_code_name(err.code));
	} else {
		cJSON_AddStringToObject(out, "method", req.method);
		cJSON_AddStringToObject(out, "path", craft_buf_str(&req.path));
		cJSON_AddStringToObject(out, "query", craft_buf_str(&req.query));
		hs = cJSON_AddArrayToObject(out, "headers");
		for (int i = 0; i < req.nheaders; i++) {
			cJSON *pair = cJSON_CreateArray();

			cJSON_AddItemToArray(pair, cJSON_CreateString(req.headers[i].name));
			cJSON_AddItemToArray(pair, cJSON_CreateString(req.headers[i].value));
			cJSON_AddItemToArray(hs, pair);
		}
		b64 = craft_base64_encode(req.body.data ? req.body.data : "", req.body.len, 0);
		cJSON_AddStringToObject(out, "body", b64 ? b64 : "");
		free(b64);
		cJSON_AddStringToObject(out, "canonical", craft_buf_str(&sig.canonical_request));
		cJSON_AddStringToObject(out, "string_to_sign", craft_buf_str(&sig.string_to_sign));
		cJSON_AddStringToObject(out, "signature", sig.signature);
		cJSON_AddStringToObject(out, "authorization", craft_buf_str(&sig.authorization));
	}
	text = cJSON_PrintUnformatted(out);
	printf("%s\n", text ? text : "{}");
	free(text);
	cJSON_Delete(out);
	craft_sigv4_result_release(&sig);
	craft_aws_http_req_release(&req);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(const struct item *items, size_t n, double secs)
{
	for (int proto = CRAFT_AWS_PROTO_EC2; proto <= CRAFT_AWS_PROTO_RESTJSON; proto++) {
		size_t done = 0, bytes = 0, have = 0;
		double t0 = now(), t;

		for (size_t i = 0; i < n; i++)
			have += items[i].op && items[i].m->protocol == proto;
		if (!have)
			continue;
		do {
			for (size_t i = 0; i < n; i++) {
				struct craft_aws_http_req req;
				struct craft_sigv4_result sig;
				struct craft_err err;

				if (!items[i].op || items[i].m->protocol != proto)
					continue;
				craft_aws_http_req_init(&req);
				craft_sigv4_result_init(&sig);
				if (run(&items[i], &req, &sig, &err) == CRAFT_OK) {
					done++;
					bytes += req.body.len;
				}
				craft_sigv4_result_release(&sig);
				craft_aws_http_req_release(&req);
			}
			t = now() - t0;
		} while (t < secs);
		printf("%-9s %8.0f requests/s serialized+signed (%zu distinct, mean body %zu B)\n",
		       craft_aws_protocol_name(proto), (double)done / t, have,
		       done ? bytes / done : 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct item *items;
	size_t n;
	int rc = 0;

	if (argc < 2 || (strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "bench") != 0)) {
		fprintf(stderr, "usage: driver sign|bench [SECONDS] < requests.jsonl\n");
		return 2;
	}
	if (load(&items, &n) != 0)
		return 1;
	if (strcmp(argv[1], "sign") == 0)
		for (size_t i = 0; i < n; i++)
			print_one(&items[i]);
	else
		rc = bench(items, n, argc > 2 ? atof(argv[2]) : 1.0);
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(items[i].doc);
	free(items);
	return rc;
}
