/*
 * Recoveries: the family scan and GET /v1/recoveries (intake/recoveries.h).
 *
 * A scan reads, in one script, the family's records and its approved claims
 * with their decisions (queue/recoveries.h), asks adj_find_recovery() about
 * each claim, and stores the findings in a second script that first checks
 * the family's version: a claim committed between the two steps makes the
 * store refuse, and the scan runs again (at most SCAN_ATTEMPTS times).
 */
#include "recoveries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/decision_json.h"
#include "adjudicate/recovery.h"
#include "codec/parse_enrollment.h"
#include "log.h"
#include "queue/recoveries.h"
#include "queue/shards.h"
#include "intake/app.h"
#include "intake/claims_api.h"
#include "intake/claims_submit.h"
#include "intake/dated_facts.h"

#define SCAN_ATTEMPTS 3

struct scan {
    struct app *app;
    char subscriber_id[ID_LEN];
    int attempts;
    recoveries_done_cb done;
    void *arg;
};

static void scan_finish(struct scan *s, bool ok)
{
    if (s->done)
        s->done(ok, s->arg);
    free(s);
}

static void scan_start(struct scan *s);

/* The decision's lines as adj_find_recovery reads them; -1 when the
 * decision is not the shape adj_decision_to_json writes. */
static int paid_lines_of(struct json_object *decision, struct adj_paid_line *out)
{
    struct json_object *lines = NULL;
    if (!decision || !json_object_object_get_ex(decision, "lines", &lines) ||
        !json_object_is_type(lines, json_type_array))
        return -1;
    size_t n = json_object_array_length(lines);
    if (n > MAX_LINES)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *l = json_object_array_get_idx(lines, i), *date, *denied, *paid;
        if (!json_object_object_get_ex(l, "service_date", &date) ||
            !json_object_object_get_ex(l, "denied", &denied) ||
            !json_object_object_get_ex(l, "plan_paid", &paid) ||
            !date_parse(json_object_get_string(date), &out[i].service_date))
            return -1;
        out[i].denied = json_object_get_boolean(denied);
        out[i].plan_paid = (cents_t)llround(json_object_get_double(paid) * 100.0);
    }
    return (int)n;
}

/* What one scan found, kept until the store call has copied it. */
struct findings {
    struct queue_recovery_found *found;
    char (*ids)[CLAIM_ID_LEN];
    char (*ended)[DATE_STRLEN];
    char (*reported)[DATE_STRLEN];
    char **lines;
    size_t n;
};

static void findings_free(struct findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->lines[i]);
    free(f->found);
    free(f->ids);
    free(f->ended);
    free(f->reported);
    free(f->lines);
}

/* "<line>|<date>|<cents>|<liable>" entries joined by ';' (queue/recoveries.h). */
static char *lines_text(const struct adj_recovery *r)
{
    size_t size = (size_t)r->n_lines * 64 + 1;
    char *text = malloc(size), date[DATE_STRLEN];
    if (!text)
        return NULL;
    size_t len = 0;
    text[0] = '\0';
    for (int i = 0; i < r->n_lines; i++) {
        const struct adj_recovery_line *l = &r->lines[i];
        len += (size_t)snprintf(text + len, size - len, "%s%d|%s|%lld|%d", i ? ";" : "",
                                l->line + 1, date_format(l->service_date, date),
                                (long long)l->plan_paid, l->employer_liable ? 1 : 0);
    }
    return text;
}

static const struct member *find_member(const struct member *members, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(members[i].member_id, id) == 0)
            return &members[i];
    return NULL;
}

