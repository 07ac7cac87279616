#include "shards.h"

#include <stdio.h>
#include <string.h>

#include "queue/cluster.h"

/* The first slot of shard i's range: i × 16384 / n, rounded down. */
static int range_start(int i, int n)
{
    return (int)((long)i * CLUSTER_SLOTS / n);
}

int shard_layout_init(struct shard_layout *layout, int n)
{
    if (n < 1 || n > SHARDS_MAX)
        return -1;
    memset(layout, 0, sizeof *layout);
    layout->n = n;
    if (n == 1) {
        snprintf(layout->tag[0], SHARD_TAG_LEN, "{c}");
        layout->slot[0] = cluster_key_slot("c", 1);
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
            int slot = cluster_key_slot(inner, (size_t)len);
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

int shard_of_family(const struct shard_layout *layout, const char *family_id)
{
    return (int)(cluster_crc16(family_id, strlen(family_id)) % (unsigned)layout->n);
}

int shard_of_claim_id(const struct shard_layout *layout, const char *claim_id)
{
    return (int)(cluster_crc16(claim_id, strlen(claim_id)) % (unsigned)layout->n);
}
