/*
 * kinds/data — the data volume: an encrypted EBS volume in the instance's
 * zone that outlives the instance (the stack's Docker volumes live on it,
 * see templates/deploy-steps.sh), and its attachment to the instance.
 *
 * The volume is never replaced and never deleted by provision: a second
 * one found is kept and reported. Growing it and changing its type are in
 * place (ModifyVolume; deploy grows the file system online). Destroy takes
 * a final snapshot of it first (unless told not to) and keeps that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infra/internal.h"

/* Where EBS snapshot storage is billed by: standard tier, us-east-1,
 * per GB-month of the data the snapshot holds (at most the volume's size). */
#define SNAPSHOT_USD_PER_GB_MONTH 0.05

/* -- the volume */

static const char *volume_zone(struct op *o)
{
	const struct craft_res *sub = dep_res(o, CRAFT_K_SUBNET);

	return sub->have.az[0] ? sub->have.az : sub->want.az;
}

/* CreateVolume's idempotency token: the stack, its region, the subnet (new
 * after a destroy) and a salt that moves on when the token names a volume
 * that is being deleted or gone. */
static void vol_token(struct op *o, char *out, size_t n)
{
	struct eng *e = o->e;
	char seed[512];

	snprintf(seed, sizeof(seed), "craftctl-data|%s|%s|%s|%d", e->cfg->stack,
	         craft_aws_client_region(e->aws) ? craft_aws_client_region(e->aws) : "",
	         dep_res(o, CRAFT_K_SUBNET)->id, o->salt);
	eng_client_token(seed, out, n);
}

static int until_available(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	const char *st = v ? craft_xml_path_text(v, "status") : NULL;

	if (st && strcmp(st, "available") == 0) {
		COPY(r->state, st);
		return 1;
	}
	if (st && (strcmp(st, "error") == 0 || strcmp(st, "deleting") == 0 ||
	           strcmp(st, "deleted") == 0)) {
		eng_op_failf(o, CRAFT_EAWS, "data volume %s is %s instead of available", r->id, st);
		return -1;
	}
	return 0;
}

static void add_volume_wait(struct op *o, until_fn until, const char *what, unsigned flags)
{
	struct step *s = eng_add_step(o, "DescribeVolumes", flags);

	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	craft_query_add(&s->q, "VolumeId.1", R(o)->id);
	s->until = until;
	s->waiting_for = what;
}

static void vol_create_step(struct op *o);

static void vol_created(struct op *o, xmlNodePtr root)
{
	const char *id = craft_xml_path_text(root, "volumeId");
	const char *st = craft_xml_path_text(root, "status");

	if (!root || !id) {
		eng_op_failf(o, CRAFT_EPARSE, "CreateVolume answered without a volume");
		return;
	}
	if (st && (strcmp(st, "deleting") == 0 || strcmp(st, "deleted") == 0)) {
		/* an earlier volume made with this token, since deleted */
		o->salt++;
		vol_create_step(o);
		return;
	}
	eng_set_id(o, id);
	COPY(R(o)->state, st);
	add_volume_wait(o, until_available, "waiting for", CF_NOTFOUND_RETRY);
	if (o->nsteps)
		o->steps[o->nsteps - 1].ready_after = 1;
}

static void vol_create_step(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;
	char token[80], size[16];

	if (o->salt > 20) {
		eng_op_failf(o, CRAFT_EAWS, "no usable client token for CreateVolume");
		return;
	}
	s = eng_add_step(o, "CreateVolume", CF_MUTATING);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	vol_token(o, token, sizeof(token));
	snprintf(size, sizeof(size), "%d", r->want.size_gb);
	craft_query_add(&s->q, "AvailabilityZone", volume_zone(o));
	craft_query_add(&s->q, "Size", size);
	craft_query_add(&s->q, "VolumeType", r->want.vol_type);
	craft_query_add(&s->q, "Encrypted", "true");
	craft_query_add(&s->q, "ClientToken", token);
	eng_add_tag_spec(o, s, 1, "volume", r->name);
	s->after = vol_created;
}

static void vol_create(struct op *o)
{
	vol_create_step(o);
}

