#include "codec/x12_ack.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

struct writer {
    struct strbuf sb;
    struct codec_x12_delims d;
    int set_segments; /* segments since ST, for SE01 */
};

/* A value for an element: the answer's delimiters replaced by spaces (a
 * value that came from the file may hold its component or repetition
 * separator, and our own texts are not checked against them). */
static const char *clean(const struct writer *w, const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; in[n] && n + 1 < size; n++) {
        char c = in[n];
        out[n] =
            (c == w->d.element || c == w->d.component || c == w->d.repetition || c == w->d.segment)
                ? ' '
                : c;
    }
    out[n] = '\0';
    return out;
}

/* One segment: id then elements up to a NULL; trailing empty elements are
 * left out. Values are written as given (callers clean what needs it). */
static void seg(struct writer *w, const char *id, ...)
{
    const char *vals[32];
    int n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *v; n < 32 && (v = va_arg(ap, const char *));)
        vals[n++] = v;
    va_end(ap);
    while (n > 0 && !vals[n - 1][0])
        n--;
    strbuf_append_str(&w->sb, id);
    for (int i = 0; i < n; i++) {
        strbuf_append_char(&w->sb, w->d.element);
        strbuf_append_str(&w->sb, vals[i]);
    }
    strbuf_append_char(&w->sb, w->d.segment);
    w->set_segments++;
}

/* "a:b:c" with the component separator, trailing empties left out. */
static const char *composite(const struct writer *w, char *out, size_t size, const char *a,
                             const char *b, const char *c)
{
    const char *parts[3] = {a, b, c ? c : ""};
    int n = 3;
    while (n > 1 && !parts[n - 1][0])
        n--;
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int k = snprintf(out + at, size - at, "%s%s", i ? (char[]){w->d.component, '\0'} : "",
                         parts[i]);
        if (k < 0 || (size_t)k >= size - at)
            break;
        at += (size_t)k;
    }
    return out;
}

/* An amount as X12 R: no trailing zeros after the point, none when whole. */
static const char *amount(long long cents, char *out, size_t size)
{
    long long mag = cents < 0 ? -cents : cents;
    const char *sign = cents < 0 ? "-" : "";
    if (mag % 100 == 0)
        snprintf(out, size, "%s%lld", sign, mag / 100);
    else if (mag % 10 == 0)
        snprintf(out, size, "%s%lld.%lld", sign, mag / 100, (mag % 100) / 10);
    else
        snprintf(out, size, "%s%lld.%02lld", sign, mag / 100, mag % 100);
    return out;
}

static const char *num(int v, char *out, size_t size)
{
    snprintf(out, size, "%d", v);
    return out;
}

static void isa(struct writer *w, const struct codec_x12_interchange *ix, const char *control,
                const char *date8, const char *time4)
{
    char sq[3], sid[16], rq[3], rid[16], rep[2] = {w->d.repetition, '\0'},
                                         comp[2] = {w->d.component, '\0'};
    /* Their test indicator, or P when theirs was unreadable (a TA1 answer). */
    char usage[2] = {ix->usage == 'T' ? 'T' : 'P', '\0'};
    /* Ours is their receiver; theirs is their sender, padded to 15. */
    snprintf(sq, sizeof sq, "%-2s", ix->receiver_qual);
    snprintf(sid, sizeof sid, "%-15s", ix->receiver);
    snprintf(rq, sizeof rq, "%-2s", ix->sender_qual);
    snprintf(rid, sizeof rid, "%-15s", ix->sender);
    char yymmdd[7];
    snprintf(yymmdd, sizeof yymmdd, "%s", date8 + 2);
    /* The ISA is fixed-length: every element is written, empty or not. */
    strbuf_append_str(&w->sb, "ISA");
    const char *el[16] = {"00",   "          ", "00", "          ", sq,      sid, rq,    rid,
                          yymmdd, time4,        rep,  "00501",      control, "0", usage, comp};
    for (int i = 0; i < 16; i++) {
        strbuf_append_char(&w->sb, w->d.element);
        strbuf_append_str(&w->sb, el[i]);
    }
    strbuf_append_char(&w->sb, w->d.segment);
}

static void iea(struct writer *w, int groups, const char *control)
{
    char n[12];
    seg(w, "IEA", num(groups, n, sizeof n), control, NULL);
}

char *codec_x12_ta1_build(const struct codec_x12_interchange *ix, const struct codec_x12_delims *d,
                          const char *control, const char *date8, const char *time4, size_t *len)
{
    struct writer w = {.d = *d};
    strbuf_init(&w.sb);
    isa(&w, ix, control, date8, time4);
    char c[10], dt[7], tm[5];
    seg(&w, "TA1", clean(&w, ix->control, c, sizeof c), clean(&w, ix->date, dt, sizeof dt),
        clean(&w, ix->time, tm, sizeof tm), "R", ix->ta1_code ? ix->ta1_code : "022", NULL);
    iea(&w, 0, control);
    if (strbuf_failed(&w.sb)) {
        strbuf_free(&w.sb);
        return NULL;
    }
    *len = w.sb.len;
    return strbuf_take(&w.sb);
}

