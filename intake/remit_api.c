#include "remit_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "eob/x835.h"
#include "log.h"
#include "json_values.h"
#include "money.h"
#include "queue/claims_read.h"
#include "queue/remit.h"

#define EDI_CONTENT_TYPE "application/edi-x12"
#define CYCLE_ID_LEN 32
#define MAX_CYCLES_READ 1000

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* The same, "" when absent. */
static const char *text_of(struct json_object *o, const char *key)
{
    const char *s = str_of(o, key);
    return s ? s : "";
}

static int64_t int_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
               ? json_object_get_int64(v)
               : 0;
}

/* A list member of a stored cycle record; Lua writes an empty list as {}. */
static struct json_object *list_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v
                                                                                            : NULL;
}

static size_t list_len(struct json_object *list)
{
    return list ? json_object_array_length(list) : 0;
}

static bool valid_npi(const char *s)
{
    if (strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool valid_cycle_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 10 || n >= CYCLE_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (i == 8 && s[i] == '-')))
            return false;
    return s[8] == '-';
}

/* The payee entry of npi in a summary, or NULL. */
static struct json_object *payee_in(struct json_object *summary, const char *npi)
{
    struct json_object *payees = list_of(summary, "payees");
    for (size_t i = 0; i < list_len(payees); i++) {
        struct json_object *p = json_object_array_get_idx(payees, i);
        const char *n = str_of(p, "npi");
        if (n && strcmp(n, npi) == 0)
            return p;
    }
    return NULL;
}

/* The summaries parsed, sorted by cycle number. */
struct cycles {
    struct json_object **s;
    size_t n;
};

static int by_seq(const void *a, const void *b)
{
    int64_t x = int_of(*(struct json_object *const *)a, "seq");
    int64_t y = int_of(*(struct json_object *const *)b, "seq");
    return x < y ? -1 : x > y;
}

static bool cycles_parse(struct cycles *c, const char *const *texts, size_t n)
{
    c->s = calloc(n + 1, sizeof *c->s);
    c->n = 0;
    if (!c->s)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = texts[i] ? json_tokener_parse(texts[i]) : NULL;
        if (o && json_object_is_type(o, json_type_object))
            c->s[c->n++] = o;
        else if (o)
            json_object_put(o);
    }
    qsort(c->s, c->n, sizeof *c->s, by_seq);
    return true;
}

static void cycles_free(struct cycles *c)
{
    for (size_t i = 0; i < c->n; i++)
        json_object_put(c->s[i]);
    free(c->s);
    c->s = NULL;
    c->n = 0;
}

/* ---- GET /v1/remittances (the list) ---- */

static struct json_object *payee_view(struct json_object *p)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "npi", json_object_new_string(text_of(p, "npi")));
    json_object_object_add(o, "claims", json_object_new_int64(int_of(p, "claims")));
    json_object_object_add(o, "total", json_money(int_of(p, "total")));
    return o;
}

static void on_cycles_for_list(enum queue_status st, const char *const *texts, size_t n, void *arg)
{
    struct call *call = arg;
    struct cycles c;
    if (st != QUEUE_OK || !cycles_parse(&c, texts, n)) {
        intake_call_unavailable(call);
        return;
    }
    bool staff = intake_auth_is_staff(&call->who);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < c.n; i++) {
        struct json_object *s = c.s[i];
        struct json_object *own = staff ? NULL : payee_in(s, call->who.npi);
        if (!staff && !own)
            continue;
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "cycle_id", json_object_new_string(text_of(s, "cycle_id")));
        json_object_object_add(o, "date", json_object_new_string(text_of(s, "date")));
        json_object_object_add(o, "created_at", json_object_new_string(text_of(s, "created_at")));
        struct json_object *payees = json_object_new_array();
        if (staff) {
            json_object_object_add(o, "claims", json_object_new_int64(int_of(s, "claims")));
            json_object_object_add(o, "total", json_money(int_of(s, "total")));
            json_object_object_add(o, "member_claims",
                                   json_object_new_int64(int_of(s, "member_claims")));
            json_object_object_add(o, "member_total", json_money(int_of(s, "member_total")));
            struct json_object *all = list_of(s, "payees");
            for (size_t k = 0; k < list_len(all); k++)
                json_object_array_add(payees, payee_view(json_object_array_get_idx(all, k)));
        } else {
            /* A provider sees its own payment only. */
            json_object_object_add(o, "claims", json_object_new_int64(int_of(own, "claims")));
            json_object_object_add(o, "total", json_money(int_of(own, "total")));
            json_object_array_add(payees, payee_view(own));
        }
        json_object_object_add(o, "payees", payees);
        json_object_array_add(list, o);
    }
    cycles_free(&c);
    struct json_object *body = json_object_new_object();
    json_object_object_add(body, "cycles", list);
    intake_call_json(call, 200, body);
}

