/*
 * exec — channels and the commands run on them: craft_ssh_exec with
 * streamed output, craft_ssh_run collecting it, the background command
 * (the deploy lock keeper), and quoting for the remote shell.
 */
#include <errno.h>
#include <libssh2.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/internal.h"

struct craft_ssh_bg {
	struct craft_ssh *s;
	LIBSSH2_CHANNEL *ch;
};

int ssh_remaining_ms(long long deadline)
{
	long long left;

	if (deadline <= 0)
		return 1000;
	left = deadline - craft_now_ms();
	if (left <= 0)
		return 0;
	return left > 1000 ? 1000 : (int)left;
}

craft_code ssh_open_channel(struct craft_ssh *s, long long deadline, LIBSSH2_CHANNEL **out,
                            struct craft_err *err)
{
	LIBSSH2_CHANNEL *ch;

	for (;;) {
		ch = libssh2_channel_open_session(s->sess);
		if (ch)
			break;
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN)
			return ssh_broken(s, "opening a channel", err);
		if (deadline > 0 && craft_now_ms() >= deadline)
			return craft_err_set(err, CRAFT_ETIMEOUT, "timed out opening a channel");
		ssh_wait_socket(s, ssh_remaining_ms(deadline));
	}
	*out = ch;
	return CRAFT_OK;
}

void ssh_close_channel(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, int *exit_status)
{
	long long deadline = craft_now_ms() + 5000;
	char *sig = NULL;
	size_t siglen = 0;
	int rc;

	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN &&
	       craft_now_ms() < deadline)
		ssh_wait_socket(s, 200);
	while (rc == 0 && (rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN &&
	       craft_now_ms() < deadline)
		ssh_wait_socket(s, 200);
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
		ssh_wait_socket(s, 200);
}

craft_code ssh_start_command(struct craft_ssh *s, LIBSSH2_CHANNEL *ch, const char *command,
                             long long deadline, struct craft_err *err)
{
	int rc;

	while ((rc = libssh2_channel_process_startup(ch, "exec", 4, command,
	                                             (unsigned int)strlen(command))) ==
	       LIBSSH2_ERROR_EAGAIN) {
		if (deadline > 0 && craft_now_ms() >= deadline)
			return craft_err_set(err, CRAFT_ETIMEOUT, "timed out starting a command");
		ssh_wait_socket(s, ssh_remaining_ms(deadline));
	}
	if (rc != 0)
		return craft_err_set(err, CRAFT_ESSH, "cannot run a command on %s: %s", s->host,
		                     ssh_last_error(s->sess));
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
	rc = ssh_open_channel(s, deadline, &ch, err);
	if (rc)
		return rc;
	rc = ssh_start_command(s, ch, command, deadline, err);
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
					rc = ssh_broken(s, "sending input", err);
					goto done;
				}
			}
			if (!stdin_data || written >= stdin_len) {
				int e = libssh2_channel_send_eof(ch);

				if (e == 0)
					eof_sent = 1;
				else if (e != LIBSSH2_ERROR_EAGAIN) {
					rc = ssh_broken(s, "sending input", err);
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
				rc = ssh_broken(s, "running a command", err);
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
		ssh_keepalive(s);
		if (!progress && ssh_wait_socket(s, ssh_remaining_ms(deadline)) < 0 &&
		    errno != EINTR) {
			rc = ssh_broken(s, "waiting for output", err);
			goto done;
		}
	}
done:
	if (rc == CRAFT_OK)
		ssh_close_channel(s, ch, exit_status);
	else
		ssh_close_channel(s, ch, NULL);
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
	rc = ssh_open_channel(s, deadline, &ch, err);
	if (rc)
		return rc;
	rc = ssh_start_command(s, ch, command, deadline, err);
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
			rc = ssh_broken(s, "starting a command", err);
			goto fail;
		}
		if (libssh2_channel_eof(ch)) {
			/* It ended before getting ready: the caller reads why from
			 * output and exit_status. */
			ssh_close_channel(s, ch, exit_status);
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
		ssh_wait_socket(s, ssh_remaining_ms(deadline));
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
	ssh_close_channel(s, ch, NULL);
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
		ssh_wait_socket(s, ssh_remaining_ms(deadline));
	if (e != 0 && e != LIBSSH2_ERROR_EAGAIN) {
		rc = ssh_broken(s, "finishing a command", err);
		goto done;
	}
	for (;;) {
		ssize_t n = libssh2_channel_read(bg->ch, buf, sizeof(buf));

		if (n > 0)
			continue;
		while (libssh2_channel_read_stderr(bg->ch, buf, sizeof(buf)) > 0)
			;
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			rc = ssh_broken(s, "finishing a command", err);
			goto done;
		}
		if (libssh2_channel_eof(bg->ch))
			break;
		if (craft_now_ms() >= deadline) {
			rc = craft_err_set(err, CRAFT_ETIMEOUT, "timed out finishing a command");
			goto done;
		}
		ssh_wait_socket(s, ssh_remaining_ms(deadline));
	}
done:
	ssh_close_channel(s, bg->ch, rc == CRAFT_OK ? exit_status : NULL);
	free(bg);
	return rc;
}

craft_code craft_ssh_shell_quote(struct craft_buf *b, const char *s)
{
	craft_code rc = craft_buf_addch(b, '\'');

	for (; !rc && *s; s++)
		rc = *s == '\'' ? craft_buf_addstr(b, "'\\''") : craft_buf_addch(b, *s);
	return rc ? rc : craft_buf_addch(b, '\'');
}
