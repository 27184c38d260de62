/*
 * base64 — RFC 4648 base64 (standard alphabet) over OpenSSL's
 * EVP_EncodeBlock/EVP_DecodeBlock, with what those leave to the caller:
 * EVP_DecodeBlock wants whole quads, counts the '=' padding as decoded
 * zero bytes and takes '=' anywhere; these functions accept input with or
 * without padding, return the real length and reject what is not base64.
 * No allocation unless the name says so.
 */
#ifndef CRAFT_CORE_BASE64_H
#define CRAFT_CORE_BASE64_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

enum {
	/* encode: leave out the '=' padding (SSH fingerprints) */
	CRAFT_BASE64_NOPAD = 1 << 0,
	/* decode: pass over line breaks, tabs and spaces anywhere (PEM
	 * bodies, console output); without it they are malformed input */
	CRAFT_BASE64_SPACE = 1 << 1,
};

/* The characters the padded encoding of n bytes takes, without the NUL. */
size_t craft_base64_encoded_len(size_t n);

/* Writes the encoding of in[0..n) and a NUL into out, which must hold
 * craft_base64_encoded_len(n) + 1 bytes. Returns the length written. */
size_t craft_base64_encode_to(char *out, const void *in, size_t n, int flags);

/* The encoding as a new string (the caller frees), NULL when out of memory. */
char *craft_base64_encode(const void *in, size_t n, int flags);

/* Appends the padded encoding to b; CRAFT_ENOMEM or CRAFT_ETOOBIG as
 * craft_buf_add (the buffer is then freed). */
craft_code craft_base64_add(struct craft_buf *b, const void *in, size_t n);

/* The most bytes inlen characters of base64 can decode to. */
size_t craft_base64_decoded_max(size_t inlen);

/*
 * Decodes in[0..inlen) into out, which must hold
 * craft_base64_decoded_max(inlen) bytes; *outlen gets the decoded length
 * (padding not counted). Padding is optional, but where present it must be
 * the end and no more than the last quad lacks. CRAFT_EPARSE for anything
 * else: a character outside the alphabet, '=' before the end, a length no
 * encoding has. err may be NULL.
 */
craft_code craft_base64_decode_to(unsigned char *out, size_t *outlen, const char *in, size_t inlen,
                                  int flags, struct craft_err *err);

/* The same into a new buffer (the caller frees), with a NUL after the
 * decoded bytes so decoded text reads as a string. */
craft_code craft_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen,
                               int flags, struct craft_err *err);

#endif
