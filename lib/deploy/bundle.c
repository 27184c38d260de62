#include "deploy/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "core/buf.h"

#define MAX_FILES 200000

/* snprintf for paths: -1 when it did not fit (never a silent cut). */
static int pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void craft_bundle_list_release(struct craft_bundle_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->path[i]);
	free(l->path);
	l->path = NULL;
	l->n = 0;
	free(l->volumes);
	l->volumes = NULL;
}

static craft_code list_add(struct craft_bundle_list *l, const char *p)
{
	char **np;

	if (l->n >= MAX_FILES)
		return CRAFT_ETOOBIG;
	np = realloc(l->path, (l->n + 1) * sizeof(*np));
	if (!np)
		return CRAFT_ENOMEM;
	l->path = np;
	l->path[l->n] = strdup(p);
	if (!l->path[l->n])
		return CRAFT_ENOMEM;
	l->n++;
	return CRAFT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_sort_unique(struct craft_bundle_list *l)
{
	size_t w = 0;

	if (l->n == 0)
		return;
	qsort(l->path, l->n, sizeof(*l->path), cmp_str);
	for (size_t i = 0; i < l->n; i++) {
		if (w > 0 && strcmp(l->path[w - 1], l->path[i]) == 0) {
			free(l->path[i]);
			continue;
		}
		l->path[w++] = l->path[i];
	}
	l->n = w;
}

/* ---- walking the tree ------------------------------------------------------ */

struct walk {
	const char *root; /* the compose file's directory */
	struct craft_bundle_list *out;
	struct craft_err *err;
};

/* Adds rel (relative to root) and, for a directory, what is below it that
 * ig does not exclude (ig paths are relative to ctx, a prefix of rel). */
static craft_code walk_add(struct walk *w, const char *rel, const char *ctx,
                           const struct craft_ignore *ig, int negations)
{
	char full[PATH_MAX];
	struct stat st;
	DIR *d;
	struct dirent *de;
	craft_code rc = CRAFT_OK;

	if (snprintf(full, sizeof(full), "%s/%s", w->root, rel) >= (int)sizeof(full))
		return craft_err_set(w->err, CRAFT_ETOOBIG, "path too long: %s", rel);
	if (lstat(full, &st) != 0)
		return craft_err_set(w->err, CRAFT_EIO, "cannot read '%s': %s", full,
		                     strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			return CRAFT_OK; /* sockets, fifos: not shippable */
		if (strcmp(rel, ".env") == 0)
			return CRAFT_OK;
		if (list_add(w->out, rel))
			return craft_err_set(w->err, CRAFT_ETOOBIG, "too many files to ship");
		return CRAFT_OK;
	}
	d = opendir(full);
	if (!d)
		return craft_err_set(w->err, CRAFT_EIO, "cannot list '%s': %s", full,
		                     strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char child[PATH_MAX];
		const char *inctx;
		size_t ctxlen = strlen(ctx);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >=
		    (int)sizeof(child)) {
			rc = craft_err_set(w->err, CRAFT_ETOOBIG, "path too long below %s", rel);
			break;
		}
		inctx = child + (ctxlen ? ctxlen + 1 : 0);
		if (ig && craft_ignore_excluded(ig, inctx)) {
			struct stat cst;
			char cfull[PATH_MAX];

			/* An excluded directory may still hold re-included files. */
			if (!negations)
				continue;
			if (snprintf(cfull, sizeof(cfull), "%s/%s", w->root, child) >=
			            (int)sizeof(cfull) ||
			    lstat(cfull, &cst) != 0 || !S_ISDIR(cst.st_mode))
				continue;
		}
		rc = walk_add(w, child, ctx, ig, negations);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

/* Resolves a reference from the compose file to a path below root. */
static craft_code resolve_ref(struct walk *w, const char *ref, const char *what, char *out,
                              size_t outlen)
{
	if (ref[0] == '/')
		return craft_err_set(w->err, CRAFT_ECONFIG,
		                     "%s '%s' is an absolute path: craftctl ships only the compose "
		                     "file's directory; use a path relative to it",
		                     what, ref);
	if (craft_path_clean(ref, out, outlen) != 0)
		return craft_err_set(
		        w->err, CRAFT_ECONFIG,
		        "%s '%s' is outside the compose file's directory: craftctl ships "
		        "only that directory's tree",
		        what, ref);
	return CRAFT_OK;
}

static craft_code add_context(struct walk *w, const char *ref, const char *dockerfile,
                              const char *svc)
{
	char rel[PATH_MAX], what[300], full[PATH_MAX];
	struct craft_buf text = CRAFT_BUF_INIT(1 << 20);
	struct craft_ignore ig;
	struct stat st;
	craft_code rc;

	snprintf(what, sizeof(what), "build context of service '%s'", svc);
	rc = resolve_ref(w, ref, what, rel, sizeof(rel));
	if (rc)
		return rc;
	craft_ignore_init(&ig);
	pathf(full, sizeof(full), "%s/%s%s.dockerignore", w->root, rel, rel[0] ? "/" : "");
	if (stat(full, &st) == 0) {
		rc = craft_buf_read_file(&text, full, w->err);
		if (!rc && craft_ignore_parse(&ig, craft_buf_str(&text)))
			rc = craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
		craft_buf_release(&text);
		if (rc) {
			craft_ignore_release(&ig);
			return rc;
		}
	}
	rc = walk_add(w, rel, rel, &ig, craft_ignore_has_negation(&ig));
	craft_ignore_release(&ig);
	if (rc)
		return rc;
	/* Docker always sends these two, whatever .dockerignore says. */
	for (int i = 0; i < 2; i++) {
		const char *name =
		        i == 0 ? (dockerfile ? dockerfile : "Dockerfile") : ".dockerignore";
		char p[PATH_MAX], cp[PATH_MAX];

		if (snprintf(p, sizeof(p), "%s%s%s", rel, rel[0] ? "/" : "", name) >=
		    (int)sizeof(p))
			continue;
		if (craft_path_clean(p, cp, sizeof(cp)) != 0)
			continue;
		if (pathf(full, sizeof(full), "%s/%s", w->root, cp))
			continue;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && list_add(w->out, cp))
			return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	}
	return CRAFT_OK;
}

static craft_code add_file_ref(struct walk *w, const char *ref, const char *what, int required)
{
	char rel[PATH_MAX], full[PATH_MAX];
	struct stat st;
	craft_code rc = resolve_ref(w, ref, what, rel, sizeof(rel));

	if (rc)
		return rc;
	if (!rel[0])
		return craft_err_set(w->err, CRAFT_ECONFIG,
		                     "%s '%s' is the compose file's whole directory: "
		                     "bind-mount a subdirectory instead",
		                     what, ref);
	if (pathf(full, sizeof(full), "%s/%s", w->root, rel))
		return craft_err_set(w->err, CRAFT_ETOOBIG, "path too long: %s", rel);
	if (lstat(full, &st) != 0) {
		if (!required)
			return CRAFT_OK; /* compose creates a missing bind-mount source */
		return craft_err_set(w->err, CRAFT_ECONFIG, "%s '%s' does not exist", what, ref);
	}
	return walk_add(w, rel, rel, NULL, 0);
}

/* ---- the compose file ------------------------------------------------------ */

static yaml_node_t *node(yaml_document_t *doc, int i)
{
	return yaml_document_get_node(doc, i);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Looks key up in a mapping, following "<<" merge keys. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key, int depth)
{
	yaml_node_pair_t *pr;

	if (!map || map->type != YAML_MAPPING_NODE || depth > 8)
		return NULL;
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(node(doc, pr->key));

		if (k && strcmp(k, key) == 0)
			return node(doc, pr->value);
	}
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(node(doc, pr->key));
		yaml_node_t *v = node(doc, pr->value), *found = NULL;

		if (!k || strcmp(k, "<<") != 0 || !v)
			continue;
		if (v->type == YAML_MAPPING_NODE)
			found = map_get(doc, v, key, depth + 1);
		else if (v->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     !found && it < v->data.sequence.items.top; it++)
				found = map_get(doc, node(doc, *it), key, depth + 1);
		if (found)
			return found;
	}
	return NULL;
}

