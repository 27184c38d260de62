/* libFuzzer harness: SigV4 canonicalisation and signing (lib/aws/sigv4.c).
 * Input: path '\n' query '\n' header-value. Checks the invariants every
 * canonical form must keep: only unreserved bytes, '/', '=', '&' and
 * uppercase %XX in the URI and query; a complete 64-hex signature. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void check_encoded(const char *s, const char *extra)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '%') {
			for (int j = 1; j <= 2; j++)
				if (!((s[i + j] >= '0' && s[i + j] <= '9') ||
				      (s[i + j] >= 'A' && s[i + j] <= 'F')))
					__builtin_trap();
			i += 2;
		} else if (!unreserved(s[i]) && !strchr(extra, s[i])) {
			__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *path, *query, *value, *nl;
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);
	struct craft_sigv4_header h[2];
	struct craft_sigv4_request req;
	struct craft_sigv4_params p;
	struct craft_sigv4_result r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	path = buf;
	nl = strchr(path, '\n');
	query = nl ? (*nl = '\0', nl + 1) : path + strlen(path);
	nl = strchr(query, '\n');
	value = nl ? (*nl = '\0', nl + 1) : query + strlen(query);

	for (int norm = 0; norm < 2; norm++) {
		craft_buf_reset(&b);
		if (craft_sigv4_canonical_uri(&b, path, norm) == CRAFT_OK)
			check_encoded(craft_buf_str(&b), "/");
	}
	craft_buf_reset(&b);
	if (craft_sigv4_canonical_query(&b, query) == CRAFT_OK)
		check_encoded(craft_buf_str(&b), "=&");
	craft_buf_release(&b);

	h[0] = (struct craft_sigv4_header){ "Host", "example.amazonaws.com" };
	h[1] = (struct craft_sigv4_header){ "X-Fuzz", value };
	req = (struct craft_sigv4_request){ "POST", path, query, h, 2, data, size };
	memset(&p, 0, sizeof(p));
	p.access_key = "AKIDEXAMPLE";
	p.secret_key = "secret";
	p.session_token = size & 1 ? "token" : NULL;
	p.region = "us-east-1";
	p.service = "ec2";
	p.when = 1440938160;
	p.normalize_path = (size & 2) != 0;
	p.presign = (size & 4) != 0;
	p.expires = 60;
	craft_sigv4_result_init(&r);
	if (craft_sigv4_sign(&req, &p, &r, NULL) == CRAFT_OK && strlen(r.signature) != 64)
		__builtin_trap();
	craft_sigv4_result_release(&r);
	free(buf);
	return 0;
}
