#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/templates.h"
#include "deploy/deploy.h"

Test(deploy, command_quotes_variables_and_uses_sudo_when_asked)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_deploy_kv v[] = { { "CRAFT_STACK", "demo" }, { "CRAFT_HOLDER", "o'brien" } };

	cr_assert_eq(craft_deploy_command(&b, 1, "echo \"$CRAFT_STACK\"\n", v, 2, NULL), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "sudo -n sh -c 'CRAFT_STACK='\\''demo'\\''\n"
	                                    "CRAFT_HOLDER='\\''o'\\''\\'\\'''\\''brien'\\''\n"
	                                    "echo \"$CRAFT_STACK\"\n'");
	craft_buf_release(&b);
	cr_assert_eq(craft_deploy_command(&b, 0, "true", v, 1, NULL), CRAFT_OK);
	cr_assert_eq(strncmp(craft_buf_str(&b), "sh -c '", 7), 0);
	craft_buf_release(&b);
}

Test(deploy, command_runs_in_a_real_shell)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_deploy_kv v[] = { { "X", "a'b \"c\" $(false) `x`" } };
	FILE *p;
	char line[256] = "";

	cr_assert_eq(craft_deploy_command(&b, 0, "printf '%s\\n' \"$X\"", v, 1, NULL), CRAFT_OK);
	p = popen(craft_buf_str(&b), "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p));
	pclose(p);
	cr_assert_str_eq(line, "a'b \"c\" $(false) `x`\n");
	craft_buf_release(&b);
}

Test(deploy, release_ids_sort_by_time)
{
	char a[96], b[96];

	cr_assert_eq(craft_deploy_release_id("/nonexistent-dir", 1700000000, a, sizeof(a), NULL),
	             CRAFT_OK);
	cr_assert_str_eq(a, "20231114T221320Z");
	cr_assert_eq(craft_deploy_release_id(".", 1700000001, b, sizeof(b), NULL), CRAFT_OK);
	cr_assert_lt(strcmp(a, b), 0);
}

Test(deploy, release_id_carries_the_trees_short_commit)
{
	char dir[] = "/tmp/craftctl-relid-XXXXXX", cmd[512], id[96], sha[64] = "", want[96];
	FILE *p;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && git init -q && echo x >f && git add f && git -c user.name=t "
	         "-c user.email=t@example.com -c commit.gpgsign=false commit -qm x && "
	         "git rev-parse --short=7 HEAD",
	         dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(sha, sizeof(sha), p));
	pclose(p);
	sha[strcspn(sha, "\n")] = '\0';
	cr_assert_geq(strlen(sha), 7);
	cr_assert_eq(craft_deploy_release_id(dir, 1700000000, id, sizeof(id), NULL), CRAFT_OK);
	snprintf(want, sizeof(want), "20231114T221320Z-%s", sha);
	cr_assert_str_eq(id, want);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(deploy, remote_scripts_are_built_in)
{
	const char *names[] = { "deploy-steps.sh", "install-docker.sh", "wait-cloud-init.sh" };

	for (size_t i = 0; i < 3; i++) {
		size_t len = 0;
		const char *t = craft_template_get(names[i], &len);

		cr_assert_not_null(t, "%s", names[i]);
		cr_assert_gt(len, 100);
		cr_assert_eq(strncmp(t, "#!/bin/sh", 9), 0);
	}
}

Test(deploy, bad_options_are_configuration_errors)
{
	struct craft_ssh_target t;
	struct craft_deploy_opts o;
	struct craft_deploy_result res;
	struct craft_err err;
	struct craft_deploy_kv env[] = { { "BAD-NAME", "x" } };

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	t.host = "127.0.0.1";
	t.user = "root";
	o.stack = "Not_Valid";
	o.compose_file = "/nonexistent.yml";
	craft_err_init(&err);
	cr_assert_eq(craft_deploy_run(&t, &o, NULL, &res, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "stack name 'Not_Valid'"), "%s", err.msg);
	o.stack = "demo";
	cr_assert_eq(craft_deploy_run(&t, &o, NULL, &res, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "cannot read compose file '/nonexistent.yml'"), "%s", err.msg);
	o.compose_file = "/dev/null";
	o.env = env;
	o.nenv = 1;
	cr_assert_eq(craft_deploy_run(&t, &o, NULL, &res, &err), CRAFT_ECONFIG);
	cr_assert(strstr(err.msg, "'BAD-NAME'"), "%s", err.msg);
}
