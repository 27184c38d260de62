/*
 * restore — the AWS half of `craftctl restore` (see backup.h for the
 * order of the steps and why each is safe to stop at): a volume from the
 * snapshot, then the swap of the data volume on the instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "infra/backup.h"
#include "infra/internal.h"

struct vol {
	char id[32];
	char state[16];
	char zone[32];
	char attached_to[32];
	char attach_state[16];
	char resource[32];
	char restore_of[32];
	int size_gb;
};

struct vols {
	struct vol v[16];
	int n;
};

static craft_code vols_page(void *ud, xmlDocPtr page, struct craft_err *err)
{
	struct vols *vs = ud;

	(void)err;
	for (xmlNodePtr x = craft_xml_items(xmlDocGetRootElement(page), "volumeSet");
	     x && vs->n < 16; x = craft_xml_next_item(x)) {
		struct vol *v = &vs->v[vs->n];
		xmlNodePtr a = craft_xml_items(x, "attachmentSet");
		const char *size = craft_xml_path_text(x, "size");

		memset(v, 0, sizeof(*v));
		COPY(v->id, craft_xml_path_text(x, "volumeId"));
		COPY(v->state, craft_xml_path_text(x, "status"));
		if (strcmp(v->state, "deleting") == 0 || strcmp(v->state, "deleted") == 0)
			continue;
		COPY(v->zone, craft_xml_path_text(x, "availabilityZone"));
		COPY(v->resource, eng_tag_of(x, "craftctl:resource"));
		COPY(v->restore_of, eng_tag_of(x, "craftctl:restore-of"));
		v->size_gb = size ? (int)strtol(size, NULL, 10) : 0;
		if (a) {
			COPY(v->attached_to, craft_xml_path_text(a, "instanceId"));
			COPY(v->attach_state, craft_xml_path_text(a, "status"));
		}
		vs->n++;
	}
	return CRAFT_OK;
}

/* The stack's volumes whose craftctl:resource is one of names (or one id). */
static craft_code find_vols(const struct craft_config *cfg, struct craft_aws_client *aws,
                            const char *const *names, int nnames, const char *id, struct vols *out,
                            struct craft_err *err)
{
	struct craft_query q;
	craft_code rc;

	out->n = 0;
	craft_query_init(&q);
	if (id) {
		craft_query_add(&q, "VolumeId.1", id);
	} else {
		eng_stack_filter(&q, 1, cfg->stack);
		craft_query_add_filter(&q, 2, "tag:craftctl:resource", names, nnames);
	}
	rc = craft_aws_paginate(aws, "ec2", "DescribeVolumes", &q, vols_page, out, err);
	craft_query_release(&q);
	return rc;
}

static craft_code call(struct craft_aws_client *aws, const char *action, struct craft_query *q,
                       const char *const *ok_codes, struct craft_err *err)
{
	craft_code rc = craft_aws_call(aws, "ec2", action, q, NULL, err);

	craft_query_release(q);
	if (rc == CRAFT_EAWS)
		for (const char *const *c = ok_codes; c && *c; c++)
			if (strcmp(err->aws_code, *c) == 0) {
				craft_err_init(err);
				return CRAFT_OK;
			}
	return rc ? craft_err_prefix(err, "%s", action) : CRAFT_OK;
}

/* Polls one volume until ok(v) or the wait window ends. */
static craft_code wait_vol(struct craft_aws_client *aws, const char *id, const char *what,
                           int (*ok)(const struct vol *v, const char *arg), const char *arg,
                           const struct craft_reporter *rep, const volatile sig_atomic_t *cancel,
                           struct craft_err *err)
{
	long long t0 = craft_now_ms(), last = t0;
	long delay = 200;

