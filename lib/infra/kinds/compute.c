/*
 * kinds/compute — the Ubuntu image lookup, the instance (launch, waits,
 * in-place updates, the root volume), the Elastic IP and its association.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/templates.h"
#include "infra/internal.h"

#define CANONICAL_OWNER "099720109477"

/* -- image: the AMI for the instance */

static void image_found(struct op *o, xmlNodePtr root)
{
	struct eng *e = o->e;
	const char *best = NULL, *best_date = "", *best_root = NULL;

	for (xmlNodePtr x = craft_xml_items(root, "imagesSet"); x; x = craft_xml_next_item(x)) {
		const char *date = craft_xml_path_text(x, "creationDate");
		const char *state = craft_xml_path_text(x, "imageState");

		if (state && strcmp(state, "available") != 0)
			continue;
		if (!best || (date && strcmp(date, best_date) > 0)) {
			best = craft_xml_path_text(x, "imageId");
			best_date = date ? date : "";
			best_root = craft_xml_path_text(x, "rootDeviceName");
		}
	}
	if (!best) {
		eng_op_failf(o, CRAFT_ENOTFOUND, "no %s image for %s found in %s", e->cfg->image,
		             craft_config_is_arm64(e->cfg->instance_type) ? "arm64" : "x86_64",
		             craft_aws_client_region(e->aws));
		return;
	}
	COPY(e->ami, best);
	COPY(e->root_device, best_root ? best_root : "/dev/sda1");
	COPY(R(o)->id, best);
}

static void image_create(struct op *o)
{
	const struct craft_config *c = o->e->cfg;
	struct step *s = eng_add_step(o, "DescribeImages", 0);
	const char *arch = craft_config_is_arm64(c->instance_type) ? "arm64" : "x86_64";
	const char *archv[1] = { arch };
	const char *avail[1] = { "available" };
	char name[160];
	const char *namev[1] = { name };

	s->after = image_found;
	if (strncmp(c->image, "ami-", 4) == 0) {
		craft_query_add(&s->q, "ImageId.1", c->image);
		return;
	}
	snprintf(name, sizeof(name), "ubuntu/images/*/ubuntu-%s-%s-%s-server-*",
	         strcmp(c->image, "ubuntu-22.04") == 0 ? "jammy" : "noble", c->image + 7,
	         strcmp(arch, "arm64") == 0 ? "arm64" : "amd64");
	craft_query_add(&s->q, "Owner.1", CANONICAL_OWNER);
	craft_query_add_filter(&s->q, 1, "name", namev, 1);
	craft_query_add_filter(&s->q, 2, "architecture", archv, 1);
	craft_query_add_filter(&s->q, 3, "state", avail, 1);
	craft_query_add(&s->q, "IncludeDeprecated", "true");
}

/* -- instance */

static int inst_state_is(xmlNodePtr root, const char *id, const char *want, const char **got)
{
	for (xmlNodePtr rv = craft_xml_items(root, "reservationSet"); rv;
	     rv = craft_xml_next_item(rv))
		for (xmlNodePtr x = craft_xml_items(rv, "instancesSet"); x;
		     x = craft_xml_next_item(x)) {
			const char *xid = craft_xml_path_text(x, "instanceId");

			if (xid && strcmp(xid, id) == 0) {
				*got = craft_xml_path_text(x, "instanceState/name");
				return *got && strcmp(*got, want) == 0;
			}
		}
	*got = NULL;
	return 0;
}

static int until_running(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	const char *st;

	if (inst_state_is(root, r->id, "running", &st)) {
		COPY(r->state, st);
		return 1;
	}
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		eng_op_failf(o, CRAFT_EAWS, "instance %s is %s instead of starting", r->id, st);
		return -1;
	}
	return 0;
}

static int until_stopped(struct op *o, xmlNodePtr root)
{
	const char *st;

	if (inst_state_is(root, R(o)->id, "stopped", &st))
		return 1;
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		eng_op_failf(o, CRAFT_EAWS, "instance %s is %s", R(o)->id, st);
		return -1;
	}
	return 0;
}

static int until_terminated(struct op *o, xmlNodePtr root)
{
	const char *st;

	if (!root) /* NotFound: long gone */
		return 1;
	inst_state_is(root, R(o)->id, "terminated", &st);
	return !st || strcmp(st, "terminated") == 0;
}

