#include "config.h"

#include "date.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    cfg->listen_port = 8080;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "./var");
    snprintf(cfg->redis_server_path, sizeof cfg->redis_server_path, "redis-server");
    snprintf(cfg->appendfsync, sizeof cfg->appendfsync, "always");
    snprintf(cfg->key_prefix, sizeof cfg->key_prefix, "claims:");
    snprintf(cfg->time_zone, sizeof cfg->time_zone, "America/New_York");
    cfg->role = CONFIG_ROLE_ALL;
    cfg->workers = 2;
    cfg->shards = 0; /* not set: the data's recorded count, else 16 (queue/queue.h) */
    cfg->log_level = LOG_INFO;
    cfg->redis_timeout_ms = 2000;
    cfg->replica_acks = 0;
    cfg->replica_acks_timeout_ms = 1000;
    cfg->target_business_days = 10;
    cfg->idempotency_ttl_seconds = 24 * 60 * 60;
    cfg->claim_idle_timeout_ms = 30000;
    cfg->worker_idle_read_ms = 1000;
    cfg->max_deliveries = 5;
    cfg->pend_sweep_seconds = 60;
    cfg->limits.max_body_bytes = 256 * 1024;
    cfg->limits.max_header_bytes = 16 * 1024;
    cfg->limits.read_timeout_seconds = 10;
    cfg->limits.max_connections = 1024;
    cfg->limits.max_output_bytes = 256 * 1024;
    cfg->limits.write_timeout_seconds = 30;
    cfg->webhooks.enabled = true;
    cfg->webhooks.connect_timeout_ms = 5000;
    cfg->webhooks.timeout_ms = 10000;
    cfg->webhooks.backoff_base_ms = 1000;
    cfg->webhooks.backoff_max_ms = 5 * 60 * 1000;
    cfg->webhooks.max_attempts = 8;
    cfg->webhooks.poll_interval_ms = 500;
    cfg->webhooks.max_in_flight = 32;
    cfg->sessions.idle_timeout_seconds = 15 * 60;
    cfg->sessions.max_lifetime_seconds = 12 * 3600;
    cfg->payment_cycle.minute_of_day = 18 * 60; /* 18:00 UTC */
    snprintf(cfg->payment_cycle.payer_name, sizeof cfg->payment_cycle.payer_name, "CLAIMS OFFICE");
    snprintf(cfg->payment_cycle.payer_id, sizeof cfg->payment_cycle.payer_id, "1000000000");
    snprintf(cfg->payment_cycle.payer_address, sizeof cfg->payment_cycle.payer_address, "PO BOX 1");
    snprintf(cfg->payment_cycle.payer_city, sizeof cfg->payment_cycle.payer_city, "TALLAHASSEE");
    snprintf(cfg->payment_cycle.payer_state, sizeof cfg->payment_cycle.payer_state, "FL");
    snprintf(cfg->payment_cycle.payer_zip, sizeof cfg->payment_cycle.payer_zip, "32301");
    snprintf(cfg->payment_cycle.payer_phone, sizeof cfg->payment_cycle.payer_phone, "8005550100");
    /* docs/configuration.md "rate_limits" gives the reasons for these. */
    cfg->rate_limits[CONFIG_RATE_MEMBER] =
        (struct ratelimit_rule){.per_second_milli = 5000, .burst = 20};
    cfg->rate_limits[CONFIG_RATE_PROVIDER] =
        (struct ratelimit_rule){.per_second_milli = 50000, .burst = 200};
    cfg->rate_limits[CONFIG_RATE_ADDRESS] =
        (struct ratelimit_rule){.per_second_milli = 1000, .burst = 20};
}

const char *config_rate_class_name(enum config_rate_class c)
{
    static const char *const names[CONFIG_RATE_CLASSES] = {"member", "provider", "staff", "admin",
                                                           "address"};
    return c >= 0 && c < CONFIG_RATE_CLASSES ? names[c] : "none";
}

const char *config_role_name(enum config_role role)
{
    switch (role) {
    case CONFIG_ROLE_INTAKE: return "intake";
    case CONFIG_ROLE_WORKER: return "worker";
    default: return "all";
    }
}

