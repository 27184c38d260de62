/*
 * engine — discovery, apply and destroy on the AWS client's event loop.
 *
 * Each resource that needs work gets an op: a short list of steps (AWS
 * calls), built by its kind's row in `kind_ops` and extended by step hooks
 * as ids arrive. A step may be a wait (the same call polled until a check
 * passes). The scheduler starts an op as soon as its dependencies are
 * ready, so independent resources run concurrently; deletes wait for the
 * kinds listed in their row's delete_after.
 */
#include "infra/engine.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/http.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "core/env.h"
#include "core/templates.h"

#define CANONICAL_OWNER "099720109477"

#define CF_NOTFOUND_RETRY 0x1 /* NotFound: the id may not be visible yet; retry a while */
#define CF_NOTFOUND_OK    0x2 /* NotFound: already gone; the step is done */
#define CF_DEPVIOL_RETRY  0x4 /* DependencyViolation and friends: retry a while */
#define CF_MUTATING       0x8 /* changes something (counted; ambiguous retries noted) */

#define NOTFOUND_WINDOW_MS 60000
#define DEPVIOL_WINDOW_MS  600000
#define WAIT_WINDOW_MS     900000
#define MAX_STEPS          12

struct eng;
struct op;

typedef void (*after_fn)(struct op *o, xmlNodePtr root);
typedef int (*until_fn)(struct op *o, xmlNodePtr root);

struct step {
	const char *action;
	struct craft_query q;
	unsigned flags;
	const char *const *ok_codes; /* answers that count as success (root NULL) */
	after_fn after;
	until_fn until;          /* a wait: 1 done, 0 poll again, -1 failed (o->e->err set) */
	const char *waiting_for; /* message of still-working events */
	int ready_after;         /* dependents may start after this step */
};

struct op {
	struct eng *e;
	int idx; /* resource */
	int started, ready, done;
	long long t0;
	struct step steps[MAX_STEPS];
	int nsteps, cur;
	/* the current call */
	long long call_t0, wait_t0, last_note;
	int transient;
	int effect; /* a changing call of this op succeeded */
	int salt;   /* RunInstances client token */
};

struct eng {
	struct craft_infra *in;
	struct craft_model *m;
	const struct craft_config *cfg;
	struct craft_aws_client *aws;
	const struct craft_reporter *rep;
	struct op *ops; /* one per resource */
	int deleting;   /* phase: 1 delete, 0 create/update */
	int failed;
	struct craft_err err;
	int ambiguous; /* a mutating call was retried after an unclear failure */
	int mutations;
	char ami[32];
	char root_device[32];
};

struct craft_infra {
	const struct craft_config *cfg;
	struct craft_aws_client *aws;
	struct craft_state *st;
	struct craft_infra_opts opts;
	struct craft_model m;
	int discovered;
	char *pubkey;
	/* the caller's address for ssh_from: auto, looked up in a thread */
	pthread_t ip_thread;
	int ip_started;
	volatile int ip_done;
	char ip[48];
	struct craft_err ip_err;
	char checkip_url[512];
};

/* ---------------------------------------------------------------- helpers */

static void copy(char *dst, size_t n, const char *src)
{
	/* truncates silently: AWS ids and names fit the fields they go into */
	size_t len = src ? strnlen(src, n - 1) : 0;

	if (len)
		memmove(dst, src, len);
	dst[len] = '\0';
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

static int cancelled(const struct craft_infra *in)
{
	return in->opts.cancel && *in->opts.cancel;
}

static const char *tag_of(xmlNodePtr item, const char *key)
{
	for (xmlNodePtr t = craft_xml_items(item, "tagSet"); t; t = craft_xml_next_item(t)) {
		const char *k = craft_xml_path_text(t, "key");

		if (k && strcmp(k, key) == 0)
			return craft_xml_path_text(t, "value");
	}
	return NULL;
}

static int tags_ok(const struct craft_config *cfg, xmlNodePtr item)
{
	for (int i = 0; i < cfg->n_tags; i++) {
		const char *v = tag_of(item, cfg->tags[i].key);

		if (!v || strcmp(v, cfg->tags[i].value) != 0)
			return 0;
	}
	return 1;
}

static int is_notfound(const char *code)
{
	size_t n = strlen(code);

	return (n > 9 && strcmp(code + n - 9, ".NotFound") == 0) ||
	       (n >= 8 && strcmp(code + n - 8, "NotFound") == 0);
}

static int is_depviol(const char *code)
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

/* The tags of a resource: craftctl:stack, craftctl:resource, Name, then the
 * config's. names/values are stored in buf. */
struct tagset {
	struct craft_tag t[CRAFT_CONFIG_MAX_MAP + 4];
	int n;
	char name[128];
};

static void tagset(struct tagset *ts, const struct craft_config *cfg, const char *resource)
{
	ts->n = 0;
	snprintf(ts->name, sizeof(ts->name), "%s-%s", cfg->stack, resource);
	ts->t[ts->n++] = (struct craft_tag){ "craftctl:stack", cfg->stack };
	ts->t[ts->n++] = (struct craft_tag){ "craftctl:resource", resource };
	ts->t[ts->n++] = (struct craft_tag){ "Name", ts->name };
	for (int i = 0; i < cfg->n_tags; i++)
		ts->t[ts->n++] = (struct craft_tag){ cfg->tags[i].key, cfg->tags[i].value };
}

static void stack_filter(struct craft_query *q, int n, const char *stack)
{
	const char *v[1] = { stack };

	craft_query_add_filter(q, n, "tag:craftctl:stack", v, 1);
}

/* ---------------------------------------------------------------- reporting */

static void report_res(struct eng *e, struct craft_res *r, const char *action, long long ms,
                       const char *message)
{
	struct craft_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_RESOURCE;
	ev.level = CRAFT_LEVEL_INFO;
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
	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_WAITING;
	ev.level = CRAFT_LEVEL_INFO;
	ev.res_kind = craft_kind_name(r->kind);
	ev.name = r->name;
	ev.id = r->id[0] ? r->id : NULL;
	ev.message = msg;
	ev.elapsed_ms = craft_now_ms() - o->t0;
	craft_report(e->rep, &ev);
}

static void phase(const struct craft_reporter *rep, int end, const char *name, long long ms,
                  int status)
{
	struct craft_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = end ? CRAFT_EV_PHASE_END : CRAFT_EV_PHASE_BEGIN;
	ev.level = CRAFT_LEVEL_INFO;
	ev.phase = name;
	ev.elapsed_ms = end ? ms : -1;
	ev.status = status;
	craft_report(rep, &ev);
}

/* ---------------------------------------------------------------- ops */

static void schedule(struct eng *e);
static void run_step(struct op *o);

static void save_state(struct eng *e)
{
	struct craft_err err;

	craft_err_init(&err);
	if (e->in->st && craft_state_save(e->in->st, &err) != CRAFT_OK)
		craft_logf(e->rep, CRAFT_LEVEL_WARN, "%s", err.msg);
}

static void set_id(struct op *o, const char *id)
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

static void op_fail(struct op *o, const struct craft_err *err)
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
		report_res(e, r, past[r->action], craft_now_ms() - o->t0,
		           "incomplete: a later step failed");
	o->done = 1;
}

static void op_failf(struct op *o, craft_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void op_failf(struct op *o, craft_code code, const char *fmt, ...)
{
	struct craft_err err;
	va_list ap;

	craft_err_init(&err);
	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	op_fail(o, &err);
}

static void op_ready(struct op *o)
{
	if (!o->ready) {
		o->ready = 1;
		schedule(o->e);
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
		report_res(e, r, past[r->action], craft_now_ms() - o->t0,
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
		report_res(e, r, past[r->action], craft_now_ms() - o->t0,
		           r->action == CRAFT_A_UPDATE ? r->why : NULL);
	if (e->deleting && r->desired && e->in->st && craft_kind_tagged(r->kind)) {
		craft_state_set_id(e->in->st, craft_kind_name(r->kind), r->name, NULL);
		save_state(e);
	}
	o->ready = 1;
	schedule(e);
}

static struct step *add_step(struct op *o, const char *action, unsigned flags)
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

static void release_steps(struct op *o)
{
	for (int i = 0; i < o->nsteps; i++)
		craft_query_release(&o->steps[i].q);
	o->nsteps = 0;
	o->cur = 0;
}

static void resubmit(void *ud)
{
	run_step(ud);
}

static void next_step(struct op *o)
{
	struct step *s = &o->steps[o->cur];

	if (s->ready_after)
		op_ready(o);
	o->cur++;
	o->transient = 0;
	run_step(o);
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
		op_failf(o, CRAFT_ETIMEOUT, "gave up after %lld s %s", waited / 1000,
		         s->waiting_for ? s->waiting_for : "waiting");
		schedule(e);
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
				schedule(e);
				return;
			}
			if (v == 0) {
				poll_again(o, now);
				return;
			}
		} else if (s->after) {
			s->after(o, root);
			if (o->done) {
				schedule(e);
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
			schedule(e);
			return;
		}
		next_step(o);
		return;
	}
	if (res->code == CRAFT_EAWS && is_notfound(res->err.aws_code)) {
		if (s->flags & CF_NOTFOUND_OK) {
			if (s->until || !s->after) {
				next_step(o);
				return;
			}
			s->after(o, NULL);
			if (!o->done)
				next_step(o);
			else
				schedule(e);
			return;
		}
		if ((s->flags & CF_NOTFOUND_RETRY) && now - o->call_t0 < NOTFOUND_WINDOW_MS) {
			o->transient++;
			craft_aws_timer(e->aws, backoff(o->transient, 200, 3000), resubmit, o);
			return;
		}
	}
	if (res->code == CRAFT_EAWS && is_depviol(res->err.aws_code) &&
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
		op_fail(o, &err);
	}
	schedule(e);
}

static void run_step(struct op *o)
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
		op_fail(o, &err);
	}
}

/* ---------------------------------------------------------------- kinds */

static struct craft_res *R(struct op *o)
{
	return &o->e->m->res[o->idx];
}

static struct craft_res *dep_res(struct op *o, enum craft_kind kind)
{
	struct craft_res *r = R(o);

	for (int i = 0; i < r->ndep; i++)
		if (o->e->m->res[r->dep[i]].kind == kind)
			return &o->e->m->res[r->dep[i]];
	return NULL;
}

static void add_tags_step(struct op *o)
{
	struct craft_res *r = R(o);
	struct tagset ts;
	struct step *s;

	if (r->have.tags_ok || !craft_kind_tagged(r->kind))
		return;
	s = add_step(o, "CreateTags", CF_MUTATING | CF_NOTFOUND_RETRY);
	tagset(&ts, o->e->cfg, r->name);
	craft_query_addf(&s->q, r->id, "ResourceId.1");
	craft_query_add_tags(&s->q, "Tag", ts.t, ts.n);
}

static void add_tag_spec(struct op *o, struct step *s, int n, const char *rtype,
                         const char *resource)
{
	struct tagset ts;

	tagset(&ts, o->e->cfg, resource);
	craft_query_add_tag_spec(&s->q, n, rtype, ts.t, ts.n);
}

/* -- image: the AMI for the instance */

static void image_found(struct op *o, xmlNodePtr root)
{
	struct eng *e = o->e;
	const char *best = NULL, *best_date = "", *best_root = NULL;

	for (xmlNodePtr x = craft_xml_items(root, "imagesSet"); x; x = craft_xml_next_item(x)) {
		const char *date = craft_xml_path_text(x, "creationDate");
		const char *state = craft_xml_path_text(x, "imageState");

		if (state && strcmp(state, "available") != 0)
			continue;
		if (!best || (date && strcmp(date, best_date) > 0)) {
			best = craft_xml_path_text(x, "imageId");
			best_date = date ? date : "";
			best_root = craft_xml_path_text(x, "rootDeviceName");
		}
	}
	if (!best) {
		op_failf(o, CRAFT_ENOTFOUND, "no %s image for %s found in %s", e->cfg->image,
		         craft_config_is_arm64(e->cfg->instance_type) ? "arm64" : "x86_64",
		         craft_aws_client_region(e->aws));
		return;
	}
	COPY(e->ami, best);
	COPY(e->root_device, best_root ? best_root : "/dev/sda1");
	COPY(R(o)->id, best);
}

