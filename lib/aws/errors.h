/*
 * errors — an AWS answer of any protocol to the one error detail
 * (struct craft_err: code, message, HTTP status, request id).
 *
 * The error shapes, as botocore's parsers read them:
 *   ec2       <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *   query     <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
 *   rest-xml  the same <ErrorResponse> (Route 53), or a bare <Error> root (S3)
 *   json      {"__type": "prefix#Code", "message": "..."} ("Message" too), the
 *             code from the x-amzn-ErrorType header when the body has none
 *   rest-json the x-amzn-ErrorType header ("Code:uri"), else the body's
 *             "code" or "__type"
 * A "prefix#" before a code and a ":..." after a header's code are cut. The
 * request id is the x-amzn-RequestId / x-amz-request-id header, else the
 * XML document's RequestId. A body that is empty or no error document (a
 * 404 with nothing, a proxy's HTML page) is still CRAFT_EAWS, its message
 * naming the status, its aws_code empty.
 */
#ifndef CRAFT_AWS_ERRORS_H
#define CRAFT_AWS_ERRORS_H

#include <libxml/tree.h>
#include <stddef.h>

#include "core/error.h"

/* What an answer brings besides its body (any field may be NULL or ""). */
struct craft_aws_answer {
	const char *protocol; /* "ec2", "query", "json", "rest-xml", "rest-json" */
	long status;
	const char *request_id; /* x-amzn-RequestId or x-amz-request-id */
	const char *error_type; /* x-amzn-ErrorType */
	const char *body;
	size_t len;
};

/*
 * Reads an answer. A 2xx one is CRAFT_OK: for the XML protocols its body is
 * parsed into *doc (caller frees; NULL for an empty rest-xml body), unless it
 * is an error document after all (some services answer 200 with one:
 * CRAFT_EAWS); a 2xx XML body that does not parse is CRAFT_EPARSE. JSON
 * bodies are left to the caller (*doc stays NULL). Any other status is
 * CRAFT_EAWS with err filled as above. doc may be NULL.
 */
craft_code craft_aws_read_answer(const struct craft_aws_answer *a, xmlDocPtr *doc,
                                 struct craft_err *err);

/* Whether protocol's answers are XML documents (ec2, query, rest-xml). */
int craft_aws_protocol_is_xml(const char *protocol);

#endif
