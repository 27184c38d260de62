/*
 * tmpdir — a fresh folder under /tmp for one unit test, for the tests that
 * write files: `.init = unit_tmpdir_make, .fini = unit_tmpdir_remove`.
 * Criterion runs each test in its own process, so one folder name serves.
 */
#ifndef CRAFT_TESTS_UNIT_TMPDIR_H
#define CRAFT_TESTS_UNIT_TMPDIR_H

extern char unit_tmpdir[64];

void unit_tmpdir_make(void);
void unit_tmpdir_remove(void);

#endif
