/*
 * kinds/network — the VPC, its internet gateway, the subnets, the public
 * route table, its default route and its subnet associations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infra/internal.h"

/* -- vpc */

static void vpc_created(struct op *o, xmlNodePtr root)
{
	struct step *s;

	eng_set_id(o, craft_xml_path_text(root, "vpc/vpcId"));
	s = eng_add_step(o, "ModifyVpcAttribute", CF_MUTATING | CF_NOTFOUND_RETRY);
	craft_query_add(&s->q, "VpcId", R(o)->id);
	craft_query_add(&s->q, "EnableDnsHostnames.Value", "true");
}

static void vpc_create(struct op *o)
{
	struct step *s = eng_add_step(o, "CreateVpc", CF_MUTATING);

	craft_query_add(&s->q, "CidrBlock", R(o)->want.cidr);
	eng_add_tag_spec(o, s, 1, "vpc", R(o)->name);
	s->after = vpc_created;
	s->ready_after = 1;
}

static void vpc_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	eng_add_tags_step(o);
	if (r->have.dns_support == 0) {
		s = eng_add_step(o, "ModifyVpcAttribute", CF_MUTATING);
		craft_query_add(&s->q, "VpcId", r->id);
		craft_query_add(&s->q, "EnableDnsSupport.Value", "true");
	}
	if (r->have.dns_hostnames == 0) {
		s = eng_add_step(o, "ModifyVpcAttribute", CF_MUTATING);
		craft_query_add(&s->q, "VpcId", r->id);
		craft_query_add(&s->q, "EnableDnsHostnames.Value", "true");
	}
}

static void vpc_delete(struct op *o)
{
	struct step *s =
	        eng_add_step(o, "DeleteVpc", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "VpcId", R(o)->id);
}

/* -- internet gateway */

static const char *const ok_already_attached[] = { "Resource.AlreadyAssociated", NULL };

static void igw_attach_step(struct op *o)
{
	struct step *s = eng_add_step(o, "AttachInternetGateway", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "InternetGatewayId", R(o)->id);
	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	s->ok_codes = ok_already_attached;
	s->ready_after = 1;
}

static void igw_created(struct op *o, xmlNodePtr root)
{
	eng_set_id(o, craft_xml_path_text(root, "internetGateway/internetGatewayId"));
	igw_attach_step(o);
}

static void igw_create(struct op *o)
{
	struct step *s = eng_add_step(o, "CreateInternetGateway", CF_MUTATING);

	eng_add_tag_spec(o, s, 1, "internet-gateway", R(o)->name);
	s->after = igw_created;
}