static void add_wait(struct op *o, until_fn until, const char *what, unsigned flags)
{
	struct step *s = eng_add_step(o, "DescribeInstances", flags);

	craft_query_add(&s->q, "InstanceId.1", R(o)->id);
	s->until = until;
	s->waiting_for = what;
}

static void client_token(struct op *o, char *out, size_t n)
{
	struct eng *e = o->e;
	char seed[512];

	/* the stack, its subnet (new after a destroy), and a salt that moves on
	 * only when AWS says the token belongs to a terminated instance */
	snprintf(seed, sizeof(seed), "craftctl|%s|%s|%s|%d", e->cfg->stack,
	         craft_aws_client_region(e->aws) ? craft_aws_client_region(e->aws) : "",
	         dep_res(o, CRAFT_K_SUBNET)->id, o->salt);
	eng_client_token(seed, out, n);
}

static void inst_run_step(struct op *o);

static void inst_launched(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x;
	const char *st;

	if (!root) { /* IdempotentParameterMismatch: the token was used for another launch */
		o->salt++;
		inst_run_step(o);
		return;
	}
	x = craft_xml_items(root, "instancesSet");
	st = x ? craft_xml_path_text(x, "instanceState/name") : NULL;
	if (!x) {
		eng_op_failf(o, CRAFT_EPARSE, "RunInstances answered without an instance");
		return;
	}
	if (st && (strcmp(st, "terminated") == 0 || strcmp(st, "shutting-down") == 0)) {
		/* an old launch with this token, since terminated: take the next token */
		o->salt++;
		inst_run_step(o);
		return;
	}
	eng_set_id(o, craft_xml_path_text(x, "instanceId"));
	COPY(R(o)->state, st);
	add_wait(o, until_running, "waiting for", CF_NOTFOUND_RETRY);
	o->steps[o->nsteps - 1].ready_after = 1;
}

static const char *const ok_token_mismatch[] = { "IdempotentParameterMismatch", NULL };

static void inst_run_step(struct op *o)
{
	struct eng *e = o->e;
	const struct craft_config *c = e->cfg;
	struct craft_res *r = R(o);
	struct step *s;
	struct tagset ts;
	char token[80], size[16], imagetag[96];
	struct craft_tag extra[CRAFT_CONFIG_MAX_MAP + 5];
	int n;
	size_t udlen = 0;
	const char *ud = craft_template_get("cloud-init.yaml", &udlen);

	if (o->salt > 20) {
		eng_op_failf(o, CRAFT_EAWS, "no usable client token for RunInstances");
		return;
	}
	s = eng_add_step(o, "RunInstances", CF_MUTATING | CF_NOTFOUND_RETRY);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	client_token(o, token, sizeof(token));
	snprintf(size, sizeof(size), "%d", r->want.root_size);
	craft_query_add(&s->q, "ImageId", e->ami);
	craft_query_add(&s->q, "InstanceType", r->want.type);
	craft_query_add(&s->q, "MinCount", "1");
	craft_query_add(&s->q, "MaxCount", "1");
	craft_query_add(&s->q, "ClientToken", token);
	craft_query_add(&s->q, "KeyName", dep_res(o, CRAFT_K_KEY)->want.key_name);
	craft_query_add(&s->q, "SubnetId", dep_res(o, CRAFT_K_SUBNET)->id);
	craft_query_add(&s->q, "SecurityGroupId.1", dep_res(o, CRAFT_K_SG)->id);
	craft_query_add(&s->q, "MetadataOptions.HttpTokens", "required");
	craft_query_add(&s->q, "MetadataOptions.HttpEndpoint", "enabled");
	craft_query_add(&s->q, "BlockDeviceMapping.1.DeviceName", e->root_device);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.VolumeSize", size);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.VolumeType", r->want.root_type);
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.Encrypted", "true");
	craft_query_add(&s->q, "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
	if (ud && udlen) {
		char *b64 = craft_base64_encode(ud, udlen, 0);

		if (b64) {
			craft_query_add(&s->q, "UserData", b64);
			free(b64);
		}
	}
	eng_tagset(&ts, c, r->name);
	n = ts.n;
	memcpy(extra, ts.t, (size_t)n * sizeof(extra[0]));
	COPY(imagetag, c->image);
	extra[n++] = (struct craft_tag){ "craftctl:image", imagetag };
	craft_query_add_tag_spec(&s->q, 1, "instance", extra, n);
	eng_add_tag_spec(o, s, 2, "volume", "server-root");
	s->ok_codes = ok_token_mismatch;
	s->after = inst_launched;
}

