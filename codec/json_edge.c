#include "codec/json_edge.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* Why the scanner stopped. */
enum scan_error { SCAN_OK, SCAN_SYNTAX, SCAN_UTF8, SCAN_DEPTH, SCAN_KEY_NUL, SCAN_NO_MEMORY };

/* One step of the path to the value being scanned: a member's key or an
 * array index. The path text is built only when a problem is reported. */
struct step {
    const char *key; /* NULL for an array item */
    size_t len;      /* the key's length, or the item's index */
};

struct scan {
    const unsigned char *p, *end;
    int depth;
    enum scan_error err;
    struct step steps[CODEC_JSON_MAX_DEPTH + 1];
    int n_steps;
    struct codec_field_errors *errs;
    struct codec_path key_nul_at; /* SCAN_KEY_NUL: the path of the object */
};

/* The current path into path. */
static void current_path(const struct scan *s, struct codec_path *path)
{
    codec_path_init(path);
    for (int i = 0; i < s->n_steps; i++) {
        if (s->steps[i].key)
            codec_path_push_key(path, s->steps[i].key, s->steps[i].len);
        else
            codec_path_push_index(path, s->steps[i].len);
    }
}

/* Records problem at the current path, plus key when key is not NULL. */
static void report_at(struct scan *s, const char *key, size_t key_len, const char *problem)
{
    struct codec_path path;
    current_path(s, &path);
    if (key)
        codec_path_push_key(&path, key, key_len);
    codec_field_errors_add(s->errs, path.text, problem);
}

/* An object key as json-c will store it: the decoded bytes. Keys without
 * escapes point into the input; decoded ones own their buffer. */
struct key {
    const char *text;
    size_t len;
    char *owned;
};

static bool fail(struct scan *s, enum scan_error err)
{
    if (s->err == SCAN_OK)
        s->err = err;
    return false;
}

static void skip_ws(struct scan *s)
{
    /* RFC 8259 § 2: space, tab, line feed, carriage return; nothing else. */
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 § 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Four hex digits at p (caller checked there are four bytes), or -1. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit_value(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the already validated string body [p, end) into out (at least
 * end - p bytes: no escape decodes to more bytes than its text). */
static size_t decode_string(const unsigned char *p, const unsigned char *end, char *out)
{
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            out[n++] = (char)*p++;
            continue;
        }
        unsigned char e = p[1];
        p += 2;
        switch (e) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned long cp = (unsigned long)hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long low = (unsigned long)hex4(p + 2);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default: out[n++] = (char)e; break; /* " \ / */
        }
    }
    return n;
}

/* A string value as json-c's tokener makes it: the decoded bytes, a
 * \u0000 kept inside (json_object_new_string_len). */
static bool make_string(struct scan *s, const unsigned char *start, const unsigned char *stop,
                        bool escaped, struct json_object **out)
{
    size_t len = (size_t)(stop - start);
    if (!escaped) {
        *out = json_object_new_string_len((const char *)start, (int)len);
    } else {
        char small[256];
        char *buf = len < sizeof small ? small : malloc(len + 1);
        if (!buf)
            return fail(s, SCAN_NO_MEMORY);
        size_t n = decode_string(start, stop, buf);
        *out = json_object_new_string_len(buf, (int)n);
        if (buf != small)
            free(buf);
    }
    return *out ? true : fail(s, SCAN_NO_MEMORY);
}

/*
 * A string (RFC 8259 § 7) starting at the opening quote. When key is not
 * NULL it receives the decoded text. *has_nul tells whether a \u0000 escape
 * occurred (json-c cuts keys at a NUL, so such a key must not pass). When
 * value is not NULL it receives the string as a json-c object.
 */
