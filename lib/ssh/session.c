#include "ssh/session.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/env.h"

struct craft_ssh {
	int sock;
	LIBSSH2_SESSION *sess;
	char host[256];
	int port;
	char user[128];
	char fingerprint[CRAFT_SSH_FP_MAX];
	char keytype[64];
	int keepalive_s;
	long long next_keepalive_ms;
	const volatile sig_atomic_t *cancel;
};

static int cancelled(const struct craft_ssh *s)
{
	return s->cancel && *s->cancel;
}

static craft_code interrupted(struct craft_err *err)
{
	return craft_err_set(err, CRAFT_EINTR, "interrupted");
}

struct craft_ssh_bg {
	struct craft_ssh *s;
	LIBSSH2_CHANNEL *ch;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void lib_init(void)
{
	init_rc = libssh2_init(0);
}

static const char *last_error(LIBSSH2_SESSION *sess)
{
	char *msg = NULL;

	if (!sess)
		return "no session";
	libssh2_session_last_error(sess, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown libssh2 error";
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits until the socket is ready in the direction libssh2 wants. */
static int wait_socket(struct craft_ssh *s, int timeout_ms)
{
	struct pollfd pfd;
	int dir = libssh2_session_block_directions(s->sess);

	pfd.fd = s->sock;
	pfd.events = 0;
	pfd.revents = 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd.events |= POLLOUT;
	if (!pfd.events)
		pfd.events = POLLIN;
	return poll(&pfd, 1, timeout_ms);
}

static void keepalive(struct craft_ssh *s)
{
	long long now = craft_now_ms();
	int next = 0;

	if (now < s->next_keepalive_ms)
		return;
	(void)libssh2_keepalive_send(s->sess, &next);
	s->next_keepalive_ms = now + (next > 0 ? next : s->keepalive_s) * 1000LL;
}

/* ---- connecting --------------------------------------------------------- */

static int tcp_connect(const char *host, int port, int timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		int soerr = 0, one = 1;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc != 0 && errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, timeout_ms);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
			    soerr == 0)
				rc = 0;
			else {
				errno = rc == 0 ? ETIMEDOUT : (soerr ? soerr : errno);
				rc = -1;
			}
		}
		if (rc == 0) {
			int idle = 30, intvl = 10, cnt = 3;

			/* A vanished peer must end in an error, not a hang. */
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			break;
		}
		snprintf(why, whylen, "cannot connect to %s port %d: %s", host, port,
		         strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static const char *const all_hostkey_algs[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"rsa-sha2-512",
	"rsa-sha2-256",
	"ssh-rsa",
};

static int in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while ((p = strstr(p, item)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void pref_add(char *pref, size_t len, const char *alg)
{
	size_t used = strlen(pref);

	if (in_list(pref, alg) || used + strlen(alg) + 2 > len)
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

		if (known_types && in_list(known_types, type))
			pref_add(pref, len, alg);
	}
	for (size_t i = 0; i < sizeof(all_hostkey_algs) / sizeof(all_hostkey_algs[0]); i++)
		pref_add(pref, len, all_hostkey_algs[i]);
}

/* Sets the host key preference to the algorithms of pref this libssh2
 * supports: libssh2 1.10 drops unsupported ones with an overlapping
 * memcpy, so it must only ever see supported ones. */
static void set_hostkey_pref(LIBSSH2_SESSION *sess, const char *pref)
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

static craft_code verify_host(struct craft_ssh *s, const struct craft_ssh_target *t,
                              const unsigned char *key, size_t keylen,
                              const struct craft_reporter *r, struct craft_err *err)
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

			if (ty && !in_list(types, ty))
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

/* The decoded body of an OpenSSH-format private key in text ("openssh-key-v1"
 * and on), or NULL when there is none. *n is its length; the caller frees. */
static unsigned char *openssh_key_blob(const char *text, size_t *n)
{
	const char *begin = strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----");
	const char *end = begin ? strstr(begin, "-----END OPENSSH PRIVATE KEY-----") : NULL;
	unsigned char *raw = NULL;

	*n = 0;
	if (!end)
		return NULL;
	begin += 35;
	if (craft_base64_decode(&raw, n, begin, (size_t)(end - begin), CRAFT_BASE64_SPACE, NULL))
		return NULL;
	return raw;
}

/* 1 when the private key file holds an RSA key (PEM, or OpenSSH format
 * whose public part is ssh-rsa). */
static int key_is_rsa(const char *path)
{
	struct craft_buf text = CRAFT_BUF_INIT(1 << 20);
	const char *t;
	unsigned char *raw;
	size_t n;
	int rsa = 0;

	if (craft_buf_read_file(&text, path, NULL) != CRAFT_OK)
		return 0;
	t = craft_buf_str(&text);
	if (strstr(t, "BEGIN RSA PRIVATE KEY")) {
		rsa = 1;
	} else if ((raw = openssh_key_blob(t, &n)) != NULL) {
		/* The first key's public blob starts with its type name. */
		for (size_t i = 0; i + 11 < n && i < 256; i++)
			if (memcmp(raw + i, "\0\0\0\7ssh-rsa", 11) == 0)
				rsa = 1;
		free(raw);
	}
	craft_buf_release(&text);
	return rsa;
}

/* Public key authentication with one key file. Returns 0, or -1 with why. */
static int auth_keyfile(struct craft_ssh *s, const char *path, const char *passphrase,
                        int *file_error, char *why, size_t whylen)
{
	int rc = libssh2_userauth_publickey_fromfile_ex(s->sess, s->user,
	                                                (unsigned int)strlen(s->user), NULL, path,
	                                                passphrase ? passphrase : "");

	if (rc == 0)
		return 0;
	*file_error = rc == LIBSSH2_ERROR_FILE;
	snprintf(why, whylen, "%s", last_error(s->sess));
	return -1;
}

static int auth_agent(struct craft_ssh *s, char *why, size_t whylen)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(s->sess);
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int ok = -1, n = 0;

	if (!agent) {
		snprintf(why, whylen, "cannot start the ssh-agent client");
		return -1;
	}
	if (!craft_env_get("SSH_AUTH_SOCK") || libssh2_agent_connect(agent) != 0) {
		snprintf(why, whylen, "no ssh-agent (SSH_AUTH_SOCK)");
		libssh2_agent_free(agent);
		return -1;
	}
	if (libssh2_agent_list_identities(agent) == 0) {
		while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
			n++;
			if (libssh2_agent_userauth(agent, s->user, id) == 0) {
				ok = 0;
				break;
			}
			prev = id;
		}
	}
	if (ok != 0)
		snprintf(why, whylen, "the ssh-agent offered %d key(s), none accepted", n);
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return ok;
}

static craft_code authenticate(struct craft_ssh *s, const struct craft_ssh_target *t,
                               struct craft_err *err)
{
	char why[512] = "";
	int file_error = 0;
	const char *methods;

