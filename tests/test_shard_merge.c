/*
 * queue/shard_merge.c: one search page over many shards. Besides table
 * cases, a model check: shards of random indexes (scores colliding across
 * shards), each walked the way the search script walks (at most `limit`
 * matches and `budget` entries looked at per call, the score of the last
 * entry looked at as its stop), paged through with queue_shard_merge until the end;
 * the pages together must be exactly the matching entries of all shards in
 * (score, shard) order: none twice, none missed, no page above the limit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/shard_merge.h"

START_TEST(test_cursor_text_round_trip)
{
    struct shard_cursor c;
    char buf[32];
    ck_assert_int_eq(queue_shard_cursor_parse("", 16, &c), 0);
    ck_assert(c.start);
    queue_shard_cursor_format(&c, 16, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    /* One shard: the cursor is the score, as before shards. */
    ck_assert_int_eq(queue_shard_cursor_parse("42949672961", 1, &c), 0);
    ck_assert(!c.start);
    ck_assert_int_eq(c.score, 42949672961LL);
    ck_assert_int_eq(c.shard, 0);
    queue_shard_cursor_format(&c, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "42949672961");
    /* 16 shards: score × 16 + shard. */
    c = (struct shard_cursor){.score = 42949672961LL, .shard = 15};
    queue_shard_cursor_format(&c, 16, buf, sizeof buf);
    ck_assert_str_eq(buf, "687194767391");
    ck_assert_int_eq(queue_shard_cursor_parse("687194767391", 16, &c), 0);
    ck_assert_int_eq(c.score, 42949672961LL);
    ck_assert_int_eq(c.shard, 15);
    ck_assert_int_eq(queue_shard_cursor_parse("687194767376", 16, &c), 0);
    ck_assert_int_eq(c.shard, 0);
    /* The largest: the API's 20 digits, within a signed 64-bit number. */
    ck_assert_int_eq(queue_shard_cursor_parse("9223372036854775807", 256, &c), 0);
    ck_assert_int_eq(c.shard, 255);
    ck_assert_int_eq(queue_shard_cursor_parse("9223372036854775808", 256, &c), -1);
    static const char *bad[] = {"-1", "1a", " 1", "1.5", "123456789012345678901", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(queue_shard_cursor_parse(bad[i], 16, &c) == -1, "%s", bad[i]);
    ck_assert_int_eq(queue_shard_cursor_parse("1", 0, &c), -1);
}
END_TEST

START_TEST(test_lower_bounds_around_the_cursor_shard)
{
    char buf[32];
    struct shard_cursor start = {.start = true};
    queue_shard_cursor_lower_bound(&start, 3, buf, sizeof buf);
    ck_assert_str_eq(buf, "-inf");
    struct shard_cursor c = {.score = 100, .shard = 5};
    queue_shard_cursor_lower_bound(&c, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "(100");
    queue_shard_cursor_lower_bound(&c, 5, buf, sizeof buf);
    ck_assert_str_eq(buf, "(100");
    queue_shard_cursor_lower_bound(&c, 6, buf, sizeof buf);
    ck_assert_str_eq(buf, "100");
}
END_TEST

#define H(sc, sh)                                                                                  \
    {                                                                                              \
        .score = (sc), .shard = (sh)                                                               \
    }

START_TEST(test_merge_orders_by_score_then_shard)
{
    struct shard_hit a[] = {H(10, 0), H(30, 0)}, b[] = {H(10, 1), H(20, 1)};
    struct shard_part parts[] = {{a, 2, false, 0}, {b, 2, false, 0}};
    struct shard_hit out[8];
    struct shard_cursor next;
    bool more;
    int n = queue_shard_merge(parts, 2, 8, out, &next, &more);
    ck_assert_int_eq(n, 4);
    long long want_score[] = {10, 10, 20, 30};
    int want_shard[] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(out[i].score, want_score[i]);
        ck_assert_int_eq(out[i].shard, want_shard[i]);
    }
    ck_assert(!more);
    ck_assert(next.start);
    /* Limit 3: the page is full at (20, 1); (30, 0) comes next time. */
    n = queue_shard_merge(parts, 2, 3, out, &next, &more);
    ck_assert_int_eq(n, 3);
    ck_assert(more);
    ck_assert_int_eq(next.score, 20);
    ck_assert_int_eq(next.shard, 1);
    /* Limit 4, exactly all: no next page. */
    n = queue_shard_merge(parts, 2, 4, out, &next, &more);
    ck_assert_int_eq(n, 4);
    ck_assert(!more);
}
END_TEST

