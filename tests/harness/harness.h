/*
 * Test harness: real processes, real sockets.
 *
 * test_redis_*   a private redis-server on a free port in a temporary folder,
 *                always stopped (also if the test binary dies: it gets SIGTERM).
 * test_claimsd_* the built claimsd (CLAIMSD_BIN) on a free port, its stderr in a
 *                log file the test can read.
 * test_http      one HTTP request through libcurl.
 */
#ifndef CLAIMS_TEST_HARNESS_H
#define CLAIMS_TEST_HARNESS_H

#include <check.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "date.h"
#include "queue/status.h"

struct test_redis {
    pid_t pid;
    int port;
    char dir[256];
    char url[300];
};

/* Starts redis-server on a free port; aborts the test binary on failure. */
void test_redis_start(struct test_redis *r);
/* Starts it again on the same port and folder (after test_redis_stop). */
void test_redis_restart(struct test_redis *r);
void test_redis_stop(struct test_redis *r);
/* A blocking connection to it; the caller frees with redisFree. */
redisContext *test_redis_connect(const struct test_redis *r);
/* FLUSHALL, between tests. */
void test_redis_flush(const struct test_redis *r);

struct test_claimsd {
    const char *bin; /* the program to run; NULL: $CLAIMSD_BIN */
    pid_t pid;
    int port;
    char dir[256]; /* temporary folder: log, config, data */
    char log_path[300];
    char base_url[64];
};

/* When > 0, every claimsd the harness starts gets this `shards` count (a
 * config read after the test's own). Tests that read or write Redis keys by
 * their one-shard names (`{c}...`) set it to 1 in main(); the others run on
 * claimsd's default layout (16 shards for a new data set). */
extern int test_claimsd_shards;

/* Starts claimsd with --listen 127.0.0.1:0 plus args (NULL-terminated, may be
 * NULL) and extra environment entries "NAME=value" (NULL-terminated, may be
 * NULL); waits until it logs the port it listens on. Returns 0, or -1 if it
 * exited or did not listen within 15 s (its exit status in *exit_status when
 * it exited, if exit_status is not NULL). */
int test_claimsd_start(struct test_claimsd *d, const char *const args[], const char *const env[],
                       int *exit_status);
/* Sends sig and waits up to 30 s; returns the exit status (128+signal if it
 * was killed by one), or -1 if it had to be killed. */
int test_claimsd_stop(struct test_claimsd *d, int sig);
/* Waits up to timeout_ms for the process to exit on its own; returns its
 * exit status or -1 if it is still running. */
int test_claimsd_wait(struct test_claimsd *d, int timeout_ms);
/* The whole log so far (malloc'd; caller frees). */
char *test_claimsd_log(const struct test_claimsd *d);
/* Writes text to <dir>/<name> and returns the path (static buffer per call slot). */
const char *test_write_file(const char *dir, const char *name, const char *text);
/* A fresh temporary folder under /tmp. */
void test_make_temp_dir(char out[256], const char *tag);
void test_remove_tree(const char *dir);

struct test_response {
    long status;
    char *body; /* NUL-terminated; caller frees with test_response_free */
    size_t body_len;
    char *headers; /* raw header block of the final response */
};

/* method, url, NULL-terminated list of "Name: value" headers (may be NULL),
 * body (may be NULL). Returns 0, or -1 if the request could not be made. */
int test_http(const char *method, const char *url, const char *const headers[], const char *body,
              struct test_response *res);
/* The value of a response header (case-insensitive name) into buf; false if absent. */
bool test_response_header(const struct test_response *res, const char *name, char *buf,
                          size_t size);
void test_response_free(struct test_response *res);

/* Runs argv (execvp) with env entries added ("NAME=value", NULL-terminated, may be NULL), its
 * stdout and stderr appended to out_path (NULL: /dev/null), in a process group of its own when
 * own_group; the child dies with the test binary (PR_SET_PDEATHSIG). Returns its pid. */
pid_t test_spawn(const char *const argv[], const char *const env[], const char *out_path,
                 bool own_group);
/* Whether a redis-server answers PING on 127.0.0.1:port within timeout_ms. */
bool test_redis_pings(int port, int timeout_ms);

/* A free TCP port on 127.0.0.1 (bound and released). */
int test_free_port(void);
void test_sleep_ms(int ms);

/* ---- the claimsd API, for end-to-end tests ---- */