	methods = libssh2_userauth_list(s->sess, s->user, (unsigned int)strlen(s->user));
	if (!methods && libssh2_userauth_authenticated(s->sess))
		return CRAFT_OK;
	if (methods && !in_list(methods, "publickey"))
		return craft_err_set(err, CRAFT_ESSH,
		                     "authentication failed for %s@%s port %d: the server offers "
		                     "only '%s', and craftctl uses public keys",
		                     s->user, s->host, s->port, methods);
	if (t->identity_file) {
		if (access(t->identity_file, R_OK) != 0)
			return craft_err_set(err, CRAFT_ESSH, "cannot read SSH key '%s': %s",
			                     t->identity_file, strerror(errno));
		if (auth_keyfile(s, t->identity_file, t->passphrase, &file_error, why,
		                 sizeof(why)) == 0)
			return CRAFT_OK;
		if (file_error)
			return craft_err_set(
			        err, CRAFT_ESSH,
			        "cannot use SSH key '%s': %s (wrong passphrase, or a key "
			        "format libssh2 cannot read)",
			        t->identity_file, why);
		if (key_is_rsa(t->identity_file))
			return craft_err_set(err, CRAFT_ESSH,
			                     "authentication failed for %s@%s port %d: the server "
			                     "refused RSA key "
			                     "'%s'; libssh2 1.10 signs RSA keys only with ssh-rsa "
			                     "(SHA-1), which "
			                     "OpenSSH 8.8 and later refuse by default: use an "
			                     "ed25519 or ECDSA key "
			                     "(ssh-keygen -t ed25519)",
			                     s->user, s->host, s->port, t->identity_file);
		return craft_err_set(err, CRAFT_ESSH,
		                     "authentication failed for %s@%s port %d: the server refused "
		                     "key '%s' (is its .pub in the user's authorized_keys?)",
		                     s->user, s->host, s->port, t->identity_file);
	}
	if (auth_agent(s, why, sizeof(why)) == 0)
		return CRAFT_OK;
	{
		static const char *const names[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
		const char *home = craft_env_get("HOME");
		struct craft_buf tried = CRAFT_BUF_INIT(8192);
		craft_code rc;

		for (size_t i = 0; home && i < sizeof(names) / sizeof(names[0]); i++) {
			char path[4096], w2[256];

			snprintf(path, sizeof(path), "%s/.ssh/%s", home, names[i]);
			if (access(path, R_OK) != 0)
				continue;
			if (auth_keyfile(s, path, t->passphrase, &file_error, w2, sizeof(w2)) == 0)
				return CRAFT_OK;
			(void)craft_buf_printf(&tried, "%s%s", tried.len ? ", " : "", path);
		}
		rc = craft_err_set(err, CRAFT_ESSH,
		                   "authentication failed for %s@%s port %d: %s; tried %s (give "
		                   "a key with -i)",
		                   s->user, s->host, s->port, why,
		                   tried.len ? craft_buf_str(&tried) : "no key files");
		craft_buf_release(&tried);
		return rc;
	}
}

static void free_session(struct craft_ssh *s)
{
	if (s->sess) {
		libssh2_session_set_blocking(s->sess, 1);
		libssh2_session_set_timeout(s->sess, 2000);
		libssh2_session_disconnect(s->sess, "bye");
		libssh2_session_free(s->sess);
		s->sess = NULL;
	}
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
}

static void report_waiting(const struct craft_reporter *r, long long elapsed, const char *msg)
{
	struct craft_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CRAFT_EV_WAITING;
	ev.level = CRAFT_LEVEL_INFO;
	ev.phase = "ssh";
	ev.message = msg;
	ev.elapsed_ms = elapsed;
	craft_report(r, &ev);
}

craft_code craft_ssh_connect(const struct craft_ssh_target *t, const struct craft_reporter *r,
                             struct craft_ssh **out, struct craft_err *err)
{
	struct craft_ssh *s;
	long long start = craft_now_ms(), next_report;
	long long deadline =
	        start + (t->connect_timeout_s > 0 ? t->connect_timeout_s : 120) * 1000LL;
	char why[512] = "";
	char types[256], pref[512];
	int attempts = 0;
	craft_code rc;

