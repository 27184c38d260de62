/*
 * config — the stack file, parsed with libyaml's document API and walked
 * against the key table `schema` below. Defaults live in config_defaults().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/env.h"

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

/* ---- small validators: return NULL when fine, else what was expected ---- */

typedef const char *(*check_fn)(const char *v);

static int all_chars(const char *v, const char *allowed_extra, int lower_only)
{
	for (const char *p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (lower_only ? (islower(ch) || isdigit(ch)) : (isalnum(ch)))
			continue;
		if (strchr(allowed_extra, *p))
			continue;
		return 0;
	}
	return 1;
}

static const char *check_stack(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 32 || !all_chars(v, "-", 1) || v[0] == '-' || v[n - 1] == '-')
		return "a stack name of 1 to 32 characters a-z, 0-9 and '-' (not at either end)";
	return NULL;
}

static const char *check_region(const char *v)
{
	/* two letters, one or more -word parts, a number: us-east-2, us-gov-west-1 */
	const char *p = v;
	int parts = 0;

	if (!islower((unsigned char)p[0]) || !islower((unsigned char)p[1]) || p[2] != '-')
		goto bad;
	p += 2;
	while (*p == '-') {
		p++;
		if (islower((unsigned char)*p)) {
			while (islower((unsigned char)*p))
				p++;
			parts++;
			continue;
		}
		if (isdigit((unsigned char)*p) && parts > 0) {
			while (isdigit((unsigned char)*p))
				p++;
			if (*p == '\0')
				return NULL;
		}
		break;
	}
bad:
	return "an AWS region such as us-east-2";
}

int craft_cidr_parse(const char *s, unsigned *addr, int *prefix)
{
	unsigned a = 0;
	long pre;
	const char *p = s;
	char *end;

	for (int i = 0; i < 4; i++) {
		long oct;

		if (!isdigit((unsigned char)*p))
			return -1;
		oct = strtol(p, &end, 10);
		if (oct < 0 || oct > 255 || end - p > 3 || (end - p > 1 && *p == '0'))
			return -1;
		a = (a << 8) | (unsigned)oct;
		p = end;
		if (i < 3) {
			if (*p != '.')
				return -1;
			p++;
		}
	}
	if (*p != '/' || !isdigit((unsigned char)p[1]))
		return -1;
	pre = strtol(p + 1, &end, 10);
	if (*end || pre < 0 || pre > 32 || end - (p + 1) > 2)
		return -1;
	if (pre < 32 && (a & (0xffffffffu >> pre)) != 0)
		return -2; /* host bits set */
	if (addr)
		*addr = a;
	if (prefix)
		*prefix = (int)pre;
	return 0;
}

static const char *check_vpc_cidr(const char *v)
{
	int pre;
	int rc = craft_cidr_parse(v, NULL, &pre);

	if (rc == -2)
		return "a network address with the host bits zero (e.g. 10.20.0.0/16)";
	if (rc < 0)
		return "an IPv4 CIDR block such as 10.20.0.0/16";
	if (pre < 16 || pre > 24)
		return "a VPC block between /16 and /24 (subnets are carved as /prefix+4)";
	return NULL;
}

static const char *check_source(const char *v)
{
	int rc;

	if (strcmp(v, "auto") == 0)
		return NULL;
	rc = craft_cidr_parse(v, NULL, NULL);
	if (rc == -2)
		return "a CIDR with the host bits zero (e.g. 203.0.113.7/32)";
	if (rc < 0)
		return "an IPv4 CIDR such as 203.0.113.7/32, or 'auto'";
	return NULL;
}

static const char *check_instance_type(const char *v)
{
	const char *dot = strchr(v, '.');
	size_t n = strlen(v);

	if (!dot || dot == v || !dot[1] || strchr(dot + 1, '.') || n > 32 ||
	    !islower((unsigned char)v[0]) || !all_chars(v, ".-", 1))
		return "an instance type such as t3.medium";
	for (const char *p = v; p < dot; p++)
		if (isdigit((unsigned char)*p))
			return NULL;
	return "an instance type such as t3.medium";
}

