/* .dockerignore parsing and matching, as Docker does it (see bundle.h). */
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/bundle.h"

void craft_ignore_init(struct craft_ignore *ig)
{
	ig->pat = NULL;
	ig->neg = NULL;
	ig->n = 0;
}

void craft_ignore_release(struct craft_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		free(ig->pat[i]);
	free(ig->pat);
	free(ig->neg);
	craft_ignore_init(ig);
}

/* Lexically cleans a relative path: drops "." and empty segments, resolves
 * "..". Returns -1 when it climbs above its start. */
int craft_path_clean(const char *in, char *out, size_t outlen)
{
	char tmp[PATH_MAX];
	char *segs[512];
	int nseg = 0;
	size_t used = 0;
	char *p, *save = NULL;

	if (strlen(in) >= sizeof(tmp))
		return -1;
	memcpy(tmp, in, strlen(in) + 1);
	for (p = strtok_r(tmp, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			if (nseg == 0)
				return -1;
			nseg--;
			continue;
		}
		if (nseg >= 512)
			return -1;
		segs[nseg++] = p;
	}
	out[0] = '\0';
	for (int i = 0; i < nseg; i++) {
		size_t n = strlen(segs[i]);

		if (used + n + 2 > outlen)
			return -1;
		if (i)
			out[used++] = '/';
		memcpy(out + used, segs[i], n);
		used += n;
		out[used] = '\0';
	}
	return 0;
}

craft_code craft_ignore_parse(struct craft_ignore *ig, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[PATH_MAX], clean[PATH_MAX];
		char *s, *e;
		int neg = 0;
		char **np;
		int *nn;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : NULL;
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*s == '#' || *s == '\0')
			continue;
		if (*s == '!') {
			neg = 1;
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
		}
		while (*s == '/')
			s++;
		if (craft_path_clean(s, clean, sizeof(clean)) != 0 || !clean[0])
			continue;
		np = realloc(ig->pat, (ig->n + 1) * sizeof(*np));
		if (!np)
			return CRAFT_ENOMEM;
		ig->pat = np;
		nn = realloc(ig->neg, (ig->n + 1) * sizeof(*nn));
		if (!nn)
			return CRAFT_ENOMEM;
		ig->neg = nn;
		ig->pat[ig->n] = strdup(clean);
		if (!ig->pat[ig->n])
			return CRAFT_ENOMEM;
		ig->neg[ig->n] = neg;
		ig->n++;
	}
	return CRAFT_OK;
}

/* Matches '/'-separated segments; "**" spans zero or more segments. */
static int seg_match(char **ps, int np, char **xs, int nx)
{
	if (np == 0)
		return nx == 0;
	if (strcmp(ps[0], "**") == 0) {
		for (int k = 0; k <= nx; k++)
			if (seg_match(ps + 1, np - 1, xs + k, nx - k))
				return 1;
		return 0;
	}
	if (nx == 0)
		return 0;
	if (fnmatch(ps[0], xs[0], 0) != 0)
		return 0;
	return seg_match(ps + 1, np - 1, xs + 1, nx - 1);
}

static int split(char *s, char **segs, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *p = strtok_r(s, "/", &save); p && n < max; p = strtok_r(NULL, "/", &save))
		segs[n++] = p;
	return n;
}

static int pattern_matches(const char *pattern, const char *path)
{
	char pbuf[PATH_MAX], xbuf[PATH_MAX];
	char *ps[256], *xs[256];
	int np, nx;

	if (strlen(pattern) >= sizeof(pbuf) || strlen(path) >= sizeof(xbuf))
		return 0;
	memcpy(pbuf, pattern, strlen(pattern) + 1);
	memcpy(xbuf, path, strlen(path) + 1);
	np = split(pbuf, ps, 256);
	nx = split(xbuf, xs, 256);
	/* The path itself or one of its parent directories. */
	for (int k = nx; k >= 1; k--)
		if (seg_match(ps, np, xs, k))
			return 1;
	return 0;
}

int craft_ignore_excluded(const struct craft_ignore *ig, const char *path)
{
	int excluded = 0;

	for (size_t i = 0; i < ig->n; i++)
		if (pattern_matches(ig->pat[i], path))
			excluded = !ig->neg[i];
	return excluded;
}

int craft_ignore_has_negation(const struct craft_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		if (ig->neg[i])
			return 1;
	return 0;
}
