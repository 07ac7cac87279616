#include "x835.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob_internal.h"

#define MAX_ADJ 64 /* adjustments of one claim or line, by group and CARC */

const char *eob_x835_amount(cents_t amount, char buf[EOB_X835_AMOUNT_LEN])
{
    bool negative = amount < 0;
    unsigned long long a =
        negative ? 0ULL - (unsigned long long)amount : (unsigned long long)amount;
    unsigned long long whole = a / 100, cents = a % 100;
    if (cents == 0)
        snprintf(buf, EOB_X835_AMOUNT_LEN, "%s%llu", negative ? "-" : "", whole);
    else if (cents % 10 == 0)
        snprintf(buf, EOB_X835_AMOUNT_LEN, "%s%llu.%llu", negative ? "-" : "", whole, cents / 10);
    else
        snprintf(buf, EOB_X835_AMOUNT_LEN, "%s%llu.%02llu", negative ? "-" : "", whole, cents);
    return buf;
}

const char *eob_x835_claim_status(const struct json_object *decision)
{
    const char *outcome = eob_get_str(decision, "outcome");
    if (outcome && strcmp(outcome, "denied") == 0)
        return "4";
    const char *cob = eob_get_str(decision, "cob_position");
    return cob && strcmp(cob, "secondary") == 0 ? "2" : "1";
}

const char *eob_x835_patient_control_number(const struct json_object *claim)
{
    struct json_object *sub = eob_get(claim, "submitted", json_type_object);
    const char *pcn = eob_get_str(sub, "patient_control_number");
    return pcn && pcn[0] ? pcn : eob_get_str(claim, "claim_id");
}

/* ---- writing ---- */

struct w {
    struct eob_buf b;
    int segments; /* since ST */
};

/* c, or a space for a delimiter (* : ^ ~) or a control character. */
static char safe_char(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 0x20 || u == 0x7f || c == '*' || c == ':' || c == '^' || c == '~' ? ' ' : c;
}

/* Appends an element value, delimiters made spaces, at most max characters. */
static void add_value(struct eob_buf *b, const char *s, size_t max)
{
    for (size_t n = 0; s && *s && n < max; s++, n++) {
        char out = safe_char(*s);
        eob_buf_addn(b, &out, 1);
    }
}

/* Starts a segment: its id. */
static void seg(struct w *w, const char *id)
{
    eob_buf_add(&w->b, id);
    w->segments++;
}

/* One element: the separator and the value (cut to max). */
static void el(struct w *w, const char *v, size_t max)
{
    eob_buf_add(&w->b, "*");
    add_value(&w->b, v, max);
}

static void el_amount(struct w *w, cents_t amount)
{
    char buf[EOB_X835_AMOUNT_LEN];
    el(w, eob_x835_amount(amount, buf), 18);
}

static void end(struct w *w)
{
    eob_buf_add(&w->b, "~\n");
}

/* "YYYY-MM-DD" → "YYYYMMDD". */
static void compact_date(const char *date, char out[9])
{
    snprintf(out, 9, "%.4s%.2s%.2s", date ? date : "", date && strlen(date) >= 7 ? date + 5 : "",
             date && strlen(date) >= 10 ? date + 8 : "");
}

/* ---- adjustments ---- */

struct adj {
    char group[4];
    char carc[8];
    cents_t amount;
};

/* Reads a "codes" list [{"group","carc","amount"}] adding into adj[] by
 * group and CARC (order of first appearance) with sign. */
static bool add_codes(const struct json_object *codes, struct adj *adj, int *n, int sign)
{
    if (!codes)
        return true;
    size_t len = json_object_array_length(codes);
    for (size_t i = 0; i < len; i++) {
        struct json_object *c = json_object_array_get_idx(codes, i);
        const char *g = eob_get_str(c, "group"), *carc = eob_get_str(c, "carc");
        cents_t amount;
        if (!g || !carc || !eob_get_money(c, "amount", &amount) || strlen(g) > 3 ||
            strlen(carc) > 7)
            return false;
        int k = 0;
        while (k < *n && !(strcmp(adj[k].group, g) == 0 && strcmp(adj[k].carc, carc) == 0))
            k++;
        if (k == *n) {
            if (*n >= MAX_ADJ)
                return false;
            snprintf(adj[k].group, sizeof adj[k].group, "%s", g);
            snprintf(adj[k].carc, sizeof adj[k].carc, "%s", carc);
            adj[k].amount = 0;
            (*n)++;
        }
        adj[k].amount += sign * amount;
    }
    return true;
}

