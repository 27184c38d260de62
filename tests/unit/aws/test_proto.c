/*
 * lib/aws/proto: every protocol's serializer against fixed cases whose
 * expected requests are botocore's own output (tests/awsproto/fixtures.py
 * writes tests/unit/aws/proto_cases.json), the validation of parameters,
 * and the JSON and REST-XML answer parsers.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/request.h"
#include "core/base64.h"
#include "core/buf.h"

/* tests/unit/aws/models/: services craftctl does not call, for what none
 * of those it calls has (rest-json, greedy labels, ...; tools/awsmodel.py). */
extern const struct craft_aws_model *const craft_aws_test_models[];

static const struct craft_aws_model *model(const char *name)
{
	for (const struct craft_aws_model *const *m = craft_aws_test_models; name && *m; m++)
		if (strcmp((*m)->name, name) == 0)
			return *m;
	return craft_aws_model_find(name);
}

static craft_code fixed_token(char out[64], void *ctx)
{
	(void)ctx;
	snprintf(out, 64, "%s", "00000000-0000-4000-8000-000000000000");
	return CRAFT_OK;
}

static char *c14n(const char *xml, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlChar *out = NULL;

	cr_assert_not_null(doc, "not XML: %.*s", (int)len, xml);
	cr_assert_geq(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out), 0);
	xmlFreeDoc(doc);
	return (char *)out;
}

static void check_case(const cJSON *c)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));
	const struct craft_aws_model *m =
	        model(cJSON_GetStringValue(cJSON_GetObjectItem(c, "service")));
	const struct craft_aws_op *op =
	        craft_aws_model_op(m, cJSON_GetStringValue(cJSON_GetObjectItem(c, "op")));
	struct craft_aws_ser_opts opts = { fixed_token, NULL };
	struct craft_aws_http_req req;
	struct craft_err err;
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(c, "kind"));
	const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItem(c, "body"));
	const cJSON *h, *headers = cJSON_GetObjectItem(c, "headers");
	unsigned char *want = NULL;
	size_t want_len = 0;

	cr_assert_not_null(op, "%s: no such operation", name);
	craft_aws_http_req_init(&req);
	craft_err_init(&err);
	cr_assert_eq(
	        craft_aws_serialize(m, op, cJSON_GetObjectItem(c, "params"), &opts, &req, &err),
	        CRAFT_OK, "%s: %s", name, err.msg);
	cr_assert_str_eq(req.method, cJSON_GetStringValue(cJSON_GetObjectItem(c, "method")), "%s",
	                 name);
	cr_assert_str_eq(craft_buf_str(&req.path),
	                 cJSON_GetStringValue(cJSON_GetObjectItem(c, "path")), "%s", name);
	cr_assert_str_eq(craft_buf_str(&req.query),
	                 cJSON_GetStringValue(cJSON_GetObjectItem(c, "query")), "%s", name);
	cr_assert_eq(req.nheaders, cJSON_GetArraySize(headers), "%s: %d headers", name,
	             req.nheaders);
	cJSON_ArrayForEach(h, headers)
	{
		const char *v = craft_aws_http_req_header(
		        &req, cJSON_GetStringValue(cJSON_GetArrayItem(h, 0)));

		cr_assert_not_null(v, "%s: no header %s", name,
		                   cJSON_GetStringValue(cJSON_GetArrayItem(h, 0)));
		cr_assert_str_eq(v, cJSON_GetStringValue(cJSON_GetArrayItem(h, 1)), "%s", name);
	}
	cr_assert_eq(craft_base64_decode(&want, &want_len, b64, strlen(b64), 0, NULL), CRAFT_OK);
	if (strcmp(kind, "json") == 0 && want_len) {
		cJSON *a = cJSON_ParseWithLength((const char *)want, want_len);
		cJSON *b = cJSON_ParseWithLength(req.body.data, req.body.len);

		cr_assert(a && b && cJSON_Compare(a, b, 1), "%s: body %s, want %s", name,
		          craft_buf_str(&req.body), want);
		cJSON_Delete(a);
		cJSON_Delete(b);
	} else if (strcmp(kind, "xml") == 0 && want_len) {
		char *a = c14n((const char *)want, want_len),
		     *b = c14n(req.body.data, req.body.len);

		cr_assert_str_eq(b, a, "%s", name);
		xmlFree(a);
		xmlFree(b);
	} else {
		cr_assert_eq(req.body.len, want_len, "%s: body %s, want %s", name,
		             craft_buf_str(&req.body), want);
		cr_assert(want_len == 0 || memcmp(req.body.data, want, want_len) == 0,
		          "%s: body %s, want %s", name, craft_buf_str(&req.body), want);
	}
	free(want);
	craft_aws_http_req_release(&req);
}

