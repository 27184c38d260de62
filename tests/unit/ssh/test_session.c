#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssh/session.h"

Test(session, connect_refuses_a_target_without_host_or_user)
{
	struct craft_ssh_target t;
	struct craft_ssh *s = NULL;

	memset(&t, 0, sizeof(t));
	t.user = "root";
	cr_assert_eq(craft_ssh_connect(&t, NULL, &s, NULL), CRAFT_EUSAGE);
	cr_assert_null(s);
}

Test(session, connect_gives_up_after_its_timeout)
{
	struct craft_ssh_target t;
	struct craft_ssh *s = NULL;
	struct craft_err err;
	long long start = craft_now_ms();

	/* Port 1 on loopback: refused at once, retried until the deadline. */
	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = 1;
	t.user = "root";
	t.connect_timeout_s = 2;
	craft_err_init(&err);
	cr_assert_eq(craft_ssh_connect(&t, NULL, &s, &err), CRAFT_ESSH);
	cr_assert_geq(craft_now_ms() - start, 1900);
	cr_assert_lt(craft_now_ms() - start, 6000);
	cr_assert(strstr(err.msg, "gave up after") != NULL, "%s", err.msg);
}
