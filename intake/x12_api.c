/*
 * POST /v1/x12: one interchange of 837P/837I claims (docs/x12.md).
 *
 * The steps: authenticate (provider, staff, admin); the bytes must be X12
 * (400/413 otherwise, JSON); the envelope (a TA1 answer when it is broken);
 * claim the replay key (queue/x12.h: a file sent again gets the first answer
 * and stores nothing); read each transaction set; check each claim as a JSON
 * submission (codec_parse_claim) and the provider's NPI; store the good
 * ones exactly as POST /v1/claims does (intake_claims_store, one group commit);
 * then the answer (999 and 277CA), remembered for replays, is sent.
 */
#include "intake/x12_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "intake/claims_submit.h"
#include "codec/parse_claim.h"
#include "codec/x12.h"
#include "codec/x12_837.h"
#include "codec/x12_ack.h"
#include "date.h"
#include "log.h"
#include "queue/tokens.h"
#include "queue/x12.h"

#define X12_CONTENT_TYPE "application/edi-x12"
/* How long a replay key stays claimed by a request that never answered
 * (docs/x12.md "Companion-guide choices"). */
#define X12_PENDING_TTL_SECONDS 300

struct x12_state {
    struct codec_x12_doc doc;
    struct codec_x12_interchange *ix;
    struct codec_x12_set_result *sets;
    char key_hash[65];
    char owner[32];   /* "npi:<npi>" or "staff": who may be given a replay */
    bool key_claimed; /* we hold the "P" mark */
    int pending;      /* claims handed to the intake step, not yet answered */
    int stored, failed;
    char *answer;
    size_t answer_len;
    char control[10], date8[9], time4[5];
};

struct claim_ref {
    struct call *call;
    int set, claim;
    struct claim *parsed; /* a copy while its family is looked up (intake_claims_place) */
    date_t received;
};

static void state_free(void *p)
{
    struct x12_state *s = p;
    if (!s)
        return;
    if (s->sets && s->ix) {
        for (int i = 0; i < s->ix->n_sets; i++) {
            codec_x12_837_free(&s->sets[i].m);
            free(s->sets[i].claims);
        }
    }
    free(s->sets);
    free(s->ix);
    codec_x12_doc_free(&s->doc);
    free(s->answer);
    free(s);
}

