#include "codec/x12_837.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kept per claim while its segments are read. More diagnoses or lines than
 * a claim may have are kept up to one over the limit, so that the JSON
 * validation rejects the claim with its own problem. */
#define B_MAX_DX 13
#define B_MAX_LINES 51

struct line_build {
    char revenue[49];
    char proc_qual[3];
    char proc[49];
    char mods[4][3];
    int n_mods;
    bool mod_too_long;
    char charge[32];
    char units[16];
    char date[9];
    int lx_position; /* for the IK3 of a missing DTP */
    bool has_service;
};

struct claim_build {
    bool open;
    int clm_position;
    char clm01[39];
    char charge[32];
    char facility[3], qualifier[2], frequency[2];
    char clm07[2], clm08[2];
    char d9[51];
    char dx[B_MAX_DX][31];
    int n_dx;
    bool has_hi;
    char stmt_from[9], stmt_to[9];
    struct line_build lines[B_MAX_LINES];
    int n_lines;
    int n_lines_total;
};

struct person {
    bool present;
    bool has_id;
    char id[81];
    char last[61], first[36];
    char birth[9];
};

struct reader {
    const struct codec_x12_doc *doc;
    const struct codec_x12_set *t;
    struct codec_x12_837 *m;
    char comp;
    int pos; /* position of the current segment in the set */
    const char *loop;
    struct claim_build *c;
    struct person sub, pat;
    bool in_patient;
    int hl_ids[CODEC_X12_MAX_SEGMENTS / 4];
    int hl_levels[CODEC_X12_MAX_SEGMENTS / 4];
    int n_hl;
    int level; /* the current HL's level code: 20, 22, 23 or 0 */
    bool oom;
};

/* ---- errors ---- */

static void add_err(struct reader *r, const char *seg_id, int position, const char *loop, int code,
                    int elem, int comp, int ref, int elem_code)
{
    struct codec_x12_837 *m = r->m;
    if (m->n_errs >= CODEC_X12_MAX_IK3) {
        m->n_errs_dropped++;
        return;
    }
    struct codec_x12_ik3 *e = &m->errs[m->n_errs++];
    memset(e, 0, sizeof *e);
    snprintf(e->seg_id, sizeof e->seg_id, "%s", seg_id);
    e->position = position;
    snprintf(e->loop, sizeof e->loop, "%s", loop ? loop : "");
    e->code = code;
    e->elem = elem;
    e->comp = comp;
    e->elem_ref = ref;
    e->elem_code = elem_code;
    if (r->c && r->c->open)
        snprintf(e->clm01, sizeof e->clm01, "%s", r->c->clm01);
}

static void elem_err(struct reader *r, const struct codec_x12_seg *s, int elem, int comp, int ref,
                     int code)
{
    add_err(r, s->el[0], r->pos, r->loop, 8, elem, comp, ref, code);
}

/* The IK403 code of a string element value, 0 when it is good. */
static int an_problem(const char *v, size_t min, size_t max)
{
    size_t n = strlen(v);
    if (n == 0)
        return 1;
    if (n < min)
        return 4;
    if (n > max)
        return 5;
    if (!codec_x12_is_an(v, 0, max))
        return 6;
    return 0;
}

/* A required AN/ID element; copies it to out when good. */
static bool need_an(struct reader *r, const struct codec_x12_seg *s, int i, size_t min, size_t max,
                    int ref, char *out, size_t size)
{
    int p = an_problem(codec_x12_el(s, i), min, max);
    if (p) {
        elem_err(r, s, i, 0, ref, p);
        return false;
    }
    if (out)
        snprintf(out, size, "%s", codec_x12_el(s, i));
    return true;
}

/* An optional AN element: empty is fine. */
static bool opt_an(struct reader *r, const struct codec_x12_seg *s, int i, size_t min, size_t max,
                   int ref, char *out, size_t size)
{
    if (!codec_x12_el(s, i)[0]) {
        if (out)
            out[0] = '\0';
        return true;
    }
    return need_an(r, s, i, min, max, ref, out, size);
}

static bool need_code(struct reader *r, const struct codec_x12_seg *s, int i,
                      const char *const *codes, int ref)
{
    const char *v = codec_x12_el(s, i);
    if (!v[0]) {
        elem_err(r, s, i, 0, ref, 1);
        return false;
    }
    for (; *codes; codes++)
        if (strcmp(v, *codes) == 0)
            return true;
    elem_err(r, s, i, 0, ref, 7);
    return false;
}

static bool need_amount(struct reader *r, const struct codec_x12_seg *s, int i, int ref, char *out,
                        size_t size)
{
    const char *v = codec_x12_el(s, i);
    if (!v[0]) {
        elem_err(r, s, i, 0, ref, 1);
        return false;
    }
    long long cents;
    if (!codec_x12_is_r_cents(v, 18, &cents)) {
        elem_err(r, s, i, 0, ref, 6);
        return false;
    }
    /* As a JSON number with two decimals: the same text money_parse reads. */
    long long mag = cents < 0 ? -cents : cents;
    int w = snprintf(out, size, "%s%lld.%02lld", cents < 0 ? "-" : "", mag / 100, mag % 100);
    if (w < 0 || (size_t)w >= size) {
        elem_err(r, s, i, 0, ref, 5);
        return false;
    }
    return true;
}

