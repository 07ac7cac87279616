/*
 * The adjudication worker's Redis steps (DESIGN.md "Redis layout",
 * docs/operations.md "Adjudication workers"): read a batch of work entries,
 * load the facts of a batch in one pipelined round trip (and its duplicate
 * fingerprints in a second), commit a batch of decisions pipelined, take
 * over stalled entries and dead-letter the ones that keep failing.
 *
 * Key formats and script argument layouts stay in queue/; callers pass and
 * receive plain structs and text. Every function here works on one
 * worker's blocking connection (struct work_conn), never shared between
 * threads.
 */
#ifndef CLAIMS_QUEUE_WORK_H
#define CLAIMS_QUEUE_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "queue/redis_conn.h"
#include "queue/rlink.h"

#define WORK_MAX_BATCH 64
/* Plan years loaded per claim: every line can fall in a year of its own
 * (a claim has at most MAX_LINES lines), so this is no limit on a claim. */
#define WORK_MAX_YEARS MAX_LINES
#define WORK_FP_LEN 48 /* a duplicate fingerprint's text and its NUL */
#define WORK_MAX_FPS (MAX_LINES * 2)
#define WORK_VERSION_LEN 64 /* "<commit count>:<claim id>" */
#define WORK_ENTRY_ID_LEN 48

/* One work stream entry: a claim to decide and the hints intake stored
 * with it (the member's subscriber, group and plan at receipt, the plan
 * years of its lines). */
struct work_item {
    int shard; /* the shard whose work stream holds the entry: the claim's */
    char entry_id[WORK_ENTRY_ID_LEN];
    char claim_id[CLAIM_ID_LEN];
    char member_id[ID_LEN];
    char subscriber_id[ID_LEN]; /* the member itself when the hint is empty */
    char group_id[ID_LEN];
    char plan_id[ID_LEN];
    /* A grandchild's parent (§ I): not a stream hint; set by the worker from
     * the patient's record, then loaded with the rest. "" when none. */
    char parent_id[ID_LEN];
    int years[WORK_MAX_YEARS];
    int n_years;
    bool expired; /* requeued by the pend sweep: decide as expired */
    /* A family re-decision job (queue/corrections.h), not a claim to decide:
     * claim_id names the claim whose void, replacement or recovery queued it,
     * subscriber_id the family, years the plan years to re-decide. */
    bool redecide;
};

/* Deductible and out-of-pocket met, in cents, indexed by network (0 in, 1 out). */
struct work_accumulators {
    int year;
    int64_t family_deductible[2], family_oop[2];
    int64_t member_deductible[2], member_oop[2];
};

enum work_load_state {
    WORK_LOADED,
    WORK_GONE,  /* the claim record does not exist */
    WORK_FINAL, /* already approved or denied: acknowledge the entry */
    WORK_RETRY, /* the script was not loaded in Redis: load again */
    WORK_ERROR, /* Redis refused the step, or no memory for its reply: left pending
                   (redelivered, then dead-lettered) */
};

/* What Redis holds for one claim, as text (parsed by the caller). */
struct work_facts {
    enum work_load_state state;
    char status[16];
    int eob_version;   /* EOB versions stored so far */
    char received[16]; /* YYYY-MM-DD */
    char target[16];
    char *submission; /* the claim as accepted (JSON); owned */
    char *review;     /* the reviewer's decision stored with the claim (JSON) or NULL; owned */
    char *patient;    /* member records, group and plan (JSON) or NULL; owned */
    char *subscriber;
    char *parent; /* item parent_id's record, when the item names one */
    char *group;
    char *plan;
    struct work_accumulators acc[WORK_MAX_YEARS]; /* one per item year, same order */
    int n_acc;
    char version[WORK_VERSION_LEN]; /* the family's version these facts were read at */
};

/* A worker's connection. */
struct work_conn;

/* Connects (timeout_ms for connect and each command, on top of a blocking
 * read's own wait), makes sure the consumer group exists and the worker's
 * scripts are loaded. Returns NULL (logged) on failure; free with
 * queue_work_close. */
struct work_conn *queue_work_connect(const struct redis_address *addr, int timeout_ms,
                                     const char *key_prefix, const char *consumer);
/* Closes the connection and frees it; NULL is a no-op. */
void queue_work_close(struct work_conn *wc);
/* The connection (queue/rlink.h) and key prefix, for the other blocking
 * steps of queue/ (queue/corrections.c); borrowed. */
struct rlink *queue_work_link(struct work_conn *wc);
/* The key prefix the connection was made with; borrowed. */
const char *queue_work_prefix(const struct work_conn *wc);
/* Whether the connection failed; the caller closes it and connects again. */
bool queue_work_broken(const struct work_conn *wc);

/*
 * The next entries for this consumer, at most max: first the ones Redis
 * delivered to this consumer before a reconnect (its own pending entries,
 * read once after each connect), then new ones, waiting up to block_ms when
 * there are none. Returns how many were written to items (0 when the wait
 * ended empty), or -1 when the connection failed.
 */
int queue_next_batch(struct work_conn *wc, struct work_item *items, int max, int block_ms);

