/*
 * A claim submission (API.md "Submitting a claim") from JSON to struct claim
 * and back. Every rule and its exact problem text is in docs/validation.md.
 */
#ifndef CLAIMS_CODEC_PARSE_CLAIM_H
#define CLAIMS_CODEC_PARSE_CLAIM_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "codec/field_errors.h"
#include "codec/json_edge.h"
#include "model.h"

struct codec_claim_options {
    /* Staff may set received_date (API.md "Roles"); for anyone else the
     * field is refused with "not allowed for this role". */
    bool may_set_received_date;
    /* Today's date (UTC, read once by the caller): received_date must not be
     * after it, and service and fill dates must not be after the received
     * date (the supplied one, or today). */
    date_t today;
};

/*
 * Fills *out from body, checking every field; all problems go to errs with
 * their JSON paths, not only the first. Returns true when this call added no
 * problem. *out is zeroed first and is meaningful only on true. Codes are
 * stored normalised (NDC 11 digits, ICD-10-CM upper case with its dot,
 * procedure codes and modifiers upper case); names are trimmed of spaces.
 * When received_date is absent, out->has_received_date is false and
 * out->received_date is zero: the caller sets the date it stamps.
 */
bool codec_parse_claim(struct json_object *body, const struct codec_claim_options *opt,
                       struct claim *out, struct codec_field_errors *errs);

/*
 * The whole edge for POST /v1/claims: bytes -> checked claim.
 * CODEC_OK: *out is valid. CODEC_NOT_JSON / CODEC_INVALID: *reason is a
 * static sentence for the error message, errs holds the field problems (for
 * CODEC_INVALID; possibly none, e.g. the body is not an object).
 */
enum codec_status codec_claim_from_body(const char *bytes, size_t len,
                                        const struct codec_claim_options *opt, struct claim *out,
                                        struct codec_field_errors *errs, const char **reason);

/*
 * The canonical JSON of a parsed claim, for storage and for `submitted` in
 * GET responses: fields in a fixed order, amounts as numbers with two
 * decimals, dates as strings, codes normalised, optional fields that were
 * absent left out (booleans always written). codec_parse_claim of this
 * object (with received_date allowed) gives back an identical struct.
 * Allocates: the caller owns the object (json_object_put); NULL when out of
 * memory.
 */
struct json_object *codec_claim_to_json(const struct claim *claim);

struct strbuf;

/*
 * The same canonical JSON as codec_claim_to_json, appended to sb as text
 * without building a json-c tree (the submission path stores it this way):
 * the same members in the same order with the same values; strings escaped
 * per RFC 8259 (a "/" is not escaped, which json-c does, and means the same).
 * Returns 0, or -1 when sb failed (out of memory).
 */
int codec_claim_write_json(const struct claim *claim, struct strbuf *sb);

#endif
