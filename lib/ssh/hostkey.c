#include "ssh/hostkey.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"

void craft_ssh_fingerprint(const unsigned char *blob, size_t len, char out[CRAFT_SSH_FP_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memcpy(out, "SHA256:", 8);
	if (!EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL)) {
		out[7] = '\0';
		return;
	}
	/* SHA-256 takes 44 characters; the check keeps a longer digest from
	 * writing past out. */
	if (craft_base64_encoded_len(mdlen) + 1 > CRAFT_SSH_FP_MAX - 7) {
		out[7] = '\0';
		return;
	}
	craft_base64_encode_to(out + 7, md, mdlen, CRAFT_BASE64_NOPAD);
}

int craft_ssh_blob_type(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
	size_t n;

	if (len < 4 || outlen == 0)
		return -1;
	n = ((size_t)blob[0] << 24) | ((size_t)blob[1] << 16) | ((size_t)blob[2] << 8) | blob[3];
	if (n == 0 || n > len - 4 || n >= outlen)
		return -1;
	memcpy(out, blob + 4, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)out[i]))
			return -1;
	return 0;
}

static int is_key_type(const char *s, size_t n)
{
	static const char *const types[] = { "ssh-ed25519",
		                             "ssh-rsa",
		                             "ecdsa-sha2-nistp256",
		                             "ecdsa-sha2-nistp384",
		                             "ecdsa-sha2-nistp521",
		                             "ssh-dss",
		                             "sk-ssh-ed25519@openssh.com",
		                             "sk-ecdsa-sha2-nistp256@openssh.com" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && memcmp(types[i], s, n) == 0)
			return 1;
	return 0;
}

/* Decodes "[TYPE ]BASE64[ comment]" into a blob (caller frees). */
static craft_code decode_key_text(const char *text, unsigned char **blob, size_t *bloblen,
                                  char *type, size_t typelen, struct craft_err *err)
{
	const char *p = text, *tok, *b64;
	size_t toklen, b64len;
	char want[64] = "";
	craft_code rc;

	while (*p == ' ' || *p == '\t')
		p++;
	tok = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	toklen = (size_t)(p - tok);
	if (is_key_type(tok, toklen)) {
		if (toklen >= sizeof(want))
			return craft_err_set(err, CRAFT_EPARSE, "key type too long");
		memcpy(want, tok, toklen);
		want[toklen] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		b64 = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		b64len = (size_t)(p - b64);
	} else {
		b64 = tok;
		b64len = toklen;
	}
	if (b64len == 0 || b64len > 16384)
		return craft_err_set(err, CRAFT_EPARSE, "no key data");
	rc = craft_base64_decode(blob, bloblen, b64, b64len, 0, err);
	if (rc == CRAFT_ENOMEM)
		return rc;
	if (rc || *bloblen == 0 || craft_ssh_blob_type(*blob, *bloblen, type, typelen) != 0 ||
	    (want[0] && strcmp(want, type) != 0)) {
		free(*blob);
		*blob = NULL;
		*bloblen = 0;
		return craft_err_set(err, CRAFT_EPARSE, "malformed host key '%.40s'", text);
	}
	return CRAFT_OK;
}

craft_code craft_ssh_fingerprint_b64(const char *key_b64, char out[CRAFT_SSH_FP_MAX],
                                     struct craft_err *err)
{
	unsigned char *blob = NULL;
	size_t len = 0;
	char type[64];
	craft_code rc = decode_key_text(key_b64, &blob, &len, type, sizeof(type), err);

	if (rc)
		return rc;
	craft_ssh_fingerprint(blob, len, out);
	free(blob);
	return CRAFT_OK;
}

int craft_ssh_fingerprint_valid(const char *fp)
{
	size_t n = 0;

	if (strncmp(fp, "SHA256:", 7) != 0)
		return 0;
	fp += 7;
	while (fp[n] && (isalnum((unsigned char)fp[n]) || fp[n] == '+' || fp[n] == '/'))
		n++;
	if (n != 43)
		return 0;
	return fp[n] == '\0' || (fp[n] == '=' && fp[n + 1] == '\0');
}

void craft_ssh_fpset_init(struct craft_ssh_fpset *s)
{
	s->fp = NULL;
	s->type = NULL;
	s->n = 0;
}

