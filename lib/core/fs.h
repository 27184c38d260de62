/*
 * fs — small file-system helpers shared by the modules that keep files of
 * their own (the state cache, the generated SSH key).
 */
#ifndef CRAFT_CORE_FS_H
#define CRAFT_CORE_FS_H

#include "core/error.h"

/* Creates path and every missing parent with mode 0700 (private: these
 * folders hold keys and state). Existing folders are left as they are. */
craft_code craft_mkdir_p(const char *path, struct craft_err *err);

#endif
