#include "codec/parse_claim.h"

#include <string.h>

#include "codec/json_read.h"
#include "strbuf.h"

/* API.md "Submitting a claim": the fields of each kind of claim. */
static const char *const common_fields[] = {"type",
                                            "member_id",
                                            "patient",
                                            "received_date",
                                            "other_insurance",
                                            "assignment_of_benefits",
                                            "attachments",
                                            "patient_control_number",
                                            NULL};
static const char *const medical_fields[] = {"provider",        "inpatient", "itemized_bill",
                                             "diagnosis_codes", "lines",     NULL};
static const char *const pharmacy_fields[] = {"pharmacy",  "prescriber", "ndc",      "rx_number",
                                              "fill_date", "drug_name",  "quantity", "days_supply",
                                              "charge",    NULL};

static const char *const claim_type_names[] = {"medical", "pharmacy"};
static const char *const network_names[] = {"in", "out"};
static const char *const attachment_kind_names[] = {"itemized_bill", "primary_eob", "other"};

#define P_AFTER_RECEIVED "must not be after the received date"

/* patient_control_number: 1..38 printable ASCII characters (X12 CLM01). */
static bool value_patient_control_number(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_string)) {
        codec_report(r, CODEC_P_STRING);
        return false;
    }
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n < 1 || n > PCN_LEN - 1) {
        codec_report(r, "must be 1 to 38 characters");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            codec_report(r, "must be printable ASCII");
            return false;
        }
    memcpy(out, s, n + 1);
    return true;
}

/* A line's revenue code (institutional claims): 4 digits. */
static bool value_revenue_code(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_string)) {
        codec_report(r, CODEC_P_STRING);
        return false;
    }
    const char *s = json_object_get_string(v);
    bool ok = json_object_get_string_len(v) == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (!ok) {
        codec_report(r, "must be 4 digits");
        return false;
    }
    memcpy(out, s, 5);
    return true;
}

/* What the parse learnt that later checks depend on. */
struct claim_ctx {
    const struct codec_claim_options *opt;
    bool have_receipt; /* receipt is known: supplied and valid, or today */
    date_t receipt;
};

static bool listed(const char *const *list, const char *key)
{
    for (; *list; list++)
        if ((*list)[0] == key[0] && strcmp(*list, key) == 0) /* first byte: no call */
            return true;
    return false;
}

/* Unknown fields at the top level. A field of the other claim type is named
 * as such; with no valid type, type-specific fields are not judged. */
static void check_top_level_fields(struct codec_reader *r, struct json_object *body, int type)
{
    json_object_object_foreach(body, key, val)
    {
        (void)val;
        if (listed(common_fields, key))
            continue;
        bool medical = listed(medical_fields, key), pharmacy = listed(pharmacy_fields, key);
        if (medical && type == CLAIM_PHARMACY)
            codec_report_key(r, key, "not allowed for a pharmacy claim");
        else if (pharmacy && type == CLAIM_MEDICAL)
            codec_report_key(r, key, "not allowed for a medical claim");
        else if (!medical && !pharmacy)
            codec_report_key(r, key, CODEC_P_UNKNOWN);
    }
}

/* A date that must not be after `limit` (today, or the received date). */
static void field_date_not_after(struct codec_reader *r, struct json_object *obj, const char *key,
                                 bool required, bool have_limit, date_t limit, const char *problem,
                                 date_t *out)
{
    if (codec_field(r, obj, key, required, codec_value_date, out) == CODEC_GOT && have_limit &&
        date_cmp(*out, limit) > 0)
        codec_report_key(r, key, problem);
}

static void parse_patient(struct codec_reader *r, struct json_object *body,
                          const struct claim_ctx *ctx, struct patient *p)
{
    static const char *const fields[] = {"first_name", "last_name", "birth_date", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "patient", true, &mark);
    if (!o)
        return;
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "first_name", true, codec_value_name, p->first_name);
    codec_field(r, o, "last_name", true, codec_value_name, p->last_name);
    field_date_not_after(r, o, "birth_date", true, true, ctx->opt->today, CODEC_P_FUTURE,
                         &p->birth_date);
    codec_path_pop(&r->path, mark);
}