static void on_stored(enum queue_status status, int created, int updated, int withdrawn, void *arg)
{
    struct scan *s = arg;
    if (status == QUEUE_CONFLICT && ++s->attempts < SCAN_ATTEMPTS) {
        scan_start(s);
        return;
    }
    if (status != QUEUE_OK) {
        log_warn("recoveries scan not stored (%s)",
                 status == QUEUE_CONFLICT ? "the family kept changing" : "storage");
        scan_finish(s, false);
        return;
    }
    if (created || withdrawn)
        log_info("recoveries scanned created=%d updated=%d withdrawn=%d", created, updated,
                 withdrawn);
    scan_finish(s, true);
}

/* Decides every claim of the family and stores the findings. Returns false
 * when nothing was sent (the scan is then finished by the caller). */
static bool decide_and_store(struct scan *s, const struct queue_family_paid *f,
                             struct member *members, size_t n_members, struct group *groups,
                             size_t n_groups)
{
    struct findings fd = {0};
    size_t cap = f->n_claims + 1;
    fd.found = calloc(cap, sizeof *fd.found);
    fd.ids = calloc(cap, sizeof *fd.ids);
    fd.ended = calloc(cap, sizeof *fd.ended);
    fd.reported = calloc(cap, sizeof *fd.reported);
    fd.lines = calloc(cap, sizeof *fd.lines);
    struct adj_recovery *rec = malloc(sizeof *rec);
    struct adj_paid_line *paid = malloc(MAX_LINES * sizeof *paid);
    bool sent = false;
    if (!fd.found || !fd.ids || !fd.ended || !fd.reported || !fd.lines || !rec || !paid)
        goto out;
    const struct member *subscriber = find_member(members, n_members, s->subscriber_id);
    int shard = queue_shard_of_family(s->subscriber_id);
    date_t today = date_today();
    for (size_t i = 0; i < f->n_claims; i++) {
        const struct queue_paid_claim *c = &f->claims[i];
        const struct member *patient = find_member(members, n_members, c->member_id);
        const struct group *group = NULL;
        for (size_t g = 0; patient && g < n_groups; g++)
            if (strcmp(groups[g].group_id, patient->group_id) == 0)
                group = &groups[g];
        int n = paid_lines_of(c->decision, paid);
        if (!patient || !group || n < 0) {
            /* Not checked: whatever recovery it has stays as it is. */
            log_warn("recoveries scan skipped claim_id=%s (its records cannot be read)",
                     c->claim_id);
            fd.found[fd.n++] = (struct queue_recovery_found){.claim_id = c->claim_id,
                                                             .member_id = c->member_id,
                                                             .new_id = "",
                                                             .lines = "",
                                                             .coverage_ended = "",
                                                             .termination_reported_on = ""};
            continue;
        }
        /* A grandchild's coverage follows its parent's (§ I): the parent is
         * one of the family's records. */
        const struct member *parent =
            patient->parent_member_id[0]
                ? find_member(members, n_members, patient->parent_member_id)
                : NULL;
        if (adj_find_recovery(paid, n, patient, subscriber, parent, group, today, rec) <= 0)
            continue;
        size_t k = fd.n;
        if (!(fd.lines[k] = lines_text(rec)))
            goto out;
        fd.n++;
        /* Drawn on the family's shard, where its claims are, so that the
         * recovery is found from its id alone (docs/operations.md "Redis
         * Cluster"). */
        intake_claims_new_id_on_shard(fd.ids[k], shard);
        if (rec->has_coverage_ended)
            date_format(rec->coverage_ended, fd.ended[k]);
        date_format(rec->termination_reported_on, fd.reported[k]);
        fd.found[k] = (struct queue_recovery_found){
            .claim_id = c->claim_id,
            .member_id = c->member_id,
            .new_id = fd.ids[k],
            .lines = fd.lines[k],
            .amount = (long long)rec->amount,
            .coverage_ended = fd.ended[k],
            .termination_reported_on = fd.reported[k],
            .employer_liable = rec->employer_liable,
        };
    }
    char now[32];
    rfc3339_now(now);
    sent = queue_store_recoveries(s->app->redis, s->app->cfg.key_prefix, s->subscriber_id,
                                  f->version, now, fd.found, fd.n, on_stored, s) == 0;
out:
    findings_free(&fd);
    free(rec);
    free(paid);
    return sent;
}

