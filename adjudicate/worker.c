#include "worker.h"

#include <errno.h>
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
#include "adjudicate/rules.h"
#include "eob/eob.h"
#include "intake/parse_claim.h"
#include "intake/parse_enrollment.h"
#include "log.h"
#include "queue/audit.h"
#include "queue/keys.h"
#include "queue/scripts.h"

#define BATCH 16
#define MAX_YEARS 4          /* plan years loaded in the single round trip */
#define MAX_HITS (MAX_LINES * ADJ_FP_PER_LINE) /* duplicate fingerprints looked up per claim */
#define MAX_ATTEMPTS 20      /* stale-version retries before leaving it for later */

struct worker;

struct worker_pool {
    struct worker_settings s;
    pthread_t *threads;
    struct worker *workers;
    int n;
    atomic_bool stop;
};

struct worker {
    struct worker_pool *pool;
    int index;
    char consumer[128];
    redisContext *c;
    char k_stream[KEY_LEN];
};

/* ---- statistics ---- */

const double worker_latency_bounds[8] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0, 1e300};
static _Atomic uint64_t st_committed[3], st_stale, st_dead, st_failures, st_buckets[8], st_count;
static _Atomic uint64_t st_facts_bytes;
static _Atomic uint64_t st_sum_ns;

void worker_stats_read(struct worker_stats *out)
{
    for (int i = 0; i < 3; i++)
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

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void record_latency(uint64_t ns)
{
    double s = (double)ns / 1e9;
    for (int i = 0; i < 8; i++)
        if (s <= worker_latency_bounds[i])
            atomic_fetch_add(&st_buckets[i], 1);
    atomic_fetch_add(&st_count, 1);
    atomic_fetch_add(&st_sum_ns, ns);
}

static void rfc3339(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- a claim's facts ---- */

struct entry {
    char id[64];
    char claim_id[CLAIM_ID_LEN];
    char member_id[ID_LEN];
    char subscriber_id[ID_LEN];
    char group_id[ID_LEN];
    char plan_id[ID_LEN];
    int years[MAX_YEARS];
    int n_years;
    bool expired;
};

struct facts {
    struct claim claim;
    struct member patient, subscriber;
    struct group group;
    struct plan plan;
    bool have_patient, have_subscriber, have_group, have_plan;
    struct adj_year_accumulators acc[MAX_YEARS];
    int n_acc;
    int n_prior;
    char famver[32];
    char status[16];
    int eob_version; /* versions stored so far */
    date_t received, target;
    char group_seen[ID_LEN], plan_seen[ID_LEN]; /* what the member's record says */
    /* Last and not cleared between attempts: only prior[0..n_prior) is read.
     * One per duplicate fingerprint hit: the earlier line it stands for. */
    struct adj_prior_line prior[MAX_HITS];
};

static const char *field_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1]->str;
    return NULL;
}

static void parse_entry(const redisReply *fields, struct entry *e)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const char *k = fields->element[i]->str, *v = fields->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "claim") == 0)
            snprintf(e->claim_id, sizeof e->claim_id, "%s", v);
        else if (strcmp(k, "m") == 0)
            snprintf(e->member_id, sizeof e->member_id, "%s", v);
        else if (strcmp(k, "s") == 0)
            snprintf(e->subscriber_id, sizeof e->subscriber_id, "%s", v);
        else if (strcmp(k, "g") == 0)
            snprintf(e->group_id, sizeof e->group_id, "%s", v);
        else if (strcmp(k, "p") == 0)
            snprintf(e->plan_id, sizeof e->plan_id, "%s", v);
        else if (strcmp(k, "expired") == 0)
            e->expired = strcmp(v, "1") == 0;
        else if (strcmp(k, "y") == 0) {
            const char *p = v;
            while (*p && e->n_years < MAX_YEARS) {
                e->years[e->n_years++] = atoi(p);
                p = strchr(p, ',');
                if (!p)
                    break;
                p++;
            }
        }
    }
}

static void parse_acc(const redisReply *r, int year, const char *member_id,
                      struct adj_year_accumulators *acc)
{
    memset(acc, 0, sizeof *acc);
    acc->year = year;
    static const char *const tiers[2] = {"in", "out"};
    for (int t = 0; t < 2; t++) {
        char k[ID_LEN + 32];
        const char *v;
        snprintf(k, sizeof k, "f:%s:ded", tiers[t]);
        if ((v = field_of(r, k)))
            acc->family[t].deductible_met = atoll(v);
        snprintf(k, sizeof k, "f:%s:oop", tiers[t]);
        if ((v = field_of(r, k)))
            acc->family[t].oop_met = atoll(v);
        snprintf(k, sizeof k, "m:%s:%s:ded", member_id, tiers[t]);
        if ((v = field_of(r, k)))
            acc->individual[t].deductible_met = atoll(v);
        snprintf(k, sizeof k, "m:%s:%s:oop", member_id, tiers[t]);
        if ((v = field_of(r, k)))
            acc->individual[t].oop_met = atoll(v);
    }
}