int config_set_role(struct config *cfg, const char *name)
{
    if (strcmp(name, "all") == 0)
        cfg->role = CONFIG_ROLE_ALL;
    else if (strcmp(name, "intake") == 0)
        cfg->role = CONFIG_ROLE_INTAKE;
    else if (strcmp(name, "worker") == 0)
        cfg->role = CONFIG_ROLE_WORKER;
    else
        return -1;
    return 0;
}

int config_set_listen(struct config *cfg, const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof cfg->listen_host)
        return -1;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memcpy(cfg->listen_host, hostport, (size_t)(colon - hostport));
    cfg->listen_host[colon - hostport] = '\0';
    cfg->listen_port = (int)port;
    return 0;
}

/* One seed node: HOST:PORT with a port of 1..65535 (the last ':' splits). */
static bool seed_valid(const char *s, size_t len)
{
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ':')
            colon = s + i;
    if (!colon || colon == s || (size_t)(colon - s) >= 256)
        return false;
    size_t digits = len - (size_t)(colon - s) - 1;
    long port = 0;
    for (size_t i = 0; i < digits; i++) {
        if (colon[1 + i] < '0' || colon[1 + i] > '9' || digits > 5)
            return false;
        port = port * 10 + (colon[1 + i] - '0');
    }
    return digits > 0 && port >= 1 && port <= 65535;
}

int config_set_redis_cluster(struct config *cfg, const char *seeds)
{
    size_t n = 0;
    for (const char *p = seeds;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!seed_valid(p, len) || ++n > 16)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (strlen(seeds) >= sizeof cfg->redis_cluster)
        return -1;
    snprintf(cfg->redis_cluster, sizeof cfg->redis_cluster, "%s", seeds);
    return 0;
}

/* redis_cluster: a list of seed nodes "host:port" (or null: none). */
static int load_redis_cluster(struct config *cfg, json_object *v, const char *path,
                              char err[CONFIG_ERR_LEN])
{
    if (json_object_is_type(v, json_type_null)) {
        cfg->redis_cluster[0] = '\0';
        return 0;
    }
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    char joined[CONFIG_PATH_LEN] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof joined; i++) {
        json_object *item = json_object_array_get_idx(v, i);
        if (!json_object_is_type(item, json_type_string))
            n = 0;
        else
            used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s", i ? "," : "",
                                     json_object_get_string(item));
    }
    if (n == 0 || used >= sizeof joined || config_set_redis_cluster(cfg, joined) != 0) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: key \"redis_cluster\" must be a list of 1 to 16 seed nodes \"host:port\"",
                 path);
        return -1;
    }
    return 0;
}

/* One config key: its name, its type and where it goes. */
enum key_type { K_STRING, K_PATH, K_INT, K_BOOL, K_SIZE };

struct key_spec {
    const char *name;
    enum key_type type;
    size_t offset;
    size_t size; /* strings: buffer size */
    long long min, max;
};

#define STR(name, field)                                                                           \
    {                                                                                              \
        name, K_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0  \
    }
#define PATH(name, field)                                                                          \
    {                                                                                              \
        name, K_PATH, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0    \
    }
#define INT(name, field, lo, hi)                                                                   \
    {                                                                                              \
        name, K_INT, offsetof(struct config, field), 0, lo, hi                                     \
    }
#define SIZE(name, field, lo, hi)                                                                  \
    {                                                                                              \
        name, K_SIZE, offsetof(struct config, field), 0, lo, hi                                    \
    }
#define BOOL(name, field)                                                                          \
    {                                                                                              \
        name, K_BOOL, offsetof(struct config, field), 0, 0, 0                                      \
    }

static const struct key_spec top_keys[] = {
    PATH("data_dir", data_dir),
    STR("redis", redis_url),
    STR("redis_server_path", redis_server_path),
    BOOL("rdb_snapshots", rdb_snapshots),
    STR("key_prefix", key_prefix),
    INT("workers", workers, 0, 256),
    INT("shards", shards, 1, 256),
    INT("redis_timeout_ms", redis_timeout_ms, 10, 600000),
    INT("replica_acks", replica_acks, 0, 16),
    INT("replica_acks_timeout_ms", replica_acks_timeout_ms, 10, 60000),
    PATH("holidays_file", holidays_file),
    PATH("seed_dir", seed_dir),
    PATH("portal_dir", portal_dir),
    INT("target_business_days", target_business_days, 1, 365),
    INT("idempotency_ttl_seconds", idempotency_ttl_seconds, 60, 30 * 24 * 3600),
    INT("claim_idle_timeout_ms", claim_idle_timeout_ms, 100, 3600 * 1000),
    INT("max_deliveries", max_deliveries, 1, 1000),
    INT("worker_idle_read_ms", worker_idle_read_ms, 100, 60000),
    INT("pend_sweep_seconds", pend_sweep_seconds, 1, 86400),
};