/* A quantity (R, at most 15 digits): kept as sent for the JSON validation. */
static bool need_quantity(struct reader *r, const struct codec_x12_seg *s, int i, int ref,
                          char *out, size_t size)
{
    const char *v = codec_x12_el(s, i);
    if (!v[0]) {
        elem_err(r, s, i, 0, ref, 1);
        return false;
    }
    const char *p = v;
    bool point = false, digit = false;
    size_t digits = 0;
    if (*p == '-')
        p++;
    for (; *p; p++) {
        if (*p == '.' && !point) {
            point = true;
        } else if (*p >= '0' && *p <= '9') {
            digit = true;
            digits++;
        } else {
            elem_err(r, s, i, 0, ref, 6);
            return false;
        }
    }
    if (!digit || digits > 15 || strlen(v) + 1 > size) {
        elem_err(r, s, i, 0, ref, digits > 15 ? 5 : 6);
        return false;
    }
    snprintf(out, size, "%s", v);
    return true;
}

/* DTP02/DTP03: D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD; from/to (9 bytes). */
static bool read_dtp_dates(struct reader *r, const struct codec_x12_seg *s, bool rd8_ok, char *from,
                           char *to)
{
    static const char *const d8[] = {"D8", NULL}, *const both[] = {"D8", "RD8", NULL};
    if (!need_code(r, s, 2, rd8_ok ? both : d8, 1250))
        return false;
    const char *v = codec_x12_el(s, 3);
    if (!v[0]) {
        elem_err(r, s, 3, 0, 1251, 1);
        return false;
    }
    if (strcmp(codec_x12_el(s, 2), "D8") == 0) {
        if (!codec_x12_is_date8(v, NULL, NULL, NULL)) {
            elem_err(r, s, 3, 0, 1251, 8);
            return false;
        }
        snprintf(from, 9, "%s", v);
        snprintf(to, 9, "%s", v);
        return true;
    }
    char a[9] = "", b[9] = "";
    if (strlen(v) != 17 || v[8] != '-') {
        elem_err(r, s, 3, 0, 1251, 8);
        return false;
    }
    memcpy(a, v, 8);
    memcpy(b, v + 9, 8);
    if (!codec_x12_is_date8(a, NULL, NULL, NULL) || !codec_x12_is_date8(b, NULL, NULL, NULL) ||
        strcmp(a, b) > 0) {
        elem_err(r, s, 3, 0, 1251, 8);
        return false;
    }
    memcpy(from, a, 9);
    memcpy(to, b, 9);
    return true;
}

/* ---- the JSON submission of one claim ---- */

static struct json_object *jstr(const char *s)
{
    return json_object_new_string(s);
}

static struct json_object *jdate(const char *d8)
{
    char buf[11];
    if (strlen(d8) != 8)
        return json_object_new_string(d8);
    snprintf(buf, sizeof buf, "%.4s-%.2s-%.2s", d8, d8 + 4, d8 + 6);
    return json_object_new_string(buf);
}

/* A JSON number with its text as sent (json-c keeps it for serialisation and
 * for json_object_get_string, which the validation reads). */
static struct json_object *jnum(const char *text)
{
    if (codec_x12_is_n0(text, 1, 9))
        return json_object_new_int64(strtoll(text, NULL, 10)); /* a whole number: an integer */
    return json_object_new_double_s(strtod(text, NULL), text);
}

static void reject(struct codec_x12_claim_in *ci, const char *category, const char *status,
                   const char *entity, const char *text)
{
    ci->reject_category = category;
    ci->reject_status = status;
    ci->reject_entity = entity;
    ci->reject_text = text;
}

/* ICD-10-CM travels without its dot in X12 (J209); the JSON form has it. */
static void icd_with_dot(const char *code, char *out, size_t size)
{
    if (strlen(code) > 3 && !strchr(code, '.'))
        snprintf(out, size, "%.3s.%s", code, code + 3);
    else
        snprintf(out, size, "%s", code);
}

/* Reports (IK3) the segments a claim and its lines needed and did not send. */
static void report_missing_segments(struct reader *r, const struct claim_build *c, bool inst)
{
    if (!c->has_hi)
        add_err(r, "HI", c->clm_position, "2300", 3, 0, 0, 0, 0);
    if (c->n_lines_total == 0)
        add_err(r, "LX", c->clm_position, "2300", 3, 0, 0, 0, 0);
    for (int i = 0; i < c->n_lines; i++) {
        const struct line_build *l = &c->lines[i];
        if (!l->has_service)
            add_err(r, inst ? "SV2" : "SV1", l->lx_position, "2400", 3, 0, 0, 0, 0);
        else if (!inst && !l->date[0])
            add_err(r, "DTP", l->lx_position, "2400", 3, 0, 0, 0, 0);
    }
}

/* The claim's period (837I statement dates, 837P span of the lines) and bill type. */
static void set_claim_period(struct codec_x12_claim_in *ci, const struct claim_build *c, bool inst)
{
    if (inst) {
        snprintf(ci->from, sizeof ci->from, "%s", c->stmt_from);
        snprintf(ci->to, sizeof ci->to, "%s", c->stmt_to);
        snprintf(ci->bill_type, sizeof ci->bill_type, "%s%s", c->facility, c->frequency);
        return;
    }
    for (int i = 0; i < c->n_lines; i++) {
        const char *d = c->lines[i].date;
        if (!d[0])
            continue;
        if (!ci->from[0] || strcmp(d, ci->from) < 0)
            snprintf(ci->from, sizeof ci->from, "%s", d);
        if (!ci->to[0] || strcmp(d, ci->to) > 0)
            snprintf(ci->to, sizeof ci->to, "%s", d);
    }
}