bool codec_x12_set_accepted(const struct codec_x12_set *t, const struct codec_x12_set_result *r)
{
    return t->ik5_code == 0 && r->read && r->m.n_errs == 0 && r->m.n_errs_dropped == 0;
}

static void gs(struct writer *w, const struct codec_x12_group *g, const char *fid, int control,
               const char *date8, const char *time4, const char *version)
{
    char a[16], b[16], c[12];
    seg(w, "GS", fid, clean(w, g->receiver, a, sizeof a), clean(w, g->sender, b, sizeof b), date8,
        time4, num(control, c, sizeof c), "X", version, NULL);
}

static void ge(struct writer *w, int sets, int control)
{
    char a[12], b[12];
    seg(w, "GE", num(sets, a, sizeof a), num(control, b, sizeof b), NULL);
}

static void st(struct writer *w, const char *code, const char *version)
{
    w->set_segments = 0;
    seg(w, "ST", code, "0001", version, NULL);
}

static void se(struct writer *w)
{
    char n[12];
    num(w->set_segments + 1, n, sizeof n);
    seg(w, "SE", n, "0001", NULL);
}

/* The 999 of one functional group; returns its AK901 code. */
static char write_999(struct writer *w, const struct codec_x12_answer_input *in,
                      const struct codec_x12_group *g)
{
    const struct codec_x12_interchange *ix = in->ix;
    char v1[40], v2[40], v3[40], v4[40];
    st(w, "999", "005010X231A1");
    seg(w, "AK1", clean(w, g->functional_id, v1, sizeof v1), clean(w, g->control, v2, sizeof v2),
        clean(w, g->version, v3, sizeof v3), NULL);
    int accepted = 0;
    if (!g->ak9_code) {
        for (int k = 0; k < g->n_sets; k++) {
            const struct codec_x12_set *t = &ix->sets[g->first_set + k];
            const struct codec_x12_set_result *r = &in->sets[g->first_set + k];
            seg(w, "AK2", clean(w, t->code, v1, sizeof v1), clean(w, t->control, v2, sizeof v2),
                clean(w, t->version, v3, sizeof v3), NULL);
            if (r->read) {
                for (int e = 0; e < r->m.n_errs; e++) {
                    const struct codec_x12_ik3 *x = &r->m.errs[e];
                    seg(w, "IK3", clean(w, x->seg_id, v1, sizeof v1),
                        num(x->position, v2, sizeof v2), x->loop, num(x->code, v3, sizeof v3),
                        NULL);
                    if (x->clm01[0]) {
                        char pcn[40], ctx[64];
                        composite(w, ctx, sizeof ctx, "CLM01", clean(w, x->clm01, pcn, sizeof pcn),
                                  NULL);
                        seg(w, "CTX", ctx, NULL);
                    }
                    if (x->elem > 0) {
                        char pos[24], e1[12], e2[12];
                        composite(w, pos, sizeof pos, num(x->elem, e1, sizeof e1),
                                  x->comp > 0 ? num(x->comp, e2, sizeof e2) : "", NULL);
                        seg(w, "IK4", pos, x->elem_ref > 0 ? num(x->elem_ref, v2, sizeof v2) : "",
                            num(x->elem_code, v4, sizeof v4), NULL);
                    }
                }
            }
            if (codec_x12_set_accepted(t, r)) {
                accepted++;
                seg(w, "IK5", "A", NULL);
            } else {
                /* 5: one or more segments in error; else the envelope's code. */
                seg(w, "IK5", "R", num(t->ik5_code ? t->ik5_code : 5, v1, sizeof v1), NULL);
            }
        }
    }
    char code = g->ak9_code || accepted == 0 ? 'R' : accepted == g->n_sets ? 'A' : 'P';
    char ak901[2] = {code, '\0'}, n1[12], n2[12], n3[12], n4[12];
    seg(w, "AK9", ak901, num(g->n_sets, n1, sizeof n1), num(g->n_sets, n2, sizeof n2),
        num(accepted, n3, sizeof n3), g->ak9_code ? num(g->ak9_code, n4, sizeof n4) : "", NULL);
    se(w);
    return code;
}

static const char *date_range(const struct writer *w, const char *from, const char *to, char *out,
                              size_t size, const char **qual)
{
    (void)w;
    if (!from[0]) {
        out[0] = '\0';
        *qual = "";
    } else if (!to[0] || strcmp(from, to) == 0) {
        snprintf(out, size, "%s", from);
        *qual = "D8";
    } else {
        snprintf(out, size, "%s-%s", from, to);
        *qual = "RD8";
    }
    return out;
}