void craft_ssh_fpset_release(struct craft_ssh_fpset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->fp[i]);
		free(s->type[i]);
	}
	free(s->fp);
	free(s->type);
	craft_ssh_fpset_init(s);
}

static void normalise_fp(const char *fp, char *out, size_t outlen)
{
	size_t n = strlen(fp);

	while (n > 0 && fp[n - 1] == '=')
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, fp, n);
	out[n] = '\0';
}

int craft_ssh_fpset_contains(const struct craft_ssh_fpset *s, const char *fp)
{
	char norm[CRAFT_SSH_FP_MAX];

	normalise_fp(fp, norm, sizeof(norm));
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->fp[i], norm) == 0)
			return 1;
	return 0;
}

craft_code craft_ssh_fpset_insert(struct craft_ssh_fpset *s, const char *fp, const char *type,
                                  struct craft_err *err)
{
	char norm[CRAFT_SSH_FP_MAX];
	char **nfp, **ntype;

	if (craft_ssh_fpset_contains(s, fp))
		return CRAFT_OK;
	normalise_fp(fp, norm, sizeof(norm));
	nfp = realloc(s->fp, (s->n + 1) * sizeof(*nfp));
	if (!nfp)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory adding host key %s", norm);
	s->fp = nfp;
	ntype = realloc(s->type, (s->n + 1) * sizeof(*ntype));
	if (!ntype)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory adding host key %s", norm);
	s->type = ntype;
	s->fp[s->n] = strdup(norm);
	s->type[s->n] = type ? strdup(type) : NULL;
	if (!s->fp[s->n] || (type && !s->type[s->n])) {
		free(s->fp[s->n]);
		free(s->type[s->n]);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory adding host key %s", norm);
	}
	s->n++;
	return CRAFT_OK;
}

void craft_ssh_fpset_describe(const struct craft_ssh_fpset *s, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < s->n && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s%s%s%s", i ? ", " : "", s->fp[i],
		                 s->type[i] ? " (" : "", s->type[i] ? s->type[i] : "",
		                 s->type[i] ? ")" : "");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* ---- console output ---------------------------------------------------- */

static const char *fp_type_from_label(const char *line, const char *bits_tok)
{
	int bits = (int)strtol(bits_tok, NULL, 10);

	if (strstr(line, "(ED25519)"))
		return "ssh-ed25519";
	if (strstr(line, "(RSA)"))
		return "ssh-rsa";
	if (strstr(line, "(ECDSA)"))
		return bits == 384 ? "ecdsa-sha2-nistp384"
		                   : (bits == 521 ? "ecdsa-sha2-nistp521" : "ecdsa-sha2-nistp256");
	return NULL;
}

/* Finds "SHA256:..." on a fingerprint line; adds it to set. */
static void console_fp_line(const char *line, struct craft_ssh_fpset *set)
{
	const char *p = strstr(line, "SHA256:");
	const char *bits = p;
	char fp[CRAFT_SSH_FP_MAX];
	size_t n = 0;

	if (!p)
		return;
	while (p[n] && !isspace((unsigned char)p[n]) && n < sizeof(fp) - 1)
		n++;
	memcpy(fp, p, n);
	fp[n] = '\0';
	if (!craft_ssh_fingerprint_valid(fp))
		return;
	/* The key size stands just before the fingerprint: "256 SHA256:..." */
	while (bits > line && isspace((unsigned char)bits[-1]))
		bits--;
	while (bits > line && isdigit((unsigned char)bits[-1]))
		bits--;
	(void)craft_ssh_fpset_insert(set, fp, fp_type_from_label(line, bits), NULL);
}

/* Finds "TYPE BASE64" on a key line; adds its fingerprint to set. */
static void console_key_line(const char *line, struct craft_ssh_fpset *set)
{
	const char *p = line;

	while (*p) {
		const char *tok;
		size_t n;

		while (*p && isspace((unsigned char)*p))
			p++;
		tok = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - tok);
		if (n && is_key_type(tok, n)) {
			unsigned char *blob = NULL;
			size_t len = 0;
			char type[64], fp[CRAFT_SSH_FP_MAX];

			if (decode_key_text(tok, &blob, &len, type, sizeof(type), NULL) ==
			    CRAFT_OK) {
				craft_ssh_fingerprint(blob, len, fp);
				(void)craft_ssh_fpset_insert(set, fp, type, NULL);
				free(blob);
			}
			return;
		}
	}
}

