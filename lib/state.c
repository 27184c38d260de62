/*
 * state — the JSON cache of ids and the host key, and the per-stack lock.
 * Layout: {"version":1,"stack":"s","values":{...},"resources":{"vpc/main":"vpc-1"}}
 */
#include "state.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "core/env.h"

#define MAX_STATE (4 * 1024 * 1024)

struct craft_state {
	char *stack;
	char *path;
	cJSON *root; /* object: version, stack, values{}, resources{} */
};

struct craft_state_lock {
	int fd;
	char *path;
};

craft_code craft_state_dir(char **out, struct craft_err *err)
{
	struct craft_buf b = CRAFT_BUF_INIT(4096);
	const char *xdg = craft_env_get("XDG_STATE_HOME");
	const char *home = craft_env_get("HOME");
	craft_code rc;

	*out = NULL;
	if (xdg && xdg[0] == '/')
		rc = craft_buf_printf(&b, "%s/craftctl", xdg);
	else if (home)
		rc = craft_buf_printf(&b, "%s/.local/state/craftctl", home);
	else
		return craft_err_set(err, CRAFT_EIO,
		                     "cannot place the state cache: set XDG_STATE_HOME or HOME");
	if (rc)
		return craft_err_set(err, rc, "state path too long");
	*out = craft_buf_detach(&b, NULL);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

static craft_code file_in_dir(char **out, const char *stack, const char *ext, int create_dir,
                              struct craft_err *err)
{
	char *dir = NULL;
	struct craft_buf b = CRAFT_BUF_INIT(4096);
	craft_code rc = craft_state_dir(&dir, err);

	*out = NULL;
	if (rc)
		return rc;
	if (create_dir) {
		rc = craft_mkdir_p(dir, err);
		if (rc) {
			free(dir);
			return rc;
		}
	}
	rc = craft_buf_printf(&b, "%s/%s%s", dir, stack, ext);
	free(dir);
	if (rc)
		return craft_err_set(err, rc, "state path too long");
	*out = craft_buf_detach(&b, NULL);
	return *out ? CRAFT_OK : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
}

/* ---- lock ---- */

craft_code craft_state_lock(struct craft_state_lock **out, const char *stack, const char *what,
                            struct craft_err *err)
{
	struct craft_state_lock *l;
	char info[512];
	char host[128] = "";
	time_t now = time(NULL);
	struct tm tm;
	char when[32] = "";
	int fd;
	craft_code rc;
	char *path = NULL;

	*out = NULL;
	rc = file_in_dir(&path, stack, ".lock", 1, err);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot open lock '%s': %s", path,
		                   strerror(errno));
		free(path);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char holder[512];
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);

		holder[n > 0 ? n : 0] = '\0';
		if (n > 0 && holder[n - 1] == '\n')
			holder[n - 1] = '\0';
		rc = craft_err_set(err, CRAFT_ELOCKED,
		                   "stack '%s' is locked by another run (%s); lock file '%s'",
		                   stack, holder[0] ? holder : "holder unknown", path);
		close(fd);
		free(path);
		return rc;
	}
	gethostname(host, sizeof(host) - 1);
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(info, sizeof(info), "pid %ld, craftctl %s on %s since %s\n", (long)getpid(),
	         what ? what : "?", host, when);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, info, strlen(info), 0) < 0) {
		/* the lock holds anyway; only the message of a second run suffers */
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		free(path);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	l->fd = fd;
	l->path = path;
	*out = l;
	return CRAFT_OK;
}

void craft_state_unlock(struct craft_state_lock *l)
{
	if (!l)
		return;
	if (ftruncate(l->fd, 0) != 0) {
		/* stale text is harmless: the flock is what counts */
	}
	close(l->fd); /* releases the flock */
	free(l->path);
	free(l);
}

/* ---- cache ---- */

static cJSON *obj(cJSON *root, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);

	if (!cJSON_IsObject(o)) {
		if (o)
			cJSON_DeleteItemFromObjectCaseSensitive(root, key);
		o = cJSON_AddObjectToObject(root, key);
	}
	return o;
}

