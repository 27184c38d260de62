/* What every protocol shares: the request, the entry point, tokens, and
 * botocore's text forms of scalars, timestamps and blobs. */
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/proto/internal.h"
#include "core/base64.h"

#define REQ_MAX (64u << 20) /* a request larger than any AWS API takes */

void craft_aws_http_req_init(struct craft_aws_http_req *r)
{
	memset(r, 0, sizeof(*r));
	craft_buf_init(&r->path, REQ_MAX);
	craft_buf_init(&r->query, REQ_MAX);
	craft_buf_init(&r->body, REQ_MAX);
}

void craft_aws_http_req_release(struct craft_aws_http_req *r)
{
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	craft_buf_release(&r->path);
	craft_buf_release(&r->query);
	craft_buf_release(&r->body);
	craft_aws_http_req_init(r);
}

const char *craft_aws_http_req_header(const struct craft_aws_http_req *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

craft_code proto_add_header(struct craft_aws_http_req *r, const char *name, const char *value)
{
	char *n, *v;

	if (r->nheaders == CRAFT_AWS_REQ_MAX_HEADERS)
		return CRAFT_ETOOBIG;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return CRAFT_ENOMEM;
	}
	r->headers[r->nheaders].name = n;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
	return CRAFT_OK;
}

const char *proto_wire_name(const struct craft_aws_member *mem)
{
	return mem->loc_name ? mem->loc_name : mem->name;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* YYYY-MM-DDTHH:MM:SS[.f+][Z|+HH:MM|-HH:MM] */
static int parse_iso8601(const char *s, long long *secs, long *usec)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long us = 0, scale = 100000;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
	    digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
			us += scale ? (*s - '0') * scale : 0;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 ||
	    oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*secs = (long long)timegm(&tm) - sign * (oh * 3600LL + om * 60LL);
	*usec = us;
	return 0;
}

int proto_timestamp(const cJSON *v, long long *secs, long *usec)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble, f;

		if (!isfinite(d) || d > 1e13 || d < -1e13)
			return -1;
		*secs = (long long)d;
		if ((double)*secs > d) /* truncation went up: negative */
			(*secs)--;
		f = (double)*secs;
		*usec = (long)((d - f) * 1e6 + 0.5);
		if (*usec >= 1000000) {
			(*secs)++;
			*usec -= 1000000;
		}
		return 0;
	}
	if (cJSON_IsString(v) && v->valuestring)
		return parse_iso8601(v->valuestring, secs, usec);
	return -1;
}

craft_code proto_timestamp_add(struct craft_buf *b, const cJSON *v, int fmt)
{
	long long secs;
	long usec;
	struct tm tm;
	time_t t;
	char text[64];

	if (proto_timestamp(v, &secs, &usec) != 0)
		return CRAFT_EINTERNAL;
	if (fmt == CRAFT_AWS_TS_UNIX)
		return craft_buf_printf(b, "%lld", secs);
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return CRAFT_EINTERNAL;
	if (fmt == CRAFT_AWS_TS_RFC822) {
		strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		return craft_buf_addstr(b, text);
	}
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	if (usec > 0)
		return craft_buf_printf(b, "%s.%06ldZ", text, usec);
	return craft_buf_printf(b, "%sZ", text);
}

/* Python's repr of a float: the shortest digits that read back, fixed
 * notation for exponents -4..15, else d.ddde+XX. */
static craft_code add_double(struct craft_buf *b, double d)
{
	char e[40], f[400];
	int p, exp10;
	const char *x;

	if (d < 1e16 && d > -1e16 && d == (double)(long long)d)
		return craft_buf_printf(b, "%.0f", d);
	for (p = 1; p < 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, d);
	x = strchr(e, 'e');
	exp10 = x ? (int)strtol(x + 1, NULL, 10) : 0;
	if (exp10 < -4 || exp10 >= 16)
		return craft_buf_addstr(b, e);
	snprintf(f, sizeof(f), "%.*f", p - 1 - exp10 > 0 ? p - 1 - exp10 : 0, d);
	return craft_buf_addstr(b, f);
}

craft_code proto_scalar_add(struct craft_buf *b, const struct craft_aws_shape *s, const cJSON *v)
{
	switch (s->type) {
	case CRAFT_AWS_T_BOOLEAN:
		return craft_buf_addstr(b, cJSON_IsTrue(v) ? "true" : "false");
	case CRAFT_AWS_T_INTEGER:
	case CRAFT_AWS_T_LONG:
		return craft_buf_printf(b, "%lld", (long long)v->valuedouble);
	case CRAFT_AWS_T_FLOAT:
	case CRAFT_AWS_T_DOUBLE:
		return add_double(b, v->valuedouble);
	case CRAFT_AWS_T_BLOB:
		return proto_blob_add(b, v);
	case CRAFT_AWS_T_TIMESTAMP:
		return proto_timestamp_add(b, v, CRAFT_AWS_TS_ISO8601);
	case CRAFT_AWS_T_STRING:
		return craft_buf_addstr(b, v->valuestring ? v->valuestring : "");
	default:
		return CRAFT_EINTERNAL;
	}
}

craft_code proto_blob_raw(struct craft_buf *b, const cJSON *v)
{
	unsigned char *bytes = NULL;
	size_t n = 0;
	craft_code rc;

	if (!cJSON_IsString(v) || !v->valuestring)
		return CRAFT_EINTERNAL;
	rc = craft_base64_decode(&bytes, &n, v->valuestring, strlen(v->valuestring), 0, NULL);
	if (rc == CRAFT_OK)
		rc = craft_buf_add(b, bytes, n);
	free(bytes);
	return rc == CRAFT_EPARSE ? CRAFT_EINTERNAL : rc;
}