static void image_create(struct op *o)
{
	const struct craft_config *c = o->e->cfg;
	struct step *s = add_step(o, "DescribeImages", 0);
	const char *arch = craft_config_is_arm64(c->instance_type) ? "arm64" : "x86_64";
	const char *archv[1] = { arch };
	const char *avail[1] = { "available" };
	char name[160];
	const char *namev[1] = { name };

	s->after = image_found;
	if (strncmp(c->image, "ami-", 4) == 0) {
		craft_query_add(&s->q, "ImageId.1", c->image);
		return;
	}
	snprintf(name, sizeof(name), "ubuntu/images/*/ubuntu-%s-%s-%s-server-*",
	         strcmp(c->image, "ubuntu-22.04") == 0 ? "jammy" : "noble", c->image + 7,
	         strcmp(arch, "arm64") == 0 ? "arm64" : "amd64");
	craft_query_add(&s->q, "Owner.1", CANONICAL_OWNER);
	craft_query_add_filter(&s->q, 1, "name", namev, 1);
	craft_query_add_filter(&s->q, 2, "architecture", archv, 1);
	craft_query_add_filter(&s->q, 3, "state", avail, 1);
	craft_query_add(&s->q, "IncludeDeprecated", "true");
}

/* -- vpc */

static void vpc_created(struct op *o, xmlNodePtr root)
{
	struct step *s;

	set_id(o, craft_xml_path_text(root, "vpc/vpcId"));
	s = add_step(o, "ModifyVpcAttribute", CF_MUTATING | CF_NOTFOUND_RETRY);
	craft_query_add(&s->q, "VpcId", R(o)->id);
	craft_query_add(&s->q, "EnableDnsHostnames.Value", "true");
}

static void vpc_create(struct op *o)
{
	struct step *s = add_step(o, "CreateVpc", CF_MUTATING);

	craft_query_add(&s->q, "CidrBlock", R(o)->want.cidr);
	add_tag_spec(o, s, 1, "vpc", R(o)->name);
	s->after = vpc_created;
	s->ready_after = 1;
}

static void vpc_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	add_tags_step(o);
	if (r->have.dns_support == 0) {
		s = add_step(o, "ModifyVpcAttribute", CF_MUTATING);
		craft_query_add(&s->q, "VpcId", r->id);
		craft_query_add(&s->q, "EnableDnsSupport.Value", "true");
	}
	if (r->have.dns_hostnames == 0) {
		s = add_step(o, "ModifyVpcAttribute", CF_MUTATING);
		craft_query_add(&s->q, "VpcId", r->id);
		craft_query_add(&s->q, "EnableDnsHostnames.Value", "true");
	}
}

static void vpc_delete(struct op *o)
{
	struct step *s = add_step(o, "DeleteVpc", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "VpcId", R(o)->id);
}

/* -- internet gateway */

static const char *const ok_already_attached[] = { "Resource.AlreadyAssociated", NULL };

static void igw_attach_step(struct op *o)
{
	struct step *s = add_step(o, "AttachInternetGateway", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "InternetGatewayId", R(o)->id);
	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	s->ok_codes = ok_already_attached;
	s->ready_after = 1;
}

static void igw_created(struct op *o, xmlNodePtr root)
{
	set_id(o, craft_xml_path_text(root, "internetGateway/internetGatewayId"));
	igw_attach_step(o);
}

static void igw_create(struct op *o)
{
	struct step *s = add_step(o, "CreateInternetGateway", CF_MUTATING);

	add_tag_spec(o, s, 1, "internet-gateway", R(o)->name);
	s->after = igw_created;
}

static void igw_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct craft_res *vpc = dep_res(o, CRAFT_K_VPC);

	add_tags_step(o);
	if (strcmp(r->have.attached, vpc->id) != 0) {
		if (r->have.attached[0]) {
			struct step *s = add_step(o, "DetachInternetGateway",
			                          CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

			craft_query_add(&s->q, "InternetGatewayId", r->id);
			craft_query_add(&s->q, "VpcId", r->have.attached);
		}
		igw_attach_step(o);
	}
}

static const char *const ok_not_attached[] = { "Gateway.NotAttached", NULL };

static void igw_delete(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	if (r->have.attached[0]) {
		s = add_step(o, "DetachInternetGateway",
		             CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
		craft_query_add(&s->q, "InternetGatewayId", r->id);
		craft_query_add(&s->q, "VpcId", r->have.attached);
		s->ok_codes = ok_not_attached;
	}
	s = add_step(o, "DeleteInternetGateway", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
	craft_query_add(&s->q, "InternetGatewayId", r->id);
}

/* -- subnet */

static void subnet_public_step(struct op *o)
{
	struct step *s = add_step(o, "ModifySubnetAttribute", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "SubnetId", R(o)->id);
	craft_query_add(&s->q, "MapPublicIpOnLaunch.Value",
	                R(o)->want.map_public ? "true" : "false");
}

/*
 * InvalidSubnet.Conflict on a create: a retried create whose first attempt
 * made the subnet after all (its answer was lost), or the subnet of a killed
 * run that discovery could not see yet. This stack's subnet of this name is
 * adopted (it may take a moment to become visible); anything else is the
 * conflict it says.
 */
/* A create that an earlier attempt or run already made (its answer lost, or
 * a duplicate): look for it by two filters until a Describe shows it, and
 * keep dependents waiting for its id meanwhile. */
static void adopt_lookup(struct op *o, const char *action, const char *f1, const char *v1,
                         const char *f2, const char *v2, until_fn until)
{
	const char *a[1] = { v1 }, *b[1] = { v2 };
	struct step *s;

	o->steps[o->cur].ready_after = 0; /* dependents wait for the id */
	s = add_step(o, action, 0);
	if (!s) {
		op_failf(o, CRAFT_ENOMEM, "too many steps");
		return;
	}
	craft_query_add_filter(&s->q, 1, f1, a, 1);
	craft_query_add_filter(&s->q, 2, f2, b, 1);
	s->until = until;
	s->waiting_for = "looking for";
	s->ready_after = 1;
}

static int until_subnet_adopted(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	xmlNodePtr x = craft_xml_items(root, "subnetSet");
	const char *stack = x ? tag_of(x, "craftctl:stack") : NULL;
	const char *name = x ? tag_of(x, "craftctl:resource") : NULL;

	if (!x) {
		if (craft_now_ms() - o->wait_t0 < NOTFOUND_WINDOW_MS)
			return 0;
		op_failf(o, CRAFT_EAWS,
		         "InvalidSubnet.Conflict: cidr %s conflicts with another subnet of vpc %s",
		         r->want.cidr, dep_res(o, CRAFT_K_VPC)->id);
		return -1;
	}
	if (!stack || strcmp(stack, o->e->cfg->stack) != 0 || !name || strcmp(name, r->name) != 0) {
		op_failf(o, CRAFT_EAWS,
		         "InvalidSubnet.Conflict: subnet %s (%s) is not this stack's %s: delete it "
		         "or choose another network.cidr",
		         craft_xml_path_text(x, "subnetId"), r->want.cidr, r->name);
		return -1;
	}
	set_id(o, craft_xml_path_text(x, "subnetId"));
	if (r->want.map_public)
		subnet_public_step(o);
	return 1;
}

static void subnet_created(struct op *o, xmlNodePtr root)
{
	if (!root) {
		adopt_lookup(o, "DescribeSubnets", "vpc-id", dep_res(o, CRAFT_K_VPC)->id,
		             "cidr-block", R(o)->want.cidr, until_subnet_adopted);
		return;
	}
	set_id(o, craft_xml_path_text(root, "subnet/subnetId"));
	if (R(o)->want.map_public)
		subnet_public_step(o);
}

static const char *const ok_subnet_conflict[] = { "InvalidSubnet.Conflict", NULL };

static void subnet_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = add_step(o, "CreateSubnet", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	craft_query_add(&s->q, "CidrBlock", r->want.cidr);
	if (r->want.az[0])
		craft_query_add(&s->q, "AvailabilityZone", r->want.az);
	add_tag_spec(o, s, 1, "subnet", r->name);
	s->ok_codes = ok_subnet_conflict;
	s->after = subnet_created;
	s->ready_after = 1;
}

static void subnet_update(struct op *o)
{
	add_tags_step(o);
	if (R(o)->want.map_public != R(o)->have.map_public)
		subnet_public_step(o);
}

static void subnet_delete(struct op *o)
{
	struct step *s =
	        add_step(o, "DeleteSubnet", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "SubnetId", R(o)->id);
}

/* -- route table, route, associations */

static void rtb_created(struct op *o, xmlNodePtr root)
{
	set_id(o, craft_xml_path_text(root, "routeTable/routeTableId"));
}

static void rtb_create(struct op *o)
{
	struct step *s = add_step(o, "CreateRouteTable", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	add_tag_spec(o, s, 1, "route-table", R(o)->name);
	s->after = rtb_created;
}

static void rtb_update(struct op *o)
{
	add_tags_step(o);
}

static void rtb_delete(struct op *o)
{
	struct step *s =
	        add_step(o, "DeleteRouteTable", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "RouteTableId", R(o)->id);
}

static void route_replace_step(struct op *o)
{
	struct step *s = add_step(o, "ReplaceRoute", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "RouteTableId", dep_res(o, CRAFT_K_RTB)->id);
	craft_query_add(&s->q, "DestinationCidrBlock", "0.0.0.0/0");
	craft_query_add(&s->q, "GatewayId", dep_res(o, CRAFT_K_IGW)->id);
}

static void route_created(struct op *o, xmlNodePtr root)
{
	if (!root) /* RouteAlreadyExists: point it at our gateway */
		route_replace_step(o);
	COPY(R(o)->id, dep_res(o, CRAFT_K_IGW)->id);
}

static const char *const ok_route_exists[] = { "RouteAlreadyExists", NULL };

static void route_create(struct op *o)
{
	struct step *s = add_step(o, "CreateRoute", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "RouteTableId", dep_res(o, CRAFT_K_RTB)->id);
	craft_query_add(&s->q, "DestinationCidrBlock", "0.0.0.0/0");
	craft_query_add(&s->q, "GatewayId", dep_res(o, CRAFT_K_IGW)->id);
	s->ok_codes = ok_route_exists;
	s->after = route_created;
}

static void route_update(struct op *o)
{
	route_replace_step(o);
	COPY(R(o)->id, dep_res(o, CRAFT_K_IGW)->id);
}

static void assoc_created(struct op *o, xmlNodePtr root)
{
	if (root)
		COPY(R(o)->id, craft_xml_path_text(root, "associationId"));
}

static const char *const ok_assoc_exists[] = { "Resource.AlreadyAssociated", NULL };

static void assoc_create(struct op *o)
{
	struct step *s = add_step(o, "AssociateRouteTable", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "RouteTableId", dep_res(o, CRAFT_K_RTB)->id);
	craft_query_add(&s->q, "SubnetId", dep_res(o, CRAFT_K_SUBNET)->id);
	s->ok_codes = ok_assoc_exists;
	s->after = assoc_created;
}

static void assoc_delete(struct op *o)
{
	struct step *s = add_step(o, "DisassociateRouteTable", CF_MUTATING | CF_NOTFOUND_OK);

	craft_query_add(&s->q, "AssociationId", R(o)->id);
}

/* -- security group */

static void add_perms(struct craft_query *q, const struct craft_rule *rules, int n)
{
	char port[16];

	for (int i = 0; i < n; i++) {
		snprintf(port, sizeof(port), "%d", rules[i].port);
		craft_query_addf(q, "tcp", "IpPermissions.%d.IpProtocol", i + 1);
		craft_query_addf(q, port, "IpPermissions.%d.FromPort", i + 1);
		craft_query_addf(q, port, "IpPermissions.%d.ToPort", i + 1);
		craft_query_addf(q, rules[i].cidr, "IpPermissions.%d.IpRanges.1.CidrIp", i + 1);
	}
}

static int rule_in(const struct craft_rule *r, const struct craft_rule *set, int n)
{
	for (int i = 0; i < n; i++)
		if (set[i].port == r->port && strcmp(set[i].cidr, r->cidr) == 0)
			return 1;
	return 0;
}

static const char *const ok_perm_dup[] = { "InvalidPermission.Duplicate", NULL };
/* a retried revoke whose first attempt took effect */
static const char *const ok_perm_gone[] = { "InvalidPermission.NotFound", NULL };

static void sg_rules_steps(struct op *o)
{
	struct craft_res *r = R(o);
	struct craft_rule want[CRAFT_MAX_RULES], add[CRAFT_MAX_RULES], del[CRAFT_MAX_RULES];
	int nwant, nadd = 0, ndel = 0;
	struct step *s;

	craft_model_rules(o->e->m, want, &nwant);
	for (int i = 0; i < nwant; i++)
		if (!rule_in(&want[i], r->have.rules, r->have.nrules))
			add[nadd++] = want[i];
	for (int i = 0; i < r->have.nrules; i++)
		if (!rule_in(&r->have.rules[i], want, nwant))
			del[ndel++] = r->have.rules[i];
	if (ndel) {
		s = add_step(o, "RevokeSecurityGroupIngress", CF_MUTATING | CF_NOTFOUND_RETRY);
		craft_query_add(&s->q, "GroupId", r->id);
		add_perms(&s->q, del, ndel);
		s->ok_codes = ok_perm_gone;
	}
	if (nadd) {
		s = add_step(o, "AuthorizeSecurityGroupIngress", CF_MUTATING | CF_NOTFOUND_RETRY);
		craft_query_add(&s->q, "GroupId", r->id);
		add_perms(&s->q, add, nadd);
		s->ok_codes = ok_perm_dup;
	}
}

/* the group a duplicate name points at: this stack's is adopted once a
 * Describe shows it (right after a create it may not yet) */
static int until_sg_adopted(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x = craft_xml_items(root, "securityGroupInfo");

	if (!x && craft_now_ms() - o->wait_t0 < NOTFOUND_WINDOW_MS)
		return 0;
	if (!x || !tag_of(x, "craftctl:stack") ||
	    strcmp(tag_of(x, "craftctl:stack"), o->e->cfg->stack) != 0) {
		op_failf(o, CRAFT_EAWS,
		         "security group '%s' exists in the vpc but is not this stack's",
		         R(o)->want.group_name);
		return -1;
	}
	set_id(o, craft_xml_path_text(x, "groupId"));
	sg_rules_steps(o);
	return 1;
}

static void sg_created(struct op *o, xmlNodePtr root)
{
	if (!root) { /* InvalidGroup.Duplicate: an earlier run made it; adopt it */
		adopt_lookup(o, "DescribeSecurityGroups", "group-name", R(o)->want.group_name,
		             "vpc-id", dep_res(o, CRAFT_K_VPC)->id, until_sg_adopted);
		return;
	}
	set_id(o, craft_xml_path_text(root, "groupId"));
	sg_rules_steps(o);
}

static const char *const ok_group_dup[] = { "InvalidGroup.Duplicate", NULL };

static void sg_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = add_step(o, "CreateSecurityGroup", CF_MUTATING | CF_NOTFOUND_RETRY);
	char desc[160];

	snprintf(desc, sizeof(desc), "craftctl %s: the instance (ssh, http, https)",
	         o->e->cfg->stack);
	craft_query_add(&s->q, "GroupName", r->want.group_name);
	craft_query_add(&s->q, "GroupDescription", desc);
	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	add_tag_spec(o, s, 1, "security-group", r->name);
	s->ok_codes = ok_group_dup;
	s->after = sg_created;
	s->ready_after = 1;
}

static void sg_update(struct op *o)
{
	add_tags_step(o);
	sg_rules_steps(o);
}

static void sg_delete(struct op *o)
{
	struct step *s =
	        add_step(o, "DeleteSecurityGroup", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "GroupId", R(o)->id);
}

/* -- key pair */

static void key_adopted(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x = craft_xml_items(root, "keySet");
	const char *stack = x ? tag_of(x, "craftctl:stack") : NULL;

	if (!x || !stack || strcmp(stack, o->e->cfg->stack) != 0) {
		op_failf(o, CRAFT_EAWS,
		         "key pair '%s' already exists and is not this stack's: delete it or "
		         "rename the stack",
		         R(o)->want.key_name);
		return;
	}
	set_id(o, craft_xml_path_text(x, "keyPairId"));
}

static void key_created(struct op *o, xmlNodePtr root)
{
	if (!root) {
		struct step *s = add_step(o, "DescribeKeyPairs", CF_NOTFOUND_RETRY);

		craft_query_add(&s->q, "KeyName.1", R(o)->want.key_name);
		s->after = key_adopted;
		return;
	}
	set_id(o, craft_xml_path_text(root, "keyPairId"));
	COPY(R(o)->have.key_name, R(o)->want.key_name);
}

static const char *const ok_key_dup[] = { "InvalidKeyPair.Duplicate", NULL };

static void key_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = add_step(o, "ImportKeyPair", CF_MUTATING);
	const char *pub = o->e->in->pubkey;
	size_t n = strlen(pub);
	unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);

	if (!b64 || !s) {
		free(b64);
		op_failf(o, CRAFT_ENOMEM, "out of memory");
		return;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)pub, (int)n);
	craft_query_add(&s->q, "KeyName", r->want.key_name);
	craft_query_add(&s->q, "PublicKeyMaterial", (const char *)b64);
	free(b64);
	add_tag_spec(o, s, 1, "key-pair", r->name);
	s->ok_codes = ok_key_dup;
	s->after = key_created;
}