static void inst_create(struct op *o)
{
	inst_run_step(o);
}

/* ModifyVolume refused because the volume is being (or was lately)
 * modified: fine when that modification is the one wanted (a retry whose
 * first attempt took effect), an error otherwise */
static void volume_mod_checked(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);

	for (xmlNodePtr x = craft_xml_items(root, "volumeModificationSet"); x;
	     x = craft_xml_next_item(x)) {
		const char *size = craft_xml_path_text(x, "targetSize");
		const char *type = craft_xml_path_text(x, "targetVolumeType");

		if (size && type && strtol(size, NULL, 10) >= r->want.root_size &&
		    strcmp(type, r->want.root_type) == 0)
			return;
	}
	eng_op_failf(o, CRAFT_EAWS,
	             "root volume %s is being modified to something else (AWS allows one "
	             "modification per volume in 6 hours): try again later",
	             r->have.root_volume);
}

static void volume_modified(struct op *o, xmlNodePtr root)
{
	struct step *s;

	if (root)
		return;
	s = eng_add_step(o, "DescribeVolumesModifications", 0);
	if (!s) {
		eng_op_failf(o, CRAFT_ENOMEM, "too many steps");
		return;
	}
	craft_query_add(&s->q, "VolumeId.1", R(o)->have.root_volume);
	s->after = volume_mod_checked;
}

static const char *const ok_volume_busy[] = { "IncorrectModificationState",
	                                      "VolumeModificationRateExceeded", NULL };

static void inst_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	eng_add_tags_step(o);
	if (strcmp(r->have.image, r->want.image) != 0 && !r->have.image[0]) {
		/* an instance without the image tag (older craftctl): tag it */
		s = eng_add_step(o, "CreateTags", CF_MUTATING);
		craft_query_add(&s->q, "ResourceId.1", r->id);
		craft_query_add(&s->q, "Tag.1.Key", "craftctl:image");
		craft_query_add(&s->q, "Tag.1.Value", r->want.image);
	}
	if (!r->have.imds_required) {
		s = eng_add_step(o, "ModifyInstanceMetadataOptions", CF_MUTATING);
		craft_query_add(&s->q, "InstanceId", r->id);
		craft_query_add(&s->q, "HttpTokens", "required");
		craft_query_add(&s->q, "HttpEndpoint", "enabled");
	}
	if (r->have.root_volume[0] && (r->have.root_size < r->want.root_size ||
	                               strcmp(r->have.root_type, r->want.root_type) != 0)) {
		char size[16];

		snprintf(size, sizeof(size), "%d", r->want.root_size);
		s = eng_add_step(o, "ModifyVolume", CF_MUTATING);
		craft_query_add(&s->q, "VolumeId", r->have.root_volume);
		if (r->have.root_size < r->want.root_size)
			craft_query_add(&s->q, "Size", size);
		if (strcmp(r->have.root_type, r->want.root_type) != 0)
			craft_query_add(&s->q, "VolumeType", r->want.root_type);
		s->ok_codes = ok_volume_busy;
		s->after = volume_modified;
	}
	if (strcmp(r->state, "pending") == 0) {
		add_wait(o, until_running, "waiting for", CF_NOTFOUND_RETRY);
		o->steps[o->nsteps - 1].ready_after = 1;
	}
	if (strcmp(r->have.type, r->want.type) != 0) {
		/* a new type in place: AWS changes it only on a stopped instance;
		 * the disks, the Elastic IP and the host key stay */
		if (strcmp(r->state, "stopped") != 0 && strcmp(r->state, "stopping") != 0) {
			s = eng_add_step(o, "StopInstances", CF_MUTATING | CF_DEPVIOL_RETRY);
			craft_query_add(&s->q, "InstanceId.1", r->id);
		}
		add_wait(o, until_stopped, "waiting for the stop of", 0);
		s = eng_add_step(o, "ModifyInstanceAttribute", CF_MUTATING | CF_DEPVIOL_RETRY);
		craft_query_add(&s->q, "InstanceId", r->id);
		craft_query_add(&s->q, "InstanceType.Value", r->want.type);
		COPY(r->state, "stopped");
	}
	if (strcmp(r->state, "stopping") == 0 || strcmp(r->state, "stopped") == 0) {
		if (strcmp(r->state, "stopping") == 0)
			add_wait(o, until_stopped, "waiting for the stop of", 0);
		s = eng_add_step(o, "StartInstances", CF_MUTATING | CF_DEPVIOL_RETRY);
		craft_query_add(&s->q, "InstanceId.1", r->id);
		add_wait(o, until_running, "waiting for", 0);
	}
}

