/*
 * The strict JSON scanner at the edge (codec/json_edge.c): any bytes.
 *
 * Checked: the status contract of json_edge.h; a body the edge accepts is
 * what json-c's own strict tokener builds from the same bytes (as
 * tests/test_parse.c checks for chosen inputs); its canonical text is
 * accepted again to an equal object; the field problems are well formed and
 * render to an error body that is itself strict JSON.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_check.h"
#include "codec/field_errors.h"
#include "codec/json_edge.h"

static void check_errors(const struct codec_field_errors *errs)
{
    FUZZ_CHECK(errs->count >= 0 && errs->count <= CODEC_FIELD_ERRORS_MAX && errs->dropped >= 0);
    for (int i = 0; i < errs->count; i++) {
        FUZZ_CHECK(strnlen(errs->items[i].field, CODEC_PATH_MAX) < CODEC_PATH_MAX);
        FUZZ_CHECK(errs->items[i].problem != NULL);
    }
    struct json_object *body =
        codec_error_render(CODEC_CODE_VALIDATION_FAILED, "the body is not valid", errs);
    FUZZ_CHECK(body != NULL);
    size_t len;
    const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
    struct json_object *again = NULL;
    struct codec_field_errors none;
    codec_field_errors_init(&none);
    FUZZ_CHECK(codec_json_parse(text, len, &again, &none, NULL) == CODEC_OK);
    FUZZ_CHECK(!codec_field_errors_any(&none));
    FUZZ_CHECK(json_object_equal(body, again));
    json_object_put(again);
    json_object_put(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *bytes = (const char *)data;
    struct json_object *obj = (struct json_object *)1;
    const char *reason = NULL;
    struct codec_field_errors errs;
    codec_field_errors_init(&errs);
    enum codec_status st = codec_json_parse(bytes, size, &obj, &errs, &reason);
    FUZZ_CHECK(st == CODEC_OK || st == CODEC_NOT_JSON || st == CODEC_INVALID);
    check_errors(&errs);
    if (st != CODEC_OK) {
        FUZZ_CHECK(obj == NULL && reason != NULL && reason[0] != '\0');
        FUZZ_CHECK(codec_status_http(st) == (st == CODEC_NOT_JSON ? 400 : 422));
        return 0;
    }
    FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object));
    FUZZ_CHECK(codec_status_http(st) == 200);

    /* json-c's strict tokener builds the same object from the same bytes. */
    struct json_tokener *tok = json_tokener_new_ex(CODEC_JSON_MAX_DEPTH + 1);
    FUZZ_CHECK(tok != NULL);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *theirs = json_tokener_parse_ex(tok, bytes, (int)size);
    FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success);
    json_tokener_free(tok);
    FUZZ_CHECK(json_object_equal(obj, theirs));
    FUZZ_CHECK(strcmp(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
                      json_object_to_json_string_ext(theirs, JSON_C_TO_STRING_PLAIN)) == 0);
    json_object_put(theirs);

    /* The canonical text reads back to the same object (json-c keeps one of
     * two equal keys, so duplicates are gone; NULs in keys are not). */
    size_t len;
    const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
    struct json_object *again = NULL;
    struct codec_field_errors errs2;
    codec_field_errors_init(&errs2);
    FUZZ_CHECK(codec_json_parse(text, len, &again, &errs2, NULL) == CODEC_OK);
    FUZZ_CHECK(json_object_equal(obj, again));
    if (!codec_field_errors_any(&errs))
        FUZZ_CHECK(!codec_field_errors_any(&errs2));
    json_object_put(again);
    json_object_put(obj);
    return 0;
}