	*out = NULL;
	pthread_once(&init_once, lib_init);
	if (init_rc != 0)
		return craft_err_set(err, CRAFT_ESSH, "cannot initialise libssh2");
	if (!t->host || !*t->host || !t->user || !*t->user)
		return craft_err_set(err, CRAFT_EUSAGE, "an SSH target needs a host and a user");
	s = calloc(1, sizeof(*s));
	if (!s)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	s->sock = -1;
	snprintf(s->host, sizeof(s->host), "%s", t->host);
	snprintf(s->user, sizeof(s->user), "%s", t->user);
	s->port = t->port > 0 ? t->port : 22;
	s->keepalive_s = t->keepalive_s > 0 ? t->keepalive_s : 15;
	s->cancel = t->cancel;
	known_types(t, s->host, s->port, types, sizeof(types));
	hostkey_pref(types, pref, sizeof(pref));
	next_report = start + 10000;

	for (;;) {
		long long now = craft_now_ms();
		int left_ms = (int)(deadline - now);
		const char *key;
		size_t keylen = 0;
		int keytype = 0;

		attempts++;
		if (left_ms < 1000)
			left_ms = 1000;
		s->sock = tcp_connect(s->host, s->port, left_ms < 10000 ? left_ms : 10000, why,
		                      sizeof(why));
		if (s->sock >= 0) {
			s->sess = libssh2_session_init();
			if (!s->sess) {
				rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
				goto fail;
			}
			libssh2_session_set_blocking(s->sess, 1);
			libssh2_session_set_timeout(s->sess, 20000);
			set_hostkey_pref(s->sess, pref);
			if (libssh2_session_handshake(s->sess, s->sock) == 0)
				goto handshaken;
			snprintf(why, sizeof(why), "ssh handshake with %s port %d failed: %s",
			         s->host, s->port, last_error(s->sess));
			free_session(s);
		}
		now = craft_now_ms();
		if (cancelled(s)) {
			rc = interrupted(err);
			goto fail;
		}
		if (now >= deadline) {
			rc = craft_err_set(err, CRAFT_ESSH, "%s (gave up after %llds, %d attempts)",
			                   why, (now - start) / 1000, attempts);
			goto fail;
		}
		if (now >= next_report) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "waiting for ssh on %s port %d: %s", s->host,
			         s->port, why);
			report_waiting(r, now - start, msg);
			next_report = now + 10000;
		}
		sleep_ms(deadline - now < 1000 ? (long)(deadline - now) : 1000);
		continue;

handshaken:
		key = libssh2_session_hostkey(s->sess, &keylen, &keytype);
		if (!key || keylen == 0) {
			rc = craft_err_set(err, CRAFT_ESSH, "%s port %d sent no host key", s->host,
			                   s->port);
			goto fail;
		}
		craft_ssh_fingerprint((const unsigned char *)key, keylen, s->fingerprint);
		if (craft_ssh_blob_type((const unsigned char *)key, keylen, s->keytype,
		                        sizeof(s->keytype)) != 0)
			snprintf(s->keytype, sizeof(s->keytype), "unknown");
		rc = verify_host(s, t, (const unsigned char *)key, keylen, r, err);
		if (rc)
			goto fail;
		rc = authenticate(s, t, err);
		if (rc)
			goto fail;
		break;
	}
	libssh2_keepalive_config(s->sess, 1, (unsigned)s->keepalive_s);
	s->next_keepalive_ms = craft_now_ms() + s->keepalive_s * 1000LL;
	libssh2_session_set_blocking(s->sess, 0);
	*out = s;
	return CRAFT_OK;
fail:
	free_session(s);
	free(s);
	return rc;
}