static bool x12_content_type(const char *type)
{
    size_t n = strlen(X12_CONTENT_TYPE);
    return type && strncasecmp(type, X12_CONTENT_TYPE, n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

static void respond_x12(struct call *call, const char *body, size_t len, bool replayed)
{
    if (replayed)
        intake_http_add_header(call->req, "X12-Replayed", "true");
    intake_call_respond(call, 200, X12_CONTENT_TYPE, body, len);
}

/* Our ISA13 (9 digits, random: it names this answer, not a sequence) and
 * the answer's date and time (UTC). */
static void answer_stamp(struct x12_state *s)
{
    unsigned int r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (unsigned int)clock_wall_seconds();
    snprintf(s->control, sizeof s->control, "%09u", r % 1000000000u);
    time_t now = (time_t)clock_wall_seconds();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->date8, sizeof s->date8, "%Y%m%d", &tm);
    strftime(s->time4, sizeof s->time4, "%H%M", &tm);
}

/* ---- the answer ---- */

static void on_released(enum queue_status st, void *arg)
{
    (void)st;
    struct call *call = arg;
    intake_call_unavailable(call);
}

/* Storage failed before anything could be answered: the mark is dropped so
 * that the sender may send the file again. */
static void give_up(struct call *call)
{
    struct x12_state *s = call->state;
    if (s->key_claimed && queue_x12_release(call->app->redis, intake_call_key_prefix(call),
                                            s->key_hash, on_released, call) == 0)
        return;
    intake_call_unavailable(call);
}

static void on_answer_stored(enum queue_status st, void *arg)
{
    struct call *call = arg;
    struct x12_state *s = call->state;
    if (st != QUEUE_OK)
        log_warn("x12: the answer to an interchange was not remembered for replays");
    respond_x12(call, s->answer, s->answer_len, false);
}

static void finish(struct call *call)
{
    struct x12_state *s = call->state;
    if (s->stored == 0 && s->failed > 0) {
        give_up(call);
        return;
    }
    struct codec_x12_answer_input in = {
        .ix = s->ix,
        .d = s->doc.d,
        .sets = s->sets,
        .control = s->control,
        .date8 = s->date8,
        .time4 = s->time4,
    };
    s->answer = codec_x12_answer_build(&in, &s->answer_len);
    if (!s->answer) {
        intake_call_out_of_memory(call);
        return;
    }
    /* Remembered as "<owner>\n<answer>". */
    size_t olen = strlen(s->owner);
    char *value = malloc(olen + 1 + s->answer_len);
    if (!value ||
        (memcpy(value, s->owner, olen), value[olen] = '\n',
         memcpy(value + olen + 1, s->answer, s->answer_len),
         queue_x12_answer(call->app->redis, intake_call_key_prefix(call), s->key_hash, value,
                          olen + 1 + s->answer_len, on_answer_stored, call) != 0)) {
        free(value);
        log_warn("x12: the answer to an interchange was not remembered for replays");
        respond_x12(call, s->answer, s->answer_len, false);
        return;
    }
    free(value);
}

static void on_claim_stored(enum queue_intake_outcome outcome, const char *value, void *arg)
{
    (void)value;
    struct claim_ref *ref = arg;
    struct call *call = ref->call;
    struct x12_state *s = call->state;
    struct codec_x12_claim_result *res = &s->sets[ref->set].claims[ref->claim];
    if (outcome == QUEUE_INTAKE_CREATED) {
        res->accepted = true;
        s->stored++;
    } else {
        res->accepted = false;
        res->category = "A3";
        res->status = "21";
        res->entity = "";
        snprintf(res->text, sizeof res->text,
                 "the claim could not be stored: send it again in a new interchange");
        s->failed++;
    }
    free(ref);
    if (--s->pending == 0)
        finish(call);
}

/* The claim's family is known and its id drawn: hands it to the intake step. */
static void on_claim_placed(bool ok, const struct queue_member_ref *member_ref, void *arg)
{
    struct claim_ref *ref = arg;
    struct call *call = ref->call;
    struct x12_state *s = call->state;
    struct claim *claim = ref->parsed;
    ref->parsed = NULL;
    struct claims_store_request req = {
        .claim = claim,
        .claim_id = s->sets[ref->set].claims[ref->claim].claim_id,
        .received = ref->received,
        .target = intake_claims_target_date(call->app, ref->received),
        .idem_hash = NULL,
        .idem_value = NULL,
        .ref = member_ref,
    };
    /* intake_claims_store copies what it keeps: the parsed claim goes now. */
    bool stored = ok && intake_claims_store(call, &req, on_claim_stored, ref) == 0;
    free(claim);
    if (!stored)
        on_claim_stored(QUEUE_INTAKE_UNAVAILABLE, "", ref);
}

/* ---- the claims ---- */

static void reject(struct codec_x12_claim_result *res, const char *category, const char *status,
                   const char *entity, const char *text)
{
    res->accepted = false;
    res->category = category;
    res->status = status;
    res->entity = entity;
    snprintf(res->text, sizeof res->text, "%s", text);
}

/* Checks one mapped claim and hands it to the intake step. Returns -1 when
 * out of memory. */
static int submit_claim(struct call *call, int set, int index, struct claim *claim, date_t today)
{
    struct x12_state *s = call->state;
    struct codec_x12_837 *m = &s->sets[set].m;
    struct codec_x12_claim_in *in = &m->claims[index];
    struct codec_x12_claim_result *res = &s->sets[set].claims[index];
    if (!in->submission) {
        reject(res, in->reject_category, in->reject_status, in->reject_entity, in->reject_text);
        return 0;
    }
    struct codec_claim_options opt = {.may_set_received_date = false, .today = today};
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs)
        return -1;
    codec_field_errors_init(errs);
    bool ok = codec_parse_claim(in->submission, &opt, claim, errs);
    if (!ok) {
        const struct codec_field_error *e = &errs->items[0];
        char element[80], text[200];
        const char *status, *entity;
        codec_x12_837_element_of(errs->count ? e->field : "", m->institutional, element,
                                 sizeof element, &status, &entity);
        snprintf(text, sizeof text, "%s %s", element, errs->count ? e->problem : "is invalid");
        reject(res, "A7", status, entity, text);
        free(errs);
        return 0;
    }
    free(errs);
    if (call->who.role == AUTH_PROVIDER && strcmp(claim->provider.npi, call->who.npi) != 0) {
        reject(res, "A3", "24", "85", "2010AA NM109 is not the NPI of the submitting provider");
        return 0;
    }
    struct claim_ref *ref = malloc(sizeof *ref);
    struct claim *copy = malloc(sizeof *copy);
    if (!ref || !copy) {
        free(ref);
        free(copy);
        return -1;
    }
    *copy = *claim;
    *ref = (struct claim_ref){call, set, index, copy, today};
    if (intake_claims_place(call, copy->member_id, res->claim_id, on_claim_placed, ref) != 0) {
        free(copy);
        free(ref);
        return -1;
    }
    s->pending++;
    return 0;
}

