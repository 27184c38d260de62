/*
 * verify — the host key a server shows, checked before anything else is
 * sent: which algorithms to offer (the types the host is known with
 * first, so it shows a key that can be checked), the fingerprint policy
 * (a provisioned instance) and the known_hosts policy (a --host), the
 * recording of a new key and the caller's pin. What a key is and what a
 * known_hosts file says is ssh/hostkey.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/env.h"
#include "ssh/internal.h"

static const char *const all_hostkey_algs[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"rsa-sha2-512",
	"rsa-sha2-256",
	"ssh-rsa",
};

static void pref_add(char *pref, size_t len, const char *alg)
{
	size_t used = strlen(pref);

	if (ssh_in_list(pref, alg) || used + strlen(alg) + 2 > len)
		return;
	if (used)
		pref[used++] = ',';
	memcpy(pref + used, alg, strlen(alg) + 1);
}

/* Host key algorithms: the types we already know for the host first, so the
 * server shows the key we can check, then every other one. */
static void hostkey_pref(const char *known_types, char *pref, size_t len)
{
	pref[0] = '\0';
	for (size_t i = 0; i < sizeof(all_hostkey_algs) / sizeof(all_hostkey_algs[0]); i++) {
		const char *alg = all_hostkey_algs[i];
		const char *type = strncmp(alg, "rsa-sha2-", 9) == 0 ? "ssh-rsa" : alg;

		if (known_types && ssh_in_list(known_types, type))
			pref_add(pref, len, alg);
	}
	for (size_t i = 0; i < sizeof(all_hostkey_algs) / sizeof(all_hostkey_algs[0]); i++)
		pref_add(pref, len, all_hostkey_algs[i]);
}

/* Sets the host key preference to the algorithms of pref this libssh2
 * supports: libssh2 1.10 drops unsupported ones with an overlapping
 * memcpy, so it must only ever see supported ones. */
