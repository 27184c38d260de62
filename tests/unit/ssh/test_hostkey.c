#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/base64.h"
#include "ssh/hostkey.h"

/* Made with ssh-keygen; the fingerprints are what `ssh-keygen -l` printed. */
#define ED_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIEWjlrfEn40W8c8ypsY1SsrUUvaF37WCmDw7Jr9TNNLd"
#define ED_FP  "SHA256:220GnUev95gPgc3x+mB/pG3S5O8oTaxPcGjgwp3x1+0"
#define EC_B64                                                                                     \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMlXjK533AWhyLfJszQ57CzTXAw551+u1CD0" \
	"SXYwRrqFiD9K9Z9iUnHFu/Qg9kmRmt+Sl/sMAtws1MEZLizb258="
#define EC_FP "SHA256:gpxHZ7VL0D4XJbXax0LSFVWVCzRatKRHUIFU9J9Y2+A"
/* `ssh-keygen -H` of "[10.0.0.1]:2222 ssh-ed25519 ED_B64" */
#define ED_HASHED "|1|F03fbSMKsOWgMexdFneYjgbCr3U=|aeay9iBmgK6Sfn7sEyxOLZrq7d4="

static unsigned char *blob_of(const char *b64, size_t *len)
{
	unsigned char *out = NULL;

	cr_assert_eq(craft_base64_decode(&out, len, b64, strlen(b64), 0, NULL), CRAFT_OK);
	cr_assert_gt(*len, 0);
	return out;
}

Test(hostkey, fingerprint_matches_ssh_keygen)
{
	char fp[CRAFT_SSH_FP_MAX];
	size_t len;
	unsigned char *blob = blob_of(ED_B64, &len);

	craft_ssh_fingerprint(blob, len, fp);
	cr_assert_str_eq(fp, ED_FP);
	free(blob);
	cr_assert_eq(craft_ssh_fingerprint_b64("ecdsa-sha2-nistp256 " EC_B64 " comment", fp, NULL),
	             CRAFT_OK);
	cr_assert_str_eq(fp, EC_FP);
}

Test(hostkey, fingerprint_b64_rejects_a_type_that_lies)
{
	char fp[CRAFT_SSH_FP_MAX];

	cr_assert_eq(craft_ssh_fingerprint_b64("ssh-rsa " ED_B64, fp, NULL), CRAFT_EPARSE);
	cr_assert_eq(craft_ssh_fingerprint_b64("ssh-ed25519 !!notbase64", fp, NULL), CRAFT_EPARSE);
}

Test(hostkey, fingerprint_form_is_checked)
{
	cr_assert(craft_ssh_fingerprint_valid(ED_FP));
	cr_assert(craft_ssh_fingerprint_valid(ED_FP "="));
	cr_assert_not(craft_ssh_fingerprint_valid("SHA256:short"));
	cr_assert_not(craft_ssh_fingerprint_valid("MD5:" ED_FP));
	cr_assert_not(craft_ssh_fingerprint_valid(ED_FP "x"));
}