static void key_update(struct op *o)
{
	add_tags_step(o);
}

static void key_delete(struct op *o)
{
	struct step *s = add_step(o, "DeleteKeyPair", CF_MUTATING | CF_NOTFOUND_OK);

	/* both: AWS takes either, and some implementations read only the name */
	craft_query_add(&s->q, "KeyPairId", R(o)->id);
	if (R(o)->have.key_name[0])
		craft_query_add(&s->q, "KeyName", R(o)->have.key_name);
}

/* -- instance */

static int inst_state_is(xmlNodePtr root, const char *id, const char *want, const char **got)
{
	for (xmlNodePtr rv = craft_xml_items(root, "reservationSet"); rv;
	     rv = craft_xml_next_item(rv))
		for (xmlNodePtr x = craft_xml_items(rv, "instancesSet"); x;
		     x = craft_xml_next_item(x)) {
			const char *xid = craft_xml_path_text(x, "instanceId");

			if (xid && strcmp(xid, id) == 0) {
				*got = craft_xml_path_text(x, "instanceState/name");
				return *got && strcmp(*got, want) == 0;
			}
		}
	*got = NULL;
	return 0;
}

static int until_running(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	const char *st;

	if (inst_state_is(root, r->id, "running", &st)) {
		COPY(r->state, st);
		return 1;
	}
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		op_failf(o, CRAFT_EAWS, "instance %s is %s instead of starting", r->id, st);
		return -1;
	}
	return 0;
}

static int until_stopped(struct op *o, xmlNodePtr root)
{
	const char *st;

	if (inst_state_is(root, R(o)->id, "stopped", &st))
		return 1;
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		op_failf(o, CRAFT_EAWS, "instance %s is %s", R(o)->id, st);
		return -1;
	}
	return 0;
}

static int until_terminated(struct op *o, xmlNodePtr root)
{
	const char *st;

	if (!root) /* NotFound: long gone */
		return 1;
	inst_state_is(root, R(o)->id, "terminated", &st);
	return !st || strcmp(st, "terminated") == 0;
}

static void add_wait(struct op *o, until_fn until, const char *what, unsigned flags)
{
	struct step *s = add_step(o, "DescribeInstances", flags);

	craft_query_add(&s->q, "InstanceId.1", R(o)->id);
	s->until = until;
	s->waiting_for = what;
}

static void client_token(struct op *o, char *out, size_t n)
{
	struct eng *e = o->e;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char seed[512];
	char hex[65];

	/* the stack, its subnet (new after a destroy), and a salt that moves on
	 * only when AWS says the token belongs to a terminated instance */
	snprintf(seed, sizeof(seed), "craftctl|%s|%s|%s|%d", e->cfg->stack,
	         craft_aws_client_region(e->aws) ? craft_aws_client_region(e->aws) : "",
	         dep_res(o, CRAFT_K_SUBNET)->id, o->salt);
	SHA256((const unsigned char *)seed, strlen(seed), md);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "craftctl-%s", hex);
}

static void inst_run_step(struct op *o);

static void inst_launched(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x;
	const char *st;

	if (!root) { /* IdempotentParameterMismatch: the token was used for another launch */
		o->salt++;
		inst_run_step(o);
		return;
	}
	x = craft_xml_items(root, "instancesSet");
	st = x ? craft_xml_path_text(x, "instanceState/name") : NULL;
	if (!x) {
		op_failf(o, CRAFT_EPARSE, "RunInstances answered without an instance");
		return;
	}
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		/* an old launch with this token, since terminated: take the next token */
		o->salt++;
		inst_run_step(o);
		return;
	}
	set_id(o, craft_xml_path_text(x, "instanceId"));
	COPY(R(o)->state, st);
	add_wait(o, until_running, "waiting for", CF_NOTFOUND_RETRY);
	o->steps[o->nsteps - 1].ready_after = 1;
}

static const char *const ok_token_mismatch[] = { "IdempotentParameterMismatch", NULL };

static void inst_run_step(struct op *o)
{
	struct eng *e = o->e;
	const struct craft_config *c = e->cfg;
	struct craft_res *r = R(o);
	struct step *s;
	struct tagset ts;
	char token[80], size[16], imagetag[96];
	struct craft_tag extra[CRAFT_CONFIG_MAX_MAP + 5];
	int n;
	size_t udlen = 0;
	const char *ud = craft_template_get("cloud-init.yaml", &udlen);

	if (o->salt > 20) {
		op_failf(o, CRAFT_EAWS, "no usable client token for RunInstances");
		return;
	}
	s = add_step(o, "RunInstances", CF_MUTATING | CF_NOTFOUND_RETRY);
	if (!s) {
		op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	client_token(o, token, sizeof(token));
	snprintf(size, sizeof(size), "%d", r->want.root_size);
	craft_query_add(&s->q, "ImageId", e->ami);
	craft_query_add(&s->q, "InstanceType", r->want.type);
	craft_query_add(&s->q, "MinCount", "1");
	craft_query_add(&s->q, "MaxCount", "1");
	craft_query_add(&s->q, "ClientToken", token);
	craft_query_add(&s->q, "KeyName", dep_res(o, CRAFT_K_KEY)->want.key_name);
	craft_query_add(&s->q, "SubnetId", dep_res(o, CRAFT_K_SUBNET)->id);
	craft_query_add(&s->q, "SecurityGroupId.1", dep_res(o, CRAFT_K_SG)->id);
	craft_query_add(&s->q, "MetadataOptions.HttpTokens", "required");
	craft_query_add(&s->q, "MetadataOptions.HttpEndpoint", "enabled");
	craft_query_add(&s->q, "BlockDeviceMapping.1.DeviceName", e->root_device);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.VolumeSize", size);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.VolumeType", r->want.root_type);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.Encrypted", "true");
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
	if (ud && udlen) {
		unsigned char *b64 = malloc(4 * ((udlen + 2) / 3) + 1);

		if (b64) {
			EVP_EncodeBlock(b64, (const unsigned char *)ud, (int)udlen);
			craft_query_add(&s->q, "UserData", (const char *)b64);
			free(b64);
		}
	}
	tagset(&ts, c, r->name);
	n = ts.n;
	memcpy(extra, ts.t, (size_t)n * sizeof(extra[0]));
	COPY(imagetag, c->image);
	extra[n++] = (struct craft_tag){ "craftctl:image", imagetag };
	craft_query_add_tag_spec(&s->q, 1, "instance", extra, n);
	add_tag_spec(o, s, 2, "volume", "server-root");
	s->ok_codes = ok_token_mismatch;
	s->after = inst_launched;
}

static void inst_create(struct op *o)
{
	inst_run_step(o);
}

/* ModifyVolume refused because the volume is being (or was lately)
 * modified: fine when that modification is the one wanted (a retry whose
 * first attempt took effect), an error otherwise */
static void volume_mod_checked(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);

	for (xmlNodePtr x = craft_xml_items(root, "volumeModificationSet"); x;
	     x = craft_xml_next_item(x)) {
		const char *size = craft_xml_path_text(x, "targetSize");
		const char *type = craft_xml_path_text(x, "targetVolumeType");

		if (size && type && strtol(size, NULL, 10) >= r->want.root_size &&
		    strcmp(type, r->want.root_type) == 0)
			return;
	}
	op_failf(o, CRAFT_EAWS,
	         "root volume %s is being modified to something else (AWS allows one "
	         "modification per volume in 6 hours): try again later",
	         r->have.root_volume);
}

