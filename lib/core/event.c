#include "core/event.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void craft_report(const struct craft_reporter *r, const struct craft_event *ev)
{
	if (r && r->fn)
		r->fn(ev, r->userdata);
}

void craft_vlogf(const struct craft_reporter *r, enum craft_level level, const char *fmt,
                 va_list ap)
{
	char msg[2048];
	struct craft_event ev;

	if (!r || !r->fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_LOG;
	ev.level = level;
	ev.message = msg;
	ev.elapsed_ms = -1;
	r->fn(&ev, r->userdata);
}

void craft_logf(const struct craft_reporter *r, enum craft_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	craft_vlogf(r, level, fmt, ap);
	va_end(ap);
}

void craft_report_resource(const struct craft_reporter *r, const char *action, const char *res_kind,
                           const char *name, const char *id, long long elapsed_ms)
{
	struct craft_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_RESOURCE;
	ev.level = CRAFT_LEVEL_INFO;
	ev.action = action;
	ev.res_kind = res_kind;
	ev.name = name;
	ev.id = id;
	ev.elapsed_ms = elapsed_ms;
	craft_report(r, &ev);
}

long long craft_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
