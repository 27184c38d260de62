#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "tests/unit/common/tmpdir.h"

Test(buf, starts_empty_and_reads_as_empty_string)
{
	struct craft_buf b = CRAFT_BUF_INIT(16);

	cr_assert_str_eq(craft_buf_str(&b), "");
	cr_assert_eq(b.len, 0);
	craft_buf_release(&b);
}

Test(buf, appends_and_stays_nul_terminated)
{
	struct craft_buf b;

	craft_buf_init(&b, 1024);
	cr_assert_eq(craft_buf_addstr(&b, "vpc-"), CRAFT_OK);
	cr_assert_eq(craft_buf_printf(&b, "%05d", 42), CRAFT_OK);
	cr_assert_eq(craft_buf_addch(&b, '!'), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "vpc-00042!");
	cr_assert_eq(b.len, 10);
	craft_buf_release(&b);
}

Test(buf, grows_across_many_appends)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);

	for (int i = 0; i < 10000; i++)
		cr_assert_eq(craft_buf_add(&b, "abcdefgh", 8), CRAFT_OK);
	cr_assert_eq(b.len, 80000);
	cr_assert_eq(b.data[b.len], '\0');
	cr_assert_eq(memcmp(b.data + 79992, "abcdefgh", 8), 0);
	craft_buf_release(&b);
}

Test(buf, refuses_past_its_bound_and_frees_itself)
{
	struct craft_buf b = CRAFT_BUF_INIT(8);

	cr_assert_eq(craft_buf_addstr(&b, "12345678"), CRAFT_OK);
	cr_assert_eq(craft_buf_addch(&b, '9'), CRAFT_ETOOBIG);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	/* usable again after the failure */
	cr_assert_eq(craft_buf_addstr(&b, "ok"), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "ok");
	craft_buf_release(&b);
}

Test(buf, printf_past_bound_fails_cleanly)
{
	struct craft_buf b = CRAFT_BUF_INIT(10);

	cr_assert_eq(craft_buf_printf(&b, "%s", "this is longer than ten"), CRAFT_ETOOBIG);
	cr_assert_null(b.data);
}

Test(buf, size_overflow_is_refused)
{
	struct craft_buf b = CRAFT_BUF_INIT((size_t)-1);

	cr_assert_eq(craft_buf_addstr(&b, "x"), CRAFT_OK);
	cr_assert_eq(craft_buf_add(&b, "y", (size_t)-1), CRAFT_ETOOBIG);
}

Test(buf, detach_hands_over_ownership)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	size_t len = 99;
	char *s;

	s = craft_buf_detach(&b, &len);
	cr_assert_str_eq(s, "");
	cr_assert_eq(len, 0);
	free(s);
	craft_buf_addstr(&b, "kept");
	s = craft_buf_detach(&b, &len);
	cr_assert_str_eq(s, "kept");
	cr_assert_eq(len, 4);
	cr_assert_null(b.data);
	free(s);
}

Test(buf, reset_keeps_memory_but_empties)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);

	craft_buf_addstr(&b, "abc");
	craft_buf_reset(&b);
	cr_assert_not_null(b.data);
	cr_assert_str_eq(craft_buf_str(&b), "");
	craft_buf_release(&b);
}

/* ---- craft_buf_read_file ---- */

/* Writes len bytes of data to unit_tmpdir/name; out gets the path. */
static void write_file(char *out, size_t outlen, const char *name, const void *data, size_t len)
{
	FILE *f;

	snprintf(out, outlen, "%s/%s", unit_tmpdir, name);
	f = fopen(out, "wb");
	cr_assert_not_null(f, "%s", out);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(buf_read_file, reads_the_whole_file, .init = unit_tmpdir_make, .fini = unit_tmpdir_remove)
{
	static char big[20000];
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_err err;
	char path[128];

	/* longer than one read, with a NUL inside: the length is the file's */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[100] = '\0';
	write_file(path, sizeof(path), "big", big, sizeof(big));
	craft_err_init(&err);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(b.len, sizeof(big));
	cr_assert_eq(memcmp(b.data, big, sizeof(big)), 0);
	cr_assert_eq(b.data[b.len], '\0');
	craft_buf_release(&b);
}

Test(buf_read_file, appends_to_what_the_buffer_holds, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_err err;
	char path[128];

	write_file(path, sizeof(path), "tail", "world", 5);
	cr_assert_eq(craft_buf_addstr(&b, "hello "), CRAFT_OK);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_str_eq(craft_buf_str(&b), "hello world");
	craft_buf_release(&b);
}

Test(buf_read_file, an_empty_file_is_an_empty_string, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_err err;
	char path[128];

	write_file(path, sizeof(path), "empty", "", 0);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(craft_buf_str(&b), "");
	craft_buf_release(&b);
}

Test(buf_read_file, a_missing_file_is_not_found_and_named, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_err err;
	char path[128], want[200];

	snprintf(path, sizeof(path), "%s/nope.yaml", unit_tmpdir);
	craft_err_init(&err);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_ENOTFOUND);
	cr_assert_eq(err.code, CRAFT_ENOTFOUND);
	snprintf(want, sizeof(want), "cannot read '%s': No such file or directory", path);
	cr_assert_str_eq(err.msg, want);
	cr_assert_null(b.data);
	/* a file standing where a folder should be also means "not there" */
	write_file(path, sizeof(path), "plain", "x", 1);
	snprintf(path, sizeof(path), "%s/plain/below", unit_tmpdir);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_ENOTFOUND);
	cr_assert(strstr(err.msg, path), "%s", err.msg);
}

Test(buf_read_file, a_file_over_the_limit_is_too_big_and_frees, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	static char data[(1 << 20) + 1];
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_buf small = CRAFT_BUF_INIT(10);
	struct craft_err err;
	char path[128], want[200];

	memset(data, 'x', sizeof(data));
	write_file(path, sizeof(path), "big", data, sizeof(data));
	craft_err_init(&err);
	cr_assert_eq(craft_buf_read_file(&b, path, &err), CRAFT_ETOOBIG);
	cr_assert_eq(err.code, CRAFT_ETOOBIG);
	snprintf(want, sizeof(want), "cannot read '%s': larger than 1 MiB", path);
	cr_assert_str_eq(err.msg, want);
	cr_assert_null(b.data, "a failed read keeps no half result");
	cr_assert_eq(b.len, 0);

	/* exactly the limit fits; one byte more does not */
	write_file(path, sizeof(path), "ten", data, 10);
	cr_assert_eq(craft_buf_read_file(&small, path, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(small.len, 10);
	craft_buf_reset(&small);
	write_file(path, sizeof(path), "eleven", data, 11);
	cr_assert_eq(craft_buf_read_file(&small, path, &err), CRAFT_ETOOBIG);
	snprintf(want, sizeof(want), "cannot read '%s': larger than 10 bytes", path);
	cr_assert_str_eq(err.msg, want);
}

Test(buf_read_file, a_folder_is_an_io_error, .init = unit_tmpdir_make, .fini = unit_tmpdir_remove)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_err err;
	char want[200];

	craft_err_init(&err);
	cr_assert_eq(craft_buf_read_file(&b, unit_tmpdir, &err), CRAFT_EIO);
	snprintf(want, sizeof(want), "cannot read '%s': Is a directory", unit_tmpdir);
	cr_assert_str_eq(err.msg, want);
}

Test(buf_read_file, err_may_be_null)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);

	cr_assert_eq(craft_buf_read_file(&b, "/nonexistent/craft-buf", NULL), CRAFT_ENOTFOUND);
}