void craft_ssh_close(struct craft_ssh *s)
{
	if (!s)
		return;
	free_session(s);
	free(s);
}

const char *craft_ssh_host_fingerprint(const struct craft_ssh *s)
{
	return s->fingerprint;
}

/* ---- channels ------------------------------------------------------------ */

static craft_code broken(struct craft_ssh *s, const char *what, struct craft_err *err)
{
	return craft_err_set(err, CRAFT_ESSH, "connection to %s port %d lost while %s: %s", s->host,
	                     s->port, what, last_error(s->sess));
}

static int remaining_ms(long long deadline)
{
	long long left;

	if (deadline <= 0)
		return 1000;
	left = deadline - craft_now_ms();
	if (left <= 0)
		return 0;
	return left > 1000 ? 1000 : (int)left;
}

static craft_code open_channel(struct craft_ssh *s, long long deadline, LIBSSH2_CHANNEL **out,
                               struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch;

	for (;;) {
		ch = libssh2_channel_open_session(s->sess);
		if (ch)
			break;
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN)
			return broken(s, "opening a channel", err);
		if (deadline > 0 && craft_now_ms() >= deadline)
			return craft_err_set(err, CRAFT_ETIMEOUT, "timed out opening a channel");
		wait_socket(s, remaining_ms(deadline));
	}
	*out = ch;
	return CRAFT_OK;
}

static void close_channel(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, int *exit_status)
{
	long long deadline = craft_now_ms() + 5000;
	char *sig = NULL;
	size_t siglen = 0;
	int rc;

	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN &&
	       craft_now_ms() < deadline)
		wait_socket(s, 200);
	while (rc == 0 && (rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN &&
	       craft_now_ms() < deadline)
		wait_socket(s, 200);
	if (exit_status) {
		*exit_status = libssh2_channel_get_exit_status(ch);
		if (libssh2_channel_get_exit_signal(ch, &sig, &siglen, NULL, NULL, NULL, NULL) ==
		            0 &&
		    sig) {
			*exit_status = 128 + 15; /* killed by a signal: not a success */
			libssh2_free(s->sess, sig);
		}
	}
	while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN && craft_now_ms() < deadline)
		wait_socket(s, 200);
}

