#include "seed.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "codec/parse_enrollment.h"
#include "log.h"
#include "queue/accounts.h"
#include "queue/enrollment.h"
#include "queue/tokens.h"
#include "secret.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n < 64 * 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of a folder, sorted; *n of them. Caller frees each and the array. */
static char **list_json(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof *names, cmp_names);
    return names;
}

/* A member's file is named by the member id, which logs never carry: a
 * member file is named by its folder only (validate it with PUT
 * /v1/members/{id} to see which). */
static void report(const char *path, const struct codec_field_errors *errs, const char *reason)
{
    char shown[1200];
    const char *members = strstr(path, "/members/");
    if (members)
        snprintf(shown, sizeof shown, "%.*s/members/(a member file)", (int)(members - path), path);
    else
        snprintf(shown, sizeof shown, "%s", path);
    if (errs && errs->count > 0)
        log_error("seed %s: %s: %s", shown, errs->items[0].field, errs->items[0].problem);
    else
        log_error("seed %s: %s", shown, reason ? reason : "cannot be read");
}

enum kind { PLANS, GROUPS, MEMBERS };

/* Loads one record file; for members, pass 0 loads subscribers, pass 1 the rest. */
static int load_one(struct rlink *c, const char *prefix, enum kind kind, const char *path,
                    const char *id, int pass, struct codec_field_errors *errs)
{
    size_t len = 0;
    char *bytes = read_file(path, &len);
    if (!bytes) {
        report(path, NULL, NULL);
        return -1;
    }
    const char *reason = NULL;
    enum codec_status st;
    struct json_object *json = NULL;
    struct queue_member_facts facts = {0};
    char member_id[ID_LEN] = "", subscriber_id[ID_LEN] = "", group_id[ID_LEN] = "",
         latest_plan[ID_LEN] = "";
    enum queue_record_kind stored_kind = kind == PLANS    ? QUEUE_RECORD_PLAN
                                         : kind == GROUPS ? QUEUE_RECORD_GROUP
                                                          : QUEUE_RECORD_MEMBER;
    if (kind == PLANS) {
        struct plan plan;
        st = codec_plan_from_body(bytes, len, id, &plan, errs, &reason);
        if (st == CODEC_OK) {
            json = codec_plan_to_json(&plan);
            plan_free(&plan);
        }
    } else if (kind == GROUPS) {
        struct group group;
        st = codec_group_from_body(bytes, len, id, &group, errs, &reason);
        if (st == CODEC_OK)
            json = codec_group_to_json(&group, date_today());
    } else {
        struct member *m = malloc(sizeof *m);
        st = m ? codec_member_from_body(bytes, len, id, m, errs, &reason) : CODEC_NO_MEMORY;
        if (st == CODEC_OK) {
            bool subscriber = strcmp(m->member_id, m->subscriber_id) == 0;
            if (subscriber != (pass == 0)) {
                free(m);
                free(bytes);
                return 0; /* the other pass loads it */
            }
            json = codec_member_to_json(m, date_today());
            snprintf(member_id, sizeof member_id, "%s", m->member_id);
            snprintf(subscriber_id, sizeof subscriber_id, "%s", m->subscriber_id);
            snprintf(group_id, sizeof group_id, "%s", m->group_id);
            snprintf(latest_plan, sizeof latest_plan, "%s",
                     m->n_coverage ? m->coverage[m->n_coverage - 1].plan_id : "");
            facts = (struct queue_member_facts){member_id, subscriber_id, group_id, latest_plan};
        }
        free(m);
    }
    free(bytes);
    if (st != CODEC_OK || !json) {
        report(path, errs, reason);
        json_object_put(json);
        return -1;
    }
    int rc = queue_put_record_blocking(c, prefix, stored_kind, id,
                                       json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN),
                                       kind == MEMBERS ? &facts : NULL);
    json_object_put(json);
    if (rc != 0)
        report(path, NULL, "Redis refused the write");
    return rc;
}

