/*
 * diagram — the stack model and the compose services as Graphviz DOT.
 *
 * Every label is an HTML-like label; every string that comes from a file or
 * from AWS goes through html() so that '<', '&' and quotes cannot break it.
 */
#include "diagram/diagram.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* colours (AWS's architecture palette, softened) */
#define C_INK     "#232F3E"
#define C_GREY    "#545B64"
#define C_MUTED   "#7D8998"
#define C_VPC     "#248814"
#define C_PUBLIC  "#E9F3E6"
#define C_PRIVATE "#E6F2F8"
#define C_AZ      "#147EBA"
#define C_IGW     "#8C4FFF"
#define C_SG      "#DD344C"
#define C_EC2     "#ED7100"
#define C_DOCKER  "#2496ED"
#define C_MISSING "#B0B7BF"

/* DejaVu (Debian's fonts-dejavu-core) so that the layout is the same on every
 * machine that has it; a browser without it falls back to its sans-serif */
#define FONT "DejaVu Sans,sans-serif"

struct out {
	struct craft_buf *b;
	craft_code rc;
	const struct craft_diagram_input *in;
	const struct craft_model *m;
	const struct craft_config *c;
	/* what the deploy sets for compose: HTTP_PORT, then deploy.env */
	struct craft_compose_var vars[CRAFT_CONFIG_MAX_MAP + 1];
	int nvars;
	char http_port[16];
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->rc)
		return;
	va_start(ap, fmt);
	o->rc = craft_buf_vprintf(o->b, fmt, ap);
	va_end(ap);
}

/* Text for an HTML-like label. */
static void html(struct out *o, const char *s)
{
	for (; s && *s && !o->rc; s++) {
		switch (*s) {
		case '&':
			put(o, "&amp;");
			break;
		case '<':
			put(o, "&lt;");
			break;
		case '>':
			put(o, "&gt;");
			break;
		case '"':
			put(o, "&quot;");
			break;
		case '\n':
			put(o, "<br/>");
			break;
		case '\t':
			put(o, " ");
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				o->rc = craft_buf_addch(o->b, *s);
		}
	}
}

/* A node id: [A-Za-z0-9_], prefixed. */
static void ident(char *out, size_t cap, const char *prefix, const char *s)
{
	size_t n = (size_t)snprintf(out, cap, "%s", prefix);

	for (; *s && n + 1 < cap; s++)
		out[n++] = isalnum((unsigned char)*s) ? *s : '_';
	out[n < cap ? n : cap - 1] = '\0';
}

static const struct craft_res *res(const struct out *o, enum craft_kind k, const char *name)
{
	int i = craft_model_find(o->m, k, name);

	return i >= 0 ? &o->m->res[i] : NULL;
}

/* Live and missing: drawn dashed and grey. */
static int missing(const struct out *o, const struct craft_res *r)
{
	return o->in->live && (!r || !r->found);
}

/* The properties to show: AWS's when found, else the stack file's. */
static const struct craft_props *props(const struct out *o, const struct craft_res *r)
{
	return o->in->live && r->found ? &r->have : &r->want;
}

/* "<b>title</b>" then the Name tag; the id and state when live. */
static void head(struct out *o, const char *title, const struct craft_res *r)
{
	put(o, "<b>%s</b>", title);
	if (!r)
		return;
	put(o, "<br/>%s-", o->c->stack);
	html(o, r->name);
	if (missing(o, r)) {
		put(o, "<br/><i>not created</i>");
	} else if (o->in->live) {
		put(o, "<br/><font point-size=\"9\">");
		html(o, r->id);
		if (r->state[0] && strcmp(r->state, "available") != 0) {
			put(o, " · ");
			html(o, r->state);
		}
		put(o, "</font>");
	}
}

static const char *node_style(const struct out *o, const struct craft_res *r)
{
	return missing(o, r) ? "rounded,filled,dashed" : "rounded,filled";
}

static const char *pen(const struct out *o, const struct craft_res *r, const char *color)
{
	return missing(o, r) ? C_MISSING : color;
}

