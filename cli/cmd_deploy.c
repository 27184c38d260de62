/* craftctl deploy: ship the stack to an SSH host and health-gate it. Also
 * the target setup that `ssh` and `logs` share (cli_target_*). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "aws/client.h"
#include "config.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/env.h"
#include "infra/engine.h"
#include "deploy/deploy.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

#define TARGET_OPTS                                                                               \
	{ "host", 0, CLI_VALUE, "H", "deploy to this SSH host instead of the stack's instance" }, \
	        { "port", 0, CLI_VALUE, "N", "SSH port (default: instance.ssh_port, 22)" },       \
	        { "user", 0, CLI_VALUE, "U", "SSH user (default: instance.ssh_user, ubuntu)" },   \
	        { "identity", 'i', CLI_VALUE, "FILE",                                             \
		  "private key (default: instance.ssh_key, else ssh-agent, ~/.ssh/id_*)" },       \
	        { "host-key", 0, CLI_LIST, "SHA256:FP",                                           \
		  "accept only this host key fingerprint (repeatable)" },                         \
	        { "accept-new-host-key", 0, CLI_FLAG, NULL,                                       \
		  "trust and record an unknown host's key in known_hosts" },                      \
	        { "known-hosts", 0, CLI_VALUE, "FILE",                                            \
		  "known_hosts file (default ~/.ssh/known_hosts)" },                              \
	{                                                                                         \
		"connect-timeout", 0, CLI_VALUE, "SECS",                                          \
		        "keep retrying the connection this long (120; 300 for the stack's "       \
		        "instance)"                                                               \
	}

const struct cli_opt cmd_deploy_opts[] = {
	TARGET_OPTS,
	{ "rollback", 0, CLI_FLAG, NULL, "re-activate the release before the current one" },
	{ "force-unlock", 0, CLI_FLAG, NULL,
	  "break a deploy lock older than --lock-timeout (a crashed deploy)" },
	{ "health-timeout", 0, CLI_VALUE, "SECS",
	  "wait this long for healthchecks, then for HTTP 2xx (180)" },
	{ "lock-timeout", 0, CLI_VALUE, "SECS", "age after which a lock counts as stale (1800)" },
	CLI_OPT_END,
};

const struct cli_opt cmd_ssh_opts[] = { TARGET_OPTS, CLI_OPT_END };

const struct cli_opt cmd_logs_opts[] = {
	TARGET_OPTS,
	{ "follow", 'f', CLI_FLAG, NULL, "keep printing new log lines" },
	{ "tail", 0, CLI_VALUE, "N", "lines of history per service (100)" },
	CLI_OPT_END,
};

/* ---- the target -------------------------------------------------------------- */

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

/* GetConsoleOutput's base64 text, decoded (caller frees). */
static char *decode_console(const char *b64)
{
	unsigned char *out = NULL;
	size_t n = 0;

	if (craft_base64_decode(&out, &n, b64, strlen(b64), CRAFT_BASE64_SPACE, NULL) != CRAFT_OK)
		return NULL;
	return (char *)out;
}

/*
 * The host keys cloud-init printed on the instance's console: asked again
 * every 5 s until they are there (a new instance prints them late in its
 * first boot) or timeout_s passes.
 */
static craft_code console_keys(struct cli_ctx *ctx, struct cli_target *tg, int timeout_s,
                               struct craft_err *err)
{
	long long start = craft_now_ms(), next_report = start + 10000;
	craft_code rc;

