/* help and version: generated from the command table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "version.h"

static void print_opts(FILE *f, const struct cli_opt *opts)
{
	for (int i = 0; opts && opts[i].name; i++) {
		char left[64];
		const struct cli_opt *o = &opts[i];

		if (o->shortname && o->argname)
			snprintf(left, sizeof(left), "-%c, --%s %s", o->shortname, o->name,
			         o->argname);
		else if (o->shortname)
			snprintf(left, sizeof(left), "-%c, --%s", o->shortname, o->name);
		else if (o->argname)
			snprintf(left, sizeof(left), "    --%s %s", o->name, o->argname);
		else
			snprintf(left, sizeof(left), "    --%s", o->name);
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

void cli_print_help(FILE *f)
{
	fputs("usage: craftctl [global options] <command> [options]\n\n"
	      "craftctl provisions a web application's infrastructure on AWS, deploys it\n"
	      "over SSH and tears it down, from one stack file (craftctl.yaml).\n\n"
	      "commands:\n",
	      f);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!(c->flags & CLI_CMD_HIDDEN))
			fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fputs("\nglobal options (before or after the command):\n", f);
	print_opts(f, cli_global_opts);
	fputs("\nexit status: 0 success, 1 failure, 2 usage or configuration error,\n"
	      "3 another run holds the lock, 130 interrupted.\n"
	      "Run 'craftctl help COMMAND' for a command's options.\n",
	      f);
}

int cli_print_command_help(FILE *f, const char *name)
{
	const struct cli_command *c = cli_find_command(name);

	if (!c)
		return cli_usage_error("unknown command '%s'", name);
	fprintf(f, "usage: craftctl %s%s%s\n\n%s\n", c->name, *c->usage ? " " : "", c->usage,
	        c->description);
	if (c->opts && c->opts[0].name) {
		fputs("\noptions:\n", f);
		print_opts(f, c->opts);
	}
	fputs("\nGlobal options are accepted too: see 'craftctl --help'.\n", f);
	return 0;
}

int cmd_help(struct cli_ctx *ctx)
{
	if (ctx->argc > 1)
		return cli_usage_error("'help' takes at most one command name");
	if (ctx->argc == 1)
		return cli_print_command_help(stdout, ctx->argv[0]);
	cli_print_help(stdout);
	return 0;
}

int cmd_version(struct cli_ctx *ctx)
{
	(void)ctx;
	printf("craftctl %s\n", CRAFT_VERSION);
	return 0;
}