/* received_date: staff only (API.md "Roles"), not in the future. Sets the
 * receipt date that service and fill dates are held against. */
static void parse_received_date(struct codec_reader *r, struct json_object *body,
                                struct claim_ctx *ctx, struct claim *c)
{
    ctx->have_receipt = true;
    ctx->receipt = ctx->opt->today;
    if (!codec_member(body, "received_date"))
        return;
    if (!ctx->opt->may_set_received_date) {
        codec_report_key(r, "received_date", "not allowed for this role");
        return;
    }
    date_t d;
    if (codec_field(r, body, "received_date", false, codec_value_date, &d) != CODEC_GOT) {
        ctx->have_receipt = false;
        return;
    }
    if (date_cmp(d, ctx->opt->today) > 0) {
        codec_report_key(r, "received_date", CODEC_P_FUTURE);
        ctx->have_receipt = false;
        return;
    }
    c->has_received_date = true;
    c->received_date = d;
    ctx->receipt = d;
}

static void parse_other_insurance(struct codec_reader *r, struct json_object *body,
                                  const struct claim_ctx *ctx, struct other_insurance *oi)
{
    static const char *const fields[] = {"payer_name", "paid", "allowed", "patient_responsibility",
                                         "eob_date",   NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "other_insurance", false, &mark);
    if (!o)
        return;
    oi->present = true;
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "payer_name", true, codec_value_name, oi->payer_name);
    codec_field(r, o, "paid", true, codec_value_money, &oi->paid);
    codec_field(r, o, "allowed", true, codec_value_money, &oi->allowed);
    codec_field(r, o, "patient_responsibility", true, codec_value_money,
                &oi->patient_responsibility);
    field_date_not_after(r, o, "eob_date", true, true, ctx->opt->today, CODEC_P_FUTURE,
                         &oi->eob_date);
    codec_path_pop(&r->path, mark);
}

static void parse_attachment(struct codec_reader *r, struct json_object *o, void *out,
                             const void *ctx)
{
    static const char *const fields[] = {"kind", "reference", NULL};
    struct attachment *at = out;
    (void)ctx;
    int kind = 0;
    struct codec_enum_spec kinds = {attachment_kind_names, 3,
                                    "must be itemized_bill, primary_eob or other", &kind};
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "kind", true, codec_value_enum, &kinds);
    at->kind = (enum attachment_kind)kind;
    codec_field(r, o, "reference", true, codec_value_reference, at->reference);
}

static void parse_attachments(struct codec_reader *r, struct json_object *body, struct claim *c)
{
    static const struct codec_list attachments = {"attachments", false, 0, MAX_ATTACHMENTS,
                                                  "must have at most 20 attachments"};
    c->n_attachments = codec_object_list(r, body, &attachments, parse_attachment, c->attachments,
                                         sizeof c->attachments[0], NULL);
}

/* ---- medical ---- */

/* Returns the provider's network, or -1 when it is not known. */
static int parse_provider(struct codec_reader *r, struct json_object *body,
                          struct medical_provider *p)
{
    static const char *const fields[] = {"npi", "name", "network", "facility", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "provider", true, &mark);
    if (!o)
        return -1;
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "npi", true, codec_value_npi, p->npi);
    codec_field(r, o, "name", true, codec_value_name, p->name);
    int network = codec_required_enum(r, o, "network", network_names, 2, "must be in or out");
    if (network >= 0)
        p->network = (enum network)network;
    codec_field(r, o, "facility", false, codec_value_bool, &p->facility);
    codec_path_pop(&r->path, mark);
    return network;
}

static void parse_diagnoses(struct codec_reader *r, struct json_object *body, struct claim *c)
{
    static const struct codec_list codes = {"diagnosis_codes", true, 1, MAX_DIAGNOSES,
                                            "must have 1 to 12 codes"};
    c->n_diagnosis_codes = codec_value_list(r, body, &codes, codec_value_icd10, c->diagnosis_codes,
                                            sizeof c->diagnosis_codes[0]);
}