static bool scan_string(struct scan *s, struct key *key, bool *has_nul, struct json_object **value)
{
    const unsigned char *start = ++s->p;
    bool escaped = false;
    *has_nul = false;
    for (;;) {
        if (s->p >= s->end)
            return fail(s, SCAN_SYNTAX);
        unsigned char c = *s->p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            s->p++; /* plain ASCII, most of any body */
            continue;
        }
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(s, SCAN_SYNTAX); /* control characters must be escaped */
        if (c == '\\') {
            escaped = true;
            if (s->end - s->p < 2)
                return fail(s, SCAN_SYNTAX);
            unsigned char e = s->p[1];
            if (strchr("\"\\/bfnrt", e) && e != '\0') {
                s->p += 2;
                continue;
            }
            if (e != 'u' || s->end - s->p < 6)
                return fail(s, SCAN_SYNTAX);
            long cp = hex4(s->p + 2);
            if (cp < 0)
                return fail(s, SCAN_SYNTAX);
            s->p += 6;
            if (cp == 0)
                *has_nul = true;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(s, SCAN_UTF8); /* a low surrogate alone */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long low = -1;
                if (s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u')
                    low = hex4(s->p + 2);
                if (low < 0xDC00 || low > 0xDFFF)
                    return fail(s, SCAN_UTF8); /* a high surrogate without its pair */
                s->p += 6;
            }
            continue;
        }
        size_t n = utf8_sequence(s->p, s->end);
        if (n == 0)
            return fail(s, SCAN_UTF8);
        s->p += n;
    }
    const unsigned char *stop = s->p++; /* past the closing quote */
    if (key) {
        key->owned = NULL;
        if (!escaped) {
            key->text = (const char *)start;
            key->len = (size_t)(stop - start);
        } else {
            key->owned = malloc((size_t)(stop - start) + 1);
            if (!key->owned)
                return fail(s, SCAN_NO_MEMORY);
            key->len = decode_string(start, stop, key->owned);
            key->owned[key->len] = '\0';
            key->text = key->owned;
        }
    }
    if (value)
        return make_string(s, start, stop, escaped, value);
    return true;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/*
 * A number as json-c 0.16's tokener makes it (json_tokener.c, "number"):
 * with a fraction or an exponent, a double that keeps its text
 * (json_object_new_double_s, which is how the money readers see what was
 * written); otherwise an int64 from strtoll for a negative one, and for the
 * rest an int64 from strtoull, or a uint64 above INT64_MAX (both saturate,
 * as json-c's do).
 */
static bool make_number(struct scan *s, const unsigned char *start, bool is_double,
                        struct json_object **out)
{
    size_t len = (size_t)(s->p - start);
    char small[64];
    char *text = len < sizeof small ? small : malloc(len + 1);
    if (!text)
        return fail(s, SCAN_NO_MEMORY);
    memcpy(text, start, len);
    text[len] = '\0';
    if (is_double) {
        *out = json_object_new_double_s(strtod(text, NULL), text);
    } else if (text[0] == '-') {
        *out = json_object_new_int64(strtoll(text, NULL, 10));
    } else {
        unsigned long long u = strtoull(text, NULL, 10);
        *out = u <= INT64_MAX ? json_object_new_int64((int64_t)u) : json_object_new_uint64(u);
    }
    if (text != small)
        free(text);
    return *out ? true : fail(s, SCAN_NO_MEMORY);
}

/* A number (RFC 8259 § 6): -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool scan_number(struct scan *s, struct json_object **out)
{
    const unsigned char *start = s->p;
    bool is_double = false;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p >= s->end || !is_digit(*s->p))
        return fail(s, SCAN_SYNTAX);
    if (*s->p == '0')
        s->p++;
    else
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        is_double = true;
        s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return fail(s, SCAN_SYNTAX);
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        is_double = true;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return fail(s, SCAN_SYNTAX);
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (out)
        return make_number(s, start, is_double, out);
    return true;
}

/* true, false or null; *out (when not NULL) gets json-c's value for it
 * (NULL for null, as json-c holds it). */
static bool scan_literal(struct scan *s, const char *word, struct json_object **out)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, SCAN_SYNTAX);
    s->p += n;
    if (out && word[0] != 'n') {
        *out = json_object_new_boolean(word[0] == 't');
        if (!*out)
            return fail(s, SCAN_NO_MEMORY);
    }
    return true;
}

