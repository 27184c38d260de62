/*
 * discover — what AWS has of the stack: one round of Describe calls (one
 * per kind with a describe in its row, all concurrent, filtered by the
 * stack's tag), one candidate kept per logical name (the state cache's id
 * first, then what the instance uses), the derived resources (the route,
 * the associations), every other candidate an extra to delete, and a
 * second round for the details the lists do not show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "infra/internal.h"

struct dcall {
	struct found *f;
	const char *action;
	void (*parse)(struct found *f, xmlNodePtr root);
	int optional; /* round 2: NotFound leaves the details unknown */
};

struct craft_res *eng_cand(struct found *f, enum craft_kind kind, xmlNodePtr item, const char *id)
{
	struct craft_res *c;
	const char *name = eng_tag_of(item, "craftctl:resource");

	if (f->n >= CRAFT_MAX_RES || !id)
		return NULL;
	c = &f->cand[f->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	COPY(c->name, name ? name : "?");
	COPY(c->id, id);
	c->found = 1;
	c->have.dns_support = c->have.dns_hostnames = -1;
	c->have.tags_ok = eng_tags_ok(f->in->cfg, item);
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

static void on_discovered(void *ud, const struct craft_aws_result *res)
{
	struct dcall *d = ud;
	struct found *f = d->f;

	if (res->code == CRAFT_OK) {
		d->parse(f, xmlDocGetRootElement(res->doc));
	} else if (d->optional && res->code == CRAFT_EAWS && eng_is_notfound(res->err.aws_code)) {
		/* a detail of something just made, not visible yet: left unknown */
	} else if (!f->failed) {
		f->failed = 1;
		f->err = res->err;
		craft_err_prefix(&f->err, "%s", d->action);
	}
	f->pending--;
	free(d);
}

void eng_submit_discovery(struct found *f, const char *action, struct craft_query *q,
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
	case CRAFT_K_VOLUME:
		if (ri && strcmp(c->have.instance_id, ri->id) == 0)
			s += 1000;
		break;
	default:
		break;
	}
	return s;
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
			if (craft_kinds[kind]->vpc_scoped &&
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

/* The stack's public key, when it can be read (plan and status may run
 * where the generated key does not exist: then keys are not compared). */
/* The stack's public key, when its file exists yet (a generated key is
 * made by provision), to compare with the key pair's. */
static void load_pubkey(struct craft_infra *in)
{
	if (!in->pubkey && in->cfg->ssh_key)
		craft_config_public_key(&in->pubkey, in->cfg, NULL);
}

craft_code eng_discover(struct craft_infra *in, int wait_ip, int attrs, struct craft_err *err)
{
	struct found *f = calloc(1, sizeof(*f));
	struct craft_model *m = &in->m;
	struct craft_query q;
	craft_code rc;

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
	eng_submit_discovery(f, "DescribeAvailabilityZones", &q, parse_azs, 0);
	for (int k = 0; k < CRAFT_K__COUNT; k++) {
		const struct craft_kind_def *d = craft_kinds[k];

		if (!d->describe)
			continue;
		craft_query_release(&q);
		craft_query_init(&q);
		eng_stack_filter(&q, 1, in->cfg->stack);
		if (d->describe_params)
			d->describe_params(&q);
		eng_submit_discovery(f, d->describe, &q, d->parse, 0);
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
	{
		int vol = craft_model_find(m, CRAFT_K_VOLUME, "data");

		if (vol >= 0)
			COPY(m->res[vol].want.az, m->azs[0]);
	}
	/* choose one per logical name: the vpc first (the others count only
	 * inside it), then the instance (subnets, groups and addresses score by
	 * it), then the rest */
	choose(in, f, CRAFT_K_VPC);
	choose(in, f, CRAFT_K_INSTANCE);
	for (int k = 0; k < CRAFT_K__COUNT; k++)
		if (craft_kinds[k]->describe && k != CRAFT_K_VPC && k != CRAFT_K_INSTANCE)
			choose(in, f, (enum craft_kind)k);
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
		int vol = craft_model_find(m, CRAFT_K_VOLUME, "data");
		int va = craft_model_find(m, CRAFT_K_VOLUME_ATTACH, "data");

		if (vol >= 0 && va >= 0 && inst >= 0 && m->res[vol].found && m->res[inst].found &&
		    strcmp(m->res[vol].have.instance_id, m->res[inst].id) == 0 &&
		    strcmp(m->res[vol].have.attach_state, "attached") == 0) {
			/* (attaching, after an interrupted run: the attach op waits
			 * for it, its AttachVolume answered VolumeInUse) */
			m->res[va].found = 1;
			m->res[va].have.tags_ok = 1;
			char id[64];

			snprintf(id, sizeof(id), "%.31s@%.31s", m->res[vol].id, m->res[inst].id);
			COPY(m->res[va].id, id);
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
	/* round 2: details of what was kept */
	{
		for (int i = 0; attrs && i < m->ndesired; i++)
			if (m->res[i].found && craft_kinds[m->res[i].kind]->details)
				craft_kinds[m->res[i].kind]->details(f, &m->res[i]);
		if (f->pending) {
			rc = craft_aws_run(in->aws, err);
			if (!rc && f->failed) {
				*err = f->err;
				rc = err->code ? err->code : CRAFT_EAWS;
			}
		}
	}
	if (!rc && wait_ip) {
		eng_checkip_wait(in);
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

/*
 * Discovery again after an apply, to find twins of creates that were retried
 * after an unclear failure. What this run made is known by id even when an
 * eventually consistent Describe does not show it yet: such a resource is
 * taken as created (never created twice), and a visible resource of the
 * same name that is not the one this run made is an extra.
 */
craft_code eng_rediscover(struct craft_infra *in, struct craft_err *err)
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
	rc = eng_discover(in, 1, 1, err);
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