static bool parse_member_json(const char *text, const char *id, struct member *out,
                              struct intake_field_errors *errs)
{
    struct json_object *o = json_tokener_parse(text);
    intake_field_errors_init(errs);
    bool ok = o && intake_parse_member(o, id, out, errs);
    if (o)
        json_object_put(o);
    return ok;
}

enum load_result { LOAD_OK, LOAD_GONE, LOAD_FINAL, LOAD_ERROR, LOAD_RETRY_REFS };

/* The size of a reply as Redis sent it (RESP2), for the facts_bytes counter. */
static uint64_t resp_bytes(const redisReply *r)
{
    char n[32];
    switch (r->type) {
    case REDIS_REPLY_STRING:
        return 1 + (uint64_t)snprintf(n, sizeof n, "%zu", r->len) + 2 + r->len + 2;
    case REDIS_REPLY_ARRAY: {
        uint64_t total = 1 + (uint64_t)snprintf(n, sizeof n, "%zu", r->elements) + 2;
        for (size_t i = 0; i < r->elements; i++)
            total += resp_bytes(r->element[i]);
        return total;
    }
    case REDIS_REPLY_INTEGER:
        return 1 + (uint64_t)snprintf(n, sizeof n, "%lld", r->integer) + 2;
    case REDIS_REPLY_NIL:
        return 5; /* $-1\r\n */
    default: /* status, error */
        return 1 + r->len + 2;
    }
}

static int reply_ok(redisContext *c, redisReply **r)
{
    *r = NULL;
    if (redisGetReply(c, (void **)r) != REDIS_OK || !*r)
        return -1;
    atomic_fetch_add(&st_facts_bytes, resp_bytes(*r));
    return 0;
}

/* Looks up the claim's duplicate fingerprints in the member's hash (one
 * HMGET, whatever the member's history) and turns each hit held by another
 * claim into the earlier line it stands for. Returns 0, or -1 when Redis
 * failed. */
static int lookup_fingerprints(struct worker *w, const struct entry *e, struct facts *f)
{
    struct adj_fingerprint fps[MAX_HITS];
    int line_of[MAX_HITS], n = 0;
    int n_lines = f->claim.type == CLAIM_PHARMACY ? 1 : f->claim.n_lines;
    for (int i = 0; i < n_lines && n + ADJ_FP_PER_LINE <= MAX_HITS; i++) {
        int k = adj_line_fingerprints_to_look_up(&f->claim, i, fps + n);
        for (int j = 0; j < k; j++)
            line_of[n + j] = i;
        n += k;
    }
    f->n_prior = 0;
    if (n == 0)
        return 0;
    char key[KEY_LEN];
    snprintf(key, sizeof key, KEYF_FP, w->pool->s.key_prefix, e->member_id);
    const char *argv[2 + MAX_HITS];
    argv[0] = "HMGET";
    argv[1] = key;
    for (int i = 0; i < n; i++)
        argv[2 + i] = fps[i].text;
    if (redisAppendCommandArgv(w->c, 2 + n, argv, NULL) != REDIS_OK)
        return -1;
    redisReply *r;
    if (reply_ok(w->c, &r) != 0)
        return -1;
    int rc = r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)n ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        const redisReply *v = r->element[i];
        if (v->type != REDIS_REPLY_STRING || strcmp(v->str, e->claim_id) == 0)
            continue; /* no hit, or this claim's own earlier decision */
        adj_prior_line_for_hit(&f->claim, line_of[i], fps[i].kind, v->str, &f->prior[f->n_prior++]);
    }
    freeReplyObject(r);
    return rc;
}

/* One pipelined round trip: take the claim (status processing), and read
 * member, subscriber, group, plan, accumulators and family version; then one
 * more for the claim's duplicate fingerprints. */