craft_code craft_ssh_console_parse(const char *console, struct craft_ssh_fpset *out,
                                   struct craft_err *err)
{
	/* 0 outside, 1 in fingerprints, 2 in keys */
	int state = 0;
	struct craft_ssh_fpset cur, fps, keys;
	int have_fps = 0, have_keys = 0;
	const char *p = console;
	char line[4096];
	craft_code rc = CRAFT_OK;

	craft_ssh_fpset_init(&cur);
	craft_ssh_fpset_init(&fps);
	craft_ssh_fpset_init(&keys);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		p = nl ? nl + 1 : NULL;

		if (strstr(line, "-----BEGIN SSH HOST KEY FINGERPRINTS-----")) {
			craft_ssh_fpset_release(&cur);
			state = 1;
		} else if (strstr(line, "-----BEGIN SSH HOST KEY KEYS-----")) {
			craft_ssh_fpset_release(&cur);
			state = 2;
		} else if (state == 1 && strstr(line, "-----END SSH HOST KEY FINGERPRINTS-----")) {
			craft_ssh_fpset_release(&fps);
			fps = cur;
			craft_ssh_fpset_init(&cur);
			have_fps = fps.n > 0;
			state = 0;
		} else if (state == 2 && strstr(line, "-----END SSH HOST KEY KEYS-----")) {
			craft_ssh_fpset_release(&keys);
			keys = cur;
			craft_ssh_fpset_init(&cur);
			have_keys = keys.n > 0;
			state = 0;
		} else if (state == 1) {
			console_fp_line(line, &cur);
		} else if (state == 2) {
			console_key_line(line, &cur);
		}
	}
	craft_ssh_fpset_release(&cur);
	if (!have_fps && !have_keys) {
		craft_ssh_fpset_release(&fps);
		craft_ssh_fpset_release(&keys);
		return craft_err_set(err, CRAFT_ENOTFOUND,
		                     "the console output has no complete SSH host key block yet");
	}
	for (size_t i = 0; !rc && i < fps.n; i++)
		rc = craft_ssh_fpset_insert(out, fps.fp[i], fps.type[i], err);
	for (size_t i = 0; !rc && i < keys.n; i++)
		rc = craft_ssh_fpset_insert(out, keys.fp[i], keys.type[i], err);
	craft_ssh_fpset_release(&fps);
	craft_ssh_fpset_release(&keys);
	return rc;
}

/* ---- known_hosts --------------------------------------------------------- */

