/* craftctl deploy: ship the stack to an SSH host and health-gate it. Also
 * the target setup that `ssh` and `logs` share (cli_target_*). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <yaml.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "core/env.h"
#include "deploy/deploy.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

#define TARGET_OPTS                                                                               \
	{ "host", 0, CLI_VALUE, "H", "deploy to this SSH host instead of the stack's instance" }, \
	        { "port", 0, CLI_VALUE, "N", "SSH port (default: instance.ssh_port, 22)" },       \
	        { "user", 0, CLI_VALUE, "U",                                                      \
		  "SSH user (default: instance.ssh_user, else the local user)" },                 \
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
		        "keep retrying the connection this long (120)"                            \
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

/* ---- the stack file ---------------------------------------------------------
 * TEMPORARY minimal adapter: reads only what deploy needs (stack, deploy.*,
 * instance.ssh_*), until lib/config from the engine lands on main; then this
 * section is replaced by craft_config_load. */

static yaml_node_t *ynode(yaml_document_t *d, int i)
{
	return yaml_document_get_node(d, i);
}

static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *yget(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		const char *k = yscalar(ynode(d, p->key));

		if (k && strcmp(k, key) == 0)
			return ynode(d, p->value);
	}
	return NULL;
}

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

static craft_code load_stack(struct cli_target *tg, const char *path, struct craft_err *err)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *dep, *inst, *n;
	craft_code rc = CRAFT_OK;

	if (!f)
		return craft_err_set(err, CRAFT_ECONFIG, "cannot read '%s': %s", path,
		                     strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': line %zu, column %zu: %s", path,
		                   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': expected a mapping", path);
		goto done;
	}
	if (!tg->stack)
		tg->stack = xstrdup(yscalar(yget(&doc, root, "stack")));
	dep = yget(&doc, root, "deploy");
	inst = yget(&doc, root, "instance");
	if (yscalar(yget(&doc, dep, "compose_file")))
		tg->compose_file = xstrdup(yscalar(yget(&doc, dep, "compose_file")));
	if ((n = yget(&doc, dep, "http_port")) &&
	    parse_int(yscalar(n), 1, 65535, &tg->opts.http_port) != 0) {
		rc = craft_err_set(err, CRAFT_ECONFIG,
		                   "'%s': line %zu: deploy.http_port must be 1-65535", path,
		                   n->start_mark.line + 1);
		goto done;
	}
	if (yscalar(yget(&doc, dep, "health_path")))
		tg->health_path = xstrdup(yscalar(yget(&doc, dep, "health_path")));
	if ((n = yget(&doc, dep, "env")) && n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top && tg->nenv < CLI_TARGET_MAX; p++) {
			tg->env[tg->nenv].key = xstrdup(yscalar(ynode(&doc, p->key)));
			tg->env[tg->nenv].value = xstrdup(yscalar(ynode(&doc, p->value)));
			if (!tg->env[tg->nenv].key || !tg->env[tg->nenv].value) {
				rc = craft_err_set(err, CRAFT_ECONFIG,
				                   "'%s': deploy.env values must be scalars", path);
				goto done;
			}
			tg->nenv++;
		}
	}
	if ((n = yget(&doc, dep, "secrets")) && n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top && tg->nsecrets < CLI_TARGET_MAX; it++)
			tg->secrets[tg->nsecrets++] = xstrdup(yscalar(ynode(&doc, *it)));
	}
	if (!tg->user)
		tg->user = xstrdup(yscalar(yget(&doc, inst, "ssh_user")));
	if (!tg->identity && yscalar(yget(&doc, inst, "ssh_key")))
		tg->identity = xstrdup(yscalar(yget(&doc, inst, "ssh_key")));
	if (!tg->port_set && (n = yget(&doc, inst, "ssh_port")) &&
	    parse_int(yscalar(n), 1, 65535, &tg->ssh.port) != 0) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': instance.ssh_port must be 1-65535",
		                   path);
		goto done;
	}
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ---- the target -------------------------------------------------------------- */

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

	if (!tty)
		return NULL;
	fprintf(tty, "passphrase for %s: ", keyfile);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	}
	if (fgets(line, sizeof(line), tty)) {
		line[strcspn(line, "\r\n")] = '\0';
		out = strdup(line);
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return out;
}

