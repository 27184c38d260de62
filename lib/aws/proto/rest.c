/* What rest-xml (Route 53) and rest-json share, after botocore's
 * BaseRestSerializer: members go to URI labels (greedy {Key+} keeps its
 * slashes), the query string, headers, or the body; the body is the
 * payload member alone when the shape names one. */
#include <stdlib.h>
#include <string.h>

#include "aws/proto/internal.h"
#include "aws/sigv4.h"
#include "core/base64.h"

/* One query-string pair, form-encoded as botocore's percent_encode. */
static craft_code add_pair(struct craft_buf *q, const char *k, const char *v)
{
	craft_code rc = CRAFT_OK;

	if (q->len)
		rc = craft_buf_addch(q, '&');
	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(q, k, strlen(k), 0);
	if (rc == CRAFT_OK)
		rc = craft_buf_addch(q, '=');
	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(q, v, strlen(v), 0);
	return rc;
}

/* The text of a scalar located outside the body. */
static craft_code text_of(struct craft_buf *b, const struct craft_aws_model *m,
                          const struct craft_aws_member *mem, const cJSON *v, int dflt_ts)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);

	craft_buf_reset(b);
	if (s->type == CRAFT_AWS_T_TIMESTAMP)
		return proto_timestamp_add(b, v, mem->ts_format ? mem->ts_format : dflt_ts);
	if (cJSON_IsString(v) && s->type != CRAFT_AWS_T_BLOB)
		return craft_buf_addstr(b, v->valuestring);
	return proto_scalar_add(b, s, v);
}

static craft_code querystring(struct craft_buf *q, struct craft_buf *tmp,
                              const struct craft_aws_model *m, const struct craft_aws_member *mem,
                              const cJSON *v)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	const char *name = proto_wire_name(mem);
	const cJSON *e, *x;
	craft_code rc = CRAFT_OK;

	if (s->type == CRAFT_AWS_T_MAP) {
		/* a map's keys are the parameters' own names */
		const struct craft_aws_member *val = MEMBER(m, s, 1);

		cJSON_ArrayForEach(e, v)
		{
			if (cJSON_IsArray(e)) {
				cJSON_ArrayForEach(x, e)
				{
					if (rc == CRAFT_OK)
						rc = add_pair(q, e->string, x->valuestring);
				}
			} else {
				if (rc == CRAFT_OK)
					rc = text_of(tmp, m, val, e, CRAFT_AWS_TS_ISO8601);
				if (rc == CRAFT_OK)
					rc = add_pair(q, e->string, craft_buf_str(tmp));
			}
		}
		return rc;
	}
	if (s->type == CRAFT_AWS_T_LIST) {
		cJSON_ArrayForEach(e, v)
		{
			if (rc == CRAFT_OK)
				rc = text_of(tmp, m, MEMBER(m, s, 0), e, CRAFT_AWS_TS_ISO8601);
			if (rc == CRAFT_OK)
				rc = add_pair(q, name, craft_buf_str(tmp));
		}
		return rc;
	}
	rc = text_of(tmp, m, mem, v, CRAFT_AWS_TS_ISO8601);
	return rc == CRAFT_OK ? add_pair(q, name, craft_buf_str(tmp)) : rc;
}

static craft_code header(struct craft_aws_http_req *out, struct craft_buf *tmp,
                         const struct craft_aws_model *m, const struct craft_aws_member *mem,
                         const cJSON *v)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	const cJSON *e;
	craft_code rc = CRAFT_OK;

	if (mem->location == CRAFT_AWS_LOC_HEADERS) {
		cJSON_ArrayForEach(e, v)
		{
			struct craft_buf name = CRAFT_BUF_INIT(1024);

			rc = craft_buf_printf(&name, "%s%s", proto_wire_name(mem), e->string);
			if (rc == CRAFT_OK)
				rc = proto_add_header(out, craft_buf_str(&name), e->valuestring);
			craft_buf_release(&name);
			if (rc != CRAFT_OK)
				return rc;
		}
		return rc;
	}
	if (s->type == CRAFT_AWS_T_LIST) {
		struct craft_buf item = CRAFT_BUF_INIT(1u << 20);

		if (!v->child)
			return CRAFT_OK;
		craft_buf_reset(tmp);
		cJSON_ArrayForEach(e, v)
		{
			if (rc == CRAFT_OK && tmp->len)
				rc = craft_buf_addch(tmp, ',');
			if (rc == CRAFT_OK)
				rc = text_of(&item, m, MEMBER(m, s, 0), e, CRAFT_AWS_TS_RFC822);
			if (rc == CRAFT_OK)
				rc = craft_buf_addstr(tmp, craft_buf_str(&item));
		}
		craft_buf_release(&item);
	} else if (mem->flags & CRAFT_AWS_M_JSONVALUE) {
		char *json = cJSON_PrintUnformatted(v);

		craft_buf_reset(tmp);
		rc = json ? craft_base64_add(tmp, json, strlen(json)) : CRAFT_ENOMEM;
		free(json);
	} else {
		rc = text_of(tmp, m, mem, v, CRAFT_AWS_TS_RFC822);
	}
	return rc == CRAFT_OK ? proto_add_header(out, proto_wire_name(mem), craft_buf_str(tmp))
	                      : rc;
}

