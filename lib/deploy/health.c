#include "deploy/health.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct body {
	char *buf;
	size_t len, cap;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;

	if (b->buf && b->cap > 1 && b->len < b->cap - 1) {
		size_t take = b->cap - 1 - b->len;

		if (take > n)
			take = n;
		memcpy(b->buf + b->len, data, take);
		b->len += take;
		b->buf[b->len] = '\0';
	}
	return n;
}

craft_code craft_health_get(const char *url, int timeout_ms, long *status, char *body,
                            size_t bodylen, struct craft_err *err)
{
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body b = { body, 0, bodylen };
	CURLcode rc;

	*status = 0;
	if (body && bodylen)
		body[0] = '\0';
	if (!c)
		return craft_err_set(err, CRAFT_ENOMEM, "cannot start libcurl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "craftctl-health");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return craft_err_set(err, CRAFT_ENET, "GET %s: %s", url,
		                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return CRAFT_OK;
}

craft_code craft_health_wait(const char *url, int timeout_s, int interval_ms, const char *phase,
                             const struct craft_reporter *r, const volatile sig_atomic_t *cancel,
                             long *status, struct craft_err *err)
{
	long long start = craft_now_ms();
	long long deadline = start + (timeout_s > 0 ? timeout_s : 60) * 1000LL;
	long long next_report = start + 10000;
	char last[1100] = "no answer yet";
	int attempts = 0;

	if (interval_ms <= 0)
		interval_ms = 500;
	for (;;) {
		struct craft_err e;
		long long now;

		craft_err_init(&e);
		attempts++;
		if (craft_health_get(url, 3000, status, NULL, 0, &e) == CRAFT_OK) {
			if (*status >= 200 && *status < 300)
				return CRAFT_OK;
			snprintf(last, sizeof(last), "HTTP %ld", *status);
		} else {
			snprintf(last, sizeof(last), "%s", e.msg);
		}
		now = craft_now_ms();
		if (cancel && *cancel)
			return craft_err_set(err, CRAFT_EINTR, "interrupted");
		if (now >= deadline)
			return craft_err_set(
			        err, CRAFT_EDEPLOY,
			        "health check failed: %s did not answer 2xx within %ds "
			        "(%d attempts; last: %s)",
			        url, timeout_s, attempts, last);
		if (now >= next_report) {
			struct craft_event ev;
			char msg[1700];

			snprintf(msg, sizeof(msg), "waiting for %s to answer 2xx (last: %s)", url,
			         last);
			craft_event_init(&ev, CRAFT_EV_WAITING, CRAFT_LEVEL_INFO);
			ev.phase = phase;
			ev.message = msg;
			ev.elapsed_ms = now - start;
			craft_report(r, &ev);
			next_report = now + 10000;
		}
		craft_sleep_ms(interval_ms, NULL);
	}
}
