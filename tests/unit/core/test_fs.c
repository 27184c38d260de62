#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "tests/unit/common/tmpdir.h"

Test(fs, creates_every_parent_private, .init = unit_tmpdir_make, .fini = unit_tmpdir_remove)
{
	char path[256];
	struct stat st;
	struct craft_err err;

	snprintf(path, sizeof(path), "%s/a/b/c", unit_tmpdir);
	cr_assert_eq(craft_mkdir_p(path, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0077, 0, "group or others may enter: %o", st.st_mode & 0777);
	/* again: an existing folder is fine */
	cr_assert_eq(craft_mkdir_p(path, &err), CRAFT_OK);
}

Test(fs, a_file_in_the_way_is_an_error_naming_it, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	char file[256], path[300];
	struct craft_err err;
	FILE *f;

	snprintf(file, sizeof(file), "%s/file", unit_tmpdir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sub", file);
	cr_assert_eq(craft_mkdir_p(path, &err), CRAFT_EIO);
	cr_assert(strstr(err.msg, "cannot create") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "/file/sub") != NULL, "%s", err.msg);
}

Test(fs, overlong_paths_are_refused)
{
	char path[5000];
	struct craft_err err;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	cr_assert_eq(craft_mkdir_p(path, &err), CRAFT_EIO);
	cr_assert_str_eq(err.msg, "path too long");
}
