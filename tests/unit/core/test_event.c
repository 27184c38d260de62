#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/env.h"
#include "core/event.h"
#include "core/templates.h"

struct seen {
	int n;
	enum craft_event_kind kind;
	enum craft_level level;
	char msg[256];
	char id[64];
	long long elapsed;
};

static void record(const struct craft_event *ev, void *ud)
{
	struct seen *s = ud;

	s->n++;
	s->kind = ev->kind;
	s->level = ev->level;
	snprintf(s->msg, sizeof(s->msg), "%s", ev->message ? ev->message : "");
	snprintf(s->id, sizeof(s->id), "%s", ev->id ? ev->id : "");
	s->elapsed = ev->elapsed_ms;
}

Test(event, logf_formats_and_delivers)
{
	struct seen s = { 0 };
	struct craft_reporter r = { record, &s };

	craft_logf(&r, CRAFT_LEVEL_WARN, "retrying %s in %dms", "DescribeVpcs", 250);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.kind, CRAFT_EV_LOG);
	cr_assert_eq(s.level, CRAFT_LEVEL_WARN);
	cr_assert_str_eq(s.msg, "retrying DescribeVpcs in 250ms");
}

Test(event, resource_event_carries_id_and_time)
{
	struct seen s = { 0 };
	struct craft_reporter r = { record, &s };

	craft_report_resource(&r, "create", "vpc", "main", "vpc-0abc", 812);
	cr_assert_eq(s.kind, CRAFT_EV_RESOURCE);
	cr_assert_str_eq(s.id, "vpc-0abc");
	cr_assert_eq(s.elapsed, 812);
}

Test(event, init_sets_kind_and_level_and_nothing_else)
{
	struct craft_event ev;

	memset(&ev, 0x5a, sizeof(ev));
	craft_event_init(&ev, CRAFT_EV_WAITING, CRAFT_LEVEL_WARN);
	cr_assert_eq(ev.kind, CRAFT_EV_WAITING);
	cr_assert_eq(ev.level, CRAFT_LEVEL_WARN);
	cr_assert_eq(ev.elapsed_ms, -1, "no elapsed time unless one is set");
	cr_assert_null(ev.message);
	cr_assert_null(ev.id);
	cr_assert_null(ev.fields);
	cr_assert_eq(ev.nfields, 0);
	cr_assert_eq(ev.status, 0);
}

Test(event, sleep_sleeps_and_a_set_cancel_flag_ends_it)
{
	volatile sig_atomic_t cancel = 0;
	long long t0 = craft_now_ms();

	cr_assert_eq(craft_sleep_ms(50, NULL), 0);
	cr_assert_geq(craft_now_ms() - t0, 50);
	t0 = craft_now_ms();
	cr_assert_eq(craft_sleep_ms(120, &cancel), 0);
	cr_assert_geq(craft_now_ms() - t0, 120);
	cancel = 1;
	t0 = craft_now_ms();
	cr_assert_eq(craft_sleep_ms(60000, &cancel), 1);
	cr_assert_lt(craft_now_ms() - t0, 1000, "a set flag ends the sleep at once");
}

Test(event, null_reporter_drops_events)
{
	struct craft_reporter r = { NULL, NULL };

	craft_logf(NULL, CRAFT_LEVEL_INFO, "nobody listens");
	craft_logf(&r, CRAFT_LEVEL_INFO, "nobody listens");
	craft_report_resource(NULL, "create", "vpc", "main", NULL, 1);
}

Test(event, monotonic_clock_moves_forward)
{
	long long a = craft_now_ms();
	long long b = craft_now_ms();

	cr_assert_geq(b, a);
	cr_assert_gt(a, 0);
}

static const char *fake_env(const char *name, void *ud)
{
	(void)ud;
	if (strcmp(name, "CRAFT_TEST_SET") == 0)
		return "value";
	if (strcmp(name, "CRAFT_TEST_EMPTY") == 0)
		return "";
	return NULL;
}

Test(env, source_can_be_replaced_and_empty_counts_as_unset)
{
	craft_env_set_source(fake_env, NULL);
	cr_assert_str_eq(craft_env_get("CRAFT_TEST_SET"), "value");
	cr_assert_null(craft_env_get("CRAFT_TEST_EMPTY"));
	cr_assert_null(craft_env_get("PATH"));
	craft_env_set_source(NULL, NULL);
	cr_assert_not_null(craft_env_get("PATH"));
}

Test(templates, unknown_template_is_null)
{
	cr_assert_null(craft_template_get("no/such/template", NULL));
}
