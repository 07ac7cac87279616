/*
 * A group event: {"event": "employee_count", "date", "reported_on",
 * "employee_count"} or {"event": "medicare_certification", "date",
 * "reported_on", "medicare_certification"}. The value holds from `date`
 * until the next later change of the same fact already recorded
 * (group_set_facts); the group is read, changed and written back only if nobody wrote it
 * meanwhile (queue/record_cas.h), else read again, up to CALL_WRITE_ATTEMPTS times.
 * Rules and phrases: docs/api.md "Group events", docs/validation.md.
 */
#include "intake/group_events_api.h"

#include <stdlib.h>
#include <string.h>

#include "intake/dated_facts.h"
#include "codec/json_edge.h"
#include "codec/json_read.h"
#include "codec/parse_enrollment.h"
#include "log.h"
#include "queue/enrollment.h"
#include "queue/record_cas.h"

enum group_event { EVENT_EMPLOYEE_COUNT, EVENT_MEDICARE_CERTIFICATION };

static const char *const event_names[] = {"employee_count", "medicare_certification"};
static const char *const certification_names[] = {"20_or_more", "19_or_fewer"};

/* What a 422 of a group event says. */
#define EVENT_PROBLEMS "the request has problems listed in fields"

struct event_state {
    enum group_event event;
    date_t date, reported_on, today;
    struct group_facts value; /* the one fact the event sets */
    int attempts;
    char *stored; /* the text the group was read with */
    char *json;   /* the group as changed */
    struct group group;
};

static void event_state_free(void *p)
{
    struct event_state *es = p;
    if (es) {
        free(es->stored);
        free(es->json);
    }
    free(es);
}

/* Reads and checks the body into the call's event_state, each problem into errs. */
static void parse_event(struct call *call, struct json_object *body,
                        struct codec_field_errors *errs)
{
    struct event_state *es = call->state;
    static const char *const fields[] = {
        "event", "date", "reported_on", "employee_count", "medicare_certification", NULL};
    struct codec_reader r;
    codec_reader_init(&r, errs);
    codec_reject_unknown(&r, body, fields);
    int event = -1;
    struct codec_enum_spec events = {event_names, 2,
                                     "must be employee_count or medicare_certification", &event};
    if (codec_field(&r, body, "event", true, codec_value_enum, &events) != CODEC_GOT)
        event = -1;
    codec_field(&r, body, "date", true, codec_value_date, &es->date);
    es->reported_on = es->today;
    if (codec_field(&r, body, "reported_on", false, codec_value_date, &es->reported_on) ==
            CODEC_GOT &&
        date_cmp(es->reported_on, es->today) > 0)
        codec_report_key(&r, "reported_on", CODEC_P_FUTURE);
    /* The event's own value, and no other. */
    if (event == EVENT_EMPLOYEE_COUNT) {
        struct codec_int_spec count = {0, 10000000, "must be an integer from 0 to 10000000",
                                       &es->value.employee_count};
        codec_field(&r, body, "employee_count", true, codec_value_int, &count);
        if (codec_member(body, "medicare_certification"))
            codec_report_key(&r, "medicare_certification",
                             "only allowed when event is medicare_certification");
    } else if (event == EVENT_MEDICARE_CERTIFICATION) {
        int cert = 0;
        struct codec_enum_spec certs = {certification_names, 2, "must be 20_or_more or 19_or_fewer",
                                        &cert};
        codec_field(&r, body, "medicare_certification", true, codec_value_enum, &certs);
        es->value.medicare_certification = (enum medicare_certification)cert;
        if (codec_member(body, "employee_count"))
            codec_report_key(&r, "employee_count", "only allowed when event is employee_count");
    }
    es->event =
        event == EVENT_MEDICARE_CERTIFICATION ? EVENT_MEDICARE_CERTIFICATION : EVENT_EMPLOYEE_COUNT;
}

static void event_respond(struct call *call)
{
    struct event_state *es = call->state;
    if (!intake_call_audited(call))
        return;
    log_info("group event stored request_id=%s", call->req->request_id);
    intake_call_respond(call, 200, JSON_CONTENT_TYPE, es->json, strlen(es->json));
}

static void read_group(struct call *call);

static void on_replaced(enum queue_status status, void *arg)
{
    struct call *call = arg;
    struct event_state *es = call->state;
    if (status == QUEUE_CONFLICT && es->attempts < CALL_WRITE_ATTEMPTS) {
        read_group(call); /* written meanwhile: apply the event to the new record */
        return;
    }
    if (status == QUEUE_NOT_FOUND) {
        intake_call_not_found(call);
        return;
    }
    if (!intake_call_queue_ok(call, status))
        return;
    intake_call_audit(call, NULL, "group.event", event_respond);
}

static void on_group(enum queue_status status, const char *const *json, size_t n, void *arg)
{
    struct call *call = arg;
    struct event_state *es = call->state;
    if (!intake_call_one_record(call, status, json, n))
        return;
    free(es->stored);
    free(es->json);
    es->json = NULL;
    es->stored = strdup(json[0]);
    bool ok = intake_group_from_text(json[0], call->path_id, &es->group);
    if (!es->stored) {
        intake_call_out_of_memory(call);
        return;
    }
    if (!ok) {
        intake_call_error(call, 500, "internal", "the group record cannot be read");
        return;
    }
    bool count = es->event == EVENT_EMPLOYEE_COUNT;
    if (group_set_facts(&es->group, es->date, es->reported_on,
                        count ? GROUP_FACT_EMPLOYEE_COUNT : GROUP_FACT_MEDICARE_CERTIFICATION,
                        &es->value) != 0) {
        intake_call_invalid_field(call, "date", "would take the history past 64 entries",
                                  EVENT_PROBLEMS);
        return;
    }
    if (!intake_call_json_text(call, codec_group_to_json(&es->group, es->today), &es->json))
        return;
    if (queue_replace_record(call->app->redis, intake_call_key_prefix(call), QUEUE_RECORD_GROUP,
                             call->path_id, es->stored, es->json, on_replaced, call) != 0)
        intake_call_unavailable(call);
}

static void read_group(struct call *call)
{
    struct event_state *es = call->state;
    es->attempts++;
    struct queue_record_ref ref = {QUEUE_RECORD_GROUP, call->path_id};
    if (queue_get_records(call->app->redis, intake_call_key_prefix(call), &ref, 1, on_group,
                          call) != 0)
        intake_call_unavailable(call);
}

static void events_authed(struct call *call)
{
    struct event_state *es = call->state;
    if (!intake_call_require_staff(call) || !intake_call_require_record_id(call))
        return;
    es->today = date_today();
    if (!intake_call_read_body(call, parse_event, EVENT_PROBLEMS))
        return;
    read_group(call);
}

void intake_group_events_post(struct call *call)
{
    intake_call_open(call, NULL, sizeof(struct event_state), event_state_free, events_authed);
}