static const char *const ok_modifying[] = { "IncorrectModificationState",
	                                    "VolumeModificationRateExceeded", NULL };

static void vol_modify_refused(struct op *o, xmlNodePtr root)
{
	if (!root)
		eng_op_failf(o, CRAFT_EAWS,
		             "data volume %s is being modified already (AWS allows one "
		             "modification per volume in 6 hours): try again later",
		             R(o)->id);
}

static void vol_update(struct op *o)
{
	struct craft_res *r = R(o);
	struct step *s;
	char size[16];

	eng_add_tags_step(o);
	if (r->have.size_gb >= r->want.size_gb && strcmp(r->have.vol_type, r->want.vol_type) == 0)
		return;
	s = eng_add_step(o, "ModifyVolume", CF_MUTATING);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	craft_query_add(&s->q, "VolumeId", r->id);
	if (r->have.size_gb < r->want.size_gb) {
		snprintf(size, sizeof(size), "%d", r->want.size_gb);
		craft_query_add(&s->q, "Size", size);
	}
	if (strcmp(r->have.vol_type, r->want.vol_type) != 0)
		craft_query_add(&s->q, "VolumeType", r->want.vol_type);
	s->ok_codes = ok_modifying;
	s->after = vol_modify_refused;
}

/* -- destroy: the final snapshot, then the volume */

static void volume_detached(struct op *o, xmlNodePtr root);

/* Done when the volume is free (or gone): then the final snapshot is
 * looked for from the same answer. */
static int until_detached(struct op *o, xmlNodePtr root)
{
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	const char *st = v ? craft_xml_path_text(v, "status") : NULL;

	if (root && v && (!st || strcmp(st, "in-use") == 0 || strcmp(st, "creating") == 0))
		return 0;
	volume_detached(o, v ? root : NULL);
	return 1;
}

static int until_completed(struct op *o, xmlNodePtr root)
{
	xmlNodePtr x = craft_xml_items(root, "snapshotSet");
	const char *st = x ? craft_xml_path_text(x, "status") : NULL;

	if (st && strcmp(st, "completed") == 0)
		return 1;
	if (st && strcmp(st, "error") == 0) {
		eng_op_failf(o, CRAFT_EAWS,
		             "the final snapshot %s of data volume %s failed; the volume is kept",
		             R(o)->have.snapshot, R(o)->id);
		return -1;
	}
	return 0;
}

static void delete_volume_step(struct op *o)
{
	struct step *s =
	        eng_add_step(o, "DeleteVolume", CF_MUTATING | CF_NOTFOUND_OK | CF_DEPVIOL_RETRY);

	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	craft_query_add(&s->q, "VolumeId", R(o)->id);
}

static void snapshot_known(struct op *o, const char *id)
{
	struct craft_res *r = R(o);
	struct step *s;
	char msg[300];

	COPY(r->have.snapshot, id);
	snprintf(msg, sizeof(msg),
	         "final snapshot %s kept (%d GiB volume: at most $%.2f a month at $%.2f per "
	         "GB-month; delete it with 'craftctl api ec2 DeleteSnapshot SnapshotId=%s')",
	         id, r->have.size_gb, r->have.size_gb * SNAPSHOT_USD_PER_GB_MONTH,
	         SNAPSHOT_USD_PER_GB_MONTH, id);
	eng_report(o->e, r, "snapshot", -1, msg);
	s = eng_add_step(o, "DescribeSnapshots", CF_NOTFOUND_RETRY);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	craft_query_add(&s->q, "SnapshotId.1", id);
	s->until = until_completed;
	s->waiting_for = "waiting for the final snapshot of";
	delete_volume_step(o);
}

static void snapshot_created(struct op *o, xmlNodePtr root)
{
	const char *id = craft_xml_path_text(root, "snapshotId");

	if (!id) {
		eng_op_failf(o, CRAFT_EPARSE, "CreateSnapshot answered without a snapshot id");
		return;
	}
	snapshot_known(o, id);
}

/* A final snapshot already made for this volume (by a destroy that was
 * stopped before it deleted the volume) is reused: never two. */
