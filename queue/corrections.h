/*
 * Corrections in Redis (docs/api.md "Corrections", docs/operations.md
 * "Corrections and the adjustment cascade"): voiding a claim, replacing a
 * claim not yet final in place, and the family re-decision job that keeps
 * the accumulators and every standing claim equal to a one-at-a-time run of
 * the claims that stand. (A replacement of a final claim is a new claim: the
 * intake step, queue/intake.h, with `replaces`.)
 *
 * A void or replacement marks the claim, drops its duplicate fingerprints,
 * moves the family version on (a decision of the family in flight is then
 * decided again on fresh facts) and, when the claim was final, puts a
 * re-decision job on the work stream: an entry {claim, redecide=1, m, s, y}.
 * A worker runs the job (work/redecide_job.c): queue_redecide_load
 * reads the family, the pure adj_redecide_family decides its standing
 * claims again, and queue_redecide_commit writes the outcome in one
 * compare-and-set step guarded by the family version.
 *
 * The event-loop calls send one script and return 0 (their callback is then
 * called exactly once) or -1 (nothing sent; no callback). The blocking calls
 * run on a worker's connection.
 */
#ifndef CLAIMS_QUEUE_CORRECTIONS_H
#define CLAIMS_QUEUE_CORRECTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "queue/redis_conn.h"
#include "queue/status.h"
#include "queue/work.h"

/* Computes the SHA-1 of this file's scripts; call once before threads use
 * them (worker_pool_start does). */
void queue_corrections_init(void);

/* ---- on the event loop ---- */

/* QUEUE_OK (prior_status: the status the claim had), QUEUE_CONFLICT
 * (prior_status "voided" or "replaced", or for an in-place replacement the
 * status that does not allow it; "member": another patient), QUEUE_NOT_FOUND
 * or QUEUE_UNAVAILABLE (prior_status ""). */
typedef void (*queue_correction_cb)(enum queue_status status, const char *prior_status, void *arg);

/*
 * Voids a claim that is neither voided nor replaced: status "voided" with
 * the reason and time (voided_at, RFC 3339), a history entry at now_secs; it
 * leaves the open-status index, the SLA and pended sets and the payment due
 * sets (in review: the in_review index); its duplicate fingerprints are
 * dropped; the family version moves on; its open appeal, if any, is
 * withdrawn (status "withdrawn", off the open set); when it was final
 * (approved or denied) a re-decision job is queued and its reversal EOB is
 * marked due. The audit record (on the claim's trail) and the claim.voided
 * event are written in the same step.
 */
int queue_void_claim(struct rconn *rc, const char *prefix, const char *claim_id, const char *reason,
                     const char *voided_at, long long now_secs, const char *audit_json,
                     queue_correction_cb cb, void *arg);

/*
 * Replaces in place a claim not yet final (received, processing, pended or
 * in_review) of the same patient (member_id): the submission becomes
 * submission_json, type and years (the plan years, "2025,2026") follow it,
 * the decision of a pend or a review goes and so does a stored reviewer's
 * decision (its `review` field), the claim is "received" again (history entry at now_secs; its
 * receipt and target dates stay) with a new work entry; its fingerprints are
 * dropped and the family version moves on, so a worker holding it decides
 * the new submission. Audit record and claim.replaced event as for a void.
 */
int queue_replace_in_place(struct rconn *rc, const char *prefix, const char *claim_id,
                           const char *member_id, const char *submission_json, const char *type,
                           const char *years, long long now_secs, const char *audit_json,
                           queue_correction_cb cb, void *arg);

/*
 * Queues a family re-decision for the family and plan years of one claim
 * (docs/operations.md "Corrections and the adjustment cascade"; an appeal
 * overturn does the same inside its own script, QUEUE_LUA_REDECIDE): the family
 * version moves on (tag names the cause in it: "review", "appeal") and a job
 * entry goes on the work stream, in one script. The job re-decides every
 * standing claim of the claim's plan years with the rules and issues an EOB
 * version (an adjustment) for each whose decision changes; each claim's
 * stored `review` is an input of its decision. QUEUE_OK,
 * QUEUE_NOT_FOUND (no such claim) or QUEUE_UNAVAILABLE; prior_status is the
 * claim's status.
 */
int queue_request_redecision(struct rconn *rc, const char *prefix, const char *claim_id,
                             const char *tag, queue_correction_cb cb, void *arg);

/*
 * The Lua of that request, for a queue/ script that must do it in the same
 * step as its own change (an appeal overturn): defines
 * redecide(claim key, work stream key, family version key prefix, claim id,
 * tag), which moves the family version on and queues the job, and returns
 * the claim's status (nil when the claim is gone: nothing done).
 */