static const char *check_image(const char *v)
{
	size_t n = strlen(v);

	if (strcmp(v, "ubuntu-24.04") == 0 || strcmp(v, "ubuntu-22.04") == 0)
		return NULL;
	if (strncmp(v, "ami-", 4) == 0 && (n == 12 || n == 21)) {
		for (const char *p = v + 4; *p; p++)
			if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
				goto bad;
		return NULL;
	}
bad:
	return "'ubuntu-24.04', 'ubuntu-22.04' or an image id such as ami-0abcdef1234567890";
}

static const char *check_volume_type(const char *v)
{
	if (strcmp(v, "gp3") == 0 || strcmp(v, "gp2") == 0 || strcmp(v, "standard") == 0)
		return NULL;
	return "a root volume type: gp3, gp2 or standard";
}

static const char *check_user(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 32 || !(islower((unsigned char)v[0]) || v[0] == '_') ||
	    !all_chars(v, "_-", 1))
		return "a user name such as ubuntu";
	return NULL;
}

static const char *check_nonempty(const char *v)
{
	return *v ? NULL : "a non-empty value";
}

static const char *check_path(const char *v)
{
	if (!*v)
		return "a path";
	if (strstr(v, ".."))
		return "a path inside the project (no '..')";
	return NULL;
}

static const char *check_http_path(const char *v)
{
	if (v[0] != '/')
		return "a path starting with '/' such as /api/health";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '#' || *p == '"' || *p == '\\')
			return "a URL path without spaces, quotes or '#'";
	return NULL;
}

static const char *check_varname(const char *v)
{
	if (!*v || isdigit((unsigned char)v[0]) || !all_chars(v, "_", 0) || strlen(v) > 64)
		return "a variable name of letters, digits and '_' (not starting with a digit)";
	return NULL;
}

static const char *check_env_value(const char *v)
{
	for (const char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			return "a single-line value";
	return strlen(v) > 4096 ? "a value of at most 4096 characters" : NULL;
}

static const char *check_tag_key(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 128)
		return "a tag key of 1 to 128 characters";
	if (strncmp(v, "aws:", 4) == 0 || strncmp(v, "craftctl:", 9) == 0 || strcmp(v, "Name") == 0)
		return "a tag key of your own (aws:*, craftctl:* and Name are set by craftctl)";
	return NULL;
}

static const char *check_tag_value(const char *v)
{
	return strlen(v) > 256 ? "a tag value of at most 256 characters" : NULL;
}

/* ---- the key table ---- */

enum ftype { T_STR, T_INT, T_STRLIST, T_MAP, T_SECTION };

struct field {
	const char *key;
	enum ftype type;
	size_t off;       /* T_STR: char*; T_INT: int; T_STRLIST: char*[]; T_MAP: kv[] */
	size_t count_off; /* T_STRLIST, T_MAP */
	const struct field *sub;
	check_fn check;      /* value (T_STR, list items, map values) */
	check_fn check_key;  /* T_MAP keys */
	long min, max;       /* T_INT range; T_STRLIST/T_MAP maximum count in max */
	const char *special; /* ssh_key, ... handled after the walk */
};

#define OFF(m) offsetof(struct craft_config, m)
#define END                                                     \
	{                                                       \
		NULL, T_STR, 0, 0, NULL, NULL, NULL, 0, 0, NULL \
	}

static const struct field root_volume_fields[] = {
	{ "size_gb", T_INT, OFF(root_size_gb), 0, NULL, NULL, NULL, 8, 16384, NULL },
	{ "type", T_STR, OFF(root_type), 0, NULL, check_volume_type, NULL, 0, 0, NULL },
	END,
};

static const struct field network_fields[] = {
	{ "cidr", T_STR, OFF(cidr), 0, NULL, check_vpc_cidr, NULL, 0, 0, NULL },
	{ "availability_zones", T_INT, OFF(az_count), 0, NULL, NULL, NULL, 1, 6, NULL },
	END,
};

static const struct field instance_fields[] = {
	{ "type", T_STR, OFF(instance_type), 0, NULL, check_instance_type, NULL, 0, 0, NULL },
	{ "image", T_STR, OFF(image), 0, NULL, check_image, NULL, 0, 0, NULL },
	{ "root_volume", T_SECTION, 0, 0, root_volume_fields, NULL, NULL, 0, 0, NULL },
	{ "ssh_user", T_STR, OFF(ssh_user), 0, NULL, check_user, NULL, 0, 0, NULL },
	{ "ssh_key", T_STR, OFF(ssh_key), 0, NULL, check_nonempty, NULL, 0, 0, "ssh_key" },
	{ "ssh_port", T_INT, OFF(ssh_port), 0, NULL, NULL, NULL, 1, 65535, NULL },
	END,
};