/* One API call: method, path (appended to d->base_url), bearer token (NULL:
 * none), JSON body (NULL: none; sent with Content-Type application/json) and
 * one extra header line (NULL: none). Aborts the test if no answer came. */
void test_api(const struct test_claimsd *d, const char *method, const char *path, const char *token,
              const char *body, const char *extra_header, struct test_response *res);
/* A string at a dotted path in a JSON text ("error.fields.0.field"); a
 * buffer of 8 rotating slots per thread, "" when absent. Numbers come as
 * their text. */
const char *test_json_str(const char *json, const char *path);
/* Number of elements of the array at path, -1 when absent. */
int test_json_len(const char *json, const char *path);
/* The contents of a file under the source tree (CLAIMS_CONFIG_DIR/..);
 * malloc'd, caller frees. */
char *test_read_source(const char *relative_path);

/* ---- a claimsd with a bootstrap admin token, for end-to-end tests ---- */

/* Resets d ($CLAIMSD_BIN, a new folder) and starts claimsd with
 * "--redis redis_url", a --config of {"rate_limits": null} (no rate limits;
 * a --config in extra_args is read after it and overrides it) and
 * extra_args (NULL-terminated, may be NULL; at most 9) and
 * CLAIMSD_BOOTSTRAP_ADMIN_TOKEN=admin. Exits the test binary (2) when
 * it does not start. */
void test_claimsd_start_admin(struct test_claimsd *d, const char *redis_url, const char *admin,
                              const char *const extra_args[]);
/* Stops d with SIGTERM at teardown: a clean stop exits 0 (a sanitizer's
 * leak report would not), else its log is printed and the test binary exits
 * 1. Then d's folder is removed. */
void test_claimsd_stop_clean(struct test_claimsd *d);
/* POST /v1/tokens with the JSON body as admin; the new token's text into
 * out. Exits the test binary (2) unless it is answered 201. */
void test_create_token(const struct test_claimsd *d, const char *admin, const char *body,
                       char out[80]);
/* PUT /v1/<kind>/<id> of config/sample/<kind>/<id>.json as admin. Exits the
 * test binary (2) unless it is answered 200 or 201. */
void test_put_sample_record(const struct test_claimsd *d, const char *admin, const char *kind,
                            const char *id);

/* PUTs as admin the sample plan PPO-500, then each group of `groups` and each member of
 * `members` (ids separated by spaces, in that order; either may be "") from config/sample, as
 * test_put_sample_record. */
void test_put_sample_enrollment(const struct test_claimsd *d, const char *admin, const char *groups,
                                const char *members);

/* PUT /v1/plans/PPO-500 as admin: the sample plan (config/sample) with a review threshold of
 * 300.00; fails the running test unless it is answered 201; returns the answer's body (malloc'd,
 * the caller frees). */
char *test_put_review_plan(const struct test_claimsd *d, const char *admin);

/* ---- queue/ against the test redis-server ---- */

struct event_base;
struct rconn;

/* A connection of queue/redis_conn.h to r on base, connected (base's loop
 * runs until it is, up to about 1 s; the running test fails if it is not).
 * The caller frees it with queue_rconn_free before freeing base. */
struct rconn *test_rconn_connect(struct event_base *base, const struct test_redis *r);
/* The integer answer of a blocking command (redisCommand's format and
 * arguments), -1 when the answer is not an integer; the running test fails
 * when there is no answer. */
long long test_redis_int(redisContext *c, const char *fmt, ...);

/* ---- a local Redis Cluster (tests/harness/cluster.c) ---- */

#define TEST_CLUSTER_MASTERS 3
#define TEST_CLUSTER_NODES 6

struct test_cluster {
    char dir[256];
    int n; /* 3 masters, or 3 masters and 3 replicas */
    int port[TEST_CLUSTER_NODES];
    pid_t pid[TEST_CLUSTER_NODES]; /* -1 once killed */
    char id[TEST_CLUSTER_NODES][64];
};

/* Three masters made by redis-cli --cluster create (slots 0-5460,
 * 5461-10922, 10923-16383 in port order), with a replica each when asked;
 * returns once every node says cluster_state:ok and each replica has
 * acknowledged a write to its master (WAIT). The nodes die with the test binary; the test fails
 * when it cannot. */
