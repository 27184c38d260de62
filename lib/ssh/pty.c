/*
 * pty — the interactive session (craftctl ssh): a pseudo-terminal on the
 * remote side, bytes shuttled between it and the caller's descriptors.
 */
#include <errno.h>
#include <libssh2.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "ssh/internal.h"

craft_code craft_ssh_interactive(struct craft_ssh *s, const char *command, const char *term,
                                 int cols, int rows, int in_fd, int out_fd, int *exit_status,
                                 struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch = NULL;
	char buf[16384];
	int in_open = 1, rc;
	craft_code code;

	*exit_status = 255;
	code = ssh_open_channel(s, 0, &ch, err);
	if (code)
		return code;
	if (!term || !*term)
		term = "xterm";
	while ((rc = libssh2_channel_request_pty_ex(ch, term, (unsigned int)strlen(term), NULL, 0,
	                                            cols > 0 ? cols : 80, rows > 0 ? rows : 24, 0,
	                                            0)) == LIBSSH2_ERROR_EAGAIN)
		ssh_wait_socket(s, 1000);
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot get a terminal on %s: %s", s->host,
		                     ssh_last_error(s->sess));
		goto done;
	}
	if (command)
		code = ssh_start_command(s, ch, command, 0, err);
	else {
		while ((rc = libssh2_channel_shell(ch)) == LIBSSH2_ERROR_EAGAIN)
			ssh_wait_socket(s, 1000);
		code = rc == 0 ? CRAFT_OK
		               : craft_err_set(err, CRAFT_ESSH, "cannot start a shell on %s: %s",
		                               s->host, ssh_last_error(s->sess));
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
			code = ssh_broken(s, "in the session", err);
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
		ssh_keepalive(s);
		if (poll(pfd, (nfds_t)nfds, 1000) < 0 && errno != EINTR) {
			code = craft_err_set(err, CRAFT_EIO, "poll: %s", strerror(errno));
			goto done;
		}
		if (in_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
			n = read(in_fd, buf, sizeof(buf));
			if (n <= 0) {
				in_open = 0;
				while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN)
					ssh_wait_socket(s, 1000);
			} else {
				size_t off = 0;

				while (off < (size_t)n) {
					ssize_t w = libssh2_channel_write(ch, buf + off,
					                                  (size_t)n - off);

					if (w == LIBSSH2_ERROR_EAGAIN) {
						ssh_wait_socket(s, 1000);
						continue;
					}
					if (w < 0) {
						code = ssh_broken(s, "in the session", err);
						goto done;
					}
					off += (size_t)w;
				}
			}
		}
	}
done:
	ssh_close_channel(s, ch, code == CRAFT_OK ? exit_status : NULL);
	return code;
}
