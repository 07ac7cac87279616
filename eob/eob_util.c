/* The EOB's string builder and record readers (eob_internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eob/eob.h"
#include "eob/eob_internal.h"
#include "json_values.h"

static bool reserve(struct eob_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void eob_buf_addn(struct eob_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void eob_buf_add(struct eob_buf *b, const char *s)
{
    eob_buf_addn(b, s, strlen(s));
}

void eob_buf_addf(struct eob_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void eob_buf_add_escaped(struct eob_buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *ref;
        switch (*s) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: continue;
        }
        eob_buf_addn(b, run, (size_t)(s - run));
        eob_buf_add(b, ref);
        run = s + 1;
    }
    eob_buf_addn(b, run, (size_t)(s - run));
}

char *eob_buf_finish(struct eob_buf *b)
{
    if (!b->failed && !b->data)
        reserve(b, 0);
    if (b->failed) {
        eob_buf_free(b);
        return NULL;
    }
    b->data[b->len] = '\0';
    char *s = b->data;
    *b = (struct eob_buf){0};
    return s;
}

void eob_buf_free(struct eob_buf *b)
{
    free(b->data);
    *b = (struct eob_buf){0};
}

char *eob_html_escape(const char *text)
{
    struct eob_buf b = {0};
    eob_buf_add_escaped(&b, text ? text : "");
    return eob_buf_finish(&b);
}

struct json_object *eob_get(const struct json_object *obj, const char *key, enum json_type type)
{
    struct json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
        return NULL;
    return v;
}

const char *eob_get_str(const struct json_object *obj, const char *key)
{
    struct json_object *v = eob_get(obj, key, json_type_string);
    return v ? json_object_get_string(v) : NULL;
}

bool eob_get_money(const struct json_object *obj, const char *key, cents_t *out)
{
    struct json_object *v = eob_get(obj, key, json_type_double);
    if (!v)
        v = eob_get(obj, key, json_type_int);
    return v && money_parse_stored(json_object_get_string(v), out);
}

bool eob_get_int(const struct json_object *obj, const char *key, int64_t *out)
{
    struct json_object *v = eob_get(obj, key, json_type_int);
    if (!v)
        return false;
    *out = json_object_get_int64(v);
    return true;
}

bool eob_get_bool(const struct json_object *obj, const char *key, bool *out)
{
    struct json_object *v = eob_get(obj, key, json_type_boolean);
    if (!v)
        return false;
    *out = json_object_get_boolean(v);
    return true;
}

struct json_object *eob_need(bool *bad, const struct json_object *obj, const char *key,
                             enum json_type type)
{
    struct json_object *v = eob_get(obj, key, type);
    if (!v)
        *bad = true;
    return v;
}

const char *eob_need_str(bool *bad, const struct json_object *obj, const char *key)
{
    const char *s = eob_get_str(obj, key);
    if (!s) {
        *bad = true;
        return "";
    }
    return s;
}

cents_t eob_need_money(bool *bad, const struct json_object *obj, const char *key)
{
    cents_t v = 0;
    if (!eob_get_money(obj, key, &v))
        *bad = true;
    return v;
}

size_t eob_array_len(const struct json_object *arr)
{
    return arr ? json_object_array_length(arr) : 0;
}

struct json_object *eob_array_at(const struct json_object *arr, size_t i)
{
    return json_object_array_get_idx(arr, i);
}