static void on_read(enum queue_status status, const struct queue_family_paid *f, void *arg)
{
    struct scan *s = arg;
    if (status != QUEUE_OK) {
        log_warn("recoveries scan could not read the family");
        scan_finish(s, false);
        return;
    }
    struct member *members = calloc(f->n_members + 1, sizeof *members);
    struct group *groups = calloc(f->n_groups + 1, sizeof *groups);
    size_t n_members = 0, n_groups = 0;
    bool sent = false;
    if (members && groups) {
        for (size_t i = 0; i < f->n_members; i++)
            if (intake_member_from_text(f->members[i], NULL, &members[n_members]))
                n_members++;
        for (size_t i = 0; i < f->n_groups; i++)
            if (intake_group_from_text(f->groups[i], NULL, &groups[n_groups]))
                n_groups++;
        sent = decide_and_store(s, f, members, n_members, groups, n_groups);
    }
    free(members);
    free(groups);
    if (!sent) {
        log_warn("recoveries scan not stored (storage or memory)");
        scan_finish(s, false);
    }
}

static void scan_start(struct scan *s)
{
    if (queue_read_family_paid(s->app->redis, s->app->cfg.key_prefix, s->subscriber_id, on_read,
                               s) != 0) {
        log_warn("recoveries scan not sent (storage)");
        scan_finish(s, false);
    }
}

void intake_recoveries_scan_family_then(struct app *app, const char *subscriber_id,
                                        recoveries_done_cb done, void *arg)
{
    struct scan *s = calloc(1, sizeof *s);
    if (!s) {
        log_warn("recoveries scan not started (memory)");
        if (done)
            done(false, arg);
        return;
    }
    s->app = app;
    snprintf(s->subscriber_id, sizeof s->subscriber_id, "%s", subscriber_id);
    s->done = done;
    s->arg = arg;
    scan_start(s);
}

void intake_recoveries_scan_family(struct app *app, const char *subscriber_id)
{
    intake_recoveries_scan_family_then(app, subscriber_id, NULL, NULL);
}

/* ---- GET /v1/recoveries ---- */

struct list_state {
    char status[128];
    char cursor[128];
    int limit;
};

static const char *const list_param_names[] = {"status", "limit", "cursor"};

static void parse_list(const struct http_request *req, void *state, struct codec_field_errors *errs)
{
    struct list_state *p = state;
    intake_call_check_query_names(req, list_param_names,
                                  sizeof list_param_names / sizeof *list_param_names, errs);
    char buf[128];
    int rc;
    if ((rc = intake_http_query_get(req, "status", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "open") != 0 && strcmp(buf, "withdrawn") != 0 &&
                       strcmp(buf, "reversed") != 0))
            codec_field_errors_add(errs, "status", "must be open, withdrawn or reversed");
        else
            snprintf(p->status, sizeof p->status, "%s", buf);
    }
    intake_call_read_paging(req, &p->limit, p->cursor, sizeof p->cursor, errs);
}

static cents_t cents_of(const char *s)
{
    return s ? (cents_t)strtoll(s, NULL, 10) : 0;
}

/* The stored lines text as the API's array. */
static struct json_object *lines_json(const char *text)
{
    struct json_object *a = json_object_new_array();
    for (const char *p = text ? text : ""; *p;) {
        int line = 0, liable = 0;
        long long cents = 0;
        char date[DATE_STRLEN] = "";
        if (sscanf(p, "%d|%10[0-9-]|%lld|%d", &line, date, &cents, &liable) == 4) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "line", json_object_new_int(line));
            json_object_object_add(o, "service_date", json_object_new_string(date));
            json_object_object_add(o, "plan_paid", json_money((cents_t)cents));
            json_object_object_add(o, "employer_liable", json_object_new_boolean(liable == 1));
            json_object_array_add(a, o);
        }
        const char *semi = strchr(p, ';');
        if (!semi)
            break;
        p = semi + 1;
    }
    return a;
}

