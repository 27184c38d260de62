/*
 * diagram — the stack's network as a Graphviz DOT graph.
 *
 * Drawn from the stack model (lib/infra/model.h): either as planned (built
 * from the stack file alone: logical names, Name tags, carved CIDRs) or as
 * discovered (ids, addresses and states of what AWS has; what is missing is
 * drawn dashed as "not created"; what AWS has beyond the stack file is
 * listed). The picture holds the VPC and its CIDR, one cluster per
 * availability zone with its public and private subnet, the internet
 * gateway, the public route table with its routes and associations, the
 * instance (type, image, root volume) inside the first public subnet and
 * inside its security group (whose ingress rules label it), the Elastic IP,
 * and the compose services on the instance with the published port and
 * depends_on edges.
 *
 * Names are stable so tests and tools can find them: nodes igw, rtb, eip,
 * internet, instance, subnet_public_N / subnet_private_N (declared inside
 * subgraph cluster_az_N), svc_<service> (non-alphanumerics as '_'); the
 * clusters cluster_vpc, cluster_az_N, cluster_subnet_public_1, cluster_sg,
 * cluster_compose.
 *
 * The output is deterministic: the same input gives the same bytes (no
 * clock, no addresses), so a committed picture can be compared with what
 * the tool draws today. Nothing here touches the network or the disk.
 */
#ifndef CRAFT_DIAGRAM_DIAGRAM_H
#define CRAFT_DIAGRAM_DIAGRAM_H

#include "core/buf.h"
#include "core/error.h"
#include "diagram/compose.h"
#include "infra/model.h"

struct craft_diagram_input {
	const struct craft_model *m;         /* built (planned) or discovered (live); m->cfg set */
	int live;                            /* 1: m was discovered (ids and states shown) */
	const char *region;                  /* for the title; NULL when not known */
	const char *source;                  /* the stack file's name, for the title */
	const struct craft_compose *compose; /* NULL when not read */
	const char *compose_note;            /* why compose is NULL ("not found"), or NULL */
};

/* Appends the DOT text of the picture to out. */
craft_code craft_diagram_dot(struct craft_buf *out, const struct craft_diagram_input *in,
                             struct craft_err *err);

#endif
