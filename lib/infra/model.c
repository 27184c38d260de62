/*
 * model — desired resources from the config, and the plan (pure).
 */
#include "infra/model.h"

#include "core/base64.h"
#include "infra/kind.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *craft_kind_name(enum craft_kind k)
{
	return (unsigned)k < CRAFT_K__COUNT ? craft_kinds[k]->name : "?";
}

int craft_kind_tagged(enum craft_kind k)
{
	return (unsigned)k < CRAFT_K__COUNT && craft_kinds[k]->tagged;
}

const char *craft_action_name(enum craft_action a)
{
	static const char *const names[] = {
		"none", "keep", "create", "update", "replace", "delete"
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

static int add(struct craft_model *m, enum craft_kind kind, const char *name)
{
	struct craft_res *r;

	if (m->n >= CRAFT_MAX_RES)
		return -1;
	r = &m->res[m->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->desired = 1;
	r->have.dns_support = r->have.dns_hostnames = -1;
	return m->n++;
}

static void dep(struct craft_model *m, int i, int on)
{
	struct craft_res *r;

	if (i < 0 || on < 0)
		return; /* the model is full: craft_model_build fails below */
	r = &m->res[i];
	if (r->ndep < CRAFT_MAX_DEPS)
		r->dep[r->ndep++] = on;
}

void craft_model_rules(const struct craft_model *m, struct craft_rule *rules, int *nrules)
{
	const struct craft_config *c = m->cfg;
	int n = 0;
	int ports[2] = { c->http_port, 443 };

	for (int i = 0; i < c->n_ssh_from && n < CRAFT_MAX_RULES; i++) {
		const char *cidr =
		        strcmp(c->ssh_from[i], "auto") == 0 ? m->my_cidr : c->ssh_from[i];
		int dup = 0;

		for (int j = 0; j < n; j++)
			dup |= rules[j].port == c->ssh_port && strcmp(rules[j].cidr, cidr) == 0;
		if (!cidr[0] || dup)
			continue;
		rules[n].port = c->ssh_port;
		snprintf(rules[n].cidr, sizeof(rules[n].cidr), "%s", cidr);
		n++;
	}
	for (int p = 0; p < 2; p++) {
		if (p == 1 && ports[1] == ports[0])
			continue;
		for (int i = 0; i < c->n_http_from && n < CRAFT_MAX_RULES; i++) {
			int dup = 0;

			for (int j = 0; j < n; j++)
				dup |= rules[j].port == ports[p] &&
				       strcmp(rules[j].cidr, c->http_from[i]) == 0;
			if (dup)
				continue;
			rules[n].port = ports[p];
			snprintf(rules[n].cidr, sizeof(rules[n].cidr), "%s", c->http_from[i]);
			n++;
		}
	}
	*nrules = n;
}

craft_code craft_model_build(struct craft_model *m, const struct craft_config *cfg,
                             struct craft_err *err)
{
	int image, vpc, igw, rtb, sg, key, inst, eip, pub[6], i;
	char name[32];

	m->cfg = cfg;
	m->n = 0;
	image = add(m, CRAFT_K_IMAGE, "ami");
	vpc = add(m, CRAFT_K_VPC, "main");
	snprintf(m->res[vpc].want.cidr, sizeof(m->res[vpc].want.cidr), "%s", cfg->cidr);
	m->res[vpc].want.dns_support = m->res[vpc].want.dns_hostnames = 1;
	igw = add(m, CRAFT_K_IGW, "main");
	dep(m, igw, vpc);
	for (int pass = 0; pass < 2; pass++) {
		for (int z = 0; z < cfg->az_count; z++) {
			snprintf(name, sizeof(name), "%s-%d", pass ? "private" : "public", z + 1);
			i = add(m, CRAFT_K_SUBNET, name);
			if (i < 0)
				break;
			dep(m, i, vpc);
			if (craft_config_subnet_cidr(m->res[i].want.cidr,
			                             sizeof(m->res[i].want.cidr), cfg->cidr,
			                             pass * 8 + z) != CRAFT_OK)
				return craft_err_set(err, CRAFT_ECONFIG,
				                     "cannot carve subnets from '%s'", cfg->cidr);
			m->res[i].want.map_public = !pass;
			if (!pass)
				pub[z] = i;
		}
	}
	rtb = add(m, CRAFT_K_RTB, "public");
	dep(m, rtb, vpc);
	i = add(m, CRAFT_K_ROUTE, "public-default");
	dep(m, i, rtb);
	dep(m, i, igw);
	for (int z = 0; z < cfg->az_count; z++) {
		snprintf(name, sizeof(name), "public-%d", z + 1);
		i = add(m, CRAFT_K_RTB_ASSOC, name);
		dep(m, i, rtb);
		dep(m, i, pub[z]);
	}
	sg = add(m, CRAFT_K_SG, "instance");
	dep(m, sg, vpc);
	snprintf(m->res[sg].want.group_name, sizeof(m->res[sg].want.group_name), "%s-instance",
	         cfg->stack);
	key = add(m, CRAFT_K_KEY, "main");
	snprintf(m->res[key].want.key_name, sizeof(m->res[key].want.key_name), "craftctl-%s",
	         cfg->stack);
	inst = add(m, CRAFT_K_INSTANCE, "server");
	dep(m, inst, image);
	dep(m, inst, pub[0]);
	dep(m, inst, sg);
	dep(m, inst, key);
	{
		struct craft_props *w = &m->res[inst].want;

		snprintf(w->type, sizeof(w->type), "%s", cfg->instance_type);
		snprintf(w->image, sizeof(w->image), "%s", cfg->image);
		snprintf(w->root_type, sizeof(w->root_type), "%s", cfg->root_type);
		snprintf(w->key_name, sizeof(w->key_name), "craftctl-%s", cfg->stack);
		w->root_size = cfg->root_size_gb;
		w->root_encrypted = 1;
		w->imds_required = 1;
	}
	eip = add(m, CRAFT_K_EIP, "server");
	i = add(m, CRAFT_K_EIP_ASSOC, "server");
	dep(m, i, eip);
	dep(m, i, inst);
	dep(m, i, igw); /* AWS refuses an address for a VPC without an attached gateway */
	if (cfg->data_volume) {
		int vol = add(m, CRAFT_K_VOLUME, "data");
		struct craft_props *w;

		if (vol < 0)
			return craft_err_set(err, CRAFT_EINTERNAL, "too many resources");
		w = &m->res[vol].want;
		dep(m, vol, pub[0]); /* in the instance's zone */
		w->size_gb = cfg->data_size_gb;
		snprintf(w->vol_type, sizeof(w->vol_type), "%s", cfg->data_type);
		w->encrypted = 1;
		i = add(m, CRAFT_K_VOLUME_ATTACH, "data");
		dep(m, i, vol);
		dep(m, i, inst);
		if (i >= 0)
			snprintf(m->res[i].want.device, sizeof(m->res[i].want.device), "%s",
			         CRAFT_DATA_DEVICE);
	}
	if (i < 0)
		return craft_err_set(err, CRAFT_EINTERNAL, "too many resources");
	m->ndesired = m->n;
	return CRAFT_OK;
}

int craft_model_find(const struct craft_model *m, enum craft_kind kind, const char *name)
{
	for (int i = 0; i < m->ndesired; i++)
		if (m->res[i].kind == kind && strcmp(m->res[i].name, name) == 0)
			return i;
	return -1;
}

int craft_model_add_extra(struct craft_model *m, enum craft_kind kind, const char *name,
                          const char *id)
{
	struct craft_res *r;
	int i = add(m, kind, name);

	if (i < 0)
		return -1;
	r = &m->res[i];
	r->desired = 0;
	r->found = 1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->action = CRAFT_A_DELETE;
	return i;
}

static int rules_equal(const struct craft_rule *a, int na, const struct craft_rule *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++) {
		int hit = 0;

		for (int j = 0; j < nb && !hit; j++)
			hit = a[i].port == b[j].port && strcmp(a[i].cidr, b[j].cidr) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

static void why(struct craft_res *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why(struct craft_res *r, const char *fmt, ...)
{
	size_t n = strlen(r->why);
	va_list ap;

	if (n >= sizeof(r->why) - 4)
		return;
	if (n)
		snprintf(r->why + n, sizeof(r->why) - n, "; ");
	n = strlen(r->why);
	va_start(ap, fmt);
	vsnprintf(r->why + n, sizeof(r->why) - n, fmt, ap);
	va_end(ap);
}

static void escalate(struct craft_res *r, enum craft_action a)
{
	if (a > r->action)
		r->action = a;
}

static int same_fp_len(const char *s)
{
	int n = (int)strlen(s);

	while (n > 0 && s[n - 1] == '=')
		n--;
	return n;
}

static int same_fp(const char *a, const char *b)
{
	int na = same_fp_len(a), nb = same_fp_len(b);

	return na == nb && strncmp(a, b, (size_t)na) == 0;
}

static int dep_changes(const struct craft_model *m, const struct craft_res *r, enum craft_kind kind)
{
	for (int d = 0; d < r->ndep; d++) {
		const struct craft_res *x = &m->res[r->dep[d]];

		if (x->kind == kind &&
		    (x->action == CRAFT_A_CREATE || x->action == CRAFT_A_REPLACE))
			return 1;
	}
	return 0;
}

static void plan_one(struct craft_model *m, struct craft_res *r)
{
	const struct craft_props *w = &r->want, *h = &r->have;
	int vpc = craft_model_find(m, CRAFT_K_VPC, "main");
	char a[32], b[32];

	r->why[0] = '\0';
	if (r->kind == CRAFT_K_IMAGE) {
		r->action = CRAFT_A_KEEP; /* decided with the instance */
		return;
	}
	if (!r->found) {
		r->action = CRAFT_A_CREATE;
		return;
	}
	r->action = CRAFT_A_KEEP;
	/* a new or replaced vpc takes every resource inside it along */
	if (r->kind != CRAFT_K_VPC && r->kind != CRAFT_K_KEY && r->kind != CRAFT_K_EIP &&
	    r->kind != CRAFT_K_EIP_ASSOC && r->kind != CRAFT_K_VOLUME &&
	    r->kind != CRAFT_K_VOLUME_ATTACH && vpc >= 0 &&
	    (m->res[vpc].action == CRAFT_A_REPLACE)) {
		if (r->kind == CRAFT_K_ROUTE || r->kind == CRAFT_K_RTB_ASSOC) {
			r->action = CRAFT_A_CREATE;
			return;
		}
		escalate(r, CRAFT_A_REPLACE);
		why(r, "its vpc is replaced");
		return;
	}
	if (r->kind != CRAFT_K_EIP_ASSOC && r->kind != CRAFT_K_ROUTE &&
	    r->kind != CRAFT_K_RTB_ASSOC && r->kind != CRAFT_K_VOLUME_ATTACH && !h->tags_ok) {
		escalate(r, CRAFT_A_UPDATE);
		why(r, "tags");
	}
	switch (r->kind) {
	case CRAFT_K_VPC:
		if (strcmp(w->cidr, h->cidr) != 0) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "cidr %s -> %s", h->cidr, w->cidr);
		}
		if (h->dns_support == 0 || h->dns_hostnames == 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "dns support and hostnames");
		}
		break;
	case CRAFT_K_IGW:
		if (vpc >= 0 && strcmp(h->attached, m->res[vpc].id) != 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "attach to the vpc");
		}
		break;
	case CRAFT_K_SUBNET:
		if (strcmp(w->cidr, h->cidr) != 0) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "cidr %s -> %s", h->cidr, w->cidr);
		}
		if (w->az[0] && strcmp(w->az, h->az) != 0) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "zone %s -> %s", h->az, w->az);
		}
		if (w->map_public != h->map_public) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "map public ip %s", w->map_public ? "on" : "off");
		}
		break;
	case CRAFT_K_ROUTE: {
		int igw = r->dep[1];

		if (m->res[igw].action == CRAFT_A_CREATE ||
		    strcmp(h->target, m->res[igw].id) != 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "target %s -> the stack's gateway", h->target);
		}
		break;
	}
	case CRAFT_K_RTB_ASSOC:
		if (dep_changes(m, r, CRAFT_K_SUBNET) || dep_changes(m, r, CRAFT_K_RTB))
			r->action = CRAFT_A_CREATE;
		break;
	case CRAFT_K_KEY:
		if (w->key_fp[0] && h->key_fp[0] && !same_fp(w->key_fp, h->key_fp)) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "the stack's public key changed");
		}
		break;
	case CRAFT_K_SG: {
		struct craft_rule rules[CRAFT_MAX_RULES];
		int n;

		craft_model_rules(m, rules, &n);
		if (!rules_equal(rules, n, h->rules, h->nrules)) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "ingress rules");
		}
		break;
	}
	case CRAFT_K_INSTANCE:
		if (dep_changes(m, r, CRAFT_K_SUBNET)) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "its subnet is replaced");
		}
		for (int d = 0; d < r->ndep; d++)
			if (m->res[r->dep[d]].kind == CRAFT_K_KEY &&
			    m->res[r->dep[d]].action == CRAFT_A_REPLACE) {
				escalate(r, CRAFT_A_REPLACE);
				why(r, "its key pair is replaced");
			}
		if (strcmp(w->type, h->type) != 0 &&
		    craft_config_is_arm64(w->type) != craft_config_is_arm64(h->type)) {
			/* the image is built for one architecture */
			escalate(r, CRAFT_A_REPLACE);
			why(r, "type %s -> %s (another architecture)", h->type, w->type);
		} else if (strcmp(w->type, h->type) != 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "type %s -> %s in place (stop, change, start: down about a minute)",
			    h->type, w->type);
		}
		if (strcmp(w->image, h->image) != 0) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "image %s -> %s", h->image[0] ? h->image : "?", w->image);
		}
		if (h->root_size > w->root_size) {
			snprintf(a, sizeof(a), "%d", h->root_size);
			snprintf(b, sizeof(b), "%d GiB", w->root_size);
			escalate(r, CRAFT_A_REPLACE);
			why(r, "root volume shrinks %s -> %s", a, b);
		} else if (h->root_size < w->root_size) {
			snprintf(a, sizeof(a), "%d", h->root_size);
			snprintf(b, sizeof(b), "%d GiB", w->root_size);
			escalate(r, CRAFT_A_UPDATE);
			why(r, "root volume grows %s -> %s", a, b);
		}
		if (h->root_type[0] && strcmp(w->root_type, h->root_type) != 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "root volume type %s -> %s", h->root_type, w->root_type);
		}
		if (!h->root_encrypted) {
			escalate(r, CRAFT_A_REPLACE);
			why(r, "root volume not encrypted");
		}
		if (!h->imds_required) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "require IMDSv2");
		}
		if (strcmp(r->state, "pending") == 0) {
			/* launched by an interrupted run: provision waits for it */
			escalate(r, CRAFT_A_UPDATE);
			why(r, "wait until running");
		}
		if (strcmp(r->state, "stopped") == 0 || strcmp(r->state, "stopping") == 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "start (it is %s)", r->state);
		}
		break;
	case CRAFT_K_EIP_ASSOC: {
		int eip = r->dep[0], inst = r->dep[1];

		if (m->res[inst].action == CRAFT_A_CREATE ||
		    m->res[inst].action == CRAFT_A_REPLACE ||
		    strcmp(m->res[eip].have.instance_id, m->res[inst].id) != 0)
			r->action = CRAFT_A_CREATE;
		break;
	}
	case CRAFT_K_VOLUME: {
		int sub = r->dep[0];
		const char *zone = m->res[sub].found && m->res[sub].action != CRAFT_A_REPLACE
		                           ? m->res[sub].have.az
		                           : m->res[sub].want.az;

		if (h->size_gb > w->size_gb && !m->refusal[0])
			snprintf(m->refusal, sizeof(m->refusal),
			         "instance.data_volume.size_gb is %d but data volume %s is already "
			         "%d GiB: EBS volumes cannot shrink (keep %d or more)",
			         w->size_gb, r->id, h->size_gb, h->size_gb);
		if (zone[0] && h->az[0] && strcmp(zone, h->az) != 0 && !m->refusal[0])
			snprintf(
			        m->refusal, sizeof(m->refusal),
			        "data volume %s is in %s but the instance's subnet is now in %s: a "
			        "volume cannot change zone (move the data with a snapshot, or "
			        "keep network.availability_zones and network.cidr as they were)",
			        r->id, h->az, zone);
		if (h->size_gb < w->size_gb) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "grows %d -> %d GiB (in place, online)", h->size_gb, w->size_gb);
		}
		if (h->vol_type[0] && strcmp(h->vol_type, w->vol_type) != 0) {
			escalate(r, CRAFT_A_UPDATE);
			why(r, "type %s -> %s (in place)", h->vol_type, w->vol_type);
		}
		break;
	}
	case CRAFT_K_VOLUME_ATTACH: {
		int vol = r->dep[0], inst = r->dep[1];

		if (m->res[inst].action == CRAFT_A_CREATE ||
		    m->res[inst].action == CRAFT_A_REPLACE ||
		    m->res[vol].action == CRAFT_A_CREATE ||
		    strcmp(m->res[vol].have.instance_id, m->res[inst].id) != 0) {
			r->action = CRAFT_A_CREATE;
			if (m->res[vol].found && m->res[inst].action == CRAFT_A_REPLACE)
				why(r,
				    "the data volume moves to the new instance: the data is kept");
		}
		break;
	}
	default:
		break;
	}
}