static void inst_delete(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	if (strcmp(r->state, "shutting-down") != 0) {
		s = eng_add_step(o, "TerminateInstances", CF_MUTATING | CF_NOTFOUND_OK);
		craft_query_add(&s->q, "InstanceId.1", r->id);
	}
	add_wait(o, until_terminated, "waiting for termination of", CF_NOTFOUND_OK);
}

/* -- elastic ip */

static void eip_created(struct op *o, xmlNodePtr root)
{
	eng_set_id(o, craft_xml_path_text(root, "allocationId"));
	COPY(R(o)->have.public_ip, craft_xml_path_text(root, "publicIp"));
}

static void eip_create(struct op *o)
{
	struct step *s = eng_add_step(o, "AllocateAddress", CF_MUTATING);

	craft_query_add(&s->q, "Domain", "vpc");
	eng_add_tag_spec(o, s, 1, "elastic-ip", R(o)->name);
	s->after = eip_created;
}

static void eip_update(struct op *o)
{
	eng_add_tags_step(o);
}

static const char *const ok_assoc_gone[] = { "InvalidAssociationID.NotFound", NULL };

static void eip_delete(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;

	if (r->have.assoc_id[0]) {
		s = eng_add_step(o, "DisassociateAddress", CF_MUTATING | CF_NOTFOUND_OK);
		craft_query_add(&s->q, "AssociationId", r->have.assoc_id);
		s->ok_codes = ok_assoc_gone;
	}
	s = eng_add_step(o, "ReleaseAddress", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);
	craft_query_add(&s->q, "AllocationId", r->id);
}

static void eip_assoc_created(struct op *o, xmlNodePtr root)
{
	struct craft_res *eip = dep_res(o, CRAFT_K_EIP);

	COPY(R(o)->id, craft_xml_path_text(root, "associationId"));
	COPY(eip->have.assoc_id, R(o)->id);
	COPY(eip->have.instance_id, dep_res(o, CRAFT_K_INSTANCE)->id);
}

static void eip_assoc_create(struct op *o)
{
	struct step *s = eng_add_step(o, "AssociateAddress",
	                              CF_MUTATING | CF_NOTFOUND_RETRY | CF_DEPVIOL_RETRY);

	craft_query_add(&s->q, "AllocationId", dep_res(o, CRAFT_K_EIP)->id);
	craft_query_add(&s->q, "InstanceId", dep_res(o, CRAFT_K_INSTANCE)->id);
	craft_query_add(&s->q, "AllowReassociation", "true");
	s->after = eip_assoc_created;
}