static void final_looked_up(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	struct step *s;
	struct tagset ts;
	struct craft_tag tags[CRAFT_CONFIG_MAX_MAP + 6];
	char desc[200];
	int n;

	for (xmlNodePtr x = craft_xml_items(root, "snapshotSet"); x; x = craft_xml_next_item(x)) {
		const char *st = craft_xml_path_text(x, "status");
		const char *id = craft_xml_path_text(x, "snapshotId");

		if (id && (!st || strcmp(st, "error") != 0)) {
			snapshot_known(o, id);
			return;
		}
	}
	s = eng_add_step(o, "CreateSnapshot", CF_MUTATING);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	snprintf(desc, sizeof(desc), "craftctl: final snapshot of stack %s's data volume",
	         o->e->cfg->stack);
	craft_query_add(&s->q, "VolumeId", r->id);
	craft_query_add(&s->q, "Description", desc);
	eng_tagset(&ts, o->e->cfg, "final-snapshot");
	n = ts.n;
	memcpy(tags, ts.t, (size_t)n * sizeof(tags[0]));
	tags[n++] = (struct craft_tag){ "craftctl:final-of", r->id };
	craft_query_add_tag_spec(&s->q, 1, "snapshot", tags, n);
	s->after = snapshot_created;
}

static void volume_detached(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	struct step *s;
	char filter[64];
	const char *vals[1] = { r->id };

	if (!root)
		return; /* gone already: nothing to keep */
	/* one final snapshot, of the data volume: not of what a restore left */
	if (o->e->in->opts.skip_final_snapshot || !r->desired) {
		delete_volume_step(o);
		return;
	}
	s = eng_add_step(o, "DescribeSnapshots", 0);
	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	snprintf(filter, sizeof(filter), "tag:craftctl:final-of");
	craft_query_add(&s->q, "Owner.1", "self");
	craft_query_add_filter(&s->q, 1, filter, vals, 1);
	s->after = final_looked_up;
}

static void vol_delete(struct op *o)
{
	struct step *s = eng_add_step(o, "DescribeVolumes", CF_NOTFOUND_OK);

	if (!s) {
		eng_op_failf(o, CRAFT_EINTERNAL, "too many steps");
		return;
	}
	/* the instance is terminated first: its volume comes free */
	craft_query_add(&s->q, "VolumeId.1", R(o)->id);
	s->until = until_detached;
	s->waiting_for = "waiting for the detach of";
}

static void parse_volumes(struct found *f, xmlNodePtr root)
{
	for (xmlNodePtr x = craft_xml_items(root, "volumeSet"); x; x = craft_xml_next_item(x)) {
		const char *st = craft_xml_path_text(x, "status");
		const char *size = craft_xml_path_text(x, "size");
		xmlNodePtr a = craft_xml_items(x, "attachmentSet");
		struct craft_res *c;

		if (st && (strcmp(st, "deleting") == 0 || strcmp(st, "deleted") == 0))
			continue; /* going: not a candidate */
		c = eng_cand(f, CRAFT_K_VOLUME, x, craft_xml_path_text(x, "volumeId"));
		if (!c)
			continue;
		COPY(c->state, st);
		COPY(c->have.az, craft_xml_path_text(x, "availabilityZone"));
		COPY(c->have.vol_type, craft_xml_path_text(x, "volumeType"));
		c->have.size_gb = size ? (int)strtol(size, NULL, 10) : 0;
		c->have.encrypted = eng_is_true(craft_xml_path_text(x, "encrypted"));
		if (a) {
			COPY(c->have.instance_id, craft_xml_path_text(a, "instanceId"));
			COPY(c->have.attach_state, craft_xml_path_text(a, "status"));
			COPY(c->have.device, craft_xml_path_text(a, "device"));
		}
	}
}

/* The data volume, and those a restore leaves beside it (the one it
 * replaced, one it was making): not the root volume, which carries the
 * stack's tag too. */
static void vol_params(struct craft_query *q)
{
	static const char *const data[] = { "data", "data-previous", "data-restore" };

	craft_query_add_filter(q, 2, "tag:craftctl:resource", data, 3);
}

/* -- the attachment */

