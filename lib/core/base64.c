#include "core/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* EVP_*Block take an int length: long inputs go through in pieces of this
 * many bytes (a multiple of 3) or characters (a multiple of 4). */
#define ENC_CHUNK (3u * 4096u)
#define DEC_CHUNK (4u * 1024u)

size_t craft_base64_encoded_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

size_t craft_base64_encode_to(char *out, const void *in, size_t n, int flags)
{
	const unsigned char *p = in;
	size_t len = 0;

	while (n > 0) {
		size_t take = n < ENC_CHUNK ? n : ENC_CHUNK;

		len += (size_t)EVP_EncodeBlock((unsigned char *)out + len, p, (int)take);
		p += take;
		n -= take;
	}
	if (flags & CRAFT_BASE64_NOPAD)
		while (len > 0 && out[len - 1] == '=')
			len--;
	out[len] = '\0';
	return len;
}

char *craft_base64_encode(const void *in, size_t n, int flags)
{
	char *out;

	if (n > ((size_t)-1) / 2)
		return NULL;
	out = malloc(craft_base64_encoded_len(n) + 1);
	if (out)
		craft_base64_encode_to(out, in, n, flags);
	return out;
}

craft_code craft_base64_add(struct craft_buf *b, const void *in, size_t n)
{
	/* A piece at a time through the stack, wiped after: what is encoded
	 * may be a private key, and this leaves no temporary copy of it. */
	unsigned char piece[4 * 256 + 1];
	const unsigned char *p = in;
	craft_code rc = CRAFT_OK;

	while (!rc && n > 0) {
		size_t take = n < 3 * 256 ? n : 3 * 256;
		int len = EVP_EncodeBlock(piece, p, (int)take);

		rc = craft_buf_add(b, piece, (size_t)len);
		p += take;
		n -= take;
	}
	OPENSSL_cleanse(piece, sizeof(piece));
	return rc;
}

size_t craft_base64_decoded_max(size_t inlen)
{
	return 3 * (inlen / 4 + (inlen % 4 != 0));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int in_alphabet(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

craft_code craft_base64_decode_to(unsigned char *out, size_t *outlen, const char *in, size_t inlen,
                                  int flags, struct craft_err *err)
{
	char chunk[DEC_CHUNK];
	size_t data = 0, pad = 0, fill = 0, len = 0, tail;

	*outlen = 0;
	/* First the shape: alphabet characters, then at most two '='. */
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];

		if ((flags & CRAFT_BASE64_SPACE) && is_space(c))
			continue;
		if (c == '=' && data > 0)
			pad++;
		else if (!pad && in_alphabet(c))
			data++;
		else
			return craft_err_set(err, CRAFT_EPARSE, "malformed base64");
	}
	tail = data % 4;
	if (tail == 1 || (pad && (tail == 0 || pad > 4 - tail)))
		return craft_err_set(err, CRAFT_EPARSE, "malformed base64");
	/* Then the bytes, a chunk at a time. */
	for (size_t i = 0, seen = 0; i < inlen && seen < data; i++) {
		if (!in_alphabet(in[i]))
			continue;
		chunk[fill++] = in[i];
		seen++;
		if (fill == sizeof(chunk) || seen == data) {
			/* The last quad completed with '=' that EVP_DecodeBlock
			 * turns into zero bytes, which are then not counted. */
			size_t quad = fill % 4 ? 4 - fill % 4 : 0;
			int got;

			memset(chunk + fill, '=', quad);
			got = EVP_DecodeBlock(out + len, (const unsigned char *)chunk,
			                      (int)(fill + quad));
			/* The characters were checked: this is a broken OpenSSL. */
			if (got < 0 || (size_t)got < quad)
				return craft_err_set(err, CRAFT_EINTERNAL,
				                     "base64 decoding failed");
			len += (size_t)got - quad;
			fill = 0;
		}
	}
	*outlen = len;
	return CRAFT_OK;
}

craft_code craft_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen,
                               int flags, struct craft_err *err)
{
	unsigned char *p;
	craft_code rc;

	*out = NULL;
	*outlen = 0;
	p = malloc(craft_base64_decoded_max(inlen) + 1);
	if (!p)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	rc = craft_base64_decode_to(p, outlen, in, inlen, flags, err);
	if (rc) {
		free(p);
		return rc;
	}
	p[*outlen] = '\0';
	*out = p;
	return CRAFT_OK;
}
