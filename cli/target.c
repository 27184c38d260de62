/* The SSH target that `deploy`, `ssh` and `logs` share (target.h): the
 * options, the stack file, and for the stack's instance its address and
 * host key (pinned, or on first contact from its console). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "config.h"
#include "core/env.h"
#include "infra/engine.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static char *expand_home(const char *p)
{
	const char *home = craft_env_get("HOME");
	size_t n;
	char *out;

	if (!p || p[0] != '~' || (p[1] && p[1] != '/') || !home)
		return xstrdup(p);
	n = strlen(home) + strlen(p) + 1;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s", home, p + 1);
	return out;
}

/* Reads a passphrase from the terminal without echo. */
static char *prompt_passphrase(const char *keyfile)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, noecho;
	char line[1024];
	char *out = NULL;
	int have_old;

	if (!tty)
		return NULL;
	fprintf(tty, "passphrase for %s: ", keyfile);
	fflush(tty);
	have_old = tcgetattr(fileno(tty), &old) == 0;
	if (have_old) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSANOW, &noecho);
	}
	if (fgets(line, sizeof(line), tty)) {
		line[strcspn(line, "\r\n")] = '\0';
		out = strdup(line);
		explicit_bzero(line, sizeof(line));
	}
	if (have_old)
		tcsetattr(fileno(tty), TCSANOW, &old);
	fputc('\n', tty);
	fclose(tty);
	return out;
}

/* Pins the key the instance showed (first connection, or a key known only
 * from the tag that the local state cache lacks). */
static craft_code pin_instance_key(void *ud, const char *host, int port, const char *fp,
                                   const char *key_line, struct craft_err *err)
{
	struct cli_target *tg = ud;
	craft_code rc;

	(void)host;
	(void)port;
	if (!tg->pin_needed)
		return CRAFT_OK;
	rc = craft_infra_pin_host_key(tg->stack.cfg, tg->stack.aws, tg->stack.st, tg->inst.id,
	                              strlen(key_line) <= 255 ? key_line : fp, err);
	if (rc)
		return craft_err_prefix(err, "cannot pin the host key of %s", tg->inst.id);
	craft_logf(tg->reporter, CRAFT_LEVEL_INFO,
	           "pinned host key %s of %s (state cache and tag craftctl:host-key)", fp,
	           tg->inst.id);
	tg->pin_needed = 0;
	return CRAFT_OK;
}

/* The stack's provisioned instance as the target, its host key checked
 * against the pinned one, or on first contact against its console. */
static craft_code instance_target(struct cli_ctx *ctx, struct cli_target *tg, int timeout_s,
                                  unsigned flags, const struct craft_infra_instance *known,
                                  struct craft_err *err)
{
	craft_code rc = CRAFT_OK;

	if (known)
		tg->inst = *known;
	else
		rc = craft_infra_find_instance(&tg->inst, tg->stack.cfg, tg->stack.aws,
		                               tg->stack.st, err);
	if (rc == CRAFT_ENOTFOUND)
		return craft_err_set(err, CRAFT_ENOTFOUND,
		                     "stack '%s' has no instance: run 'craftctl provision' (or "
		                     "'craftctl up'), or deploy to any host with --host",
		                     tg->stack.cfg->stack);
	if (rc)
		return rc;
	if (strcmp(tg->inst.state, "running") != 0 || !tg->inst.address[0])
		return craft_err_set(err, CRAFT_EDEPLOY,
		                     "instance %s of stack '%s' is %s%s: run 'craftctl provision'",
		                     tg->inst.id, tg->stack.cfg->stack, tg->inst.state,
		                     tg->inst.address[0] ? "" : " and has no address");
	tg->host = xstrdup(tg->inst.address);
	tg->reporter = &ctx->reporter;
	if (!(flags & CLI_CMD_READONLY)) { /* status never writes a tag or the cache */
		tg->ssh.pin = pin_instance_key;
		tg->ssh.pin_userdata = tg;
	}
	if (tg->expected.n)
		return CRAFT_OK; /* --host-key given */
	if (tg->inst.host_key[0]) {
		char fp[CRAFT_SSH_FP_MAX];

		if (strncmp(tg->inst.host_key, "SHA256:", 7) == 0)
			snprintf(fp, sizeof(fp), "%.*s", (int)sizeof(fp) - 1, tg->inst.host_key);
		else if (craft_ssh_fingerprint_b64(tg->inst.host_key, fp, err) != CRAFT_OK)
			return craft_err_prefix(err, "the pinned host key of %s is unreadable",
			                        tg->inst.id);
		if (craft_ssh_fpset_insert(&tg->expected, fp, NULL, err))
			return err->code;
		/* Known from the tag only (a fresh CI runner): cache it locally too. */
		tg->pin_needed = strcmp(tg->inst.host_key_source, "state") != 0;
		craft_logf(&ctx->reporter, CRAFT_LEVEL_DEBUG, "expecting pinned host key %s (%s)",
		           fp, tg->inst.host_key_source);
		return CRAFT_OK;
	}
	tg->pin_needed = 1;
	tg->never_contacted = 1;
	/* Only deploy (and ssh, on the user's request) makes first contact: a
	 * read-only command answers at once instead of waiting minutes for a
	 * console that may not show the keys yet. */
	if (flags & CLI_CMD_READONLY)
		return CRAFT_OK;
	rc = craft_infra_console_host_keys(tg->stack.aws, tg->inst.id, timeout_s, &ctx->reporter,
	                                   cli_cancel_flag(), &tg->expected, err);
	if (!rc) {
		char desc[1024];

		craft_ssh_fpset_describe(&tg->expected, desc, sizeof(desc));
		craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
		           "first connection to %s: expecting a host key from its console: %s",
		           tg->inst.id, desc);
	}
	return rc;
}