static craft_code start_command(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, const char *command,
                                long long deadline, struct craft_err *err)
{
	int rc;

	while ((rc = libssh2_channel_process_startup(ch, "exec", 4, command,
	                                             (unsigned int)strlen(command))) ==
	       LIBSSH2_ERROR_EAGAIN) {
		if (deadline > 0 && craft_now_ms() >= deadline)
			return craft_err_set(err, CRAFT_ETIMEOUT, "timed out starting a command");
		wait_socket(s, remaining_ms(deadline));
	}
	if (rc != 0)
		return craft_err_set(err, CRAFT_ESSH, "cannot run a command on %s: %s", s->host,
		                     last_error(s->sess));
	return CRAFT_OK;
}

craft_code craft_ssh_exec(struct craft_ssh *s, const char *command, const char *stdin_data,
                          size_t stdin_len, const struct craft_ssh_sink *sink, int timeout_s,
                          int *exit_status, struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch = NULL;
	long long deadline = timeout_s > 0 ? craft_now_ms() + timeout_s * 1000LL : 0;
	size_t written = 0;
	int eof_sent = 0;
	char buf[16384];
	craft_code rc;

	*exit_status = 255;
	rc = open_channel(s, deadline, &ch, err);
	if (rc)
		return rc;
	rc = start_command(s, ch, command, deadline, err);
	if (rc)
		goto done;
	for (;;) {
		int progress = 0;
		ssize_t n;

		if (!eof_sent) {
			if (stdin_data && written < stdin_len) {
				n = libssh2_channel_write(ch, stdin_data + written,
				                          stdin_len - written);
				if (n > 0) {
					written += (size_t)n;
					progress = 1;
				} else if (n != LIBSSH2_ERROR_EAGAIN) {
					rc = broken(s, "sending input", err);
					goto done;
				}
			}
			if (!stdin_data || written >= stdin_len) {
				int e = libssh2_channel_send_eof(ch);

				if (e == 0)
					eof_sent = 1;
				else if (e != LIBSSH2_ERROR_EAGAIN) {
					rc = broken(s, "sending input", err);
					goto done;
				}
			}
		}
		for (int stream = 0; stream < 2; stream++) {
			while ((n = libssh2_channel_read_ex(ch,
			                                    stream ? SSH_EXTENDED_DATA_STDERR : 0,
			                                    buf, sizeof(buf))) > 0) {
				progress = 1;
				if (sink && sink->write)
					sink->write(sink->userdata, stream, buf, (size_t)n);
			}
			if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
				rc = broken(s, "running a command", err);
				goto done;
			}
		}
		if (libssh2_channel_eof(ch))
			break;
		if (cancelled(s)) {
			rc = interrupted(err);
			goto done;
		}
		if (deadline > 0 && craft_now_ms() >= deadline) {
			rc = craft_err_set(err, CRAFT_ETIMEOUT,
			                   "the remote command ran longer than %ds", timeout_s);
			goto done;
		}
		keepalive(s);
		if (!progress && wait_socket(s, remaining_ms(deadline)) < 0 && errno != EINTR) {
			rc = broken(s, "waiting for output", err);
			goto done;
		}
	}
done:
	if (rc == CRAFT_OK)
		close_channel(s, ch, exit_status);
	else
		close_channel(s, ch, NULL);
	return rc;
}

struct collect {
	struct craft_buf *out, *errout;
	int overflow;
};

static void collect_write(void *ud, int is_stderr, const char *data, size_t len)
{
	struct collect *c = ud;
	struct craft_buf *b = is_stderr ? c->errout : c->out;

	if (b && !c->overflow && craft_buf_add(b, data, len))
		c->overflow = 1;
}

craft_code craft_ssh_run(struct craft_ssh *s, const char *command, struct craft_buf *out,
                         struct craft_buf *errout, int timeout_s, int *exit_status,
                         struct craft_err *err)
{
	struct collect c = { out, errout, 0 };
	struct craft_ssh_sink sink = { collect_write, &c };
	craft_code rc = craft_ssh_exec(s, command, NULL, 0, &sink, timeout_s, exit_status, err);

	if (rc == CRAFT_OK && c.overflow)
		return craft_err_set(err, CRAFT_ETOOBIG, "the remote command printed too much");
	return rc;
}