static void parse_instances(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr rv = craft_xml_items(root, "reservationSet"); rv;
	     rv = craft_xml_next_item(rv))
		for (xmlNodePtr x = craft_xml_items(rv, "instancesSet"); x;
		     x = craft_xml_next_item(x)) {
			struct craft_res *c = eng_cand(f, CRAFT_K_INSTANCE, x,
			                               craft_xml_path_text(x, "instanceId"));
			struct craft_props *h;
			const char *rootdev;

			if (!c)
				continue;
			h = &c->have;
			COPY(c->state, craft_xml_path_text(x, "instanceState/name"));
			COPY(h->vpc_id, craft_xml_path_text(x, "vpcId"));
			COPY(h->subnet_id, craft_xml_path_text(x, "subnetId"));
			COPY(h->type, craft_xml_path_text(x, "instanceType"));
			COPY(h->ami, craft_xml_path_text(x, "imageId"));
			COPY(h->key_name, craft_xml_path_text(x, "keyName"));
			COPY(h->public_ip, craft_xml_path_text(x, "ipAddress"));
			COPY(h->image, eng_tag_of(x, "craftctl:image"));
			COPY(h->host_key, eng_tag_of(x, "craftctl:host-key"));
			h->imds_required =
			        craft_xml_path_text(x, "metadataOptions/httpTokens") &&
			        strcmp(craft_xml_path_text(x, "metadataOptions/httpTokens"),
			               "required") == 0;
			{
				xmlNodePtr g = craft_xml_items(x, "groupSet");

				COPY(h->sg_id, g ? craft_xml_path_text(g, "groupId") : "");
			}
			rootdev = craft_xml_path_text(x, "rootDeviceName");
			COPY(h->root_device, rootdev);
			for (xmlNodePtr b = craft_xml_items(x, "blockDeviceMapping"); b;
			     b = craft_xml_next_item(b)) {
				const char *dev = craft_xml_path_text(b, "deviceName");

				if (dev && rootdev && strcmp(dev, rootdev) == 0)
					COPY(h->root_volume,
					     craft_xml_path_text(b, "ebs/volumeId"));
				if (dev && strcmp(dev, CRAFT_DATA_DEVICE) == 0)
					COPY(h->data_volume,
					     craft_xml_path_text(b, "ebs/volumeId"));
			}
			/* as wanted until DescribeVolumes says otherwise */
			h->root_size = f->in->cfg->root_size_gb;
			COPY(h->root_type, f->in->cfg->root_type);
			h->root_encrypted = 1;
		}
}

static void parse_addresses(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "addressesSet"); x; x = craft_xml_next_item(x)) {
		struct craft_res *c =
		        eng_cand(f, CRAFT_K_EIP, x, craft_xml_path_text(x, "allocationId"));

		if (!c)
			continue;
		COPY(c->have.public_ip, craft_xml_path_text(x, "publicIp"));
		COPY(c->have.instance_id, craft_xml_path_text(x, "instanceId"));
		COPY(c->have.assoc_id, craft_xml_path_text(x, "associationId"));
		COPY(c->state, c->have.assoc_id[0] ? "associated" : "allocated");
	}
}

static void parse_volume(struct found *f, xmlNodePtr root)
{
	int inst = craft_model_find(&f->in->m, CRAFT_K_INSTANCE, "server");
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	struct craft_props *h = &f->in->m.res[inst].have;
	const char *size;

	if (!v)
		return;
	size = craft_xml_path_text(v, "size");
	h->root_size = size ? (int)strtol(size, NULL, 10) : 0;
	COPY(h->root_type, craft_xml_path_text(v, "volumeType"));
	h->root_encrypted = eng_is_true(craft_xml_path_text(v, "encrypted"));
}

/* The root volume's size, type and encryption: DescribeInstances names it only. */
static void inst_details(struct found *f, const struct craft_res *r)
{
	struct craft_query q;

	if (!r->have.root_volume[0])
		return;
	craft_query_init(&q);
	craft_query_add(&q, "VolumeId.1", r->have.root_volume);
	eng_submit_discovery(f, "DescribeVolumes", &q, parse_volume, 1);
	craft_query_release(&q);
}

/* Terminated instances are gone for good: not candidates. */
static void inst_params(struct craft_query *q)
{
	static const char *const states[] = { "pending", "running", "stopping", "stopped",
		                              "shutting-down" };

	craft_query_add_filter(q, 2, "instance-state-name", states, 5);
}

const struct craft_kind_def craft_kind_image = {
	.name = "image", /* a lookup, not a resource */
	.create = image_create,
};

const struct craft_kind_def craft_kind_instance = {
	.name = "instance",
	.tagged = 1,
	.vpc_scoped = 1,
	.describe = "DescribeInstances",
	.describe_params = inst_params,
	.parse = parse_instances,
	.details = inst_details,
	.create = inst_create,
	.update = inst_update,
	.remove = inst_delete,
};

const struct craft_kind_def craft_kind_eip = {
	.name = "elastic_ip",
	.tagged = 1,
	.describe = "DescribeAddresses",
	.parse = parse_addresses,
	.create = eip_create,
	.update = eip_update,
	.remove = eip_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_EIP_ASSOC),
};

const struct craft_kind_def craft_kind_eip_assoc = {
	.name = "eip_association",
	.create = eip_assoc_create,
};
