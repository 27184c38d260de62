#include "tests/unit/common/tmpdir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

char unit_tmpdir[64];

void unit_tmpdir_make(void)
{
	snprintf(unit_tmpdir, sizeof(unit_tmpdir), "/tmp/craft-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(unit_tmpdir));
}

void unit_tmpdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_tmpdir);
	cr_assert_eq(system(cmd), 0);
}
