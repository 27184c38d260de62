#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diagram/diagram.h"
#include "infra/model.h"

static struct craft_config *cfg;
static struct craft_model *m;
static struct craft_compose compose;
static struct craft_buf out = CRAFT_BUF_INIT(1u << 22);

static void setup_stack(const char *yaml)
{
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_config_parse(&cfg, "s.yaml", yaml, strlen(yaml), NULL, &err), CRAFT_OK,
	             "%s", err.msg);
	m = calloc(1, sizeof(*m));
	cr_assert_not_null(m);
	cr_assert_eq(craft_model_build(m, cfg, &err), CRAFT_OK, "%s", err.msg);
}

static void teardown(void)
{
	craft_buf_release(&out);
	free(m);
	m = NULL;
	craft_config_free(cfg);
	cfg = NULL;
}

static const char *draw(int live, const struct craft_compose *cp)
{
	struct craft_diagram_input in = { m,        live, "us-east-2",
		                          "s.yaml", cp,   "compose.yml not found" };
	struct craft_err err;

	craft_buf_reset(&out);
	craft_err_init(&err);
	cr_assert_eq(craft_diagram_dot(&out, &in, &err), CRAFT_OK, "%s", err.msg);
	return craft_buf_str(&out);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Subnet nodes declared ("\tsubnet_x [") inside subgraph cluster_az_<zone>. */
static int subnets_in_zone(const char *dot, int zone)
{
	char head[64];
	const char *p, *end;
	int n = 0;

	snprintf(head, sizeof(head), "subgraph cluster_az_%d {", zone);
	p = strstr(dot, head);
	if (!p)
		return -1;
	end = strstr(p, "\n\t\t}\n");
	for (const char *q = strstr(p, "\tsubnet_"); q && q < end; q = strstr(q + 1, "\tsubnet_")) {
		size_t id = strspn(q + 1, "abcdefghijklmnopqrstuvwxyz_0123456789");

		if (strncmp(q + 1 + id, " [", 2) == 0)
			n++;
	}
	return n;
}

static void load_compose(void)
{
	static const char text[] = "services:\n"
	                           "  db: { image: 'postgres:16' }\n"
	                           "  backend: { build: ./app/backend, depends_on: [db] }\n"
	                           "  nginx:\n"
	                           "    build: ./app/nginx\n"
	                           "    ports: ['${HTTP_PORT:-80}:8080']\n"
	                           "    depends_on: [backend]\n";
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_compose_parse(&compose, "dc.yml", text, sizeof(text) - 1, &err),
	             CRAFT_OK, "%s", err.msg);
}

TestSuite(diagram, .fini = teardown);

