#include <criterion/criterion.h>
#include <stddef.h>

#include "core/cidr.h"

Test(cidr, parser_is_strict)
{
	unsigned a;
	int p;

	cr_assert_eq(craft_cidr_parse("10.20.0.0/16", &a, &p), 0);
	cr_assert_eq(a, 0x0a140000u);
	cr_assert_eq(p, 16);
	cr_assert_eq(craft_cidr_parse("0.0.0.0/0", &a, &p), 0);
	cr_assert_eq(craft_cidr_parse("10.20.0.1/16", NULL, NULL), -2);
	cr_assert_lt(craft_cidr_parse("10.20.0/16", NULL, NULL), 0);
	cr_assert_lt(craft_cidr_parse("10.20.0.0", NULL, NULL), 0);
	cr_assert_lt(craft_cidr_parse("10.20.0.0/33", NULL, NULL), 0);
	cr_assert_lt(craft_cidr_parse("010.20.0.0/16", NULL, NULL), 0);
	cr_assert_lt(craft_cidr_parse("10.20.0.0/16x", NULL, NULL), 0);
	cr_assert_lt(craft_cidr_parse("256.0.0.0/8", NULL, NULL), 0);
}