/* "src:dst[:mode]" short volume syntax: src when it is a host path. */
static int bind_source(const char *spec, char *out, size_t outlen)
{
	const char *colon = strchr(spec, ':');
	size_t n;

	if (!colon)
		return 0; /* an anonymous volume */
	n = (size_t)(colon - spec);
	if (n == 0 || n >= outlen)
		return 0;
	memcpy(out, spec, n);
	out[n] = '\0';
	/* Named volumes have no '/' and do not start with '.' or '~'. */
	return out[0] == '.' || out[0] == '/' || out[0] == '~' || strchr(out, '/') != NULL;
}

static craft_code service_refs(struct walk *w, yaml_document_t *doc, const char *svc,
                               yaml_node_t *s)
{
	yaml_node_t *b = map_get(doc, s, "build", 0);
	yaml_node_t *ef = map_get(doc, s, "env_file", 0);
	yaml_node_t *vols = map_get(doc, s, "volumes", 0);
	char what[300];
	craft_code rc;

	if (b) {
		const char *ctx = scalar(b);
		const char *df = NULL;

		if (b->type == YAML_MAPPING_NODE) {
			ctx = scalar(map_get(doc, b, "context", 0));
			df = scalar(map_get(doc, b, "dockerfile", 0));
			if (!ctx)
				ctx = ".";
		}
		if (ctx) {
			rc = add_context(w, ctx, df, svc);
			if (rc)
				return rc;
		}
	}
	snprintf(what, sizeof(what), "env_file of service '%s'", svc);
	if (ef && ef->type == YAML_SCALAR_NODE) {
		rc = add_file_ref(w, scalar(ef), what, 1);
		if (rc)
			return rc;
	} else if (ef && ef->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = ef->data.sequence.items.start;
		     it < ef->data.sequence.items.top; it++) {
			yaml_node_t *e = node(doc, *it);
			const char *p = scalar(e);
			int required = 1;

			if (!p && e && e->type == YAML_MAPPING_NODE) {
				const char *req = scalar(map_get(doc, e, "required", 0));

				p = scalar(map_get(doc, e, "path", 0));
				required = !(req && strcmp(req, "false") == 0);
			}
			if (p) {
				rc = add_file_ref(w, p, what, required);
				if (rc)
					return rc;
			}
		}
	}
	snprintf(what, sizeof(what), "bind mount of service '%s'", svc);
	if (vols && vols->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = vols->data.sequence.items.start;
		     it < vols->data.sequence.items.top; it++) {
			yaml_node_t *v = node(doc, *it);
			char src[PATH_MAX];
			const char *p = NULL;

			if (scalar(v) && bind_source(scalar(v), src, sizeof(src)))
				p = src;
			else if (v && v->type == YAML_MAPPING_NODE) {
				const char *type = scalar(map_get(doc, v, "type", 0));

				if (type && strcmp(type, "bind") == 0)
					p = scalar(map_get(doc, v, "source", 0));
			}
			if (!p || p[0] == '/' || p[0] == '~')
				continue; /* a host path: not part of the release */
			rc = add_file_ref(w, p, what, 0);
			if (rc)
				return rc;
		}
	}
	return CRAFT_OK;
}

