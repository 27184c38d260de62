/*
 * steps — an op's steps on the AWS client's event loop: submitting each
 * call, the windows in which NotFound and DependencyViolation are waited
 * out, polling for waits, and what is reported as each op ends. Throttling
 * and 5xx answers are the client's to retry (one budget per call).
 */
#include <stdarg.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/env.h"
#include "infra/internal.h"

const char *eng_tag_of(xmlNodePtr item, const char *key)
{
	for (xmlNodePtr t = craft_xml_items(item, "tagSet"); t; t = craft_xml_next_item(t)) {
		const char *k = craft_xml_path_text(t, "key");

		if (k && strcmp(k, key) == 0)
			return craft_xml_path_text(t, "value");
	}
	return NULL;
}

int eng_tags_ok(const struct craft_config *cfg, xmlNodePtr item)
{
	for (int i = 0; i < cfg->n_tags; i++) {
		const char *v = eng_tag_of(item, cfg->tags[i].key);

		if (!v || strcmp(v, cfg->tags[i].value) != 0)
			return 0;
	}
	return 1;
}

int eng_is_true(const char *s)
{
	return s && strcmp(s, "true") == 0;
}

int eng_is_notfound(const char *code)
{
	size_t n = strlen(code);

	return (n > 9 && strcmp(code + n - 9, ".NotFound") == 0) ||
	       (n >= 8 && strcmp(code + n - 8, "NotFound") == 0);
}

int eng_is_depviol(const char *code)
{
	return strcmp(code, "DependencyViolation") == 0 ||
	       strcmp(code, "InvalidIPAddress.InUse") == 0 ||
	       strcmp(code, "IncorrectInstanceState") == 0 ||
	       strcmp(code, "InvalidInstanceID") == 0 || strcmp(code, "IncorrectState") == 0;
}

static long backoff(int attempt, long base, long cap)
{
	long d = base;

	for (int i = 0; i < attempt && d < cap; i++)
		d = d * 3 / 2;
	if (d > cap)
		d = cap;
	return d / 2 + (long)(((unsigned long)rand()) % (unsigned long)(d / 2 + 1));
}

void eng_client_token(const char *seed, char *out, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[41];

	SHA256((const unsigned char *)seed, strlen(seed), md);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "craftctl-%s", hex);
}

void eng_tagset(struct tagset *ts, const struct craft_config *cfg, const char *resource)
{
	ts->n = 0;
	snprintf(ts->name, sizeof(ts->name), "%s-%s", cfg->stack, resource);
	ts->t[ts->n++] = (struct craft_tag){ "craftctl:stack", cfg->stack };
	ts->t[ts->n++] = (struct craft_tag){ "craftctl:resource", resource };
	ts->t[ts->n++] = (struct craft_tag){ "Name", ts->name };
	for (int i = 0; i < cfg->n_tags; i++)
		ts->t[ts->n++] = (struct craft_tag){ cfg->tags[i].key, cfg->tags[i].value };
}

void eng_stack_filter(struct craft_query *q, int n, const char *stack)
{
	const char *v[1] = { stack };

	craft_query_add_filter(q, n, "tag:craftctl:stack", v, 1);
}

void eng_report(struct eng *e, struct craft_res *r, const char *action, long long ms,
                const char *message)
{
	struct craft_event ev;

	craft_event_init(&ev, CRAFT_EV_RESOURCE, CRAFT_LEVEL_INFO);
	ev.action = action;
	ev.res_kind = craft_kind_name(r->kind);
	ev.name = r->name;
	ev.id = r->id[0] ? r->id : NULL;
	ev.elapsed_ms = ms;
	ev.message = message && *message ? message : NULL;
	craft_report(e->rep, &ev);
}

static void report_waiting(struct eng *e, struct op *o, const char *what)
{
	struct craft_event ev;
	struct craft_res *r = &e->m->res[o->idx];
	char msg[256];

	snprintf(msg, sizeof(msg), "still %s %s %s%s%s", what, craft_kind_name(r->kind), r->name,
	         r->id[0] ? " " : "", r->id);
	craft_event_init(&ev, CRAFT_EV_WAITING, CRAFT_LEVEL_INFO);
	ev.res_kind = craft_kind_name(r->kind);
	ev.name = r->name;
	ev.id = r->id[0] ? r->id : NULL;
	ev.message = msg;
	ev.elapsed_ms = craft_now_ms() - o->t0;
	craft_report(e->rep, &ev);
}

void eng_phase(const struct craft_reporter *rep, int end, const char *name, long long ms,
               int status)
{
	struct craft_event ev;

	craft_event_init(&ev, end ? CRAFT_EV_PHASE_END : CRAFT_EV_PHASE_BEGIN, CRAFT_LEVEL_INFO);
	ev.phase = name;
	if (end)
		ev.elapsed_ms = ms;
	ev.status = status;
	craft_report(rep, &ev);
}