/* ---- GET /v1/remittances?npi=…&date=… (the 835) ---- */

struct fetch {
    struct call *call;
    size_t i;
};

struct remit_claim {
    size_t cycle; /* index in the state's cycles */
    char id[CLAIM_ID_LEN];
    struct json_object *view; /* {"claim_id", "submitted", "decision"} */
};

struct edi_state {
    char npi[32], date[32], cycle_id[CYCLE_ID_LEN]; /* as get_authed checked them */
    struct cycles cycles;                           /* the date's cycles paying npi */
    struct remit_claim *claims;
    struct fetch *fetches;
    size_t n_claims, waiting, audited;
    bool failed;
};

static void edi_state_free(void *p)
{
    struct edi_state *es = p;
    if (!es)
        return;
    cycles_free(&es->cycles);
    for (size_t i = 0; i < es->n_claims; i++)
        if (es->claims[i].view)
            json_object_put(es->claims[i].view);
    free(es->claims);
    free(es->fetches);
    free(es);
}

static void edi_answer(struct call *call)
{
    struct edi_state *es = call->state;
    const struct config_payment_cycle *pc = &call->app->cfg.payment_cycle;
    struct eob_x835_payer payer = {pc->payer_name, pc->payer_id,    pc->payer_address,
                                   pc->payer_city, pc->payer_state, pc->payer_zip,
                                   pc->payer_phone};
    size_t np = es->cycles.n;
    struct eob_x835_payment *payments = calloc(np + 1, sizeof *payments);
    struct json_object **views = calloc(es->n_claims + 1, sizeof *views);
    char(*traces)[64] = calloc(np + 1, sizeof *traces);
    if (!payments || !views || !traces) {
        free(payments);
        free(views);
        free(traces);
        intake_call_out_of_memory(call);
        return;
    }
    /* The claims are in cycle order: each cycle's run is one payment. */
    size_t k = 0;
    for (size_t c = 0; c < np; c++) {
        struct json_object *s = es->cycles.s[c];
        snprintf(traces[c], sizeof traces[c], "%s-%s", str_of(s, "cycle_id"), es->npi);
        payments[c] = (struct eob_x835_payment){
            .trace = traces[c], .date = es->date, .npi = es->npi, .claims = views + k};
        while (k < es->n_claims && es->claims[k].cycle == c) {
            views[k] = es->claims[k].view;
            k++;
            payments[c].n_claims++;
        }
    }
    struct json_object *last = es->cycles.s[np - 1];
    struct eob_x835_interchange ix = {
        .payer = &payer,
        .receiver = es->npi,
        .control_number = (long)(int_of(last, "seq") % 1000000000),
        .created_at = str_of(last, "created_at"),
        .payments = payments,
        .n_payments = np,
    };
    char err[EOB_X835_ERR_LEN];
    char *text = eob_x835_build(&ix, err);
    free(payments);
    free(views);
    free(traces);
    if (!text) {
        log_error("835 not built request_id=%s: %s", call->req->request_id, err);
        intake_call_error(call, 500, "internal", "the remittance could not be built");
        return;
    }
    intake_call_respond(call, 200, EDI_CONTENT_TYPE, text, strlen(text));
    free(text);
}