static void dir_and_base(const char *path, char *dir, size_t dlen, char *base, size_t blen)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dlen, ".");
		snprintf(base, blen, "%s", path);
	} else if (slash == path) {
		snprintf(dir, dlen, "/");
		snprintf(base, blen, "%s", slash + 1);
	} else {
		snprintf(dir, dlen, "%.*s", (int)(slash - path), path);
		snprintf(base, blen, "%s", slash + 1);
	}
}

/* A volume name compose and the remote shell can both use as is. */
static int plain_name(const char *s)
{
	if (!s || !(isalnum((unsigned char)s[0])) || strlen(s) > 64)
		return 0;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

/* The top-level named volumes kept by the local driver, one per line. */
static craft_code local_volumes(yaml_document_t *doc, yaml_node_t *rootn, char **out)
{
	yaml_node_t *vols = map_get(doc, rootn, "volumes", 0);
	struct craft_buf b = CRAFT_BUF_INIT(1 << 16);
	craft_code rc = CRAFT_OK;

	*out = NULL;
	if (!vols || vols->type != YAML_MAPPING_NODE)
		return CRAFT_OK;
	for (yaml_node_pair_t *pr = vols->data.mapping.pairs.start;
	     !rc && pr < vols->data.mapping.pairs.top; pr++) {
		const char *name = scalar(node(doc, pr->key));
		yaml_node_t *v = node(doc, pr->value);
		const char *driver = scalar(map_get(doc, v, "driver", 0));

		if (!plain_name(name))
			continue;
		if (v && v->type == YAML_MAPPING_NODE &&
		    (map_get(doc, v, "driver_opts", 0) || map_get(doc, v, "external", 0) ||
		     map_get(doc, v, "name", 0) || (driver && strcmp(driver, "local") != 0)))
			continue;
		rc = craft_buf_printf(&b, "%s\n", name);
	}
	if (!rc && b.len && !(*out = strdup(craft_buf_str(&b))))
		rc = CRAFT_ENOMEM;
	craft_buf_release(&b);
	return rc;
}

craft_code craft_bundle_collect(const char *compose_path, struct craft_bundle_list *out,
                                struct craft_err *err)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct craft_buf text = CRAFT_BUF_INIT(4 << 20);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *rootn, *services;
	struct walk w;
	craft_code rc;

	out->path = NULL;
	out->n = 0;
	out->volumes = NULL;
	dir_and_base(compose_path, dir, sizeof(dir), base, sizeof(base));
	rc = craft_buf_read_file(&text, compose_path, err);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		craft_buf_release(&text);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)craft_buf_str(&text),
	                             text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': line %zu, column %zu: %s",
		                   compose_path, parser.problem_mark.line + 1,
		                   parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		craft_buf_release(&text);
		return rc;
	}
	w.root = dir;
	w.out = out;
	w.err = err;
	rootn = yaml_document_get_root_node(&doc);
	services = map_get(&doc, rootn, "services", 0);
	if (!services || services->type != YAML_MAPPING_NODE) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s' has no services mapping",
		                   compose_path);
		goto done;
	}
	rc = list_add(out, base) ? craft_err_set(err, CRAFT_ENOMEM, "out of memory") : CRAFT_OK;
	for (yaml_node_pair_t *pr = services->data.mapping.pairs.start;
	     !rc && pr < services->data.mapping.pairs.top; pr++) {
		const char *svc = scalar(node(&doc, pr->key));

		if (svc)
			rc = service_refs(&w, &doc, svc, node(&doc, pr->value));
	}
	/* Top-level configs and secrets read from files. */
	for (int k = 0; !rc && k < 2; k++) {
		yaml_node_t *m = map_get(&doc, rootn, k ? "secrets" : "configs", 0);

		if (!m || m->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
		     !rc && pr < m->data.mapping.pairs.top; pr++) {
			const char *file = scalar(map_get(&doc, node(&doc, pr->value), "file", 0));
			char what[300];

			if (!file)
				continue;
			snprintf(what, sizeof(what), "file of %s '%s'", k ? "secret" : "config",
			         scalar(node(&doc, pr->key)) ? scalar(node(&doc, pr->key)) : "?");
			rc = add_file_ref(&w, file, what, 1);
		}
	}
	if (!rc && local_volumes(&doc, rootn, &out->volumes) != CRAFT_OK)
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	if (!rc)
		list_sort_unique(out);
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	craft_buf_release(&text);
	if (rc)
		craft_bundle_list_release(out);
	return rc;
}

