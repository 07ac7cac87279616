/*
 * Duplicate lines (RULES.md § 5). The X12 standard pairs CARC 18 "Exact
 * duplicate claim/service" with group OA; the first claim keeps its benefit.
 *
 * A line is a duplicate when another claim of the same member (the worker
 * passes only that member's lines) that was not denied has a line with the
 * same provider NPI, service date, procedure code, modifiers (in any order),
 * units and charge; for pharmacy, the same pharmacy, NDC, fill date, quantity
 * and charge. Two identical lines on one claim are not duplicates of each
 * other: a provider bills repeated services that way.
 *
 * The worker never loads earlier lines: it looks up the fingerprints of a
 * line's compared fields (adj_line_fingerprints_to_look_up) among those the
 * member's earlier claims stored (adj_line_fingerprints_to_store), one exact
 * lookup per line whatever the member's history, and passes each hit as the
 * earlier line it stands for (adj_prior_line_for_hit), so that
 * adj_is_duplicate() still decides.
 */
#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Names compared as a person reads them: case-insensitive, leading and
 * trailing blanks ignored ("  Ana " is "ANA"). */
bool adj_same_name(const char *a, const char *b)
{
    while (isspace((unsigned char)*a))
        a++;
    while (isspace((unsigned char)*b))
        b++;
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && isspace((unsigned char)a[na - 1]))
        na--;
    while (nb > 0 && isspace((unsigned char)b[nb - 1]))
        nb--;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

static int count_modifier(const char (*mods)[MODIFIER_LEN], int n, const char *mod)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += strcmp(mods[i], mod) == 0;
    return count;
}

/* The same modifiers, the order on the claim form being of no consequence. */
static bool same_modifiers(const char (*a)[MODIFIER_LEN], int na, const char (*b)[MODIFIER_LEN],
                           int nb)
{
    if (na != nb)
        return false;
    for (int i = 0; i < na; i++)
        if (count_modifier(a, na, a[i]) != count_modifier(b, nb, a[i]))
            return false;
    return true;
}

static bool same_medical_line(const struct claim *c, const struct claim_line *line,
                              const struct adj_prior_line *p)
{
    return date_eq(line->service_date, p->service_date) && line->charge == p->charge &&
           line->units == p->units && strcmp(c->provider.npi, p->provider_npi) == 0 &&
           strcmp(line->procedure_code, p->procedure_code) == 0 &&
           same_modifiers(line->modifiers, line->n_modifiers, p->modifiers, p->n_modifiers);
}

/* The same pharmacy: by NPI when both claims carry one, else by name. */
static bool same_pharmacy(const struct pharmacy_info *ph, const struct adj_prior_line *p)
{
    if (ph->has_npi && p->pharmacy_has_npi)
        return strcmp(ph->npi, p->pharmacy_npi) == 0;
    return adj_same_name(ph->name, p->pharmacy_name);
}

static bool same_fill(const struct claim *c, const struct adj_prior_line *p)
{
    return date_eq(c->fill_date, p->service_date) && c->charge == p->charge &&
           c->quantity_milli == p->quantity_milli && strcmp(c->ndc, p->ndc) == 0 &&
           same_pharmacy(&c->pharmacy, p);
}

