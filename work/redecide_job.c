#include "redecide_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adjudicate/decision_json.h"
#include "adjudicate/redecide.h"
#include "eob/eob.h"
#include "codec/parse_claim.h"
#include "codec/parse_enrollment.h"
#include "date.h"
#include "log.h"
#include "money.h"
#include "queue/audit.h"
#include "queue/corrections.h"

#define JOB_ATTEMPTS 20 /* stale reads before the job is left for redelivery */

char *worker_redecide_eob_text(const char *claim_id, int version, date_t today, date_t received,
                               const struct claim *claim, const struct member *patient,
                               const struct member *subscriber, const struct group *group,
                               const struct plan *plan, const struct adj_year_accumulators *before,
                               int n_before, const struct adj_decision *d)
{
    if (!patient || !group || !plan) {
        struct json_writer w;
        char date[DATE_STRLEN];
        json_writer_init(&w, false);
        json_writer_open(&w, NULL, '{');
        json_writer_string(&w, "claim_id", claim_id);
        json_writer_int(&w, "version", version);
        json_writer_string(&w, "statement_date", date_format(today, date));
        json_writer_string(&w, "outcome", adj_outcome_name(d->outcome));
        adj_decision_write(&w, "decision", d);
        json_writer_close(&w, '}');
        return strbuf_take(&w.sb);
    }
    struct eob_year_standing standing[ADJ_MAX_PLAN_YEARS];
    int n = eob_standing_after(plan, claim, before, n_before, d, standing, ADJ_MAX_PLAN_YEARS);
    if (n < 0)
        return NULL;
    struct eob_inputs in = {
        .claim_id = claim_id,
        .version = version,
        .statement_date = today,
        .received_date = received,
        .claim = claim,
        .patient = patient,
        .subscriber = subscriber ? subscriber : patient,
        .group = group,
        .plan = plan,
        .decision = d,
        .standing = standing,
        .n_standing = n,
    };
    char *text = NULL;
    if (eob_record_text(&in, &text) != EOB_OK)
        return NULL;
    return text;
}

/* ---- the family's records, parsed ---- */

/* Every record the load returned, parsed once; *_ok false where a record
 * does not parse (a claim that needs it is not re-decided: the job fails). */
struct parsed_family {
    struct member *members;
    bool *member_ok;
    struct group *groups;
    bool *group_ok;
    struct plan *plans;
    bool *plan_ok;
    const struct redecide_facts *f;
};

static void parsed_family_free(struct parsed_family *p)
{
    for (size_t i = 0; p->plans && p->plan_ok && i < p->f->n_plans; i++)
        if (p->plan_ok[i])
            plan_free(&p->plans[i]);
    free(p->members);
    free(p->member_ok);
    free(p->groups);
    free(p->group_ok);
    free(p->plans);
    free(p->plan_ok);
}

/* Parses every record; false when out of memory. */
static bool parse_family(const struct redecide_facts *f, struct parsed_family *p)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->members = calloc(f->n_members + 1, sizeof *p->members);
    p->member_ok = calloc(f->n_members + 1, sizeof *p->member_ok);
    p->groups = calloc(f->n_groups + 1, sizeof *p->groups);
    p->group_ok = calloc(f->n_groups + 1, sizeof *p->group_ok);
    p->plans = calloc(f->n_plans + 1, sizeof *p->plans);
    p->plan_ok = calloc(f->n_plans + 1, sizeof *p->plan_ok);
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!p->members || !p->member_ok || !p->groups || !p->group_ok || !p->plans || !p->plan_ok ||
        !errs) {
        free(errs);
        return false;
    }
    /* No cache: each record is parsed here once; the plans own their tables. */
    for (size_t i = 0; i < f->n_members; i++)
        p->member_ok[i] =
            codec_cached_member(NULL, f->members[i].json, f->members[i].id, &p->members[i], errs);
    for (size_t i = 0; i < f->n_groups; i++)
        p->group_ok[i] =
            codec_cached_group(NULL, f->groups[i].json, f->groups[i].id, &p->groups[i], errs);
    for (size_t i = 0; i < f->n_plans; i++) {
        bool owned;
        p->plan_ok[i] = codec_cached_plan(NULL, f->plans[i].json, f->plans[i].id, &p->plans[i],
                                          &owned, errs) == CODEC_OK;
    }
    free(errs);
    return true;
}

