/*
 * config — the stack file, parsed with libyaml's document API and walked
 * against the key table of config/schema.c. Defaults live in
 * config_defaults(); what is checked after the walk (overrides, the key
 * files) in finish(). The stack's generated key is made by ssh/keyfile.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config/schema.h"
#include "core/buf.h"
#include "core/cidr.h"
#include "core/env.h"
#include "core/fs.h"
#include "ssh/keyfile.h"

#define MAX_FILE (1024 * 1024)

/* ---- errors with positions ---- */

struct walk {
	const char *name; /* file name for messages */
	char *dir;        /* the file's directory, for relative paths */
	yaml_document_t *doc;
	struct craft_config *cfg;
	struct craft_err *err;
};

static craft_code errat(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static craft_code errat(struct walk *w, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return craft_err_set(w->err, CRAFT_ECONFIG, "%s: line %zu, column %zu: %s", w->name,
	                     n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
}

/* ---- defaults, in one place ---- */

static char **str_at(struct craft_config *c, size_t off)
{
	return (char **)(void *)((char *)c + off);
}

static int *int_at(struct craft_config *c, size_t off)
{
	return (int *)(void *)((char *)c + off);
}

static struct craft_config_kv *kv_at(struct craft_config *c, size_t off)
{
	return (struct craft_config_kv *)(void *)((char *)c + off);
}

static int set_list(char **list, int *n, const char *const *vals, int nvals)
{
	for (int i = 0; i < *n; i++) {
		free(list[i]);
		list[i] = NULL;
	}
	*n = 0;
	for (int i = 0; i < nvals; i++) {
		list[i] = strdup(vals[i]);
		if (!list[i])
			return -1;
		*n = i + 1;
	}
	return 0;
}

static craft_code config_defaults(struct craft_config *c, struct craft_err *err)
{
	static const char *const ssh_from[] = { "auto" };
	static const char *const http_from[] = { "0.0.0.0/0" };
	static const char *const secrets[] = { "POSTGRES_PASSWORD", "DJANGO_SECRET_KEY" };
	int bad = 0;

	bad |= !(c->cidr = strdup("10.20.0.0/16"));
	c->az_count = 2;
	bad |= !(c->instance_type = strdup("t3.medium"));
	bad |= !(c->image = strdup("ubuntu-24.04"));
	c->root_size_gb = 30;
	bad |= !(c->root_type = strdup("gp3"));
	c->data_volume = 1;
	c->data_size_gb = 20;
	bad |= !(c->data_type = strdup("gp3"));
	bad |= !(c->deploy_backup = strdup("before_release"));
	c->backups_keep = 7;
	bad |= !(c->ssh_user = strdup("ubuntu"));
	c->ssh_port = 22;
	bad |= set_list(c->ssh_from, &c->n_ssh_from, ssh_from, 1) != 0;
	bad |= set_list(c->http_from, &c->n_http_from, http_from, 1) != 0;
	bad |= !(c->compose_file = strdup("docker-compose.yml"));
	c->http_port = 80;
	bad |= !(c->health_path = strdup("/api/health"));
	bad |= set_list(c->secrets, &c->n_secrets, secrets, 2) != 0;
	return bad ? craft_err_set(err, CRAFT_ENOMEM, "out of memory") : CRAFT_OK;
}

void craft_config_free(struct craft_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->stack);
	free(c->region);
	free(c->cidr);
	free(c->instance_type);
	free(c->image);
	free(c->root_type);
	free(c->data_type);
	free(c->deploy_backup);
	free(c->ssh_user);
	free(c->ssh_key);
	free(c->compose_file);
	free(c->compose_path);
	free(c->health_path);
	for (int i = 0; i < c->n_ssh_from; i++)
		free(c->ssh_from[i]);
	for (int i = 0; i < c->n_http_from; i++)
		free(c->http_from[i]);
	for (int i = 0; i < c->n_secrets; i++)
		free(c->secrets[i]);
	for (int i = 0; i < c->n_env; i++) {
		free(c->env[i].key);
		free(c->env[i].value);
	}
	for (int i = 0; i < c->n_tags; i++) {
		free(c->tags[i].key);
		free(c->tags[i].value);
	}
	free(c);
}

/* ---- the walk ---- */

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* A scalar's text, refusing embedded NULs. */
static craft_code scalar(struct walk *w, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return errat(w, n, "expected %s for '%s', got %s", "a value", what, node_kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return errat(w, n, "'%s' contains a NUL byte", what);
	*out = (const char *)n->data.scalar.value;
	return CRAFT_OK;
}

static craft_code want_text(struct walk *w, const yaml_node_t *n, const char *what, check_fn check,
                            const char **out)
{
	const char *v = NULL;
	const char *expected;
	craft_code rc;

	if (is_null(n))
		return errat(w, n, "'%s' needs a value", what);
	rc = scalar(w, n, what, &v);
	if (rc)
		return rc;
	expected = check ? check(v) : NULL;
	if (expected)
		return errat(w, n, "invalid %s '%.80s': expected %s", what, v, expected);
	*out = v;
	return CRAFT_OK;
}

static craft_code walk_str(struct walk *w, const struct field *f, const yaml_node_t *n)
{
	const char *v;
	char **slot = str_at(w->cfg, f->off);
	craft_code rc = want_text(w, n, f->key, f->check, &v);

	if (rc)
		return rc;
	free(*slot);
	*slot = strdup(v);
	return *slot ? CRAFT_OK : craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
}

static craft_code walk_int(struct walk *w, const struct field *f, const yaml_node_t *n)
{
	const char *v;
	char *end;
	long val;
	craft_code rc = want_text(w, n, f->key, NULL, &v);

	if (rc)
		return rc;
	errno = 0;
	val = (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && isdigit((unsigned char)v[0]))
	              ? strtol(v, &end, 10)
	              : -1;
	if (val < 0 || *end || errno || val < f->min || val > f->max)
		return errat(w, n, "invalid %s '%.80s': expected a whole number from %ld to %ld",
		             f->key, v, f->min, f->max);
	*int_at(w->cfg, f->off) = (int)val;
	return CRAFT_OK;
}

static craft_code walk_list(struct walk *w, const struct field *f, const yaml_node_t *n)
{
	char **list = str_at(w->cfg, f->off);
	int *count = int_at(w->cfg, f->count_off);
	const char *vals[CRAFT_CONFIG_MAX_LIST];
	int nv = 0;
	craft_code rc;

	if (is_null(n)) {
		nv = 0;
	} else if (n->type == YAML_SCALAR_NODE) {
		rc = want_text(w, n, f->key, f->check, &vals[0]);
		if (rc)
			return rc;
		nv = 1;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(w->doc, *it);

			if (!item)
				continue;
			if (nv >= f->max)
				return errat(w, item, "too many entries in '%s' (at most %ld)",
				             f->key, f->max);
			rc = want_text(w, item, f->key, f->check, &vals[nv]);
			if (rc)
				return rc;
			for (int i = 0; i < nv; i++)
				if (strcmp(vals[i], vals[nv]) == 0)
					return errat(w, item, "'%s' lists '%.80s' twice", f->key,
					             vals[nv]);
			nv++;
		}
	} else {
		return errat(w, n, "expected a list for '%s', got %s", f->key, node_kind(n));
	}
	if (nv < f->min)
		return errat(w, n, "'%s' needs at least %ld entr%s", f->key, f->min,
		             f->min == 1 ? "y" : "ies");
	if (set_list(list, count, vals, nv))
		return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	return CRAFT_OK;
}

static craft_code walk_map(struct walk *w, const struct field *f, const yaml_node_t *n)
{
	struct craft_config_kv *kv = kv_at(w->cfg, f->off);
	int *count = int_at(w->cfg, f->count_off);
	craft_code rc;

	if (is_null(n))
		return CRAFT_OK;
	if (n->type != YAML_MAPPING_NODE)
		return errat(w, n, "expected a mapping for '%s', got %s", f->key, node_kind(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *ks, *vs;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE)
			return errat(w, k, "keys of '%s' must be plain names", f->key);
		rc = want_text(w, k, "key", f->check_key, &ks);
		if (rc)
			return rc;
		if (is_null(v))
			vs = "";
		else if ((rc = want_text(w, v, ks, f->check, &vs)) != CRAFT_OK)
			return rc;
		for (int i = 0; i < *count; i++)
			if (strcmp(kv[i].key, ks) == 0)
				return errat(w, k, "duplicate key '%.80s' in '%s'", ks, f->key);
		if (*count >= f->max)
			return errat(w, k, "too many entries in '%s' (at most %ld)", f->key,
			             f->max);
		kv[*count].key = strdup(ks);
		kv[*count].value = strdup(vs);
		(*count)++;
		if (!kv[*count - 1].key || !kv[*count - 1].value)
			return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	}
	return CRAFT_OK;
}

static craft_code walk_section(struct walk *w, const struct field *fields, const char *where,
                               const yaml_node_t *n, int depth);

static craft_code walk_field(struct walk *w, const struct field *f, const yaml_node_t *v, int depth)
{
	switch (f->type) {
	case T_STR:
		return walk_str(w, f, v);
	case T_INT:
		return walk_int(w, f, v);
	case T_STRLIST:
		return walk_list(w, f, v);
	case T_MAP:
		return walk_map(w, f, v);
	case T_SECTION:
		if (is_null(v))
			return CRAFT_OK;
		if (f->special && strcmp(f->special, "switch") == 0 &&
		    v->type == YAML_SCALAR_NODE) {
			/* a section that can be turned off: `key: false` (or true: the defaults) */
			const char *s = (const char *)v->data.scalar.value;
			int *on = (int *)((char *)w->cfg + f->off);

			if (strcmp(s, "false") == 0 || strcmp(s, "true") == 0) {
				*on = s[0] == 't';
				return CRAFT_OK;
			}
			return errat(w, v, "expected a mapping for '%s' or false, got '%.40s'",
			             f->key, s);
		}
		if (f->special && strcmp(f->special, "switch") == 0)
			*(int *)((char *)w->cfg + f->off) = 1;
		return walk_section(w, f->sub, f->key, v, depth + 1);
	}
	return craft_err_set(w->err, CRAFT_EINTERNAL, "bad schema row");
}

static craft_code walk_section(struct walk *w, const struct field *fields, const char *where,
                               const yaml_node_t *n, int depth)
{
	if (n->type != YAML_MAPPING_NODE) {
		if (!where)
			return errat(w, n,
			             "expected a mapping of settings (stack:, region:, ...), "
			             "got %s",
			             node_kind(n));
		return errat(w, n, "expected a mapping for '%s', got %s", where, node_kind(n));
	}
	if (depth > 4)
		return errat(w, n, "nested too deeply");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const struct field *f;
		const char *key;
		craft_code rc;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE)
			return errat(w, k, "expected a key name, got %s", node_kind(k));
		key = (const char *)k->data.scalar.value;
		for (f = fields; f->key; f++)
			if (strcmp(f->key, key) == 0)
				break;
		if (!f->key) {
			const char *near = schema_closest_key(fields, key);
			const char *home = schema_home_of(key, fields);

			if (near)
				return errat(w, k, "unknown key '%.80s'%s%s (did you mean '%s'?)",
				             key, where ? " in " : "", where ? where : "", near);
			if (home)
				return errat(
				        w, k, "unknown key '%.80s'%s%s ('%s' belongs under '%s')",
				        key, where ? " in " : "", where ? where : "", key, home);
			return errat(w, k, "unknown key '%.80s'%s%s", key, where ? " in " : "",
			             where ? where : "");
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(w->doc, q->key);

			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)k2->data.scalar.value, key) == 0)
				return errat(w, k, "duplicate key '%s' (first set on line %zu)",
				             key, k2->start_mark.line + 1);
		}
		rc = walk_field(w, f, v, depth);
		if (rc)
			return rc;
	}
	return CRAFT_OK;
}

