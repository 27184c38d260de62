/*
 * buf — a bounded, growable byte buffer (after curl's dynbuf).
 *
 * The contents are always NUL-terminated, so data can be used as a C string
 * when it holds text. Every buffer has a maximum size fixed at init; an
 * append that would pass it, or that cannot allocate, frees the contents and
 * returns an error, so a failed buffer never holds half a result.
 * Lifecycle: craft_buf_init (no allocation) ... craft_buf_release.
 */
#ifndef CRAFT_CORE_BUF_H
#define CRAFT_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/error.h"

struct craft_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* the most bytes it may ever hold (not counting the NUL) */
};

#define CRAFT_BUF_INIT(max)       \
	{                         \
		NULL, 0, 0, (max) \
	}

void craft_buf_init(struct craft_buf *b, size_t max);
/* Frees the contents; the buffer can be used again. */
void craft_buf_release(struct craft_buf *b);
/* Empties the buffer, keeping its memory. */
void craft_buf_reset(struct craft_buf *b);

/* Appends; on CRAFT_ENOMEM or CRAFT_ETOOBIG the contents are freed. */
craft_code craft_buf_add(struct craft_buf *b, const void *data, size_t len);
craft_code craft_buf_addstr(struct craft_buf *b, const char *s);
craft_code craft_buf_addch(struct craft_buf *b, char c);
craft_code craft_buf_printf(struct craft_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
craft_code craft_buf_vprintf(struct craft_buf *b, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

/*
 * Appends the whole of the file at path; b's max bounds what it may read.
 * On failure the contents are freed (as for any failed append) and err
 * names the path: CRAFT_ENOTFOUND when the file or a folder on its way does
 * not exist, CRAFT_EIO when it cannot be opened or read, CRAFT_ETOOBIG when
 * it is larger than the buffer may hold, CRAFT_ENOMEM. Callers with a code
 * of their own for an unreadable file (a bad stack file is CRAFT_ECONFIG)
 * keep the message and change the code.
 */
craft_code craft_buf_read_file(struct craft_buf *b, const char *path, struct craft_err *err);

/* The contents as a string: "" when empty (never NULL). Borrowed. */
const char *craft_buf_str(const struct craft_buf *b);

/*
 * Hands the contents to the caller (who frees them) and leaves the buffer
 * empty. Returns a freshly allocated "" when empty, NULL on allocation
 * failure. len may be NULL.
 */
char *craft_buf_detach(struct craft_buf *b, size_t *len);

#endif
