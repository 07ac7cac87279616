/*
 * claimctl: the command line of the claimsd API for staff and scripts.
 *
 *   claimctl [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS AND ARGUMENTS]
 *
 * Parsing, in this order:
 *  1. getopt_long over the global options, stopping at the first word that
 *     is not an option: the command ("+" in the option string).
 *  2. getopt_long over the rest with the command's own options and the
 *     global ones, in any order (GNU permutation: `eob ID --format html`);
 *     what is left are the command's arguments. "--" ends the options.
 *  3. The server (--url, else $CLAIMS_URL) and the token (--token or
 *     --token-file, else $CLAIMS_TOKEN) are checked, then the command runs.
 * An option given twice keeps its last value. Exit statuses: ctl.h.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAX_SUBMISSION_BYTES ((size_t)64 << 20)
#define MAX_TOKEN_LEN 256
#define DEFAULT_TIMEOUT_S 300L

enum option_id {
    OPT_HELP = 'h',
    OPT_OUTPUT = 'o',
    OPT_URL = 256,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CACERT,
    OPT_RAW,
    OPT_TIMEOUT,
    OPT_IDEMPOTENCY_KEY,
    OPT_FORMAT,
    OPT_EOB_VERSION,
    OPT_NPI,
    OPT_DATE,
    OPT_MEMBER_ID,
    OPT_STATUS,
    OPT_TYPE,
    OPT_OVERDUE,
    OPT_RECEIVED_FROM,
    OPT_RECEIVED_TO,
    OPT_LIMIT,
    OPT_CURSOR,
    OPT_ALL,
};

/* Everything the command line said. Strings point into argv. */
struct cmdline {
    const char *url, *token, *token_file, *cacert, *output, *timeout;
    bool raw;
    const char *idempotency_key, *format, *eob_version, *npi, *date;
    const char *member_id, *status, *type, *received_from, *received_to, *limit, *cursor;
    bool overdue, all;
    char **args; /* the command's arguments */
    int n_args;
};

static const struct option global_options[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"raw", no_argument, NULL, OPT_RAW},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char global_help[] =
    "Global options (before or after the command):\n"
    "  --url URL          the server, http:// or https:// (else $CLAIMS_URL)\n"
    "  --token TOKEN      the API token (else $CLAIMS_TOKEN); other users can see it\n"
    "                     in `ps`: prefer $CLAIMS_TOKEN or --token-file\n"
    "  --token-file FILE  read the token from the first line of FILE\n"
    "  --cacert FILE      trust this CA bundle instead of the system's (else $CLAIMS_CACERT)\n"
    "  -o, --output FILE  write the answer to FILE, created mode 0600, instead of stdout\n"
    "  --raw              JSON exactly as the server sent it, not pretty-printed\n"
    "  --timeout SECONDS  give up on a request after this long (default 300, 0: never)\n"
    "  -h, --help         this help; `claimctl COMMAND --help` for a command's\n";

/* ---- commands ---- */

typedef int (*command_fn)(struct ctl_conn *c, const struct cmdline *cl);

struct command {
    const char *name;
    command_fn run;
    int min_args, max_args;
    const struct option *options; /* the command's own, NULL-terminated */
    const char *usage;
};

/* Sends, then shows the answer (2xx) or the error. */
static int call(struct ctl_conn *c, const struct cmdline *cl, const char *method, const char *path,
                const char *content_type, const char *body, size_t len, const char *extra_header)
{
    struct ctl_response res;
    int rc = ctl_request(c, method, path, content_type, body, len, extra_header, &res);
    if (rc != CTL_OK)
        return rc;
    if (res.status >= 200 && res.status < 300)
        rc = ctl_emit(&res, cl->raw, cl->output);
    else
        rc = ctl_report_error(&res);
    ctl_response_free(&res);
    return rc;
}

/* 1–255 printable ASCII (API.md); checked here so that nothing else can
 * end up in the header. */