Test(diagram, planned_default_stack_has_every_element)
{
	const char *d;

	setup_stack("stack: craftech\nregion: us-east-2\n");
	load_compose();
	d = draw(0, &compose);
	cr_assert(strstr(d, "digraph craftctl {"));
	cr_assert(strstr(d, "planned: from s.yaml alone, region us-east-2"));
	cr_assert(strstr(d, "subgraph cluster_vpc {"));
	cr_assert(strstr(d, "<b>10.20.0.0/16</b>"));
	cr_assert_eq(subnets_in_zone(d, 1), 2);
	cr_assert_eq(subnets_in_zone(d, 2), 2);
	cr_assert_eq(subnets_in_zone(d, 3), -1);
	cr_assert(strstr(d, "subnet_public_1 [shape=plain, label=<<b>public subnet</b><br/>"
	                    "craftech-public-1<br/><b>10.20.0.0/20</b>"));
	/* the instance and the containers inside public-1, inside the security group */
	{
		const char *sub = strstr(d, "subgraph cluster_subnet_public_1 {");
		const char *sg = strstr(d, "subgraph cluster_sg {");
		const char *inst = strstr(d, "instance [label=<<b>EC2 instance</b>");
		const char *cp = strstr(d, "subgraph cluster_compose {");
		const char *az2 = strstr(d, "subgraph cluster_az_2 {");

		cr_assert(sub && sg && inst && cp && az2);
		cr_assert(sub < sg && sg < inst && inst < cp && cp < az2);
	}
	cr_assert(strstr(d, "subnet_private_2 [label=<<b>private subnet</b><br/>craftech-private-2"
	                    "<br/><b>10.20.144.0/20</b>"));
	cr_assert(strstr(d, "\t\tigw [label=<<b>internet gateway</b>"));
	cr_assert(strstr(d, "<b>public route table</b>"));
	cr_assert(strstr(d,
	                 "<td align=\"left\">0.0.0.0/0</td><td>→</td><td align=\"left\">internet "
	                 "gateway</td>"));
	cr_assert(strstr(d, "rtb -> igw [label=\"0.0.0.0/0\""));
	cr_assert(strstr(d, "rtb -> subnet_public_1 "));
	cr_assert(strstr(d, "rtb -> subnet_public_2 "));
	cr_assert_null(strstr(d, "rtb -> subnet_private"));
	cr_assert(
	        strstr(d, "<td align=\"left\">tcp 22</td><td align=\"left\">your address/32</td>"));
	cr_assert(strstr(d, "<td align=\"left\">tcp 80</td><td align=\"left\">0.0.0.0/0</td>"));
	cr_assert(strstr(d, "<td align=\"left\">tcp 443</td><td align=\"left\">0.0.0.0/0</td>"));
	cr_assert(strstr(d, "t3.medium · ubuntu-24.04"));
	cr_assert(strstr(d, "root volume 30 GiB gp3, encrypted"));
	cr_assert(strstr(d, "\teip [label=<<b>Elastic IP</b>"));
	cr_assert(strstr(d, "eip -> instance [label=\"associated\""));
	cr_assert(strstr(d, "internet -> eip [label=\"tcp 22, 80, 443\""));
	cr_assert(strstr(d, "svc_nginx [label=<<b>nginx</b>"));
	cr_assert(strstr(d, "publishes host :80 → 8080"));
	cr_assert(strstr(d, "svc_nginx -> svc_backend"));
	cr_assert(strstr(d, "svc_backend -> svc_db"));
	cr_assert(strstr(d, "instance -> svc_nginx [label=\"http :80\""));
	cr_assert_null(strstr(d, "not created"));
	cr_assert_null(strstr(d, "extras"));
	cr_assert_null(strstr(d, "not checked on the instance"));
}

Test(diagram, zones_follow_the_stack_file)
{
	const char *d;

	setup_stack("stack: one\nnetwork: { cidr: 10.1.0.0/16, availability_zones: 1 }\n");
	d = draw(0, NULL);
	cr_assert_eq(subnets_in_zone(d, 1), 2);
	cr_assert_eq(subnets_in_zone(d, 2), -1);
	cr_assert_eq(count(d, "rtb -> subnet_public_"), 1);
	teardown();
	setup_stack("stack: three\nnetwork: { cidr: 10.30.0.0/20, availability_zones: 3 }\n");
	d = draw(0, NULL);
	for (int z = 1; z <= 3; z++)
		cr_assert_eq(subnets_in_zone(d, z), 2, "zone %d", z);
	cr_assert_eq(subnets_in_zone(d, 4), -1);
	cr_assert_eq(count(d, "rtb -> subnet_public_"), 3);
	/* /20 carved in /24s: public-3 is index 2, private-3 is index 10 */
	cr_assert(strstr(d, "<b>10.30.2.0/24</b>"));
	cr_assert(strstr(d, "<b>10.30.10.0/24</b>"));
}