craft_code craft_ssh_bg_start(struct craft_ssh *s, const char *command, const char *ready_line,
                              int timeout_s, struct craft_ssh_bg **out, struct craft_buf *output,
                              int *exit_status, struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch = NULL;
	long long deadline = craft_now_ms() + (timeout_s > 0 ? timeout_s : 60) * 1000LL;
	char buf[4096];
	craft_code rc;

	*out = NULL;
	*exit_status = -1;
	rc = open_channel(s, deadline, &ch, err);
	if (rc)
		return rc;
	rc = start_command(s, ch, command, deadline, err);
	if (rc)
		goto fail;
	for (;;) {
		ssize_t n = libssh2_channel_read(ch, buf, sizeof(buf));
		const char *text;

		if (n > 0) {
			if (craft_buf_add(output, buf, (size_t)n)) {
				rc = craft_err_set(err, CRAFT_ETOOBIG,
				                   "the remote command printed too much");
				goto fail;
			}
			text = craft_buf_str(output);
			{
				const char *p = strstr(text, ready_line);
				size_t rl = strlen(ready_line);

				while (p && !((p == text || p[-1] == '\n') &&
				              (p[rl] == '\n' || p[rl] == '\0')))
					p = strstr(p + 1, ready_line);
				if (p && p[rl] == '\n')
					break;
			}
			continue;
		}
		while ((n = libssh2_channel_read_stderr(ch, buf, sizeof(buf))) > 0)
			;
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			rc = broken(s, "starting a command", err);
			goto fail;
		}
		if (libssh2_channel_eof(ch)) {
			/* It ended before getting ready: the caller reads why from
			 * output and exit_status. */
			close_channel(s, ch, exit_status);
			return CRAFT_OK;
		}
		if (cancelled(s)) {
			rc = interrupted(err);
			goto fail;
		}
		if (craft_now_ms() >= deadline) {
			rc = craft_err_set(err, CRAFT_ETIMEOUT,
			                   "the remote command did not get ready");
			goto fail;
		}
		wait_socket(s, remaining_ms(deadline));
	}
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		rc = craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		goto fail;
	}
	(*out)->s = s;
	(*out)->ch = ch;
	return CRAFT_OK;
fail:
	close_channel(s, ch, NULL);
	return rc;
}

craft_code craft_ssh_bg_finish(struct craft_ssh_bg *bg, int timeout_s, int *exit_status,
                               struct craft_err *err)
{
	struct craft_ssh *s;
	long long deadline;
	char buf[4096];
	int e;
	craft_code rc = CRAFT_OK;

	*exit_status = 255;
	if (!bg)
		return CRAFT_OK;
	s = bg->s;
	deadline = craft_now_ms() + (timeout_s > 0 ? timeout_s : 30) * 1000LL;
	while ((e = libssh2_channel_send_eof(bg->ch)) == LIBSSH2_ERROR_EAGAIN &&
	       craft_now_ms() < deadline)
		wait_socket(s, remaining_ms(deadline));
	if (e != 0 && e != LIBSSH2_ERROR_EAGAIN) {
		rc = broken(s, "finishing a command", err);
		goto done;
	}
	for (;;) {
		ssize_t n = libssh2_channel_read(bg->ch, buf, sizeof(buf));

		if (n > 0)
			continue;
		while (libssh2_channel_read_stderr(bg->ch, buf, sizeof(buf)) > 0)
			;
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			rc = broken(s, "finishing a command", err);
			goto done;
		}
		if (libssh2_channel_eof(bg->ch))
			break;
		if (craft_now_ms() >= deadline) {
			rc = craft_err_set(err, CRAFT_ETIMEOUT, "timed out finishing a command");
			goto done;
		}
		wait_socket(s, remaining_ms(deadline));
	}
done:
	close_channel(s, bg->ch, rc == CRAFT_OK ? exit_status : NULL);
	free(bg);
	return rc;
}

/* ---- SFTP ------------------------------------------------------------------ */

