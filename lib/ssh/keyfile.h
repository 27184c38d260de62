/*
 * keyfile — SSH private key files on disk: checking the one a user names,
 * reading what kind of key it holds, and writing a new ed25519 key in
 * OpenSSH's own format.
 *
 * The key is made with OpenSSL's EVP ED25519 and written by craftctl itself
 * (no ssh-keygen needed): an unencrypted openssh-key-v1 private key, mode
 * 0600, and the "ssh-ed25519 BASE64 comment" line in <path>.pub, 0644.
 * Each file is written to a temporary name and renamed into place, and the
 * secret bytes are wiped from memory afterwards.
 */
#ifndef CRAFT_SSH_KEYFILE_H
#define CRAFT_SSH_KEYFILE_H

#include <stddef.h>

#include "core/error.h"

/*
 * NULL when path is a readable private key (PEM or OpenSSH) with path.pub
 * beside it; else what is wrong, written into why (whysz bytes) or a
 * constant message.
 */
const char *craft_ssh_keyfile_check(const char *path, char *why, size_t whysz);

/*
 * Writes a new ed25519 key pair: path.pub first, then path (a private key
 * without its .pub would be refused later). comment ends the public line
 * and is stored in the private key. The directory must exist.
 */
craft_code craft_ssh_keyfile_generate(const char *path, const char *comment, struct craft_err *err);

/* *encrypted: 1 when the key file is encrypted (needs a passphrase).
 * A key file that is missing or unreadable is CRAFT_EIO: it was named. */
craft_code craft_ssh_key_encrypted(const char *path, int *encrypted, struct craft_err *err);

/* 1 when the private key file holds an RSA key (PEM, or OpenSSH format
 * whose public part is ssh-rsa); 0 also when it cannot be read. */
int craft_ssh_keyfile_is_rsa(const char *path);

#endif
