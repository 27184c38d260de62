/*
 * session — one verified, authenticated SSH connection (libssh2): connect
 * with bounded retries, host key verification, public key or agent
 * authentication, commands with streamed output, SFTP upload, keepalives.
 *
 * Invariants: craft_ssh_connect returns a session only after the server's
 * host key was accepted by the target's policy; nothing is sent to the
 * server before that except the key exchange. A session is used by one
 * thread. Remote output reaches the caller through a craft_ssh_sink; the
 * deploy module turns lines into CRAFT_EV_OUTPUT events.
 *
 * Ownership: craft_ssh_connect gives the caller a session to free with
 * craft_ssh_close. Target strings are borrowed for the call.
 *
 * The code: session.c (connect, authenticate, keepalive), verify.c (the
 * host key policies), exec.c (commands, the background command, quoting),
 * sftp.c (upload), pty.c (the interactive session); lib/ssh/internal.h is
 * what they share.
 */
#ifndef CRAFT_SSH_SESSION_H
#define CRAFT_SSH_SESSION_H

#include <signal.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/event.h"
#include "ssh/hostkey.h"
#include "ssh/keyfile.h" /* craft_ssh_key_encrypted, for the targets' key files */

/*
 * Called once when a host key was accepted for the first time (a new
 * --host with accept_new, or a provisioned instance verified against its
 * console fingerprints), so the caller can pin it. key_b64 is the key in
 * OpenSSH's "TYPE BASE64" form. A non-zero return aborts the connection.
 */
typedef craft_code (*craft_ssh_pin_fn)(void *userdata, const char *host, int port,
                                       const char *fingerprint, const char *key_line,
                                       struct craft_err *err);

enum craft_ssh_hostkey_policy {
	/* known_hosts file; unknown hosts refused unless accept_new */
	CRAFT_SSH_HOSTKEY_KNOWN_HOSTS = 0,
	/* only keys whose fingerprint is in expected are accepted */
	CRAFT_SSH_HOSTKEY_FINGERPRINTS,
};

struct craft_ssh_target {
	const char *host;          /* name or address */
	int port;                  /* 0 = 22 */
	const char *user;          /* login user */
	const char *identity_file; /* private key; NULL = ssh-agent, then ~/.ssh/id_* */
	const char *passphrase;    /* for an encrypted key, or NULL */

	enum craft_ssh_hostkey_policy policy;
	const char *known_hosts; /* KNOWN_HOSTS: the file (NULL = ~/.ssh/known_hosts) */
	int accept_new;          /* KNOWN_HOSTS: record an unknown host's key */
	const struct craft_ssh_fpset *expected; /* FINGERPRINTS: the acceptable keys */

	craft_ssh_pin_fn pin; /* may be NULL */
	void *pin_userdata;

	int connect_timeout_s; /* total time to keep retrying; 0 = 120 */
	int keepalive_s;       /* 0 = 15 */

	/* Set (by a signal handler) to stop: waits end with CRAFT_EINTR. */
	const volatile sig_atomic_t *cancel;
};

struct craft_ssh;

craft_code craft_ssh_connect(const struct craft_ssh_target *t, const struct craft_reporter *r,
                             struct craft_ssh **out, struct craft_err *err);
void craft_ssh_close(struct craft_ssh *s);

/* The fingerprint of the host key the server showed (valid after connect). */
const char *craft_ssh_host_fingerprint(const struct craft_ssh *s);

/* Where remote output goes: data as it arrives, stderr flagged. */
struct craft_ssh_sink {
	void (*write)(void *userdata, int is_stderr, const char *data, size_t len);
	void *userdata;
};

/*
 * Runs command (a shell command line, run by the user's login shell) and
 * waits for it. stdin_data (may be NULL) is written to its stdin, then EOF.
 * Output goes to sink as it arrives; *exit_status gets the remote exit
 * status (or 255 + CRAFT_ESSH when the connection broke). timeout_s > 0
 * bounds the whole command (CRAFT_ETIMEOUT). A non-zero exit status is not
 * an error of this function: the caller decides.
 */
craft_code craft_ssh_exec(struct craft_ssh *s, const char *command, const char *stdin_data,
                          size_t stdin_len, const struct craft_ssh_sink *sink, int timeout_s,
                          int *exit_status, struct craft_err *err);

/* Same, collecting stdout into out (bounded by out's max) and stderr into
 * errout (may be NULL). */
craft_code craft_ssh_run(struct craft_ssh *s, const char *command, struct craft_buf *out,
                         struct craft_buf *errout, int timeout_s, int *exit_status,
                         struct craft_err *err);

/*
 * A command that stays open beside the others (the deploy lock keeper):
 * starts it and reads its stdout until a line equal to ready_line or EOF.
 * Its stdout so far is appended to output. When it exits before printing
 * ready_line, *out stays NULL and *exit_status gets its status (else -1).
 * A running one ends with craft_ssh_bg_finish (closes its stdin, waits for
 * its exit status).
 */
struct craft_ssh_bg;
craft_code craft_ssh_bg_start(struct craft_ssh *s, const char *command, const char *ready_line,
                              int timeout_s, struct craft_ssh_bg **out, struct craft_buf *output,
                              int *exit_status, struct craft_err *err);
craft_code craft_ssh_bg_finish(struct craft_ssh_bg *bg, int timeout_s, int *exit_status,
                               struct craft_err *err);

/*
 * Uploads the local file to remote_path over SFTP: writes remote_path.part,
 * sets the local file's mode, then renames it into place (replacing nothing:
 * remote_path must not exist). Reports progress every 10 s.
 */
craft_code craft_ssh_upload(struct craft_ssh *s, const char *local_path, const char *remote_path,
                            const struct craft_reporter *r, struct craft_err *err);

/*
 * An interactive session on a pseudo-terminal (craftctl ssh): shuttles
 * bytes between in_fd/out_fd and a remote shell (command NULL) or command,
 * until the remote side exits. term is $TERM; cols/rows the window.
 */
craft_code craft_ssh_interactive(struct craft_ssh *s, const char *command, const char *term,
                                 int cols, int rows, int in_fd, int out_fd, int *exit_status,
                                 struct craft_err *err);

/* Quotes s for a POSIX shell ('...' with embedded quotes escaped). */
craft_code craft_ssh_shell_quote(struct craft_buf *b, const char *s);

#endif
