#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adjudicate/adjudicate.h"
#include "adjudicate/decision_json.h"
#include "adjudicate/redecide.h"
#include "work/redecide_job.h"
#include "adjudicate/rules.h"
#include "eob/eob.h"
#include "codec/parse_claim.h"
#include "codec/parse_enrollment.h"
#include "date.h"
#include "log.h"
#include "queue/audit.h"
#include "queue/corrections.h"
#include "queue/work.h"

#define BATCH 64        /* entries read, loaded and committed together */
#define MAX_ATTEMPTS 20 /* rounds of a batch (stale versions, reloads) before leaving the rest */
/* How long an idle worker waits in one read: worker_settings.idle_read_ms
 * (config worker_idle_read_ms, 1000 by default). Redis answers a waiting
 * XREADGROUP ... > as soon as an entry arrives, and an entry added between
 * two reads is returned by the next one (">" means "never delivered", not
 * "new since the last call"), so this bounds only how often an idle worker
 * wakes up (and how long a stop waits), never how long a claim waits
 * (tests/test_worker.c checks it with a 10 s read). */
#define MAX_DELTAS ADJ_MAX_DELTAS /* a year's in- and out-of-network deltas, for every year */

_Static_assert(BATCH <= WORK_MAX_BATCH, "a batch is committed in one call");
_Static_assert(ADJ_IN_REVIEW + 1 == WORKER_OUTCOMES, "a decision counter for every outcome");
_Static_assert(WORK_MAX_YEARS >= ADJ_MAX_PLAN_YEARS, "every plan year a claim's lines can span");
_Static_assert(WORK_FP_LEN >= ADJ_FP_LEN, "queue/ must carry a whole fingerprint");
_Static_assert(WORK_MAX_FPS >= MAX_LINES * ADJ_FP_PER_LINE, "every line's fingerprints");

struct worker;

struct worker_pool {
    struct worker_settings s;
    pthread_t *threads;
    struct worker *workers;
    int n;
    atomic_bool stop;
};

/* One claim of a batch: what was read, what was decided, what to write. */
struct slot {
    struct work_item item;
    struct work_facts raw;
    bool loaded; /* raw holds allocations */
    enum { SLOT_OPEN, SLOT_DONE, SLOT_LEAVE } state;
    uint64_t started;

    struct claim claim;
    struct member patient, subscriber, parent;
    struct group group;
    struct plan plan;
    bool have_patient, have_subscriber, have_parent, have_group, have_plan, have_claim;
    bool plan_owned; /* else the plan's tables are the enrollment cache's */
    date_t received, target;
    struct adj_year_accumulators acc[WORK_MAX_YEARS];
    int n_acc;
    struct adj_review review; /* the reviewer's decision stored with the claim */
    bool have_review;

    char fps[WORK_MAX_FPS][WORK_FP_LEN]; /* looked up */
    enum adj_fp_kind fp_kind[WORK_MAX_FPS];
    int fp_line[WORK_MAX_FPS];
    int n_fps;
    char holders[WORK_MAX_FPS][CLAIM_ID_LEN];
    struct adj_prior_line prior[WORK_MAX_FPS];
    int n_prior;

    struct adj_decision decision;
    bool ready; /* a commit was built */
    char expected_version[WORK_VERSION_LEN];
    char *decision_json, *pending_json, *eob_json, *audit_json; /* owned */
    struct work_acc_delta deltas[MAX_DELTAS];
    int n_deltas;
    /* Every line's fingerprints to store, computed once when the claim is
     * loaded (a stale retry decides again, the lines stay the same). */
    char line_fps[WORK_MAX_FPS][WORK_FP_LEN];
    int line_fp_line[WORK_MAX_FPS];
    int n_line_fps;
    char store[WORK_MAX_FPS][WORK_FP_LEN];
    int n_store;
    char drop[WORK_MAX_FPS][WORK_FP_LEN];
    int n_drop;
};

struct carry;

/* A worker thread and what it reuses from batch to batch (allocated once). */
struct worker {
    struct worker_pool *pool;
    int index;
    char consumer[128];
    struct work_conn *conn;
    struct codec_field_errors errs;
    struct codec_enrollment_cache *enrollment; /* parsed members, groups and plans */
    struct slot *slots;                        /* BATCH of each */
    struct carry *carry;
    struct work_item *round_items;
    struct work_facts *raw;
    struct work_fp_lookup *lookups;
    struct work_commit *commits;
    enum work_commit_result *results;
    struct work_item *items;    /* a read's entries */
    char (*dead)[CLAIM_ID_LEN]; /* claims dead-lettered by a recovery */
};

/* ---- statistics ---- */

const double worker_latency_bounds[8] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0, 1e300};
static _Atomic uint64_t st_committed[WORKER_OUTCOMES], st_stale, st_dead, st_failures,
    st_buckets[8], st_count;
static _Atomic uint64_t st_facts_bytes;
static _Atomic uint64_t st_sum_ns;