	for (;;) {
		struct craft_query q;
		xmlDocPtr doc = NULL;
		const char *out64;
		char *text;

		craft_query_init(&q);
		rc = craft_query_add(&q, "InstanceId", tg->inst.id);
		if (!rc)
			rc = craft_aws_call(tg->stack.aws, "ec2", "GetConsoleOutput", &q, &doc,
			                    err);
		craft_query_release(&q);
		if (rc)
			return craft_err_prefix(err, "cannot read the console of %s", tg->inst.id);
		out64 = craft_xml_path_text(xmlDocGetRootElement(doc), "output");
		text = out64 ? decode_console(out64) : NULL;
		xmlFreeDoc(doc);
		rc = text ? craft_ssh_console_parse(text, &tg->expected, err) : CRAFT_ENOTFOUND;
		free(text);
		if (rc != CRAFT_ENOTFOUND)
			return rc;
		if (craft_now_ms() - start > timeout_s * 1000LL)
			return craft_err_set(err, CRAFT_ESSH,
			                     "instance %s has not printed its SSH host keys on its "
			                     "console after %ds; its host key cannot be verified",
			                     tg->inst.id, timeout_s);
		if (craft_now_ms() >= next_report) {
			struct craft_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.kind = CRAFT_EV_WAITING;
			ev.level = CRAFT_LEVEL_INFO;
			ev.phase = "host-key";
			ev.message = "waiting for the instance's console to show its SSH host keys";
			ev.elapsed_ms = craft_now_ms() - start;
			craft_report(&ctx->reporter, &ev);
			next_report = craft_now_ms() + 10000;
		}
		/* Ctrl-C or SIGTERM ends the wait within a tenth of a second. */
		for (int i = 0; i < 50 && !*cli_stack_cancel_flag(); i++) {
			struct timespec ts = { 0, 100000000L };

			nanosleep(&ts, NULL);
		}
		if (*cli_stack_cancel_flag())
			return craft_err_set(err, CRAFT_EINTR,
			                     "interrupted while waiting for the console of %s",
			                     tg->inst.id);
	}
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
                                  unsigned flags, struct craft_err *err)
{
	craft_code rc;

	rc = craft_infra_find_instance(&tg->inst, tg->stack.cfg, tg->stack.aws, tg->stack.st, err);
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
	if (!(flags & CLI_TARGET_READONLY)) { /* status never writes a tag or the cache */
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
	if (flags & CLI_TARGET_READONLY)
		return CRAFT_OK;
	rc = console_keys(ctx, tg, timeout_s, err);
	if (!rc) {
		char desc[1024];

		craft_ssh_fpset_describe(&tg->expected, desc, sizeof(desc));
		craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO,
		           "first connection to %s: expecting a host key from its console: %s",
		           tg->inst.id, desc);
	}
	return rc;
}

static volatile sig_atomic_t target_cancel;

static void on_cancel(int sig)
{
	(void)sig;
	target_cancel = 1;
}

