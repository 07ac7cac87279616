/*
 * Webhook notifications, the pure parts (docs/webhooks.md): which events
 * exist, what a subscription may hold, the body a receiver gets, its
 * signature and the retry schedule. No I/O and no clock here: callers pass
 * the time in. The dispatcher that sends them is notify/notify.c.
 *
 * The body carries no PHI (DESIGN.md "Security", the privacy statements in
 * seeds/): an event id, the event name, the claim id, the claim's status and
 * when it happened. A receiver that needs more fetches the claim or its EOB
 * with its own token, under the roles of API.md.
 */
#ifndef CLAIMS_EOB_WEBHOOK_H
#define CLAIMS_EOB_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_EVENT_FINALIZED "claim.finalized"
#define NOTIFY_EVENT_PENDED "claim.pended"
#define NOTIFY_EVENT_IN_REVIEW "claim.in_review"
#define NOTIFY_EVENT_REPLACED "claim.replaced" /* docs/webhooks.md "Events" */
#define NOTIFY_EVENT_VOIDED "claim.voided"
#define NOTIFY_EVENT_ADJUSTED "claim.adjusted"
/* An appeal of a final claim was filed (status "open") or decided (status
 * "upheld" or "overturned"); claim_id is the appealed claim. */
#define NOTIFY_EVENT_APPEAL_FILED "appeal.filed"
#define NOTIFY_EVENT_APPEAL_DECIDED "appeal.decided"
#define NOTIFY_N_EVENTS 8

#define NOTIFY_ID_MAX 64 /* subscription ids: 1..64 of [A-Za-z0-9._-] */
#define NOTIFY_URL_MAX 2048
#define NOTIFY_SECRET_MIN 32
#define NOTIFY_SECRET_MAX 256
/* "t=<10..20 digits>,v1=<64 hex>" and its NUL. */
#define NOTIFY_SIGNATURE_LEN 96
/* "2026-03-02T14:05:09.250Z" and its NUL. */
#define NOTIFY_TIME_LEN 32

/* The known event names, in their documented order. */
extern const char *const notify_events[NOTIFY_N_EVENTS];

/* Whether name is one of notify_events. */
bool notify_event_known(const char *name);
/* 1..64 of [A-Za-z0-9._-]. */
bool notify_id_valid(const char *id);
/* The problem with a subscription URL as a fixed phrase, or NULL when it is
 * acceptable: http or https, a host, no user name or password (credentials
 * would be shown by GET; the signature authenticates), at most
 * NOTIFY_URL_MAX bytes. */
const char *notify_url_problem(const char *url);
/* The size of notify_url_target's host buffer, its NUL included. */
#define NOTIFY_HOST_MAX 256
/* The host a subscription URL names, as a resolver takes it (an IPv6
 * literal without its brackets or zone), and its port ("443" when the URL
 * gives none for https, "80" for http), into host and port. Returns 0, or
 * -1 when the URL has no host (notify_url_problem says why). */
int notify_url_target(const char *url, char host[NOTIFY_HOST_MAX], char port[8]);
/* The problem with a shared secret, or NULL: NOTIFY_SECRET_MIN..MAX bytes of
 * printable ASCII without spaces. */
const char *notify_secret_problem(const char *secret);

/* ms since the epoch as RFC 3339 UTC with milliseconds. */
void notify_format_ms(int64_t ms, char out[NOTIFY_TIME_LEN]);
/* The time a stream entry id ("<ms>-<seq>") was appended, in ms; -1 when
 * the id is not of that form. */
int64_t notify_event_time_ms(const char *event_id);

/*
 * The notification body, as compact JSON with keys in this order:
 *   {"event_id":…,"event":…,"claim_id":…,"status":…,"occurred_at":…}
 * occurred_at comes from the event id, so every attempt of a delivery sends
 * the same bytes. Allocates; the caller frees. NULL when out of memory.
 */
char *notify_body(const char *event_id, const char *event, const char *claim_id,
                  const char *status);

/* The X-Claims-Signature value: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with the secret>". Returns 0 or -1. */
int notify_signature(const char *secret, int64_t unix_seconds, const char *body, size_t len,
                     char out[NOTIFY_SIGNATURE_LEN]);

/* The wait after failed attempt number `attempt` (1 for the first):
 * base × 2^(attempt-1), at most max_ms. */
int64_t notify_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms);

#endif
