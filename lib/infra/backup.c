/*
 * backup — EBS snapshots of the stack's data volume: taking one, listing
 * them, keeping only the newest, and the volume swaps of a restore.
 *
 * A backup is a snapshot tagged like every resource of the stack
 * (craftctl:stack, Name, the file's tags) with craftctl:resource=backup,
 * craftctl:release (the release it was taken for), craftctl:reason and
 * craftctl:backup-of (the volume). Retention deletes only snapshots that
 * carry this stack's tag and resource=backup: never another stack's, never
 * an untagged one, never destroy's final snapshot.
 *
 * The snapshot is crash-consistent: EBS takes it at one point in time for
 * the whole volume, and everything the stack keeps is on that one volume,
 * so PostgreSQL finds on restore what it finds after a power cut and
 * recovers from its write-ahead log (the guarantee it is built for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "infra/backup.h"
#include "infra/internal.h"

/* -- small helpers */

static void backup_from_item(struct craft_backup *b, xmlNodePtr x)
{
	const char *size = craft_xml_path_text(x, "volumeSize");

	memset(b, 0, sizeof(*b));
	COPY(b->id, craft_xml_path_text(x, "snapshotId"));
	COPY(b->volume, craft_xml_path_text(x, "volumeId"));
	COPY(b->state, craft_xml_path_text(x, "status"));
	COPY(b->started, craft_xml_path_text(x, "startTime"));
	COPY(b->progress, craft_xml_path_text(x, "progress"));
	COPY(b->kind, eng_tag_of(x, "craftctl:resource"));
	COPY(b->release, eng_tag_of(x, "craftctl:release"));
	COPY(b->reason, eng_tag_of(x, "craftctl:reason"));
	COPY(b->stack, eng_tag_of(x, "craftctl:stack"));
	b->size_gb = size ? (int)strtol(size, NULL, 10) : 0;
}

struct list_ud {
	struct craft_backup *out;
	int max, n;
};

static craft_code list_page(void *ud, xmlDocPtr page, struct craft_err *err)
{
	struct list_ud *l = ud;
	xmlNodePtr root = xmlDocGetRootElement(page);

	(void)err;
	for (xmlNodePtr x = craft_xml_items(root, "snapshotSet"); x && l->n < l->max;
	     x = craft_xml_next_item(x))
		backup_from_item(&l->out[l->n++], x);
	return CRAFT_OK;
}

static int newest_first(const void *a, const void *b)
{
	const struct craft_backup *x = a, *y = b;
	int c = strcmp(y->started, x->started);

	return c ? c : strcmp(x->id, y->id);
}

craft_code craft_infra_backups(const struct craft_config *cfg, struct craft_aws_client *aws,
                               struct craft_backup *out, int max, int *n, struct craft_err *err)
{
	static const char *const kinds[] = { "backup", "final-snapshot" };
	struct list_ud l = { out, max, 0 };
	struct craft_query q;
	craft_code rc;

	*n = 0;
	craft_query_init(&q);
	craft_query_add(&q, "Owner.1", "self");
	eng_stack_filter(&q, 1, cfg->stack);
	craft_query_add_filter(&q, 2, "tag:craftctl:resource", kinds, 2);
	rc = craft_aws_paginate(aws, "ec2", "DescribeSnapshots", &q, list_page, &l, err);
	craft_query_release(&q);
	if (rc)
		return rc;
	qsort(out, (size_t)l.n, sizeof(out[0]), newest_first);
	*n = l.n;
	return CRAFT_OK;
}

craft_code craft_infra_backup_get(const struct craft_config *cfg, struct craft_aws_client *aws,
                                  const char *id, struct craft_backup *out, struct craft_err *err)
{
	struct craft_backup one[1];
	struct list_ud l = { one, 1, 0 };
	struct craft_query q;
	craft_code rc;

	if (strncmp(id, "snap-", 5) != 0)
		return craft_err_set(err, CRAFT_EUSAGE,
		                     "'%s' is not a snapshot id (snap-...) or 'latest'", id);
	craft_query_init(&q);
	craft_query_add(&q, "SnapshotId.1", id);
	rc = craft_aws_paginate(aws, "ec2", "DescribeSnapshots", &q, list_page, &l, err);
	craft_query_release(&q);
	if (rc == CRAFT_EAWS && eng_is_notfound(err->aws_code))
		return craft_err_set(err, CRAFT_EUSAGE, "snapshot %s does not exist in %s", id,
		                     craft_aws_client_region(aws));
	if (rc)
		return rc;
	if (l.n == 0)
		return craft_err_set(err, CRAFT_EUSAGE, "snapshot %s does not exist in %s", id,
		                     craft_aws_client_region(aws));
	if (strcmp(one[0].stack, cfg->stack) != 0 ||
	    (strcmp(one[0].kind, "backup") != 0 && strcmp(one[0].kind, "final-snapshot") != 0))
		return craft_err_set(
		        err, CRAFT_EUSAGE,
		        "snapshot %s is not a backup of stack '%s'%s%s: craftctl restores "
		        "only its own stack's backups",
		        id, cfg->stack, one[0].stack[0] ? " (it is stack '" : "",
		        one[0].stack[0] ? one[0].stack : "");
	*out = one[0];
	return CRAFT_OK;
}

/* -- taking one */

craft_code craft_infra_backup_start(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    const char *volume, const char *release, const char *reason,
                                    struct craft_backup *out, struct craft_err *err)
{
	struct craft_query q;
	struct tagset ts;
	struct craft_tag tags[CRAFT_CONFIG_MAX_MAP + 8];
	char desc[256];
	xmlDocPtr doc = NULL;
	int n;
	craft_code rc;