/* The index of the record id among n records that parsed (ok), or -1. */
static long parsed_index(const struct redecide_record *records, const bool *ok, size_t n,
                         const char *id)
{
    for (size_t i = 0; id && id[0] && i < n; i++)
        if (ok[i] && strcmp(records[i].id, id) == 0)
            return (long)i;
    return -1;
}

static const struct member *member_of(const struct parsed_family *p, const char *id)
{
    long i = parsed_index(p->f->members, p->member_ok, p->f->n_members, id);
    return i < 0 ? NULL : &p->members[i];
}

static const struct group *group_of(const struct parsed_family *p, const char *id)
{
    long i = parsed_index(p->f->groups, p->group_ok, p->f->n_groups, id);
    return i < 0 ? NULL : &p->groups[i];
}

static const struct plan *plan_of(const struct parsed_family *p, const char *id)
{
    long i = parsed_index(p->f->plans, p->plan_ok, p->f->n_plans, id);
    return i < 0 ? NULL : &p->plans[i];
}

/* ---- one attempt ---- */

/* What one attempt holds: the standing claims in scope and their results. */
struct attempt {
    const struct redecide_facts *f;
    struct parsed_family fam;
    struct claim *claims;          /* per row */
    bool *parsed;                  /* per row: its submission parsed */
    struct adj_redecide_claim *in; /* the standing claims in scope, receipt order */
    struct adj_review *reviews;    /* in[i]'s stored review, when in[i].review is set */
    int *row_of;                   /* in[i] is rows[row_of[i]] */
    int n_in;
    struct adj_redecide_result *out;
    struct adj_acc_entry *totals;
    int n_totals;
    struct adj_prior_line *prior;
    int n_lines; /* the lines of the claims in scope */
    int years[ADJ_MAX_PLAN_YEARS * 8];
    int n_years;
};

static void attempt_free(struct attempt *a)
{
    parsed_family_free(&a->fam);
    free(a->claims);
    free(a->parsed);
    free(a->in);
    free(a->reviews);
    free(a->row_of);
    free(a->out);
    free(a->totals);
    free(a->prior);
}

/* Parses the rows' submissions and picks the standing claims of the job's
 * years (and the years they span); false when out of memory or a standing
 * claim cannot be read. */