/* CAS segments: per group (order of first appearance), at most six
 * reason/amount pairs each; zero amounts are left out. */
static void write_cas(struct w *w, const struct adj *adj, int n)
{
    bool done[MAX_ADJ] = {false};
    for (int i = 0; i < n; i++) {
        if (done[i])
            continue;
        int in_seg = 0;
        for (int k = i; k < n; k++) {
            if (done[k] || strcmp(adj[k].group, adj[i].group) != 0)
                continue;
            done[k] = true;
            if (adj[k].amount == 0)
                continue;
            if (in_seg == 6) {
                end(w);
                in_seg = 0;
            }
            if (in_seg == 0) {
                seg(w, "CAS");
                el(w, adj[i].group, 2);
            }
            el(w, adj[k].carc, 5);
            el_amount(w, adj[k].amount);
            if (in_seg < 5)
                el(w, "", 0); /* the quantity, none */
            in_seg++;
        }
        if (in_seg > 0) {
            /* No trailing empty element: drop the last "*". */
            if (w->b.len > 0 && w->b.data && w->b.data[w->b.len - 1] == '*')
                w->b.data[--w->b.len] = '\0';
            end(w);
        }
    }
}

static void write_remarks_lq(struct w *w, const struct json_object *remarks)
{
    size_t n = remarks ? json_object_array_length(remarks) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = json_object_get_string(json_object_array_get_idx(remarks, i));
        if (!r || !r[0])
            continue;
        seg(w, "LQ");
        el(w, "HE", 2);
        el(w, r, 30);
        end(w);
    }
}

/* Whether remark r is among a line's remarks. */
static bool on_some_line(const struct json_object *lines, const char *r)
{
    size_t n = lines ? json_object_array_length(lines) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *rm =
            eob_get(json_object_array_get_idx(lines, i), "remarks", json_type_array);
        size_t m = rm ? json_object_array_length(rm) : 0;
        for (size_t k = 0; k < m; k++) {
            const char *t = json_object_get_string(json_object_array_get_idx(rm, k));
            if (t && strcmp(t, r) == 0)
                return true;
        }
    }
    return false;
}

/* ---- one claim (loop 2100 and its 2110 lines) ---- */

/* What a claim's 835 loop is written from, read from its stored record. */
struct claim_in {
    const char *id;
    struct json_object *sub, *dec, *dlines, *slines;
    cents_t charge, paid, patient;
    size_t n_lines;
};

/* Reads the stored claim into c: false with the error when it is not
 * readable, not final, or its decision and submission lines differ. */
static bool read_claim(const struct json_object *claim, struct claim_in *c,
                       char err[EOB_X835_ERR_LEN])
{
    c->id = eob_get_str(claim, "claim_id");
    c->sub = eob_get(claim, "submitted", json_type_object);
    c->dec = eob_get(claim, "decision", json_type_object);
    const char *outcome = eob_get_str(c->dec, "outcome");
    c->dlines = eob_get(c->dec, "lines", json_type_array);
    c->slines = eob_get(c->sub, "lines", json_type_array);
    if (!c->id || !c->sub || !c->dec || !outcome || !c->dlines || !c->slines ||
        !eob_get_money(c->dec, "total_charge", &c->charge) ||
        !eob_get_money(c->dec, "plan_paid", &c->paid) ||
        !eob_get_money(c->dec, "patient_responsibility", &c->patient)) {
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: the stored record is not readable",
                 c->id ? c->id : "?");
        return false;
    }
    if (strcmp(outcome, "approved") != 0 && strcmp(outcome, "denied") != 0) {
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s is not final", c->id);
        return false;
    }
    c->n_lines = json_object_array_length(c->dlines);
    if (c->n_lines != json_object_array_length(c->slines)) {
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: decision and submission lines differ", c->id);
        return false;
    }
    return true;
}

/* Claim-level CAS: the decision's codes less what its lines carry; false
 * with the error when the codes are not readable. */
