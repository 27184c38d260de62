#include "deploy/deploy.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/env.h"
#include "core/templates.h"
#include "deploy/bundle.h"
#include "deploy/health.h"

#define STEPS_SCRIPT "deploy-steps.sh"

struct run {
	struct craft_ssh *s;
	const struct craft_ssh_target *t;
	const struct craft_deploy_opts *o;
	const struct craft_reporter *r;
	struct craft_deploy_result *res;
	int sudo;
	char user[128];
	char holder[300];
	const char *root;
	char secrets[2048];
	char health_timeout[16], lock_timeout[16];
};

/* ---- output: remote bytes to one event per line ---------------------------- */

struct linesink {
	const struct craft_reporter *r;
	const char *phase;
	struct craft_buf part[2];
	struct craft_buf *capture; /* stdout, whole, when non-NULL */
	char last_err[512];        /* the last line on stderr, for error messages */
};

static void emit_line(struct linesink *ls, int is_stderr, const char *line)
{
	struct craft_event ev;

	craft_event_init(&ev, CRAFT_EV_OUTPUT, is_stderr ? CRAFT_LEVEL_WARN : CRAFT_LEVEL_INFO);
	ev.phase = ls->phase;
	ev.message = line;
	craft_report(ls->r, &ev);
	if (is_stderr && line[0])
		snprintf(ls->last_err, sizeof(ls->last_err), "%s", line);
}

static void linesink_write(void *ud, int is_stderr, const char *data, size_t len)
{
	struct linesink *ls = ud;
	struct craft_buf *b = &ls->part[is_stderr ? 1 : 0];

	if (!is_stderr && ls->capture)
		(void)craft_buf_add(ls->capture, data, len);
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			emit_line(ls, is_stderr, craft_buf_str(b));
			craft_buf_reset(b);
		} else if (data[i] != '\r') {
			if (b->len >= 4000) {
				emit_line(ls, is_stderr, craft_buf_str(b));
				craft_buf_reset(b);
			}
			(void)craft_buf_addch(b, data[i]);
		}
	}
}

static void linesink_init(struct linesink *ls, const struct craft_reporter *r, const char *phase,
                          struct craft_buf *capture)
{
	memset(ls, 0, sizeof(*ls));
	ls->r = r;
	ls->phase = phase;
	ls->capture = capture;
	craft_buf_init(&ls->part[0], 8192);
	craft_buf_init(&ls->part[1], 8192);
}

static void linesink_finish(struct linesink *ls)
{
	for (int i = 0; i < 2; i++) {
		if (ls->part[i].len)
			emit_line(ls, i, craft_buf_str(&ls->part[i]));
		craft_buf_release(&ls->part[i]);
	}
}

/* ---- phases and timings ---------------------------------------------------- */

static void phase_begin(struct run *x, const char *name, const char *msg)
{
	struct craft_event ev;

	craft_event_init(&ev, CRAFT_EV_PHASE_BEGIN, CRAFT_LEVEL_INFO);
	ev.phase = name;
	ev.message = msg;
	craft_report(x->r, &ev);
}

static void phase_end(struct run *x, const char *name, long long start, craft_code rc)
{
	struct craft_event ev;
	long long ms = craft_now_ms() - start;
	struct craft_deploy_result *res = x->res;

	craft_event_init(&ev, CRAFT_EV_PHASE_END, CRAFT_LEVEL_INFO);
	ev.phase = name;
	ev.elapsed_ms = ms;
	ev.status = (int)rc;
	craft_report(x->r, &ev);
	if (res->nsteps < CRAFT_DEPLOY_MAX_STEPS) {
		snprintf(res->steps[res->nsteps].name, sizeof(res->steps[0].name), "%s", name);
		res->steps[res->nsteps].ms = ms;
		res->steps[res->nsteps].ok = rc == CRAFT_OK;
		res->nsteps++;
	}
}

/* ---- remote commands --------------------------------------------------------- */