static void title(struct out *o)
{
	const struct craft_config *c = o->c;
	int total = 0, found = 0;

	for (int i = 0; i < o->m->ndesired; i++)
		if (craft_kind_tagged(o->m->res[i].kind)) {
			total++;
			found += o->m->res[i].found;
		}
	put(o, "\tlabel=<<font point-size=\"16\"><b>");
	html(o, c->stack);
	put(o, "</b></font><font point-size=\"12\">   ");
	if (o->in->live) {
		put(o, "live: discovered in ");
		html(o, o->in->region ? o->in->region : "the region");
		put(o, ", %d of %d resources exist", found, total);
	} else {
		put(o, "planned: from ");
		html(o, o->in->source ? o->in->source : "the stack file");
		put(o, " alone, region ");
		html(o, o->in->region ? o->in->region : "from the AWS settings");
	}
	put(o, "</font>>\n");
}

static void internet_and_eip(struct out *o)
{
	const struct craft_res *eip = res(o, CRAFT_K_EIP, "server");

	put(o, "\tinternet [label=<<b>Internet</b>>, shape=ellipse, style=filled, "
	       "fillcolor=\"#F2F3F3\", color=\"" C_GREY "\"]\n");
	if (!eip)
		return;
	put(o, "\teip [label=<");
	head(o, "Elastic IP", eip);
	if (o->in->live && eip->found && eip->have.public_ip[0]) {
		put(o, "<br/><b>");
		html(o, eip->have.public_ip);
		put(o, "</b>");
	}
	put(o, ">, style=\"%s\", color=\"%s\", fillcolor=\"#FFF4E8\"]\n", node_style(o, eip),
	    pen(o, eip, C_EC2));
}

static void gateway_and_routes(struct out *o)
{
	const struct craft_res *igw = res(o, CRAFT_K_IGW, "main");
	const struct craft_res *rtb = res(o, CRAFT_K_RTB, "public");
	const struct craft_res *route = res(o, CRAFT_K_ROUTE, "public-default");
	const struct craft_res *vpc = res(o, CRAFT_K_VPC, "main");

	if (igw) {
		put(o, "\t\tigw [label=<");
		head(o, "internet gateway", igw);
		put(o, ">, style=\"%s\", color=\"%s\", fillcolor=\"#F3EDFF\"]\n",
		    node_style(o, igw), pen(o, igw, C_IGW));
	}
	if (!rtb)
		return;
	put(o,
	    "\t\trtb [shape=plain, label=<<table border=\"1\" cellborder=\"0\" "
	    "cellspacing=\"0\" cellpadding=\"3\" style=\"rounded\" color=\"%s\" "
	    "bgcolor=\"white\"%s>",
	    pen(o, rtb, C_GREY), missing(o, rtb) ? " sides=\"LTRB\"" : "");
	put(o, "<tr><td colspan=\"3\">");
	head(o, "public route table", rtb);
	put(o, "</td></tr>");
	put(o, "<tr><td align=\"left\"><font point-size=\"9\"><b>destination</b></font></td>"
	       "<td></td><td align=\"left\"><font point-size=\"9\"><b>target</b></font></td>"
	       "</tr>");
	put(o, "<tr><td align=\"left\">");
	html(o, props(o, vpc)->cidr);
	put(o, "</td><td>→</td><td align=\"left\">local</td></tr>");
	put(o, "<tr><td align=\"left\">0.0.0.0/0</td><td>→</td><td align=\"left\">");
	if (o->in->live && route && route->found && route->have.target[0])
		html(o, route->have.target);
	else if (o->in->live && route)
		put(o, "<i>internet gateway (not created)</i>");
	else
		put(o, "internet gateway");
	put(o, "</td></tr></table>>]\n");
}

