#include "aws/profile.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

#define PROFILE_MAX_FILE (4u << 20)

void craft_profile_init(struct craft_profile_file *f, int config_format)
{
	memset(f, 0, sizeof(*f));
	f->config_format = config_format;
}

void craft_profile_release(struct craft_profile_file *f)
{
	for (int i = 0; i < f->n; i++) {
		for (int j = 0; j < f->sec[i].n; j++) {
			/* Values may be secret keys: wiped before they are freed. */
			OPENSSL_cleanse(f->sec[i].kv[j].value, strlen(f->sec[i].kv[j].value));
			free(f->sec[i].kv[j].key);
			free(f->sec[i].kv[j].value);
		}
		free(f->sec[i].kv);
		free(f->sec[i].name);
	}
	free(f->sec);
	craft_profile_init(f, f->config_format);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *dup_trim(const char *s, size_t len)
{
	char *out;

	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	out = malloc(len + 1);
	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

static struct craft_profile_section *find_section(const struct craft_profile_file *f,
                                                  const char *name, int is_profile)
{
	for (int i = f->n - 1; i >= 0; i--)
		if (f->sec[i].is_profile == is_profile && strcmp(f->sec[i].name, name) == 0)
			return &f->sec[i];
	return NULL;
}

static craft_code open_section(struct craft_profile_file *f, char *raw,
                               struct craft_profile_section **out)
{
	const char *name = raw;
	int is_profile = 1;
	struct craft_profile_section *s;
	char *nm;

	if (f->config_format && strcmp(raw, "default") != 0) {
		if (strncmp(raw, "profile", 7) == 0 && is_space(raw[7])) {
			name = raw + 8;
			while (is_space(*name))
				name++;
		} else {
			is_profile = 0; /* sso-session, services, ...: kept, not a profile */
		}
	}
	s = find_section(f, name, is_profile);
	if (s) {
		*out = s;
		return CRAFT_OK;
	}
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 8;
		struct craft_profile_section *ns = realloc(f->sec, (size_t)cap * sizeof(*ns));

		if (!ns)
			return CRAFT_ENOMEM;
		f->sec = ns;
		f->cap = cap;
	}
	nm = strdup(name);
	if (!nm)
		return CRAFT_ENOMEM;
	s = &f->sec[f->n++];
	memset(s, 0, sizeof(*s));
	s->name = nm;
	s->is_profile = is_profile;
	*out = s;
	return CRAFT_OK;
}

static craft_code set_kv(struct craft_profile_section *s, char *key, char *value)
{
	for (int i = 0; i < s->n; i++) {
		if (strcasecmp(s->kv[i].key, key) == 0) {
			OPENSSL_cleanse(s->kv[i].value, strlen(s->kv[i].value));
			free(s->kv[i].value);
			s->kv[i].value = value;
			free(key);
			return CRAFT_OK;
		}
	}
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 8;
		struct craft_profile_kv *nk = realloc(s->kv, (size_t)cap * sizeof(*nk));

		if (!nk) {
			free(key);
			free(value);
			return CRAFT_ENOMEM;
		}
		s->kv = nk;
		s->cap = cap;
	}
	s->kv[s->n].key = key;
	s->kv[s->n].value = value;
	s->n++;
	return CRAFT_OK;
}