/* One recovery of the list (docs/api.md "Recoveries"). */
static struct json_object *recovery_view(const void *row)
{
    const struct queue_recovery_row *r = row;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "recovery_id", intake_call_string_or_null(r->recovery_id));
    json_object_object_add(o, "claim_id", intake_call_string_or_null(r->claim_id));
    json_object_object_add(o, "member_id", intake_call_string_or_null(r->member_id));
    json_object_object_add(o, "subscriber_id", intake_call_string_or_null(r->subscriber_id));
    json_object_object_add(o, "lines", lines_json(r->lines));
    json_object_object_add(o, "amount", json_money(cents_of(r->amount)));
    json_object_object_add(o, "coverage_ended", intake_call_string_or_null(r->coverage_ended));
    json_object_object_add(o, "termination_reported_on",
                           intake_call_string_or_null(r->termination_reported_on));
    json_object_object_add(
        o, "employer_liable",
        json_object_new_boolean(r->employer_liable && strcmp(r->employer_liable, "1") == 0));
    json_object_object_add(o, "status", intake_call_string_or_null(r->status));
    json_object_object_add(o, "found_at", intake_call_string_or_null(r->found_at));
    json_object_object_add(o, "updated_at", intake_call_string_or_null(r->updated_at));
    return o;
}

static void on_list(enum queue_status status, const struct queue_recovery_row *rows, size_t n,
                    const char *next_cursor, void *arg)
{
    intake_call_answer_page(arg, status, "recoveries", rows, n, sizeof *rows, recovery_view,
                            next_cursor);
}

static void list_audited(struct call *call)
{
    struct list_state *ls = call->state;
    if (!intake_call_audited(call))
        return;
    if (queue_list_recoveries(call->app->redis, intake_call_key_prefix(call), ls->status,
                              ls->cursor, ls->limit, on_list, call) != 0)
        intake_call_unavailable(call);
}

static void list_authed(struct call *call)
{
    /* The list names members and what was paid for them: its reads are audited. */
    intake_call_open_staff_list(call, parse_list, "recovery.list", list_audited);
}

void intake_recoveries_get(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct list_state), free, list_authed);
}

/* ---- POST /v1/recoveries/{id}/reverse (staff, admin) ---- */

static void on_reversed(enum queue_status st, const char *claim_id, const char *status, void *arg)
{
    struct call *call = arg;
    if (intake_call_refuse_missing(call, st))
        return;
    if (st == QUEUE_CONFLICT) {
        (void)status;
        intake_call_error(call, 409, "recovery_not_open", "only an open recovery can be reversed");
        return;
    }
    log_info("recovery reversed recovery_id=%s claim_id=%s request_id=%s", call->path_id, claim_id,
             call->req->request_id);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "recovery_id", json_object_new_string(call->path_id));
    json_object_object_add(o, "claim_id", json_object_new_string(claim_id));
    json_object_object_add(o, "status", json_object_new_string("reversed"));
    intake_call_json(call, 202, o);
}

static void reverse_authed(struct call *call)
{
    /* A recovery id is drawn as a claim id is (intake_claims_new_id_on_shard). */
    if (!intake_call_require_staff(call) || !intake_claims_require_id(call))
        return;
    char now[32];
    rfc3339_now(now);
    struct json_object *audit = intake_call_audit_record(call, now, "recovery.reverse");
    int rc = audit ? queue_reverse_recovery(
                         call->app->redis, intake_call_key_prefix(call), call->path_id, now,
                         json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN), on_reversed,
                         call)
                   : -1;
    if (audit)
        json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

void intake_recoveries_reverse(struct call *call)
{
    intake_call_authenticate(call, reverse_authed);
}
