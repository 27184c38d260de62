/* Shared by the protocol serializers (lib/aws/proto/); not a public API. */
#ifndef CRAFT_AWS_PROTO_INTERNAL_H
#define CRAFT_AWS_PROTO_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "aws/model.h"
#include "aws/query.h"
#include "aws/request.h"
#include "core/buf.h"
#include "core/error.h"

/* The serializers run after craft_aws_validate, so they only fail on
 * memory or size; a value they cannot read is then a broken invariant. */

#define SHAPE(m, mem)   (&(m)->shapes[(mem)->shape])
#define MEMBER(m, s, i) (&(m)->members[(s)->first + (i)])

/* botocore's serialized name: locationName, else the member's name. */
const char *proto_wire_name(const struct craft_aws_member *mem);

/* Adds a header to r (copied in). */
craft_code proto_add_header(struct craft_aws_http_req *r, const char *name, const char *value);

/* Parses a timestamp parameter (ISO 8601 text or epoch seconds) into
 * seconds and microseconds. 0 on success. */
int proto_timestamp(const cJSON *v, long long *secs, long *usec);
/* Appends ts formatted as fmt (CRAFT_AWS_TS_*, never DEFAULT). */
craft_code proto_timestamp_add(struct craft_buf *b, const cJSON *v, int fmt);

/* Appends a scalar's text as botocore's str() writes it: integers without
 * a fraction, doubles in Python's repr, booleans "true"/"false" (lower
 * case, as AWS reads them), strings as they are. */
craft_code proto_scalar_add(struct craft_buf *b, const struct craft_aws_shape *s, const cJSON *v);

/* Appends the normalized base64 of a blob parameter (its text decoded and
 * encoded again: the encoding botocore sends of the same bytes). */
craft_code proto_blob_add(struct craft_buf *b, const cJSON *v);
/* The bytes of a blob parameter appended raw (a streaming payload). */
craft_code proto_blob_raw(struct craft_buf *b, const cJSON *v);

/* ec2.c: appends mem's EC2 name (queryName, else locationName with its
 * first letter capitalised, else dflt). */
craft_code proto_ec2_name(struct craft_buf *b, const struct craft_aws_member *mem,
                          const char *dflt);

/* Per protocol. params is validated and holds filled tokens. */
craft_code proto_query_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                 const cJSON *params, int ec2, struct craft_aws_http_req *out);
craft_code proto_json_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                const cJSON *params, struct craft_aws_http_req *out);
craft_code proto_rest_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                const cJSON *params, int xml, struct craft_aws_http_req *out);

/* json.c: the JSON value botocore's JSONSerializer makes of v (a member of
 * shape s), NULL when out of memory. */
cJSON *proto_json_value(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                        const cJSON *v);
/* restxml.c: the XML body of v serialized as mem (the root element named
 * by its locationName, with its xmlNamespace). only_body: as below. */
craft_code proto_xml_body(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                          const cJSON *v, int only_body, struct craft_buf *out);
/* restjson.c: the same as JSON. only_body: the members located in the body
 * alone (the input shape's other members went to the URI or headers). */
craft_code proto_restjson_body(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                               const cJSON *v, int only_body, struct craft_buf *out);

#endif