/* Each claim's read is audited, as any read of a claim (it carries PHI). */
static void edi_audited(struct call *call)
{
    struct edi_state *es = call->state;
    if (!intake_call_audited(call))
        return;
    if (es->audited < es->n_claims) {
        intake_call_audit(call, es->claims[es->audited++].id, "remittance.read", edi_audited);
        return;
    }
    edi_answer(call);
}

/* One claim read is over (answered, not sent, or the +1 released): when
 * none is left waiting, 503 if one failed, else each claim's read is audited. */
static void edi_fetched(struct call *call)
{
    struct edi_state *es = call->state;
    if (--es->waiting > 0)
        return;
    if (es->failed) {
        intake_call_unavailable(call);
        return;
    }
    es->audited = 1;
    intake_call_audit(call, es->claims[0].id, "remittance.read", edi_audited);
}

static void on_claim_for_edi(enum queue_status st, const struct queue_claim *claim, void *arg)
{
    struct fetch *f = arg;
    struct call *call = f->call;
    struct edi_state *es = call->state;
    if (st != QUEUE_OK || !claim || !claim->submitted || !claim->decision) {
        es->failed = true;
    } else {
        struct json_object *v = json_object_new_object();
        json_object_object_add(v, "claim_id", json_object_new_string(es->claims[f->i].id));
        json_object_object_add(v, "submitted", json_object_get(claim->submitted));
        json_object_object_add(v, "decision", json_object_get(claim->decision));
        es->claims[f->i].view = v;
    }
    edi_fetched(call);
}

static void on_cycle_claims_for_edi(enum queue_status st, const char *const *texts, size_t n,
                                    void *arg)
{
    struct call *call = arg;
    struct edi_state *es = call->state;
    if (st != QUEUE_OK || n != es->cycles.n) {
        intake_call_unavailable(call);
        return;
    }
    /* Count, then collect this NPI's claim ids, cycle by cycle. */
    struct json_object **recs = calloc(n + 1, sizeof *recs);
    if (!recs) {
        intake_call_out_of_memory(call);
        return;
    }
    size_t total = 0;
    for (size_t c = 0; c < n; c++) {
        recs[c] = texts[c] ? json_tokener_parse(texts[c]) : NULL;
        struct json_object *p = recs[c] ? payee_in(recs[c], es->npi) : NULL;
        total += list_len(p ? list_of(p, "claims") : NULL);
    }
    es->claims = calloc(total + 1, sizeof *es->claims);
    es->fetches = calloc(total + 1, sizeof *es->fetches);
    bool ok = es->claims && es->fetches;
    for (size_t c = 0; ok && c < n; c++) {
        struct json_object *p = recs[c] ? payee_in(recs[c], es->npi) : NULL;
        struct json_object *ids = p ? list_of(p, "claims") : NULL;
        for (size_t i = 0; i < list_len(ids); i++) {
            struct remit_claim *rc = &es->claims[es->n_claims++];
            rc->cycle = c;
            snprintf(rc->id, sizeof rc->id, "%s",
                     json_object_get_string(json_object_array_get_idx(ids, i)));
        }
    }
    for (size_t c = 0; c < n; c++)
        if (recs[c])
            json_object_put(recs[c]);
    free(recs);
    if (!ok) {
        intake_call_out_of_memory(call);
        return;
    }
    if (es->n_claims == 0) {
        intake_call_not_found(call);
        return;
    }
    es->waiting = es->n_claims + 1; /* the +1 is released below, after every send */
    for (size_t i = 0; i < es->n_claims; i++) {
        es->fetches[i] = (struct fetch){call, i};
        if (queue_get_claim(call->app->redis, intake_call_key_prefix(call), es->claims[i].id,
                            on_claim_for_edi, &es->fetches[i]) != 0) {
            es->failed = true;
            es->waiting--;
        }
    }
    /* Release the +1: answers if every reply came already (or none was sent). */
    edi_fetched(call);
}