void worker_stats_read(struct worker_stats *out)
{
    for (int i = 0; i < WORKER_OUTCOMES; i++)
        out->committed[i] = atomic_load(&st_committed[i]);
    out->stale_retries = atomic_load(&st_stale);
    out->dead_lettered = atomic_load(&st_dead);
    out->failures = atomic_load(&st_failures);
    out->facts_bytes = atomic_load(&st_facts_bytes);
    for (int i = 0; i < 8; i++)
        out->latency_buckets[i] = atomic_load(&st_buckets[i]);
    out->latency_count = atomic_load(&st_count);
    out->latency_sum_seconds = (double)atomic_load(&st_sum_ns) / 1e9;
}

/* Adds one claim's time from read to commit to the histogram. */
static void record_latency(uint64_t ns)
{
    double s = (double)ns / 1e9;
    for (int i = 0; i < 8; i++)
        if (s <= worker_latency_bounds[i])
            atomic_fetch_add(&st_buckets[i], 1);
    atomic_fetch_add(&st_count, 1);
    atomic_fetch_add(&st_sum_ns, ns);
}

/* ---- deciding ---- */

/* Approved and denied are final; pended and in_review wait (for information,
 * for a staff reviewer). */
static bool outcome_final(enum adj_outcome o)
{
    return o == ADJ_APPROVED || o == ADJ_DENIED;
}

/* The EOB record stored with a finalized claim (eob/eob.h), as the text
 * json-c writes for it (PLAIN, NOSLASHESCAPE), written without the tree:
 * built from the decision and the very facts it was made from. A claim for
 * an unknown member has no one to address an EOB to beyond the claim itself:
 * it gets a short record with the decision. Returns NULL when the record
 * cannot be built (amounts that do not add up are a bug: the claim is not
 * committed). Allocates: the caller frees. */
static char *eob_record(const struct slot *f, const struct adj_decision *d, date_t today)
{
    const struct member *patient = f->have_patient ? &f->patient : NULL;
    return worker_redecide_eob_text(
        f->item.claim_id, f->raw.eob_version + 1, today, f->received, &f->claim, patient,
        f->have_subscriber ? &f->subscriber : patient, f->have_group ? &f->group : NULL,
        f->have_plan ? &f->plan : NULL, f->acc, f->n_acc, d);
}

#ifdef CLAIMS_FAULT_HOOKS
/* Test builds only (claimsd-faults): CLAIMSD_FAULT=kill_after_load makes the
 * process kill itself between loading a claim's facts and committing, to
 * prove that another worker finishes the claim exactly once. */
static void fault_point(const char *name)
{
    const char *want = getenv("CLAIMSD_FAULT");
    if (want && strcmp(want, name) == 0) {
        log_warn("fault hook %s: killing this process", name);
        raise(SIGKILL);
    }
}
#else
#define fault_point(name) ((void)0)
#endif

/* ---- a batch ---- */

/* Frees what a slot holds (loaded text, the parsed plan, the commit's text)
 * and marks it empty; safe to call twice. */
static void slot_release(struct slot *s)
{
    if (s->loaded)
        queue_work_facts_free(&s->raw);
    s->loaded = false;
    if (s->have_plan && s->plan_owned)
        plan_free(&s->plan);
    s->have_plan = false;
    free(s->decision_json);
    free(s->pending_json);
    free(s->eob_json);
    free(s->audit_json);
    s->decision_json = s->pending_json = s->eob_json = s->audit_json = NULL;
    s->ready = false;
}

/* The reviewer's decision stored with the claim, if any, into s->review
 * (docs/rules.md "Staff review"). False (logged; the claim is left for
 * redelivery, never decided without it) when it does not parse. */
static bool parse_review(struct slot *s)
{
    s->have_review = false;
    if (!s->raw.review)
        return true;
    struct json_object *o = json_tokener_parse(s->raw.review);
    s->have_review = o && adj_review_from_json(o, &s->review);
    if (o)
        json_object_put(o);
    if (!s->have_review)
        log_error("worker: stored review does not parse (or out of memory) claim_id=%s",
                  s->item.claim_id);
    return s->have_review;
}

/* Parses the stored submission into s->claim and the received and target
 * dates; false (logged) when they do not parse. */
static bool parse_submission(struct worker *w, struct slot *s, date_t today)
{
    const struct work_facts *r = &s->raw;
    struct json_object *so = r->submission ? json_tokener_parse(r->submission) : NULL;
    struct codec_claim_options opt = {.may_set_received_date = true, .today = today};
    codec_field_errors_init(&w->errs);
    bool ok = so && codec_parse_claim(so, &opt, &s->claim, &w->errs) &&
              date_parse(r->received, &s->received) && date_parse(r->target, &s->target);
    if (so)
        json_object_put(so);
    if (!ok)
        log_error("worker: stored claim does not parse (or out of memory) claim_id=%s",
                  s->item.claim_id);
    return ok;
}

/* Parses the loaded patient, subscriber, parent, group and plan (those
 * present); false (logged) when a stored record does not parse. */