/*
 * Loads the facts of n claims in one pipelined round trip: for each, takes
 * the claim (status processing, a history entry) and reads its record,
 * member, subscriber, group, plan, a grandchild's parent (when the item names
 * one), the family's accumulators for each of
 * its years and the family version. Adds the bytes of the replies to
 * *bytes_read. Returns 0, or -1 when the connection failed (out[] then
 * holds nothing to free).
 */
int queue_load_facts(struct work_conn *wc, const struct work_item *items, int n,
                     struct work_facts *out, uint64_t *bytes_read);
/* Frees the texts queue_load_facts copied into f and clears them; safe to call twice. */
void queue_work_facts_free(struct work_facts *f);

/* The duplicate fingerprints one claim looks up, and what Redis holds. */
struct work_fp_lookup {
    int shard; /* the claim's (its family's) shard: work_item.shard */
    const char *member_id;
    const char (*fps)[WORK_FP_LEN];
    int n;
    char (*holders)[CLAIM_ID_LEN]; /* out: the claim id holding fps[i], or "" */
};

/* One HMGET per claim on the member's fingerprint hash, all pipelined.
 * Adds the bytes read to *bytes_read. Returns 0 or -1 (connection failed). */
int queue_lookup_fingerprints(struct work_conn *wc, struct work_fp_lookup *lookups, int n,
                              uint64_t *bytes_read);

/* What one approved claim adds to a year's accumulators in one network tier. */
struct work_acc_delta {
    int year;
    int network; /* 0 in, 1 out */
    int64_t deductible, oop;
};

/* One decision to commit. Text fields are JSON; NULL where none. The
 * decision (with pending) and the EOB are stored packed (common/packed.h). */
struct work_commit {
    const struct work_item *item;
    const char *expected_version; /* the family version the facts were read at */
    const char *status;           /* approved, denied, pended or in_review */
    const char *decision;
    const char *pending;    /* pended only */
    const char *eob;        /* final only */
    const char *submission; /* the claim as accepted (JSON): a final claim's is packed */
    int eob_version;        /* the version it becomes: the facts' eob_version + 1 */
    const char *audit;
    bool final;
    bool in_review; /* waits for staff review (not final, not pended) */
    bool within_target;
    int pend_deadline_day;
    const struct work_acc_delta *deltas;
    int n_deltas;
    const char (*store)[WORK_FP_LEN]; /* fingerprints of the lines kept */
    int n_store;
    const char (*drop)[WORK_FP_LEN]; /* fingerprints of the lines denied */
    int n_drop;
    /* A final claim's payment (queue/remit.h): to the provider of this NPI
     * (provider_payee) or to the member, plan_paid cents. */
    bool provider_payee;
    const char *payee_npi;
    int64_t plan_paid;
};

enum work_commit_result {
    WORK_COMMIT_OK,
    WORK_COMMIT_FINAL, /* already committed (a redelivery): acknowledged */
    WORK_COMMIT_STALE, /* the family moved on: decide again on fresh facts */
    WORK_COMMIT_ERROR, /* refused or not sent: left pending */
};

/*
 * Commits n decisions: every commit script call is sent, then every reply
 * read. Each call is atomic on its own and refuses a claim already final and
 * facts read at another family version. Returns 0, or -1 when the
 * connection failed (results[] then says ERROR for the unanswered ones).
 */
int queue_commit(struct work_conn *wc, const struct work_commit *commits, int n,
                 enum work_commit_result *results);

/* The family version after a commit of claim_id on facts read at version
 * `from` ("<count + 1>:<claim id>"): a later claim of the same family decided
 * on the same facts plus this one's expects it, and it can only be there if
 * this very commit happened. */
void queue_version_after(const char *from, const char *claim_id, char out[WORK_VERSION_LEN]);

/* Acknowledges and deletes one entry (its claim is gone or final). */
void queue_ack(struct work_conn *wc, const struct work_item *e);

/*
 * Entries held longer than idle_ms by a silent consumer: the ones delivered
 * max_deliveries times or more go to the dead-letter stream (their claim ids
 * are written to dead[], at most max, *n_dead set), the rest (at most max)
 * are taken over by this consumer and written to items. Every shard's
 * stream is looked at. Returns how many were taken over, or -1 when the
 * connection failed.
 */
int queue_recover_stalled(struct work_conn *wc, int idle_ms, int max_deliveries,
                          struct work_item *items, int max, char (*dead)[CLAIM_ID_LEN],
                          int *n_dead);

/* ---- on the event loop ---- */

/* Called once with how many claims were requeued, or -1 when Redis failed. */
typedef void (*work_expired_cb)(long long requeued, void *arg);

/* Requeues the pended claims whose information deadline (a day number) is
 * before today_day, at most max, as entries marked expired: the workers
 * deny what is still missing (RULES.md § 4, § 6). Returns 0 (done will be
 * called once) or -1 (nothing sent; done is not called). */
int queue_expire_pended(struct rconn *rc, const char *key_prefix, int today_day, int max,
                        work_expired_cb done, void *arg);

#endif