static bool scan_value(struct scan *s, struct json_object **out);

/* obj[key] = value as json-c's tokener adds it (json_object_object_add: the
 * key is cut at a NUL, a later equal key replaces the value). Takes value.
 * is_new: the key is known not to be in obj yet, which spares json-c its
 * lookup (JSON_C_OBJECT_ADD_KEY_IS_NEW). */
static bool add_member(struct scan *s, struct json_object *obj, const struct key *k,
                       struct json_object *value, bool is_new)
{
    char small[256];
    char *name = small;
    if (k->owned)
        name = k->owned; /* NUL-terminated already */
    else if (k->len >= sizeof small && !(name = malloc(k->len + 1))) {
        json_object_put(value);
        return fail(s, SCAN_NO_MEMORY);
    }
    if (!k->owned) {
        memcpy(name, k->text, k->len);
        name[k->len] = '\0';
    }
    int rc = json_object_object_add_ex(obj, name, value, is_new ? JSON_C_OBJECT_ADD_KEY_IS_NEW : 0);
    if (name != small && name != k->owned)
        free(name);
    if (rc != 0) {
        json_object_put(value);
        return fail(s, SCAN_NO_MEMORY);
    }
    return true;
}

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Reports each key that occurs more than once in one object, once. Sorting
 * keeps this O(n log n) for an object with many keys. */
static void report_duplicates(struct scan *s, struct key *keys, size_t n)
{
    if (n <= 16) {
        /* The objects of a claim have a handful of keys: insertion sort is
         * cheaper than qsort's setup and gives the same order. */
        for (size_t i = 1; i < n; i++) {
            struct key k = keys[i];
            size_t j = i;
            for (; j > 0 && key_cmp(&keys[j - 1], &k) > 0; j--)
                keys[j] = keys[j - 1];
            keys[j] = k;
        }
    } else {
        qsort(keys, n, sizeof *keys, key_cmp);
    }
    for (size_t i = 1; i < n; i++) {
        if (key_cmp(&keys[i - 1], &keys[i]) != 0)
            continue;
        if (i >= 2 && key_cmp(&keys[i - 2], &keys[i]) == 0)
            continue; /* reported with its first repetition */
        report_at(s, keys[i].text, keys[i].len, "is duplicated");
    }
}

/* Whether keys[n], a key without escapes, differs from every key before it.
 * Only answered for small objects whose keys are all unescaped (an escaped
 * key may hold a NUL, where json-c cuts it); false means "not known". */
static bool key_is_new(const struct key *keys, size_t n, bool any_escaped)
{
    if (any_escaped || n >= 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (keys[i].len == keys[n].len && memcmp(keys[i].text, keys[n].text, keys[n].len) == 0)
            return false;
    return true;
}

/* The keys of one object, kept for the duplicate check: a small array, grown on the heap. */
struct key_list {
    struct key small[16];
    struct key *keys; /* small, or the grown array */
    size_t n, cap;
    bool any_escaped; /* a key had an escape (its text is owned) */
};

/* Room for one more key in kl; false (SCAN_NO_MEMORY) when it cannot grow. */
static bool keys_reserve(struct scan *s, struct key_list *kl)
{
    if (kl->n < kl->cap)
        return true;
    size_t new_cap = kl->cap * 2;
    struct key *grown = malloc(new_cap * sizeof *kl->keys);
    if (!grown)
        return fail(s, SCAN_NO_MEMORY);
    memcpy(grown, kl->keys, kl->n * sizeof *kl->keys);
    if (kl->keys != kl->small)
        free(kl->keys);
    kl->keys = grown;
    kl->cap = new_cap;
    return true;
}

/* Frees the keys' own copies and the grown array. */
static void keys_free(struct key_list *kl)
{
    for (size_t i = 0; i < kl->n; i++)
        free(kl->keys[i].owned);
    if (kl->keys != kl->small)
        free(kl->keys);
}

/* One member, "key": value, its key kept in kl; with want, its value added to obj. */
static bool scan_member(struct scan *s, struct json_object *obj, struct key_list *kl, bool want)
{
    if (s->p >= s->end || *s->p != '"')
        return fail(s, SCAN_SYNTAX);
    if (!keys_reserve(s, kl))
        return false;
    bool has_nul;
    if (!scan_string(s, &kl->keys[kl->n], &has_nul, NULL))
        return false;
    kl->any_escaped = kl->any_escaped || kl->keys[kl->n].owned != NULL;
    bool is_new = want && key_is_new(kl->keys, kl->n, kl->any_escaped);
    struct key *k = &kl->keys[kl->n++];
    if (has_nul) {
        /* json-c would cut the key at the NUL, and the validators after it would see (and
         * name) another key than the one sent: the body is refused here, the object named, no
         * piece of the key echoed (issue 16, finding 9). */
        current_path(s, &s->key_nul_at);
        return fail(s, SCAN_KEY_NUL);
    }
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':')
        return fail(s, SCAN_SYNTAX);
    s->p++;
    skip_ws(s);
    struct json_object *value = NULL;
    s->steps[s->n_steps++] = (struct step){k->text, k->len};
    bool value_ok = scan_value(s, want ? &value : NULL);
    s->n_steps--;
    return value_ok && (!want || add_member(s, obj, k, value, is_new));
}