static bool parse_enrollment_records(struct worker *w, struct slot *s)
{
    const struct work_facts *r = &s->raw;
    struct codec_field_errors *errs = &w->errs;
    if (r->patient) {
        s->have_patient =
            codec_cached_member(w->enrollment, r->patient, s->item.member_id, &s->patient, errs);
        if (!s->have_patient) {
            log_error("worker: stored member does not parse (or out of memory) claim_id=%s",
                      s->item.claim_id);
            return false;
        }
    }
    /* Parsed once per text and worker (intake_cached_*): a changed record
     * has another text and is parsed afresh. A stored record that cannot be
     * parsed (damaged, or no memory to parse it) leaves the claim for
     * redelivery: it is not decided as if the record were missing. */
    const char *broken = NULL;
    if (r->subscriber &&
        !(s->have_subscriber = codec_cached_member(w->enrollment, r->subscriber,
                                                   s->item.subscriber_id, &s->subscriber, errs)))
        broken = "subscriber";
    else if (r->parent && !(s->have_parent = codec_cached_member(
                                w->enrollment, r->parent, s->item.parent_id, &s->parent, errs)))
        broken = "parent";
    else if (r->group && !(s->have_group = codec_cached_group(w->enrollment, r->group,
                                                              s->item.group_id, &s->group, errs)))
        broken = "group";
    else if (r->plan &&
             !(s->have_plan = codec_cached_plan(w->enrollment, r->plan, s->item.plan_id, &s->plan,
                                                &s->plan_owned, errs) == CODEC_OK))
        broken = "plan";
    if (broken) {
        log_error("worker: stored %s does not parse (or out of memory); claim left for "
                  "redelivery claim_id=%s",
                  broken, s->item.claim_id);
        return false;
    }
    return true;
}

/* The hints name the group and plan at receipt; follows the member's
 * current group and that group's plan. True when a hint changed (load again). */
static bool follow_current_refs(struct slot *s)
{
    if (s->have_patient && strcmp(s->patient.group_id, s->item.group_id) != 0) {
        snprintf(s->item.group_id, sizeof s->item.group_id, "%s", s->patient.group_id);
        return true;
    } else if (s->have_patient && s->have_group && strcmp(s->group.plan_id, s->item.plan_id) != 0) {
        snprintf(s->item.plan_id, sizeof s->item.plan_id, "%s", s->group.plan_id);
        return true;
    } else if (s->have_patient && strcmp(s->patient.parent_member_id, s->item.parent_id) != 0) {
        /* A grandchild's parent (§ I): loaded with the facts of the next round. */
        snprintf(s->item.parent_id, sizeof s->item.parent_id, "%s", s->patient.parent_member_id);
        return true;
    }
    return false;
}

/* Copies the loaded accumulators, a year each, into the rules' form. */
static void copy_accumulators(struct slot *s)
{
    const struct work_facts *r = &s->raw;
    s->n_acc = 0;
    for (int i = 0; i < r->n_acc && i < WORK_MAX_YEARS; i++) {
        const struct work_accumulators *a = &r->acc[i];
        struct adj_year_accumulators *y = &s->acc[s->n_acc++];
        memset(y, 0, sizeof *y);
        y->year = a->year;
        for (int t = 0; t < 2; t++) {
            y->family[t] = (struct adj_tier_totals){a->family_deductible[t], a->family_oop[t]};
            y->individual[t] = (struct adj_tier_totals){a->member_deductible[t], a->member_oop[t]};
        }
    }
}

/* Every line's fingerprints to store and to look up. */
static void line_fingerprints(struct slot *s)
{
    s->n_fps = s->n_line_fps = 0;
    int n_lines = s->claim.type == CLAIM_PHARMACY ? 1 : s->claim.n_lines;
    for (int i = 0; i < n_lines && s->n_fps + ADJ_FP_PER_LINE <= WORK_MAX_FPS; i++) {
        struct adj_fingerprint store[ADJ_FP_PER_LINE], look[ADJ_FP_PER_LINE];
        int n_store = adj_line_fingerprints_to_store(&s->claim, i, store);
        for (int j = 0; j < n_store; j++) {
            snprintf(s->line_fps[s->n_line_fps], WORK_FP_LEN, "%s", store[j].text);
            s->line_fp_line[s->n_line_fps++] = i;
        }
        /* A medical line looks up the very fingerprint it stores. */
        int k = s->claim.type == CLAIM_MEDICAL
                    ? n_store
                    : adj_line_fingerprints_to_look_up(&s->claim, i, look);
        const struct adj_fingerprint *fp = s->claim.type == CLAIM_MEDICAL ? store : look;
        for (int j = 0; j < k; j++) {
            snprintf(s->fps[s->n_fps], WORK_FP_LEN, "%s", fp[j].text);
            s->fp_kind[s->n_fps] = fp[j].kind;
            s->fp_line[s->n_fps++] = i;
        }
    }
}

/* Parses what was loaded for one claim. Returns false (the claim is left
 * for redelivery) when a stored record does not parse; sets *refs when the
 * member's record names another group or plan than the entry's hints (the
 * hints are updated: load again). */