static cJSON *fresh_root(const char *stack)
{
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return NULL;
	if (!cJSON_AddNumberToObject(r, "version", 1) ||
	    !cJSON_AddStringToObject(r, "stack", stack) || !cJSON_AddObjectToObject(r, "values") ||
	    !cJSON_AddObjectToObject(r, "resources")) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

craft_code craft_state_load(struct craft_state **out, const char *stack, int *discarded,
                            struct craft_err *err)
{
	struct craft_state *st;
	struct craft_buf b = CRAFT_BUF_INIT(MAX_STATE);
	craft_code rc;
	cJSON *root = NULL;

	*out = NULL;
	if (discarded)
		*discarded = 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	st->stack = strdup(stack);
	if (!st->stack) {
		free(st);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	rc = file_in_dir(&st->path, stack, ".json", 0, err);
	if (rc) {
		craft_state_free(st);
		return rc;
	}
	/* No file is a fresh stack; one that cannot be read or parsed is
	 * discarded (AWS is asked instead), never an error. */
	rc = craft_buf_read_file(&b, st->path, NULL);
	if (rc != CRAFT_ENOTFOUND) {
		root = rc ? NULL : cJSON_ParseWithLength(craft_buf_str(&b), b.len);
		craft_buf_release(&b);
		if (root) {
			cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "stack");
			cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");

			if (!cJSON_IsObject(root) || !cJSON_IsString(s) ||
			    strcmp(s->valuestring, stack) != 0 || !cJSON_IsNumber(v) ||
			    v->valuedouble != 1) {
				cJSON_Delete(root);
				root = NULL;
			}
		}
		if (!root && discarded)
			*discarded = 1;
	}
	if (root && (!obj(root, "values") || !obj(root, "resources"))) {
		cJSON_Delete(root);
		root = NULL;
	}
	st->root = root ? root : fresh_root(stack);
	if (!st->root) {
		craft_state_free(st);
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	}
	*out = st;
	return CRAFT_OK;
}

static void fsync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0) {
			/* best effort: the rename itself is atomic */
		}
		close(fd);
	}
}

craft_code craft_state_save(struct craft_state *st, struct craft_err *err)
{
	char *text = NULL;
	char *dir = NULL;
	struct craft_buf tmp = CRAFT_BUF_INIT(4200);
	size_t len, off = 0;
	int fd = -1;
	craft_code rc;

	rc = craft_state_dir(&dir, err);
	if (rc)
		return rc;
	rc = craft_mkdir_p(dir, err);
	free(dir);
	if (rc)
		return rc;
	text = cJSON_Print(st->root);
	if (!text)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	len = strlen(text);
	rc = craft_buf_printf(&tmp, "%s.tmp.%ld", st->path, (long)getpid());
	if (rc) {
		rc = craft_err_set(err, rc, "state path too long");
		goto cleanup;
	}
	fd = open(craft_buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", craft_buf_str(&tmp),
		                   strerror(errno));
		goto cleanup;
	}
	if (fchmod(fd, 0600) != 0)
		goto ioerr;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto ioerr;
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		goto ioerr;
	if (close(fd) != 0) {
		fd = -1;
		goto ioerr;
	}
	fd = -1;
	if (rename(craft_buf_str(&tmp), st->path) != 0)
		goto ioerr;
	fsync_dir(st->path);
	goto cleanup;
ioerr:
	rc = craft_err_set(err, CRAFT_EIO, "cannot write the state cache '%s': %s", st->path,
	                   strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(craft_buf_str(&tmp));
cleanup:
	craft_buf_release(&tmp);
	free(text);
	return rc;
}

craft_code craft_state_remove(struct craft_state *st, struct craft_err *err)
{
	if (unlink(st->path) != 0 && errno != ENOENT)
		return craft_err_set(err, CRAFT_EIO, "cannot remove '%s': %s", st->path,
		                     strerror(errno));
	craft_state_clear_ids(st);
	return CRAFT_OK;
}

void craft_state_free(struct craft_state *st)
{
	if (!st)
		return;
	cJSON_Delete(st->root);
	free(st->stack);
	free(st->path);
	free(st);
}

const char *craft_state_stack(const struct craft_state *st)
{
	return st->stack;
}

static const char *get_str(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static craft_code put_str(cJSON *o, const char *key, const char *value, struct craft_err *err)
{
	if (!o)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (value && !cJSON_AddStringToObject(o, key, value))
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	return CRAFT_OK;
}

const char *craft_state_get_id(const struct craft_state *st, const char *kind, const char *name)
{
	char key[256];

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	return get_str(cJSON_GetObjectItemCaseSensitive(st->root, "resources"), key);
}

craft_code craft_state_set_id(struct craft_state *st, const char *kind, const char *name,
                              const char *id)
{
	char key[256];

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	return put_str(obj(st->root, "resources"), key, id, NULL);
}

void craft_state_clear_ids(struct craft_state *st)
{
	cJSON_DeleteItemFromObjectCaseSensitive(st->root, "resources");
	cJSON_AddObjectToObject(st->root, "resources");
}

const char *craft_state_get(const struct craft_state *st, const char *key)
{
	return get_str(cJSON_GetObjectItemCaseSensitive(st->root, "values"), key);
}

craft_code craft_state_set(struct craft_state *st, const char *key, const char *value)
{
	return put_str(obj(st->root, "values"), key, value, NULL);
}
