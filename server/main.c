/*
 * claimsd: the claims and pharmacy reimbursement intake and adjudication
 * server. Command line in API.md "Running" and docs/operations.md.
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "work/sweep.h"
#include "calendar.h"
#include "config.h"
#include "notify/notify.h"
#include "intake/http.h"
#include "intake/routes.h"
#include "date.h"
#include "log.h"
#include "queue/intake.h"
#include "queue/members.h"
#include "queue/queue.h"
#include "queue/shards.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"
#include "queue/remit.h"
#include "queue/token_cache.h"
#include "queue/token_sub.h"
#include "queue/tokens.h"
#include "ratelimit.h"
#include "intake/app.h"
#include "server/cli.h"
#include "server/redis_child.h"
#include "server/seed.h"

#define CLAIMSD_VERSION "0.1.0"
#define DRAIN_LIMIT_SECONDS 30
/* Claims stored by one intake script call at most (queue/intake.h): a
 * turn of the loop rarely brings more; a bound keeps one call short. */
#define INTAKE_MAX_BATCH 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: claimsd [--config FILE] [--listen HOST:PORT] [--data-dir DIR] [--redis URL]\n"
            "               [--redis-cluster HOST:PORT[,HOST:PORT...]] [--replica-acks N]\n"
            "               [--role all|intake|worker] [--workers N] [--log-level LEVEL]\n"
            "\n"
            "  --config FILE      JSON configuration (docs/configuration.md)\n"
            "  --listen HOST:PORT HTTP listener (default 127.0.0.1:8080)\n"
            "  --data-dir DIR     embedded redis-server data (default ./var)\n"
            "  --redis URL        redis://host:port[/db] or unix:/path; without it claimsd\n"
            "                     starts its own redis-server under the data directory\n"
            "  --redis-cluster SEEDS  an existing Redis Cluster, by one or more of its nodes\n"
            "  --replica-acks N   intake and commits wait for N replicas (WAIT), 0..16\n"
            "  --role ROLE        all (default), intake (HTTP only) or worker (adjudication only)\n"
            "  --workers N        adjudication worker threads (default 2)\n"
            "\n"
            "Environment: CLAIMSD_BOOTSTRAP_ADMIN_TOKEN registers that value (at least %d\n"
            "characters) as an admin token at start; only its SHA-256 hash is stored.\n"
            "\n"
            "       claimsd token create --role ROLE [--member-id ID] [--npi NPI]\n"
            "                            [--config FILE] [--redis URL] [--data-dir DIR]\n"
            "  creates an API token in the store of a running claimsd and prints it once.\n",
            BOOTSTRAP_TOKEN_MIN_LEN);
}

/* Set by the start-up signal handler while the event loop is not running yet. */
static volatile sig_atomic_t early_stop;

static void on_early_signal(int sig)
{
    (void)sig;
    early_stop = 1;
}

/* Loads the --config file (or files) first, so that the other options
 * override it; -1 after printing the error. */
static int load_config_options(int argc, char **argv, struct config *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        char err[CONFIG_ERR_LEN];
        if (file && config_load_file(cfg, file, err) != 0) {
            fprintf(stderr, "claimsd: %s\n", err);
            return -1;
        }
    }
    return 0;
}

/* --redis URL: replaces any redis_cluster of the file; -1 after printing the error. */
static int set_redis_option(struct config *cfg, const char *arg)
{
    struct redis_address probe;
    if (queue_redis_address_parse(arg, &probe) != 0) {
        fprintf(stderr, "claimsd: --redis must be redis://host:port[/db] or unix:/path\n");
        return -1;
    }
    snprintf(cfg->redis_url, sizeof cfg->redis_url, "%s", arg);
    cfg->redis_cluster[0] = '\0'; /* the command line wins over the file */
    return 0;
}

/* --redis-cluster SEEDS: replaces any redis URL; -1 after printing the error. */
static int set_redis_cluster_option(struct config *cfg, const char *arg)
{
    if (config_set_redis_cluster(cfg, arg) != 0) {
        fprintf(stderr, "claimsd: --redis-cluster must be HOST:PORT[,HOST:PORT...] "
                        "(at most 16 nodes)\n");
        return -1;
    }
    cfg->redis_url[0] = '\0';
    return 0;
}