craft_code proto_blob_add(struct craft_buf *b, const cJSON *v)
{
	unsigned char *bytes = NULL;
	size_t n = 0;
	craft_code rc;

	if (!cJSON_IsString(v) || !v->valuestring)
		return CRAFT_EINTERNAL;
	rc = craft_base64_decode(&bytes, &n, v->valuestring, strlen(v->valuestring), 0, NULL);
	if (rc == CRAFT_OK)
		rc = craft_base64_add(b, bytes, n);
	free(bytes);
	return rc == CRAFT_EPARSE ? CRAFT_EINTERNAL : rc;
}

static craft_code random_uuid(char out[64], void *ctx)
{
	unsigned char r[16];

	(void)ctx;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return CRAFT_EINTERNAL;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 64, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
	         r[13], r[14], r[15]);
	return CRAFT_OK;
}

/* A copy of params made on the first change (params untouched). */
static craft_code own(cJSON **copy, const cJSON *params)
{
	if (!*copy)
		*copy = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
	return *copy ? CRAFT_OK : CRAFT_ENOMEM;
}

/*
 * What botocore's before-parameter-build handlers do, on a copy of params
 * (NULL in *copy when nothing changed): absent top-level idempotency
 * tokens are filled (generate_idempotent_uuid); and for Route 53, an id
 * given as a previous answer spells it ("/hostedzone/Z1", "/change/C2")
 * loses everything up to its last '/' (fix_route53_ids), so ids can be
 * passed on as AWS returns them.
 */
static craft_code before_build(const struct craft_aws_model *m, const struct craft_aws_shape *in,
                               const cJSON *params, const struct craft_aws_ser_opts *opts,
                               cJSON **copy)
{
	craft_aws_token_fn fn = opts && opts->token ? opts->token : random_uuid;
	int route53 = strcmp(m->name, "route53") == 0;

	*copy = NULL;
	if (params && !cJSON_IsObject(params))
		return CRAFT_OK; /* the validator refuses it */
	for (unsigned i = 0; i < in->count; i++) {
		const struct craft_aws_member *mem = MEMBER(m, in, i);
		const char *shape = SHAPE(m, mem)->name;
		const cJSON *v =
		        params ? cJSON_GetObjectItemCaseSensitive(params, mem->name) : NULL;
		char token[64];
		craft_code rc;

		if (route53 && cJSON_IsString(v) && strchr(v->valuestring, '/') &&
		    (strcmp(shape, "ResourceId") == 0 || strcmp(shape, "DelegationSetId") == 0 ||
		     strcmp(shape, "ChangeId") == 0)) {
			cJSON *mine;
			char *last;

			rc = own(copy, params);
			mine = rc == CRAFT_OK ? cJSON_GetObjectItemCaseSensitive(*copy, mem->name)
			                      : NULL;
			if (!mine)
				return CRAFT_ENOMEM;
			last = strdup(strrchr(mine->valuestring, '/') + 1);
			if (!last || !cJSON_SetValuestring(mine, last)) {
				free(last);
				return CRAFT_ENOMEM;
			}
			free(last);
			continue;
		}
		if (!(mem->flags & CRAFT_AWS_M_IDEMPOTENCY) || v)
			continue;
		rc = own(copy, params);
		if (rc != CRAFT_OK)
			return rc;
		token[0] = '\0';
		rc = fn(token, opts ? opts->token_ctx : NULL);
		if (rc != CRAFT_OK)
			return rc;
		token[63] = '\0';
		if (!cJSON_AddStringToObject(*copy, mem->name, token))
			return CRAFT_ENOMEM;
	}
	return CRAFT_OK;
}

craft_code craft_aws_serialize(const struct craft_aws_model *m, const struct craft_aws_op *op,
                               const cJSON *params, const struct craft_aws_ser_opts *opts,
                               struct craft_aws_http_req *out, struct craft_err *err)
{
	cJSON *filled = NULL;
	craft_code rc;

	craft_aws_http_req_release(out);
	if (!m || !op)
		return craft_err_set(err, CRAFT_EINTERNAL, "no service model or operation");
	if (op->input != CRAFT_AWS_NONE) {
		const struct craft_aws_member *in = &m->members[op->input];

		rc = before_build(m, SHAPE(m, in), params, opts, &filled);
		if (rc != CRAFT_OK) {
			cJSON_Delete(filled);
			return craft_err_set(err, rc, "%s %s: cannot prepare the parameters: %s",
			                     m->name, op->name, craft_code_name(rc));
		}
		if (filled)
			params = filled;
	}
	rc = craft_aws_validate(m, op, params, err);
	if (rc != CRAFT_OK)
		goto done;
	snprintf(out->method, sizeof(out->method), "%s", op->method);
	switch (m->protocol) {
	case CRAFT_AWS_PROTO_EC2:
	case CRAFT_AWS_PROTO_QUERY:
		rc = proto_query_serialize(m, op, params, m->protocol == CRAFT_AWS_PROTO_EC2, out);
		break;
	case CRAFT_AWS_PROTO_JSON:
		rc = proto_json_serialize(m, op, params, out);
		break;
	case CRAFT_AWS_PROTO_RESTXML:
	case CRAFT_AWS_PROTO_RESTJSON:
		rc = proto_rest_serialize(m, op, params, m->protocol == CRAFT_AWS_PROTO_RESTXML,
		                          out);
		break;
	default:
		rc = CRAFT_EINTERNAL;
	}
	if (rc != CRAFT_OK) {
		craft_aws_http_req_release(out);
		rc = craft_err_set(err, rc, "%s %s: cannot build the request: %s", m->name,
		                   op->name, craft_code_name(rc));
	}
done:
	cJSON_Delete(filled);
	return rc;
}