static const struct key_spec limit_keys[] = {
    SIZE("max_body_bytes", limits.max_body_bytes, 1024, 64 * 1024 * 1024),
    SIZE("max_header_bytes", limits.max_header_bytes, 1024, 1024 * 1024),
    INT("read_timeout_seconds", limits.read_timeout_seconds, 1, 3600),
    INT("max_connections", limits.max_connections, 1, 1000000),
    SIZE("max_output_bytes", limits.max_output_bytes, 4096, 64 * 1024 * 1024),
    INT("write_timeout_seconds", limits.write_timeout_seconds, 1, 3600),
};

static const struct key_spec tls_keys[] = {
    PATH("cert_file", tls.cert_file),
    PATH("key_file", tls.key_file),
};

static const struct key_spec webhook_keys[] = {
    BOOL("enabled", webhooks.enabled),
    INT("connect_timeout_ms", webhooks.connect_timeout_ms, 100, 60000),
    INT("timeout_ms", webhooks.timeout_ms, 100, 300000),
    INT("backoff_base_ms", webhooks.backoff_base_ms, 10, 3600 * 1000),
    INT("backoff_max_ms", webhooks.backoff_max_ms, 10, 24 * 3600 * 1000),
    INT("max_attempts", webhooks.max_attempts, 1, 100),
    INT("poll_interval_ms", webhooks.poll_interval_ms, 10, 60000),
    INT("max_in_flight", webhooks.max_in_flight, 1, 10000),
};

static const struct key_spec session_keys[] = {
    INT("idle_timeout_seconds", sessions.idle_timeout_seconds, 1, 7 * 24 * 3600),
    INT("max_lifetime_seconds", sessions.max_lifetime_seconds, 1, 30 * 24 * 3600),
};

static const struct key_spec payment_cycle_keys[] = {
    STR("payer_name", payment_cycle.payer_name),       STR("payer_id", payment_cycle.payer_id),
    STR("payer_address", payment_cycle.payer_address), STR("payer_city", payment_cycle.payer_city),
    STR("payer_state", payment_cycle.payer_state),     STR("payer_zip", payment_cycle.payer_zip),
    STR("payer_phone", payment_cycle.payer_phone),
};

