/* Output: turns library events into human lines on stderr, JSON lines on
 * stdout (--json), and GitHub Actions workflow commands when
 * GITHUB_ACTIONS=true. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char *level_name(enum craft_level l)
{
	static const char *const names[] = { "error", "warn", "info", "debug", "trace" };

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "info";
}

static const char *event_name(enum craft_event_kind k)
{
	static const char *const names[] = { "log",     "phase_begin", "phase_end", "resource",
		                             "waiting", "output",      "result" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "log";
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

static void emit_json(const struct craft_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return;
	add_str(o, "event", event_name(ev->kind));
	if (ev->kind == CRAFT_EV_LOG)
		add_str(o, "level", level_name(ev->level));
	add_str(o, "phase", ev->phase);
	add_str(o, "action", ev->action);
	add_str(o, "kind", ev->res_kind);
	add_str(o, "name", ev->name);
	add_str(o, "id", ev->id);
	add_str(o, "message", ev->message);
	if (ev->elapsed_ms >= 0)
		cJSON_AddNumberToObject(o, "elapsed_ms", (double)ev->elapsed_ms);
	if (ev->kind == CRAFT_EV_PHASE_END)
		cJSON_AddStringToObject(o, "status", ev->status ? "failed" : "ok");
	for (int i = 0; i < ev->nfields; i++)
		add_str(o, ev->fields[i].key, ev->fields[i].value);
	s = cJSON_PrintUnformatted(o);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	cJSON_Delete(o);
}

static const char *paint(const struct cli_ctx *ctx, const char *code)
{
	return ctx->color ? code : "";
}

static void emit_human(const struct cli_ctx *ctx, const struct craft_event *ev)
{
	const char *reset = paint(ctx, "\033[0m");
	double secs = ev->elapsed_ms >= 0 ? (double)ev->elapsed_ms / 1000.0 : -1;

	switch (ev->kind) {
	case CRAFT_EV_LOG:
		if ((int)ev->level > CRAFT_LEVEL_INFO + ctx->verbose)
			return;
		if (ev->level == CRAFT_LEVEL_ERROR)
			fprintf(stderr, "%serror:%s %s\n", paint(ctx, "\033[31m"), reset,
			        ev->message);
		else if (ev->level == CRAFT_LEVEL_WARN)
			fprintf(stderr, "%swarning:%s %s\n", paint(ctx, "\033[33m"), reset,
			        ev->message);
		else
			fprintf(stderr, "%s\n", ev->message);
		if (ctx->github && ev->level <= CRAFT_LEVEL_WARN)
			fprintf(stdout, "::%s::%s\n",
			        ev->level == CRAFT_LEVEL_ERROR ? "error" : "warning", ev->message);
		break;
	case CRAFT_EV_PHASE_BEGIN:
		if (ctx->github)
			fprintf(stdout, "::group::%s\n", ev->phase);
		fprintf(stderr, "%s==> %s%s%s%s\n", paint(ctx, "\033[1m"), ev->phase,
		        ev->message ? ": " : "", ev->message ? ev->message : "", reset);
		break;
	case CRAFT_EV_PHASE_END:
		fprintf(stderr, "%s==> %s %s in %.1fs%s\n", paint(ctx, "\033[1m"), ev->phase,
		        ev->status ? "failed" : "done", secs < 0 ? 0 : secs, reset);
		if (ctx->github)
			fputs("::endgroup::\n", stdout);
		break;
	case CRAFT_EV_RESOURCE: {
		const char *color = "\033[0m";

		if (ev->action && strcmp(ev->action, "create") == 0)
			color = "\033[32m";
		else if (ev->action &&
		         (strcmp(ev->action, "delete") == 0 || strcmp(ev->action, "replace") == 0))
			color = "\033[31m";
		else if (ev->action && strcmp(ev->action, "update") == 0)
			color = "\033[33m";
		fprintf(stderr, "  %s%-10s%s %-16s %-18s %s", paint(ctx, color),
		        ev->action ? ev->action : "", reset, ev->res_kind ? ev->res_kind : "",
		        ev->name ? ev->name : "", ev->id ? ev->id : "");
		if (secs >= 0)
			fprintf(stderr, " (%.1fs)", secs);
		if (ev->message)
			fprintf(stderr, "  # %s", ev->message);
		fputc('\n', stderr);
		break;
	}
	case CRAFT_EV_WAITING:
		fprintf(stderr, "  ... %s (%.0fs elapsed)\n", ev->message ? ev->message : "working",
		        secs < 0 ? 0 : secs);
		break;
	case CRAFT_EV_OUTPUT:
		fprintf(stderr, "  %s[%s]%s %s\n", paint(ctx, "\033[2m"),
		        ev->phase ? ev->phase : "", reset, ev->message ? ev->message : "");
		break;
	case CRAFT_EV_RESULT:
		if (ev->message)
			fprintf(stderr, "%s\n", ev->message);
		for (int i = 0; i < ev->nfields; i++)
			fprintf(stderr, "  %-14s %s\n", ev->fields[i].key,
			        ev->fields[i].value ? ev->fields[i].value : "");
		break;
	}
}

static void on_event(const struct craft_event *ev, void *userdata)
{
	const struct cli_ctx *ctx = userdata;

	if (ctx->json &&
	    (ev->kind != CRAFT_EV_LOG || (int)ev->level <= CRAFT_LEVEL_INFO + ctx->verbose))
		emit_json(ev);
	emit_human(ctx, ev);
	fflush(stderr);
}

void cli_output_init(struct cli_ctx *ctx)
{
	const char *gh = getenv("GITHUB_ACTIONS");

	ctx->github = gh && strcmp(gh, "true") == 0;
	ctx->color =
	        !cli_opt_count(ctx, "no-color") && !getenv("NO_COLOR") && isatty(2) && !ctx->github;
	ctx->reporter.fn = on_event;
	ctx->reporter.userdata = ctx;
}

int cli_fail(struct cli_ctx *ctx, const struct craft_err *err)
{
	const char *msg = err->msg[0] ? err->msg : craft_code_name(err->code);

	fprintf(stderr, "craftctl: %s\n", msg);
	if (err->code == CRAFT_EUSAGE)
		fputs("run 'craftctl --help' for usage\n", stderr);
	if (ctx->github)
		printf("::error title=craftctl %s::%s\n", ctx->cmd ? ctx->cmd->name : "", msg);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		if (o) {
			cJSON_AddStringToObject(o, "event", "error");
			cJSON_AddStringToObject(o, "error", craft_code_name(err->code));
			cJSON_AddStringToObject(o, "message", msg);
			if (err->aws_code[0])
				cJSON_AddStringToObject(o, "aws_code", err->aws_code);
			if (err->request_id[0])
				cJSON_AddStringToObject(o, "request_id", err->request_id);
			cJSON_AddNumberToObject(o, "exit_status", craft_exit_status(err->code));
			s = cJSON_PrintUnformatted(o);
			if (s)
				printf("%s\n", s);
			free(s);
			cJSON_Delete(o);
		}
	}
	fflush(stdout);
	return craft_exit_status(err->code ? err->code : CRAFT_EINTERNAL);
}

void cli_info(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
