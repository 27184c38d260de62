/*
 * sigv4 — AWS Signature Version 4, pure and staged (after aws-c-auth).
 *
 * canonical request -> string to sign -> signing key -> signature -> signed
 * request. Nothing here reads a clock, the environment or the network: the
 * instant and the credentials are passed in, so every stage can be checked
 * against the published test suite and against botocore.
 *
 * Header signing adds, in this order, X-Amz-Security-Token (when there is a
 * token), X-Amz-Date, x-amz-content-sha256 (sign_body) and Authorization.
 * Query (presigned) signing appends X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token and
 * X-Amz-Signature to the query string.
 *
 * The result holds secrets only in the signed headers it returns (the
 * session token); craft_sigv4_redact() makes a canonical request safe to
 * log. All buffers in a result belong to it: craft_sigv4_result_release.
 */
#ifndef CRAFT_AWS_SIGV4_H
#define CRAFT_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"

struct craft_sigv4_header {
	const char *name;
	const char *value;
};

/* The request to sign. path and query are raw (not yet percent-encoded,
 * though already-encoded %XX in the query is decoded and re-encoded). */
struct craft_sigv4_request {
	const char *method;
	const char *path;  /* "/" when NULL or empty */
	const char *query; /* without '?'; NULL or "" for none */
	const struct craft_sigv4_header *headers;
	int nheaders;
	const void *body;
	size_t body_len;
};

struct craft_sigv4_params {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL or "" for none */
	const char *region;
	const char *service;
	time_t when;            /* the signing instant (UTC seconds) */
	int normalize_path;     /* remove dot segments and empty segments (all but S3) */
	int sign_body;          /* add x-amz-content-sha256 (header mode) */
	int unsigned_payload;   /* payload hash "UNSIGNED-PAYLOAD" */
	int omit_session_token; /* token added to the request but not signed */
	int presign;            /* query-string signing instead of the header */
	long expires;           /* presign: X-Amz-Expires seconds */
};

#define CRAFT_SIGV4_MAX_ADD 4

struct craft_sigv4_result {
	struct craft_buf canonical_request;
	struct craft_buf string_to_sign;
	char signature[65];
	char amz_date[17];               /* 20150830T123600Z */
	char payload_hash[65];           /* hex, or UNSIGNED-PAYLOAD */
	struct craft_buf signed_headers; /* "host;x-amz-date" */
	struct craft_buf authorization;  /* header mode: the Authorization value */
	struct craft_buf query_add;      /* presign: "X-Amz-Algorithm=...&X-Amz-Signature=..." */
	/* Header mode: headers to add to the request, in order. Borrowed from
	 * the result and the params. */
	struct craft_sigv4_header add[CRAFT_SIGV4_MAX_ADD];
	int nadd;
};

void craft_sigv4_result_init(struct craft_sigv4_result *r);
void craft_sigv4_result_release(struct craft_sigv4_result *r);

/* Signs req: fills every stage of out (init it first). */
craft_code craft_sigv4_sign(const struct craft_sigv4_request *req,
                            const struct craft_sigv4_params *p, struct craft_sigv4_result *out,
                            struct craft_err *err);

/* Stages, exported for tests and tools. */
/* RFC 3986 encoding as AWS canonicalises: A-Z a-z 0-9 - _ . ~ kept (and '/'
 * when keep_slash), every other byte %XX in uppercase. */
craft_code craft_sigv4_uri_encode(struct craft_buf *out, const char *s, size_t len, int keep_slash);
craft_code craft_sigv4_canonical_uri(struct craft_buf *out, const char *path, int normalize);
craft_code craft_sigv4_canonical_query(struct craft_buf *out, const char *query);
void craft_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
                             const char *region, const char *service);
void craft_sigv4_hex_sha256(char out[65], const void *data, size_t len);
/* "20150830T123600Z" for when. */
void craft_sigv4_amz_date(char out[17], time_t when);

/*
 * A copy of a canonical request (or any text) fit for a log: every
 * occurrence of the session token and of the secret is replaced by
 * "<redacted>". out is reset first.
 */
craft_code craft_sigv4_redact(struct craft_buf *out, const char *text, const char *secret,
                              const char *session_token);

#endif