/* A subnet as a box, or (plain) as the heading of its cluster. */
static void subnet(struct out *o, const struct craft_res *s, int pub, int plain)
{
	const struct craft_props *p = props(o, s);
	char id[48];

	ident(id, sizeof(id), "subnet_", s->name);
	put(o, "\t\t\t%s%s [%slabel=<", plain ? "\t" : "", id, plain ? "shape=plain, " : "");
	head(o, pub ? "public subnet" : "private subnet", s);
	put(o, "<br/><b>");
	html(o, p->cidr);
	put(o,
	    "</b><br/><font point-size=\"9\">%s</font>>, style=\"%s\", color=\"%s\", "
	    "fillcolor=\"%s\"]\n",
	    pub ? "public IPs on launch · routes to the internet" : "no route to the internet",
	    node_style(o, s), pen(o, s, pub ? C_VPC : C_AZ), pub ? C_PUBLIC : C_PRIVATE);
}

static const char *zone_name(const struct out *o, int z)
{
	char name[32];
	const struct craft_res *s;

	snprintf(name, sizeof(name), "public-%d", z + 1);
	s = res(o, CRAFT_K_SUBNET, name);
	if (o->in->live && s && s->found && s->have.az[0])
		return s->have.az;
	if (o->in->live && z < o->m->naz && o->m->azs[z][0])
		return o->m->azs[z];
	return NULL;
}

static void security_group_open(struct out *o);
static void instance(struct out *o);
static void containers(struct out *o);

static void zones(struct out *o)
{
	for (int z = 0; z < o->c->az_count; z++) {
		const char *zn = zone_name(o, z);

		put(o, "\t\tsubgraph cluster_az_%d {\n", z + 1);
		put(o, "\t\t\tlabel=<<b>availability zone %d</b>", z + 1);
		if (zn) {
			put(o, " · ");
			html(o, zn);
		}
		put(o, ">\n\t\t\tstyle=\"dashed,rounded\"\n\t\t\tcolor=\"" C_AZ "\"\n"
		       "\t\t\tfontcolor=\"" C_AZ "\"\n");
		for (int pass = 0; pass < 2; pass++) {
			char name[32];
			const struct craft_res *s;

			snprintf(name, sizeof(name), "%s-%d", pass ? "private" : "public", z + 1);
			s = res(o, CRAFT_K_SUBNET, name);
			if (!s)
				continue;
			if (pass || z) {
				subnet(o, s, !pass, 0);
				continue;
			}
			/* the instance lives in public-1, inside its security group */
			put(o,
			    "\t\t\tsubgraph cluster_subnet_public_1 {\n\t\t\t\tlabel=\"\"\n"
			    "\t\t\t\tstyle=\"%s\"\n\t\t\t\tcolor=\"%s\"\n"
			    "\t\t\t\tfillcolor=\"" C_PUBLIC "\"\n",
			    missing(o, s) ? "rounded,filled,dashed" : "rounded,filled",
			    pen(o, s, C_VPC));
			subnet(o, s, 1, 1);
			security_group_open(o);
			instance(o);
			containers(o);
			put(o, "\t\t\t\t}\n");
			put(o, "\t\t\t\tsubnet_public_1 -> instance [style=invis]\n");
			put(o, "\t\t\t}\n");
		}
		put(o, "\t\t\tsubnet_public_%d -> subnet_private_%d [style=invis]\n", z + 1, z + 1);
		put(o, "\t\t}\n");
	}
	/* zones side by side */
	put(o, "\t\t{ rank=same;");
	for (int z = 0; z < o->c->az_count; z++)
		put(o, " subnet_public_%d;", z + 1);
	/* zone 1 on the left */
	for (int z = 1; z < o->c->az_count; z++)
		put(o, " subnet_public_%d -> subnet_public_%d [style=invis];", z, z + 1);
	put(o, " }\n");
}

static void rule_row(struct out *o, int port, const char *cidr, const char *note)
{
	put(o, "<tr><td align=\"left\">");
	if (port > 0)
		put(o, "tcp %d", port);
	else
		put(o, "other");
	put(o, "</td><td align=\"left\">");
	html(o, cidr);
	put(o, "</td><td align=\"left\"><font point-size=\"9\">");
	html(o, note);
	put(o, "</font></td></tr>");
}

static int edge_service(const struct craft_compose *cp);