static void on_cycles_for_edi(enum queue_status st, const char *const *texts, size_t n, void *arg)
{
    struct call *call = arg;
    struct edi_state *es = call->state;
    struct cycles all;
    if (st != QUEUE_OK || !cycles_parse(&all, texts, n)) {
        intake_call_unavailable(call);
        return;
    }
    es->cycles.s = calloc(all.n + 1, sizeof *es->cycles.s);
    if (!es->cycles.s) {
        cycles_free(&all);
        intake_call_out_of_memory(call);
        return;
    }
    for (size_t i = 0; i < all.n; i++) {
        struct json_object *s = all.s[i];
        const char *date = str_of(s, "date"), *id = str_of(s, "cycle_id");
        if (date && id && strcmp(date, es->date) == 0 && payee_in(s, es->npi) &&
            (!es->cycle_id[0] || strcmp(id, es->cycle_id) == 0) && es->cycles.n < MAX_CYCLES_READ) {
            es->cycles.s[es->cycles.n++] = s;
            all.s[i] = NULL;
        }
    }
    for (size_t i = 0; i < all.n; i++)
        if (all.s[i])
            json_object_put(all.s[i]);
    free(all.s);
    if (es->cycles.n == 0) {
        intake_call_not_found(call);
        return;
    }
    const char **ids = calloc(es->cycles.n + 1, sizeof *ids);
    if (!ids) {
        intake_call_out_of_memory(call);
        return;
    }
    for (size_t i = 0; i < es->cycles.n; i++)
        ids[i] = str_of(es->cycles.s[i], "cycle_id");
    int rc = queue_remit_cycle_claims(call->app->redis, intake_call_key_prefix(call), ids,
                                      es->cycles.n, on_cycle_claims_for_edi, call);
    free(ids);
    if (rc != 0)
        intake_call_unavailable(call);
}

static void edi_start(struct call *call, const char *npi, const char *date, const char *cycle_id)
{
    /* A provider reads its own NPI's remittance only; another's is answered
     * as if it did not exist, like another party's claim. */
    if (!intake_auth_is_staff(&call->who) && strcmp(call->who.npi, npi) != 0) {
        intake_call_not_found(call);
        return;
    }
    struct edi_state *es = intake_call_state_new(call, sizeof *es, edi_state_free);
    if (!es)
        return;
    snprintf(es->npi, sizeof es->npi, "%s", npi);
    snprintf(es->date, sizeof es->date, "%s", date);
    snprintf(es->cycle_id, sizeof es->cycle_id, "%s", cycle_id);
    if (queue_remit_cycles(call->app->redis, intake_call_key_prefix(call), on_cycles_for_edi,
                           call) != 0)
        intake_call_unavailable(call);
}

static void get_authed(struct call *call)
{
    if (!intake_auth_is_staff(&call->who) && call->who.role != AUTH_PROVIDER) {
        intake_call_forbidden(call);
        return;
    }
    char npi[32], date[32], cycle_id[CYCLE_ID_LEN];
    int has_npi = intake_http_query_get(call->req, "npi", npi, sizeof npi);
    int has_date = intake_http_query_get(call->req, "date", date, sizeof date);
    int has_cycle = intake_http_query_get(call->req, "cycle_id", cycle_id, sizeof cycle_id);
    date_t d;
    if (has_npi < 0 || (has_npi && !valid_npi(npi))) {
        intake_call_error(call, 422, "validation_failed", "npi must be 10 digits");
        return;
    }
    if (has_date < 0 || (has_date && (strlen(date) != 10 || !date_parse(date, &d)))) {
        intake_call_error(call, 422, "validation_failed", "date must be a date YYYY-MM-DD");
        return;
    }
    if (has_cycle < 0 || (has_cycle && !valid_cycle_id(cycle_id))) {
        intake_call_error(call, 422, "validation_failed", "cycle_id is not a cycle id");
        return;
    }
    if (has_npi != has_date || (has_cycle && !has_npi)) {
        intake_call_error(call, 422, "validation_failed",
                          "npi and date go together (the 835 of that payee on that date)");
        return;
    }
    if (has_npi) {
        edi_start(call, npi, date, has_cycle ? cycle_id : "");
        return;
    }
    if (queue_remit_cycles(call->app->redis, intake_call_key_prefix(call), on_cycles_for_list,
                           call) != 0)
        intake_call_unavailable(call);
}

