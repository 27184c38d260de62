/* rest-json bodies (botocore's RestJSONSerializer): the body members of
 * the input as JSON, named by their locationName; URI, query string and
 * headers are rest.c's. */
#include <stdlib.h>

#include "aws/proto/internal.h"

craft_code proto_restjson_body(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                               const cJSON *v, int only_body, struct craft_buf *out)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	cJSON *body = NULL;
	const cJSON *e;
	char *text;
	craft_code rc;

	if (!only_body) {
		body = proto_json_value(m, mem, v);
	} else {
		body = cJSON_CreateObject();
		cJSON_ArrayForEach(e, v)
		{
			const struct craft_aws_member *c =
			        craft_aws_model_struct_member(m, s, e->string);
			cJSON *x;

			if (!body || !c || c->location != CRAFT_AWS_LOC_BODY)
				continue;
			x = proto_json_value(m, c, e);
			if (!x || !cJSON_AddItemToObject(body, proto_wire_name(c), x)) {
				cJSON_Delete(x);
				cJSON_Delete(body);
				return CRAFT_ENOMEM;
			}
		}
	}
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	if (!text)
		return CRAFT_ENOMEM;
	rc = craft_buf_addstr(out, text);
	free(text);
	return rc;
}