START_TEST(test_hits_beyond_a_stopped_shard_wait)
{
    /* Shard 1 stopped at 15 (its budget): shard 0's 20 and 30 could be
     * preceded by shard 1's entries above 15, so they wait. */
    struct shard_hit a[] = {H(10, 0), H(20, 0), H(30, 0)}, b[] = {H(12, 1)};
    struct shard_part parts[] = {{a, 3, false, 0}, {b, 1, true, 15}};
    struct shard_hit out[8];
    struct shard_cursor next;
    bool more;
    int n = queue_shard_merge(parts, 2, 8, out, &next, &more);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0].score, 10);
    ck_assert_int_eq(out[1].score, 12);
    ck_assert(more);
    ck_assert_int_eq(next.score, 15);
    ck_assert_int_eq(next.shard, 1);
    /* A hit exactly at the stop is safe. */
    struct shard_hit c[] = {H(15, 0)};
    struct shard_part p2[] = {{c, 1, false, 0}, {NULL, 0, true, 15}};
    n = queue_shard_merge(p2, 2, 8, out, &next, &more);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(out[0].score, 15);
    ck_assert(more);
    ck_assert_int_eq(next.score, 15);
    /* Nothing anywhere, every shard done: the end. */
    struct shard_part none[] = {{NULL, 0, false, 0}, {NULL, 0, false, 0}};
    n = queue_shard_merge(none, 2, 8, out, &next, &more);
    ck_assert_int_eq(n, 0);
    ck_assert(!more);
    /* Nothing found but a shard stopped: an empty page with a cursor. */
    struct shard_part empty_stop[] = {{NULL, 0, false, 0}, {NULL, 0, true, 99}};
    n = queue_shard_merge(empty_stop, 2, 8, out, &next, &more);
    ck_assert_int_eq(n, 0);
    ck_assert(more);
    ck_assert_int_eq(next.score, 99);
    ck_assert_int_eq(next.shard, 1);
}
END_TEST

START_TEST(test_stream_ids_in_time_order)
{
    ck_assert_int_lt(queue_stream_id_compare("1700000000000-0", "1700000000000-1"), 0);
    ck_assert_int_lt(queue_stream_id_compare("999-5", "1000-0"), 0);
    ck_assert_int_eq(queue_stream_id_compare("1000-2", "1000-2"), 0);
    ck_assert_int_gt(queue_stream_id_compare("1000-10", "1000-9"), 0);
    ck_assert_int_gt(queue_stream_id_compare("x", "1000-0"), 0);
    ck_assert_int_lt(queue_stream_id_compare("1000-0", "1000"), 0);
    ck_assert_int_eq(queue_stream_id_compare("bad", "worse"), 0);
}
END_TEST

/* ---- the model check ---- */

#define MAX_SHARDS 8
#define MAX_ENTRIES 64

struct model_shard {
    long long score[MAX_ENTRIES];
    bool match[MAX_ENTRIES];
    int n;
};

