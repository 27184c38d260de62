/*
 * health — the HTTP health gate: GET a URL until it answers 2xx or the
 * time runs out. Each attempt is bounded (3 s); a still-waiting event goes
 * out every 10 s. Uses libcurl; no proxy (the target is the instance).
 */
#ifndef CRAFT_DEPLOY_HEALTH_H
#define CRAFT_DEPLOY_HEALTH_H

#include <signal.h>
#include <stddef.h>

#include "core/error.h"
#include "core/event.h"

/*
 * Polls url every interval_ms until a 2xx answer (CRAFT_OK) or timeout_s
 * (CRAFT_EDEPLOY, naming the last status or transport error). *status gets
 * the last HTTP status (0 when none). phase names the step in events.
 * cancel (may be NULL), once set, ends the wait with CRAFT_EINTR.
 */
craft_code craft_health_wait(const char *url, int timeout_s, int interval_ms, const char *phase,
                             const struct craft_reporter *r, const volatile sig_atomic_t *cancel,
                             long *status, struct craft_err *err);

/* One GET: *status, and up to bodylen-1 bytes of the body into body (may be NULL). */
craft_code craft_health_get(const char *url, int timeout_ms, long *status, char *body,
                            size_t bodylen, struct craft_err *err);

#endif