void test_cluster_start(struct test_cluster *rc, bool replicas);
/* SIGKILLs every node and removes the folder. */
void test_cluster_stop(struct test_cluster *rc);
/* A command on node i (redisCommand's format); the reply as text (status,
 * string, or error with a leading '-'), or its integer. */
void test_cluster_cmd(const struct test_cluster *rc, int i, char *out, size_t size, const char *fmt,
                      ...);
/* The node listening on port. */
int test_cluster_index_of_port(const struct test_cluster *rc, int port);
/* The node that replicates master m. */
int test_cluster_replica_of(const struct test_cluster *rc, int m);
/* "127.0.0.1:port,..." of every node still running: claimsd's --redis-cluster. */
void test_cluster_seeds(const struct test_cluster *rc, char *out, size_t size);
/* The node that is master of slot now (CLUSTER SLOTS of a running node). */
int test_cluster_master_of_slot(const struct test_cluster *rc, int slot);
/* A blocking connection to node i (5 s timeout); the caller frees it with
 * redisFree. The test fails when it cannot connect. */
redisContext *test_cluster_connect(const struct test_cluster *rc, int i);
/* A command (fmt, with key and then arg as its two arguments) on the master that holds key now
 * (CLUSTER SLOTS); the reply as text, as test_cluster_cmd. */
void test_cluster_on_key_master(const struct test_cluster *rc, const char *key, char *out,
                                size_t size, const char *fmt, const char *arg);
/* Resets d and starts claimsd with "--redis-cluster seeds --config config" and extra
 * (NULL-terminated, may be NULL; at most 10) and env (as test_claimsd_start); exits the test
 * binary (2), its log on stderr, when it does not start. */
void test_claimsd_start_on_cluster(struct test_claimsd *d, const char *seeds, const char *config,
                                   const char *const extra[], const char *const env[]);
/* SIGKILLs node i and waits for it; its pid becomes -1, so it is no longer
 * a seed nor asked by the other test_cluster_* calls. */
void test_cluster_kill(struct test_cluster *rc, int i);
/* Waits up to timeout_ms until every running node says cluster_state:ok;
 * false when one still does not. */
bool test_cluster_wait_ok(const struct test_cluster *rc, int timeout_ms);
/* How many slots master m holds now (CLUSTER SLOTS of a running node), how
 * many of them are at most `upto` (when at_most_upto is not NULL) and its
 * lowest slot (when lowest is not NULL; -1 when it holds none). */
int test_cluster_slots_of(const struct test_cluster *rc, int m, int upto, int *at_most_upto,
                          int *lowest);
/* Moves the first `slots` slots (in slot order) of master `from` to master
 * `to` with `redis-cli --cluster reshard`, the keys by MIGRATE `pipeline` at
 * a time (0: redis-cli's default, 10), so that clients meet ASK and TRYAGAIN
 * meanwhile; returns redis-cli's exit status (its output is appended to
 * <dir>/reshard.out). */
int test_cluster_reshard(const struct test_cluster *rc, int from, int to, int slots, int pipeline);
/* The last `max` bytes of a file under the cluster's folder (malloc'd,
 * caller frees; "" when absent): a failed redis-cli's output. */
char *test_cluster_file_tail(const struct test_cluster *rc, const char *name, size_t max);

/* ---- helpers the suites share (tests/harness/shared.c): one home each ---- */

/* The date a "YYYY-MM-DD" literal names; fails the running test on a bad one. */
date_t test_date(const char *text);
/* d as "YYYY-MM-DD" in one of four rotating static buffers (up to four in one expression). */
const char *test_date_text(date_t d);
/* The date n days before today (date_today, the plan's zone) as "YYYY-MM-DD" into out; returns
 * out. */
char *test_days_ago(int n, char out[16]);
/* One API call to d (as test_api, no extra header); returns only the answer's status. */
long test_status(const struct test_claimsd *d, const char *method, const char *path,
                 const char *token, const char *body);
/* One API call to d that fails the running test unless it is answered `want`; returns the
 * answer's body (malloc'd, the caller frees). */
char *test_call(const struct test_claimsd *d, const char *method, const char *path,
                const char *token, const char *body, long want);
/* One API call to d that must be answered 422 validation_failed naming exactly one field, `field`,
 * with `problem`; the running test fails otherwise. */
void test_assert_422(const struct test_claimsd *d, const char *method, const char *path,
                     const char *token, const char *body, const char *field, const char *problem);
/* POST /v1/claims of body with token to d; fails the running test unless it is answered 202,
 * and copies the new claim's id into id. */