int config_parse_time_of_day(const char *t)
{
    if (!t || strlen(t) != 5 || t[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (t[i] < '0' || t[i] > '9'))
            return -1;
    int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static void dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

static int set_key(struct config *cfg, const struct key_spec *k, json_object *v,
                   const char *base_dir, const char *path, const char *prefix,
                   char err[CONFIG_ERR_LEN])
{
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case K_STRING:
    case K_PATH: {
        if (json_object_is_type(v, json_type_null)) {
            field[0] = '\0';
            return 0;
        }
        if (!json_object_is_type(v, json_type_string))
            goto wrong_type;
        const char *s = json_object_get_string(v);
        int n;
        if (k->type == K_PATH && s[0] && s[0] != '/')
            n = snprintf(field, k->size, "%s/%s", base_dir, s);
        else
            n = snprintf(field, k->size, "%s", s);
        if (n < 0 || (size_t)n >= k->size) {
            snprintf(err, CONFIG_ERR_LEN, "%s: key \"%s%s\" is too long", path, prefix, k->name);
            return -1;
        }
        return 0;
    }
    case K_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            goto wrong_type;
        *(bool *)field = json_object_get_boolean(v);
        return 0;
    case K_INT:
    case K_SIZE: {
        if (!json_object_is_type(v, json_type_int))
            goto wrong_type;
        errno = 0;
        int64_t n = json_object_get_int64(v);
        if (errno || n < k->min || n > k->max) {
            snprintf(err, CONFIG_ERR_LEN, "%s: key \"%s%s\" must be between %lld and %lld", path,
                     prefix, k->name, k->min, k->max);
            return -1;
        }
        if (k->type == K_INT)
            *(int *)field = (int)n;
        else
            *(size_t *)field = (size_t)n;
        return 0;
    }
    }
wrong_type:
    snprintf(err, CONFIG_ERR_LEN, "%s: key \"%s%s\" has the wrong type", path, prefix, k->name);
    return -1;
}

static const struct key_spec *find_key(const struct key_spec *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int load_section(struct config *cfg, json_object *obj, const struct key_spec *keys,
                        size_t n_keys, const char *base_dir, const char *path, const char *prefix,
                        char err[CONFIG_ERR_LEN])
{
    json_object_object_foreach(obj, name, value)
    {
        const struct key_spec *k = find_key(keys, n_keys, name);
        if (!k) {
            snprintf(err, CONFIG_ERR_LEN, "%s: unknown key \"%s%s\"", path, prefix, name);
            return -1;
        }
        if (set_key(cfg, k, value, base_dir, path, prefix, err) != 0)
            return -1;
    }
    return 0;
}

/* webhooks.allow_private: a list of "ADDR" or "ADDR/PREFIX" strings. */
static int load_allow_private(struct netaddr_list *list, json_object *v, const char *path,
                              char err[CONFIG_ERR_LEN])
{
    if (!json_object_is_type(v, json_type_array)) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: key \"webhooks.allow_private\" must be a list of addresses or CIDR blocks",
                 path);
        return -1;
    }
    size_t n = json_object_array_length(v);
    if (n > NETADDR_LIST_MAX) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"webhooks.allow_private\" has more than %d entries",
                 path, NETADDR_LIST_MAX);
        return -1;
    }
    list->n = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(v, i);
        if (!json_object_is_type(item, json_type_string) ||
            netaddr_parse_cidr(json_object_get_string(item), &list->cidr[i]) != 0) {
            list->n = 0;
            snprintf(err, CONFIG_ERR_LEN,
                     "%s: key \"webhooks.allow_private[%zu]\" must be an IP address or a CIDR "
                     "block such as \"10.1.0.0/16\"",
                     path, i);
            return -1;
        }
        list->n = (int)i + 1;
    }
    return 0;
}

static int load_webhooks(struct config *cfg, json_object *obj, const char *base_dir,
                         const char *path, char err[CONFIG_ERR_LEN])
{
    json_object_object_foreach(obj, name, value)
    {
        if (strcmp(name, "allow_private") == 0) {
            if (load_allow_private(&cfg->webhooks.allow_private, value, path, err) != 0)
                return -1;
            continue;
        }
        const struct key_spec *k =
            find_key(webhook_keys, sizeof webhook_keys / sizeof *webhook_keys, name);
        if (!k) {
            snprintf(err, CONFIG_ERR_LEN, "%s: unknown key \"webhooks.%s\"", path, name);
            return -1;
        }
        if (set_key(cfg, k, value, base_dir, path, "webhooks.", err) != 0)
            return -1;
    }
    return 0;
}

static int string_value(json_object *v, const char *path, const char *key, const char **out,
                        char err[CONFIG_ERR_LEN])
{
    if (!json_object_is_type(v, json_type_string)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"%s\" must be a string", path, key);
        return -1;
    }
    *out = json_object_get_string(v);
    return 0;
}

/* One class of rate_limits: null (no limit) or {"per_second": N, "burst": M},
 * both keys required; per_second 0 is also no limit. */