static const struct field access_fields[] = {
	{ "ssh_from", T_STRLIST, OFF(ssh_from), OFF(n_ssh_from), NULL, check_source, NULL, 1,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	{ "http_from", T_STRLIST, OFF(http_from), OFF(n_http_from), NULL, check_source, NULL, 0,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	END,
};

static const struct field deploy_fields[] = {
	{ "compose_file", T_STR, OFF(compose_file), 0, NULL, check_path, NULL, 0, 0, NULL },
	{ "http_port", T_INT, OFF(http_port), 0, NULL, NULL, NULL, 1, 65535, NULL },
	{ "health_path", T_STR, OFF(health_path), 0, NULL, check_http_path, NULL, 0, 0, NULL },
	{ "env", T_MAP, OFF(env), OFF(n_env), NULL, check_env_value, check_varname, 0,
	  CRAFT_CONFIG_MAX_MAP, NULL },
	{ "secrets", T_STRLIST, OFF(secrets), OFF(n_secrets), NULL, check_varname, NULL, 0,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	END,
};

static const struct field schema[] = {
	{ "stack", T_STR, OFF(stack), 0, NULL, check_stack, NULL, 0, 0, NULL },
	{ "region", T_STR, OFF(region), 0, NULL, check_region, NULL, 0, 0, NULL },
	{ "network", T_SECTION, 0, 0, network_fields, NULL, NULL, 0, 0, NULL },
	{ "instance", T_SECTION, 0, 0, instance_fields, NULL, NULL, 0, 0, NULL },
	{ "access", T_SECTION, 0, 0, access_fields, NULL, NULL, 0, 0, NULL },
	{ "deploy", T_SECTION, 0, 0, deploy_fields, NULL, NULL, 0, 0, NULL },
	{ "tags", T_MAP, OFF(tags), OFF(n_tags), NULL, check_tag_value, check_tag_key, 0, 40,
	  NULL },
	END,
};

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
	free(c->ssh_user);
	free(c->ssh_key);
	free(c->compose_file);
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

/* ---- "did you mean" ---- */

int craft_config_distance(const char *a, const char *b)
{
	/* optimal string alignment distance, bounded to short keys */
	int la = (int)strlen(a), lb = (int)strlen(b);
	int d[34][34];

	if (la > 32 || lb > 32)
		return 99;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		for (int j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) !=
			           tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

static const char *closest_key(const struct field *fields, const char *key)
{
	const char *best = NULL;
	int bestd = 99;
	int limit = (int)strlen(key) / 3 + 1;

	if (limit > 3)
		limit = 3;
	for (const struct field *f = fields; f->key; f++) {
		int d = craft_config_distance(key, f->key);

		if (d < bestd) {
			bestd = d;
			best = f->key;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* Where else in the schema a key is known: "'cidr' belongs under 'network'". */
static const char *home_of(const char *key, const struct field *except)
{
	for (const struct field *f = schema; f->key; f++) {
		if (f->type != T_SECTION || f->sub == except)
			continue;
		for (const struct field *s = f->sub; s->key; s++) {
			if (strcmp(s->key, key) == 0)
				return f->key;
			if (s->type == T_SECTION && s->sub != except)
				for (const struct field *t = s->sub; t->key; t++)
					if (strcmp(t->key, key) == 0)
						return s->key;
		}
	}
	return NULL;
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
			const char *near = closest_key(fields, key);
			const char *home = home_of(key, fields);

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

/* Checks that path is a readable private key with a .pub beside it. */
static const char *check_key_files(const char *path, char *why, size_t whysz)
{
	char head[128];
	char pub[4200];
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whysz, "cannot read '%.400s': %s", path, strerror(errno));
		return why;
	}
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	if (!strstr(head, "-----BEGIN ") || !strstr(head, "PRIVATE KEY-----")) {
		snprintf(why, whysz,
		         "'%.400s' is not a private key (expected a PEM or OpenSSH key)", path);
		return why;
	}
	if (snprintf(pub, sizeof(pub), "%s.pub", path) >= (int)sizeof(pub))
		return "key path too long";
	if (access(pub, R_OK) != 0) {
		snprintf(why, whysz, "'%.250s' has no public half '%.250s.pub' beside it", path,
		         path);
		return why;
	}
	return NULL;
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
		bad = check_stack(ov->stack);
		if (bad)
			return craft_err_set(w->err, CRAFT_ECONFIG,
			                     "invalid --stack '%.80s': expected %s", ov->stack,
			                     bad);
		free(c->stack);
		if (!(c->stack = strdup(ov->stack)))
			return craft_err_set(w->err, CRAFT_ENOMEM, "out of memory");
	}
	if (ov && ov->region) {
		bad = check_region(ov->region);
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
		bad = check_key_files(full, why, sizeof(why));
		if (bad) {
			free(full);
			return errat(w, find_node(w->doc, root, "instance", "ssh_key"),
			             "instance.ssh_key: %s", bad);
		}
		free(c->ssh_key);
		c->ssh_key = full;
		c->ssh_key_generated = 0;
	} else {
		c->ssh_key_generated = 1;
	}
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
	rc = walk_section(&w, schema, NULL, root, 0);
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

/* ---- helpers for the engine ---- */

int craft_config_is_arm64(const char *t)
{
	const char *dot = strchr(t, '.');
	const char *p = t;

	if (!dot)
		return 0;
	if (strncmp(t, "a1.", 3) == 0)
		return 1;
	while (p < dot && !isdigit((unsigned char)*p))
		p++;
	while (p < dot && isdigit((unsigned char)*p))
		p++;
	for (; p < dot; p++)
		if (*p == 'g')
			return 1;
	return 0;
}

craft_code craft_config_subnet_cidr(char *out, size_t outsz, const char *vpc_cidr, int index)
{
	unsigned a;
	int pre;
	unsigned s;

	if (craft_cidr_parse(vpc_cidr, &a, &pre) != 0 || pre > 24 || index < 0 || index > 15)
		return CRAFT_EINTERNAL;
	s = a | ((unsigned)index << (32 - pre - 4));
	snprintf(out, outsz, "%u.%u.%u.%u/%d", s >> 24, (s >> 16) & 255, (s >> 8) & 255, s & 255,
	         pre + 4);
	return CRAFT_OK;
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

static craft_code put_u32(struct craft_buf *b, unsigned v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		               (unsigned char)(v >> 8), (unsigned char)v };

	return craft_buf_add(b, x, 4);
}

static craft_code put_str(struct craft_buf *b, const void *d, size_t n)
{
	craft_code rc = put_u32(b, (unsigned)n);

	return rc ? rc : craft_buf_add(b, d, n);
}

static craft_code write_file(const char *path, const char *data, size_t n, int mode,
                             struct craft_err *err)
{
	char tmp[4200];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return craft_err_set(err, CRAFT_EIO, "path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	return CRAFT_OK;
}

/* Writes an unencrypted openssh-key-v1 ed25519 private key and its .pub. */
static craft_code generate_key(const char *path, const char *comment, struct craft_err *err)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char pk[32], sk[32], seckey[64], check[4];
	size_t pklen = sizeof(pk), sklen = sizeof(sk);
	struct craft_buf blob = CRAFT_BUF_INIT(4096), priv = CRAFT_BUF_INIT(4096);
	struct craft_buf file = CRAFT_BUF_INIT(8192), pub = CRAFT_BUF_INIT(4096);
	struct craft_buf pubblob = CRAFT_BUF_INIT(256);
	char pubpath[4200];
	craft_code rc = CRAFT_OK;
	const char *s;

	pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!pctx || EVP_PKEY_keygen_init(pctx) <= 0 || EVP_PKEY_keygen(pctx, &pkey) <= 0 ||
	    EVP_PKEY_get_raw_public_key(pkey, pk, &pklen) <= 0 ||
	    EVP_PKEY_get_raw_private_key(pkey, sk, &sklen) <= 0 || pklen != 32 || sklen != 32) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot generate an ed25519 key (OpenSSL)");
		goto cleanup;
	}
	memcpy(seckey, sk, 32);
	memcpy(seckey + 32, pk, 32);
	if (RAND_bytes(check, sizeof(check)) != 1) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot get random bytes (OpenSSL)");
		goto cleanup;
	}

	rc = put_str(&pubblob, "ssh-ed25519", 11);
	rc = rc ? rc : put_str(&pubblob, pk, 32);

	rc = rc ? rc : craft_buf_add(&priv, check, 4);
	rc = rc ? rc : craft_buf_add(&priv, check, 4);
	rc = rc ? rc : put_str(&priv, "ssh-ed25519", 11);
	rc = rc ? rc : put_str(&priv, pk, 32);
	rc = rc ? rc : put_str(&priv, seckey, 64);
	rc = rc ? rc : put_str(&priv, comment, strlen(comment));
	for (unsigned char pad = 1; !rc && priv.len % 8 != 0; pad++)
		rc = craft_buf_addch(&priv, (char)pad);

	rc = rc ? rc : craft_buf_add(&blob, "openssh-key-v1", 15);
	rc = rc ? rc : put_str(&blob, "none", 4);
	rc = rc ? rc : put_str(&blob, "none", 4);
	rc = rc ? rc : put_str(&blob, "", 0);
	rc = rc ? rc : put_u32(&blob, 1);
	rc = rc ? rc : put_str(&blob, pubblob.data, pubblob.len);
	rc = rc ? rc : put_str(&blob, priv.data, priv.len);
	if (rc) {
		rc = craft_err_set(err, rc, "cannot encode the generated key");
		goto cleanup;
	}
	{
		struct craft_buf enc = CRAFT_BUF_INIT(8192);

		rc = craft_base64_add(&enc, blob.data, blob.len);
		rc = rc ? rc : craft_buf_addstr(&file, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
		s = craft_buf_str(&enc);
		for (size_t off = 0; !rc && off < enc.len; off += 70) {
			size_t n = enc.len - off < 70 ? enc.len - off : 70;

			rc = craft_buf_add(&file, s + off, n);
			rc = rc ? rc : craft_buf_addch(&file, '\n');
		}
		rc = rc ? rc : craft_buf_addstr(&file, "-----END OPENSSH PRIVATE KEY-----\n");
		if (enc.data)
			OPENSSL_cleanse(enc.data, enc.len);
		craft_buf_release(&enc);
	}
	rc = rc ? rc : craft_buf_addstr(&pub, "ssh-ed25519 ");
	rc = rc ? rc : craft_base64_add(&pub, pubblob.data, pubblob.len);
	rc = rc ? rc : craft_buf_printf(&pub, " %s\n", comment);
	if (rc) {
		rc = craft_err_set(err, rc, "cannot encode the generated key");
		goto cleanup;
	}
	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath)) {
		rc = craft_err_set(err, CRAFT_EIO, "path too long");
		goto cleanup;
	}
	/* the .pub first: a private key without its .pub would be refused later */
	rc = write_file(pubpath, pub.data, pub.len, 0644, err);
	rc = rc ? rc : write_file(path, file.data, file.len, 0600, err);
cleanup:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(seckey, sizeof(seckey));
	if (priv.data)
		OPENSSL_cleanse(priv.data, priv.len);
	if (blob.data)
		OPENSSL_cleanse(blob.data, blob.len);
	if (file.data)
		OPENSSL_cleanse(file.data, file.len);
	craft_buf_release(&priv);
	craft_buf_release(&blob);
	craft_buf_release(&file);
	craft_buf_release(&pub);
	craft_buf_release(&pubblob);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return rc;
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
	if (!c->ssh_key_generated || c->ssh_key)
		return CRAFT_OK;
	rc = craft_config_generated_key_path(&path, c->stack, err);
	if (rc)
		return rc;
	if (access(path, F_OK) == 0) {
		if (check_key_files(path, why, sizeof(why))) {
			rc = craft_err_set(err, CRAFT_ECONFIG, "generated key: %s", why);
			goto cleanup;
		}
		c->ssh_key = path;
		return CRAFT_OK;
	}
	dir = dir_of(path);
	if (!dir) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = craft_mkdir_p(dir, err);
	if (rc)
		goto cleanup;
	snprintf(comment, sizeof(comment), "craftctl-%s", c->stack);
	rc = generate_key(path, comment, err);
	if (rc)
		goto cleanup;
	if (created)
		*created = 1;
	c->ssh_key = path;
	path = NULL;
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