/* ---- after the walk: keys and files ---- */

static craft_code expand_path(char **out, const char *dir, const char *p, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);
	craft_code rc;

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		const char *home = craft_env_get("HOME");

		if (!home)
			return craft_err_set(err, CRAFT_ECONFIG,
			                     "cannot expand '~': HOME is not set");
		rc = craft_buf_printf(&b, "%s%s", home, p + 1);
	} else if (p[0] != '/' && dir) {
		rc = craft_buf_printf(&b, "%s/%s", dir, p);
	} else {
		rc = craft_buf_addstr(&b, p);
	}
	if (rc)
		return craft_err_set(err, rc, "path too long");
	*out = craft_buf_detach(&b, NULL);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

static const yaml_node_t *find_node(yaml_document_t *doc, const yaml_node_t *root, const char *sect,
                                    const char *key)
{
	const yaml_node_t *n = root;
	const char *path[2] = { sect, key };

	for (int i = 0; i < 2 && n; i++) {
		const yaml_node_t *next = NULL;

		if (!path[i])
			break;
		if (n->type != YAML_MAPPING_NODE)
			return NULL;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (k && k->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)k->data.scalar.value, path[i]) == 0)
				next = yaml_document_get_node(doc, p->value);
		}
		n = next;
	}
	return n;
}

