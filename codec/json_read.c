#include "codec/json_read.h"

#include <stdio.h>
#include <string.h>

#include "codec/codes.h"
#include "json_values.h"

void codec_reader_init(struct codec_reader *r, struct codec_field_errors *errs)
{
    r->errs = errs;
    codec_path_init(&r->path);
    r->start = codec_problem_count(r);
}

bool codec_reader_open(struct codec_reader *r, struct codec_field_errors *errs,
                       struct json_object *body, const char *const *allowed)
{
    codec_reader_init(r, errs);
    if (!json_object_is_type(body, json_type_object)) {
        codec_report(r, CODEC_P_OBJECT);
        return false;
    }
    if (allowed)
        codec_reject_unknown(r, body, allowed);
    return true;
}

bool codec_reader_clean(const struct codec_reader *r)
{
    return codec_problem_count(r) == r->start;
}

void codec_report(struct codec_reader *r, const char *problem)
{
    codec_field_errors_add(r->errs, r->path.text, problem);
}

void codec_report_key(struct codec_reader *r, const char *key, const char *problem)
{
    codec_field_errors_add_at(r->errs, &r->path, key, problem);
}

int codec_problem_count(const struct codec_reader *r)
{
    return r->errs->count + r->errs->dropped;
}

struct json_object *codec_member(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (!obj || !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v; /* json-c holds JSON null as NULL */
}

void codec_reject_unknown(struct codec_reader *r, struct json_object *obj,
                          const char *const *allowed)
{
    json_object_object_foreach(obj, key, val)
    {
        (void)val;
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = (*a)[0] == key[0] && strcmp(*a, key) == 0; /* first byte: no call */
        if (!known) {
            size_t mark = codec_path_push_key(&r->path, key, strlen(key));
            codec_report(r, CODEC_P_UNKNOWN);
            codec_path_pop(&r->path, mark);
        }
    }
}

enum codec_got codec_field(struct codec_reader *r, struct json_object *obj, const char *key,
                           bool required, codec_value_fn fn, void *out)
{
    size_t mark = codec_path_push_key(&r->path, key, strlen(key));
    struct json_object *v = codec_member(obj, key);
    enum codec_got got;
    if (!v) {
        if (required)
            codec_report(r, CODEC_P_REQUIRED);
        got = CODEC_ABSENT;
    } else {
        got = fn(r, v, out) ? CODEC_GOT : CODEC_BAD;
    }
    codec_path_pop(&r->path, mark);
    return got;
}

int codec_required_enum(struct codec_reader *r, struct json_object *obj, const char *key,
                        const char *const *names, int n_names, const char *problem)
{
    int index = -1;
    struct codec_enum_spec spec = {names, n_names, problem, &index};
    return codec_field(r, obj, key, true, codec_value_enum, &spec) == CODEC_GOT ? index : -1;
}

struct json_object *codec_enter_object(struct codec_reader *r, struct json_object *obj,
                                       const char *key, bool required, size_t *mark)
{
    struct json_object *o = NULL;
    if (codec_field(r, obj, key, required, codec_value_object, &o) != CODEC_GOT)
        return NULL;
    *mark = codec_path_push_key(&r->path, key, strlen(key));
    return o;
}

struct json_object *codec_enter_array(struct codec_reader *r, struct json_object *obj,
                                      const char *key, bool required, size_t min, size_t max,
                                      const char *count_problem, size_t *mark, size_t *n)
{
    struct json_object *a = NULL;
    *n = 0;
    if (codec_field(r, obj, key, required, codec_value_array, &a) != CODEC_GOT)
        return NULL;
    *mark = codec_path_push_key(&r->path, key, strlen(key));
    *n = json_object_array_length(a);
    if (*n < min || *n > max)
        codec_report(r, count_problem);
    return a;
}

bool codec_item(struct codec_reader *r, struct json_object *arr, size_t i, codec_value_fn fn,
                void *out)
{
    size_t mark = codec_path_push_index(&r->path, i);
    bool ok = fn(r, json_object_array_get_idx(arr, i), out);
    codec_path_pop(&r->path, mark);
    return ok;
}

int codec_value_list(struct codec_reader *r, struct json_object *obj, const struct codec_list *list,
                     codec_value_fn fn, void *items, size_t size)
{
    size_t mark, n;
    struct json_object *a = codec_enter_array(r, obj, list->key, list->required, list->min,
                                              list->max, list->count_problem, &mark, &n);
    if (!a)
        return 0;
    for (size_t i = 0; i < n && i < list->max; i++)
        codec_item(r, a, i, fn, (char *)items + i * size);
    codec_path_pop(&r->path, mark);
    return n < list->max ? (int)n : (int)list->max;
}

int codec_object_list(struct codec_reader *r, struct json_object *obj,
                      const struct codec_list *list, codec_object_fn parse, void *items,
                      size_t size, const void *ctx)
{
    size_t mark, n;
    struct json_object *a = codec_enter_array(r, obj, list->key, list->required, list->min,
                                              list->max, list->count_problem, &mark, &n);
    if (!a)
        return 0;
    for (size_t i = 0; i < n && i < list->max; i++) {
        size_t item = codec_path_push_index(&r->path, i);
        struct json_object *o;
        if (codec_value_object(r, json_object_array_get_idx(a, i), &o))
            parse(r, o, (char *)items + i * size, ctx);
        codec_path_pop(&r->path, item);
    }
    codec_path_pop(&r->path, mark);
    return n < list->max ? (int)n : (int)list->max;
}

static bool fail(struct codec_reader *r, const char *problem)
{
    codec_report(r, problem);
    return false;
}

bool codec_value_object(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_object))
        return fail(r, CODEC_P_OBJECT);
    *(struct json_object **)out = v;
    return true;
}