craft_code craft_profile_parse(struct craft_profile_file *f, const char *name, const char *text,
                               size_t len, struct craft_err *err)
{
	struct craft_profile_section *cur = NULL;
	char parent[256] = "";
	size_t pos = 0;
	int lineno = 0;
	craft_code rc = CRAFT_OK;

	if (len > PROFILE_MAX_FILE)
		return craft_err_set(err, CRAFT_ETOOBIG, "'%s' is too large", name);
	while (pos < len && rc == CRAFT_OK) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - line) : len - pos;
		size_t i = 0;
		int indented;
		const char *eq;

		pos += l + (nl ? 1 : 0);
		lineno++;
		while (i < l && is_space(line[i]))
			i++;
		indented = i > 0;
		if (i == l || line[i] == '#' || line[i] == ';')
			continue;
		if (memchr(line + i, '\0', l - i))
			return craft_err_set(err, CRAFT_ECONFIG, "%s:%d: NUL byte in line", name,
			                     lineno);
		if (line[i] == '[') {
			const char *close = memchr(line + i, ']', l - i);
			char *raw;

			if (!close)
				return craft_err_set(err, CRAFT_ECONFIG,
				                     "%s:%d: section header without ']'", name,
				                     lineno);
			raw = dup_trim(line + i + 1, (size_t)(close - line - i - 1));
			if (!raw)
				return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
			rc = open_section(f, raw, &cur);
			free(raw);
			parent[0] = '\0';
			continue;
		}
		eq = memchr(line + i, '=', l - i);
		if (!eq)
			eq = memchr(line + i, ':', l - i);
		if (!eq)
			return craft_err_set(err, CRAFT_ECONFIG,
			                     "%s:%d: expected 'key = value' or '[section]'", name,
			                     lineno);
		if (!cur)
			return craft_err_set(err, CRAFT_ECONFIG,
			                     "%s:%d: key outside of a [section]", name, lineno);
		{
			char *key = dup_trim(line + i, (size_t)(eq - line - i));
			char *value = dup_trim(eq + 1, (size_t)(line + l - eq - 1));

			if (!key || !value || !*key) {
				int empty = key && !*key;

				free(key);
				free(value);
				if (empty)
					return craft_err_set(err, CRAFT_ECONFIG, "%s:%d: empty key",
					                     name, lineno);
				return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
			}
			if (indented && parent[0]) {
				size_t need = strlen(parent) + 1 + strlen(key) + 1;
				char *full = malloc(need);

				if (!full) {
					free(key);
					free(value);
					return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
				}
				snprintf(full, need, "%s.%s", parent, key);
				free(key);
				key = full;
			} else if (!*value && strlen(key) < sizeof(parent)) {
				memcpy(parent, key, strlen(key) + 1);
			} else {
				parent[0] = '\0';
			}
			rc = set_kv(cur, key, value);
		}
	}
	if (rc != CRAFT_OK)
		return craft_err_set(err, rc, "%s: %s", name, craft_code_name(rc));
	return CRAFT_OK;
}

craft_code craft_profile_load(struct craft_profile_file *f, const char *path, struct craft_err *err)
{
	struct craft_buf text = CRAFT_BUF_INIT(PROFILE_MAX_FILE);
	craft_code rc;

	rc = craft_buf_read_file(&text, path, err);
	if (!rc)
		rc = craft_profile_parse(f, path, craft_buf_str(&text), text.len, err);
	/* The credentials file holds secret keys: like the parsed values, the
	 * raw text does not outlive its use. */
	if (text.data)
		OPENSSL_cleanse(text.data, text.len);
	craft_buf_release(&text);
	return rc;
}

const char *craft_profile_get(const struct craft_profile_file *f, const char *profile,
                              const char *key)
{
	const struct craft_profile_section *s = find_section(f, profile, 1);

	for (int i = 0; s && i < s->n; i++)
		if (strcasecmp(s->kv[i].key, key) == 0)
			return s->kv[i].value;
	return NULL;
}

int craft_profile_has(const struct craft_profile_file *f, const char *profile)
{
	return find_section(f, profile, 1) != NULL;
}

const char *craft_profile_section_get(const struct craft_profile_file *f, const char *kind,
                                      const char *name, const char *key)
{
	size_t kl = strlen(kind);

	for (int i = f->n - 1; i >= 0; i--) {
		const struct craft_profile_section *s = &f->sec[i];
		const char *p = s->name;

		if (s->is_profile || strncmp(p, kind, kl) != 0 || !is_space(p[kl]))
			continue;
		for (p += kl; is_space(*p); p++)
			;
		if (strcmp(p, name) != 0)
			continue;
		for (int j = 0; j < s->n; j++)
			if (strcasecmp(s->kv[j].key, key) == 0)
				return s->kv[j].value;
		return NULL;
	}
	return NULL;
}
