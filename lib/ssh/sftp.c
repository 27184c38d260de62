/*
 * sftp — uploading a file: written to <remote>.part, its mode set exactly,
 * renamed into place; progress reported every 10 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssh/internal.h"

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
			                     s->host, ssh_last_error(s->sess));
			goto done;
		}
		ssh_wait_socket(s, 1000);
	}
	while (!(h = libssh2_sftp_open_ex(sftp, part, (unsigned int)strlen(part),
	                                  LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
	                                  (long)(st.st_mode & 0777), LIBSSH2_SFTP_OPENFILE))) {
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN) {
			code = craft_err_set(
			        err, CRAFT_ESSH, "cannot create '%s' on %s: %s (sftp %lu)", part,
			        s->host, ssh_last_error(s->sess), libssh2_sftp_last_error(sftp));
			goto done;
		}
		ssh_wait_socket(s, 1000);
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
				ssh_keepalive(s);
				ssh_wait_socket(s, 1000);
				continue;
			}
			if (w < 0) {
				code = ssh_broken(s, "uploading", err);
				goto done;
			}
			off += (size_t)w;
			sent += (unsigned long long)w;
		}
		if (craft_now_ms() >= next_report) {
			char msg[256];

			snprintf(msg, sizeof(msg), "uploading: %llu of %lld bytes", sent,
			         (long long)st.st_size);
			ssh_report_waiting(r, craft_now_ms() - start, msg);
			next_report = craft_now_ms() + 10000;
		}
	}
	/* The server's umask may have narrowed the mode; set it exactly. */
	memset(&attrs, 0, sizeof(attrs));
	attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
	attrs.permissions = st.st_mode & 07777;
	while ((rc = libssh2_sftp_fsetstat(h, &attrs)) == LIBSSH2_ERROR_EAGAIN)
		ssh_wait_socket(s, 1000);
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot set the mode of '%s': %s", part,
		                     ssh_last_error(s->sess));
		goto done;
	}
	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		ssh_wait_socket(s, 1000);
	h = NULL;
	if (rc != 0) {
		code = craft_err_set(err, CRAFT_ESSH, "cannot finish '%s': %s", part,
		                     ssh_last_error(s->sess));
		goto done;
	}
	while ((rc = libssh2_sftp_rename_ex(
	                sftp, part, (unsigned int)strlen(part), remote_path,
	                (unsigned int)strlen(remote_path),
	                LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	                        LIBSSH2_SFTP_RENAME_NATIVE)) == LIBSSH2_ERROR_EAGAIN)
		ssh_wait_socket(s, 1000);
	if (rc != 0)
		code = craft_err_set(err, CRAFT_ESSH, "cannot rename '%s' to '%s' on %s: %s", part,
		                     remote_path, s->host, ssh_last_error(s->sess));
done:
	if (h)
		while (libssh2_sftp_close_handle(h) == LIBSSH2_ERROR_EAGAIN)
			ssh_wait_socket(s, 1000);
	if (sftp)
		while (libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN)
			ssh_wait_socket(s, 1000);
	if (fd >= 0)
		close(fd);
	return code;
}