static enum load_result load_facts(struct worker *w, const struct entry *e, struct facts *f,
                                   struct intake_field_errors *errs, date_t today)
{
    redisContext *c = w->c;
    const char *prefix = w->pool->s.key_prefix;
    char k_claim[KEY_LEN], k_proc[KEY_LEN], idx_prefix[KEY_LEN], now[32];
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, prefix, e->claim_id);
    snprintf(k_proc, sizeof k_proc, KEYF_IDX_STATUS, prefix, "processing");
    snprintf(idx_prefix, sizeof idx_prefix, KEYF_IDX_STATUS, prefix, "");
    rfc3339(now);
    const char *sub = e->subscriber_id[0] ? e->subscriber_id : e->member_id;
    const char *argv[] = {"EVALSHA", script_claim_start.sha, "2", k_claim, k_proc, now, idx_prefix};
    redisAppendCommandArgv(c, 7, argv, NULL);
    redisAppendCommand(c, "GET " KEYF_MEMBER, prefix, e->member_id);
    redisAppendCommand(c, "GET " KEYF_MEMBER, prefix, sub);
    redisAppendCommand(c, "GET " KEYF_GROUP, prefix, e->group_id);
    redisAppendCommand(c, "GET " KEYF_PLAN, prefix, e->plan_id);
    for (int i = 0; i < e->n_years; i++)
        redisAppendCommand(c, "HGETALL " KEYF_ACC, prefix, sub, e->years[i]);
    redisAppendCommand(c, "GET " KEYF_FAMVER, prefix, sub);
    int n_replies = 6 + e->n_years;
    redisReply *r[6 + MAX_YEARS];
    int got = 0;
    enum load_result result = LOAD_OK;
    for (; got < n_replies; got++)
        if (reply_ok(c, &r[got]) != 0) {
            result = LOAD_ERROR;
            break;
        }
    if (result == LOAD_ERROR)
        goto out;
    redisReply *claim = r[0];
    if (claim->type == REDIS_REPLY_ERROR && strncmp(claim->str, "NOSCRIPT", 8) == 0) {
        redisReply *loaded = redisCommand(c, "SCRIPT LOAD %s", script_claim_start.body);
        if (loaded)
            freeReplyObject(loaded);
        result = LOAD_RETRY_REFS;
        goto out;
    }
    if (claim->type != REDIS_REPLY_ARRAY) {
        log_error("worker: claim_start failed claim_id=%s", e->claim_id);
        result = LOAD_ERROR;
        goto out;
    }
    if (claim->elements == 0) {
        result = LOAD_GONE;
        goto out;
    }
    const char *status = field_of(claim, "status");
    snprintf(f->status, sizeof f->status, "%s", status ? status : "");
    const char *eob_version = field_of(claim, "eob_version");
    f->eob_version = eob_version ? atoi(eob_version) : 0;
    if (strcmp(f->status, "approved") == 0 || strcmp(f->status, "denied") == 0) {
        result = LOAD_FINAL;
        goto out;
    }
    const char *submitted = field_of(claim, "submitted"), *rec = field_of(claim, "received"),
               *tgt = field_of(claim, "target");
    struct json_object *so = submitted ? json_tokener_parse(submitted) : NULL;
    struct intake_claim_options opt = {.may_set_received_date = true, .today = today};
    intake_field_errors_init(errs);
    bool claim_ok = so && intake_parse_claim(so, &opt, &f->claim, errs) && rec &&
                    date_parse(rec, &f->received) && tgt && date_parse(tgt, &f->target);
    if (so)
        json_object_put(so);
    if (!claim_ok) {
        log_error("worker: stored claim does not parse claim_id=%s", e->claim_id);
        result = LOAD_ERROR;
        goto out;
    }
    if (r[1]->type == REDIS_REPLY_STRING) {
        f->have_patient = parse_member_json(r[1]->str, e->member_id, &f->patient, errs);
        if (!f->have_patient) {
            log_error("worker: stored member does not parse claim_id=%s", e->claim_id);
            result = LOAD_ERROR;
            goto out;
        }
        snprintf(f->group_seen, sizeof f->group_seen, "%s", f->patient.group_id);
    }
    if (r[2]->type == REDIS_REPLY_STRING)
        f->have_subscriber = parse_member_json(r[2]->str, sub, &f->subscriber, errs);
    if (r[3]->type == REDIS_REPLY_STRING) {
        struct json_object *o = json_tokener_parse(r[3]->str);
        intake_field_errors_init(errs);
        f->have_group = o && intake_parse_group(o, e->group_id, &f->group, errs);
        if (o)
            json_object_put(o);
        if (f->have_group)
            snprintf(f->plan_seen, sizeof f->plan_seen, "%s", f->group.plan_id);
    }
    if (r[4]->type == REDIS_REPLY_STRING) {
        struct json_object *o = json_tokener_parse(r[4]->str);
        intake_field_errors_init(errs);
        f->have_plan = o && intake_parse_plan(o, e->plan_id, &f->plan, errs) == INTAKE_OK;
        if (o)
            json_object_put(o);
    }
    f->n_acc = 0;
    for (int i = 0; i < e->n_years; i++)
        parse_acc(r[5 + i], e->years[i], e->member_id, &f->acc[f->n_acc++]);
    redisReply *ver = r[5 + e->n_years];
    snprintf(f->famver, sizeof f->famver, "%s", ver->type == REDIS_REPLY_STRING ? ver->str : "0");
    /* The hints in the entry name the group and plan at receipt; if the
     * member's record now says otherwise, load again with the right ones. */
    if (f->have_patient && (strcmp(f->patient.group_id, e->group_id) != 0 ||
                            (f->have_group && strcmp(f->group.plan_id, e->plan_id) != 0)))
        result = LOAD_RETRY_REFS;
    else if (lookup_fingerprints(w, e, f) != 0)
        result = LOAD_ERROR;