static const char *port_note(const struct out *o, int port, char *buf, size_t cap)
{
	const struct craft_compose *cp = o->in->compose;
	int edge = cp ? edge_service(cp) : -1;

	if (port == o->c->ssh_port)
		return "ssh";
	if (port != o->c->http_port && port != 443)
		return "";
	snprintf(buf, cap, "%s%s%s%s", port == 443 ? "https" : "http", edge >= 0 ? " (" : "",
	         edge >= 0 ? cp->svc[edge].name : "", edge >= 0 ? ")" : "");
	return buf;
}

/* Opens subgraph cluster_sg (the rules as its label); the caller closes it. */
static void security_group_open(struct out *o)
{
	char note[96];
	const struct craft_res *sg = res(o, CRAFT_K_SG, "instance");
	struct craft_rule rules[CRAFT_MAX_RULES];
	const struct craft_rule *shown = rules;
	int n = 0;

	put(o, "\t\t\t\tsubgraph cluster_sg {\n");
	if (!sg) {
		put(o, "\t\t\t\t\tlabel=\"\"\n\t\t\t\t\tstyle=invis\n");
		return;
	}
	if (o->in->live && sg->found) {
		shown = sg->have.rules;
		n = sg->have.nrules;
	} else if (o->m->my_cidr[0]) {
		craft_model_rules(o->m, rules, &n);
	} else {
		/* ssh_from: auto is the caller's address, looked up at provision */
		struct craft_model *tmp = malloc(sizeof(*tmp));

		if (!tmp) {
			o->rc = CRAFT_ENOMEM;
			return;
		}
		memcpy(tmp, o->m, sizeof(*tmp));
		snprintf(tmp->my_cidr, sizeof(tmp->my_cidr), "your address/32");
		craft_model_rules(tmp, rules, &n);
		free(tmp);
	}
	put(o, "\t\t\t\t\tlabel=<<table border=\"0\" cellborder=\"0\" cellspacing=\"0\" "
	       "cellpadding=\"2\">");
	put(o, "<tr><td colspan=\"3\"><font color=\"" C_SG "\">");
	head(o, "security group", sg);
	put(o, "</font>");
	{
		const char *gn = props(o, sg)->group_name[0] ? props(o, sg)->group_name
		                                             : sg->want.group_name;
		char name[96];

		snprintf(name, sizeof(name), "%s-%s", o->c->stack, sg->name);
		if (strcmp(gn, name) != 0) {
			put(o, "<br/><font point-size=\"9\">group ");
			html(o, gn);
			put(o, "</font>");
		}
	}
	put(o, "</td></tr>");
	put(o, "<tr><td align=\"left\" colspan=\"3\"><font point-size=\"9\"><b>ingress "
	       "(everything else is closed)</b></font></td></tr>");
	for (int i = 0; i < n; i++)
		rule_row(o, shown[i].port, shown[i].cidr,
		         port_note(o, shown[i].port, note, sizeof(note)));
	if (n == 0)
		put(o, "<tr><td colspan=\"3\"><i>no ingress rules</i></td></tr>");
	put(o,
	    "</table>>\n\t\t\t\t\tstyle=\"rounded,dashed\"\n\t\t\t\t\tcolor=\"%s\"\n"
	    "\t\t\t\t\tfontcolor=\"" C_INK "\"\n\t\t\t\t\tfontsize=10\n"
	    "\t\t\t\t\tpenwidth=1.4\n",
	    pen(o, sg, C_SG));
}

