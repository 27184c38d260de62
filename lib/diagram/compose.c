/*
 * compose — services, ports and depends_on of a docker-compose file (libyaml).
 */
#include "diagram/compose.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"

#define COMPOSE_MAX_BYTES (4u << 20)

static yaml_node_t *node_at(yaml_document_t *doc, int i)
{
	return yaml_document_get_node(doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(node_at(doc, p->key));

		if (k && strcmp(k, key) == 0)
			return node_at(doc, p->value);
	}
	return NULL;
}

static craft_code at(struct craft_err *err, const char *name, const yaml_node_t *n,
                     const char *what)
{
	return craft_err_set(err, CRAFT_ECONFIG, "'%s': line %zu, column %zu: %s", name,
	                     n->start_mark.line + 1, n->start_mark.column + 1, what);
}

/* Truncating copy (cap > 0). */
static void copy(char *out, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

/* "127.0.0.1:80:8080/tcp" -> "80:8080"; "8080" (container only, a random
 * host port) -> "8080". */
static void short_port(char *out, size_t cap, const char *s)
{
	char tmp[128];
	char *slash, *last, *prev;

	copy(tmp, sizeof(tmp), s);
	slash = strchr(tmp, '/');
	if (slash && !strchr(slash, '}'))
		*slash = '\0';
	/* the container port is after the last ':' that is outside ${...} */
	last = prev = NULL;
	for (char *p = tmp, *open = NULL; *p; p++) {
		if (p[0] == '$' && p[1] == '{')
			open = p;
		else if (*p == '}')
			open = NULL;
		else if (*p == ':' && !open) {
			prev = last;
			last = p;
		}
	}
	copy(out, cap, prev ? prev + 1 : tmp);
}

static craft_code service(struct craft_compose_service *s, yaml_document_t *doc, const char *name,
                          const yaml_node_t *def, const char *file, struct craft_err *err)
{
	yaml_node_t *n;

	if (def->type != YAML_MAPPING_NODE)
		return at(err, file, def, "a service must be a mapping");
	copy(s->image, sizeof(s->image), scalar(map_get(doc, def, "image")));
	copy(s->network_mode, sizeof(s->network_mode), scalar(map_get(doc, def, "network_mode")));
	n = map_get(doc, def, "build");
	if (scalar(n))
		copy(s->build, sizeof(s->build), scalar(n));
	else if (n && n->type == YAML_MAPPING_NODE)
		copy(s->build, sizeof(s->build),
		     scalar(map_get(doc, n, "context")) ? scalar(map_get(doc, n, "context")) : ".");
	n = map_get(doc, def, "ports");
	if (n && n->type != YAML_SEQUENCE_NODE)
		return at(err, file, n, "ports must be a list");
	for (yaml_node_item_t *it = n ? n->data.sequence.items.start : NULL;
	     n && it < n->data.sequence.items.top && s->nports < CRAFT_COMPOSE_MAX_PORTS; it++) {
		yaml_node_t *p = node_at(doc, *it);
		char *out = s->ports[s->nports];

		if (scalar(p)) {
			short_port(out, sizeof(s->ports[0]), scalar(p));
		} else if (p && p->type == YAML_MAPPING_NODE) {
			const char *target = scalar(map_get(doc, p, "target"));
			const char *pub = scalar(map_get(doc, p, "published"));

			if (!target)
				return at(err, file, p, "a port mapping needs 'target'");
			snprintf(out, sizeof(s->ports[0]), "%s%s%s", pub ? pub : "", pub ? ":" : "",
			         target);
		} else {
			return at(err, file, p ? p : n, "a port must be a string or a mapping");
		}
		s->nports++;
	}
	n = map_get(doc, def, "depends_on");
	if (n && n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top && s->ndeps < CRAFT_COMPOSE_MAX_DEPS; it++) {
			const char *d = scalar(node_at(doc, *it));

			if (!d)
				return at(err, file, node_at(doc, *it),
				          "depends_on entries must be service names");
			copy(s->deps[s->ndeps++], sizeof(s->deps[0]), d);
		}
	} else if (n && n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top && s->ndeps < CRAFT_COMPOSE_MAX_DEPS; p++) {
			const char *d = scalar(node_at(doc, p->key));

			if (d)
				copy(s->deps[s->ndeps++], sizeof(s->deps[0]), d);
		}
	} else if (n && !(scalar(n) && !*scalar(n))) {
		return at(err, file, n, "depends_on must be a list or a mapping");
	}
	(void)name;
	return CRAFT_OK;
}

