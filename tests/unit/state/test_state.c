#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/craft-state-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
}

TestSuite(state, .init = setup);

Test(state, missing_cache_is_empty_and_save_is_0600)
{
	struct craft_state *st = NULL;
	struct craft_err err;
	char path[256];
	struct stat sb;
	int discarded = -1;

	craft_err_init(&err);
	cr_assert_eq(craft_state_load(&st, "demo", &discarded, &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(discarded, 0);
	cr_assert_null(craft_state_get_id(st, "vpc", "main"));
	cr_assert_eq(craft_state_set_id(st, "vpc", "main", "vpc-0123"), CRAFT_OK);
	cr_assert_eq(craft_state_set(st, "host_key", "ssh-ed25519 AAAA"), CRAFT_OK);
	cr_assert_eq(craft_state_save(st, &err), CRAFT_OK, "%s", err.msg);
	craft_state_free(st);
	snprintf(path, sizeof(path), "%s/craftctl/demo.json", dir);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);

	cr_assert_eq(craft_state_load(&st, "demo", &discarded, &err), CRAFT_OK);
	cr_assert_str_eq(craft_state_get_id(st, "vpc", "main"), "vpc-0123");
	cr_assert_str_eq(craft_state_get(st, "host_key"), "ssh-ed25519 AAAA");
	cr_assert_eq(craft_state_set_id(st, "vpc", "main", NULL), CRAFT_OK);
	cr_assert_null(craft_state_get_id(st, "vpc", "main"));
	cr_assert_eq(craft_state_remove(st, &err), CRAFT_OK);
	cr_assert_neq(stat(path, &sb), 0);
	craft_state_free(st);
}

Test(state, corrupt_or_foreign_cache_is_discarded)
{
	struct craft_state *st = NULL;
	struct craft_err err;
	char path[256];
	FILE *f;
	int discarded = 0;

	snprintf(path, sizeof(path), "%s/craftctl", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/craftctl/demo.json", dir);
	f = fopen(path, "w");
	fputs("{\"version\":1,\"stack\":\"demo\",\"resources\":{\"vpc/main\":", f);
	fclose(f);
	cr_assert_eq(craft_state_load(&st, "demo", &discarded, &err), CRAFT_OK);
	cr_assert_eq(discarded, 1);
	cr_assert_null(craft_state_get_id(st, "vpc", "main"));
	craft_state_free(st);
	f = fopen(path, "w");
	fputs("{\"version\":1,\"stack\":\"other\",\"values\":{},\"resources\":{\"vpc/"
	      "main\":\"vpc-1\"}}",
	      f);
	fclose(f);
	cr_assert_eq(craft_state_load(&st, "demo", &discarded, &err), CRAFT_OK);
	cr_assert_eq(discarded, 1);
	cr_assert_null(craft_state_get_id(st, "vpc", "main"));
	craft_state_free(st);
}

Test(state, second_lock_fails_naming_the_holder_and_death_releases_it)
{
	struct craft_state_lock *a = NULL, *b = NULL;
	struct craft_err err;
	char want[64];
	pid_t pid;
	int status;

	craft_err_init(&err);
	cr_assert_eq(craft_state_lock(&a, "demo", "provision", &err), CRAFT_OK, "%s", err.msg);
	cr_assert_eq(craft_state_lock(&b, "demo", "destroy", &err), CRAFT_ELOCKED);
	snprintf(want, sizeof(want), "pid %ld, craftctl provision", (long)getpid());
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	cr_assert(strstr(err.msg, "'demo'"), "%s", err.msg);
	/* another stack is independent */
	cr_assert_eq(craft_state_lock(&b, "other", "plan", &err), CRAFT_OK);
	craft_state_unlock(b);
	craft_state_unlock(a);
	cr_assert_eq(craft_state_lock(&a, "demo", "destroy", &err), CRAFT_OK);
	craft_state_unlock(a);

	/* a holder that dies (as SIGKILL would) leaves no stale lock */
	pid = fork();
	if (pid == 0) {
		struct craft_state_lock *c = NULL;

		if (craft_state_lock(&c, "demo", "provision", NULL) != CRAFT_OK)
			_exit(1);
		_exit(0); /* no unlock: the kernel drops the flock */
	}
	waitpid(pid, &status, 0);
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert_eq(craft_state_lock(&a, "demo", "provision", &err), CRAFT_OK, "%s", err.msg);
	craft_state_unlock(a);
}