out:
    for (int i = 0; i < got; i++)
        freeReplyObject(r[i]);
    return result;
}

/* ---- deciding ---- */

/* A claim for a member id with no record: the patient is not identified as
 * our member, as when the name does not match (RULES.md § 1, CO-140). */
static void deny_unknown_member(const struct claim *claim, struct adj_decision *d)
{
    memset(d, 0, sizeof *d);
    d->outcome = ADJ_DENIED;
    d->payee = adj_payee_for(claim);
    int n = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    for (int i = 0; i < n; i++) {
        struct adj_line *l = &d->lines[i];
        l->service_date = claim->type == CLAIM_PHARMACY ? claim->fill_date
                                                        : claim->lines[i].service_date;
        l->charge = claim->type == CLAIM_PHARMACY ? claim->charge : claim->lines[i].charge;
        l->denied = true;
        l->adjustments[0] = (struct adj_adjustment){ADJ_GROUP_CO, "140", l->charge};
        l->n_adjustments = 1;
        d->total_charge += l->charge;
    }
    d->n_lines = n;
    d->codes[0] = (struct adj_adjustment){ADJ_GROUP_CO, "140", d->total_charge};
    d->n_codes = 1;
}

/* The EOB record stored with a finalized claim (eob/eob.h): built from the
 * decision and the very facts it was made from. A claim for an unknown
 * member has no one to address an EOB to beyond the claim itself: it gets a
 * short record with the decision. Returns NULL when the record cannot be
 * built (amounts that do not add up are a bug: the claim is not committed). */
static struct json_object *eob_record(const struct entry *e, const struct facts *f,
                                      const struct adj_decision *d, date_t today)
{
    if (!f->have_patient || !f->have_group || !f->have_plan) {
        struct json_object *o = json_object_new_object();
        char date[DATE_STRLEN];
        json_object_object_add(o, "claim_id", json_object_new_string(e->claim_id));
        json_object_object_add(o, "version", json_object_new_int(f->eob_version + 1));
        json_object_object_add(o, "statement_date", json_object_new_string(date_format(today, date)));
        json_object_object_add(o, "outcome", json_object_new_string(adj_outcome_name(d->outcome)));
        json_object_object_add(o, "decision", decision_to_json(d));
        return o;
    }
    struct eob_year_standing standing[ADJ_MAX_PLAN_YEARS];
    int n = eob_standing_after(&f->plan, &f->claim, f->acc, f->n_acc, d, standing,
                               ADJ_MAX_PLAN_YEARS);
    if (n < 0)
        return NULL;
    struct eob_inputs in = {
        .claim_id = e->claim_id,
        .version = f->eob_version + 1,
        .statement_date = today,
        .received_date = f->received,
        .claim = &f->claim,
        .patient = &f->patient,
        .subscriber = f->have_subscriber ? &f->subscriber : &f->patient,
        .group = &f->group,
        .plan = &f->plan,
        .decision = d,
        .standing = standing,
        .n_standing = n,
    };
    struct json_object *record = NULL;
    if (eob_record_build(&in, &record) != EOB_OK)
        return NULL;
    return record;
}

/* Appends "field count, field, increment, ..." for one year's deltas. */
struct acc_args {
    char keys[MAX_YEARS][KEY_LEN];
    int n_keys;
    char text[MAX_YEARS * 9][ID_LEN + 32];
    int n_text;
};

static void add_acc_args(struct acc_args *a, const char *prefix, const char *sub,
                         const char *member_id, const struct adj_decision *d)
{
    static const char *const tiers[2] = {"in", "out"};
    for (int i = 0; i < d->n_deltas && a->n_keys < MAX_YEARS; i++) {
        const struct adj_accumulator_delta *delta = &d->deltas[i];
        snprintf(a->keys[a->n_keys++], KEY_LEN, KEYF_ACC, prefix, sub, delta->year);
        const char *t = tiers[delta->network == NETWORK_OUT];
        snprintf(a->text[a->n_text++], sizeof a->text[0], "4");
        snprintf(a->text[a->n_text++], sizeof a->text[0], "f:%s:ded", t);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "%lld", (long long)delta->deductible);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "f:%s:oop", t);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "%lld", (long long)delta->oop);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "m:%s:%s:ded", member_id, t);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "%lld", (long long)delta->deductible);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "m:%s:%s:oop", member_id, t);
        snprintf(a->text[a->n_text++], sizeof a->text[0], "%lld", (long long)delta->oop);
    }
}

