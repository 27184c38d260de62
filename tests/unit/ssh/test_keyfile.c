#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssh/keyfile.h"
#include "tests/unit/common/tmpdir.h"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(keyfile, generated_key_is_openssh_ed25519_0600, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	char key[256], pub[300], line[600], got[600], cmd[600], why[600];
	struct craft_err err;
	struct stat st;
	FILE *f;

	snprintf(key, sizeof(key), "%s/id_ed25519", unit_tmpdir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	craft_err_init(&err);
	cr_assert_eq(craft_ssh_keyfile_generate(key, "craftctl-test", &err), CRAFT_OK, "%s",
	             err.msg);
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(stat(pub, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	cr_assert_null(craft_ssh_keyfile_check(key, why, sizeof(why)), "%s", why);
	f = fopen(pub, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	cr_assert(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0, "%s", line);
	cr_assert(strstr(line, " craftctl-test") != NULL, "%s", line);
	/* OpenSSH itself must read the private key and derive the same public key */
	if (access("/usr/bin/ssh-keygen", X_OK) == 0) {
		FILE *p;

		snprintf(cmd, sizeof(cmd), "/usr/bin/ssh-keygen -y -f '%s'", key);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		cr_assert_not_null(fgets(got, sizeof(got), p));
		cr_assert_eq(pclose(p), 0);
		got[strcspn(got, "\n")] = '\0';
		cr_assert(strncmp(got, line, strlen(got)) == 0, "'%s' vs '%s'", got, line);
	}
}

Test(keyfile, check_wants_a_private_key_with_its_pub, .init = unit_tmpdir_make,
     .fini = unit_tmpdir_remove)
{
	char key[256], pub[300], why[600];
	const char *bad;

	snprintf(key, sizeof(key), "%s/id", unit_tmpdir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	bad = craft_ssh_keyfile_check(key, why, sizeof(why));
	cr_assert(bad && strstr(bad, "cannot read"), "%s", bad ? bad : "(accepted)");
	write_text(key, "not a key\n");
	bad = craft_ssh_keyfile_check(key, why, sizeof(why));
	cr_assert(bad && strstr(bad, "not a private key"), "%s", bad ? bad : "(accepted)");
	write_text(key, "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n");
	bad = craft_ssh_keyfile_check(key, why, sizeof(why));
	cr_assert(bad && strstr(bad, "no public half"), "%s", bad ? bad : "(accepted)");
	write_text(pub, "ecdsa-sha2-nistp256 AAAA test\n");
	cr_assert_null(craft_ssh_keyfile_check(key, why, sizeof(why)), "%s", why);
}

Test(keyfile, detects_encrypted_keys)
{
	char dir[] = "/tmp/craft-key-XXXXXX";
	char path[256];
	int enc = -1;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	/* openssh-key-v1, cipher "none" */
	write_text(path, "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                 "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAA\n"
	                 "-----END OPENSSH PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 0);
	/* openssh-key-v1, cipher "aes256-ctr" */
	write_text(path, "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                 "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAEbm9uZQAA\n"
	                 "-----END OPENSSH PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 1);
	write_text(path, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	                 "-----END EC PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 1);
	unlink(path);
	rmdir(dir);
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_EIO);
}
