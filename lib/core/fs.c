#include "core/fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

craft_code craft_mkdir_p(const char *path, struct craft_err *err)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return craft_err_set(err, CRAFT_EIO, "path too long");
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return craft_err_set(err, CRAFT_EIO, "cannot create '%s': %s", tmp,
			                     strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return craft_err_set(err, CRAFT_EIO, "cannot create '%s': %s", tmp,
		                     strerror(errno));
	return CRAFT_OK;
}