static craft_code finish(struct walk *w, const yaml_node_t *root,
                         const struct craft_config_overrides *ov)
{
	struct craft_config *c = w->cfg;
	const char *bad;
	unsigned vaddr;
	int vpre;

	if (ov && ov->stack) {
		bad = schema_check_stack(ov->stack);
		if (bad)
			return craft_err_set(w->err, CRAFT_ECONFIG,
			                     "invalid --stack '%.80s': expected %s", ov->stack,
			                     bad);
		free(c->stack);
		if (!(c->stack = strdup(ov->stack)))
			return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	}
	if (ov && ov->region) {
		bad = schema_check_region(ov->region);
		if (bad)
			return craft_err_set(w->err, CRAFT_ECONFIG,
			                     "invalid --region '%.80s': expected %s", ov->region,
			                     bad);
		free(c->region);
		if (!(c->region = strdup(ov->region)))
			return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	}
	if (!c->stack)
		return errat(w, root,
		             "missing required key 'stack' (the stack's name, e.g. "
		             "'stack: craftech')");
	/* the carved subnets must fit: prefix+4 with 16 slots */
	if (craft_cidr_parse(c->cidr, &vaddr, &vpre) != 0 || vpre > 24)
		return errat(w, find_node(w->doc, root, "network", "cidr"),
		             "network.cidr '%s' leaves no room for subnets", c->cidr);
	if (c->ssh_key) {
		char why[600];
		char *full = NULL;
		craft_code rc = expand_path(&full, w->dir, c->ssh_key, w->err);

		if (rc)
			return errat(w, find_node(w->doc, root, "instance", "ssh_key"), "%s",
			             w->err->msg);
		bad = craft_ssh_keyfile_check(full, why, sizeof(why));
		if (bad) {
			free(full);
			return errat(w, find_node(w->doc, root, "instance", "ssh_key"),
			             "instance.ssh_key: %s", bad);
		}
		free(c->ssh_key);
		c->ssh_key = full;
		c->ssh_key_generated = 0;
	} else {
		/* the generated key's path, whether or not it exists yet (it is made
		 * by craft_config_ensure_key); without HOME it stays unset and
		 * ensure_key says why */
		c->ssh_key_generated = 1;
		(void)craft_config_generated_key_path(&c->ssh_key, c->stack, NULL);
	}
	/* resolved once, here: relative to the stack file's folder, ~ expanded */
	free(c->compose_path);
	c->compose_path = NULL;
	if (expand_path(&c->compose_path, w->dir, c->compose_file, w->err) != CRAFT_OK)
		return errat(w, find_node(w->doc, root, "deploy", "compose_file"), "%s",
		             w->err->msg);
	return CRAFT_OK;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	d = malloc((size_t)(slash - path) + 1);
	if (d) {
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
	}
	return d;
}