/* ---- packing ---------------------------------------------------------------- */

static craft_code archive_fail(struct archive *a, const char *what, struct craft_err *err)
{
	return craft_err_set(err, CRAFT_EIO, "cannot write the release bundle (%s): %s", what,
	                     archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

static craft_code add_dirs(struct archive *a, const char *root, const char *rel,
                           struct craft_bundle_list *done, struct craft_err *err)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", rel);
	slash = strrchr(parent, '/');
	if (!slash)
		return CRAFT_OK;
	*slash = '\0';
	for (size_t i = 0; i < done->n; i++)
		if (strcmp(done->path[i], parent) == 0)
			return CRAFT_OK;
	{
		craft_code rc = add_dirs(a, root, parent, done, err);
		char full[PATH_MAX];
		struct stat st;
		struct archive_entry *e;

		if (rc)
			return rc;
		if (pathf(full, sizeof(full), "%s/%s", root, parent) || stat(full, &st) != 0)
			return craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", full,
			                     strerror(errno));
		e = archive_entry_new();
		if (!e)
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		archive_entry_set_pathname(e, parent);
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, st.st_mode & 07777);
		archive_entry_set_mtime(e, st.st_mtime, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			archive_entry_free(e);
			return archive_fail(a, parent, err);
		}
		archive_entry_free(e);
		if (list_add(done, parent))
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	return CRAFT_OK;
}

