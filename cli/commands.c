/* The command table and the global options: the one list that help,
 * completion and the man page are made from. */
#include <string.h>

#include "cli/cli.h"

const struct cli_opt cli_global_opts[] = {
	{ "config", 'c', CLI_VALUE, "FILE", "the stack file (default ./craftctl.yaml)" },
	{ "stack", 0, CLI_VALUE, "NAME", "override `stack:` from the stack file" },
	{ "region", 0, CLI_VALUE, "R",
	  "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile)" },
	{ "profile", 0, CLI_VALUE, "P", "shared-config profile (default: AWS_PROFILE, default)" },
	{ "endpoint-url", 0, CLI_VALUE, "URL",
	  "send AWS calls to URL (simulator, LocalStack, moto)" },
	{ "json", 0, CLI_FLAG, NULL, "machine-readable events on stdout, one JSON object a line" },
	{ "verbose", 'v', CLI_COUNT, NULL,
	  "more detail on stderr; -vv adds each request's canonical form" },
	{ "no-color", 0, CLI_FLAG, NULL,
	  "plain output (also when NO_COLOR is set or stderr is no TTY)" },
	{ "yes", 'y', CLI_FLAG, NULL, "answer yes to confirmation prompts" },
	{ "help", 'h', CLI_FLAG, NULL, "show help (for a command: craftctl COMMAND --help)" },
	{ "version", 0, CLI_FLAG, NULL, "print the version and exit" },
	CLI_OPT_END,
};

const struct cli_command cli_commands[] = {
	{ "help", cmd_help, CLI_CMD_POSITIONAL, "show help for craftctl or one command",
	  "[COMMAND]",
	  "Without an argument, lists the commands and the global options. With a command\n"
	  "name, shows that command's usage and options.",
	  NULL },
	{ "completion", cmd_completion, CLI_CMD_POSITIONAL, "print a shell completion script",
	  "bash",
	  "Prints a bash completion script for craftctl's commands and options:\n"
	  "  source <(craftctl completion bash)\n"
	  "`make install` installs it, with the man page (`craftctl completion man`).",
	  NULL },
	{ "version", cmd_version, 0, "print the version", "",
	  "Prints craftctl's version: the release number and, when built from git, the\n"
	  "commit it was built from.",
	  NULL },
	{ "api", cmd_api, CLI_CMD_POSITIONAL, "one signed AWS Query API call; prints the response",
	  "SERVICE ACTION [Key=Value...]",
	  "Signs and sends one AWS Query API call (services: ec2, sts) and prints the\n"
	  "response body. Action and Version are filled in. An AWS error prints\n"
	  "'<Code>: <Message> (request id ...)' and exits 1. -vv prints each request's\n"
	  "canonical form and string to sign on stderr (never the secret or the token).\n"
	  "Example: craftctl api ec2 DescribeVpcs Filter.1.Name=tag-key "
	  "Filter.1.Value.1=craftctl:stack",
	  NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
