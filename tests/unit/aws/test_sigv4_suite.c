/*
 * The official SigV4 test suite (../shared/sigv4-suite/v4, read at run
 * time): all cases, header and query variants, every stage byte for byte.
 * One parameterised test per stage.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/sigv4.h"

#define SUITE_DIR "../shared/sigv4-suite/v4"
#define MAX_HDRS  32

struct suite_case {
	char name[96];
	int query; /* 0: header signing, 1: query (presigned) signing */
};

static char *slurp(const char *dir, const char *file, size_t *len)
{
	char path[512];
	FILE *f;
	char *data = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s/%s", SUITE_DIR, dir, file);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		if (data) {
			data[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return data;
}

static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, 95);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int case_names(char names[][96], int max)
{
	DIR *d = opendir(SUITE_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] == '.')
			continue;
		copy_name(names[n++], e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 96, (int (*)(const void *, const void *))strcmp);
	return n;
}

static struct criterion_test_params all_cases(void)
{
	static char names[128][96];
	int n = case_names(names, 128);
	struct suite_case *cases = cr_malloc(sizeof(*cases) * (size_t)(2 * (n ? n : 1)));

	if (n == 0) {
		/* No suite: one case that fails loudly, never zero silent ones. */
		snprintf(cases[0].name, sizeof(cases[0].name), "%s", "(missing " SUITE_DIR ")");
		cases[0].query = 0;
		return cr_make_param_array(struct suite_case, cases, 1, NULL);
	}
	for (int i = 0; i < n; i++) {
		for (int q = 0; q < 2; q++) {
			copy_name(cases[2 * i + q].name, names[i]);
			cases[2 * i + q].query = q;
		}
	}
	return cr_make_param_array(struct suite_case, cases, (size_t)(2 * n), NULL);
}

/* A parsed request.txt, plus everything needed to sign and render it. */
struct parsed {
	char *text;
	char *method, *path, *query, *uri;
	struct craft_sigv4_header hdrs[MAX_HDRS];
	int nhdrs;
	char *raw_headers; /* the header lines as written, each ending in \n */
	const char *body;
	size_t body_len;
	cJSON *ctx;
	struct craft_sigv4_params params;
	struct craft_sigv4_result res;
};

