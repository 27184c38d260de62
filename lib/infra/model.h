/*
 * model — the stack as data: the resource kinds, the desired resources a
 * config asks for (with their dependencies), what discovery found, and the
 * plan that diffs the two.
 *
 * Everything here is pure (no AWS calls), so the plan can be unit-tested
 * with made-up discoveries. lib/infra/engine.c does the talking: it fills
 * the found side, and applies or destroys what the plan says.
 *
 * One struct craft_res describes one resource: its kind and logical name,
 * the properties craftctl wants (`want`) when it is desired, and the
 * properties AWS has (`have`) when it was found. A found resource that is
 * not desired (a duplicate from an interrupted run, a subnet beyond the
 * configured zone count, an instance being replaced) is an "extra": it has
 * desired == 0 and the plan deletes it.
 */
#ifndef CRAFT_INFRA_MODEL_H
#define CRAFT_INFRA_MODEL_H

#include "config.h"
#include "core/error.h"

enum craft_kind {
	CRAFT_K_IMAGE,         /* the AMI, resolved (not a resource: a lookup) */
	CRAFT_K_VPC,           /* vpc */
	CRAFT_K_IGW,           /* internet gateway, attached to the vpc */
	CRAFT_K_SUBNET,        /* public-N and private-N */
	CRAFT_K_RTB,           /* the public route table */
	CRAFT_K_ROUTE,         /* 0.0.0.0/0 -> igw in the public table */
	CRAFT_K_RTB_ASSOC,     /* public table <-> public-N */
	CRAFT_K_SG,            /* the instance's security group and its ingress rules */
	CRAFT_K_KEY,           /* the imported key pair */
	CRAFT_K_INSTANCE,      /* the server */
	CRAFT_K_EIP,           /* the Elastic IP */
	CRAFT_K_EIP_ASSOC,     /* the Elastic IP on the instance */
	CRAFT_K_VOLUME,        /* the data volume: kept across instances, never replaced */
	CRAFT_K_VOLUME_ATTACH, /* the data volume on the instance */
	CRAFT_K__COUNT
};

/* The kind's name in output ("vpc", "subnet", ...). */
const char *craft_kind_name(enum craft_kind k);
/* 1 for kinds that exist in AWS with their own tags. */
int craft_kind_tagged(enum craft_kind k);

enum craft_action {
	CRAFT_A_NONE = 0,
	CRAFT_A_KEEP,
	CRAFT_A_CREATE,
	CRAFT_A_UPDATE,
	CRAFT_A_REPLACE,
	CRAFT_A_DELETE,
};

const char *craft_action_name(enum craft_action a);

#define CRAFT_MAX_RULES 40
#define CRAFT_MAX_RES   160
#define CRAFT_MAX_DEPS  6

struct craft_rule {
	int port; /* tcp, from = to = port */
	char cidr[24];
};

/* Properties; each kind uses the few fields that apply to it. */
struct craft_props {
	char vpc_id[32];                          /* vpc-scoped kinds: their vpc */
	char cidr[24];                            /* vpc, subnet */
	char az[32];                              /* subnet */
	int map_public;                           /* subnet: MapPublicIpOnLaunch */
	int dns_support;                          /* vpc; -1 unknown */
	int dns_hostnames;                        /* vpc; -1 unknown */
	char attached[32];                        /* igw: the vpc it is attached to */
	char target[32];                          /* route: the gateway; rtb_assoc: the subnet id */
	char assoc_id[32];                        /* rtb_assoc, eip_assoc: the association */
	struct craft_rule rules[CRAFT_MAX_RULES]; /* sg ingress */
	int nrules;
	char group_name[128];
	/* instance */
	char type[32];
	char image[64]; /* the config's image (ubuntu-24.04 / ami-...), tag craftctl:image */
	char ami[32];
	char subnet_id[32];
	char sg_id[32];
	char key_name[128];
	char key_fp[64]; /* key pair: base64 SHA-256 of the public key blob (ed25519) */
	int imds_required;
	int root_size;
	char root_type[16];
	int root_encrypted;
	char root_volume[32];
	char root_device[32];
	char public_ip[48];   /* instance: its auto address; eip: the address */
	char instance_id[32]; /* eip: the instance it is on */
	char host_key[300];   /* instance: tag craftctl:host-key */
	int tags_ok;          /* 1 when the config's tags are all present */
	/* data volume (az above: its zone; instance_id: the instance it is on) */
	int size_gb;
	char vol_type[16];
	int encrypted;
	char attach_state[16]; /* attaching, attached, detaching, "" */
	char device[16];       /* /dev/sdf */
	char snapshot[32];     /* destroy: the final snapshot */
	char data_volume[32];  /* instance: the volume on CRAFT_DATA_DEVICE */
};

/* Where the data volume is attached (EBS's device name; Nitro instances
 * show it as an NVMe disk whose serial is the volume id). */
#define CRAFT_DATA_DEVICE "/dev/sdf"

struct craft_res {
	enum craft_kind kind;
	char name[32]; /* logical name (craftctl:resource) */
	int desired;   /* 1: in the model */
	int dep[CRAFT_MAX_DEPS];
	int ndep;
	struct craft_props want;

	int found;      /* 1: exists in AWS */
	char id[64];    /* AWS id when found or created */
	char state[32]; /* AWS's state word, when it has one */
	struct craft_props have;

	enum craft_action action;
	char why[200]; /* what differs, for update/replace/delete */
};

struct craft_model {
	const struct craft_config *cfg;
	struct craft_res res[CRAFT_MAX_RES];
	int n;
	int ndesired;    /* res[0..ndesired) are the desired ones, in dependency order */
	char azs[6][32]; /* zone names from DescribeAvailabilityZones, in order */
	int naz;
	char my_cidr[24]; /* the caller's address /32 when ssh_from has auto */
	/* set by the plan when what is found cannot become what is asked for
	 * without losing data (a data volume that would shrink or change zone):
	 * provision refuses before any change */
	char refusal[300];
};

/* Builds the desired resources of cfg (naz zone names may still be empty:
 * the engine fills them before planning). */
craft_code craft_model_build(struct craft_model *m, const struct craft_config *cfg,
                             struct craft_err *err);

/* Index of the desired resource kind/name, or -1. */
int craft_model_find(const struct craft_model *m, enum craft_kind kind, const char *name);

/* Appends an extra (found, not desired) resource; returns its index or -1. */
int craft_model_add_extra(struct craft_model *m, enum craft_kind kind, const char *name,
                          const char *id);

/* The desired ingress rules (after my_cidr is known). */
void craft_model_rules(const struct craft_model *m, struct craft_rule *rules, int *nrules);

/*
 * Diffs desired against found, setting every resource's action and why.
 * Desired and found properties must both be filled. Returns the number of
 * resources whose action is not KEEP.
 */
int craft_model_plan(struct craft_model *m);

/* The fingerprint AWS shows for an imported ed25519 key (base64 SHA-256 of
 * the key blob, padded) from an OpenSSH public key line; "" for other key
 * types (their fingerprints are not compared). */
void craft_model_key_fingerprint(const char *publine, char *out, size_t outsz);

/*
 * Marks desired resource i as found with id and the properties it was
 * created with (everything as wanted): for a resource this run made that
 * an eventually consistent Describe does not show yet.
 */
void craft_model_assume_created(struct craft_model *m, int i, const char *id);

/* Counts resources by action (index by enum craft_action). */
void craft_model_count(const struct craft_model *m, int counts[6]);

#endif
