/* The JSON protocol (1.0 and 1.1: ECR, ECS, Logs, Secrets Manager, ACM,
 * Application Auto Scaling): one POST to / whose X-Amz-Target names the
 * operation and whose body is the input as JSON, after botocore's
 * JSONSerializer. The JSON values are also rest-json's body (rest.c). */
#include <stdio.h>
#include <stdlib.h>

#include "aws/proto/internal.h"

/* A number as text of our own (integers exactly, doubles in Python's
 * repr), so that cJSON's %1.15g never turns a long into 1e+15. */
static cJSON *raw_number(const struct craft_aws_shape *s, const cJSON *v)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	cJSON *out = NULL;

	if (proto_scalar_add(&b, s, v) == CRAFT_OK)
		out = cJSON_CreateRaw(craft_buf_str(&b));
	craft_buf_release(&b);
	return out;
}

static cJSON *timestamp(const struct craft_aws_member *mem, const cJSON *v)
{
	int fmt = mem->ts_format ? mem->ts_format : CRAFT_AWS_TS_UNIX;
	struct craft_buf b = CRAFT_BUF_INIT(64);
	cJSON *out = NULL;

	if (proto_timestamp_add(&b, v, fmt) == CRAFT_OK)
		out = fmt == CRAFT_AWS_TS_UNIX ? cJSON_CreateRaw(craft_buf_str(&b))
		                               : cJSON_CreateString(craft_buf_str(&b));
	craft_buf_release(&b);
	return out;
}

static cJSON *blob(const cJSON *v)
{
	struct craft_buf b = CRAFT_BUF_INIT(64u << 20);
	cJSON *out = NULL;

	if (proto_blob_add(&b, v) == CRAFT_OK)
		out = cJSON_CreateString(craft_buf_str(&b));
	craft_buf_release(&b);
	return out;
}

cJSON *proto_json_value(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                        const cJSON *v)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	const cJSON *e;
	cJSON *out;

	switch (s->type) {
	case CRAFT_AWS_T_STRUCTURE:
		if (s->flags & CRAFT_AWS_S_DOCUMENT)
			return cJSON_Duplicate(v, 1);
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(e, v)
		{
			const struct craft_aws_member *c =
			        craft_aws_model_struct_member(m, s, e->string);
			cJSON *x = c && out ? proto_json_value(m, c, e) : NULL;

			if (!x || !cJSON_AddItemToObject(out, proto_wire_name(c), x)) {
				cJSON_Delete(x);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	case CRAFT_AWS_T_LIST:
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(e, v)
		{
			cJSON *x = out ? proto_json_value(m, MEMBER(m, s, 0), e) : NULL;

			if (!x || !cJSON_AddItemToArray(out, x)) {
				cJSON_Delete(x);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	case CRAFT_AWS_T_MAP:
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(e, v)
		{
			cJSON *x = out ? proto_json_value(m, MEMBER(m, s, 1), e) : NULL;

			if (!x || !cJSON_AddItemToObject(out, e->string, x)) {
				cJSON_Delete(x);
				cJSON_Delete(out);
				return NULL;
			}
		}
		return out;
	case CRAFT_AWS_T_INTEGER:
	case CRAFT_AWS_T_LONG:
	case CRAFT_AWS_T_FLOAT:
	case CRAFT_AWS_T_DOUBLE:
		return raw_number(s, v);
	case CRAFT_AWS_T_TIMESTAMP:
		return timestamp(mem, v);
	case CRAFT_AWS_T_BLOB:
		return blob(v);
	case CRAFT_AWS_T_BOOLEAN:
		return cJSON_CreateBool(cJSON_IsTrue(v));
	case CRAFT_AWS_T_STRING:
		return cJSON_CreateString(v->valuestring);
	default:
		return NULL;
	}
}

craft_code proto_json_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                const cJSON *params, struct craft_aws_http_req *out)
{
	cJSON *body;
	char *text, target[256], ctype[64];
	craft_code rc;

	if (op->input != CRAFT_AWS_NONE && params)
		body = proto_json_value(m, &m->members[op->input], params);
	else
		body = cJSON_CreateObject();
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	if (!text)
		return CRAFT_ENOMEM;
	rc = craft_buf_addstr(&out->body, text);
	free(text);
	snprintf(target, sizeof(target), "%s.%s", m->target_prefix ? m->target_prefix : "",
	         op->name);
	snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s",
	         m->json_version ? m->json_version : "1.0");
	if (rc == CRAFT_OK)
		rc = craft_buf_addch(&out->path, '/');
	if (rc == CRAFT_OK)
		rc = proto_add_header(out, "X-Amz-Target", target);
	if (rc == CRAFT_OK)
		rc = proto_add_header(out, "Content-Type", ctype);
	return rc;
}
