#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "diagram/compose.h"

static struct craft_compose c;

static void parse_ok(const char *text)
{
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_compose_parse(&c, "dc.yml", text, strlen(text), &err), CRAFT_OK, "%s",
	             err.msg);
}

static void parse_bad(const char *text, const char *want)
{
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_compose_parse(&c, "dc.yml", text, strlen(text), &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
	cr_assert_eq(c.n, 0);
}

Test(compose, the_repository_file_shape)
{
	const struct craft_compose_service *s;

	parse_ok("x-restart: &restart\n"
	         "  restart: unless-stopped\n"
	         "services:\n"
	         "  db:\n"
	         "    image: postgres:16.6-bookworm\n"
	         "    <<: *restart\n"
	         "  backend:\n"
	         "    build: ./app/backend\n"
	         "    image: craftctl-app/backend:${RELEASE_ID:-local}\n"
	         "    depends_on:\n"
	         "      db:\n"
	         "        condition: service_healthy\n"
	         "  frontend:\n"
	         "    build: { context: ./app/frontend }\n"
	         "  nginx:\n"
	         "    build: ./app/nginx\n"
	         "    ports:\n"
	         "      - \"${HTTP_PORT:-80}:8080\"\n"
	         "    depends_on: [backend, frontend]\n"
	         "volumes:\n"
	         "  pgdata:\n");
	cr_assert_eq(c.n, 4);
	cr_assert_str_eq(c.svc[0].name, "db");
	cr_assert_str_eq(c.svc[0].image, "postgres:16.6-bookworm");
	cr_assert_eq(c.svc[0].nports, 0);
	cr_assert_eq(c.svc[0].ndeps, 0);
	s = &c.svc[craft_compose_find(&c, "backend")];
	cr_assert_str_eq(s->build, "./app/backend");
	cr_assert_eq(s->ndeps, 1);
	cr_assert_str_eq(s->deps[0], "db");
	cr_assert_str_eq(c.svc[2].build, "./app/frontend");
	s = &c.svc[craft_compose_find(&c, "nginx")];
	cr_assert_eq(s->nports, 1);
	cr_assert_str_eq(s->ports[0], "${HTTP_PORT:-80}:8080");
	cr_assert_eq(s->ndeps, 2);
	cr_assert_str_eq(s->deps[1], "frontend");
	cr_assert_eq(craft_compose_find(&c, "nope"), -1);
}

Test(compose, port_forms)
{
	parse_ok("services:\n"
	         "  a:\n"
	         "    image: x\n"
	         "    network_mode: bridge\n"
	         "    ports:\n"
	         "      - \"127.0.0.1:8443:443/tcp\"\n"
	         "      - \"9000\"\n"
	         "      - target: 80\n"
	         "        published: \"8080\"\n"
	         "      - target: 53\n");
	cr_assert_eq(c.svc[0].nports, 4);
	cr_assert_str_eq(c.svc[0].ports[0], "8443:443");
	cr_assert_str_eq(c.svc[0].ports[1], "9000");
	cr_assert_str_eq(c.svc[0].ports[2], "8080:80");
	cr_assert_str_eq(c.svc[0].ports[3], "53");
	cr_assert_str_eq(c.svc[0].network_mode, "bridge");
}

Test(compose, errors_name_file_line_and_column)
{
	parse_bad("services:\n  a:\n    image: [unclosed\n", "'dc.yml': line ");
	parse_bad("services: [a, b]\n",
	          "'dc.yml': line 1, column 11: 'services' must be a mapping");
	parse_bad("version: '3'\n", "no 'services' mapping");
	parse_bad("services:\n  a: 3\n", "line 2, column 6: a service must be a mapping");
	parse_bad("services:\n  a:\n    ports: 80\n", "line 3, column 12: ports must be a list");
	parse_bad("services:\n  a:\n    depends_on: [b]\n",
	          "line 3, column 17: service 'a' depends on 'b', which is not defined");
	parse_bad("", "the file is empty");
	parse_bad("- a\n", "expected a mapping");
}

Test(compose, load_reports_a_missing_file_as_not_found)
{
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_compose_load(&c, "/nonexistent/dc.yml", &err), CRAFT_ENOTFOUND);
	cr_assert(strstr(err.msg, "/nonexistent/dc.yml"));
}

Test(compose, interpolation_shows_defaults)
{
	char out[64];

	craft_compose_interpolate(out, sizeof(out), "${HTTP_PORT:-80}:8080", NULL, 0);
	cr_assert_str_eq(out, "80:8080");
	craft_compose_interpolate(out, sizeof(out), "img:${TAG-latest}", NULL, 0);
	cr_assert_str_eq(out, "img:latest");
	craft_compose_interpolate(out, sizeof(out), "${SECRET:?set-it please}", NULL, 0);
	cr_assert_str_eq(out, "${SECRET:?set-it please}");
	craft_compose_interpolate(out, sizeof(out), "${PLAIN}", NULL, 0);
	cr_assert_str_eq(out, "${PLAIN}");
	craft_compose_interpolate(out, sizeof(out), "$${NOT} ${} ${A:B} $X", NULL, 0);
	cr_assert_str_eq(out, "$${NOT} ${} ${A:B} $X");
	craft_compose_interpolate(out, 4, "abcdef", NULL, 0);
	cr_assert_str_eq(out, "abc");
}

Test(compose, interpolation_uses_what_the_deploy_sets)
{
	const struct craft_compose_var vars[] = {
		{ "HTTP_PORT", "8080" },
		{ "EMPTY", "" },
		{ "TAG", "v1" },
		{ "TAG", "v2" },
	};
	char out[64];

	craft_compose_interpolate(out, sizeof(out), "${HTTP_PORT:-80}:8080", vars, 4);
	cr_assert_str_eq(out, "8080:8080");
	craft_compose_interpolate(out, sizeof(out), "img:${TAG}", vars, 4);
	cr_assert_str_eq(out, "img:v2");
	craft_compose_interpolate(out, sizeof(out), "[${EMPTY:-d}][${EMPTY-d}][${EMPTY}]", vars, 4);
	cr_assert_str_eq(out, "[d][][]");
	craft_compose_interpolate(out, sizeof(out), "$${HTTP_PORT:-1}", vars, 4);
	cr_assert_str_eq(out, "$${HTTP_PORT:-1}");
	craft_compose_interpolate(out, sizeof(out), "${HTTP_PORT:?needed}", vars, 4);
	cr_assert_str_eq(out, "8080");
	craft_compose_interpolate(out, 6, "${HTTP_PORT}${HTTP_PORT}", vars, 4);
	cr_assert_str_eq(out, "80808");
}
