/*
 * deploy — ships a compose stack to one SSH host and health-gates it.
 *
 * craft_deploy_run: bundle the release locally (nothing contacted when that
 * fails), connect and verify the host key (nothing uploaded or run before),
 * wait for cloud-init, install Docker + compose if missing, take the
 * host's deploy lock, upload the bundle (SFTP, temp name + rename), unpack
 * it to <root>/<stack>/releases/<id>/, create the secrets file once, build,
 * `up -d --remove-orphans`, wait for every healthcheck, GET
 * http://<host>:<http_port><health_path> until 2xx, then point `current` at
 * the release and prune to the newest 5. When a started release fails: ps
 * and the last 50 log lines of each unhealthy service go out as output
 * events, the previous release is brought back up and checked, and the
 * result is CRAFT_EDEPLOY (exit 1). A held lock gives CRAFT_ELOCKED (exit 3).
 *
 * Compose runs with the secrets file and the release's variables in its
 * environment: PUBLIC_HOST (the address deployed to) and HTTP_PORT
 * (deploy.http_port), then deploy.env (which may override those two), then
 * RELEASE_ID and RELEASED_AT.
 *
 * Remote steps are the scripts in templates/ (embedded), run with `sh -c`,
 * under `sudo -n` when the login user is not root. Every line they print
 * is a CRAFT_EV_OUTPUT event whose phase is the step; every step is a
 * PHASE_BEGIN/PHASE_END pair, and its wall time lands in the result.
 *
 * Ownership: options and target are borrowed for the call.
 */
#ifndef CRAFT_DEPLOY_DEPLOY_H
#define CRAFT_DEPLOY_DEPLOY_H

#include <stddef.h>
#include <time.h>

#include "core/error.h"
#include "core/event.h"
#include "ssh/session.h"

#define CRAFT_DEPLOY_DEFAULT_ROOT "/opt/craftctl"
/* Where data volumes are mounted on the host, one directory per stack. */
#define CRAFT_DEPLOY_DEFAULT_DATA_ROOT "/var/lib/craftctl-data"

struct craft_deploy_kv {
	const char *key;
	const char *value;
};

struct craft_deploy_opts {
	const char *stack;                 /* [a-z0-9-]: directory and compose project name */
	const char *compose_file;          /* local path of the compose file */
	int http_port;                     /* 0 = 80 */
	const char *health_path;           /* NULL = "/" */
	const char *health_host;           /* address for the HTTP check; NULL = the SSH host */
	const struct craft_deploy_kv *env; /* deploy.env: non-secret, per release */
	size_t nenv;
	const char *const *secrets; /* deploy.secrets: names generated on the host */
	size_t nsecrets;
	const char *remote_root; /* NULL = /opt/craftctl (tests: a temp dir) */
	const char *docker_host; /* NULL = the host's engine; else DOCKER_HOST for remote steps */
	const char *release_id;  /* NULL = <UTC yyyymmddThhmmssZ>-<short commit> */
	const char *holder;      /* lock holder name; NULL = "<local user>@<local host> pid N" */
	int health_timeout_s;    /* healthchecks, then HTTP: each; 0 = 180 */
	int step_timeout_s;      /* any one remote step; 0 = 1800 */
	int lock_timeout_s;      /* a lock this old may be broken by force_unlock; 0 = 1800 */
	int force_unlock;
	int rollback;            /* re-activate the release before the current one */
	int skip_install;        /* skip cloud-init wait and Docker install (ssh/logs, tests) */
	const char *data_volume; /* the stack's data volume id (provisioned hosts), or NULL */
	const char *data_device; /* where it is attached (EBS device name), NULL = /dev/sdf */
	const char *data_root;   /* where data volumes are mounted, NULL = /var/lib/craftctl-data */
	/* restore: 1 stops the stack and releases the data volume (nothing is
	 * uploaded); 2 starts the current release again on the new data volume
	 * and health-checks it */
	int data_swap;
};

#define CRAFT_DEPLOY_MAX_STEPS 32

struct craft_deploy_step {
	char name[24];
	long long ms;
	int ok;
};

struct craft_deploy_result {
	char release[96];  /* the release deployed (or rolled back to) */
	char previous[96]; /* what was current before ("" on a first deploy) */
	char url[512];     /* the health URL */
	int rolled_back;   /* 1: the new release failed and the previous one serves again */
	struct craft_deploy_step steps[CRAFT_DEPLOY_MAX_STEPS];
	int nsteps;
	long long total_ms;
};

craft_code craft_deploy_run(const struct craft_ssh_target *t, const struct craft_deploy_opts *o,
                            const struct craft_reporter *r, struct craft_deploy_result *res,
                            struct craft_err *err);

/*
 * The release id for a tree: "<yyyymmddThhmmssZ>-<7-hex commit>", or
 * without the commit when dir is not in a git work tree. Sorting ids sorts
 * releases by time.
 */
craft_code craft_deploy_release_id(const char *dir, time_t now, char *out, size_t outlen,
                                   struct craft_err *err);

/*
 * Runs one step of templates/deploy-steps.sh (logs, ps, current, ...) on an
 * open session, output to sink. vars are extra NAME=value pairs for the
 * script (values are quoted here). For `craftctl logs` and `status`.
 */
craft_code craft_deploy_remote_step(struct craft_ssh *s, const char *user,
                                    const struct craft_deploy_opts *o, const char *step,
                                    const struct craft_deploy_kv *vars, size_t nvars,
                                    const struct craft_ssh_sink *sink, int *exit_status,
                                    struct craft_err *err);

/* Builds the `[sudo -n ]sh -c '<vars + script>'` command line for a step. */
craft_code craft_deploy_command(struct craft_buf *out, int use_sudo, const char *script,
                                const struct craft_deploy_kv *vars, size_t nvars,
                                struct craft_err *err);

#endif