craft_code craft_ssh_upload(struct craft_ssh *s, const char *local_path, const char *remote_path,
                            const struct craft_reporter *r, struct craft_err *err)
{
	LIBSSH2_SFTP *sftp = NULL;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	char part[4096];
	char buf[32768];
	struct stat st;
	long long start = craft_now_ms(), next_report = start + 10000;
	long long deadline = start + 3600 * 1000LL;
	unsigned long long sent = 0;
	int fd = -1, rc;
	craft_code code = CRAFT_OK;

	fd = open(local_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		code = craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", local_path,
		                     strerror(errno));
		goto done;
	}
	snprintf(part, sizeof(part), "%s.part", remote_path);
	while (!(sftp = libssh2_sftp_init(s->sess))) {
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN) {
			code = craft_err_set(err, CRAFT_ESSH, "cannot start SFTP on %s: %s",
			                     s->host, last_error(s->sess));
			goto done;
		}
		wait_socket(s, 1000);
	}
	while (!(h = libssh2_sftp_open_ex(sftp, part, (unsigned int)strlen(part),
	                                  LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
	                                  (long)(st.st_mode & 0777), LIBSSH2_SFTP_OPENFILE))) {
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN) {
			code = craft_err_set(
			        err, CRAFT_ESSH, "cannot create '%s' on %s: %s (sftp %lu)", part,
			        s->host, last_error(s->sess), libssh2_sftp_last_error(sftp));
			goto done;
		}
		wait_socket(s, 1000);
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			code = craft_err_set(err, CRAFT_EIO, "cannot read '%s': %s", local_path,
			                     strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		while (off < (size_t)n) {
			ssize_t w = libssh2_sftp_write(h, buf + off, (size_t)n - off);

			if (w == LIBSSH2_ERROR_EAGAIN) {
				if (cancelled(s)) {
					code = interrupted(err);
					goto done;
				}
				if (craft_now_ms() > deadline) {
					code = craft_err_set(err, CRAFT_ETIMEOUT,
					                     "upload timed out");
					goto done;
				}
				keepalive(s);
				wait_socket(s, 1000);
				continue;
			}
			if (w < 0) {
				code = broken(s, "uploading", err);
				goto done;
			}
			off += (size_t)w;
			sent += (unsigned long long)w;
		}
		if (craft_now_ms() >= next_report) {
			char msg[256];

			snprintf(msg, sizeof(msg), "uploading: %llu of %lld bytes", sent,
			         (long long)st.st_size);
			report_waiting(r, craft_now_ms() - start, msg);
			next_report = craft_now_ms() + 10000;
		}
	}
	/* The server's umask may have narrowed the mode; set it exactly. */
	memset(&attrs, 0, sizeof(attrs));
	attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
	attrs.permissions = st.st_mode & 07777;
	while ((rc = libssh2_sftp_fsetstat(h, &attrs)) == LIBSSH2_ERROR_EAGAIN)
		wait_socket(s, 1000);
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot set the mode of '%s': %s", part,
		                     last_error(s->sess));
		goto done;
	}
	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		wait_socket(s, 1000);
	h = NULL;
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot finish '%s': %s", part,
		                     last_error(s->sess));
		goto done;
	}
	while ((rc = libssh2_sftp_rename_ex(
	                sftp, part, (unsigned int)strlen(part), remote_path,
	                (unsigned int)strlen(remote_path),
	                LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	                        LIBSSH2_SFTP_RENAME_NATIVE)) == LIBSSH2_ERROR_EAGAIN)
		wait_socket(s, 1000);
	if (rc != 0)
		code = craft_err_set(err, CRAFT_ESSH, "cannot rename '%s' to '%s' on %s: %s", part,
		                     remote_path, s->host, last_error(s->sess));
done:
	if (h)
		while (libssh2_sftp_close_handle(h) == LIBSSH2_ERROR_EAGAIN)
			wait_socket(s, 1000);
	if (sftp)
		while (libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN)
			wait_socket(s, 1000);
	if (fd >= 0)
		close(fd);
	return code;
}

/* ---- interactive ------------------------------------------------------------ */

