/*
 * remote — how deploy talks to the host: a template and its variables
 * become one `sh -c` command (sudo -n when not root), its output becomes
 * one event per line, and each step is timed as a phase.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/templates.h"
#include "deploy/internal.h"

/* ---- output: remote bytes to one event per line ---------------------------- */

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

void dep_linesink_write(void *ud, int is_stderr, const char *data, size_t len)
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

void dep_linesink_init(struct linesink *ls, const struct craft_reporter *r, const char *phase,
                       struct craft_buf *capture)
{
	memset(ls, 0, sizeof(*ls));
	ls->r = r;
	ls->phase = phase;
	ls->capture = capture;
	craft_buf_init(&ls->part[0], 8192);
	craft_buf_init(&ls->part[1], 8192);
}

void dep_linesink_finish(struct linesink *ls)
{
	for (int i = 0; i < 2; i++) {
		if (ls->part[i].len)
			emit_line(ls, i, craft_buf_str(&ls->part[i]));
		craft_buf_release(&ls->part[i]);
	}
}

/* ---- phases and timings ---------------------------------------------------- */

void dep_phase_begin(struct run *x, const char *name, const char *msg)
{
	struct craft_event ev;

	craft_event_init(&ev, CRAFT_EV_PHASE_BEGIN, CRAFT_LEVEL_INFO);
	ev.phase = name;
	ev.message = msg;
	craft_report(x->r, &ev);
}

void dep_phase_end(struct run *x, const char *name, long long start, craft_code rc)
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

size_t dep_common_vars(struct run *x, struct craft_deploy_kv *v, const char *step,
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
	v[n++] = (struct craft_deploy_kv){ "CRAFT_DATA_VOLUME",
		                           x->o->data_volume ? x->o->data_volume : "" };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_DATA_DEVICE",
		                           x->o->data_device ? x->o->data_device : "/dev/sdf" };
	v[n++] = (struct craft_deploy_kv){ "CRAFT_DATA_ROOT",
		                           x->o->data_root ? x->o->data_root
		                                           : CRAFT_DEPLOY_DEFAULT_DATA_ROOT };
	return n;
}

/*
 * Runs a template (step names the CRAFT_STEP of deploy-steps.sh) as phase.
 * A non-zero remote exit is CRAFT_EDEPLOY naming the step and its last
 * error line; a broken connection stays CRAFT_ESSH.
 */
craft_code dep_run_template(struct run *x, const char *phase, const char *tmpl, const char *step,
                            const char *release, struct craft_buf *capture, int *exit_status,
                            struct craft_err *err)
{
	struct craft_deploy_kv vars[MAX_VARS];
	size_t nvars = dep_common_vars(x, vars, step ? step : phase, release);
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
	dep_phase_begin(x, phase, NULL);
	dep_linesink_init(&ls, x->r, phase, capture);
	sink.write = dep_linesink_write;
	sink.userdata = &ls;
	rc = craft_ssh_exec(x->s, craft_buf_str(&cmd), NULL, 0, &sink, timeout, &status, err);
	dep_linesink_finish(&ls);
	craft_buf_release(&cmd);
	if (exit_status)
		*exit_status = status;
	if (rc == CRAFT_ETIMEOUT)
		craft_err_prefix(err, "step '%s'", phase);
	else if (rc == CRAFT_OK && status != 0 && !exit_status)
		rc = craft_err_set(err, CRAFT_EDEPLOY, "step '%s' failed on %s (exit %d)%s%s",
		                   phase, x->t->host, status, ls.last_err[0] ? ": " : "",
		                   ls.last_err);
	dep_phase_end(x, phase, start,
	              rc == CRAFT_OK && (status == 0 || exit_status) ? CRAFT_OK : CRAFT_EDEPLOY);
	return rc;
}

craft_code dep_run_step(struct run *x, const char *phase, const char *step, const char *release,
                        struct craft_err *err)
{
	return dep_run_template(x, phase, STEPS_SCRIPT, step, release, NULL, NULL, err);
}

/* The value after "TAG " on a line of dep_captured output, into out. */
void dep_captured(const struct craft_buf *b, const char *tag, char *out, size_t outlen)
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

int dep_valid_stack(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
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
	if (!dep_valid_stack(o->stack))
		return craft_err_set(err, CRAFT_ECONFIG, "stack name '%s' is not valid",
		                     o->stack ? o->stack : "");
	rc = craft_ssh_run(s, "id -u", &idout, NULL, 60, &status, err);
	if (rc)
		return rc;
	x.sudo = strncmp(craft_buf_str(&idout), "0", 1) != 0;
	craft_buf_release(&idout);
	n = dep_common_vars(&x, all, step, NULL);
	for (size_t i = 0; i < nvars && n < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = vars[i];
	rc = craft_deploy_command(&cmd, x.sudo, craft_template_get(STEPS_SCRIPT, NULL), all, n,
	                          err);
	if (!rc)
		rc = craft_ssh_exec(s, craft_buf_str(&cmd), NULL, 0, sink, 0, exit_status, err);
	craft_buf_release(&cmd);
	return rc;
}