static int until_attachable(struct op *o, xmlNodePtr root)
{
	const struct craft_res *inst = dep_res(o, CRAFT_K_INSTANCE);
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	xmlNodePtr a = v ? craft_xml_items(v, "attachmentSet") : NULL;
	const char *st = v ? craft_xml_path_text(v, "status") : NULL;
	const char *on = a ? craft_xml_path_text(a, "instanceId") : NULL;

	if (st && strcmp(st, "available") == 0)
		return 1;
	return on && strcmp(on, inst->id) == 0; /* ours already */
}

static int until_attached(struct op *o, xmlNodePtr root)
{
	struct craft_res *r = R(o);
	const struct craft_res *inst = dep_res(o, CRAFT_K_INSTANCE);
	xmlNodePtr v = craft_xml_items(root, "volumeSet");
	xmlNodePtr a = v ? craft_xml_items(v, "attachmentSet") : NULL;
	const char *on = a ? craft_xml_path_text(a, "instanceId") : NULL;
	const char *st = a ? craft_xml_path_text(a, "status") : NULL;

	if (on && strcmp(on, inst->id) != 0) {
		eng_op_failf(o, CRAFT_EAWS, "data volume %s is attached to %s, not to %s",
		             dep_res(o, CRAFT_K_VOLUME)->id, on, inst->id);
		return -1;
	}
	if (on && st && strcmp(st, "attached") == 0) {
		char id[64];

		snprintf(id, sizeof(id), "%.31s@%.31s", dep_res(o, CRAFT_K_VOLUME)->id, inst->id);
		COPY(r->id, id);
		COPY(dep_res(o, CRAFT_K_VOLUME)->have.instance_id, inst->id);
		return 1;
	}
	return 0;
}

static const char *const ok_not_attached[] = { "IncorrectState", "InvalidAttachment.NotFound",
	                                       NULL };
static const char *const ok_in_use[] = { "VolumeInUse", NULL };

static void attach_create(struct op *o)
{
	struct craft_res *vol = dep_res(o, CRAFT_K_VOLUME);
	const struct craft_res *inst = dep_res(o, CRAFT_K_INSTANCE);
	struct step *s;

	if (vol->have.instance_id[0] && strcmp(vol->have.instance_id, inst->id) != 0) {
		/* on the instance being replaced, if it still runs */
		s = eng_add_step(o, "DetachVolume", CF_MUTATING | CF_NOTFOUND_OK);
		craft_query_add(&s->q, "VolumeId", vol->id);
		craft_query_add(&s->q, "InstanceId", vol->have.instance_id);
		s->ok_codes = ok_not_attached;
	}
	s = eng_add_step(o, "DescribeVolumes", CF_NOTFOUND_RETRY);
	craft_query_add(&s->q, "VolumeId.1", vol->id);
	s->until = until_attachable;
	s->waiting_for = "waiting for the data volume to come free for";
	s = eng_add_step(o, "AttachVolume", CF_MUTATING | CF_NOTFOUND_RETRY);
	craft_query_add(&s->q, "VolumeId", vol->id);
	craft_query_add(&s->q, "InstanceId", inst->id);
	craft_query_add(&s->q, "Device", R(o)->want.device);
	s->ok_codes = ok_in_use; /* attached by an attempt whose answer was lost */
	s = eng_add_step(o, "DescribeVolumes", CF_NOTFOUND_RETRY);
	craft_query_add(&s->q, "VolumeId.1", vol->id);
	s->until = until_attached;
	s->waiting_for = "waiting for";
}

const struct craft_kind_def craft_kind_volume = {
	.name = "data_volume",
	.tagged = 1,
	.describe = "DescribeVolumes",
	.describe_params = vol_params,
	.parse = parse_volumes,
	.create = vol_create,
	.update = vol_update,
	.remove = vol_delete,
	.delete_after = CRAFT_KIND_BIT(CRAFT_K_INSTANCE) | CRAFT_KIND_BIT(CRAFT_K_VOLUME_ATTACH),
	.precious = 1,
};

const struct craft_kind_def craft_kind_volume_attach = {
	.name = "data_attachment",
	.create = attach_create,
};
