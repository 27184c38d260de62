/*
 * kind — a resource kind as one row: its name, how discovery finds it, and
 * how apply creates, updates and deletes it. The rows live with their
 * functions in lib/infra/kinds/<family>.c; craft_kinds indexes them by
 * enum craft_kind. A new kind is a new enum value (model.h), its row and
 * functions in a family file, and its place in the model (model.c: the
 * desired resources and the plan).
 */
#ifndef CRAFT_INFRA_KIND_H
#define CRAFT_INFRA_KIND_H

#include <libxml/tree.h>

#include "infra/model.h"

struct found;
struct op;
struct craft_query;

#define CRAFT_KIND_BIT(k) (1u << (k))

struct craft_kind_def {
	const char *name; /* in output, events and the state cache */
	int tagged;       /* exists in AWS with tags of its own */
	int vpc_scoped;   /* a candidate counts only inside the stack's VPC */
	/* Discovery, round 1: the Describe call that lists the stack's
	 * resources of this kind (filtered by the stack's tag), its extra
	 * parameters, and the parser that adds candidates. NULL describe: found
	 * in another kind's answer (routes in their route table). */
	const char *describe;
	void (*describe_params)(struct craft_query *q);
	void (*parse)(struct found *f, xmlNodePtr root);
	/* Round 2: details the list does not show, for the resource kept. */
	void (*details)(struct found *f, const struct craft_res *r);
	/* Apply: before create or update, 1 go, 0 not yet (asked again soon),
	 * -1 failed (the op's error set). */
	int (*gate)(struct op *o);
	void (*create)(struct op *o);
	void (*update)(struct op *o);
	void (*remove)(struct op *o);
	unsigned delete_after; /* kinds (CRAFT_KIND_BIT) that must be gone first */
	/* holds data: a second one found is kept and reported, never deleted by
	 * provision (only destroy deletes it, after its final snapshot) */
	int precious;
};

extern const struct craft_kind_def *const craft_kinds[CRAFT_K__COUNT];

/* The rows, by family (kinds/network.c, access.c, compute.c). */
extern const struct craft_kind_def craft_kind_vpc, craft_kind_igw, craft_kind_subnet,
        craft_kind_rtb, craft_kind_route, craft_kind_rtb_assoc;
extern const struct craft_kind_def craft_kind_sg, craft_kind_key;
extern const struct craft_kind_def craft_kind_image, craft_kind_instance, craft_kind_eip,
        craft_kind_eip_assoc;
extern const struct craft_kind_def craft_kind_volume, craft_kind_volume_attach;

#endif