craft_code craft_deploy_command(struct craft_buf *out, int use_sudo, const char *script,
                                const struct craft_deploy_kv *vars, size_t nvars,
                                struct craft_err *err)
{
	struct craft_buf body = CRAFT_BUF_INIT(4 << 20);
	craft_code rc = CRAFT_OK;

	for (size_t i = 0; !rc && i < nvars; i++) {
		for (const char *k = vars[i].key; *k; k++)
			if (!(isalnum((unsigned char)*k) || *k == '_'))
				return craft_err_set(err, CRAFT_EINTERNAL, "bad variable name '%s'",
				                     vars[i].key);
		rc = craft_buf_printf(&body, "%s=", vars[i].key);
		if (!rc)
			rc = craft_ssh_shell_quote(&body, vars[i].value ? vars[i].value : "");
		if (!rc)
			rc = craft_buf_addch(&body, '\n');
	}
	if (!rc)
		rc = craft_buf_addstr(&body, script);
	if (!rc)
		rc = craft_buf_addstr(out, use_sudo ? "sudo -n sh -c " : "sh -c ");
	if (!rc)
		rc = craft_ssh_shell_quote(out, craft_buf_str(&body));
	craft_buf_release(&body);
	return rc ? craft_err_set(err, rc, "the remote command is too large") : CRAFT_OK;
}

#define MAX_VARS 24

static size_t common_vars(struct run *x, struct craft_deploy_kv *v, const char *step,
                          const char *release)
{
	size_t n = 0;

	v[n++] = (struct craft_deploy_kv){ "CRAFT_STEP", step };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_ROOT", x->root };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_STACK", x->o->stack };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_RELEASE", release ? release : "" };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_USER", x->user };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_SECRETS", x->secrets };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_DOCKER_HOST",
		                           x->o->docker_host ? x->o->docker_host : "" };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_HEALTH_TIMEOUT", x->health_timeout };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_LOCK_TIMEOUT", x->lock_timeout };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_FORCE_UNLOCK", x->o->force_unlock ? "1" : "0" };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_HOLDER", x->holder };
	return n;
}

/*
 * Runs a template (step names the CRAFT_STEP of deploy-steps.sh) as phase.
 * A non-zero remote exit is CRAFT_EDEPLOY naming the step and its last
 * error line; a broken connection stays CRAFT_ESSH.
 */
static craft_code run_template(struct run *x, const char *phase, const char *tmpl, const char *step,
                               const char *release, struct craft_buf *capture, int *exit_status,
                               struct craft_err *err)
{
	struct craft_deploy_kv vars[MAX_VARS];
	size_t nvars = common_vars(x, vars, step ? step : phase, release);
	const char *script = craft_template_get(tmpl, NULL);
	struct craft_buf cmd = CRAFT_BUF_INIT(8 << 20);
	struct linesink ls;
	struct craft_ssh_sink sink;
	int status = 255;
	long long start = craft_now_ms();
	int timeout = x->o->step_timeout_s > 0 ? x->o->step_timeout_s : 1800;
	craft_code rc;

	if (!script)
		return craft_err_set(err, CRAFT_EINTERNAL, "template '%s' is not built in", tmpl);
	rc = craft_deploy_command(&cmd, x->sudo, script, vars, nvars, err);
	if (rc)
		return rc;
	phase_begin(x, phase, NULL);
	linesink_init(&ls, x->r, phase, capture);
	sink.write = linesink_write;
	sink.userdata = &ls;
	rc = craft_ssh_exec(x->s, craft_buf_str(&cmd), NULL, 0, &sink, timeout, &status, err);
	linesink_finish(&ls);
	craft_buf_release(&cmd);
	if (exit_status)
		*exit_status = status;
	if (rc == CRAFT_ETIMEOUT)
		craft_err_prefix(err, "step '%s'", phase);
	else if (rc == CRAFT_OK && status != 0 && !exit_status)
		rc = craft_err_set(err, CRAFT_EDEPLOY, "step '%s' failed on %s (exit %d)%s%s",
		                   phase, x->t->host, status, ls.last_err[0] ? ": " : "",
		                   ls.last_err);
	phase_end(x, phase, start,
	          rc == CRAFT_OK && (status == 0 || exit_status) ? CRAFT_OK : CRAFT_EDEPLOY);
	return rc;
}

