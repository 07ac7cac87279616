/*
 * The family re-decision job (docs/operations.md "Corrections and the
 * adjustment cascade"): what a worker does with a work entry marked
 * redecide (queue/corrections.h). It reads the family at one instant
 * (queue_redecide_load), decides its standing claims of the job's plan years
 * again with adj_redecide_family (adjudicate/redecide.h) on the enrollment
 * records as they stand today, and commits in one compare-and-set step
 * guarded by the family version (queue_redecide_commit): the accumulators
 * set to the recomputed values; every claim whose decision changed (or whose
 * recovery is reversed) gets its new decision and a new EOB version with an
 * `adjustment` section; every voided or replaced claim whose reversal EOB is
 * due gets it. A commit refused as stale reads and decides again.
 */
#ifndef CLAIMS_REDECIDE_JOB_H
#define CLAIMS_REDECIDE_JOB_H

#include <stdbool.h>

#include "adjudicate/adjudicate.h"
#include "queue/work.h"

/* Runs one job to its commit (or leaves it pending for redelivery after an
 * error, logged with the job's claim id). Returns false only when the
 * connection broke. consumer names the worker in audit records. */
bool worker_redecide_job_run(struct work_conn *wc, const struct work_item *job,
                             const char *consumer);

/* The EOB record text (eob/eob.h) of a decision made on these facts and
 * accumulators (the worker's and the re-decision's one way to write it): the
 * full record when patient, group and plan are known, else the short record
 * of docs/eob.md (claim_id, version, statement_date, outcome, decision).
 * Allocates: the caller frees; NULL when the amounts do not add up or out of
 * memory. */
char *worker_redecide_eob_text(const char *claim_id, int version, date_t today, date_t received,
                               const struct claim *claim, const struct member *patient,
                               const struct member *subscriber, const struct group *group,
                               const struct plan *plan, const struct adj_year_accumulators *before,
                               int n_before, const struct adj_decision *d);

#endif