static bool pick_claims(struct attempt *a, const struct work_item *job, date_t today)
{
    const struct redecide_facts *f = a->f;
    size_t n = f->n_rows;
    a->claims = calloc(n + 1, sizeof *a->claims);
    a->parsed = calloc(n + 1, sizeof *a->parsed);
    a->in = calloc(n + 1, sizeof *a->in);
    a->row_of = calloc(n + 1, sizeof *a->row_of);
    const struct claim **standing = calloc(n + 1, sizeof *standing);
    int *standing_row = calloc(n + 1, sizeof *standing_row);
    bool *scope = calloc(n + 1, sizeof *scope);
    struct codec_field_errors *errs = malloc(sizeof *errs);
    bool ok =
        a->claims && a->parsed && a->in && a->row_of && standing && standing_row && scope && errs;
    int n_standing = 0;
    struct codec_claim_options opt = {.may_set_received_date = true, .today = today};
    for (size_t i = 0; ok && i < n; i++) {
        const struct redecide_row *r = &f->rows[i];
        bool final = strcmp(r->status, "approved") == 0 || strcmp(r->status, "denied") == 0;
        struct json_object *o = r->submission ? json_tokener_parse(r->submission) : NULL;
        codec_field_errors_init(errs);
        a->parsed[i] = o && codec_parse_claim(o, &opt, &a->claims[i], errs);
        if (o)
            json_object_put(o);
        if (final && !a->parsed[i]) {
            log_error("re-decision: a standing claim's submission does not parse claim_id=%s",
                      r->claim_id);
            ok = false;
        }
        if (final && ok) {
            standing[n_standing] = &a->claims[i];
            standing_row[n_standing++] = (int)i;
        }
    }
    if (ok) {
        a->n_years = adj_redecide_scope(standing, n_standing, job->years, job->n_years, scope,
                                        a->years, (int)(sizeof a->years / sizeof *a->years));
        ok = a->n_years >= 0;
    }
    for (int k = 0; ok && k < n_standing; k++) {
        if (!scope[k])
            continue;
        const struct claim *c = &a->claims[standing_row[k]];
        a->n_lines += c->type == CLAIM_PHARMACY ? 1 : c->n_lines;
        a->row_of[a->n_in] = standing_row[k];
        a->n_in++;
    }
    /* Sized for the claims in scope (a decision is about 17 KB): the
     * results, every delta each can add, and every line as a prior line. */
    if (ok) {
        a->out = calloc((size_t)a->n_in + 1, sizeof *a->out);
        a->reviews = calloc((size_t)a->n_in + 1, sizeof *a->reviews);
        a->totals = calloc((size_t)a->n_in * ADJ_MAX_DELTAS + 1, sizeof *a->totals);
        a->prior = calloc((size_t)a->n_lines + 1, sizeof *a->prior);
        ok = a->out && a->reviews && a->totals && a->prior;
    }
    free(standing);
    free(standing_row);
    free(scope);
    free(errs);
    return ok;
}

/* Reads a row's stored review into *out; false when it is there and does
 * not read (the claim is then not decided without it: the job fails). */
static bool review_of(const struct redecide_row *r, struct adj_review *out, bool *has)
{
    *has = false;
    if (!r->review)
        return true;
    struct json_object *o = json_tokener_parse(r->review);
    bool ok = o && adj_review_from_json(o, out);
    if (o)
        json_object_put(o);
    if (!ok)
        log_error("re-decision: a stored review does not read claim_id=%s", r->claim_id);
    *has = ok;
    return ok;
}

/* The adj_redecide_claim of each picked row, with its records and review. */
static bool bind_records(struct attempt *a)
{
    for (int k = 0; k < a->n_in; k++) {
        const struct redecide_row *r = &a->f->rows[a->row_of[k]];
        const struct claim *c = &a->claims[a->row_of[k]];
        const struct member *patient = member_of(&a->fam, c->member_id);
        const struct group *group = patient ? group_of(&a->fam, patient->group_id) : NULL;
        date_t received;
        bool reviewed;
        if (!date_parse(r->received, &received) || !review_of(r, &a->reviews[k], &reviewed))
            return false;
        a->in[k] = (struct adj_redecide_claim){
            .claim_id = r->claim_id,
            .member_id = c->member_id,
            .claim = c,
            .patient = patient,
            .subscriber = patient ? member_of(&a->fam, patient->subscriber_id) : NULL,
            .parent = patient ? member_of(&a->fam, patient->parent_member_id) : NULL,
            .group = group,
            .plan = group ? plan_of(&a->fam, group->plan_id) : NULL,
            .received_date = received,
            .review = reviewed ? &a->reviews[k] : NULL,
        };
    }
    return true;
}

/* ---- what the commit writes ---- */

/* An amount at key of a stored decision object (JSON number text), 0 when absent. */
static cents_t amount_at(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    cents_t c = 0;
    if (o && json_object_object_get_ex(o, key, &v) && v)
        money_parse(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), &c);
    return c;
}