Test(diagram, a_service_on_the_host_network_takes_the_traffic)
{
	static const char text[] = "services:\n"
	                           "  worker: { image: busybox }\n"
	                           "  web: { build: ./web, network_mode: host }\n";
	struct craft_err err;
	const char *d;

	setup_stack("stack: x\ndeploy: { http_port: 8080 }\n");
	craft_err_init(&err);
	cr_assert_eq(craft_compose_parse(&compose, "dc.yml", text, sizeof(text) - 1, &err),
	             CRAFT_OK);
	d = draw(0, &compose);
	cr_assert(strstr(d, "instance -> svc_web [label=\"http :8080\""));
	cr_assert(strstr(d, "on the host's network"));
	cr_assert(strstr(d, "<font point-size=\"9\">http (web)</font>"));
	cr_assert(strstr(d, "<font point-size=\"9\">https (web)</font>"));
	compose.svc[1].network_mode[0] = '\0';
	d = draw(0, &compose);
	cr_assert(strstr(d, "instance -> svc_worker [style=invis]"));
	cr_assert(strstr(d, "<font point-size=\"9\">http</font>"));
}

Test(diagram, without_compose_says_why)
{
	const char *d;

	setup_stack("stack: x\n");
	d = draw(0, NULL);
	cr_assert(strstr(d, "svc__none [shape=note, label=<compose.yml not found>"));
	cr_assert_null(strstr(d, "instance -> svc_"));
}

Test(diagram, ports_and_rules_follow_the_config)
{
	const char *d;

	setup_stack("stack: x\ninstance: { ssh_port: 2222 }\n"
	            "access: { ssh_from: [203.0.113.7/32, auto], http_from: [198.51.100.0/24] }\n"
	            "deploy: { http_port: 8080, env: { WEB_IMAGE: 'web:2' } }\n");
	load_compose();
	compose.svc[0].nports = 1;
	snprintf(compose.svc[0].image, sizeof(compose.svc[0].image), "${WEB_IMAGE:-web:1}");
	snprintf(compose.svc[0].ports[0], sizeof(compose.svc[0].ports[0]), "${DB_PORT:-5432}:5432");
	d = draw(0, &compose);
	/* the values the deploy sets: HTTP_PORT from deploy.http_port, deploy.env */
	cr_assert(strstr(d, "publishes host :8080 → 8080"), "%s", d);
	cr_assert(strstr(d, "web:2"));
	cr_assert(strstr(d, "publishes host :5432 → 5432"));
	cr_assert(strstr(d, "instance -> svc_nginx [label=\"http :8080\""));
	cr_assert(strstr(d,
	                 "<td align=\"left\">tcp 2222</td><td align=\"left\">203.0.113.7/32</td>"));
	cr_assert(strstr(
	        d, "<td align=\"left\">tcp 2222</td><td align=\"left\">your address/32</td>"));
	cr_assert(strstr(
	        d, "<td align=\"left\">tcp 8080</td><td align=\"left\">198.51.100.0/24</td>"));
	cr_assert(strstr(d,
	                 "<td align=\"left\">tcp 443</td><td align=\"left\">198.51.100.0/24</td>"));
	cr_assert_null(strstr(d, "0.0.0.0/0</td><td align=\"left\"><font"));
	cr_assert(strstr(d, "internet -> eip [label=\"tcp 2222, 8080, 443\""));
}

static void found(enum craft_kind k, const char *name, const char *id, const char *state)
{
	int i = craft_model_find(m, k, name);

	cr_assert_geq(i, 0);
	m->res[i].found = 1;
	snprintf(m->res[i].id, sizeof(m->res[i].id), "%s", id);
	snprintf(m->res[i].state, sizeof(m->res[i].state), "%s", state);
	m->res[i].have = m->res[i].want;
}