static void instance(struct out *o)
{
	const struct craft_res *in = res(o, CRAFT_K_INSTANCE, "server");
	const struct craft_res *key = res(o, CRAFT_K_KEY, "main");
	const struct craft_props *p;

	if (!in)
		return;
	p = props(o, in);
	put(o, "\t\t\t\t\tinstance [label=<");
	head(o, "EC2 instance", in);
	put(o, "<br/>");
	html(o, p->type[0] ? p->type : in->want.type);
	put(o, " · ");
	html(o, in->want.image);
	if (o->in->live && in->found && p->ami[0]) {
		put(o, " (");
		html(o, p->ami);
		put(o, ")");
	}
	put(o, "<br/>root volume %d GiB ", p->root_size ? p->root_size : in->want.root_size);
	html(o, p->root_type[0] ? p->root_type : in->want.root_type);
	put(o, "%s", p->root_encrypted ? ", encrypted" : ", NOT encrypted");
	if (o->in->live && in->found && p->root_volume[0]) {
		put(o, " (");
		html(o, p->root_volume);
		put(o, ")");
	}
	{
		int vi = craft_model_find(o->m, CRAFT_K_VOLUME, "data");
		const struct craft_res *v = vi >= 0 ? &o->m->res[vi] : NULL;

		if (!v) {
			put(o, "<br/>no data volume: the data is on the root volume");
		} else {
			const struct craft_props *vp = props(o, v);

			put(o, "<br/>data volume %d GiB ",
			    vp->size_gb ? vp->size_gb : v->want.size_gb);
			html(o, vp->vol_type[0] ? vp->vol_type : v->want.vol_type);
			put(o, ", encrypted, kept on replacement");
			if (o->in->live && v->found) {
				put(o, " (");
				html(o, v->id);
				put(o, ")");
			}
		}
	}
	put(o, "<br/>%s · key pair ", p->imds_required ? "IMDSv2 required" : "IMDSv1 allowed");
	html(o,
	     key ? props(o, key)->key_name[0] ? props(o, key)->key_name : key->want.key_name : "?");
	if (o->in->live && in->found && p->public_ip[0]) {
		put(o, "<br/>public address ");
		html(o, p->public_ip);
	}
	put(o, ">, style=\"%s\", color=\"%s\", fillcolor=\"#FFF4E8\", penwidth=1.6]\n",
	    node_style(o, in), pen(o, in, C_EC2));
}

static void service_id(char *out, size_t cap, const char *name)
{
	ident(out, cap, "svc_", name);
}

/* The service that publishes a port on the host (the edge), or -1. */
static int host_network(const struct craft_compose_service *s)
{
	return strcmp(s->network_mode, "host") == 0;
}

/* The service the instance's http port reaches: nginx when it publishes,
 * else the first that publishes, else the first on the host's network. */
static int edge_service(const struct craft_compose *cp)
{
	int nginx = craft_compose_find(cp, "nginx");

	if (nginx >= 0 && (cp->svc[nginx].nports || host_network(&cp->svc[nginx])))
		return nginx;
	for (int i = 0; i < cp->n; i++)
		if (cp->svc[i].nports)
			return i;
	for (int i = 0; i < cp->n; i++)
		if (host_network(&cp->svc[i]))
			return i;
	return -1;
}

