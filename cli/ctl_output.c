/*
 * What claimctl shows: answers on stdout or in a file only its owner can
 * read, errors on stderr in one shape ("error: <code>: <message>"), and the
 * input files it reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

int ctl_fail(int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "error: %s: ", code);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

/* Text from the server, made safe for a terminal: control characters (an
 * escape sequence could rewrite the screen) become '?'. */
static void put_clean(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s, f);
}

static const char *json_at(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void report_fields(struct json_object *err)
{
    struct json_object *fields;
    if (!json_object_object_get_ex(err, "fields", &fields) ||
        !json_object_is_type(fields, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(fields); i++) {
        struct json_object *f = json_object_array_get_idx(fields, i);
        const char *field = json_at(f, "field"), *problem = json_at(f, "problem");
        fputs("  ", stderr);
        put_clean(stderr, field ? field : "");
        fputs(": ", stderr);
        put_clean(stderr, problem ? problem : "");
        fputc('\n', stderr);
    }
}

int ctl_report_error(const struct ctl_response *res)
{
    struct json_object *doc = ctl_is_json(res) ? json_tokener_parse(res->body) : NULL, *err = NULL;
    if (doc && json_object_object_get_ex(doc, "error", &err) &&
        json_object_is_type(err, json_type_object) && json_at(err, "code")) {
        const char *message = json_at(err, "message");
        fputs("error: ", stderr);
        put_clean(stderr, json_at(err, "code"));
        fputs(": ", stderr);
        put_clean(stderr, message ? message : "");
        fputc('\n', stderr);
        report_fields(err);
    } else {
        /* Not the API's error body: a proxy, or a server of another kind. */
        fprintf(stderr, "error: http_%ld: the server answered HTTP %ld without an error body\n",
                res->status, res->status);
    }
    json_object_put(doc);
    if (res->retry_after[0]) {
        fputs("  retry after: ", stderr);
        put_clean(stderr, res->retry_after);
        fputs(" s\n", stderr);
    }
    if (res->request_id[0]) {
        fputs("  request id: ", stderr);
        put_clean(stderr, res->request_id);
        fputc('\n', stderr);
    }
    return CTL_SERVER_ERROR;
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A temporary file beside path (mkstemp: mode 0600 whatever the umask),
 * written, synced and renamed over path: the file is 0600 even when one
 * with wider permissions was there, and never half written. */
static int write_private_file(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof ".claimctl-XXXXXX");
    if (!tmp)
        return ctl_fail(CTL_LOCAL_ERROR, "output", "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".claimctl-XXXXXX", sizeof ".claimctl-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return ctl_fail(CTL_LOCAL_ERROR, "output", "cannot create %s: %s", path, strerror(e));
    }
    int e = 0;
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    free(tmp);
    if (e)
        return ctl_fail(CTL_LOCAL_ERROR, "output", "cannot write %s: %s", path, strerror(e));
    return CTL_OK;
}

int ctl_write_output(const char *output, const char *text, size_t len)
{
    if (output && strcmp(output, "-") != 0)
        return write_private_file(output, text, len);
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
        return ctl_fail(CTL_LOCAL_ERROR, "output", "cannot write to standard output: %s",
                        strerror(errno));
    return CTL_OK;
}

int ctl_emit(const struct ctl_response *res, bool raw, const char *output)
{
    struct json_object *doc = NULL;
    if (!raw && ctl_is_json(res) && res->len > 0) {
        struct json_tokener *tok = json_tokener_new();
        if (tok) {
            doc = json_tokener_parse_ex(tok, res->body, (int)res->len);
            size_t end = json_tokener_get_parse_end(tok);
            while (end < res->len && res->body[end] && strchr(" \t\r\n", res->body[end]))
                end++;
            /* Anything after the first value would be lost: show it all as sent. */
            if (json_tokener_get_error(tok) != json_tokener_success || end != res->len) {
                json_object_put(doc);
                doc = NULL;
            }
            json_tokener_free(tok);
        }
    }
    if (!doc) /* as returned: FHIR, HTML, X12, --raw, or JSON json-c would not read */
        return ctl_write_output(output, res->body, res->len);
    struct ctl_buf text = {0};
    ctl_buf_str(&text, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_SPACED |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    ctl_buf_str(&text, "\n");
    json_object_put(doc);
    int rc = ctl_write_output(output, text.p, text.len);
    free(text.p);
    return rc;
}

int ctl_read_file(const char *path, size_t max, struct ctl_buf *b)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return ctl_fail(CTL_LOCAL_ERROR, "input", "cannot open %s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    int rc = CTL_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > max) {
            rc = ctl_fail(CTL_LOCAL_ERROR, "input", "%s is larger than %zu MiB", path, max >> 20);
            break;
        }
        ctl_buf_add(b, chunk, n);
    }
    if (rc == CTL_OK && ferror(f))
        rc = ctl_fail(CTL_LOCAL_ERROR, "input", "cannot read %s: %s", path, strerror(errno));
    if (!is_stdin)
        fclose(f);
    if (rc == CTL_OK && !b->p)
        ctl_buf_add(b, "", 0);
    return rc;
}
