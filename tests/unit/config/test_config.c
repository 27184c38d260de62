#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static struct craft_config *parse_ok(const char *text)
{
	struct craft_config *c = NULL;
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_config_parse(&c, "t.yaml", text, strlen(text), NULL, &err), CRAFT_OK,
	             "%s", err.msg);
	return c;
}

static void parse_bad(const char *text, const char *want)
{
	struct craft_config *c = NULL;
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_config_parse(&c, "t.yaml", text, strlen(text), NULL, &err),
	             CRAFT_ECONFIG);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
}

Test(config, defaults_fill_everything_left_out)
{
	struct craft_config *c = parse_ok("stack: demo\n");

	cr_assert_str_eq(c->stack, "demo");
	cr_assert_null(c->region);
	cr_assert_str_eq(c->cidr, "10.20.0.0/16");
	cr_assert_eq(c->az_count, 2);
	cr_assert_str_eq(c->instance_type, "t3.medium");
	cr_assert_str_eq(c->image, "ubuntu-24.04");
	cr_assert_eq(c->root_size_gb, 30);
	cr_assert_str_eq(c->root_type, "gp3");
	cr_assert_str_eq(c->ssh_user, "ubuntu");
	/* left out: the generated key's path, resolved at load */
	cr_assert_eq(c->ssh_key_generated, 1);
	if (getenv("HOME") || getenv("XDG_CONFIG_HOME"))
		cr_assert(c->ssh_key && strstr(c->ssh_key, "/craftctl/") &&
		                  strcmp(c->ssh_key + strlen(c->ssh_key) - 11, "/id_ed25519") == 0,
		          "%s", c->ssh_key ? c->ssh_key : "(null)");
	cr_assert_eq(c->ssh_port, 22);
	cr_assert_eq(c->n_ssh_from, 1);
	cr_assert_str_eq(c->ssh_from[0], "auto");
	cr_assert_eq(c->n_http_from, 1);
	cr_assert_str_eq(c->http_from[0], "0.0.0.0/0");
	cr_assert_str_eq(c->compose_file, "docker-compose.yml");
	cr_assert_eq(c->http_port, 80);
	cr_assert_str_eq(c->health_path, "/api/health");
	cr_assert_eq(c->n_secrets, 2);
	cr_assert_str_eq(c->secrets[0], "POSTGRES_PASSWORD");
	cr_assert_str_eq(c->secrets[1], "DJANGO_SECRET_KEY");
	cr_assert_eq(c->n_env, 0);
	cr_assert_eq(c->n_tags, 0);
	craft_config_free(c);
}

Test(config, full_file_from_cli_md)
{
	struct craft_config *c = parse_ok("stack: craftech\n"
	                                  "region: us-east-2\n"
	                                  "network:\n"
	                                  "  cidr: 10.30.0.0/20\n"
	                                  "  availability_zones: 3\n"
	                                  "instance:\n"
	                                  "  type: t4g.small\n"
	                                  "  image: ubuntu-22.04\n"
	                                  "  root_volume: { size_gb: 40, type: gp2 }\n"
	                                  "  ssh_user: admin\n"
	                                  "  ssh_port: 2222\n"
	                                  "access:\n"
	                                  "  ssh_from: [203.0.113.7/32, auto]\n"
	                                  "  http_from: []\n"
	                                  "deploy:\n"
	                                  "  compose_file: deploy/compose.yml\n"
	                                  "  http_port: 8080\n"
	                                  "  health_path: /healthz\n"
	                                  "  env: { DEBUG: '0', SITE: example.org }\n"
	                                  "  secrets: [API_TOKEN]\n"
	                                  "tags: { team: platform, cost-center: '42' }\n");

	cr_assert_str_eq(c->region, "us-east-2");
	cr_assert_str_eq(c->cidr, "10.30.0.0/20");
	cr_assert_eq(c->az_count, 3);
	cr_assert_str_eq(c->instance_type, "t4g.small");
	cr_assert_eq(c->root_size_gb, 40);
	cr_assert_str_eq(c->root_type, "gp2");
	cr_assert_eq(c->ssh_port, 2222);
	cr_assert_eq(c->n_ssh_from, 2);
	cr_assert_str_eq(c->ssh_from[0], "203.0.113.7/32");
	cr_assert_eq(c->n_http_from, 0);
	cr_assert_eq(c->http_port, 8080);
	cr_assert_eq(c->n_env, 2);
	cr_assert_str_eq(c->env[1].key, "SITE");
	cr_assert_str_eq(c->env[1].value, "example.org");
	cr_assert_eq(c->n_secrets, 1);
	cr_assert_str_eq(c->secrets[0], "API_TOKEN");
	cr_assert_eq(c->n_tags, 2);
	cr_assert_str_eq(c->tags[1].key, "cost-center");
	cr_assert_str_eq(c->tags[1].value, "42");
	craft_config_free(c);
}

