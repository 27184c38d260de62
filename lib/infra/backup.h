/*
 * backup — the data volume's snapshots (craftctl backup, backups, restore
 * and the backup before a release): see backup.c for the tags and the
 * consistency they give. Every function fills err on a non-OK return.
 */
#ifndef CRAFT_INFRA_BACKUP_H
#define CRAFT_INFRA_BACKUP_H

#include <signal.h>

#include "aws/client.h"
#include "config.h"
#include "core/event.h"

#define CRAFT_BACKUPS_MAX 500

struct craft_backup {
	char id[32];      /* snap-... */
	char volume[32];  /* the volume it was taken of */
	char state[16];   /* pending, completed, error */
	char started[40]; /* StartTime, ISO 8601 UTC */
	char progress[8]; /* "100%" */
	char kind[24];    /* backup or final-snapshot (craftctl:resource) */
	char release[96]; /* craftctl:release, "" when none */
	char reason[32];  /* manual, before-release */
	char stack[40];   /* craftctl:stack */
	int size_gb;
};

/* The stack's backups and final snapshots, newest first (at most max). */
craft_code craft_infra_backups(const struct craft_config *cfg, struct craft_aws_client *aws,
                               struct craft_backup *out, int max, int *n, struct craft_err *err);
/* One snapshot by id; CRAFT_EUSAGE when it does not exist or is not a
 * backup of this stack (another stack's, or untagged). */
craft_code craft_infra_backup_get(const struct craft_config *cfg, struct craft_aws_client *aws,
                                  const char *id, struct craft_backup *out, struct craft_err *err);
/* CreateSnapshot of volume, tagged; returns at once (the snapshot is the
 * volume as it is now, whatever it takes to complete). */
craft_code craft_infra_backup_start(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    const char *volume, const char *release, const char *reason,
                                    struct craft_backup *out, struct craft_err *err);
/* Until b is completed (progress on rep every 10 s); cancel ends it. */
craft_code craft_infra_backup_wait(struct craft_aws_client *aws, struct craft_backup *b,
                                   const struct craft_reporter *rep,
                                   const volatile sig_atomic_t *cancel, struct craft_err *err);
/* Deletes the stack's completed backups beyond the newest keep (0: all). */
craft_code craft_infra_backups_prune(const struct craft_config *cfg, struct craft_aws_client *aws,
                                     int keep, const struct craft_reporter *rep, int *deleted,
                                     struct craft_err *err);

/*
 * Restore, the AWS half. The stack's data volume (tag craftctl:resource=
 * data) is found by its tag, so a restore stopped anywhere is found again:
 *
 *   1. a volume from the snapshot, in the data volume's zone, tagged
 *      resource=data-restore and craftctl:restore-of=<snapshot> (reused
 *      when a stopped restore made it);
 *   2. (the caller stops the stack and releases the disk on the instance)
 *   3. the swap: the old volume detached, the new one tagged resource=data
 *      before the old one becomes data-previous (so there is never a stack
 *      without a data volume for provision to replace with an empty one),
 *      the new one attached to the instance.
 *
 * The previous volume is kept until craft_infra_drop_previous (after the
 * next successful deploy).
 */
struct craft_restore {
	char instance[32];
	char zone[32];
	char current[32];  /* the data volume now ("" when the stack has none) */
	char restored[32]; /* the volume made from the snapshot */
	int done;          /* the data volume is already the snapshot's and attached */
};
craft_code craft_infra_restore_prepare(const struct craft_config *cfg, struct craft_aws_client *aws,
                                       const char *instance_id, const struct craft_backup *snap,
                                       struct craft_restore *r, const struct craft_reporter *rep,
                                       const volatile sig_atomic_t *cancel, struct craft_err *err);
craft_code craft_infra_restore_swap(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    struct craft_restore *r, const struct craft_reporter *rep,
                                    const volatile sig_atomic_t *cancel, struct craft_err *err);
/* Deletes the stack's data-previous volumes that are not attached. */
craft_code craft_infra_drop_previous(const struct craft_config *cfg, struct craft_aws_client *aws,
                                     const struct craft_reporter *rep, struct craft_err *err);

#endif
