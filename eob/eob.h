/*
 * The Explanation of Benefits (RULES.md § 10, manual § VI "Explanation of
 * Benefits"): one record per benefit determination, addressed to the
 * employee (the subscriber), saying in plain language how the benefit was
 * determined. docs/eob.md describes the record field by field.
 *
 * The record is built once, when the worker finalizes a claim, from the
 * decision and the facts it was made from; the server stores the record's
 * JSON text and renders the other formats from the stored record later, so
 * an EOB reads the same forever even if code wordings or enrollment change:
 *
 *   worker:  eob_standing_after() -> eob_record_text() -> store
 *   server:  json_tokener_parse(stored) -> format=json: as is
 *                                         format=fhir: eob_fhir()
 *                                         format=html: eob_html()
 *
 * Pended claims get no EOB (no determination yet). Nothing here does I/O or
 * reads a clock; every function is safe to call from any thread.
 */
#ifndef CLAIMS_EOB_H
#define CLAIMS_EOB_H

#include <stddef.h>

#include <json-c/json.h>

#include "adjudicate/adjudicate.h"
#include "date.h"
#include "adjudicate/appeals.h"
#include "model.h"
#include "money.h"

/* Used when eob_inputs leaves payer_name / appeal_* NULL (no configuration). */
#define EOB_DEFAULT_PAYER_NAME "Group Health Plan"
#define EOB_DEFAULT_APPEAL_ADDRESS "Claims Office, Appeals, at the address shown on your claim form"
#define EOB_DEFAULT_APPEAL_INSTRUCTIONS                                                            \
    "If you disagree with how this claim was decided, write to us. Give the claim number, the "    \
    "patient's name and member ID, the lines you disagree with and why, and include copies of "    \
    "any bills, records or letters that support your appeal. You can also appeal online: sign in " \
    "to the member portal, open this claim and choose Appeal. You may ask for copies of the "      \
    "documents used to decide your claim, free of charge."

/* The appeal period: this many days from the statement date (manual § VI, RULES.md § 10;
 * 29 CFR 2560.503-1(h)(3)(i)): the same rule POST /v1/claims/{id}/appeals enforces. */
#define EOB_APPEAL_DAYS ADJ_APPEAL_WINDOW_DAYS
/* How long the plan takes to decide an appeal, told on the EOB as the review
 * procedure's time limit (29 CFR 2560.503-1(g)(1)(iv), (i)(2)(iii)(A)). */
#define EOB_APPEAL_DECISION_DAYS ADJ_APPEAL_DECISION_DAYS

/* ---- Deductible and out-of-pocket standing after the claim ---- */

struct eob_amount_standing {
    cents_t limit;     /* the plan's amount for the tier (individual or family) */
    cents_t met;       /* met so far in the plan year, this claim included */
    cents_t remaining; /* max(0, limit - met) */
};

struct eob_tier_standing {
    struct eob_amount_standing deductible;
    struct eob_amount_standing out_of_pocket;
};

/* One plan year (the calendar year of the service dates), indexed by enum network. */
struct eob_year_standing {
    int year;
    struct eob_tier_standing individual[2]; /* the patient's own */
    struct eob_tier_standing family[2];     /* everyone with the patient's subscriber_id */
};

/*
 * The standing after this claim for every plan year of the claim's lines
 * (adj_claim_plan_years order): `before` are the accumulators the decision
 * was made with (the same array as adj_facts.accumulators), plus the
 * decision's deltas (only an approved claim has any), measured against the
 * plan's tier terms. Writes at most max entries (ADJ_MAX_PLAN_YEARS always
 * suffices) and returns how many, or -1 when a plan year of the claim has no
 * entry in `before` or an argument is NULL.
 */
int eob_standing_after(const struct plan *plan, const struct claim *claim,
                       const struct adj_year_accumulators *before, int n_before,
                       const struct adj_decision *decision, struct eob_year_standing *out, int max);

/* ---- The record ---- */

struct eob_inputs {
    const char *claim_id;      /* the claim's UUID */
    int version;               /* 1, then +1 for each re-adjudication (earlier ones are kept) */
    date_t statement_date;     /* the EOB's date: the appeal period counts from it */
    date_t received_date;      /* when the Claims Office received the claim */
    const struct claim *claim; /* as adjudicated */
    const struct member *patient;
    const struct member *subscriber; /* the employee the EOB is addressed to (may be patient) */
    const struct group *group;
    const struct plan *plan;
    const struct adj_decision *decision;
    const struct eob_year_standing *standing; /* from eob_standing_after() */
    int n_standing;
    const char *payer_name;          /* NULL: EOB_DEFAULT_PAYER_NAME */
    const char *appeal_address;      /* NULL: EOB_DEFAULT_APPEAL_ADDRESS */
    const char *appeal_instructions; /* NULL: EOB_DEFAULT_APPEAL_INSTRUCTIONS */
};

enum eob_status {
    EOB_OK = 0,
    EOB_PENDED = 1,      /* a pended claim: no determination, no EOB; *out is NULL */
    EOB_ERR_INPUTS = -1, /* a NULL, a line count or version out of range, an unknown code,
                            or amounts that do not add up to the cent: a bug upstream */
    EOB_ERR_NOMEM = -2,
};

/*
 * Builds the EOB record (docs/eob.md "The record"): the object served for
 * format=json and stored. Checks before writing anything that every line
 * balances (charge = plan paid + its adjustments; patient responsibility =
 * its PR adjustments) and that the claim totals and the code summary are the
 * sums of the lines, so a record that exists adds up to the cent. Amounts
 * are JSON numbers with exactly two decimals. The tree is eob_record_text()'s
 * text parsed back. On EOB_OK the caller owns *out (json_object_put);
 * otherwise *out is NULL.
 */
enum eob_status eob_record_build(const struct eob_inputs *in, struct json_object **out);

/* eob_record_build() that returns the record, or NULL for any other status. */
struct json_object *eob_record_json(const struct eob_inputs *in);

/* The record as the text the worker stores, written without a tree: what
 * json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE) writes for it. The statuses of
 * eob_record_build(); on EOB_OK *out is allocated (the caller frees it). */
enum eob_status eob_record_text(const struct eob_inputs *in, char **out);

/* ---- Formats rendered from a record (built here, or parsed back from storage) ---- */

/*
 * A FHIR R4 ExplanationOfBenefit in the shape of the CARIN Blue Button
 * profiles (C4BB ExplanationOfBenefit Professional NonClinician for medical
 * claims, Pharmacy for pharmacy claims), self-contained: patient, insurer,
 * provider and coverage are contained resources. NULL when the record is not
 * one eob_record_build() would write, or out of memory. Caller owns it.
 */
struct json_object *eob_fhir(const struct json_object *record);

/*
 * A printable, self-contained HTML5 page (inline style only: no script, no
 * external asset), every value HTML-escaped. Returns a NUL-terminated string
 * the caller frees, or NULL as eob_fhir().
 */
char *eob_html(const struct json_object *record);

/* Escapes & < > " ' for HTML text and attribute values. Caller frees; NULL on OOM. */
char *eob_html_escape(const char *text);

#endif