static void parse_line(struct codec_reader *r, struct json_object *o, void *out,
                       const void *claim_ctx)
{
    const struct claim_ctx *ctx = claim_ctx;
    struct claim_line *line = out;
    static const char *const fields[] = {"service_date", "procedure_code", "modifiers", "units",
                                         "charge",       "revenue_code",   NULL};
    codec_reject_unknown(r, o, fields);
    field_date_not_after(r, o, "service_date", true, ctx->have_receipt, ctx->receipt,
                         P_AFTER_RECEIVED, &line->service_date);
    codec_field(r, o, "procedure_code", true, codec_value_procedure, line->procedure_code);
    static const struct codec_list modifiers = {"modifiers", false, 0, MAX_MODIFIERS,
                                                "must have at most 4 modifiers"};
    line->n_modifiers = codec_value_list(r, o, &modifiers, codec_value_modifier, line->modifiers,
                                         sizeof line->modifiers[0]);
    struct codec_int_spec units = {1, 999, "must be an integer from 1 to 999", &line->units};
    codec_field(r, o, "units", true, codec_value_int, &units);
    codec_field(r, o, "charge", true, codec_value_money, &line->charge);
    codec_field(r, o, "revenue_code", false, value_revenue_code, line->revenue_code);
}

static void parse_lines(struct codec_reader *r, struct json_object *body,
                        const struct claim_ctx *ctx, struct claim *c)
{
    static const struct codec_list lines = {"lines", true, 1, MAX_LINES, "must have 1 to 50 lines"};
    c->n_lines = codec_object_list(r, body, &lines, parse_line, c->lines, sizeof c->lines[0], ctx);
}

static void parse_medical(struct codec_reader *r, struct json_object *body,
                          const struct claim_ctx *ctx, struct claim *c)
{
    int network = parse_provider(r, body, &c->provider);
    codec_field(r, body, "inpatient", false, codec_value_bool, &c->inpatient);
    /* API.md: itemized_bill is required when the provider is out of network. */
    if (codec_field(r, body, "itemized_bill", false, codec_value_bool, &c->itemized_bill) ==
            CODEC_ABSENT &&
        network == NETWORK_OUT)
        codec_report_key(r, "itemized_bill", "is required when provider.network is out");
    parse_diagnoses(r, body, c);
    parse_lines(r, body, ctx, c);
}

/* ---- pharmacy ---- */

static void parse_pharmacy_info(struct codec_reader *r, struct json_object *body,
                                struct pharmacy_info *p)
{
    static const char *const fields[] = {"name", "npi", "network", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "pharmacy", true, &mark);
    if (!o)
        return;
    int network = 0;
    struct codec_enum_spec networks = {network_names, 2, "must be in or out", &network};
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "name", true, codec_value_name, p->name);
    p->has_npi = codec_field(r, o, "npi", false, codec_value_npi, p->npi) == CODEC_GOT;
    codec_field(r, o, "network", true, codec_value_enum, &networks);
    p->network = (enum network)network;
    codec_path_pop(&r->path, mark);
}

static void parse_prescriber(struct codec_reader *r, struct json_object *body, struct prescriber *p)
{
    static const char *const fields[] = {"name", "npi", NULL};
    size_t mark;
    struct json_object *o = codec_enter_object(r, body, "prescriber", false, &mark);
    if (!o)
        return;
    p->present = true;
    codec_reject_unknown(r, o, fields);
    codec_field(r, o, "name", true, codec_value_name, p->name);
    p->has_npi = codec_field(r, o, "npi", false, codec_value_npi, p->npi) == CODEC_GOT;
    codec_path_pop(&r->path, mark);
}

static void parse_pharmacy(struct codec_reader *r, struct json_object *body,
                           const struct claim_ctx *ctx, struct claim *c)
{
    parse_pharmacy_info(r, body, &c->pharmacy);
    parse_prescriber(r, body, &c->prescriber);
    codec_field(r, body, "ndc", true, codec_value_ndc, c->ndc);
    c->has_rx_number =
        codec_field(r, body, "rx_number", false, codec_value_rx_number, c->rx_number) == CODEC_GOT;
    field_date_not_after(r, body, "fill_date", true, ctx->have_receipt, ctx->receipt,
                         P_AFTER_RECEIVED, &c->fill_date);
    codec_field(r, body, "drug_name", true, codec_value_name, c->drug_name);
    codec_field(r, body, "quantity", true, codec_value_quantity, &c->quantity_milli);
    struct codec_int_spec days = {1, 365, "must be an integer from 1 to 365", &c->days_supply};
    codec_field(r, body, "days_supply", true, codec_value_int, &days);
    codec_field(r, body, "charge", true, codec_value_money, &c->charge);
}