static bool parse_facts(struct worker *w, struct slot *s, date_t today, bool *refs)
{
    *refs = false;
    s->have_patient = s->have_subscriber = s->have_parent = s->have_group = s->have_plan = false;
    if (!parse_submission(w, s, today) || !parse_review(s) || !parse_enrollment_records(w, s))
        return false;
    *refs = follow_current_refs(s);
    copy_accumulators(s);
    line_fingerprints(s);
    s->have_claim = true;
    return true;
}

/*
 * What the claims of one family decided earlier in this batch change for
 * the later ones (a one-at-a-time order within the batch): the family
 * version their commits leave, the accumulator deltas, the fingerprints
 * stored and dropped.
 */
struct fp_change {
    const char *member_id;
    char fp[WORK_FP_LEN];
    char holder[CLAIM_ID_LEN]; /* "" once dropped */
};

struct family {
    const char *subscriber_id;
    char version[WORK_VERSION_LEN];
    bool broken; /* a claim of it could not be committed: the rest wait */
};

/* An approved claim's accumulator delta, for the later claims of its family. */
struct carried_delta {
    const struct family *fam;
    const char *member_id;
    struct work_acc_delta d;
};

/* Sized for every claim of a batch and every delta or fingerprint each can
 * have (BATCH * MAX_DELTAS, BATCH * WORK_MAX_FPS): nothing is dropped. */
struct carry {
    struct family fam[BATCH];
    int n_fam;
    struct carried_delta deltas[BATCH * MAX_DELTAS];
    int n_deltas;
    struct fp_change fps[BATCH * WORK_MAX_FPS];
    int n_fps;
};

/* The carried state of the slot's family, created at the version its facts
 * were read at when the family has no earlier claim in this round. */
static struct family *family_of(struct carry *c, const struct slot *s)
{
    for (int i = 0; i < c->n_fam; i++)
        if (strcmp(c->fam[i].subscriber_id, s->item.subscriber_id) == 0)
            return &c->fam[i];
    struct family *f = &c->fam[c->n_fam++];
    f->subscriber_id = s->item.subscriber_id;
    snprintf(f->version, sizeof f->version, "%s", s->raw.version);
    f->broken = false;
    return f;
}

/* The holder of fp now: a change made earlier in the batch, else what Redis said. */
static const char *holder_now(const struct carry *c, const char *member_id, const char *fp,
                              const char *loaded)
{
    for (int i = c->n_fps - 1; i >= 0; i--)
        if (strcmp(c->fps[i].fp, fp) == 0 && strcmp(c->fps[i].member_id, member_id) == 0)
            return c->fps[i].holder;
    return loaded;
}

/* Records that fp of member_id is now held by holder ("" once dropped). */
static void note_holder(struct carry *c, const char *member_id, const char *fp, const char *holder)
{
    if (c->n_fps >= BATCH * WORK_MAX_FPS)
        return;
    struct fp_change *ch = &c->fps[c->n_fps++];
    ch->member_id = member_id;
    snprintf(ch->fp, sizeof ch->fp, "%s", fp);
    snprintf(ch->holder, sizeof ch->holder, "%s", holder);
}

/* Applies the earlier claims' deltas of the family to this claim's loaded accumulators. */
static void apply_carried(const struct carry *c, const struct family *fam, struct slot *s)
{
    for (int i = 0; i < c->n_deltas; i++) {
        if (c->deltas[i].fam != fam)
            continue;
        const struct work_acc_delta *d = &c->deltas[i].d;
        for (int y = 0; y < s->n_acc; y++) {
            if (s->acc[y].year != d->year)
                continue;
            s->acc[y].family[d->network].deductible_met += d->deductible;
            s->acc[y].family[d->network].oop_met += d->oop;
            if (strcmp(c->deltas[i].member_id, s->item.member_id) == 0) {
                s->acc[y].individual[d->network].deductible_met += d->deductible;
                s->acc[y].individual[d->network].oop_met += d->oop;
            }
        }
    }
}

/* The duplicate fingerprints the decision changes (adj_fingerprint_changes). */
static void fingerprint_changes(struct slot *s)
{
    adj_fingerprint_changes((const char(*)[ADJ_FP_LEN])s->line_fps, s->line_fp_line, s->n_line_fps,
                            &s->decision, s->store, &s->n_store, s->drop, &s->n_drop, WORK_MAX_FPS);
}

/* The text of o (allocated; the caller frees it), and o put; NULL for NULL. */
static char *json_text(struct json_object *o, int flags)
{
    char *t = o ? strdup(json_object_to_json_string_ext(o, flags)) : NULL;
    if (o)
        json_object_put(o);
    return t;
}

/* The earlier lines that hold this claim's fingerprints now (the family's
 * carried changes over what Redis said), as the rules' prior lines. */
