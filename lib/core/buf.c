#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The limit as a person would say it: "1 MiB", "64 KiB", "70000 bytes". */
static void limit_text(char *out, size_t len, size_t max)
{
	if (max >= (1u << 20) && max % (1u << 20) == 0)
		snprintf(out, len, "%zu MiB", max >> 20);
	else if (max >= 1024 && max % 1024 == 0)
		snprintf(out, len, "%zu KiB", max >> 10);
	else
		snprintf(out, len, "%zu bytes", max);
}

craft_code craft_buf_read_file(struct craft_buf *b, const char *path, struct craft_err *err)
{
	char chunk[8192], limit[32];
	craft_code rc = CRAFT_OK;
	int fd, e;

	/* O_CLOEXEC: the library forks (ssh-keygen, dot, credential_process)
	 * while other threads may be reading. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		craft_buf_release(b);
		return craft_err_set(err, e == ENOENT || e == ENOTDIR ? CRAFT_ENOTFOUND : CRAFT_EIO,
		                     "cannot read '%s': %s", path, strerror(e));
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			craft_buf_release(b);
			rc = craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", path,
			                   strerror(e));
			break;
		}
		if (n == 0)
			break;
		rc = craft_buf_add(b, chunk, (size_t)n);
		if (rc == CRAFT_ETOOBIG) {
			limit_text(limit, sizeof(limit), b->max);
			rc = craft_err_set(err, rc, "cannot read '%s': larger than %s", path,
			                   limit);
			break;
		}
		if (rc) {
			rc = craft_err_set(err, rc, "cannot read '%s': out of memory", path);
			break;
		}
	}
	close(fd);
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
