#include "core/event.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void craft_event_init(struct craft_event *ev, enum craft_event_kind kind, enum craft_level level)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->level = level;
	ev->elapsed_ms = -1;
}

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
	craft_event_init(&ev, CRAFT_EV_LOG, level);
	ev.message = msg;
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

	craft_event_init(&ev, CRAFT_EV_RESOURCE, CRAFT_LEVEL_INFO);
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

int craft_sleep_ms(long ms, const volatile sig_atomic_t *cancel)
{
	while (ms > 0 && !(cancel && *cancel)) {
		long slice = cancel && ms > 100 ? 100 : ms;
		struct timespec ts = { slice / 1000, (slice % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
	return cancel && *cancel;
}