static void gather_prior_lines(struct slot *s, const struct carry *c)
{
    s->n_prior = 0;
    for (int i = 0; i < s->n_fps; i++) {
        const char *h = holder_now(c, s->item.member_id, s->fps[i], s->holders[i]);
        if (h[0] && strcmp(h, s->item.claim_id) != 0)
            adj_prior_line_for_hit(&s->claim, s->fp_line[i], s->fp_kind[i], h,
                                   &s->prior[s->n_prior++]);
    }
}

/* Runs the rules on the slot's facts into s->decision; ADJ_OK or the rules' refusal. */
static int run_rules(struct slot *s, date_t today)
{
    struct adj_decision *d = &s->decision;
    if (!s->have_patient) {
        adj_deny_unknown_member(&s->claim, d);
        return ADJ_OK;
    }
    struct adj_facts facts = {
        .claim_id = s->item.claim_id,
        .claim = &s->claim,
        .patient = &s->patient,
        .subscriber = s->have_subscriber ? &s->subscriber : &s->patient,
        .parent = s->have_parent ? &s->parent : NULL,
        .group = s->have_group ? &s->group : NULL,
        .plan = s->have_plan ? &s->plan : NULL,
        .accumulators = s->acc,
        .n_accumulators = s->n_acc,
        .prior_lines = s->prior,
        .n_prior_lines = s->n_prior,
        .received_date = s->received,
        .today = today,
        .review = s->have_review ? &s->review : NULL,
    };
    return s->item.expired ? adj_decide_expired_pend(&facts, d) : adj_adjudicate(&facts, d);
}

/* Writes the commit's texts: the EOB (final outcomes), the decision, the
 * pend (pended) and the audit record. False (logged) when one cannot be written. */
static bool write_commit_texts(struct worker *w, struct slot *s, date_t today)
{
    const struct adj_decision *d = &s->decision;
    bool final = outcome_final(d->outcome);
    s->eob_json = final ? eob_record(s, d, today) : NULL;
    if (final && !s->eob_json) {
        log_error("worker: the EOB does not add up (or out of memory); claim left for "
                  "redelivery claim_id=%s",
                  s->item.claim_id);
        return false;
    }
    s->decision_json = adj_decision_to_text(d);
    bool pended = d->outcome == ADJ_PENDED;
    s->pending_json = pended ? adj_pending_to_text(&d->pend) : NULL;
    char now[32];
    rfc3339_now(now);
    const char *action = final ? "claim.finalize" : pended ? "claim.pend" : "claim.refer";
    s->audit_json =
        json_text(queue_audit_record_new(now, "", "worker", action, "", NULL, w->consumer),
                  JSON_C_TO_STRING_PLAIN);
    if (!s->decision_json || !s->audit_json || (pended && !s->pending_json)) {
        log_error("worker: out of memory writing the decision; claim left for redelivery "
                  "claim_id=%s",
                  s->item.claim_id);
        return false;
    }
    return true;
}

/* What the family looks like to its next claim in this batch: the version
 * this commit leaves, its accumulator deltas, the fingerprints it stores
 * and drops. */
static void carry_forward(struct slot *s, struct carry *c, struct family *fam)
{
    snprintf(s->expected_version, sizeof s->expected_version, "%s", fam->version);
    queue_version_after(s->expected_version, s->item.claim_id, fam->version);
    for (int i = 0; i < s->n_deltas && c->n_deltas < BATCH * MAX_DELTAS; i++)
        c->deltas[c->n_deltas++] = (struct carried_delta){fam, s->item.member_id, s->deltas[i]};
    for (int i = 0; i < s->n_store; i++)
        note_holder(c, s->item.member_id, s->store[i], s->item.claim_id);
    for (int i = 0; i < s->n_drop; i++) {
        /* Dropped only where this claim holds it (the commit script checks the same). */
        const char *loaded = "";
        for (int j = 0; j < s->n_fps; j++)
            if (strcmp(s->fps[j], s->drop[i]) == 0)
                loaded = s->holders[j];
        if (strcmp(holder_now(c, s->item.member_id, s->drop[i], loaded), s->item.claim_id) == 0)
            note_holder(c, s->item.member_id, s->drop[i], "");
    }
}

/* Decides one claim on its facts and the family's carried changes, and
 * builds its commit. Returns false (the claim is left for redelivery) when
 * the rules refuse the facts or the EOB does not add up. */
static bool decide(struct worker *w, struct slot *s, struct carry *c, struct family *fam,
                   date_t today)
{
    apply_carried(c, fam, s);
    gather_prior_lines(s, c);
    if (run_rules(s, today) != ADJ_OK) {
        log_error("worker: the rules refused the facts claim_id=%s", s->item.claim_id);
        return false;
    }
    if (!write_commit_texts(w, s, today))
        return false;
    const struct adj_decision *d = &s->decision;
    s->n_deltas = 0;
    if (d->outcome == ADJ_APPROVED)
        for (int i = 0; i < d->n_deltas && s->n_deltas < MAX_DELTAS; i++)
            s->deltas[s->n_deltas++] =
                (struct work_acc_delta){d->deltas[i].year, d->deltas[i].network == NETWORK_OUT,
                                        d->deltas[i].deductible, d->deltas[i].oop};
    fingerprint_changes(s);
    carry_forward(s, c, fam);
    s->ready = true;
    return true;
}