Test(hostkey, fpset_normalises_and_dedupes)
{
	struct craft_ssh_fpset s;

	craft_ssh_fpset_init(&s);
	cr_assert_eq(craft_ssh_fpset_insert(&s, ED_FP "=", "ssh-ed25519", NULL), CRAFT_OK);
	cr_assert_eq(craft_ssh_fpset_insert(&s, ED_FP, NULL, NULL), CRAFT_OK);
	cr_assert_eq(s.n, 1);
	cr_assert(craft_ssh_fpset_contains(&s, ED_FP));
	cr_assert_not(craft_ssh_fpset_contains(&s, EC_FP));
	craft_ssh_fpset_release(&s);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Blocks kept until hoard_release, linked through their first bytes. */
struct hoard {
	struct hoard *next;
};

/*
 * Leaves this (forked, per-test) process nothing to allocate: its address
 * space is capped at what it uses now, then every block malloc can still
 * hand out, from large to the smallest, goes into the hoard.
 */
static struct hoard *hoard_everything(struct rlimit *saved)
{
	static const size_t sizes[] = { 1 << 16, 1 << 10, 64, sizeof(struct hoard) };
	struct hoard *h = NULL;
	unsigned long pages = 0;
	struct rlimit cap;
	FILE *f = fopen("/proc/self/statm", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	cr_assert_eq(getrlimit(RLIMIT_AS, saved), 0);
	cap = *saved;
	cap.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
	cr_assert_eq(setrlimit(RLIMIT_AS, &cap), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct hoard *b;

		while ((b = malloc(sizes[i])) != NULL) {
			b->next = h;
			h = b;
		}
	}
	return h;
}

static void hoard_release(struct hoard *h, const struct rlimit *saved)
{
	while (h) {
		struct hoard *next = h->next;

		free(h);
		h = next;
	}
	setrlimit(RLIMIT_AS, saved);
}

/* Every non-OK return fills the detail: a caller that reports it (deploy's
 * --host-key) otherwise prints "success" and fails. */
Test(hostkey, fpset_insert_out_of_memory_fills_the_detail)
{
	struct craft_ssh_fpset s;
	struct craft_err err;
	struct rlimit saved;
	struct hoard *h;
	craft_code rc;

#ifdef UNDER_ASAN
	cr_skip_test("the address sanitizer's allocator does not run out the same way");
#endif
	craft_ssh_fpset_init(&s);
	craft_err_init(&err);
	h = hoard_everything(&saved);
	rc = craft_ssh_fpset_insert(&s, ED_FP, "ssh-ed25519", &err);
	hoard_release(h, &saved);
	cr_assert_eq(rc, CRAFT_ENOMEM);
	cr_assert_eq(err.code, CRAFT_ENOMEM);
	cr_assert_str_eq(err.msg, "out of memory adding host key " ED_FP);
	cr_assert_eq(s.n, 0, "a failed insert leaves the set as it was");
	/* with memory back, the same insert works */
	cr_assert_eq(craft_ssh_fpset_insert(&s, ED_FP, "ssh-ed25519", &err), CRAFT_OK);
	cr_assert_eq(s.n, 1);
	craft_ssh_fpset_release(&s);
}

/* What cloud-init prints (the simulator's format, like EC2's). */
static const char console[] =
        "[    0.000000] Linux version 6.8.0-1015-aws\r\n"
        "<14>Nov 29 19:00:00 cloud-init: "
        "#############################################################\r\n"
        "<14>Nov 29 19:00:00 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----\r\n"
        "<14>Nov 29 19:00:00 cloud-init: 256 " EC_FP " root@ip-10-0-0-1 (ECDSA)\r\n"
        "<14>Nov 29 19:00:00 cloud-init: 256 " ED_FP " root@ip-10-0-0-1 (ED25519)\r\n"
        "<14>Nov 29 19:00:00 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----\r\n"
        "-----BEGIN SSH HOST KEY KEYS-----\r\n"
        "ecdsa-sha2-nistp256 " EC_B64 " root@ip-10-0-0-1\r\n"
        "ssh-ed25519 " ED_B64 " root@ip-10-0-0-1\r\n"
        "-----END SSH HOST KEY KEYS-----\r\n"
        "[    9.000000] cloud-init[700]: Cloud-init v. 24.1.3 finished\r\n";

Test(hostkey, console_blocks_give_the_keys)
{
	struct craft_ssh_fpset s;

	craft_ssh_fpset_init(&s);
	cr_assert_eq(craft_ssh_console_parse(console, &s, NULL), CRAFT_OK);
	cr_assert_eq(s.n, 2);
	cr_assert(craft_ssh_fpset_contains(&s, ED_FP));
	cr_assert(craft_ssh_fpset_contains(&s, EC_FP));
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.fp[i], ED_FP) == 0)
			cr_assert_str_eq(s.type[i], "ssh-ed25519");
	craft_ssh_fpset_release(&s);
}

Test(hostkey, console_without_complete_blocks_is_not_found)
{
	struct craft_ssh_fpset s;
	struct craft_err err;

	craft_ssh_fpset_init(&s);
	craft_err_init(&err);
	cr_assert_eq(
	        craft_ssh_console_parse("booting...\n-----BEGIN SSH HOST KEY FINGERPRINTS-----\n"
	                                "256 " ED_FP " root@x (ED25519)\n",
	                                &s, &err),
	        CRAFT_ENOTFOUND);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(craft_ssh_console_parse("", &s, NULL), CRAFT_ENOTFOUND);
}

