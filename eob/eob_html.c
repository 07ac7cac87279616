/*
 * The EOB record as a printable HTML5 page: one self-contained document with
 * an inline style sheet, no script and no external asset (no image, font or
 * link to fetch), every value from the record HTML-escaped. Tables have
 * captions and header cells with scope so that screen readers can say which
 * amount is which.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob.h"
#include "eob/eob_internal.h"

struct page {
    struct eob_buf b;
    bool bad; /* the record is not one eob_record_build() writes */
};

static const char *str(struct page *p, const struct json_object *o, const char *key)
{
    return eob_need_str(&p->bad, o, key);
}

static struct json_object *need(struct page *p, const struct json_object *o, const char *key,
                                enum json_type type)
{
    return eob_need(&p->bad, o, key, type);
}

static cents_t money(struct page *p, const struct json_object *o, const char *key)
{
    return eob_need_money(&p->bad, o, key);
}

/* Trusted markup, written as is. */
static void raw(struct page *p, const char *s)
{
    eob_buf_add(&p->b, s);
}

/* A value from the record: always escaped. */
static void text(struct page *p, const char *s)
{
    eob_buf_add_escaped(&p->b, s);
}

/* "$1,234.56" (a minus sign first for a negative amount, which the rules never produce). */
static void dollars(struct page *p, cents_t amount)
{
    char digits[32], out[48];
    unsigned long long v = amount < 0 ? -(unsigned long long)amount : (unsigned long long)amount;
    int n = snprintf(digits, sizeof digits, "%llu", v / 100);
    size_t o = 0;
    if (amount < 0)
        out[o++] = '-';
    out[o++] = '$';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    snprintf(out + o, sizeof out - o, ".%02llu", v % 100);
    raw(p, out);
}

static void money_cell(struct page *p, const struct json_object *o, const char *key)
{
    raw(p, "<td class=\"num\">");
    dollars(p, money(p, o, key));
    raw(p, "</td>");
}

/* "March 2, 2026" from the record's "2026-03-02". */
static void long_date(struct page *p, const char *iso)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    date_t d;
    if (!date_parse(iso, &d)) {
        p->bad = true;
        return;
    }
    int y, m, day;
    date_to_ymd(d, &y, &m, &day);
    eob_buf_addf(&p->b, "<time datetime=\"%s\">%s %d, %d</time>", iso, months[m - 1], day, y);
}

static void date_of(struct page *p, const struct json_object *o, const char *key)
{
    long_date(p, str(p, o, key));
}

/* Opens a row of a facts list, "<dt>label</dt><dd>": the caller writes the value and
 * "</dd>\n". */
static void fact(struct page *p, const char *label)
{
    raw(p, "<dt>");
    raw(p, label);
    raw(p, "</dt><dd>");
}

/* A row of a facts list that holds one amount. */
static void fact_dollars(struct page *p, const char *label, cents_t amount)
{
    fact(p, label);
    dollars(p, amount);
    raw(p, "</dd>\n");
}

/* An adjustment's group and reason code, "PR-1". */
static void adjustment_code(struct page *p, const struct json_object *a)
{
    text(p, str(p, a, "group"));
    raw(p, "-");
    text(p, str(p, a, "code"));
}

static void name_of(struct page *p, const struct json_object *person)
{
    text(p, str(p, person, "first_name"));
    raw(p, " ");
    text(p, str(p, person, "last_name"));
}

static const char STYLE[] =
    "body{font-family:Georgia,'Times New Roman',serif;color:#111;background:#fff;"
    "max-width:60rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45}"
    "h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;border-bottom:2px solid #333;"
    "padding-bottom:.15rem;margin-top:1.6rem}"
    ".notbill{font-weight:bold;text-transform:uppercase;letter-spacing:.05em}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}"
    "dl.facts dt{font-weight:bold}dl.facts dd{margin:0}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.95rem}"
    "caption{text-align:left;font-weight:bold;padding:.25rem 0}"
    "th,td{border:1px solid #777;padding:.3rem .45rem;vertical-align:top;text-align:left}"
    "thead th,tfoot th,tfoot td{background:#eee}td.num,th.num{text-align:right;"
    "white-space:nowrap}.code{font-family:'Courier "
    "New',monospace;font-weight:bold;white-space:nowrap}"
    "ul.adj{list-style:none;margin:0;padding:0}ul.adj li+li{margin-top:.3rem}"
    ".meaning{display:block;font-size:.9rem}.wording{font-size:.85rem;color:#333}"
    ".summary{border:2px solid #333;padding:.6rem .8rem;font-size:1.05rem}"
    "@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}";

