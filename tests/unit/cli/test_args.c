#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"

/* Parses a command line (argv[0] added) into ctx; returns cli_parse's status. */
static int parse(struct cli_ctx *ctx, const char *const *args)
{
	char *argv[32];
	int argc = 0, done = 0;

	argv[argc++] = "craftctl";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	memset(ctx, 0, sizeof(*ctx));
	return cli_parse(ctx, argc, argv, &done);
}

static void quiet(void)
{
	cr_redirect_stderr();
}

Test(args, getters_read_what_was_given)
{
	static const char *const args[] = {
		"--json",     "logs",     "-f",         "--tail",   "5",
		"--host-key", "SHA256:a", "--host-key", "SHA256:b", NULL
	};
	struct cli_ctx ctx;
	const char *const *fps = NULL;

	cr_assert_eq(parse(&ctx, args), 0);
	cr_assert_str_eq(ctx.cmd->name, "logs");
	cr_assert_str_eq(cli_opt_str(&ctx, "tail"), "5");
	cr_assert_eq(cli_opt_count(&ctx, "follow"), 1);
	cr_assert_eq(cli_opt_count(&ctx, "json"), 1);
	cr_assert_eq(cli_opt_count(&ctx, "yes"), 0);
	cr_assert_null(cli_opt_str(&ctx, "config"));
	cr_assert_eq(cli_opt_list(&ctx, "host-key", &fps), 2);
	cr_assert_str_eq(fps[0], "SHA256:a");
	cr_assert_str_eq(fps[1], "SHA256:b");
	free(ctx.argv);
}

/* status shares the SSH target code with deploy: the target's options,
 * which status does not take, read as not given. */
Test(args, an_option_of_another_command_reads_as_not_given)
{
	static const char *const args[] = { "status", NULL };
	struct cli_ctx ctx;
	const char *const *fps = (const char *const *)"x";

	cr_assert_eq(parse(&ctx, args), 0);
	cr_assert_null(cli_opt_str(&ctx, "host"));
	cr_assert_eq(cli_opt_count(&ctx, "accept-new-host-key"), 0);
	cr_assert_eq(cli_opt_list(&ctx, "host-key", &fps), 0);
	cr_assert_null(fps);
	free(ctx.argv);
}

Test(args, a_name_no_command_declares_aborts, .init = quiet, .signal = SIGABRT)
{
	static const char *const args[] = { "deploy", "--host", "h", NULL };
	struct cli_ctx ctx;

	cr_assert_eq(parse(&ctx, args), 0);
	/* misspelled: without the check this reads NULL, as if --host was not given */
	(void)cli_opt_str(&ctx, "hots");
}

Test(args, the_message_names_the_option)
{
	static const char *const args[] = { "deploy", NULL };
	struct cli_ctx ctx;
	char out[512] = "";
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(parse(&ctx, args), 0);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		(void)cli_opt_count(&ctx, "force-unlcok");
		_exit(0);
	}
	close(fds[1]);
	/* stderr is unbuffered: the message comes in pieces */
	for (size_t got = 0; (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0;)
		got += (size_t)n;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %d", status);
	cr_assert_str_eq(out, "craftctl: internal error: cli_opt_count(): no command declares "
	                      "an option '--force-unlcok'\n");
	free(ctx.argv);
}

Test(args, a_getter_of_the_wrong_kind_aborts, .init = quiet, .signal = SIGABRT)
{
	static const char *const args[] = { "logs", "-f", NULL };
	struct cli_ctx ctx;

	cr_assert_eq(parse(&ctx, args), 0);
	/* a flag read as a value would be "1", never its count */
	(void)cli_opt_str(&ctx, "follow");
}

Test(args, a_list_read_as_a_value_aborts, .init = quiet, .signal = SIGABRT)
{
	static const char *const args[] = { "deploy", NULL };
	struct cli_ctx ctx;

	cr_assert_eq(parse(&ctx, args), 0);
	(void)cli_opt_str(&ctx, "host-key");
}

/* The kind an option is declared with anywhere (the global table, then
 * every command's), or -1 when none declares it. */
static int declared_kind(const char *name)
{
	for (const struct cli_opt *o = cli_global_opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return (int)o->kind;
	for (const struct cli_command *c = cli_commands; c->name; c++)
		for (const struct cli_opt *o = c->opts; o && o->name; o++)
			if (strcmp(o->name, name) == 0)
				return (int)o->kind;
	return -1;
}

/*
 * Every option cli/ reads by a literal name is one a table declares, with
 * the getter of its kind: the runtime check above only sees the paths a
 * run takes, this sees them all.
 */
Test(args, every_option_the_sources_read_is_declared)
{
	static const struct {
		const char *call;
		unsigned kinds;
	} getters[] = {
		{ "cli_opt_str(", 1u << CLI_VALUE },
		{ "cli_parse_seconds(", 1u << CLI_VALUE },
		{ "cli_opt_count(", (1u << CLI_FLAG) | (1u << CLI_COUNT) },
		{ "cli_opt_list(", 1u << CLI_LIST },
	};
	DIR *d = opendir("cli");
	struct dirent *de;
	int uses = 0;

	cr_assert_not_null(d, "run from the top of the source tree (as make test-unit does)");
	while ((de = readdir(d)) != NULL) {
		struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
		char path[300];
		size_t n = strlen(de->d_name);

		if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0 ||
		    strcmp(de->d_name, "args.c") == 0)
			continue;
		snprintf(path, sizeof(path), "cli/%s", de->d_name);
		cr_assert_eq(craft_buf_read_file(&b, path, NULL), CRAFT_OK, "%s", path);
		for (size_t g = 0; g < sizeof(getters) / sizeof(getters[0]); g++) {
			const char *p = craft_buf_str(&b);

			while ((p = strstr(p, getters[g].call)) != NULL) {
				const char *arg = strchr(p, ',');
				char name[64];
				size_t len;
				int kind;

				p += strlen(getters[g].call);
				/* the declaration and definition name no option */
				if (!arg || (arg = strchr(arg, '"')) == NULL ||
				    arg > strchr(p, ')'))
					continue;
				len = strcspn(arg + 1, "\"");
				cr_assert_lt(len, sizeof(name));
				memcpy(name, arg + 1, len);
				name[len] = '\0';
				kind = declared_kind(name);
				cr_assert_neq(kind, -1,
				              "%s reads '--%s', which no command declares", path,
				              name);
				cr_assert(getters[g].kinds & (1u << kind),
				          "%s reads '--%s' with %s), the getter of another kind",
				          path, name, getters[g].call);
				uses++;
			}
		}
		craft_buf_release(&b);
	}
	closedir(d);
	/* the sources do read options: a scan that finds none is broken */
	cr_assert_gt(uses, 20, "found only %d option reads", uses);
}