int server_seed_load(struct rlink *c, const char *prefix, const char *dir)
{
    int exists = queue_seeded_blocking(c, prefix);
    if (exists < 0) {
        log_error("seed: cannot reach Redis");
        return -1;
    }
    if (exists)
        return 0; /* seeded before */
    struct codec_field_errors *errs = malloc(sizeof *errs);
    if (!errs)
        return -1;
    static const char *const folders[] = {"plans", "groups", "members"};
    int rc = 0;
    for (int kind = PLANS; kind <= MEMBERS && rc == 0; kind++) {
        char sub[1100];
        snprintf(sub, sizeof sub, "%s/%s", dir, folders[kind]);
        int n = 0;
        char **names = list_json(sub, &n);
        for (int pass = 0; pass < (kind == MEMBERS ? 2 : 1) && rc == 0; pass++) {
            for (int i = 0; i < n && rc == 0; i++) {
                char path[1400], id[128];
                snprintf(path, sizeof path, "%s/%s", sub, names[i]);
                snprintf(id, sizeof id, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
                codec_field_errors_init(errs);
                rc = load_one(c, prefix, (enum kind)kind, path, id, pass, errs);
            }
        }
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    free(errs);
    if (rc == 0 && queue_mark_seeded_blocking(c, prefix) != 0)
        rc = -1;
    if (rc == 0)
        log_info("sample enrollment loaded from %s", dir);
    return rc == 0 ? 1 : -1;
}

/* The sample providers of config/sample's claims (Corner Drug, Bay Clinic). */
static const char *const sample_npis[] = {"1245319599", "1003000126"};

void server_seed_portal_url(const char *host, int port, bool tls, char *out, size_t size)
{
    if (!*host || strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
        host = "[::1]";
    bool v6 = strchr(host, ':') && host[0] != '[';
    if (port <= 0) /* a port the system picks, not known yet: the path alone */
        snprintf(out, size, "/portal/");
    else
        snprintf(out, size, "%s://%s%s%s:%d/portal/", tls ? "https" : "http", v6 ? "[" : "", host,
                 v6 ? "]" : "", port);
}

/* One invitation: a line with the link to accept it in the portal (or the
 * code alone when there is no portal). */
static int print_invitation(struct rlink *c, const char *prefix, const char *portal_url,
                            const char *role, const char *member_id, const char *npi)
{
    char code[SECRET_INVITATION_CODE_LEN + 1], hash[TOKEN_HASH_HEX_LEN], created_at[32];
    if (secret_invitation_code_new(code) != 0)
        return -1;
    queue_token_hash_hex(code, strlen(code), hash);
    rfc3339_now(created_at);
    if (queue_accounts_invitation_store_blocking(c, prefix, hash, role, member_id, npi, created_at,
                                                 "seed", SECRET_INVITATION_TTL_SECONDS) != 0)
        return -1;
    if (portal_url && *portal_url)
        printf("  %-8s %-11s %s#/accept?code=%s\n", role, *member_id ? member_id : npi, portal_url,
               code);
    else
        printf("  %-8s %-11s %s\n", role, *member_id ? member_id : npi, code);
    explicit_bzero(code, sizeof code);
    return 0;
}

int server_seed_print_tokens(struct rlink *c, const char *prefix, const char *dir,
                             const char *portal_url)
{
    char members_dir[1100];
    snprintf(members_dir, sizeof members_dir, "%s/members", dir);
    int n = 0;
    char **names = list_json(members_dir, &n);
    /* People: an invitation each, accepted in the portal with a username and
     * a password of their own (docs/portal.md). */
    if (portal_url && *portal_url)
        printf("\nSample people for this new data directory: open your link in a browser, choose\n"
               "a username and a password (at least 12 characters), and you are signed in.\n"
               "Each link works once, for 7 days; it is shown here only.\n");
    else
        printf("\nSample invitations for this new data directory (no portal_dir: accept one with\n"
               "POST /v1/accounts {\"code\", \"username\", \"password\"}). Each works once, for 7 "
               "days.\n");
    int rc = print_invitation(c, prefix, portal_url, "staff", "", "");
    for (size_t i = 0; i < sizeof sample_npis / sizeof *sample_npis && rc == 0; i++)
        rc = print_invitation(c, prefix, portal_url, "provider", "", sample_npis[i]);
    for (int i = 0; i < n && rc == 0; i++) {
        char member[128];
        snprintf(member, sizeof member, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        rc = print_invitation(c, prefix, portal_url, "member", member, "");
    }
    /* Programs: API tokens (docs/api.md). */
    if (rc == 0)
        printf("\nSample API tokens for programs and curl, shown once, here only; the store keeps\n"
               "only their hashes. Use them as \"Authorization: Bearer <token>\".\n");
    char token[TOKEN_TEXT_LEN], id[37];
    const char *roles[] = {"admin", "staff"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = queue_tokens_create_blocking(c, prefix, roles[i], "", "", token, id);
        if (rc == 0)
            printf("  %-8s %-11s %s\n", roles[i], "", token);
    }
    for (size_t i = 0; i < sizeof sample_npis / sizeof *sample_npis && rc == 0; i++) {
        rc = queue_tokens_create_blocking(c, prefix, "provider", "", sample_npis[i], token, id);
        if (rc == 0)
            printf("  %-8s %-11s %s\n", "provider", sample_npis[i], token);
    }
    for (int i = 0; i < n; i++) {
        char member[128];
        snprintf(member, sizeof member, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        if (rc == 0) {
            rc = queue_tokens_create_blocking(c, prefix, "member", member, "", token, id);
            if (rc == 0)
                printf("  %-8s %-11s %s\n", "member", member, token);
        }
        free(names[i]);
    }
    free(names);
    printf("\n");
    fflush(stdout);
    explicit_bzero(token, sizeof token);
    return rc;
}