static void local_user(char *out, size_t len)
{
	const char *u = craft_env_get("USER");

	snprintf(out, len, "%s", u ? u : "root");
}

int cli_target_setup(struct cli_ctx *ctx, struct cli_target *tg, struct craft_err *err)
{
	const char *host = cli_opt_str(ctx, "host");
	const char *v;
	const char *const *fps = NULL;
	int nfps = cli_opt_list(ctx, "host-key", &fps);
	struct stat st;
	craft_code rc;

	memset(tg, 0, sizeof(*tg));
	craft_ssh_fpset_init(&tg->expected);
	if (!host)
		return craft_err_set(
		        err, CRAFT_EUSAGE,
		        "'%s' without --host targets the stack's provisioned instance, "
		        "which this build cannot look up yet; give --host H",
		        ctx->cmd->name);
	tg->host = xstrdup(host);
	if ((v = cli_opt_str(ctx, "port"))) {
		if (parse_int(v, 1, 65535, &tg->ssh.port) != 0)
			return craft_err_set(err, CRAFT_EUSAGE, "--port must be 1-65535 (got '%s')",
			                     v);
		tg->port_set = 1;
	}
	tg->user = xstrdup(cli_opt_str(ctx, "user"));
	tg->identity = xstrdup(cli_opt_str(ctx, "identity"));
	tg->stack = xstrdup(ctx->stack);
	if (stat(ctx->config_path, &st) == 0 || cli_opt_str(ctx, "config")) {
		rc = load_stack(tg, ctx->config_path, err);
		if (rc)
			return rc;
	} else if (!tg->stack) {
		return craft_err_set(err, CRAFT_ECONFIG,
		                     "cannot read '%s': %s (give -c FILE, or --stack NAME)",
		                     ctx->config_path, strerror(errno));
	}
	if (!tg->stack)
		return craft_err_set(err, CRAFT_ECONFIG, "'%s' has no 'stack:'", ctx->config_path);
	if (!tg->user) {
		char u[128];

		local_user(u, sizeof(u));
		tg->user = xstrdup(u);
	}
	/* The compose file is relative to the stack file's directory. */
	{
		const char *cf = tg->compose_file ? tg->compose_file : "docker-compose.yml";
		const char *slash = strrchr(ctx->config_path, '/');
		size_t n = strlen(ctx->config_path) + strlen(cf) + 2;
		char *full = malloc(n);

		if (!full)
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		if (cf[0] == '/' || !slash)
			snprintf(full, n, "%s", cf);
		else
			snprintf(full, n, "%.*s/%s", (int)(slash - ctx->config_path),
			         ctx->config_path, cf);
		free(tg->compose_file);
		tg->compose_file = full;
	}
	{
		char *id = expand_home(tg->identity);

		free(tg->identity);
		tg->identity = id;
	}
	for (int i = 0; i < nfps; i++) {
		if (!craft_ssh_fingerprint_valid(fps[i]))
			return craft_err_set(
			        err, CRAFT_EUSAGE,
			        "--host-key '%s' is not a SHA256 fingerprint "
			        "(SHA256: and 43 base64 characters, as ssh-keygen -l shows)",
			        fps[i]);
		if (craft_ssh_fpset_add(&tg->expected, fps[i], NULL))
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}

	tg->ssh.host = tg->host;
	tg->ssh.user = tg->user;
	tg->ssh.identity_file = tg->identity;
	tg->ssh.policy = nfps ? CRAFT_SSH_HOSTKEY_FINGERPRINTS : CRAFT_SSH_HOSTKEY_KNOWN_HOSTS;
	tg->ssh.expected = &tg->expected;
	tg->ssh.known_hosts = cli_opt_str(ctx, "known-hosts");
	tg->ssh.accept_new = cli_opt_count(ctx, "accept-new-host-key") > 0;
	if ((v = cli_opt_str(ctx, "connect-timeout")) &&
	    parse_int(v, 1, 86400, &tg->ssh.connect_timeout_s) != 0)
		return craft_err_set(err, CRAFT_EUSAGE,
		                     "--connect-timeout must be 1-86400 seconds");
	if (tg->identity) {
		int enc = 0;

		rc = craft_ssh_key_encrypted(tg->identity, &enc, err);
		if (rc) {
			err->code = CRAFT_ECONFIG;
			return rc == CRAFT_EIO ? CRAFT_ECONFIG : rc;
		}
		if (enc) {
			const char *pp = craft_env_get("CRAFTCTL_SSH_PASSPHRASE");

			if (pp)
				tg->passphrase = xstrdup(pp);
			else if (isatty(0))
				tg->passphrase = prompt_passphrase(tg->identity);
			if (!tg->passphrase)
				return craft_err_set(
				        err, CRAFT_ECONFIG,
				        "SSH key '%s' is encrypted: set CRAFTCTL_SSH_PASSPHRASE "
				        "or run on a terminal to be asked",
				        tg->identity);
			tg->ssh.passphrase = tg->passphrase;
		}
	}

	tg->opts.stack = tg->stack;
	tg->opts.compose_file = tg->compose_file;
	tg->opts.health_path = tg->health_path ? tg->health_path : "/api/health";
	if (!tg->opts.http_port)
		tg->opts.http_port = 80;
	for (int i = 0; i < tg->nenv; i++) {
		tg->kv[i].key = tg->env[i].key;
		tg->kv[i].value = tg->env[i].value;
	}
	tg->opts.env = tg->kv;
	tg->opts.nenv = (size_t)tg->nenv;
	tg->opts.secrets = (const char *const *)tg->secrets;
	tg->opts.nsecrets = (size_t)tg->nsecrets;
	/* For tests and the demo: a remote root of their own and their own engine. */
	tg->opts.remote_root = craft_env_get("CRAFTCTL_REMOTE_ROOT");
	tg->opts.docker_host = craft_env_get("CRAFTCTL_REMOTE_DOCKER_HOST");
	return CRAFT_OK;
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
	free(tg->stack);
	free(tg->compose_file);
	free(tg->health_path);
	for (int i = 0; i < tg->nenv; i++) {
		free(tg->env[i].key);
		free(tg->env[i].value);
	}
	for (int i = 0; i < tg->nsecrets; i++)
		free(tg->secrets[i]);
	craft_ssh_fpset_release(&tg->expected);
}