static void save_state(struct eng *e)
{
	struct craft_err err;

	craft_err_init(&err);
	if (e->in->st && craft_state_save(e->in->st, &err) != CRAFT_OK)
		craft_logf(e->rep, CRAFT_LEVEL_WARN, "%s", err.msg);
}

void eng_set_id(struct op *o, const char *id)
{
	struct craft_res *r = &o->e->m->res[o->idx];

	COPY(r->id, id);
	r->found = 1;
	if (o->e->in->st && craft_kind_tagged(r->kind) && r->desired) {
		craft_state_set_id(o->e->in->st, craft_kind_name(r->kind), r->name, id);
		save_state(o->e);
	}
}

static const char *const past[] = { "", "kept", "created", "updated", "replaced", "deleted" };

void eng_op_fail(struct op *o, const struct craft_err *err)
{
	struct eng *e = o->e;
	struct craft_res *r = &e->m->res[o->idx];

	if (!e->failed) {
		e->failed = 1;
		e->err = *err;
		craft_err_prefix(&e->err, "%s %s %s", craft_action_name(r->action),
		                 craft_kind_name(r->kind), r->name);
	}
	/* an earlier step took effect (a VPC made, then its attribute refused) */
	if (!o->done && o->effect && r->kind != CRAFT_K_IMAGE)
		eng_report(e, r, past[r->action], craft_now_ms() - o->t0,
		           "incomplete: a later step failed");
	o->done = 1;
}