static void process(struct call *call)
{
    struct x12_state *s = call->state;
    const struct codec_x12_interchange *ix = s->ix;
    s->sets = calloc((size_t)(ix->n_sets ? ix->n_sets : 1), sizeof *s->sets);
    struct claim *claim = malloc(sizeof *claim);
    if (!s->sets || !claim) {
        free(claim);
        give_up(call);
        return;
    }
    date_t today = date_today();
    /* One more than the claims handed over, so that no answer finishes the
     * call before every claim is handed over. */
    s->pending = 1;
    bool oom = false;
    for (int gi = 0; gi < ix->n_groups && !oom; gi++) {
        const struct codec_x12_group *g = &ix->groups[gi];
        if (g->ak9_code)
            continue;
        for (int k = 0; k < g->n_sets && !oom; k++) {
            int si = g->first_set + k;
            const struct codec_x12_set *t = &ix->sets[si];
            if (t->ik5_code)
                continue;
            if (codec_x12_837_read(&s->doc, t, &s->sets[si].m) != 0) {
                oom = true;
                break;
            }
            s->sets[si].read = true;
            if (!codec_x12_set_accepted(t, &s->sets[si]))
                continue;
            int n = s->sets[si].m.n_claims;
            s->sets[si].claims = calloc((size_t)(n ? n : 1), sizeof *s->sets[si].claims);
            if (!s->sets[si].claims) {
                oom = true;
                break;
            }
            for (int c = 0; c < n && !oom; c++)
                oom = submit_claim(call, si, c, claim, today) != 0;
        }
    }
    free(claim);
    if (oom) {
        /* Claims already handed over are answered later; count this as a failure. */
        s->failed++;
    }
    if (--s->pending == 0)
        finish(call);
}

/* ---- replays ---- */

static void on_key(enum queue_x12_claim st, const char *answer, size_t len, void *arg)
{
    struct call *call = arg;
    struct x12_state *s = call->state;
    switch (st) {
    case QUEUE_X12_CLAIMED:
        s->key_claimed = true;
        process(call);
        return;
    case QUEUE_X12_IN_PROGRESS:
        intake_http_add_header(call->req, "Retry-After", "1");
        intake_call_error(call, 409, "x12_in_progress",
                          "this interchange (sender and ISA13) is being answered: send it again "
                          "shortly to get the answer");
        return;
    case QUEUE_X12_UNAVAILABLE: intake_call_unavailable(call); return;
    case QUEUE_X12_ANSWERED: break;
    }
    const char *nl = memchr(answer, '\n', len);
    size_t olen = strlen(s->owner);
    if (!nl || (size_t)(nl - answer) != olen || memcmp(answer, s->owner, olen) != 0) {
        intake_call_error(call, 409, "x12_control_number_used",
                          "this sender's ISA13 was used by another submitter");
        return;
    }
    respond_x12(call, nl + 1, len - (size_t)(nl + 1 - answer), true);
}

/* ---- the request ---- */

static void post_authed(struct call *call)
{
    struct principal *who = &call->who;
    if (who->role != AUTH_PROVIDER && !intake_auth_is_staff(who)) {
        intake_call_forbidden(call);
        return;
    }
    if (!x12_content_type(intake_http_header_get(call->req, "content-type"))) {
        intake_call_error(call, 415, "unsupported_media_type",
                          "send the body as application/edi-x12");
        return;
    }
    struct x12_state *s = intake_call_state_new(call, sizeof *s, state_free);
    if (!s)
        return;
    if (who->role == AUTH_PROVIDER)
        snprintf(s->owner, sizeof s->owner, "npi:%s", who->npi);
    else
        snprintf(s->owner, sizeof s->owner, "staff");
    enum codec_x12_status st =
        codec_x12_tokenize(call->req->body, call->req->body_len, &s->doc, NULL);
    if (st == CODEC_X12_TOO_LARGE) {
        intake_call_error(call, 413, "too_large", codec_x12_status_text(st));
        return;
    }
    if (st == CODEC_X12_NO_MEMORY) {
        intake_call_out_of_memory(call);
        return;
    }
    if (st != CODEC_X12_OK) {
        intake_call_error(call, 400, "invalid_x12", codec_x12_status_text(st));
        return;
    }
    s->ix = malloc(sizeof *s->ix);
    if (!s->ix) {
        intake_call_out_of_memory(call);
        return;
    }
    answer_stamp(s);
    if (!codec_x12_envelope(&s->doc, s->ix)) {
        size_t len;
        char *ta1 = codec_x12_ta1_build(s->ix, &s->doc.d, s->control, s->date8, s->time4, &len);
        if (!ta1) {
            intake_call_out_of_memory(call);
            return;
        }
        s->answer = ta1;
        respond_x12(call, ta1, len, false);
        return;
    }
    char key[64];
    snprintf(key, sizeof key, "%s:%s:%s", s->ix->sender_qual, s->ix->sender, s->ix->control);
    queue_token_hash_hex(key, strlen(key), s->key_hash);
    if (queue_x12_claim(call->app->redis, intake_call_key_prefix(call), s->key_hash,
                        X12_PENDING_TTL_SECONDS, on_key, call) != 0)
        intake_call_unavailable(call);
}

void intake_x12_post(struct call *call)
{
    intake_call_authenticate(call, post_authed);
}