bool codec_parse_claim(struct json_object *body, const struct codec_claim_options *opt,
                       struct claim *out, struct codec_field_errors *errs)
{
    memset(out, 0, sizeof *out);
    struct codec_reader r;
    if (!codec_reader_open(&r, errs, body, NULL))
        return false;
    struct claim_ctx ctx = {.opt = opt};

    int type =
        codec_required_enum(&r, body, "type", claim_type_names, 2, "must be medical or pharmacy");
    if (type >= 0)
        out->type = (enum claim_type)type;
    check_top_level_fields(&r, body, type);

    codec_field(&r, body, "member_id", true, codec_value_id, out->member_id);
    parse_patient(&r, body, &ctx, &out->patient);
    parse_received_date(&r, body, &ctx, out);
    parse_other_insurance(&r, body, &ctx, &out->other_insurance);
    codec_field(&r, body, "assignment_of_benefits", false, codec_value_bool,
                &out->assignment_of_benefits);
    parse_attachments(&r, body, out);
    codec_field(&r, body, "patient_control_number", false, value_patient_control_number,
                out->patient_control_number);

    if (type == CLAIM_MEDICAL)
        parse_medical(&r, body, &ctx, out);
    else if (type == CLAIM_PHARMACY)
        parse_pharmacy(&r, body, &ctx, out);
    return codec_reader_clean(&r);
}

enum codec_status codec_claim_from_body(const char *bytes, size_t len,
                                        const struct codec_claim_options *opt, struct claim *out,
                                        struct codec_field_errors *errs, const char **reason)
{
    codec_field_errors_init(errs);
    struct json_object *body;
    enum codec_status status = codec_json_parse(bytes, len, &body, errs, reason);
    if (status != CODEC_OK)
        return status;
    codec_parse_claim(body, opt, out, errs);
    json_object_put(body);
    if (codec_field_errors_any(errs)) {
        if (reason)
            *reason = "the claim has problems listed in fields";
        return CODEC_INVALID;
    }
    return CODEC_OK;
}

/* ---- canonical JSON ---- */

static struct json_object *patient_to_json(const struct patient *p)
{
    struct json_object *o = json_object_new_object();
    if (o && !codec_put_string(o, "first_name", p->first_name) &&
        !codec_put_string(o, "last_name", p->last_name) &&
        !codec_put_date(o, "birth_date", p->birth_date))
        return o;
    json_object_put(o);
    return NULL;
}

static struct json_object *other_insurance_to_json(const struct other_insurance *oi)
{
    struct json_object *o = json_object_new_object();
    if (o && !codec_put_string(o, "payer_name", oi->payer_name) &&
        !codec_put_money(o, "paid", oi->paid) && !codec_put_money(o, "allowed", oi->allowed) &&
        !codec_put_money(o, "patient_responsibility", oi->patient_responsibility) &&
        !codec_put_date(o, "eob_date", oi->eob_date))
        return o;
    json_object_put(o);
    return NULL;
}