static craft_code run_step(struct run *x, const char *phase, const char *step, const char *release,
                           struct craft_err *err)
{
	return run_template(x, phase, STEPS_SCRIPT, step, release, NULL, NULL, err);
}

/* The value after "TAG " on a line of captured output, into out. */
static void captured(const struct craft_buf *b, const char *tag, char *out, size_t outlen)
{
	const char *p = craft_buf_str(b);
	size_t tl = strlen(tag);

	out[0] = '\0';
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > tl && strncmp(p, tag, tl) == 0 && p[tl] == ' ') {
			size_t vl = n - tl - 1;

			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, p + tl + 1, vl);
			out[vl] = '\0';
			while (vl > 0 && isspace((unsigned char)out[vl - 1]))
				out[--vl] = '\0';
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* ---- the steps ------------------------------------------------------------- */

static craft_code check_privileges(struct run *x, struct craft_err *err)
{
	struct craft_buf out = CRAFT_BUF_INIT(4096), eout = CRAFT_BUF_INIT(4096);
	int status = 255;
	craft_code rc;

	rc = craft_ssh_run(x->s, "id -u", &out, &eout, 60, &status, err);
	if (rc)
		goto done;
	if (status != 0) {
		rc = craft_err_set(err, CRAFT_EDEPLOY, "'id -u' failed on %s: %s", x->t->host,
		                   craft_buf_str(&eout));
		goto done;
	}
	x->sudo = strncmp(craft_buf_str(&out), "0\n", 2) != 0 && strcmp(craft_buf_str(&out), "0");
	if (!x->sudo)
		goto done;
	craft_buf_reset(&eout);
	rc = craft_ssh_run(x->s, "sudo -n true", NULL, &eout, 60, &status, err);
	if (rc)
		goto done;
	if (status != 0) {
		char msg[512];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", craft_buf_str(&eout));
		n = strlen(msg);
		while (n > 0 && isspace((unsigned char)msg[n - 1]))
			msg[--n] = '\0';
		rc = craft_err_set(
		        err, CRAFT_EDEPLOY,
		        "user '%s' on %s cannot run sudo without a password (sudo -n: %s); "
		        "allow passwordless sudo for the deploy user, or deploy as root",
		        x->user, x->t->host, msg[0] ? msg : "failed");
	}
done:
	craft_buf_release(&out);
	craft_buf_release(&eout);
	return rc;
}

static craft_code take_lock(struct run *x, const char *release, struct craft_ssh_bg **bg,
                            struct craft_err *err)
{
	struct craft_deploy_kv vars[MAX_VARS];
	size_t nvars = common_vars(x, vars, "lock", release);
	struct craft_buf cmd = CRAFT_BUF_INIT(1 << 20), out = CRAFT_BUF_INIT(65536);
	long long start = craft_now_ms();
	int status = -1;
	char locked[600];
	craft_code rc;

	rc = craft_deploy_command(&cmd, x->sudo, craft_template_get(STEPS_SCRIPT, NULL), vars,
	                          nvars, err);
	if (rc)
		return rc;
	phase_begin(x, "lock", NULL);
	rc = craft_ssh_bg_start(x->s, craft_buf_str(&cmd), "READY", 120, bg, &out, &status, err);
	craft_buf_release(&cmd);
	{
		/* Lines other than the protocol ones are the step's output. */
		struct linesink ls;
		const char *p = craft_buf_str(&out);

		linesink_init(&ls, x->r, "lock", NULL);
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (!(n == 5 && strncmp(p, "READY", 5) == 0))
				linesink_write(&ls, 0, p, nl ? n + 1 : n);
			p = nl ? nl + 1 : NULL;
		}
		linesink_finish(&ls);
	}
	if (rc == CRAFT_OK && !*bg) {
		captured(&out, "LOCKED", locked, sizeof(locked));
		if (status == 3)
			rc = craft_err_set(err, CRAFT_ELOCKED,
			                   "stack '%s' on %s is locked: another deploy runs there "
			                   "(held %s); wait for it, or break a stale lock with "
			                   "--force-unlock",
			                   x->o->stack, x->t->host,
			                   locked[0] ? locked : "by unknown");
		else
			rc = craft_err_set(err, CRAFT_EDEPLOY,
			                   "cannot take the deploy lock on %s (exit %d)",
			                   x->t->host, status);
	}
	craft_buf_release(&out);
	phase_end(x, "lock", start, rc);
	return rc;
}