#define QUEUE_LUA_REDECIDE                                                                         \
    "local function redecide(ck, stream, vp, id, tag)\n"                                           \
    "  local f = redis.call('HMGET', ck, 'status', 'member_id', 'subscriber_id', 'years')\n"       \
    "  if not f[1] then return nil end\n"                                                          \
    "  local member, sub = f[2] or '', f[3] or ''\n"                                               \
    "  if sub == '' then sub = member end\n"                                                       \
    "  local vk = vp .. sub\n"                                                                     \
    "  local v = redis.call('GET', vk) or '0'\n"                                                   \
    "  local count = (tonumber(string.match(v, '^%d+')) or 0) + 1\n"                               \
    "  redis.call('SET', vk, count .. ':' .. tag .. ':' .. id)\n"                                  \
    "  redis.call('XADD', stream, '*', 'claim', id, 'redecide', '1', 'member', member,\n"          \
    "             'subscriber', sub, 'years', f[4] or '')\n"                                       \
    "  return f[1]\n"                                                                              \
    "end\n"

/* ---- the re-decision job, on a worker's connection ---- */

/* One claim of the family a re-decision reads: a standing one (approved or
 * denied) or a voided or replaced one whose reversal EOB is still due. */
struct redecide_row {
    char claim_id[CLAIM_ID_LEN];
    char status[16];
    char member_id[ID_LEN];
    char received[16];    /* YYYY-MM-DD */
    int eob_version;      /* versions stored so far */
    char *submission;     /* JSON, unpacked; NULL when missing */
    char *decision;       /* the stored {"decision": ...} JSON, unpacked; NULL when none */
    char *eob;            /* a reversal's latest EOB record (JSON); NULL otherwise */
    char recovery_id[48]; /* a recovery to reverse with it: being reversed, or open; "" */
    char *review;         /* the stored reviewer's decision (JSON, review_to_json's form
                             with more members); NULL when none */
};

/* An enrollment record the family's claims need, by id. */
struct redecide_record {
    char id[ID_LEN];
    char *json;
};

struct redecide_facts {
    char version[WORK_VERSION_LEN]; /* the family version the facts were read at */
    struct redecide_row *rows;      /* receipt order */
    size_t n_rows;
    struct redecide_record *members, *groups, *plans;
    size_t n_members, n_groups, n_plans;
};

/* Reads the family of subscriber_id: its version and claims at one instant
 * (one script on the family's shard), then the enrollment records they need
 * (outside the script: queue/redecide_records.h). Returns 0, -1 when the
 * connection failed, -2 when Redis refused or memory ran out (out holds
 * nothing to free then). */
int queue_redecide_load(struct work_conn *wc, const char *subscriber_id,
                        struct redecide_facts *out);
/* Frees what queue_redecide_load put in f and zeroes it (f itself is the
 * caller's). */
void queue_redecide_facts_free(struct redecide_facts *f);
/* The record of this id in a list, or NULL. */
const char *queue_redecide_record_of(const struct redecide_record *list, size_t n, const char *id);

/* The accumulator hash of one plan year as it must now read: fields
 * ("f:in:ded", "m:<member>:out:oop", ...) and their cents. */
struct redecide_year {
    int year;
    const char *const *fields;
    const long long *values;
    int n;
};

/* What the commit writes for one claim. */
struct redecide_change {
    const char *claim_id;
    const char *member_id;
    bool reversal;        /* a voided/replaced claim: only its reversal EOB */
    const char *status;   /* adjustment: approved or denied */
    const char *decision; /* adjustment: the decision JSON (stored as {"decision": ...}) */
    const char *eob;      /* the new EOB record, or NULL */
    int eob_version;      /* the version it becomes */
    const char *audit;    /* the audit record JSON */
    const char (*store)[WORK_FP_LEN]; /* fingerprints of the lines kept */
    int n_store;
    const char (*drop)[WORK_FP_LEN]; /* fingerprints of the lines denied */
    int n_drop;
    const char *recovery_id; /* "" none: else this recovery becomes "reversed" */
    const char *payment;     /* "P|<npi>|<cents>" or "M|<member>|<cents>": remit:info while due */
};

struct redecide_commit {
    const struct work_item *job; /* the work entry, acknowledged by the commit */
    const char *expected_version;
    const char *now_rfc3339;
    long long now_secs;
    const struct redecide_year *years;
    int n_years;
    const struct redecide_change *changes;
    int n_changes;
};

/* Writes a re-decision in one script if the family version is still the
 * one it was read at: each year's accumulator hash replaced, each change
 * written (status, with a history entry when it changes, decision, EOB
 * version, fingerprints, payment, recovery, audit, a claim.adjusted event for
 * an adjustment), the job acknowledged,
 * the version moved on. WORK_COMMIT_OK, _STALE (read again) or _ERROR. */
enum work_commit_result queue_redecide_commit(struct work_conn *wc,
                                              const struct redecide_commit *c);

#endif