bool codec_value_array(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_array))
        return fail(r, CODEC_P_ARRAY);
    *(struct json_object **)out = v;
    return true;
}

bool codec_value_bool(struct codec_reader *r, struct json_object *v, void *out)
{
    if (!json_object_is_type(v, json_type_boolean))
        return fail(r, CODEC_P_BOOL);
    *(bool *)out = json_object_get_boolean(v);
    return true;
}

bool codec_value_int(struct codec_reader *r, struct json_object *v, void *spec_)
{
    const struct codec_int_spec *spec = spec_;
    /* Only JSON integers: 2.0 is a double to json-c and refused. Integers
     * beyond int64 come back saturated from json-c and fail the range. */
    if (!json_object_is_type(v, json_type_int))
        return fail(r, spec->problem);
    int64_t n = json_object_get_int64(v);
    if (n < spec->min || n > spec->max)
        return fail(r, spec->problem);
    *spec->out = (int)n;
    return true;
}

bool codec_value_enum(struct codec_reader *r, struct json_object *v, void *spec_)
{
    const struct codec_enum_spec *spec = spec_;
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        size_t len = (size_t)json_object_get_string_len(v);
        for (int i = 0; i < spec->n_names; i++)
            if (strlen(spec->names[i]) == len && memcmp(spec->names[i], s, len) == 0) {
                *spec->out = i;
                return true;
            }
    }
    return fail(r, spec->problem);
}

/* The bytes of a JSON string value; false (reported) for another type. */
static bool string_of(struct codec_reader *r, struct json_object *v, const char **s, size_t *len)
{
    if (!json_object_is_type(v, json_type_string))
        return fail(r, CODEC_P_STRING);
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    return true;
}

bool codec_value_date(struct codec_reader *r, struct json_object *v, void *out)
{
    /* date_parse wants exactly ten characters: a \u0000 inside makes the
     * string's length differ from its strlen and it is refused. */
    if (!json_object_is_type(v, json_type_string) ||
        (size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v)) ||
        !date_parse(json_object_get_string(v), out))
        return fail(r, CODEC_P_DATE);
    return true;
}

struct decimal_rules {
    int decimals;
    int64_t max_scaled; /* largest value in units of 10^-decimals */
    bool zero_ok;
    const char *not_positive; /* a sign, or zero when !zero_ok */
    const char *too_many_decimals;
    const char *too_large;
};

/*
 * A JSON number's text to a scaled integer, exactly: amounts never pass
 * through a double (API.md "Conventions"). json-c 0.16 keeps the text of a
 * parsed double (json_object_new_double_s, returned by
 * json_object_get_string), so "150.001" and "1e2" are seen as written. An
 * integer is kept as int64 only and printed back with %lld, which is its
 * text except that "-0" reads as "0" (harmless: it is zero).
 */