Test(diagram, live_shows_ids_states_and_what_is_missing)
{
	const char *d;
	int i, x;

	setup_stack("stack: live\nregion: eu-west-1\n");
	m->naz = 2;
	snprintf(m->azs[0], sizeof(m->azs[0]), "eu-west-1a");
	snprintf(m->azs[1], sizeof(m->azs[1]), "eu-west-1b");
	found(CRAFT_K_VPC, "main", "vpc-0123", "available");
	found(CRAFT_K_SUBNET, "public-1", "subnet-aaa", "available");
	found(CRAFT_K_IGW, "main", "igw-777", "attached");
	found(CRAFT_K_SG, "instance", "sg-555", "available");
	i = craft_model_find(m, CRAFT_K_SG, "instance");
	m->res[i].have.nrules = 1;
	m->res[i].have.rules[0].port = 22;
	snprintf(m->res[i].have.rules[0].cidr, sizeof(m->res[i].have.rules[0].cidr),
	         "192.0.2.1/32");
	found(CRAFT_K_INSTANCE, "server", "i-0abc", "running");
	i = craft_model_find(m, CRAFT_K_INSTANCE, "server");
	snprintf(m->res[i].have.ami, sizeof(m->res[i].have.ami), "ami-999");
	found(CRAFT_K_EIP, "server", "eipalloc-1", "associated");
	i = craft_model_find(m, CRAFT_K_EIP, "server");
	snprintf(m->res[i].have.public_ip, sizeof(m->res[i].have.public_ip), "198.51.100.9");
	snprintf(m->res[i].have.instance_id, sizeof(m->res[i].have.instance_id), "i-0abc");
	x = craft_model_add_extra(m, CRAFT_K_SUBNET, "public-3", "subnet-zzz");
	cr_assert_geq(x, 0);
	craft_model_plan(m);
	d = draw(1, NULL);
	cr_assert(strstr(d, "live: discovered in us-east-2, 6 of 12 resources exist"), "%s", d);
	cr_assert(strstr(d, "vpc-0123"));
	cr_assert(strstr(d, "subnet-aaa"));
	cr_assert(strstr(d, "igw-777 · attached"));
	cr_assert(strstr(d, "i-0abc · running"));
	cr_assert(strstr(d, "(ami-999)"));
	cr_assert(strstr(d, "<b>198.51.100.9</b>"));
	cr_assert(strstr(d, "availability zone 1</b> · eu-west-1a"));
	cr_assert(strstr(d, "availability zone 2</b> · eu-west-1b"));
	/* the rules AWS has, not the stack file's */
	cr_assert(strstr(d, "<td align=\"left\">tcp 22</td><td align=\"left\">192.0.2.1/32</td>"));
	cr_assert_null(strstr(d, "your address/32"));
	/* missing: public-2, both private subnets, the route table */
	cr_assert_eq(count(d, "<i>not created</i>"), 4);
	cr_assert(strstr(
	        d, "subnet_public_2 [label=<<b>public subnet</b><br/>live-public-2<br/><i>not "
	           "created</i>"));
	cr_assert(strstr(d, "internet gateway (not created)"));
	cr_assert(strstr(d, "found in AWS, not in the stack file"));
	cr_assert(strstr(d, "subnet public-3 subnet-zzz"));
	cr_assert(strstr(d, "(the file's services; not checked on the instance)"));
}

Test(diagram, live_without_the_group_shows_the_rules_it_would_get)
{
	const char *d;

	setup_stack("stack: x\n");
	found(CRAFT_K_VPC, "main", "vpc-1", "available");
	snprintf(m->my_cidr, sizeof(m->my_cidr), "192.0.2.7/32");
	craft_model_plan(m);
	d = draw(1, NULL);
	cr_assert(strstr(d, "<td align=\"left\">tcp 22</td><td align=\"left\">192.0.2.7/32</td>"));
	cr_assert(strstr(d, "<b>security group</b><br/>x-instance<br/><i>not created</i>"));
}

Test(diagram, labels_are_escaped)
{
	static const char text[] = "services:\n  web:\n    image: 'a<b>&\"c'\n";
	struct craft_err err;
	const char *d;

	setup_stack("stack: x\n");
	craft_err_init(&err);
	cr_assert_eq(craft_compose_parse(&compose, "dc.yml", text, sizeof(text) - 1, &err),
	             CRAFT_OK);
	d = draw(0, &compose);
	cr_assert(strstr(d, "a&lt;b&gt;&amp;&quot;c"));
	cr_assert_null(strstr(d, "a<b>"));
}

Test(diagram, output_is_deterministic)
{
	char *first;

	setup_stack("stack: x\n");
	load_compose();
	first = strdup(draw(0, &compose));
	cr_assert_str_eq(draw(0, &compose), first);
	free(first);
}