static void release_lock(struct run *x, struct craft_ssh_bg *bg)
{
	struct craft_err e;
	int status;

	if (!bg)
		return;
	craft_err_init(&e);
	if (craft_ssh_bg_finish(bg, 30, &status, &e) != CRAFT_OK || status != 0)
		craft_logf(x->r, CRAFT_LEVEL_WARN, "could not release the deploy lock cleanly: %s",
		           e.msg[0] ? e.msg : "the lock keeper failed");
}

static craft_code http_check(struct run *x, const char *phase, struct craft_err *err)
{
	long long start = craft_now_ms();
	long status = 0;
	craft_code rc;

	phase_begin(x, phase, x->res->url);
	rc = craft_health_wait(x->res->url,
	                       x->o->health_timeout_s > 0 ? x->o->health_timeout_s : 180, 250,
	                       phase, x->r, x->t->cancel, &status, err);
	if (rc == CRAFT_OK)
		craft_logf(x->r, CRAFT_LEVEL_INFO, "  %s answered %ld", x->res->url, status);
	phase_end(x, phase, start, rc);
	return rc;
}

static int fatal(craft_code rc)
{
	/* The connection is gone, a step hung, or the user stopped us: no
	 * further remote step (no rollback either) may run. */
	return rc == CRAFT_ESSH || rc == CRAFT_ETIMEOUT || rc == CRAFT_ENOMEM || rc == CRAFT_EINTR;
}

/* build, up, wait, http for a release; phases prefixed with prefix. */
static craft_code start_release(struct run *x, const char *prefix, const char *release,
                                int *started, struct craft_err *err)
{
	static const char *const steps[] = { "build", "up", "wait" };
	char phase[32];
	craft_code rc;

	*started = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(phase, sizeof(phase), "%s%s", prefix, steps[i]);
		rc = run_step(x, phase, steps[i], release, err);
		if (rc)
			return rc;
		if (strcmp(steps[i], "up") == 0)
			*started = 1;
	}
	snprintf(phase, sizeof(phase), "%shttp", prefix);
	return http_check(x, phase, err);
}

static craft_code do_rollback_to(struct run *x, const char *failed, const char *target,
                                 const struct craft_err *cause, struct craft_err *err)
{
	struct craft_err e2;
	int started = 0;
	craft_code rc;

	craft_err_init(&e2);
	craft_logf(x->r, CRAFT_LEVEL_WARN, "release %s failed; rolling back to %s", failed, target);
	rc = start_release(x, "rollback-", target, &started, &e2);
	if (rc == CRAFT_OK) {
		x->res->rolled_back = 1;
		snprintf(x->res->release, sizeof(x->res->release), "%s", target);
		return craft_err_set(err, CRAFT_EDEPLOY,
		                     "release %s failed (%s); rolled back to %s, which is healthy",
		                     failed, cause->msg, target);
	}
	return craft_err_set(err, CRAFT_EDEPLOY,
	                     "release %s failed (%s), and rolling back to %s failed too (%s)",
	                     failed, cause->msg, target, e2.msg);
}

static craft_code deploy_new(struct run *x, const char *bundle, const char *release,
                             struct craft_err *err)
{
	char remote[4096];
	long long start;
	int started = 0;
	struct craft_err cause;
	craft_code rc;