/* Copies the patient into ci; false (claim rejected) without id, first name or birth date. */
static bool take_patient(struct reader *r, struct codec_x12_claim_in *ci, const struct person *p)
{
    snprintf(ci->last_name, sizeof ci->last_name, "%s", p->last);
    snprintf(ci->first_name, sizeof ci->first_name, "%s", p->first);
    snprintf(ci->member_id, sizeof ci->member_id, "%s", p->has_id ? p->id : "");
    if (!p->has_id) {
        reject(ci, "A7", "21", "QC",
               "2010CA NM109 the patient's own member id is required (send each member as the "
               "subscriber)");
        return false;
    }
    if (!p->first[0]) {
        reject(ci, "A7", "21", r->pat.present ? "QC" : "IL",
               r->pat.present ? "2010CA NM104 the patient's first name is required"
                              : "2010BA NM104 the patient's first name is required");
        return false;
    }
    if (!p->birth[0]) {
        reject(ci, "A7", "158", r->pat.present ? "QC" : "IL",
               r->pat.present ? "2010CA DMG02 the patient's birth date is required"
                              : "2010BA DMG02 the patient's birth date is required");
        return false;
    }
    return true;
}

/* False (the claim rejected) at the first line the payer cannot take. */
static bool lines_acceptable(struct codec_x12_claim_in *ci, const struct claim_build *c, bool inst)
{
    for (int i = 0; i < c->n_lines; i++) {
        const struct line_build *l = &c->lines[i];
        if (l->mod_too_long) {
            reject(ci, "A7", "453", "",
                   inst ? "2400 SV202 a procedure modifier is not 2 characters"
                        : "2400 SV101 a procedure modifier is not 2 characters");
            return false;
        }
        if (inst && !l->proc[0]) {
            reject(ci, "A7", "454", "",
                   "2400 SV202 a HCPCS procedure code is required on every line by this payer");
            return false;
        }
        if (inst && !l->date[0] && !c->stmt_from[0]) {
            reject(ci, "A7", "187", "", "2300 DTP*434 statement dates are required");
            return false;
        }
    }
    return true;
}

/* False (the claim rejected) when CLM02 is not the total of the lines' charges. */
static bool charges_balance(struct codec_x12_claim_in *ci, const struct claim_build *c, bool inst)
{
    /* CLM02 is the total of the lines (both guides): a claim out of balance
     * would give the 835 a CLP03 that its lines do not add up to. */
    if (c->n_lines_total > B_MAX_LINES)
        return true;
    long long sum = 0, cents;
    for (int i = 0; i < c->n_lines; i++)
        if (codec_x12_is_r_cents(c->lines[i].charge, 18, &cents))
            sum += cents;
    if (sum != ci->charge_cents) {
        reject(ci, "A7", "400", "",
               inst ? "2300 CLM02 is not the total of the lines' charges (SV203)"
                    : "2300 CLM02 is not the total of the lines' charges (SV102)");
        return false;
    }
    return true;
}

/* Adds the claim's service lines to the array lines; -1 when out of memory. */
static int add_json_lines(struct json_object *lines, const struct claim_build *c, bool inst)
{
    for (int i = 0; i < c->n_lines; i++) {
        const struct line_build *l = &c->lines[i];
        struct json_object *lo = json_object_new_object(), *mods = json_object_new_array();
        if (!lo || !mods) {
            json_object_put(lo);
            json_object_put(mods);
            return -1;
        }
        json_object_object_add(lo, "service_date", jdate(l->date[0] ? l->date : c->stmt_from));
        json_object_object_add(lo, "procedure_code", jstr(l->proc));
        for (int k = 0; k < l->n_mods; k++)
            json_object_array_add(mods, jstr(l->mods[k]));
        json_object_object_add(lo, "modifiers", mods);
        json_object_object_add(lo, "units", jnum(l->units));
        json_object_object_add(lo, "charge", jnum(l->charge));
        if (inst)
            json_object_object_add(lo, "revenue_code", jstr(l->revenue));
        json_object_array_add(lines, lo);
    }
    return 0;
}

/* The claim's JSON submission (as POST /v1/claims takes it); -1 when out of memory. */
static int build_submission(struct reader *r, struct codec_x12_claim_in *ci, const struct person *p)
{
    const struct claim_build *c = r->c;
    bool inst = r->m->institutional;
    struct json_object *o = json_object_new_object(), *patient = json_object_new_object(),
                       *prov = json_object_new_object(), *dx = json_object_new_array(),
                       *lines = json_object_new_array();
    if (!o || !patient || !prov || !dx || !lines) {
        json_object_put(o);
        json_object_put(patient);
        json_object_put(prov);
        json_object_put(dx);
        json_object_put(lines);
        return -1;
    }
    const struct codec_x12_provider_in *bp = &r->m->providers[ci->provider];
    json_object_object_add(o, "type", jstr("medical"));
    json_object_object_add(o, "member_id", jstr(p->id));
    json_object_object_add(patient, "first_name", jstr(p->first));
    json_object_object_add(patient, "last_name", jstr(p->last));
    json_object_object_add(patient, "birth_date", jdate(p->birth));
    json_object_object_add(o, "patient", patient);
    json_object_object_add(o, "assignment_of_benefits",
                           json_object_new_boolean(strcmp(c->clm08, "Y") == 0));
    json_object_object_add(o, "patient_control_number", jstr(c->clm01));
    json_object_object_add(prov, "npi", jstr(bp->npi));
    json_object_object_add(prov, "name", jstr(bp->name));
    json_object_object_add(prov, "network", jstr(strcmp(c->clm07, "C") == 0 ? "out" : "in"));
    json_object_object_add(prov, "facility", json_object_new_boolean(inst));
    json_object_object_add(o, "provider", prov);
    json_object_object_add(o, "inpatient",
                           json_object_new_boolean(inst && strcmp(c->facility, "11") == 0));
    json_object_object_add(o, "itemized_bill", json_object_new_boolean(true));
    for (int i = 0; i < c->n_dx; i++) {
        char code[40];
        icd_with_dot(c->dx[i], code, sizeof code);
        json_object_array_add(dx, jstr(code));
    }
    json_object_object_add(o, "diagnosis_codes", dx);
    if (add_json_lines(lines, c, inst) != 0) {
        json_object_put(o);
        json_object_put(lines);
        return -1;
    }
    json_object_object_add(o, "lines", lines);
    ci->submission = o;
    return 0;
}

