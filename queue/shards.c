#include "shards.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "queue/cluster.h"

/* The first slot of shard i's range: i × 16384 / n, rounded down. */
static int range_start(int i, int n)
{
    return (int)((long)i * CLUSTER_SLOTS / n);
}

int queue_shard_layout_init(struct shard_layout *layout, int n)
{
    if (n < 1 || n > SHARDS_MAX)
        return -1;
    memset(layout, 0, sizeof *layout);
    layout->n = n;
    if (n == 1) {
        snprintf(layout->tag[0], SHARD_TAG_LEN, "{c}");
        layout->slot[0] = queue_cluster_key_slot("c", 1);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        /* The middle half of the range: a master boundary near the range's
         * edge (5461 and 10923 for three masters) does not decide where the
         * shard lands. Each range holds at least 64 slots (n <= 256), so
         * about 1 in 512 values of k lands in its middle; CRC16 spreads
         * short strings evenly and the loop ends within a few thousand
         * tries. */
        int start = range_start(i, n), width = range_start(i + 1, n) - start;
        int lo = start + width / 4, hi = start + width - width / 4;
        for (unsigned k = 0;; k++) {
            char inner[SHARD_TAG_LEN - 2]; /* room for the braces */
            int len = snprintf(inner, sizeof inner, "c%d.%u", i, k);
            int slot = queue_cluster_key_slot(inner, (size_t)len);
            if (slot >= lo && slot < hi) {
                memcpy(layout->tag[i] + 1, inner, (size_t)len);
                layout->tag[i][0] = '{';
                layout->tag[i][len + 1] = '}';
                layout->tag[i][len + 2] = '\0';
                layout->slot[i] = slot;
                break;
            }
        }
    }
    return 0;
}

int queue_layout_shard_of_family(const struct shard_layout *layout, const char *family_id)
{
    return (int)(queue_cluster_crc16(family_id, strlen(family_id)) % (unsigned)layout->n);
}

int queue_shard_of_claim_id(const struct shard_layout *layout, const char *claim_id)
{
    return (int)(queue_cluster_crc16(claim_id, strlen(claim_id)) % (unsigned)layout->n);
}

/* ---- the process's layout ---- */

static struct shard_layout process_layout;
static pthread_once_t process_layout_once = PTHREAD_ONCE_INIT;

static void process_layout_default(void)
{
    if (process_layout.n == 0)
        queue_shard_layout_init(&process_layout, 1);
}

int queue_shards_configure(int n)
{
    struct shard_layout next;
    if (queue_shard_layout_init(&next, n) != 0)
        return -1;
    process_layout = next;
    return 0;
}

const struct shard_layout *queue_shards(void)
{
    pthread_once(&process_layout_once, process_layout_default);
    return &process_layout;
}

int queue_shard_count(void)
{
    return queue_shards()->n;
}

int queue_shard_of_claim(const char *claim_id)
{
    return queue_shard_of_claim_id(queue_shards(), claim_id);
}

int queue_shard_of_family(const char *family_id)
{
    return queue_layout_shard_of_family(queue_shards(), family_id);
}

struct queue_shard_prefix queue_shard_prefix(const char *prefix, int shard)
{
    struct queue_shard_prefix out;
    const struct shard_layout *l = queue_shards();
    if (shard < 0 || shard >= l->n)
        shard = 0;
    snprintf(out.s, sizeof out.s, "%s%s", prefix, l->tag[shard]);
    return out;
}
