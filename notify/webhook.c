#include "webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"

const char *const notify_events[NOTIFY_N_EVENTS] = {
    NOTIFY_EVENT_FINALIZED,    NOTIFY_EVENT_PENDED,        NOTIFY_EVENT_IN_REVIEW,
    NOTIFY_EVENT_REPLACED,     NOTIFY_EVENT_VOIDED,        NOTIFY_EVENT_ADJUSTED,
    NOTIFY_EVENT_APPEAL_FILED, NOTIFY_EVENT_APPEAL_DECIDED};

bool notify_event_known(const char *name)
{
    for (int i = 0; i < NOTIFY_N_EVENTS; i++)
        if (strcmp(name, notify_events[i]) == 0)
            return true;
    return false;
}

bool notify_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > NOTIFY_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

const char *notify_url_problem(const char *url)
{
    static const char *const not_url = "must be an http or https URL with a host";
    size_t n = strlen(url);
    if (n == 0 || n > NOTIFY_URL_MAX)
        return n ? "must be at most 2048 bytes" : not_url;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return "must not contain spaces, control or non-ASCII characters";
    /* The scheme is checked before parsing so that curl never guesses one. */
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return not_url;
    CURLU *u = curl_url();
    if (!u)
        return "could not be checked";
    const char *problem = NULL;
    char *host = NULL, *user = NULL, *password = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0])
        problem = not_url;
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
        problem = "must not contain a user name or password";
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return problem;
}

int notify_url_target(const char *url, char host[NOTIFY_HOST_MAX], char port[8])
{
    CURLU *u = curl_url();
    if (!u)
        return -1;
    char *h = NULL, *p = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h && h[0] &&
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK && p &&
        strlen(p) < 8) {
        /* curl answers an IPv6 literal in brackets, its zone apart. */
        size_t n = strlen(h);
        const char *start = h;
        if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
            start = h + 1;
            n -= 2;
        }
        if (n > 0 && n < NOTIFY_HOST_MAX) {
            memcpy(host, start, n);
            host[n] = '\0';
            snprintf(port, 8, "%s", p);
            rc = 0;
        }
    }
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

const char *notify_secret_problem(const char *secret)
{
    size_t n = strlen(secret);
    if (n < NOTIFY_SECRET_MIN)
        return "must be at least 32 characters";
    if (n > NOTIFY_SECRET_MAX)
        return "must be at most 256 characters";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)secret[i] <= 0x20 || (unsigned char)secret[i] >= 0x7f)
            return "must be printable ASCII without spaces";
    return NULL;
}

void notify_format_ms(int64_t ms, char out[NOTIFY_TIME_LEN])
{
    rfc3339_ms_at(ms, out);
}

int64_t notify_event_time_ms(const char *event_id)
{
    char *end;
    errno = 0;
    long long ms = strtoll(event_id, &end, 10);
    if (errno || end == event_id || *end != '-' || ms < 0)
        return -1;
    return (int64_t)ms;
}

char *notify_body(const char *event_id, const char *event, const char *claim_id, const char *status)
{
    char occurred[NOTIFY_TIME_LEN];
    notify_format_ms(notify_event_time_ms(event_id), occurred);
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "event_id", json_object_new_string(event_id));
    json_object_object_add(o, "event", json_object_new_string(event));
    json_object_object_add(o, "claim_id", json_object_new_string(claim_id));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "occurred_at", json_object_new_string(occurred));
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *body = text ? strdup(text) : NULL;
    json_object_put(o);
    return body;
}

int notify_signature(const char *secret, int64_t unix_seconds, const char *body, size_t len,
                     char out[NOTIFY_SIGNATURE_LEN])
{
    char t[24];
    int tlen = snprintf(t, sizeof t, "%" PRId64, unix_seconds);
    /* HMAC over "<t>.<body>", fed in pieces so the body is not copied. */
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
             EVP_MAC_update(ctx, (const unsigned char *)t, (size_t)tlen) &&
             EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
             EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
             EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) && mac_len == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    if (!ok)
        return -1;
    int n = snprintf(out, NOTIFY_SIGNATURE_LEN, "t=%s,v1=", t);
    for (size_t i = 0; i < mac_len; i++)
        n += snprintf(out + n, NOTIFY_SIGNATURE_LEN - (size_t)n, "%02x", mac[i]);
    return 0;
}

int64_t notify_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms)
{
    int64_t wait = base_ms;
    for (int i = 1; i < attempt && wait < max_ms; i++)
        wait *= 2;
    return wait < max_ms ? wait : max_ms;
}