	for (;;) {
		struct vols vs;
		craft_code rc = find_vols(NULL, aws, NULL, 0, id, &vs, err);

		if (rc == CRAFT_EAWS && eng_is_notfound(err->aws_code) &&
		    craft_now_ms() - t0 < NOTFOUND_WINDOW_MS)
			craft_err_init(err);
		else if (rc)
			return rc;
		else if (vs.n == 1 && ok(&vs.v[0], arg))
			return CRAFT_OK;
		if (craft_now_ms() - last >= 10000) {
			last = craft_now_ms();
			craft_logf(rep, CRAFT_LEVEL_INFO, "  still waiting for volume %s to be %s",
			           id, what);
		}
		if (craft_now_ms() - t0 > WAIT_WINDOW_MS)
			return craft_err_set(err, CRAFT_ETIMEOUT,
			                     "volume %s is not %s after %lld s", id, what,
			                     (craft_now_ms() - t0) / 1000);
		if (craft_sleep_ms(delay, cancel) != 0)
			return craft_err_set(err, CRAFT_EINTR,
			                     "interrupted; a re-run of restore continues");
		delay = delay < 2000 ? delay * 2 : 2000;
	}
}

static int is_available(const struct vol *v, const char *arg)
{
	(void)arg;
	return strcmp(v->state, "available") == 0;
}

static int is_attached_to(const struct vol *v, const char *instance)
{
	return strcmp(v->attached_to, instance) == 0 && strcmp(v->attach_state, "attached") == 0;
}

static craft_code set_resource(const struct craft_config *cfg, struct craft_aws_client *aws,
                               const char *id, const char *resource, struct craft_err *err)
{
	struct craft_query q;
	char name[160];

	snprintf(name, sizeof(name), "%s-%s", cfg->stack, resource);
	craft_query_init(&q);
	craft_query_add(&q, "ResourceId.1", id);
	craft_query_add(&q, "Tag.1.Key", "craftctl:resource");
	craft_query_add(&q, "Tag.1.Value", resource);
	craft_query_add(&q, "Tag.2.Key", "Name");
	craft_query_add(&q, "Tag.2.Value", name);
	return call(aws, "CreateTags", &q, NULL, err);
}

craft_code craft_infra_restore_prepare(const struct craft_config *cfg, struct craft_aws_client *aws,
                                       const char *instance_id, const struct craft_backup *snap,
                                       struct craft_restore *r, const struct craft_reporter *rep,
                                       const volatile sig_atomic_t *cancel, struct craft_err *err)
{
	static const char *const names[] = { "data", "data-restore" };
	struct vols vs;
	const struct vol *cur = NULL, *made = NULL;
	craft_code rc;

	memset(r, 0, sizeof(*r));
	COPY(r->instance, instance_id);
	rc = find_vols(cfg, aws, names, 2, NULL, &vs, err);
	if (rc)
		return rc;
	for (int i = 0; i < vs.n; i++) {
		const struct vol *v = &vs.v[i];

		if (strcmp(v->restore_of, snap->id) == 0 && !made)
			made = v; /* a stopped restore of this snapshot made it */
		else if (strcmp(v->resource, "data") == 0 &&
		         (!cur || is_attached_to(v, instance_id)))
			cur = v;
	}
	if (!cur && !made)
		return craft_err_set(err, CRAFT_ENOTFOUND,
		                     "stack '%s' has no data volume to restore into: run "
		                     "'craftctl provision' first",
		                     cfg->stack);
	if (cur) {
		COPY(r->current, cur->id);
		COPY(r->zone, cur->zone);
	}
	if (made) {
		COPY(r->zone, made->zone);
		COPY(r->restored, made->id);
		r->done = strcmp(made->resource, "data") == 0 && is_attached_to(made, instance_id);
		if (strcmp(made->resource, "data") == 0 && cur == made)
			r->current[0] = '\0';
	} else {
		struct craft_query q;
		struct tagset ts;
		struct craft_tag tags[CRAFT_CONFIG_MAX_MAP + 6];
		char seed[256], token[64], size[16];
		xmlDocPtr doc = NULL;
		int n, want = cfg->data_size_gb > snap->size_gb ? cfg->data_size_gb : snap->size_gb;

		/* the same restore asked again gets the same volume */
		snprintf(seed, sizeof(seed), "craftctl-restore|%s|%s|%s", cfg->stack, snap->id,
		         r->current);
		eng_client_token(seed, token, sizeof(token));
		snprintf(size, sizeof(size), "%d", want);
		eng_tagset(&ts, cfg, "data-restore");
		n = ts.n;
		memcpy(tags, ts.t, (size_t)n * sizeof(tags[0]));
		tags[n++] = (struct craft_tag){ "craftctl:restore-of", snap->id };
		craft_query_init(&q);
		craft_query_add(&q, "SnapshotId", snap->id);
		craft_query_add(&q, "AvailabilityZone", r->zone);
		craft_query_add(&q, "Size", size);
		craft_query_add(&q, "VolumeType", cfg->data_type);
		craft_query_add(&q, "Encrypted", "true");
		craft_query_add(&q, "ClientToken", token);
		craft_query_add_tag_spec(&q, 1, "volume", tags, n);
		rc = craft_aws_call(aws, "ec2", "CreateVolume", &q, &doc, err);
		craft_query_release(&q);
		if (rc)
			return craft_err_prefix(err, "CreateVolume from %s", snap->id);
		COPY(r->restored, craft_xml_path_text(xmlDocGetRootElement(doc), "volumeId"));
		xmlFreeDoc(doc);
		if (!r->restored[0])
			return craft_err_set(err, CRAFT_EPARSE,
			                     "CreateVolume answered without an id");
		craft_logf(rep, CRAFT_LEVEL_INFO, "  volume %s made from %s (%s GiB, %s)",
		           r->restored, snap->id, size, r->zone);
	}
	if (r->done)
		return CRAFT_OK;
	return wait_vol(aws, r->restored, "available", is_available, NULL, rep, cancel, err);
}

