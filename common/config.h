/*
 * The server's configuration: a JSON file (docs/configuration.md), every key
 * with a default, unknown keys rejected with the key named; command-line
 * options override the file.
 */
#ifndef CLAIMS_CONFIG_H
#define CLAIMS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "netaddr.h"
#include "ratelimit.h"

#define CONFIG_PATH_LEN 1024
#define CONFIG_ERR_LEN 512

enum config_role { CONFIG_ROLE_ALL, CONFIG_ROLE_INTAKE, CONFIG_ROLE_WORKER };

struct config_limits {
    size_t max_body_bytes;     /* 413 above this */
    size_t max_header_bytes;   /* total request header size */
    int read_timeout_seconds;  /* a slow client is cut off after this */
    int max_connections;       /* open client connections at once */
    size_t max_output_bytes;   /* a connection's unsent answers; above, it is not read */
    int write_timeout_seconds; /* answers pending and none taken this long: closed */
};

/* HTTPS on the listener (docs/configuration.md "tls"): both files or neither. */
struct config_tls {
    char cert_file[CONFIG_PATH_LEN]; /* PEM certificate chain, leaf first; empty: plain HTTP */
    char key_file[CONFIG_PATH_LEN];  /* PEM private key of the certificate */
};

/* Outbound webhook notifications (docs/webhooks.md). */
struct config_webhooks {
    bool enabled; /* run the dispatcher in this process (roles all and intake) */
    int connect_timeout_ms;
    int timeout_ms;      /* a whole request */
    int backoff_base_ms; /* wait after the first failed attempt, doubled each time */
    int backoff_max_ms;
    int max_attempts; /* then the delivery is dead */
    int poll_interval_ms;
    int max_in_flight;
    /* Addresses a receiver may have although they are not public
     * (loopback, private, ...: docs/webhooks.md); empty: none. */
    struct netaddr_list allow_private;
};

/* People's sign-in sessions (docs/api.md "Accounts and sessions"). */
struct config_sessions {
    int idle_timeout_seconds; /* a session unused this long ends */
    int max_lifetime_seconds; /* and every session ends this long after sign-in */
};

/* Remittance (docs/configuration.md "payment_cycle", docs/x12.md
 * "Remittance (835)"): when the daily payment cycle runs and who the payer
 * on the 835 is. */
struct config_payment_cycle {
    int minute_of_day;      /* UTC minutes after midnight; -1: no scheduled cycle */
    char payer_name[61];    /* N1*PR, PER*BL */
    char payer_id[11];      /* TRN03, ISA06, GS02: "1" and the payer's 9-digit EIN */
    char payer_address[56]; /* N3 */
    char payer_city[31];    /* N4 */
    char payer_state[3];
    char payer_zip[16];
    char payer_phone[33]; /* PER*BL TE */
};

/* The classes of rate_limits (docs/configuration.md): a bucket per token or
 * session of each role, and per client address for requests answered 401
 * and failed sign-ins. */
enum config_rate_class {
    CONFIG_RATE_MEMBER,
    CONFIG_RATE_PROVIDER,
    CONFIG_RATE_STAFF,
    CONFIG_RATE_ADMIN,
    CONFIG_RATE_ADDRESS,
    CONFIG_RATE_CLASSES
};

struct config {
    char listen_host[256];
    int listen_port;
    char data_dir[CONFIG_PATH_LEN];
    char redis_url[CONFIG_PATH_LEN];     /* empty: start the embedded redis-server */
    char redis_cluster[CONFIG_PATH_LEN]; /* seed nodes "host:port,host:port"; empty: none */
    int shards; /* claims shards (issue 12); 0: the count recorded in Redis, else 16 */
    char redis_server_path[CONFIG_PATH_LEN];
    char appendfsync[16]; /* "everysec" or "always" */
    bool rdb_snapshots;
    char key_prefix[64];
    char time_zone[64]; /* IANA name: the plan's calendar (received dates, today) */
    enum config_role role;
    int workers;
    enum log_level log_level;
    int redis_timeout_ms;                /* a Redis command not answered by then fails */
    int replica_acks;                    /* intake and commits wait for this many replicas (WAIT) */
    int replica_acks_timeout_ms;         /* ...at most this long; fewer: intake answers 503 */
    char holidays_file[CONFIG_PATH_LEN]; /* empty: the built-in US federal holiday rules */
    char seed_dir[CONFIG_PATH_LEN];      /* enrollment loaded into an empty store; empty: none */
    char portal_dir[CONFIG_PATH_LEN];    /* the web portal's files (docs/portal.md); empty: none */
    int target_business_days;            /* the processing target (RULES.md § 9) */
    int idempotency_ttl_seconds;
    int claim_idle_timeout_ms; /* a claim held this long by a silent worker is taken over */
    int worker_idle_read_ms;   /* an idle worker's blocking read of the work stream */
    int max_deliveries;        /* deliveries before a claim goes to the dead-letter stream */
    int pend_sweep_seconds;    /* how often expired pended claims are requeued */
    struct config_limits limits;
    struct config_webhooks webhooks;
    struct config_sessions sessions;
    struct ratelimit_rule rate_limits[CONFIG_RATE_CLASSES]; /* per_second_milli 0: no limit */
    struct config_tls tls;
    struct config_payment_cycle payment_cycle;
};

/* Fills in every default. */
void config_defaults(struct config *cfg);

/* "HOST:PORT[,HOST:PORT...]" (a cluster's seed nodes) into cfg->redis_cluster.
 * Returns 0, or -1 when an entry is not HOST:PORT or the list is too long. */
int config_set_redis_cluster(struct config *cfg, const char *seeds);

/* Reads a JSON config file over the current values. Relative paths in the file
 * (holidays_file, seed_dir, portal_dir, data_dir, tls.*) are resolved against the file's folder.
 * Returns 0, or -1 with a message naming the file and the key in err. */
int config_load_file(struct config *cfg, const char *path, char err[CONFIG_ERR_LEN]);

/* Parses "HOST:PORT" into the listen fields; returns 0 or -1. */
int config_set_listen(struct config *cfg, const char *hostport);
/* "all", "intake", "worker" → role; returns 0 or -1. */
int config_set_role(struct config *cfg, const char *name);
/* "HH:MM" (00:00–23:59) → minutes after midnight, or -1. */
int config_parse_time_of_day(const char *text);

/* The role's name in the configuration ("all", "intake", "worker"). */
const char *config_role_name(enum config_role role);
/* "member", "provider", "staff", "admin", "address". */
const char *config_rate_class_name(enum config_rate_class c);

#endif
