#include "aws/sigv4.h"

#include <curl/curl.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGV4_MAX (8u << 20)

/* Headers botocore never signs (a proxy or the HTTP stack may change them). */
static const char *const unsigned_headers[] = { "expect", "user-agent", "x-amzn-trace-id" };

void craft_sigv4_result_init(struct craft_sigv4_result *r)
{
	memset(r, 0, sizeof(*r));
	craft_buf_init(&r->canonical_request, SIGV4_MAX);
	craft_buf_init(&r->string_to_sign, 4096);
	craft_buf_init(&r->signed_headers, 64 * 1024);
	craft_buf_init(&r->authorization, 64 * 1024 + 1024);
	craft_buf_init(&r->query_add, 64 * 1024);
}

void craft_sigv4_result_release(struct craft_sigv4_result *r)
{
	craft_buf_release(&r->canonical_request);
	craft_buf_release(&r->string_to_sign);
	craft_buf_release(&r->signed_headers);
	craft_buf_release(&r->authorization);
	craft_buf_release(&r->query_add);
	r->nadd = 0;
}

static void hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void craft_sigv4_hex_sha256(char out[65], const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data ? data : (const void *)"", len, md);
	hex(out, md, sizeof(md));
}

static void hmac(unsigned char out[32], const void *key, size_t keylen, const char *msg,
                 size_t msglen)
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out, &n);
}

void craft_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
                             const char *region, const char *service)
{
	unsigned char k[32];
	size_t sl = strlen(secret);
	char small[256];
	char *seed = sl + 5 <= sizeof(small) ? small : malloc(sl + 5);

	if (!seed) {
		/* Out of memory: a key nobody can match, never a weaker one. */
		memset(key, 0, 32);
		return;
	}
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, sl + 1);
	hmac(k, seed, sl + 4, date8, strlen(date8));
	hmac(k, k, 32, region, strlen(region));
	hmac(k, k, 32, service, strlen(service));
	hmac(key, k, 32, "aws4_request", 12);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(seed, sl + 4);
	if (seed != small)
		free(seed);
}

void craft_sigv4_amz_date(char out[17], time_t when)
{
	struct tm tm;

	if (!gmtime_r(&when, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		snprintf(out, 17, "%s", "19700101T000000Z");
}

craft_code craft_sigv4_uri_encode(struct craft_buf *out, const char *s, size_t len, int keep_slash)
{
	size_t start = 0;
	craft_code rc = CRAFT_OK;

	if (len > (size_t)SIGV4_MAX)
		return CRAFT_ETOOBIG;
	while (start <= len && rc == CRAFT_OK) {
		size_t end = start;
		char *enc;

		if (keep_slash)
			while (end < len && s[end] != '/')
				end++;
		else
			end = len;
		/* curl_easy_escape keeps exactly A-Z a-z 0-9 - . _ ~ and writes
		 * %XX in uppercase: AWS's canonical rule. A length of 0 would
		 * mean strlen, so empty segments are skipped. */
		if (end > start) {
			enc = curl_easy_escape(NULL, s + start, (int)(end - start));
			if (!enc)
				return CRAFT_ENOMEM;
			rc = craft_buf_addstr(out, enc);
			curl_free(enc);
		}
		if (end < len && rc == CRAFT_OK)
			rc = craft_buf_addch(out, '/');
		start = end + 1;
		if (end >= len)
			break;
	}
	return rc;
}

/* Dot segments and empty segments removed, as botocore's remove_dot_segments. */
static craft_code normalize(struct craft_buf *out, const char *path)
{
	size_t len = strlen(path);
	size_t *starts = NULL, *lens = NULL;
	size_t n = 0, cap = 16;
	const char *p = path;
	craft_code rc = CRAFT_OK;

	starts = malloc(cap * sizeof(*starts));
	lens = malloc(cap * sizeof(*lens));
	if (!starts || !lens) {
		rc = CRAFT_ENOMEM;
		goto cleanup;
	}
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (n)
				n--;
		} else if (l && !(l == 1 && p[0] == '.')) {
			if (n == cap) {
				size_t *ns, *nl;

				cap *= 2;
				ns = realloc(starts, cap * sizeof(*starts));
				if (ns)
					starts = ns;
				nl = realloc(lens, cap * sizeof(*lens));
				if (nl)
					lens = nl;
				if (!ns || !nl) {
					rc = CRAFT_ENOMEM;
					goto cleanup;
				}
			}
			starts[n] = (size_t)(p - path);
			lens[n] = l;
			n++;
		}
		p += l;
		if (*p == '/')
			p++;
	}
	if (path[0] == '/')
		rc = craft_buf_addch(out, '/');
	for (size_t i = 0; i < n && rc == CRAFT_OK; i++) {
		if (i)
			rc = craft_buf_addch(out, '/');
		if (rc == CRAFT_OK)
			rc = craft_buf_add(out, path + starts[i], lens[i]);
	}
	if (rc == CRAFT_OK && len && path[len - 1] == '/' && n)
		rc = craft_buf_addch(out, '/');
cleanup:
	free(starts);
	free(lens);
	return rc;
}