void eng_op_failf(struct op *o, craft_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

void eng_op_failf(struct op *o, craft_code code, const char *fmt, ...)
{
	struct craft_err err;
	va_list ap;

	craft_err_init(&err);
	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	eng_op_fail(o, &err);
}

void eng_op_ready(struct op *o)
{
	if (!o->ready) {
		o->ready = 1;
		eng_schedule(o->e);
	}
}

/* An op stopped by another's failure (or by a signal) after its change took
 * effect: what exists is still reported, so the output and --json events
 * show the true state. */
static void op_stopped(struct op *o)
{
	struct eng *e = o->e;
	struct craft_res *r = &e->m->res[o->idx];

	if (!o->done && o->started && o->effect && r->kind != CRAFT_K_IMAGE)
		eng_report(e, r, past[r->action], craft_now_ms() - o->t0,
		           o->cur >= o->nsteps ? NULL
		           : e->failed         ? "its remaining steps did not run: the run stopped "
		                                 "at the first failure"
		                               : "its remaining steps did not run: interrupted");
	o->done = 1;
}

static void op_done(struct op *o)
{
	struct eng *e = o->e;
	struct craft_res *r = &e->m->res[o->idx];

	o->done = 1;
	if (r->kind != CRAFT_K_IMAGE)
		eng_report(e, r, past[r->action], craft_now_ms() - o->t0,
		           r->action == CRAFT_A_UPDATE ? r->why : NULL);
	if (e->deleting && r->desired && e->in->st && craft_kind_tagged(r->kind)) {
		craft_state_set_id(e->in->st, craft_kind_name(r->kind), r->name, NULL);
		save_state(e);
	}
	o->ready = 1;
	eng_schedule(e);
}

struct step *eng_add_step(struct op *o, const char *action, unsigned flags)
{
	struct step *s;

	if (o->nsteps >= MAX_STEPS)
		return NULL;
	s = &o->steps[o->nsteps++];
	memset(s, 0, sizeof(*s));
	s->action = action;
	s->flags = flags;
	craft_query_init(&s->q);
	return s;
}

void eng_release_steps(struct op *o)
{
	for (int i = 0; i < o->nsteps; i++)
		craft_query_release(&o->steps[i].q);
	o->nsteps = 0;
	o->cur = 0;
}

static void resubmit(void *ud)
{
	eng_run_step(ud);
}

static void next_step(struct op *o)
{
	struct step *s = &o->steps[o->cur];

	if (s->ready_after)
		eng_op_ready(o);
	o->cur++;
	o->transient = 0;
	eng_run_step(o);
}

static int code_in(const char *code, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

static void poll_again(struct op *o, long long now)
{
	struct eng *e = o->e;
	struct step *s = &o->steps[o->cur];
	long long waited = now - o->wait_t0;
	long delay = waited < 10000 ? 200 : waited < 30000 ? 500 : waited < 120000 ? 1000 : 2000;

	if (now - o->last_note >= 10000) {
		o->last_note = now;
		report_waiting(e, o, s->waiting_for ? s->waiting_for : "waiting for");
	}
	if (waited > WAIT_WINDOW_MS) {
		eng_op_failf(o, CRAFT_ETIMEOUT, "gave up after %lld s %s", waited / 1000,
		             s->waiting_for ? s->waiting_for : "waiting");
		eng_schedule(e);
		return;
	}
	craft_aws_timer(e->aws, delay, resubmit, o);
}

static void on_result(void *ud, const struct craft_aws_result *res)
{
	struct op *o = ud;
	struct eng *e = o->e;
	struct step *s = &o->steps[o->cur];
	long long now = craft_now_ms();
	xmlNodePtr root = res->doc ? xmlDocGetRootElement(res->doc) : NULL;

	if (res->code == CRAFT_OK) {
		if (s->flags & CF_MUTATING)
			o->effect = 1;
		if ((s->flags & CF_MUTATING) && res->attempts > 1)
			e->ambiguous = 1;
		if (s->until) {
			int v = s->until(o, root);

			if (v < 0) {
				eng_schedule(e);
				return;
			}
			if (v == 0) {
				poll_again(o, now);
				return;
			}
		} else if (s->after) {
			s->after(o, root);
			if (o->done) {
				eng_schedule(e);
				return;
			}
		}
		next_step(o);
		return;
	}
	if (res->code == CRAFT_EAWS && code_in(res->err.aws_code, s->ok_codes)) {
		if (s->after)
			s->after(o, NULL);
		if (o->done) {
			eng_schedule(e);
			return;
		}
		next_step(o);
		return;
	}
	if (res->code == CRAFT_EAWS && eng_is_notfound(res->err.aws_code)) {
		if (s->flags & CF_NOTFOUND_OK) {
			if (s->until || !s->after) {
				next_step(o);
				return;
			}
			s->after(o, NULL);
			if (!o->done)
				next_step(o);
			else
				eng_schedule(e);
			return;
		}
		if ((s->flags & CF_NOTFOUND_RETRY) && now - o->call_t0 < NOTFOUND_WINDOW_MS) {
			o->transient++;
			craft_aws_timer(e->aws, backoff(o->transient, 200, 3000), resubmit, o);
			return;
		}
	}
	if (res->code == CRAFT_EAWS && eng_is_depviol(res->err.aws_code) &&
	    (s->flags & CF_DEPVIOL_RETRY) && now - o->call_t0 < DEPVIOL_WINDOW_MS) {
		o->transient++;
		if (now - o->last_note >= 10000) {
			o->last_note = now;
			report_waiting(e, o, "waiting for dependents of");
		}
		craft_aws_timer(e->aws, backoff(o->transient, 300, 3000), resubmit, o);
		return;
	}
	/* Throttling, 5xx and transport failures were already retried by the
	 * client, within its one budget per call (attempts, backoff, quota):
	 * retrying them here again would multiply it. */
	{
		struct craft_err err = res->err;

		if (res->attempts > 1)
			craft_err_prefix(&err, "%s, %d attempts over %.1f s", s->action,
			                 res->attempts, (double)(now - o->call_t0) / 1000.0);
		else
			craft_err_prefix(&err, "%s", s->action);
		if ((s->flags & CF_MUTATING) && res->attempts > 1)
			e->ambiguous = 1;
		eng_op_fail(o, &err);
	}
	eng_schedule(e);
}

void eng_run_step(struct op *o)
{
	struct eng *e = o->e;
	struct step *s;
	long long now = craft_now_ms();
	craft_code rc;

	if (e->failed || cancelled(e->in)) {
		op_stopped(o);
		return;
	}
	if (o->cur >= o->nsteps) {
		op_done(o);
		return;
	}
	s = &o->steps[o->cur];
	if (o->call_t0 == 0 || o->transient == 0)
		o->call_t0 = now;
	if (s->until && o->wait_t0 == 0) {
		o->wait_t0 = now;
		o->last_note = now;
	}
	if (s->flags & CF_MUTATING)
		e->mutations++;
	rc = craft_aws_submit(e->aws, "ec2", s->action, &s->q, on_result, o);
	if (rc) {
		struct craft_err err;

		craft_err_init(&err);
		craft_err_set(&err, rc, "cannot submit %s", s->action);
		eng_op_fail(o, &err);
	}
}

void eng_add_tags_step(struct op *o)
{
	struct craft_res *r = R(o);
	struct tagset ts;
	struct step *s;

	if (r->have.tags_ok || !craft_kind_tagged(r->kind))
		return;
	s = eng_add_step(o, "CreateTags", CF_MUTATING | CF_NOTFOUND_RETRY);
	eng_tagset(&ts, o->e->cfg, r->name);
	craft_query_addf(&s->q, r->id, "ResourceId.1");
	craft_query_add_tags(&s->q, "Tag", ts.t, ts.n);
}

void eng_add_tag_spec(struct op *o, struct step *s, int n, const char *rtype, const char *resource)
{
	struct tagset ts;

	eng_tagset(&ts, o->e->cfg, resource);
	craft_query_add_tag_spec(&s->q, n, rtype, ts.t, ts.n);
}