/* The duplicate fingerprints a decision changes (RULES.md § 5): every line
 * not denied holds its fingerprints (a pended claim's lines too: the first
 * claim keeps its benefit), and a line this decision denies gives up its own. */
struct fp_changes {
    char store[MAX_HITS][ADJ_FP_LEN];
    int n_store;
    char drop[MAX_HITS][ADJ_FP_LEN];
    int n_drop;
};

static bool fp_listed(char (*list)[ADJ_FP_LEN], int n, const char *fp)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], fp) == 0)
            return true;
    return false;
}

static void fingerprint_changes(const struct claim *claim, const struct adj_decision *d,
                                struct fp_changes *out)
{
    out->n_store = out->n_drop = 0;
    int n_lines = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    struct adj_fingerprint fps[ADJ_FP_PER_LINE];
    for (int pass = 0; pass < 2; pass++) /* stores first: a line kept wins over its denied twin */
        for (int i = 0; i < n_lines; i++) {
            bool denied = d->outcome == ADJ_DENIED || (i < d->n_lines && d->lines[i].denied);
            if (denied != (pass == 1))
                continue;
            int k = adj_line_fingerprints_to_store(claim, i, fps);
            for (int j = 0; j < k; j++) {
                if (fp_listed(out->store, out->n_store, fps[j].text) ||
                    fp_listed(out->drop, out->n_drop, fps[j].text))
                    continue;
                if (pass == 0)
                    snprintf(out->store[out->n_store++], ADJ_FP_LEN, "%s", fps[j].text);
                else
                    snprintf(out->drop[out->n_drop++], ADJ_FP_LEN, "%s", fps[j].text);
            }
        }
}

enum commit_result { COMMIT_OK, COMMIT_FINAL, COMMIT_STALE, COMMIT_ERROR };

