/*
 * A growing byte buffer for writing text (JSON records, response bodies)
 * without building a json-c tree first.
 *
 * Errors are sticky: an allocation that fails marks the buffer failed, later
 * appends do nothing, and strbuf_failed() tells the writer once at the end.
 * The text is always NUL-terminated while the buffer has not failed.
 */
#ifndef CLAIMS_STRBUF_H
#define CLAIMS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
    char *buf; /* owned; NULL until the first append or after a failure */
    size_t len, cap;
    bool failed;
};

/* Starts an empty buffer that owns nothing. */
static inline void strbuf_init(struct strbuf *sb)
{
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
}

/* Makes room for `more` bytes and the NUL; false (and failed) when it cannot. */
bool strbuf_grow(struct strbuf *sb, size_t more);

/* Appends n bytes of s (the buffer fails when out of memory). */
static inline void strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
    if (sb->len + n + 1 > sb->cap && !strbuf_grow(sb, n))
        return;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

/* Appends the NUL-terminated s. */
static inline void strbuf_append_str(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

/* Appends one byte. */
static inline void strbuf_append_char(struct strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

/* Decimal text of n. */
void strbuf_append_int(struct strbuf *sb, int64_t n);

/* s as a JSON string (RFC 8259 § 7), quotes included: `"` and `\` escaped,
 * control characters U+0000..U+001F written as \b \f \n \r \t or \u00XX,
 * every other byte (UTF-8 included) as is. */
void strbuf_append_json_string(struct strbuf *sb, const char *s, size_t n);

/* Whether an allocation failed (the text is lost then). */
static inline bool strbuf_failed(const struct strbuf *sb)
{
    return sb->failed;
}

/* Hands the text over: the caller frees it. NULL when the buffer failed (it
 * is freed then) or nothing was appended. The buffer is empty afterwards. */
char *strbuf_take(struct strbuf *sb);

/* Frees the text and leaves the buffer empty. */
void strbuf_free(struct strbuf *sb);

#endif
