/*
 * The answer interchange to an 837 file (docs/x12.md "999 and 277CA"), pure:
 * a TA1 when the interchange as a whole is rejected, else per functional
 * group a 999 (005010X231A1) and, when the group is accepted in whole or in
 * part, a 277CA (005010X214) with one STC per claim of its accepted
 * transaction sets. Written with the sender's own delimiters.
 */
#ifndef CLAIMS_CODEC_X12_ACK_H
#define CLAIMS_CODEC_X12_ACK_H

#include <stdbool.h>
#include <stddef.h>

#include "codec/x12.h"
#include "codec/x12_837.h"
#include "model.h"

/* What became of one claim. */
struct codec_x12_claim_result {
    bool accepted;
    char claim_id[CLAIM_ID_LEN]; /* accepted: REF*1K */
    const char *category;        /* rejected: STC01-1 (A3, A7) */
    const char *status;          /* STC01-2 */
    const char *entity;          /* STC01-3, "" for none */
    char text[200];              /* STC12: the failing element and the problem */
};

/* One transaction set: read (m) when its envelope was good, and the claims'
 * results (m.n_claims of them) when it was accepted. */
struct codec_x12_set_result {
    bool read;
    struct codec_x12_837 m;
    struct codec_x12_claim_result *claims;
};

/* Whether a set is accepted in the 999: its envelope and its segments. */
bool codec_x12_set_accepted(const struct codec_x12_set *t, const struct codec_x12_set_result *r);

struct codec_x12_answer_input {
    const struct codec_x12_interchange *ix;
    struct codec_x12_delims d;
    const struct codec_x12_set_result *sets; /* ix->n_sets of them */
    const char *control;                     /* our ISA13: 9 digits */
    const char *date8;                       /* CCYYMMDD of the answer */
    const char *time4;                       /* HHMM */
};

/* The answer interchange. Allocates (caller frees); NULL when out of
 * memory. *len its length. */
char *codec_x12_answer_build(const struct codec_x12_answer_input *in, size_t *len);

/* The TA1 interchange rejecting ix (ix->ta1_code). Allocates. */
char *codec_x12_ta1_build(const struct codec_x12_interchange *ix, const struct codec_x12_delims *d,
                          const char *control, const char *date8, const char *time4, size_t *len);

#endif
