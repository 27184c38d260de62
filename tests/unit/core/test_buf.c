#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

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
