/*
 * engine — plan, provision, status and destroy, and the scheduler that
 * runs them on the AWS client's event loop.
 *
 * Each resource that needs work gets an op: a short list of steps (AWS
 * calls, steps.c), built by its kind's row (kind.h, kinds/) and extended by
 * step hooks as ids arrive. A step may be a wait (the same call polled
 * until a check passes). The scheduler starts an op as soon as its
 * dependencies are ready, so independent resources run concurrently;
 * deletes wait for the kinds listed in their row's delete_after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/env.h"
#include "infra/internal.h"

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
		unsigned after = craft_kinds[r->kind]->delete_after;

		for (int j = 0; j < e->m->n; j++) {
			struct craft_res *x = &e->m->res[j];

			if (j != i && (after & CRAFT_KIND_BIT(x->kind)) && in_phase(e, x) &&
			    !e->ops[j].done)
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
	eng_schedule(ud);
}

static void start(struct eng *e, int i)
{
	struct op *o = &e->ops[i];
	struct craft_res *r = &e->m->res[i];
	const struct craft_kind_def *k = craft_kinds[r->kind];
	void (*fn)(struct op *) = NULL;

	o->started = 1;
	o->t0 = craft_now_ms();
	eng_release_steps(o);
	if (e->deleting) {
		fn = k->remove;
		if (r->action == CRAFT_A_REPLACE)
			eng_report(e, r, "deleting", -1, "replaced");
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
	if (!e->deleting && k->gate) {
		int go = k->gate(o);

		if (go == 0) { /* asked again soon */
			o->started = 0;
			craft_aws_timer(e->aws, 25, schedule_cb, e);
			return;
		}
		if (go < 0)
			return;
	}
	if (fn)
		fn(o);
	if (!o->done)
		eng_run_step(o);
}

void eng_schedule(struct eng *e)
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
		eng_release_steps(&e->ops[i]);
		memset(&e->ops[i], 0, sizeof(e->ops[i]));
		e->ops[i].e = e;
		e->ops[i].idx = i;
	}
	eng_schedule(e);
	rc = craft_aws_run(e->aws, err);
	for (int i = 0; i < e->m->n; i++)
		eng_release_steps(&e->ops[i]);
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
	eng_checkip_join(in);
	free(in->pubkey);
	free(in);
}

const struct craft_model *craft_infra_model(const struct craft_infra *in)
{
	return &in->m;
}

craft_code craft_infra_discover(struct craft_infra *in, struct craft_err *err)
{
	eng_checkip_start(in);
	return eng_discover(in, 1, 1, err);
}

static void fill_outputs(struct craft_infra *in, struct craft_infra_outputs *out)
{
	struct craft_model *m = &in->m;
	int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");
	int eip = craft_model_find(m, CRAFT_K_EIP, "server");
	const struct craft_config *c = in->cfg;
	char port[16] = "";

	memset(out, 0, sizeof(*out));
	if (inst >= 0 && m->res[inst].found) {
		COPY(out->instance_id, m->res[inst].id);
		COPY(out->state, m->res[inst].state);
	}
	if (eip >= 0 && m->res[eip].found)
		COPY(out->address, m->res[eip].have.public_ip);
	{
		int vol = craft_model_find(m, CRAFT_K_VOLUME, "data");

		if (vol >= 0 && m->res[vol].found)
			COPY(out->data_volume, m->res[vol].id);
	}
	if (!out->address[0] && inst >= 0)
		COPY(out->address, m->res[inst].have.public_ip);
	if (out->address[0]) {
		if (c->ssh_port != 22)
			snprintf(port, sizeof(port), " -p %d", c->ssh_port);
		snprintf(out->ssh, sizeof(out->ssh), "ssh -i %s%s %s@%s",
		         c->ssh_key ? c->ssh_key : "KEY", port, c->ssh_user, out->address);
		if (c->http_port == 80)
			snprintf(out->url, sizeof(out->url), "http://%s/", out->address);
		else
			snprintf(out->url, sizeof(out->url), "http://%s:%d/", out->address,
			         c->http_port);
	}
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
	craft_event_init(&ev, CRAFT_EV_RESULT, CRAFT_LEVEL_INFO);
	ev.message = message;
	ev.fields = fields;
	ev.nfields = n;
	craft_report(rep, &ev);
}

