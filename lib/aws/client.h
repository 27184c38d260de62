/*
 * client — AWS calls over libcurl for every protocol: an async core (submit
 * + callbacks + timers + a run loop on curl multi) and synchronous wrappers.
 * Query-protocol calls (ec2, sts, iam, ...) are made from parameters here;
 * any other request arrives already serialized (craft_aws_submit_raw).
 *
 * A client resolves its region and endpoints when it is made (bad ones are
 * CRAFT_EUSAGE), and its credentials lazily on the first call, refreshing
 * temporary ones 5 minutes before they expire. Each attempt of a call is
 * signed afresh (SigV4, header signing, Host + every header of the request,
 * Content-Type and X-Amz-Target among them, + X-Amz-Date
 * [+ X-Amz-Security-Token] signed, for the endpoint's signing region). Retries follow AWS's
 * standard mode (lib/aws/retry.h): AWS_MAX_ATTEMPTS attempts (default 5), full-jitter backoff
 * capped at 20 s, a retry quota; a clock-skew error is corrected from the server's Date header and
 * retried once.
 *
 * Threading: one thread per client. Callbacks and timers run inside
 * craft_aws_run and may submit more calls and timers; they must not call
 * craft_aws_run or craft_aws_call themselves.
 *
 * Nothing here logs the secret key or the session token: -vv traces are
 * redacted, and AWS error messages are scrubbed of both.
 */
#ifndef CRAFT_AWS_CLIENT_H
#define CRAFT_AWS_CLIENT_H

#include <libxml/tree.h>
#include <stddef.h>

#include "aws/query.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "core/error.h"
#include "core/event.h"

struct craft_aws_client;

struct craft_aws_options {
	const char *region;                    /* --region / stack file, or NULL (env/profile) */
	const char *profile;                   /* --profile or NULL */
	const char *endpoint_url;              /* --endpoint-url or NULL (env/profile/default) */
	const struct craft_reporter *reporter; /* retries, -v/-vv traces (never secrets) */
	int verbose;             /* 0, 1, 2 (-vv: canonical request, string to sign) */
	int max_in_flight;       /* concurrency bound; 0: 16 */
	long retry_base_ms;      /* 0: 1000 (tests shorten it) */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms;         /* per attempt; 0: 60 s */
};

craft_code craft_aws_client_new(struct craft_aws_client **out, const struct craft_aws_options *opts,
                                struct craft_err *err);
void craft_aws_client_free(struct craft_aws_client *c);
const char *craft_aws_client_region(const struct craft_aws_client *c);
/* The endpoint URL calls to service go to, or NULL for an unknown service. */
const char *craft_aws_client_endpoint(const struct craft_aws_client *c, const char *service);

struct craft_aws_result {
	craft_code code; /* CRAFT_OK, CRAFT_EAWS (err.aws_code set), CRAFT_ENET, CRAFT_ECRED, ... */
	struct craft_err err; /* filled when code != CRAFT_OK */
	long http_status;     /* 0 when no answer arrived */
	/* the parsed response on success (borrowed during the callback): XML
	 * protocols only (ec2, query, rest-xml); NULL for JSON and empty bodies */
	xmlDocPtr doc;
	const char *body; /* the raw response body (borrowed), "" when none */
	size_t body_len;
	int attempts; /* how many attempts were made */
	const char *service;
	const char *action;
};

typedef void (*craft_aws_done_fn)(void *ud, const struct craft_aws_result *res);

/* Takes the document out of a result inside its callback: the caller then
 * owns it (xmlFreeDoc). */
xmlDocPtr craft_aws_result_take_doc(const struct craft_aws_result *res);

/*
 * Queues a Query-protocol call (ec2 and the query services: sts, iam,
 * elbv2, rds, cloudwatch, sns). params are copied (NULL for none); Action
 * and Version (the service's API version) are added. fn is called exactly
 * once, from craft_aws_run, after retries. Fails synchronously (fn not
 * called) only for an unknown or non-Query service (CRAFT_EUSAGE) or out of
 * memory.
 */