static bool claim_adjustments(const struct claim_in *c, struct adj *adj, int *n_adj,
                              char err[EOB_X835_ERR_LEN])
{
    *n_adj = 0;
    bool ok = add_codes(eob_get(c->dec, "codes", json_type_array), adj, n_adj, 1);
    for (size_t i = 0; ok && i < c->n_lines; i++)
        ok = add_codes(eob_get(json_object_array_get_idx(c->dlines, i), "codes", json_type_array),
                       adj, n_adj, -1);
    if (!ok)
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: unreadable adjustment codes", c->id);
    return ok;
}

/* CLP, the claim's CAS and the patient's NM1. */
static void write_claim_head(struct w *w, const struct json_object *claim, const struct claim_in *c,
                             const struct adj *adj, int n_adj)
{
    seg(w, "CLP");
    el(w, eob_x835_patient_control_number(claim), 38);
    el(w, eob_x835_claim_status(c->dec), 2);
    el_amount(w, c->charge);
    el_amount(w, c->paid);
    el_amount(w, c->patient);
    el(w, "CI", 2); /* claim filing indicator: commercial insurance */
    el(w, c->id, 50);
    end(w);
    write_cas(w, adj, n_adj);

    struct json_object *pat = eob_get(c->sub, "patient", json_type_object);
    seg(w, "NM1");
    el(w, "QC", 2);
    el(w, "1", 1);
    el(w, eob_get_str(pat, "last_name"), 60);
    el(w, eob_get_str(pat, "first_name"), 35);
    el(w, "", 0);
    el(w, "", 0);
    el(w, "", 0);
    el(w, "MI", 2);
    el(w, eob_get_str(c->sub, "member_id"), 80);
    end(w);
}

/* Claim remarks no line carries: MOA (outpatient adjudication). */
static void write_moa(struct w *w, const struct claim_in *c)
{
    struct json_object *remarks = eob_get(c->dec, "remarks", json_type_array);
    size_t n_rem = remarks ? json_object_array_length(remarks) : 0;
    const char *moa[5];
    int n_moa = 0;
    for (size_t i = 0; i < n_rem && n_moa < 5; i++) {
        const char *r = json_object_get_string(json_object_array_get_idx(remarks, i));
        if (r && r[0] && !on_some_line(c->dlines, r))
            moa[n_moa++] = r;
    }
    if (n_moa > 0) {
        seg(w, "MOA");
        el(w, "", 0);
        el(w, "", 0);
        for (int i = 0; i < n_moa; i++)
            el(w, moa[i], 30);
        end(w);
    }
}

/* SVC: the procedure with its modifiers, charge, payment and units. */
static void write_svc(struct w *w, const struct json_object *sl, const char *code, cents_t charge,
                      cents_t paid)
{
    int64_t units = 1;
    eob_get_int(sl, "units", &units);
    seg(w, "SVC");
    eob_buf_add(&w->b, "*HC:");
    add_value(&w->b, code, 48);
    struct json_object *mods = eob_get(sl, "modifiers", json_type_array);
    size_t n_mods = mods ? json_object_array_length(mods) : 0;
    for (size_t k = 0; k < n_mods && k < 4; k++) {
        eob_buf_add(&w->b, ":");
        add_value(&w->b, json_object_get_string(json_object_array_get_idx(mods, k)), 2);
    }
    el_amount(w, charge);
    el_amount(w, paid);
    el(w, "", 0);
    char u[24];
    snprintf(u, sizeof u, "%lld", (long long)units);
    el(w, u, 15);
    end(w);
}

/* Line i's loop 2110: SVC, DTM, CAS, REF, AMT, LQ; false with the error
 * when the line is not readable. */
static bool write_service_line(struct w *w, const struct claim_in *c, size_t i,
                               char err[EOB_X835_ERR_LEN])
{
    struct json_object *dl = json_object_array_get_idx(c->dlines, i);
    struct json_object *sl = json_object_array_get_idx(c->slines, i);
    cents_t lcharge, lpaid, allowed;
    const char *code = eob_get_str(sl, "procedure_code");
    const char *date = eob_get_str(dl, "service_date");
    if (!code || !date || !eob_get_money(dl, "charge", &lcharge) ||
        !eob_get_money(dl, "plan_paid", &lpaid) || !eob_get_money(dl, "allowed", &allowed)) {
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: line %zu is not readable", c->id, i + 1);
        return false;
    }
    struct adj line_adj[MAX_ADJ];
    int n_line_adj = 0;
    if (!add_codes(eob_get(dl, "codes", json_type_array), line_adj, &n_line_adj, 1)) {
        snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: line %zu codes are not readable", c->id,
                 i + 1);
        return false;
    }
    write_svc(w, sl, code, lcharge, lpaid);
    char d8[9];
    compact_date(date, d8);
    seg(w, "DTM");
    el(w, "472", 3);
    el(w, d8, 8);
    end(w);
    write_cas(w, line_adj, n_line_adj);
    char ref[24];
    snprintf(ref, sizeof ref, "%zu", i + 1);
    seg(w, "REF");
    el(w, "6R", 2);
    el(w, ref, 50);
    end(w);
    seg(w, "AMT");
    el(w, "B6", 2);
    el_amount(w, allowed);
    end(w);
    write_remarks_lq(w, eob_get(dl, "remarks", json_type_array));
    return true;
}

