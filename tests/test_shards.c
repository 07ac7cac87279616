/*
 * queue/shards.c: the claims shards' hash tags, and which shard a family and
 * a claim id belong to. The slots in test_sixteen_shards_tags_and_slots were
 * printed by redis-server 7.0.15 (CLUSTER KEYSLOT of each tag), not by this
 * code.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/cluster.h"
#include "queue/shards.h"

static struct shard_layout layout;

START_TEST(test_one_shard_keeps_the_single_tag)
{
    ck_assert_int_eq(queue_shard_layout_init(&layout, 1), 0);
    ck_assert_int_eq(layout.n, 1);
    ck_assert_str_eq(layout.tag[0], "{c}");
    ck_assert_int_eq(layout.slot[0], 7365);
    ck_assert_int_eq(queue_layout_shard_of_family(&layout, "S100"), 0);
    ck_assert_int_eq(queue_shard_of_claim_id(&layout, "0b9c4f43-2b1e-4c7a-9d4e-6f1a2b3c4d5e"), 0);
}
END_TEST

START_TEST(test_sixteen_shards_tags_and_slots)
{
    static const struct {
        const char *tag;
        int slot;
    } want[16] = {
        {"{c0.29}", 685},    {"{c1.22}", 1394},   {"{c2.3}", 2578},    {"{c3.0}", 3393},
        {"{c4.59}", 4555},   {"{c5.41}", 5446},   {"{c6.79}", 6849},   {"{c7.61}", 7756},
        {"{c8.160}", 8666},  {"{c9.11}", 9601},   {"{c10.9}", 10853},  {"{c11.59}", 11719},
        {"{c12.60}", 12897}, {"{c13.78}", 14060}, {"{c14.22}", 14718}, {"{c15.29}", 16033},
    };
    ck_assert_int_eq(queue_shard_layout_init(&layout, SHARDS_DEFAULT), 0);
    ck_assert_int_eq(layout.n, 16);
    for (int i = 0; i < 16; i++) {
        ck_assert_str_eq(layout.tag[i], want[i].tag);
        ck_assert_int_eq(layout.slot[i], want[i].slot);
        /* A key carrying the tag hashes to the tag's slot. */
        char key[64];
        snprintf(key, sizeof key, "claims:%sclaim:0b9c4f43", layout.tag[i]);
        ck_assert_int_eq(queue_cluster_key_slot(key, strlen(key)), want[i].slot);
    }
}
END_TEST

/* Each shard's slot lies in the middle half of its range, and no two shards
 * share a tag, for every allowed count. */
START_TEST(test_every_count_spreads_tags_over_the_slot_ranges)
{
    for (int n = 2; n <= SHARDS_MAX; n++) {
        ck_assert_int_eq(queue_shard_layout_init(&layout, n), 0);
        for (int i = 0; i < n; i++) {
            int start = (int)((long)i * 16384 / n), end = (int)((long)(i + 1) * 16384 / n);
            int width = end - start;
            ck_assert_msg(layout.slot[i] >= start + width / 4 && layout.slot[i] < end - width / 4,
                          "n=%d shard %d: slot %d outside [%d, %d)", n, i, layout.slot[i],
                          start + width / 4, end - width / 4);
            const char *inner = layout.tag[i] + 1;
            ck_assert_int_eq(layout.tag[i][0], '{');
            ck_assert_int_eq(queue_cluster_key_slot(layout.tag[i], strlen(layout.tag[i])),
                             layout.slot[i]);
            ck_assert_int_eq(queue_cluster_key_slot(inner, strlen(inner) - 1), layout.slot[i]);
            if (i)
                ck_assert_int_gt(layout.slot[i], layout.slot[i - 1]);
        }
    }
}
END_TEST

START_TEST(test_counts_out_of_range_are_refused)
{
    ck_assert_int_eq(queue_shard_layout_init(&layout, 0), -1);
    ck_assert_int_eq(queue_shard_layout_init(&layout, -1), -1);
    ck_assert_int_eq(queue_shard_layout_init(&layout, SHARDS_MAX + 1), -1);
    ck_assert_int_eq(queue_shard_layout_init(&layout, SHARDS_MAX), 0);
    ck_assert_int_eq(layout.n, SHARDS_MAX);
}
END_TEST

/* `redis-cli --cluster create` with three masters gives them slots 0-5460,
 * 5461-10922 and 10923-16383: the 16 shards land 6, 5 and 5 on them. */
START_TEST(test_sixteen_shards_land_on_each_of_three_masters)
{
    ck_assert_int_eq(queue_shard_layout_init(&layout, 16), 0);
    int per_master[3] = {0};
    for (int i = 0; i < 16; i++)
        per_master[layout.slot[i] <= 5460 ? 0 : layout.slot[i] <= 10922 ? 1 : 2]++;
    ck_assert_int_eq(per_master[0], 6);
    ck_assert_int_eq(per_master[1], 5);
    ck_assert_int_eq(per_master[2], 5);
}
END_TEST

/* 16,000 subscriber ids of the seed's form spread over the 16 shards within
 * 15% of the even 1,000; the same id always lands on the same shard. */
START_TEST(test_families_spread_evenly_and_stably)
{
    ck_assert_int_eq(queue_shard_layout_init(&layout, 16), 0);
    int count[16] = {0};
    for (int i = 0; i < 16000; i++) {
        char id[32];
        snprintf(id, sizeof id, "S%06d", i);
        int s = queue_layout_shard_of_family(&layout, id);
        ck_assert_int_ge(s, 0);
        ck_assert_int_lt(s, 16);
        ck_assert_int_eq(queue_layout_shard_of_family(&layout, id), s);
        count[s]++;
    }
    for (int s = 0; s < 16; s++)
        ck_assert_msg(count[s] >= 850 && count[s] <= 1150, "shard %d: %d families", s, count[s]);
    /* The shard is crc16 mod n: "123456789" (0x31C3 = 12739) -> 12739 % 16 = 3. */
    ck_assert_int_eq(queue_layout_shard_of_family(&layout, "123456789"), 3);
    ck_assert_int_eq(queue_shard_of_claim_id(&layout, "123456789"), 3);
    ck_assert_int_eq(queue_shard_layout_init(&layout, 10), 0);
    ck_assert_int_eq(queue_layout_shard_of_family(&layout, "123456789"), 9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shards");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_one_shard_keeps_the_single_tag);
    tcase_add_test(tc, test_sixteen_shards_tags_and_slots);
    tcase_add_test(tc, test_every_count_spreads_tags_over_the_slot_ranges);
    tcase_add_test(tc, test_counts_out_of_range_are_refused);
    tcase_add_test(tc, test_sixteen_shards_land_on_each_of_three_masters);
    tcase_add_test(tc, test_families_spread_evenly_and_stably);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