Test(config, overrides_win_and_are_validated)
{
	struct craft_config *c = NULL;
	struct craft_err err;
	struct craft_config_overrides ov = { "other", "eu-west-1" };
	const char *t = "stack: demo\nregion: us-east-2\n";

	craft_err_init(&err);
	cr_assert_eq(craft_config_parse(&c, "t.yaml", t, strlen(t), &ov, &err), CRAFT_OK);
	cr_assert_str_eq(c->stack, "other");
	cr_assert_str_eq(c->region, "eu-west-1");
	craft_config_free(c);
	ov.stack = "Bad Name";
	cr_assert_eq(craft_config_parse(&c, "t.yaml", t, strlen(t), &ov, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "--stack"));
	/* --stack also stands in for a missing stack: */
	ov.stack = "given";
	t = "region: us-east-2\n";
	cr_assert_eq(craft_config_parse(&c, "t.yaml", t, strlen(t), &ov, &err), CRAFT_OK);
	cr_assert_str_eq(c->stack, "given");
	craft_config_free(c);
}

Test(config, errors_name_file_line_and_column)
{
	parse_bad("stack: demo\nnetwork:\n  cidr: 10.0.0.0/8\n", "t.yaml: line 3, column 9:");
	parse_bad("stack: demo\ninstance:\n  tpye: t3.small\n", "did you mean 'type'?");
	parse_bad("stack: demo\nnetwork:\n  availability_zones: two\n", "line 3, column 23");
	parse_bad("stack: demo\nnetwork:\n  availability_zones: '2'\n", "whole number");
	parse_bad("stack: demo\naccess:\n  ssh_from: []\n", "at least 1");
	parse_bad("stack: demo\naccess:\n  http_from: [0.0.0.0/0, 0.0.0.0/0]\n", "twice");
	parse_bad("stack: demo\n---\nstack: again\n", "more than one YAML document");
	parse_bad("stack: [a]\n", "line 1, column 8");
	parse_bad("stack:\n", "'stack' needs a value");
	parse_bad("stack: demo\ndeploy:\n  secrets: [bad-name]\n", "variable name");
	parse_bad("stack: demo\ninstance:\n  image: ami-XYZ\n", "invalid image");
}