static int load_rate_rule(json_object *v, struct ratelimit_rule *out, const char *path,
                          const char *name, char err[CONFIG_ERR_LEN])
{
    if (json_object_is_type(v, json_type_null)) {
        *out = (struct ratelimit_rule){0, 0};
        return 0;
    }
    if (!json_object_is_type(v, json_type_object)) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: key \"rate_limits.%s\" must be null or {\"per_second\": N, \"burst\": M}",
                 path, name);
        return -1;
    }
    json_object *ps = NULL, *burst = NULL;
    json_object_object_foreach(v, key, value)
    {
        if (strcmp(key, "per_second") == 0) {
            ps = value;
        } else if (strcmp(key, "burst") == 0) {
            burst = value;
        } else {
            snprintf(err, CONFIG_ERR_LEN, "%s: unknown key \"rate_limits.%s.%s\"", path, name, key);
            return -1;
        }
    }
    if (!ps || !burst) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"rate_limits.%s.%s\" is required", path, name,
                 ps ? "burst" : "per_second");
        return -1;
    }
    if (!json_object_is_type(ps, json_type_int) && !json_object_is_type(ps, json_type_double)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"rate_limits.%s.per_second\" has the wrong type",
                 path, name);
        return -1;
    }
    double per_second = json_object_get_double(ps);
    /* Thousandths of a token a second (0.001 is one every 1000 s). */
    double milli = round(per_second * 1000.0);
    if (!(per_second >= 0) || milli > (double)RATELIMIT_MAX_PER_SECOND_MILLI ||
        (per_second > 0 && milli < 1)) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: key \"rate_limits.%s.per_second\" must be 0 (no limit) or between 0.001 "
                 "and %lld",
                 path, name, RATELIMIT_MAX_PER_SECOND_MILLI / 1000);
        return -1;
    }
    if (!json_object_is_type(burst, json_type_int)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"rate_limits.%s.burst\" has the wrong type", path,
                 name);
        return -1;
    }
    errno = 0;
    int64_t b = json_object_get_int64(burst);
    if (errno || b < 1 || b > RATELIMIT_MAX_BURST) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"rate_limits.%s.burst\" must be between 1 and %d",
                 path, name, RATELIMIT_MAX_BURST);
        return -1;
    }
    out->per_second_milli = (int64_t)milli;
    out->burst = milli > 0 ? b : 0;
    return 0;
}

/* rate_limits: null (no limits at all) or an object of classes; a class
 * left out keeps its default. */
static int load_rate_limits(struct config *cfg, json_object *v, const char *path,
                            char err[CONFIG_ERR_LEN])
{
    if (json_object_is_type(v, json_type_null)) {
        memset(cfg->rate_limits, 0, sizeof cfg->rate_limits);
        return 0;
    }
    if (!json_object_is_type(v, json_type_object)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"rate_limits\" must be an object or null", path);
        return -1;
    }
    json_object_object_foreach(v, name, value)
    {
        int c = 0;
        while (c < CONFIG_RATE_CLASSES &&
               strcmp(name, config_rate_class_name((enum config_rate_class)c)) != 0)
            c++;
        if (c == CONFIG_RATE_CLASSES) {
            snprintf(err, CONFIG_ERR_LEN, "%s: unknown key \"rate_limits.%s\"", path, name);
            return -1;
        }
        if (load_rate_rule(value, &cfg->rate_limits[c], path, name, err) != 0)
            return -1;
    }
    return 0;
}

/* payment_cycle: {"time": "HH:MM" (UTC) or null (no scheduled cycle), the
 * payer's name, id and address}. */
static int load_payment_cycle(struct config *cfg, json_object *obj, const char *path,
                              char err[CONFIG_ERR_LEN])
{
    if (!json_object_is_type(obj, json_type_object)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: key \"payment_cycle\" must be an object", path);
        return -1;
    }
    struct config_payment_cycle *pc = &cfg->payment_cycle;
    json_object_object_foreach(obj, name, value)
    {
        if (strcmp(name, "time") == 0) {
            if (json_object_is_type(value, json_type_null)) {
                pc->minute_of_day = -1;
                continue;
            }
            int m = json_object_is_type(value, json_type_string)
                        ? config_parse_time_of_day(json_object_get_string(value))
                        : -1;
            if (m < 0) {
                snprintf(err, CONFIG_ERR_LEN,
                         "%s: key \"payment_cycle.time\" must be \"HH:MM\" (UTC) or null", path);
                return -1;
            }
            pc->minute_of_day = m;
            continue;
        }
        const struct key_spec *k = find_key(
            payment_cycle_keys, sizeof payment_cycle_keys / sizeof *payment_cycle_keys, name);
        if (!k) {
            snprintf(err, CONFIG_ERR_LEN, "%s: unknown key \"payment_cycle.%s\"", path, name);
            return -1;
        }
        if (set_key(cfg, k, value, ".", path, "payment_cycle.", err) != 0)
            return -1;
    }
    const char *id = pc->payer_id;
    bool id_ok = strlen(id) == 10 && id[0] == '1';
    for (int i = 1; id_ok && i < 10; i++)
        id_ok = id[i] >= '0' && id[i] <= '9';
    if (!id_ok) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: key \"payment_cycle.payer_id\" must be \"1\" and the payer's 9-digit EIN",
                 path);
        return -1;
    }
    if (!pc->payer_name[0] || !pc->payer_address[0] || !pc->payer_city[0] ||
        strlen(pc->payer_state) != 2 || !pc->payer_zip[0] || !pc->payer_phone[0]) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: the payer's name, address, city, 2-letter state, zip and phone in "
                 "\"payment_cycle\" may not be empty",
                 path);
        return -1;
    }
    return 0;
}