/* Ends the open claim: rejected (ci->reject_*) or mapped; -1 when out of memory. */
static int close_claim(struct reader *r)
{
    struct claim_build *c = r->c;
    if (!c || !c->open)
        return 0;
    struct codec_x12_837 *m = r->m;
    struct codec_x12_claim_in *ci = &m->claims[m->n_claims - 1];
    bool inst = m->institutional;
    report_missing_segments(r, c, inst);
    c->open = false;
    set_claim_period(ci, c, inst);
    const struct person *p = r->pat.present ? &r->pat : &r->sub;
    if (!take_patient(r, ci, p) || !lines_acceptable(ci, c, inst) || !charges_balance(ci, c, inst))
        return 0;
    return build_submission(r, ci, p);
}

/* ---- segments ---- */

static void read_bht(struct reader *r, const struct codec_x12_seg *s)
{
    static const char *const purpose[] = {"00", "18", NULL}, *const kind[] = {"CH", "RP", "31",
                                                                              NULL};
    static const char *const structure[] = {"0019", NULL};
    need_code(r, s, 1, structure, 1005);
    need_code(r, s, 2, purpose, 353);
    need_an(r, s, 3, 1, 50, 127, r->m->bht03, sizeof r->m->bht03);
    if (!codec_x12_el(s, 4)[0])
        elem_err(r, s, 4, 0, 373, 1);
    else if (!codec_x12_is_date8(codec_x12_el(s, 4), NULL, NULL, NULL))
        elem_err(r, s, 4, 0, 373, 8);
    if (!codec_x12_el(s, 5)[0])
        elem_err(r, s, 5, 0, 337, 1);
    else if (!codec_x12_is_time(codec_x12_el(s, 5)))
        elem_err(r, s, 5, 0, 337, 9);
    need_code(r, s, 6, kind, 640);
}

static void read_nm1_person(struct reader *r, const struct codec_x12_seg *s, struct person *p,
                            bool id_required, const char *id_qual)
{
    static const char *const one[] = {"1", NULL}, *const either[] = {"1", "2", NULL};
    memset(p, 0, sizeof *p);
    p->present = true;
    need_code(r, s, 2, id_required ? either : one, 1065);
    need_an(r, s, 3, 1, 60, 1035, p->last, sizeof p->last);
    opt_an(r, s, 4, 1, 35, 1036, p->first, sizeof p->first);
    const char *quals[] = {id_qual, NULL};
    if (codec_x12_el(s, 8)[0] || codec_x12_el(s, 9)[0] || id_required) {
        if (need_code(r, s, 8, quals, 66) && need_an(r, s, 9, 2, 80, 67, p->id, sizeof p->id))
            p->has_id = true;
    }
}

/* A party's NM1 read by its name and id: the entity type (NM102, one of types), the name
 * (NM103) into name, the id qualifier (NM108, one of qualifiers) and the id (NM109) into id.
 * A NULL name or id is checked and not kept. */
static void read_nm1_party(struct reader *r, const struct codec_x12_seg *s,
                           const char *const *types, const char *const *qualifiers, char *name,
                           size_t name_size, char *id, size_t id_size)
{
    need_code(r, s, 2, types, 1065);
    need_an(r, s, 3, 1, 60, 1035, name, name_size);
    need_code(r, s, 8, qualifiers, 66);
    need_an(r, s, 9, 2, 80, 67, id, id_size);
}

static void read_nm1(struct reader *r, const struct codec_x12_seg *s)
{
    const char *who = codec_x12_el(s, 1);
    struct codec_x12_837 *m = r->m;
    static const char *const org[] = {"2", NULL}, *const either[] = {"1", "2", NULL};
    static const char *const q46[] = {"46", NULL}, *const qxx[] = {"XX", NULL},
                             *const qpi[] = {"PI", "XV", NULL};
    if (strcmp(who, "41") == 0) {
        r->loop = "1000A";
        read_nm1_party(r, s, either, q46, m->submitter_name, sizeof m->submitter_name,
                       m->submitter_id, sizeof m->submitter_id);
    } else if (strcmp(who, "40") == 0) {
        r->loop = "1000B";
        read_nm1_party(r, s, org, q46, m->receiver_name, sizeof m->receiver_name, m->receiver_id,
                       sizeof m->receiver_id);
    } else if (strcmp(who, "85") == 0) {
        r->loop = "2010AA";
        if (r->level != 20 || m->n_providers == 0) {
            add_err(r, "NM1", r->pos, "2010AA", 2, 0, 0, 0, 0); /* unexpected segment */
            return;
        }
        struct codec_x12_provider_in *p = &m->providers[m->n_providers - 1];
        need_code(r, s, 2, either, 1065);
        p->person = strcmp(codec_x12_el(s, 2), "1") == 0;
        char last[61] = "", first[36] = "";
        need_an(r, s, 3, 1, 60, 1035, last, sizeof last);
        opt_an(r, s, 4, 1, 35, 1036, first, sizeof first);
        if (p->person && first[0])
            snprintf(p->name, sizeof p->name, "%s %s", first, last);
        else
            snprintf(p->name, sizeof p->name, "%s", last);
        need_code(r, s, 8, qxx, 66);
        need_an(r, s, 9, 2, 80, 67, p->npi, sizeof p->npi);
    } else if (strcmp(who, "IL") == 0) {
        r->loop = "2010BA";
        if (r->level != 22) {
            add_err(r, "NM1", r->pos, "2010BA", 2, 0, 0, 0, 0);
            return;
        }
        read_nm1_person(r, s, &r->sub, true, "MI");
    } else if (strcmp(who, "PR") == 0) {
        r->loop = "2010BB";
        read_nm1_party(r, s, org, qpi, NULL, 0, NULL, 0);
    } else if (strcmp(who, "QC") == 0 && r->level == 23 && !r->c->open) {
        r->loop = "2010CA";
        read_nm1_person(r, s, &r->pat, false, "MI");
    } else {
        /* Other parties (rendering, referring, facility, pay-to...): not mapped. */
        if (an_problem(who, 2, 3))
            elem_err(r, s, 1, 0, 98, an_problem(who, 2, 3));
    }
}