static craft_code add_one(struct archive *a, const char *root, const char *rel,
                          struct craft_bundle_info *info, struct craft_err *err)
{
	char full[PATH_MAX], link[PATH_MAX], buf[65536];
	struct stat st;
	struct archive_entry *e;
	int fd = -1;
	craft_code rc = CRAFT_OK;

	if (pathf(full, sizeof(full), "%s/%s", root, rel) || lstat(full, &st) != 0)
		return craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", full, strerror(errno));
	e = archive_entry_new();
	if (!e)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, rel);
	archive_entry_set_perm(e, st.st_mode & 07777);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(full, link, sizeof(link) - 1);

		if (n < 0) {
			archive_entry_free(e);
			return craft_err_set(err, CRAFT_EIO, "cannot read link '%s': %s", full,
			                     strerror(errno));
		}
		link[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, link);
	} else {
		fd = open(full, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			archive_entry_free(e);
			return craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", full,
			                     strerror(errno));
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, st.st_size);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rc = archive_fail(a, rel, err);
		goto done;
	}
	while (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", full,
			                   strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = archive_fail(a, rel, err);
			goto done;
		}
		info->bytes += n;
	}
	info->files++;
done:
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	return rc;
}

craft_code craft_bundle_create(const char *compose_path, const struct craft_bundle_extra *extra,
                               size_t nextra, const char *out_path, struct craft_bundle_info *info,
                               struct craft_err *err)
{
	struct craft_bundle_list files, dirs = { NULL, 0, NULL };
	struct craft_bundle_extra vols;
	char dir[PATH_MAX], base[PATH_MAX];
	struct archive *a;
	struct stat st;
	craft_code rc;

	memset(info, 0, sizeof(*info));
	rc = craft_bundle_collect(compose_path, &files, err);
	if (rc)
		return rc;
	dir_and_base(compose_path, dir, sizeof(dir), base, sizeof(base));
	a = archive_write_new();
	if (!a) {
		craft_bundle_list_release(&files);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, out_path) != ARCHIVE_OK) {
		rc = archive_fail(a, out_path, err);
		goto done;
	}
	for (size_t i = 0; !rc && i < files.n; i++) {
		rc = add_dirs(a, dir, files.path[i], &dirs, err);
		if (!rc)
			rc = add_one(a, dir, files.path[i], info, err);
	}
	vols = (struct craft_bundle_extra){ ".craftctl-volumes", files.volumes ? files.volumes : "",
		                            0644 };
	for (size_t i = 0; !rc && i <= nextra; i++) {
		const struct craft_bundle_extra *x = i < nextra ? &extra[i] : &vols;
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(x->data);

		if (!e) {
			rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
			break;
		}
		archive_entry_set_pathname(e, x->name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, x->mode ? x->mode : 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_mtime(e, time(NULL), 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, x->data, len) != (la_ssize_t)len)
			rc = archive_fail(a, x->name, err);
		archive_entry_free(e);
		info->files++;
		info->bytes += (long long)len;
	}
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = archive_fail(a, out_path, err);
	if (!rc && stat(out_path, &st) == 0)
		info->archive = st.st_size;
done:
	archive_write_free(a);
	craft_bundle_list_release(&files);
	craft_bundle_list_release(&dirs);
	return rc;
}
