/* Parameters checked against an operation's input shape before anything
 * is written, with the member's path in the message (after botocore's
 * ParamValidator: unknown and missing members, types; plus enums). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/proto/internal.h"
#include "core/base64.h"

struct vpath {
	char text[512];
	size_t len;
};

static size_t vpath_push(struct vpath *p, const char *name, int index)
{
	size_t old = p->len;
	int n;

	if (name)
		n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s%s", p->len ? "." : "",
		             name);
	else
		n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "[%d]", index);
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->text) ? p->len + (size_t)n
		                                              : sizeof(p->text) - 1;
	return old;
}

static void vpath_pop(struct vpath *p, size_t old)
{
	p->len = old;
	p->text[old] = '\0';
}

static const char *kind(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "a list";
	return "an object";
}

static const char *const type_names[] = {
	"a structure (object)", "a list",    "a map (object)", "a string", "an integer",
	"an integer",           "a boolean", "a number",       "a number", "a timestamp",
	"base64 text"
};

static craft_code bad(struct craft_err *err, const struct vpath *p, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static craft_code bad(struct craft_err *err, const struct vpath *p, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return craft_err_set(err, CRAFT_EUSAGE, "%s: %s", p->len ? p->text : "parameters", what);
}

static craft_code check(const struct craft_aws_model *m, const struct craft_aws_shape *s,
                        const cJSON *v, struct vpath *p, int depth, struct craft_err *err);

static craft_code check_enum(const struct craft_aws_model *m, const struct craft_aws_shape *s,
                             const char *value, const struct vpath *p, struct craft_err *err)
{
	char allowed[400];
	size_t n = 0;

	if (!s->count || (s->flags & CRAFT_AWS_S_OPEN_ENUM))
		return CRAFT_OK;
	for (unsigned i = 0; i < s->count; i++)
		if (strcmp(m->enums[s->first + i], value) == 0)
			return CRAFT_OK;
	allowed[0] = '\0';
	for (unsigned i = 0; i < s->count && n + 4 < sizeof(allowed); i++) {
		int w = snprintf(allowed + n, sizeof(allowed) - n, "%s%s", i ? ", " : "",
		                 m->enums[s->first + i]);

		n += w > 0 ? (size_t)w : 0;
	}
	if (n >= sizeof(allowed))
		snprintf(allowed + sizeof(allowed) - 5, 5, "...");
	return bad(err, p, "'%s' is not one of %s", value, allowed);
}

static craft_code check_struct(const struct craft_aws_model *m, const struct craft_aws_shape *s,
                               const cJSON *v, struct vpath *p, int depth, struct craft_err *err)
{
	const cJSON *c;

	if (s->flags & CRAFT_AWS_S_DOCUMENT)
		return CRAFT_OK;
	cJSON_ArrayForEach(c, v)
	{
		const struct craft_aws_member *mem = craft_aws_model_struct_member(m, s, c->string);
		size_t old;
		craft_code rc;

		if (!mem) {
			char known[300];
			size_t n = 0;

			known[0] = '\0';
			for (unsigned i = 0; i < s->count && n + 4 < sizeof(known); i++) {
				int w = snprintf(known + n, sizeof(known) - n, "%s%s",
				                 i ? ", " : "", MEMBER(m, s, i)->name);

				n += w > 0 ? (size_t)w : 0;
			}
			old = vpath_push(p, c->string, 0);
			rc = bad(err, p, "unknown member of %s (it has: %s)", s->name,
			         s->count ? known : "no members");
			vpath_pop(p, old);
			return rc;
		}
		old = vpath_push(p, c->string, 0);
		rc = check(m, SHAPE(m, mem), c, p, depth + 1, err);
		vpath_pop(p, old);
		if (rc != CRAFT_OK)
			return rc;
	}
	for (unsigned i = 0; i < s->count; i++) {
		const struct craft_aws_member *mem = MEMBER(m, s, i);

		if ((mem->flags & CRAFT_AWS_M_REQUIRED) &&
		    !cJSON_GetObjectItemCaseSensitive(v, mem->name)) {
			size_t old = vpath_push(p, mem->name, 0);
			craft_code rc = bad(err, p, "missing, and %s requires it", s->name);

			vpath_pop(p, old);
			return rc;
		}
	}
	return CRAFT_OK;
}

static craft_code check(const struct craft_aws_model *m, const struct craft_aws_shape *s,
                        const cJSON *v, struct vpath *p, int depth, struct craft_err *err)
{
	const cJSON *c;
	craft_code rc;
	int i = 0;

	if (depth > 64)
		return bad(err, p, "nested deeper than 64 levels");
	switch (s->type) {
	case CRAFT_AWS_T_STRUCTURE:
		if (!cJSON_IsObject(v))
			break;
		return check_struct(m, s, v, p, depth, err);
	case CRAFT_AWS_T_LIST:
		if (!cJSON_IsArray(v))
			break;
		cJSON_ArrayForEach(c, v)
		{
			size_t old = vpath_push(p, NULL, i++);

			rc = check(m, SHAPE(m, MEMBER(m, s, 0)), c, p, depth + 1, err);
			vpath_pop(p, old);
			if (rc != CRAFT_OK)
				return rc;
		}
		return CRAFT_OK;
	case CRAFT_AWS_T_MAP:
		if (!cJSON_IsObject(v))
			break;
		cJSON_ArrayForEach(c, v)
		{
			size_t old = vpath_push(p, c->string, 0);
			const struct craft_aws_shape *ks = SHAPE(m, MEMBER(m, s, 0));

			rc = ks->type == CRAFT_AWS_T_STRING ? check_enum(m, ks, c->string, p, err)
			                                    : CRAFT_OK;
			if (rc == CRAFT_OK)
				rc = check(m, SHAPE(m, MEMBER(m, s, 1)), c, p, depth + 1, err);
			vpath_pop(p, old);
			if (rc != CRAFT_OK)
				return rc;
		}
		return CRAFT_OK;
	case CRAFT_AWS_T_STRING:
		if (!cJSON_IsString(v))
			break;
		return check_enum(m, s, v->valuestring, p, err);
	case CRAFT_AWS_T_INTEGER:
	case CRAFT_AWS_T_LONG:
		if (!cJSON_IsNumber(v) || v->valuedouble > 9007199254740992.0 ||
		    v->valuedouble < -9007199254740992.0 ||
		    v->valuedouble != (double)(long long)v->valuedouble)
			break;
		if (s->type == CRAFT_AWS_T_INTEGER &&
		    (v->valuedouble > 2147483647.0 || v->valuedouble < -2147483648.0))
			return bad(err, p, "%.0f is out of the range of a 32-bit integer",
			           v->valuedouble);
		return CRAFT_OK;
	case CRAFT_AWS_T_BOOLEAN:
		if (!cJSON_IsBool(v))
			break;
		return CRAFT_OK;
	case CRAFT_AWS_T_FLOAT:
	case CRAFT_AWS_T_DOUBLE:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			break;
		return CRAFT_OK;
	case CRAFT_AWS_T_TIMESTAMP: {
		long long secs;
		long usec;

		if (proto_timestamp(v, &secs, &usec) != 0)
			return bad(err, p,
			           "expected a timestamp (ISO 8601 text such as "
			           "2015-01-01T00:00:00Z, or epoch seconds), got %s",
			           kind(v));
		return CRAFT_OK;
	}
	case CRAFT_AWS_T_BLOB: {
		size_t n = 0, len;

		if (!cJSON_IsString(v))
			break;
		len = strlen(v->valuestring);
		{
			unsigned char *bytes = NULL;

			rc = craft_base64_decode(&bytes, &n, v->valuestring, len, 0, NULL);
			free(bytes);
		}
		if (rc != CRAFT_OK)
			return rc == CRAFT_EPARSE
			               ? bad(err, p, "a blob must be base64 text")
			               : craft_err_set(err, rc, "%s", craft_code_name(rc));
		return CRAFT_OK;
	}
	default:
		return craft_err_set(err, CRAFT_EINTERNAL, "%s: shape %s of unknown type", p->text,
		                     s->name);
	}
	return bad(err, p, "expected %s, got %s", type_names[s->type], kind(v));
}

craft_code craft_aws_validate(const struct craft_aws_model *m, const struct craft_aws_op *op,
                              const cJSON *params, struct craft_err *err)
{
	struct vpath p = { { 0 }, 0 };
	craft_code rc;

	if (!m || !op)
		return craft_err_set(err, CRAFT_EINTERNAL, "no service model or operation");
	if (!op->input_shape) {
		if (params && (!cJSON_IsObject(params) || params->child))
			return craft_err_set(err, CRAFT_EUSAGE, "%s %s takes no parameters",
			                     m->name, op->name);
		return CRAFT_OK;
	}
	if (op->input == CRAFT_AWS_NONE)
		return craft_err_set(
		        err, CRAFT_EUSAGE,
		        "%s %s: craftctl carries no model of its input (tools/awsmodel.py "
		        "selects the operations it models)",
		        m->name, op->name);
	if (!params) {
		static const cJSON empty = { .type = cJSON_Object };

		params = &empty;
	}
	if (!cJSON_IsObject(params))
		return craft_err_set(err, CRAFT_EUSAGE, "%s %s: parameters must be a JSON object",
		                     m->name, op->name);
	rc = check(m, SHAPE(m, &m->members[op->input]), params, &p, 0, err);
	if (rc != CRAFT_OK && err)
		craft_err_prefix(err, "%s %s", m->name, op->name);
	return rc;
}
