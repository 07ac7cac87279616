/*
 * The Redis key layout (DESIGN.md "Redis layout"); every key name is built
 * from these formats, inside queue/ only (scripts/lint-layers.sh checks that
 * nothing else includes this file). All keys start with the configured
 * prefix.
 *
 * Hash tags: every key that a claim's atomic steps touch together (claim
 * record, idempotency key, work stream, SLA and pended sets, search indexes,
 * accumulators, family version) carries its shard's tag (queue/shards.h), so
 * each script touches one slot and runs unchanged on Redis Cluster. A
 * family's member records and member set are on the family's shard with its
 * version, so an enrollment event's compare-and-set is one slot too. Plans,
 * groups, tokens and the member directory (mref) are read outside scripts and
 * carry no tag (docs/operations.md "Redis keys").
 */
#ifndef CLAIMS_KEYS_H
#define CLAIMS_KEYS_H

#include <stddef.h>

#define KEY_LEN 512

/* Unsharded keys. */
#define KEYF_TOKEN "%stoken:%s"       /* prefix, sha256 hex: hash */
#define KEYF_TOKEN_ID "%stoken_id:%s" /* prefix, token id: string (the hash) */
/* Pub/sub channels of the token cache (queue/token_sub.c): the hashes of revoked
 * tokens, and each process's own heartbeat channel (prefix, random id). */
#define CHANF_TOKEN_REVOKED "%stoken-revoked"
#define CHANF_TOKEN_HEARTBEAT "%stoken-revoked:hb:%s"
#define KEYF_GROUP "%sgroup:%s" /* prefix, group id: canonical JSON */
#define KEYF_PLAN "%splan:%s"   /* prefix, plan id: canonical JSON */
/* The member directory: member id -> where its record lives (its family's
 * subscriber id) and what intake needs of it. Written after the family's
 * compare-and-set (queue/members.h); readers by member id read it first. */
#define KEYF_MREF "%smref:%s"  /* prefix, member id: hash subscriber_id, group_id, plan_id */
#define KEYF_AUDIT "%saudit"   /* prefix: stream of every audit record */
#define KEYF_SEEDED "%sseeded" /* prefix: set once the sample enrollment was loaded */
#define KEYF_SHARDS "%sshards" /* prefix: the claims shard count of the data */
#define KEYF_X12 "%sx12:%s"    /* prefix, sha256(sender, ISA13): "P" or "A"+answer (queue/x12.h) */

/* Keys of the claims shard. */
#define KEYF_CLAIM "%sclaim:%s"        /* prefix, claim id: hash */
#define KEYF_CLAIM_AUDIT "%scaudit:%s" /* prefix, claim id: list of audit stream entry ids */
#define KEYF_BODY "%sbody:%s"          /* prefix, claim id: the submission (JSON) */
#define KEYF_DEC "%sdec:%s"            /* prefix, claim id: packed {"decision", "pending"} */
#define KEYF_EOB "%seob:%s:%d"         /* prefix, claim id, version: packed EOB record */
#define KEYF_IDEM "%sidem:%s:%s"       /* prefix, token id, sha256(key) */
#define KEYF_STREAM "%swork"           /* stream of claim ids to adjudicate */
#define KEYF_DEAD "%sdead"             /* dead-letter stream */
#define KEYF_SLA "%ssla"               /* zset: open claims by target day */
#define KEYF_PENDED "%spended"         /* zset: pended claims by deadline day */
#define KEYF_SEQ "%sseq"               /* counter for index scores */
#define KEYF_IDX_ALL "%sidx:all"       /* zset: every claim by receipt */
#define KEYF_IDX_FAMILY "%sidx:f:%s"   /* prefix, subscriber id */
#define KEYF_IDX_PROVIDER "%sidx:p:%s" /* prefix, submitting provider NPI */
#define KEYF_IDX_STATUS "%sidx:s:%s"   /* prefix, status */
#define KEYF_STATS "%sstats"           /* hash: finalized, within_target counters */
/* prefix, subscriber id: the family's version (commit counter). Stored as
 * "famver": a process of an older build checks the same key, so renaming it
 * would need every process stopped at once (docs/operations.md). */
#define KEYF_FAMILY_VERSION "%sfamver:%s"
#define KEYF_ACC "%sacc:%s:%d"   /* prefix, subscriber id, plan year: hash */
#define KEYF_FP "%sfp:%s"        /* prefix, member id: hash fingerprint -> claim id */
#define KEYF_DEADIDX "%sdeadidx" /* hash: claim id -> dead-letter entry id */
#define KEYF_EVENTS "%sevents"   /* stream: claim.finalized / claim.pended */
/* A family's enrollment, on the family's shard (FAMILY_PREFIX of the subscriber
 * id; queue_member_key in queue/members.h). Before issue 12 both were
 * unsharded ("<prefix>member:<id>"); queue_member_refs_backfill moves them. */