/* The claims of a group's accepted sets, counted and summed for the 2000B loop. */
struct totals_277 {
    const struct codec_x12_837 *first; /* the first accepted set, NULL when none */
    int n_acc, n_rej;
    long long amt_acc, amt_rej;
};

/* While one 277CA is written: where, from what, and the HL numbers so far. */
struct writing_277 {
    struct writer *w;
    const struct codec_x12_answer_input *in;
    int hl;          /* the last HL01 written */
    int receiver_hl; /* the 2000B's HL01 */
};

/* Counts and sums the accepted and rejected claims of group g's accepted sets. */
static void totals_277(const struct codec_x12_answer_input *in, const struct codec_x12_group *g,
                       struct totals_277 *t)
{
    const struct codec_x12_interchange *ix = in->ix;
    memset(t, 0, sizeof *t);
    for (int k = 0; k < g->n_sets; k++) {
        const struct codec_x12_set_result *r = &in->sets[g->first_set + k];
        if (!codec_x12_set_accepted(&ix->sets[g->first_set + k], r))
            continue;
        if (!t->first)
            t->first = &r->m;
        for (int c = 0; c < r->m.n_claims; c++) {
            if (r->claims[c].accepted) {
                t->n_acc++;
                t->amt_acc += r->m.claims[c].charge_cents;
            } else {
                t->n_rej++;
                t->amt_rej += r->m.claims[c].charge_cents;
            }
        }
    }
}

/* ST, BHT, the 2000A source (this payer) and 2000B receiver (submitter) with the totals. */
static void write_277_head(struct writing_277 *x, const struct codec_x12_group *g,
                           const struct totals_277 *t)
{
    struct writer *w = x->w;
    const struct codec_x12_answer_input *in = x->in;
    const struct codec_x12_837 *first = t->first;
    char a[80], b[80], c[80], d[80], trace[32];
    snprintf(trace, sizeof trace, "%s%s", in->control, g->control);
    st(w, "277", "005010X214");
    seg(w, "BHT", "0085", "08", trace, in->date8, in->time4, "TH", NULL);
    /* 2000A information source: this payer (the 837's receiver). */
    seg(w, "HL", num(++x->hl, a, sizeof a), "", "20", "1", NULL);
    seg(w, "NM1", "PR", "2", clean(w, first->receiver_name, b, sizeof b), "", "", "", "", "46",
        clean(w, first->receiver_id, c, sizeof c), NULL);
    seg(w, "TRN", "1", trace, NULL);
    seg(w, "DTP", "050", "D8", in->date8, NULL);
    seg(w, "DTP", "009", "D8", in->date8, NULL);
    /* 2000B information receiver: the 837's submitter. */
    x->receiver_hl = ++x->hl;
    seg(w, "HL", num(x->receiver_hl, a, sizeof a), "1", "21", "1", NULL);
    seg(w, "NM1", "41", "2", clean(w, first->submitter_name, b, sizeof b), "", "", "", "", "46",
        clean(w, first->submitter_id, c, sizeof c), NULL);
    seg(w, "TRN", "2", clean(w, first->bht03, b, sizeof b), NULL);
    seg(w, "STC", composite(w, c, sizeof c, "A1", "19", "PR"), in->date8, "WQ",
        amount(t->amt_acc + t->amt_rej, d, sizeof d), NULL);
    if (t->n_acc)
        seg(w, "QTY", "90", num(t->n_acc, a, sizeof a), NULL);
    if (t->n_rej)
        seg(w, "QTY", "AA", num(t->n_rej, a, sizeof a), NULL);
    if (t->n_acc)
        seg(w, "AMT", "YU", amount(t->amt_acc, d, sizeof d), NULL);
    if (t->n_rej)
        seg(w, "AMT", "YY", amount(t->amt_rej, d, sizeof d), NULL);
}

