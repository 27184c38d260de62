/*
 * The SSH session's insides, shared by the files that make up
 * ssh/session.h (nothing outside lib/ssh includes this):
 *
 *   session.c  connecting with retries, authentication, keepalives, and
 *              the plumbing below (socket waits, errors, progress)
 *   verify.c   the server's host key: algorithm preference, the
 *              fingerprint and known_hosts policies, pinning
 *   exec.c     channels and commands: exec, run, the background command,
 *              shell quoting
 *   sftp.c     upload
 *   pty.c      the interactive session
 *
 * The session is non-blocking after connect: every libssh2 call that says
 * EAGAIN is retried after ssh_wait_socket.
 */
#ifndef CRAFT_SSH_INTERNAL_H
#define CRAFT_SSH_INTERNAL_H

#include <libssh2.h>
#include <signal.h>
#include <stddef.h>

#include "core/error.h"
#include "core/event.h"
#include "ssh/hostkey.h"
#include "ssh/session.h"

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

static inline int cancelled(const struct craft_ssh *s)
{
	return s->cancel && *s->cancel;
}

static inline craft_code interrupted(struct craft_err *err)
{
	return craft_err_set(err, CRAFT_EINTR, "interrupted");
}

/* session.c */
const char *ssh_last_error(LIBSSH2_SESSION *sess);
/* Waits until the socket is ready in the direction libssh2 wants. */
int ssh_wait_socket(struct craft_ssh *s, int timeout_ms);
/* Sends a keepalive when one is due. */
void ssh_keepalive(struct craft_ssh *s);
/* CRAFT_ESSH "connection to ... lost while <what>: <libssh2's reason>". */
craft_code ssh_broken(struct craft_ssh *s, const char *what, struct craft_err *err);
void ssh_report_waiting(const struct craft_reporter *r, long long elapsed, const char *msg);
/* 1 when item is one of the comma-separated names of list. */
int ssh_in_list(const char *list, const char *item);

/* verify.c */
/* The host key algorithms to offer for t's host, the types it is already
 * known with first, into pref. */
void ssh_hostkey_pref(const struct craft_ssh_target *t, const char *host, int port, char *pref,
                      size_t len);
/* Makes sess offer the algorithms of pref that this libssh2 supports. */
void ssh_set_hostkey_pref(LIBSSH2_SESSION *sess, const char *pref);
/* Accepts or refuses the key the server showed (s->fingerprint and
 * s->keytype are set) by t's policy; records and pins it when new. */
craft_code ssh_verify_host(struct craft_ssh *s, const struct craft_ssh_target *t,
                           const unsigned char *key, size_t keylen, const struct craft_reporter *r,
                           struct craft_err *err);

/* exec.c */
/* The wait until deadline (0: none) for one poll, at most 1 s. */
int ssh_remaining_ms(long long deadline);
craft_code ssh_open_channel(struct craft_ssh *s, long long deadline, LIBSSH2_CHANNEL **out,
                            struct craft_err *err);
/* Closes and frees ch; exit_status (may be NULL) gets the remote status. */
void ssh_close_channel(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, int *exit_status);
craft_code ssh_start_command(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, const char *command,
                             long long deadline, struct craft_err *err);

#endif