static void igw_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct craft_res *vpc = dep_res(o, CRAFT_K_VPC);

	eng_add_tags_step(o);
	if (strcmp(r->have.attached, vpc->id) != 0) {
		if (r->have.attached[0]) {
			struct step *s =
			        eng_add_step(o, "DetachInternetGateway",
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
		s = eng_add_step(o, "DetachInternetGateway",
		                 CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
		craft_query_add(&s->q, "InternetGatewayId", r->id);
		craft_query_add(&s->q, "VpcId", r->have.attached);
		s->ok_codes = ok_not_attached;
	}
	s = eng_add_step(o, "DeleteInternetGateway",
	                 CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
	craft_query_add(&s->q, "InternetGatewayId", r->id);
}

/* -- subnet */

static void subnet_public_step(struct op *o)
{
	struct step *s = eng_add_step(o, "ModifySubnetAttribute", CF_MUTATING | CF_NOTFOUND_RETRY);

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
void eng_adopt_lookup(struct op *o, const char *action, const char *f1, const char *v1,
                      const char *f2, const char *v2, until_fn until)
{
	const char *a[1] = { v1 }, *b[1] = { v2 };
	struct step *s;

	o->steps[o->cur].ready_after = 0; /* dependents wait for the id */
	s = eng_add_step(o, action, 0);
	if (!s) {
		eng_op_failf(o, CRAFT_ENOMEM, "too many steps");
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
	const char *stack = x ? eng_tag_of(x, "craftctl:stack") : NULL;
	const char *name = x ? eng_tag_of(x, "craftctl:resource") : NULL;

	if (!x) {
		if (craft_now_ms() - o->wait_t0 < NOTFOUND_WINDOW_MS)
			return 0;
		eng_op_failf(
		        o, CRAFT_EAWS,
		        "InvalidSubnet.Conflict: cidr %s conflicts with another subnet of vpc %s",
		        r->want.cidr, dep_res(o, CRAFT_K_VPC)->id);
		return -1;
	}
	if (!stack || strcmp(stack, o->e->cfg->stack) != 0 || !name || strcmp(name, r->name) != 0) {
		eng_op_failf(
		        o, CRAFT_EAWS,
		        "InvalidSubnet.Conflict: subnet %s (%s) is not this stack's %s: delete it "
		        "or choose another network.cidr",
		        craft_xml_path_text(x, "subnetId"), r->want.cidr, r->name);
		return -1;
	}
	eng_set_id(o, craft_xml_path_text(x, "subnetId"));
	if (r->want.map_public)
		subnet_public_step(o);
	return 1;
}

static void subnet_created(struct op *o, xmlNodePtr root)
{
	if (!root) {
		eng_adopt_lookup(o, "DescribeSubnets", "vpc-id", dep_res(o, CRAFT_K_VPC)->id,
		                 "cidr-block", R(o)->want.cidr, until_subnet_adopted);
		return;
	}
	eng_set_id(o, craft_xml_path_text(root, "subnet/subnetId"));
	if (R(o)->want.map_public)
		subnet_public_step(o);
}

static const char *const ok_subnet_conflict[] = { "InvalidSubnet.Conflict", NULL };

static void subnet_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = eng_add_step(o, "CreateSubnet", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	craft_query_add(&s->q, "CidrBlock", r->want.cidr);
	if (r->want.az[0])
		craft_query_add(&s->q, "AvailabilityZone", r->want.az);
	eng_add_tag_spec(o, s, 1, "subnet", r->name);
	s->ok_codes = ok_subnet_conflict;
	s->after = subnet_created;
	s->ready_after = 1;
}

static void subnet_update(struct op *o)
{
	eng_add_tags_step(o);
	if (R(o)->want.map_public != R(o)->have.map_public)
		subnet_public_step(o);
}

static void subnet_delete(struct op *o)
{
	struct step *s =
	        eng_add_step(o, "DeleteSubnet", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "SubnetId", R(o)->id);
}

/* -- route table, route, associations */

static void rtb_created(struct op *o, xmlNodePtr root)
{
	eng_set_id(o, craft_xml_path_text(root, "routeTable/routeTableId"));
}

static void rtb_create(struct op *o)
{
	struct step *s = eng_add_step(o, "CreateRouteTable", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	eng_add_tag_spec(o, s, 1, "route-table", R(o)->name);
	s->after = rtb_created;
}

static void rtb_update(struct op *o)
{
	eng_add_tags_step(o);
}

static void rtb_delete(struct op *o)
{
	struct step *s = eng_add_step(o, "DeleteRouteTable",
	                              CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "RouteTableId", R(o)->id);
}

static void route_replace_step(struct op *o)
{
	struct step *s = eng_add_step(o, "ReplaceRoute", CF_MUTATING | CF_NOTFOUND_RETRY);

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
	struct step *s = eng_add_step(o, "CreateRoute", CF_MUTATING | CF_NOTFOUND_RETRY);

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
	struct step *s = eng_add_step(o, "AssociateRouteTable", CF_MUTATING | CF_NOTFOUND_RETRY);

	craft_query_add(&s->q, "RouteTableId", dep_res(o, CRAFT_K_RTB)->id);
	craft_query_add(&s->q, "SubnetId", dep_res(o, CRAFT_K_SUBNET)->id);
	s->ok_codes = ok_assoc_exists;
	s->after = assoc_created;
}

static void assoc_delete(struct op *o)
{
	struct step *s = eng_add_step(o, "DisassociateRouteTable", CF_MUTATING | CF_NOTFOUND_OK);

	craft_query_add(&s->q, "AssociationId", R(o)->id);
}

static void parse_vpcs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "vpcSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c = eng_cand(f, CRAFT_K_VPC, x, craft_xml_path_text(x, "vpcId"));

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
		        eng_cand(f, CRAFT_K_IGW, x, craft_xml_path_text(x, "internetGatewayId"));
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

static void parse_subnets(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "subnetSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        eng_cand(f, CRAFT_K_SUBNET, x, craft_xml_path_text(x, "subnetId"));

		if (!c)
			continue;
		COPY(c->have.vpc_id, craft_xml_path_text(x, "vpcId"));
		COPY(c->have.cidr, craft_xml_path_text(x, "cidrBlock"));
		COPY(c->have.az, craft_xml_path_text(x, "availabilityZone"));
		c->have.map_public = eng_is_true(craft_xml_path_text(x, "mapPublicIpOnLaunch"));
		COPY(c->state, craft_xml_path_text(x, "state"));
	}
}

static void parse_rtbs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "routeTableSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        eng_cand(f, CRAFT_K_RTB, x, craft_xml_path_text(x, "routeTableId"));

		if (!c)
			continue;
		COPY(c->have.vpc_id, craft_xml_path_text(x, "vpcId"));
		COPY(c->state, "available");
		for (xmlNodePtr a = craft_xml_items(x, "associationSet"); a;
		     a = craft_xml_next_item(a)) {
			const char *sub = craft_xml_path_text(a, "subnetId");

			if (eng_is_true(craft_xml_path_text(a, "main")) || !sub || f->nassoc >= 64)
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

static void parse_vpc_attr(struct found *f, xmlNodePtr root)
{
	int vpc = craft_model_find(&f->in->m, CRAFT_K_VPC, "main");
	const char *sup = craft_xml_path_text(root, "enableDnsSupport/value");
	const char *host = craft_xml_path_text(root, "enableDnsHostnames/value");

	if (sup)
		f->in->m.res[vpc].have.dns_support = eng_is_true(sup);
	if (host)
		f->in->m.res[vpc].have.dns_hostnames = eng_is_true(host);
}

/* The two DNS attributes DescribeVpcs does not show. */
static void vpc_details(struct found *f, const struct craft_res *r)
{
	static const char *const attrs[] = { "enableDnsSupport", "enableDnsHostnames" };

	for (int i = 0; i < 2; i++) {
		struct craft_query q;

		craft_query_init(&q);
		craft_query_add(&q, "VpcId", r->id);
		craft_query_add(&q, "Attribute", attrs[i]);
		eng_submit_discovery(f, "DescribeVpcAttribute", &q, parse_vpc_attr, 1);
		craft_query_release(&q);
	}
}

const struct craft_kind_def craft_kind_vpc = {
	.name = "vpc",
	.tagged = 1,
	.describe = "DescribeVpcs",
	.parse = parse_vpcs,
	.details = vpc_details,
	.create = vpc_create,
	.update = vpc_update,
	.remove = vpc_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_SUBNET) | CRAFT_KIND_BIT(CRAFT_K_SG) |
	                CRAFT_KIND_BIT(CRAFT_K_RTB) | CRAFT_KIND_BIT(CRAFT_K_IGW) |
	                CRAFT_KIND_BIT(CRAFT_K_INSTANCE),
};

const struct craft_kind_def craft_kind_igw = {
	.name = "internet_gateway",
	.tagged = 1,
	.describe = "DescribeInternetGateways",
	.parse = parse_igws,
	.create = igw_create,
	.update = igw_update,
	.remove = igw_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_INSTANCE) | CRAFT_KIND_BIT(CRAFT_K_EIP) |
	                CRAFT_KIND_BIT(CRAFT_K_EIP_ASSOC),
};

const struct craft_kind_def craft_kind_subnet = {
	.name = "subnet",
	.tagged = 1,
	.vpc_scoped = 1,
	.describe = "DescribeSubnets",
	.parse = parse_subnets,
	.create = subnet_create,
	.update = subnet_update,
	.remove = subnet_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_INSTANCE) | CRAFT_KIND_BIT(CRAFT_K_RTB_ASSOC),
};

/* after its subnets too: a replaced subnet takes its association along */
const struct craft_kind_def craft_kind_rtb = {
	.name = "route_table",
	.tagged = 1,
	.vpc_scoped = 1,
	.describe = "DescribeRouteTables",
	.parse = parse_rtbs, /* also the routes and the associations */
	.create = rtb_create,
	.update = rtb_update,
	.remove = rtb_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_RTB_ASSOC) | CRAFT_KIND_BIT(CRAFT_K_ROUTE) |
	                CRAFT_KIND_BIT(CRAFT_K_SUBNET),
};

const struct craft_kind_def craft_kind_route = {
	.name = "route",
	.create = route_create,
	.update = route_update,
};

const struct craft_kind_def craft_kind_rtb_assoc = {
	.name = "rtb_association",
	.create = assoc_create,
	.remove = assoc_delete,
};