void intake_remit_get(struct call *call)
{
    intake_call_authenticate(call, get_authed);
}

/* ---- POST /v1/remittances/run ---- */

static void on_closed(enum queue_status st, const char *summary, void *arg)
{
    struct call *call = arg;
    struct json_object *s = st == QUEUE_OK && summary ? json_tokener_parse(summary) : NULL;
    if (!s) {
        intake_call_unavailable(call);
        return;
    }
    log_info("payment cycle %s closed by request_id=%s: %lld provider claims, %lld member claims",
             str_of(s, "cycle_id"), call->req->request_id, (long long)int_of(s, "claims"),
             (long long)int_of(s, "member_claims"));
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "cycle_id", json_object_new_string(text_of(s, "cycle_id")));
    json_object_object_add(o, "date", json_object_new_string(text_of(s, "date")));
    json_object_object_add(o, "claims", json_object_new_int64(int_of(s, "claims")));
    json_object_object_add(o, "total", json_money(int_of(s, "total")));
    json_object_put(s);
    intake_call_json(call, 201, o);
}

static void run_audited(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    char now[32], today[DATE_STRLEN];
    rfc3339_now(now);
    date_format(date_today_utc(), today); /* a cycle's day is UTC (docs/x12.md) */
    if (queue_remit_close(call->app->redis, intake_call_key_prefix(call), today, now, false,
                          on_closed, call) != 0)
        intake_call_unavailable(call);
}

static void run_authed(struct call *call)
{
    if (!intake_call_require_staff(call))
        return;
    intake_call_audit(call, NULL, "remittance.run", run_audited);
}

void intake_remit_run(struct call *call)
{
    intake_call_authenticate(call, run_authed);
}

/* ---- GET /v1/remittances/{cycle_id}/members ---- */

static void on_members(enum queue_status st, const char *const *texts, size_t n, void *arg)
{
    struct call *call = arg;
    if (st != QUEUE_OK || n != 1) {
        intake_call_unavailable(call);
        return;
    }
    struct json_object *rec = texts[0] ? json_tokener_parse(texts[0]) : NULL;
    if (!rec) {
        intake_call_not_found(call);
        return;
    }
    struct json_object *members = list_of(rec, "members");
    struct json_object *payments = json_object_new_array();
    cents_t total = 0;
    for (size_t i = 0; i < list_len(members); i++) {
        struct json_object *m = json_object_array_get_idx(members, i);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "claim_id", json_object_new_string(text_of(m, "claim_id")));
        json_object_object_add(o, "member_id", json_object_new_string(text_of(m, "member_id")));
        json_object_object_add(o, "amount", json_money(int_of(m, "amount")));
        total += int_of(m, "amount");
        json_object_array_add(payments, o);
    }
    json_object_put(rec);
    struct json_object *body = json_object_new_object();
    json_object_object_add(body, "cycle_id", json_object_new_string(call->path_id));
    json_object_object_add(body, "claims",
                           json_object_new_int64((int64_t)json_object_array_length(payments)));
    json_object_object_add(body, "total", json_money(total));
    json_object_object_add(body, "payments", payments);
    intake_call_json(call, 200, body);
}

static void members_audited(struct call *call)
{
    if (!intake_call_audited(call))
        return;
    const char *ids[1] = {call->path_id};
    if (queue_remit_cycle_claims(call->app->redis, intake_call_key_prefix(call), ids, 1, on_members,
                                 call) != 0)
        intake_call_unavailable(call);
}

static void members_authed(struct call *call)
{
    if (!intake_auth_is_staff(&call->who)) {
        intake_call_not_found(call);
        return;
    }
    if (!valid_cycle_id(call->path_id)) {
        intake_call_not_found(call);
        return;
    }
    /* The list names members: reading it is recorded. */
    intake_call_audit(call, NULL, "remittance.members.read", members_audited);
}

void intake_remit_members(struct call *call)
{
    intake_call_authenticate(call, members_authed);
}