craft_code craft_ssh_interactive(struct craft_ssh *s, const char *command, const char *term,
                                 int cols, int rows, int in_fd, int out_fd, int *exit_status,
                                 struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch = NULL;
	char buf[16384];
	int in_open = 1, rc;
	craft_code code;

	*exit_status = 255;
	code = open_channel(s, 0, &ch, err);
	if (code)
		return code;
	if (!term || !*term)
		term = "xterm";
	while ((rc = libssh2_channel_request_pty_ex(ch, term, (unsigned int)strlen(term), NULL, 0,
	                                            cols > 0 ? cols : 80, rows > 0 ? rows : 24, 0,
	                                            0)) == LIBSSH2_ERROR_EAGAIN)
		wait_socket(s, 1000);
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot get a terminal on %s: %s", s->host,
		                     last_error(s->sess));
		goto done;
	}
	if (command)
		code = start_command(s, ch, command, 0, err);
	else {
		while ((rc = libssh2_channel_shell(ch)) == LIBSSH2_ERROR_EAGAIN)
			wait_socket(s, 1000);
		code = rc == 0 ? CRAFT_OK
		               : craft_err_set(err, CRAFT_ESSH, "cannot start a shell on %s: %s",
		                               s->host, last_error(s->sess));
	}
	if (code)
		goto done;
	for (;;) {
		struct pollfd pfd[2];
		ssize_t n;
		int nfds = 1;

		while ((n = libssh2_channel_read(ch, buf, sizeof(buf))) > 0) {
			size_t off = 0;

			while (off < (size_t)n) {
				ssize_t w = write(out_fd, buf + off, (size_t)n - off);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					break;
				off += (size_t)w;
			}
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			code = broken(s, "in the session", err);
			goto done;
		}
		while (libssh2_channel_read_stderr(ch, buf, sizeof(buf)) > 0)
			;
		if (libssh2_channel_eof(ch))
			break;
		pfd[0].fd = s->sock;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (in_open) {
			pfd[1].fd = in_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfds = 2;
		}
		keepalive(s);
		if (poll(pfd, (nfds_t)nfds, 1000) < 0 && errno != EINTR) {
			code = craft_err_set(err, CRAFT_EIO, "poll: %s", strerror(errno));
			goto done;
		}
		if (in_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
			n = read(in_fd, buf, sizeof(buf));
			if (n <= 0) {
				in_open = 0;
				while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN)
					wait_socket(s, 1000);
			} else {
				size_t off = 0;

				while (off < (size_t)n) {
					ssize_t w = libssh2_channel_write(ch, buf + off,
					                                  (size_t)n - off);

					if (w == LIBSSH2_ERROR_EAGAIN) {
						wait_socket(s, 1000);
						continue;
					}
					if (w < 0) {
						code = broken(s, "in the session", err);
						goto done;
					}
					off += (size_t)w;
				}
			}
		}
	}
done:
	close_channel(s, ch, code == CRAFT_OK ? exit_status : NULL);
	return code;
}

/* ---- helpers ---------------------------------------------------------------- */

craft_code craft_ssh_key_encrypted(const char *path, int *encrypted, struct craft_err *err)
{
	struct craft_buf text = CRAFT_BUF_INIT(1 << 20);
	const char *t;
	unsigned char *raw;
	size_t n;
	craft_code rc;

	*encrypted = 0;
	rc = craft_buf_read_file(&text, path, err);
	if (rc == CRAFT_ENOTFOUND)
		return craft_err_recode(err, CRAFT_EIO);
	if (rc)
		return rc;
	t = craft_buf_str(&text);
	if (strstr(t, "ENCRYPTED")) {
		*encrypted = 1;
	} else if ((raw = openssh_key_blob(t, &n)) != NULL) {
		/* openssh-key-v1\0, then string ciphername: "none" when not encrypted */
		if (n > 19 && memcmp(raw, "openssh-key-v1", 15) == 0) {
			size_t len = ((size_t)raw[15] << 24) | ((size_t)raw[16] << 16) |
			             ((size_t)raw[17] << 8) | raw[18];

			*encrypted = !(len == 4 && n >= 23 && memcmp(raw + 19, "none", 4) == 0);
		}
		free(raw);
	}
	craft_buf_release(&text);
	return CRAFT_OK;
}

craft_code craft_ssh_shell_quote(struct craft_buf *b, const char *s)
{
	craft_code rc = craft_buf_addch(b, '\'');

	for (; !rc && *s; s++)
		rc = *s == '\'' ? craft_buf_addstr(b, "'\\''") : craft_buf_addch(b, *s);
	return rc ? rc : craft_buf_addch(b, '\'');
}