/* The {"allowed", "plan_paid", "patient_responsibility"} of three amounts. */
static struct json_object *amounts(cents_t allowed, cents_t paid, cents_t patient)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "allowed", json_money(allowed));
    json_object_object_add(o, "plan_paid", json_money(paid));
    json_object_object_add(o, "patient_responsibility", json_money(patient));
    return o;
}

/*
 * The EOB record text with its `adjustment` section (docs/eob.md
 * "Adjustments"): kind, the version it follows, the previous, new and
 * difference totals, each line's plan paid before and now, and for a
 * recovery the overpayment. prev is the stored {"decision": ...} text; d the
 * new decision (NULL: a void or replacement, every amount reversed to 0).
 * Allocates; NULL when out of memory or a record does not read.
 */
static char *with_adjustment(const char *record, const char *kind, int previous_version,
                             const char *prev, const struct adj_decision *d)
{
    struct json_object *rec = json_tokener_parse(record);
    struct json_object *pv = prev ? json_tokener_parse(prev) : NULL, *pd = NULL, *lines = NULL;
    if (!rec) {
        if (pv)
            json_object_put(pv);
        return NULL;
    }
    if (pv)
        json_object_object_get_ex(pv, "decision", &pd);
    if (pd)
        json_object_object_get_ex(pd, "lines", &lines);
    cents_t pa = amount_at(pd, "allowed"), pp = amount_at(pd, "plan_paid"),
            pr = amount_at(pd, "patient_responsibility");
    cents_t na = d ? d->total_allowed : 0, np = d ? d->total_plan_paid : 0,
            nr = d ? d->total_patient_responsibility : 0;
    struct json_object *adj = json_object_new_object();
    json_object_object_add(adj, "kind", json_object_new_string(kind));
    json_object_object_add(adj, "previous_version", json_object_new_int(previous_version));
    json_object_object_add(adj, "previous", amounts(pa, pp, pr));
    json_object_object_add(adj, "new", amounts(na, np, nr));
    json_object_object_add(adj, "difference", amounts(na - pa, np - pp, nr - pr));
    struct json_object *out_lines = json_object_new_array();
    size_t n_lines =
        lines && json_object_is_type(lines, json_type_array) ? json_object_array_length(lines) : 0;
    for (size_t i = 0; i < n_lines; i++) {
        cents_t before = amount_at(json_object_array_get_idx(lines, i), "plan_paid");
        cents_t now = d && (int)i < d->n_lines ? d->lines[i].plan_paid : 0;
        struct json_object *l = json_object_new_object();
        json_object_object_add(l, "line", json_object_new_int((int)i + 1));
        json_object_object_add(l, "previous_plan_paid", json_money(before));
        json_object_object_add(l, "plan_paid", json_money(now));
        json_object_object_add(l, "difference", json_money(now - before));
        json_object_array_add(out_lines, l);
    }
    json_object_object_add(adj, "lines", out_lines);
    if (strcmp(kind, "recovery") == 0)
        json_object_object_add(adj, "overpayment", json_money(pp - np));
    json_object_object_add(rec, "adjustment", adj);
    char *text = strdup(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(rec);
    if (pv)
        json_object_put(pv);
    return text;
}

/* A voided or replaced claim's reversal EOB: its latest record as version
 * n + 1, dated today, its status, every amount reversed. */
static char *reversal_eob(const struct redecide_row *r, date_t today)
{
    struct json_object *rec = json_tokener_parse(r->eob);
    if (!rec)
        return NULL;
    char date[DATE_STRLEN];
    json_object_object_add(rec, "version", json_object_new_int(r->eob_version + 1));
    json_object_object_add(rec, "statement_date", json_object_new_string(date_format(today, date)));
    json_object_object_add(rec, "status", json_object_new_string(r->status));
    char *base = strdup(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN));
    json_object_put(rec);
    if (!base)
        return NULL;
    const char *kind = strcmp(r->status, "voided") == 0 ? "void" : "replacement";
    char *text = with_adjustment(base, kind, r->eob_version, r->decision, NULL);
    free(base);
    return text;
}

