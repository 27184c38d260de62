#include "ssh/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/base64.h"
#include "core/buf.h"

/* ---- checking a key the user names ---- */

const char *craft_ssh_keyfile_check(const char *path, char *why, size_t whysz)
{
	char head[128];
	char pub[4200];
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f) {
		snprintf(why, whysz, "cannot read '%.400s': %s", path, strerror(errno));
		return why;
	}
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	if (!strstr(head, "-----BEGIN ") || !strstr(head, "PRIVATE KEY-----")) {
		snprintf(why, whysz,
		         "'%.400s' is not a private key (expected a PEM or OpenSSH key)", path);
		return why;
	}
	if (snprintf(pub, sizeof(pub), "%s.pub", path) >= (int)sizeof(pub))
		return "key path too long";
	if (access(pub, R_OK) != 0) {
		snprintf(why, whysz, "'%.250s' has no public half '%.250s.pub' beside it", path,
		         path);
		return why;
	}
	return NULL;
}

/* ---- writing a new key ---- */

static craft_code put_u32(struct craft_buf *b, unsigned v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		               (unsigned char)(v >> 8), (unsigned char)v };

	return craft_buf_add(b, x, 4);
}

static craft_code put_str(struct craft_buf *b, const void *d, size_t n)
{
	craft_code rc = put_u32(b, (unsigned)n);

	return rc ? rc : craft_buf_add(b, d, n);
}

static craft_code write_file(const char *path, const char *data, size_t n, int mode,
                             struct craft_err *err)
{
	char tmp[4200];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return craft_err_set(err, CRAFT_EIO, "path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return craft_err_set(err, CRAFT_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	return CRAFT_OK;
}

craft_code craft_ssh_keyfile_generate(const char *path, const char *comment, struct craft_err *err)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char pk[32], sk[32], seckey[64], check[4];
	size_t pklen = sizeof(pk), sklen = sizeof(sk);
	struct craft_buf blob = CRAFT_BUF_INIT(4096), priv = CRAFT_BUF_INIT(4096);
	struct craft_buf file = CRAFT_BUF_INIT(8192), pub = CRAFT_BUF_INIT(4096);
	struct craft_buf pubblob = CRAFT_BUF_INIT(256);
	char pubpath[4200];
	craft_code rc = CRAFT_OK;
	const char *s;

	pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!pctx || EVP_PKEY_keygen_init(pctx) <= 0 || EVP_PKEY_keygen(pctx, &pkey) <= 0 ||
	    EVP_PKEY_get_raw_public_key(pkey, pk, &pklen) <= 0 ||
	    EVP_PKEY_get_raw_private_key(pkey, sk, &sklen) <= 0 || pklen != 32 || sklen != 32) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot generate an ed25519 key (OpenSSL)");
		goto cleanup;
	}
	memcpy(seckey, sk, 32);
	memcpy(seckey + 32, pk, 32);
	if (RAND_bytes(check, sizeof(check)) != 1) {
		rc = craft_err_set(err, CRAFT_EIO, "cannot get random bytes (OpenSSL)");
		goto cleanup;
	}

	rc = put_str(&pubblob, "ssh-ed25519", 11);
	rc = rc ? rc : put_str(&pubblob, pk, 32);

	rc = rc ? rc : craft_buf_add(&priv, check, 4);
	rc = rc ? rc : craft_buf_add(&priv, check, 4);
	rc = rc ? rc : put_str(&priv, "ssh-ed25519", 11);
	rc = rc ? rc : put_str(&priv, pk, 32);
	rc = rc ? rc : put_str(&priv, seckey, 64);
	rc = rc ? rc : put_str(&priv, comment, strlen(comment));
	for (unsigned char pad = 1; !rc && priv.len % 8 != 0; pad++)
		rc = craft_buf_addch(&priv, (char)pad);

	rc = rc ? rc : craft_buf_add(&blob, "openssh-key-v1", 15);
	rc = rc ? rc : put_str(&blob, "none", 4);
	rc = rc ? rc : put_str(&blob, "none", 4);
	rc = rc ? rc : put_str(&blob, "", 0);
	rc = rc ? rc : put_u32(&blob, 1);
	rc = rc ? rc : put_str(&blob, pubblob.data, pubblob.len);
	rc = rc ? rc : put_str(&blob, priv.data, priv.len);
	if (rc) {
		rc = craft_err_set(err, rc, "cannot encode the generated key");
		goto cleanup;
	}
	{
		struct craft_buf enc = CRAFT_BUF_INIT(8192);

		rc = craft_base64_add(&enc, blob.data, blob.len);
		rc = rc ? rc : craft_buf_addstr(&file, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
		s = craft_buf_str(&enc);
		for (size_t off = 0; !rc && off < enc.len; off += 70) {
			size_t n = enc.len - off < 70 ? enc.len - off : 70;

			rc = craft_buf_add(&file, s + off, n);
			rc = rc ? rc : craft_buf_addch(&file, '\n');
		}
		rc = rc ? rc : craft_buf_addstr(&file, "-----END OPENSSH PRIVATE KEY-----\n");
		if (enc.data)
			OPENSSL_cleanse(enc.data, enc.len);
		craft_buf_release(&enc);
	}
	rc = rc ? rc : craft_buf_addstr(&pub, "ssh-ed25519 ");
	rc = rc ? rc : craft_base64_add(&pub, pubblob.data, pubblob.len);
	rc = rc ? rc : craft_buf_printf(&pub, " %s\n", comment);
	if (rc) {
		rc = craft_err_set(err, rc, "cannot encode the generated key");
		goto cleanup;
	}
	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath)) {
		rc = craft_err_set(err, CRAFT_EIO, "path too long");
		goto cleanup;
	}
	/* the .pub first: a private key without its .pub would be refused later */
	rc = write_file(pubpath, pub.data, pub.len, 0644, err);
	rc = rc ? rc : write_file(path, file.data, file.len, 0600, err);
cleanup:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(seckey, sizeof(seckey));
	if (priv.data)
		OPENSSL_cleanse(priv.data, priv.len);
	if (blob.data)
		OPENSSL_cleanse(blob.data, blob.len);
	if (file.data)
		OPENSSL_cleanse(file.data, file.len);
	craft_buf_release(&priv);
	craft_buf_release(&blob);
	craft_buf_release(&file);
	craft_buf_release(&pub);
	craft_buf_release(&pubblob);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* ---- reading a key file ---- */

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

int craft_ssh_keyfile_is_rsa(const char *path)
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
