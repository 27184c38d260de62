/*
 * graphviz — `dot -T<format>` as a child process with our own descriptors.
 *
 * Standard input is a Unix socket pair rather than a pipe so that writes can
 * say MSG_NOSIGNAL: a dot that exits early gives EPIPE, not a signal that
 * would kill craftctl. An exec failure travels back over a close-on-exec
 * pipe, so "not installed" is told apart from "failed".
 */
#include "diagram/graphviz.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RENDER_TIMEOUT_MS 60000
#define RENDER_MAX_BYTES  (64u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int valid_format(const char *f)
{
	if (!f || !*f || strlen(f) > 32)
		return 0;
	for (; *f; f++)
		if (!((*f >= 'a' && *f <= 'z') || (*f >= '0' && *f <= '9') || *f == ':'))
			return 0;
	return 1;
}

static int cloexec(const int *a, const int *b, const int *c, const int *d)
{
	const int *all[] = { a, b, c, d };

	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 2; j++)
			if (fcntl(all[i][j], F_SETFD, FD_CLOEXEC) != 0)
				return -1;
	return 0;
}

/* The child: becomes dot, or reports errno on the status pipe. */
static void child(int in, int outfd, int errfd, int status, const char *targ)
{
	char *const argv[] = { "dot", (char *)targ, NULL };
	int e;

	if (dup2(in, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execvp("dot", argv);
	e = errno;
	if (write(status, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static craft_code drain(int *fd, struct craft_buf *b, struct craft_err *err)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		craft_code rc = craft_buf_add(b, chunk, (size_t)n);

		if (rc)
			return craft_err_set(err, rc, "the picture from dot is too large");
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close_fd(fd);
	}
	return CRAFT_OK;
}

craft_code craft_graphviz_render(struct craft_buf *out, const char *dot_text, size_t len,
                                 const char *format, struct craft_err *err)
{
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, ps[2] = { -1, -1 };
	struct craft_buf picture = CRAFT_BUF_INIT(RENDER_MAX_BYTES);
	struct craft_buf errs = CRAFT_BUF_INIT(64 * 1024);
	char targ[40];
	size_t sent = 0;
	pid_t pid;
	int wstatus = 0, exec_errno = 0;
	long long deadline;
	craft_code rc = CRAFT_OK;

	if (!valid_format(format))
		return craft_err_set(err, CRAFT_EUSAGE, "invalid graphviz format '%.40s'",
		                     format ? format : "");
	snprintf(targ, sizeof(targ), "-T%s", format);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(po) != 0 || pipe(pe) != 0 ||
	    pipe(ps) != 0 || cloexec(sv, po, pe, ps) != 0) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot run dot: %s", strerror(errno));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot run dot: %s", strerror(errno));
		goto cleanup;
	}
	if (pid == 0)
		child(sv[1], po[1], pe[1], ps[1], targ);
	close_fd(&sv[1]);
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&ps[1]);
	/* exec succeeded when the status pipe closes without a word */
	if (read(ps[0], &exec_errno, sizeof(exec_errno)) != (ssize_t)sizeof(exec_errno))
		exec_errno = 0;
	close_fd(&ps[0]);
	if (exec_errno) {
		waitpid(pid, &wstatus, 0);
		if (exec_errno == ENOENT)
			rc = craft_err_set(
			        err, CRAFT_ENOTFOUND,
			        "graphviz's 'dot' was not found on PATH: install graphviz "
			        "(apt-get install graphviz), or use --format dot");
		else
			rc = craft_err_set(err, CRAFT_EIO, "cannot run graphviz's 'dot': %s",
			                   strerror(exec_errno));
		goto cleanup;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (len == 0)
		shutdown(sv[0], SHUT_WR);
	deadline = now_ms() + RENDER_TIMEOUT_MS;
	while (!rc && (po[0] >= 0 || pe[0] >= 0)) {
		struct pollfd fds[3];
		int nfds = 0, r;
		long long left = deadline - now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = craft_err_set(err, CRAFT_ETIMEOUT, "dot ran for over %d s; stopped it",
			                   RENDER_TIMEOUT_MS / 1000);
			break;
		}
		if (po[0] >= 0)
			fds[nfds++] = (struct pollfd){ po[0], POLLIN, 0 };
		if (pe[0] >= 0)
			fds[nfds++] = (struct pollfd){ pe[0], POLLIN, 0 };
		if (sv[0] >= 0 && sent < len)
			fds[nfds++] = (struct pollfd){ sv[0], POLLOUT, 0 };
		r = poll(fds, (nfds_t)nfds, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR) {
			rc = craft_err_set(err, CRAFT_EIO, "waiting for dot: %s", strerror(errno));
			break;
		}
		for (int i = 0; r > 0 && i < nfds && !rc; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == sv[0]) {
				ssize_t n = send(sv[0], dot_text + sent, len - sent, MSG_NOSIGNAL);

				if (n > 0)
					sent += (size_t)n;
				else if (n < 0 && errno != EAGAIN && errno != EINTR)
					close_fd(
					        &sv[0]); /* dot stopped reading: its status tells */
				if (sv[0] >= 0 && sent == len)
					shutdown(sv[0], SHUT_WR);
			} else if (fds[i].fd == po[0]) {
				rc = drain(&po[0], &picture, err);
			} else {
				drain(&pe[0], &errs, err);
			}
		}
	}
	if (rc)
		kill(pid, SIGKILL); /* it may be blocked writing what we no longer read */
	if (waitpid(pid, &wstatus, 0) < 0 && !rc)
		rc = craft_err_set(err, CRAFT_EIO, "waiting for dot: %s", strerror(errno));
	if (!rc && (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)) {
		const char *e = craft_buf_str(&errs);
		size_t n = strcspn(e, "\n");

		rc = craft_err_set(err, CRAFT_EIO, "dot -T%s failed (%s %d)%s%.*s", format,
		                   WIFEXITED(wstatus) ? "exit" : "signal",
		                   WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus),
		                   n ? ": " : "", (int)(n > 400 ? 400 : n), e);
	}
	if (!rc && sent < len)
		rc = craft_err_set(err, CRAFT_EIO, "dot stopped reading its input");
	if (!rc && picture.len == 0)
		rc = craft_err_set(err, CRAFT_EIO, "dot -T%s printed nothing", format);
	if (!rc)
		rc = craft_buf_add(out, picture.data, picture.len);
cleanup:
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&po[0]);
	close_fd(&po[1]);
	close_fd(&pe[0]);
	close_fd(&pe[1]);
	close_fd(&ps[0]);
	close_fd(&ps[1]);
	craft_buf_release(&picture);
	craft_buf_release(&errs);
	return rc;
}