void craft_model_key_fingerprint(const char *publine, char *out, size_t outsz)
{
	const char *b64 = strchr(publine, ' ');
	unsigned char blob[1024], md[EVP_MAX_MD_SIZE];
	char enc[64];
	size_t n, len = 0;
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (strncmp(publine, "ssh-ed25519 ", 12) != 0 || !b64)
		return;
	b64++;
	n = strcspn(b64, " \n");
	if (n == 0 || craft_base64_decoded_max(n) > sizeof(blob) ||
	    craft_base64_decode_to(blob, &len, b64, n, 0, NULL) != CRAFT_OK || len == 0)
		return;
	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return;
	craft_base64_encode_to(enc, md, 32, 0); /* AWS's form: padded */
	snprintf(out, outsz, "%s", enc);
}

int craft_model_plan(struct craft_model *m)
{
	int changes = 0;

	m->refusal[0] = '\0';
	int image = craft_model_find(m, CRAFT_K_IMAGE, "ami");
	int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");

	for (int i = 0; i < m->ndesired; i++)
		plan_one(m, &m->res[i]);
	/* the image is looked up only when an instance is to be launched */
	if (image >= 0 && inst >= 0 &&
	    (m->res[inst].action == CRAFT_A_CREATE || m->res[inst].action == CRAFT_A_REPLACE))
		m->res[image].action = CRAFT_A_CREATE;
	for (int i = m->ndesired; i < m->n; i++) {
		struct craft_res *r = &m->res[i];

		r->action = CRAFT_A_DELETE;
		if (craft_kinds[r->kind]->precious) {
			r->action = CRAFT_A_KEEP;
			snprintf(r->why, sizeof(r->why),
			         "another %s of the stack: kept (it may hold data; only destroy "
			         "deletes it, after a final snapshot)",
			         craft_kind_name(r->kind));
		}
	}
	for (int i = 0; i < m->n; i++)
		if (m->res[i].kind != CRAFT_K_IMAGE && m->res[i].action != CRAFT_A_KEEP)
			changes++;
	return changes;
}