void test_submit_claim(const struct test_claimsd *d, const char *token, const char *body,
                       char id[64]);
/* Reads GET /v1/claims/{id} with token every 20 ms until it is answered 200 with a status among
 * `statuses` ("approved|denied"); returns that body (malloc'd, the caller frees). Fails the
 * running test when timeout_ms passes first. */
char *test_wait_claim(const struct test_claimsd *d, const char *token, const char *id,
                      const char *statuses, int timeout_ms);
/* Reads GET /v1/claims/{id}/eob with token every 20 ms until it is answered 200 with a "version"
 * of `version`; returns that body (malloc'd, the caller frees). Fails the running test when 20 s
 * pass first. */
char *test_wait_eob_version(const struct test_claimsd *d, const char *token, const char *id,
                            int version);
/* Set-up of an end-to-end suite: starts r (test_redis_start), then d on it as
 * test_claimsd_start_admin(d, r->url, admin, extra_args) does. */
void test_start_redis_and_claimsd(struct test_redis *r, struct test_claimsd *d, const char *admin,
                                  const char *const extra_args[]);
/* Teardown of an end-to-end suite: stops d cleanly (test_claimsd_stop_clean), then r, and
 * removes r's folder. */
void test_stop_claimsd_and_redis(struct test_claimsd *d, struct test_redis *r);

/* A medical claim body of one in-network lab line (80053, $20.00, diagnosis E11.9) for the
 * patient named, last name Lopez; malloc'd, the caller frees. */
char *test_lab_claim(const char *member, const char *first, const char *birth,
                     const char *service_date);
/* PUT /v1/members/M1001 as admin: the sample employee (config/sample) with the coverage span(s)
 * given as JSON; fails the running test unless it is answered 200. */
void test_put_employee(const struct test_claimsd *d, const char *admin, const char *span);

/* The value of a metric line "<name_and_labels> <value>" of d's GET /metrics (which must answer
 * 200); -1 when there is no such line. */
long long test_metric(const struct test_claimsd *d, const char *name_and_labels);
/* The resident set size of process pid in KiB (VmRSS of /proc/<pid>/status); fails the running
 * test when it cannot be read. */
long test_vm_rss_kib(pid_t pid);

/* What an asynchronous queue/ call answered: test_on_status's arg. */
struct test_status_answer {
    int done;
    enum queue_status status;
};
/* A queue_status_cb that stores the status in the struct test_status_answer arg and counts. */
void test_on_status(enum queue_status status, void *arg);
/* Runs base's loop until *done (at most 1000 turns); fails the running test when the call did
 * not answer. */
void test_run_until(struct event_base *base, const int *done);

/* Writes a claimsd config {"seed_dir": "$CLAIMS_CONFIG_DIR/sample", <settings>} to <dir>/<name>,
 * the settings (JSON members, without the braces) formatted from fmt as printf does; the file's
 * path into out (size bytes), which is returned. */