/* Where a key of the file is read: the file's name and folder, the error's buffer. */
struct config_file {
    const char *path;
    const char *base_dir;
    char *err;
};

/* Key name's value must be an object: -1 with the error when it is not. */
static int require_object(json_object *value, const char *name, const struct config_file *f)
{
    if (json_object_is_type(value, json_type_object))
        return 0;
    snprintf(f->err, CONFIG_ERR_LEN, "%s: key \"%s\" must be an object", f->path, name);
    return -1;
}

/* tls: both files or neither. */
static int load_tls(struct config *cfg, json_object *value, const struct config_file *f)
{
    if (require_object(value, "tls", f) != 0)
        return -1;
    if (load_section(cfg, value, tls_keys, sizeof tls_keys / sizeof *tls_keys, f->base_dir, f->path,
                     "tls.", f->err) != 0)
        return -1;
    if (!cfg->tls.cert_file[0] != !cfg->tls.key_file[0]) {
        snprintf(f->err, CONFIG_ERR_LEN,
                 "%s: keys \"tls.cert_file\" and \"tls.key_file\" go together: set "
                 "both or neither",
                 f->path);
        return -1;
    }
    return 0;
}

/* A sectioned key (limits, webhooks, sessions, payment_cycle, rate_limits,
 * tls, redis_cluster): 0, -1 with the error, or 1 when name is none of them. */
static int load_section_key(struct config *cfg, const char *name, json_object *value,
                            const struct config_file *f)
{
    if (strcmp(name, "limits") == 0)
        return require_object(value, name, f) != 0 ||
                       load_section(cfg, value, limit_keys, sizeof limit_keys / sizeof *limit_keys,
                                    f->base_dir, f->path, "limits.", f->err) != 0
                   ? -1
                   : 0;
    if (strcmp(name, "webhooks") == 0)
        return require_object(value, name, f) != 0 ||
                       load_webhooks(cfg, value, f->base_dir, f->path, f->err) != 0
                   ? -1
                   : 0;
    if (strcmp(name, "sessions") == 0)
        return require_object(value, name, f) != 0 ||
                       load_section(cfg, value, session_keys,
                                    sizeof session_keys / sizeof *session_keys, f->base_dir,
                                    f->path, "sessions.", f->err) != 0
                   ? -1
                   : 0;
    if (strcmp(name, "payment_cycle") == 0)
        return load_payment_cycle(cfg, value, f->path, f->err) != 0 ? -1 : 0;
    if (strcmp(name, "rate_limits") == 0)
        return load_rate_limits(cfg, value, f->path, f->err) != 0 ? -1 : 0;
    if (strcmp(name, "tls") == 0)
        return load_tls(cfg, value, f);
    if (strcmp(name, "redis_cluster") == 0)
        return load_redis_cluster(cfg, value, f->path, f->err) != 0 ? -1 : 0;
    return 1;
}

/* Writes "<path>: <what>" into the error; returns -1. */
static int key_error(const struct config_file *f, const char *what)
{
    snprintf(f->err, CONFIG_ERR_LEN, "%s: %s", f->path, what);
    return -1;
}

/* A key whose string names a choice (listen, role, log_level, appendfsync,
 * time_zone): 0, -1 with the error, or 1 when name is none of them. */