craft_code craft_sigv4_canonical_uri(struct craft_buf *out, const char *path, int normalize_path)
{
	struct craft_buf tmp = CRAFT_BUF_INIT(SIGV4_MAX);
	craft_code rc;

	if (!path || !*path)
		path = "/";
	if (normalize_path) {
		rc = normalize(&tmp, path);
		if (rc == CRAFT_OK && tmp.len == 0)
			rc = craft_buf_addch(&tmp, '/');
		if (rc == CRAFT_OK)
			rc = craft_sigv4_uri_encode(out, tmp.data, tmp.len, 1);
	} else {
		rc = craft_sigv4_uri_encode(out, path, strlen(path), 1);
	}
	craft_buf_release(&tmp);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into out ('+' stays '+', as AWS reads it). */
static craft_code decode(struct craft_buf *out, const char *s, size_t len)
{
	craft_code rc = CRAFT_OK;

	for (size_t i = 0; i < len && rc == CRAFT_OK; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			rc = craft_buf_addch(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			rc = craft_buf_addch(out, s[i]);
		}
	}
	return rc;
}

struct qpair {
	char *key;
	char *value;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

static craft_code encode_piece(char **out, const char *s, size_t len)
{
	struct craft_buf raw = CRAFT_BUF_INIT(SIGV4_MAX), enc = CRAFT_BUF_INIT(SIGV4_MAX);
	craft_code rc = decode(&raw, s, len);

	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(&enc, raw.data ? raw.data : "", raw.len, 0);
	if (rc == CRAFT_OK) {
		*out = craft_buf_detach(&enc, NULL);
		if (!*out)
			rc = CRAFT_ENOMEM;
	}
	craft_buf_release(&raw);
	craft_buf_release(&enc);
	return rc;
}

craft_code craft_sigv4_canonical_query(struct craft_buf *out, const char *query)
{
	struct qpair *pairs = NULL;
	size_t n = 0, cap = 0;
	const char *p = query;
	craft_code rc = CRAFT_OK;

	if (!query || !*query)
		return CRAFT_OK;
	while (p && rc == CRAFT_OK) {
		const char *amp = strchr(p, '&');
		size_t l = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', l);
		size_t kl = eq ? (size_t)(eq - p) : l;

		if (l) {
			if (n == cap) {
				struct qpair *np;

				cap = cap ? cap * 2 : 16;
				np = realloc(pairs, cap * sizeof(*pairs));
				if (!np) {
					rc = CRAFT_ENOMEM;
					break;
				}
				pairs = np;
			}
			pairs[n].key = NULL;
			pairs[n].value = NULL;
			n++;
			rc = encode_piece(&pairs[n - 1].key, p, kl);
			if (rc == CRAFT_OK)
				rc = encode_piece(&pairs[n - 1].value, eq ? eq + 1 : "",
				                  eq ? l - kl - 1 : 0);
		}
		p = amp ? amp + 1 : NULL;
	}
	if (rc == CRAFT_OK && n) { /* "&&" alone has no pairs, and qsort(NULL) is undefined */
		qsort(pairs, n, sizeof(*pairs), qpair_cmp);
		for (size_t i = 0; i < n && rc == CRAFT_OK; i++)
			rc = craft_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].key,
			                      pairs[i].value);
	}
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
	return rc;
}

