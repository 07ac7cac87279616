/*
 * GET /v1/claims: the search (docs/api.md "GET /v1/claims — search"). The
 * query is checked, the search audited, and the page read by one script
 * (queue/claims_read.h) limited to what the caller may see: a provider what
 * it submitted, a member their own claims and, as the subscriber, the
 * family's.
 */
#include "claims_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "intake/claims_api.h"
#include "queue/claims_read.h"

struct search_params {
    char member_id[ID_LEN];
    char status[128];
    char type[128];
    bool overdue;
    bool has_from, has_to;
    date_t from, to;
    int limit;
    char cursor[128];
};

static const char *const search_param_names[] = {"member_id",     "status",      "type",  "overdue",
                                                 "received_from", "received_to", "limit", "cursor"};

/* The status, type and overdue filters of the query into p; every problem
 * goes to errs. */
static void parse_filters(const struct http_request *req, struct search_params *p,
                          struct codec_field_errors *errs)
{
    char buf[128];
    int rc;
    if ((rc = intake_http_query_get(req, "status", buf, sizeof buf)) != 0) {
        static const char *const statuses[] = {"received", "processing", "pended", "in_review",
                                               "approved", "denied",     "voided", "replaced"};
        bool ok = false;
        for (size_t i = 0; rc > 0 && i < sizeof statuses / sizeof *statuses; i++)
            ok |= strcmp(buf, statuses[i]) == 0;
        if (!ok)
            codec_field_errors_add(errs, "status",
                                   "must be received, processing, pended, in_review, approved, "
                                   "denied, voided or replaced");
        else
            snprintf(p->status, sizeof p->status, "%s", buf);
    }
    if ((rc = intake_http_query_get(req, "type", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "medical") != 0 && strcmp(buf, "pharmacy") != 0))
            codec_field_errors_add(errs, "type", "must be medical or pharmacy");
        else
            snprintf(p->type, sizeof p->type, "%s", buf);
    }
    if ((rc = intake_http_query_get(req, "overdue", buf, sizeof buf)) != 0) {
        if (rc < 0 || (strcmp(buf, "true") != 0 && strcmp(buf, "false") != 0))
            codec_field_errors_add(errs, "overdue", "must be true or false");
        else
            p->overdue = strcmp(buf, "true") == 0;
    }
}

/* The received_from and received_to dates of the query into p; every
 * problem goes to errs. */
static void parse_dates(const struct http_request *req, struct search_params *p,
                        struct codec_field_errors *errs)
{
    char buf[128];
    int rc;
    if ((rc = intake_http_query_get(req, "received_from", buf, sizeof buf)) != 0) {
        if (rc < 0 || !date_parse(buf, &p->from))
            codec_field_errors_add(errs, "received_from", "must be a date YYYY-MM-DD");
        else
            p->has_from = true;
    }
    if ((rc = intake_http_query_get(req, "received_to", buf, sizeof buf)) != 0) {
        if (rc < 0 || !date_parse(buf, &p->to))
            codec_field_errors_add(errs, "received_to", "must be a date YYYY-MM-DD");
        else
            p->has_to = true;
    }
    if (p->has_from && p->has_to && date_cmp(p->from, p->to) > 0)
        codec_field_errors_add(errs, "received_to", "must not be before received_from");
}

/* Parses and checks the query; every problem goes to errs. */
static void parse_search(const struct http_request *req, struct search_params *p,
                         struct codec_field_errors *errs)
{
    memset(p, 0, sizeof *p);
    intake_call_check_query_names(req, search_param_names,
                                  sizeof search_param_names / sizeof *search_param_names, errs);
    if (intake_http_query_get(req, "member_id", p->member_id, sizeof p->member_id) < 0)
        codec_field_errors_add(errs, "member_id", "must be a member id");
    parse_filters(req, p, errs);
    parse_dates(req, p, errs);
    intake_call_read_paging(req, &p->limit, p->cursor, sizeof p->cursor, errs);
}

struct search_state {
    struct claims_view_state vs; /* first: intake_claims_view_state_free frees it all */
    struct search_params p;
};

/* The query into the call's search_state (parse_search). */
static void read_search_query(const struct http_request *req, void *state,
                              struct codec_field_errors *errs)
{
    struct search_state *ss = state;
    parse_search(req, &ss->p, errs);
}

static void on_search(enum queue_status st, const struct queue_search_row *rows, size_t n,
                      const char *next_cursor, void *arg)
{
    struct call *call = arg;
    struct search_state *ss = call->state;
    if (!intake_call_queue_ok(call, st))
        return;
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_new_object();
        const struct queue_search_row *r = &rows[i];
        const char *const names[] = {"claim_id", "type",          "member_id",
                                     "status",   "received_date", "target_date"};
        const char *const values[] = {r->claim_id, r->type,          r->member_id,
                                      r->status,   r->received_date, r->target_date};
        for (int j = 0; j < 6; j++)
            if (values[j])
                json_object_object_add(c, names[j], json_object_new_string(values[j]));
        json_object_array_add(list, c);
    }
    json_object_object_add(ss->vs.view, "claims", list);
    json_object_object_add(ss->vs.view, "next_cursor",
                           next_cursor ? json_object_new_string(next_cursor) : NULL);
    intake_claims_view_answer(call, &ss->vs);
}

static void search_audited(struct call *call)
{
    struct search_state *ss = call->state;
    struct search_params *p = &ss->p;
    const struct principal *who = &call->who;
    if (!intake_call_audited(call))
        return;
    struct queue_search_query q = {
        .family_of = "",
        .member_id = p->member_id,
        .own_member = "",
        .npi = "",
        .status = p->status,
        .type = p->type,
        .has_from = p->has_from,
        .has_to = p->has_to,
        .from = p->from,
        .to = p->to,
        .cursor = p->cursor,
        .limit = p->limit,
        .overdue = p->overdue,
        .today = date_today(),
    };
    if (who->role == AUTH_PROVIDER) {
        /* What this provider submitted, nothing else. */
        q.npi = who->npi;
    } else if (who->role == AUTH_MEMBER) {
        /* Their own claims, and the family's when they are the subscriber. */
        q.own_member = who->member_id;
        q.family_of = p->member_id[0] ? p->member_id : who->member_id;
    } else if (p->member_id[0]) {
        q.family_of = p->member_id;
    }
    if (queue_search(call->app->redis, intake_call_key_prefix(call), &q, on_search, call) != 0)
        intake_call_unavailable(call);
}

static void search_authed(struct call *call)
{
    struct search_state *ss =
        intake_call_state_new(call, sizeof *ss, intake_claims_view_state_free);
    if (!ss ||
        !intake_call_read_query(call, read_search_query, "the search parameters are not valid"))
        return;
    ss->vs.view = json_object_new_object();
    intake_call_audit(call, NULL, "claim.search", search_audited);
}

void intake_claims_search(struct call *call)
{
    intake_call_authenticate(call, search_authed);
}