static int setup(struct cli_ctx *ctx, struct cli_target *tg, unsigned flags, struct cli_stack *open,
                 const struct craft_infra_instance *known);

/* What the command's row declares (CLI_CMD_KEY, CLI_CMD_READONLY); the
 * stack's lock is never the target's to take. */
static unsigned cmd_flags(const struct cli_ctx *ctx)
{
	return (ctx->cmd ? ctx->cmd->flags : 0) & ~(unsigned)CLI_CMD_LOCK;
}

int cli_target_setup(struct cli_ctx *ctx, struct cli_target *tg)
{
	return setup(ctx, tg, cmd_flags(ctx), NULL, NULL);
}

int cli_target_setup_stack(struct cli_ctx *ctx, struct cli_target *tg, struct cli_stack *s,
                           const struct craft_infra_instance *inst)
{
	return setup(ctx, tg, cmd_flags(ctx), s, inst);
}

static int setup(struct cli_ctx *ctx, struct cli_target *tg, unsigned flags, struct cli_stack *open,
                 const struct craft_infra_instance *known)
{
	struct craft_config_overrides ov = { ctx->stack, ctx->region };
	const char *host = cli_opt_str(ctx, "host");
	const char *v;
	const char *const *fps = NULL;
	int nfps = cli_opt_list(ctx, "host-key", &fps);
	const struct craft_config *cfg;
	struct craft_err err;
	int rc;

	memset(tg, 0, sizeof(*tg));
	craft_ssh_fpset_init(&tg->expected);
	craft_err_init(&err);
	for (int i = 0; i < nfps; i++) {
		if (!craft_ssh_fingerprint_valid(fps[i]))
			return cli_usage_error(
			        "--host-key '%s' is not a SHA256 fingerprint (SHA256: "
			        "and 43 base64 characters, as ssh-keygen -l shows)",
			        fps[i]);
		if (craft_ssh_fpset_insert(&tg->expected, fps[i], NULL, &err))
			return cli_fail(ctx, &err);
	}
	if ((v = cli_opt_str(ctx, "port")) && parse_int(v, 1, 65535, &tg->ssh.port) != 0)
		return cli_usage_error("--port must be 1-65535 (got '%s')", v);
	if ((v = cli_opt_str(ctx, "connect-timeout")) &&
	    parse_int(v, 1, 86400, &tg->ssh.connect_timeout_s) != 0)
		return cli_usage_error("--connect-timeout must be 1-86400 seconds (got '%s')", v);
	/* A firewall or NAT that drops idle connections sooner than every 15 s
	 * (the default) needs keepalives more often during long silent steps. */
	if ((v = craft_env_get("CRAFTCTL_SSH_KEEPALIVE")) &&
	    parse_int(v, 1, 3600, &tg->ssh.keepalive_s) != 0)
		return cli_usage_error("CRAFTCTL_SSH_KEEPALIVE must be 1-3600 seconds (got '%s')",
		                       v);
	if (host && open)
		cli_stack_close(open);
	if (host) {
		if (craft_config_load(&tg->cfg, ctx->config_path, &ov, &err))
			return cli_fail(ctx, &err);
		cfg = tg->cfg;
		tg->host = xstrdup(host);
	} else {
		if (open) { /* the caller's, already open: taken over */
			tg->stack = *open;
			memset(open, 0, sizeof(*open));
		} else {
			rc = cli_stack_open_as(ctx, &tg->stack, flags);
			if (rc)
				return rc;
		}
		tg->have_stack = 1;
		cfg = tg->stack.cfg;
		/* A new instance may still be booting: its sshd and console come late. */
		if (!tg->ssh.connect_timeout_s)
			tg->ssh.connect_timeout_s = 300;
		if (instance_target(ctx, tg, tg->ssh.connect_timeout_s, flags, known, &err))
			return cli_fail(ctx, &err);
		if (tg->never_contacted && (flags & CLI_CMD_READONLY))
			return 0;
	}
	tg->user = xstrdup(cli_opt_str(ctx, "user") ? cli_opt_str(ctx, "user") : cfg->ssh_user);
	/* The stack file's key is resolved at load (the generated key's path when
	 * it names none); a generated key a read-only command finds missing is
	 * left out (ssh-agent and ~/.ssh/id_* then). */
	if (cli_opt_str(ctx, "identity"))
		tg->identity = expand_home(cli_opt_str(ctx, "identity"));
	else if (cfg->ssh_key && (!cfg->ssh_key_generated || access(cfg->ssh_key, F_OK) == 0))
		tg->identity = xstrdup(cfg->ssh_key);
	if (!tg->ssh.port)
		tg->ssh.port = cfg->ssh_port;
	tg->compose_file = xstrdup(cfg->compose_path);
	if (!tg->compose_file)
		return cli_fail(ctx, &err);

	tg->ssh.host = tg->host;
	tg->ssh.user = tg->user;
	tg->ssh.identity_file = tg->identity;
	tg->ssh.policy =
	        (nfps || !host) ? CRAFT_SSH_HOSTKEY_FINGERPRINTS : CRAFT_SSH_HOSTKEY_KNOWN_HOSTS;
	tg->ssh.expected = &tg->expected;
	tg->ssh.known_hosts = cli_opt_str(ctx, "known-hosts");
	tg->ssh.accept_new = cli_opt_count(ctx, "accept-new-host-key") > 0;
	if (tg->identity) {
		int enc = 0;

		if (craft_ssh_key_encrypted(tg->identity, &enc, &err)) {
			err.code = CRAFT_ECONFIG;
			return cli_fail(ctx, &err);
		}
		if (enc) {
			const char *pp = craft_env_get("CRAFTCTL_SSH_PASSPHRASE");

			if (pp)
				tg->passphrase = xstrdup(pp);
			else if (isatty(0))
				tg->passphrase = prompt_passphrase(tg->identity);
			if (!tg->passphrase) {
				craft_err_set(
				        &err, CRAFT_ECONFIG,
				        "SSH key '%s' is encrypted: set CRAFTCTL_SSH_PASSPHRASE or "
				        "run on a terminal to be asked",
				        tg->identity);
				return cli_fail(ctx, &err);
			}
			tg->ssh.passphrase = tg->passphrase;
		}
	}

	tg->opts.stack = cfg->stack;
	tg->opts.compose_file = tg->compose_file;
	tg->opts.health_path = cfg->health_path;
	tg->opts.http_port = cfg->http_port;
	for (int i = 0; i < cfg->n_env && i < CLI_TARGET_MAX; i++) {
		tg->kv[i].key = cfg->env[i].key;
		tg->kv[i].value = cfg->env[i].value;
	}
	tg->opts.env = tg->kv;
	tg->opts.nenv = (size_t)(cfg->n_env < CLI_TARGET_MAX ? cfg->n_env : CLI_TARGET_MAX);
	tg->opts.secrets = (const char *const *)cfg->secrets;
	tg->opts.nsecrets = (size_t)cfg->n_secrets;
	/* Ctrl-C or SIGTERM: the library stops at its next wait, gives the host's
	 * lock back and returns CRAFT_EINTR (exit 130); a re-run resumes. */
	cli_cancel_arm();
	tg->ssh.cancel = cli_cancel_flag();
	/* For tests and the demo: a remote root of their own and their own engine. */
	tg->opts.remote_root = craft_env_get("CRAFTCTL_REMOTE_ROOT");
	/* The data volume the instance has on its data device (none with --host). */
	if (tg->inst.data_volume[0]) {
		tg->opts.data_volume = tg->inst.data_volume;
		tg->opts.data_device = CRAFT_DATA_DEVICE;
	}
	tg->opts.data_root = craft_env_get("CRAFTCTL_REMOTE_DATA_ROOT");
	tg->opts.docker_host = craft_env_get("CRAFTCTL_REMOTE_DOCKER_HOST");
	return 0;
}

void cli_target_release(struct cli_target *tg)
{
	free(tg->host);
	free(tg->user);
	free(tg->identity);
	if (tg->passphrase) {
		explicit_bzero(tg->passphrase, strlen(tg->passphrase));
		free(tg->passphrase);
	}
	free(tg->compose_file);
	craft_ssh_fpset_release(&tg->expected);
	craft_config_free(tg->cfg);
	if (tg->have_stack)
		cli_stack_close(&tg->stack);
	memset(tg, 0, sizeof(*tg));
}

void cli_ssh_passthrough(void *ud, int is_stderr, const char *data, size_t len)
{
	(void)ud;
	fwrite(data, 1, len, is_stderr ? stderr : stdout);
	fflush(is_stderr ? stderr : stdout);
}

int cli_parse_seconds(struct cli_ctx *ctx, const char *name, int lo, int hi, int *out)
{
	const char *v = cli_opt_str(ctx, name);

	if (!v)
		return 0;
	if (parse_int(v, lo, hi, out) != 0)
		return cli_usage_error("--%s must be %d-%d seconds (got '%s')", name, lo, hi, v);
	return 0;
}