static int read_hl(struct reader *r, const struct codec_x12_seg *s)
{
    if (close_claim(r))
        return -1;
    static const char *const levels[] = {"20", "22", "23", NULL}, *const child[] = {"0", "1", NULL};
    r->loop = "2000";
    if (!codec_x12_is_n0(codec_x12_el(s, 1), 1, 12)) {
        elem_err(r, s, 1, 0, 628, codec_x12_el(s, 1)[0] ? 6 : 1);
        r->level = 0;
        return 0;
    }
    if (!need_code(r, s, 3, levels, 735)) {
        r->level = 0;
        return 0;
    }
    need_code(r, s, 4, child, 736);
    int level = atoi(codec_x12_el(s, 3)), id = atoi(codec_x12_el(s, 1));
    int parent_level = 0;
    if (codec_x12_el(s, 2)[0]) {
        int parent = codec_x12_is_n0(codec_x12_el(s, 2), 1, 12) ? atoi(codec_x12_el(s, 2)) : -1;
        for (int i = 0; i < r->n_hl; i++)
            if (r->hl_ids[i] == parent)
                parent_level = r->hl_levels[i];
    }
    int want = level == 20 ? 0 : level == 22 ? 20 : 22;
    if (parent_level != want || (level == 20 && codec_x12_el(s, 2)[0])) {
        elem_err(r, s, 2, 0, 734, codec_x12_el(s, 2)[0] || want ? 7 : 1);
        if (level != 20 || codec_x12_el(s, 2)[0]) {
            r->level = 0;
            return 0;
        }
    }
    for (int i = 0; i < r->n_hl; i++)
        if (r->hl_ids[i] == id)
            elem_err(r, s, 1, 0, 628, 7);
    if (r->n_hl < (int)(sizeof r->hl_ids / sizeof *r->hl_ids)) {
        r->hl_ids[r->n_hl] = id;
        r->hl_levels[r->n_hl++] = level;
    }
    r->level = level;
    if (level == 20) {
        r->loop = "2000A";
        struct codec_x12_provider_in *p =
            realloc(r->m->providers, (size_t)(r->m->n_providers + 1) * sizeof *p);
        if (!p)
            return -1;
        r->m->providers = p;
        memset(&p[r->m->n_providers++], 0, sizeof *p);
        memset(&r->sub, 0, sizeof r->sub);
        memset(&r->pat, 0, sizeof r->pat);
    } else if (level == 22) {
        r->loop = "2000B";
        memset(&r->sub, 0, sizeof r->sub);
        memset(&r->pat, 0, sizeof r->pat);
    } else {
        r->loop = "2000C";
        memset(&r->pat, 0, sizeof r->pat);
    }
    return 0;
}

static void read_dmg(struct reader *r, const struct codec_x12_seg *s)
{
    struct person *p = r->level == 23 ? &r->pat : r->level == 22 ? &r->sub : NULL;
    if (!p || r->c->open)
        return;
    static const char *const d8[] = {"D8", NULL};
    need_code(r, s, 1, d8, 1250);
    if (!codec_x12_el(s, 2)[0])
        elem_err(r, s, 2, 0, 1251, 1);
    else if (!codec_x12_is_date8(codec_x12_el(s, 2), NULL, NULL, NULL))
        elem_err(r, s, 2, 0, 1251, 8);
    else
        snprintf(p->birth, sizeof p->birth, "%s", codec_x12_el(s, 2));
}

