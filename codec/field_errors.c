#include "codec/field_errors.h"

#include <stdio.h>
#include <string.h>

#include "codec/json_read.h"

#define SAFE_KEY_MAX 64

void codec_path_init(struct codec_path *path)
{
    path->text[0] = '\0';
    path->len = 0;
}

/* Appends s; a path that would not fit is cut and ends in "..." so that a
 * reader sees it is incomplete rather than a different, shorter path. */
static void path_append(struct codec_path *path, const char *s, size_t n)
{
    if (path->len + n < CODEC_PATH_MAX) {
        memcpy(path->text + path->len, s, n);
        path->len += n;
        path->text[path->len] = '\0';
        return;
    }
    size_t keep = CODEC_PATH_MAX - 4;
    if (path->len < keep) {
        memcpy(path->text + path->len, s, keep - path->len);
    }
    memcpy(path->text + keep, "...", 4);
    path->len = CODEC_PATH_MAX - 1;
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_identifier(const char *key, size_t n)
{
    if (n == 0 || n > SAFE_KEY_MAX || !(is_alpha(key[0]) || key[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = key[i];
        /* Lower-case letters and '_' first: they make up field names. */
        if ((c >= 'a' && c <= 'z') || c == '_')
            continue;
        if (!(is_alpha(c) || is_digit(c)))
            return false;
    }
    return true;
}

static bool is_code_like(const char *key, size_t n)
{
    if (n == 0 || n > SAFE_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(is_alpha(key[i]) || is_digit(key[i]) || key[i] == '.' || key[i] == '_' ||
              key[i] == '-'))
            return false;
    return true;
}

size_t codec_path_push_key(struct codec_path *path, const char *key, size_t key_len)
{
    if (!is_identifier(key, key_len))
        return codec_path_push_map_key(path, key, key_len);
    size_t mark = path->len;
    /* The common case, every field name of the API: ".key" at once. */
    if (path->len + key_len + 1 < CODEC_PATH_MAX) {
        char *at = path->text + path->len;
        if (path->len > 0)
            *at++ = '.';
        memcpy(at, key, key_len);
        at[key_len] = '\0';
        path->len = (size_t)(at + key_len - path->text);
        return mark;
    }
    if (path->len > 0)
        path_append(path, ".", 1);
    path_append(path, key, key_len);
    return mark;
}

size_t codec_path_push_map_key(struct codec_path *path, const char *key, size_t key_len)
{
    size_t mark = path->len;
    if (is_code_like(key, key_len)) {
        path_append(path, "[\"", 2);
        path_append(path, key, key_len);
        path_append(path, "\"]", 2);
    } else {
        path_append(path, "[?]", 3);
    }
    return mark;
}

size_t codec_path_push_index(struct codec_path *path, size_t index)
{
    size_t mark = path->len;
    /* "[index]", digits by hand: this runs for every array item parsed. */
    char buf[32];
    size_t i = sizeof buf;
    buf[--i] = ']';
    do {
        buf[--i] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    buf[--i] = '[';
    path_append(path, buf + i, sizeof buf - i);
    return mark;
}

void codec_path_pop(struct codec_path *path, size_t mark)
{
    if (mark < path->len) {
        path->len = mark;
        path->text[mark] = '\0';
    }
}

void codec_field_errors_init(struct codec_field_errors *errs)
{
    errs->count = 0;
    errs->dropped = 0;
}

void codec_field_errors_add(struct codec_field_errors *errs, const char *path, const char *problem)
{
    if (errs->count == CODEC_FIELD_ERRORS_MAX) {
        errs->dropped++;
        return;
    }
    struct codec_field_error *e = &errs->items[errs->count++];
    snprintf(e->field, sizeof e->field, "%s", path ? path : "");
    e->problem = problem;
}

void codec_field_errors_add_at(struct codec_field_errors *errs, struct codec_path *path,
                               const char *key, const char *problem)
{
    size_t mark = codec_path_push_key(path, key, strlen(key));
    codec_field_errors_add(errs, path->text, problem);
    codec_path_pop(path, mark);
}

int codec_field_errors_find(const struct codec_field_errors *errs, const char *field,
                            const char *problem)
{
    for (int i = 0; i < errs->count; i++)
        if (strcmp(errs->items[i].field, field) == 0 &&
            strcmp(errs->items[i].problem, problem) == 0)
            return i;
    return -1;
}

static int add_entry(struct json_object *list, const char *field, const char *problem)
{
    struct json_object *entry = json_object_new_object();
    if (!entry)
        return -1;
    if (codec_put_string(entry, "field", field) || codec_put_string(entry, "problem", problem) ||
        json_object_array_add(list, entry)) {
        json_object_put(entry);
        return -1;
    }
    return 0;
}

struct json_object *codec_error_render(const char *code, const char *message,
                                       const struct codec_field_errors *errs)
{
    struct json_object *root = json_object_new_object();
    struct json_object *error = json_object_new_object();
    if (!root || !error)
        goto fail;
    if (json_object_object_add(root, "error", error)) {
        json_object_put(error);
        goto fail_root;
    }
    if (codec_put_string(error, "code", code) || codec_put_string(error, "message", message))
        goto fail_root;
    if (errs && errs->count > 0) {
        struct json_object *list = json_object_new_array_ext(errs->count + 1);
        if (!list)
            goto fail_root;
        if (json_object_object_add(error, "fields", list)) {
            json_object_put(list);
            goto fail_root;
        }
        for (int i = 0; i < errs->count; i++)
            if (add_entry(list, errs->items[i].field, errs->items[i].problem))
                goto fail_root;
        if (errs->dropped > 0 && add_entry(list, "", CODEC_FIELD_ERRORS_TRUNCATED_PROBLEM))
            goto fail_root;
    }
    return root;
fail:
    json_object_put(error);
fail_root:
    json_object_put(root);
    return NULL;
}
