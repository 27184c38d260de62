/*
 * internal — what deploy.c (the steps of a deploy) and remote.c (running
 * them on the host) share. Not part of the library's interface.
 */
#ifndef CRAFT_DEPLOY_INTERNAL_H
#define CRAFT_DEPLOY_INTERNAL_H

#include "core/buf.h"
#include "core/event.h"
#include "deploy/deploy.h"

#define STEPS_SCRIPT "deploy-steps.sh"
#define MAX_VARS     24

/* One deploy run: the connection, the options, and what the host said. */
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

/* Remote output to one event per line (stdout captured whole when
 * capture is non-NULL; the last stderr line kept for error messages). */
struct linesink {
	const struct craft_reporter *r;
	const char *phase;
	struct craft_buf part[2];
	struct craft_buf *capture;
	char last_err[512];
};

void dep_linesink_init(struct linesink *ls, const struct craft_reporter *r, const char *phase,
                       struct craft_buf *capture);
void dep_linesink_write(void *ud, int is_stderr, const char *data, size_t len);
void dep_linesink_finish(struct linesink *ls);

void dep_phase_begin(struct run *x, const char *name, const char *msg);
void dep_phase_end(struct run *x, const char *name, long long start, craft_code rc);

/*
 * Runs a template (step names the CRAFT_STEP of deploy-steps.sh) as phase.
 * A non-zero remote exit is CRAFT_EDEPLOY naming the step and its last
 * error line, unless exit_status is given (then it is the caller's); a
 * broken connection stays CRAFT_ESSH.
 */
craft_code dep_run_template(struct run *x, const char *phase, const char *tmpl, const char *step,
                            const char *release, struct craft_buf *capture, int *exit_status,
                            struct craft_err *err);
/* The variables every step gets (CRAFT_STEP, CRAFT_ROOT, ...) into v
 * (MAX_VARS entries); returns how many. */
size_t dep_common_vars(struct run *x, struct craft_deploy_kv *v, const char *step,
                       const char *release);
/* One step of deploy-steps.sh as its own phase. */
craft_code dep_run_step(struct run *x, const char *phase, const char *step, const char *release,
                        struct craft_err *err);
/* The value after "TAG " on a line of captured output, into out. */
void dep_captured(const struct craft_buf *b, const char *tag, char *out, size_t outlen);
/* A stack name as deploy accepts it (lowercase letters, digits, '-'; 1-32). */
int dep_valid_stack(const char *s);

#endif
