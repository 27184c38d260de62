/*
 * hostkey — SSH host key identities: fingerprints, known_hosts files, and
 * the fingerprints cloud-init prints to a new instance's console.
 *
 * A host key is identified by its SHA-256 fingerprint in OpenSSH's form,
 * "SHA256:" + unpadded base64 of the digest of the key blob. Everything
 * here is pure (no network): the session module asks these functions
 * whether the key a server showed is acceptable.
 *
 * Ownership: a craft_ssh_fpset owns its strings; release it with
 * craft_ssh_fpset_release. Parsing never fails on junk lines, it skips them.
 */
#ifndef CRAFT_SSH_HOSTKEY_H
#define CRAFT_SSH_HOSTKEY_H

#include <stddef.h>

#include "core/error.h"

/* "SHA256:" + 43 base64 characters + NUL. */
#define CRAFT_SSH_FP_MAX 72

/* The fingerprint of a raw key blob (as sent in the SSH protocol). */
void craft_ssh_fingerprint(const unsigned char *blob, size_t len, char out[CRAFT_SSH_FP_MAX]);

/*
 * The fingerprint of a key given as OpenSSH text, "TYPE BASE64 [comment]"
 * or just "BASE64". Fails with CRAFT_EPARSE when the base64 is malformed or
 * the blob's own type name differs from TYPE.
 */
craft_code craft_ssh_fingerprint_b64(const char *key_b64, char out[CRAFT_SSH_FP_MAX],
                                     struct craft_err *err);

/* Checks the form "SHA256:<43 base64 chars>" (a trailing '=' is accepted). */
int craft_ssh_fingerprint_valid(const char *fp);

/* A set of acceptable host key fingerprints. */
struct craft_ssh_fpset {
	char **fp;   /* "SHA256:..." */
	char **type; /* key type name when known ("ssh-ed25519"), else NULL */
	size_t n;
};

void craft_ssh_fpset_init(struct craft_ssh_fpset *s);
void craft_ssh_fpset_release(struct craft_ssh_fpset *s);
/* Adds fp (normalised: no trailing '='), unless already there; type may be
 * NULL. Fails only with CRAFT_ENOMEM, the set unchanged and err filled. */
craft_code craft_ssh_fpset_insert(struct craft_ssh_fpset *s, const char *fp, const char *type,
                                  struct craft_err *err);
/* 1 when fp is in the set. */
int craft_ssh_fpset_contains(const struct craft_ssh_fpset *s, const char *fp);
/* "SHA256:a, SHA256:b" into out (truncated to fit). */
void craft_ssh_fpset_describe(const struct craft_ssh_fpset *s, char *out, size_t outlen);

/*
 * Reads the host key blocks cloud-init writes to the console
 * (-----BEGIN SSH HOST KEY FINGERPRINTS----- and
 * -----BEGIN SSH HOST KEY KEYS-----), tolerating line prefixes such as
 * "ec2: " and CR LF endings. Only the last complete block of each kind
 * counts (the latest boot). Fingerprints of the KEYS block are computed
 * from the keys. Fails with CRAFT_ENOTFOUND when neither block is complete
 * (the instance has not printed them yet).
 */
craft_code craft_ssh_console_parse(const char *console, struct craft_ssh_fpset *out,
                                   struct craft_err *err);

/* What a known_hosts file says about a host. */
enum craft_known_result {
	CRAFT_KNOWN_NOTFOUND = 0, /* no line names the host */
	CRAFT_KNOWN_MATCH,        /* a line names the host with this key */
	CRAFT_KNOWN_MISMATCH,     /* the host is known, but not with this key */
	CRAFT_KNOWN_REVOKED,      /* the key is marked @revoked */
};

/*
 * Looks host:port up in the known_hosts text (plain, wildcard, negated and
 * hashed "|1|salt|hash" names; "[host]:port" for ports other than 22) and
 * compares key_blob. When the host is known, expected (if non-NULL) gets the
 * fingerprints it is known with. types_out (if non-NULL, size types_len)
 * gets the comma-separated key types known for the host, for algorithm
 * preference.
 */
enum craft_known_result craft_ssh_known_check(const char *text, const char *host, int port,
                                              const unsigned char *key_blob, size_t key_len,
                                              struct craft_ssh_fpset *expected, char *types_out,
                                              size_t types_len);

/* The known_hosts line (without newline) for host:port and a key blob. */
craft_code craft_ssh_known_line(const char *host, int port, const unsigned char *key_blob,
                                size_t key_len, char **out, struct craft_err *err);

/* The key type name stored inside a key blob ("ssh-ed25519"), into out. */
int craft_ssh_blob_type(const unsigned char *blob, size_t len, char *out, size_t outlen);

#endif