/* --NAME N, a whole number from 0 to max, into *out; -1 after printing the error. */
static int set_count_option(const char *name, const char *arg, long max, int *out)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || n < 0 || n > max) {
        fprintf(stderr, "claimsd: --%s must be 0..%ld\n", name, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* --log-level LEVEL; -1 after printing the error. */
static int set_log_level_option(struct config *cfg, const char *arg)
{
    int level = log_level_parse(arg);
    if (level < 0) {
        fprintf(stderr, "claimsd: --log-level must be debug, info, warn or error\n");
        return -1;
    }
    cfg->log_level = (enum log_level)level;
    return 0;
}

enum { OPT_LOG_LEVEL = 1000, OPT_REDIS_CLUSTER, OPT_REPLICA_ACKS };

/* Applies one option getopt_long returned (--help and --version exit); -1
 * after printing the error. */
static int apply_option(int c, const char *arg, struct config *cfg)
{
    switch (c) {
    case 'c': return 0; /* loaded above */
    case 'l':
        if (config_set_listen(cfg, arg) != 0) {
            fprintf(stderr, "claimsd: --listen must be HOST:PORT\n");
            return -1;
        }
        return 0;
    case 'd': snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", arg); return 0;
    case 'r': return set_redis_option(cfg, arg);
    case OPT_REDIS_CLUSTER: return set_redis_cluster_option(cfg, arg);
    case OPT_REPLICA_ACKS: return set_count_option("replica-acks", arg, 16, &cfg->replica_acks);
    case 'R':
        if (config_set_role(cfg, arg) != 0) {
            fprintf(stderr, "claimsd: --role must be all, intake or worker\n");
            return -1;
        }
        return 0;
    case 'w': return set_count_option("workers", arg, 256, &cfg->workers);
    case OPT_LOG_LEVEL: return set_log_level_option(cfg, arg);
    case 'h': usage(stdout); exit(0);
    case 'V': printf("claimsd %s\n", CLAIMSD_VERSION); exit(0);
    default: usage(stderr); return -1;
    }
}

/* The command line over the configuration file: 0, or -1 after printing the error. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"data-dir", required_argument, NULL, 'd'},
        {"redis", required_argument, NULL, 'r'},
        {"role", required_argument, NULL, 'R'},
        {"workers", required_argument, NULL, 'w'},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"redis-cluster", required_argument, NULL, OPT_REDIS_CLUSTER},
        {"replica-acks", required_argument, NULL, OPT_REPLICA_ACKS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    if (load_config_options(argc, argv, cfg) != 0)
        return -1;
    int c;
    while ((c = getopt_long(argc, argv, "c:l:d:r:R:w:hV", opts, NULL)) != -1) {
        if (apply_option(c, optarg, cfg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "claimsd: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* The last OpenSSL error as text, for a start-up message. */
static const char *openssl_error(void)
{
    static char buf[256];
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "unknown error";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

/* The listener's TLS context from tls.cert_file and tls.key_file
 * (docs/configuration.md "tls"): TLS 1.2 and later, forward-secret AEAD
 * cipher suites for TLS 1.2 (OpenSSL's defaults for TLS 1.3), no
 * compression, no renegotiation. NULL, with the file and the key named in
 * the log, when a file cannot be read or the key does not fit. */
static SSL_CTX *tls_context(const struct config_tls *t)
{
    const char *files[] = {t->cert_file, t->key_file};
    const char *keys[] = {"tls.cert_file", "tls.key_file"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        if (!f) {
            log_error("%s %s: cannot read it: %s", keys[i], files[i], strerror(errno));
            return NULL;
        }
        fclose(f);
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        log_error("tls: cannot make a TLS context: %s", openssl_error());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1) {
        log_error("tls.cert_file %s: not a usable PEM certificate: %s", t->cert_file,
                  openssl_error());
    } else if (SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            log_error("tls.key_file %s: the key does not belong to tls.cert_file %s", t->key_file,
                      t->cert_file);
        } else {
            log_error("tls.key_file %s: not a usable PEM private key: %s", t->key_file,
                      openssl_error());
        }
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        log_error("tls.key_file %s: the key does not belong to tls.cert_file %s", t->key_file,
                  t->cert_file);
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* Waits for Redis to answer, then runs the start-up steps that must happen
 * before serving: the shard count's check, the bootstrap admin token, the
 * sample enrollment. Returns 0, 2 when the configuration does not fit the
 * data (exit status 2), or -1. */
static int prepare_store(struct app *app, bool embedded)
{
    struct rlink *c = NULL;
    int attempts = 0;
    while (!(c = queue_rlink_connect(&app->redis_addr, app->cfg.redis_timeout_ms))) {
        if (early_stop)
            return -1;
        if (attempts++ % 10 == 0)
            log_warn("waiting for Redis to answer");
        usleep(500 * 1000);
    }
    int rc = 0;
    int stored_shards = queue_shards_record(c, app->cfg.key_prefix, app->cfg.shards);
    if (stored_shards < 0) {
        log_error("cannot record the shard count in Redis");
        rc = -1;
    } else if (app->cfg.shards && stored_shards != app->cfg.shards) {
        log_error("key \"shards\": the data in Redis was laid out for %d shards, this "
                  "configuration says %d; refusing to start (changing it renames every claims "
                  "key)",
                  stored_shards, app->cfg.shards);
        rc = 2;
    } else if (queue_shards_configure(stored_shards) != 0) {
        log_error("the data in Redis records %d claims shards, more than this version can read",
                  stored_shards);
        rc = 2;
    } else {
        app->cfg.shards = stored_shards;
        log_info("claims keys laid out over %d shard%s", stored_shards,
                 stored_shards == 1 ? "" : "s");
    }
    const char *bootstrap = getenv("CLAIMSD_BOOTSTRAP_ADMIN_TOKEN");
    if (rc != 0)
        bootstrap = NULL;
    if (bootstrap && *bootstrap) {
        if (strlen(bootstrap) < BOOTSTRAP_TOKEN_MIN_LEN) {
            log_error("CLAIMSD_BOOTSTRAP_ADMIN_TOKEN must be at least %d characters",
                      BOOTSTRAP_TOKEN_MIN_LEN);
            rc = -1;
        } else if (queue_tokens_register_bootstrap(c, app->cfg.key_prefix, bootstrap) != 0) {
            log_error("cannot register the bootstrap admin token");
            rc = -1;
        }
    }
    if (rc == 0 && queue_member_refs_backfill(c, app->cfg.key_prefix) < 0) {
        log_error("cannot write the members' intake references");
        rc = -1;
    }
    if (rc == 0 && app->cfg.seed_dir[0]) {
        int seeded = server_seed_load(c, app->cfg.key_prefix, app->cfg.seed_dir);
        if (seeded < 0)
            rc = -1;
        /* A new embedded store gets sample invitations and tokens, printed
         * to the terminal. */
        else if (seeded == 1 && embedded) {
            char portal_url[400] = "";
            if (app->cfg.portal_dir[0])
                server_seed_portal_url(app->cfg.listen_host, app->cfg.listen_port,
                                       app->cfg.tls.cert_file[0] != '\0', portal_url,
                                       sizeof portal_url);
            if (server_seed_print_tokens(c, app->cfg.key_prefix, app->cfg.seed_dir, portal_url) !=
                0)
                rc = -1;
        }
    }
    queue_rlink_close(c);
    return rc;
}

struct runtime {
    struct app *app;
    struct worker_side *work;           /* the workers and the pend sweep; NULL when none */
    struct event *cycle_timer;          /* the scheduled payment cycle; NULL when none */
    char cycle_done_date[16];           /* the date this process saw that day's cycle run */
    struct notify_dispatcher *notifier; /* webhook deliveries; NULL when this process runs none */
    struct redis_child *child;          /* NULL with an external Redis */
    struct event *drain_timer;
    struct event *sigterm_ev, *sigint_ev, *sigchld_ev;
    time_t drain_started;
    int exit_code;
};

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct runtime *rt = arg;
    int busy = rt->app->http ? intake_http_server_in_flight(rt->app->http) : 0;
    if (busy == 0 || (time_t)clock_wall_seconds() - rt->drain_started >= DRAIN_LIMIT_SECONDS) {
        if (busy)
            log_warn("stopping with %d requests unanswered after %d s", busy, DRAIN_LIMIT_SECONDS);
        event_base_loopbreak(rt->app->base);
    }
}

static void begin_shutdown(struct runtime *rt, const char *why)
{
    if (rt->app->stopping)
        return;
    rt->app->stopping = true;
    log_info("shutting down (%s): no new connections, finishing requests in flight", why);
    if (rt->app->http)
        intake_http_server_stop_accepting(rt->app->http);
    /* Webhook requests in flight are abandoned: their deliveries stay due. */
    notify_stop(rt->notifier);
    rt->drain_started = (time_t)clock_wall_seconds();
    struct timeval tick = {0, 20 * 1000};
    event_add(rt->drain_timer, &tick);
}

/* The scheduled payment cycle's answer (a summary, or NULL: another
 * process ran the day's cycle, or nothing was due). */
static void on_cycle_closed(enum queue_status status, const char *summary, void *arg)
{
    struct runtime *rt = arg;
    if (status != QUEUE_OK) {
        rt->cycle_done_date[0] = '\0'; /* tried again at the next tick */
        log_warn("the scheduled payment cycle did not run: storage did not answer");
        return;
    }
    if (summary)
        log_info("the scheduled payment cycle of %s closed (GET /v1/remittances lists it)",
                 rt->cycle_done_date);
    else
        log_info("the scheduled payment cycle of %s: already run, or nothing was due",
                 rt->cycle_done_date);
}

/* Once per UTC day at payment_cycle.time: the day's cycle, in exactly one
 * process (queue_remit_close's marker); docs/configuration.md. */
static void on_cycle_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct runtime *rt = arg;
    struct app *app = rt->app;
    if (app->stopping)
        return;
    time_t now = (time_t)clock_wall_seconds();
    struct tm tm;
    gmtime_r(&now, &tm);
    if (tm.tm_hour * 60 + tm.tm_min < app->cfg.payment_cycle.minute_of_day)
        return;
    char today[DATE_STRLEN], at[32];
    date_format(date_today_utc(), today); /* the cycle's UTC day, as its UTC time */
    if (strcmp(today, rt->cycle_done_date) == 0)
        return;
    snprintf(rt->cycle_done_date, sizeof rt->cycle_done_date, "%s", today);
    rfc3339_now(at);
    if (queue_remit_close(app->redis, app->cfg.key_prefix, today, at, true, on_cycle_closed, rt) !=
        0) {
        rt->cycle_done_date[0] = '\0';
        log_warn("the scheduled payment cycle could not be started (no connection to storage); "
                 "tried again at the next tick");
    }
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    begin_shutdown(arg, sig == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    struct runtime *rt = arg;
    int status;
    if (rt->child && rt->child->pid > 0 && server_redis_child_exited(rt->child, &status)) {
        log_error("the embedded redis-server exited (status %d); stopping, since claims "
                  "cannot be stored without it",
                  status);
        rt->exit_code = 1;
        rt->app->stopping = true;
        event_base_loopbreak(rt->app->base);
    }
}

static struct notify_dispatcher *start_notifier(struct app *app)
{
    const struct config_webhooks *w = &app->cfg.webhooks;
    struct notify_settings s = {
        .connect_timeout_ms = w->connect_timeout_ms,
        .timeout_ms = w->timeout_ms,
        .backoff_base_ms = w->backoff_base_ms,
        .backoff_max_ms = w->backoff_max_ms,
        .max_attempts = w->max_attempts,
        .poll_interval_ms = w->poll_interval_ms,
        .max_in_flight = w->max_in_flight,
        .redis_timeout_ms = app->cfg.redis_timeout_ms,
        .allow_private = w->allow_private,
    };
    snprintf(s.key_prefix, sizeof s.key_prefix, "%s", app->cfg.key_prefix);
    return notify_start(app->base, app->redis, &s);
}

/* Reads the command line and the configuration, sets the log level and the
 * plan's time zone; 0, or the exit status (2) after printing the error. */
static int configure(struct app *app, int argc, char **argv)
{
    config_defaults(&app->cfg);
    if (parse_args(argc, argv, &app->cfg) != 0)
        return 2;
    log_set_level(app->cfg.log_level);
    /* The plan's calendar: set once, before any thread, for date_today(). */
    if (!date_set_time_zone(app->cfg.time_zone)) {
        fprintf(stderr,
                "claimsd: key \"time_zone\": \"%s\" is not a time zone the system's tzdata "
                "knows (install tzdata)\n",
                app->cfg.time_zone);
        return 2;
    }
    return 0;
}

/* Ignores SIGPIPE and notes SIGTERM and SIGINT until the event loop runs. */
static void install_early_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_early_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* The holiday calendar: holidays_file, or the US federal holidays; -1 after logging. */
static int load_calendar(struct app *app)
{
    if (app->cfg.holidays_file[0]) {
        char err[CALENDAR_ERR_LEN];
        if (calendar_load_file(&app->calendar, app->cfg.holidays_file, err) != 0) {
            log_error("%s", err);
            return -1;
        }
    } else {
        calendar_us_federal(&app->calendar);
    }
    return 0;
}

/* replica_acks needs a Redis with replicas, and a wait shorter than a
 * command's deadline (commands sent behind a WAIT on the event loop's
 * connection wait for it). 0, or -1 after logging. */
static int check_replica_acks(const struct config *cfg)
{
    if (cfg->replica_acks == 0)
        return 0;
    if (!cfg->redis_cluster[0] && !cfg->redis_url[0]) {
        log_error("replica_acks %d needs --redis or --redis-cluster: the embedded Redis has no "
                  "replicas",
                  cfg->replica_acks);
        return -1;
    }
    if (cfg->replica_acks_timeout_ms >= cfg->redis_timeout_ms) {
        log_error("replica_acks_timeout_ms (%d) must be less than redis_timeout_ms (%d)",
                  cfg->replica_acks_timeout_ms, cfg->redis_timeout_ms);
        return -1;
    }
    return 0;
}

/* Where Redis is: the cluster's seeds, the URL, or an embedded redis-server
 * started in child (then rt->child); 0, or the exit status after logging. */
static int locate_redis(struct runtime *rt, struct redis_child *child)
{
    struct app *app = rt->app;
    if (check_replica_acks(&app->cfg) != 0)
        return 2;
    if (app->cfg.redis_cluster[0]) {
        if (queue_redis_cluster_address_parse(app->cfg.redis_cluster, &app->redis_addr) != 0) {
            log_error("redis_cluster must be a list of seed nodes \"host:port\"");
            return 2;
        }
    } else if (app->cfg.redis_url[0]) {
        if (queue_redis_address_parse(app->cfg.redis_url, &app->redis_addr) != 0) {
            log_error("redis address must be redis://host:port[/db] or unix:/path");
            return 2;
        }
    } else {
        if (server_redis_child_start(&app->cfg, 15000, child, &app->redis_addr) != 0)
            return 1;
        rt->child = child;
    }
    app->redis_addr.replica_acks = app->cfg.replica_acks;
    app->redis_addr.replica_acks_timeout_ms = app->cfg.replica_acks_timeout_ms;
    char where[REDIS_ADDR_LEN + 32];
    queue_redis_address_format(&app->redis_addr, where, sizeof where);
    log_info("claimsd %s starting: role %s, redis %s", CLAIMSD_VERSION,
             config_role_name(app->cfg.role), where);
    if (app->cfg.replica_acks > 0)
        log_info("replica_acks %d: intake and commits wait up to %d ms for that many replicas",
                 app->cfg.replica_acks, app->cfg.replica_acks_timeout_ms);
    return 0;
}

/* The event loop, its drain timer and signal events, the loop's Redis
 * connection and the intake step; waits a moment for Redis. -1 on failure. */
static int start_loop(struct runtime *rt)
{
    struct app *app = rt->app;
    app->base = event_base_new();
    if (!app->base)
        return -1;
    rt->drain_timer = evtimer_new(app->base, on_drain_tick, rt);
    rt->sigterm_ev = evsignal_new(app->base, SIGTERM, on_stop_signal, rt);
    rt->sigint_ev = evsignal_new(app->base, SIGINT, on_stop_signal, rt);
    rt->sigchld_ev = evsignal_new(app->base, SIGCHLD, on_sigchld, rt);
    event_add(rt->sigterm_ev, NULL);
    event_add(rt->sigint_ev, NULL);
    event_add(rt->sigchld_ev, NULL);
    app->redis = queue_rconn_new(app->base, &app->redis_addr, app->cfg.redis_timeout_ms);
    if (!app->redis)
        return -1;
    /* replica_acks: a WAIT holds the connection it is sent on until the
     * replicas answer, so intake gets a connection of its own and the other
     * requests' commands do not queue behind its WAITs. */
    if (app->cfg.replica_acks > 0 && app->cfg.role != CONFIG_ROLE_WORKER &&
        !(app->intake_redis =
              queue_rconn_new(app->base, &app->redis_addr, app->cfg.redis_timeout_ms)))
        return -1;
    struct rconn *intake_rc = app->intake_redis ? app->intake_redis : app->redis;
    app->intake = queue_intake_new(app->base, intake_rc, app->cfg.key_prefix, INTAKE_MAX_BATCH);
    if (!app->intake)
        return -1;
    /* Serve only once the loop's own Redis connections are up, so that the
     * first requests do not meet a 503 that only says "starting". */
    for (time_t until = (time_t)clock_wall_seconds() + 1 + app->cfg.redis_timeout_ms / 1000;
         (!queue_rconn_is_connected(app->redis) || !queue_rconn_is_connected(intake_rc)) &&
         (time_t)clock_wall_seconds() <= until && !early_stop;)
        event_base_loop(app->base, EVLOOP_ONCE);
    return 0;
}

/* The HTTP side (roles all and intake): token cache and its subscription,
 * rate limits, the listener (TLS when tls), webhook deliveries. -1 on failure. */
static int start_http_side(struct runtime *rt, SSL_CTX *tls)
{
    struct app *app = rt->app;
    struct http_limits limits = {
        .max_body_bytes = app->cfg.limits.max_body_bytes,
        .max_header_bytes = app->cfg.limits.max_header_bytes,
        .read_timeout_seconds = app->cfg.limits.read_timeout_seconds,
        .max_connections = app->cfg.limits.max_connections,
        .max_output_bytes = app->cfg.limits.max_output_bytes,
        .write_timeout_seconds = app->cfg.limits.write_timeout_seconds,
    };
    /* Authenticated tokens are cached while a subscription hears every
     * revocation (docs/operations.md "Token cache"). */
    app->tokens = queue_token_cache_new(TOKEN_CACHE_DEFAULT_CAPACITY, TOKEN_CACHE_DEFAULT_TTL_MS);
    if (!app->tokens)
        return -1;
    app->token_sub = queue_token_sub_start(app->base, &app->redis_addr, app->cfg.redis_timeout_ms,
                                           app->redis, app->cfg.key_prefix, app->tokens);
    if (!app->token_sub)
        return -1;
    app->ratelimit =
        ratelimit_new(app->cfg.rate_limits, CONFIG_RATE_CLASSES, RATELIMIT_DEFAULT_CAPACITY);
    if (!app->ratelimit)
        return -1;
    app->http = intake_http_server_new(app->base, &limits, intake_handle_request, app);
    if (app->http && tls)
        intake_http_server_use_tls(app->http, tls);
    int port =
        app->http ? intake_http_server_listen(app->http, app->cfg.listen_host, app->cfg.listen_port)
                  : -1;
    if (port < 0)
        return -1;
    /* Tests and scripts read this line to learn the port chosen for port 0. */
    log_info("listening on %s://%s:%d", tls ? "https" : "http", app->cfg.listen_host, port);
    /* Deliveries run where the HTTP API does (roles all and intake): network
     * I/O on the event loop, not adjudication CPU (docs/webhooks.md). */
    if (app->cfg.webhooks.enabled && !(rt->notifier = start_notifier(app)))
        return -1;
    return 0;
}

/* The scheduled payment cycle's timer, when payment_cycle.time is set: a
 * tick every 30 s, the first at once. */
static void start_cycle_timer(struct runtime *rt)
{
    struct app *app = rt->app;
    if (app->cfg.payment_cycle.minute_of_day < 0)
        return;
    rt->cycle_timer = event_new(app->base, -1, EV_PERSIST, on_cycle_tick, rt);
    struct timeval every = {30, 0};
    event_add(rt->cycle_timer, &every);
    event_active(rt->cycle_timer, EV_TIMEOUT, 0);
}

/* Starts every part the role asks for; 0, or -1 when one cannot start. */
static int start_parts(struct runtime *rt, SSL_CTX *tls)
{
    struct app *app = rt->app;
    if (start_loop(rt) != 0)
        return -1;
    if (app->cfg.role != CONFIG_ROLE_WORKER && start_http_side(rt, tls) != 0)
        return -1;
    if (app->cfg.role != CONFIG_ROLE_INTAKE && app->cfg.workers > 0) {
        rt->work =
            worker_side_start(app->base, app->redis, &app->redis_addr, &app->cfg, &app->stopping);
        if (!rt->work)
            return -1;
    }
    start_cycle_timer(rt);
    return 0;
}

/* Frees an event that may be NULL. */
static void event_free_if(struct event *ev)
{
    if (ev)
        event_free(ev);
}

/* Stops and frees every part, in the order their last answers need. */
static void stop_parts(struct runtime *rt, SSL_CTX *tls)
{
    struct app *app = rt->app;
    /* Workers finish the claim each holds; nothing unfinished is acknowledged. */
    worker_side_stop(rt->work);
    event_free_if(rt->cycle_timer);
    if (app->http)
        intake_http_server_free(app->http);
    queue_token_sub_free(app->token_sub); /* its heartbeats in flight need nothing of it */
    if (app->redis)
        queue_rconn_free(app->redis);
    queue_rconn_free(app->intake_redis); /* NULL without replica_acks */
    ratelimit_free(app->ratelimit);
    queue_token_cache_free(
        app->tokens); /* after queue_rconn_free: its last answers may reach the cache */
    queue_intake_free(app->intake); /* after queue_rconn_free: a batch in flight was answered */
    notify_free(rt->notifier); /* after queue_rconn_free: its last answers reach the notifier */
    event_free_if(rt->sigterm_ev);
    event_free_if(rt->sigint_ev);
    event_free_if(rt->sigchld_ev);
    event_free_if(rt->drain_timer);
    if (app->base)
        event_base_free(app->base);
    SSL_CTX_free(tls); /* after intake_http_server_free: its connections used it */
    if (rt->child)
        server_redis_child_stop(rt->child, 10000);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "token") == 0)
        return server_cli_token(argc, argv);
    static struct app app;
    int rc = configure(&app, argc, argv);
    if (rc != 0)
        return rc;
    /* A TLS misconfiguration is a configuration error: found before
     * anything starts. */
    static SSL_CTX *tls; /* static: reachable until exit, whichever way main ends */
    if (app.cfg.tls.cert_file[0] && app.cfg.role != CONFIG_ROLE_WORKER &&
        !(tls = tls_context(&app.cfg.tls)))
        return 2;
    queue_init();
    install_early_signals();
    if (load_calendar(&app) != 0)
        return 2;

    struct redis_child child;
    struct runtime rt = {.app = &app, .child = NULL, .exit_code = 0};
    rc = locate_redis(&rt, &child);
    if (rc != 0)
        return rc;

    rc = 1;
    int prepared = prepare_store(&app, rt.child != NULL);
    if (prepared != 0) {
        rc = prepared == 2 ? 2 : 1;
    } else if (start_parts(&rt, tls) == 0) {
        if (early_stop)
            begin_shutdown(&rt, "signal during start-up");
        event_base_dispatch(app.base);
        rc = rt.exit_code;
    }
    stop_parts(&rt, tls);
    log_info("claimsd stopped (exit %d)", rc);
    return rc;
}