static void volume_modified(struct op *o, xmlNodePtr root)
{
	struct step *s;

	if (root)
		return;
	s = add_step(o, "DescribeVolumesModifications", 0);
	if (!s) {
		op_failf(o, CRAFT_ENOMEM, "too many steps");
		return;
	}
	craft_query_add(&s->q, "VolumeId.1", R(o)->have.root_volume);
	s->after = volume_mod_checked;
}

static const char *const ok_volume_busy[] = { "IncorrectModificationState",
	                                      "VolumeModificationRateExceeded", NULL };

static void inst_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	add_tags_step(o);
	if (strcmp(r->have.image, r->want.image) != 0 && !r->have.image[0]) {
		/* an instance without the image tag (older craftctl): tag it */
		s = add_step(o, "CreateTags", CF_MUTATING);
		craft_query_add(&s->q, "ResourceId.1", r->id);
		craft_query_add(&s->q, "Tag.1.Key", "craftctl:image");
		craft_query_add(&s->q, "Tag.1.Value", r->want.image);
	}
	if (!r->have.imds_required) {
		s = add_step(o, "ModifyInstanceMetadataOptions", CF_MUTATING);
		craft_query_add(&s->q, "InstanceId", r->id);
		craft_query_add(&s->q, "HttpTokens", "required");
		craft_query_add(&s->q, "HttpEndpoint", "enabled");
	}
	if (r->have.root_volume[0] && (r->have.root_size < r->want.root_size ||
	                               strcmp(r->have.root_type, r->want.root_type) != 0)) {
		char size[16];

		snprintf(size, sizeof(size), "%d", r->want.root_size);
		s = add_step(o, "ModifyVolume", CF_MUTATING);
		craft_query_add(&s->q, "VolumeId", r->have.root_volume);
		if (r->have.root_size < r->want.root_size)
			craft_query_add(&s->q, "Size", size);
		if (strcmp(r->have.root_type, r->want.root_type) != 0)
			craft_query_add(&s->q, "VolumeType", r->want.root_type);
		s->ok_codes = ok_volume_busy;
		s->after = volume_modified;
	}
	if (strcmp(r->state, "pending") == 0) {
		add_wait(o, until_running, "waiting for", CF_NOTFOUND_RETRY);
		o->steps[o->nsteps - 1].ready_after = 1;
	}
	if (strcmp(r->state, "stopping") == 0 || strcmp(r->state, "stopped") == 0) {
		if (strcmp(r->state, "stopping") == 0)
			add_wait(o, until_stopped, "waiting for the stop of", 0);
		s = add_step(o, "StartInstances", CF_MUTATING | CF_DEPVIOL_RETRY);
		craft_query_add(&s->q, "InstanceId.1", r->id);
		add_wait(o, until_running, "waiting for", 0);
	}
}

static void inst_delete(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	if (strcmp(r->state, "shutting-down") != 0) {
		s = add_step(o, "TerminateInstances", CF_MUTATING | CF_NOTFOUND_OK);
		craft_query_add(&s->q, "InstanceId.1", r->id);
	}
	add_wait(o, until_terminated, "waiting for termination of", CF_NOTFOUND_OK);
}

/* -- elastic ip */

static void eip_created(struct op *o, xmlNodePtr root)
{
	set_id(o, craft_xml_path_text(root, "allocationId"));
	COPY(R(o)->have.public_ip, craft_xml_path_text(root, "publicIp"));
}

static void eip_create(struct op *o)
{
	struct step *s = add_step(o, "AllocateAddress", CF_MUTATING);

	craft_query_add(&s->q, "Domain", "vpc");
	add_tag_spec(o, s, 1, "elastic-ip", R(o)->name);
	s->after = eip_created;
}

static void eip_update(struct op *o)
{
	add_tags_step(o);
}

static const char *const ok_assoc_gone[] = { "InvalidAssociationID.NotFound", NULL };

static void eip_delete(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	if (r->have.assoc_id[0]) {
		s = add_step(o, "DisassociateAddress", CF_MUTATING | CF_NOTFOUND_OK);
		craft_query_add(&s->q, "AssociationId", r->have.assoc_id);
		s->ok_codes = ok_assoc_gone;
	}
	s = add_step(o, "ReleaseAddress", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
	craft_query_add(&s->q, "AllocationId", r->id);
}

static void eip_assoc_created(struct op *o, xmlNodePtr root)
{
	struct craft_res *eip = dep_res(o, CRAFT_K_EIP);

	COPY(R(o)->id, craft_xml_path_text(root, "associationId"));
	COPY(eip->have.assoc_id, R(o)->id);
	COPY(eip->have.instance_id, dep_res(o, CRAFT_K_INSTANCE)->id);
}

static void eip_assoc_create(struct op *o)
{
	struct step *s =
	        add_step(o, "AssociateAddress", CF_MUTATING | CF_NOTFOUND_RETRY | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "AllocationId", dep_res(o, CRAFT_K_EIP)->id);
	craft_query_add(&s->q, "InstanceId", dep_res(o, CRAFT_K_INSTANCE)->id);
	craft_query_add(&s->q, "AllowReassociation", "true");
	s->after = eip_assoc_created;
}

/* The table of kinds: how to create, update and delete each, and which
 * kinds must be gone before one of this kind can be deleted. */
#define BIT(k) (1u << (k))
static const struct kind_ops {
	void (*create)(struct op *o);
	void (*update)(struct op *o);
	void (*remove)(struct op *o);
	unsigned delete_after;
} kind_ops[CRAFT_K__COUNT] = {
	[CRAFT_K_IMAGE] = { image_create, NULL, NULL, 0 },
	[CRAFT_K_VPC] = { vpc_create, vpc_update, vpc_delete,
	                  BIT(CRAFT_K_SUBNET) | BIT(CRAFT_K_SG) | BIT(CRAFT_K_RTB) |
	                          BIT(CRAFT_K_IGW) | BIT(CRAFT_K_INSTANCE) },
	[CRAFT_K_IGW] = { igw_create, igw_update, igw_delete,
	                  BIT(CRAFT_K_INSTANCE) | BIT(CRAFT_K_EIP) | BIT(CRAFT_K_EIP_ASSOC) },
	[CRAFT_K_SUBNET] = { subnet_create, subnet_update, subnet_delete,
	                     BIT(CRAFT_K_INSTANCE) | BIT(CRAFT_K_RTB_ASSOC) },
	/* after its subnets too: a replaced subnet takes its association along */
	[CRAFT_K_RTB] = { rtb_create, rtb_update, rtb_delete,
	                  BIT(CRAFT_K_RTB_ASSOC) | BIT(CRAFT_K_ROUTE) | BIT(CRAFT_K_SUBNET) },
	[CRAFT_K_ROUTE] = { route_create, route_update, NULL, 0 },
	[CRAFT_K_RTB_ASSOC] = { assoc_create, NULL, assoc_delete, 0 },
	[CRAFT_K_SG] = { sg_create, sg_update, sg_delete, BIT(CRAFT_K_INSTANCE) },
	[CRAFT_K_KEY] = { key_create, key_update, key_delete, 0 },
	[CRAFT_K_INSTANCE] = { inst_create, inst_update, inst_delete, 0 },
	[CRAFT_K_EIP] = { eip_create, eip_update, eip_delete, BIT(CRAFT_K_EIP_ASSOC) },
	[CRAFT_K_EIP_ASSOC] = { eip_assoc_create, NULL, NULL, 0 },
};

/* ---------------------------------------------------------------- scheduler */

static int in_phase(const struct eng *e, const struct craft_res *r)
{
	if (e->deleting)
		return r->action == CRAFT_A_DELETE ||
		       (r->action == CRAFT_A_REPLACE && r->found && r->id[0]);
	return r->action == CRAFT_A_CREATE || r->action == CRAFT_A_UPDATE ||
	       r->action == CRAFT_A_REPLACE;
}

static int deps_ready(struct eng *e, int i)
{
	struct craft_res *r = &e->m->res[i];

	if (e->deleting) {
		unsigned after = kind_ops[r->kind].delete_after;

		for (int j = 0; j < e->m->n; j++) {
			struct craft_res *x = &e->m->res[j];

			if (j != i && (after & BIT(x->kind)) && in_phase(e, x) && !e->ops[j].done)
				return 0;
		}
		return 1;
	}
	for (int d = 0; d < r->ndep; d++) {
		int j = r->dep[d];
		struct craft_res *x = &e->m->res[j];

		/* an update may be what makes it usable (a gateway not yet attached) */
		if (in_phase(e, x) && !e->ops[j].ready)
			return 0;
	}
	return 1;
}

static void schedule_cb(void *ud)
{
	schedule(ud);
}

static void start(struct eng *e, int i)
{
	struct op *o = &e->ops[i];
	struct craft_res *r = &e->m->res[i];
	const struct kind_ops *k = &kind_ops[r->kind];
	void (*fn)(struct op *) = NULL;

	o->started = 1;
	o->t0 = craft_now_ms();
	release_steps(o);
	if (e->deleting) {
		fn = k->remove;
		if (r->action == CRAFT_A_REPLACE)
			report_res(e, r, "deleting", -1, "replaced");
	} else if (r->action == CRAFT_A_UPDATE) {
		fn = k->update;
	} else {
		if (r->action == CRAFT_A_REPLACE) {
			r->id[0] = '\0';
			memset(&r->have, 0, sizeof(r->have));
			r->have.tags_ok = 1;
		}
		fn = k->create;
	}
	if (r->kind == CRAFT_K_SG && !e->deleting && e->in->ip_started && !e->in->ip_done) {
		/* the caller's address is still being looked up */
		o->started = 0;
		craft_aws_timer(e->aws, 25, schedule_cb, e);
		return;
	}
	if (r->kind == CRAFT_K_SG && !e->deleting && e->in->ip_started && !e->in->m.my_cidr[0]) {
		op_fail(o, &e->in->ip_err);
		return;
	}
	if (fn)
		fn(o);
	if (!o->done)
		run_step(o);
}

static void schedule(struct eng *e)
{
	if (e->failed || cancelled(e->in))
		return;
	for (int i = 0; i < e->m->n; i++) {
		struct craft_res *r = &e->m->res[i];

		if (!e->ops[i].started && in_phase(e, r) && deps_ready(e, i))
			start(e, i);
		if (e->failed)
			return;
	}
}

static craft_code run_phase(struct eng *e, int deleting, struct craft_err *err)
{
	craft_code rc;

	e->deleting = deleting;
	for (int i = 0; i < e->m->n; i++) {
		release_steps(&e->ops[i]);
		memset(&e->ops[i], 0, sizeof(e->ops[i]));
		e->ops[i].e = e;
		e->ops[i].idx = i;
	}
	schedule(e);
	rc = craft_aws_run(e->aws, err);
	for (int i = 0; i < e->m->n; i++)
		release_steps(&e->ops[i]);
	if (rc)
		return rc;
	if (cancelled(e->in))
		return craft_err_set(err, CRAFT_EINTR,
		                     "interrupted: what was started is tagged; a re-run resumes");
	if (e->failed) {
		*err = e->err;
		return err->code ? err->code : CRAFT_EAWS;
	}
	for (int i = 0; i < e->m->n; i++)
		if (in_phase(e, &e->m->res[i]) && !e->ops[i].done)
			return craft_err_set(err, CRAFT_EINTERNAL, "%s %s never became ready",
			                     craft_kind_name(e->m->res[i].kind), e->m->res[i].name);
	return CRAFT_OK;
}

/* ---------------------------------------------------------------- discovery */

struct rtb_assoc {
	char rtb[32];
	char id[32];
	char subnet[32];
};

struct found {
	struct craft_res cand[CRAFT_MAX_RES];
	int n;
	struct rtb_assoc assoc[64];
	int nassoc;
	struct {
		char rtb[32];
		char gw[32];
	} routes[16];
	int nroutes;
	int pending;
	int failed;
	struct craft_err err;
	struct craft_infra *in;
	struct craft_aws_client *aws;
	/* round 2 */
	char vpc_id[32];
	char volume_id[32];
};

struct dcall {
	struct found *f;
	const char *action;
	void (*parse)(struct found *f, xmlNodePtr root);
	int optional; /* round 2: NotFound leaves the details unknown */
};

static struct craft_res *cand(struct found *f, enum craft_kind kind, xmlNodePtr item,
                              const char *id)
{
	struct craft_res *c;
	const char *name = tag_of(item, "craftctl:resource");

	if (f->n >= CRAFT_MAX_RES || !id)
		return NULL;
	c = &f->cand[f->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	COPY(c->name, name ? name : "?");
	COPY(c->id, id);
	c->found = 1;
	c->have.dns_support = c->have.dns_hostnames = -1;
	c->have.tags_ok = tags_ok(f->in->cfg, item);
	return c;
}

static void parse_azs(struct found *f, xmlNodePtr root)
{
	struct craft_model *m = &f->in->m;

	m->naz = 0;
	for (xmlNodePtr x = craft_xml_items(root, "availabilityZoneInfo"); x && m->naz < 6;
	     x = craft_xml_next_item(x)) {
		const char *state = craft_xml_path_text(x, "zoneState");
		const char *type = craft_xml_path_text(x, "zoneType");

		if ((state && strcmp(state, "available") != 0) ||
		    (type && strcmp(type, "availability-zone") != 0))
			continue;
		COPY(m->azs[m->naz], craft_xml_path_text(x, "zoneName"));
		m->naz++;
	}
}

static void parse_vpcs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "vpcSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c = cand(f, CRAFT_K_VPC, x, craft_xml_path_text(x, "vpcId"));

		if (!c)
			continue;
		COPY(c->have.cidr, craft_xml_path_text(x, "cidrBlock"));
		COPY(c->have.vpc_id, c->id);
		COPY(c->state, craft_xml_path_text(x, "state"));
	}
}