static int read_clm(struct reader *r, const struct codec_x12_seg *s)
{
    if (close_claim(r))
        return -1;
    struct codec_x12_837 *m = r->m;
    r->loop = "2300";
    if (m->n_providers == 0 || (r->level != 22 && r->level != 23) || !r->sub.present) {
        add_err(r, "CLM", r->pos, "2300", 2, 0, 0, 0, 0);
        return 0;
    }
    struct codec_x12_claim_in *ci = realloc(m->claims, (size_t)(m->n_claims + 1) * sizeof *ci);
    if (!ci)
        return -1;
    m->claims = ci;
    ci = &m->claims[m->n_claims++];
    memset(ci, 0, sizeof *ci);
    ci->provider = m->n_providers - 1;
    snprintf(ci->billing_npi, sizeof ci->billing_npi, "%s", m->providers[ci->provider].npi);
    struct claim_build *c = r->c;
    memset(c, 0, sizeof *c);
    c->open = true;
    c->clm_position = r->pos;
    if (need_an(r, s, 1, 1, 38, 1028, c->clm01, sizeof c->clm01))
        snprintf(ci->clm01, sizeof ci->clm01, "%s", c->clm01);
    if (need_amount(r, s, 2, 782, c->charge, sizeof c->charge))
        codec_x12_is_r_cents(codec_x12_el(s, 2), 18, &ci->charge_cents);
    /* CLM05: facility code : qualifier (B professional, A institutional) : frequency. */
    const char *c05 = codec_x12_el(s, 5);
    if (!c05[0]) {
        elem_err(r, s, 5, 0, 0, 1);
    } else {
        if (codec_x12_component(c05, r->comp, 1, c->facility, sizeof c->facility) <= 0 ||
            !codec_x12_is_n0(c->facility, 2, 2))
            elem_err(r, s, 5, 1, 1331, c->facility[0] ? 7 : 1);
        if (codec_x12_component(c05, r->comp, 2, c->qualifier, sizeof c->qualifier) != 1 ||
            strcmp(c->qualifier, m->institutional ? "A" : "B") != 0)
            elem_err(r, s, 5, 2, 1332, c->qualifier[0] ? 7 : 1);
        if (codec_x12_component(c05, r->comp, 3, c->frequency, sizeof c->frequency) != 1 ||
            !codec_x12_is_n0(c->frequency, 1, 1))
            elem_err(r, s, 5, 3, 1325, c->frequency[0] ? 7 : 1);
    }
    static const char *const abc[] = {"A", "B", "C", NULL}, *const ynw[] = {"Y", "N", "W", NULL};
    if (!m->institutional) {
        static const char *const yn[] = {"Y", "N", NULL};
        need_code(r, s, 6, yn, 1073);
    }
    if (need_code(r, s, 7, abc, 1359))
        snprintf(c->clm07, sizeof c->clm07, "%s", codec_x12_el(s, 7));
    if (need_code(r, s, 8, ynw, 1073))
        snprintf(c->clm08, sizeof c->clm08, "%s", codec_x12_el(s, 8));
    return 0;
}

static void read_dtp(struct reader *r, const struct codec_x12_seg *s)
{
    struct claim_build *c = r->c;
    if (!c->open)
        return; /* DTP outside a claim (none are mapped) */
    const char *q = codec_x12_el(s, 1);
    if (!codec_x12_is_n0(q, 3, 3)) {
        elem_err(r, s, 1, 0, 374, q[0] ? 7 : 1);
        return;
    }
    char from[9] = "", to[9] = "";
    if (c->n_lines_total > 0) {
        if (strcmp(q, "472") != 0)
            return;
        if (!read_dtp_dates(r, s, true, from, to) || c->n_lines_total > B_MAX_LINES)
            return;
        snprintf(c->lines[c->n_lines - 1].date, 9, "%s", from);
        return;
    }
    if (strcmp(q, "434") == 0 && r->m->institutional) {
        static const char *const rd8[] = {"RD8", NULL};
        if (need_code(r, s, 2, rd8, 1250) && read_dtp_dates(r, s, true, from, to)) {
            memcpy(c->stmt_from, from, 9);
            memcpy(c->stmt_to, to, 9);
        }
    } else if (strcmp(q, "435") == 0 && r->m->institutional) {
        static const char *const fmt[] = {"D8", "DT", NULL};
        if (need_code(r, s, 2, fmt, 1250)) {
            const char *v = codec_x12_el(s, 3);
            char d[9] = "";
            if (strlen(v) >= 8)
                memcpy(d, v, 8);
            bool ok = strcmp(codec_x12_el(s, 2), "D8") == 0
                          ? strlen(v) == 8 && codec_x12_is_date8(v, NULL, NULL, NULL)
                          : (strlen(v) == 12 && codec_x12_is_date8(d, NULL, NULL, NULL) &&
                             codec_x12_is_time(v + 8));
            if (!ok)
                elem_err(r, s, 3, 0, 1251, v[0] ? 8 : 1);
        }
    }
}

static void read_ref(struct reader *r, const struct codec_x12_seg *s)
{
    if (!r->c->open || r->c->n_lines_total > 0 || strcmp(codec_x12_el(s, 1), "D9") != 0)
        return;
    need_an(r, s, 2, 1, 50, 127, r->c->d9, sizeof r->c->d9);
    snprintf(r->m->claims[r->m->n_claims - 1].d9, sizeof r->c->d9, "%s", r->c->d9);
}

static void read_hi(struct reader *r, const struct codec_x12_seg *s)
{
    struct claim_build *c = r->c;
    if (!c->open || c->n_lines_total > 0) {
        add_err(r, "HI", r->pos, r->loop, 2, 0, 0, 0, 0);
        return;
    }
    bool inst = r->m->institutional;
    for (int i = 1; i <= s->n; i++) {
        const char *el = codec_x12_el(s, i);
        if (!el[0]) {
            if (i == 1)
                elem_err(r, s, 1, 0, 0, 1);
            continue;
        }
        char qual[4], code[31];
        if (codec_x12_component(el, r->comp, 1, qual, sizeof qual) <= 0) {
            elem_err(r, s, i, 1, 1270, 7);
            continue;
        }
        int n = codec_x12_component(el, r->comp, 2, code, sizeof code);
        bool principal = strcmp(qual, "ABK") == 0, other = strcmp(qual, "ABF") == 0,
             admitting = strcmp(qual, "ABJ") == 0;
        if (!principal && !other && !admitting && (!inst || !codec_x12_is_an(qual, 2, 3))) {
            elem_err(r, s, i, 1, 1270, 7);
            continue;
        }
        if (!principal && !other && !admitting)
            continue; /* 837I occurrence, value, condition, procedure codes: not mapped */
        if (admitting && !inst) {
            elem_err(r, s, i, 1, 1270, 7);
            continue;
        }
        if (n <= 0 || an_problem(code, 1, 30)) {
            elem_err(r, s, i, 2, 1271, n < 0 ? 5 : n == 0 ? 1 : an_problem(code, 1, 30));
            continue;
        }
        if (principal && (c->n_dx > 0 || i != 1) && c->has_hi) {
            elem_err(r, s, i, 1, 1270, 7); /* one principal diagnosis, first */
            continue;
        }
        bool dup = false;
        for (int k = 0; k < c->n_dx; k++)
            if (strcmp(c->dx[k], code) == 0)
                dup = true;
        if (!dup && c->n_dx < B_MAX_DX)
            snprintf(c->dx[c->n_dx++], sizeof c->dx[0], "%s", code);
    }
    c->has_hi = true;
}

