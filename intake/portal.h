/*
 * The web portal's static files (portal/: HTML, CSS, JavaScript modules),
 * served by claimsd itself under /portal/ so that the portal and the API it
 * calls share one origin and a strict Content-Security-Policy (docs/portal.md).
 */
#ifndef CLAIMS_PORTAL_H
#define CLAIMS_PORTAL_H

#include <stdbool.h>

#include "intake/http.h"

/* Answers req when its path is /portal or under /portal/, and returns true;
 * returns false (and does nothing) for any other path.
 *
 * - "/portal" is redirected (308) to "/portal/", and "/portal/" serves
 *   root_dir/index.html.
 * - Only GET and HEAD (405 otherwise); only regular files with a known type
 *   (HTML, CSS, JavaScript, JSON, SVG, PNG, ICO, text); at most
 *   PORTAL_MAX_FILE_BYTES.
 * - A path with a %-escape, a backslash, an empty, "." or ".." segment, a
 *   segment starting with a dot, or a file whose real path (symlinks
 *   resolved) is not inside root_dir's real path is answered 404 JSON, the
 *   same answer as a file that does not exist.
 * - Every answer carries X-Content-Type-Options: nosniff; files carry
 *   Cache-Control (no-cache for HTML, which is revalidated with its ETag;
 *   a short max-age for assets), an ETag, and the Content-Security-Policy
 *   PORTAL_CSP.
 *
 * Files are read per request with blocking POSIX I/O: they are a few kB on
 * a local disk, and reading them fresh means an edited file is served at
 * once. */
bool intake_portal_serve(struct http_request *req, const char *root_dir);

#define PORTAL_MAX_FILE_BYTES (2 * 1024 * 1024)

/* No inline script or style, nothing from another origin, never framed. */
#define PORTAL_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "             \
    "form-action 'self'"

#endif