static bool read_decimal(struct codec_reader *r, struct json_object *v,
                         const struct decimal_rules *rules, int64_t *out)
{
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return fail(r, CODEC_P_NUMBER);
    const char *p = json_object_get_string(v);
    if (*p == '-')
        return fail(r, rules->not_positive);
    if (strpbrk(p, "eE"))
        return fail(r, "must be written without an exponent");
    int64_t whole = 0;
    int whole_digits = 0;
    bool too_large = false;
    for (; *p >= '0' && *p <= '9'; p++, whole_digits++) {
        if (!too_large)
            whole = whole * 10 + (*p - '0');
        if (whole > 1000000000000LL)
            too_large = true; /* far past any limit; stop before overflow */
    }
    int64_t frac = 0;
    int frac_digits = 0;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, frac_digits++)
            if (frac_digits < rules->decimals)
                frac = frac * 10 + (*p - '0');
    if (whole_digits == 0 || *p != '\0')
        return fail(r, CODEC_P_NUMBER); /* not a finite JSON number */
    if (frac_digits > rules->decimals)
        return fail(r, rules->too_many_decimals);
    int64_t scale = 1;
    for (int i = 0; i < rules->decimals; i++)
        scale *= 10;
    for (int i = frac_digits; i < rules->decimals; i++)
        frac *= 10;
    if (too_large || whole > rules->max_scaled / scale || whole * scale + frac > rules->max_scaled)
        return fail(r, rules->too_large);
    int64_t scaled = whole * scale + frac;
    if (scaled == 0 && !rules->zero_ok)
        return fail(r, rules->not_positive);
    *out = scaled;
    return true;
}

bool codec_value_money(struct codec_reader *r, struct json_object *v, void *out)
{
    static const struct decimal_rules money = {
        .decimals = 2,
        .max_scaled = MONEY_MAX_CENTS,
        .zero_ok = true,
        .not_positive = "must not be negative",
        .too_many_decimals = "must have at most two decimals",
        .too_large = "must be at most 9999999.99",
    };
    int64_t cents;
    if (!read_decimal(r, v, &money, &cents))
        return false;
    /* money_parse is the one definition of an amount's text; the checks
     * above only choose the problem phrase. They agree on every input. */
    cents_t parsed;
    if (!money_parse(json_object_get_string(v), &parsed) || parsed != cents)
        return fail(r, "must be a number with at most two decimals");
    *(cents_t *)out = parsed;
    return true;
}

bool codec_value_quantity(struct codec_reader *r, struct json_object *v, void *out)
{
    static const struct decimal_rules quantity = {
        .decimals = 3,
        .max_scaled = 999999999, /* 999,999.999 units */
        .zero_ok = false,
        .not_positive = "must be greater than 0",
        .too_many_decimals = "must have at most three decimals",
        .too_large = "must be at most 999999.999",
    };
    return read_decimal(r, v, &quantity, (int64_t *)out);
}

/* Control characters: C0, DEL and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F).
 * Also catches a \u0000 escape, which json-c keeps inside the string. */
static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return true;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9F)
            return true;
    }
    return false;
}