void craft_model_count(const struct craft_model *m, int counts[6])
{
	memset(counts, 0, 6 * sizeof(int));
	for (int i = 0; i < m->n; i++)
		if (m->res[i].kind != CRAFT_K_IMAGE && (unsigned)m->res[i].action < 6)
			counts[m->res[i].action]++;
}

static void setstr(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);

	memmove(dst, src, len);
	dst[len] = '\0';
}

void craft_model_assume_created(struct craft_model *m, int i, const char *id)
{
	struct craft_res *r = &m->res[i];
	int vpc = craft_model_find(m, CRAFT_K_VPC, "main");
	int igw = craft_model_find(m, CRAFT_K_IGW, "main");
	int inst = craft_model_find(m, CRAFT_K_INSTANCE, "server");

	r->found = 1;
	setstr(r->id, sizeof(r->id), id);
	r->have = r->want;
	r->have.tags_ok = 1;
	snprintf(r->state, sizeof(r->state), "%s",
	         r->kind == CRAFT_K_INSTANCE ? "running" : "available");
	switch (r->kind) {
	case CRAFT_K_IGW:
		setstr(r->have.attached, sizeof(r->have.attached), m->res[vpc].id);
		break;
	case CRAFT_K_ROUTE:
		setstr(r->have.target, sizeof(r->have.target), m->res[igw].id);
		break;
	case CRAFT_K_SG:
		craft_model_rules(m, r->have.rules, &r->have.nrules);
		break;
	case CRAFT_K_EIP:
		setstr(r->have.instance_id, sizeof(r->have.instance_id), m->res[inst].id);
		break;
	case CRAFT_K_VOLUME_ATTACH: {
		int vol = craft_model_find(m, CRAFT_K_VOLUME, "data");

		if (vol >= 0)
			setstr(m->res[vol].have.instance_id, sizeof(m->res[vol].have.instance_id),
			       m->res[inst].id);
		break;
	}
	default:
		break;
	}
}