const char *test_sample_config(char *out, size_t size, const char *dir, const char *name,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct config;
/* Loads text as a config file (in a temporary folder, removed after) over config_defaults into
 * cfg; returns config_load_file's 0, or -1 with the message in err (CONFIG_ERR_LEN bytes). */
int test_load_config(const char *text, struct config *cfg, char *err);

/* Starts d (as test_claimsd_start, d's fields as the caller set them) with args and env; when it
 * does not start, prints "claimsd did not start<what>:" and its log on stderr and exits the test
 * binary (2). what may be "" or e.g. " on the cluster". */
void test_claimsd_start_or_exit(struct test_claimsd *d, const char *const args[],
                                const char *const env[], const char *what);

/* A pharmacy claim body for the patient member (first last, born birth) at Corner Drug #12 (NPI
 * 1245319599, in network): ndc, "Test drug", 30 for 30 days, filled on fill_date for charge (a
 * JSON number's text), then extra (JSON members starting with ',', or NULL); malloc'd, the
 * caller frees. */
char *test_pharmacy_claim(const char *member, const char *first, const char *last,
                          const char *birth, const char *fill_date, const char *ndc,
                          const char *charge, const char *extra);
/* test_pharmacy_claim of Ana (M1001-02, Lopez, born 2015-06-10), NDC 0071-0155-23. */
char *test_ana_pharmacy_claim(const char *fill_date, const char *charge);
/* PUT /v1/members/<id> as admin: an employee named first last, born birth ("YYYY-MM-DD"), in FL,
 * of group G100 with plan PPO-500 since 2020-01-01, ended as `ending` says (the span's
 * termination_event and termination_reported_on members as JSON text; NULL: open-ended), a
 * family of its own; fails the running test unless it is answered want (0: 200 or 201). */
void test_put_g100_employee(const struct test_claimsd *d, const char *admin, const char *id,
                            const char *first, const char *last, const char *birth,
                            const char *ending, long want);
/* How many entries of a claim's "history" (a GET /v1/claims/{id} body) are final decisions
 * (approved or denied). */
int test_finals_in_history(const char *claim);
/* A money amount at a dotted path of a JSON text ("12.34" or 12.34) in cents, rounded to the
 * nearest cent; 0 when absent. */
long test_cents(const char *json, const char *path);
/* The sum in cents of the amounts of the decision.codes of a claim body whose carc is `carc`. */
long test_carc_cents(const char *claim, const char *carc);

/* The answer of a blocking command (redisCommand's format and arguments) must not be an
 * error; the running test fails (naming the error) when it is or when there is no answer. */
void test_redis_ok(redisContext *c, const char *fmt, ...);
/* The string answer of a blocking command into out ("" when it is not a string: nil, an
 * integer, an error); the running test fails when there is no answer. */
void test_redis_text(redisContext *c, char *out, size_t size, const char *fmt, ...);

/* A queue/ test's connections to the test redis-server: an event base, a queue/ connection on
 * it (test_rconn_connect) and a blocking one. */
struct test_queue {
    struct event_base *base;
    struct rconn *rc;
    redisContext *c;
    int shards; /* what test_queue_open set queue/'s shard count to; 0: left as it was */
};
/* Flushes r, sets queue/'s shard count to shards when it is > 0 (the running test fails when it
 * is refused) and opens q's connections to r. */
void test_queue_open(struct test_queue *q, const struct test_redis *r, int shards);
/* Closes q's connections; puts queue/'s shard count back to 1 when test_queue_open set it (the
 * running test fails when that is refused). */
void test_queue_close(struct test_queue *q);

/* What queue_webhook_fanout answered: test_on_fanout's arg. */
struct test_fanout_answer {
    int done;
    enum queue_status status;
    long long read, made;
};
/* A queue_fanout_cb that stores the answer in the struct test_fanout_answer arg and counts. */
void test_on_fanout(enum queue_status status, long long read, long long made, const char *error,
                    void *arg);

struct queue_family;
/* What queue_family_read answered (up to 4 members; "-" for an absent record, group or added
 * record): test_on_family's arg. */
struct test_family_answer {
    int done;
    enum queue_status status;
    size_t n;
    char ids[4][16];
    char records[4][64];
    char group[64], added[64];
};
/* A queue_family_cb that copies the family into the struct test_family_answer arg and counts. */
void test_on_family(enum queue_status status, const struct queue_family *fam, void *arg);

/* The next number (its high 31 bits) of a 64-bit linear congruential generator whose state is
 * *state: a model check's random choices, replayed from the same seed. */
unsigned test_rng(unsigned long long *state);
/* Whether score is at or after a ZRANGEBYSCORE lower bound: "-inf", "(<n>" (after n) or "<n>"
 * (n or after); a shard model's answer to the scripts' bound. */
bool test_after_bound(long long score, const char *bound);

/* Runs every test of s in fork mode (CK_FORK_GETENV: as $CK_FORK says, or
 * CK_NOFORK) with Check's normal output, frees the runner and returns how
 * many tests failed. */
int test_run_suite(Suite *s, enum fork_status fork);

/* Says on stderr that a test could not check anything where it runs
 * ("SKIPPED: <test>: <why>"): Check has no skipped state, so the test then
 * passes, and scripts/run-tests.sh lists these lines at the end of the run
 * so that a skip is never taken for a pass. */
void test_skipped(const char *test, const char *why);

/* The date n business days after `from` (both "YYYY-MM-DD"), worked out
 * for tests without the product's calendar: a day-by-day walk that skips
 * Saturdays, Sundays and a literal table of the US federal holidays as
 * observed in 2025-2031 (written out by hand, RULES.md § 9). Writes out
 * and returns it; fails the test for a walk outside the table's years. */
const char *test_business_days_after(const char *from, int n, char out[11]);

#endif