	snprintf(remote, sizeof(remote), "%s/%s/releases/%s.tar.gz", x->root, x->o->stack, release);
	start = craft_now_ms();
	phase_begin(x, "upload", remote);
	rc = craft_ssh_upload(x->s, bundle, remote, x->r, err);
	phase_end(x, "upload", start, rc);
	if (rc)
		return rc;
	rc = run_step(x, "extract", "extract", release, err);
	if (!rc)
		rc = run_step(x, "secrets", "secrets", release, err);
	if (rc)
		return rc;
	craft_err_init(&cause);
	rc = start_release(x, "", release, &started, &cause);
	if (rc == CRAFT_OK)
		return run_step(x, "activate", "activate", release, err);
	if (fatal(rc)) {
		*err = cause;
		return rc;
	}
	/* The new release failed. Tell why, put the previous one back. */
	if (started)
		(void)run_step(x, "diagnose", "diagnose", release, err);
	(void)run_step(x, "mark-failed", "mark-failed", release, err);
	if (!started) {
		if (x->res->previous[0])
			return craft_err_set(err, CRAFT_EDEPLOY,
			                     "%s; release %s was not started, %s keeps serving",
			                     cause.msg, release, x->res->previous);
		*err = cause;
		return rc;
	}
	if (!x->res->previous[0])
		return craft_err_set(
		        err, CRAFT_EDEPLOY,
		        "%s; this was the first release, so there is none to roll back to",
		        cause.msg);
	return do_rollback_to(x, release, x->res->previous, &cause, err);
}

static craft_code deploy_rollback(struct run *x, struct craft_err *err)
{
	struct craft_buf out = CRAFT_BUF_INIT(65536);
	char target[96];
	struct craft_err cause;
	int started = 0, status = 0;
	craft_code rc;

	rc = run_template(x, "previous", STEPS_SCRIPT, "previous", NULL, &out, &status, err);
	captured(&out, "PREVIOUS", target, sizeof(target));
	craft_buf_release(&out);
	if (rc)
		return rc;
	if (status != 0 || !target[0])
		return craft_err_set(
		        err, CRAFT_EDEPLOY,
		        "nothing to roll back to on %s: no healthy release older than the "
		        "current one (%s)",
		        x->t->host, x->res->previous[0] ? x->res->previous : "none");
	craft_err_init(&cause);
	rc = start_release(x, "", target, &started, &cause);
	if (rc == CRAFT_OK) {
		snprintf(x->res->release, sizeof(x->res->release), "%s", target);
		return run_step(x, "activate", "activate", target, err);
	}
	if (fatal(rc) || !started || !x->res->previous[0]) {
		*err = cause;
		return rc;
	}
	(void)run_step(x, "diagnose", "diagnose", target, err);
	return do_rollback_to(x, target, x->res->previous, &cause, err);
}

/* ---- setup ---------------------------------------------------------------- */