craft_code craft_compose_parse(struct craft_compose *out, const char *name, const char *text,
                               size_t len, struct craft_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *services;
	craft_code rc = CRAFT_OK;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser))
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': line %zu, column %zu: %s", name,
		                   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		                   parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = craft_err_set(err, CRAFT_ECONFIG, "'%s': line 1, column 1: the file is empty",
		                   name);
		goto done;
	}
	services = map_get(&doc, root, "services");
	if (root->type != YAML_MAPPING_NODE) {
		rc = at(err, name, root, "expected a mapping with 'services'");
		goto done;
	}
	if (!services) {
		rc = at(err, name, root, "no 'services' mapping");
		goto done;
	}
	if (services->type != YAML_MAPPING_NODE) {
		rc = at(err, name, services, "'services' must be a mapping");
		goto done;
	}
	for (yaml_node_pair_t *p = services->data.mapping.pairs.start;
	     p < services->data.mapping.pairs.top; p++) {
		const char *svc = scalar(node_at(&doc, p->key));
		struct craft_compose_service *s;

		if (!svc || !*svc) {
			rc = at(err, name, node_at(&doc, p->key),
			        "a service name must be a string");
			goto done;
		}
		if (out->n >= CRAFT_COMPOSE_MAX_SERVICES) {
			rc = at(err, name, node_at(&doc, p->key), "too many services (at most 32)");
			goto done;
		}
		s = &out->svc[out->n++];
		copy(s->name, sizeof(s->name), svc);
		rc = service(s, &doc, svc, node_at(&doc, p->value), name, err);
		if (rc)
			goto done;
	}
	/* a dependency on a service that is not there is the file's mistake */
	for (int i = 0; i < out->n; i++)
		for (int d = 0; d < out->svc[i].ndeps; d++)
			if (craft_compose_find(out, out->svc[i].deps[d]) < 0) {
				yaml_node_t *def = map_get(&doc, services, out->svc[i].name);
				yaml_node_t *dn = map_get(&doc, def, "depends_on");
				char msg[200];

				snprintf(msg, sizeof(msg),
				         "service '%s' depends on '%s', which is not defined",
				         out->svc[i].name, out->svc[i].deps[d]);
				rc = at(err, name, dn ? dn : def, msg);
				goto done;
			}
done:
	if (rc)
		memset(out, 0, sizeof(*out));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

craft_code craft_compose_load(struct craft_compose *out, const char *path, struct craft_err *err)
{
	struct craft_buf text = CRAFT_BUF_INIT(COMPOSE_MAX_BYTES);
	craft_code rc;

	memset(out, 0, sizeof(*out));
	rc = craft_buf_read_file(&text, path, err);
	if (!rc)
		rc = craft_compose_parse(out, path, craft_buf_str(&text), text.len, err);
	craft_buf_release(&text);
	return rc;
}

int craft_compose_find(const struct craft_compose *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->svc[i].name, name) == 0)
			return i;
	return -1;
}

static const char *var(const struct craft_compose_var *vars, int nvars, const char *name,
                       size_t len)
{
	const char *v = NULL;

	/* the last one wins, as in an env file */
	for (int i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len && strncmp(vars[i].name, name, len) == 0)
			v = vars[i].value;
	return v;
}

static size_t append(char *out, size_t o, size_t outsz, const char *s, size_t n)
{
	while (n-- && *s && o + 1 < outsz)
		out[o++] = *s++;
	return o;
}

void craft_compose_interpolate(char *out, size_t outsz, const char *s,
                               const struct craft_compose_var *vars, int nvars)
{
	size_t o = 0;

	if (!outsz)
		return;
	while (*s && o + 1 < outsz) {
		const char *end = s[0] == '$' && s[1] == '{' ? strchr(s, '}') : NULL;
		const char *p = s + 2, *name = s + 2, *value;
		size_t len;
		int colon = 0;

		if (s[0] == '$' && s[1] == '$') {
			o = append(out, o, outsz, s, 2); /* an escaped '$': as written */
			s += 2;
			continue;
		}
		if (!end) {
			out[o++] = *s++;
			continue;
		}
		while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		len = (size_t)(p - name);
		if (p < end && *p == ':') {
			colon = 1;
			p++;
		}
		if (!len || (p < end && *p != '-' && *p != '?') || (p == end && colon)) {
			out[o++] = *s++; /* not an interpolation we know: as written */
			continue;
		}
		value = var(vars, nvars, name, len);
		if (value && (*value || !colon || p == end)) {
			o = append(out, o, outsz, value, strlen(value));
		} else if (p < end && *p == '-') {
			o = append(out, o, outsz, p + 1, (size_t)(end - p - 1));
		} else {
			o = append(out, o, outsz, s,
			           (size_t)(end - s + 1)); /* unknown: as written */
		}
		s = end + 1;
	}
	out[o] = '\0';
}