void ssh_set_hostkey_pref(LIBSSH2_SESSION *sess, const char *pref)
{
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(sess, LIBSSH2_METHOD_HOSTKEY, &algs);
	char list[512] = "", item[64];
	const char *p = pref;

	while (n > 0 && *p) {
		size_t len = strcspn(p, ",");

		if (len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			for (int i = 0; i < n; i++)
				if (strcmp(algs[i], item) == 0)
					pref_add(list, sizeof(list), item);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (algs)
		libssh2_free(sess, (void *)algs);
	if (list[0])
		(void)libssh2_session_method_pref(sess, LIBSSH2_METHOD_HOSTKEY, list);
}

static void default_known_hosts(char *out, size_t len)
{
	const char *home = craft_env_get("HOME");

	snprintf(out, len, "%s/.ssh/known_hosts", home ? home : ".");
}

static craft_code append_known_host(const char *path, const char *line, struct craft_err *err)
{
	char dir[4096];
	char *slash;
	int fd;
	size_t len = strlen(line);
	struct craft_buf b = CRAFT_BUF_INIT(70000);
	ssize_t w;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return craft_err_set(err, CRAFT_EIO, "cannot record the host key in '%s': %s", path,
		                     strerror(errno));
	if (craft_buf_add(&b, line, len) || craft_buf_addch(&b, '\n')) {
		close(fd);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	w = write(fd, b.data, b.len);
	craft_buf_release(&b);
	if (w != (ssize_t)len + 1 || close(fd) != 0)
		return craft_err_set(err, CRAFT_EIO, "cannot record the host key in '%s': %s", path,
		                     strerror(errno));
	return CRAFT_OK;
}

craft_code ssh_verify_host(struct craft_ssh *s, const struct craft_ssh_target *t,
                           const unsigned char *key, size_t keylen, const struct craft_reporter *r,
                           struct craft_err *err)
{
	char desc[1024];
	char *line = NULL;
	craft_code rc;

	if (t->policy == CRAFT_SSH_HOSTKEY_FINGERPRINTS) {
		if (!t->expected || t->expected->n == 0)
			return craft_err_set(
			        err, CRAFT_ESSH,
			        "no expected host key for %s port %d: refusing to connect", s->host,
			        s->port);
		if (!craft_ssh_fpset_contains(t->expected, s->fingerprint)) {
			craft_ssh_fpset_describe(t->expected, desc, sizeof(desc));
			return craft_err_set(err, CRAFT_ESSH,
			                     "host key mismatch for %s port %d: expected %s, but "
			                     "the server showed "
			                     "%s (%s); nothing was uploaded or run",
			                     s->host, s->port, desc, s->fingerprint, s->keytype);
		}
		craft_logf(r, CRAFT_LEVEL_DEBUG, "host key %s (%s) verified", s->fingerprint,
		           s->keytype);
	} else {
		char path[4096];
		struct craft_buf text = CRAFT_BUF_INIT(16 << 20);
		struct craft_ssh_fpset exp;
		enum craft_known_result kr;

		if (t->known_hosts)
			snprintf(path, sizeof(path), "%s", t->known_hosts);
		else
			default_known_hosts(path, sizeof(path));
		/* No known_hosts file yet is a host we have not met. */
		rc = craft_buf_read_file(&text, path, err);
		if (rc == CRAFT_ENOTFOUND) {
			craft_err_init(err);
			rc = CRAFT_OK;
		}
		if (rc)
			return rc;
		craft_ssh_fpset_init(&exp);
		kr = craft_ssh_known_check(craft_buf_str(&text), s->host, s->port, key, keylen,
		                           &exp, NULL, 0);
		craft_buf_release(&text);
		craft_ssh_fpset_describe(&exp, desc, sizeof(desc));
		craft_ssh_fpset_release(&exp);
		switch (kr) {
		case CRAFT_KNOWN_MATCH:
			craft_logf(r, CRAFT_LEVEL_DEBUG, "host key %s (%s) found in %s",
			           s->fingerprint, s->keytype, path);
			return CRAFT_OK;
		case CRAFT_KNOWN_REVOKED:
			return craft_err_set(err, CRAFT_ESSH,
			                     "host key %s of %s port %d is marked @revoked in '%s'",
			                     s->fingerprint, s->host, s->port, path);
		case CRAFT_KNOWN_MISMATCH:
			return craft_err_set(
			        err, CRAFT_ESSH,
			        "host key mismatch for %s port %d: '%s' expects %s, but the server "
			        "showed %s (%s); nothing was uploaded or run",
			        s->host, s->port, path, desc, s->fingerprint, s->keytype);
		case CRAFT_KNOWN_NOTFOUND:
			break;
		}
		if (!t->accept_new)
			return craft_err_set(
			        err, CRAFT_ESSH,
			        "unknown host key for %s port %d: %s (%s) is not in '%s'; check it "
			        "and re-run with --accept-new-host-key, or pass --host-key %s",
			        s->host, s->port, s->fingerprint, s->keytype, path, s->fingerprint);
		rc = craft_ssh_known_line(s->host, s->port, key, keylen, &line, err);
		if (rc)
			return rc;
		rc = append_known_host(path, line, err);
		free(line);
		if (rc)
			return rc;
		craft_logf(r, CRAFT_LEVEL_WARN,
		           "recorded new host key %s (%s) for %s port %d in %s", s->fingerprint,
		           s->keytype, s->host, s->port, path);
	}
	if (t->pin) {
		char keyline[16384];
		char *b64 = craft_base64_encode(key, keylen, 0);

		if (!b64)
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		snprintf(keyline, sizeof(keyline), "%s %s", s->keytype, b64);
		free(b64);
		rc = t->pin(t->pin_userdata, s->host, s->port, s->fingerprint, keyline, err);
		if (rc)
			return rc;
	}
	return CRAFT_OK;
}

static void known_types(const struct craft_ssh_target *t, const char *host, int port, char *types,
                        size_t len)
{
	types[0] = '\0';
	if (t->policy == CRAFT_SSH_HOSTKEY_FINGERPRINTS) {
		if (!t->expected)
			return;
		for (size_t i = 0; i < t->expected->n; i++) {
			const char *ty = t->expected->type[i];

			if (ty && !ssh_in_list(types, ty))
				pref_add(types, len, ty);
		}
	} else {
		char path[4096];
		struct craft_buf text = CRAFT_BUF_INIT(16 << 20);

		if (t->known_hosts)
			snprintf(path, sizeof(path), "%s", t->known_hosts);
		else
			default_known_hosts(path, sizeof(path));
		if (craft_buf_read_file(&text, path, NULL) == CRAFT_OK)
			(void)craft_ssh_known_check(craft_buf_str(&text), host, port,
			                            (const unsigned char *)"", 0, NULL, types, len);
		craft_buf_release(&text);
	}
}

void ssh_hostkey_pref(const struct craft_ssh_target *t, const char *host, int port, char *pref,
                      size_t len)
{
	char types[256];

	known_types(t, host, port, types, sizeof(types));
	hostkey_pref(types, pref, len);
}
