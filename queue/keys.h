/*
 * The Redis key layout (DESIGN.md "Redis layout"); every key name is built
 * from these formats, inside queue/ only (scripts/lint-layers.sh checks that
 * nothing else includes this file). All keys start with the configured
 * prefix.
 *
 * Hash tags: every key that a claim's atomic steps touch together (claim
 * record, idempotency key, work stream, SLA and pended sets, search indexes,
 * accumulators, family version) carries the tag CLAIMS_TAG, so each script
 * touches one slot and runs unchanged on Redis Cluster. Today that is one
 * shard; docs/operations.md says how it splits into family-hashed shards.
 * Enrollment records and tokens are read outside scripts and carry no tag.
 */
#ifndef CLAIMS_KEYS_H
#define CLAIMS_KEYS_H

#include <stddef.h>

#define CLAIMS_TAG "{c}"
#define KEY_LEN 512

/* Unsharded keys. */
#define KEYF_TOKEN "%stoken:%s"       /* prefix, sha256 hex: hash */
#define KEYF_TOKEN_ID "%stoken_id:%s" /* prefix, token id: string (the hash) */
/* Pub/sub channels of the token cache (queue/token_sub.c): the hashes of revoked
 * tokens, and each process's own heartbeat channel (prefix, random id). */
#define CHANF_TOKEN_REVOKED "%stoken-revoked"
#define CHANF_TOKEN_HEARTBEAT "%stoken-revoked:hb:%s"
#define KEYF_GROUP "%sgroup:%s"            /* prefix, group id: canonical JSON */
#define KEYF_MEMBER "%smember:%s"          /* prefix, member id: canonical JSON */
#define KEYF_PLAN "%splan:%s"              /* prefix, plan id: canonical JSON */
#define KEYF_FAMILY "%sfamily:%s"          /* prefix, subscriber id: set of member ids */
#define KEYF_AUDIT "%s" CLAIMS_TAG "audit" /* prefix: stream of every audit record */
#define KEYF_SEEDED "%sseeded"             /* prefix: set once the sample enrollment was loaded */
#define KEYF_SHARDS "%sshards"             /* prefix: the claims shard count of the data */
#define KEYF_X12 "%sx12:%s" /* prefix, sha256(sender, ISA13): "P" or "A"+answer (queue/x12.h) */

/* Keys of the claims shard. */
#define KEYF_CLAIM "%s" CLAIMS_TAG "claim:%s" /* prefix, claim id: hash */
#define KEYF_CLAIM_AUDIT                                                                           \
    "%s" CLAIMS_TAG "caudit:%s"              /* prefix, claim id: list of audit stream entry ids */
#define KEYF_BODY "%s" CLAIMS_TAG "body:%s"  /* prefix, claim id: the submission (JSON) */
#define KEYF_DEC "%s" CLAIMS_TAG "dec:%s"    /* prefix, claim id: packed {"decision", "pending"} */
#define KEYF_EOB "%s" CLAIMS_TAG "eob:%s:%d" /* prefix, claim id, version: packed EOB record */
#define KEYF_MREF                                                                                  \
    "%s" CLAIMS_TAG "mref:%s" /* prefix, member id: subscriber_id, group_id, plan_id */
#define KEYF_IDEM "%s" CLAIMS_TAG "idem:%s:%s"       /* prefix, token id, sha256(key) */
#define KEYF_STREAM "%s" CLAIMS_TAG "work"           /* stream of claim ids to adjudicate */
#define KEYF_DEAD "%s" CLAIMS_TAG "dead"             /* dead-letter stream */
#define KEYF_SLA "%s" CLAIMS_TAG "sla"               /* zset: open claims by target day */
#define KEYF_PENDED "%s" CLAIMS_TAG "pended"         /* zset: pended claims by deadline day */
#define KEYF_SEQ "%s" CLAIMS_TAG "seq"               /* counter for index scores */
#define KEYF_IDX_ALL "%s" CLAIMS_TAG "idx:all"       /* zset: every claim by receipt */
#define KEYF_IDX_FAMILY "%s" CLAIMS_TAG "idx:f:%s"   /* prefix, subscriber id */
#define KEYF_IDX_PROVIDER "%s" CLAIMS_TAG "idx:p:%s" /* prefix, submitting provider NPI */
#define KEYF_IDX_STATUS "%s" CLAIMS_TAG "idx:s:%s"   /* prefix, status */
#define KEYF_STATS "%s" CLAIMS_TAG "stats"           /* hash: finalized, within_target counters */
#define KEYF_FAMVER "%s" CLAIMS_TAG "famver:%s"      /* prefix, subscriber id: commit counter */
#define KEYF_ACC "%s" CLAIMS_TAG "acc:%s:%d"         /* prefix, subscriber id, plan year: hash */
#define KEYF_FP "%s" CLAIMS_TAG "fp:%s"        /* prefix, member id: hash fingerprint -> claim id */
#define KEYF_DEADIDX "%s" CLAIMS_TAG "deadidx" /* hash: claim id -> dead-letter entry id */
#define KEYF_EVENTS "%s" CLAIMS_TAG "events"   /* stream: claim.finalized / claim.pended */

