/*
 * POST /v1/claims/{id}/information: a pended claim given what it waits for
 * (RULES.md § 4, § 6). The body may carry only the supplement fields and
 * must answer something the claim's pending.needed lists; the claim with it
 * merged is checked as at submission, stored, and queued again.
 */
#include "claims_supply.h"

#include <stdlib.h>
#include <string.h>

#include "codec/parse_claim.h"
#include "date.h"
#include "intake/claims_api.h"
#include "log.h"
#include "queue/claims_read.h"

/* What a pended claim may be given afterwards: the fields the rules pend
 * for (RULES.md § 4, § 6) and the documents that carry them. */
static const char *const supplement_fields[] = {"other_insurance", "itemized_bill", "attachments"};

struct supply_state {
    struct json_object *body; /* the supplied fields */
    char *merged;             /* canonical merged submission */
};

static void supply_free(void *p)
{
    struct supply_state *ss = p;
    if (!ss)
        return;
    if (ss->body)
        json_object_put(ss->body);
    free(ss->merged);
    free(ss);
}

static void on_supplied(enum queue_status st, void *arg)
{
    intake_call_answer_requeued(arg, st, "information supplied", "not_pended",
                                "only a pended claim takes more information");
}

/* Whether the body's attachments include one of kind want (RULES.md § 6). */
static bool has_attachment_of_kind(struct json_object *body, const char *want)
{
    struct json_object *list = NULL;
    if (!json_object_object_get_ex(body, "attachments", &list) ||
        !json_object_is_type(list, json_type_array))
        return false;
    for (size_t k = 0; k < json_object_array_length(list); k++) {
        /* "kind": null has no text: it names no kind. */
        struct json_object *kind = NULL;
        const char *text = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(list, k), "kind", &kind) &&
            (text = json_object_get_string(kind)) != NULL && strcmp(text, want) == 0)
            return true;
    }
    return false;
}

/* Whether the body supplies something the stored claim waits for (its
 * pending.needed); true when it lists nothing. */
static bool supplies_needed(const struct queue_claim *stored, struct json_object *body)
{
    struct json_object *needed = NULL;
    if (!stored->pending || !json_object_object_get_ex(stored->pending, "needed", &needed) ||
        !json_object_is_type(needed, json_type_array) || json_object_array_length(needed) == 0)
        return true;
    for (size_t i = 0; i < json_object_array_length(needed); i++) {
        const char *want = json_object_get_string(json_object_array_get_idx(needed, i));
        struct json_object *given = NULL;
        if (want && ((json_object_object_get_ex(body, want, &given) && given) ||
                     has_attachment_of_kind(body, want)))
            return true;
    }
    return false;
}

/* The stored submission with the supplied fields merged in, checked as a
 * whole as at submission, into ss->merged (canonical JSON); false after
 * answering the problem. */
static bool merge_supplied(struct call *call, const struct queue_claim *stored)
{
    struct supply_state *ss = call->state;
    struct json_object *merged = NULL;
    if (!stored->submitted || json_object_deep_copy(stored->submitted, &merged, NULL) != 0) {
        intake_call_error(call, 500, "internal", "the stored claim cannot be read");
        return false;
    }
    json_object_object_foreach(ss->body, key, value)
        json_object_object_add(merged, key, json_object_get(value));
    struct claim *claim = malloc(sizeof *claim);
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!claim || !errs) {
        free(claim);
        free(errs);
        json_object_put(merged);
        intake_call_out_of_memory(call);
        return false;
    }
    codec_field_errors_init(errs);
    struct codec_claim_options opt = {.may_set_received_date = true, .today = date_today()};
    bool ok = codec_parse_claim(merged, &opt, claim, errs);
    json_object_put(merged);
    if (!ok) {
        intake_call_invalid(call, 422,
                            "the claim with this information has problems listed in fields", errs);
        free(claim);
        free(errs);
        return false;
    }
    struct json_object *canonical = codec_claim_to_json(claim);
    free(claim);
    free(errs);
    return intake_call_json_text(call, canonical, &ss->merged);
}

static void on_claim_for_supply(enum queue_status st, const struct queue_claim *stored, void *arg)
{
    struct call *call = arg;
    struct supply_state *ss = call->state;
    if (!intake_claims_readable(call, st, stored))
        return;
    const char *status = queue_claim_field(stored, "status");
    if (!status || strcmp(status, "pended") != 0) {
        intake_call_error(call, 409, "not_pended", "only a pended claim takes more information");
        return;
    }
    if (!supplies_needed(stored, ss->body)) {
        intake_call_invalid_field(call, "",
                                  "supplies none of what the claim waits for (its pending.needed)",
                                  "the body has problems listed in fields");
        return;
    }
    if (!merge_supplied(call, stored))
        return;
    char now[32];
    rfc3339_now(now);
    struct json_object *audit = intake_call_audit_record(call, now, "claim.information");
    int rc = queue_supply(call->app->redis, intake_call_key_prefix(call), call->path_id, ss->merged,
                          stored->decision,
                          json_object_to_json_string_ext(audit, JSON_C_TO_STRING_PLAIN),
                          (long long)clock_wall_seconds(), on_supplied, call);
    json_object_put(audit);
    if (rc != 0)
        intake_call_unavailable(call);
}

/* The supplied fields: only the supplement fields, none null, an
 * itemized_bill only as true, at least one; each problem into errs. */
static void check_supplied(struct json_object *body, struct codec_field_errors *errs)
{
    int n = 0;
    json_object_object_foreach(body, key, value)
    {
        n++;
        bool allowed = false;
        for (size_t i = 0; i < sizeof supplement_fields / sizeof *supplement_fields; i++)
            allowed |= strcmp(key, supplement_fields[i]) == 0;
        struct codec_path path;
        codec_path_init(&path);
        codec_path_push_key(&path, key, strlen(key));
        if (!allowed)
            codec_field_errors_add(errs, path.text,
                                   "cannot be supplied afterwards (only other_insurance, "
                                   "itemized_bill, attachments)");
        /* Supplying nothing is not supplying (issue 16, finding 7): a null,
         * or an itemized bill said not to exist, would requeue the claim
         * with nothing new, as often as one liked. */
        else if (!value)
            codec_field_errors_add(errs, path.text, "must not be null");
        else if (strcmp(key, "itemized_bill") == 0 &&
                 json_object_is_type(value, json_type_boolean) && !json_object_get_boolean(value))
            codec_field_errors_add(errs, path.text,
                                   "must be true: it says the itemized bill is supplied");
    }
    if (n == 0)
        codec_field_errors_add(errs, "",
                               "supply at least one of other_insurance, "
                               "itemized_bill, attachments");
}

static void supply_authed(struct call *call)
{
    if (!intake_claims_change_opening(call))
        return;
    struct supply_state *ss = intake_call_state_new(call, sizeof *ss, supply_free);
    if (!ss)
        return;
    /* Not straight into ss: a refused body frees the call and its state. */
    struct codec_field_errors *errs = NULL;
    struct json_object *body = intake_call_parse_body(call, &errs);
    if (!body)
        return;
    ss->body = body;
    /* Problems the reader found in a body that is JSON (a duplicate key)
     * are answered before the fields are looked at. */
    if (!codec_field_errors_any(errs))
        check_supplied(ss->body, errs);
    if (intake_call_fields_checked(call, errs, "the body has problems listed in fields"))
        intake_claims_fetch(call, on_claim_for_supply);
}

void intake_claims_information(struct call *call)
{
    intake_call_authenticate(call, supply_authed);
}