static void parse_igws(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "internetGatewaySet"); x;
	     x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        cand(f, CRAFT_K_IGW, x, craft_xml_path_text(x, "internetGatewayId"));
		xmlNodePtr a = craft_xml_items(x, "attachmentSet");

		if (!c)
			continue;
		if (a) {
			COPY(c->have.attached, craft_xml_path_text(a, "vpcId"));
			COPY(c->state, craft_xml_path_text(a, "state"));
		} else {
			COPY(c->state, "detached");
		}
		COPY(c->have.vpc_id, c->have.attached);
	}
}

static int is_true(const char *s)
{
	return s && strcmp(s, "true") == 0;
}

static void parse_subnets(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "subnetSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        cand(f, CRAFT_K_SUBNET, x, craft_xml_path_text(x, "subnetId"));

		if (!c)
			continue;
		COPY(c->have.vpc_id, craft_xml_path_text(x, "vpcId"));
		COPY(c->have.cidr, craft_xml_path_text(x, "cidrBlock"));
		COPY(c->have.az, craft_xml_path_text(x, "availabilityZone"));
		c->have.map_public = is_true(craft_xml_path_text(x, "mapPublicIpOnLaunch"));
		COPY(c->state, craft_xml_path_text(x, "state"));
	}
}

static void parse_rtbs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "routeTableSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        cand(f, CRAFT_K_RTB, x, craft_xml_path_text(x, "routeTableId"));

		if (!c)
			continue;
		COPY(c->have.vpc_id, craft_xml_path_text(x, "vpcId"));
		COPY(c->state, "available");
		for (xmlNodePtr a = craft_xml_items(x, "associationSet"); a;
		     a = craft_xml_next_item(a)) {
			const char *sub = craft_xml_path_text(a, "subnetId");

			if (is_true(craft_xml_path_text(a, "main")) || !sub || f->nassoc >= 64)
				continue;
			COPY(f->assoc[f->nassoc].rtb, c->id);
			COPY(f->assoc[f->nassoc].subnet, sub);
			COPY(f->assoc[f->nassoc].id,
			     craft_xml_path_text(a, "routeTableAssociationId"));
			f->nassoc++;
		}
		for (xmlNodePtr rt = craft_xml_items(x, "routeSet"); rt;
		     rt = craft_xml_next_item(rt)) {
			const char *dst = craft_xml_path_text(rt, "destinationCidrBlock");

			if (!dst || strcmp(dst, "0.0.0.0/0") != 0 || f->nroutes >= 16)
				continue;
			COPY(f->routes[f->nroutes].rtb, c->id);
			COPY(f->routes[f->nroutes].gw, craft_xml_path_text(rt, "gatewayId"));
			f->nroutes++;
		}
	}
}

static void parse_sgs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "securityGroupInfo"); x;
	     x = craft_xml_next_item(x)) {
		struct craft_res *c = cand(f, CRAFT_K_SG, x, craft_xml_path_text(x, "groupId"));

		if (!c)
			continue;
		COPY(c->have.vpc_id, craft_xml_path_text(x, "vpcId"));
		COPY(c->have.group_name, craft_xml_path_text(x, "groupName"));
		COPY(c->state, "available");
		for (xmlNodePtr p = craft_xml_items(x, "ipPermissions"); p;
		     p = craft_xml_next_item(p)) {
			const char *proto = craft_xml_path_text(p, "ipProtocol");
			const char *from = craft_xml_path_text(p, "fromPort");
			const char *to = craft_xml_path_text(p, "toPort");
			int port = from ? (int)strtol(from, NULL, 10) : -1;
			int same = from && to && strcmp(from, to) == 0 && proto &&
			           strcmp(proto, "tcp") == 0;

			for (xmlNodePtr ip = craft_xml_items(p, "ipRanges"); ip;
			     ip = craft_xml_next_item(ip)) {
				struct craft_rule *rl;

				if (c->have.nrules >= CRAFT_MAX_RULES)
					break;
				rl = &c->have.rules[c->have.nrules++];
				/* a rule craftctl does not make (range, udp...) never matches */
				rl->port = same ? port : -1;
				COPY(rl->cidr, craft_xml_path_text(ip, "cidrIp"));
			}
			for (xmlNodePtr ip = craft_xml_items(p, "ipv6Ranges"); ip;
			     ip = craft_xml_next_item(ip)) {
				if (c->have.nrules >= CRAFT_MAX_RULES)
					break;
				c->have.rules[c->have.nrules].port = -1;
				COPY(c->have.rules[c->have.nrules].cidr,
				     craft_xml_path_text(ip, "cidrIpv6"));
				c->have.nrules++;
			}
		}
	}
}

static void parse_keys(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "keySet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c = cand(f, CRAFT_K_KEY, x, craft_xml_path_text(x, "keyPairId"));

		if (!c)
			continue;
		const char *pub = craft_xml_path_text(x, "publicKey");
		const char *fp = craft_xml_path_text(x, "keyFingerprint");

		COPY(c->have.key_name, craft_xml_path_text(x, "keyName"));
		/* The key itself is compared (its SHA-256, computed here), not the
		 * fingerprint the service reports: implementations differ in its
		 * format (MD5 colon-hex, SHA-256 base64), and a mismatch in format
		 * alone would replace the key and with it the instance. */
		if (pub && *pub)
			craft_model_key_fingerprint(pub, c->have.key_fp, sizeof(c->have.key_fp));
		else if (fp && !strchr(fp, ':'))
			COPY(c->have.key_fp, fp);
		COPY(c->state, "available");
	}
}

static void parse_instances(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr rv = craft_xml_items(root, "reservationSet"); rv;
	     rv = craft_xml_next_item(rv))
		for (xmlNodePtr x = craft_xml_items(rv, "instancesSet"); x;
		     x = craft_xml_next_item(x)) {
			struct craft_res *c =
			        cand(f, CRAFT_K_INSTANCE, x, craft_xml_path_text(x, "instanceId"));
			struct craft_props *h;
			const char *rootdev;

			if (!c)
				continue;
			h = &c->have;
			COPY(c->state, craft_xml_path_text(x, "instanceState/name"));
			COPY(h->vpc_id, craft_xml_path_text(x, "vpcId"));
			COPY(h->subnet_id, craft_xml_path_text(x, "subnetId"));
			COPY(h->type, craft_xml_path_text(x, "instanceType"));
			COPY(h->ami, craft_xml_path_text(x, "imageId"));
			COPY(h->key_name, craft_xml_path_text(x, "keyName"));
			COPY(h->public_ip, craft_xml_path_text(x, "ipAddress"));
			COPY(h->image, tag_of(x, "craftctl:image"));
			COPY(h->host_key, tag_of(x, "craftctl:host-key"));
			h->imds_required =
			        craft_xml_path_text(x, "metadataOptions/httpTokens") &&
			        strcmp(craft_xml_path_text(x, "metadataOptions/httpTokens"),
			               "required") == 0;
			{
				xmlNodePtr g = craft_xml_items(x, "groupSet");

				COPY(h->sg_id, g ? craft_xml_path_text(g, "groupId") : "");
			}
			rootdev = craft_xml_path_text(x, "rootDeviceName");
			COPY(h->root_device, rootdev);
			for (xmlNodePtr b = craft_xml_items(x, "blockDeviceMapping"); b;
			     b = craft_xml_next_item(b)) {
				const char *dev = craft_xml_path_text(b, "deviceName");

				if (dev && rootdev && strcmp(dev, rootdev) == 0)
					COPY(h->root_volume,
					     craft_xml_path_text(b, "ebs/volumeId"));
			}
			/* as wanted until DescribeVolumes says otherwise */
			h->root_size = f->in->cfg->root_size_gb;
			COPY(h->root_type, f->in->cfg->root_type);
			h->root_encrypted = 1;
		}
}

static void parse_addresses(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "addressesSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        cand(f, CRAFT_K_EIP, x, craft_xml_path_text(x, "allocationId"));

		if (!c)
			continue;
		COPY(c->have.public_ip, craft_xml_path_text(x, "publicIp"));
		COPY(c->have.instance_id, craft_xml_path_text(x, "instanceId"));
		COPY(c->have.assoc_id, craft_xml_path_text(x, "associationId"));
		COPY(c->state, c->have.assoc_id[0] ? "associated" : "allocated");
	}
}

static void on_discovered(void *ud, const struct craft_aws_result *res)
{
	struct dcall *d = ud;
	struct found *f = d->f;

	if (res->code == CRAFT_OK) {
		d->parse(f, xmlDocGetRootElement(res->doc));
	} else if (d->optional && res->code == CRAFT_EAWS && is_notfound(res->err.aws_code)) {
		/* a detail of something just made, not visible yet: left unknown */
	} else if (!f->failed) {
		f->failed = 1;
		f->err = res->err;
		craft_err_prefix(&f->err, "%s", d->action);
	}
	f->pending--;
	free(d);
}

static void submit_discovery(struct found *f, const char *action, struct craft_query *q,
                             void (*parse)(struct found *, xmlNodePtr), int optional)
{
	struct dcall *d = calloc(1, sizeof(*d));

	if (!d || craft_aws_submit(f->aws, "ec2", action, q, on_discovered, d) != CRAFT_OK) {
		free(d);
		if (!f->failed) {
			f->failed = 1;
			craft_err_set(&f->err, CRAFT_ENOMEM, "cannot submit %s", action);
		}
		return;
	}
	d->f = f;
	d->action = action;
	d->parse = parse;
	d->optional = optional;
	f->pending++;
}

/* Which candidate to keep for a desired resource. Higher wins. */
static int score(const struct craft_infra *in, const struct craft_res *want,
                 const struct craft_res *c, const struct craft_model *m)
{
	int s = 0;
	const char *cached =
	        in->st ? craft_state_get_id(in->st, craft_kind_name(c->kind), c->name) : NULL;
	int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");
	int vpc = craft_model_find(m, CRAFT_K_VPC, "main");
	const struct craft_res *ri = inst >= 0 && m->res[inst].found ? &m->res[inst] : NULL;

	(void)want;
	if (cached && strcmp(cached, c->id) == 0)
		s += 100;
	switch (c->kind) {
	case CRAFT_K_INSTANCE:
		if (strcmp(c->state, "running") == 0 || strcmp(c->state, "pending") == 0)
			s += 1000;
		break;
	case CRAFT_K_SUBNET:
		if (ri && strcmp(ri->have.subnet_id, c->id) == 0)
			s += 1000;
		break;
	case CRAFT_K_SG:
		if (ri && strcmp(ri->have.sg_id, c->id) == 0)
			s += 1000;
		break;
	case CRAFT_K_EIP:
		if (ri && strcmp(c->have.instance_id, ri->id) == 0)
			s += 1000;
		break;
	case CRAFT_K_IGW:
		if (vpc >= 0 && strcmp(c->have.attached, m->res[vpc].id) == 0)
			s += 1000;
		break;
	default:
		break;
	}
	return s;
}