static void parse_request(struct parsed *p, const char *dir)
{
	size_t len = 0;
	char *line, *next, *end;
	char *raw_start;

	p->text = slurp(dir, "request.txt", &len);
	cr_assert_not_null(p->text, "cannot read %s/request.txt", dir);
	end = p->text + len;
	next = strchr(p->text, '\n');
	cr_assert_not_null(next);
	*next++ = '\0';
	p->method = p->text;
	p->uri = strchr(p->text, ' ');
	cr_assert_not_null(p->uri);
	*p->uri++ = '\0';
	*strrchr(p->uri, ' ') = '\0'; /* " HTTP/1.1" */
	p->uri = strdup(p->uri);
	p->path = strdup(p->uri);
	p->query = strchr(p->path, '?');
	if (p->query)
		*p->query++ = '\0';

	/* Headers: raw copy first (for rendering), then split in place. */
	raw_start = next;
	{
		char *s = next;
		size_t rl;

		while (s < end && *s != '\n') {
			char *nl = memchr(s, '\n', (size_t)(end - s));

			s = nl ? nl + 1 : end;
		}
		rl = (size_t)(s - raw_start);
		p->raw_headers = malloc(rl + 2);
		memcpy(p->raw_headers, raw_start, rl);
		p->raw_headers[rl] = '\0';
		if (rl && p->raw_headers[rl - 1] != '\n') {
			p->raw_headers[rl] = '\n';
			p->raw_headers[rl + 1] = '\0';
		}
		p->body = s < end ? s + 1 : end;
		p->body_len = (size_t)(end - p->body);
		if (s < end)
			*s = '\0';
	}
	line = raw_start;
	while (line && *line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if ((*line == ' ' || *line == '\t') && p->nhdrs > 0) {
			/* A continuation line: folded into the previous value. The
			 * strings live in text, so join by moving the NUL away. */
			line[-1] = '\n';
		} else {
			char *colon = strchr(line, ':');

			cr_assert_not_null(colon, "bad header line '%s'", line);
			*colon = '\0';
			cr_assert_lt(p->nhdrs, MAX_HDRS);
			p->hdrs[p->nhdrs].name = line;
			p->hdrs[p->nhdrs].value = colon + 1;
			p->nhdrs++;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static time_t parse_time(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	cr_assert_eq(sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
	             6, "bad timestamp %s", iso);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jbool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void sign_case(struct parsed *p, const struct suite_case *c)
{
	char *json;
	const cJSON *cred, *exp;
	struct craft_sigv4_request req;
	struct craft_err err;

	cr_assert_neq(c->name[0], '(', "the SigV4 suite is missing: %s", c->name);
	memset(p, 0, sizeof(*p));
	parse_request(p, c->name);
	json = slurp(c->name, "context.json", NULL);
	cr_assert_not_null(json);
	p->ctx = cJSON_Parse(json);
	free(json);
	cr_assert_not_null(p->ctx);
	cred = cJSON_GetObjectItemCaseSensitive(p->ctx, "credentials");
	p->params.access_key = jstr(cred, "access_key_id");
	p->params.secret_key = jstr(cred, "secret_access_key");
	p->params.session_token = jstr(cred, "token");
	p->params.region = jstr(p->ctx, "region");
	p->params.service = jstr(p->ctx, "service");
	p->params.when = parse_time(jstr(p->ctx, "timestamp"));
	p->params.normalize_path = jbool(p->ctx, "normalize");
	p->params.sign_body = jbool(p->ctx, "sign_body");
	p->params.omit_session_token = jbool(p->ctx, "omit_session_token");
	p->params.presign = c->query;
	exp = cJSON_GetObjectItemCaseSensitive(p->ctx, "expiration_in_seconds");
	p->params.expires = cJSON_IsNumber(exp) ? (long)exp->valuedouble : 0;

	req.method = p->method;
	req.path = p->path;
	req.query = p->query;
	req.headers = p->hdrs;
	req.nheaders = p->nhdrs;
	req.body = p->body;
	req.body_len = p->body_len;
	craft_sigv4_result_init(&p->res);
	craft_err_init(&err);
	cr_assert_eq(craft_sigv4_sign(&req, &p->params, &p->res, &err), CRAFT_OK, "%s", err.msg);
}

static void release_case(struct parsed *p)
{
	craft_sigv4_result_release(&p->res);
	cJSON_Delete(p->ctx);
	free(p->text);
	free(p->uri);
	free(p->path);
	free(p->raw_headers);
}

static void expect_file(const struct suite_case *c, const char *stage, const char *got,
                        size_t got_len)
{
	char file[128];
	size_t len = 0;
	char *want;

	snprintf(file, sizeof(file), "%s-%s.txt", c->query ? "query" : "header", stage);
	want = slurp(c->name, file, &len);
	cr_assert_not_null(want, "cannot read %s/%s", c->name, file);
	cr_expect(got_len == len && memcmp(got, want, len) == 0,
	          "%s (%s) %s differs:\n--- want\n%s\n--- got\n%.*s", c->name,
	          c->query ? "query" : "header", stage, want, (int)got_len, got);
	free(want);
}

ParameterizedTestParameters(sigv4_suite, canonical_request)
{
	return all_cases();
}

ParameterizedTest(struct suite_case *c, sigv4_suite, canonical_request)
{
	struct parsed p;

	sign_case(&p, c);
	expect_file(c, "canonical-request", p.res.canonical_request.data,
	            p.res.canonical_request.len);
	release_case(&p);
}

ParameterizedTestParameters(sigv4_suite, string_to_sign)
{
	return all_cases();
}

ParameterizedTest(struct suite_case *c, sigv4_suite, string_to_sign)
{
	struct parsed p;

	sign_case(&p, c);
	expect_file(c, "string-to-sign", p.res.string_to_sign.data, p.res.string_to_sign.len);
	release_case(&p);
}

ParameterizedTestParameters(sigv4_suite, signature)
{
	return all_cases();
}

ParameterizedTest(struct suite_case *c, sigv4_suite, signature)
{
	struct parsed p;

	sign_case(&p, c);
	expect_file(c, "signature", p.res.signature, strlen(p.res.signature));
	release_case(&p);
}

ParameterizedTestParameters(sigv4_suite, signed_request)
{
	return all_cases();
}

ParameterizedTest(struct suite_case *c, sigv4_suite, signed_request)
{
	struct parsed p;
	struct craft_buf out = CRAFT_BUF_INIT(1 << 20);

	sign_case(&p, c);
	if (c->query)
		craft_buf_printf(&out, "%s %s%s%s HTTP/1.1\n", p.method, p.uri,
		                 strchr(p.uri, '?') ? "&" : "?", craft_buf_str(&p.res.query_add));
	else
		craft_buf_printf(&out, "%s %s HTTP/1.1\n", p.method, p.uri);
	craft_buf_addstr(&out, p.raw_headers);
	for (int i = 0; i < p.res.nadd; i++)
		craft_buf_printf(&out, "%s:%s\n", p.res.add[i].name, p.res.add[i].value);
	craft_buf_addch(&out, '\n');
	craft_buf_add(&out, p.body, p.body_len);
	expect_file(c, "signed-request", craft_buf_str(&out), out.len);
	craft_buf_release(&out);
	release_case(&p);
}

Test(sigv4_suite, has_all_38_cases)
{
	static char names[128][96];

	cr_assert_eq(case_names(names, 128), 38, "expected 38 cases in %s", SUITE_DIR);
}