Test(hostkey, console_keeps_only_the_latest_boot)
{
	struct craft_ssh_fpset s;
	char text[4096];

	/* An old boot printed EC only; the latest boot prints ED only. */
	snprintf(text, sizeof(text),
	         "-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 %s r (ECDSA)\n"
	         "-----END SSH HOST KEY FINGERPRINTS-----\n"
	         "-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 %s r (ED25519)\n"
	         "-----END SSH HOST KEY FINGERPRINTS-----\n",
	         EC_FP, ED_FP);
	craft_ssh_fpset_init(&s);
	cr_assert_eq(craft_ssh_console_parse(text, &s, NULL), CRAFT_OK);
	cr_assert_eq(s.n, 1);
	cr_assert(craft_ssh_fpset_contains(&s, ED_FP));
	craft_ssh_fpset_release(&s);
}

static enum craft_known_result check(const char *text, const char *host, int port, const char *b64,
                                     char *types, size_t tlen)
{
	size_t len;
	unsigned char *blob = blob_of(b64, &len);
	enum craft_known_result r =
	        craft_ssh_known_check(text, host, port, blob, len, NULL, types, tlen);

	free(blob);
	return r;
}

Test(hostkey, known_hosts_plain_port_and_mismatch)
{
	const char *kh = "# comment\n"
	                 "other.example ssh-ed25519 " ED_B64 "\n"
	                 "[10.0.0.1]:2222 ssh-ed25519 " ED_B64 " me@laptop\n"
	                 "web.example,10.0.0.9 ecdsa-sha2-nistp256 " EC_B64 "\n";
	char types[128];

	cr_assert_eq(check(kh, "10.0.0.1", 2222, ED_B64, NULL, 0), CRAFT_KNOWN_MATCH);
	cr_assert_eq(check(kh, "10.0.0.1", 22, ED_B64, NULL, 0), CRAFT_KNOWN_NOTFOUND);
	cr_assert_eq(check(kh, "10.0.0.1", 2222, EC_B64, types, sizeof(types)),
	             CRAFT_KNOWN_MISMATCH);
	cr_assert_str_eq(types, "ssh-ed25519");
	cr_assert_eq(check(kh, "WEB.example", 22, EC_B64, NULL, 0), CRAFT_KNOWN_MATCH);
	cr_assert_eq(check(kh, "10.0.0.9", 22, ED_B64, NULL, 0), CRAFT_KNOWN_MISMATCH);
}

Test(hostkey, known_hosts_hashed_entries)
{
	const char *kh = ED_HASHED " ssh-ed25519 " ED_B64 "\n";

	cr_assert_eq(check(kh, "10.0.0.1", 2222, ED_B64, NULL, 0), CRAFT_KNOWN_MATCH);
	cr_assert_eq(check(kh, "10.0.0.1", 2222, EC_B64, NULL, 0), CRAFT_KNOWN_MISMATCH);
	cr_assert_eq(check(kh, "10.0.0.2", 2222, ED_B64, NULL, 0), CRAFT_KNOWN_NOTFOUND);
}

Test(hostkey, known_hosts_wildcards_negation_revoked)
{
	const char *kh = "*.example,!bad.example ssh-ed25519 " ED_B64 "\n"
	                 "10.0.0.? ecdsa-sha2-nistp256 " EC_B64 "\n"
	                 "@revoked * ecdsa-sha2-nistp256 " EC_B64 "\n";

	cr_assert_eq(check(kh, "a.example", 22, ED_B64, NULL, 0), CRAFT_KNOWN_MATCH);
	cr_assert_eq(check(kh, "bad.example", 22, ED_B64, NULL, 0), CRAFT_KNOWN_NOTFOUND);
	cr_assert_eq(check(kh, "10.0.0.7", 22, EC_B64, NULL, 0), CRAFT_KNOWN_REVOKED);
	cr_assert_eq(check("[a.b]:22 ssh-ed25519 " ED_B64 "\n", "a", 22, ED_B64, NULL, 0),
	             CRAFT_KNOWN_NOTFOUND, "'[' is literal in host patterns");
}

Test(hostkey, known_line_round_trips)
{
	size_t len;
	unsigned char *blob = blob_of(ED_B64, &len);
	char *line = NULL;

	cr_assert_eq(craft_ssh_known_line("Host.Example", 2200, blob, len, &line, NULL), CRAFT_OK);
	cr_assert_str_eq(line, "[host.example]:2200 ssh-ed25519 " ED_B64);
	cr_assert_eq(craft_ssh_known_check(line, "host.example", 2200, blob, len, NULL, NULL, 0),
	             CRAFT_KNOWN_MATCH);
	free(line);
	free(blob);
}
