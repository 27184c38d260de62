#include "aws/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"

void craft_query_init(struct craft_query *q)
{
	q->params = NULL;
	q->n = 0;
	q->cap = 0;
}

void craft_query_release(struct craft_query *q)
{
	for (int i = 0; i < q->n; i++) {
		free(q->params[i].key);
		free(q->params[i].value);
	}
	free(q->params);
	craft_query_init(q);
}

craft_code craft_query_add(struct craft_query *q, const char *key, const char *value)
{
	char *k, *v;

	if (!key || !*key)
		return CRAFT_EINTERNAL;
	if (q->n == q->cap) {
		int cap = q->cap ? q->cap * 2 : 16;
		struct craft_query_param *p = realloc(q->params, (size_t)cap * sizeof(*p));

		if (!p)
			return CRAFT_ENOMEM;
		q->params = p;
		q->cap = cap;
	}
	k = strdup(key);
	v = strdup(value ? value : "");
	if (!k || !v) {
		free(k);
		free(v);
		return CRAFT_ENOMEM;
	}
	q->params[q->n].key = k;
	q->params[q->n].value = v;
	q->n++;
	return CRAFT_OK;
}

craft_code craft_query_copy(struct craft_query *dst, const struct craft_query *src)
{
	craft_code rc = CRAFT_OK;

	craft_query_init(dst);
	for (int i = 0; src && i < src->n && rc == CRAFT_OK; i++)
		rc = craft_query_add(dst, src->params[i].key, src->params[i].value);
	if (rc != CRAFT_OK)
		craft_query_release(dst);
	return rc;
}

craft_code craft_query_addf(struct craft_query *q, const char *value, const char *keyfmt, ...)
{
	char key[512];
	va_list ap;
	int n;

	va_start(ap, keyfmt);
	n = vsnprintf(key, sizeof(key), keyfmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(key))
		return CRAFT_ETOOBIG;
	return craft_query_add(q, key, value);
}

craft_code craft_query_set(struct craft_query *q, const char *key, const char *value)
{
	for (int i = 0; i < q->n; i++) {
		if (strcmp(q->params[i].key, key) == 0) {
			char *v = strdup(value ? value : "");

			if (!v)
				return CRAFT_ENOMEM;
			free(q->params[i].value);
			q->params[i].value = v;
			return CRAFT_OK;
		}
	}
	return craft_query_add(q, key, value);
}

const char *craft_query_get(const struct craft_query *q, const char *key)
{
	for (int i = 0; q && i < q->n; i++)
		if (strcmp(q->params[i].key, key) == 0)
			return q->params[i].value;
	return NULL;
}

craft_code craft_query_add_filter(struct craft_query *q, int n, const char *name,
                                  const char *const *values, int nvalues)
{
	craft_code rc = craft_query_addf(q, name, "Filter.%d.Name", n);

	for (int i = 0; i < nvalues && rc == CRAFT_OK; i++)
		rc = craft_query_addf(q, values[i], "Filter.%d.Value.%d", n, i + 1);
	return rc;
}

craft_code craft_query_add_tag_spec(struct craft_query *q, int n, const char *rtype,
                                    const struct craft_tag *tags, int ntags)
{
	craft_code rc = craft_query_addf(q, rtype, "TagSpecification.%d.ResourceType", n);

	for (int i = 0; i < ntags && rc == CRAFT_OK; i++) {
		rc = craft_query_addf(q, tags[i].key, "TagSpecification.%d.Tag.%d.Key", n, i + 1);
		if (rc == CRAFT_OK)
			rc = craft_query_addf(q, tags[i].value, "TagSpecification.%d.Tag.%d.Value",
			                      n, i + 1);
	}
	return rc;
}

craft_code craft_query_add_list(struct craft_query *q, const char *prefix,
                                const char *const *values, int nvalues)
{
	craft_code rc = CRAFT_OK;

	for (int i = 0; i < nvalues && rc == CRAFT_OK; i++)
		rc = craft_query_addf(q, values[i], "%s.%d", prefix, i + 1);
	return rc;
}

craft_code craft_query_add_tags(struct craft_query *q, const char *prefix,
                                const struct craft_tag *tags, int ntags)
{
	craft_code rc = CRAFT_OK;

	for (int i = 0; i < ntags && rc == CRAFT_OK; i++) {
		rc = craft_query_addf(q, tags[i].key, "%s.%d.Key", prefix, i + 1);
		if (rc == CRAFT_OK)
			rc = craft_query_addf(q, tags[i].value, "%s.%d.Value", prefix, i + 1);
	}
	return rc;
}

craft_code craft_query_encode(const struct craft_query *q, struct craft_buf *out)
{
	craft_code rc = CRAFT_OK;

	for (int i = 0; q && i < q->n && rc == CRAFT_OK; i++) {
		if (i)
			rc = craft_buf_addch(out, '&');
		if (rc == CRAFT_OK)
			rc = craft_sigv4_uri_encode(out, q->params[i].key, strlen(q->params[i].key),
			                            0);
		if (rc == CRAFT_OK)
			rc = craft_buf_addch(out, '=');
		if (rc == CRAFT_OK)
			rc = craft_sigv4_uri_encode(out, q->params[i].value,
			                            strlen(q->params[i].value), 0);
	}
	return rc;
}
