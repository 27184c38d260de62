#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

/* RFC 4648 section 10. */
static const char *const vectors[][2] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

#define NVEC (sizeof(vectors) / sizeof(vectors[0]))

Test(base64, encodes_the_rfc_vectors)
{
	for (size_t i = 0; i < NVEC; i++) {
		const char *plain = vectors[i][0], *enc = vectors[i][1];
		char out[16];
		char *s;

		cr_assert_eq(craft_base64_encoded_len(strlen(plain)), strlen(enc));
		cr_assert_eq(craft_base64_encode_to(out, plain, strlen(plain), 0), strlen(enc));
		cr_assert_str_eq(out, enc);
		s = craft_base64_encode(plain, strlen(plain), 0);
		cr_assert_not_null(s);
		cr_assert_str_eq(s, enc);
		free(s);
	}
}

Test(base64, encodes_without_padding_when_asked)
{
	char out[16];

	cr_assert_eq(craft_base64_encode_to(out, "f", 1, CRAFT_BASE64_NOPAD), 2);
	cr_assert_str_eq(out, "Zg");
	cr_assert_eq(craft_base64_encode_to(out, "fo", 2, CRAFT_BASE64_NOPAD), 3);
	cr_assert_str_eq(out, "Zm8");
	cr_assert_eq(craft_base64_encode_to(out, "foo", 3, CRAFT_BASE64_NOPAD), 4);
	cr_assert_str_eq(out, "Zm9v");
}

Test(base64, appends_to_a_buffer)
{
	struct craft_buf b = CRAFT_BUF_INIT(64);
	struct craft_buf tiny = CRAFT_BUF_INIT(7);

	cr_assert_eq(craft_buf_addstr(&b, "ssh-ed25519 "), CRAFT_OK);
	cr_assert_eq(craft_base64_add(&b, "foobar", 6), CRAFT_OK);
	cr_assert_str_eq(craft_buf_str(&b), "ssh-ed25519 Zm9vYmFy");
	craft_buf_release(&b);
	cr_assert_eq(craft_base64_add(&tiny, "foobar", 6), CRAFT_ETOOBIG);
	cr_assert_null(tiny.data);
}

Test(base64, decodes_the_rfc_vectors_with_and_without_padding)
{
	for (size_t i = 0; i < NVEC; i++) {
		const char *plain = vectors[i][0], *enc = vectors[i][1];
		unsigned char out[16];
		char bare[16];
		size_t n = 99, blen = strcspn(enc, "=");
		struct craft_err err;

		craft_err_init(&err);
		cr_assert_eq(craft_base64_decode_to(out, &n, enc, strlen(enc), 0, &err), CRAFT_OK,
		             "%s: %s", enc, err.msg);
		/* EVP_DecodeBlock alone would count the '=' as bytes */
		cr_assert_eq(n, strlen(plain), "%s: %zu", enc, n);
		cr_assert_eq(memcmp(out, plain, n), 0);
		memcpy(bare, enc, blen);
		bare[blen] = '\0';
		n = 99;
		cr_assert_eq(craft_base64_decode_to(out, &n, bare, blen, 0, &err), CRAFT_OK,
		             "%s: %s", bare, err.msg);
		cr_assert_eq(n, strlen(plain), "%s", bare);
		cr_assert_eq(memcmp(out, plain, n), 0);
		cr_assert_leq(n, craft_base64_decoded_max(blen));
	}
}

Test(base64, decode_allocates_a_terminated_copy)
{
	unsigned char *out = NULL;
	size_t n = 0;

	cr_assert_eq(craft_base64_decode(&out, &n, "Zm9vYg==", 8, 0, NULL), CRAFT_OK);
	cr_assert_eq(n, 4);
	cr_assert_str_eq((char *)out, "foob");
	free(out);
	cr_assert_eq(craft_base64_decode(&out, &n, "", 0, 0, NULL), CRAFT_OK);
	cr_assert_eq(n, 0);
	cr_assert_str_eq((char *)out, "");
	free(out);
}

Test(base64, rejects_what_is_not_base64)
{
	static const char *const bad[] = {
		"Z",        /* one character is no encoding */
		"Zm9vY",    /* nor is 4n + 1 */
		"Zm9v=",    /* padding where no quad lacks */
		"Zg===",    /* more padding than the quad lacks */
		"Zm9=v",    /* '=' before the end */
		"=Zg=",     /* ... or at the start */
		"====",     /* padding alone */
		"Zm 9v",    /* a space, not allowed unless asked for */
		"Zm9v\n",   /* ... nor a line break */
		"Zm9v!Yg=", /* outside the alphabet */
		"Zm-_",     /* the URL alphabet is another encoding */
	};
	unsigned char out[16], *p = (unsigned char *)"x";
	size_t n;
	struct craft_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		craft_err_init(&err);
		cr_assert_eq(craft_base64_decode_to(out, &n, bad[i], strlen(bad[i]), 0, &err),
		             CRAFT_EPARSE, "'%s' was accepted", bad[i]);
		cr_assert_eq(err.code, CRAFT_EPARSE);
		cr_assert_str_eq(err.msg, "malformed base64");
		cr_assert_eq(craft_base64_decode(&p, &n, bad[i], strlen(bad[i]), 0, NULL),
		             CRAFT_EPARSE);
		cr_assert_null(p);
	}
}

Test(base64, passes_over_white_space_when_asked)
{
	const char *pem = "  Zm9v\r\nYmFy\n\tZm9v Yg\n==\n";
	unsigned char out[32];
	size_t n = 0;

	cr_assert_eq(craft_base64_decode_to(out, &n, pem, strlen(pem), CRAFT_BASE64_SPACE, NULL),
	             CRAFT_OK);
	cr_assert_eq(n, 10);
	cr_assert_eq(memcmp(out, "foobarfoob", 10), 0);
	cr_assert_eq(craft_base64_decode_to(out, &n, pem, strlen(pem), 0, NULL), CRAFT_EPARSE);
}

Test(base64, round_trips_long_binary_input)
{
	/* longer than one of the pieces EVP_*Block is called with, and every
	 * byte value, with each of the three tails */
	size_t sizes[] = { 40000, 40001, 40002 };

	for (size_t k = 0; k < 3; k++) {
		size_t len = sizes[k], n = 0;
		unsigned char *in = malloc(len), *back = NULL;
		char *enc;

		cr_assert_not_null(in);
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(i * 7 + i / 256);
		enc = craft_base64_encode(in, len, 0);
		cr_assert_not_null(enc);
		cr_assert_eq(strlen(enc), craft_base64_encoded_len(len));
		cr_assert_eq(craft_base64_decode(&back, &n, enc, strlen(enc), 0, NULL), CRAFT_OK);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(back, in, len), 0);
		free(back);
		free(enc);
		free(in);
	}
}