static void header(struct page *p, const struct json_object *rec)
{
    const struct json_object *payer = need(p, rec, "payer", json_type_object);
    int64_t version = 0;
    if (!eob_get_int(rec, "version", &version))
        p->bad = true;
    raw(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Explanation of Benefits, claim ");
    text(p, str(p, rec, "claim_id"));
    raw(p, "</title>\n<style>");
    raw(p, STYLE);
    raw(p, "</style>\n</head>\n<body>\n<header>\n<h1>Explanation of Benefits</h1>\n<p>");
    text(p, str(p, payer, "name"));
    raw(p, "</p>\n<p class=\"notbill\">This is not a bill.</p>\n<dl class=\"facts\">\n"
           "<dt>Statement date</dt><dd>");
    date_of(p, rec, "statement_date");
    raw(p, "</dd>\n<dt>Claim number</dt><dd class=\"code\">");
    text(p, str(p, rec, "claim_id"));
    eob_buf_addf(&p->b, "</dd>\n<dt>Statement version</dt><dd>%lld%s</dd>\n", (long long)version,
                 version > 1 ? " (this claim was reviewed again; this statement replaces the "
                               "earlier one)"
                             : "");
    raw(p, "<dt>Claim received</dt><dd>");
    date_of(p, rec, "received_date");
    raw(p, "</dd>\n</dl>\n</header>\n");
}

static void parties(struct page *p, const struct json_object *rec)
{
    const struct json_object *sub = need(p, rec, "subscriber", json_type_object);
    const struct json_object *pat = need(p, rec, "patient", json_type_object);
    const struct json_object *prov = need(p, rec, "provider", json_type_object);
    const struct json_object *plan = need(p, rec, "plan", json_type_object);
    const struct json_object *period = need(p, rec, "service_period", json_type_object);
    bool pharmacy = !strcmp(str(p, prov, "kind"), "pharmacy");
    raw(p, "<section aria-labelledby=\"who\">\n<h2 id=\"who\">About this claim</h2>\n"
           "<dl class=\"facts\">\n<dt>Prepared for</dt><dd>");
    name_of(p, sub);
    raw(p, ", member ID <span class=\"code\">");
    text(p, str(p, sub, "member_id"));
    raw(p, "</span></dd>\n<dt>Patient</dt><dd>");
    name_of(p, pat);
    raw(p, ", member ID <span class=\"code\">");
    text(p, str(p, pat, "member_id"));
    raw(p, "</span> (");
    text(p, str(p, pat, "relationship"));
    raw(p, ")</dd>\n<dt>");
    raw(p, pharmacy ? "Pharmacy" : "Provider");
    raw(p, "</dt><dd>");
    text(p, str(p, prov, "name"));
    const char *npi = eob_get_str(prov, "npi");
    if (npi) {
        raw(p, ", NPI <span class=\"code\">");
        text(p, npi);
        raw(p, "</span>");
    }
    raw(p, !strcmp(str(p, prov, "network"), "in") ? " (in network)" : " (out of network)");
    raw(p, "</dd>\n<dt>Dates of service</dt><dd>");
    date_of(p, period, "start");
    if (strcmp(str(p, period, "start"), str(p, period, "end"))) {
        raw(p, " to ");
        date_of(p, period, "end");
    }
    raw(p, "</dd>\n<dt>Plan</dt><dd>");
    text(p, str(p, plan, "name"));
    raw(p, " (");
    text(p, str(p, plan, "plan_id"));
    raw(p, "), group ");
    text(p, str(p, plan, "group_name"));
    raw(p, " (");
    text(p, str(p, plan, "group_id"));
    raw(p, ")</dd>\n</dl>\n</section>\n");
}

static void summary(struct page *p, const struct json_object *rec)
{
    const struct json_object *totals = need(p, rec, "totals", json_type_object);
    const struct json_object *payee = need(p, rec, "payee", json_type_object);
    bool approved = !strcmp(str(p, rec, "outcome"), "approved");
    bool to_member = !strcmp(str(p, payee, "type"), "member");
    bool pharmacy = !strcmp(str(p, rec, "claim_type"), "pharmacy");
    raw(p, "<section aria-labelledby=\"sum\">\n<h2 id=\"sum\">Summary</h2>\n"
           "<div class=\"summary\">\n<p><strong>");
    raw(p, approved ? "This claim was approved." : "This claim was denied.");
    raw(p, "</strong> ");
    if (!approved)
        raw(p, "The plan pays nothing for it. The codes below say why; you can appeal.");
    cents_t paid = money(p, totals, "plan_paid");
    raw(p, "</p>\n<dl class=\"facts\">\n");
    fact_dollars(p, pharmacy ? "You paid the pharmacy" : "Amount billed",
                 money(p, totals, "charge"));
    fact_dollars(p, "Amount the plan allows", money(p, totals, "allowed"));
    fact(p, pharmacy ? "The plan reimburses you" : "The plan pays");
    dollars(p, paid);
    if (paid > 0 && !pharmacy) {
        raw(p, ", paid to ");
        text(p, str(p, payee, "name"));
        raw(p, to_member ? " (you)" : " (the provider)");
    }
    raw(p, "</dd>\n");
    fact(p, "Your share");
    dollars(p, money(p, totals, "patient_responsibility"));
    if (pharmacy)
        raw(p, " (your copay or coinsurance, and any amount over what the plan allows)");
    else if (to_member && paid > 0)
        raw(p, " (the plan's payment goes to you; you pay the provider)");
    else
        raw(p, " (the most the provider can bill you for this claim)");
    raw(p, "</dd>\n</dl>\n</div>\n</section>\n");
}

/* One row of the changes table: before, now and the difference of a key. */
static void change_row(struct page *p, const char *label, const struct json_object *a,
                       const char *key)
{
    raw(p, "<tr><th scope=\"row\">");
    raw(p, label);
    raw(p, "</th>");
    static const char *const cols[] = {"previous", "new", "difference"};
    for (int i = 0; i < 3; i++)
        money_cell(p, need(p, a, cols[i], json_type_object), key);
    raw(p, "</tr>\n");
}

/* What a later version changed (docs/eob.md "Adjustments"): why the claim was
 * decided again or reversed, and its amounts before and now. Only a record
 * with an `adjustment` object has this section. */
static void changes(struct page *p, const struct json_object *rec)
{
    struct json_object *a = eob_get(rec, "adjustment", json_type_object);
    if (!a)
        return;
    const char *kind = str(p, a, "kind");
    int64_t previous = 0;
    if (!eob_get_int(a, "previous_version", &previous))
        p->bad = true;
    raw(p, "<section aria-labelledby=\"chg\">\n<h2 id=\"chg\">What changed</h2>\n<p>");
    if (!strcmp(kind, "void")) {
        raw(p, "This claim was voided. What the plan paid on it is taken back.");
    } else if (!strcmp(kind, "replacement")) {
        raw(p, "This claim was replaced by a corrected claim, which has its own statement. "
               "What the plan paid on this one is taken back.");
    } else if (!strcmp(kind, "recovery")) {
        raw(p, "This claim was decided again because coverage had ended on dates of service "
               "it was paid for. The plan overpaid ");
        dollars(p, money(p, a, "overpayment"));
        raw(p, ".");
    } else {
        raw(p, "This claim was decided again because another claim of your family was voided "
               "or corrected: the deductible and out-of-pocket amounts it counts against "
               "changed.");
    }
    char version[64];
    snprintf(version, sizeof version, " This statement replaces version %lld.",
             (long long)previous);
    raw(p, version);
    raw(p, "</p>\n<table>\n<caption>The claim's amounts before and now</caption>\n"
           "<thead><tr><th scope=\"col\">Amount</th><th scope=\"col\">Before</th>"
           "<th scope=\"col\">Now</th><th scope=\"col\">Difference</th></tr></thead>\n"
           "<tbody>\n");
    change_row(p, "Amount the plan allows", a, "allowed");
    change_row(p, "The plan pays", a, "plan_paid");
    change_row(p, "Your share", a, "patient_responsibility");
    raw(p, "</tbody>\n</table>\n</section>\n");
}

/* "<span class=code>PR-1</span> $20.00 <span class=meaning>...</span>" */
static void adjustment_item(struct page *p, const struct json_object *a)
{
    raw(p, "<li><span class=\"code\">");
    adjustment_code(p, a);
    raw(p, "</span> ");
    dollars(p, money(p, a, "amount"));
    raw(p, "<span class=\"meaning\">");
    text(p, str(p, a, "meaning"));
    raw(p, "</span></li>");
}

static void remark_items(struct page *p, const struct json_object *remarks)
{
    for (size_t k = 0; k < eob_array_len(remarks); k++) {
        const struct json_object *r = eob_array_at(remarks, k);
        raw(p, "<li><span class=\"code\">");
        text(p, str(p, r, "code"));
        raw(p, "</span> <span class=\"meaning\">");
        text(p, str(p, r, "meaning"));
        raw(p, "</span></li>");
    }
}

static void services(struct page *p, const struct json_object *rec)
{
    const struct json_object *lines = need(p, rec, "lines", json_type_array);
    const struct json_object *totals = need(p, rec, "totals", json_type_object);
    bool pharmacy = !strcmp(str(p, rec, "claim_type"), "pharmacy");
    if (eob_array_len(lines) == 0)
        p->bad = true;
    raw(p, "<section aria-labelledby=\"svc\">\n<h2 id=\"svc\">How the benefit was determined</h2>\n"
           "<table>\n<caption>Services on this claim, with every adjustment and what it "
           "means</caption>\n<thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Date</th>"
           "<th scope=\"col\">Service</th>");
    raw(p, pharmacy ? "<th scope=\"col\">NDC</th>" : "<th scope=\"col\">Procedure code</th>");
    raw(p, "<th scope=\"col\" class=\"num\">Billed</th><th scope=\"col\" class=\"num\">Allowed</th>"
           "<th scope=\"col\">Adjustments and remarks</th><th scope=\"col\" class=\"num\">Plan "
           "paid</th><th scope=\"col\" class=\"num\">Your share</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < eob_array_len(lines); i++) {
        const struct json_object *l = eob_array_at(lines, i);
        int64_t n = 0;
        if (!eob_get_int(l, "line", &n))
            p->bad = true;
        eob_buf_addf(&p->b, "<tr><th scope=\"row\">%lld</th><td>", (long long)n);
        date_of(p, l, "service_date");
        raw(p, "</td><td>");
        text(p, str(p, l, "service"));
        if (pharmacy) {
            raw(p, "<br>Quantity ");
            struct json_object *q = eob_get(l, "quantity", json_type_int);
            if (!q)
                q = need(p, l, "quantity", json_type_double);
            if (q)
                text(p, json_object_get_string(q));
            int64_t days = 0;
            if (!eob_get_int(l, "days_supply", &days))
                p->bad = true;
            eob_buf_addf(&p->b, ", %lld days' supply", (long long)days);
        } else {
            int64_t units = 0;
            if (!eob_get_int(l, "units", &units))
                p->bad = true;
            if (units != 1)
                eob_buf_addf(&p->b, "<br>%lld units", (long long)units);
        }
        raw(p, "</td><td class=\"code\">");
        text(p, str(p, l, pharmacy ? "ndc" : "procedure_code"));
        if (!pharmacy) {
            const struct json_object *mods = need(p, l, "modifiers", json_type_array);
            for (size_t m = 0; m < eob_array_len(mods); m++) {
                raw(p, "-");
                text(p, json_object_get_string(eob_array_at(mods, m)));
            }
        }
        raw(p, "</td>");
        money_cell(p, l, "charge");
        money_cell(p, l, "allowed");
        raw(p, "<td><ul class=\"adj\">");
        const struct json_object *adjs = need(p, l, "adjustments", json_type_array);
        for (size_t k = 0; k < eob_array_len(adjs); k++)
            adjustment_item(p, eob_array_at(adjs, k));
        remark_items(p, need(p, l, "remarks", json_type_array));
        if (!strcmp(str(p, l, "cob_position"), "secondary"))
            raw(p, "<li>This plan paid second on this line.</li>");
        raw(p, "</ul></td>");
        money_cell(p, l, "plan_paid");
        money_cell(p, l, "patient_responsibility");
        raw(p, "</tr>\n");
    }
    raw(p, "</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"4\">Total</th>");
    money_cell(p, totals, "charge");
    money_cell(p, totals, "allowed");
    raw(p, "<td></td>");
    money_cell(p, totals, "plan_paid");
    money_cell(p, totals, "patient_responsibility");
    raw(p, "</tr></tfoot>\n</table>\n</section>\n");
}

static void codes(struct page *p, const struct json_object *rec)
{
    const struct json_object *totals = need(p, rec, "totals", json_type_object);
    const struct json_object *adjs = need(p, totals, "adjustments", json_type_array);
    const struct json_object *remarks = need(p, rec, "remarks", json_type_array);
    raw(p, "<section aria-labelledby=\"codes\">\n<h2 id=\"codes\">What the codes mean</h2>\n");
    if (eob_array_len(adjs)) {
        raw(p, "<table>\n<caption>Adjustments on this claim, added up</caption>\n<thead><tr>"
               "<th scope=\"col\">Code</th><th scope=\"col\" class=\"num\">Amount</th>"
               "<th scope=\"col\">What it means for you</th><th scope=\"col\">Standard "
               "wording</th></tr></thead>\n<tbody>\n");
        for (size_t k = 0; k < eob_array_len(adjs); k++) {
            const struct json_object *a = eob_array_at(adjs, k);
            raw(p, "<tr><th scope=\"row\" class=\"code\">");
            adjustment_code(p, a);
            raw(p, "</th>");
            money_cell(p, a, "amount");
            raw(p, "<td>");
            text(p, str(p, a, "meaning"));
            raw(p, "</td><td class=\"wording\">");
            text(p, str(p, a, "group_name"));
            raw(p, ": ");
            text(p, str(p, a, "wording"));
            raw(p, "</td></tr>\n");
        }
        raw(p, "</tbody>\n</table>\n");
    }
    raw(p, "<p>Group codes: <span class=\"code\">CO</span> the provider's contractual write-off, "
           "which you do not owe; <span class=\"code\">PR</span> your responsibility; "
           "<span class=\"code\">OA</span> other adjustments.</p>\n");
    if (eob_array_len(remarks)) {
        raw(p, "<table>\n<caption>Remarks</caption>\n<thead><tr><th scope=\"col\">Remark</th>"
               "<th scope=\"col\">What it means for you</th><th scope=\"col\">Standard "
               "wording</th></tr></thead>\n<tbody>\n");
        for (size_t k = 0; k < eob_array_len(remarks); k++) {
            const struct json_object *r = eob_array_at(remarks, k);
            raw(p, "<tr><th scope=\"row\" class=\"code\">");
            text(p, str(p, r, "code"));
            raw(p, "</th><td>");
            text(p, str(p, r, "meaning"));
            raw(p, "</td><td class=\"wording\">");
            text(p, str(p, r, "wording"));
            raw(p, "</td></tr>\n");
        }
        raw(p, "</tbody>\n</table>\n");
    }
    raw(p, "</section>\n");
}

static void coordination(struct page *p, const struct json_object *rec)
{
    const struct json_object *cob = need(p, rec, "coordination_of_benefits", json_type_object);
    bool medicare = false;
    if (!eob_get_bool(cob, "medicare_primary", &medicare))
        p->bad = true;
    raw(p, "<section aria-labelledby=\"cob\">\n<h2 id=\"cob\">Other insurance</h2>\n<p>");
    if (strcmp(str(p, cob, "position"), "secondary")) {
        raw(p, "This plan paid first (primary).</p>\n</section>\n");
        return;
    }
    raw(p, medicare ? "Medicare pays first for this claim; this plan paid second (secondary)."
                    : "Another plan pays first for this claim; this plan paid second "
                      "(secondary).");
    raw(p, "</p>\n");
    const struct json_object *other = eob_get(cob, "other_payer", json_type_object);
    if (other) {
        raw(p, "<dl class=\"facts\">\n");
        fact(p, "Plan that paid first");
        text(p, str(p, other, "name"));
        raw(p, "</dd>\n");
        fact(p, "Its statement date");
        date_of(p, other, "eob_date");
        raw(p, "</dd>\n");
        fact_dollars(p, "It allowed", money(p, other, "allowed"));
        fact_dollars(p, "It paid", money(p, other, "paid"));
        fact_dollars(p, "It said you owe", money(p, other, "patient_responsibility"));
        raw(p, "</dl>\n");
    }
    raw(p, "</section>\n");
}

static void standing_cells(struct page *p, const struct json_object *tier, const char *which)
{
    const struct json_object *s = need(p, tier, which, json_type_object);
    money_cell(p, s, "limit");
    money_cell(p, s, "met");
    money_cell(p, s, "remaining");
}

static void standing(struct page *p, const struct json_object *rec)
{
    const struct json_object *acc = need(p, rec, "accumulators", json_type_array);
    raw(p, "<section aria-labelledby=\"acc\">\n<h2 id=\"acc\">Your deductible and "
           "out-of-pocket maximum</h2>\n<p>Amounts met so far in the plan year, this claim "
           "included. Once the individual or the family amount is met, it is met for the "
           "patient.</p>\n");
    if (!strcmp(str(p, rec, "claim_type"), "pharmacy"))
        raw(p, "<p>Prescription drugs have no deductible; what you pay for them counts toward "
               "the in-network out-of-pocket maximum.</p>\n");
    static const char *const units[] = {"individual", "family"};
    static const char *const unit_names[] = {"Patient", "Family"};
    static const char *const kinds[] = {"deductible", "out_of_pocket"};
    static const char *const kind_names[] = {"deductible", "out-of-pocket maximum"};
    for (size_t y = 0; y < eob_array_len(acc); y++) {
        const struct json_object *year = eob_array_at(acc, y);
        int64_t plan_year = 0;
        if (!eob_get_int(year, "plan_year", &plan_year))
            p->bad = true;
        eob_buf_addf(&p->b,
                     "<table>\n<caption>Plan year %lld</caption>\n<thead><tr><td></td>"
                     "<th scope=\"colgroup\" colspan=\"3\">In network</th>"
                     "<th scope=\"colgroup\" colspan=\"3\">Out of network</th></tr>\n<tr>"
                     "<th scope=\"col\">Amount</th>",
                     (long long)plan_year);
        for (int t = 0; t < 2; t++)
            raw(p, "<th scope=\"col\" class=\"num\">Plan limit</th><th scope=\"col\" "
                   "class=\"num\">Met</th><th scope=\"col\" class=\"num\">Remaining</th>");
        raw(p, "</tr></thead>\n<tbody>\n");
        for (int u = 0; u < 2; u++)
            for (int k = 0; k < 2; k++) {
                const struct json_object *unit = need(p, year, units[u], json_type_object);
                eob_buf_addf(&p->b, "<tr><th scope=\"row\">%s %s</th>", unit_names[u],
                             kind_names[k]);
                standing_cells(p, need(p, unit, "in_network", json_type_object), kinds[k]);
                standing_cells(p, need(p, unit, "out_of_network", json_type_object), kinds[k]);
                raw(p, "</tr>\n");
            }
        raw(p, "</tbody>\n</table>\n");
    }
    raw(p, "</section>\n");
}

static void appeal(struct page *p, const struct json_object *rec)
{
    const struct json_object *a = need(p, rec, "appeal", json_type_object);
    int64_t days = 0;
    if (!eob_get_int(a, "days", &days))
        p->bad = true;
    raw(p, "<section aria-labelledby=\"appeal\">\n<h2 id=\"appeal\">How to appeal</h2>\n");
    eob_buf_addf(&p->b,
                 "<p>You have %lld days from the date of this statement to ask us to "
                 "review this decision: your appeal must reach us by <strong>",
                 (long long)days);
    date_of(p, a, "deadline");
    raw(p, "</strong>.</p>\n<p>Write to: ");
    text(p, str(p, a, "address"));
    raw(p, "</p>\n<p>");
    text(p, str(p, a, "instructions"));
    /* Records issued before decision_days existed lack it. */
    int64_t decision_days = 0;
    if (json_object_object_get_ex(a, "decision_days", NULL) &&
        eob_get_int(a, "decision_days", &decision_days))
        eob_buf_addf(&p->b, "</p>\n<p>We decide an appeal within %lld days of receiving it.",
                     (long long)decision_days);
    raw(p, "</p>\n</section>\n<footer>\n<p>Keep this statement for your records. Claim ");
    text(p, str(p, rec, "claim_id"));
    raw(p, ".</p>\n</footer>\n</body>\n</html>\n");
}

char *eob_html(const struct json_object *record)
{
    if (!record || !json_object_is_type(record, json_type_object))
        return NULL;
    struct page p = {{0}, false};
    const char *outcome = str(&p, record, "outcome");
    if (strcmp(outcome, "approved") && strcmp(outcome, "denied"))
        p.bad = true;
    header(&p, record);
    changes(&p, record);
    parties(&p, record);
    summary(&p, record);
    services(&p, record);
    codes(&p, record);
    coordination(&p, record);
    standing(&p, record);
    appeal(&p, record);
    if (p.bad) {
        eob_buf_free(&p.b);
        return NULL;
    }
    return eob_buf_finish(&p.b);
}
