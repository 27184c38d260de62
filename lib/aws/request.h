/*
 * request — "service + operation + parameters" to the HTTP request AWS
 * expects, for every protocol (ec2, query, json, rest-xml, rest-json),
 * driven by the service models of lib/aws/model.h; and the protocol-level
 * reading of JSON and REST-XML answers. Pure: no network, no clock (but
 * for the default idempotency token), no printing.
 *
 * Parameters are a cJSON tree shaped like botocore's input dict:
 *   - structures and maps are objects, lists are arrays, members by their
 *     model names ("ChangeBatch", not a locationName);
 *   - strings are strings; integer/long are integral numbers (beyond 2^53
 *     cJSON's doubles lose digits); float/double numbers, written in the
 *     shortest form that reads back (Python's repr, 2 for 2.0); booleans
 *     are true/false;
 *   - blobs are base64 text (the bytes themselves must travel as JSON);
 *   - timestamps are ISO 8601 text ("2015-01-01T00:00:00Z",
 *     "...T00:00:00.5Z", "...+02:00") or epoch seconds (a number);
 *     written in the protocol's format (ISO 8601 for query/ec2/xml,
 *     epoch seconds for json bodies, RFC 822 in headers) unless the
 *     model's timestampFormat says otherwise;
 *   - a document-type structure (json) is copied as is;
 *   - null is refused, as botocore's validator refuses None.
 * A top-level idempotency-token member (ClientToken, clientToken, ...)
 * that is absent is filled with a fresh UUID, as botocore does; tests
 * inject their own generator through craft_aws_ser_opts. Route 53 ids may
 * be given as its answers spell them ("/hostedzone/Z1" for "Z1"), as
 * botocore's fix_route53_ids allows. The caller's tree is never changed.
 *
 * Before anything is written the parameters are checked against the
 * operation's input shape: an unknown member, a missing required one, a
 * value of the wrong type, a string outside its enum or a blob that is not
 * base64 is CRAFT_EUSAGE with the member's path in the message
 * ("ChangeBatch.Changes[0].Action: ..."). An operation the model lists
 * without its input (see model.h) is CRAFT_EUSAGE too.
 *
 * Lifecycle: craft_aws_http_req_init ... craft_aws_http_req_release.
 */
#ifndef CRAFT_AWS_REQUEST_H
#define CRAFT_AWS_REQUEST_H

#include <cjson/cJSON.h>
#include <libxml/tree.h>
#include <stddef.h>

#include "aws/errors.h"
#include "aws/model.h"
#include "core/buf.h"
#include "core/error.h"

#define CRAFT_AWS_REQ_MAX_HEADERS 32

struct craft_aws_req_header {
	char *name;
	char *value;
};

struct craft_aws_http_req {
	char method[8];
	/* The path as sent, percent-encoded ("/2013-04-01/hostedzone/Z1/rrset/");
	 * sign it as is (craft_sigv4 encodes it once more, as AWS wants). */
	struct craft_buf path;
	/* The query string as sent (encoded, no '?'), "" for none. */
	struct craft_buf query;
	/* Content-Type, X-Amz-Target and the members located in headers. */
	struct craft_aws_req_header headers[CRAFT_AWS_REQ_MAX_HEADERS];
	int nheaders;
	struct craft_buf body;
};

void craft_aws_http_req_init(struct craft_aws_http_req *r);
void craft_aws_http_req_release(struct craft_aws_http_req *r);
/* The value of header name (case-insensitive), or NULL. Borrowed. */
const char *craft_aws_http_req_header(const struct craft_aws_http_req *r, const char *name);

/* Writes a fresh idempotency token (up to 63 characters and a NUL). */
typedef craft_code (*craft_aws_token_fn)(char out[64], void *ctx);

struct craft_aws_ser_opts {
	craft_aws_token_fn token; /* NULL: a random UUID (OpenSSL's RAND_bytes) */
	void *token_ctx;
};

/* Checks params (NULL: no parameters) against op's input shape. */
craft_code craft_aws_validate(const struct craft_aws_model *m, const struct craft_aws_op *op,
                              const cJSON *params, struct craft_err *err);

/*
 * Validates params and writes op's request into out (initialised, and
 * emptied first). opts may be NULL. Nothing is sent or signed: sign
 * out->method, out->path, out->query, out->headers (with Host) and
 * out->body with craft_sigv4_sign for m->signing_name.
 */
craft_code craft_aws_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                               const cJSON *params, const struct craft_aws_ser_opts *opts,
                               struct craft_aws_http_req *out, struct craft_err *err);

/*
 * json and rest-json answers (a->protocol "rest-json", else json is
 * assumed). 2xx: *out gets the body as cJSON (an empty body reads as {}),
 * the caller frees it; a body that is not JSON is CRAFT_EPARSE. Otherwise
 * CRAFT_EAWS with err filled by craft_aws_read_answer (lib/aws/errors.h).
 * out may be NULL.
 */
craft_code craft_aws_json_response(const struct craft_aws_answer *a, cJSON **out,
                                   struct craft_err *err);

/*
 * rest-xml answers: craft_aws_read_answer for a->protocol "rest-xml". 2xx:
 * *out gets the parsed body (NULL when the body is empty, as many REST
 * answers are; caller frees with xmlFreeDoc). out may be NULL.
 */
craft_code craft_aws_restxml_response(const struct craft_aws_answer *a, xmlDocPtr *out,
                                      struct craft_err *err);

#endif