craft_code craft_aws_submit(struct craft_aws_client *c, const char *service, const char *action,
                            const struct craft_query *params, craft_aws_done_fn fn, void *ud);

/*
 * A request already serialized for its protocol (by lib/aws/proto/, or a
 * JSON body passed through by `craftctl api`). path and query are in their
 * wire form (percent-encoded), below the endpoint's own path. headers are
 * the request's own (Content-Type, X-Amz-Target, ...): Host, X-Amz-Date,
 * the session token and Authorization are added. Everything is copied.
 */
struct craft_aws_raw_request {
	const char *service; /* a craft_aws_models name ("ecr") */
	const char *action;  /* the operation: traces, errors, the result */
	const char *method;  /* NULL: "POST" */
	const char *path;    /* NULL or "": the endpoint's path */
	const char *query;   /* without '?'; NULL or "" for none */
	const struct craft_sigv4_header *headers;
	int nheaders;
	const void *body;
	size_t body_len;
};

/* Queues a serialized request, as craft_aws_submit does a Query call. */
craft_code craft_aws_submit_raw(struct craft_aws_client *c, const struct craft_aws_raw_request *req,
                                craft_aws_done_fn fn, void *ud);

/* Queues a request lib/aws/request.h's craft_aws_serialize made for
 * service's action (any protocol; REST ones need it). req is copied. */
craft_code craft_aws_submit_http(struct craft_aws_client *c, const char *service,
                                 const char *action, const struct craft_aws_http_req *req,
                                 craft_aws_done_fn fn, void *ud);

/*
 * A JSON-protocol call (acm, application-autoscaling, ecr, ecs, logs,
 * secretsmanager): body (len bytes; NULL for "{}") is the input as JSON,
 * sent as it is, POST / with X-Amz-Target "<target prefix>.<action>" and
 * Content-Type application/x-amz-json-<version>, as botocore sends it.
 * CRAFT_EUSAGE for a service of another protocol.
 */
craft_code craft_aws_submit_json(struct craft_aws_client *c, const char *service,
                                 const char *action, const char *body, size_t len,
                                 craft_aws_done_fn fn, void *ud);

/* Calls fn(ud) after delay_ms, from inside craft_aws_run (waiters, polling). */
craft_code craft_aws_timer(struct craft_aws_client *c, long delay_ms, void (*fn)(void *ud),
                           void *ud);

/* Drives every call and timer (callbacks may add more) until nothing is
 * pending. Per-call failures go to the callbacks; this fails only for a
 * broken transport (curl multi) or a nested run. */
craft_code craft_aws_run(struct craft_aws_client *c, struct craft_err *err);

/* Synchronous: one call (with retries). On success *out is the response
 * (caller frees with xmlFreeDoc); out may be NULL. */
craft_code craft_aws_call(struct craft_aws_client *c, const char *service, const char *action,
                          const struct craft_query *params, xmlDocPtr *out, struct craft_err *err);

/*
 * Paging over NextToken (nextToken in EC2). page is called for every page
 * with the page's document (borrowed); returning non-OK stops the paging
 * with that error. done is called once at the end with the last result
 * (code CRAFT_OK when every page was read).
 */
typedef craft_code (*craft_aws_page_fn)(void *ud, xmlDocPtr page, struct craft_err *err);
craft_code craft_aws_submit_paged(struct craft_aws_client *c, const char *service,
                                  const char *action, const struct craft_query *params,
                                  craft_aws_page_fn page, craft_aws_done_fn done, void *ud);
/* Synchronous paging. */
craft_code craft_aws_paginate(struct craft_aws_client *c, const char *service, const char *action,
                              const struct craft_query *params, craft_aws_page_fn page, void *ud,
                              struct craft_err *err);

#endif
