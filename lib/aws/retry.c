#include "aws/retry.h"

#include <stdlib.h>
#include <string.h>

#include "core/env.h"

/* botocore's standard retry mode (retries/standard.py), for every service. */
static const char *const throttling_codes[] = {
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottledException",
	"TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException",
	"RequestLimitExceeded",
	"BandwidthLimitExceeded",
	"LimitExceededException",
	"RequestThrottled",
	"SlowDown",
	"PriorRequestNotComplete",
	"EC2ThrottledException",
};

static const char *const transient_codes[] = {
	"RequestTimeout",
	"RequestTimeoutException",
	"PriorRequestNotComplete",
};

static const char *const skew_codes[] = {
	"RequestTimeTooSkewed",      "RequestExpired",        "RequestInTheFuture",
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
};

static const long transient_status[] = { 429, 500, 502, 503, 504 };

static int in(const char *const *list, size_t n, const char *code)
{
	for (size_t i = 0; code && i < n; i++)
		if (strcmp(list[i], code) == 0)
			return 1;
	return 0;
}

#define IN(list, code) in(list, sizeof(list) / sizeof(list[0]), code)

enum craft_retry_kind craft_retry_classify_answer(long http_status, const char *aws_code)
{
	if (aws_code && *aws_code) {
		if (IN(throttling_codes, aws_code))
			return CRAFT_RETRY_THROTTLE;
		if (IN(transient_codes, aws_code))
			return CRAFT_RETRY_TRANSIENT;
	}
	if (http_status == 429)
		return CRAFT_RETRY_THROTTLE;
	for (size_t i = 0; i < sizeof(transient_status) / sizeof(transient_status[0]); i++)
		if (http_status == transient_status[i])
			return CRAFT_RETRY_TRANSIENT;
	return CRAFT_RETRY_NO;
}

enum craft_retry_kind craft_retry_classify_transport(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
	/* Never retried: a broken request, a local limit, or TLS that failed
	 * verification (retrying would not change the certificate). */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_ABORTED_BY_CALLBACK:
		return CRAFT_RETRY_NO;
	case CURLE_OPERATION_TIMEDOUT:
		return CRAFT_RETRY_TIMEOUT;
	default:
		return CRAFT_RETRY_TRANSIENT;
	}
}

long craft_retry_backoff_ms(int retry, long base_ms, long cap_ms, double r)
{
	double ceiling = (double)base_ms;

	for (int i = 1; i < retry && ceiling < (double)cap_ms; i++)
		ceiling *= 2;
	if (ceiling > (double)cap_ms)
		ceiling = (double)cap_ms;
	if (r < 0)
		r = 0;
	if (r >= 1)
		r = 0.999999;
	return (long)(r * ceiling);
}

int craft_retry_is_clock_skew(const char *aws_code)
{
	return IN(skew_codes, aws_code);
}

int craft_retry_max_attempts(void)
{
	const char *v = craft_env_get("AWS_MAX_ATTEMPTS");
	char *end = NULL;
	long n;

	if (!v)
		return CRAFT_RETRY_DEFAULT_ATTEMPTS;
	n = strtol(v, &end, 10);
	if (end == v || *end || n < 1)
		return CRAFT_RETRY_DEFAULT_ATTEMPTS;
	return n > 100 ? 100 : (int)n;
}