/* The text one change owns. */
struct change_buf {
    char *decision, *eob, *audit;
    char (*store)[ADJ_FP_LEN]; /* WORK_MAX_FPS each: allocated for a changed claim only */
    char (*drop)[ADJ_FP_LEN];
    int n_store, n_drop;
    char payment[ID_LEN + 48];
};

static void change_buf_free(struct change_buf *b)
{
    free(b->decision);
    free(b->eob);
    free(b->audit);
    free(b->store);
    free(b->drop);
}

/* The worker's audit record of one change (action claim.adjust or
 * claim.reversal). Allocates; NULL when out of memory. */
static char *audit_text(const char *now, const char *action, const char *consumer)
{
    struct json_object *o = queue_audit_record_new(now, "", "worker", action, "", NULL, consumer);
    char *t = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;
    if (o)
        json_object_put(o);
    return t;
}

/*
 * The change of standing claim k when its decision differs from the stored
 * one or its recovery is reversed; *changed false (and nothing allocated)
 * otherwise. Returns false when a record cannot be built.
 */
static bool adjustment_of(const struct attempt *a, int k, date_t today, const char *now,
                          const char *consumer, struct redecide_change *ch, struct change_buf *b,
                          bool *changed)
{
    const struct redecide_row *r = &a->f->rows[a->row_of[k]];
    const struct adj_redecide_claim *c = &a->in[k];
    const struct adj_decision *d = &a->out[k].decision;
    *changed = false;
    memset(b, 0, sizeof *b);
    b->decision = adj_decision_to_text(d);
    if (!b->decision)
        return false;
    size_t n = strlen(b->decision) + 16;
    char *stored = malloc(n);
    if (!stored)
        return false;
    snprintf(stored, n, "{\"decision\":%s}", b->decision);
    bool same = r->decision && strcmp(stored, r->decision) == 0;
    free(stored);
    if (same && !r->recovery_id[0]) {
        free(b->decision);
        b->decision = NULL;
        return true;
    }
    *changed = true;
    char *record = worker_redecide_eob_text(
        r->claim_id, r->eob_version + 1, today, c->received_date, c->claim, c->patient,
        c->subscriber, c->group, c->plan, a->out[k].before, a->out[k].n_before, d);
    const char *kind = r->recovery_id[0] ? "recovery" : "adjustment";
    b->eob = record ? with_adjustment(record, kind, r->eob_version, r->decision, d) : NULL;
    free(record);
    b->audit = audit_text(now, "claim.adjust", consumer);
    b->store = malloc(sizeof *b->store * WORK_MAX_FPS);
    b->drop = malloc(sizeof *b->drop * WORK_MAX_FPS);
    if (!b->eob || !b->audit || !b->store || !b->drop)
        return false;
    char fps[WORK_MAX_FPS][ADJ_FP_LEN];
    int line_of[WORK_MAX_FPS], n_fps = 0;
    int lines = c->claim->type == CLAIM_PHARMACY ? 1 : c->claim->n_lines;
    for (int i = 0; i < lines && n_fps + ADJ_FP_PER_LINE <= WORK_MAX_FPS; i++) {
        struct adj_fingerprint store[ADJ_FP_PER_LINE];
        int m = adj_line_fingerprints_to_store(c->claim, i, store);
        for (int j = 0; j < m; j++) {
            memcpy(fps[n_fps], store[j].text, ADJ_FP_LEN);
            line_of[n_fps++] = i;
        }
    }
    adj_fingerprint_changes((const char(*)[ADJ_FP_LEN])fps, line_of, n_fps, d, b->store,
                            &b->n_store, b->drop, &b->n_drop, WORK_MAX_FPS);
    bool provider = d->payee == ADJ_PAYEE_PROVIDER;
    snprintf(b->payment, sizeof b->payment, "%c|%s|%lld", provider ? 'P' : 'M',
             provider ? c->claim->provider.npi : c->member_id, (long long)d->total_plan_paid);
    *ch = (struct redecide_change){
        .claim_id = r->claim_id,
        .member_id = c->member_id,
        .status = adj_outcome_name(d->outcome),
        .decision = b->decision,
        .eob = b->eob,
        .eob_version = r->eob_version + 1,
        .audit = b->audit,
        .store = (const char(*)[WORK_FP_LEN])b->store,
        .n_store = b->n_store,
        .drop = (const char(*)[WORK_FP_LEN])b->drop,
        .n_drop = b->n_drop,
        .recovery_id = r->recovery_id,
        .payment = b->payment,
    };
    return true;
}

