/*
 * claimsd token create --role ROLE [--member-id ID] [--npi NPI]
 *                      [--config FILE] [--redis URL] [--data-dir DIR]
 *                      [--redis-cluster HOST:PORT[,HOST:PORT...]]
 *
 * Creates an API token directly in the store, for a first admin when no
 * bootstrap token was set. With no --redis it talks to the embedded Redis of
 * a running claimsd through DATA_DIR/redis.sock. Prints {"token", "token_id",
 * "role"} once; only the token's hash is stored.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "codec/codes.h"
#include "queue/enrollment.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"
#include "queue/tokens.h"

static int usage(void)
{
    fprintf(stderr, "usage: claimsd token create --role member|provider|staff|admin "
                    "[--member-id ID] [--npi NPI] [--config FILE] [--redis URL] [--data-dir DIR]\n"
                    "       [--redis-cluster HOST:PORT[,HOST:PORT...]]\n");
    return 2;
}

/* What `claimsd token create` was asked for, from its command line. */
struct token_args {
    struct config cfg;
    const char *role;
    const char *member_id;
    const char *npi;
};

/* Reads the options after "create" into *a; returns 0, or the exit status to stop with. */
static int parse_token_args(int argc, char **argv, struct token_args *a)
{
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {"member-id", required_argument, NULL, 'm'},
        {"npi", required_argument, NULL, 'n'},
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, 'R'},
        {"data-dir", required_argument, NULL, 'd'},
        {"redis-cluster", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    optind = 3;
    int c;
    char err[CONFIG_ERR_LEN];
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->role = optarg; break;
        case 'm': a->member_id = optarg; break;
        case 'n': a->npi = optarg; break;
        case 'c':
            if (config_load_file(&a->cfg, optarg, err) != 0) {
                fprintf(stderr, "claimsd: %s\n", err);
                return 2;
            }
            break;
        case 'R':
            snprintf(a->cfg.redis_url, sizeof a->cfg.redis_url, "%s", optarg);
            a->cfg.redis_cluster[0] = '\0';
            break;
        case 'C':
            if (config_set_redis_cluster(&a->cfg, optarg) != 0) {
                fprintf(stderr, "claimsd: --redis-cluster must be HOST:PORT[,HOST:PORT...]\n");
                return 2;
            }
            a->cfg.redis_url[0] = '\0';
            break;
        case 'd': snprintf(a->cfg.data_dir, sizeof a->cfg.data_dir, "%s", optarg); break;
        default: return usage();
        }
    }
    return 0;
}

/* Checks the role and that --member-id and --npi go with it; returns 0 or the exit status. */
static int check_token_role(const struct token_args *a)
{
    const char *role = a->role, *member_id = a->member_id, *npi = a->npi;
    if (!role || (strcmp(role, "member") && strcmp(role, "provider") && strcmp(role, "staff") &&
                  strcmp(role, "admin")))
        return usage();
    if ((strcmp(role, "member") == 0) != (member_id[0] != '\0')) {
        fprintf(stderr, "claimsd: --member-id is required for, and only for, a member token\n");
        return 2;
    }
    if ((strcmp(role, "provider") == 0) != (npi[0] != '\0') ||
        (npi[0] && !codec_npi_valid(npi, strlen(npi)))) {
        fprintf(stderr, "claimsd: a provider token needs a valid --npi (and only it)\n");
        return 2;
    }
    return 0;
}

/* Redis's address: --redis-cluster, --redis, else the embedded one's socket; returns 0 or
 * the exit status. */
static int token_redis_address(const struct config *cfg, struct redis_address *addr)
{
    if (cfg->redis_cluster[0]) {
        if (queue_redis_cluster_address_parse(cfg->redis_cluster, addr) != 0) {
            fprintf(stderr, "claimsd: --redis-cluster must be HOST:PORT[,HOST:PORT...]\n");
            return 2;
        }
        return 0;
    }
    if (cfg->redis_url[0]) {
        if (queue_redis_address_parse(cfg->redis_url, addr) != 0) {
            fprintf(stderr, "claimsd: --redis must be redis://host:port[/db] or unix:/path\n");
            return 2;
        }
        return 0;
    }
    memset(addr, 0, sizeof *addr);
    addr->is_unix = true;
    int n = snprintf(addr->path, sizeof addr->path, "%s/redis.sock", cfg->data_dir);
    if (n < 0 || (size_t)n >= sizeof addr->path) {
        fprintf(stderr, "claimsd: --data-dir is too long\n");
        return 2;
    }
    return 0;
}

/* Stores the token through rc (then closed) and prints it once; returns the exit status. */
static int create_token(struct rlink *rc, const struct token_args *a)
{
    const char *prefix = a->cfg.key_prefix;
    if (a->member_id[0]) {
        bool known =
            queue_record_exists_blocking(rc, prefix, QUEUE_RECORD_MEMBER, a->member_id) == 1;
        if (!known) {
            fprintf(stderr, "claimsd: no such member\n");
            queue_rlink_close(rc);
            return 1;
        }
    }
    char token[TOKEN_TEXT_LEN], token_id[37];
    int status =
        queue_tokens_create_blocking(rc, prefix, a->role, a->member_id, a->npi, token, token_id);
    queue_rlink_close(rc);
    if (status != 0) {
        fprintf(stderr, "claimsd: Redis refused the write\n");
        return 1;
    }
    printf("{\"token\":\"%s\",\"token_id\":\"%s\",\"role\":\"%s\"}\n", token, token_id, a->role);
    memset(token, 0, sizeof token);
    return 0;
}

int server_cli_token(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "create") != 0)
        return usage();
    struct token_args a = {.role = NULL, .member_id = "", .npi = ""};
    config_defaults(&a.cfg);
    int status = parse_token_args(argc, argv, &a);
    if (status == 0)
        status = check_token_role(&a);
    if (status != 0)
        return status;
    struct redis_address addr;
    status = token_redis_address(&a.cfg, &addr);
    if (status != 0)
        return status;
    struct rlink *rc = queue_rlink_connect(&addr, a.cfg.redis_timeout_ms);
    if (!rc) {
        fprintf(stderr, "claimsd: cannot reach Redis "
                        "(is claimsd running on this data directory?)\n");
        return 1;
    }
    return create_token(rc, &a);
}