bool adj_is_duplicate(const struct adj_facts *facts, int line_index)
{
    const struct claim *c = facts->claim;
    for (int i = 0; i < facts->n_prior_lines; i++) {
        const struct adj_prior_line *p = &facts->prior_lines[i];
        if (p->denied || p->type != c->type)
            continue;
        if (facts->claim_id && strcmp(p->claim_id, facts->claim_id) == 0)
            continue; /* this claim's own earlier adjudication */
        if (c->type == CLAIM_MEDICAL ? same_medical_line(c, &c->lines[line_index], p)
                                     : same_fill(c, p))
            return true;
    }
    return false;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Line i of claim as the duplicate check compares it. */
static void prior_line_of(const char *claim_id, const struct claim *claim, int i, bool denied,
                          struct adj_prior_line *p)
{
    memset(p, 0, sizeof *p);
    copy_text(p->claim_id, sizeof p->claim_id, claim_id);
    p->type = claim->type;
    p->denied = denied;
    if (claim->type == CLAIM_PHARMACY) {
        p->service_date = claim->fill_date;
        p->charge = claim->charge;
        p->pharmacy_has_npi = claim->pharmacy.has_npi;
        memcpy(p->pharmacy_npi, claim->pharmacy.npi, sizeof p->pharmacy_npi);
        memcpy(p->pharmacy_name, claim->pharmacy.name, sizeof p->pharmacy_name);
        memcpy(p->ndc, claim->ndc, sizeof p->ndc);
        p->quantity_milli = claim->quantity_milli;
    } else {
        const struct claim_line *line = &claim->lines[i];
        p->service_date = line->service_date;
        p->charge = line->charge;
        memcpy(p->provider_npi, claim->provider.npi, sizeof p->provider_npi);
        memcpy(p->procedure_code, line->procedure_code, sizeof p->procedure_code);
        memcpy(p->modifiers, line->modifiers, sizeof p->modifiers);
        p->n_modifiers = line->n_modifiers;
        p->units = line->units;
    }
}

int adj_prior_lines_from_claim(const char *claim_id, const struct claim *claim,
                               const struct adj_decision *decision, struct adj_prior_line *out,
                               int max)
{
    int n_lines = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    int written = 0;
    for (int i = 0; i < n_lines && written < max; i++)
        prior_line_of(claim_id, claim, i,
                      decision && (decision->outcome == ADJ_DENIED ||
                                   (i < decision->n_lines && decision->lines[i].denied)),
                      &out[written++]);
    return written;
}

/* ---- Fingerprints: the same comparison as an exact lookup ---- */

/* Canonical field text, built by appending; never longer than the fields of
 * one line can make it (names are at most NAME_LEN - 1 bytes). */
struct canon {
    char text[512];
    size_t len;
};

/* Appends raw bytes when they fit (a line's fields always do). */
static bool canon_put(struct canon *c, const char *s, size_t n)
{
    if (n >= sizeof c->text - c->len)
        return false;
    memcpy(c->text + c->len, s, n);
    c->len += n;
    return true;
}

/* Decimal digits of v, as printf's %lld writes them. */
static size_t decimal(char out[24], long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* "<tag>=<v>;" (printf-free: the worker builds a few per line). */
static void canon_int(struct canon *c, const char *tag, long long v)
{
    char digits[24];
    size_t n = decimal(digits, v), mark = c->len;
    if (!canon_put(c, tag, strlen(tag)) || !canon_put(c, "=", 1) || !canon_put(c, digits, n) ||
        !canon_put(c, ";", 1))
        c->len = mark;
}

/* "<tag>=<len>:<bytes>;": strings carry their length, so no byte of a name
 * can fake a field boundary. */
static void canon_str(struct canon *c, const char *tag, const char *s, size_t len)
{
    char digits[24];
    size_t n = decimal(digits, (long long)len), mark = c->len;
    if (!canon_put(c, tag, strlen(tag)) || !canon_put(c, "=", 1) || !canon_put(c, digits, n) ||
        !canon_put(c, ":", 1) || !canon_put(c, s, len) || !canon_put(c, ";", 1))
        c->len = mark;
}

static void fingerprint_of(const struct canon *c, enum adj_fp_kind kind,
                           struct adj_fingerprint *out)
{
    static const char *const prefixes[] = {"m:", "p:npi:", "p:name-any:", "p:name-nonpi:"};
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)c->text, c->len, digest);
    out->kind = kind;
    size_t at = strlen(prefixes[kind]);
    memcpy(out->text, prefixes[kind], at);
    for (int i = 0; i < 16; i++) {
        out->text[at++] = hex[digest[i] >> 4];
        out->text[at++] = hex[digest[i] & 15];
    }
    out->text[at] = '\0';
}