Test(proto, botocore_fixtures)
{
	struct craft_buf text = CRAFT_BUF_INIT(1 << 22);
	struct craft_err err;
	cJSON *cases, *c;
	int n = 0, protos[5] = { 0 };

	craft_err_init(&err);
	cr_assert_eq(craft_buf_read_file(&text, "tests/unit/aws/proto_cases.json", &err), CRAFT_OK,
	             "%s", err.msg);
	cases = cJSON_Parse(craft_buf_str(&text));
	cr_assert_not_null(cases);
	cJSON_ArrayForEach(c, cases)
	{
		check_case(c);
		protos[model(cJSON_GetStringValue(cJSON_GetObjectItem(c, "service")))->protocol]++;
		n++;
	}
	cr_assert_geq(n, 20);
	for (int i = 0; i < 5; i++)
		cr_assert_geq(protos[i], 3, "protocol %s has %d cases", craft_aws_protocol_name(i),
		              protos[i]);
	cJSON_Delete(cases);
	craft_buf_release(&text);
}

/* Serializes text (JSON) for service/op and returns its code; err filled. */
static craft_code try(const char *service, const char *op, const char *text, struct craft_err *err)
{
	const struct craft_aws_model *m = model(service);
	cJSON *params = text ? cJSON_Parse(text) : NULL;
	struct craft_aws_http_req req;
	craft_code rc;

	cr_assert(!text || params, "bad test JSON: %s", text);
	craft_aws_http_req_init(&req);
	craft_err_init(err);
	rc = craft_aws_serialize(m, craft_aws_model_op(m, op), params, NULL, &req, err);
	craft_aws_http_req_release(&req);
	cJSON_Delete(params);
	return rc;
}

#define REFUSED(svc, op, json, pattern)                                                        \
	do {                                                                                   \
		struct craft_err e_;                                                           \
		cr_assert_eq(try(svc, op, json, &e_), CRAFT_EUSAGE, "%s accepted", json);      \
		cr_assert(strstr(e_.msg, pattern), "'%s' does not say '%s'", e_.msg, pattern); \
	} while (0)

Test(proto, validation_names_the_member)
{
	REFUSED("route53", "ChangeResourceRecordSets",
	        "{\"HostedZoneId\":\"Z\",\"ChangeBatch\":{\"Changes\":[{\"Action\":\"MAYBE\","
	        "\"ResourceRecordSet\":{\"Name\":\"a\",\"Type\":\"A\"}}]}}",
	        "ChangeBatch.Changes[0].Action: 'MAYBE' is not one of CREATE, DELETE, UPSERT");
	REFUSED("route53", "ChangeResourceRecordSets", "{\"HostedZoneId\":\"Z\"}",
	        "ChangeBatch: missing");
	REFUSED("elbv2", "CreateLoadBalancer", "{\"Name\":\"x\",\"Subnet\":[\"a\"]}",
	        "Subnet: unknown member of CreateLoadBalancerInput");
	REFUSED("elbv2", "CreateLoadBalancer", "{\"Name\":\"x\",\"Subnets\":\"a\"}",
	        "Subnets: expected a list, got a string");
	REFUSED("ecs", "RegisterTaskDefinition",
	        "{\"family\":\"f\",\"containerDefinitions\":[{\"memory\":1.5}]}",
	        "containerDefinitions[0].memory: expected an integer, got a number");
	REFUSED("ecs", "RegisterTaskDefinition",
	        "{\"family\":\"f\",\"containerDefinitions\":[{\"memory\":4294967296}]}",
	        "out of the range of a 32-bit integer");
	REFUSED("ec2", "CreateVolume", "{\"AvailabilityZone\":\"a\",\"Encrypted\":\"yes\"}",
	        "Encrypted: expected a boolean, got a string");
	REFUSED("ec2", "CreateVolume", "{\"AvailabilityZone\":null}",
	        "AvailabilityZone: expected a string, got null");
	REFUSED("secretsmanager", "CreateSecret", "{\"Name\":\"s\",\"SecretBinary\":\"@@@\"}",
	        "SecretBinary: a blob must be base64 text");
	REFUSED("cloudwatch", "GetMetricStatistics",
	        "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"StartTime\":\"yesterday\","
	        "\"EndTime\":0,\"Period\":60}",
	        "StartTime: expected a timestamp");
	REFUSED("sns", "CreateTopic", "{\"Name\":\"t\",\"Attributes\":{\"a\":1}}",
	        "Attributes.a: expected a string, got a number");
	REFUSED("sns", "CreateTopic", "[1]", "parameters must be a JSON object");
	REFUSED("route53", "CreateTrafficPolicy", "{}", "carries no model of its input");
	REFUSED("sts", "GetCallerIdentity", "{\"x\":1}", "GetCallerIdentity: x: unknown member");
}