static const char *const ok_not_attached[] = { "IncorrectState", "InvalidAttachment.NotFound",
	                                       NULL };
static const char *const ok_in_use[] = { "VolumeInUse", NULL };

craft_code craft_infra_restore_swap(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    struct craft_restore *r, const struct craft_reporter *rep,
                                    const volatile sig_atomic_t *cancel, struct craft_err *err)
{
	struct craft_query q;
	craft_code rc = CRAFT_OK;

	if (r->done)
		return CRAFT_OK;
	if (r->current[0]) {
		craft_query_init(&q);
		craft_query_add(&q, "VolumeId", r->current);
		craft_query_add(&q, "InstanceId", r->instance);
		rc = call(aws, "DetachVolume", &q, ok_not_attached, err);
		if (!rc)
			rc = wait_vol(aws, r->current, "detached", is_available, NULL, rep, cancel,
			              err);
	}
	/* the new one is the data volume before the old one stops being it */
	if (!rc)
		rc = set_resource(cfg, aws, r->restored, "data", err);
	if (!rc && r->current[0])
		rc = set_resource(cfg, aws, r->current, "data-previous", err);
	if (rc)
		return rc;
	craft_query_init(&q);
	craft_query_add(&q, "VolumeId", r->restored);
	craft_query_add(&q, "InstanceId", r->instance);
	craft_query_add(&q, "Device", CRAFT_DATA_DEVICE);
	rc = call(aws, "AttachVolume", &q, ok_in_use, err);
	if (!rc)
		rc = wait_vol(aws, r->restored, "attached", is_attached_to, r->instance, rep,
		              cancel, err);
	if (!rc)
		craft_logf(rep, CRAFT_LEVEL_INFO,
		           "  data volume is now %s; %s is kept as the previous one until the next "
		           "successful deploy",
		           r->restored, r->current[0] ? r->current : "(none)");
	return rc;
}

craft_code craft_infra_drop_previous(const struct craft_config *cfg, struct craft_aws_client *aws,
                                     const struct craft_reporter *rep, struct craft_err *err)
{
	static const char *const names[] = { "data-previous" };
	struct vols vs;
	craft_code rc = find_vols(cfg, aws, names, 1, NULL, &vs, err);

	for (int i = 0; !rc && i < vs.n; i++) {
		struct craft_query q;

		if (strcmp(vs.v[i].state, "available") != 0)
			continue;
		craft_query_init(&q);
		craft_query_add(&q, "VolumeId", vs.v[i].id);
		rc = call(aws, "DeleteVolume", &q, NULL, err);
		if (!rc)
			craft_logf(rep, CRAFT_LEVEL_INFO,
			           "deleted %s, the data volume from before the restore",
			           vs.v[i].id);
	}
	return rc;
}