static int vpc_scoped(enum craft_kind k)
{
	return k == CRAFT_K_SUBNET || k == CRAFT_K_RTB || k == CRAFT_K_SG || k == CRAFT_K_INSTANCE;
}

static void choose(struct craft_infra *in, struct found *f, enum craft_kind kind)
{
	struct craft_model *m = &in->m;

	for (int i = 0; i < m->ndesired; i++) {
		struct craft_res *r = &m->res[i];
		int best = -1, bests = -1;
		int vpc = craft_model_find(m, CRAFT_K_VPC, "main");

		if (r->kind != kind)
			continue;
		for (int j = 0; j < f->n; j++) {
			struct craft_res *c = &f->cand[j];
			int s;

			if (c->kind != kind || c->desired || strcmp(c->name, r->name) != 0)
				continue;
			if (vpc_scoped(kind) &&
			    (!m->res[vpc].found || strcmp(c->have.vpc_id, m->res[vpc].id) != 0))
				continue;
			if (kind == CRAFT_K_INSTANCE && (strcmp(c->state, "shutting-down") == 0 ||
			                                 strcmp(c->state, "terminated") == 0))
				continue;
			s = score(in, r, c, m);
			if (s > bests || (s == bests && strcmp(c->id, f->cand[best].id) < 0)) {
				best = j;
				bests = s;
			}
		}
		if (best < 0)
			continue;
		f->cand[best].desired = 1; /* taken */
		r->found = 1;
		COPY(r->id, f->cand[best].id);
		COPY(r->state, f->cand[best].state);
		r->have = f->cand[best].have;
	}
}

static void parse_vpc_attr(struct found *f, xmlNodePtr root)
{
	int vpc = craft_model_find(&f->in->m, CRAFT_K_VPC, "main");
	const char *sup = craft_xml_path_text(root, "enableDnsSupport/value");
	const char *host = craft_xml_path_text(root, "enableDnsHostnames/value");

	if (sup)
		f->in->m.res[vpc].have.dns_support = is_true(sup);
	if (host)
		f->in->m.res[vpc].have.dns_hostnames = is_true(host);
}

static void parse_volume(struct found *f, xmlNodePtr root)
{
	int inst = craft_model_find(&f->in->m, CRAFT_K_INSTANCE, "server");
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	struct craft_props *h = &f->in->m.res[inst].have;
	const char *size;

	if (!v)
		return;
	size = craft_xml_path_text(v, "size");
	h->root_size = size ? (int)strtol(size, NULL, 10) : 0;
	COPY(h->root_type, craft_xml_path_text(v, "volumeType"));
	h->root_encrypted = is_true(craft_xml_path_text(v, "encrypted"));
}

static void *checkip_thread(void *ud)
{
	struct craft_infra *in = ud;
	struct craft_http_response resp;
	struct craft_err err;
	char ip[64] = "";
	unsigned a;

	craft_http_response_init(&resp);
	craft_err_init(&err);
	if (craft_http_request("GET", in->checkip_url, NULL, NULL, 15000, &resp, &err) ==
	            CRAFT_OK &&
	    resp.status == 200) {
		size_t n = 0;
		const char *b = craft_buf_str(&resp.body);

		while (b[n] && b[n] != '\n' && b[n] != '\r' && n < 40)
			n++;
		memcpy(ip, b, n);
		ip[n] = '\0';
		snprintf(ip + n, sizeof(ip) - n, "/32");
		if (craft_cidr_parse(ip, &a, NULL) == 0)
			COPY(in->m.my_cidr, ip);
	}
	if (!in->m.my_cidr[0])
		craft_err_set(&in->ip_err, CRAFT_ENET,
		              "cannot find your public address at %s%s%s: set access.ssh_from "
		              "to your address (e.g. [203.0.113.7/32]) instead of auto",
		              in->checkip_url, err.msg[0] ? ": " : "", err.msg);
	craft_http_response_release(&resp);
	in->ip_done = 1;
	return NULL;
}

static void start_checkip(struct craft_infra *in)
{
	int need = 0;

	for (int i = 0; i < in->cfg->n_ssh_from; i++)
		need |= strcmp(in->cfg->ssh_from[i], "auto") == 0;
	if (!need || in->ip_started || in->opts.no_checkip)
		return;
	in->ip_started = 1;
	if (pthread_create(&in->ip_thread, NULL, checkip_thread, in) != 0) {
		in->ip_started = 0;
		craft_err_set(&in->ip_err, CRAFT_EIO, "cannot start the address lookup");
		in->ip_done = 1;
	}
}

static void join_checkip(struct craft_infra *in)
{
	if (in->ip_started) {
		pthread_join(in->ip_thread, NULL);
		in->ip_started = 0;
		in->ip_done = 1;
	}
}

static void wait_checkip(struct craft_infra *in)
{
	/* status/plan need the address too (for the rule diff); wait in place */
	join_checkip(in);
}

/* The stack's public key, when it can be read (plan and status may run
 * where the generated key does not exist: then keys are not compared). */
static void load_pubkey(struct craft_infra *in)
{
	struct craft_config probe;
	char *path = NULL;

	if (in->pubkey)
		return;
	if (in->cfg->ssh_key) {
		craft_config_public_key(&in->pubkey, in->cfg, NULL);
		return;
	}
	if (craft_config_generated_key_path(&path, in->cfg->stack, NULL) != CRAFT_OK)
		return;
	memset(&probe, 0, sizeof(probe));
	probe.ssh_key = path;
	craft_config_public_key(&in->pubkey, &probe, NULL);
	free(path);
}

static craft_code discover(struct craft_infra *in, int wait_ip, int attrs, struct craft_err *err)
{
	struct found *f = calloc(1, sizeof(*f));
	struct craft_model *m = &in->m;
	struct craft_query q;
	const char *states[] = { "pending", "running", "stopping", "stopped", "shutting-down" };
	craft_code rc;
	static const struct {
		const char *action;
		void (*parse)(struct found *, xmlNodePtr);
	} round1[] = {
		{ "DescribeVpcs", parse_vpcs },
		{ "DescribeInternetGateways", parse_igws },
		{ "DescribeSubnets", parse_subnets },
		{ "DescribeRouteTables", parse_rtbs },
		{ "DescribeSecurityGroups", parse_sgs },
		{ "DescribeKeyPairs", parse_keys },
		{ "DescribeInstances", parse_instances },
		{ "DescribeAddresses", parse_addresses },
	};

	if (!f)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	f->in = in;
	f->aws = in->aws;
	rc = craft_model_build(m, in->cfg, err);
	if (rc) {
		free(f);
		return rc;
	}
	load_pubkey(in);
	if (in->pubkey) {
		int key = craft_model_find(m, CRAFT_K_KEY, "main");

		craft_model_key_fingerprint(in->pubkey, m->res[key].want.key_fp,
		                            sizeof(m->res[key].want.key_fp));
	}
	/* round 1: everything tagged with the stack, and the zones */
	craft_query_init(&q);
	submit_discovery(f, "DescribeAvailabilityZones", &q, parse_azs, 0);
	for (size_t i = 0; i < sizeof(round1) / sizeof(round1[0]); i++) {
		craft_query_release(&q);
		craft_query_init(&q);
		stack_filter(&q, 1, in->cfg->stack);
		if (strcmp(round1[i].action, "DescribeInstances") == 0)
			craft_query_add_filter(&q, 2, "instance-state-name", states, 5);
		if (strcmp(round1[i].action, "DescribeKeyPairs") == 0)
			craft_query_add(&q, "IncludePublicKey", "true");
		submit_discovery(f, round1[i].action, &q, round1[i].parse, 0);
	}
	craft_query_release(&q);
	rc = craft_aws_run(in->aws, err);
	if (!rc && f->failed) {
		*err = f->err;
		rc = err->code ? err->code : CRAFT_EAWS;
	}
	if (rc)
		goto cleanup;
	if (m->naz < in->cfg->az_count) {
		rc = craft_err_set(err, CRAFT_ECONFIG,
		                   "region %s has %d usable availability zones; "
		                   "network.availability_zones asks for %d",
		                   craft_aws_client_region(in->aws), m->naz, in->cfg->az_count);
		goto cleanup;
	}
	for (int i = 0; i < m->ndesired; i++)
		if (m->res[i].kind == CRAFT_K_SUBNET) {
			int z = (int)strtol(strchr(m->res[i].name, '-') + 1, NULL, 10) - 1;

			COPY(m->res[i].want.az, m->azs[z]);
		}
	/* choose one per logical name: vpc first, then the instance, then the rest */
	choose(in, f, CRAFT_K_VPC);
	choose(in, f, CRAFT_K_INSTANCE);
	{
		static const enum craft_kind order[] = { CRAFT_K_SUBNET, CRAFT_K_SG,  CRAFT_K_IGW,
			                                 CRAFT_K_RTB,    CRAFT_K_KEY, CRAFT_K_EIP };

		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			choose(in, f, order[i]);
	}
	/* derived: the route, the associations, the eip association */
	{
		int rtb = craft_model_find(m, CRAFT_K_RTB, "public");
		int route = craft_model_find(m, CRAFT_K_ROUTE, "public-default");
		int eip = craft_model_find(m, CRAFT_K_EIP, "server");
		int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");
		int ea = craft_model_find(m, CRAFT_K_EIP_ASSOC, "server");

		for (int i = 0; rtb >= 0 && m->res[rtb].found && i < f->nroutes; i++)
			if (strcmp(f->routes[i].rtb, m->res[rtb].id) == 0) {
				m->res[route].found = 1;
				COPY(m->res[route].have.target, f->routes[i].gw);
				COPY(m->res[route].id, f->routes[i].gw);
				m->res[route].have.tags_ok = 1;
			}
		for (int i = 0; i < f->nassoc; i++) {
			int hit = -1;

			for (int j = 0; j < m->ndesired && rtb >= 0 && m->res[rtb].found; j++) {
				struct craft_res *r = &m->res[j];
				int sub;

				if (r->kind != CRAFT_K_RTB_ASSOC)
					continue;
				sub = craft_model_find(m, CRAFT_K_SUBNET, r->name);
				if (strcmp(f->assoc[i].rtb, m->res[rtb].id) == 0 &&
				    m->res[sub].found &&
				    strcmp(f->assoc[i].subnet, m->res[sub].id) == 0)
					hit = j;
			}
			if (hit >= 0) {
				m->res[hit].found = 1;
				m->res[hit].have.tags_ok = 1;
				COPY(m->res[hit].id, f->assoc[i].id);
				COPY(m->res[hit].have.target, f->assoc[i].subnet);
			} else {
				craft_model_add_extra(m, CRAFT_K_RTB_ASSOC, f->assoc[i].subnet,
				                      f->assoc[i].id);
			}
		}
		if (eip >= 0 && inst >= 0 && m->res[eip].found && m->res[inst].found &&
		    strcmp(m->res[eip].have.instance_id, m->res[inst].id) == 0) {
			m->res[ea].found = 1;
			m->res[ea].have.tags_ok = 1;
			COPY(m->res[ea].id, m->res[eip].have.assoc_id);
		}
	}
	/* every candidate not taken is an extra, to be deleted */
	for (int j = 0; j < f->n; j++) {
		struct craft_res *c = &f->cand[j];
		int x;

		if (c->desired)
			continue;
		x = craft_model_add_extra(m, c->kind, c->name, c->id);
		if (x >= 0) {
			m->res[x].have = c->have;
			COPY(m->res[x].state, c->state);
		}
	}
	/* round 2: attributes of what was kept */
	{
		int vpc = craft_model_find(m, CRAFT_K_VPC, "main");
		int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");

		if (attrs && m->res[vpc].found) {
			craft_query_init(&q);
			craft_query_add(&q, "VpcId", m->res[vpc].id);
			craft_query_add(&q, "Attribute", "enableDnsSupport");
			submit_discovery(f, "DescribeVpcAttribute", &q, parse_vpc_attr, 1);
			craft_query_release(&q);
			craft_query_init(&q);
			craft_query_add(&q, "VpcId", m->res[vpc].id);
			craft_query_add(&q, "Attribute", "enableDnsHostnames");
			submit_discovery(f, "DescribeVpcAttribute", &q, parse_vpc_attr, 1);
			craft_query_release(&q);
		}
		if (attrs && m->res[inst].found && m->res[inst].have.root_volume[0]) {
			craft_query_init(&q);
			craft_query_add(&q, "VolumeId.1", m->res[inst].have.root_volume);
			submit_discovery(f, "DescribeVolumes", &q, parse_volume, 1);
			craft_query_release(&q);
		}
		if (f->pending) {
			rc = craft_aws_run(in->aws, err);
			if (!rc && f->failed) {
				*err = f->err;
				rc = err->code ? err->code : CRAFT_EAWS;
			}
		}
	}
	if (!rc && wait_ip) {
		wait_checkip(in);
		if (in->ip_err.code && !m->my_cidr[0]) {
			*err = in->ip_err;
			rc = err->code;
		}
	}
	if (!rc) {
		craft_model_plan(m);
		in->discovered = 1;
	}
cleanup:
	free(f);
	return rc;
}

