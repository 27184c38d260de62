/* The Query protocol (IAM, STS, ELBv2, RDS, CloudWatch, SNS) and EC2's
 * dialect of it: the parameters flattened into numbered keys of a form
 * body, after botocore's QuerySerializer and EC2Serializer. Lists are
 * spelled by each member's locationName (ELBv2 Subnets.member.1, RDS
 * SubnetIds.SubnetIdentifier.1, flattened SNS/CloudWatch lists), never
 * one hard-coded convention. */
#include <string.h>

#include "aws/proto/internal.h"
#include "aws/sigv4.h"

struct qctx {
	const struct craft_aws_model *m;
	int ec2;
	struct craft_buf key; /* the key being built */
	struct craft_buf val;
	struct craft_query *q;
};

static void truncate_to(struct craft_buf *b, size_t len)
{
	if (b->data) {
		b->len = len;
		b->data[len] = '\0';
	}
}

static craft_code add_name(struct qctx *c, const struct craft_aws_member *mem, const char *dflt)
{
	if (c->ec2)
		return proto_ec2_name(&c->key, mem, dflt);
	return craft_buf_addstr(&c->key, mem->loc_name ? mem->loc_name : dflt);
}

static craft_code emit(struct qctx *c, const char *value)
{
	return craft_query_add(c->q, craft_buf_str(&c->key), value);
}

static craft_code ser(struct qctx *c, const struct craft_aws_member *mem, const cJSON *v);

static craft_code ser_list(struct qctx *c, const struct craft_aws_member *mem,
                           const struct craft_aws_shape *s, const cJSON *v)
{
	const struct craft_aws_member *item = MEMBER(c->m, s, 0);
	size_t base;
	craft_code rc = CRAFT_OK;
	int i = 1;
	const cJSON *e;

	if (c->ec2) {
		base = c->key.len;
	} else if (!v->child) {
		return emit(c, "");
	} else if (mem->flags & CRAFT_AWS_M_FLATTENED) {
		if (item->loc_name) {
			/* the element's name replaces the list's own */
			const char *k = craft_buf_str(&c->key), *dot = strrchr(k, '.');

			truncate_to(&c->key, dot ? (size_t)(dot - k) + 1 : 0);
			rc = craft_buf_addstr(&c->key, item->loc_name);
		}
		base = c->key.len;
	} else {
		rc = craft_buf_addch(&c->key, '.');
		if (rc == CRAFT_OK)
			rc = craft_buf_addstr(&c->key, item->loc_name ? item->loc_name : "member");
		base = c->key.len;
	}
	cJSON_ArrayForEach(e, v)
	{
		if (rc == CRAFT_OK)
			rc = craft_buf_printf(&c->key, ".%d", i++);
		if (rc == CRAFT_OK)
			rc = ser(c, item, e);
		truncate_to(&c->key, base);
	}
	return rc;
}

static craft_code ser_map(struct qctx *c, const struct craft_aws_member *mem,
                          const struct craft_aws_shape *s, const cJSON *v)
{
	const struct craft_aws_member *k = MEMBER(c->m, s, 0), *val = MEMBER(c->m, s, 1);
	size_t base;
	craft_code rc = CRAFT_OK;
	int i = 1;
	const cJSON *e;

	if (!(mem->flags & CRAFT_AWS_M_FLATTENED))
		rc = craft_buf_addstr(&c->key, ".entry");
	base = c->key.len;
	cJSON_ArrayForEach(e, v)
	{
		cJSON keyv = { .type = cJSON_String, .valuestring = e->string };

		if (rc == CRAFT_OK)
			rc = craft_buf_printf(&c->key, ".%d.", i++);
		if (rc == CRAFT_OK)
			rc = add_name(c, k, "key");
		if (rc == CRAFT_OK)
			rc = ser(c, k, &keyv);
		truncate_to(&c->key, base);
		if (rc == CRAFT_OK)
			rc = craft_buf_printf(&c->key, ".%d.", i - 1);
		if (rc == CRAFT_OK)
			rc = add_name(c, val, "value");
		if (rc == CRAFT_OK)
			rc = ser(c, val, e);
		truncate_to(&c->key, base);
	}
	return rc;
}