/* ---- deploy ------------------------------------------------------------------ */

int cli_deploy_run(struct cli_ctx *ctx, const struct craft_ssh_target *t,
                   const struct craft_deploy_opts *o)
{
	struct craft_deploy_result res;
	struct craft_err err;
	struct craft_field fields[CRAFT_DEPLOY_MAX_STEPS + 6];
	char names[CRAFT_DEPLOY_MAX_STEPS][40], vals[CRAFT_DEPLOY_MAX_STEPS][24];
	char total[24], summary[1024];
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
	fields[nf++] = (struct craft_field){ "url", res.url };
	fields[nf++] = (struct craft_field){ "elapsed_ms", total };
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
	ev.nfields = ctx->json ? nf : 3;
	craft_report(&ctx->reporter, &ev);
	return 0;
}

int cmd_deploy(struct cli_ctx *ctx)
{
	struct cli_target tg;
	struct craft_err err;
	const char *v;
	int rc;

	craft_err_init(&err);
	if (cli_target_setup(ctx, &tg, &err) != CRAFT_OK) {
		rc = cli_fail(ctx, &err);
		cli_target_release(&tg);
		return rc;
	}
	tg.opts.rollback = cli_opt_count(ctx, "rollback") > 0;
	tg.opts.force_unlock = cli_opt_count(ctx, "force-unlock") > 0;
	if ((v = cli_opt_str(ctx, "health-timeout")) &&
	    parse_int(v, 1, 86400, &tg.opts.health_timeout_s) != 0) {
		cli_target_release(&tg);
		return cli_usage_error("--health-timeout must be 1-86400 seconds (got '%s')", v);
	}
	if ((v = cli_opt_str(ctx, "lock-timeout")) &&
	    parse_int(v, 1, 86400 * 30, &tg.opts.lock_timeout_s) != 0) {
		cli_target_release(&tg);
		return cli_usage_error("--lock-timeout must be 1-2592000 seconds (got '%s')", v);
	}
	rc = cli_deploy_run(ctx, &tg.ssh, &tg.opts);
	cli_target_release(&tg);
	return rc;
}