static enum commit_result commit(struct worker *w, const struct entry *e, const struct facts *f,
                                 const struct adj_decision *d, date_t today)
{
    const char *prefix = w->pool->s.key_prefix;
    const char *sub = e->subscriber_id[0] ? e->subscriber_id : e->member_id;
    const char *status = adj_outcome_name(d->outcome);
    bool final = d->outcome != ADJ_PENDED;
    char now[32], deadline[16] = "0";
    rfc3339(now);
    struct json_object *decision = decision_to_json(d);
    struct json_object *pending = final ? NULL : pending_to_json(&d->pend);
    struct json_object *hist = json_object_new_object();
    json_object_object_add(hist, "at", json_object_new_string(now));
    json_object_object_add(hist, "status", json_object_new_string(status));
    struct json_object *eob = final ? eob_record(e, f, d, today) : NULL;
    if (final && !eob) {
        log_error("worker: the EOB does not add up; claim left for redelivery claim_id=%s",
                  e->claim_id);
        json_object_put(decision);
        json_object_put(pending);
        json_object_put(hist);
        return COMMIT_ERROR;
    }
    struct fp_changes *fpc = malloc(sizeof *fpc);
    if (fpc)
        fingerprint_changes(&f->claim, d, fpc);
    struct json_object *audit =
        audit_record_new(now, "", "worker", final ? "claim.finalize" : "claim.pend", "", w->consumer);
    if (!final)
        snprintf(deadline, sizeof deadline, "%d", (int)d->pend.deadline.days);

    char k_claim[KEY_LEN], k_ver[KEY_LEN], k_sla[KEY_LEN], k_pended[KEY_LEN],
        k_proc[KEY_LEN], k_new[KEY_LEN], k_stats[KEY_LEN], k_audit[KEY_LEN], k_caudit[KEY_LEN],
        k_events[KEY_LEN], k_fp[KEY_LEN];
    snprintf(k_claim, sizeof k_claim, KEYF_CLAIM, prefix, e->claim_id);
    snprintf(k_ver, sizeof k_ver, KEYF_FAMVER, prefix, sub);
    snprintf(k_sla, sizeof k_sla, KEYF_SLA, prefix);
    snprintf(k_pended, sizeof k_pended, KEYF_PENDED, prefix);
    snprintf(k_proc, sizeof k_proc, KEYF_IDX_STATUS, prefix, "processing");
    snprintf(k_new, sizeof k_new, KEYF_IDX_STATUS, prefix, status);
    snprintf(k_stats, sizeof k_stats, KEYF_STATS, prefix);
    snprintf(k_audit, sizeof k_audit, KEYF_AUDIT, prefix);
    snprintf(k_caudit, sizeof k_caudit, KEYF_CLAIM_AUDIT, prefix, e->claim_id);
    snprintf(k_events, sizeof k_events, KEYF_EVENTS, prefix);
    snprintf(k_fp, sizeof k_fp, KEYF_FP, prefix, e->member_id);
    static struct acc_args acc_zero;
    struct acc_args *acc = malloc(sizeof *acc);
    if (!acc || !fpc) {
        free(acc);
        free(fpc);
        json_object_put(decision);
        json_object_put(pending);
        json_object_put(hist);
        json_object_put(eob);
        json_object_put(audit);
        return COMMIT_ERROR;
    }
    *acc = acc_zero;
    if (d->outcome == ADJ_APPROVED)
        add_acc_args(acc, prefix, sub, e->member_id, d);
    const char *keys[12 + MAX_YEARS] = {k_claim, k_ver,   w->k_stream, k_sla,    k_pended, k_proc,
                                        k_new,   k_stats, k_audit,     k_caudit, k_events, k_fp};
    for (int i = 0; i < acc->n_keys; i++)
        keys[12 + i] = acc->keys[i];
    char n_acc[16], n_store[16], n_drop[16];
    snprintf(n_acc, sizeof n_acc, "%d", acc->n_keys);
    snprintf(n_store, sizeof n_store, "%d", fpc->n_store);
    snprintf(n_drop, sizeof n_drop, "%d", fpc->n_drop);
    const char *args[16 + MAX_YEARS * 9 + 2 * MAX_HITS];
    int na = 0;
    args[na++] = f->famver;
    args[na++] = e->id;
    args[na++] = WORK_GROUP;
    args[na++] = status;
    args[na++] = json_object_to_json_string_ext(decision, JSON_C_TO_STRING_PLAIN);
    args[na++] = pending ? json_object_to_json_string_ext(pending, JSON_C_TO_STRING_PLAIN) : "";
    args[na++] = json_object_to_json_string_ext(hist, JSON_C_TO_STRING_PLAIN);
    args[na++] = final ? now : "";
    args[na++] = date_cmp(today, f->target) <= 0 ? "1" : "0";
    args[na++] = eob ? json_object_to_json_string_ext(eob, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE)
                     : "";
    args[na++] = n_store;
    args[na++] = deadline;
    args[na++] = json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN);
    args[na++] = e->claim_id;
    args[na++] = n_acc;
    for (int i = 0; i < acc->n_text; i++)
        args[na++] = acc->text[i];
    for (int i = 0; i < fpc->n_store; i++)
        args[na++] = fpc->store[i];
    args[na++] = n_drop;
    for (int i = 0; i < fpc->n_drop; i++)
        args[na++] = fpc->drop[i];
    redisReply *r = script_eval_blocking(w->c, &script_commit, 12 + acc->n_keys, keys, na, args,
                                         NULL);
    enum commit_result result = COMMIT_ERROR;
    if (r && r->type == REDIS_REPLY_STATUS)
        result = strcmp(r->str, "ok") == 0 ? COMMIT_OK : COMMIT_ERROR;
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
        if (strcmp(r->str, "ok") == 0)
            result = COMMIT_OK;
        else if (strcmp(r->str, "final") == 0)
            result = COMMIT_FINAL;
        else if (strcmp(r->str, "stale") == 0)
            result = COMMIT_STALE;
    } else if (r && r->type == REDIS_REPLY_ERROR) {
        log_error("worker: commit failed claim_id=%s: %s", e->claim_id, r->str);
    }
    if (r)
        freeReplyObject(r);
    free(acc);
    free(fpc);
    json_object_put(decision);
    json_object_put(pending);
    json_object_put(hist);
    json_object_put(eob);
    json_object_put(audit);
    return result;
}

