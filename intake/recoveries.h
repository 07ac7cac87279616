/*
 * Recoveries (docs/api.md "Recoveries", docs/rules.md "Recoveries"): after an
 * enrollment write that can end coverage, the family's approved claims are
 * checked against the records as they now stand (adjudicate/recovery.h), and
 * each claim with paid lines on dates no longer covered gets a recovery that
 * staff list with GET /v1/recoveries (and reverse, issue 14).
 */
#ifndef CLAIMS_INTAKE_RECOVERIES_H
#define CLAIMS_INTAKE_RECOVERIES_H

#include <stdbool.h>

#include "intake/api.h"

struct app;

/*
 * Scans the family of subscriber_id and stores what it finds (created,
 * updated, withdrawn when no longer applicable). Call it after any write
 * that can end coverage (PUT /v1/members/{id}, member events). Runs on the
 * event loop, in the background: nothing to free, failures are logged.
 */
void intake_recoveries_scan_family(struct app *app, const char *subscriber_id);

/* Told once whether a family's recovery scan stored its findings (ok) or gave up (not ok). */
typedef void (*recoveries_done_cb)(bool ok, void *arg);
/* The same, calling done(ok, arg) once when the scan's findings are stored
 * (ok) or it gave up (not ok; logged), so that a write can answer after its
 * recoveries are in place. */
void intake_recoveries_scan_family_then(struct app *app, const char *subscriber_id,
                                        recoveries_done_cb done, void *arg);

/* GET /v1/recoveries (staff, admin). */
void intake_recoveries_get(struct call *call);
/* POST /v1/recoveries/{id}/reverse (staff, admin). */
void intake_recoveries_reverse(struct call *call);

#endif
