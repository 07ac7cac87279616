/*
 * queue/shard_gather.c's page merge: the answers of the list scripts (the
 * review workbasket, appeals, recoveries) on each shard, {where it stopped or
 * "", then per row its score and fields}, merged into one page with one
 * cursor. Table cases (one shard: the cursor is the score, as before shards;
 * answers that do not read), and a model check: random shards, each walked
 * the way the list scripts walk (a filter, at most `limit` rows and a scan
 * budget per call, the last score looked at as the stop when more follow),
 * paged through with the merged cursor until it is null: every matching row
 * exactly once, in (score, shard) order, no page above the limit.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "queue/cluster_tx.h"
#include "queue/shard_gather.h"

/* A reply {stop, then per row: score and the row's name}. */
static redisReply *answer(const char *stop, const long long *scores, const char *const *names,
                          int n)
{
    struct resp_buf b = {0};
    queue_resp_buf_array(&b, 1 + 2 * (size_t)n);
    queue_resp_buf_string(&b, stop, strlen(stop));
    for (int i = 0; i < n; i++) {
        char s[32];
        int len = snprintf(s, sizeof s, "%lld", scores[i]);
        queue_resp_buf_string(&b, s, (size_t)len);
        queue_resp_buf_string(&b, names[i], strlen(names[i]));
    }
    redisReply *r = queue_resp_buf_read(&b);
    ck_assert_ptr_nonnull(r);
    return r;
}

static const char *name_at(const struct shard_page *p, int i)
{
    return p->rows[i][0]->str;
}

START_TEST(test_one_shard_keeps_the_score_as_cursor)
{
    redisReply *r[1] = {answer("42949672962", (long long[]){42949672961LL, 42949672962LL},
                               (const char *[]){"a", "b"}, 2)};
    struct shard_page p;
    ck_assert_int_eq(queue_shard_page_merge(r, 1, 2, 2, &p), 0);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(name_at(&p, 0), "a");
    ck_assert_str_eq(name_at(&p, 1), "b");
    ck_assert_str_eq(p.next_cursor, "42949672962");
    freeReplyObject(r[0]);
    /* The end of the set: no cursor. */
    r[0] = answer("", (long long[]){7}, (const char *[]){"c"}, 1);
    ck_assert_int_eq(queue_shard_page_merge(r, 1, 2, 5, &p), 0);
    ck_assert_int_eq(p.n, 1);
    ck_assert_str_eq(p.next_cursor, "");
    freeReplyObject(r[0]);
    /* Nothing found but the scan budget spent: an empty page that goes on. */
    r[0] = answer("900", NULL, NULL, 0);
    ck_assert_int_eq(queue_shard_page_merge(r, 1, 2, 5, &p), 0);
    ck_assert_int_eq(p.n, 0);
    ck_assert_str_eq(p.next_cursor, "900");
    freeReplyObject(r[0]);
}
END_TEST

START_TEST(test_three_shards_merge_by_score_then_shard)
{
    redisReply *r[3] = {
        answer("", (long long[]){10, 40}, (const char *[]){"s0a", "s0b"}, 2),
        answer("", (long long[]){10, 20}, (const char *[]){"s1a", "s1b"}, 2),
        answer("", (long long[]){5}, (const char *[]){"s2a"}, 1),
    };
    struct shard_page p;
    ck_assert_int_eq(queue_shard_page_merge(r, 3, 2, 3, &p), 0);
    ck_assert_int_eq(p.n, 3);
    ck_assert_str_eq(name_at(&p, 0), "s2a");
    ck_assert_str_eq(name_at(&p, 1), "s0a");
    ck_assert_str_eq(name_at(&p, 2), "s1a");
    /* The last row taken, (10, shard 1): 10 x 3 + 1. */
    ck_assert_str_eq(p.next_cursor, "31");
    struct shard_cursor c;
    queue_list_cursor(p.next_cursor, 3, &c);
    ck_assert(!c.start);
    ck_assert_int_eq(c.score, 10);
    ck_assert_int_eq(c.shard, 1);
    for (int s = 0; s < 3; s++)
        freeReplyObject(r[s]);
}
END_TEST

START_TEST(test_answers_that_do_not_read)
{
    struct shard_page p;
    redisReply *good = answer("", (long long[]){1}, (const char *[]){"x"}, 1);
    redisReply *missing[2] = {good, NULL};
    ck_assert_int_eq(queue_shard_page_merge(missing, 2, 2, 5, &p), -1);
    /* A row of another width. */
    redisReply *one[1] = {good};
    ck_assert_int_eq(queue_shard_page_merge(one, 1, 3, 5, &p), -1);
    /* More rows than the page's limit. */
    redisReply *many[1] = {answer("", (long long[]){1, 2}, (const char *[]){"x", "y"}, 2)};
    ck_assert_int_eq(queue_shard_page_merge(many, 1, 2, 1, &p), -1);
    freeReplyObject(many[0]);
    /* A score that is no number, a stop that is none. */
    struct resp_buf b = {0};
    queue_resp_buf_array(&b, 3);
    queue_resp_buf_string(&b, "", 0);
    queue_resp_buf_string(&b, "ten", 3);
    queue_resp_buf_string(&b, "x", 1);
    redisReply *bad[1] = {queue_resp_buf_read(&b)};
    ck_assert_int_eq(queue_shard_page_merge(bad, 1, 2, 5, &p), -1);
    freeReplyObject(bad[0]);
    redisReply *bad_stop[1] = {answer("later", NULL, NULL, 0)};
    ck_assert_int_eq(queue_shard_page_merge(bad_stop, 1, 2, 5, &p), -1);
    freeReplyObject(bad_stop[0]);
    /* An error answer. */
    redisReply *err[1] = {queue_resp_error("NOSCRIPT")};
    ck_assert_int_eq(queue_shard_page_merge(err, 1, 2, 5, &p), -1);
    freeReplyObject(err[0]);
    freeReplyObject(good);
}
END_TEST