static void read_lx(struct reader *r, const struct codec_x12_seg *s)
{
    struct claim_build *c = r->c;
    r->loop = "2400";
    if (!c->open) {
        add_err(r, "LX", r->pos, "2400", 2, 0, 0, 0, 0);
        return;
    }
    if (!codec_x12_is_n0(codec_x12_el(s, 1), 1, 6))
        elem_err(r, s, 1, 0, 554, codec_x12_el(s, 1)[0] ? 6 : 1);
    c->n_lines_total++;
    if (c->n_lines < B_MAX_LINES) {
        struct line_build *l = &c->lines[c->n_lines++];
        memset(l, 0, sizeof *l);
        l->lx_position = r->pos;
    }
}

/* SV101 / SV202: HC:code[:modifier x4]. */
static void read_procedure(struct reader *r, const struct codec_x12_seg *s, int i, bool required,
                           struct line_build *l)
{
    const char *el = codec_x12_el(s, i);
    if (!el[0]) {
        if (required)
            elem_err(r, s, i, 0, 0, 1);
        return;
    }
    if (codec_x12_component(el, r->comp, 1, l->proc_qual, sizeof l->proc_qual) <= 0 ||
        strcmp(l->proc_qual, "HC") != 0) {
        elem_err(r, s, i, 1, 235, l->proc_qual[0] ? 7 : 1);
        return;
    }
    int n = codec_x12_component(el, r->comp, 2, l->proc, sizeof l->proc);
    if (n <= 0 || an_problem(l->proc, 1, 48)) {
        elem_err(r, s, i, 2, 234, n < 0 ? 5 : n == 0 ? 1 : an_problem(l->proc, 1, 48));
        return;
    }
    int count = codec_x12_component_count(el, r->comp);
    if (count > 7) {
        elem_err(r, s, i, 0, 0, 13); /* too many components */
        return;
    }
    for (int k = 3; k <= count && k <= 6; k++) {
        char mod[8];
        int len = codec_x12_component(el, r->comp, k, mod, sizeof mod);
        if (len <= 0)
            continue;
        if (an_problem(mod, 2, 2)) {
            l->mod_too_long = true;
            continue;
        }
        memcpy(l->mods[l->n_mods++], mod, 3); /* 2 characters and the NUL */
    }
}

static void read_sv(struct reader *r, const struct codec_x12_seg *s)
{
    struct claim_build *c = r->c;
    bool inst = r->m->institutional;
    if (!c->open || c->n_lines_total == 0 || codec_x12_is(s, inst ? "SV1" : "SV2")) {
        add_err(r, s->el[0], r->pos, "2400", 2, 0, 0, 0, 0);
        return;
    }
    if (c->n_lines_total > B_MAX_LINES)
        return;
    struct line_build *l = &c->lines[c->n_lines - 1];
    static const char *const unit_codes[] = {"UN", "MJ", NULL}, *const inst_units[] = {"UN", "DA",
                                                                                       NULL};
    l->has_service = true;
    if (!inst) {
        read_procedure(r, s, 1, true, l);
        need_amount(r, s, 2, 782, l->charge, sizeof l->charge);
        need_code(r, s, 3, unit_codes, 355);
        need_quantity(r, s, 4, 380, l->units, sizeof l->units);
        return;
    }
    if (need_an(r, s, 1, 1, 48, 234, l->revenue, sizeof l->revenue) &&
        !codec_x12_is_n0(l->revenue, 4, 4))
        elem_err(r, s, 1, 0, 234, 7);
    read_procedure(r, s, 2, false, l);
    need_amount(r, s, 3, 782, l->charge, sizeof l->charge);
    need_code(r, s, 4, inst_units, 355);
    need_quantity(r, s, 5, 380, l->units, sizeof l->units);
}

/* Segment ids of 837P and 837I. Any other is IK304 1 (unrecognized). */
static bool known_segment(const char *id)
{
    static const char *const ids[] = {
        "BHT", "NM1", "PER", "N3",  "N4",  "REF", "HL",  "PRV", "SBR", "PAT", "DMG", "CLM", "DTP",
        "CL1", "PWK", "CN1", "AMT", "K3",  "NTE", "CR1", "CR2", "CRC", "HI",  "HCP", "LX",  "SV1",
        "SV2", "SV5", "CR3", "LIN", "CTP", "QTY", "MEA", "PS1", "OI",  "MIA", "MOA", "SVD", "CAS",
        "LQ",  "FRM", "TOO", "CUR", "CR5", "CR6", "CR7", "HSD", "SBR", NULL};
    for (int i = 0; ids[i]; i++)
        if (strcmp(id, ids[i]) == 0)
            return true;
    return false;
}

void codec_x12_837_free(struct codec_x12_837 *m)
{
    for (int i = 0; i < m->n_claims; i++)
        json_object_put(m->claims[i].submission);
    free(m->claims);
    free(m->providers);
    memset(m, 0, sizeof *m);
}

