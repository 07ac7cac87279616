#include "strbuf.h"

#include <stdlib.h>

static bool mark_failed(struct strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->failed = true;
    return false;
}

bool strbuf_grow(struct strbuf *sb, size_t more)
{
    if (sb->failed)
        return false;
    size_t need = sb->len + more + 1;
    if (need < more) /* overflow */
        return mark_failed(sb);
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return mark_failed(sb);
        cap *= 2;
    }
    char *grown = realloc(sb->buf, cap);
    if (!grown)
        return mark_failed(sb);
    sb->buf = grown;
    sb->cap = cap;
    return true;
}

void strbuf_append_int(struct strbuf *sb, int64_t n)
{
    char digits[24];
    size_t i = sizeof digits;
    /* In unsigned arithmetic so that INT64_MIN cannot overflow. */
    uint64_t mag = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    do {
        digits[--i] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (n < 0)
        digits[--i] = '-';
    strbuf_append(sb, digits + i, sizeof digits - i);
}

void strbuf_append_json_string(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* The worst case, every byte as \u00XX, is reserved up front. */
    if (n > (SIZE_MAX - 2) / 6) {
        mark_failed(sb);
        return;
    }
    if (!strbuf_grow(sb, n * 6 + 2))
        return;
    char *out = sb->buf + sb->len;
    *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 0xF];
            break;
        }
    }
    *out++ = '"';
    *out = '\0';
    sb->len = (size_t)(out - sb->buf);
}

char *strbuf_take(struct strbuf *sb)
{
    char *text = sb->failed ? NULL : sb->buf;
    strbuf_init(sb);
    return text;
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->buf);
    strbuf_init(sb);
}