/* The change of a voided or replaced claim whose reversal EOB is due. */
static bool reversal_of(const struct redecide_row *r, date_t today, const char *now,
                        const char *consumer, struct redecide_change *ch, struct change_buf *b)
{
    memset(b, 0, sizeof *b);
    b->eob = r->eob ? reversal_eob(r, today) : NULL;
    b->audit = audit_text(now, "claim.reversal", consumer);
    if ((r->eob && !b->eob) || !b->audit)
        return false;
    *ch = (struct redecide_change){
        .claim_id = r->claim_id,
        .member_id = r->member_id,
        .reversal = true,
        .eob = b->eob,
        .eob_version = r->eob_version + 1,
        .audit = b->audit,
        .recovery_id = "",
        .payment = "",
    };
    return true;
}

/* The accumulator hashes of the scope's years as they must now read. */
struct year_fields {
    struct redecide_year years[ADJ_MAX_PLAN_YEARS * 8];
    const char **fields;
    long long *values;
    char (*names)[ID_LEN + 16];
};

/* Fills y from the totals: the family's fields (every member's sum) and each
 * member's own, for every year of the scope. false when out of memory. */
static bool year_fields_of(const struct attempt *a, struct year_fields *y)
{
    int cap = a->n_years * 4 + a->n_totals * 2 + 1;
    y->fields = calloc((size_t)cap, sizeof *y->fields);
    y->values = calloc((size_t)cap, sizeof *y->values);
    y->names = calloc((size_t)cap, sizeof *y->names);
    if (!y->fields || !y->values || !y->names)
        return false;
    static const char *const tiers[2] = {"in", "out"};
    int at = 0;
    for (int k = 0; k < a->n_years; k++) {
        int start = at;
        for (int t = 0; t < 2; t++) {
            long long ded = 0, oop = 0;
            for (int i = 0; i < a->n_totals; i++)
                if (a->totals[i].year == a->years[k] && (int)a->totals[i].network == t) {
                    ded += a->totals[i].deductible;
                    oop += a->totals[i].oop;
                }
            snprintf(y->names[at], sizeof y->names[0], "f:%s:ded", tiers[t]);
            y->values[at++] = ded;
            snprintf(y->names[at], sizeof y->names[0], "f:%s:oop", tiers[t]);
            y->values[at++] = oop;
        }
        for (int i = 0; i < a->n_totals; i++) {
            const struct adj_acc_entry *e = &a->totals[i];
            if (e->year != a->years[k])
                continue;
            const char *tier = tiers[e->network == NETWORK_OUT];
            snprintf(y->names[at], sizeof y->names[0], "m:%s:%s:ded", e->member_id, tier);
            y->values[at++] = e->deductible;
            snprintf(y->names[at], sizeof y->names[0], "m:%s:%s:oop", e->member_id, tier);
            y->values[at++] = e->oop;
        }
        for (int i = start; i < at; i++)
            y->fields[i] = y->names[i];
        y->years[k] =
            (struct redecide_year){a->years[k], y->fields + start, y->values + start, at - start};
    }
    return true;
}

static void year_fields_free(struct year_fields *y)
{
    free(y->fields);
    free(y->values);
    free(y->names);
}