Test(config, yaml_features_are_understood)
{
	/* anchors, flow style, quoted scalars, comments, null sections */
	struct craft_config *c = parse_ok("# comment\n"
	                                  "stack: \"demo\"\n"
	                                  "network:\n"
	                                  "deploy: ~\n"
	                                  "access:\n"
	                                  "  ssh_from: &me 198.51.100.0/24\n"
	                                  "  http_from: [*me]\n");

	cr_assert_eq(c->n_ssh_from, 1);
	cr_assert_str_eq(c->ssh_from[0], "198.51.100.0/24");
	cr_assert_str_eq(c->http_from[0], "198.51.100.0/24");
	craft_config_free(c);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/craft-config-XXXXXX";
	char *d = mkdtemp(tmpl);

	cr_assert_not_null(d);
	return strdup(d);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(config, ssh_key_must_be_private_with_pub)
{
	char *d = tmpdir();
	char key[512], pub[512], yaml[1200];
	struct craft_config *c = NULL;
	struct craft_err err;

	snprintf(key, sizeof(key), "%s/id", d);
	snprintf(pub, sizeof(pub), "%s/id.pub", d);
	write_text(key, "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE "
	                "KEY-----\n");
	snprintf(yaml, sizeof(yaml), "stack: demo\ninstance:\n  ssh_key: %s\n", key);
	craft_err_init(&err);
	cr_assert_eq(craft_config_parse(&c, "t.yaml", yaml, strlen(yaml), NULL, &err),
	             CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "no public half"), "%s", err.msg);
	cr_assert(strstr(err.msg, "line 3, column 12"), "%s", err.msg);
	write_text(pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC test\n");
	cr_assert_eq(craft_config_parse(&c, "t.yaml", yaml, strlen(yaml), NULL, &err), CRAFT_OK,
	             "%s", err.msg);
	cr_assert_str_eq(c->ssh_key, key);
	cr_assert_eq(c->ssh_key_generated, 0);
	craft_config_free(c);
	write_text(key, "not a key\n");
	cr_assert_eq(craft_config_parse(&c, "t.yaml", yaml, strlen(yaml), NULL, &err),
	             CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "not a private key"), "%s", err.msg);
	/* a relative path is relative to the stack file's directory */
	write_text(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	snprintf(yaml, sizeof(yaml), "stack: demo\ninstance:\n  ssh_key: id\n");
	snprintf(pub, sizeof(pub), "%s/craftctl.yaml", d);
	cr_assert_eq(craft_config_parse(&c, pub, yaml, strlen(yaml), NULL, &err), CRAFT_OK, "%s",
	             err.msg);
	cr_assert_str_eq(c->ssh_key, key);
	craft_config_free(c);
	free(d);
}

/* The key's format is ssh/keyfile.c's (tests/unit/ssh/test_keyfile.c); here
 * where it goes and that it is made once. */
Test(config, generated_key_is_per_stack_and_reused)
{
	char *d = tmpdir();
	struct craft_config *c;
	struct craft_err err;
	char *pubtext = NULL;
	char expect[600];
	struct stat st;
	int created = -1;

	setenv("XDG_CONFIG_HOME", d, 1);
	c = parse_ok("stack: keytest\n");
	craft_err_init(&err);
	cr_assert_eq(craft_config_ensure_key(c, &created, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(created, 1);
	snprintf(expect, sizeof(expect), "%s/craftctl/keytest/id_ed25519", d);
	cr_assert_str_eq(c->ssh_key, expect);
	cr_assert_eq(stat(c->ssh_key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(craft_config_public_key(&pubtext, c, &err), CRAFT_OK);
	cr_assert(strncmp(pubtext, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0, "%s",
	          pubtext);
	cr_assert(strstr(pubtext, " craftctl-keytest") != NULL, "%s", pubtext);
	free(pubtext);
	craft_config_free(c);
	c = parse_ok("stack: keytest\n");
	cr_assert_eq(craft_config_ensure_key(c, &created, &err), CRAFT_OK);
	cr_assert_eq(created, 0);
	cr_assert_str_eq(c->ssh_key, expect);
	craft_config_free(c);
	free(d);
}

/* Every file in tests/engine/broken must fail with the message its first
 * line promises, naming file, line and column. */
Test(config, broken_stack_files)
{
	DIR *dir = opendir("tests/engine/broken");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dir, "run from the top of the repository");
	while ((e = readdir(dir))) {
		char path[512], line[512], msg[1300];
		struct craft_config *c = NULL;
		struct craft_err err;
		regex_t re;
		FILE *f;

		if (!strstr(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "tests/engine/broken/%s", e->d_name);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		cr_assert_not_null(fgets(line, sizeof(line), f));
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		cr_assert(strncmp(line, "# expect: ", 10) == 0, "%s: no expect line", path);
		craft_err_init(&err);
		cr_assert_eq(craft_config_load(&c, path, NULL, &err), CRAFT_ECONFIG, "%s: %s", path,
		             err.msg);
		snprintf(msg, sizeof(msg), "%s", err.msg);
		cr_assert(strncmp(msg, path, strlen(path)) == 0, "%s: message lacks the file: %s",
		          path, msg);
		cr_assert_eq(regcomp(&re, line + 10, REG_EXTENDED | REG_NOSUB), 0, "%s", path);
		cr_assert_eq(regexec(&re, msg, 0, NULL, 0), 0, "%s: '%s' !~ /%s/", path, msg,
		             line + 10);
		regfree(&re);
		n++;
	}
	closedir(dir);
	cr_assert_geq(n, 15);
}

/* The compose file is resolved once, at load: relative to the stack file's
 * folder, ~ expanded, absolute kept; compose_file stays as written. */
Test(config, compose_path_is_resolved_against_the_stack_file)
{
	static const struct {
		const char *stack_file, *compose, *want;
	} cases[] = {
		{ "/srv/app/craftctl.yaml", "docker-compose.yml", "/srv/app/docker-compose.yml" },
		{ "/srv/app/craftctl.yaml", "deploy/stack.yml", "/srv/app/deploy/stack.yml" },
		{ "/srv/app/craftctl.yaml", "/opt/stack.yml", "/opt/stack.yml" },
		{ "craftctl.yaml", "docker-compose.yml", "./docker-compose.yml" },
		{ "/srv/app/craftctl.yaml", "~/stack.yml", "/home/tester/stack.yml" },
	};
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	setenv("HOME", "/home/tester", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		struct craft_config *c = NULL;
		struct craft_err err;

		snprintf(text, sizeof(text),
		         "stack: demo\nregion: us-east-2\ndeploy: { compose_file: '%s' }\n",
		         cases[i].compose);
		craft_err_init(&err);
		cr_assert_eq(
		        craft_config_parse(&c, cases[i].stack_file, text, strlen(text), NULL, &err),
		        CRAFT_OK, "%s", err.msg);
		cr_assert_str_eq(c->compose_path, cases[i].want, "%s", cases[i].compose);
		cr_assert_str_eq(c->compose_file, cases[i].compose);
		craft_config_free(c);
	}
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
}

Test(config, data_volume_backups_and_their_errors)
{
	struct craft_config *c = parse_ok("stack: demo\ninstance:\n  data_volume: { size_gb: 50, "
	                                  "type: io2 }\ndeploy: { backup: 'off' }\n"
	                                  "backups: { keep: 3 }\n");

	cr_assert_eq(c->data_volume, 1);
	cr_assert_eq(c->data_size_gb, 50);
	cr_assert_str_eq(c->data_type, "io2");
	cr_assert_str_eq(c->deploy_backup, "off");
	cr_assert_eq(c->backups_keep, 3);
	craft_config_free(c);
	c = parse_ok("stack: demo\ninstance: { data_volume: true }\n");
	cr_assert_eq(c->data_volume, 1);
	cr_assert_eq(c->data_size_gb, 20);
	craft_config_free(c);
	parse_bad("stack: demo\ninstance: { data_volume: no }\n",
	          "expected a mapping for 'data_volume' or false");
	parse_bad("stack: demo\ninstance: { data_volume: { size_gb: 0 } }\n", "size_gb");
	parse_bad("stack: demo\ninstance: { data_volume: { type: gp9 } }\n", "an EBS volume type");
	parse_bad("stack: demo\ndeploy: { backup: always }\n", "before_release");
	parse_bad("stack: demo\nbackups: { keep: 0 }\n", "keep");
}