/* A scanned container handed to *out when the scan succeeded (and out is not NULL), put
 * otherwise; returns ok. */
static bool hand_over(bool ok, struct json_object *built, struct json_object **out)
{
    if (out) {
        if (ok)
            *out = built;
        else
            json_object_put(built);
    }
    return ok;
}

/* An object; *out (when not NULL) gets it as a json-c object, NULL on a
 * failure (nothing kept). */
static bool scan_object(struct scan *s, struct json_object **out)
{
    struct key_list kl;
    kl.keys = kl.small;
    kl.n = 0;
    kl.cap = sizeof kl.small / sizeof *kl.small;
    kl.any_escaped = false;
    bool ok = false;
    struct json_object *obj = NULL;
    if (out && !(obj = json_object_new_object()))
        return fail(s, SCAN_NO_MEMORY);
    s->p++; /* { */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        if (out)
            *out = obj;
        return true;
    }
    for (;;) {
        skip_ws(s);
        if (!scan_member(s, obj, &kl, out != NULL))
            break;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            report_duplicates(s, kl.keys, kl.n);
            ok = true;
        } else {
            fail(s, SCAN_SYNTAX);
        }
        break;
    }
    keys_free(&kl);
    return hand_over(ok, obj, out);
}

/* An array; *out like scan_object's. */
static bool scan_array(struct scan *s, struct json_object **out)
{
    struct json_object *arr = NULL;
    if (out && !(arr = json_object_new_array_ext(4)))
        return fail(s, SCAN_NO_MEMORY);
    bool ok = false;
    s->p++; /* [ */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        ok = true;
        goto out;
    }
    for (size_t i = 0;; i++) {
        skip_ws(s);
        s->steps[s->n_steps++] = (struct step){NULL, i};
        struct json_object *value = NULL;
        bool value_ok = scan_value(s, out ? &value : NULL);
        s->n_steps--;
        if (!value_ok)
            goto out;
        if (out && json_object_array_add(arr, value) != 0) {
            json_object_put(value);
            fail(s, SCAN_NO_MEMORY);
            goto out;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            ok = true;
            goto out;
        }
        fail(s, SCAN_SYNTAX);
        goto out;
    }
out:
    return hand_over(ok, arr, out);
}

/* Any value. When out is not NULL the value is built as json-c's tokener
 * would build it (*out: the caller owns it; NULL for JSON null and on a
 * failure, which keeps nothing). */