/* ---------------------------------------------------------------- public */

craft_code craft_infra_new(struct craft_infra **out, const struct craft_config *cfg,
                           struct craft_aws_client *aws, struct craft_state *st,
                           const struct craft_infra_opts *opts, struct craft_err *err)
{
	struct craft_infra *in = calloc(1, sizeof(*in));
	const char *url;

	*out = NULL;
	if (!in)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	in->cfg = cfg;
	in->aws = aws;
	in->st = st;
	if (opts)
		in->opts = *opts;
	url = in->opts.checkip_url ? in->opts.checkip_url : craft_env_get("CRAFTCTL_CHECKIP_URL");
	COPY(in->checkip_url, url ? url : CRAFT_CHECKIP_DEFAULT);
	*out = in;
	return CRAFT_OK;
}

void craft_infra_free(struct craft_infra *in)
{
	if (!in)
		return;
	join_checkip(in);
	free(in->pubkey);
	free(in);
}

const struct craft_model *craft_infra_model(const struct craft_infra *in)
{
	return &in->m;
}

craft_code craft_infra_discover(struct craft_infra *in, struct craft_err *err)
{
	start_checkip(in);
	return discover(in, 1, 1, err);
}

static void fill_outputs(struct craft_infra *in, struct craft_infra_outputs *out)
{
	struct craft_model *m = &in->m;
	int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");
	int eip = craft_model_find(m, CRAFT_K_EIP, "server");
	const struct craft_config *c = in->cfg;
	char port[16] = "";
	char *genkey = NULL;

	memset(out, 0, sizeof(*out));
	if (!c->ssh_key && c->ssh_key_generated)
		craft_config_generated_key_path(&genkey, c->stack, NULL);
	if (inst >= 0 && m->res[inst].found) {
		COPY(out->instance_id, m->res[inst].id);
		COPY(out->state, m->res[inst].state);
	}
	if (eip >= 0 && m->res[eip].found)
		COPY(out->address, m->res[eip].have.public_ip);
	if (!out->address[0] && inst >= 0)
		COPY(out->address, m->res[inst].have.public_ip);
	if (out->address[0]) {
		if (c->ssh_port != 22)
			snprintf(port, sizeof(port), " -p %d", c->ssh_port);
		snprintf(out->ssh, sizeof(out->ssh), "ssh -i %s%s %s@%s",
		         c->ssh_key ? c->ssh_key
		         : genkey   ? genkey
		                    : "KEY",
		         port, c->ssh_user, out->address);
		if (c->http_port == 80)
			snprintf(out->url, sizeof(out->url), "http://%s/", out->address);
		else
			snprintf(out->url, sizeof(out->url), "http://%s:%d/", out->address,
			         c->http_port);
	}
	free(genkey);
}

static void report_outputs(const struct craft_reporter *rep, const char *message,
                           const struct craft_infra_outputs *o, const char *extra_key,
                           const char *extra_val)
{
	struct craft_field fields[6];
	struct craft_event ev;
	int n = 0;

	fields[n++] = (struct craft_field){ "instance_id", o->instance_id };
	fields[n++] = (struct craft_field){ "public_ip", o->address };
	fields[n++] = (struct craft_field){ "ssh", o->ssh };
	fields[n++] = (struct craft_field){ "url", o->url };
	if (extra_key)
		fields[n++] = (struct craft_field){ extra_key, extra_val };
	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_RESULT;
	ev.level = CRAFT_LEVEL_INFO;
	ev.message = message;
	ev.fields = fields;
	ev.nfields = n;
	ev.elapsed_ms = -1;
	craft_report(rep, &ev);
}

craft_code craft_infra_plan(struct craft_infra *in, int *changes, struct craft_err *err)
{
	struct eng e;
	craft_code rc;
	int counts[6];
	char msg[200];

	*changes = 0;
	rc = craft_infra_discover(in, err);
	if (rc)
		return rc;
	memset(&e, 0, sizeof(e));
	e.in = in;
	e.m = &in->m;
	e.rep = in->opts.reporter;
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];

		if (r->kind == CRAFT_K_IMAGE)
			continue;
		report_res(&e, r, craft_action_name(r->action), -1, r->why);
		if (r->action != CRAFT_A_KEEP)
			(*changes)++;
	}
	craft_model_count(&in->m, counts);
	if (*changes)
		snprintf(msg, sizeof(msg),
		         "plan: %d to create, %d to update, %d to replace, %d to delete, %d kept",
		         counts[CRAFT_A_CREATE], counts[CRAFT_A_UPDATE], counts[CRAFT_A_REPLACE],
		         counts[CRAFT_A_DELETE], counts[CRAFT_A_KEEP]);
	else
		snprintf(msg, sizeof(msg), "plan: no changes (%d resources up to date)",
		         counts[CRAFT_A_KEEP]);
	{
		struct craft_event ev;
		char nchanges[16];
		struct craft_field fields[1] = { { "changes", nchanges } };

		snprintf(nchanges, sizeof(nchanges), "%d", *changes);
		memset(&ev, 0, sizeof(ev));
		ev.kind = CRAFT_EV_RESULT;
		ev.level = CRAFT_LEVEL_INFO;
		ev.message = msg;
		ev.fields = fields;
		ev.nfields = 1;
		ev.elapsed_ms = -1;
		craft_report(in->opts.reporter, &ev);
	}
	return CRAFT_OK;
}

static craft_code apply(struct craft_infra *in, struct eng *e, int *counts, struct craft_err *err)
{
	craft_code rc;
	int del = 0, work = 0;

	memset(e, 0, sizeof(*e));
	e->in = in;
	e->m = &in->m;
	e->cfg = in->cfg;
	e->aws = in->aws;
	e->rep = in->opts.reporter;
	e->ops = calloc((size_t)CRAFT_MAX_RES, sizeof(*e->ops));
	if (!e->ops)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];

		del += r->action == CRAFT_A_DELETE || (r->action == CRAFT_A_REPLACE && r->found);
		work += r->action != CRAFT_A_KEEP && r->kind != CRAFT_K_IMAGE;
		if (r->kind != CRAFT_K_IMAGE && r->action != CRAFT_A_KEEP && counts)
			counts[r->action]++;
		else if (r->kind != CRAFT_K_IMAGE && counts)
			counts[CRAFT_A_KEEP]++;
	}
	rc = CRAFT_OK;
	if (del)
		rc = run_phase(e, 1, err);
	if (!rc && work)
		rc = run_phase(e, 0, err);
	free(e->ops);
	e->ops = NULL;
	return rc;
}

/*
 * Discovery again after an apply, to find twins of creates that were retried
 * after an unclear failure. What this run made is known by id even when an
 * eventually consistent Describe does not show it yet: such a resource is
 * taken as created (never created twice), and a visible resource of the
 * same name that is not the one this run made is an extra.
 */
static craft_code rediscover(struct craft_infra *in, struct craft_err *err)
{
	struct known {
		enum craft_kind kind;
		char name[32];
		char id[64];
	} *known = calloc((size_t)CRAFT_MAX_RES, sizeof(*known));
	int nknown = 0;
	struct craft_model *m = &in->m;
	craft_code rc;

	if (!known)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	for (int i = 0; i < m->ndesired; i++)
		if (m->res[i].kind != CRAFT_K_IMAGE && m->res[i].id[0]) {
			known[nknown].kind = m->res[i].kind;
			COPY(known[nknown].name, m->res[i].name);
			COPY(known[nknown].id, m->res[i].id);
			nknown++;
		}
	rc = discover(in, 1, 1, err);
	if (rc) {
		free(known);
		return rc;
	}
	/* in dependency order, so assumed properties see their dependencies' ids */
	for (int i = 0; i < m->ndesired; i++) {
		struct craft_res *r = &m->res[i];

		for (int k = 0; k < nknown; k++) {
			if (known[k].kind != r->kind || strcmp(known[k].name, r->name) != 0)
				continue;
			if (r->found && strcmp(r->id, known[k].id) == 0)
				break;
			if (r->found && craft_kind_tagged(r->kind)) {
				int x = craft_model_add_extra(m, r->kind, r->name, r->id);

				if (x >= 0) {
					m->res[x].have = r->have;
					COPY(m->res[x].state, r->state);
				}
			}
			craft_model_assume_created(m, i, known[k].id);
			break;
		}
	}
	craft_model_plan(m);
	free(known);
	return CRAFT_OK;
}

/* After a failed apply: how much of the stack exists, counted from what
 * discovery found and what this run made (the ids it was given). */
static void report_stopped(struct craft_infra *in)
{
	int have = 0, want = 0;

	for (int i = 0; i < in->m.ndesired; i++) {
		const struct craft_res *r = &in->m.res[i];

		if (r->kind == CRAFT_K_IMAGE)
			continue;
		want++;
		have += r->found || r->id[0];
	}
	craft_logf(in->opts.reporter, CRAFT_LEVEL_WARN,
	           "provision stopped: %d of the stack's %d resources exist; a re-run continues "
	           "from there",
	           have, want);
}

craft_code craft_infra_provision(struct craft_infra *in, struct craft_infra_outputs *out,
                                 struct craft_err *err)
{
	struct eng e;
	long long t0 = craft_now_ms();
	int counts[6] = { 0 };
	char msg[256];
	craft_code rc;
	int pass;

	memset(out, 0, sizeof(*out));
	phase(in->opts.reporter, 0, "provision", 0, 0);
	free(in->pubkey);
	in->pubkey = NULL;
	rc = craft_config_public_key(&in->pubkey, in->cfg, err);
	if (rc)
		goto done;
	rc = craft_infra_discover(in, err);
	if (rc)
		goto done;
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];

		if (r->action == CRAFT_A_REPLACE && !in->opts.replace) {
			struct eng pe;

			memset(&pe, 0, sizeof(pe));
			pe.m = &in->m;
			pe.rep = in->opts.reporter;
			for (int j = 0; j < in->m.n; j++)
				if (in->m.res[j].action == CRAFT_A_REPLACE)
					report_res(&pe, &in->m.res[j], "replace", -1,
					           in->m.res[j].why);
			rc = craft_err_set(err, CRAFT_EUSAGE,
			                   "%s %s must be replaced (%s); nothing was changed: run "
			                   "'craftctl provision --replace' to replace it",
			                   craft_kind_name(r->kind), r->name, r->why);
			goto done;
		}
	}
	/* the cache learns what discovery found (it may have been lost) */
	if (in->st) {
		for (int i = 0; i < in->m.ndesired; i++) {
			struct craft_res *r = &in->m.res[i];

			if (r->found && craft_kind_tagged(r->kind))
				craft_state_set_id(in->st, craft_kind_name(r->kind), r->name,
				                   r->id);
		}
		if (craft_state_save(in->st, err) != CRAFT_OK) {
			craft_logf(in->opts.reporter, CRAFT_LEVEL_WARN, "%s", err->msg);
			craft_err_init(err);
		}
	}
	for (pass = 0; pass < 3; pass++) {
		rc = apply(in, &e, pass == 0 ? counts : NULL, err);
		if (rc) {
			report_stopped(in);
			goto done;
		}
		/* a create retried after an unclear failure may have made a twin:
		 * look again and clean up, so one run converges */
		if (!e.ambiguous)
			break;
		craft_logf(in->opts.reporter, CRAFT_LEVEL_DEBUG,
		           "a create was retried after an unclear failure: checking for twins");
		rc = rediscover(in, err);
		if (rc)
			goto done;
		{
			int changes = 0;

			for (int i = 0; i < in->m.n; i++)
				changes += in->m.res[i].action != CRAFT_A_KEEP &&
				           in->m.res[i].kind != CRAFT_K_IMAGE;
			if (!changes)
				break;
		}
	}
	/* the outputs: the eip's address (the model has it from discovery or create) */
	fill_outputs(in, out);
	{
		int eip = craft_model_find(&in->m, CRAFT_K_EIP, "server");

		if (eip >= 0 && !out->address[0])
			COPY(out->address, in->m.res[eip].have.public_ip);
		fill_outputs(in, out);
		if (!out->address[0] && eip >= 0)
			COPY(out->address, in->m.res[eip].have.public_ip);
	}
	snprintf(msg, sizeof(msg),
	         "provision complete: %d created, %d updated, %d replaced, %d kept, %d deleted in "
	         "%.1fs",
	         counts[CRAFT_A_CREATE], counts[CRAFT_A_UPDATE], counts[CRAFT_A_REPLACE],
	         counts[CRAFT_A_KEEP], counts[CRAFT_A_DELETE],
	         (double)(craft_now_ms() - t0) / 1000.0);
	report_outputs(in->opts.reporter, msg, out, NULL, NULL);