/* The request URI with its {Label} and {Label+} filled. */
static craft_code render_uri(struct craft_aws_http_req *out, struct craft_buf *tmp,
                             const struct craft_aws_model *m, const struct craft_aws_shape *in,
                             const cJSON *params, const char *uri, size_t len)
{
	craft_code rc = CRAFT_OK;

	for (size_t i = 0; i < len && rc == CRAFT_OK;) {
		const char *close;
		size_t nlen;
		int greedy;
		const cJSON *e;
		const struct craft_aws_member *found = NULL;

		if (uri[i] != '{' || !(close = memchr(uri + i, '}', len - i))) {
			rc = craft_buf_addch(&out->path, uri[i++]);
			continue;
		}
		nlen = (size_t)(close - (uri + i + 1));
		greedy = nlen && uri[i + nlen] == '+';
		if (greedy)
			nlen--;
		cJSON_ArrayForEach(e, params)
		{
			const struct craft_aws_member *mem =
			        craft_aws_model_struct_member(m, in, e->string);
			const char *w = mem ? proto_wire_name(mem) : "";

			if (mem && mem->location == CRAFT_AWS_LOC_URI && strlen(w) == nlen &&
			    memcmp(w, uri + i + 1, nlen) == 0) {
				found = mem;
				rc = text_of(tmp, m, mem, e, CRAFT_AWS_TS_ISO8601);
				if (rc == CRAFT_OK)
					rc = craft_sigv4_uri_encode(&out->path,
					                            tmp->data ? tmp->data : "",
					                            tmp->len, greedy);
				break;
			}
		}
		if (!found)
			return CRAFT_EINTERNAL; /* a label without a value: the model requires it */
		i = (size_t)(close - uri) + 1;
	}
	return rc;
}

craft_code proto_rest_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                const cJSON *params, int xml, struct craft_aws_http_req *out)
{
	const char *uri = op->request_uri, *qmark = strchr(uri, '?');
	const struct craft_aws_member *in =
	        op->input != CRAFT_AWS_NONE ? &m->members[op->input] : NULL;
	const struct craft_aws_shape *s = in ? SHAPE(m, in) : NULL;
	struct craft_buf tmp = CRAFT_BUF_INIT(64u << 20);
	static const cJSON empty = { .type = cJSON_Object };
	const cJSON *e;
	int nbody = 0, needs_body = 0;
	craft_code rc;

	if (!params)
		params = &empty;
	rc = s ? render_uri(out, &tmp, m, s, params, uri,
	                    qmark ? (size_t)(qmark - uri) : strlen(uri))
	       : craft_buf_add(&out->path, uri, qmark ? (size_t)(qmark - uri) : strlen(uri));
	if (rc == CRAFT_OK && qmark && qmark[1])
		rc = craft_buf_addstr(&out->query, qmark + 1);
	for (unsigned i = 0; s && i < s->count; i++)
		if (MEMBER(m, s, i)->location == CRAFT_AWS_LOC_BODY)
			needs_body = 1;
	cJSON_ArrayForEach(e, params)
	{
		const struct craft_aws_member *mem =
		        s ? craft_aws_model_struct_member(m, s, e->string) : NULL;

		if (rc != CRAFT_OK || !mem)
			break;
		if (mem->location == CRAFT_AWS_LOC_QUERYSTRING)
			rc = querystring(&out->query, &tmp, m, mem, e);
		else if (mem->location == CRAFT_AWS_LOC_HEADER ||
		         mem->location == CRAFT_AWS_LOC_HEADERS)
			rc = header(out, &tmp, m, mem, e);
		else if (mem->location == CRAFT_AWS_LOC_BODY)
			nbody++;
	}
	if (rc == CRAFT_OK && s && s->payload != CRAFT_AWS_NONE) {
		const struct craft_aws_member *pm = MEMBER(m, s, s->payload);
		const struct craft_aws_shape *ps = SHAPE(m, pm);
		const cJSON *pv = cJSON_GetObjectItemCaseSensitive(params, pm->name);

		if (ps->type == CRAFT_AWS_T_BLOB)
			rc = pv ? proto_blob_raw(&out->body, pv) : CRAFT_OK;
		else if (ps->type == CRAFT_AWS_T_STRING)
			rc = pv ? craft_buf_addstr(&out->body, pv->valuestring) : CRAFT_OK;
		else if (pv && xml)
			rc = proto_xml_body(m, pm, pv, 0, &out->body);
		else if (pv)
			rc = proto_restjson_body(m, pm, pv, 0, &out->body);
		else if (!xml)
			rc = craft_buf_addstr(&out->body, "{}");
	} else if (rc == CRAFT_OK && nbody) {
		rc = xml ? proto_xml_body(m, in, params, 1, &out->body)
		         : proto_restjson_body(m, in, params, 1, &out->body);
	} else if (rc == CRAFT_OK && !xml && needs_body) {
		rc = craft_buf_addstr(&out->body, "{}");
	}
	if (rc == CRAFT_OK && !xml && out->body.len &&
	    !(s && s->payload != CRAFT_AWS_NONE &&
	      (SHAPE(m, MEMBER(m, s, s->payload))->type == CRAFT_AWS_T_BLOB ||
	       SHAPE(m, MEMBER(m, s, s->payload))->type == CRAFT_AWS_T_STRING)) &&
	    !craft_aws_http_req_header(out, "Content-Type"))
		rc = proto_add_header(out, "Content-Type", "application/json");
	craft_buf_release(&tmp);
	return rc;
}