static bool read_text(struct codec_reader *r, struct json_object *v, size_t max, bool trim,
                      const char *too_long, char *out)
{
    const char *s;
    size_t len;
    if (!string_of(r, v, &s, &len))
        return false;
    if (has_control(s, len))
        return fail(r, "must not contain control characters");
    if (trim) {
        while (len > 0 && s[0] == ' ') {
            s++;
            len--;
        }
        while (len > 0 && s[len - 1] == ' ')
            len--;
    }
    if (len == 0)
        return fail(r, "must not be empty");
    if (len > max)
        return fail(r, too_long);
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

bool codec_value_name(struct codec_reader *r, struct json_object *v, void *out)
{
    return read_text(r, v, NAME_LEN - 1, true, "must be at most 100 bytes", out);
}

bool codec_value_rx_number(struct codec_reader *r, struct json_object *v, void *out)
{
    return read_text(r, v, RX_NUMBER_LEN - 1, true, "must be at most 32 bytes", out);
}

bool codec_value_reference(struct codec_reader *r, struct json_object *v, void *out)
{
    return read_text(r, v, REF_LEN - 1, false, "must be at most 512 bytes", out);
}

bool codec_is_record_id(const char *s, size_t len)
{
    bool ok = len >= 1 && len <= ID_LEN - 1;
    for (size_t i = 0; ok && i < len; i++) {
        char c = s[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    return ok;
}

bool codec_value_id(struct codec_reader *r, struct json_object *v, void *out)
{
    const char *s;
    size_t len;
    if (!string_of(r, v, &s, &len))
        return false;
    if (!codec_is_record_id(s, len))
        return fail(r, "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    memcpy(out, s, len);
    ((char *)out)[len] = '\0';
    return true;
}

bool codec_value_npi(struct codec_reader *r, struct json_object *v, void *out)
{
    const char *s;
    size_t len;
    if (!string_of(r, v, &s, &len))
        return false;
    bool digits = len == 10;
    for (size_t i = 0; digits && i < len; i++)
        digits = s[i] >= '0' && s[i] <= '9';
    if (!digits)
        return fail(r, "must be 10 digits");
    if (!codec_npi_valid(s, len))
        return fail(r, "NPI check digit is wrong");
    memcpy(out, s, 10);
    ((char *)out)[10] = '\0';
    return true;
}

/* A string that normalize accepts, its normal form into out; else problem is reported. */
static bool normalized_code(struct codec_reader *r, struct json_object *v,
                            bool (*normalize)(const char *s, size_t len, char *out),
                            const char *problem, void *out)
{
    const char *s;
    size_t len;
    if (!string_of(r, v, &s, &len))
        return false;
    if (!normalize(s, len, out))
        return fail(r, problem);
    return true;
}

bool codec_value_ndc(struct codec_reader *r, struct json_object *v, void *out)
{
    return normalized_code(r, v, codec_ndc_normalize,
                           "must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form", out);
}

bool codec_value_icd10(struct codec_reader *r, struct json_object *v, void *out)
{
    return normalized_code(r, v, codec_icd10_normalize, "must be an ICD-10-CM code", out);
}

bool codec_value_procedure(struct codec_reader *r, struct json_object *v, void *out)
{
    return normalized_code(r, v, codec_procedure_normalize,
                           "must be a 5-character CPT or HCPCS code", out);
}

bool codec_value_modifier(struct codec_reader *r, struct json_object *v, void *out)
{
    return normalized_code(r, v, codec_modifier_normalize, "must be 2 letters or digits", out);
}

bool codec_value_state(struct codec_reader *r, struct json_object *v, void *out)
{
    const char *s;
    size_t len;
    if (!string_of(r, v, &s, &len))
        return false;
    if (!codec_state_valid(s, len))
        return fail(r, "must be a US state or territory code");
    memcpy(out, s, 2);
    ((char *)out)[2] = '\0';
    return true;
}

/* ---- serialisation ---- */

int codec_put(struct json_object *obj, const char *key, struct json_object *value)
{
    if (!value)
        return -1;
    if (json_object_object_add(obj, key, value)) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

int codec_append(struct json_object *array, struct json_object *value)
{
    if (!value)
        return -1;
    if (json_object_array_add(array, value)) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

int codec_put_null(struct json_object *obj, const char *key)
{
    return json_object_object_add(obj, key, NULL) ? -1 : 0;
}

int codec_put_string(struct json_object *obj, const char *key, const char *value)
{
    return codec_put(obj, key, json_object_new_string(value));
}

int codec_put_bool(struct json_object *obj, const char *key, bool value)
{
    return codec_put(obj, key, json_object_new_boolean(value));
}

int codec_put_int(struct json_object *obj, const char *key, int64_t value)
{
    return codec_put(obj, key, json_object_new_int64(value));
}

int codec_put_date(struct json_object *obj, const char *key, date_t value)
{
    char buf[DATE_STRLEN];
    return codec_put_string(obj, key, date_format(value, buf));
}

int codec_put_money(struct json_object *obj, const char *key, cents_t value)
{
    return codec_put(obj, key, json_money(value));
}

int codec_put_quantity(struct json_object *obj, const char *key, int64_t milli)
{
    return codec_put(obj, key, json_quantity(milli));
}