static int compare_modifiers(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void medical_fingerprint(const struct claim *claim, int line, struct adj_fingerprint *out)
{
    const struct claim_line *l = &claim->lines[line];
    char mods[MAX_MODIFIERS][MODIFIER_LEN];
    int n_mods = l->n_modifiers < MAX_MODIFIERS ? l->n_modifiers : MAX_MODIFIERS;
    memcpy(mods, l->modifiers, sizeof mods);
    qsort(mods, (size_t)n_mods, sizeof mods[0], compare_modifiers); /* any order: § 5 */
    struct canon c = {.len = 0};
    canon_str(&c, "npi", claim->provider.npi, strlen(claim->provider.npi));
    canon_int(&c, "date", l->service_date.days);
    canon_str(&c, "proc", l->procedure_code, strlen(l->procedure_code));
    canon_int(&c, "mods", n_mods);
    for (int i = 0; i < n_mods; i++)
        canon_str(&c, "mod", mods[i], strlen(mods[i]));
    canon_int(&c, "units", l->units);
    canon_int(&c, "charge", l->charge);
    fingerprint_of(&c, ADJ_FP_MEDICAL, out);
}

/* The fill's fields other than the pharmacy itself. */
static void canon_fill(struct canon *c, const struct claim *claim)
{
    canon_str(c, "ndc", claim->ndc, strlen(claim->ndc));
    canon_int(c, "date", claim->fill_date.days);
    canon_int(c, "qty", claim->quantity_milli);
    canon_int(c, "charge", claim->charge);
}

static void pharmacy_npi_fingerprint(const struct claim *claim, struct adj_fingerprint *out)
{
    struct canon c = {.len = 0};
    canon_str(&c, "npi", claim->pharmacy.npi, strlen(claim->pharmacy.npi));
    canon_fill(&c, claim);
    fingerprint_of(&c, ADJ_FP_PHARMACY_NPI, out);
}

/* The name as adj_same_name() compares it: blanks trimmed, case folded. */
static void pharmacy_name_fingerprint(const struct claim *claim, enum adj_fp_kind kind,
                                      struct adj_fingerprint *out)
{
    const char *s = claim->pharmacy.name;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char folded[NAME_LEN];
    n = n < sizeof folded ? n : sizeof folded - 1;
    for (size_t i = 0; i < n; i++)
        folded[i] = (char)tolower((unsigned char)s[i]);
    struct canon c = {.len = 0};
    canon_str(&c, "name", folded, n);
    canon_fill(&c, claim);
    fingerprint_of(&c, kind, out);
}

static bool line_exists(const struct claim *claim, int line)
{
    return line >= 0 && (claim->type == CLAIM_PHARMACY ? line == 0 : line < claim->n_lines);
}

/* The fingerprints every line has the same way in both directions: none for a line that does
 * not exist (0), a medical line's one (1); -1 for a pharmacy line, whose depend on the direction.
 */
static int common_fingerprints(const struct claim *claim, int line, struct adj_fingerprint *out)
{
    if (!line_exists(claim, line))
        return 0;
    if (claim->type == CLAIM_MEDICAL) {
        medical_fingerprint(claim, line, &out[0]);
        return 1;
    }
    return -1;
}

int adj_line_fingerprints_to_store(const struct claim *claim, int line,
                                   struct adj_fingerprint out[ADJ_FP_PER_LINE])
{
    int n = common_fingerprints(claim, line, out);
    if (n >= 0)
        return n;
    /* Later claims find this one by NPI (if both carry one) or by name. */
    if (claim->pharmacy.has_npi)
        pharmacy_npi_fingerprint(claim, &out[0]);
    else
        pharmacy_name_fingerprint(claim, ADJ_FP_PHARMACY_NAME_NONPI, &out[0]);
    pharmacy_name_fingerprint(claim, ADJ_FP_PHARMACY_NAME_ANY, &out[1]);
    return 2;
}

int adj_line_fingerprints_to_look_up(const struct claim *claim, int line,
                                     struct adj_fingerprint out[ADJ_FP_PER_LINE])
{
    int n = common_fingerprints(claim, line, out);
    if (n >= 0)
        return n;
    if (!claim->pharmacy.has_npi) {
        /* No NPI here: the name decides, whatever the earlier claim carried. */
        pharmacy_name_fingerprint(claim, ADJ_FP_PHARMACY_NAME_ANY, &out[0]);
        return 1;
    }
    /* An NPI here: an earlier claim with one matches by NPI, one without by name. */
    pharmacy_npi_fingerprint(claim, &out[0]);
    pharmacy_name_fingerprint(claim, ADJ_FP_PHARMACY_NAME_NONPI, &out[1]);
    return 2;
}

void adj_prior_line_for_hit(const struct claim *claim, int line, enum adj_fp_kind kind,
                            const char *holder, struct adj_prior_line *out)
{
    if (!line_exists(claim, line))
        return;
    prior_line_of(holder, claim, line, false, out);
    if (claim->type == CLAIM_PHARMACY)
        out->pharmacy_has_npi = kind == ADJ_FP_PHARMACY_NPI;
}

/* Whether fp is one of list[0..n). */
static bool fp_listed(const char (*list)[ADJ_FP_LEN], int n, const char *fp)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], fp) == 0)
            return true;
    return false;
}

void adj_fingerprint_changes(const char (*line_fps)[ADJ_FP_LEN], const int *line_of, int n,
                             const struct adj_decision *d, char (*store)[ADJ_FP_LEN], int *n_store,
                             char (*drop)[ADJ_FP_LEN], int *n_drop, int max)
{
    *n_store = *n_drop = 0;
    for (int pass = 0; pass < 2; pass++) /* stores first: a line kept wins over its denied twin */
        for (int f = 0; f < n; f++) {
            int i = line_of[f];
            bool denied = d->outcome == ADJ_DENIED || (i < d->n_lines && d->lines[i].denied);
            if (denied != (pass == 1))
                continue;
            const char *fp = line_fps[f];
            if (fp_listed((const char(*)[ADJ_FP_LEN])store, *n_store, fp) ||
                fp_listed((const char(*)[ADJ_FP_LEN])drop, *n_drop, fp))
                continue;
            if (pass == 0 && *n_store < max)
                memcpy(store[(*n_store)++], fp, ADJ_FP_LEN);
            else if (pass == 1 && *n_drop < max)
                memcpy(drop[(*n_drop)++], fp, ADJ_FP_LEN);
        }
}
