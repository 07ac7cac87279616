#include "portal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PORTAL_PREFIX "/portal/"

struct file_type {
    const char *extension;
    const char *content_type;
    bool is_html;
};

/* The only kinds of file the portal has; anything else is not served, so a
 * stray file in the folder (an editor's backup, a note) never leaks out. */
static const struct file_type file_types[] = {
    {".html", "text/html; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", false},
    {".js", "text/javascript; charset=utf-8", false},
    {".mjs", "text/javascript; charset=utf-8", false},
    {".json", "application/json; charset=utf-8", false},
    {".svg", "image/svg+xml", false},
    {".png", "image/png", false},
    {".ico", "image/x-icon", false},
    {".txt", "text/plain; charset=utf-8", false},
};

static const struct file_type *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof file_types / sizeof *file_types; i++)
        if (strcmp(dot, file_types[i].extension) == 0)
            return &file_types[i];
    return NULL;
}

static void not_found(struct http_request *req)
{
    intake_http_add_header(req, "X-Content-Type-Options", "nosniff");
    intake_http_respond_error(req, 404, "not_found", "no such resource");
}

/* A path relative to the portal folder is acceptable when it is one or more
 * segments of [A-Za-z0-9_.-], none empty and none starting with a dot (which
 * also rules out "." and ".."). No %-escape is accepted at all: the portal's
 * own file names never need one, and refusing them means "%2e%2e" or "%00"
 * cannot be decoded into something else later. */
static bool safe_relative_path(const char *rel)
{
    if (!*rel)
        return false;
    bool segment_start = true;
    for (const char *p = rel; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (segment_start)
                return false; /* empty segment: "//" or a leading "/" */
            segment_start = true;
            continue;
        }
        if (segment_start && c == '.')
            return false;
        segment_start = false;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return !segment_start; /* a trailing "/" names a folder, not a file */
}

/* Reads the whole file at fd (at most PORTAL_MAX_FILE_BYTES, size known from
 * fstat) into a malloc'd buffer the caller frees. Returns NULL on failure. */
static char *read_all(int fd, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return NULL;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

/* The If-None-Match header lists tag (or is "*"). */
static bool etag_matches(const char *header, const char *tag)
{
    if (!header)
        return false;
    if (strcmp(header, "*") == 0)
        return true;
    size_t len = strlen(tag);
    for (const char *p = strstr(header, tag); p; p = strstr(p + 1, tag)) {
        char after = p[len];
        if (after == '\0' || after == ',' || after == ' ')
            return true;
    }
    return false;
}

static void add_file_headers(struct http_request *req, const struct file_type *type,
                             const char *etag)
{
    intake_http_add_header(req, "X-Content-Type-Options", "nosniff");
    /* HTML is always revalidated (a new release shows at once); the modules
     * and style sheet it loads may be reused for five minutes. */
    intake_http_add_header(req, "Cache-Control",
                           type->is_html ? "no-cache" : "public, max-age=300");
    intake_http_add_header(req, "ETag", etag);
    intake_http_add_header(req, "Content-Security-Policy", PORTAL_CSP);
    intake_http_add_header(req, "Referrer-Policy", "no-referrer");
    intake_http_add_header(req, "X-Frame-Options", "DENY");
}

static void serve_file(struct http_request *req, const char *root_dir, const char *rel)
{
    const struct file_type *type = type_of(rel);
    if (!type) {
        not_found(req);
        return;
    }
    char root_real[PATH_MAX], joined[PATH_MAX], file_real[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s/%s", root_dir, rel);
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(root_dir, root_real) ||
        !realpath(joined, file_real)) {
        not_found(req);
        return;
    }
    /* A symlink may point anywhere; what it resolves to must be inside. */
    size_t root_len = strlen(root_real);
    if (strncmp(file_real, root_real, root_len) != 0 || file_real[root_len] != '/') {
        not_found(req);
        return;
    }
    int fd = open(file_real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        not_found(req);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PORTAL_MAX_FILE_BYTES) {
        close(fd);
        not_found(req);
        return;
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    if (etag_matches(intake_http_header_get(req, "if-none-match"), etag)) {
        close(fd);
        add_file_headers(req, type, etag);
        intake_http_respond(req, 304, NULL, NULL, 0);
        return;
    }
    char *body = read_all(fd, (size_t)st.st_size);
    close(fd);
    if (!body) {
        intake_http_add_header(req, "X-Content-Type-Options", "nosniff");
        intake_http_respond_error(req, 500, "internal_error", "the file could not be read");
        return;
    }
    add_file_headers(req, type, etag);
    intake_http_respond(req, 200, type->content_type, body, (size_t)st.st_size);
    free(body);
}

bool intake_portal_serve(struct http_request *req, const char *root_dir)
{
    bool bare = strcmp(req->path, "/portal") == 0;
    if (!bare && strncmp(req->path, PORTAL_PREFIX, strlen(PORTAL_PREFIX)) != 0)
        return false;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        intake_http_add_header(req, "Allow", "GET, HEAD");
        intake_http_add_header(req, "X-Content-Type-Options", "nosniff");
        intake_http_respond_error(req, 405, "method_not_allowed",
                                  "this method is not allowed here");
        return true;
    }
    if (bare) {
        intake_http_add_header(req, "Location", PORTAL_PREFIX);
        intake_http_add_header(req, "X-Content-Type-Options", "nosniff");
        intake_http_respond(req, 308, NULL, NULL, 0);
        return true;
    }
    const char *rel = req->path + strlen(PORTAL_PREFIX);
    if (!*rel)
        rel = "index.html";
    if (!safe_relative_path(rel)) {
        not_found(req);
        return true;
    }
    serve_file(req, root_dir, rel);
    return true;
}
