#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void craft_buf_init(struct craft_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void craft_buf_release(struct craft_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void craft_buf_reset(struct craft_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static craft_code grow(struct craft_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra) {
		craft_buf_release(b);
		return CRAFT_ETOOBIG;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return CRAFT_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (b->max < (size_t)-1 && cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p) {
		craft_buf_release(b);
		return CRAFT_ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return CRAFT_OK;
}

craft_code craft_buf_add(struct craft_buf *b, const void *data, size_t len)
{
	craft_code rc = grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return CRAFT_OK;
}

craft_code craft_buf_addstr(struct craft_buf *b, const char *s)
{
	return craft_buf_add(b, s, strlen(s));
}

craft_code craft_buf_addch(struct craft_buf *b, char c)
{
	return craft_buf_add(b, &c, 1);
}

craft_code craft_buf_vprintf(struct craft_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	craft_code rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		craft_buf_release(b);
		return CRAFT_EINTERNAL;
	}
	rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CRAFT_OK;
}

craft_code craft_buf_printf(struct craft_buf *b, const char *fmt, ...)
{
	va_list ap;
	craft_code rc;

	va_start(ap, fmt);
	rc = craft_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *craft_buf_str(const struct craft_buf *b)
{
	return b->data ? b->data : "";
}

char *craft_buf_detach(struct craft_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