static void host_key_name(const char *host, int port, char *out, size_t outlen)
{
	size_t i;

	if (port == 22 || port <= 0)
		snprintf(out, outlen, "%s", host);
	else
		snprintf(out, outlen, "[%s]:%d", host, port);
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

/* |1|base64(salt)|base64(hmac-sha1(salt, name)) */
static int hashed_match(const char *pat, size_t patlen, const char *name)
{
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	unsigned int gotlen = 0;
	const char *s = pat + 3, *bar;
	size_t saltlen = 0, wantlen = 0;

	if (patlen < 4 || memcmp(pat, "|1|", 3) != 0)
		return 0;
	bar = memchr(s, '|', patlen - 3);
	if (!bar || (size_t)(bar - s) > 80 || (size_t)(pat + patlen - bar - 1) > 80)
		return 0;
	/* 80 characters decode to at most 60 bytes: salt and want hold them. */
	if (craft_base64_decode_to(salt, &saltlen, s, (size_t)(bar - s), 0, NULL) ||
	    craft_base64_decode_to(want, &wantlen, bar + 1, (size_t)(pat + patlen - bar - 1), 0,
	                           NULL) ||
	    saltlen == 0 || wantlen != 20)
		return 0;
	if (!HMAC(EVP_sha1(), salt, (int)saltlen, (const unsigned char *)name, strlen(name), got,
	          &gotlen))
		return 0;
	return gotlen == 20 && memcmp(got, want, 20) == 0;
}

/* OpenSSH's host patterns: '*' and '?' only ('[' is literal, as in
 * "[host]:port"). */
static int glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* 1 when the comma-separated pattern list matches name, -1 when a negated
 * pattern matches (the line must not apply), 0 otherwise. */
static int patterns_match(const char *pats, size_t len, const char *name)
{
	int matched = 0;
	size_t i = 0;

	if (len >= 3 && memcmp(pats, "|1|", 3) == 0)
		return hashed_match(pats, len, name);
	while (i < len) {
		size_t j = i;
		char pat[512];
		int neg = 0;

		while (j < len && pats[j] != ',')
			j++;
		if (j - i > 0 && j - i < sizeof(pat)) {
			size_t k;

			memcpy(pat, pats + i, j - i);
			pat[j - i] = '\0';
			for (k = 0; pat[k]; k++)
				pat[k] = (char)tolower((unsigned char)pat[k]);
			if (pat[0] == '!') {
				neg = 1;
				memmove(pat, pat + 1, strlen(pat));
			}
			if (glob_match(pat, name)) {
				if (neg)
					return -1;
				matched = 1;
			}
		}
		i = j + 1;
	}
	return matched;
}

static void add_type(char *types, size_t len, const char *type)
{
	size_t tl = strlen(type), used = strlen(types);
	const char *p = types;

	while ((p = strstr(p, type)) != NULL) {
		if ((p == types || p[-1] == ',') && (p[tl] == ',' || p[tl] == '\0'))
			return;
		p += tl;
	}
	if (used + tl + 2 > len)
		return;
	if (used)
		types[used++] = ',';
	memcpy(types + used, type, tl + 1);
}

enum craft_known_result craft_ssh_known_check(const char *text, const char *host, int port,
                                              const unsigned char *key_blob, size_t key_len,
                                              struct craft_ssh_fpset *expected, char *types_out,
                                              size_t types_len)
{
	char name[600];
	const char *p = text;
	int known = 0, match = 0, revoked = 0;

	if (types_out && types_len)
		types_out[0] = '\0';
	host_key_name(host, port, name, sizeof(name));
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[16384];
		char *f[4] = { 0 };
		int nf = 0, is_revoked = 0;
		char *s;

		if (n >= sizeof(line)) {
			p = nl ? nl + 1 : NULL;
			continue;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : NULL;
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		if (*s == '@') {
			if (strncmp(s, "@revoked", 8) == 0 && (s[8] == ' ' || s[8] == '\t'))
				is_revoked = 1;
			else
				continue; /* @cert-authority: certificates are not used */
			s += 8;
		}
		while (nf < 4 && *s) {
			while (*s == ' ' || *s == '\t')
				s++;
			if (!*s)
				break;
			f[nf++] = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\r')
				s++;
			if (*s)
				*s++ = '\0';
		}
		if (nf < 3)
			continue;
		if (patterns_match(f[0], strlen(f[0]), name) != 1)
			continue;
		{
			unsigned char *blob = NULL;
			size_t len = 0;
			char type[64], fp[CRAFT_SSH_FP_MAX];
			char keytext[16384];

			snprintf(keytext, sizeof(keytext), "%s %s", f[1], f[2]);
			if (decode_key_text(keytext, &blob, &len, type, sizeof(type), NULL))
				continue;
			if (len == key_len && memcmp(blob, key_blob, len) == 0) {
				if (is_revoked)
					revoked = 1;
				else
					match = 1;
			}
			if (!is_revoked) {
				known = 1;
				craft_ssh_fingerprint(blob, len, fp);
				if (expected)
					(void)craft_ssh_fpset_insert(expected, fp, type, NULL);
				if (types_out)
					add_type(types_out, types_len, type);
			}
			free(blob);
		}
	}
	if (revoked)
		return CRAFT_KNOWN_REVOKED;
	if (match)
		return CRAFT_KNOWN_MATCH;
	return known ? CRAFT_KNOWN_MISMATCH : CRAFT_KNOWN_NOTFOUND;
}

craft_code craft_ssh_known_line(const char *host, int port, const unsigned char *key_blob,
                                size_t key_len, char **out, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(65536);
	char name[600], type[64];

	if (craft_ssh_blob_type(key_blob, key_len, type, sizeof(type)) != 0)
		return craft_err_set(err, CRAFT_EPARSE, "malformed host key");
	host_key_name(host, port, name, sizeof(name));
	if (craft_buf_printf(&b, "%s %s ", name, type) || craft_base64_add(&b, key_blob, key_len))
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	*out = craft_buf_detach(&b, NULL);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}