Test(proto, valid_edge_values_pass)
{
	struct craft_err err;

	/* an open enum: instance types newer than the model are not refused */
	cr_assert_eq(try("ec2", "RunInstances",
	                 "{\"MinCount\":1,\"MaxCount\":1,\"InstanceType\":\"zz9.mega\"}", &err),
	             CRAFT_OK, "%s", err.msg);
	cr_assert_eq(try("sts", "GetCallerIdentity", NULL, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(try("cloudwatch", "GetMetricStatistics",
	                 "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"StartTime\":"
	                 "\"2020-01-01T02:00:00+02:00\",\"EndTime\":1.5,\"Period\":60}",
	                 &err),
	             CRAFT_OK, "%s", err.msg);
}

Test(proto, timestamps_with_offsets_and_fractions)
{
	const struct craft_aws_model *m = model("cloudwatch");
	cJSON *p = cJSON_Parse(
	        "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"StartTime\":"
	        "\"2020-01-01T02:00:00+02:00\",\"EndTime\":1577836800.5,\"Period\":60}");
	struct craft_aws_http_req req;
	struct craft_err err;

	craft_aws_http_req_init(&req);
	cr_assert_eq(craft_aws_serialize(m, craft_aws_model_op(m, "GetMetricStatistics"), p, NULL,
	                                 &req, &err),
	             CRAFT_OK);
	cr_assert(strstr(craft_buf_str(&req.body), "StartTime=2020-01-01T00%3A00%3A00Z&"));
	cr_assert(strstr(craft_buf_str(&req.body), "EndTime=2020-01-01T00%3A00%3A00.500000Z&"));
	craft_aws_http_req_release(&req);
	cJSON_Delete(p);
}

Test(proto, a_random_token_when_none_is_injected)
{
	const struct craft_aws_model *m = model("ec2");
	cJSON *p = cJSON_Parse("{\"AvailabilityZone\":\"a\"}");
	struct craft_aws_http_req a, b;
	struct craft_err err;
	const char *ta, *tb;

	craft_aws_http_req_init(&a);
	craft_aws_http_req_init(&b);
	cr_assert_eq(
	        craft_aws_serialize(m, craft_aws_model_op(m, "CreateVolume"), p, NULL, &a, &err),
	        CRAFT_OK);
	cr_assert_eq(
	        craft_aws_serialize(m, craft_aws_model_op(m, "CreateVolume"), p, NULL, &b, &err),
	        CRAFT_OK);
	ta = strstr(craft_buf_str(&a.body), "ClientToken=");
	tb = strstr(craft_buf_str(&b.body), "ClientToken=");
	cr_assert(ta && tb && strlen(ta) == strlen("ClientToken=") + 36);
	cr_assert_str_neq(ta, tb);
	cr_assert_null(cJSON_GetObjectItem(p, "ClientToken"), "the caller's parameters changed");
	craft_aws_http_req_release(&a);
	craft_aws_http_req_release(&b);
	cJSON_Delete(p);
}

/* An answer as the transport hands it over. */
#define ANSWER(proto, st, text, n, rid, etype)             \
	((struct craft_aws_answer){ .protocol = (proto),   \
	                            .status = (st),        \
	                            .request_id = (rid),   \
	                            .error_type = (etype), \
	                            .body = (text),        \
	                            .len = (n) })

Test(proto, json_answers)
{
	const char *e1 = "{\"__type\":\"com.amazonaws.ecr#RepositoryNotFoundException\","
	                 "\"message\":\"The repository does not exist\"}";
	struct craft_aws_answer r = ANSWER("json", 400, e1, strlen(e1), "rid-1", NULL);
	struct craft_err err;
	cJSON *doc = NULL;

	craft_err_init(&err);
	cr_assert_eq(craft_aws_json_response(&r, &doc, &err), CRAFT_EAWS);
	cr_assert_null(doc);
	cr_assert_str_eq(err.aws_code, "RepositoryNotFoundException");
	cr_assert_str_eq(err.msg, "RepositoryNotFoundException: The repository does not exist");
	cr_assert_str_eq(err.request_id, "rid-1");
	cr_assert_eq(err.http_status, 400);
	r = ANSWER("rest-json", 400, "{\"Message\":\"slow\"}", 18, NULL,
	           "ThrottlingException:http://internal.amazon.com/");
	cr_assert_eq(craft_aws_json_response(&r, NULL, &err), CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "ThrottlingException");
	cr_assert_str_eq(err.msg, "ThrottlingException: slow");
	r = ANSWER(NULL, 503, "<html>", 6, NULL, NULL);
	cr_assert_eq(craft_aws_json_response(&r, NULL, &err), CRAFT_EAWS);
	cr_assert_eq(err.http_status, 503);
	cr_assert(strstr(err.msg, "503"), "%s", err.msg);
	r = ANSWER("json", 200, "", 0, NULL, NULL);
	cr_assert_eq(craft_aws_json_response(&r, &doc, &err), CRAFT_OK);
	cr_assert(cJSON_IsObject(doc) && !doc->child);
	cJSON_Delete(doc);
	r = ANSWER("json", 200, "{\"clusters\":[]}", 15, NULL, NULL);
	cr_assert_eq(craft_aws_json_response(&r, &doc, &err), CRAFT_OK);
	cr_assert(cJSON_IsArray(cJSON_GetObjectItem(doc, "clusters")));
	cJSON_Delete(doc);
	r = ANSWER("json", 200, "{\"x\":", 5, NULL, NULL);
	cr_assert_eq(craft_aws_json_response(&r, &doc, &err), CRAFT_EPARSE);
	cr_assert_null(doc);
}

Test(proto, restxml_answers)
{
	const char *e =
	        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws."
	        "com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code>"
	        "<Message>No hosted zone found with ID: Z1</Message></Error></ErrorResponse>";
	const char *ok =
	        "<GetChangeResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
	        "<ChangeInfo><Status>INSYNC</Status></ChangeInfo></GetChangeResponse>";
	struct craft_aws_answer r = ANSWER(NULL, 404, e, strlen(e), "hdr-rid", NULL);
	struct craft_err err;
	xmlDocPtr doc = NULL;

	craft_err_init(&err);
	cr_assert_eq(craft_aws_restxml_response(&r, &doc, &err), CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "NoSuchHostedZone");
	cr_assert_str_eq(err.msg, "NoSuchHostedZone: No hosted zone found with ID: Z1");
	cr_assert_str_eq(err.request_id, "hdr-rid");
	cr_assert_eq(err.http_status, 404);
	r = ANSWER(NULL, 404, "", 0, "x", NULL);
	cr_assert_eq(craft_aws_restxml_response(&r, &doc, &err), CRAFT_EAWS);
	cr_assert_eq(err.http_status, 404);
	r = ANSWER(NULL, 204, "", 0, NULL, NULL);
	cr_assert_eq(craft_aws_restxml_response(&r, &doc, &err), CRAFT_OK);
	cr_assert_null(doc);
	r = ANSWER(NULL, 200, ok, strlen(ok), NULL, NULL);
	cr_assert_eq(craft_aws_restxml_response(&r, &doc, &err), CRAFT_OK);
	cr_assert_not_null(doc);
	xmlFreeDoc(doc);
}

Test(proto, the_fixtures_are_botocore_s_current_output)
{
	if (system("/usr/bin/python3 -c 'import botocore' >/dev/null 2>&1") != 0)
		cr_skip_test(
		        "python3-botocore is not installed: tests/awsproto/fixtures.py --check "
		        "skipped");
	cr_assert_eq(system("/usr/bin/python3 tests/awsproto/fixtures.py --check >/dev/null"), 0,
	             "tests/unit/aws/proto_cases.json is stale: run tests/awsproto/fixtures.py");
}

Test(proto, route53_ids_as_answers_spell_them)
{
	const struct craft_aws_model *m = model("route53");
	cJSON *p = cJSON_Parse("{\"HostedZoneId\":\"/hostedzone/Z9\",\"MaxItems\":\"1\"}");
	struct craft_aws_http_req req;
	struct craft_err err;

	craft_aws_http_req_init(&req);
	cr_assert_eq(craft_aws_serialize(m, craft_aws_model_op(m, "ListResourceRecordSets"), p,
	                                 NULL, &req, &err),
	             CRAFT_OK, "%s", err.msg);
	cr_assert_str_eq(craft_buf_str(&req.path), "/2013-04-01/hostedzone/Z9/rrset");
	cr_assert_str_eq(cJSON_GetObjectItem(p, "HostedZoneId")->valuestring, "/hostedzone/Z9",
	                 "the caller's parameters changed");
	craft_aws_http_req_release(&req);
	cJSON_Delete(p);
}
