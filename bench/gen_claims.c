/*
 * Realistic load for the benchmark (bench/run.sh): enrolls families through
 * the API and writes the claims the load generators send.
 *
 *   gen_claims --url http://127.0.0.1:PORT --admin-token T --plan FILE
 *              --out DIR [--families N] [--claims N] [--check N] [--burst N]
 *
 * Through the API, as an administrator would (PUT, so a rerun is harmless):
 * the plan from FILE; 20 employer groups on that plan; N families (default
 * 1500): an employee, a spouse for 60 % of them, 0-3 children, about 3,300
 * members; a staff token, a provider token for each of 40 providers and a
 * member token for the subscriber of each of the first 400 families.
 *
 * Then writes DIR/claims.tsv, one request a line, "token<TAB>body": 60 %
 * medical claims of 1-10 lines filed by the provider they name (30 % of them
 * out of network, with an itemized bill), 40 % pharmacy reimbursement
 * requests filed by a subscriber for self or a family member. Every claim is
 * valid per docs/validation.md, for a member with no other coverage, dated
 * within the last 90 days, so the worker can finalize it without pending.
 * DIR/staff.token holds the staff token (for reads).
 *
 * --check N posts the first N claims and fails unless every one is answered
 * 202: the proof that the file is what the benchmark claims it is.
 *
 * --burst N also writes DIR/burst.tsv: N pharmacy claims all for ONE member
 * (the first family's subscriber, filed with that subscriber's token) and
 * ONE fill date (10 days ago), the one-member, one-date burst of issue 11.
 * The claims differ in their charge and Rx number and cycle through the
 * NDCs and pharmacies, so some are exact duplicates of an earlier one
 * (denied OA-18, RULES.md § 5) and most are not; every one is valid and is
 * finalized without pending, as the spread claims are. The first claim of
 * the burst is posted with --check.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/codes.h"

#define N_GROUPS 20
#define N_PROVIDERS 40
#define N_MEMBER_TOKENS 400
#define MAX_FAMILY 6

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            fprintf(stderr, "gen_claims: out of memory\n");
            exit(1);
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        fprintf(stderr, "gen_claims: a piece of JSON is too long\n");
        exit(1);
    }
    buf_add(b, tmp, (size_t)n);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    buf_add(arg, ptr, size * nmemb);
    return size * nmemb;
}

struct api {
    CURL *curl;
    const char *url;
    struct buf answer;
};

/* Sends one request; returns the status (0 when there was no answer). */
static long api_call(struct api *api, const char *method, const char *path, const char *token,
                     const char *body)
{
    char url[512], auth[256];
    snprintf(url, sizeof url, "%s%s", api->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    buf_reset(&api->answer);
    curl_easy_setopt(api->curl, CURLOPT_URL, url);
    curl_easy_setopt(api->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(api->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(api->curl, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(api->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(api->curl, CURLOPT_WRITEDATA, &api->answer);
    long status = 0;
    if (curl_easy_perform(api->curl) == CURLE_OK)
        curl_easy_getinfo(api->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

static void api_must(struct api *api, const char *method, const char *path, const char *token,
                     const char *body, long want)
{
    long st = api_call(api, method, path, token, body);
    /* PUT answers 201 when it creates the record, 200 when it replaces it. */
    if (st != want && !(want == 200 && st == 201)) {
        fprintf(stderr, "gen_claims: %s %s answered %ld, not %ld: %s\n", method, path, st, want,
                api->answer.data ? api->answer.data : "");
        exit(1);
    }
}

/* POST /v1/tokens; returns the token (allocated, caller frees). */
static char *make_token(struct api *api, const char *admin, const char *body)
{
    api_must(api, "POST", "/v1/tokens", admin, body, 201);
    struct json_object *o = json_tokener_parse(api->answer.data), *t = NULL;
    char *token =
        o && json_object_object_get_ex(o, "token", &t) ? strdup(json_object_get_string(t)) : NULL;
    if (o)
        json_object_put(o);
    if (!token) {
        fprintf(stderr, "gen_claims: no token in %s\n", api->answer.data);
        exit(1);
    }
    return token;
}

/* Deterministic, so that two runs send the same claims. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/* A valid NPI: 9 digits and their check digit (codec/codes.c). */
static void make_npi(uint32_t seed, char out[11])
{
    snprintf(out, 11, "1%08u", seed % 100000000u);
    out[9] = (char)('0' + codec_npi_check_digit(out));
    out[10] = '\0';
}

/* The date `days` before today (UTC) as YYYY-MM-DD. */
static void date_days_ago(int days, char out[11])
{
    time_t t = time(NULL) - (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static const char *first_names[] = {"Luis",  "Ana",  "Maya",  "John", "Grace", "Omar", "Lena",
                                    "Ravi",  "Chen", "Sofia", "Noah", "Ivy",   "Kofi", "Nora",
                                    "Pablo", "Yuki", "Elena", "Sam",  "Aisha", "Tom"};
static const char *last_names[] = {"Lopez",  "Smith",  "Nguyen", "Okafor", "Garcia", "Kim",
                                   "Patel",  "Rossi",  "Novak",  "Cohen",  "Silva",  "Brown",
                                   "Haddad", "Larsen", "Moreau", "Tanaka"};
static const char *states[] = {"FL", "GA", "TX", "NY", "CA", "OH", "WA", "NC"};
static const char *procedures[] = {"99212", "99213", "99214", "80053", "85025",
                                   "71046", "J1885", "87880", "36415", "93000"};
static const char *diagnoses[] = {"J06.9", "R05.1", "E11.9",   "I10",   "Z00.00",
                                  "M54.5", "K21.9", "J45.909", "E78.5", "N39.0"};
static const char *ndcs[] = {"00071-0155-23", "00093-5056-98", "00378-1810-01", "00169-4132-12",
                             "0071-0155-23"};
static const char *drugs[] = {"Lipitor 20 mg tablet", "Metformin 500 mg tablet",
                              "Lisinopril 10 mg tablet", "Ozempic 1 mg pen",
                              "Lipitor 20 mg tablet"};

struct family_member {
    char id[24];
    char first[16], last[16], birth[11];
};

struct family {
    struct family_member m[MAX_FAMILY];
    int n;
};

static void put_member(struct api *api, const char *admin, const struct family *f, int i,
                       const char *group, const char *relationship, struct buf *b)
{
    const struct family_member *m = &f->m[i];
    buf_reset(b);
    buf_printf(b,
               "{\"member_id\":\"%s\",\"subscriber_id\":\"%s\",\"group_id\":\"%s\","
               "\"relationship\":\"%s\",\"first_name\":\"%s\",\"last_name\":\"%s\","
               "\"birth_date\":\"%s\",\"state\":\"%s\",\"student\":%s,"
               "\"lives_with_employee\":true,\"married_on\":null,\"has_own_dependent\":false,"
               "\"handicapped_certified\":false,\"coverage\":[{\"plan_id\":\"PPO-500\","
               "\"effective\":\"2020-01-01\",\"termination_event\":null,\"kind\":\"active\"}],"
               "\"medicare\":null,\"other_coverage\":[]}",
               m->id, f->m[0].id, group, relationship, m->first, m->last, m->birth, states[rnd(8)],
               strcmp(relationship, "child") == 0 ? "true" : "false");
    char path[64];
    snprintf(path, sizeof path, "/v1/members/%s", m->id);
    api_must(api, "PUT", path, admin, b->data, 200);
}

static void write_medical(struct buf *b, const struct family_member *m, const char *npi,
                          int provider)
{
    int out_of_network = rnd(10) < 3;
    int n_lines = 1 + (int)rnd(10);
    char day[11];
    date_days_ago(1 + (int)rnd(90), day);
    buf_printf(b,
               "{\"type\":\"medical\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
               "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"provider\":{\"npi\":\"%s\","
               "\"name\":\"Bench Clinic %d\",\"network\":\"%s\",\"facility\":%s},",
               m->id, m->first, m->last, m->birth, npi, provider, out_of_network ? "out" : "in",
               provider % 5 == 0 ? "true" : "false");
    if (out_of_network)
        buf_printf(b, "\"itemized_bill\":true,");
    buf_printf(b, "\"assignment_of_benefits\":%s,\"diagnosis_codes\":[\"%s\"",
               rnd(2) ? "true" : "false", diagnoses[rnd(10)]);
    for (int d = (int)rnd(3); d > 0; d--)
        buf_printf(b, ",\"%s\"", diagnoses[rnd(10)]);
    buf_printf(b, "],\"lines\":[");
    for (int i = 0; i < n_lines; i++) {
        const char *code = procedures[rnd(10)];
        buf_printf(b,
                   "%s{\"service_date\":\"%s\",\"procedure_code\":\"%s\",\"modifiers\":[%s],"
                   "\"units\":%u,\"charge\":%u.%02u}",
                   i ? "," : "", day, code, rnd(4) == 0 ? "\"25\"" : "", 1 + rnd(3), 20 + rnd(400),
                   rnd(100));
    }
    buf_printf(b, "]");
    if (out_of_network)
        buf_printf(b, ",\"attachments\":[{\"kind\":\"itemized_bill\",\"reference\":\"doc-%u\"}]",
                   rnd(1000000));
    buf_printf(b, "}");
}

static void write_pharmacy(struct buf *b, const struct family_member *m)
{
    int drug = (int)rnd(5);
    char day[11];
    date_days_ago(1 + (int)rnd(90), day);
    int supply = rnd(3) == 0 ? 90 : 30;
    buf_printf(b,
               "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":\"%s\","
               "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":\"Corner "
               "Drug #%u\",\"network\":\"%s\"},\"prescriber\":{\"name\":\"Dr. %s %s\"},"
               "\"ndc\":\"%s\",\"rx_number\":\"RX-%06u\",\"fill_date\":\"%s\",\"drug_name\":\"%s\","
               "\"quantity\":%d,\"days_supply\":%d,\"charge\":%u.%02u}",
               m->id, m->first, m->last, m->birth, 1 + rnd(60), rnd(5) ? "in" : "out",
               first_names[rnd(20)], last_names[rnd(16)], ndcs[drug], rnd(1000000), day,
               drugs[drug], supply, supply, 5 + rnd(300), rnd(100));
}

static void usage(void)
{
    fprintf(stderr, "usage: gen_claims --url URL --admin-token T --plan FILE --out DIR "
                    "[--families N] [--claims N] [--check N] [--burst N]\n");
    exit(2);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_add(&b, tmp, n);
    fclose(f);
    return b.data;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *admin = NULL, *plan_file = NULL, *out = NULL;
    int n_families = 1500, n_claims = 20000, check = 0, burst = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--admin-token") == 0)
            admin = argv[i + 1];
        else if (strcmp(argv[i], "--plan") == 0)
            plan_file = argv[i + 1];
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--families") == 0)
            n_families = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--claims") == 0)
            n_claims = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--check") == 0)
            check = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--burst") == 0)
            burst = atoi(argv[i + 1]);
        else
            usage();
    }
    if (!url || !admin || !plan_file || !out || argc % 2 == 0 || n_families < N_MEMBER_TOKENS ||
        n_claims < 1 || burst < 0)
        usage();
    char *plan = read_file(plan_file);
    if (!plan) {
        fprintf(stderr, "gen_claims: cannot read %s\n", plan_file);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct api api = {.curl = curl_easy_init(), .url = url};
    struct buf b = {0};

    api_must(&api, "PUT", "/v1/plans/PPO-500", admin, plan, 200);
    free(plan);
    for (int g = 0; g < N_GROUPS; g++) {
        char path[64];
        buf_reset(&b);
        buf_printf(&b,
                   "{\"group_id\":\"BG%02d\",\"name\":\"Bench Employer %d\",\"state\":\"%s\","
                   "\"employee_count\":%d,\"medicare_certification\":\"20_or_more\","
                   "\"dependent_to_30\":true,\"plan_id\":\"PPO-500\"}",
                   g, g, states[g % 8], 25 + g * 40);
        snprintf(path, sizeof path, "/v1/groups/BG%02d", g);
        api_must(&api, "PUT", path, admin, b.data, 200);
    }

    struct family *families = calloc((size_t)n_families, sizeof *families);
    if (!families)
        return 1;
    int n_members = 0;
    for (int fi = 0; fi < n_families; fi++) {
        struct family *f = &families[fi];
        char group[8];
        snprintf(group, sizeof group, "BG%02u", (unsigned)(fi % N_GROUPS));
        const char *last = last_names[rnd(16)];
        int spouse = rnd(10) < 6, children = (int)rnd(4);
        f->n = 1 + spouse + children;
        for (int i = 0; i < f->n; i++) {
            struct family_member *m = &f->m[i];
            if (i == 0)
                snprintf(m->id, sizeof m->id, "BM%05d", fi);
            else
                snprintf(m->id, sizeof m->id, "BM%05d-%02d", fi, i);
            snprintf(m->first, sizeof m->first, "%s", first_names[rnd(20)]);
            snprintf(m->last, sizeof m->last, "%s", last);
            int child = i > spouse;
            snprintf(m->birth, sizeof m->birth, "%d-%02u-%02u",
                     child ? 2006 + (int)rnd(15) : 1960 + (int)rnd(35), 1 + rnd(12), 1 + rnd(28));
            put_member(&api, admin, f, i, group,
                       i == 0  ? "employee"
                       : child ? "child"
                               : "spouse",
                       &b);
            n_members++;
        }
    }

    char *staff = make_token(&api, admin, "{\"role\":\"staff\"}");
    char npis[N_PROVIDERS][11];
    char *provider_tokens[N_PROVIDERS];
    for (int p = 0; p < N_PROVIDERS; p++) {
        make_npi(20000000u + (uint32_t)p * 7919u, npis[p]);
        buf_reset(&b);
        buf_printf(&b, "{\"role\":\"provider\",\"npi\":\"%s\"}", npis[p]);
        provider_tokens[p] = make_token(&api, admin, b.data);
    }
    char *member_tokens[N_MEMBER_TOKENS];
    for (int i = 0; i < N_MEMBER_TOKENS; i++) {
        buf_reset(&b);
        buf_printf(&b, "{\"role\":\"member\",\"member_id\":\"%s\"}", families[i].m[0].id);
        member_tokens[i] = make_token(&api, admin, b.data);
    }

    char path[1024];
    snprintf(path, sizeof path, "%s/staff.token", out);
    FILE *sf = fopen(path, "w");
    snprintf(path, sizeof path, "%s/claims.tsv", out);
    FILE *cf = fopen(path, "w");
    if (!sf || !cf) {
        fprintf(stderr, "gen_claims: cannot write under %s\n", out);
        return 1;
    }
    fprintf(sf, "%s\n", staff);
    fclose(sf);
    int n_medical = 0, lines_total = 0, bytes_total = 0;
    int checked = 0, accepted = 0;
    for (int c = 0; c < n_claims; c++) {
        buf_reset(&b);
        const char *token;
        if (rnd(10) < 6) {
            int p = (int)rnd(N_PROVIDERS);
            const struct family *f = &families[rnd((uint32_t)n_families)];
            write_medical(&b, &f->m[rnd((uint32_t)f->n)], npis[p], p);
            token = provider_tokens[p];
            n_medical++;
            for (const char *s = b.data; (s = strstr(s, "service_date")); s++)
                lines_total++;
        } else {
            int fi = (int)rnd(N_MEMBER_TOKENS);
            const struct family *f = &families[fi];
            write_pharmacy(&b, &f->m[rnd((uint32_t)f->n)]);
            token = member_tokens[fi];
        }
        bytes_total += (int)b.len;
        fprintf(cf, "%s\t%s\n", token, b.data);
        if (checked < check) {
            checked++;
            long st = api_call(&api, "POST", "/v1/claims", token, b.data);
            if (st == 202)
                accepted++;
            else
                fprintf(stderr, "gen_claims: claim %d answered %ld: %s\n", c, st,
                        api.answer.data ? api.answer.data : "");
        }
    }
    fclose(cf);
    if (burst) {
        snprintf(path, sizeof path, "%s/burst.tsv", out);
        FILE *bf = fopen(path, "w");
        if (!bf) {
            fprintf(stderr, "gen_claims: cannot write %s\n", path);
            return 1;
        }
        const struct family_member *m = &families[0].m[0];
        char day[11];
        date_days_ago(10, day);
        for (int i = 0; i < burst; i++) {
            int drug = i % 5, supply = i % 3 == 0 ? 90 : 30;
            buf_reset(&b);
            buf_printf(
                &b,
                "{\"type\":\"pharmacy\",\"member_id\":\"%s\",\"patient\":{\"first_name\":"
                "\"%s\",\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"pharmacy\":{\"name\":"
                "\"Corner Drug #%d\",\"network\":\"in\"},\"prescriber\":{\"name\":\"Dr. "
                "%s %s\"},\"ndc\":\"%s\",\"rx_number\":\"RX-B%06d\",\"fill_date\":\"%s\","
                "\"drug_name\":\"%s\",\"quantity\":%d,\"days_supply\":%d,\"charge\":%d.%02d}",
                m->id, m->first, m->last, m->birth, 1 + i % 7, first_names[i % 20],
                last_names[i % 16], ndcs[drug], i, day, drugs[drug], supply, supply, 5 + i % 300,
                i % 100);
            fprintf(bf, "%s\t%s\n", member_tokens[0], b.data);
            if (i == 0 && check) {
                long st = api_call(&api, "POST", "/v1/claims", member_tokens[0], b.data);
                checked++;
                if (st == 202)
                    accepted++;
                else
                    fprintf(stderr, "gen_claims: burst claim answered %ld: %s\n", st,
                            api.answer.data ? api.answer.data : "");
            }
        }
        fclose(bf);
        printf("gen_claims: burst of %d pharmacy claims for member %s, fill date %s\n", burst,
               m->id, day);
    }
    printf("gen_claims: %d families, %d members, %d groups, %d provider and %d member tokens; "
           "%d claims (%d medical with %.1f lines on average, %d pharmacy), %.0f bytes a body on "
           "average\n",
           n_families, n_members, N_GROUPS, N_PROVIDERS, N_MEMBER_TOKENS, n_claims, n_medical,
           n_medical ? (double)lines_total / n_medical : 0.0, n_claims - n_medical,
           (double)bytes_total / n_claims);
    if (check)
        printf("gen_claims: checked %d claims through the API: %d answered 202\n", checked,
               accepted);
    free(staff);
    for (int p = 0; p < N_PROVIDERS; p++)
        free(provider_tokens[p]);
    for (int i = 0; i < N_MEMBER_TOKENS; i++)
        free(member_tokens[i]);
    free(families);
    free(b.data);
    free(api.answer.data);
    curl_easy_cleanup(api.curl);
    curl_global_cleanup();
    return checked == accepted ? 0 : 1;
}