/* Webhook notifications (notify/notify.c, queue/webhooks.c, docs/webhooks.md). On the
 * claims shard, with the events stream their fan-out reads. */
#define KEYF_WEBHOOK "%s" CLAIMS_TAG "webhook:%s"   /* prefix, subscription id: hash */
#define KEYF_WEBHOOKS "%s" CLAIMS_TAG "webhooks"    /* set of subscription ids */
#define KEYF_WH_DELIVERY "%s" CLAIMS_TAG "whdel:%s" /* prefix, delivery id: hash */
#define KEYF_WH_DUE "%s" CLAIMS_TAG "whdue"         /* zset: deliveries by next attempt (ms) */
#define KEYF_WH_PENDING "%s" CLAIMS_TAG "whpend:%s" /* prefix, subscription id: zset like whdue */
#define KEYF_WH_LOG "%s" CLAIMS_TAG "whlog:%s"      /* prefix, subscription id: list of attempts */
#define KEYF_WH_DEAD                                                                               \
    "%s" CLAIMS_TAG "whdead:%s" /* prefix, subscription id: list of delivery ids                   \
                                 */

/* Remittance (queue/remit.c, docs/x12.md "Remittance (835)"). The commit
 * script adds each finalized claim to a due set by payee; a payment cycle
 * moves them, atomically, into a cycle. */
#define KEYF_REMIT_DUE                                                                             \
    "%s" CLAIMS_TAG "remit:due" /* zset: provider-payee claim ids by finalize time (ms) */
#define KEYF_MEMBERPAY_DUE                                                                         \
    "%s" CLAIMS_TAG "memberpay:due" /* zset: member-payee claim ids likewise */
#define KEYF_REMIT_INFO                                                                            \
    "%s" CLAIMS_TAG "remit:info" /* hash: claim id -> "P|npi|cents" or "M|member|cents" */
#define KEYF_REMIT_SEQ "%s" CLAIMS_TAG "remit:seq"       /* counter of cycle numbers */
#define KEYF_REMIT_CYCLES "%s" CLAIMS_TAG "remit:cycles" /* hash: cycle id -> summary JSON */
#define KEYF_REMIT_CLAIMS "%s" CLAIMS_TAG "remit:claims" /* hash: cycle id -> its claims JSON */
#define KEYF_REMIT_AUTO                                                                            \
    "%s" CLAIMS_TAG "remit:auto:%s" /* prefix, date: the day's scheduled cycle ran */

/* Recoveries (queue/recoveries.c, docs/api.md "Recoveries"): paid claims a
 * retroactive termination left on dates no longer covered, one per claim. */
#define KEYF_RECOVERY "%s" CLAIMS_TAG "recovery:%s"     /* prefix, recovery id: hash */
#define KEYF_RECOVERY_CLAIM "%s" CLAIMS_TAG "rclaim:%s" /* prefix, claim id: its recovery id */
#define KEYF_RECOVERIES "%s" CLAIMS_TAG "recoveries"    /* zset: recovery ids by creation order */
#define KEYF_RECOVERY_FAMILY                                                                       \
    "%s" CLAIMS_TAG "recoveries:f:%s" /* prefix, subscriber id: set of recovery ids */
#define KEYF_RECOVERY_SEQ "%s" CLAIMS_TAG "recoveries:seq" /* counter: the zset's scores */

/* Appeals (queue/appeals.c, docs/api.md "Appeals"): one hash per appeal, listed
 * by decision due date (score: due day x 2^INDEX_SEQ_BITS plus a sequence), all
 * of them and the open ones apart; the claim's hash names its latest appeal. */
#define KEYF_APPEAL "%s" CLAIMS_TAG "appeal:%s"          /* prefix, appeal id: hash */
#define KEYF_APPEALS "%s" CLAIMS_TAG "appeals"           /* zset: every appeal by due order */
#define KEYF_APPEALS_OPEN "%s" CLAIMS_TAG "appeals:open" /* zset: open appeals by due order */
#define KEYF_APPEALS_SEQ "%s" CLAIMS_TAG "appeals:seq"   /* counter: the scores' sequence part */

/* The consumer group of the work stream. */
#define WORK_GROUP "workers"
/* The consumer group of the events stream: the webhook fan-out. */
#define EVENTS_GROUP "notifiers"

/* Search index scores order claims by receipt: received day × 2^21 plus a
 * per-shard sequence, unique and exact in a double. */
#define INDEX_SEQ_BITS 21

#endif
