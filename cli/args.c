/* Option parsing: global options anywhere, the command's own after it,
 * `--` ends options. Errors name the offender and exit with status 2. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int opt_index(const struct cli_opt *opts, const char *name, size_t namelen, char shortname)
{
	if (!opts)
		return -1;
	for (int i = 0; opts[i].name; i++) {
		if (shortname) {
			if (opts[i].shortname == shortname)
				return i;
		} else if (strlen(opts[i].name) == namelen &&
		           strncmp(opts[i].name, name, namelen) == 0) {
			return i;
		}
	}
	return -1;
}

static int store(struct cli_vals *vals, const struct cli_opt *o, int i, const char *value)
{
	if (o->kind == CLI_LIST) {
		if (vals->count[i] >= CLI_MAX_LIST)
			return cli_usage_error("too many '--%s' options (at most %d)", o->name,
			                       CLI_MAX_LIST);
		vals->list[i][vals->count[i]] = value;
	}
	vals->count[i]++;
	vals->val[i] = value;
	return 0;
}

/* Finds the option in the command's table, then the global one. */
static const struct cli_opt *lookup(struct cli_ctx *ctx, const char *name, size_t namelen,
                                    char shortname, struct cli_vals **vals, int *idx)
{
	const struct cli_opt *copts = ctx->cmd ? ctx->cmd->opts : NULL;
	int i = opt_index(copts, name, namelen, shortname);

	if (i >= 0) {
		*vals = &ctx->cvals;
		*idx = i;
		return &copts[i];
	}
	i = opt_index(cli_global_opts, name, namelen, shortname);
	if (i >= 0) {
		*vals = &ctx->gvals;
		*idx = i;
		return &cli_global_opts[i];
	}
	return NULL;
}

static int parse_long(struct cli_ctx *ctx, int argc, char **argv, int *pos)
{
	const char *arg = argv[*pos] + 2;
	const char *eq = strchr(arg, '=');
	size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
	struct cli_vals *vals;
	int idx;
	const struct cli_opt *o = lookup(ctx, arg, namelen, 0, &vals, &idx);

	if (!o) {
		if (ctx->cmd)
			return cli_usage_error("unknown option '--%.*s' for '%s'", (int)namelen,
			                       arg, ctx->cmd->name);
		return cli_usage_error("unknown option '--%.*s'", (int)namelen, arg);
	}
	if (o->kind == CLI_FLAG || o->kind == CLI_COUNT) {
		if (eq)
			return cli_usage_error("option '--%s' takes no value", o->name);
		return store(vals, o, idx, "1");
	}
	if (eq)
		return store(vals, o, idx, eq + 1);
	if (*pos + 1 >= argc)
		return cli_usage_error("option '--%s' needs a value (%s)", o->name, o->argname);
	(*pos)++;
	return store(vals, o, idx, argv[*pos]);
}

static int parse_short(struct cli_ctx *ctx, int argc, char **argv, int *pos)
{
	const char *arg = argv[*pos] + 1;

	for (size_t k = 0; arg[k]; k++) {
		struct cli_vals *vals;
		int idx;
		const struct cli_opt *o = lookup(ctx, NULL, 0, arg[k], &vals, &idx);
		int rc;

		if (!o) {
			if (ctx->cmd)
				return cli_usage_error("unknown option '-%c' for '%s'", arg[k],
				                       ctx->cmd->name);
			return cli_usage_error("unknown option '-%c'", arg[k]);
		}
		if (o->kind == CLI_FLAG || o->kind == CLI_COUNT) {
			rc = store(vals, o, idx, "1");
			if (rc)
				return rc;
			continue;
		}
		if (arg[k + 1])
			return store(vals, o, idx, arg + k + 1);
		if (*pos + 1 >= argc)
			return cli_usage_error("option '-%c' needs a value (%s)", o->shortname,
			                       o->argname);
		(*pos)++;
		return store(vals, o, idx, argv[*pos]);
	}
	return 0;
}

