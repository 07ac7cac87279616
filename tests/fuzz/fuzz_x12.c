/*
 * The X12 parser (codec/x12.c, codec/x12_837.c) and the answers
 * (codec/x12_ack.c): any bytes, as POST /v1/x12 takes them.
 *
 * Checked: the tokenizer answers one of its statuses and, on CODEC_X12_OK, keeps
 * its limits (segments, elements) and NUL-free texts; the envelope either
 * rejects with a TA105 code or fills consistent group and set ranges; every
 * set reads without a crash, with at most CODEC_X12_MAX_IK3 errors listed; the
 * answer (999/277CA, or the TA1) is itself an interchange the tokenizer
 * reads back whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "codec/x12.h"
#include "codec/x12_837.h"
#include "codec/x12_ack.h"

static void check_answer(const char *answer, size_t len)
{
    FUZZ_CHECK(answer != NULL);
    FUZZ_CHECK(len >= CODEC_X12_ISA_LEN && memcmp(answer, "ISA", 3) == 0);
    struct codec_x12_doc back;
    FUZZ_CHECK(codec_x12_tokenize(answer, len, &back, NULL) == CODEC_X12_OK);
    FUZZ_CHECK(strcmp(back.segs[back.n_segs - 1].el[0], "IEA") == 0);
    codec_x12_doc_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct codec_x12_doc doc;
    int at = -1;
    enum codec_x12_status st = codec_x12_tokenize((const char *)data, size, &doc, &at);
    FUZZ_CHECK(st >= CODEC_X12_OK && st <= CODEC_X12_NO_MEMORY);
    if (st != CODEC_X12_OK) {
        FUZZ_CHECK(doc.buf == NULL && doc.segs == NULL && doc.n_segs == 0);
        return 0;
    }
    FUZZ_CHECK(doc.n_segs >= 1 && doc.n_segs <= CODEC_X12_MAX_SEGMENTS);
    for (int i = 0; i < doc.n_segs; i++)
        FUZZ_CHECK(doc.segs[i].n >= 0 && doc.segs[i].n <= CODEC_X12_MAX_ELEMENTS);
    static struct codec_x12_interchange ix;
    size_t len = 0;
    if (!codec_x12_envelope(&doc, &ix)) {
        FUZZ_CHECK(ix.ta1_code != NULL && strlen(ix.ta1_code) == 3);
        char *ta1 = codec_x12_ta1_build(&ix, &doc.d, "000000001", "20261202", "0915", &len);
        check_answer(ta1, len);
        free(ta1);
        codec_x12_doc_free(&doc);
        return 0;
    }
    FUZZ_CHECK(ix.ta1_code == NULL && ix.n_groups >= 1);
    struct codec_x12_set_result *sets = calloc((size_t)ix.n_sets + 1, sizeof *sets);
    FUZZ_CHECK(sets != NULL);
    for (int g = 0; g < ix.n_groups; g++)
        FUZZ_CHECK(ix.groups[g].first_set + ix.groups[g].n_sets <= ix.n_sets);
    for (int i = 0; i < ix.n_sets; i++) {
        const struct codec_x12_set *t = &ix.sets[i];
        FUZZ_CHECK(t->st > 0 && t->st < doc.n_segs && (t->se == -1 || t->se > t->st));
        if (t->ik5_code || codec_x12_837_read(&doc, t, &sets[i].m) != 0)
            continue;
        sets[i].read = true;
        FUZZ_CHECK(sets[i].m.n_errs >= 0 && sets[i].m.n_errs <= CODEC_X12_MAX_IK3);
        sets[i].claims = calloc((size_t)sets[i].m.n_claims + 1, sizeof *sets[i].claims);
        FUZZ_CHECK(sets[i].claims != NULL);
        for (int c = 0; c < sets[i].m.n_claims; c++) {
            const struct codec_x12_claim_in *ci = &sets[i].m.claims[c];
            FUZZ_CHECK(ci->provider >= 0 && ci->provider < sets[i].m.n_providers);
            FUZZ_CHECK(ci->submission != NULL || ci->reject_text != NULL || sets[i].m.n_errs > 0);
            struct codec_x12_claim_result *r = &sets[i].claims[c];
            r->accepted = c % 2 == 0;
            strcpy(r->claim_id, "00000000-0000-4000-8000-000000000000");
            r->category = "A7";
            r->status = "21";
            r->entity = "";
            strcpy(r->text, "2300 CLM is invalid");
        }
    }
    struct codec_x12_answer_input in = {.ix = &ix,
                                        .d = doc.d,
                                        .sets = sets,
                                        .control = "000000001",
                                        .date8 = "20261202",
                                        .time4 = "0915"};
    char *answer = codec_x12_answer_build(&in, &len);
    check_answer(answer, len);
    free(answer);
    for (int i = 0; i < ix.n_sets; i++) {
        codec_x12_837_free(&sets[i].m);
        free(sets[i].claims);
    }
    free(sets);
    codec_x12_doc_free(&doc);
    return 0;
}
