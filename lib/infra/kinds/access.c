/*
 * kinds/access — the instance's security group with its ingress rules, and
 * the imported SSH key pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "infra/internal.h"

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
		s = eng_add_step(o, "RevokeSecurityGroupIngress", CF_MUTATING | CF_NOTFOUND_RETRY);
		craft_query_add(&s->q, "GroupId", r->id);
		add_perms(&s->q, del, ndel);
		s->ok_codes = ok_perm_gone;
	}
	if (nadd) {
		s = eng_add_step(o, "AuthorizeSecurityGroupIngress",
		                 CF_MUTATING | CF_NOTFOUND_RETRY);
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
	if (!x || !eng_tag_of(x, "craftctl:stack") ||
	    strcmp(eng_tag_of(x, "craftctl:stack"), o->e->cfg->stack) != 0) {
		eng_op_failf(o, CRAFT_EAWS,
		             "security group '%s' exists in the vpc but is not this stack's",
		             R(o)->want.group_name);
		return -1;
	}
	eng_set_id(o, craft_xml_path_text(x, "groupId"));
	sg_rules_steps(o);
	return 1;
}

static void sg_created(struct op *o, xmlNodePtr root)
{
	if (!root) { /* InvalidGroup.Duplicate: an earlier run made it; adopt it */
		eng_adopt_lookup(o, "DescribeSecurityGroups", "group-name", R(o)->want.group_name,
		                 "vpc-id", dep_res(o, CRAFT_K_VPC)->id, until_sg_adopted);
		return;
	}
	eng_set_id(o, craft_xml_path_text(root, "groupId"));
	sg_rules_steps(o);
}

static const char *const ok_group_dup[] = { "InvalidGroup.Duplicate", NULL };

static void sg_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = eng_add_step(o, "CreateSecurityGroup", CF_MUTATING | CF_NOTFOUND_RETRY);
	char desc[160];

	snprintf(desc, sizeof(desc), "craftctl %s: the instance (ssh, http, https)",
	         o->e->cfg->stack);
	craft_query_add(&s->q, "GroupName", r->want.group_name);
	craft_query_add(&s->q, "GroupDescription", desc);
	craft_query_add(&s->q, "VpcId", dep_res(o, CRAFT_K_VPC)->id);
	eng_add_tag_spec(o, s, 1, "security-group", r->name);
	s->ok_codes = ok_group_dup;
	s->after = sg_created;
	s->ready_after = 1;
}

static void sg_update(struct op *o)
{
	eng_add_tags_step(o);
	sg_rules_steps(o);
}

static void sg_delete(struct op *o)
{
	struct step *s = eng_add_step(o, "DeleteSecurityGroup",
	                              CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "GroupId", R(o)->id);
}

/* -- key pair */

static void key_adopted(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x = craft_xml_items(root, "keySet");
	const char *stack = x ? eng_tag_of(x, "craftctl:stack") : NULL;

	if (!x || !stack || strcmp(stack, o->e->cfg->stack) != 0) {
		eng_op_failf(o, CRAFT_EAWS,
		             "key pair '%s' already exists and is not this stack's: delete it or "
		             "rename the stack",
		             R(o)->want.key_name);
		return;
	}
	eng_set_id(o, craft_xml_path_text(x, "keyPairId"));
}

static void key_created(struct op *o, xmlNodePtr root)
{
	if (!root) {
		struct step *s = eng_add_step(o, "DescribeKeyPairs", CF_NOTFOUND_RETRY);

		craft_query_add(&s->q, "KeyName.1", R(o)->want.key_name);
		s->after = key_adopted;
		return;
	}
	eng_set_id(o, craft_xml_path_text(root, "keyPairId"));
	COPY(R(o)->have.key_name, R(o)->want.key_name);
}

static const char *const ok_key_dup[] = { "InvalidKeyPair.Duplicate", NULL };

static void key_create(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s = eng_add_step(o, "ImportKeyPair", CF_MUTATING);
	const char *pub = o->e->in->pubkey;
	char *b64 = craft_base64_encode(pub, strlen(pub), 0);

	if (!b64 || !s) {
		free(b64);
		eng_op_failf(o, CRAFT_ENOMEM, "out of memory");
		return;
	}
	craft_query_add(&s->q, "KeyName", r->want.key_name);
	craft_query_add(&s->q, "PublicKeyMaterial", b64);
	free(b64);
	eng_add_tag_spec(o, s, 1, "key-pair", r->name);
	s->ok_codes = ok_key_dup;
	s->after = key_created;
}

static void key_update(struct op *o)
{
	eng_add_tags_step(o);
}

static void key_delete(struct op *o)
{
	struct step *s = eng_add_step(o, "DeleteKeyPair", CF_MUTATING | CF_NOTFOUND_OK);

	/* both: AWS takes either, and some implementations read only the name */
	craft_query_add(&s->q, "KeyPairId", R(o)->id);
	if (R(o)->have.key_name[0])
		craft_query_add(&s->q, "KeyName", R(o)->have.key_name);
}

static void parse_sgs(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "securityGroupInfo"); x;
	     x = craft_xml_next_item(x)) {
		struct craft_res *c = eng_cand(f, CRAFT_K_SG, x, craft_xml_path_text(x, "groupId"));

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
		struct craft_res *c =
		        eng_cand(f, CRAFT_K_KEY, x, craft_xml_path_text(x, "keyPairId"));

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

/* The caller's address (access.ssh_from: auto) must be known first. */
static int sg_gate(struct op *o)
{
	const struct craft_infra *in = o->e->in;

	if (in->ip_started && !in->ip_done)
		return 0;
	if (in->ip_started && !in->m.my_cidr[0]) {
		eng_op_fail(o, &in->ip_err);
		return -1;
	}
	return 1;
}

/* The public key itself comes back, to be compared (see parse_keys). */
static void key_params(struct craft_query *q)
{
	craft_query_add(q, "IncludePublicKey", "true");
}

const struct craft_kind_def craft_kind_sg = {
	.name = "security_group",
	.tagged = 1,
	.vpc_scoped = 1,
	.describe = "DescribeSecurityGroups",
	.parse = parse_sgs,
	.gate = sg_gate,
	.create = sg_create,
	.update = sg_update,
	.remove = sg_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_INSTANCE),
};

const struct craft_kind_def craft_kind_key = {
	.name = "key_pair",
	.tagged = 1,
	.describe = "DescribeKeyPairs",
	.describe_params = key_params,
	.parse = parse_keys,
	.create = key_create,
	.update = key_update,
	.remove = key_delete,
};
