/*
 * http — the libcurl settings every AWS request shares, and a small
 * blocking request for the credential providers (STS web identity, the
 * container endpoint, IMDS).
 *
 * TLS verification is always on: a certificate problem is an error, never
 * a silent downgrade. AWS_CA_BUNDLE names extra trust roots. Only http and
 * https are allowed, redirects are not followed, and no signal is used for
 * timeouts (so calls are safe from any thread).
 */
#ifndef CRAFT_AWS_HTTP_H
#define CRAFT_AWS_HTTP_H

#include <curl/curl.h>

#include "core/buf.h"
#include "core/error.h"

#define CRAFT_HTTP_MAX_BODY (32u << 20)

/* Sets the shared options on h. */
void craft_http_setup(CURL *h, long connect_timeout_ms, long total_timeout_ms);

/* curl's global init, once. */
craft_code craft_http_global_init(struct craft_err *err);

struct craft_http_response {
	long status;
	struct craft_buf body;
	char date[64];        /* the Date header, for clock-skew correction */
	char request_id[128]; /* x-amzn-RequestId or x-amz-request-id */
	char error_type[256]; /* x-amzn-ErrorType (JSON protocols' error code) */
};

void craft_http_response_init(struct craft_http_response *r);
void craft_http_response_release(struct craft_http_response *r);

/* The write and header callbacks that fill a response (for easy handles). */
size_t craft_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
size_t craft_http_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata);

/*
 * One blocking request. headers may be NULL; body NULL means no body (a PUT
 * with body "" sends an empty body). A transport failure is CRAFT_ENET
 * (CRAFT_ETIMEOUT for a timeout) with curl's message; any HTTP status is
 * CRAFT_OK with resp->status set.
 */
craft_code craft_http_request(const char *method, const char *url, const struct curl_slist *headers,
                              const char *body, long timeout_ms, struct craft_http_response *resp,
                              struct craft_err *err);

/* Translates a finished transfer's CURLcode (errbuf: CURLOPT_ERRORBUFFER). */
craft_code craft_http_curl_error(CURLcode cc, const char *errbuf, const char *url,
                                 struct craft_err *err);

#endif