static void ack_and_delete(struct worker *w, const char *id)
{
    redisReply *r = redisCommand(w->c, "XACK %s %s %s", w->k_stream, WORK_GROUP, id);
    if (r)
        freeReplyObject(r);
    r = redisCommand(w->c, "XDEL %s %s", w->k_stream, id);
    if (r)
        freeReplyObject(r);
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

/* Takes one claim through load, decide and commit. Returns false when the
 * connection broke (the caller reconnects). */
static bool process(struct worker *w, struct entry *e)
{
    uint64_t started = now_ns();
    struct facts *f = malloc(sizeof *f);
    struct adj_decision *d = malloc(sizeof *d);
    struct intake_field_errors *errs = malloc(sizeof *errs);
    bool connected = true;
    if (!f || !d || !errs) {
        atomic_fetch_add(&st_failures, 1);
        goto out;
    }
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        memset(f, 0, offsetof(struct facts, prior)); /* the big lines array needs no clearing */
        date_t today = date_today_utc();
        enum load_result lr = load_facts(w, e, f, errs, today);
        if (lr == LOAD_RETRY_REFS && attempt < MAX_ATTEMPTS - 1) {
            /* Follow the member's current group and its plan. */
            if (f->group_seen[0])
                snprintf(e->group_id, sizeof e->group_id, "%s", f->group_seen);
            if (f->plan_seen[0] && strcmp(f->group_seen, e->group_id) == 0)
                snprintf(e->plan_id, sizeof e->plan_id, "%s", f->plan_seen);
            plan_free(&f->plan);
            continue;
        }
        if (lr == LOAD_GONE || lr == LOAD_FINAL) {
            ack_and_delete(w, e->id);
            break;
        }
        if (lr == LOAD_ERROR || lr == LOAD_RETRY_REFS) {
            connected = !w->c->err;
            atomic_fetch_add(&st_failures, 1);
            plan_free(&f->plan);
            break; /* left pending: redelivered, then dead-lettered */
        }
        int rc;
        if (!f->have_patient) {
            deny_unknown_member(&f->claim, d);
            rc = ADJ_OK;
        } else {
            struct adj_facts facts = {
                .claim_id = e->claim_id,
                .claim = &f->claim,
                .patient = &f->patient,
                .subscriber = f->have_subscriber ? &f->subscriber : &f->patient,
                .group = f->have_group ? &f->group : NULL,
                .plan = f->have_plan ? &f->plan : NULL,
                .accumulators = f->acc,
                .n_accumulators = f->n_acc,
                .prior_lines = f->prior,
                .n_prior_lines = f->n_prior,
                .received_date = f->received,
                .today = today,
            };
            rc = e->expired ? adj_decide_expired_pend(&facts, d) : adj_adjudicate(&facts, d);
        }
        if (rc != ADJ_OK) {
            log_error("worker: the rules refused the facts claim_id=%s", e->claim_id);
            atomic_fetch_add(&st_failures, 1);
            plan_free(&f->plan);
            break;
        }
        fault_point("kill_after_load");
        enum commit_result cr = commit(w, e, f, d, today);
        plan_free(&f->plan);
        if (cr == COMMIT_STALE) {
            atomic_fetch_add(&st_stale, 1);
            continue; /* another claim of the family committed first */
        }
        if (cr == COMMIT_ERROR) {
            connected = !w->c->err;
            atomic_fetch_add(&st_failures, 1);
            break;
        }
        if (cr == COMMIT_OK) {
            atomic_fetch_add(&st_committed[d->outcome == ADJ_APPROVED ? 0
                                           : d->outcome == ADJ_DENIED ? 1
                                                                      : 2],
                             1);
            record_latency(now_ns() - started);
            log_info("claim %s claim_id=%s", adj_outcome_name(d->outcome), e->claim_id);
        }
        break;
    }
out:
    free(f);
    free(d);
    free(errs);
    return connected;
}

/* ---- the loop ---- */

static bool ensure_group(struct worker *w)
{
    redisReply *r = redisCommand(w->c, "XGROUP CREATE %s %s 0 MKSTREAM", w->k_stream, WORK_GROUP);
    bool ok = r && (r->type == REDIS_REPLY_STATUS ||
                    (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) == 0));
    if (r)
        freeReplyObject(r);
    return ok;
}

static bool handle_entries(struct worker *w, const redisReply *list)
{
    for (size_t i = 0; list && list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        const redisReply *item = list->element[i];
        if (item->type != REDIS_REPLY_ARRAY || item->elements != 2 ||
            item->element[1]->type != REDIS_REPLY_ARRAY)
            continue; /* an entry deleted while pending */
        struct entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.id, sizeof e.id, "%s", item->element[0]->str);
        parse_entry(item->element[1], &e);
        if (!e.claim_id[0]) {
            ack_and_delete(w, e.id);
            continue;
        }
        if (!process(w, &e))
            return false;
        if (atomic_load(&w->pool->stop))
            break; /* the rest stay pending and are taken over later */
    }
    return true;
}

/* Claims held too long by a silent worker: dead-letter the ones delivered
 * too often, take over the rest. */
