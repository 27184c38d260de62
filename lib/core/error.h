/*
 * error — the one error enum of craftctl and the detail that travels with it.
 *
 * Every fallible library function returns a craft_code (CRAFT_OK == 0) and,
 * when it fails, fills the caller's struct craft_err. The enum only ever
 * grows: codes are appended, never renumbered. cli/ maps codes to exit
 * statuses with craft_exit_status(). Third-party errors (curl, libyaml,
 * libssh2, OpenSSL) are translated at the boundary into a code + message.
 */
#ifndef CRAFT_CORE_ERROR_H
#define CRAFT_CORE_ERROR_H

#include <stddef.h>

typedef enum craft_code {
	CRAFT_OK = 0,
	CRAFT_ENOMEM,    /* out of memory */
	CRAFT_EUSAGE,    /* bad command line: nothing was changed */
	CRAFT_ECONFIG,   /* bad stack file or settings: nothing was changed */
	CRAFT_EIO,       /* local file or system call failed */
	CRAFT_ENET,      /* network / transport failure */
	CRAFT_EAWS,      /* AWS answered with an error (see aws_code) */
	CRAFT_ECRED,     /* no usable credentials */
	CRAFT_ESSH,      /* SSH connection, authentication or host key */
	CRAFT_EDEPLOY,   /* a remote step or health check failed */
	CRAFT_ELOCKED,   /* another run holds the lock */
	CRAFT_EINTR,     /* interrupted by a signal */
	CRAFT_ETOOBIG,   /* a bounded buffer or input limit was exceeded */
	CRAFT_ENOTFOUND, /* the thing asked for does not exist */
	CRAFT_ETIMEOUT,  /* a wait ran out of time */
	CRAFT_EPARSE,    /* malformed data from a peer (XML, JSON, ...) */
	CRAFT_EINTERNAL, /* a bug: a broken invariant */
} craft_code;

struct craft_err {
	craft_code code;
	char msg[1024];
	/* For AWS errors: the service's error code, HTTP status, request id. */
	char aws_code[128];
	char request_id[128];
	long http_status;
};

/* Clears the detail (no allocation). */
void craft_err_init(struct craft_err *err);

/*
 * Sets code and message (printf-style) and returns code, so callers can
 * write `return craft_err_set(err, CRAFT_EIO, "cannot open '%s'", path);`.
 * err may be NULL. The message is truncated to fit, never overflowed.
 */
craft_code craft_err_set(struct craft_err *err, craft_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prepends "what: " to an existing message, keeping the code. */
craft_code craft_err_prefix(struct craft_err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Keeps the message and gives it another code, for a caller whose meaning
 * of the failure is its own (an unreadable stack file is CRAFT_ECONFIG).
 * Returns code; err may be NULL. */
craft_code craft_err_recode(struct craft_err *err, craft_code code);

/* A short lowercase name for a code ("out of memory", "aws error", ...). */
const char *craft_code_name(craft_code code);

/* The process exit status for a code, as CLI.md fixes it: 0, 1, 2, 3, 130. */
int craft_exit_status(craft_code code);

#endif
