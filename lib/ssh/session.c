/*
 * session — connecting (with retries until the target's deadline),
 * authentication, keepalives, and the plumbing the other files of the
 * session share (lib/ssh/internal.h lists who holds what).
 */
#include "ssh/session.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/env.h"
#include "ssh/internal.h"
#include "ssh/keyfile.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void lib_init(void)
{
	init_rc = libssh2_init(0);
}

const char *ssh_last_error(LIBSSH2_SESSION *sess)
{
	char *msg = NULL;

	if (!sess)
		return "no session";
	libssh2_session_last_error(sess, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown libssh2 error";
}

/* Waits until the socket is ready in the direction libssh2 wants. */
int ssh_wait_socket(struct craft_ssh *s, int timeout_ms)
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

void ssh_keepalive(struct craft_ssh *s)
{
	long long now = craft_now_ms();
	int next = 0;

	if (now < s->next_keepalive_ms)
		return;
	(void)libssh2_keepalive_send(s->sess, &next);
	s->next_keepalive_ms = now + (next > 0 ? next : s->keepalive_s) * 1000LL;
}

int ssh_in_list(const char *list, const char *item)
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

craft_code ssh_broken(struct craft_ssh *s, const char *what, struct craft_err *err)
{
	return craft_err_set(err, CRAFT_ESSH, "connection to %s port %d lost while %s: %s", s->host,
	                     s->port, what, ssh_last_error(s->sess));
}

void ssh_report_waiting(const struct craft_reporter *r, long long elapsed, const char *msg)
{
	struct craft_event ev;

	craft_event_init(&ev, CRAFT_EV_WAITING, CRAFT_LEVEL_INFO);
	ev.phase = "ssh";
	ev.message = msg;
	ev.elapsed_ms = elapsed;
	craft_report(r, &ev);
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
	snprintf(why, whylen, "%s", ssh_last_error(s->sess));
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
	if (methods && !ssh_in_list(methods, "publickey"))
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
		if (craft_ssh_keyfile_is_rsa(t->identity_file))
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

craft_code craft_ssh_connect(const struct craft_ssh_target *t, const struct craft_reporter *r,
                             struct craft_ssh **out, struct craft_err *err)
{
	struct craft_ssh *s;
	long long start = craft_now_ms(), next_report;
	long long deadline =
	        start + (t->connect_timeout_s > 0 ? t->connect_timeout_s : 120) * 1000LL;
	char why[512] = "";
	char pref[512];
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
	ssh_hostkey_pref(t, s->host, s->port, pref, sizeof(pref));
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
			ssh_set_hostkey_pref(s->sess, pref);
			if (libssh2_session_handshake(s->sess, s->sock) == 0)
				goto handshaken;
			snprintf(why, sizeof(why), "ssh handshake with %s port %d failed: %s",
			         s->host, s->port, ssh_last_error(s->sess));
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
			ssh_report_waiting(r, now - start, msg);
			next_report = now + 10000;
		}
		craft_sleep_ms(deadline - now < 1000 ? (long)(deadline - now) : 1000, NULL);
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
		rc = ssh_verify_host(s, t, (const unsigned char *)key, keylen, r, err);
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
