/*
 * bundle — the release bundle: the compose file and everything it
 * references, packed with libarchive into a .tar.gz.
 *
 * What goes in: the compose file; every service's build context (with its
 * .dockerignore honoured, the Dockerfile and .dockerignore always kept, as
 * Docker does); every env_file; every relative bind-mount source; top-level
 * configs/secrets `file:` entries; plus extra generated files. Paths are
 * relative to the compose file's directory, and a reference outside that
 * directory is an error. A `.env` at the top is never shipped: on the host
 * it is a link to the stack's secrets file. Entries are sorted, owned by
 * uid/gid 0, with their modes and mtimes kept.
 *
 * Ownership: lists belong to the caller (craft_bundle_list_release).
 */
#ifndef CRAFT_DEPLOY_BUNDLE_H
#define CRAFT_DEPLOY_BUNDLE_H

#include <stddef.h>

#include "core/error.h"

struct craft_bundle_list {
	char **path; /* relative, '/'-separated; directories end without '/' */
	size_t n;
	/* collect: the compose file's top-level named volumes that Docker's
	 * local driver keeps (no driver_opts, not external, no name of their
	 * own), one per line: they can live on the stack's data volume */
	char *volumes;
};

void craft_bundle_list_release(struct craft_bundle_list *l);

/* A file made by craftctl (release env, compose file name), not read from disk. */
struct craft_bundle_extra {
	const char *name;
	const char *data;
	unsigned mode;
};

struct craft_bundle_info {
	size_t files;      /* regular files and links */
	long long bytes;   /* their size before compression */
	long long archive; /* the .tar.gz size */
};

/*
 * The files to ship, relative to the compose file's directory (the compose
 * file itself included), sorted, without the directories that hold them.
 */
craft_code craft_bundle_collect(const char *compose_path, struct craft_bundle_list *out,
                                struct craft_err *err);

/* Packs collect's list plus extras into out_path (created, .tar.gz), and
 * collect's volume names as .craftctl-volumes. */
craft_code craft_bundle_create(const char *compose_path, const struct craft_bundle_extra *extra,
                               size_t nextra, const char *out_path, struct craft_bundle_info *info,
                               struct craft_err *err);

/*
 * .dockerignore matching, as Docker does it: patterns in order, the last
 * one that matches the path or one of its parent directories decides;
 * '!' negates; '**' spans directories; a leading '/' is dropped.
 */
struct craft_ignore {
	char **pat;
	int *neg;
	size_t n;
};

void craft_ignore_init(struct craft_ignore *ig);
void craft_ignore_release(struct craft_ignore *ig);
/* Parses the text of a .dockerignore file. */
craft_code craft_ignore_parse(struct craft_ignore *ig, const char *text);
/* 1 when path (relative to the context) is excluded. */
int craft_ignore_excluded(const struct craft_ignore *ig, const char *path);
/* 1 when a pattern is negated ('!'): then no directory can be skipped whole. */
int craft_ignore_has_negation(const struct craft_ignore *ig);
/* Lexically cleans a relative path: drops "." and empty segments, resolves
 * "..". Returns -1 when it climbs above its start or does not fit. */
int craft_path_clean(const char *in, char *out, size_t outlen);

#endif