static void containers(struct out *o)
{
	const struct craft_compose *cp = o->in->compose;
	int edge;

	put(o, "\t\t\t\t\tsubgraph cluster_compose {\n");
	put(o, "\t\t\t\t\t\tlabel=<<b>docker compose</b> · ");
	html(o, o->c->compose_file);
	if (o->in->live) /* discovery sees AWS, not the containers */
		put(o, "<font point-size=\"9\"> (the file's services; not checked on the "
		       "instance)</font>");
	put(o, ">\n\t\t\t\t\t\tstyle=\"rounded,filled\"\n\t\t\t\t\t\tcolor=\"" C_DOCKER "\"\n"
	       "\t\t\t\t\t\tfillcolor=\"#EEF7FE\"\n\t\t\t\t\t\tfontcolor=\"" C_DOCKER "\"\n");
	if (!cp || cp->n == 0) {
		put(o, "\t\t\t\t\t\tsvc__none [shape=note, label=<");
		html(o, o->in->compose_note ? o->in->compose_note : "no services");
		put(o, ">, style=filled, fillcolor=white, color=\"" C_MUTED "\"]\n");
		put(o, "\t\t\t\t\t}\n");
		return;
	}
	edge = edge_service(cp);
	for (int i = 0; i < cp->n; i++) {
		const struct craft_compose_service *s = &cp->svc[i];
		char id[80], buf[200];

		service_id(id, sizeof(id), s->name);
		put(o, "\t\t\t\t\t\t%s [label=<<b>", id);
		html(o, s->name);
		put(o, "</b><br/><font point-size=\"9\">");
		if (s->build[0]) {
			put(o, "built from ");
			html(o, s->build);
		} else {
			craft_compose_interpolate(buf, sizeof(buf), s->image, o->vars, o->nvars);
			html(o, buf);
		}
		put(o, "</font>");
		for (int p = 0; p < s->nports; p++) {
			char *colon;

			craft_compose_interpolate(buf, sizeof(buf), s->ports[p], o->vars, o->nvars);
			colon = strchr(buf, ':');
			put(o, "<br/>publishes ");
			if (colon) {
				*colon = '\0';
				put(o, "host :");
				html(o, buf);
				put(o, " → ");
				html(o, colon + 1);
			} else {
				html(o, buf);
			}
		}
		if (!s->nports)
			put(o, "<br/><font point-size=\"9\">%s</font>",
			    host_network(s) ? "on the host's network" : "not published");
		put(o, ">, style=\"rounded,filled\", fillcolor=white, color=\"" C_DOCKER "\"%s]\n",
		    i == edge ? ", penwidth=2.2" : "");
	}
	for (int i = 0; i < cp->n; i++)
		for (int d = 0; d < cp->svc[i].ndeps; d++) {
			char a[80], b[80];

			service_id(a, sizeof(a), cp->svc[i].name);
			service_id(b, sizeof(b), cp->svc[i].deps[d]);
			put(o, "\t\t\t\t\t\t%s -> %s [color=\"" C_DOCKER "\"]\n", a, b);
		}
	put(o, "\t\t\t\t\t}\n");
}

static void edges(struct out *o)
{
	const struct craft_config *c = o->c;
	const struct craft_res *eip = res(o, CRAFT_K_EIP, "server");
	const struct craft_compose *cp = o->in->compose;
	int edge = cp && cp->n ? edge_service(cp) : -1;
	char ports[64];

	if (c->http_port == 443)
		snprintf(ports, sizeof(ports), "tcp %d, 443", c->ssh_port);
	else
		snprintf(ports, sizeof(ports), "tcp %d, %d, 443", c->ssh_port, c->http_port);
	put(o, "\tinternet -> igw [dir=both, color=\"" C_IGW "\", penwidth=1.4]\n");
	put(o, "\trtb -> igw [label=\"0.0.0.0/0\", style=dashed, color=\"" C_IGW
	       "\", fontcolor=\"" C_IGW "\"]\n");
	for (int z = 0; z < c->az_count; z++) {
		char name[32];
		int a;

		snprintf(name, sizeof(name), "public-%d", z + 1);
		a = craft_model_find(o->m, CRAFT_K_RTB_ASSOC, name);
		put(o, "\trtb -> subnet_public_%d [arrowhead=none, style=%s, color=\"%s\"%s]\n",
		    z + 1, a >= 0 && missing(o, &o->m->res[a]) ? "dotted" : "dashed",
		    a >= 0 && missing(o, &o->m->res[a]) ? C_MISSING : C_GREY,
		    z == 0 ? ", label=\"associated\", lhead=cluster_subnet_public_1" : "");
	}
	if (eip) {
		put(o,
		    "\tinternet -> eip [label=\"%s\", color=\"" C_EC2 "\", fontcolor=\"" C_EC2
		    "\"]\n",
		    ports);
		put(o,
		    "\teip -> instance [label=\"%s\", color=\"" C_EC2 "\", fontcolor=\"" C_EC2
		    "\"]\n",
		    o->in->live && eip->found && eip->have.instance_id[0] ? "associated"
		    : o->in->live                                         ? "not associated"
		                                                          : "associated");
	}
	if (edge >= 0) {
		char id[80];

		service_id(id, sizeof(id), cp->svc[edge].name);
		put(o,
		    "\tinstance -> %s [label=\"http :%d\", color=\"" C_DOCKER
		    "\", fontcolor=\"" C_DOCKER "\", penwidth=1.4]\n",
		    id, c->http_port);
	} else if (cp && cp->n) {
		char id[80];

		/* nothing takes the traffic; keep the containers below the instance */
		service_id(id, sizeof(id), cp->svc[0].name);
		put(o, "\tinstance -> %s [style=invis]\n", id);
	}
}

