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
 */
#include <ctype.h>
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

int adj_prior_lines_from_claim(const char *claim_id, const struct claim *claim,
                               const struct adj_decision *decision, struct adj_prior_line *out,
                               int max)
{
    int n_lines = claim->type == CLAIM_PHARMACY ? 1 : claim->n_lines;
    int written = 0;
    for (int i = 0; i < n_lines && written < max; i++) {
        struct adj_prior_line *p = &out[written++];
        memset(p, 0, sizeof *p);
        copy_text(p->claim_id, sizeof p->claim_id, claim_id);
        p->type = claim->type;
        p->denied = decision && (decision->outcome == ADJ_DENIED ||
                                 (i < decision->n_lines && decision->lines[i].denied));
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
    return written;
}