static int load_string_key(struct config *cfg, const char *name, json_object *value,
                           const struct config_file *f)
{
    static const char *const names[] = {"listen", "role", "log_level", "appendfsync", "time_zone"};
    size_t i = 0;
    while (i < sizeof names / sizeof *names && strcmp(name, names[i]) != 0)
        i++;
    if (i == sizeof names / sizeof *names)
        return 1;
    const char *s;
    if (string_value(value, f->path, name, &s, f->err) != 0)
        return -1;
    if (strcmp(name, "listen") == 0)
        return config_set_listen(cfg, s) != 0 ? key_error(f, "key \"listen\" must be HOST:PORT")
                                              : 0;
    if (strcmp(name, "role") == 0)
        return config_set_role(cfg, s) != 0
                   ? key_error(f, "key \"role\" must be \"all\", \"intake\" or \"worker\"")
                   : 0;
    if (strcmp(name, "log_level") == 0) {
        int level = log_level_parse(s);
        if (level < 0)
            return key_error(f, "key \"log_level\" must be debug, info, warn or error");
        cfg->log_level = (enum log_level)level;
        return 0;
    }
    if (strcmp(name, "appendfsync") == 0) {
        if (strcmp(s, "everysec") != 0 && strcmp(s, "always") != 0)
            return key_error(f, "key \"appendfsync\" must be \"everysec\" or \"always\"");
        snprintf(cfg->appendfsync, sizeof cfg->appendfsync, "%s", s);
        return 0;
    }
    /* time_zone, the plan's: what day it is for received dates and "today"
     * (common/date.c date_today). */
    if (strlen(s) >= sizeof cfg->time_zone || !date_time_zone_known(s))
        return key_error(f, "key \"time_zone\" must be an IANA time zone name the system's "
                            "tzdata knows, like \"America/New_York\"");
    snprintf(cfg->time_zone, sizeof cfg->time_zone, "%s", s);
    return 0;
}

/* One top-level key of the file: 0, or -1 with the error. */
static int load_top_key(struct config *cfg, const char *name, json_object *value,
                        const struct config_file *f)
{
    int rc = load_section_key(cfg, name, value, f);
    if (rc <= 0)
        return rc;
    rc = load_string_key(cfg, name, value, f);
    if (rc <= 0)
        return rc;
    if (strcmp(name, "$comment") == 0)
        return 0; /* documentation inside the file */
    const struct key_spec *k = find_key(top_keys, sizeof top_keys / sizeof *top_keys, name);
    if (!k) {
        snprintf(f->err, CONFIG_ERR_LEN, "%s: unknown key \"%s\"", f->path, name);
        return -1;
    }
    return set_key(cfg, k, value, f->base_dir, f->path, "", f->err);
}

/* The rules across keys, once the whole file is read: 0, or -1 with the error. */
static int check_file(const struct config *cfg, json_object *root, const struct config_file *f)
{
    if (json_object_object_get_ex(root, "redis", NULL) &&
        json_object_object_get_ex(root, "redis_cluster", NULL) && cfg->redis_url[0] &&
        cfg->redis_cluster[0])
        return key_error(f, "keys \"redis\" and \"redis_cluster\" exclude each other: set one");
    return 0;
}

int config_load_file(struct config *cfg, const char *path, char err[CONFIG_ERR_LEN])
{
    json_object *root = json_object_from_file(path);
    if (!root) {
        snprintf(err, CONFIG_ERR_LEN, "%s: cannot read it as JSON (%s)", path,
                 json_util_get_last_err() ? json_util_get_last_err() : "unknown error");
        /* json-c's message ends with a newline; keep the message one line. */
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = '\0';
        return -1;
    }
    int rc = -1;
    char base_dir[CONFIG_PATH_LEN];
    dir_of(path, base_dir, sizeof base_dir);
    const struct config_file f = {.path = path, .base_dir = base_dir, .err = err};
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(err, CONFIG_ERR_LEN, "%s: the top level must be a JSON object", path);
        goto out;
    }
    json_object_object_foreach(root, name, value)
    {
        if (load_top_key(cfg, name, value, &f) != 0)
            goto out;
    }
    rc = check_file(cfg, root, &f);
out:
    json_object_put(root);
    return rc;
}
