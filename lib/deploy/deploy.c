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

#include "deploy/internal.h"

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
	size_t nvars = dep_common_vars(x, vars, "lock", release);
	struct craft_buf cmd = CRAFT_BUF_INIT(1 << 20), out = CRAFT_BUF_INIT(65536);
	long long start = craft_now_ms();
	int status = -1;
	char locked[600];
	craft_code rc;

	rc = craft_deploy_command(&cmd, x->sudo, craft_template_get(STEPS_SCRIPT, NULL), vars,
	                          nvars, err);
	if (rc)
		return rc;
	dep_phase_begin(x, "lock", NULL);
	rc = craft_ssh_bg_start(x->s, craft_buf_str(&cmd), "READY", 120, bg, &out, &status, err);
	craft_buf_release(&cmd);
	{
		/* Lines other than the protocol ones are the step's output. */
		struct linesink ls;
		const char *p = craft_buf_str(&out);

		dep_linesink_init(&ls, x->r, "lock", NULL);
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (!(n == 5 && strncmp(p, "READY", 5) == 0))
				dep_linesink_write(&ls, 0, p, nl ? n + 1 : n);
			p = nl ? nl + 1 : NULL;
		}
		dep_linesink_finish(&ls);
	}
	if (rc == CRAFT_OK && !*bg) {
		dep_captured(&out, "LOCKED", locked, sizeof(locked));
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
	dep_phase_end(x, "lock", start, rc);
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

	dep_phase_begin(x, phase, x->res->url);
	rc = craft_health_wait(x->res->url,
	                       x->o->health_timeout_s > 0 ? x->o->health_timeout_s : 180, 250,
	                       phase, x->r, x->t->cancel, &status, err);
	if (rc == CRAFT_OK)
		craft_logf(x->r, CRAFT_LEVEL_INFO, "  %s answered %ld", x->res->url, status);
	dep_phase_end(x, phase, start, rc);
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
		rc = dep_run_step(x, phase, steps[i], release, err);
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
	dep_phase_begin(x, "upload", remote);
	rc = craft_ssh_upload(x->s, bundle, remote, x->r, err);
	dep_phase_end(x, "upload", start, rc);
	if (rc)
		return rc;
	rc = dep_run_step(x, "extract", "extract", release, err);
	if (!rc)
		rc = dep_run_step(x, "secrets", "secrets", release, err);
	/* the stack's named volumes onto the data volume, before anything runs */
	if (!rc && x->o->data_volume && x->o->data_volume[0])
		rc = dep_run_template(x, "data", "data-volume.sh", NULL, release, NULL, NULL, err);
	if (rc)
		return rc;
	craft_err_init(&cause);
	rc = start_release(x, "", release, &started, &cause);
	if (rc == CRAFT_OK)
		return dep_run_step(x, "activate", "activate", release, err);
	if (fatal(rc)) {
		*err = cause;
		return rc;
	}
	/* The new release failed. Tell why, put the previous one back. */
	if (started)
		(void)dep_run_step(x, "diagnose", "diagnose", release, err);
	(void)dep_run_step(x, "mark-failed", "mark-failed", release, err);
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

	rc = dep_run_template(x, "previous", STEPS_SCRIPT, "previous", NULL, &out, &status, err);
	dep_captured(&out, "PREVIOUS", target, sizeof(target));
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
		return dep_run_step(x, "activate", "activate", target, err);
	}
	if (fatal(rc) || !started || !x->res->previous[0]) {
		*err = cause;
		return rc;
	}
	(void)dep_run_step(x, "diagnose", "diagnose", target, err);
	return do_rollback_to(x, target, x->res->previous, &cause, err);
}

/* restore: the stack stopped and the data volume released, or the current
 * release started again on the new one */
static craft_code deploy_data_swap(struct run *x, struct craft_err *err)
{
	const char *cur = x->res->previous;
	int started = 0;
	craft_code rc;

	snprintf(x->res->release, sizeof(x->res->release), "%s", cur);
	if (x->o->data_swap == 1)
		return dep_run_step(x, "data-release", "data-release", cur[0] ? cur : NULL, err);
	if (!cur[0])
		return craft_err_set(
		        err, CRAFT_EDEPLOY,
		        "no current release on %s to start on the restored volume: run "
		        "'craftctl deploy'",
		        x->t->host);
	rc = dep_run_template(x, "data", "data-volume.sh", NULL, cur, NULL, NULL, err);
	if (!rc)
		rc = start_release(x, "", cur, &started, err);
	return rc;
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
	dep_phase_begin(x, "bundle", x->o->compose_file);
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
	dep_phase_end(x, "bundle", start, rc);
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

	if (!dep_valid_stack(o->stack))
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

	if (!o->rollback && !o->data_swap) {
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
		dep_phase_begin(&x, "connect", msg);
	}
	rc = craft_ssh_connect(t, r, &x.s, err);
	if (!rc)
		rc = check_privileges(&x, err);
	dep_phase_end(&x, "connect", t0, rc);
	if (rc)
		goto done;
	if (!o->skip_install) {
		rc = dep_run_template(&x, "cloud-init", "wait-cloud-init.sh", NULL, NULL, NULL,
		                      NULL, err);
		if (!rc)
			rc = dep_run_template(&x, "docker", "install-docker.sh", NULL, NULL, NULL,
			                      NULL, err);
		if (rc)
			goto done;
	}
	rc = dep_run_template(&x, "init", STEPS_SCRIPT, "init", release, NULL, NULL, err);
	if (rc)
		goto done;
	rc = take_lock(&x,
	               release[0]     ? release
	               : o->data_swap ? "restore"
	                              : "rollback",
	               &lock, err);
	if (rc)
		goto done;
	rc = dep_run_template(&x, "current", STEPS_SCRIPT, "current", NULL, &cur, NULL, err);
	if (rc)
		goto done;
	dep_captured(&cur, "CURRENT", res->previous, sizeof(res->previous));
	if (o->data_swap)
		rc = deploy_data_swap(&x, err);
	else if (o->rollback)
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