START_TEST(test_cursor_that_is_none_of_this_layout)
{
    struct shard_cursor c;
    queue_list_cursor("", 16, &c);
    ck_assert(c.start);
    queue_list_cursor("99999999999999999999", 16, &c);
    ck_assert(!c.start);
    ck_assert(c.score == LLONG_MAX);
    char lo[64];
    queue_shard_cursor_lower_bound(&c, 0, lo, sizeof lo);
    ck_assert_str_eq(lo, "(9223372036854775807");
}
END_TEST

/* ---- the model check ---- */

#define MAX_SHARDS 16
#define MAX_ENTRIES 80
#define BUDGET 7 /* the scripts' 10,000 entries looked at per call, scaled down */

struct model_shard {
    long long score[MAX_ENTRIES];
    bool match[MAX_ENTRIES];
    int n;
};

static unsigned long long rng_state;
/* One shard's list script: from bound, rows that match, at most limit of
 * them and BUDGET entries looked at; the last score looked at when entries
 * follow it. Row names "<shard>:<index>". */
static redisReply *walk(const struct model_shard *sh, int shard, const char *bound, int limit)
{
    long long scores[MAX_ENTRIES];
    char names[MAX_ENTRIES][24]; /* "%d:%d" of any two ints */
    const char *name_ptrs[MAX_ENTRIES];
    int found = 0, looked = 0, i = 0, last = -1;
    while (i < sh->n && !test_after_bound(sh->score[i], bound))
        i++;
    for (; i < sh->n && found < limit && looked < BUDGET; i++) {
        looked++;
        last = i;
        if (sh->match[i]) {
            scores[found] = sh->score[i];
            snprintf(names[found], sizeof names[found], "%d:%d", shard, i);
            name_ptrs[found] = names[found];
            found++;
        }
    }
    char stop[32] = "";
    if (last >= 0 && last + 1 < sh->n)
        snprintf(stop, sizeof stop, "%lld", sh->score[last]);
    return answer(stop, scores, name_ptrs, found);
}

static void model_round(int n_shards, int limit)
{
    struct model_shard shards[MAX_SHARDS];
    int want = 0;
    for (int s = 0; s < n_shards; s++) {
        shards[s].n = (int)(test_rng(&rng_state) % MAX_ENTRIES);
        long long score = test_rng(&rng_state) % 4;
        for (int i = 0; i < shards[s].n; i++) {
            score += 1 + test_rng(&rng_state) % 3; /* unique within a shard, colliding across */
            shards[s].score[i] = score;
            shards[s].match[i] = test_rng(&rng_state) % 3 != 0;
            want += shards[s].match[i];
        }
    }
    bool seen[MAX_SHARDS][MAX_ENTRIES] = {{false}};
    char cursor[32] = "";
    long long prev_score = -1;
    int prev_shard = -1, got = 0;
    for (int page_no = 0;; page_no++) {
        ck_assert_int_lt(page_no, 10000);
        struct shard_cursor from;
        queue_list_cursor(cursor, n_shards, &from);
        redisReply *r[MAX_SHARDS];
        for (int s = 0; s < n_shards; s++) {
            char lo[64];
            queue_shard_cursor_lower_bound(&from, s, lo, sizeof lo);
            r[s] = walk(&shards[s], s, lo, limit);
        }
        struct shard_page p;
        ck_assert_int_eq(queue_shard_page_merge(r, n_shards, 2, limit, &p), 0);
        ck_assert_int_le(p.n, limit);
        for (int k = 0; k < p.n; k++) {
            int s, i;
            ck_assert_int_eq(sscanf(name_at(&p, k), "%d:%d", &s, &i), 2);
            ck_assert(shards[s].match[i]);
            ck_assert_msg(!seen[s][i], "row %d:%d twice", s, i);
            seen[s][i] = true;
            long long score = shards[s].score[i];
            ck_assert(score > prev_score || (score == prev_score && s > prev_shard));
            prev_score = score;
            prev_shard = s;
            got++;
        }
        snprintf(cursor, sizeof cursor, "%s", p.next_cursor);
        for (int s = 0; s < n_shards; s++)
            freeReplyObject(r[s]);
        if (!cursor[0])
            break;
    }
    ck_assert_int_eq(got, want);
}

START_TEST(test_model_pages_every_row_once_in_order)
{
    rng_state = 20261203;
    for (int round = 0; round < 400; round++) {
        int n_shards = 1 + (int)(test_rng(&rng_state) % MAX_SHARDS);
        int limit = 1 + (int)(test_rng(&rng_state) % 6);
        model_round(n_shards, limit);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard_gather");
    TCase *tc = tcase_create("page merge");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_one_shard_keeps_the_score_as_cursor);
    tcase_add_test(tc, test_three_shards_merge_by_score_then_shard);
    tcase_add_test(tc, test_answers_that_do_not_read);
    tcase_add_test(tc, test_cursor_that_is_none_of_this_layout);
    tcase_add_test(tc, test_model_pages_every_row_once_in_order);
    suite_add_tcase(s, tc);
    return test_run_suite(s, CK_FORK_GETENV) ? EXIT_FAILURE : EXIT_SUCCESS;
}