/* Builds every change of the attempt and commits them. */
static enum work_commit_result commit_attempt(struct work_conn *wc, const struct work_item *job,
                                              struct attempt *a, date_t today, const char *consumer)
{
    size_t n = a->f->n_rows;
    struct redecide_change *changes = calloc(n + 1, sizeof *changes);
    struct change_buf *bufs = calloc(n + 1, sizeof *bufs);
    struct year_fields y = {0};
    int n_changes = 0;
    bool ok = changes && bufs && year_fields_of(a, &y);
    char now[32];
    rfc3339_now(now);
    for (int k = 0; ok && k < a->n_in; k++) {
        bool changed = false;
        ok = adjustment_of(a, k, today, now, consumer, &changes[n_changes], &bufs[n_changes],
                           &changed);
        if (changed || !ok)
            n_changes++;
    }
    for (size_t i = 0; ok && i < n; i++) {
        const struct redecide_row *r = &a->f->rows[i];
        if (strcmp(r->status, "voided") != 0 && strcmp(r->status, "replaced") != 0)
            continue;
        ok = reversal_of(r, today, now, consumer, &changes[n_changes], &bufs[n_changes]);
        n_changes++;
    }
    enum work_commit_result res = WORK_COMMIT_ERROR;
    if (ok) {
        struct redecide_commit c = {
            .job = job,
            .expected_version = a->f->version,
            .now_rfc3339 = now,
            .now_secs = (long long)clock_wall_seconds(),
            .years = y.years,
            .n_years = a->n_years,
            .changes = changes,
            .n_changes = n_changes,
        };
        res = queue_redecide_commit(wc, &c);
    } else {
        log_error("re-decision: a record could not be built (or out of memory) claim_id=%s",
                  job->claim_id);
    }
    for (int i = 0; bufs && i < n_changes; i++)
        change_buf_free(&bufs[i]);
    free(changes);
    free(bufs);
    year_fields_free(&y);
    return res;
}

/* One read, decision and commit. */
static enum work_commit_result attempt_once(struct work_conn *wc, const struct work_item *job,
                                            const char *consumer, bool *broken)
{
    struct redecide_facts f;
    int rc = queue_redecide_load(wc, job->subscriber_id, &f);
    if (rc != 0) {
        *broken = rc == -1;
        return WORK_COMMIT_ERROR;
    }
    date_t today = date_today();
    struct attempt a = {.f = &f};
    enum work_commit_result res = WORK_COMMIT_ERROR;
    struct adj_redecide_buffers buf;
    if (!parse_family(&f, &a.fam) || !pick_claims(&a, job, today) || !bind_records(&a)) {
        log_error("re-decision: the family's claims or records cannot be read claim_id=%s",
                  job->claim_id);
        goto out;
    }
    buf = (struct adj_redecide_buffers){a.totals, a.n_in * ADJ_MAX_DELTAS, a.prior, a.n_lines + 1};
    if (adj_redecide_family(a.in, a.n_in, today, &buf, a.out, &a.n_totals) != ADJ_OK) {
        log_error("re-decision: the rules refused the facts claim_id=%s", job->claim_id);
        goto out;
    }
    res = commit_attempt(wc, job, &a, today, consumer);
out:
    attempt_free(&a);
    queue_redecide_facts_free(&f);
    return res;
}

bool worker_redecide_job_run(struct work_conn *wc, const struct work_item *job,
                             const char *consumer)
{
    for (int attempt = 0; attempt < JOB_ATTEMPTS; attempt++) {
        bool broken = false;
        enum work_commit_result res = attempt_once(wc, job, consumer, &broken);
        if (broken)
            return false;
        if (res == WORK_COMMIT_OK) {
            log_debug("family re-decided claim_id=%s", job->claim_id);
            return true;
        }
        if (res != WORK_COMMIT_STALE)
            return true; /* left pending: redelivered, then dead-lettered */
    }
    log_warn("re-decision: the family kept changing; left for redelivery claim_id=%s",
             job->claim_id);
    return true;
}