/* Counts a committed decision for /metrics (debug log only: nothing per
 * claim at the default level). */
static void count_commit(const struct slot *s)
{
    enum adj_outcome o = s->decision.outcome;
    atomic_fetch_add(&st_committed[o], 1); /* indexed by enum adj_outcome */
    record_latency(clock_monotonic_ns() - s->started);
    log_debug("claim %s claim_id=%s", adj_outcome_name(o), s->item.claim_id);
}

/* One round of a batch: which slots it takes, the day it decides on. */
struct round {
    int of[BATCH]; /* slot index of each of the round's claims */
    int m;
    date_t today;
};

/* Opens a slot for each of the n entries. */
static void batch_begin(struct worker *w, const struct work_item *items, int n)
{
    uint64_t started = clock_monotonic_ns();
    codec_enrollment_cache_begin(w->enrollment); /* no slot holds a cached plan now */
    for (int i = 0; i < n; i++) {
        struct slot *s = &w->slots[i];
        s->item = items[i];
        s->state = SLOT_OPEN;
        s->started = started;
        s->loaded = s->ready = false;
        s->have_plan = false;
    }
}

/* This round: the open claims, each claim id once (a second entry of the
 * same claim waits for the next round and its fresh facts). */
static void pick_round(struct worker *w, int n, struct round *r)
{
    struct slot *slots = w->slots;
    r->m = 0;
    for (int i = 0; i < n; i++) {
        if (slots[i].state != SLOT_OPEN)
            continue;
        bool twice = false;
        for (int j = 0; j < r->m; j++)
            twice |= strcmp(slots[r->of[j]].item.claim_id, slots[i].item.claim_id) == 0;
        if (!twice) {
            r->of[r->m] = i;
            w->round_items[r->m++] = slots[i].item;
        }
    }
}

/* Takes one loaded claim into its slot: acknowledges what is gone or final,
 * leaves what cannot be read, parses the rest. True when its fingerprints
 * are to be looked up. */
static bool take_loaded(struct worker *w, struct slot *s, const struct work_facts *raw,
                        date_t today)
{
    s->raw = *raw;
    s->loaded = true;
    s->have_claim = false;
    if (s->raw.state == WORK_GONE || s->raw.state == WORK_FINAL) {
        queue_ack(w->conn, &s->item);
        s->state = SLOT_DONE;
        return false;
    }
    if (s->raw.state == WORK_ERROR) {
        log_error("worker: claim not loaded (claim_start refused, or out of memory); left "
                  "for redelivery claim_id=%s",
                  s->item.claim_id);
        atomic_fetch_add(&st_failures, 1);
        s->state = SLOT_LEAVE;
        return false;
    }
    if (s->raw.state == WORK_RETRY)
        return false;
    bool refs;
    if (!parse_facts(w, s, today, &refs)) {
        atomic_fetch_add(&st_failures, 1);
        s->state = SLOT_LEAVE;
        return false;
    }
    if (refs) {
        s->have_claim = false; /* load again with the member's current group and plan */
        return false;
    }
    return true;
}

/* Loads the round's facts in one pipeline and their fingerprints in a
 * second; false when the connection broke. */
static bool load_round(struct worker *w, struct round *r)
{
    uint64_t bytes = 0;
    if (queue_load_facts(w->conn, w->round_items, r->m, w->raw, &bytes) != 0)
        return false;
    r->today = date_today();
    int n_look = 0;
    for (int k = 0; k < r->m; k++) {
        struct slot *s = &w->slots[r->of[k]];
        if (take_loaded(w, s, &w->raw[k], r->today))
            w->lookups[n_look++] =
                (struct work_fp_lookup){s->item.shard, s->item.member_id,
                                        (const char(*)[WORK_FP_LEN])s->fps, s->n_fps, s->holders};
    }
    if (queue_lookup_fingerprints(w->conn, w->lookups, n_look, &bytes) != 0)
        return false;
    atomic_fetch_add(&st_facts_bytes, bytes);
    return true;
}

/* The commit of a decided slot (queue/work.h). */
static struct work_commit commit_of_slot(struct slot *s, date_t today)
{
    return (struct work_commit){
        .item = &s->item,
        .expected_version = s->expected_version,
        .status = adj_outcome_name(s->decision.outcome),
        .decision = s->decision_json,
        .pending = s->pending_json,
        .eob = s->eob_json,
        .submission = s->raw.submission,
        .eob_version = s->raw.eob_version + 1,
        .audit = s->audit_json,
        .final = outcome_final(s->decision.outcome),
        .in_review = s->decision.outcome == ADJ_IN_REVIEW,
        .within_target = date_cmp(today, s->target) <= 0,
        .pend_deadline_day = (int)s->decision.pend.deadline.days,
        .deltas = s->deltas,
        .n_deltas = s->n_deltas,
        .store = (const char(*)[WORK_FP_LEN])s->store,
        .n_store = s->n_store,
        .drop = (const char(*)[WORK_FP_LEN])s->drop,
        .n_drop = s->n_drop,
        .provider_payee = s->decision.payee == ADJ_PAYEE_PROVIDER,
        .payee_npi = s->claim.provider.npi,
        .plan_paid = s->decision.total_plan_paid,
    };
}

