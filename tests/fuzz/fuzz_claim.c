/*
 * The claim edge (codec/parse_claim.c codec_claim_from_body): any bytes,
 * as a member and as staff (who may set received_date).
 *
 * Checked: the status contract of parse_claim.h (a reason and no problems
 * only for CODEC_OK, problems well formed); a claim that is accepted
 * writes canonical JSON (both as a json-c tree and as text) that is accepted
 * again, by staff, to an identical struct, and that the member path accepts
 * too when the original was accepted from a member.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "date.h"
#include "fuzz_check.h"
#include "codec/parse_claim.h"
#include "strbuf.h"

static void check_errors(const struct codec_field_errors *errs)
{
    FUZZ_CHECK(errs->count >= 0 && errs->count <= CODEC_FIELD_ERRORS_MAX && errs->dropped >= 0);
    for (int i = 0; i < errs->count; i++) {
        FUZZ_CHECK(strnlen(errs->items[i].field, CODEC_PATH_MAX) < CODEC_PATH_MAX);
        FUZZ_CHECK(errs->items[i].problem != NULL && errs->items[i].problem[0] != '\0');
    }
    struct json_object *body = codec_error_render(CODEC_CODE_VALIDATION_FAILED, "x", errs);
    FUZZ_CHECK(body != NULL);
    json_object_put(body);
}

/* The claim read back from its canonical text, by staff. */
static void check_reads_back(const struct claim *c, const char *text, size_t len,
                             const struct codec_claim_options *staff)
{
    static struct claim again; /* large: not on the stack */
    struct codec_field_errors errs;
    const char *reason = NULL;
    codec_field_errors_init(&errs);
    enum codec_status st = codec_claim_from_body(text, len, staff, &again, &errs, &reason);
    if (st != CODEC_OK) {
        fprintf(stderr, "canonical claim refused: %.*s\n", (int)len, text);
        for (int i = 0; i < errs.count; i++)
            fprintf(stderr, "  %s: %s\n", errs.items[i].field, errs.items[i].problem);
    }
    FUZZ_CHECK(st == CODEC_OK);
    FUZZ_CHECK(memcmp(c, &again, sizeof again) == 0);
}

static void parse_one(const char *bytes, size_t size, const struct codec_claim_options *opt,
                      const struct codec_claim_options *staff)
{
    static struct claim c;
    struct codec_field_errors errs;
    const char *reason = NULL;
    enum codec_status st = codec_claim_from_body(bytes, size, opt, &c, &errs, &reason);
    check_errors(&errs);
    if (st != CODEC_OK) {
        FUZZ_CHECK(st == CODEC_NOT_JSON || st == CODEC_INVALID || st == CODEC_NO_MEMORY);
        FUZZ_CHECK(reason != NULL && reason[0] != '\0');
        /* Bytes that are not JSON name no field, except a key holding U+0000:
         * the object that holds it is named (codec/json_edge.c). */
        if (st == CODEC_NOT_JSON)
            FUZZ_CHECK(!codec_field_errors_any(&errs) ||
                       (errs.count == 1 &&
                        strcmp(errs.items[0].problem, "has a key that contains U+0000") == 0));
        return;
    }
    FUZZ_CHECK(!codec_field_errors_any(&errs));
    FUZZ_CHECK(c.type == CLAIM_MEDICAL || c.type == CLAIM_PHARMACY);

    struct json_object *tree = codec_claim_to_json(&c);
    FUZZ_CHECK(tree != NULL);
    size_t len;
    const char *text = json_object_to_json_string_length(tree, JSON_C_TO_STRING_PLAIN, &len);
    check_reads_back(&c, text, len, staff);

    struct strbuf sb;
    strbuf_init(&sb);
    FUZZ_CHECK(codec_claim_write_json(&c, &sb) == 0);
    char *written = strbuf_take(&sb);
    FUZZ_CHECK(written != NULL);
    check_reads_back(&c, written, strlen(written), staff);
    /* The written text means what the tree says. */
    struct json_object *parsed = json_tokener_parse(written);
    FUZZ_CHECK(parsed != NULL);
    FUZZ_CHECK(strcmp(json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PLAIN),
                      json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PLAIN)) == 0);
    json_object_put(parsed);
    free(written);
    json_object_put(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    date_t today = date_from_ymd(2026, 3, 2);
    const struct codec_claim_options member = {.may_set_received_date = false, .today = today};
    const struct codec_claim_options staff = {.may_set_received_date = true, .today = today};
    parse_one((const char *)data, size, &member, &staff);
    parse_one((const char *)data, size, &staff, &staff);
    return 0;
}
