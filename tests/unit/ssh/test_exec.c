#include <criterion/criterion.h>

#include "ssh/session.h"

Test(exec, shell_quote_survives_quotes)
{
	struct craft_buf b = CRAFT_BUF_INIT(1024);

	cr_assert_eq(craft_ssh_shell_quote(&b, "it's $HOME `x`"), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "'it'\\''s $HOME `x`'");
	craft_buf_release(&b);
}
