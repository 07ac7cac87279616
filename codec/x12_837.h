/*
 * 837P (005010X222A1) and 837I (005010X223A2) transaction sets to JSON claim
 * submissions (docs/x12.md "Claims in (837)"), pure: no I/O.
 *
 * Syntax problems (a required segment or element missing, an element of the
 * wrong type, size or code) reject the transaction set in the 999 (IK3/IK4).
 * Everything a syntactically good claim may still get wrong (the NPI's check
 * digit, a code's shape, the JSON validation) rejects only that claim in the
 * 277CA.
 */
#ifndef CLAIMS_CODEC_X12_837_H
#define CLAIMS_CODEC_X12_837_H

#include <json-c/json.h>
#include <stdbool.h>

#include "codec/x12.h"

/* One segment in error: a 999 IK3 and, when elem > 0, its IK4. */
struct codec_x12_ik3 {
    char seg_id[4];
    int position;   /* IK302: in the transaction set, ST is 1 */
    char loop[7];   /* IK303: the loop it is in, "" when not known */
    int code;       /* IK304: 1 unrecognized, 3 required segment missing, 8 element errors */
    int elem, comp; /* IK401: element (1-based) and component (0: none) */
    int elem_ref;   /* IK402: the data element's reference number, 0 when not given */
    int elem_code;  /* IK403: 1 required missing, 4 too short, 5 too long, 6 bad
                       character, 7 invalid code value, 8 invalid date, 9 invalid time */
    char clm01[39]; /* CTX: CLM01 of the claim it is in, "" outside a claim */
};

#define CODEC_X12_MAX_IK3 20

/* A claim the 277CA answers, with its submission when it could be mapped. */
struct codec_x12_claim_in {
    char clm01[39];         /* CLM01: the patient control number */
    long long charge_cents; /* CLM02 */
    char billing_npi[81];   /* 2010AA NM109 as sent */
    int provider;           /* index into codec_x12_837.providers */
    char member_id[81];     /* the patient's NM109 */
    char last_name[61], first_name[36];
    char from[9], to[9];            /* the claim's service dates, CCYYMMDD */
    char bill_type[4];              /* 837I: CLM05-1 + CLM05-3 */
    char d9[51];                    /* 2300 REF*D9, "" when not sent */
    struct json_object *submission; /* NULL when rejected while mapping */
    /* A rejection found while mapping (the submission is then NULL). */
    const char *reject_category, *reject_status, *reject_entity, *reject_text;
};

struct codec_x12_provider_in {
    char npi[81];
    char name[101]; /* NM103, or NM104 and NM103 for a person */
    bool person;
};

struct codec_x12_837 {
    bool institutional;
    char bht03[51];
    char submitter_name[61], submitter_id[81];
    char receiver_name[61], receiver_id[81];
    struct codec_x12_provider_in *providers;
    int n_providers;
    struct codec_x12_claim_in *claims;
    int n_claims;
    struct codec_x12_ik3 errs[CODEC_X12_MAX_IK3];
    int n_errs;
    int n_errs_dropped;
};

/* Reads the transaction set t of doc (its ST/SE checked by codec_x12_envelope)
 * into *out. Returns 0, or -1 when out of memory (out is then freed). A set
 * with syntax problems has n_errs > 0 and its claims must not be stored. */
int codec_x12_837_read(const struct codec_x12_doc *doc, const struct codec_x12_set *t,
                       struct codec_x12_837 *out);
/* Frees what codec_x12_837_read kept in *m (providers, claims, their submissions). */
void codec_x12_837_free(struct codec_x12_837 *m);

/* The X12 element a JSON path of the submission came from (docs/x12.md),
 * e.g. "provider.npi" -> "2010AA NM109", "lines[2].charge" -> "2400 SV102
 * (LX 3)"; into out. And the 277CA status code (STC01-2) and entity
 * (STC01-3, "" for none) for a problem there. */
void codec_x12_837_element_of(const char *json_path, bool institutional, char *out, size_t size,
                              const char **status, const char **entity);

#endif
