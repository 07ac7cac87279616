/*
 * The 835 Health Care Claim Payment/Advice (ASC X12 005010X221A1) of a
 * payment cycle, built from the stored claims (docs/x12.md "Remittance
 * (835)"). Pure: no I/O.
 *
 * One interchange (ISA/IEA) with one functional group (GS*HP) holding one
 * 835 transaction per payment: a payment is one cycle's claims for one
 * payee NPI. Delimiters: element '*', component ':', repetition '^',
 * segment '~' (each segment ends with "~\n").
 */
#ifndef CLAIMS_X835_H
#define CLAIMS_X835_H

#include <json-c/json.h>
#include <stddef.h>

#include "money.h"

/* The payer (the plan administrator): configuration payment_cycle. */
struct eob_x835_payer {
    const char *name;               /* N1*PR */
    const char *id;                 /* TRN03: "1" and the 9-digit EIN; ISA06/GS02 */
    const char *address;            /* N3 */
    const char *city, *state, *zip; /* N4 */
    const char *phone;              /* PER*BL */
};

/* One payment: a cycle's claims for one payee. Each claim is the claim as
 * read back (API.md): {"claim_id", "submitted": {…}, "decision": {…}}; the
 * payee name is the first claim's provider.name. */
struct eob_x835_payment {
    const char *trace; /* TRN02: unique per payment */
    const char *date;  /* YYYY-MM-DD: BPR16 payment date, DTM*405 production date */
    const char *npi;   /* N1*PE XX */
    struct json_object *const *claims;
    size_t n_claims;
};

struct eob_x835_interchange {
    const struct eob_x835_payer *payer;
    const char *receiver;   /* ISA08/GS03: the payee's NPI */
    long control_number;    /* ISA13, GS06: 1..999999999 */
    const char *created_at; /* RFC 3339 UTC: ISA09/10, GS04/05 */
    const struct eob_x835_payment *payments;
    size_t n_payments;
};

#define EOB_X835_ERR_LEN 160

/* The interchange text (the caller frees it), or NULL with the reason in
 * err (a claim that is not final, an unreadable record, out of memory). The
 * reason names the claim id, never PHI. */
char *eob_x835_build(const struct eob_x835_interchange *ix, char err[EOB_X835_ERR_LEN]);

/* An amount as an X12 decimal (R): no trailing zeros after the point and
 * no point for whole dollars ("150", "150.5", "0.25", "-3"). */
#define EOB_X835_AMOUNT_LEN 24
/* Writes amount as an X12 decimal into buf and returns buf. */
const char *eob_x835_amount(cents_t amount, char buf[EOB_X835_AMOUNT_LEN]);

/* CLP02 for a decision: "1" processed as primary, "2" as secondary, "4"
 * denied. ("22", a reversal, comes with corrections: issue 14.) */
const char *eob_x835_claim_status(const struct json_object *decision);

/* The patient control number of a claim (CLP01): the submission's
 * patient_control_number (CLM01 of an 837), else the claim id. */
const char *eob_x835_patient_control_number(const struct json_object *claim);

#endif