static craft_code ser_struct(struct qctx *c, const struct craft_aws_shape *s, const cJSON *v)
{
	size_t base = c->key.len;
	craft_code rc = CRAFT_OK;
	const cJSON *e;

	cJSON_ArrayForEach(e, v)
	{
		const struct craft_aws_member *mem =
		        craft_aws_model_struct_member(c->m, s, e->string);

		if (!mem)
			return CRAFT_EINTERNAL;
		if (base)
			rc = craft_buf_addch(&c->key, '.');
		if (rc == CRAFT_OK)
			rc = add_name(c, mem, mem->name);
		if (rc == CRAFT_OK)
			rc = ser(c, mem, e);
		truncate_to(&c->key, base);
		if (rc != CRAFT_OK)
			return rc;
	}
	return rc;
}

static craft_code ser(struct qctx *c, const struct craft_aws_member *mem, const cJSON *v)
{
	const struct craft_aws_shape *s = SHAPE(c->m, mem);
	craft_code rc;

	switch (s->type) {
	case CRAFT_AWS_T_STRUCTURE:
		return ser_struct(c, s, v);
	case CRAFT_AWS_T_LIST:
		return ser_list(c, mem, s, v);
	case CRAFT_AWS_T_MAP:
		return ser_map(c, mem, s, v);
	case CRAFT_AWS_T_TIMESTAMP:
		craft_buf_reset(&c->val);
		rc = proto_timestamp_add(&c->val, v,
		                         mem->ts_format ? mem->ts_format : CRAFT_AWS_TS_ISO8601);
		break;
	default:
		craft_buf_reset(&c->val);
		rc = proto_scalar_add(&c->val, s, v);
	}
	return rc == CRAFT_OK ? emit(c, craft_buf_str(&c->val)) : rc;
}

/* application/x-www-form-urlencoded as botocore sends it (urlencode's
 * quote_plus): RFC 3986 escapes, but a space is '+'. */
static craft_code form_encode(struct craft_buf *b, const char *s)
{
	craft_code rc = CRAFT_OK;

	while (rc == CRAFT_OK && *s) {
		size_t n = strcspn(s, " ");

		rc = craft_sigv4_uri_encode(b, s, n, 0);
		s += n;
		for (; rc == CRAFT_OK && *s == ' '; s++)
			rc = craft_buf_addch(b, '+');
	}
	return rc;
}

craft_code proto_query_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                                 const cJSON *params, int ec2, struct craft_aws_http_req *out)
{
	struct craft_query q;
	struct qctx c = { m, ec2, CRAFT_BUF_INIT(1 << 16), CRAFT_BUF_INIT(64u << 20), &q };
	craft_code rc;

	craft_query_init(&q);
	rc = craft_query_add(&q, "Action", op->name);
	if (rc == CRAFT_OK)
		rc = craft_query_add(&q, "Version", m->api_version);
	if (rc == CRAFT_OK && params && op->input != CRAFT_AWS_NONE)
		rc = ser_struct(&c, SHAPE(m, &m->members[op->input]), params);
	for (int i = 0; rc == CRAFT_OK && i < q.n; i++) {
		if (i)
			rc = craft_buf_addch(&out->body, '&');
		if (rc == CRAFT_OK)
			rc = form_encode(&out->body, q.params[i].key);
		if (rc == CRAFT_OK)
			rc = craft_buf_addch(&out->body, '=');
		if (rc == CRAFT_OK)
			rc = form_encode(&out->body, q.params[i].value);
	}
	if (rc == CRAFT_OK)
		rc = craft_buf_addch(&out->path, '/');
	if (rc == CRAFT_OK)
		rc = proto_add_header(out, "Content-Type",
		                      "application/x-www-form-urlencoded; charset=utf-8");
	craft_query_release(&q);
	craft_buf_release(&c.key);
	craft_buf_release(&c.val);
	return rc;
}
