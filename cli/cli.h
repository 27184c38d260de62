/*
 * cli — the command-line front end: option tables, the command table, the
 * per-run context, and output. cli/ owns stdout, stderr and exit codes;
 * lib/ only returns codes and reports events.
 *
 * Adding a command: write cli/cmd_NAME.c with `int cmd_NAME(struct cli_ctx *)`
 * and, if it has options, a `const struct cli_opt cmd_NAME_opts[]` ended by
 * CLI_OPT_END; declare both below and add one row to the table in
 * cli/commands.c. Help, completion and the man page are generated from it.
 */
#ifndef CRAFT_CLI_H
#define CRAFT_CLI_H

#include <signal.h>
#include <stdio.h>

#include "core/error.h"
#include "core/event.h"

enum cli_argkind {
	CLI_FLAG,  /* --yes: present or not */
	CLI_COUNT, /* -v, -vv: counted */
	CLI_VALUE, /* --config FILE: takes a value; the last one wins */
	CLI_LIST,  /* --env K=V: takes a value; every one is kept */
};

struct cli_opt {
	const char *name; /* long name without "--" */
	char shortname;   /* 0 when none */
	enum cli_argkind kind;
	const char *argname; /* FILE, N, ... for CLI_VALUE/CLI_LIST */
	const char *help;
};

#define CLI_OPT_END                           \
	{                                     \
		NULL, 0, CLI_FLAG, NULL, NULL \
	}
#define CLI_MAX_OPTS 32
#define CLI_MAX_LIST 64

struct cli_vals {
	const char *val[CLI_MAX_OPTS];
	int count[CLI_MAX_OPTS];
	const char *list[CLI_MAX_OPTS][CLI_MAX_LIST];
};

struct cli_ctx;

/* Command flags. */
#define CLI_CMD_POSITIONAL 0x1 /* takes positional arguments */
#define CLI_CMD_HIDDEN     0x2 /* not listed in --help (none are today) */
/* What a stack command's setup does (cli_stack_open, cli_target_setup): */
#define CLI_CMD_LOCK     0x4  /* takes the stack's lock (exit 3 naming the holder) */
#define CLI_CMD_KEY      0x8  /* generates the stack's SSH key when the file has none */
#define CLI_CMD_READONLY 0x10 /* changes nothing: no key made, no first contact, no pin */

struct cli_command {
	const char *name;
	int (*fn)(struct cli_ctx *ctx);
	unsigned flags;
	const char *summary;        /* one line for the command list */
	const char *usage;          /* after "craftctl NAME " */
	const char *description;    /* paragraph(s) for `help NAME` */
	const struct cli_opt *opts; /* NULL or ended by CLI_OPT_END */
};

extern const struct cli_command cli_commands[]; /* ended by a NULL name */
extern const struct cli_opt cli_global_opts[];

const struct cli_command *cli_find_command(const char *name);

struct cli_ctx {
	const struct cli_command *cmd;
	struct cli_vals gvals; /* global options */
	struct cli_vals cvals; /* the command's options */
	int argc;              /* positional arguments after the command */
	char **argv;

	/* Global options, resolved. */
	const char *config_path;
	const char *stack;
	const char *region;
	const char *profile;
	const char *endpoint_url;
	int json;
	int verbose;
	int color;
	int yes;
	int github; /* GITHUB_ACTIONS=true */

	struct craft_reporter reporter; /* renders library events */
	long long start_ms;
};

/*
 * Option values by long name: the command's own first, then global. Each
 * getter reads one kind: cli_opt_str a CLI_VALUE (NULL when not given),
 * cli_opt_count a CLI_FLAG or CLI_COUNT (0), cli_opt_list a CLI_LIST (0, and
 * *out NULL). An option another command declares reads as not given (code
 * shared between commands); a name no table declares, or the wrong getter
 * for its kind, is a bug and aborts with a message (unless NDEBUG).
 */
const char *cli_opt_str(const struct cli_ctx *ctx, const char *name);
int cli_opt_count(const struct cli_ctx *ctx, const char *name);
int cli_opt_list(const struct cli_ctx *ctx, const char *name, const char *const **out);

/* Parses argv into ctx. Returns 0, or the exit status after printing why. */
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, int *done);

/* Help. */
void cli_print_help(FILE *f);
int cli_print_command_help(FILE *f, const char *name);

