/*
 * retry — AWS's "standard" retry mode, as data and pure functions:
 * which answers are retried, the full-jitter backoff, the retry quota, and
 * which errors mean the clock is off.
 *
 * Retried, whatever the service or protocol (the code comes from
 * lib/aws/errors.h): botocore's standard-mode throttling codes (Throttling,
 * ThrottlingException, ThrottledException, RequestThrottledException,
 * TooManyRequestsException, ProvisionedThroughputExceededException,
 * TransactionInProgressException, RequestLimitExceeded,
 * BandwidthLimitExceeded, LimitExceededException, RequestThrottled,
 * SlowDown, PriorRequestNotComplete, EC2ThrottledException), its transient
 * codes (RequestTimeout, RequestTimeoutException, PriorRequestNotComplete),
 * HTTP 429 (throttling) and 500/502/503/504, and transport failures other
 * than TLS verification and malformed requests.
 */
#ifndef CRAFT_AWS_RETRY_H
#define CRAFT_AWS_RETRY_H

#include <curl/curl.h>

enum craft_retry_kind {
	CRAFT_RETRY_NO = 0,
	CRAFT_RETRY_THROTTLE,
	CRAFT_RETRY_TRANSIENT,
	CRAFT_RETRY_TIMEOUT, /* a transport timeout: costs more quota */
};

#define CRAFT_RETRY_DEFAULT_ATTEMPTS 5
#define CRAFT_RETRY_MAX_BACKOFF_MS   20000L
#define CRAFT_RETRY_QUOTA            500
#define CRAFT_RETRY_COST             5
#define CRAFT_RETRY_TIMEOUT_COST     10
#define CRAFT_RETRY_NO_RETRY_REFUND  1

/* An answer that arrived (status and the AWS error code, "" or NULL if none). */
enum craft_retry_kind craft_retry_classify_answer(long http_status, const char *aws_code);
/* A transfer that failed before an answer. */
enum craft_retry_kind craft_retry_classify_transport(CURLcode cc);

/* Full jitter: r * min(base_ms * 2^(retry-1), cap_ms), r in [0, 1), retry >= 1. */
long craft_retry_backoff_ms(int retry, long base_ms, long cap_ms, double r);

/* An AWS error code that may mean the client's clock is off. */
int craft_retry_is_clock_skew(const char *aws_code);

/* The attempt limit from AWS_MAX_ATTEMPTS (default 5, at least 1). */
int craft_retry_max_attempts(void);

#endif