static struct json_object *attachments_to_json(const struct claim *c)
{
    struct json_object *a = json_object_new_array();
    if (!a)
        return NULL;
    for (int i = 0; i < c->n_attachments; i++) {
        struct json_object *o = json_object_new_object();
        if (!o || codec_put_string(o, "kind", attachment_kind_names[c->attachments[i].kind]) ||
            codec_put_string(o, "reference", c->attachments[i].reference) || codec_append(a, o)) {
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

static struct json_object *line_to_json(const struct claim_line *l)
{
    struct json_object *o = json_object_new_object();
    struct json_object *mods = json_object_new_array();
    if (!o || !mods)
        goto fail;
    for (int i = 0; i < l->n_modifiers; i++)
        if (codec_append(mods, json_object_new_string(l->modifiers[i])))
            goto fail;
    if (codec_put_date(o, "service_date", l->service_date) ||
        codec_put_string(o, "procedure_code", l->procedure_code))
        goto fail;
    int rc = codec_put(o, "modifiers", mods);
    mods = NULL; /* owned by o now, or freed */
    if (rc || codec_put_int(o, "units", l->units) || codec_put_money(o, "charge", l->charge) ||
        (l->revenue_code[0] && codec_put_string(o, "revenue_code", l->revenue_code)))
        goto fail;
    return o;
fail:
    json_object_put(mods);
    json_object_put(o);
    return NULL;
}

static int put_medical(struct json_object *o, const struct claim *c)
{
    struct json_object *prov = json_object_new_object();
    if (!prov || codec_put_string(prov, "npi", c->provider.npi) ||
        codec_put_string(prov, "name", c->provider.name) ||
        codec_put_string(prov, "network", network_names[c->provider.network]) ||
        codec_put_bool(prov, "facility", c->provider.facility)) {
        json_object_put(prov);
        return -1;
    }
    if (codec_put(o, "provider", prov) || codec_put_bool(o, "inpatient", c->inpatient) ||
        codec_put_bool(o, "itemized_bill", c->itemized_bill))
        return -1;
    struct json_object *dx = json_object_new_array();
    if (codec_put(o, "diagnosis_codes", dx))
        return -1;
    for (int i = 0; i < c->n_diagnosis_codes; i++)
        if (codec_append(dx, json_object_new_string(c->diagnosis_codes[i])))
            return -1;
    struct json_object *lines = json_object_new_array();
    if (codec_put(o, "lines", lines))
        return -1;
    for (int i = 0; i < c->n_lines; i++)
        if (codec_append(lines, line_to_json(&c->lines[i])))
            return -1;
    return 0;
}

static int put_pharmacy(struct json_object *o, const struct claim *c)
{
    struct json_object *ph = json_object_new_object();
    if (!ph || codec_put_string(ph, "name", c->pharmacy.name) ||
        (c->pharmacy.has_npi && codec_put_string(ph, "npi", c->pharmacy.npi)) ||
        codec_put_string(ph, "network", network_names[c->pharmacy.network])) {
        json_object_put(ph);
        return -1;
    }
    if (codec_put(o, "pharmacy", ph))
        return -1;
    if (c->prescriber.present) {
        struct json_object *pr = json_object_new_object();
        if (!pr || codec_put_string(pr, "name", c->prescriber.name) ||
            (c->prescriber.has_npi && codec_put_string(pr, "npi", c->prescriber.npi))) {
            json_object_put(pr);
            return -1;
        }
        if (codec_put(o, "prescriber", pr))
            return -1;
    }
    if (codec_put_string(o, "ndc", c->ndc) ||
        (c->has_rx_number && codec_put_string(o, "rx_number", c->rx_number)) ||
        codec_put_date(o, "fill_date", c->fill_date) ||
        codec_put_string(o, "drug_name", c->drug_name) ||
        codec_put_quantity(o, "quantity", c->quantity_milli) ||
        codec_put_int(o, "days_supply", c->days_supply) || codec_put_money(o, "charge", c->charge))
        return -1;
    return 0;
}

struct json_object *codec_claim_to_json(const struct claim *c)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    if (codec_put_string(o, "type", claim_type_names[c->type]) ||
        codec_put_string(o, "member_id", c->member_id) ||
        codec_put(o, "patient", patient_to_json(&c->patient)) ||
        (c->has_received_date && codec_put_date(o, "received_date", c->received_date)) ||
        (c->other_insurance.present &&
         codec_put(o, "other_insurance", other_insurance_to_json(&c->other_insurance))) ||
        codec_put_bool(o, "assignment_of_benefits", c->assignment_of_benefits) ||
        codec_put(o, "attachments", attachments_to_json(c)) ||
        (c->patient_control_number[0] &&
         codec_put_string(o, "patient_control_number", c->patient_control_number)))
        goto fail;
    if ((c->type == CLAIM_MEDICAL ? put_medical : put_pharmacy)(o, c))
        goto fail;
    return o;
fail:
    json_object_put(o);
    return NULL;
}

/* ---- canonical JSON, written directly ---- */

/* `"key":` after a comma unless it is the first member of its object. Keys
 * are this file's literals: plain ASCII, nothing to escape. */
static void w_key(struct strbuf *sb, bool *first, const char *key)
{
    if (!*first)
        strbuf_append_char(sb, ',');
    *first = false;
    strbuf_append_char(sb, '"');
    strbuf_append_str(sb, key);
    strbuf_append(sb, "\":", 2);
}

static void w_string(struct strbuf *sb, bool *first, const char *key, const char *value)
{
    w_key(sb, first, key);
    strbuf_append_json_string(sb, value, strlen(value));
}

static void w_bool(struct strbuf *sb, bool *first, const char *key, bool value)
{
    w_key(sb, first, key);
    strbuf_append_str(sb, value ? "true" : "false");
}

static void w_int(struct strbuf *sb, bool *first, const char *key, int64_t value)
{
    w_key(sb, first, key);
    strbuf_append_int(sb, value);
}

static void w_date(struct strbuf *sb, bool *first, const char *key, date_t value)
{
    char buf[DATE_STRLEN];
    w_key(sb, first, key);
    strbuf_append_char(sb, '"');
    strbuf_append(sb, date_format(value, buf), DATE_STRLEN - 1);
    strbuf_append_char(sb, '"');
}

/* A fixed-point number: whole part, then `decimals` digits (all of them,
 * or without trailing zeros when trim). The same text as codec_put_money
 * (two decimals always) and codec_put_quantity (trimmed, no point when
 * whole). */
static void w_fixed(struct strbuf *sb, bool *first, const char *key, int64_t scaled, int decimals,
                    bool trim)
{
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    w_key(sb, first, key);
    uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    if (scaled < 0)
        strbuf_append_char(sb, '-');
    strbuf_append_int(sb, (int64_t)(mag / (uint64_t)scale));
    uint64_t frac = mag % (uint64_t)scale;
    char digits[8];
    int n = decimals;
    for (int i = decimals - 1; i >= 0; i--, frac /= 10)
        digits[i] = (char)('0' + frac % 10);
    if (trim)
        while (n > 0 && digits[n - 1] == '0')
            n--;
    if (n > 0) {
        strbuf_append_char(sb, '.');
        strbuf_append(sb, digits, (size_t)n);
    }
}

static void w_money(struct strbuf *sb, bool *first, const char *key, cents_t value)
{
    w_fixed(sb, first, key, value, 2, false);
}

static void w_string_array(struct strbuf *sb, bool *first, const char *key, const char *items,
                           size_t item_size, int n)
{
    w_key(sb, first, key);
    strbuf_append_char(sb, '[');
    for (int i = 0; i < n; i++) {
        const char *item = items + (size_t)i * item_size;
        if (i)
            strbuf_append_char(sb, ',');
        strbuf_append_json_string(sb, item, strlen(item));
    }
    strbuf_append_char(sb, ']');
}

static void write_medical(struct strbuf *sb, bool *first, const struct claim *c)
{
    bool f = true;
    w_key(sb, first, "provider");
    strbuf_append_char(sb, '{');
    w_string(sb, &f, "npi", c->provider.npi);
    w_string(sb, &f, "name", c->provider.name);
    w_string(sb, &f, "network", network_names[c->provider.network]);
    w_bool(sb, &f, "facility", c->provider.facility);
    strbuf_append_char(sb, '}');
    w_bool(sb, first, "inpatient", c->inpatient);
    w_bool(sb, first, "itemized_bill", c->itemized_bill);
    w_string_array(sb, first, "diagnosis_codes", &c->diagnosis_codes[0][0],
                   sizeof c->diagnosis_codes[0], c->n_diagnosis_codes);
    w_key(sb, first, "lines");
    strbuf_append_char(sb, '[');
    for (int i = 0; i < c->n_lines; i++) {
        const struct claim_line *l = &c->lines[i];
        bool lf = true;
        strbuf_append_str(sb, i ? ",{" : "{");
        w_date(sb, &lf, "service_date", l->service_date);
        w_string(sb, &lf, "procedure_code", l->procedure_code);
        w_string_array(sb, &lf, "modifiers", &l->modifiers[0][0], sizeof l->modifiers[0],
                       l->n_modifiers);
        w_int(sb, &lf, "units", l->units);
        w_money(sb, &lf, "charge", l->charge);
        if (l->revenue_code[0])
            w_string(sb, &lf, "revenue_code", l->revenue_code);
        strbuf_append_char(sb, '}');
    }
    strbuf_append_char(sb, ']');
}

static void write_pharmacy(struct strbuf *sb, bool *first, const struct claim *c)
{
    bool f = true;
    w_key(sb, first, "pharmacy");
    strbuf_append_char(sb, '{');
    w_string(sb, &f, "name", c->pharmacy.name);
    if (c->pharmacy.has_npi)
        w_string(sb, &f, "npi", c->pharmacy.npi);
    w_string(sb, &f, "network", network_names[c->pharmacy.network]);
    strbuf_append_char(sb, '}');
    if (c->prescriber.present) {
        f = true;
        w_key(sb, first, "prescriber");
        strbuf_append_char(sb, '{');
        w_string(sb, &f, "name", c->prescriber.name);
        if (c->prescriber.has_npi)
            w_string(sb, &f, "npi", c->prescriber.npi);
        strbuf_append_char(sb, '}');
    }
    w_string(sb, first, "ndc", c->ndc);
    if (c->has_rx_number)
        w_string(sb, first, "rx_number", c->rx_number);
    w_date(sb, first, "fill_date", c->fill_date);
    w_string(sb, first, "drug_name", c->drug_name);
    w_fixed(sb, first, "quantity", c->quantity_milli, 3, true);
    w_int(sb, first, "days_supply", c->days_supply);
    w_money(sb, first, "charge", c->charge);
}

int codec_claim_write_json(const struct claim *c, struct strbuf *sb)
{
    bool first = true, f = true;
    strbuf_append_char(sb, '{');
    w_string(sb, &first, "type", claim_type_names[c->type]);
    w_string(sb, &first, "member_id", c->member_id);
    w_key(sb, &first, "patient");
    strbuf_append_char(sb, '{');
    w_string(sb, &f, "first_name", c->patient.first_name);
    w_string(sb, &f, "last_name", c->patient.last_name);
    w_date(sb, &f, "birth_date", c->patient.birth_date);
    strbuf_append_char(sb, '}');
    if (c->has_received_date)
        w_date(sb, &first, "received_date", c->received_date);
    if (c->other_insurance.present) {
        const struct other_insurance *oi = &c->other_insurance;
        f = true;
        w_key(sb, &first, "other_insurance");
        strbuf_append_char(sb, '{');
        w_string(sb, &f, "payer_name", oi->payer_name);
        w_money(sb, &f, "paid", oi->paid);
        w_money(sb, &f, "allowed", oi->allowed);
        w_money(sb, &f, "patient_responsibility", oi->patient_responsibility);
        w_date(sb, &f, "eob_date", oi->eob_date);
        strbuf_append_char(sb, '}');
    }
    w_bool(sb, &first, "assignment_of_benefits", c->assignment_of_benefits);
    w_key(sb, &first, "attachments");
    strbuf_append_char(sb, '[');
    for (int i = 0; i < c->n_attachments; i++) {
        bool af = true;
        strbuf_append_str(sb, i ? ",{" : "{");
        w_string(sb, &af, "kind", attachment_kind_names[c->attachments[i].kind]);
        w_string(sb, &af, "reference", c->attachments[i].reference);
        strbuf_append_char(sb, '}');
    }
    strbuf_append_char(sb, ']');
    if (c->patient_control_number[0])
        w_string(sb, &first, "patient_control_number", c->patient_control_number);
    if (c->type == CLAIM_MEDICAL)
        write_medical(sb, &first, c);
    else
        write_pharmacy(sb, &first, c);
    strbuf_append_char(sb, '}');
    return strbuf_failed(sb) ? -1 : 0;
}