/* The 2000D patient and 2200D claim loops of one claim, under the provider's HL. */
static void write_277_claim(struct writing_277 *x, const struct codec_x12_claim_in *cl,
                            const struct codec_x12_claim_result *res, int provider_hl)
{
    struct writer *w = x->w;
    const struct codec_x12_answer_input *in = x->in;
    char a[80], b[80], c[80], d[80], e[80], f[80];
    /* 2000D patient, 2200D the claim. */
    seg(w, "HL", num(++x->hl, a, sizeof a), num(provider_hl, b, sizeof b), "PT", NULL);
    seg(w, "NM1", "QC", "1", clean(w, cl->last_name, b, sizeof b),
        clean(w, cl->first_name, c, sizeof c), "", "", "", cl->member_id[0] ? "MI" : "",
        clean(w, cl->member_id, d, sizeof d), NULL);
    seg(w, "TRN", "2", clean(w, cl->clm01, b, sizeof b), NULL);
    if (res->accepted) {
        seg(w, "STC", composite(w, c, sizeof c, "A2", "20", ""), in->date8, "WQ",
            amount(cl->charge_cents, d, sizeof d), NULL);
    } else {
        char text[264];
        /* A result never filled (out of memory while handing the claims over) reads as
         * "missing or invalid information". */
        seg(w, "STC",
            composite(w, c, sizeof c, res->category ? res->category : "A3",
                      res->status ? res->status : "21", res->entity ? res->entity : ""),
            in->date8, "U", amount(cl->charge_cents, d, sizeof d), "", "", "", "", "", "", "",
            clean(w, res->text, text, sizeof text), NULL);
    }
    if (res->accepted)
        seg(w, "REF", "1K", res->claim_id, NULL);
    /* The 2200D REFs in the guide's order: 1K, D9, BLT. */
    if (cl->d9[0])
        seg(w, "REF", "D9", clean(w, cl->d9, e, sizeof e), NULL);
    if (cl->bill_type[0])
        seg(w, "REF", "BLT", clean(w, cl->bill_type, e, sizeof e), NULL);
    const char *qual;
    date_range(w, cl->from, cl->to, f, sizeof f, &qual);
    if (f[0])
        seg(w, "DTP", "472", qual, f, NULL);
}

/* The 2000C loop of billing provider p of set r, with its claims; nothing when it has none. */
static void write_277_provider(struct writing_277 *x, const struct codec_x12_set_result *r, int p)
{
    struct writer *w = x->w;
    const struct codec_x12_provider_in *bp = &r->m.providers[p];
    char a[80], b[80], c[80];
    int claims = 0;
    for (int ci = 0; ci < r->m.n_claims; ci++)
        claims += r->m.claims[ci].provider == p;
    if (!claims)
        return;
    /* 2000C billing provider of service. */
    int provider_hl = ++x->hl;
    seg(w, "HL", num(provider_hl, a, sizeof a), num(x->receiver_hl, b, sizeof b), "19", "1", NULL);
    if (bp->person)
        seg(w, "NM1", "85", "1", clean(w, bp->name, b, sizeof b), "", "", "", "", "XX",
            clean(w, bp->npi, c, sizeof c), NULL);
    else
        seg(w, "NM1", "85", "2", clean(w, bp->name, b, sizeof b), "", "", "", "", "XX",
            clean(w, bp->npi, c, sizeof c), NULL);
    seg(w, "TRN", "1", "0", NULL);
    for (int ci = 0; ci < r->m.n_claims; ci++)
        if (r->m.claims[ci].provider == p)
            write_277_claim(x, &r->m.claims[ci], &r->claims[ci], provider_hl);
}

/* The 277CA of one functional group's accepted transaction sets. */
static void write_277(struct writer *w, const struct codec_x12_answer_input *in,
                      const struct codec_x12_group *g)
{
    struct totals_277 t;
    totals_277(in, g, &t);
    if (!t.first)
        return;
    struct writing_277 x = {.w = w, .in = in, .hl = 0};
    write_277_head(&x, g, &t);
    for (int k = 0; k < g->n_sets; k++) {
        const struct codec_x12_set_result *r = &in->sets[g->first_set + k];
        if (!codec_x12_set_accepted(&in->ix->sets[g->first_set + k], r))
            continue;
        for (int p = 0; p < r->m.n_providers; p++)
            write_277_provider(&x, r, p);
    }
    se(w);
}

char *codec_x12_answer_build(const struct codec_x12_answer_input *in, size_t *len)
{
    struct writer w = {.d = in->d};
    strbuf_init(&w.sb);
    const struct codec_x12_interchange *ix = in->ix;
    isa(&w, ix, in->control, in->date8, in->time4);
    int groups = 0;
    for (int gi = 0; gi < ix->n_groups; gi++) {
        const struct codec_x12_group *g = &ix->groups[gi];
        int ctl = ++groups;
        gs(&w, g, "FA", ctl, in->date8, in->time4, "005010X231A1");
        char code = write_999(&w, in, g);
        ge(&w, 1, ctl);
        if (code == 'A' || code == 'P') {
            ctl = ++groups;
            gs(&w, g, "HN", ctl, in->date8, in->time4, "005010X214");
            write_277(&w, in, g);
            ge(&w, 1, ctl);
        }
    }
    iea(&w, groups, in->control);
    if (strbuf_failed(&w.sb)) {
        strbuf_free(&w.sb);
        return NULL;
    }
    *len = w.sb.len;
    return strbuf_take(&w.sb);
}