static void warn_no_data_volume(const struct craft_infra *in)
{
	if (!in->cfg->data_volume)
		craft_logf(in->opts.reporter, CRAFT_LEVEL_WARN,
		           "instance.data_volume is false: the stack's data lives on the root "
		           "disk and is lost when the instance is replaced or retired");
}

craft_code craft_infra_plan(struct craft_infra *in, int *changes, struct craft_err *err)
{
	struct eng e;
	craft_code rc;
	int counts[6];
	char msg[200];

	*changes = 0;
	warn_no_data_volume(in);
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
		eng_report(&e, r, craft_action_name(r->action), -1, r->why);
		if (r->action != CRAFT_A_KEEP)
			(*changes)++;
	}
	craft_model_count(&in->m, counts);
	if (in->m.refusal[0])
		return craft_err_set(err, CRAFT_ECONFIG, "provision would refuse: %s",
		                     in->m.refusal);
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
		craft_event_init(&ev, CRAFT_EV_RESULT, CRAFT_LEVEL_INFO);
		ev.message = msg;
		ev.fields = fields;
		ev.nfields = 1;
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
	eng_phase(in->opts.reporter, 0, "provision", 0, 0);
	warn_no_data_volume(in);
	free(in->pubkey);
	in->pubkey = NULL;
	rc = craft_config_public_key(&in->pubkey, in->cfg, err);
	if (rc)
		goto done;
	rc = craft_infra_discover(in, err);
	if (rc)
		goto done;
	if (in->m.refusal[0]) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "%s; nothing was changed", in->m.refusal);
		goto done;
	}
	for (int i = 0; i < in->m.n; i++) {
		struct craft_res *r = &in->m.res[i];

		if (r->action == CRAFT_A_REPLACE && !in->opts.replace) {
			struct eng pe;

			memset(&pe, 0, sizeof(pe));
			pe.m = &in->m;
			pe.rep = in->opts.reporter;
			for (int j = 0; j < in->m.n; j++)
				if (in->m.res[j].action == CRAFT_A_REPLACE)
					eng_report(&pe, &in->m.res[j], "replace", -1,
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
		rc = eng_rediscover(in, err);
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
	eng_phase(in->opts.reporter, 1, "provision", craft_now_ms() - t0, rc);
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
		eng_report(&e, r, r->found ? (r->state[0] ? r->state : "present") : "missing", -1,
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

		rc = eng_discover(in, 0, 0, err);
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
		if (craft_sleep_ms(delay, in->opts.cancel))
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
	char kept[4][160];
	int n = 0, nkept = 0;

	*deleted = 0;
	eng_phase(in->opts.reporter, 0, "destroy", 0, 0);
	rc = eng_discover(in, 0, 0, err);
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
	/* what destroy keeps, before the final discovery rebuilds the model */
	for (int i = 0; i < in->m.n && nkept < 4; i++)
		if (in->m.res[i].kind == CRAFT_K_VOLUME && in->m.res[i].have.snapshot[0])
			snprintf(kept[nkept++], sizeof(kept[0]),
			         "kept: %s, the final snapshot of data volume %s",
			         in->m.res[i].have.snapshot, in->m.res[i].id);
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
	for (int i = 0; i < nkept; i++)
		craft_logf(in->opts.reporter, CRAFT_LEVEL_INFO, "%s", kept[i]);
done:
	eng_phase(in->opts.reporter, 1, "destroy", craft_now_ms() - t0, rc);
	return rc;
}