craft_code craft_config_parse(struct craft_config **out, const char *name, const char *text,
                              size_t len, const struct craft_config_overrides *ov,
                              struct craft_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct craft_config *c;
	struct walk w;
	yaml_node_t *root;
	craft_code rc;
	int have_doc = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	memset(&w, 0, sizeof(w));
	w.name = name;
	w.cfg = c;
	w.err = err;
	w.doc = &doc;
	w.dir = dir_of(name);
	rc = config_defaults(c, err);
	if (rc)
		goto cleanup;
	if (!(c->path = strdup(name))) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (!yaml_parser_initialize(&parser)) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = craft_err_set(err, CRAFT_ECONFIG,
		                   "%s: line %zu, column %zu: cannot parse: %s%s%s", name,
		                   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "invalid YAML",
		                   parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto cleanup;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = craft_err_set(err, CRAFT_ECONFIG,
		                   "%s: line 1, column 1: the stack file is empty (expected "
		                   "'stack:' and settings)",
		                   name);
		yaml_parser_delete(&parser);
		goto cleanup;
	}
	/* a second document is a mistake, not something to ignore */
	{
		yaml_document_t extra;

		if (yaml_parser_load(&parser, &extra)) {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);

			if (r2) {
				rc = errat(&w, r2, "more than one YAML document in the stack file");
				yaml_document_delete(&extra);
				yaml_parser_delete(&parser);
				goto cleanup;
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	rc = walk_section(&w, schema_root, NULL, root, 0);
	if (rc)
		goto cleanup;
	rc = finish(&w, root, ov);
cleanup:
	if (have_doc)
		yaml_document_delete(&doc);
	free(w.dir);
	if (rc) {
		craft_config_free(c);
		return rc;
	}
	*out = c;
	return CRAFT_OK;
}

craft_code craft_config_load(struct craft_config **out, const char *path,
                             const struct craft_config_overrides *ov, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(MAX_FILE);
	craft_code rc;

	*out = NULL;
	/* Any stack file that cannot be read is a configuration error (exit 2):
	 * nothing was changed. */
	if (craft_buf_read_file(&b, path, err))
		return craft_err_recode(err, CRAFT_ECONFIG);
	rc = craft_config_parse(out, path, craft_buf_str(&b), b.len, ov, err);
	craft_buf_release(&b);
	return rc;
}

/* ---- the generated key ---- */

craft_code craft_config_generated_key_path(char **out, const char *stack, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);
	const char *xdg = craft_env_get("XDG_CONFIG_HOME");
	const char *home = craft_env_get("HOME");
	craft_code rc;

	*out = NULL;
	if (xdg && xdg[0] == '/')
		rc = craft_buf_printf(&b, "%s/craftctl/%s/id_ed25519", xdg, stack);
	else if (home)
		rc = craft_buf_printf(&b, "%s/.config/craftctl/%s/id_ed25519", home, stack);
	else
		return craft_err_set(err, CRAFT_ECONFIG,
		                     "cannot place the generated key: neither XDG_CONFIG_HOME nor "
		                     "HOME is set (set instance.ssh_key)");
	if (rc)
		return craft_err_set(err, rc, "path too long");
	*out = craft_buf_detach(&b, NULL);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

craft_code craft_config_ensure_key(struct craft_config *c, int *created, struct craft_err *err)
{
	char *path = NULL;
	char *dir = NULL;
	char why[600];
	char comment[64];
	craft_code rc;

	if (created)
		*created = 0;
	if (!c->ssh_key_generated)
		return CRAFT_OK;
	if (!c->ssh_key) {
		rc = craft_config_generated_key_path(&c->ssh_key, c->stack, err);
		if (rc)
			return rc;
	}
	if (access(c->ssh_key, F_OK) == 0) {
		if (craft_ssh_keyfile_check(c->ssh_key, why, sizeof(why)))
			return craft_err_set(err, CRAFT_ECONFIG, "generated key: %s", why);
		return CRAFT_OK;
	}
	if (!(path = strdup(c->ssh_key)))
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	dir = dir_of(path);
	if (!dir) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = craft_mkdir_p(dir, err);
	if (rc)
		goto cleanup;
	snprintf(comment, sizeof(comment), "craftctl-%s", c->stack);
	rc = craft_ssh_keyfile_generate(path, comment, err);
	if (rc)
		goto cleanup;
	if (created)
		*created = 1;
cleanup:
	free(path);
	free(dir);
	return rc;
}

craft_code craft_config_public_key(char **out, const struct craft_config *c, struct craft_err *err)
{
	char pub[4200];
	char line[8192];
	FILE *f;
	size_t n;

	*out = NULL;
	if (!c->ssh_key)
		return craft_err_set(err, CRAFT_EINTERNAL, "no ssh key yet");
	snprintf(pub, sizeof(pub), "%s.pub", c->ssh_key);
	f = fopen(pub, "r");
	if (!f)
		return craft_err_set(err, CRAFT_ECONFIG, "cannot read '%s': %s", pub,
		                     strerror(errno));
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return craft_err_set(err, CRAFT_ECONFIG, "'%s' is empty", pub);
	}
	fclose(f);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (strncmp(line, "ssh-", 4) != 0 && strncmp(line, "ecdsa-", 6) != 0)
		return craft_err_set(err, CRAFT_ECONFIG, "'%s' is not an OpenSSH public key", pub);
	*out = strdup(line);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

craft_code craft_config_remove_generated_key(const char *stack, struct craft_err *err)
{
	char *path = NULL;
	char pub[4200];
	craft_code rc = craft_config_generated_key_path(&path, stack, err);

	if (rc)
		return rc;
	snprintf(pub, sizeof(pub), "%s.pub", path);
	if ((unlink(path) != 0 && errno != ENOENT) || (unlink(pub) != 0 && errno != ENOENT))
		rc = craft_err_set(err, CRAFT_EIO, "cannot remove the generated key '%s': %s", path,
		                   strerror(errno));
	free(path);
	return rc;
}