static bool valid_idempotency_key(const char *key)
{
    size_t n = strlen(key);
    if (n < 1 || n > 255)
        return false;
    for (const char *p = key; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* What the file holds, by its first bytes after white space (and a UTF-8
 * byte order mark): '{' a JSON claim, "ISA" an X12 interchange. Sets *start
 * to that first byte. */
enum submission_kind { SUBMIT_NEITHER, SUBMIT_JSON, SUBMIT_X12 };

static enum submission_kind submission_kind(const struct ctl_buf *file, size_t *start)
{
    size_t i = 0;
    if (file->len >= 3 && memcmp(file->p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < file->len && strchr(" \t\r\n\f\v", file->p[i]) && file->p[i] != '\0')
        i++;
    *start = i;
    if (i < file->len && file->p[i] == '{')
        return SUBMIT_JSON;
    if (file->len - i >= 3 && memcmp(file->p + i, "ISA", 3) == 0)
        return SUBMIT_X12;
    return SUBMIT_NEITHER;
}

static int cmd_submit(struct ctl_conn *c, const struct cmdline *cl)
{
    const char *path = cl->args[0];
    char header[300] = "";
    if (cl->idempotency_key) {
        if (!valid_idempotency_key(cl->idempotency_key))
            return ctl_fail(CTL_LOCAL_ERROR, "usage",
                            "--idempotency-key must be 1 to 255 printable ASCII characters");
        snprintf(header, sizeof header, "Idempotency-Key: %s", cl->idempotency_key);
    }
    struct ctl_buf file = {0};
    int rc = ctl_read_file(path, MAX_SUBMISSION_BYTES, &file);
    if (rc != CTL_OK) {
        free(file.p);
        return rc;
    }
    size_t start;
    switch (submission_kind(&file, &start)) {
    case SUBMIT_JSON:
        rc = call(c, cl, "POST", "/v1/claims", "application/json", file.p + start, file.len - start,
                  header[0] ? header : NULL);
        break;
    case SUBMIT_X12:
        rc = call(c, cl, "POST", "/v1/x12", "application/edi-x12", file.p + start, file.len - start,
                  header[0] ? header : NULL);
        break;
    default:
        rc = ctl_fail(CTL_LOCAL_ERROR, "input",
                      "%s is neither a JSON claim (starting with '{') nor an X12 interchange "
                      "(starting with ISA)",
                      path);
    }
    free(file.p);
    return rc;
}

static int cmd_status(struct ctl_conn *c, const struct cmdline *cl)
{
    struct ctl_buf path = {0};
    ctl_buf_str(&path, "/v1/claims");
    ctl_buf_segment(&path, c, cl->args[0]);
    int rc = call(c, cl, "GET", path.p, NULL, NULL, 0, NULL);
    free(path.p);
    return rc;
}

static void search_path(struct ctl_buf *path, const struct ctl_conn *c, const struct cmdline *cl,
                        const char *cursor)
{
    path->len = 0;
    ctl_buf_str(path, "/v1/claims");
    const char *params[][2] = {
        {"member_id", cl->member_id},
        {"status", cl->status},
        {"type", cl->type},
        {"overdue", cl->overdue ? "true" : NULL},
        {"received_from", cl->received_from},
        {"received_to", cl->received_to},
        {"limit", cl->limit},
        {"cursor", cursor},
    };
    for (size_t i = 0; i < sizeof params / sizeof *params; i++)
        if (params[i][1])
            ctl_buf_param(path, c, params[i][0], params[i][1]);
}

/* --all: follows next_cursor until it is null and shows one answer with
 * every page's claims and "next_cursor": null. */
static int search_all(struct ctl_conn *c, const struct cmdline *cl)
{
    struct json_object *all = json_object_new_array(), *page = NULL;
    struct ctl_buf path = {0};
    char *cursor = cl->cursor ? strdup(cl->cursor) : NULL;
    int rc = CTL_OK;
    for (bool first = true; rc == CTL_OK && (first || cursor); first = false) {
        search_path(&path, c, cl, cursor);
        struct ctl_response res;
        rc = ctl_request(c, "GET", path.p, NULL, NULL, 0, NULL, &res);
        if (rc != CTL_OK)
            break;
        struct json_object *claims, *next;
        page = res.status == 200 ? json_tokener_parse(res.body) : NULL;
        if (res.status != 200)
            rc = ctl_report_error(&res);
        else if (!page || !json_object_object_get_ex(page, "claims", &claims) ||
                 !json_object_is_type(claims, json_type_array))
            rc = ctl_fail(CTL_SERVER_ERROR, "bad_answer", "a search page without \"claims\"");
        else {
            for (size_t i = 0; i < json_object_array_length(claims); i++)
                json_object_array_add(all, json_object_get(json_object_array_get_idx(claims, i)));
            free(cursor);
            cursor = json_object_object_get_ex(page, "next_cursor", &next) &&
                             json_object_is_type(next, json_type_string)
                         ? strdup(json_object_get_string(next))
                         : NULL;
        }
        json_object_put(page);
        ctl_response_free(&res);
    }
    if (rc == CTL_OK) {
        struct json_object *out = json_object_new_object();
        json_object_object_add(out, "claims", json_object_get(all));
        json_object_object_add(out, "next_cursor", NULL);
        const char *text = json_object_to_json_string_ext(
            out, cl->raw ? JSON_C_TO_STRING_PLAIN
                         : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                               JSON_C_TO_STRING_NOSLASHESCAPE);
        struct ctl_buf buf = {0};
        ctl_buf_str(&buf, text);
        if (!cl->raw)
            ctl_buf_str(&buf, "\n");
        rc = ctl_write_output(cl->output, buf.p, buf.len);
        free(buf.p);
        json_object_put(out);
    }
    json_object_put(all);
    free(cursor);
    free(path.p);
    return rc;
}

static int cmd_search(struct ctl_conn *c, const struct cmdline *cl)
{
    if (cl->all)
        return search_all(c, cl);
    struct ctl_buf path = {0};
    search_path(&path, c, cl, cl->cursor);
    int rc = call(c, cl, "GET", path.p, NULL, NULL, 0, NULL);
    free(path.p);
    return rc;
}

static int cmd_eob(struct ctl_conn *c, const struct cmdline *cl)
{
    const char *format = cl->format ? cl->format : "json";
    if (strcmp(format, "json") != 0 && strcmp(format, "fhir") != 0 && strcmp(format, "html") != 0)
        return ctl_fail(CTL_LOCAL_ERROR, "usage", "--format is json, fhir or html");
    struct ctl_buf path = {0};
    ctl_buf_str(&path, "/v1/claims");
    ctl_buf_segment(&path, c, cl->args[0]);
    ctl_buf_str(&path, "/eob");
    ctl_buf_param(&path, c, "format", format);
    if (cl->eob_version)
        ctl_buf_param(&path, c, "version", cl->eob_version);
    int rc = call(c, cl, "GET", path.p, NULL, NULL, 0, NULL);
    free(path.p);
    return rc;
}

static int cmd_queue(struct ctl_conn *c, const struct cmdline *cl)
{
    return call(c, cl, "GET", "/v1/queue", NULL, NULL, 0, NULL);
}

static int cmd_retry(struct ctl_conn *c, const struct cmdline *cl)
{
    struct ctl_buf path = {0};
    ctl_buf_str(&path, "/v1/queue/dead");
    ctl_buf_segment(&path, c, cl->args[0]);
    ctl_buf_str(&path, "/retry");
    int rc = call(c, cl, "POST", path.p, NULL, NULL, 0, NULL);
    free(path.p);
    return rc;
}

static int cmd_remit(struct ctl_conn *c, const struct cmdline *cl)
{
    if (!cl->npi || !cl->date)
        return ctl_fail(CTL_LOCAL_ERROR, "usage", "remit needs --npi N and --date YYYY-MM-DD");
    struct ctl_buf path = {0};
    ctl_buf_str(&path, "/v1/remittances");
    ctl_buf_param(&path, c, "npi", cl->npi);
    ctl_buf_param(&path, c, "date", cl->date);
    int rc = call(c, cl, "GET", path.p, NULL, NULL, 0, NULL);
    free(path.p);
    return rc;
}

static const struct option submit_options[] = {
    {"idempotency-key", required_argument, NULL, OPT_IDEMPOTENCY_KEY},
    {NULL, 0, NULL, 0},
};
static const struct option search_options[] = {
    {"member-id", required_argument, NULL, OPT_MEMBER_ID},
    {"status", required_argument, NULL, OPT_STATUS},
    {"type", required_argument, NULL, OPT_TYPE},
    {"overdue", no_argument, NULL, OPT_OVERDUE},
    {"received-from", required_argument, NULL, OPT_RECEIVED_FROM},
    {"received-to", required_argument, NULL, OPT_RECEIVED_TO},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {"all", no_argument, NULL, OPT_ALL},
    {NULL, 0, NULL, 0},
};
static const struct option eob_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"eob-version", required_argument, NULL, OPT_EOB_VERSION},
    {NULL, 0, NULL, 0},
};
static const struct option remit_options[] = {
    {"npi", required_argument, NULL, OPT_NPI},
    {"date", required_argument, NULL, OPT_DATE},
    {NULL, 0, NULL, 0},
};
static const struct option no_options[] = {{NULL, 0, NULL, 0}};

static const struct command commands[] = {
    {"submit", cmd_submit, 1, 1, submit_options,
     "Usage: claimctl submit FILE [--idempotency-key KEY]\n"
     "Submits a claim file ('-': standard input), by its content:\n"
     "  a JSON claim (first non-space character '{')   POST /v1/claims, application/json\n"
     "  an X12 837 interchange (first bytes ISA)      POST /v1/x12, application/edi-x12\n"
     "Prints the answer: the JSON receipt (claim_id, status, target_date), or the\n"
     "X12 interchange with the 999 and 277CA as returned.\n"
     "  --idempotency-key KEY  1-255 printable ASCII; sending again with the same key\n"
     "                         and the same file answers the first receipt again\n"},
    {"status", cmd_status, 1, 1, no_options,
     "Usage: claimctl status CLAIM_ID\n"
     "Prints the claim: its status, decision and history (GET /v1/claims/CLAIM_ID).\n"},
    {"search", cmd_search, 0, 0, search_options,
     "Usage: claimctl search [OPTIONS]\n"
     "Searches claims (GET /v1/claims), oldest receipt first:\n"
     "  --member-id ID        the patient's or a family's member id\n"
     "  --status STATUS       received, processing, pended, in_review, approved, denied,\n"
     "                        voided or replaced\n"
     "  --type TYPE           medical or pharmacy\n"
     "  --overdue             open and past the target date\n"
     "  --received-from DATE  received on or after DATE (YYYY-MM-DD)\n"
     "  --received-to DATE    received on or before DATE\n"
     "  --limit N             claims per page, 1-500 (server default 50)\n"
     "  --cursor CURSOR       the next_cursor of the previous page\n"
     "  --all                 follow next_cursor to the end; one answer with every claim\n"},
    {"eob", cmd_eob, 1, 1, eob_options,
     "Usage: claimctl eob CLAIM_ID [--format json|fhir|html] [--eob-version N] [-o FILE]\n"
     "The Explanation of Benefits of a finalized claim (GET /v1/claims/CLAIM_ID/eob):\n"
     "  --format json   the EOB record, pretty-printed (the default)\n"
     "  --format fhir   FHIR R4 ExplanationOfBenefit, as returned\n"
     "  --format html   the printable page, as returned\n"
     "  --eob-version N an earlier version of a re-adjudicated claim's EOB\n"
     "An EOB is PHI: -o FILE writes it to a file only you can read (mode 0600).\n"},
    {"queue", cmd_queue, 0, 0, no_options,
     "Usage: claimctl queue\n"
     "The queue's figures and its dead-lettered claims (GET /v1/queue; staff).\n"},
    {"retry", cmd_retry, 1, 1, no_options,
     "Usage: claimctl retry CLAIM_ID\n"
     "Puts a dead-lettered claim back on the work stream\n"
     "(POST /v1/queue/dead/CLAIM_ID/retry; staff).\n"},
    {"remit", cmd_remit, 0, 0, remit_options,
     "Usage: claimctl remit --npi NPI --date YYYY-MM-DD [-o FILE]\n"
     "The 835 remittance advice of that provider's payment cycle on that date\n"
     "(GET /v1/remittances), X12 as returned. It is PHI: prefer -o FILE (mode 0600).\n"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *f)
{
    fputs("Usage: claimctl [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n"
          "A client of the claimsd API for staff and scripts.\n\n"
          "Commands:\n"
          "  submit FILE                       a claim, JSON or X12 837 (by content)\n"
          "  status CLAIM_ID                   a claim, its status and decision\n"
          "  search [OPTIONS]                  claims by member, status, type, dates\n"
          "  eob CLAIM_ID [--format F] [-o F]  the Explanation of Benefits\n"
          "  queue                             queue figures and dead-lettered claims\n"
          "  retry CLAIM_ID                    requeue a dead-lettered claim\n"
          "  remit --npi N --date D [-o FILE]  a provider's 835 remittance advice\n\n",
          f);
    fputs(global_help, f);
    fputs("\nExit status: 0 success; 1 the server answered an error (\"error: CODE: MESSAGE\"\n"
          "on stderr); 2 usage or local error; 3 the server could not be reached.\n",
          f);
}

/* ---- the command line ---- */

/* Applies one option; CTL_OK, or CTL_LOCAL_ERROR (reported) for a value
 * that cannot be right. The --token value is wiped from argv (it still
 * showed in /proc/PID/cmdline until here: docs/claimctl.md). */
static int apply_option(struct cmdline *cl, int id, char *arg)
{
    switch (id) {
    case OPT_URL: cl->url = arg; break;
    case OPT_TOKEN:
        free((char *)cl->token);
        cl->token = strdup(arg);
        if (!cl->token)
            return ctl_fail(CTL_LOCAL_ERROR, "local", "out of memory");
        memset(arg, 'x', strlen(arg));
        break;
    case OPT_TOKEN_FILE: cl->token_file = arg; break;
    case OPT_CACERT: cl->cacert = arg; break;
    case OPT_RAW: cl->raw = true; break;
    case OPT_TIMEOUT: cl->timeout = arg; break;
    case OPT_OUTPUT: cl->output = arg; break;
    case OPT_IDEMPOTENCY_KEY: cl->idempotency_key = arg; break;
    case OPT_FORMAT: cl->format = arg; break;
    case OPT_EOB_VERSION: cl->eob_version = arg; break;
    case OPT_NPI: cl->npi = arg; break;
    case OPT_DATE: cl->date = arg; break;
    case OPT_MEMBER_ID: cl->member_id = arg; break;
    case OPT_STATUS: cl->status = arg; break;
    case OPT_TYPE: cl->type = arg; break;
    case OPT_OVERDUE: cl->overdue = true; break;
    case OPT_RECEIVED_FROM: cl->received_from = arg; break;
    case OPT_RECEIVED_TO: cl->received_to = arg; break;
    case OPT_LIMIT: cl->limit = arg; break;
    case OPT_CURSOR: cl->cursor = arg; break;
    case OPT_ALL: cl->all = true; break;
    default: return CTL_LOCAL_ERROR;
    }
    return CTL_OK;
}

/* getopt_long over argv with the given table ("+": stop at the first
 * non-option). Returns CTL_OK, CTL_LOCAL_ERROR (reported), or -1 for --help. */
static int parse_options(struct cmdline *cl, int argc, char **argv, const struct option *table,
                         bool stop_at_word)
{
    opterr = 0;
    optind = 0; /* glibc: start afresh (the second pass reads another argv) */
    int id;
    while ((id = getopt_long(argc, argv, stop_at_word ? "+:ho:" : ":ho:", table, NULL)) != -1) {
        if (id == OPT_HELP)
            return -1;
        if (id == '?' || id == ':') {
            const char *word = argv[optind - 1];
            if (id == ':')
                return ctl_fail(CTL_LOCAL_ERROR, "usage", "option %s needs a value", word);
            if (optopt && optopt < 256 && strncmp(word, "--", 2) != 0)
                return ctl_fail(CTL_LOCAL_ERROR, "usage", "unknown option -%c", optopt);
            return ctl_fail(CTL_LOCAL_ERROR, "usage", "unknown option %s", word);
        }
        int rc = apply_option(cl, id, optarg);
        if (rc != CTL_OK)
            return rc;
    }
    return CTL_OK;
}

/* The command's table: its own options, then the global ones. */
static void merge_options(struct option *out, size_t size, const struct option *own)
{
    size_t n = 0;
    for (const struct option *o = own; o->name && n + 1 < size; o++)
        out[n++] = *o;
    for (const struct option *o = global_options; o->name && n + 1 < size; o++)
        out[n++] = *o;
    out[n] = (struct option){NULL, 0, NULL, 0};
}

/* The token's first line from FILE, without its line end. */
static int read_token_file(const char *path, char **token)
{
    struct ctl_buf b = {0};
    int rc = ctl_read_file(path, 4096, &b);
    if (rc != CTL_OK) {
        free(b.p);
        return rc;
    }
    b.p[strcspn(b.p, "\r\n")] = '\0';
    *token = b.p;
    return CTL_OK;
}

static bool valid_token(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > MAX_TOKEN_LEN)
        return false;
    for (; *t; t++)
        if (*t <= 0x20 || *t > 0x7e)
            return false;
    return true;
}

/* The server, token, CA and timeout from the command line or environment. */
static int connect_settings(struct cmdline *cl, struct ctl_conn *c, char **token_copy)
{
    const char *url = cl->url ? cl->url : getenv("CLAIMS_URL");
    if (!url || !url[0])
        return ctl_fail(CTL_LOCAL_ERROR, "usage", "no server: give --url URL or set CLAIMS_URL");
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return ctl_fail(CTL_LOCAL_ERROR, "usage",
                        "the server URL must start with http:// or https://");
    char *base = strdup(url);
    if (!base)
        return ctl_fail(CTL_LOCAL_ERROR, "local", "out of memory");
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';
    c->url = base;
    if (cl->token && cl->token_file)
        return ctl_fail(CTL_LOCAL_ERROR, "usage", "give --token or --token-file, not both");
    if (cl->token_file) {
        int rc = read_token_file(cl->token_file, token_copy);
        if (rc != CTL_OK)
            return rc;
        c->token = *token_copy;
    } else {
        c->token = cl->token ? cl->token : getenv("CLAIMS_TOKEN");
    }
    if (!c->token || !c->token[0])
        return ctl_fail(CTL_LOCAL_ERROR, "usage",
                        "no token: set CLAIMS_TOKEN, or give --token-file FILE or --token TOKEN");
    if (!valid_token(c->token))
        return ctl_fail(CTL_LOCAL_ERROR, "usage",
                        "the token must be 1 to %d visible ASCII characters", MAX_TOKEN_LEN);
    c->cacert = cl->cacert ? cl->cacert : getenv("CLAIMS_CACERT");
    if (c->cacert && !c->cacert[0])
        c->cacert = NULL;
    c->timeout_s = DEFAULT_TIMEOUT_S;
    if (cl->timeout) {
        char *end;
        long t = strtol(cl->timeout, &end, 10);
        if (!cl->timeout[0] || *end || t < 0 || t > 86400)
            return ctl_fail(CTL_LOCAL_ERROR, "usage", "--timeout is 0 to 86400 seconds");
        c->timeout_s = t;
    }
    return CTL_OK;
}

static int run(int argc, char **argv, struct cmdline *cl, struct ctl_conn *c, char **token_copy)
{
    int rc = parse_options(cl, argc, argv, global_options, true);
    if (rc == -1) {
        print_usage(stdout);
        return CTL_OK;
    }
    if (rc != CTL_OK)
        return rc;
    if (optind >= argc) {
        print_usage(stderr);
        return CTL_LOCAL_ERROR;
    }
    if (strcmp(argv[optind], "help") == 0) {
        const struct command *about = optind + 1 < argc ? find_command(argv[optind + 1]) : NULL;
        fputs(about ? about->usage : "", stdout);
        if (!about)
            print_usage(stdout);
        return CTL_OK;
    }
    const struct command *cmd = find_command(argv[optind]);
    if (!cmd)
        return ctl_fail(CTL_LOCAL_ERROR, "usage", "unknown command %s (claimctl --help)",
                        argv[optind]);
    struct option table[32];
    merge_options(table, sizeof table / sizeof *table, cmd->options);
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    rc = parse_options(cl, sub_argc, sub_argv, table, false);
    if (rc == -1) {
        fputs(cmd->usage, stdout);
        fputc('\n', stdout);
        fputs(global_help, stdout);
        return CTL_OK;
    }
    if (rc != CTL_OK)
        return rc;
    cl->args = sub_argv + optind;
    cl->n_args = sub_argc - optind;
    if (cl->n_args < cmd->min_args || cl->n_args > cmd->max_args) {
        ctl_fail(CTL_LOCAL_ERROR, "usage", "%s takes %s", cmd->name,
                 cmd->max_args == 0 ? "no arguments" : "one argument");
        fputs(cmd->usage, stderr);
        return CTL_LOCAL_ERROR;
    }
    for (int i = 0; i < cl->n_args; i++)
        if (!cl->args[i][0])
            return ctl_fail(CTL_LOCAL_ERROR, "usage", "%s: an empty argument", cmd->name);
    rc = connect_settings(cl, c, token_copy);
    if (rc != CTL_OK)
        return rc;
    rc = ctl_conn_open(c);
    if (rc != CTL_OK)
        return rc;
    return cmd->run(c, cl);
}

int main(int argc, char **argv)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ctl_fail(CTL_LOCAL_ERROR, "local", "libcurl could not be initialised");
    struct cmdline cl = {0};
    struct ctl_conn c = {0};
    char *token_copy = NULL;
    int rc = run(argc, argv, &cl, &c, &token_copy);
    ctl_conn_close(&c);
    curl_global_cleanup();
    if (token_copy)
        memset(token_copy, 0, strlen(token_copy));
    free(token_copy);
    if (cl.token)
        memset((char *)cl.token, 0, strlen(cl.token));
    free((char *)cl.token);
    free((char *)c.url);
    return rc;
}