static bool scan_value(struct scan *s, struct json_object **out)
{
    if (s->p >= s->end)
        return fail(s, SCAN_SYNTAX);
    bool has_nul;
    switch (*s->p) {
    case '{':
    case '[': {
        if (++s->depth > CODEC_JSON_MAX_DEPTH)
            return fail(s, SCAN_DEPTH);
        bool ok = *s->p == '{' ? scan_object(s, out) : scan_array(s, out);
        s->depth--;
        return ok;
    }
    case '"': return scan_string(s, NULL, &has_nul, out);
    case 't': return scan_literal(s, "true", out);
    case 'f': return scan_literal(s, "false", out);
    case 'n': return scan_literal(s, "null", out);
    default: return scan_number(s, out);
    }
}

int codec_status_http(enum codec_status status)
{
    switch (status) {
    case CODEC_OK: return 200;
    case CODEC_NOT_JSON: return 400;
    case CODEC_INVALID: return 422;
    case CODEC_NO_MEMORY: return 500;
    }
    return 500;
}

static enum codec_status refuse(enum codec_status status, const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return status;
}

enum codec_status codec_json_parse(const char *bytes, size_t len, struct json_object **out,
                                   struct codec_field_errors *errs, const char **reason)
{
    *out = NULL;
    if (reason)
        *reason = NULL;
    if (len > INT_MAX)
        return refuse(CODEC_NOT_JSON, reason, "the body is too large to parse");
    if (memchr(bytes, '\0', len))
        return refuse(CODEC_NOT_JSON, reason, "the body contains a NUL byte");

    /* The scan state lives on the heap: its path steps and buffers are
     * more than an event callback's stack should carry. Duplicate keys are
     * only worth reporting for a body that is JSON at all: they go to errs
     * as found and are taken back out when the scan fails. */
    struct scan *s = malloc(sizeof *s);
    if (!s)
        return refuse(CODEC_NO_MEMORY, reason, "out of memory");
    *s = (struct scan){
        .p = (const unsigned char *)bytes, .end = (const unsigned char *)bytes + len, .errs = errs};
    int errs_count = errs->count, errs_dropped = errs->dropped;

    skip_ws(s);
    if (s->p == s->end) {
        free(s);
        return refuse(CODEC_NOT_JSON, reason, "the body is empty");
    }
    /* Only an object is built (one pass: the scanner makes the json-c
     * objects itself, as json-c's tokener would, instead of handing the
     * checked bytes to the tokener for a second pass). */
    bool top_is_object = *s->p == '{';
    struct json_object *obj = NULL;
    const char *why = NULL;
    enum codec_status status = CODEC_OK;
    if (scan_value(s, top_is_object ? &obj : NULL)) {
        skip_ws(s);
        if (s->p != s->end) {
            status = CODEC_NOT_JSON;
            why = "the body has content after the JSON value";
        }
    }
    switch (s->err) {
    case SCAN_OK: break;
    case SCAN_UTF8:
        status = CODEC_NOT_JSON;
        why = "the body is not valid UTF-8";
        break;
    case SCAN_DEPTH:
        status = CODEC_INVALID;
        why = "the body nests deeper than 32 levels";
        break;
    case SCAN_KEY_NUL:
        status = CODEC_NOT_JSON;
        why = CODEC_KEY_NUL_MESSAGE;
        break;
    case SCAN_NO_MEMORY:
        status = CODEC_NO_MEMORY;
        why = "out of memory";
        break;
    default:
        status = CODEC_NOT_JSON;
        why = "the body is not valid JSON";
        break;
    }
    if (status == CODEC_OK && !top_is_object) {
        status = CODEC_INVALID;
        why = "the body must be a JSON object";
    }
    if (status != CODEC_OK) {
        json_object_put(obj); /* NULL unless only trailing content failed */
        errs->count = errs_count;
        errs->dropped = errs_dropped;
        if (s->err == SCAN_KEY_NUL)
            codec_field_errors_add(errs, s->key_nul_at.text, CODEC_KEY_NUL_PROBLEM);
        free(s);
        return refuse(status, reason, why);
    }
    free(s);
    *out = obj;
    return CODEC_OK;
}
