/*
 * internal — what the client's files share and nothing outside lib/aws
 * sees: the client and call structures. client.c makes clients and turns
 * Query parameters into calls, transport.c drives calls over curl multi
 * (signing, retries, timers, the run loop), paging.c follows NextToken.
 */
#ifndef CRAFT_AWS_INTERNAL_H
#define CRAFT_AWS_INTERNAL_H

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http.h"

#define CRAFT_AWS_MAX_BODY (8u << 20)
#define CRAFT_AWS_MAX_HDRS CRAFT_AWS_REQ_MAX_HEADERS

/* One call: the serialized request and its attempts. */
struct craft_aws_call {
	struct craft_aws_client *c;
	const struct craft_aws_model *svc;
	int svc_index;
	char action[128];
	char method[12];
	struct craft_buf target; /* path below the endpoint's path, with "?query" */
	struct craft_buf body;
	/* the request's own headers (Content-Type, X-Amz-Target, ...): one
	 * buffer of "name\0value\0" pairs */
	struct craft_buf hdrbuf;
	int nhdrs;
	craft_aws_done_fn fn;
	void *ud;
	int attempts;
	int skew_retried;
	int last_cost; /* quota taken by the latest retry (0: none) */
	long long not_before_ms;
	CURL *easy;
	struct curl_slist *hdrs;
	struct craft_http_response resp;
	char errbuf[CURL_ERROR_SIZE];
	long long started_ms;
	struct craft_aws_call *next;
};

struct craft_aws_timer {
	long long at_ms;
	void (*fn)(void *ud);
	void *ud;
	struct craft_aws_timer *next;
};

struct craft_aws_client {
	char region[64];
	char *profile;
	char *endpoint_url;
	struct craft_reporter reporter;
	int verbose;
	int max_in_flight;
	long retry_base_ms;
	long connect_timeout_ms;
	long timeout_ms;
	int max_attempts;
	int quota;
	long skew_s;               /* server clock minus ours */
	struct craft_endpoint *ep; /* one per craft_aws_models row */
	struct craft_aws_creds creds;
	int have_creds;
	int cred_failed;
	struct craft_err cred_err;
	CURLM *multi;
	struct craft_aws_call *queue; /* waiting for a slot or for their backoff */
	struct craft_aws_call *active;
	int in_flight;
	struct craft_aws_timer *timers;
	int running;
};

void craft_aws_report(struct craft_aws_client *c, enum craft_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Credentials for the next attempt: cached, refreshed before expiry. */
craft_code craft_aws_ensure_creds(struct craft_aws_client *c, struct craft_err *err);

/* The index of service in craft_aws_models, or -1. */
int craft_aws_service_index(const char *service);

/* A new call for service row idx (body, target and headers empty). */
struct craft_aws_call *craft_aws_call_new(struct craft_aws_client *c, int idx, const char *action,
                                          const char *method);
craft_code craft_aws_call_header(struct craft_aws_call *k, const char *name, const char *value);
void craft_aws_call_free(struct craft_aws_call *k);
/* Appends k to the client's queue. */
void craft_aws_call_queue(struct craft_aws_client *c, struct craft_aws_call *k);

#endif