#define KEYF_MEMBER "%smember:%s" /* prefix, member id: canonical JSON */
#define KEYF_FAMILY "%sfamily:%s" /* prefix, subscriber id: set of member ids */

/* Webhook notifications (notify/notify.c, queue/webhooks.c, docs/webhooks.md). On shard 0
 * (records of no claim); their fan-out reads every shard's events stream. */
#define KEYF_WEBHOOK "%swebhook:%s"   /* prefix, subscription id: hash */
#define KEYF_WEBHOOKS "%swebhooks"    /* set of subscription ids */
#define KEYF_WH_DELIVERY "%swhdel:%s" /* prefix, delivery id: hash */
#define KEYF_WH_DUE "%swhdue"         /* zset: deliveries by next attempt (ms) */
#define KEYF_WH_PENDING "%swhpend:%s" /* prefix, subscription id: zset like whdue */
#define KEYF_WH_LOG "%swhlog:%s"      /* prefix, subscription id: list of attempts */
#define KEYF_WH_DEAD                                                                               \
    "%swhdead:%s" /* prefix, subscription id: list of delivery ids                                 \
                   */

/* Remittance (queue/remit.c, docs/x12.md "Remittance (835)"). The commit
 * script adds each finalized claim to a due set by payee; a payment cycle
 * moves them, atomically, into a cycle. */
#define KEYF_REMIT_DUE "%sremit:due" /* zset: provider-payee claim ids by finalize time (ms) */
#define KEYF_MEMBERPAY_DUE "%smemberpay:due" /* zset: member-payee claim ids likewise */
#define KEYF_REMIT_INFO "%sremit:info"     /* hash: claim id -> "P|npi|cents" or "M|member|cents" */
#define KEYF_REMIT_SEQ "%sremit:seq"       /* counter of cycle numbers */
#define KEYF_REMIT_CYCLES "%sremit:cycles" /* hash: cycle id -> summary JSON */
#define KEYF_REMIT_CLAIMS "%sremit:claims" /* hash: cycle id -> its claims JSON */
#define KEYF_REMIT_AUTO "%sremit:auto:%s"  /* prefix, date: the day's scheduled cycle ran */
#define KEYF_REMIT_OPEN "%sremit:open"     /* hash: cycle id -> {seq, date, created_at} */
#define KEYF_REMIT_TOOK "%sremit:took:%s"  /* prefix, cycle id: a shard's part of an open cycle */
#define KEYF_REMIT_MOVED "%sremit:moved"   /* the number of the last cycle a shard moved into */

/* Recoveries (queue/recoveries.c, docs/api.md "Recoveries"): paid claims a
 * retroactive termination left on dates no longer covered, one per claim. */
#define KEYF_RECOVERY "%srecovery:%s"            /* prefix, recovery id: hash */
#define KEYF_RECOVERY_CLAIM "%srclaim:%s"        /* prefix, claim id: its recovery id */
#define KEYF_RECOVERIES "%srecoveries"           /* zset: recovery ids by creation order */
#define KEYF_RECOVERY_FAMILY "%srecoveries:f:%s" /* prefix, subscriber id: set of recovery ids */
#define KEYF_RECOVERY_SEQ "%srecoveries:seq"     /* counter: the zset's scores */

/* Appeals (queue/appeals.c, docs/api.md "Appeals"): one hash per appeal, listed
 * by decision due date (score: due day x 2^INDEX_SEQ_BITS plus a sequence), all
 * of them and the open ones apart; the claim's hash names its latest appeal. */
#define KEYF_APPEAL "%sappeal:%s"          /* prefix, appeal id: hash */
#define KEYF_APPEALS "%sappeals"           /* zset: every appeal by due order */
#define KEYF_APPEALS_OPEN "%sappeals:open" /* zset: open appeals by due order */
#define KEYF_APPEALS_SEQ "%sappeals:seq"   /* counter: the scores' sequence part */

/* The consumer group of the work stream. */
#define WORK_GROUP "workers"
/* The consumer group of the events stream: the webhook fan-out. */
#define EVENTS_GROUP "notifiers"

/* Search index scores order claims by receipt: received day × 2^21 plus a
 * per-shard sequence, unique and exact in a double. */
#define INDEX_SEQ_BITS 21

#endif
