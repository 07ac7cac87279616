/*
 * GET /v1/eligibility: whether a member is covered on a date, on which plan
 * and in which coordination-of-benefits position, or the CARC that says
 * why not. The member's records (member, subscriber, group, a grandchild's
 * parent) are read from Redis and decided by the same rules the worker uses
 * (adj_eligibility_on); the read is audited.
 */
#include "eligibility_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjudicate/adjudicate.h"
#include "codec/parse_enrollment.h"
#include "date.h"
#include "intake/dated_facts.h"
#include "queue/enrollment.h"

struct elig_state {
    char member_id[ID_LEN];
    date_t on;
    struct member member, subscriber, parent;
    bool have_parent; /* a grandchild's parent record (§ I) */
    struct group group;
};

static const char *coverage_kind_name(enum coverage_kind k)
{
    return k == COVERAGE_COBRA                ? "cobra"
           : k == COVERAGE_STATE_CONTINUATION ? "state_continuation"
                                              : "active";
}

static void elig_answer(struct call *call)
{
    struct elig_state *es = call->state;
    if (!intake_call_audited(call))
        return;
    struct adj_eligibility_answer a = adj_eligibility_on(
        &es->member, &es->subscriber, es->have_parent ? &es->parent : NULL, &es->group, es->on);
    struct json_object *o = json_object_new_object();
    char date[DATE_STRLEN];
    json_object_object_add(o, "member_id", json_object_new_string(es->member_id));
    json_object_object_add(o, "date", json_object_new_string(date_format(es->on, date)));
    json_object_object_add(o, "covered", json_object_new_boolean(a.covered));
    if (a.covered) {
        const struct coverage_span *cs = &es->member.coverage[a.span];
        json_object_object_add(o, "plan_id", json_object_new_string(cs->plan_id));
        json_object_object_add(o, "coverage_kind",
                               json_object_new_string(coverage_kind_name(cs->kind)));
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "position",
                               json_object_new_string(adj_cob_position_name(a.position)));
        json_object_object_add(c, "medicare_primary", json_object_new_boolean(a.medicare_primary));
        json_object_object_add(o, "cob", c);
    } else {
        const struct adj_code_info *info = adj_carc_lookup(a.carc);
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "carc", json_object_new_string(a.carc));
        if (a.rarc)
            json_object_object_add(r, "remark", json_object_new_string(a.rarc));
        json_object_object_add(r, "meaning", json_object_new_string(info ? info->plain : ""));
        json_object_object_add(o, "reason", r);
    }
    intake_call_json(call, 200, o);
}

/* The member's group and subscriber records, and a grandchild's parent (NULL
 * where there is none). */
static void on_elig_refs(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct elig_state *es = call->state;
    if (status != QUEUE_OK || n < 2) {
        intake_call_unavailable(call);
        return;
    }
    bool ok = json[0] && intake_group_from_text(json[0], NULL, &es->group);
    es->subscriber = es->member;
    if (json[1] && !intake_member_from_text(json[1], NULL, &es->subscriber))
        es->subscriber = es->member;
    if (n > 2 && json[2])
        es->have_parent = intake_member_from_text(json[2], NULL, &es->parent);
    if (!ok) {
        intake_call_error(call, 500, "internal", "the member's group record cannot be read");
        return;
    }
    intake_call_audit(call, NULL, "eligibility.read", elig_answer);
}

static void on_elig_member(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct elig_state *es = call->state;
    if (!intake_call_one_record(call, status, json, n))
        return;
    bool ok = intake_member_from_text(json[0], es->member_id, &es->member);
    /* A member asks about self or, as the subscriber, the family. */
    if (ok && call->who.role == AUTH_MEMBER &&
        strcmp(es->member.member_id, call->who.member_id) != 0 &&
        strcmp(es->member.subscriber_id, call->who.member_id) != 0)
        ok = false;
    if (!ok) {
        intake_call_not_found(call);
        return;
    }
    struct queue_record_ref refs[] = {{QUEUE_RECORD_GROUP, es->member.group_id},
                                      {QUEUE_RECORD_MEMBER, es->member.subscriber_id},
                                      {QUEUE_RECORD_MEMBER, es->member.parent_member_id}};
    size_t n_refs = es->member.parent_member_id[0] ? 3 : 2;
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), refs, n_refs,
                          on_elig_refs, call) != 0)
        intake_call_unavailable(call);
}

/* The query's member_id and date (today when absent) into the elig_state. */
static void parse_elig_query(const struct http_request *req, void *state,
                             struct codec_field_errors *errs)
{
    struct elig_state *es = state;
    char buf[128];
    int rc = intake_http_query_get(req, "member_id", es->member_id, sizeof es->member_id);
    if (rc <= 0 || !es->member_id[0])
        codec_field_errors_add(errs, "member_id", "is required");
    rc = intake_http_query_get(req, "date", buf, sizeof buf);
    if (rc == 0)
        es->on = date_today();
    else if (rc < 0 || !date_parse(buf, &es->on))
        codec_field_errors_add(errs, "date", "must be a date YYYY-MM-DD");
}

static void elig_authed(struct call *call)
{
    if (!intake_call_require_role(call))
        return;
    struct elig_state *es = intake_call_state_new(call, sizeof *es, free);
    if (!es ||
        !intake_call_read_query(call, parse_elig_query, "the query has problems listed in fields"))
        return;
    struct queue_record_ref ref = {QUEUE_RECORD_MEMBER, es->member_id};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), &ref, 1, on_elig_member,
                          call) != 0)
        intake_call_unavailable(call);
}

void intake_eligibility_get(struct call *call)
{
    intake_call_authenticate(call, elig_authed);
}
