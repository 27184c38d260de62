#include "aws/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/env.h"

static int curl_ready;

craft_code craft_http_global_init(struct craft_err *err)
{
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return craft_err_set(err, CRAFT_ENET, "cannot initialise libcurl");
		curl_ready = 1;
	}
	return CRAFT_OK;
}

void craft_http_setup(CURL *h, long connect_timeout_ms, long total_timeout_ms)
{
	const char *ca = craft_env_get("AWS_CA_BUNDLE");

	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "craftctl");
	/* Proxies come from the usual environment variables (curl reads them). */
}

void craft_http_response_init(struct craft_http_response *r)
{
	r->status = 0;
	craft_buf_init(&r->body, CRAFT_HTTP_MAX_BODY);
	r->date[0] = r->request_id[0] = r->error_type[0] = '\0';
}

void craft_http_response_release(struct craft_http_response *r)
{
	craft_buf_release(&r->body);
	r->status = 0;
	r->date[0] = r->request_id[0] = r->error_type[0] = '\0';
}

size_t craft_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct craft_http_response *r = userdata;
	size_t n = size * nmemb;

	if (craft_buf_add(&r->body, ptr, n) != CRAFT_OK)
		return 0; /* curl turns this into CURLE_WRITE_ERROR */
	return n;
}

/* Copies the value of header line ptr[0..n) into out when its name is name. */
static int header_value(const char *ptr, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i, l;

	if (n <= nl || strncasecmp(ptr, name, nl) != 0 || ptr[nl] != ':')
		return 0;
	i = nl + 1;
	while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
		i++;
	l = n - i;
	while (l && (ptr[i + l - 1] == '\r' || ptr[i + l - 1] == '\n' || ptr[i + l - 1] == ' '))
		l--;
	if (l >= cap)
		l = cap - 1;
	memcpy(out, ptr + i, l);
	out[l] = '\0';
	return 1;
}

size_t craft_http_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct craft_http_response *r = userdata;
	size_t n = size * nmemb;

	/* A new status line (a retry, a 100 Continue) starts a new header set. */
	if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		r->date[0] = r->request_id[0] = r->error_type[0] = '\0';
		return n;
	}
	if (!header_value(ptr, n, "date", r->date, sizeof(r->date)) &&
	    !header_value(ptr, n, "x-amzn-requestid", r->request_id, sizeof(r->request_id)) &&
	    !header_value(ptr, n, "x-amz-request-id", r->request_id, sizeof(r->request_id)))
		header_value(ptr, n, "x-amzn-errortype", r->error_type, sizeof(r->error_type));
	return n;
}

craft_code craft_http_curl_error(CURLcode cc, const char *errbuf, const char *url,
                                 struct craft_err *err)
{
	craft_code code = cc == CURLE_OPERATION_TIMEDOUT ? CRAFT_ETIMEOUT : CRAFT_ENET;

	if (cc == CURLE_WRITE_ERROR)
		return craft_err_set(err, CRAFT_ETOOBIG, "%s: response too large", url);
	return craft_err_set(err, code, "%s: %s", url,
	                     errbuf && *errbuf ? errbuf : curl_easy_strerror(cc));
}

craft_code craft_http_request(const char *method, const char *url, const struct curl_slist *headers,
                              const char *body, long timeout_ms, struct craft_http_response *resp,
                              struct craft_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode cc;
	craft_code rc;

	rc = craft_http_global_init(err);
	if (rc != CRAFT_OK)
		return rc;
	h = curl_easy_init();
	if (!h)
		return craft_err_set(err, CRAFT_ENOMEM, "cannot create an http handle");
	craft_http_setup(h, timeout_ms, timeout_ms);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, craft_http_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, craft_http_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = CRAFT_OK;
	} else {
		rc = craft_http_curl_error(cc, errbuf, url, err);
	}
	curl_easy_cleanup(h);
	return rc;
}