	memset(out, 0, sizeof(*out));
	eng_tagset(&ts, cfg, "backup");
	n = ts.n;
	memcpy(tags, ts.t, (size_t)n * sizeof(tags[0]));
	tags[n++] = (struct craft_tag){ "craftctl:backup-of", volume };
	tags[n++] = (struct craft_tag){ "craftctl:reason", reason };
	if (release && release[0])
		tags[n++] = (struct craft_tag){ "craftctl:release", release };
	snprintf(desc, sizeof(desc), "craftctl: %s backup of stack %s's data volume%s%s", reason,
	         cfg->stack, release && release[0] ? ", release " : "",
	         release && release[0] ? release : "");
	craft_query_init(&q);
	craft_query_add(&q, "VolumeId", volume);
	craft_query_add(&q, "Description", desc);
	craft_query_add_tag_spec(&q, 1, "snapshot", tags, n);
	rc = craft_aws_call(aws, "ec2", "CreateSnapshot", &q, &doc, err);
	craft_query_release(&q);
	if (rc)
		return craft_err_prefix(err, "CreateSnapshot of %s", volume);
	{
		xmlNodePtr root = xmlDocGetRootElement(doc);

		COPY(out->id, craft_xml_path_text(root, "snapshotId"));
		COPY(out->state, craft_xml_path_text(root, "status"));
		COPY(out->started, craft_xml_path_text(root, "startTime"));
		COPY(out->volume, volume);
		COPY(out->kind, "backup");
		COPY(out->reason, reason);
		COPY(out->release, release ? release : "");
		COPY(out->stack, cfg->stack);
		out->size_gb = (int)strtol(craft_xml_path_text(root, "volumeSize")
		                                   ? craft_xml_path_text(root, "volumeSize")
		                                   : "0",
		                           NULL, 10);
	}
	xmlFreeDoc(doc);
	if (!out->id[0])
		return craft_err_set(err, CRAFT_EPARSE, "CreateSnapshot answered without an id");
	return CRAFT_OK;
}

craft_code craft_infra_backup_wait(struct craft_aws_client *aws, struct craft_backup *b,
                                   const struct craft_reporter *rep,
                                   const volatile sig_atomic_t *cancel, struct craft_err *err)
{
	long long t0 = craft_now_ms(), last = t0;
	long delay = 200;

	for (;;) {
		struct craft_backup one[1];
		struct list_ud l = { one, 1, 0 };
		struct craft_query q;
		craft_code rc;

		craft_query_init(&q);
		craft_query_add(&q, "SnapshotId.1", b->id);
		rc = craft_aws_paginate(aws, "ec2", "DescribeSnapshots", &q, list_page, &l, err);
		craft_query_release(&q);
		if (rc == CRAFT_EAWS && eng_is_notfound(err->aws_code) &&
		    craft_now_ms() - t0 < NOTFOUND_WINDOW_MS) {
			craft_err_init(err); /* just made: not visible yet */
		} else if (rc) {
			return rc;
		} else if (l.n == 1) {
			COPY(b->state, one[0].state);
			COPY(b->progress, one[0].progress);
			if (strcmp(b->state, "completed") == 0)
				return CRAFT_OK;
			if (strcmp(b->state, "error") == 0)
				return craft_err_set(err, CRAFT_EAWS, "snapshot %s failed", b->id);
		}
		if (craft_now_ms() - last >= 10000) {
			last = craft_now_ms();
			craft_logf(rep, CRAFT_LEVEL_INFO,
			           "  still waiting for snapshot %s (%s, %s)", b->id,
			           b->state[0] ? b->state : "pending",
			           b->progress[0] ? b->progress : "0%");
		}
		if (craft_now_ms() - t0 > WAIT_WINDOW_MS * 4)
			return craft_err_set(err, CRAFT_ETIMEOUT,
			                     "snapshot %s is still %s after %lld s", b->id,
			                     b->state, (craft_now_ms() - t0) / 1000);
		if (craft_sleep_ms(delay, cancel) != 0)
			return craft_err_set(err, CRAFT_EINTR,
			                     "interrupted while snapshot %s was being taken (it "
			                     "completes on its own)",
			                     b->id);
		delay = delay < 2000 ? delay * 2 : 2000;
	}
}

craft_code craft_infra_backups_prune(const struct craft_config *cfg, struct craft_aws_client *aws,
                                     int keep, const struct craft_reporter *rep, int *deleted,
                                     struct craft_err *err)
{
	struct craft_backup *all = calloc(CRAFT_BACKUPS_MAX, sizeof(*all));
	int n = 0, kept = 0;
	craft_code rc;

	*deleted = 0;
	if (!all)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	rc = craft_infra_backups(cfg, aws, all, CRAFT_BACKUPS_MAX, &n, err);
	for (int i = 0; !rc && i < n; i++) {
		struct craft_query q;

		if (strcmp(all[i].kind, "backup") != 0 || strcmp(all[i].stack, cfg->stack) != 0)
			continue; /* final snapshots are the user's to delete */
		if (kept < keep || strcmp(all[i].state, "completed") != 0) {
			kept += strcmp(all[i].state, "completed") == 0;
			continue;
		}
		craft_query_init(&q);
		craft_query_add(&q, "SnapshotId", all[i].id);
		rc = craft_aws_call(aws, "ec2", "DeleteSnapshot", &q, NULL, err);
		craft_query_release(&q);
		if (rc == CRAFT_EAWS && eng_is_notfound(err->aws_code)) {
			craft_err_init(err);
			rc = CRAFT_OK;
			continue;
		}
		if (!rc) {
			(*deleted)++;
			craft_logf(rep, CRAFT_LEVEL_INFO, "  deleted backup %s of %s (keeping %d)",
			           all[i].id, all[i].started, keep);
		}
	}
	free(all);
	return rc;
}
