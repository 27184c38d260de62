#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssh/session.h"

Test(session, shell_quote_survives_quotes)
{
	struct craft_buf b = CRAFT_BUF_INIT(1024);

	cr_assert_eq(craft_ssh_shell_quote(&b, "it's $HOME `x`"), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "'it'\\''s $HOME `x`'");
	craft_buf_release(&b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(session, detects_encrypted_keys)
{
	char dir[] = "/tmp/craft-key-XXXXXX";
	char path[256];
	int enc = -1;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	/* openssh-key-v1, cipher "none" */
	write_file(path, "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                 "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAA\n"
	                 "-----END OPENSSH PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 0);
	/* openssh-key-v1, cipher "aes256-ctr" */
	write_file(path, "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                 "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAEbm9uZQAA\n"
	                 "-----END OPENSSH PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 1);
	write_file(path, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	                 "-----END EC PRIVATE KEY-----\n");
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_OK);
	cr_assert_eq(enc, 1);
	unlink(path);
	rmdir(dir);
	cr_assert_eq(craft_ssh_key_encrypted(path, &enc, NULL), CRAFT_EIO);
}

Test(session, connect_refuses_a_target_without_host_or_user)
{
	struct craft_ssh_target t;
	struct craft_ssh *s = NULL;

	memset(&t, 0, sizeof(t));
	t.user = "root";
	cr_assert_eq(craft_ssh_connect(&t, NULL, &s, NULL), CRAFT_EUSAGE);
	cr_assert_null(s);
}

Test(session, connect_gives_up_after_its_timeout)
{
	struct craft_ssh_target t;
	struct craft_ssh *s = NULL;
	struct craft_err err;
	long long start = craft_now_ms();

	/* Port 1 on loopback: refused at once, retried until the deadline. */
	memset(&t, 0, sizeof(t));
	t.host = "127.0.0.1";
	t.port = 1;
	t.user = "root";
	t.connect_timeout_s = 2;
	craft_err_init(&err);
	cr_assert_eq(craft_ssh_connect(&t, NULL, &s, &err), CRAFT_ESSH);
	cr_assert_geq(craft_now_ms() - start, 1900);
	cr_assert_lt(craft_now_ms() - start, 6000);
	cr_assert(strstr(err.msg, "gave up after") != NULL, "%s", err.msg);
}