/* Decides the round's open claims in stream order, carrying each family's
 * changes forward, into w->commits; returns how many, their slots in commit_of. */
static int decide_round(struct worker *w, const struct round *r, int commit_of[BATCH])
{
    struct carry *carry = w->carry;
    carry->n_fam = 0;
    carry->n_deltas = 0;
    carry->n_fps = 0;
    int n_commit = 0;
    for (int k = 0; k < r->m; k++) {
        struct slot *s = &w->slots[r->of[k]];
        if (s->state != SLOT_OPEN)
            continue;
        struct family *fam = family_of(carry, s);
        if (!s->have_claim) {
            fam->broken = true; /* loaded again next round: the later ones wait for it */
            continue;
        }
        if (fam->broken)
            continue; /* decided next round, after what blocked it */
        if (!decide(w, s, carry, fam, r->today)) {
            atomic_fetch_add(&st_failures, 1);
            s->state = SLOT_LEAVE;
            fam->broken = true;
            continue;
        }
        w->commits[n_commit] = commit_of_slot(s, r->today);
        commit_of[n_commit++] = r->of[k];
    }
    return n_commit;
}

/* Settles each slot by its commit's result: done, stale (next round) or left. */
static void settle_commits(struct worker *w, const int *commit_of, int n_commit)
{
    for (int k = 0; k < n_commit; k++) {
        struct slot *s = &w->slots[commit_of[k]];
        if (w->results[k] == WORK_COMMIT_OK) {
            count_commit(s);
            s->state = SLOT_DONE;
        } else if (w->results[k] == WORK_COMMIT_FINAL) {
            s->state = SLOT_DONE;
        } else if (w->results[k] == WORK_COMMIT_STALE) {
            atomic_fetch_add(&st_stale, 1);
        } else {
            atomic_fetch_add(&st_failures, 1);
            s->state = SLOT_LEAVE;
        }
    }
}

/* Loads, decides and commits one round; false when the connection broke. */
static bool run_round(struct worker *w, struct round *r)
{
    bool connected = load_round(w, r);
    if (!connected)
        return false;
    fault_point("kill_after_load");
    int commit_of[BATCH];
    int n_commit = decide_round(w, r, commit_of);
    if (n_commit > 0 && queue_commit(w->conn, w->commits, n_commit, w->results) != 0)
        connected = false;
    settle_commits(w, commit_of, n_commit);
    for (int k = 0; k < r->m; k++)
        slot_release(&w->slots[r->of[k]]);
    return connected;
}

/*
 * Takes n entries through load, decide and commit, in rounds: each round
 * loads the facts of every open claim in one pipeline (and their
 * fingerprints in a second), decides them in stream order (a family's later
 * claims see its earlier ones' deltas, fingerprints and version), and
 * commits them pipelined. A claim whose commit found its family moved on
 * (and so every later claim of that family in the round) goes to the next
 * round with fresh facts. Returns false when the connection broke.
 */
static bool process_batch(struct worker *w, const struct work_item *items, int n)
{
    batch_begin(w, items, n);
    struct round r;
    bool connected = true;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && !atomic_load(&w->pool->stop); attempt++) {
        pick_round(w, n, &r);
        if (r.m == 0)
            break;
        if (!run_round(w, &r)) {
            connected = false;
            break;
        }
    }
    for (int i = 0; i < n; i++)
        slot_release(&w->slots[i]);
    return connected;
}

/* ---- the loop ---- */

/* Runs the family re-decision jobs among items[0..n) (work/redecide_job.h)
 * and moves the claims to the front. Returns how many claims remain, or -1
 * when the connection broke. */
static int run_jobs(struct worker *w, struct work_item *items, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!items[i].redecide) {
            items[m++] = items[i];
            continue;
        }
        if (!worker_redecide_job_run(w->conn, &items[i], w->consumer))
            return -1;
    }
    return m;
}

/* A batch: its re-decision jobs, then its claims. */
static bool process_entries(struct worker *w, struct work_item *items, int n)
{
    int m = run_jobs(w, items, n);
    return m >= 0 && (m == 0 || process_batch(w, items, m));
}

