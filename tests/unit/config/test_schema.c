#include <criterion/criterion.h>

#include "config.h"

Test(schema, subnets_are_carved_deterministically)
{
	char s[32];

	cr_assert_eq(craft_config_subnet_cidr(s, sizeof(s), "10.20.0.0/16", 0), CRAFT_OK);
	cr_assert_str_eq(s, "10.20.0.0/20");
	craft_config_subnet_cidr(s, sizeof(s), "10.20.0.0/16", 1);
	cr_assert_str_eq(s, "10.20.16.0/20");
	craft_config_subnet_cidr(s, sizeof(s), "10.20.0.0/16", 8);
	cr_assert_str_eq(s, "10.20.128.0/20");
	craft_config_subnet_cidr(s, sizeof(s), "192.168.4.0/24", 15);
	cr_assert_str_eq(s, "192.168.4.240/28");
	cr_assert_neq(craft_config_subnet_cidr(s, sizeof(s), "10.0.0.0/16", 16), CRAFT_OK);
}

Test(schema, graviton_types_are_arm64)
{
	cr_assert(craft_config_is_arm64("t4g.small"));
	cr_assert(craft_config_is_arm64("m6gd.large"));
	cr_assert(craft_config_is_arm64("c7gn.xlarge"));
	cr_assert(craft_config_is_arm64("a1.medium"));
	cr_assert(craft_config_is_arm64("g5g.xlarge"));
	cr_assert_not(craft_config_is_arm64("t3.medium"));
	cr_assert_not(craft_config_is_arm64("g5.xlarge"));
	cr_assert_not(craft_config_is_arm64("m6i.large"));
	cr_assert_not(craft_config_is_arm64("inf2.xlarge"));
}

Test(schema, distance_counts_transpositions_once)
{
	cr_assert_eq(craft_config_distance("isntance", "instance"), 1);
	cr_assert_eq(craft_config_distance("cdir", "cidr"), 1);
	cr_assert_eq(craft_config_distance("region", "region"), 0);
	cr_assert_eq(craft_config_distance("abc", ""), 3);
}