int codec_x12_837_read(const struct codec_x12_doc *doc, const struct codec_x12_set *t,
                       struct codec_x12_837 *out)
{
    memset(out, 0, sizeof *out);
    struct reader *r = calloc(1, sizeof *r);
    struct claim_build *c = calloc(1, sizeof *c);
    if (!r || !c) {
        free(r);
        free(c);
        return -1;
    }
    r->doc = doc;
    r->t = t;
    r->m = out;
    r->comp = doc->d.component;
    r->c = c;
    r->loop = "";
    out->institutional = strcmp(t->version, "005010X223A2") == 0;
    int end = t->se >= 0 ? t->se : t->st + 1;
    bool submitter = false, receiver = false;
    int rc = 0;
    for (int i = t->st + 1; i < end && rc == 0; i++) {
        const struct codec_x12_seg *s = &doc->segs[i];
        r->pos = i - t->st + 1;
        const char *id = s->el[0];
        if (i == t->st + 1) {
            if (!codec_x12_is(s, "BHT")) {
                add_err(r, "BHT", r->pos, "", 3, 0, 0, 0, 0);
            } else {
                read_bht(r, s);
                continue;
            }
        }
        if (!known_segment(id)) {
            add_err(r, id, r->pos, r->loop, 1, 0, 0, 0, 0);
            continue;
        }
        if (codec_x12_is(s, "NM1")) {
            if (strcmp(codec_x12_el(s, 1), "41") == 0)
                submitter = true;
            if (strcmp(codec_x12_el(s, 1), "40") == 0)
                receiver = true;
            read_nm1(r, s);
        } else if (codec_x12_is(s, "HL")) {
            rc = read_hl(r, s);
        } else if (codec_x12_is(s, "DMG")) {
            read_dmg(r, s);
        } else if (codec_x12_is(s, "CLM")) {
            rc = read_clm(r, s);
        } else if (codec_x12_is(s, "DTP")) {
            read_dtp(r, s);
        } else if (codec_x12_is(s, "REF")) {
            read_ref(r, s);
        } else if (codec_x12_is(s, "HI")) {
            read_hi(r, s);
        } else if (codec_x12_is(s, "LX")) {
            read_lx(r, s);
        } else if (codec_x12_is(s, "SV1") || codec_x12_is(s, "SV2")) {
            read_sv(r, s);
        }
    }
    if (rc == 0)
        rc = close_claim(r);
    r->pos = end - t->st + 1;
    if (rc == 0) {
        if (!submitter)
            add_err(r, "NM1", 2, "1000A", 3, 0, 0, 0, 0);
        if (!receiver)
            add_err(r, "NM1", 2, "1000B", 3, 0, 0, 0, 0);
        for (int i = 0; i < out->n_providers; i++)
            if (!out->providers[i].npi[0])
                add_err(r, "NM1", r->pos, "2010AA", 3, 0, 0, 0, 0);
        if (out->n_claims == 0)
            add_err(r, "CLM", r->pos, "2300", 3, 0, 0, 0, 0);
    }
    free(c);
    free(r);
    if (rc != 0) {
        codec_x12_837_free(out);
        return -1;
    }
    return 0;
}

/* ---- JSON paths back to X12 elements ---- */

void codec_x12_837_element_of(const char *path, bool inst, char *out, size_t size,
                              const char **status, const char **entity)
{
    *status = "21";
    *entity = "";
    int line = -1;
    const char *field = path;
    if (strncmp(path, "lines[", 6) == 0) {
        line = atoi(path + 6);
        const char *dot = strchr(path, '.');
        field = dot ? dot + 1 : "";
    }
    if (line >= 0) {
        const char *el = "LX";
        if (strcmp(field, "service_date") == 0) {
            el = inst ? "DTP03 (DTP*472, or 2300 DTP*434)" : "DTP03 (DTP*472)";
            *status = "187";
        } else if (strcmp(field, "procedure_code") == 0) {
            el = inst ? "SV202-2" : "SV101-2";
            *status = "454";
        } else if (strncmp(field, "modifiers", 9) == 0) {
            el = inst ? "SV202-3" : "SV101-3";
            *status = "453";
        } else if (strcmp(field, "units") == 0) {
            el = inst ? "SV205" : "SV104";
        } else if (strcmp(field, "charge") == 0) {
            el = inst ? "SV203" : "SV102";
            *status = "178";
        } else if (strcmp(field, "revenue_code") == 0) {
            el = "SV201";
        }
        snprintf(out, size, "2400 %s (LX %d)", el, line + 1);
        return;
    }
    struct map {
        const char *path, *element, *status, *entity;
    };
    static const struct map maps[] = {
        {"provider.npi", "2010AA NM109", "562", "85"},
        {"provider.name", "2010AA NM103", "21", "85"},
        {"member_id", "2010BA NM109", "21", "IL"},
        {"patient.first_name", "2010BA NM104", "21", "QC"},
        {"patient.last_name", "2010BA NM103", "21", "QC"},
        {"patient.birth_date", "2010BA DMG02", "158", "QC"},
        {"patient_control_number", "2300 CLM01", "21", ""},
        {"diagnosis_codes", "2300 HI", "255", ""},
        {"lines", "2400 LX", "21", ""},
        {NULL, NULL, NULL, NULL},
    };
    for (const struct map *m = maps; m->path; m++) {
        size_t n = strlen(m->path);
        if (strncmp(path, m->path, n) == 0 &&
            (path[n] == '\0' || path[n] == '[' || path[n] == '.')) {
            if (strcmp(m->path, "diagnosis_codes") == 0 &&
                strcmp(path, "diagnosis_codes[0]") == 0) {
                snprintf(out, size, "2300 HI01-2 (ABK)");
                *status = "254";
                return;
            }
            snprintf(out, size, "%s", m->element);
            *status = m->status;
            *entity = m->entity;
            return;
        }
    }
    snprintf(out, size, "2300 CLM");
}