static unsigned long long rng_state;
/* One shard's search call, as the script does it. */
static void walk(const struct model_shard *sh, int shard, const char *bound, int limit, int budget,
                 struct shard_hit *hits, struct shard_part *part)
{
    int found = 0, scanned = 0, i = 0;
    long long last = 0;
    while (i < sh->n && !test_after_bound(sh->score[i], bound))
        i++;
    part->stopped = false;
    for (;;) {
        if (found >= limit || scanned >= budget) {
            part->stopped = true;
            part->stop_score = last;
            break;
        }
        if (i >= sh->n)
            break;
        scanned++;
        last = sh->score[i];
        if (sh->match[i])
            hits[found++] = (struct shard_hit){.score = sh->score[i], .shard = shard};
        i++;
    }
    part->hits = hits;
    part->n_hits = found;
}

START_TEST(test_paging_over_random_shards_matches_the_model)
{
    for (int round = 0; round < 3000; round++) {
        rng_state = (unsigned long long)round * 2654435761ULL + 1;
        int n_shards = 1 + (int)(test_rng(&rng_state) % MAX_SHARDS);
        int limit = 1 + (int)(test_rng(&rng_state) % 6);
        int budget = limit + (int)(test_rng(&rng_state) % 8);
        struct model_shard shards[MAX_SHARDS];
        int expected = 0;
        for (int s = 0; s < n_shards; s++) {
            shards[s].n = (int)(test_rng(&rng_state) % 20);
            long long score = (long long)(test_rng(&rng_state) % 5);
            for (int i = 0; i < shards[s].n; i++) {
                /* Small steps: scores collide across shards. */
                shards[s].score[i] = score;
                score += 1 + (long long)(test_rng(&rng_state) % 3);
                shards[s].match[i] = test_rng(&rng_state) % 3 != 0;
                expected += shards[s].match[i];
            }
        }
        /* Everything that matches, in (score, shard) order. */
        struct shard_hit want[MAX_SHARDS * MAX_ENTRIES];
        int n_want = 0;
        for (long long sc = 0; sc < 200; sc++)
            for (int s = 0; s < n_shards; s++)
                for (int i = 0; i < shards[s].n; i++)
                    if (shards[s].score[i] == sc && shards[s].match[i])
                        want[n_want++] = (struct shard_hit){.score = sc, .shard = s};
        ck_assert_int_eq(n_want, expected);

        struct shard_cursor cursor = {.start = true};
        char text[32] = "";
        int got = 0, pages = 0;
        bool more = true;
        while (more) {
            ck_assert_msg(++pages < 1000, "round %d: no end", round);
            ck_assert_int_eq(queue_shard_cursor_parse(text, n_shards, &cursor), 0);
            struct shard_hit hits[MAX_SHARDS][MAX_ENTRIES];
            struct shard_part parts[MAX_SHARDS];
            for (int s = 0; s < n_shards; s++) {
                char bound[32];
                queue_shard_cursor_lower_bound(&cursor, s, bound, sizeof bound);
                walk(&shards[s], s, bound, limit, budget, hits[s], &parts[s]);
            }
            struct shard_hit out[8];
            struct shard_cursor next;
            int n = queue_shard_merge(parts, n_shards, limit, out, &next, &more);
            ck_assert_int_le(n, limit);
            for (int i = 0; i < n; i++) {
                ck_assert_msg(got < n_want, "round %d: a hit too many", round);
                ck_assert_msg(out[i].score == want[got].score && out[i].shard == want[got].shard,
                              "round %d: hit %d is (%lld, %d), want (%lld, %d)", round, got,
                              out[i].score, out[i].shard, want[got].score, want[got].shard);
                got++;
            }
            if (more)
                queue_shard_cursor_format(&next, n_shards, text, sizeof text);
        }
        ck_assert_msg(got == n_want, "round %d: %d hits of %d", round, got, n_want);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard_merge");
    TCase *tc = tcase_create("merge");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cursor_text_round_trip);
    tcase_add_test(tc, test_lower_bounds_around_the_cursor_shard);
    tcase_add_test(tc, test_merge_orders_by_score_then_shard);
    tcase_add_test(tc, test_hits_beyond_a_stopped_shard_wait);
    tcase_add_test(tc, test_stream_ids_in_time_order);
    tcase_add_test(tc, test_paging_over_random_shards_matches_the_model);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
