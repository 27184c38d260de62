/*
 * event — how the library tells the CLI what is happening.
 *
 * lib/ never prints. Long operations report through a craft_reporter: a
 * callback plus user data, set up by cli/, which decides how each event
 * looks (human lines on stderr, JSON lines on stdout, GitHub annotations).
 * A NULL reporter or a reporter with a NULL callback drops every event.
 * Strings in an event are borrowed for the duration of the call only.
 * Events must never carry secrets: callers redact before reporting.
 */
#ifndef CRAFT_CORE_EVENT_H
#define CRAFT_CORE_EVENT_H

#include <signal.h>
#include <stdarg.h>

enum craft_level {
	CRAFT_LEVEL_ERROR = 0,
	CRAFT_LEVEL_WARN,
	CRAFT_LEVEL_INFO,
	CRAFT_LEVEL_DEBUG, /* -v */
	CRAFT_LEVEL_TRACE, /* -vv: canonical requests, never secrets */
};

enum craft_event_kind {
	CRAFT_EV_LOG,         /* a message */
	CRAFT_EV_PHASE_BEGIN, /* phase: a long step starts ("provision", "ssh") */
	CRAFT_EV_PHASE_END,   /* phase ends; elapsed_ms, status */
	CRAFT_EV_RESOURCE,    /* action on resource kind/name/id */
	CRAFT_EV_WAITING,     /* still working on a long wait; elapsed_ms */
	CRAFT_EV_OUTPUT,      /* a line of remote output; phase = the step */
	CRAFT_EV_RESULT,      /* final outputs: key/value pairs in fields */
};

struct craft_field {
	const char *key;
	const char *value;
};

struct craft_event {
	enum craft_event_kind kind;
	enum craft_level level;
	const char *phase;                /* phase or step name */
	const char *action;               /* create, keep, delete, replace, update, ... */
	const char *res_kind;             /* vpc, subnet, instance, ... */
	const char *name;                 /* logical name */
	const char *id;                   /* AWS id, when known */
	const char *message;              /* human text */
	long long elapsed_ms;             /* -1 when not applicable */
	int status;                       /* for PHASE_END: 0 ok, else a craft_code */
	const struct craft_field *fields; /* RESULT (and extra detail) */
	int nfields;
};

typedef void (*craft_event_fn)(const struct craft_event *ev, void *userdata);

struct craft_reporter {
	craft_event_fn fn;
	void *userdata;
};

/* An event of kind and level with nothing else set (elapsed_ms -1). */
void craft_event_init(struct craft_event *ev, enum craft_event_kind kind, enum craft_level level);

/* Sends ev to the reporter, if any. */
void craft_report(const struct craft_reporter *r, const struct craft_event *ev);

/* A CRAFT_EV_LOG event with a printf-style message. */
void craft_logf(const struct craft_reporter *r, enum craft_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void craft_vlogf(const struct craft_reporter *r, enum craft_level level, const char *fmt,
                 va_list ap) __attribute__((format(printf, 3, 0)));

/* A CRAFT_EV_RESOURCE event. */
void craft_report_resource(const struct craft_reporter *r, const char *action, const char *res_kind,
                           const char *name, const char *id, long long elapsed_ms);

/* Milliseconds from a monotonic clock, for elapsed times and deadlines. */
long long craft_now_ms(void);

/* Sleeps ms milliseconds, through signals; with cancel, in slices of a
 * tenth of a second, returning 1 as soon as *cancel is set (else 0). */
int craft_sleep_ms(long ms, const volatile sig_atomic_t *cancel);

#endif