struct hdr {
	char *name;  /* lowercase */
	char *value; /* trimmed, inner whitespace runs collapsed */
	int order;
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->order - y->order;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char *trimall(const char *v)
{
	size_t len = strlen(v), o = 0;
	char *out = malloc(len + 1);
	int pending = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (is_ws(v[i])) {
			pending = o > 0;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = 0;
		out[o++] = v[i];
	}
	out[o] = '\0';
	return out;
}

static int skipped(const char *lname)
{
	for (size_t i = 0; i < sizeof(unsigned_headers) / sizeof(unsigned_headers[0]); i++)
		if (strcmp(lname, unsigned_headers[i]) == 0)
			return 1;
	return 0;
}

static craft_code add_hdr(struct hdr *h, int *n, const char *name, const char *value)
{
	size_t l = strlen(name);
	char *ln = malloc(l + 1);

	if (!ln)
		return CRAFT_ENOMEM;
	for (size_t i = 0; i <= l; i++)
		ln[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	if (skipped(ln)) {
		free(ln);
		return CRAFT_OK;
	}
	h[*n].name = ln;
	h[*n].value = trimall(value ? value : "");
	h[*n].order = *n;
	if (!h[*n].value) {
		free(ln);
		return CRAFT_ENOMEM;
	}
	(*n)++;
	return CRAFT_OK;
}

/* Canonical headers block (each "name:value\n") and the signed-headers list. */
static craft_code canonical_headers(struct craft_buf *block, struct craft_buf *signed_list,
                                    const struct craft_sigv4_request *req,
                                    const struct craft_sigv4_header *extra, int nextra)
{
	int total = req->nheaders + nextra, n = 0;
	struct hdr *h = calloc((size_t)total + 1, sizeof(*h));
	craft_code rc = CRAFT_OK;

	if (!h)
		return CRAFT_ENOMEM;
	for (int i = 0; i < req->nheaders && rc == CRAFT_OK; i++)
		rc = add_hdr(h, &n, req->headers[i].name, req->headers[i].value);
	for (int i = 0; i < nextra && rc == CRAFT_OK; i++)
		rc = add_hdr(h, &n, extra[i].name, extra[i].value);
	if (rc == CRAFT_OK)
		qsort(h, (size_t)n, sizeof(*h), hdr_cmp);
	for (int i = 0; i < n && rc == CRAFT_OK; i++) {
		int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
		int last = i == n - 1 || strcmp(h[i].name, h[i + 1].name) != 0;

		if (first) {
			rc = craft_buf_printf(block, "%s:", h[i].name);
			if (rc == CRAFT_OK)
				rc = craft_buf_printf(signed_list, "%s%s", i ? ";" : "", h[i].name);
		} else {
			rc = craft_buf_addch(block, ',');
		}
		if (rc == CRAFT_OK)
			rc = craft_buf_addstr(block, h[i].value);
		if (rc == CRAFT_OK && last)
			rc = craft_buf_addch(block, '\n');
	}
	for (int i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return rc;
}

static craft_code add_query_param(struct craft_buf *q, const char *key, const char *value)
{
	craft_code rc = craft_buf_printf(q, "%s%s=", q->len ? "&" : "", key);

	if (rc == CRAFT_OK)
		rc = craft_sigv4_uri_encode(q, value, strlen(value), 0);
	return rc;
}

craft_code craft_sigv4_sign(const struct craft_sigv4_request *req,
                            const struct craft_sigv4_params *p, struct craft_sigv4_result *out,
                            struct craft_err *err)
{
	struct craft_buf hblock = CRAFT_BUF_INIT(SIGV4_MAX);
	struct craft_buf query = CRAFT_BUF_INIT(SIGV4_MAX);
	struct craft_buf scope = CRAFT_BUF_INIT(1024);
	struct craft_buf cred = CRAFT_BUF_INIT(2048);
	struct craft_sigv4_header extra[3];
	int nextra = 0;
	const char *token = p->session_token && *p->session_token ? p->session_token : NULL;
	char date8[9], crhash[65], expires[32];
	unsigned char key[32], sig[32];
	craft_code rc;

	if (!p->access_key || !p->secret_key || !p->region || !p->service || !req->method)
		return craft_err_set(err, CRAFT_EINTERNAL, "sigv4: missing signing input");
	craft_sigv4_amz_date(out->amz_date, p->when);
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';
	if (p->unsigned_payload)
		snprintf(out->payload_hash, sizeof(out->payload_hash), "%s", "UNSIGNED-PAYLOAD");
	else
		craft_sigv4_hex_sha256(out->payload_hash, req->body, req->body_len);

	rc = craft_buf_printf(&scope, "%s/%s/%s/aws4_request", date8, p->region, p->service);
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(&cred, "%s/%s", p->access_key, craft_buf_str(&scope));
	if (!p->presign) {
		extra[nextra++] = (struct craft_sigv4_header){ "X-Amz-Date", out->amz_date };
		if (token && !p->omit_session_token)
			extra[nextra++] =
			        (struct craft_sigv4_header){ "X-Amz-Security-Token", token };
		if (p->sign_body)
			extra[nextra++] = (struct craft_sigv4_header){ "x-amz-content-sha256",
				                                       out->payload_hash };
	}
	craft_buf_reset(&out->signed_headers);
	if (rc == CRAFT_OK)
		rc = canonical_headers(&hblock, &out->signed_headers, req, extra, nextra);

	/* The query: the request's own, plus the presign parameters. */
	craft_buf_reset(&out->query_add);
	if (rc == CRAFT_OK && p->presign) {
		snprintf(expires, sizeof(expires), "%ld", p->expires);
		rc = add_query_param(&out->query_add, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
		if (rc == CRAFT_OK)
			rc = add_query_param(&out->query_add, "X-Amz-Credential",
			                     craft_buf_str(&cred));
		if (rc == CRAFT_OK)
			rc = add_query_param(&out->query_add, "X-Amz-Date", out->amz_date);
		if (rc == CRAFT_OK)
			rc = add_query_param(&out->query_add, "X-Amz-SignedHeaders",
			                     craft_buf_str(&out->signed_headers));
		if (rc == CRAFT_OK)
			rc = add_query_param(&out->query_add, "X-Amz-Expires", expires);
		if (rc == CRAFT_OK && token && !p->omit_session_token)
			rc = add_query_param(&out->query_add, "X-Amz-Security-Token", token);
	}
	if (rc == CRAFT_OK && req->query && *req->query)
		rc = craft_buf_addstr(&query, req->query);
	if (rc == CRAFT_OK && out->query_add.len)
		rc = craft_buf_printf(&query, "%s%s", query.len ? "&" : "",
		                      craft_buf_str(&out->query_add));

	/* Stage 1: the canonical request. */
	craft_buf_reset(&out->canonical_request);
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(&out->canonical_request, "%s\n", req->method);
	if (rc == CRAFT_OK)
		rc = craft_sigv4_canonical_uri(&out->canonical_request, req->path,
		                               p->normalize_path);
	if (rc == CRAFT_OK)
		rc = craft_buf_addch(&out->canonical_request, '\n');
	if (rc == CRAFT_OK)
		rc = craft_sigv4_canonical_query(&out->canonical_request, craft_buf_str(&query));
	if (rc == CRAFT_OK)
		rc = craft_buf_printf(&out->canonical_request, "\n%s\n%s\n%s",
		                      craft_buf_str(&hblock), craft_buf_str(&out->signed_headers),
		                      out->payload_hash);

	/* Stage 2: the string to sign. */
	if (rc == CRAFT_OK) {
		craft_sigv4_hex_sha256(crhash, out->canonical_request.data,
		                       out->canonical_request.len);
		craft_buf_reset(&out->string_to_sign);
		rc = craft_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s",
		                      out->amz_date, craft_buf_str(&scope), crhash);
	}

	/* Stages 3 and 4: the key and the signature. */
	if (rc == CRAFT_OK) {
		craft_sigv4_signing_key(key, p->secret_key, date8, p->region, p->service);
		hmac(sig, key, sizeof(key), out->string_to_sign.data, out->string_to_sign.len);
		OPENSSL_cleanse(key, sizeof(key));
		hex(out->signature, sig, sizeof(sig));
	}

	/* Stage 5: what goes onto the request. */
	out->nadd = 0;
	craft_buf_reset(&out->authorization);
	if (rc == CRAFT_OK && p->presign) {
		if (token && p->omit_session_token)
			rc = add_query_param(&out->query_add, "X-Amz-Security-Token", token);
		if (rc == CRAFT_OK)
			rc = add_query_param(&out->query_add, "X-Amz-Signature", out->signature);
	} else if (rc == CRAFT_OK) {
		rc = craft_buf_printf(
		        &out->authorization,
		        "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s",
		        craft_buf_str(&cred), craft_buf_str(&out->signed_headers), out->signature);
		if (token)
			out->add[out->nadd++] =
			        (struct craft_sigv4_header){ "X-Amz-Security-Token", token };
		out->add[out->nadd++] = (struct craft_sigv4_header){ "X-Amz-Date", out->amz_date };
		if (p->sign_body)
			out->add[out->nadd++] = (struct craft_sigv4_header){ "x-amz-content-sha256",
				                                             out->payload_hash };
		out->add[out->nadd++] =
		        (struct craft_sigv4_header){ "Authorization",
			                             craft_buf_str(&out->authorization) };
	}
	craft_buf_release(&hblock);
	craft_buf_release(&query);
	craft_buf_release(&scope);
	craft_buf_release(&cred);
	if (rc != CRAFT_OK)
		return craft_err_set(err, rc, "sigv4: cannot sign the request: %s",
		                     craft_code_name(rc));
	return CRAFT_OK;
}

static craft_code replace_all(struct craft_buf *out, const char *text, const char *needle)
{
	struct craft_buf tmp = CRAFT_BUF_INIT(SIGV4_MAX);
	size_t nl = strlen(needle);
	const char *p = text, *hit;
	craft_code rc = CRAFT_OK;

	while (rc == CRAFT_OK && (hit = strstr(p, needle)) != NULL) {
		rc = craft_buf_add(&tmp, p, (size_t)(hit - p));
		if (rc == CRAFT_OK)
			rc = craft_buf_addstr(&tmp, "<redacted>");
		p = hit + nl;
	}
	if (rc == CRAFT_OK)
		rc = craft_buf_addstr(&tmp, p);
	craft_buf_reset(out);
	if (rc == CRAFT_OK)
		rc = craft_buf_add(out, tmp.data ? tmp.data : "", tmp.len);
	craft_buf_release(&tmp);
	return rc;
}

craft_code craft_sigv4_redact(struct craft_buf *out, const char *text, const char *secret,
                              const char *session_token)
{
	struct craft_buf tmp = CRAFT_BUF_INIT(SIGV4_MAX);
	craft_code rc = craft_buf_addstr(&tmp, text ? text : "");
	const char *needles[2] = { session_token, secret };

	for (int i = 0; i < 2 && rc == CRAFT_OK; i++) {
		/* Also the encoded form, as a presigned query carries it. */
		struct craft_buf enc = CRAFT_BUF_INIT(SIGV4_MAX);

		if (!needles[i] || strlen(needles[i]) < 4)
			continue;
		rc = replace_all(&tmp, craft_buf_str(&tmp), needles[i]);
		if (rc == CRAFT_OK)
			rc = craft_sigv4_uri_encode(&enc, needles[i], strlen(needles[i]), 0);
		if (rc == CRAFT_OK && strcmp(craft_buf_str(&enc), needles[i]) != 0)
			rc = replace_all(&tmp, craft_buf_str(&tmp), craft_buf_str(&enc));
		craft_buf_release(&enc);
	}
	craft_buf_reset(out);
	if (rc == CRAFT_OK)
		rc = craft_buf_add(out, tmp.data ? tmp.data : "", tmp.len);
	craft_buf_release(&tmp);
	return rc;
}
