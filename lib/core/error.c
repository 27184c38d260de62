#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void craft_err_init(struct craft_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

craft_code craft_err_set(struct craft_err *err, craft_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

craft_code craft_err_prefix(struct craft_err *err, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return CRAFT_OK;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable here: the message stays a valid string. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	return err->code;
}

static const char *const names[] = {
	[CRAFT_OK] = "success",
	[CRAFT_ENOMEM] = "out of memory",
	[CRAFT_EUSAGE] = "usage error",
	[CRAFT_ECONFIG] = "configuration error",
	[CRAFT_EIO] = "i/o error",
	[CRAFT_ENET] = "network error",
	[CRAFT_EAWS] = "aws error",
	[CRAFT_ECRED] = "no credentials",
	[CRAFT_ESSH] = "ssh error",
	[CRAFT_EDEPLOY] = "deploy failed",
	[CRAFT_ELOCKED] = "locked",
	[CRAFT_EINTR] = "interrupted",
	[CRAFT_ETOOBIG] = "too large",
	[CRAFT_ENOTFOUND] = "not found",
	[CRAFT_ETIMEOUT] = "timed out",
	[CRAFT_EPARSE] = "malformed response",
	[CRAFT_EINTERNAL] = "internal error",
};

craft_code craft_err_recode(struct craft_err *err, craft_code code)
{
	if (err)
		err->code = code;
	return code;
}

const char *craft_code_name(craft_code code)
{
	if ((size_t)code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "unknown error";
}

int craft_exit_status(craft_code code)
{
	switch (code) {
	case CRAFT_OK:
		return 0;
	case CRAFT_EUSAGE:
	case CRAFT_ECONFIG:
		return 2;
	case CRAFT_ELOCKED:
		return 3;
	case CRAFT_EINTR:
		return 130;
	default:
		return 1;
	}
}