static bool recover_stalled(struct worker *w)
{
    const struct worker_settings *s = &w->pool->s;
    redisReply *p = redisCommand(w->c, "XPENDING %s %s IDLE %d - + %d", w->k_stream, WORK_GROUP,
                                 s->claim_idle_timeout_ms, BATCH);
    if (!p)
        return false;
    for (size_t i = 0; p->type == REDIS_REPLY_ARRAY && i < p->elements; i++) {
        const redisReply *it = p->element[i];
        if (it->type != REDIS_REPLY_ARRAY || it->elements < 4)
            continue;
        long long deliveries = it->element[3]->integer;
        if (deliveries < s->max_deliveries)
            continue;
        const char *id = it->element[0]->str;
        redisReply *entry = redisCommand(w->c, "XRANGE %s %s %s", w->k_stream, id, id);
        char claim_id[CLAIM_ID_LEN] = "";
        if (entry && entry->type == REDIS_REPLY_ARRAY && entry->elements == 1) {
            struct entry e;
            memset(&e, 0, sizeof e);
            parse_entry(entry->element[0]->element[1], &e);
            snprintf(claim_id, sizeof claim_id, "%s", e.claim_id);
        }
        if (entry)
            freeReplyObject(entry);
        char k_dead[KEY_LEN], k_idx[KEY_LEN], at[32], n[24];
        snprintf(k_dead, sizeof k_dead, KEYF_DEAD, s->key_prefix);
        snprintf(k_idx, sizeof k_idx, KEYF_DEADIDX, s->key_prefix);
        rfc3339(at);
        snprintf(n, sizeof n, "%lld", deliveries);
        const char *keys[] = {w->k_stream, k_dead, k_idx};
        const char *args[] = {id, WORK_GROUP, claim_id, "delivered too many times without a commit", n, at};
        redisReply *r = script_eval_blocking(w->c, &script_dead_letter, 3, keys, 6, args, NULL);
        if (r && r->type == REDIS_REPLY_STRING && r->str[0]) {
            atomic_fetch_add(&st_dead, 1);
            log_error("claim dead-lettered after %lld deliveries claim_id=%s", deliveries, claim_id);
        }
        if (r)
            freeReplyObject(r);
    }
    freeReplyObject(p);
    redisReply *r = redisCommand(w->c, "XAUTOCLAIM %s %s %s %d 0-0 COUNT %d", w->k_stream,
                                 WORK_GROUP, w->consumer, s->claim_idle_timeout_ms, BATCH);
    if (!r)
        return false;
    bool ok = true;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
        if (r->element[1]->elements > 0)
            log_warn("worker took over %zu stalled claims", r->element[1]->elements);
        ok = handle_entries(w, r->element[1]);
    }
    freeReplyObject(r);
    return ok;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct worker_pool *pool = w->pool;
    const struct worker_settings *s = &pool->s;
    uint64_t last_recovery = 0;
    int backoff_ms = 100;
    while (!atomic_load(&pool->stop)) {
        if (!w->c) {
            w->c = redis_connect_blocking(&s->redis, s->redis_timeout_ms);
            if (!w->c || !ensure_group(w)) {
                if (w->c) {
                    redisFree(w->c);
                    w->c = NULL;
                }
                usleep((useconds_t)backoff_ms * 1000);
                backoff_ms = backoff_ms * 2 > 2000 ? 2000 : backoff_ms * 2;
                continue;
            }
            /* Reads block up to 1 s; allow for that on top of the command timeout. */
            struct timeval tv = {(s->redis_timeout_ms + 1000) / 1000,
                                 ((s->redis_timeout_ms + 1000) % 1000) * 1000};
            redisSetTimeout(w->c, tv);
            backoff_ms = 100;
        }
        bool ok = true;
        uint64_t now = now_ns();
        if (now - last_recovery > (uint64_t)s->claim_idle_timeout_ms * 1000000ull / 2) {
            last_recovery = now;
            ok = recover_stalled(w);
        }
        if (ok) {
            redisReply *r = redisCommand(w->c, "XREADGROUP GROUP %s %s COUNT %d BLOCK 1000 STREAMS %s >",
                                         WORK_GROUP, w->consumer, BATCH, w->k_stream);
            if (!r) {
                ok = false;
            } else {
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
                    ok = handle_entries(w, r->element[0]->element[1]);
                else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0)
                    ok = ensure_group(w);
                freeReplyObject(r);
            }
        }
        if (!ok) {
            log_warn("worker %d: Redis connection lost; reconnecting", w->index);
            redisFree(w->c);
            w->c = NULL;
        }
    }
    if (w->c)
        redisFree(w->c);
    return NULL;
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
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    for (int i = 0; i < pool->n; i++) {
        ws[i].pool = pool;
        ws[i].index = i;
        snprintf(ws[i].consumer, sizeof ws[i].consumer, "%s-%d-%d", host, (int)getpid(), i);
        snprintf(ws[i].k_stream, sizeof ws[i].k_stream, KEYF_STREAM, settings->key_prefix);
        if (pthread_create(&pool->threads[i], NULL, worker_main, &ws[i]) != 0) {
            log_error("cannot start worker thread %d", i);
            atomic_store(&pool->stop, true);
            for (int j = 0; j < i; j++)
                pthread_join(pool->threads[j], NULL);
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
    free(pool->workers);
    free(pool->threads);
    free(pool);
    log_info("adjudication workers stopped");
}