/* One claim's loop 2100 and its lines; *paid_out is its payment. False
 * with the error when the stored claim cannot be written. */
static bool write_claim(struct w *w, const struct json_object *claim, cents_t *paid_out,
                        char err[EOB_X835_ERR_LEN])
{
    struct claim_in c;
    if (!read_claim(claim, &c, err))
        return false;
    struct adj claim_adj[MAX_ADJ];
    int n_claim_adj;
    if (!claim_adjustments(&c, claim_adj, &n_claim_adj, err))
        return false;
    write_claim_head(w, claim, &c, claim_adj, n_claim_adj);
    write_moa(w, &c);
    for (size_t i = 0; i < c.n_lines; i++)
        if (!write_service_line(w, &c, i, err))
            return false;
    *paid_out = c.paid;
    return true;
}

/* ---- one transaction (ST…SE) ---- */

/* The payment's total, Σ of its claims' plan_paid; false with the error
 * when a stored claim is not readable. */
static bool payment_total(const struct eob_x835_payment *p, cents_t *total,
                          char err[EOB_X835_ERR_LEN])
{
    *total = 0;
    for (size_t i = 0; i < p->n_claims; i++) {
        cents_t paid;
        struct json_object *dec = eob_get(p->claims[i], "decision", json_type_object);
        if (!eob_get_money(dec, "plan_paid", &paid)) {
            const char *id = eob_get_str(p->claims[i], "claim_id");
            snprintf(err, EOB_X835_ERR_LEN, "claim %.40s: the stored record is not readable",
                     id ? id : "?");
            return false;
        }
        *total += paid;
    }
    return true;
}

/* ST, BPR, TRN and the production date's DTM. */
static void write_payment_head(struct w *w, const struct eob_x835_payment *p, const char *payer_id,
                               const char *st, const char *d8, cents_t total)
{
    w->segments = 0;
    seg(w, "ST");
    el(w, "835", 3);
    el(w, st, 9);
    el(w, "005010X221A1", 35);
    end(w);
    /* BPR: remittance information only (I); H, notification only, when
     * nothing is paid. A check (CHK) needs no bank fields. */
    seg(w, "BPR");
    el(w, total > 0 ? "I" : "H", 1);
    el_amount(w, total);
    el(w, "C", 1);
    el(w, total > 0 ? "CHK" : "NON", 3);
    for (int i = 5; i <= 15; i++)
        el(w, "", 0);
    el(w, d8, 8);
    end(w);
    seg(w, "TRN");
    el(w, "1", 2);
    el(w, p->trace, 50);
    el(w, payer_id, 10);
    end(w);
    seg(w, "DTM");
    el(w, "405", 3);
    el(w, d8, 8);
    end(w);
}

/* The payer (loop 1000A): N1, N3, N4, PER. */
static void write_payer(struct w *w, const struct eob_x835_payer *payer)
{
    seg(w, "N1");
    el(w, "PR", 2);
    el(w, payer->name, 60);
    end(w);
    seg(w, "N3");
    el(w, payer->address, 55);
    end(w);
    seg(w, "N4");
    el(w, payer->city, 30);
    el(w, payer->state, 2);
    el(w, payer->zip, 15);
    end(w);
    seg(w, "PER");
    el(w, "BL", 2);
    el(w, payer->name, 60);
    el(w, "TE", 2);
    el(w, payer->phone, 256);
    end(w);
}