done:
	phase(in->opts.reporter, 1, "provision", craft_now_ms() - t0, rc);
	return rc;
}

craft_code craft_infra_status(struct craft_infra *in, int *drift, struct craft_infra_outputs *out,
                              struct craft_err *err)
{
	struct eng e;
	craft_code rc;
	char msg[200];
	char ndrift[16];

	*drift = 0;
	rc = craft_infra_discover(in, err);
	if (rc)
		return rc;
	memset(&e, 0, sizeof(e));
	e.m = &in->m;
	e.rep = in->opts.reporter;
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];
		char note[260];

		if (r->kind == CRAFT_K_IMAGE)
			continue;
		if (r->action != CRAFT_A_KEEP)
			(*drift)++;
		snprintf(note, sizeof(note), "%s%s%s",
		         r->action == CRAFT_A_KEEP ? "" : craft_action_name(r->action),
		         r->why[0] ? ": " : "", r->why);
		report_res(&e, r, r->found ? (r->state[0] ? r->state : "present") : "missing", -1,
		           note);
	}
	fill_outputs(in, out);
	snprintf(ndrift, sizeof(ndrift), "%d", *drift);
	snprintf(msg, sizeof(msg), "status: %s%s",
	         out->instance_id[0] ? "instance " : "no instance",
	         out->instance_id[0] ? out->state : "");
	report_outputs(in->opts.reporter, msg, out, "drift", ndrift);
	return CRAFT_OK;
}

int craft_infra_count_found(const struct craft_infra *in)
{
	int n = 0;

	for (int i = 0; i < in->m.n; i++)
		n += in->m.res[i].found && in->m.res[i].kind != CRAFT_K_IMAGE &&
		     (craft_kind_tagged(in->m.res[i].kind));
	return n;
}

static int sleep_ms(const struct craft_infra *in, long ms)
{
	for (; ms > 0 && !cancelled(in); ms -= 100) {
		struct timespec ts = { 0, (ms < 100 ? ms : 100) * 1000000L };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	return cancelled(in);
}

/*
 * A destroy does not trust the answers of its deletes: one more discovery
 * must find nothing tagged with the stack. A delete that AWS applies
 * eventually is waited for (CRAFTCTL_DESTROY_SETTLE_S, default 30 s) with
 * backoff; what is still there then is named, with its id.
 */
static craft_code verify_gone(struct craft_infra *in, struct craft_err *err)
{
	long long t0 = craft_now_ms(), last_note = t0;
	long window_ms = 30000, delay = 500;
	const char *v = craft_env_get("CRAFTCTL_DESTROY_SETTLE_S");
	craft_code rc;

	if (v && *v) {
		char *end = NULL;
		long sec = strtol(v, &end, 10);

		if (*end || sec < 0 || sec > 3600)
			return craft_err_set(
			        err, CRAFT_EUSAGE,
			        "CRAFTCTL_DESTROY_SETTLE_S must be 0-3600 seconds (got "
			        "'%s')",
			        v);
		window_ms = sec * 1000;
	}
	for (;;) {
		char left[600] = "";
		size_t len = 0;
		int nleft = 0;
		long long now;

		rc = discover(in, 0, 0, err);
		if (rc)
			return craft_err_prefix(err, "checking that everything is gone");
		for (int i = 0; i < in->m.n; i++) {
			const struct craft_res *r = &in->m.res[i];

			if (!r->found || !craft_kind_tagged(r->kind))
				continue;
			if (nleft++ < 6 && len < sizeof(left))
				len += (size_t)snprintf(left + len, sizeof(left) - len,
				                        "%s%s %s %s", len ? ", " : "",
				                        craft_kind_name(r->kind), r->name, r->id);
		}
		if (nleft == 0)
			return CRAFT_OK;
		now = craft_now_ms();
		if (now - t0 >= window_ms)
			return craft_err_set(
			        err, CRAFT_EAWS,
			        "destroy is not complete: %d resource%s tagged "
			        "craftctl:stack=%s still exist%s %.0f s after %s delete "
			        "was answered with success: %s%s; run 'craftctl destroy' "
			        "again, or delete %s in the AWS console",
			        nleft, nleft == 1 ? "" : "s", in->cfg->stack, nleft == 1 ? "s" : "",
			        (double)(now - t0) / 1000.0, nleft == 1 ? "its" : "their", left,
			        nleft > 6 ? ", ..." : "", nleft == 1 ? "it" : "them");
		if (now - last_note >= 10000) {
			last_note = now;
			craft_logf(in->opts.reporter, CRAFT_LEVEL_INFO,
			           "  ... still waiting for %d deleted resource%s to go (%s)",
			           nleft, nleft == 1 ? "" : "s", left);
		}
		if (sleep_ms(in, delay))
			return craft_err_set(err, CRAFT_EINTR,
			                     "interrupted: a re-run of destroy finishes the job");
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
	}
}

craft_code craft_infra_destroy(struct craft_infra *in, int (*confirm)(void *ud, int count),
                               void *ud, int *deleted, struct craft_err *err)
{
	struct eng e;
	long long t0 = craft_now_ms();
	craft_code rc;
	char msg[160];
	int n = 0;

	*deleted = 0;
	phase(in->opts.reporter, 0, "destroy", 0, 0);
	rc = discover(in, 0, 0, err);
	if (rc)
		goto done;
	/* everything found goes: tagged resources, and the associations of its tables */
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];

		if (r->found && (craft_kind_tagged(r->kind) || (r->kind == CRAFT_K_RTB_ASSOC))) {
			r->action = CRAFT_A_DELETE;
			n += craft_kind_tagged(r->kind);
		} else {
			r->action = CRAFT_A_KEEP;
		}
	}
	if (n == 0) {
		craft_logf(in->opts.reporter, CRAFT_LEVEL_INFO,
		           "nothing to destroy: no resource is tagged craftctl:stack=%s",
		           in->cfg->stack);
		if (in->st)
			craft_state_remove(in->st, err);
		goto done;
	}
	if (confirm && !confirm(ud, n)) {
		rc = craft_err_set(err, CRAFT_EUSAGE, "destroy cancelled; nothing was changed");
		goto done;
	}
	rc = apply(in, &e, NULL, err);
	if (rc)
		goto done;
	rc = verify_gone(in, err);
	if (rc)
		goto done;
	*deleted = n;
	if (in->st) {
		craft_state_remove(in->st, err);
		craft_err_init(err);
	}
	snprintf(msg, sizeof(msg), "destroy complete: %d deleted in %.1fs", n,
	         (double)(craft_now_ms() - t0) / 1000.0);
	craft_logf(in->opts.reporter, CRAFT_LEVEL_INFO, "%s", msg);
done:
	phase(in->opts.reporter, 1, "destroy", craft_now_ms() - t0, rc);
	return rc;
}

/* ---------------------------------------------------------------- for deploy */

craft_code craft_infra_find_instance(struct craft_infra_instance *out,
                                     const struct craft_config *cfg, struct craft_aws_client *aws,
                                     struct craft_state *st, struct craft_err *err)
{
	struct found *f = calloc(1, sizeof(*f));
	struct craft_infra in;
	struct craft_query q;
	const char *states[] = { "pending", "running", "stopping", "stopped" };
	const char *vals[1] = { "server" };
	craft_code rc;
	const struct craft_res *best = NULL, *eip = NULL;
	const char *cached;

	memset(out, 0, sizeof(*out));
	if (!f)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.aws = aws;
	in.st = st;
	f->in = &in;
	f->aws = aws;
	craft_query_init(&q);
	stack_filter(&q, 1, cfg->stack);
	craft_query_add_filter(&q, 2, "instance-state-name", states, 4);
	craft_query_add_filter(&q, 3, "tag:craftctl:resource", vals, 1);
	submit_discovery(f, "DescribeInstances", &q, parse_instances, 0);
	craft_query_release(&q);
	craft_query_init(&q);
	stack_filter(&q, 1, cfg->stack);
	craft_query_add_filter(&q, 2, "tag:craftctl:resource", vals, 1);
	submit_discovery(f, "DescribeAddresses", &q, parse_addresses, 0);
	craft_query_release(&q);
	rc = craft_aws_run(aws, err);
	if (!rc && f->failed) {
		*err = f->err;
		rc = err->code ? err->code : CRAFT_EAWS;
	}
	if (rc)
		goto cleanup;
	cached = st ? craft_state_get_id(st, "instance", "server") : NULL;
	for (int i = 0; i < f->n; i++) {
		const struct craft_res *c = &f->cand[i];
		int better;

		if (c->kind != CRAFT_K_INSTANCE)
			continue;
		better =
		        !best ||
		        (strcmp(c->state, "running") == 0 && strcmp(best->state, "running") != 0) ||
		        (cached && strcmp(c->id, cached) == 0);
		if (better)
			best = c;
	}
	if (!best) {
		rc = craft_err_set(err, CRAFT_ENOTFOUND,
		                   "stack '%s' has no instance: run 'craftctl provision' first",
		                   cfg->stack);
		goto cleanup;
	}
	for (int i = 0; i < f->n; i++)
		if (f->cand[i].kind == CRAFT_K_EIP &&
		    (!eip || strcmp(f->cand[i].have.instance_id, best->id) == 0))
			eip = &f->cand[i];
	COPY(out->id, best->id);
	COPY(out->state, best->state);
	if (eip && strcmp(eip->have.instance_id, best->id) == 0)
		COPY(out->address, eip->have.public_ip);
	else
		COPY(out->address, best->have.public_ip);
	if (st && craft_state_get(st, "host_key") && craft_state_get(st, "host_key_instance") &&
	    strcmp(craft_state_get(st, "host_key_instance"), best->id) == 0) {
		COPY(out->host_key, craft_state_get(st, "host_key"));
		COPY(out->host_key_source, "state");
	} else if (best->have.host_key[0]) {
		COPY(out->host_key, best->have.host_key);
		COPY(out->host_key_source, "tag");
	}
cleanup:
	free(f);
	return rc;
}

craft_code craft_infra_pin_host_key(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    struct craft_state *st, const char *instance_id,
                                    const char *host_key, struct craft_err *err)
{
	struct craft_query q;
	craft_code rc;

	(void)cfg;
	if (!host_key || strlen(host_key) > 255 || !instance_id || !*instance_id)
		return craft_err_set(err, CRAFT_EINTERNAL,
		                     "a host key to pin must be 1 to 255 characters");
	craft_query_init(&q);
	craft_query_add(&q, "ResourceId.1", instance_id);
	craft_query_add(&q, "Tag.1.Key", "craftctl:host-key");
	craft_query_add(&q, "Tag.1.Value", host_key);
	rc = craft_aws_call(aws, "ec2", "CreateTags", &q, NULL, err);
	craft_query_release(&q);
	if (rc)
		return rc;
	if (st) {
		craft_state_set(st, "host_key", host_key);
		craft_state_set(st, "host_key_instance", instance_id);
		rc = craft_state_save(st, err);
	}
	return rc;
}
