/*
 * engine — plan, provision, status and destroy of one stack against EC2.
 *
 * A session (struct craft_infra) ties a validated config, an AWS client and
 * the stack's state cache together. craft_infra_discover asks AWS, in one
 * concurrent round (plus one follow-up round for attributes), for every
 * resource tagged craftctl:stack=<stack>, chooses one per logical name
 * (duplicates left by an interrupted run become extras to delete), and
 * plans the diff (lib/infra/model.h). Provision applies the plan: deletes
 * first (extras, replaced resources), then creates and updates, each
 * resource started the moment its dependencies are ready, many calls in
 * flight at once on the AWS client's event loop. Every create carries its
 * tags (TagSpecifications); RunInstances carries a ClientToken derived
 * from the stack and its subnet, so re-runs never start a second instance.
 * Destroy deletes everything found, in reverse dependency order, waiting
 * where AWS needs it and retrying DependencyViolation.
 *
 * Progress goes to the reporter: one CRAFT_EV_RESOURCE per action with its
 * elapsed time and id, CRAFT_EV_WAITING every 10 s of a long wait, phases
 * and a CRAFT_EV_RESULT with the outputs. Nothing here prints.
 *
 * For deploy: craft_infra_find_instance and craft_infra_pin_host_key need
 * only a config, a client and (optionally) the state cache.
 */
#ifndef CRAFT_INFRA_ENGINE_H
#define CRAFT_INFRA_ENGINE_H

#include <signal.h>

#include "config.h"
#include "core/error.h"
#include "core/event.h"
#include "infra/model.h"
#include "state.h"

struct craft_aws_client;
struct craft_infra;

#define CRAFT_CHECKIP_DEFAULT "https://checkip.amazonaws.com"

struct craft_infra_opts {
	const struct craft_reporter *reporter;
	int replace;                         /* provision: apply replacements */
	const char *checkip_url;             /* NULL: CRAFTCTL_CHECKIP_URL, else the default */
	const volatile sig_atomic_t *cancel; /* set by a signal handler: stop, CRAFT_EINTR */
	int no_checkip;          /* discover only (diagram): no address lookup; my_cidr stays "" */
	int skip_final_snapshot; /* destroy: delete the data volume without a final snapshot */
};

/* The outputs of a provisioned stack. */
struct craft_infra_outputs {
	char instance_id[32];
	char address[48]; /* the Elastic IP */
	char state[32];
	char ssh[600]; /* ssh -i KEY -p PORT user@address */
	char url[128];
	char data_volume[32]; /* the data volume's id, "" without one */
};

craft_code craft_infra_new(struct craft_infra **out, const struct craft_config *cfg,
                           struct craft_aws_client *aws, struct craft_state *st,
                           const struct craft_infra_opts *opts, struct craft_err *err);
void craft_infra_free(struct craft_infra *in);

/* Discovers and plans (no changes). The model stays readable afterwards. */
craft_code craft_infra_discover(struct craft_infra *in, struct craft_err *err);
const struct craft_model *craft_infra_model(const struct craft_infra *in);

/* `plan`: discover, then report one resource event per resource (action =
 * create/keep/update/replace/delete, message = what differs). *changes is
 * the number of resources that are not kept. */
craft_code craft_infra_plan(struct craft_infra *in, int *changes, struct craft_err *err);

/* `provision`: discover, plan, apply. Replacements need opts.replace (else
 * CRAFT_EUSAGE before any change). Returns once the instance runs with its
 * Elastic IP; fills out. */
craft_code craft_infra_provision(struct craft_infra *in, struct craft_infra_outputs *out,
                                 struct craft_err *err);

/* `status`: discover; report each resource (action = its state), drift. */
craft_code craft_infra_status(struct craft_infra *in, int *drift, struct craft_infra_outputs *out,
                              struct craft_err *err);

/* `destroy`: discover, then delete everything found. *deleted counts them
 * (0: nothing was there, a successful no-op). confirm (may be NULL) is
 * called after discovery with the count; returning 0 stops with
 * CRAFT_EUSAGE before any change. */
craft_code craft_infra_destroy(struct craft_infra *in, int (*confirm)(void *ud, int count),
                               void *ud, int *deleted, struct craft_err *err);

/* Discovered, not desired (or duplicate): used by destroy's confirmation. */
int craft_infra_count_found(const struct craft_infra *in);

/* ---- for deploy ---- */

struct craft_infra_instance {
	char id[32];
	char address[48]; /* the Elastic IP, else the instance's public address */
	char private_ip[48];
	char state[32];           /* pending, running, stopped, ... */
	char host_key[300];       /* pinned host key, "" when none yet */
	char host_key_source[16]; /* "state", "tag" or "" */
	char data_volume[32];     /* the volume on CRAFT_DATA_DEVICE, "" when none */
};

/*
 * Finds the stack's instance (tag craftctl:stack, not terminated) and its
 * address and pinned host key: the state cache's when it belongs to this
 * instance, else the instance's tag craftctl:host-key. CRAFT_ENOTFOUND when
 * the stack has no instance. st may be NULL.
 */
craft_code craft_infra_find_instance(struct craft_infra_instance *out,
                                     const struct craft_config *cfg, struct craft_aws_client *aws,
                                     struct craft_state *st, struct craft_err *err);

/* The same from what craft_infra_status (or plan, provision) discovered,
 * without another AWS call. */
craft_code craft_infra_instance_known(const struct craft_infra *in,
                                      struct craft_infra_instance *out, struct craft_err *err);

/*
 * Pins host_key (at most 255 characters: a "ssh-ed25519 AAAA..." line or a
 * "SHA256:..." fingerprint) for instance_id: in the state cache (saved) and
 * as the instance's tag craftctl:host-key (CreateTags), so another machine
 * finds it too. st may be NULL (tag only).
 */
craft_code craft_infra_pin_host_key(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    struct craft_state *st, const char *instance_id,
                                    const char *host_key, struct craft_err *err);

/*
 * The SSH host keys cloud-init printed on the instance's console, added to
 * keys: GetConsoleOutput asked again every 5 s until they are there (a new
 * instance prints them late in its first boot) or timeout_s passes
 * (CRAFT_ESSH), with a CRAFT_EV_WAITING event every 10 s. *cancel set ends
 * the wait within a tenth of a second (CRAFT_EINTR); cancel may be NULL.
 */
struct craft_ssh_fpset;
craft_code craft_infra_console_host_keys(struct craft_aws_client *aws, const char *instance_id,
                                         int timeout_s, const struct craft_reporter *rep,
                                         const volatile sig_atomic_t *cancel,
                                         struct craft_ssh_fpset *keys, struct craft_err *err);

#endif