/* The payee (loop 1000B, N1) and the header number (LX) when there are claims. */
static void write_payee(struct w *w, const struct eob_x835_payment *p)
{
    struct json_object *sub0 =
        p->n_claims ? eob_get(p->claims[0], "submitted", json_type_object) : NULL;
    seg(w, "N1");
    el(w, "PE", 2);
    el(w, eob_get_str(eob_get(sub0, "provider", json_type_object), "name"), 60);
    el(w, "XX", 2);
    el(w, p->npi, 80);
    end(w);
    if (p->n_claims > 0) {
        seg(w, "LX");
        el(w, "1", 6);
        end(w);
    }
}

/* One payment's transaction set, ST to SE; false with the error when a
 * stored claim cannot be written. */
static bool write_payment(struct w *w, const struct eob_x835_interchange *ix,
                          const struct eob_x835_payment *p, int st_number,
                          char err[EOB_X835_ERR_LEN])
{
    cents_t total;
    if (!payment_total(p, &total, err))
        return false;
    char st[16], d8[9];
    snprintf(st, sizeof st, "%04d", st_number);
    compact_date(p->date, d8);
    write_payment_head(w, p, ix->payer->id, st, d8, total);
    write_payer(w, ix->payer);
    write_payee(w, p);
    for (size_t i = 0; i < p->n_claims; i++) {
        cents_t paid;
        if (!write_claim(w, p->claims[i], &paid, err))
            return false;
    }
    /* No provider-level adjustments (PLB) exist today: BPR02 = Σ CLP04. */
    char count[16];
    snprintf(count, sizeof count, "%d", w->segments + 1);
    seg(w, "SE");
    el(w, count, 10);
    el(w, st, 9);
    end(w);
    return true;
}

/* A value padded with spaces (or cut) to exactly width characters. */
static void add_fixed(struct eob_buf *b, const char *v, size_t width)
{
    size_t n = 0;
    for (; v && v[n] && n < width; n++) {
        char out = safe_char(v[n]);
        eob_buf_addn(b, &out, 1);
    }
    for (; n < width; n++)
        eob_buf_add(b, " ");
}

char *eob_x835_build(const struct eob_x835_interchange *ix, char err[EOB_X835_ERR_LEN])
{
    if (ix->control_number < 1 || ix->control_number > 999999999 || !ix->created_at ||
        strlen(ix->created_at) < 16) {
        snprintf(err, EOB_X835_ERR_LEN, "bad interchange header");
        return NULL;
    }
    const char *t = ix->created_at; /* YYYY-MM-DDTHH:MM */
    char yymmdd[7], ccyymmdd[9], hhmm[5], ctl[10];
    snprintf(yymmdd, sizeof yymmdd, "%.2s%.2s%.2s", t + 2, t + 5, t + 8);
    snprintf(ccyymmdd, sizeof ccyymmdd, "%.4s%.2s%.2s", t, t + 5, t + 8);
    snprintf(hhmm, sizeof hhmm, "%.2s%.2s", t + 11, t + 14);
    snprintf(ctl, sizeof ctl, "%09ld", ix->control_number);
    struct w w = {0};
    eob_buf_add(&w.b, "ISA*00*          *00*          *ZZ*");
    add_fixed(&w.b, ix->payer->id, 15);
    eob_buf_add(&w.b, "*ZZ*");
    add_fixed(&w.b, ix->receiver, 15);
    eob_buf_addf(&w.b, "*%s*%s*^*00501*%s*0*P*:~\n", yymmdd, hhmm, ctl);
    char gs_ctl[16];
    snprintf(gs_ctl, sizeof gs_ctl, "%ld", ix->control_number);
    seg(&w, "GS");
    el(&w, "HP", 2);
    el(&w, ix->payer->id, 15);
    el(&w, ix->receiver, 15);
    el(&w, ccyymmdd, 8);
    el(&w, hhmm, 4);
    el(&w, gs_ctl, 9);
    el(&w, "X", 1);
    el(&w, "005010X221A1", 12);
    end(&w);
    for (size_t i = 0; i < ix->n_payments; i++)
        if (!write_payment(&w, ix, &ix->payments[i], (int)i + 1, err)) {
            eob_buf_free(&w.b);
            return NULL;
        }
    eob_buf_addf(&w.b, "GE*%zu*%s~\nIEA*1*%s~\n", ix->n_payments, gs_ctl, ctl);
    char *out = eob_buf_finish(&w.b);
    if (!out)
        snprintf(err, EOB_X835_ERR_LEN, "out of memory");
    return out;
}