int cli_target_setup(struct cli_ctx *ctx, struct cli_target *tg, unsigned flags)
{
	struct craft_config_overrides ov = { ctx->stack, ctx->region };
	const char *host = cli_opt_str(ctx, "host");
	const char *v;
	const char *const *fps = NULL;
	int nfps = cli_opt_list(ctx, "host-key", &fps);
	const struct craft_config *cfg;
	struct craft_err err;
	char *generated = NULL;
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
	if (host) {
		if (craft_config_load(&tg->cfg, ctx->config_path, &ov, &err))
			return cli_fail(ctx, &err);
		cfg = tg->cfg;
		tg->host = xstrdup(host);
	} else {
		/* A read-only command never generates the stack's key. */
		rc = cli_stack_open(ctx, &tg->stack,
		                    (flags & CLI_TARGET_READONLY) ? 0 : CLI_STACK_KEY);
		if (rc)
			return rc;
		tg->have_stack = 1;
		cfg = tg->stack.cfg;
		/* A new instance may still be booting: its sshd and console come late. */
		if (!tg->ssh.connect_timeout_s)
			tg->ssh.connect_timeout_s = 300;
		if (instance_target(ctx, tg, tg->ssh.connect_timeout_s, flags, &err))
			return cli_fail(ctx, &err);
		if (tg->never_contacted && (flags & CLI_TARGET_READONLY))
			return 0;
		if (!cfg->ssh_key && cfg->ssh_key_generated &&
		    craft_config_generated_key_path(&generated, cfg->stack, &err) == CRAFT_OK &&
		    access(generated, F_OK) != 0) {
			free(generated);
			generated = NULL;
		}
	}
	tg->user = xstrdup(cli_opt_str(ctx, "user") ? cli_opt_str(ctx, "user") : cfg->ssh_user);
	if (cli_opt_str(ctx, "identity")) {
		tg->identity = expand_home(cli_opt_str(ctx, "identity"));
		free(generated);
	} else if (generated) { /* read-only: the stack's generated key, if it exists */
		tg->identity = generated;
	} else {
		tg->identity = expand_home(cfg->ssh_key);
	}
	if (!tg->ssh.port)
		tg->ssh.port = cfg->ssh_port;
	/* The compose file is relative to the stack file's directory. */
	{
		const char *cf = cfg->compose_file;
		const char *slash = strrchr(ctx->config_path, '/');
		size_t n = strlen(ctx->config_path) + strlen(cf) + 2;

		tg->compose_file = malloc(n);
		if (!tg->compose_file)
			return cli_fail(ctx, &err);
		if (cf[0] == '/' || !slash)
			snprintf(tg->compose_file, n, "%s", cf);
		else
			snprintf(tg->compose_file, n, "%.*s/%s", (int)(slash - ctx->config_path),
			         ctx->config_path, cf);
	}

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
	target_cancel = 0;
	signal(SIGINT, on_cancel);
	signal(SIGTERM, on_cancel);
	tg->ssh.cancel = &target_cancel;
	/* For tests and the demo: a remote root of their own and their own engine. */
	tg->opts.remote_root = craft_env_get("CRAFTCTL_REMOTE_ROOT");
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

/* ---- deploy ------------------------------------------------------------------ */

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

int cli_deploy_run(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                   const struct craft_deploy_opts *o)
{
	return cli_deploy_run_ex(ctx, t, o, NULL, 0);
}

/* "http://host:port/health" -> "http://host:port/". */
static void site_url(char *out, size_t outlen, const char *health_url)
{
	const char *host = strstr(health_url, "://");
	const char *path = host ? strchr(host + 3, '/') : NULL;
	int n = path ? (int)(path - health_url) : (int)strlen(health_url);

	snprintf(out, outlen, "%.*s/", n, health_url);
}

int cli_deploy_run_ex(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                      const struct craft_deploy_opts *o, const struct craft_field *extra,
                      int nextra)
{
	struct craft_deploy_result res;
	struct craft_err err;
	struct craft_field fields[CRAFT_DEPLOY_MAX_STEPS + 16];
	char names[CRAFT_DEPLOY_MAX_STEPS][40], vals[CRAFT_DEPLOY_MAX_STEPS][24];
	char total[24], summary[1024], site[512];
	struct craft_event ev;
	int nf = 0;
	craft_code rc;

	craft_err_init(&err);
	rc = craft_deploy_run(t, o, &ctx->reporter, &res, &err);
	if (res.nsteps) {
		struct craft_buf line = CRAFT_BUF_INIT(4096);

		for (int i = 0; i < res.nsteps; i++)
			(void)craft_buf_printf(&line, "%s%s %.1fs", i ? ", " : "",
			                       res.steps[i].name, (double)res.steps[i].ms / 1000.0);
		craft_logf(&ctx->reporter, CRAFT_LEVEL_INFO, "step times: %s",
		           craft_buf_str(&line));
		craft_buf_release(&line);
	}
	if (rc)
		return cli_fail(ctx, &err);
	snprintf(total, sizeof(total), "%lld", res.total_ms);
	fields[nf++] = (struct craft_field){ "release", res.release };
	fields[nf++] = (struct craft_field){ "previous", res.previous };
	/* url is where people go (the site's root); health_url what was checked. */
	site_url(site, sizeof(site), res.url);
	fields[nf++] = (struct craft_field){ "url", site };
	fields[nf++] = (struct craft_field){ "health_url", res.url };
	fields[nf++] = (struct craft_field){ "elapsed_ms", total };
	for (int i = 0; i < nextra && i < 8; i++)
		fields[nf++] = extra[i];
	for (int i = 0; i < res.nsteps; i++) {
		snprintf(names[i], sizeof(names[i]), "step_%s_ms", res.steps[i].name);
		snprintf(vals[i], sizeof(vals[i]), "%lld", res.steps[i].ms);
		fields[nf++] = (struct craft_field){ names[i], vals[i] };
	}
	snprintf(summary, sizeof(summary), "%s complete: release %s serving at %s in %.1fs",
	         o->rollback ? "rollback" : "deploy", res.release, res.url,
	         (double)res.total_ms / 1000.0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_RESULT;
	ev.level = CRAFT_LEVEL_INFO;
	ev.phase = "deploy";
	ev.message = summary;
	ev.elapsed_ms = res.total_ms;
	ev.fields = fields;
	ev.nfields = ctx->json ? nf : 4;
	craft_report(&ctx->reporter, &ev);
	return 0;
}

int cmd_deploy(struct cli_ctx *ctx)
{
	struct cli_target tg;
	int health = 0, lock = 0;
	int rc;

	if (cli_parse_seconds(ctx, "health-timeout", 1, 86400, &health) ||
	    cli_parse_seconds(ctx, "lock-timeout", 1, 86400 * 30, &lock))
		return 2;
	rc = cli_target_setup(ctx, &tg, 0);
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	tg.opts.rollback = cli_opt_count(ctx, "rollback") > 0;
	tg.opts.force_unlock = cli_opt_count(ctx, "force-unlock") > 0;
	tg.opts.health_timeout_s = health;
	tg.opts.lock_timeout_s = lock;
	rc = cli_deploy_run(ctx, &tg.ssh, &tg.opts);
	cli_target_release(&tg);
	return rc;
}
