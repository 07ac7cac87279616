/*
 * What the claim endpoints share: whether a path id can name a claim, who
 * may read a claim (API.md "Roles"), fetching it, the opening of a request
 * that changes it, the answer to a correction its status refuses, and the
 * JSON answer a read builds. The endpoints are in claims_submit.c,
 * claims_reads.c, claims_search.c, claims_supply.c and corrections_api.c.
 */
#include "claims_api.h"

#include <stdlib.h>
#include <string.h>

/* A claim id is a UUID in its lower-case text form; anything else cannot
 * name a claim and is answered 404 without asking Redis. */
bool intake_claims_id_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* Object-level authorization (API.md "Roles"): staff see every claim; a
 * member their own and, as the subscriber, the family's; a provider what it
 * submitted. Everyone else is told the claim does not exist. */
bool intake_claims_may_read(const struct principal *who, const struct queue_claim *claim)
{
    if (intake_auth_is_staff(who))
        return true;
    const char *member = queue_claim_field(claim, "member_id"),
               *sub = queue_claim_field(claim, "subscriber_id"),
               *npi = queue_claim_field(claim, "by_npi");
    if (who->role == AUTH_MEMBER)
        return (member && strcmp(member, who->member_id) == 0) ||
               (sub && sub[0] && strcmp(sub, who->member_id) == 0);
    if (who->role == AUTH_PROVIDER)
        return npi && npi[0] && strcmp(npi, who->npi) == 0;
    return false;
}

bool intake_claims_require_id(struct call *call)
{
    if (intake_claims_id_valid(call->path_id))
        return true;
    intake_call_not_found(call);
    return false;
}

void intake_claims_fetch(struct call *call, queue_claim_cb cb)
{
    if (!intake_claims_require_id(call))
        return;
    if (queue_get_claim(call->app->redis, intake_call_key_prefix(call), call->path_id, cb, call) !=
        0)
        intake_call_unavailable(call);
}

bool intake_claims_readable(struct call *call, enum queue_status st,
                            const struct queue_claim *claim)
{
    if (st == QUEUE_UNAVAILABLE || (st == QUEUE_OK && !claim)) {
        intake_call_unavailable(call);
        return false;
    }
    if (st != QUEUE_OK || !intake_claims_may_read(&call->who, claim)) {
        intake_call_not_found(call);
        return false;
    }
    return true;
}

bool intake_claims_change_opening(struct call *call)
{
    return intake_call_require_role(call) && intake_claims_require_id(call) &&
           intake_call_require_json(call);
}

/* A correction refused for the claim's status (or, from a script, for
 * another patient); a replacement filed through the intake step meets it
 * too (claims_submit.c). */
void intake_claims_correction_conflict(struct call *call, const char *status)
{
    if (strcmp(status, "voided") == 0) {
        intake_call_error(call, 409, "already_voided",
                          "this claim is voided: it cannot be changed");
    } else if (strcmp(status, "replaced") == 0) {
        intake_call_error(call, 409, "already_replaced",
                          "this claim was replaced: correct its replacement instead");
    } else if (strcmp(status, "member") == 0) {
        intake_call_invalid_field(call, "member_id",
                                  "must be the member_id of the claim it replaces (file a new "
                                  "claim for another patient)",
                                  "the body has problems listed in fields");
    } else if (!status[0]) {
        intake_call_not_found(call);
    } else {
        intake_call_error(call, 409, "not_correctable",
                          "a claim in this status cannot be replaced");
    }
}

void intake_claims_view_state_free(void *state)
{
    struct claims_view_state *vs = state;
    if (vs && vs->view)
        json_object_put(vs->view);
    free(vs);
}

void intake_claims_view_answer(struct call *call, struct claims_view_state *vs)
{
    struct json_object *view = vs->view;
    vs->view = NULL;
    intake_call_json(call, 200, view);
}
