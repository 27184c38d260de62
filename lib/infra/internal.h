/*
 * The engine's insides, shared by its files (nothing outside lib/infra
 * includes this): an op is the work on one resource, a short list of steps
 * (AWS calls) run on the AWS client's event loop; struct eng is one apply
 * or destroy phase; struct found is what one discovery round saw.
 *
 *   engine.c    the public API (plan, provision, status, destroy) and the
 *               scheduler that starts ops as their dependencies get ready
 *   steps.c     ops and steps: submitting, retry windows, reporting
 *   discover.c  finding the stack's resources and choosing among candidates
 *   checkip.c   the caller's address for access.ssh_from: auto
 *   instance.c  the instance for deploy: finding it, pinning its host key
 *   kind.c      the table of resource kinds; kinds/ holds their functions
 */
#ifndef CRAFT_INFRA_INTERNAL_H
#define CRAFT_INFRA_INTERNAL_H

#include <libxml/tree.h>
#include <pthread.h>
#include <string.h>

#include "aws/client.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "infra/engine.h"
#include "infra/kind.h"
#include "infra/model.h"

#define CF_NOTFOUND_RETRY 0x1 /* NotFound: the id may not be visible yet; retry a while */
#define CF_NOTFOUND_OK    0x2 /* NotFound: already gone; the step is done */
#define CF_DEPVIOL_RETRY  0x4 /* DependencyViolation and friends: retry a while */
#define CF_MUTATING       0x8 /* changes something (counted; ambiguous retries noted) */

#define NOTFOUND_WINDOW_MS 60000
#define DEPVIOL_WINDOW_MS  600000
#define WAIT_WINDOW_MS     900000
#define MAX_STEPS          12

struct eng;
struct op;

typedef void (*after_fn)(struct op *o, xmlNodePtr root);
typedef int (*until_fn)(struct op *o, xmlNodePtr root);

struct step {
	const char *action;
	struct craft_query q;
	unsigned flags;
	const char *const *ok_codes; /* answers that count as success (root NULL) */
	after_fn after;
	until_fn until;          /* a wait: 1 done, 0 poll again, -1 failed (o->e->err set) */
	const char *waiting_for; /* message of still-working events */
	int ready_after;         /* dependents may start after this step */
};

struct op {
	struct eng *e;
	int idx; /* resource */
	int started, ready, done;
	long long t0;
	struct step steps[MAX_STEPS];
	int nsteps, cur;
	/* the current call */
	long long call_t0, wait_t0, last_note;
	int transient;
	int effect; /* a changing call of this op succeeded */
	int salt;   /* RunInstances client token */
};

struct eng {
	struct craft_infra *in;
	struct craft_model *m;
	const struct craft_config *cfg;
	struct craft_aws_client *aws;
	const struct craft_reporter *rep;
	struct op *ops; /* one per resource */
	int deleting;   /* phase: 1 delete, 0 create/update */
	int failed;
	struct craft_err err;
	int ambiguous; /* a mutating call was retried after an unclear failure */
	int mutations;
	char ami[32];
	char root_device[32];
};

struct craft_infra {
	const struct craft_config *cfg;
	struct craft_aws_client *aws;
	struct craft_state *st;
	struct craft_infra_opts opts;
	struct craft_model m;
	int discovered;
	char *pubkey;
	/* the caller's address for ssh_from: auto, looked up in a thread */
	pthread_t ip_thread;
	int ip_started;
	volatile int ip_done;
	char ip[48];
	struct craft_err ip_err;
	char checkip_url[512];
};

/* The tags of a resource: craftctl:stack, craftctl:resource, Name, then the
 * config's. names/values are stored in buf. */
struct tagset {
	struct craft_tag t[CRAFT_CONFIG_MAX_MAP + 4];
	int n;
	char name[128];
};

struct rtb_assoc {
	char rtb[32];
	char id[32];
	char subnet[32];
};

struct found {
	struct craft_res cand[CRAFT_MAX_RES];
	int n;
	struct rtb_assoc assoc[64];
	int nassoc;
	struct {
		char rtb[32];
		char gw[32];
	} routes[16];
	int nroutes;
	int pending;
	int failed;
	struct craft_err err;
	struct craft_infra *in;
	struct craft_aws_client *aws;
	/* round 2 */
	char vpc_id[32];
	char volume_id[32];
};

static inline void eng_copy(char *dst, size_t n, const char *src)
{
	/* truncates silently: AWS ids and names fit the fields they go into */
	size_t len = src ? strnlen(src, n - 1) : 0;

	if (len)
		memmove(dst, src, len);
	dst[len] = '\0';
}
#define COPY(dst, src) eng_copy((dst), sizeof(dst), (src))

static inline int cancelled(const struct craft_infra *in)
{
	return in->opts.cancel && *in->opts.cancel;
}

/* The op's resource, and the dependency of a kind it was given. */
static inline struct craft_res *R(struct op *o)
{
	return &o->e->m->res[o->idx];
}

static inline struct craft_res *dep_res(struct op *o, enum craft_kind kind)
{
	struct craft_res *r = R(o);

	for (int i = 0; i < r->ndep; i++)
		if (o->e->m->res[r->dep[i]].kind == kind)
			return &o->e->m->res[r->dep[i]];
	return NULL;
}

/* ---- steps.c */
const char *eng_tag_of(xmlNodePtr item, const char *key);
int eng_tags_ok(const struct craft_config *cfg, xmlNodePtr item);
int eng_is_true(const char *s);
int eng_is_notfound(const char *code);
int eng_is_depviol(const char *code);
void eng_tagset(struct tagset *ts, const struct craft_config *cfg, const char *resource);
/* An idempotency token (ClientToken) from seed: "craftctl-" and 40 hex
 * digits of its SHA-256, the same for the same seed on every run. */
void eng_client_token(const char *seed, char *out, size_t n);
void eng_stack_filter(struct craft_query *q, int n, const char *stack);
void eng_report(struct eng *e, struct craft_res *r, const char *action, long long ms,
                const char *message);
void eng_phase(const struct craft_reporter *rep, int end, const char *name, long long ms,
               int status);
void eng_set_id(struct op *o, const char *id);
void eng_op_fail(struct op *o, const struct craft_err *err);
void eng_op_failf(struct op *o, craft_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void eng_op_ready(struct op *o);
struct step *eng_add_step(struct op *o, const char *action, unsigned flags);
void eng_release_steps(struct op *o);
void eng_run_step(struct op *o);
void eng_add_tags_step(struct op *o);
void eng_add_tag_spec(struct op *o, struct step *s, int n, const char *rtype, const char *resource);
/* A lookup by filters that adopts what an earlier attempt made (its answer
 * lost): until decides. */
void eng_adopt_lookup(struct op *o, const char *action, const char *f1, const char *v1,
                      const char *f2, const char *v2, until_fn until);

/* ---- engine.c */
void eng_schedule(struct eng *e);

/* ---- discover.c */
/* A candidate of kind for the item (NULL when it is not the stack's). */
struct craft_res *eng_cand(struct found *f, enum craft_kind kind, xmlNodePtr item, const char *id);
void eng_submit_discovery(struct found *f, const char *action, struct craft_query *q,
                          void (*parse)(struct found *, xmlNodePtr), int optional);
craft_code eng_discover(struct craft_infra *in, int wait_ip, int attrs, struct craft_err *err);
craft_code eng_rediscover(struct craft_infra *in, struct craft_err *err);

/* ---- checkip.c */
void eng_checkip_start(struct craft_infra *in);
void eng_checkip_join(struct craft_infra *in);
void eng_checkip_wait(struct craft_infra *in);

#endif
