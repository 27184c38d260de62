/* Error answers of every protocol to one error detail, and their retry
 * class. The bodies are the services' own forms; the expected code and
 * message are what botocore's parsers (botocore.parsers) read from them. */
#include <criterion/criterion.h>
#include <string.h>

#include "aws/errors.h"
#include "aws/retry.h"

static craft_code read_answer(const char *protocol, long status, const char *rid, const char *etype,
                              const char *body, struct craft_err *err)
{
	struct craft_aws_answer a = { protocol, status, rid, etype, body, strlen(body) };

	craft_err_init(err);
	return craft_aws_read_answer(&a, NULL, err);
}

Test(errors, ec2_response_errors)
{
	struct craft_err e;

	cr_assert_eq(read_answer("ec2", 400, NULL, NULL,
	                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors>"
	                         "<Error><Code>InvalidInstanceID.Malformed</Code><Message>Invalid "
	                         "id: \"1343124\"</Message></Error></Errors><RequestID>12345"
	                         "</RequestID></Response>",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "InvalidInstanceID.Malformed");
	cr_assert_str_eq(e.msg, "InvalidInstanceID.Malformed: Invalid id: \"1343124\"");
	cr_assert_str_eq(e.request_id, "12345");
	cr_assert_eq(e.http_status, 400);
}

Test(errors, query_error_response_iam)
{
	struct craft_err e;

	cr_assert_eq(read_answer("query", 404, NULL, NULL,
	                         "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/"
	                         "\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>NoSuchEntity"
	                         "</Code>\n    <Message>The role with name web cannot be found."
	                         "</Message>\n  </Error>\n  <RequestId>4d5a2c1e-8f0b</RequestId>\n"
	                         "</ErrorResponse>\n",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "NoSuchEntity");
	cr_assert_str_eq(e.msg, "NoSuchEntity: The role with name web cannot be found.");
	cr_assert_str_eq(e.request_id, "4d5a2c1e-8f0b");
	cr_assert_eq(e.http_status, 404);
}

Test(errors, json_type_and_message)
{
	struct craft_err e;

	cr_assert_eq(read_answer("json", 400, "b1c2-req", NULL,
	                         "{\"__type\":\"RepositoryNotFoundException\",\"message\":\"The "
	                         "repository with name 'web' does not exist in the registry with "
	                         "id '123456789012'\"}",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "RepositoryNotFoundException");
	cr_assert_str_eq(e.msg, "RepositoryNotFoundException: The repository with name 'web' does "
	                        "not exist in the registry with id '123456789012'");
	cr_assert_str_eq(e.request_id, "b1c2-req");
}

Test(errors, json_type_prefix_is_cut_and_Message_read)
{
	struct craft_err e;

	cr_assert_eq(
	        read_answer("json", 400, NULL, NULL,
	                    "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException"
	                    "\",\"Message\":\"The security token included in the request is "
	                    "invalid.\"}",
	                    &e),
	        CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "UnrecognizedClientException");
	cr_assert_str_eq(e.msg, "UnrecognizedClientException: The security token included in the "
	                        "request is invalid.");
}

Test(errors, json_throttling_from_the_header_is_retried)
{
	struct craft_err e;

	cr_assert_eq(read_answer("json", 400, NULL,
	                         "ThrottlingException:http://internal.amazon.com/coral/"
	                         "com.amazon.coral.availability/",
	                         "", &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "ThrottlingException");
	cr_assert_str_eq(e.msg, "ThrottlingException: (no message)");
	cr_assert_eq(craft_retry_classify_answer(e.http_status, e.aws_code), CRAFT_RETRY_THROTTLE);
	/* the body's code wins over the header in JSON 1.x */
	cr_assert_eq(read_answer("json", 400, NULL, "Other:x",
	                         "{\"__type\":\"LimitExceededException\",\"message\":\"too many\"}",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "LimitExceededException");
	cr_assert_eq(craft_retry_classify_answer(400, e.aws_code), CRAFT_RETRY_THROTTLE);
}

Test(errors, rest_json_header_first_then_body_code)
{
	struct craft_err e;

	cr_assert_eq(read_answer("rest-json", 404, "r1",
	                         "ResourceNotFoundException:http://internal.amazon.com/coral/"
	                         "com.amazon.coral.validate/",
	                         "{\"message\":\"Function not found\"}", &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "ResourceNotFoundException");
	cr_assert_str_eq(e.msg, "ResourceNotFoundException: Function not found");
	cr_assert_str_eq(e.request_id, "r1");
	cr_assert_eq(read_answer("rest-json", 400, NULL, NULL,
	                         "{\"code\":\"BadRequestException\",\"message\":\"x\"}", &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "BadRequestException");
}

Test(errors, rest_xml_route53)
{
	struct craft_err e;

	cr_assert_eq(read_answer("rest-xml", 404, NULL, NULL,
	                         "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://"
	                         "route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender"
	                         "</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone "
	                         "found with ID: Z0000</Message></Error><RequestId>8d6b2d51"
	                         "</RequestId></ErrorResponse>",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "NoSuchHostedZone");
	cr_assert_str_eq(e.msg, "NoSuchHostedZone: No hosted zone found with ID: Z0000");
	cr_assert_str_eq(e.request_id, "8d6b2d51");
	/* Route 53's answer to changes on a zone still changing: retried */
	cr_assert_eq(read_answer("rest-xml", 400, NULL, NULL,
	                         "<ErrorResponse><Error><Type>Sender</Type><Code>"
	                         "PriorRequestNotComplete</Code><Message>The request was rejected "
	                         "because Route 53 was still processing a prior request."
	                         "</Message></Error><RequestId>x</RequestId></ErrorResponse>",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_neq(craft_retry_classify_answer(400, e.aws_code), CRAFT_RETRY_NO);
	/* a bare <Error> root (S3's form) */
	cr_assert_eq(read_answer("rest-xml", 400, NULL, NULL,
	                         "<Error><Code>NoSuchKey</Code><Message>The resource you requested "
	                         "does not exist</Message><RequestId>4442587FB7D0A2F9</RequestId>"
	                         "</Error>",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.aws_code, "NoSuchKey");
	cr_assert_str_eq(e.request_id, "4442587FB7D0A2F9");
}

Test(errors, empty_and_foreign_bodies_keep_status_and_request_id)
{
	static const char *const protocols[] = { "ec2", "query", "json", "rest-xml", "rest-json" };
	struct craft_err e;

	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		cr_assert_eq(read_answer(protocols[i], 404, "rid9", NULL, "", &e), CRAFT_EAWS);
		cr_assert_str_eq(e.aws_code, "", "%s", protocols[i]);
		cr_assert_str_eq(e.msg, "HTTP 404 from the service");
		cr_assert_str_eq(e.request_id, "rid9");
		cr_assert_eq(e.http_status, 404);
		cr_assert_eq(read_answer(protocols[i], 503, NULL, NULL,
		                         "<html><body>Service Unavailable", &e),
		             CRAFT_EAWS);
		cr_assert_str_eq(e.aws_code, "");
		cr_assert_eq(craft_retry_classify_answer(e.http_status, e.aws_code),
		             CRAFT_RETRY_TRANSIENT);
		cr_assert_eq(read_answer(protocols[i], 500, NULL, NULL, "{not json", &e),
		             CRAFT_EAWS);
		cr_assert_str_eq(e.msg, "HTTP 500 from the service");
	}
}

Test(errors, header_request_id_wins_over_the_document)
{
	struct craft_err e;

	cr_assert_eq(read_answer("query", 400, "from-header", NULL,
	                         "<ErrorResponse><Error><Code>ValidationError</Code><Message>bad"
	                         "</Message></Error><RequestId>from-body</RequestId>"
	                         "</ErrorResponse>",
	                         &e),
	             CRAFT_EAWS);
	cr_assert_str_eq(e.request_id, "from-header");
}

Test(errors, success_bodies_by_protocol)
{
	struct craft_aws_answer a = { "json", 200, NULL, NULL, "{\"repositories\":[]}", 19 };
	xmlDocPtr doc = (xmlDocPtr)1;
	struct craft_err e;

	craft_err_init(&e);
	cr_assert_eq(craft_aws_read_answer(&a, &doc, &e), CRAFT_OK);
	cr_assert_null(doc);
	/* a JSON body with __type and a 200 is a result, not an error */
	a.body = "{\"__type\":\"x\"}";
	a.len = strlen(a.body);
	cr_assert_eq(craft_aws_read_answer(&a, &doc, &e), CRAFT_OK);
	a.protocol = "rest-xml";
	a.body = "";
	a.len = 0;
	cr_assert_eq(craft_aws_read_answer(&a, &doc, &e), CRAFT_OK);
	cr_assert_null(doc);
	a.body = "<ListHostedZonesResponse><HostedZones/></ListHostedZonesResponse>";
	a.len = strlen(a.body);
	cr_assert_eq(craft_aws_read_answer(&a, &doc, &e), CRAFT_OK);
	cr_assert_not_null(doc);
	xmlFreeDoc(doc);
	a.protocol = "query";
	a.body = "";
	a.len = 0;
	cr_assert_eq(craft_aws_read_answer(&a, &doc, &e), CRAFT_EPARSE);
	cr_assert(craft_aws_protocol_is_xml("rest-xml"));
	cr_assert(!craft_aws_protocol_is_xml("json"));
	cr_assert(!craft_aws_protocol_is_xml("rest-json"));
}

Test(errors, every_standard_mode_code_is_retried)
{
	static const char *const throttles[] = {
		"Throttling",
		"ThrottlingException",
		"ThrottledException",
		"RequestThrottledException",
		"TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException",
		"RequestLimitExceeded",
		"BandwidthLimitExceeded",
		"LimitExceededException",
		"RequestThrottled",
		"SlowDown",
		"PriorRequestNotComplete",
		"EC2ThrottledException",
	};
	static const char *const transient[] = { "RequestTimeout", "RequestTimeoutException" };

	for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
		cr_assert_eq(craft_retry_classify_answer(400, throttles[i]), CRAFT_RETRY_THROTTLE,
		             "%s", throttles[i]);
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		cr_assert_eq(craft_retry_classify_answer(400, transient[i]), CRAFT_RETRY_TRANSIENT,
		             "%s", transient[i]);
	cr_assert_eq(craft_retry_classify_answer(400, "LimitExceeded"), CRAFT_RETRY_NO);
	cr_assert_eq(craft_retry_classify_answer(409, "ResourceInUseException"), CRAFT_RETRY_NO);
	cr_assert_eq(craft_retry_classify_answer(400, "ValidationException"), CRAFT_RETRY_NO);
}