/* Output (cli/output.c). */
void cli_output_init(struct cli_ctx *ctx);
/* Prints "craftctl: <msg>" (and ::error:: under GitHub Actions); returns
 * the exit status for err->code. */
int cli_fail(struct cli_ctx *ctx, const struct craft_err *err);
/* A usage error: prints the message and the --help hint; returns 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Human informational line on stderr (suppressed in --json mode's stdout). */
void cli_info(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Commands. */
int cmd_help(struct cli_ctx *ctx);
int cmd_version(struct cli_ctx *ctx);
int cmd_completion(struct cli_ctx *ctx);
int cmd_api(struct cli_ctx *ctx);
extern const struct cli_opt cmd_api_opts[];
int cmd_iam_policy(struct cli_ctx *ctx);
int cmd_plan(struct cli_ctx *ctx);
int cmd_provision(struct cli_ctx *ctx);
extern const struct cli_opt cmd_provision_opts[];
int cmd_status(struct cli_ctx *ctx);
int cmd_destroy(struct cli_ctx *ctx);
int cmd_diagram(struct cli_ctx *ctx);
extern const struct cli_opt cmd_diagram_opts[];

/* Stack commands (cli/stack.c): the stack file (exit 2 on errors, before
 * any AWS call), state cache, AWS client and what the command's row in
 * the table declares: CLI_CMD_LOCK takes the stack's lock (exit 3),
 * CLI_CMD_KEY generates the stack's key when the file leaves ssh_key out.
 * cli_stack_open_as takes those flags from the caller instead. Returns 0,
 * or the exit status after printing. */
struct craft_config;
struct craft_state;
struct craft_state_lock;
struct craft_aws_client;
struct cli_stack {
	struct craft_config *cfg;
	struct craft_state *st;
	struct craft_state_lock *lock;
	struct craft_aws_client *aws;
};
int cli_stack_open(struct cli_ctx *ctx, struct cli_stack *s);
/* The AWS client's options from the global ones (--profile, --endpoint-url,
 * -v) for region, and the engine's (the reporter, the cancel flag). */
struct craft_aws_options;
struct craft_infra_opts;
void cli_aws_options(struct cli_ctx *ctx, const char *region, struct craft_aws_options *o);
void cli_infra_options(struct cli_ctx *ctx, struct craft_infra_opts *o);
int cli_stack_open_as(struct cli_ctx *ctx, struct cli_stack *s, unsigned cmd_flags);
void cli_stack_close(struct cli_stack *s);
/* Appends Markdown to $GITHUB_STEP_SUMMARY under GitHub Actions (else nothing). */
void cli_step_summary(struct cli_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The cancel path (cli/cancel.c): cli_cancel_arm makes SIGINT and SIGTERM
 * set the flag the library polls (it stops, exit 130); stack commands and
 * SSH targets arm it. */
void cli_cancel_arm(void);
const volatile sig_atomic_t *cli_cancel_flag(void);
/* `provision` and `up`: opens the stack (locked, key generated), provisions
 * it and closes it. 0 with *out filled, or the exit status after printing
 * why; with summary, the outcome also goes to cli_step_summary. */
struct craft_infra_outputs;
int cli_stack_provision(struct cli_ctx *ctx, struct craft_infra_outputs *out, int summary);
/* Their shared option: --replace. */
#define CLI_OPT_REPLACE                                                                           \
	{                                                                                         \
		"replace", 0, CLI_FLAG, NULL,                                                     \
		        "apply changes that need a resource replaced (shown by plan; never done " \
		        "silently)"                                                               \
	}
int cmd_deploy(struct cli_ctx *ctx);
int cmd_ssh(struct cli_ctx *ctx);
int cmd_logs(struct cli_ctx *ctx);
extern const struct cli_opt cmd_deploy_opts[];
extern const struct cli_opt cmd_ssh_opts[];
extern const struct cli_opt cmd_logs_opts[];
extern const struct cli_opt cmd_destroy_opts[];
int cmd_backup(struct cli_ctx *ctx);
int cmd_backups(struct cli_ctx *ctx);
int cmd_restore(struct cli_ctx *ctx);
extern const struct cli_opt cmd_backup_opts[];
extern const struct cli_opt cmd_restore_opts[];
int cmd_up(struct cli_ctx *ctx);
extern const struct cli_opt cmd_up_opts[];

#endif
