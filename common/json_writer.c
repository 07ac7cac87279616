#include "json_writer.h"

static void writer_string(struct json_writer *w, const char *s);

void json_writer_key(struct json_writer *w, const char *key)
{
    if (w->comma)
        strbuf_append_char(&w->sb, ',');
    w->comma = true;
    if (key) {
        writer_string(w, key);
        strbuf_append_char(&w->sb, ':');
    }
}

void json_writer_string(struct json_writer *w, const char *key, const char *s)
{
    json_writer_key(w, key);
    writer_string(w, s);
}

/* s[0..n) escaped as json-c escapes a string, without its opening quote and (unless
 * with_close) its closing one; false, the writer failed, when out of memory. */
static bool append_unquoted(struct json_writer *w, const char *s, size_t n, bool with_close)
{
    struct strbuf part;
    strbuf_init(&part);
    strbuf_append_json_string(&part, s, n);
    if (strbuf_failed(&part)) {
        w->sb.failed = true;
        return false;
    }
    strbuf_append(&w->sb, part.buf + 1, part.len - (with_close ? 1 : 2));
    strbuf_free(&part);
    return true;
}

/* s as json-c writes a string (keys too), "/" per the writer's flag. */
static void writer_string(struct json_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (!w->escape_slash || !memchr(s, '/', n)) {
        strbuf_append_json_string(&w->sb, s, n);
        return;
    }
    /* json-c writes "/" as "\/" by default: piece by piece around each one. */
    strbuf_append_char(&w->sb, '"');
    for (const char *slash; (slash = memchr(s, '/', n));) {
        size_t k = (size_t)(slash - s);
        if (!append_unquoted(w, s, k, false))
            return;
        strbuf_append(&w->sb, "\\/", 2);
        s += k + 1;
        n -= k + 1;
    }
    append_unquoted(w, s, n, true);
}

void json_writer_raw(struct json_writer *w, const char *key, const char *text)
{
    json_writer_key(w, key);
    strbuf_append_str(&w->sb, text);
}

void json_writer_int(struct json_writer *w, const char *key, int64_t v)
{
    json_writer_key(w, key);
    strbuf_append_int(&w->sb, v);
}

void json_writer_bool(struct json_writer *w, const char *key, bool v)
{
    json_writer_raw(w, key, v ? "true" : "false");
}

void json_writer_null(struct json_writer *w, const char *key)
{
    json_writer_raw(w, key, "null");
}

void json_writer_money(struct json_writer *w, const char *key, cents_t amount)
{
    char text[MONEY_STRLEN];
    json_writer_raw(w, key, money_format(amount, text));
}

void json_writer_date(struct json_writer *w, const char *key, date_t d)
{
    char text[DATE_STRLEN];
    json_writer_string(w, key, date_format(d, text));
}

void json_writer_open(struct json_writer *w, const char *key, char bracket)
{
    json_writer_key(w, key);
    strbuf_append_char(&w->sb, bracket);
    w->comma = false;
}

void json_writer_close(struct json_writer *w, char bracket)
{
    strbuf_append_char(&w->sb, bracket);
    w->comma = true;
}