int cli_parse(struct cli_ctx *ctx, int argc, char **argv, int *done)
{
	int only_positional = 0;
	int rc;

	*done = 0;
	ctx->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!ctx->argv) {
		fputs("craftctl: out of memory\n", stderr);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_positional && strcmp(a, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (!only_positional && a[0] == '-' && a[1] == '-' && a[2]) {
			rc = parse_long(ctx, argc, argv, &i);
		} else if (!only_positional && a[0] == '-' && a[1] && a[1] != '-') {
			rc = parse_short(ctx, argc, argv, &i);
		} else if (!ctx->cmd) {
			ctx->cmd = cli_find_command(a);
			if (!ctx->cmd)
				return cli_usage_error("unknown command '%s'", a);
			rc = 0;
		} else {
			if (!(ctx->cmd->flags & CLI_CMD_POSITIONAL))
				return cli_usage_error("'%s' takes no arguments (got '%s')",
				                       ctx->cmd->name, a);
			ctx->argv[ctx->argc++] = argv[i];
			rc = 0;
		}
		if (rc)
			return rc;
	}

	if (cli_opt_count(ctx, "version")) {
		*done = 1;
		return cmd_version(ctx);
	}
	if (cli_opt_count(ctx, "help")) {
		*done = 1;
		if (ctx->cmd)
			return cli_print_command_help(stdout, ctx->cmd->name);
		cli_print_help(stdout);
		return 0;
	}
	if (!ctx->cmd) {
		*done = 1;
		cli_print_help(stderr);
		return 2;
	}
	return 0;
}

#define KIND(k) (1u << (k))

/*
 * A getter asked for an option in a way no table allows: a bug in craftctl,
 * not in the command line. Left alone, a misspelled name would read as "not
 * given" on every run, so it stops here, unless built with NDEBUG (then the
 * option reads as not given, as before).
 */
static void misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void misuse(const char *fmt, ...)
{
#ifndef NDEBUG
	va_list ap;

	fputs("craftctl: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
#else
	(void)fmt;
#endif
}

static const char *kind_getter(enum cli_argkind k)
{
	return k == CLI_VALUE ? "cli_opt_str" : k == CLI_LIST ? "cli_opt_list" : "cli_opt_count";
}

static void check_kind(const struct cli_opt *o, unsigned kinds, const char *getter)
{
	if (!(KIND(o->kind) & kinds))
		misuse("%s() on option '--%s', which is read with %s()", getter, o->name,
		       kind_getter(o->kind));
}

/*
 * The option's index in the command's table or the global one, -1 when
 * neither has it. Code shared by several commands (the SSH target of
 * deploy, ssh, logs, up and status) reads options that only some of them
 * declare: for the others they are not given. A name that no table
 * declares, or a getter of the wrong kind, is a misuse.
 */
static int find_vals(const struct cli_ctx *ctx, const char *name, unsigned kinds,
                     const char *getter, const struct cli_vals **vals)
{
	const struct cli_opt *copts = ctx->cmd ? ctx->cmd->opts : NULL;
	size_t len = strlen(name);
	int i = opt_index(copts, name, len, 0);

	if (i >= 0) {
		check_kind(&copts[i], kinds, getter);
		*vals = &ctx->cvals;
		return i;
	}
	i = opt_index(cli_global_opts, name, len, 0);
	if (i >= 0) {
		check_kind(&cli_global_opts[i], kinds, getter);
		*vals = &ctx->gvals;
		return i;
	}
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		int j = opt_index(c->opts, name, len, 0);

		if (j >= 0) {
			check_kind(&c->opts[j], kinds, getter);
			return -1;
		}
	}
	misuse("%s(): no command declares an option '--%s'", getter, name);
	return -1;
}

const char *cli_opt_str(const struct cli_ctx *ctx, const char *name)
{
	const struct cli_vals *vals;
	int i = find_vals(ctx, name, KIND(CLI_VALUE), "cli_opt_str", &vals);

	return i >= 0 ? vals->val[i] : NULL;
}

int cli_opt_count(const struct cli_ctx *ctx, const char *name)
{
	const struct cli_vals *vals;
	int i = find_vals(ctx, name, KIND(CLI_FLAG) | KIND(CLI_COUNT), "cli_opt_count", &vals);

	return i >= 0 ? vals->count[i] : 0;
}

int cli_opt_list(const struct cli_ctx *ctx, const char *name, const char *const **out)
{
	const struct cli_vals *vals;
	int i = find_vals(ctx, name, KIND(CLI_LIST), "cli_opt_list", &vals);

	*out = NULL;
	if (i < 0)
		return 0;
	*out = vals->list[i];
	return vals->count[i];
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("craftctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; run 'craftctl --help' for usage\n", stderr);
	return 2;
}