/* A worker thread: (re)connects with backoff, takes over stalled entries
 * every claim_idle_timeout_ms / 2, and otherwise reads and processes
 * batches until the pool stops. A broken connection is closed and made
 * again; what it held stays pending for this consumer (read first after
 * the reconnect) or, if the process dies, for XAUTOCLAIM. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct worker_pool *pool = w->pool;
    const struct worker_settings *s = &pool->s;
    struct work_item *items = w->items;
    char(*dead)[CLAIM_ID_LEN] = w->dead;
    uint64_t last_recovery = 0;
    int backoff_ms = 100;
    while (!atomic_load(&pool->stop)) {
        if (!w->conn) {
            w->conn =
                queue_work_connect(&s->redis, s->redis_timeout_ms, s->key_prefix, w->consumer);
            if (!w->conn) {
                usleep((useconds_t)backoff_ms * 1000);
                backoff_ms = backoff_ms * 2 > 2000 ? 2000 : backoff_ms * 2;
                continue;
            }
            backoff_ms = 100;
        }
        bool ok = true;
        uint64_t now = clock_monotonic_ns();
        if (now - last_recovery > (uint64_t)s->claim_idle_timeout_ms * UINT64_C(1000000) / 2) {
            last_recovery = now;
            int n_dead = 0;
            int n = queue_recover_stalled(w->conn, s->claim_idle_timeout_ms, s->max_deliveries,
                                          items, BATCH, dead, &n_dead);
            for (int i = 0; i < n_dead; i++) {
                atomic_fetch_add(&st_dead, 1);
                log_error("claim dead-lettered after too many deliveries claim_id=%s", dead[i]);
            }
            if (n > 0)
                log_warn("worker took over %d stalled claims", n);
            ok = n >= 0 && (n == 0 || process_entries(w, items, n));
        }
        if (ok) {
            int n = queue_next_batch(w->conn, items, BATCH, s->idle_read_ms);
            ok = n >= 0 && (n == 0 || process_entries(w, items, n));
        }
        if (!ok || queue_work_broken(w->conn)) {
            log_warn("worker %d: Redis connection lost; reconnecting", w->index);
            queue_work_close(w->conn);
            w->conn = NULL;
        }
    }
    queue_work_close(w->conn);
    w->conn = NULL;
    return NULL;
}

/* The buffers a worker reuses for every batch (about 8 MB with BATCH 64:
 * parsed claims, plans and fingerprints). Returns false when out of memory;
 * worker_free releases whatever was allocated. */
static bool worker_alloc(struct worker *w)
{
    w->slots = calloc(BATCH, sizeof *w->slots);
    w->carry = malloc(sizeof *w->carry);
    w->round_items = malloc(sizeof *w->round_items * BATCH);
    w->raw = malloc(sizeof *w->raw * BATCH);
    w->lookups = malloc(sizeof *w->lookups * BATCH);
    w->commits = malloc(sizeof *w->commits * BATCH);
    w->results = malloc(sizeof *w->results * BATCH);
    w->items = malloc(sizeof *w->items * BATCH);
    w->dead = malloc(sizeof *w->dead * BATCH);
    w->enrollment = codec_enrollment_cache_new();
    return w->enrollment && w->slots && w->carry && w->round_items && w->raw && w->lookups &&
           w->commits && w->results && w->items && w->dead;
}

/* Frees worker_alloc's buffers. */
static void worker_free(struct worker *w)
{
    free(w->slots);
    free(w->carry);
    free(w->round_items);
    free(w->raw);
    free(w->lookups);
    free(w->commits);
    free(w->results);
    free(w->items);
    free(w->dead);
    codec_enrollment_cache_free(w->enrollment);
}

struct worker_pool *worker_pool_start(const struct worker_settings *settings)
{
    struct worker_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->s = *settings;
    pool->n = settings->threads;
    pool->threads = calloc((size_t)pool->n, sizeof *pool->threads);
    struct worker *ws = calloc((size_t)pool->n, sizeof *ws);
    if (!pool->threads || !ws) {
        free(pool->threads);
        free(ws);
        free(pool);
        return NULL;
    }
    queue_corrections_init(); /* the re-decision scripts' SHA-1, before any thread runs */
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    for (int i = 0; i < pool->n; i++) {
        ws[i].pool = pool;
        ws[i].index = i;
        snprintf(ws[i].consumer, sizeof ws[i].consumer, "%s-%d-%d", host, (int)getpid(), i);
        if (!worker_alloc(&ws[i]) ||
            pthread_create(&pool->threads[i], NULL, worker_main, &ws[i]) != 0) {
            log_error("cannot start worker thread %d", i);
            atomic_store(&pool->stop, true);
            for (int j = 0; j < i; j++)
                pthread_join(pool->threads[j], NULL);
            for (int j = 0; j <= i; j++)
                worker_free(&ws[j]);
            free(pool->threads);
            free(ws);
            free(pool);
            return NULL;
        }
    }
    pool->workers = ws;
    log_info("%d adjudication workers started", pool->n);
    return pool;
}

void worker_pool_stop(struct worker_pool *pool)
{
    if (!pool)
        return;
    atomic_store(&pool->stop, true);
    for (int i = 0; i < pool->n; i++)
        pthread_join(pool->threads[i], NULL);
    for (int i = 0; i < pool->n; i++)
        worker_free(&pool->workers[i]);
    free(pool->workers);
    free(pool->threads);
    free(pool);
    log_info("adjudication workers stopped");
}
