#include <criterion/criterion.h>
#include <string.h>

#include "core/error.h"

Test(error, set_returns_code_and_formats_message)
{
	struct craft_err e;

	craft_err_init(&e);
	cr_assert_eq(craft_err_set(&e, CRAFT_EIO, "cannot open '%s'", "x.yaml"), CRAFT_EIO);
	cr_assert_eq(e.code, CRAFT_EIO);
	cr_assert_str_eq(e.msg, "cannot open 'x.yaml'");
}

Test(error, null_detail_is_allowed)
{
	cr_assert_eq(craft_err_set(NULL, CRAFT_ENET, "x"), CRAFT_ENET);
}

Test(error, long_messages_are_truncated_not_overflowed)
{
	struct craft_err e;
	char big[4000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	craft_err_set(&e, CRAFT_EPARSE, "%s", big);
	cr_assert_eq(strlen(e.msg), sizeof(e.msg) - 1);
}

Test(error, prefix_keeps_code)
{
	struct craft_err e;

	craft_err_set(&e, CRAFT_ECONFIG, "line 4, column 3: expected a mapping");
	craft_err_prefix(&e, "cannot read '%s'", "craftctl.yaml");
	cr_assert_eq(e.code, CRAFT_ECONFIG);
	cr_assert_str_eq(e.msg,
	                 "cannot read 'craftctl.yaml': line 4, column 3: expected a mapping");
}

Test(error, recode_keeps_message)
{
	struct craft_err e;

	craft_err_set(&e, CRAFT_ENOTFOUND, "cannot read 'k': No such file or directory");
	cr_assert_eq(craft_err_recode(&e, CRAFT_ECONFIG), CRAFT_ECONFIG);
	cr_assert_eq(e.code, CRAFT_ECONFIG);
	cr_assert_str_eq(e.msg, "cannot read 'k': No such file or directory");
	cr_assert_eq(craft_err_recode(NULL, CRAFT_EIO), CRAFT_EIO);
}

Test(error, exit_statuses_follow_cli_contract)
{
	cr_assert_eq(craft_exit_status(CRAFT_OK), 0);
	cr_assert_eq(craft_exit_status(CRAFT_EUSAGE), 2);
	cr_assert_eq(craft_exit_status(CRAFT_ECONFIG), 2);
	cr_assert_eq(craft_exit_status(CRAFT_ELOCKED), 3);
	cr_assert_eq(craft_exit_status(CRAFT_EINTR), 130);
	cr_assert_eq(craft_exit_status(CRAFT_EAWS), 1);
	cr_assert_eq(craft_exit_status(CRAFT_ESSH), 1);
}

Test(error, every_code_has_a_name)
{
	for (int c = CRAFT_OK; c <= CRAFT_EINTERNAL; c++)
		cr_assert_str_neq(craft_code_name((craft_code)c), "unknown error", "code %d", c);
	cr_assert_str_eq(craft_code_name((craft_code)9999), "unknown error");
}