craft_code craft_deploy_release_id(const char *dir, time_t now, char *out, size_t outlen,
                                   struct craft_err *err)
{
	struct tm tm;
	char stamp[32], commit[64] = "";
	struct craft_buf cmd = CRAFT_BUF_INIT(8192);
	FILE *p;

	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return craft_err_set(err, CRAFT_EINTERNAL, "cannot format the time");
	if (craft_buf_addstr(&cmd, "git -C ") || craft_ssh_shell_quote(&cmd, dir) ||
	    craft_buf_addstr(&cmd, " rev-parse --short=7 HEAD 2>/dev/null")) {
		craft_buf_release(&cmd);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	p = popen(craft_buf_str(&cmd), "r");
	craft_buf_release(&cmd);
	if (p) {
		if (!fgets(commit, sizeof(commit), p))
			commit[0] = '\0';
		pclose(p);
	}
	commit[strcspn(commit, "\r\n")] = '\0';
	for (const char *c = commit; *c; c++)
		if (!isxdigit((unsigned char)*c))
			commit[0] = '\0';
	if (commit[0])
		snprintf(out, outlen, "%s-%s", stamp, commit);
	else
		snprintf(out, outlen, "%s", stamp);
	return CRAFT_OK;
}

static int valid_stack(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static int valid_name(const char *k)
{
	if (!k || !(isalpha((unsigned char)*k) || *k == '_'))
		return 0;
	for (; *k; k++)
		if (!(isalnum((unsigned char)*k) || *k == '_'))
			return 0;
	return 1;
}

static craft_code make_bundle(struct run *x, const char *release, char *path, size_t pathlen,
                              struct craft_err *err)
{
	struct craft_buf env = CRAFT_BUF_INIT(1 << 20), cfname = CRAFT_BUF_INIT(4096);
	struct craft_bundle_extra extra[2];
	struct craft_bundle_info info;
	const char *tmpdir = craft_env_get("TMPDIR");
	const char *slash = strrchr(x->o->compose_file, '/');
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	long long start = craft_now_ms();
	craft_code rc = CRAFT_OK;
	int fd;

	snprintf(path, pathlen, "%s/craftctl-bundle-XXXXXX", tmpdir ? tmpdir : "/tmp");
	phase_begin(x, "bundle", x->o->compose_file);
	fd = mkstemp(path);
	if (fd < 0) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot create a temporary file in %s: %s",
		                   tmpdir ? tmpdir : "/tmp", strerror(errno));
		path[0] = '\0';
		goto done;
	}
	close(fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Defaults first (deploy.env may override them), the release's own last. */
	rc = craft_buf_addstr(&env, "# generated by craftctl: this release's non-secret variables\n"
	                            "PUBLIC_HOST=");
	if (!rc)
		rc = craft_ssh_shell_quote(&env,
		                           x->o->health_host ? x->o->health_host : x->t->host);
	if (!rc)
		rc = craft_buf_printf(&env, "\nHTTP_PORT='%d'\n",
		                      x->o->http_port > 0 ? x->o->http_port : 80);
	for (size_t i = 0; !rc && i < x->o->nenv; i++) {
		rc = craft_buf_printf(&env, "%s=", x->o->env[i].key);
		if (!rc)
			rc = craft_ssh_shell_quote(&env,
			                           x->o->env[i].value ? x->o->env[i].value : "");
		if (!rc)
			rc = craft_buf_addch(&env, '\n');
	}
	if (!rc)
		rc = craft_buf_printf(&env, "RELEASE_ID='%s'\nRELEASED_AT='%s'\n", release, stamp);
	if (!rc)
		rc = craft_buf_printf(&cfname, "%s\n", slash ? slash + 1 : x->o->compose_file);
	if (rc) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto done;
	}
	extra[0] =
	        (struct craft_bundle_extra){ ".craftctl-release.env", craft_buf_str(&env), 0644 };
	extra[1] = (struct craft_bundle_extra){ ".craftctl-compose", craft_buf_str(&cfname), 0644 };
	rc = craft_bundle_create(x->o->compose_file, extra, 2, path, &info, err);
	if (!rc)
		craft_logf(x->r, CRAFT_LEVEL_INFO,
		           "  release %s: %zu files, %lld bytes (%lld packed)", release, info.files,
		           info.bytes, info.archive);
done:
	craft_buf_release(&env);
	craft_buf_release(&cfname);
	phase_end(x, "bundle", start, rc);
	return rc;
}