static void extras(struct out *o)
{
	const struct craft_model *m = o->m;

	if (!o->in->live || m->n <= m->ndesired)
		return;
	put(o, "\textras [shape=note, style=filled, fillcolor=\"#FFF8E1\", color=\"" C_MUTED
	       "\", label=<<b>found in AWS, not in the stack file</b><br/>"
	       "<font point-size=\"9\">provision deletes them (a data volume: kept)</font>");
	for (int i = m->ndesired; i < m->n; i++) {
		put(o, "<br align=\"left\"/>");
		html(o, craft_kind_name(m->res[i].kind));
		put(o, " ");
		html(o, m->res[i].name);
		put(o, " ");
		html(o, m->res[i].id);
	}
	put(o, "<br align=\"left\"/>>]\n");
}

craft_code craft_diagram_dot(struct craft_buf *out, const struct craft_diagram_input *in,
                             struct craft_err *err)
{
	struct out o;
	const struct craft_res *vpc;

	memset(&o, 0, sizeof(o));
	o.b = out;
	o.in = in;
	o.m = in->m;
	o.c = in->m->cfg;
	vpc = res(&o, CRAFT_K_VPC, "main");
	if (o.c) {
		snprintf(o.http_port, sizeof(o.http_port), "%d", o.c->http_port);
		o.vars[o.nvars++] = (struct craft_compose_var){ "HTTP_PORT", o.http_port };
		for (int i = 0; i < o.c->n_env && o.nvars < CRAFT_CONFIG_MAX_MAP + 1; i++)
			o.vars[o.nvars++] =
			        (struct craft_compose_var){ o.c->env[i].key, o.c->env[i].value };
	}
	if (!o.c || !vpc || o.c->az_count < 1 || !res(&o, CRAFT_K_SUBNET, "public-1"))
		return craft_err_set(err, CRAFT_EINTERNAL, "diagram: the stack model is not built");
	put(&o, "// craftctl diagram: the network of stack '%s' (%s)\n", o.c->stack,
	    in->live ? "live" : "planned");
	put(&o, "digraph craftctl {\n");
	put(&o, "\tgraph [fontname=\"" FONT "\", fontsize=11, fontcolor=\"" C_INK "\", "
	        "labelloc=t, labeljust=l, compound=true, newrank=true, nodesep=0.35, "
	        "ranksep=0.5, pad=0.3, bgcolor=white]\n");
	put(&o, "\tnode [fontname=\"" FONT "\", fontsize=10, fontcolor=\"" C_INK "\", "
	        "shape=box, style=\"rounded,filled\", fillcolor=white, color=\"" C_GREY "\", "
	        "margin=\"0.15,0.07\"]\n");
	put(&o, "\tedge [fontname=\"" FONT "\", fontsize=9, color=\"" C_GREY "\", "
	        "fontcolor=\"" C_GREY "\", arrowsize=0.7]\n");
	title(&o);
	internet_and_eip(&o);
	put(&o, "\tsubgraph cluster_vpc {\n\t\tlabel=<");
	head(&o, "VPC", vpc);
	put(&o, "<br/><b>");
	html(&o, props(&o, vpc)->cidr);
	put(&o,
	    "</b>>\n\t\tstyle=\"rounded%s\"\n\t\tcolor=\"%s\"\n\t\tfontcolor=\"" C_VPC
	    "\"\n\t\tpenwidth=1.6\n",
	    missing(&o, vpc) ? ",dashed" : "", pen(&o, vpc, C_VPC));
	gateway_and_routes(&o);
	zones(&o);
	put(&o, "\t}\n");
	extras(&o);
	edges(&o);
	put(&o, "}\n");
	if (o.rc)
		return craft_err_set(err, o.rc, "cannot build the diagram: %s",
		                     craft_code_name(o.rc));
	return CRAFT_OK;
}