static void default_holder(char *out, size_t len)
{
	char host[256] = "unknown";
	const char *user = craft_env_get("USER");
	struct passwd *pw = NULL;

	if (!user) {
		pw = getpwuid(getuid());
		user = pw ? pw->pw_name : "unknown";
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	snprintf(out, len, "%s@%s pid %ld", user, host, (long)getpid());
}

static craft_code validate(const struct craft_deploy_opts *o, struct craft_err *err)
{
	struct stat st;

	if (!valid_stack(o->stack))
		return craft_err_set(err, CRAFT_ECONFIG,
		                     "stack name '%s' is not valid: use 1-32 of [a-z0-9-]",
		                     o->stack ? o->stack : "");
	if (!o->rollback && (!o->compose_file || stat(o->compose_file, &st) != 0))
		return craft_err_set(err, CRAFT_ECONFIG, "cannot read compose file '%s': %s",
		                     o->compose_file ? o->compose_file : "",
		                     o->compose_file ? strerror(errno) : "not set");
	for (size_t i = 0; i < o->nenv; i++)
		if (!valid_name(o->env[i].key))
			return craft_err_set(err, CRAFT_ECONFIG,
			                     "deploy.env: '%s' is not a valid variable name",
			                     o->env[i].key ? o->env[i].key : "");
	for (size_t i = 0; i < o->nsecrets; i++)
		if (!valid_name(o->secrets[i]))
			return craft_err_set(err, CRAFT_ECONFIG,
			                     "deploy.secrets: '%s' is not a valid variable name",
			                     o->secrets[i] ? o->secrets[i] : "");
	if (o->health_path && o->health_path[0] != '/')
		return craft_err_set(err, CRAFT_ECONFIG, "deploy.health_path must start with '/'");
	if (o->remote_root && o->remote_root[0] != '/')
		return craft_err_set(err, CRAFT_ECONFIG,
		                     "the remote root must be an absolute path");
	return CRAFT_OK;
}

craft_code craft_deploy_run(const struct craft_ssh_target *t, const struct craft_deploy_opts *o,
                            const struct craft_reporter *r, struct craft_deploy_result *res,
                            struct craft_err *err)
{
	struct run x;
	char release[96] = "", bundle[4096] = "";
	struct craft_ssh_bg *lock = NULL;
	struct craft_buf cur = CRAFT_BUF_INIT(65536);
	long long start = craft_now_ms(), t0;
	const char *hhost;
	size_t used = 0;
	craft_code rc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.t = t;
	x.o = o;
	x.r = r;
	x.res = res;
	x.root = o->remote_root ? o->remote_root : CRAFT_DEPLOY_DEFAULT_ROOT;
	snprintf(x.user, sizeof(x.user), "%s", t->user ? t->user : "");
	snprintf(x.health_timeout, sizeof(x.health_timeout), "%d",
	         o->health_timeout_s > 0 ? o->health_timeout_s : 180);
	snprintf(x.lock_timeout, sizeof(x.lock_timeout), "%d",
	         o->lock_timeout_s > 0 ? o->lock_timeout_s : 1800);
	if (o->holder)
		snprintf(x.holder, sizeof(x.holder), "%s", o->holder);
	else
		default_holder(x.holder, sizeof(x.holder));
	for (size_t i = 0; i < o->nsecrets && used < sizeof(x.secrets); i++) {
		int n = snprintf(x.secrets + used, sizeof(x.secrets) - used, "%s%s", i ? " " : "",
		                 o->secrets[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	rc = validate(o, err);
	if (rc)
		return rc;
	hhost = o->health_host ? o->health_host : t->host;
	snprintf(res->url, sizeof(res->url),
	         strchr(hhost, ':') ? "http://[%s]:%d%s" : "http://%s:%d%s", hhost,
	         o->http_port > 0 ? o->http_port : 80, o->health_path ? o->health_path : "/");

	if (!o->rollback) {
		if (o->release_id) {
			snprintf(release, sizeof(release), "%s", o->release_id);
		} else {
			char dir[4096];
			const char *slash = strrchr(o->compose_file, '/');

			snprintf(dir, sizeof(dir), "%.*s",
			         slash ? (int)(slash - o->compose_file) : 1,
			         slash ? o->compose_file : ".");
			rc = craft_deploy_release_id(dir[0] ? dir : "/", time(NULL), release,
			                             sizeof(release), err);
			if (rc)
				return rc;
		}
		for (const char *c = release; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
				return craft_err_set(err, CRAFT_EUSAGE,
				                     "release id '%s' is not valid", release);
		snprintf(res->release, sizeof(res->release), "%s", release);
		rc = make_bundle(&x, release, bundle, sizeof(bundle), err);
		if (rc)
			goto done;
	}

	t0 = craft_now_ms();
	{
		char msg[512];

		snprintf(msg, sizeof(msg), "%s@%s port %d", t->user, t->host,
		         t->port > 0 ? t->port : 22);
		phase_begin(&x, "connect", msg);
	}
	rc = craft_ssh_connect(t, r, &x.s, err);
	if (!rc)
		rc = check_privileges(&x, err);
	phase_end(&x, "connect", t0, rc);
	if (rc)
		goto done;
	if (!o->skip_install) {
		rc = run_template(&x, "cloud-init", "wait-cloud-init.sh", NULL, NULL, NULL, NULL,
		                  err);
		if (!rc)
			rc = run_template(&x, "docker", "install-docker.sh", NULL, NULL, NULL, NULL,
			                  err);
		if (rc)
			goto done;
	}
	rc = run_template(&x, "init", STEPS_SCRIPT, "init", release, NULL, NULL, err);
	if (rc)
		goto done;
	rc = take_lock(&x, release[0] ? release : "rollback", &lock, err);
	if (rc)
		goto done;
	rc = run_template(&x, "current", STEPS_SCRIPT, "current", NULL, &cur, NULL, err);
	if (rc)
		goto done;
	captured(&cur, "CURRENT", res->previous, sizeof(res->previous));
	if (o->rollback)
		rc = deploy_rollback(&x, err);
	else
		rc = deploy_new(&x, bundle, release, err);
done:
	/* An interrupted deploy still has its connection: give the lock back. */
	if (x.s && (!fatal(rc) || rc == CRAFT_EINTR))
		release_lock(&x, lock);
	else if (lock)
		free(lock); /* the connection is gone; the host drops the lock with it */
	craft_ssh_close(x.s);
	craft_buf_release(&cur);
	if (bundle[0])
		unlink(bundle);
	res->total_ms = craft_now_ms() - start;
	return rc;
}

craft_code craft_deploy_remote_step(struct craft_ssh *s, const char *user,
                                    const struct craft_deploy_opts *o, const char *step,
                                    const struct craft_deploy_kv *vars, size_t nvars,
                                    const struct craft_ssh_sink *sink, int *exit_status,
                                    struct craft_err *err)
{
	struct craft_deploy_kv all[MAX_VARS + 16];
	struct craft_buf cmd = CRAFT_BUF_INIT(8 << 20), idout = CRAFT_BUF_INIT(256);
	struct run x;
	size_t n;
	int status = 255;
	craft_code rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.root = o->remote_root ? o->remote_root : CRAFT_DEPLOY_DEFAULT_ROOT;
	snprintf(x.user, sizeof(x.user), "%s", user);
	snprintf(x.health_timeout, sizeof(x.health_timeout), "180");
	snprintf(x.lock_timeout, sizeof(x.lock_timeout), "1800");
	if (!valid_stack(o->stack))
		return craft_err_set(err, CRAFT_ECONFIG, "stack name '%s' is not valid",
		                     o->stack ? o->stack : "");
	rc = craft_ssh_run(s, "id -u", &idout, NULL, 60, &status, err);
	if (rc)
		return rc;
	x.sudo = strncmp(craft_buf_str(&idout), "0", 1) != 0;
	craft_buf_release(&idout);
	n = common_vars(&x, all, step, NULL);
	for (size_t i = 0; i < nvars && n < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = vars[i];
	rc = craft_deploy_command(&cmd, x.sudo, craft_template_get(STEPS_SCRIPT, NULL), all, n,
	                          err);
	if (!rc)
		rc = craft_ssh_exec(s, craft_buf_str(&cmd), NULL, 0, sink, 0, exit_status, err);
	craft_buf_release(&cmd);
	return rc;
}
