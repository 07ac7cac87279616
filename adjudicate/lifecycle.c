/*
 * The enrollment lifecycle: an event staff record for a member, checked
 * against the manual's windows and turned into coverage spans, termination
 * events and dated facts (lifecycle.h, docs/rules.md "Enrollment events").
 *
 * Manual sources:
 *   § I   "Enrollment for new hires", "Late enrollment", "Eligible
 *         dependents", "Effective dates of coverage" (new hire, newly
 *         acquired dependent, former employee returning to work);
 *   § II  "Addition of dependent coverage", "Enrollment after an open
 *         enrollment period" items 2 and 3, "Special enrollment after open
 *         enrollment period", "Enrollment due to loss of prior creditable
 *         coverage";
 *   § III "Termination effective date" (employee, dependent, all of an
 *         employee's dependents), "Reporting terminations";
 *   § IV  "Temporary lay-off or leave of absence", "COBRA provisions".
 */
#include "lifecycle.h"

#include <string.h>

#include "rules.h"

static const char *const event_names[ADJ_EVENT_KINDS] = {"hire",
                                                         "newborn",
                                                         "adoption",
                                                         "placement",
                                                         "guardianship",
                                                         "marriage",
                                                         "divorce",
                                                         "loss_of_other_coverage",
                                                         "termination",
                                                         "leave_of_absence",
                                                         "layoff",
                                                         "return_to_work",
                                                         "student_status",
                                                         "household_status",
                                                         "handicapped_status",
                                                         "medicare_entitlement",
                                                         "other_group_coverage",
                                                         "cobra_election"};

/* The index of name in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(name, names[k]) == 0)
            return k;
    return -1;
}

const char *adj_lifecycle_event_name(enum adj_lifecycle_event_kind kind)
{
    return kind < ADJ_EVENT_KINDS ? event_names[kind] : "";
}

bool adj_lifecycle_event_parse(const char *name, enum adj_lifecycle_event_kind *out)
{
    int k = name_index(event_names, ADJ_EVENT_KINDS, name);
    if (k < 0)
        return false;
    *out = (enum adj_lifecycle_event_kind)k;
    return true;
}

bool adj_lifecycle_event_adds_required(enum adj_lifecycle_event_kind kind)
{
    return kind == ADJ_EVENT_HIRE || kind == ADJ_EVENT_NEWBORN || kind == ADJ_EVENT_ADOPTION ||
           kind == ADJ_EVENT_PLACEMENT || kind == ADJ_EVENT_GUARDIANSHIP;
}

bool adj_lifecycle_event_adds_allowed(enum adj_lifecycle_event_kind kind)
{
    return adj_lifecycle_event_adds_required(kind) || kind == ADJ_EVENT_MARRIAGE ||
           kind == ADJ_EVENT_LOSS_OF_OTHER_COVERAGE;
}

static const char *const cobra_reason_names[ADJ_COBRA_REASONS] = {
    "termination_of_employment", "reduction_of_hours", "divorce",
    "legal_separation",          "death_of_employee",  "medicare_entitlement",
    "loss_of_dependent_status"};

const char *adj_lifecycle_cobra_reason_name(enum adj_cobra_reason reason)
{
    return reason < ADJ_COBRA_REASONS ? cobra_reason_names[reason] : "";
}

bool adj_lifecycle_cobra_reason_parse(const char *name, enum adj_cobra_reason *out)
{
    int k = name_index(cobra_reason_names, ADJ_COBRA_REASONS, name);
    if (k < 0)
        return false;
    *out = (enum adj_cobra_reason)k;
    return true;
}

/* ---- helpers ---- */

static bool refuse(struct adj_lifecycle_refusal *refusal, const char *code, const char *field,
                   const char *problem)
{
    refusal->code = code;
    refusal->field = field;
    refusal->problem = problem;
    return false;
}

/* Whether the form reached the plan within `days` after `start`: day `days`
 * is in time, day days + 1 is late. A report before the event (a newborn
 * enrolled before the birth, § II item 2) is in time. */
static bool within(date_t start, int days, date_t reported_on)
{
    return date_diff_days(reported_on, start) <= days;
}

/* The active span covering `on`, or -1 (the member is then not enrolled on
 * that day). */
static int active_span_on(const struct member *m, date_t on)
{
    for (int i = 0; i < m->n_coverage; i++) {
        const struct coverage_span *s = &m->coverage[i];
        if (s->kind != COVERAGE_ACTIVE || date_cmp(on, s->effective) < 0)
            continue;
        if (!s->has_termination_event ||
            date_cmp(on, adj_termination_effective_date(s->termination_event)) <= 0)
            return i;
    }
    return -1;
}

/* The member's latest active span (by effective date), or -1. */
static int latest_active_span(const struct member *m)
{
    int found = -1;
    for (int i = 0; i < m->n_coverage; i++)
        if (m->coverage[i].kind == COVERAGE_ACTIVE &&
            (found < 0 || date_cmp(m->coverage[i].effective, m->coverage[found].effective) >= 0))
            found = i;
    return found;
}

static bool add_span(struct member *m, const char *plan_id, date_t effective)
{
    if (m->n_coverage >= MAX_COVERAGE_SPANS)
        return false;
    struct coverage_span *s = &m->coverage[m->n_coverage++];
    memset(s, 0, sizeof *s);
    memcpy(s->plan_id, plan_id, ID_LEN);
    s->plan_id[ID_LEN - 1] = '\0';
    s->effective = effective;
    s->kind = COVERAGE_ACTIVE;
    return true;
}

/*
 * Sets the termination event of every active span of m that covers a day on
 * or after `event` and has no earlier termination event (§ III: "coverage
 * ceases at midnight on the last day of the calendar month in which the
 * termination event occurs"). A span that starts after the event is left as
 * it is (an event cannot end coverage before it begins). Returns whether a
 * span changed.
 */
static bool terminate_spans(struct member *m, date_t event, date_t reported_on)
{
    bool changed = false;
    for (int i = 0; i < m->n_coverage; i++) {
        struct coverage_span *s = &m->coverage[i];
        if (s->kind != COVERAGE_ACTIVE || date_cmp(s->effective, event) > 0)
            continue;
        if (s->has_termination_event && date_cmp(s->termination_event, event) <= 0)
            continue;
        s->has_termination_event = true;
        s->termination_event = event;
        s->has_termination_reported_on = true;
        s->termination_reported_on = reported_on;
        changed = true;
    }
    return changed;
}

static bool is_employee(const struct member *m)
{
    return m->relationship == REL_EMPLOYEE;
}

/* The new person's record: its coverage derived here, never taken from the
 * body (the parser refuses "coverage" in an event's member). */
static int append_member(struct adj_lifecycle_family *f, const struct member *m)
{
    if (f->n >= ADJ_LIFECYCLE_MAX_FAMILY)
        return -1;
    int at = f->n++;
    f->members[at] = *m;
    f->members[at].n_coverage = 0;
    f->changed[at] = true;
    return at;
}

/* The added person belongs to the path member's family (a dependent of its
 * subscriber, in its group). */
static bool check_added_dependent(const struct adj_lifecycle_event *ev, const struct member *path,
                                  struct adj_lifecycle_refusal *refusal)
{
    if (strcmp(ev->member.subscriber_id, path->subscriber_id) != 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.subscriber_id",
                      "must equal the subscriber of the member in the path");
    if (strcmp(ev->member.group_id, path->group_id) != 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.group_id",
                      "must equal the group of the member in the path");
    return true;
}

/* ---- § I "Enrollment for new hires" ---- */

/*
 * § I "Effective dates of coverage — New hire enrollment": "Coverage becomes
 * effective on the date each employee completes the eligibility waiting
 * period". § I "Enrollment for new hires": the form is due "no later than 31
 * days after his or her date of eligibility", and "if there is an
 * eligibility waiting period ... the enrollment period ... is extended to
 * include the waiting period": the window runs from the hire through 31 days
 * after the date of eligibility.
 */
static bool apply_hire(const struct adj_lifecycle_event *ev, const struct group *g,
                       struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    const struct member *m = &ev->member;
    if (m->relationship != REL_EMPLOYEE)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.relationship",
                      "must be employee for a hire");
    if (strcmp(m->group_id, g->group_id) != 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.group_id", "is not a known group");
    date_t eligible = date_add_days(ev->date, g->waiting_period_days);
    if (!within(eligible, ADJ_LIFECYCLE_NEW_HIRE_WINDOW_DAYS, ev->reported_on))
        return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on",
                      "is more than 31 days after the date of eligibility (the window for "
                      "enrolling a new hire, manual § I \"Enrollment for new hires\")");
    int at = append_member(f, m);
    if (at < 0 || !add_span(&f->members[at], g->plan_id, eligible))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member", "the family has too many members");
    f->answer = at;
    return true;
}

/* ---- § I "Addition of a newly acquired dependent", § II items 2 and 3 ---- */

static const char *late_child_problem(enum adj_lifecycle_event_kind kind)
{
    switch (kind) {
    case ADJ_EVENT_NEWBORN:
        return "is more than 60 days after the birth (the window for adding a newborn, "
               "manual § II)";
    case ADJ_EVENT_ADOPTION:
        return "is more than 60 days after the adoption (the window for adding an adopted "
               "child, manual § II)";
    case ADJ_EVENT_PLACEMENT:
        return "is more than 60 days after the placement (the window for adding a child placed "
               "for adoption or in foster care, manual § II)";
    default:
        return "is more than 60 days after the guardianship was granted (the window for adding "
               "a child under legal guardianship, manual § II)";
    }
}

/*
 * § II item 2: "he or she may enroll a newborn child prior to the birth of
 * the child or within 60 days after the child's birth ... the effective date
 * of coverage for the newborn child will be the date of the child's birth."
 * § II item 3: an adopted, foster or guardianship child "within 60 days of
 * the date the child is legally placed ... or ... the employee is granted
 * legal guardianship"; effective on that date. Both require that the
 * employee "is enrolled for coverage": the path member (the employee, or an
 * enrolled dependent whose own newborn is a grandchild, § I) must be covered
 * on the event's date; the child gets that member's plan.
 */
static bool apply_child(const struct adj_lifecycle_event *ev, struct adj_lifecycle_family *f,
                        struct adj_lifecycle_refusal *refusal)
{
    const struct member *path = &f->members[f->path];
    const struct member *child = &ev->member;
    if (!check_added_dependent(ev, path, refusal))
        return false;
    if (child->relationship != REL_CHILD && child->relationship != REL_GRANDCHILD)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.relationship",
                      "must be child or grandchild");
    if (ev->kind == ADJ_EVENT_NEWBORN && !date_eq(child->birth_date, ev->date))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.birth_date",
                      "must equal date for a newborn");
    int span = active_span_on(path, ev->date);
    if (span < 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "date",
                      "the member in the path is not enrolled on this date (manual § II: the "
                      "employee must be enrolled for coverage)");
    if (!within(ev->date, ADJ_LIFECYCLE_DEPENDENT_WINDOW_DAYS, ev->reported_on))
        return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on", late_child_problem(ev->kind));
    char plan[ID_LEN];
    memcpy(plan, path->coverage[span].plan_id, ID_LEN);
    int at = append_member(f, child);
    if (at < 0 || !add_span(&f->members[at], plan, ev->date))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member", "the family has too many members");
    f->answer = at;
    return true;
}

/* ---- marriage ---- */

/*
 * An employee marries (a spouse in "member"):
 *   - enrolled on the marriage date: the spouse is a newly acquired dependent
 *     (§ I "Addition of a newly acquired dependent": "the date the employee
 *     acquires the dependent through marriage"; "within 60 days after the
 *     dependent's date of eligibility"; § II "Addition of dependent coverage":
 *     60 days), effective on the marriage date;
 *   - not enrolled: special enrollment of the employee and the spouse (§ II
 *     "Special enrollment after open enrollment period", item 1 "Marriage":
 *     "within 31 days"; "the effective date of coverage will be the day of
 *     the event creating eligibility").
 * The manual's two windows for a spouse are read as one rule each: 60 days
 * adds a dependent to coverage that exists, 31 days enrols someone who was
 * not enrolled (docs/rules.md says why).
 * A dependent child marries (no "member"): § III "Dependent termination":
 * "the dependent marries" is a termination event; married_on is set too.
 */
static bool apply_marriage(const struct adj_lifecycle_event *ev, const struct group *g,
                           struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    struct member *path = &f->members[f->path];
    if (!ev->has_member) {
        if (path->relationship != REL_CHILD && path->relationship != REL_GRANDCHILD)
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member",
                          "is required unless the member in the path is a dependent child");
        path->has_married_on = true;
        path->married_on = ev->date;
        terminate_spans(path, ev->date, ev->reported_on);
        f->changed[f->path] = true;
        f->answer = f->path;
        return true;
    }
    if (!is_employee(path))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member",
                      "is allowed only when the member in the path is the employee");
    if (!check_added_dependent(ev, path, refusal))
        return false;
    if (ev->member.relationship != REL_SPOUSE)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.relationship",
                      "must be spouse for a marriage");
    int span = active_span_on(path, ev->date);
    char plan[ID_LEN];
    if (span >= 0) {
        if (!within(ev->date, ADJ_LIFECYCLE_DEPENDENT_WINDOW_DAYS, ev->reported_on))
            return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on",
                          "is more than 60 days after the marriage (the window for adding a "
                          "spouse, manual § I \"Addition of a newly acquired dependent\")");
        memcpy(plan, path->coverage[span].plan_id, ID_LEN);
    } else {
        if (!within(ev->date, ADJ_LIFECYCLE_SPECIAL_WINDOW_DAYS, ev->reported_on))
            return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on",
                          "is more than 31 days after the marriage (the window for special "
                          "enrollment, manual § II)");
        memcpy(plan, g->plan_id, ID_LEN);
        if (!add_span(path, plan, ev->date))
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "coverage",
                          "the member has too many coverage spans");
        f->changed[f->path] = true;
    }
    int at = append_member(f, &ev->member);
    if (at < 0 || !add_span(&f->members[at], plan, ev->date))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member", "the family has too many members");
    f->members[at].has_married_on = true;
    f->members[at].married_on = ev->date;
    f->answer = at;
    return true;
}

/* ---- divorce: § III "Dependent termination" (the spouse is no longer an
 * eligible dependent, § I "Eligible dependents": "Legal spouse") ---- */

static bool apply_divorce(const struct adj_lifecycle_event *ev, struct adj_lifecycle_family *f,
                          struct adj_lifecycle_refusal *refusal)
{
    const struct member *path = &f->members[f->path];
    bool any = false;
    if (path->relationship == REL_SPOUSE) {
        terminate_spans(&f->members[f->path], ev->date, ev->reported_on);
        f->changed[f->path] = any = true;
    } else if (is_employee(path)) {
        for (int i = 0; i < f->n; i++)
            if (f->members[i].relationship == REL_SPOUSE) {
                terminate_spans(&f->members[i], ev->date, ev->reported_on);
                f->changed[i] = any = true;
            }
    }
    if (!any)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                      "needs a spouse: the member in the path or the employee's spouse");
    f->answer = f->path;
    return true;
}

/* ---- § II "Enrollment due to loss of prior creditable coverage" ---- */

/*
 * "The employee must submit an Enrollment/Change Form ... within 31 days of
 * the day that the employee or their dependents ... are no longer eligible
 * for the other coverage"; "the effective date of coverage will be the first
 * day of the month following the day on which CIGNA received the
 * Enrollment/Change Form" (reported_on). The person enrolled is "member"
 * when given (a dependent not yet on file), else the path member, who must
 * not be covered then. Other coverage it lost (open entries that began on
 * or before the loss) is given the loss date as its termination.
 */
static bool apply_loss(const struct adj_lifecycle_event *ev, const struct group *g,
                       struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    date_t effective = date_add_days(date_end_of_month(ev->reported_on), 1);
    if (!within(ev->date, ADJ_LIFECYCLE_LOSS_WINDOW_DAYS, ev->reported_on))
        return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on",
                      "is more than 31 days after the loss of the other coverage (the window "
                      "for enrolling after a loss of prior creditable coverage, manual § II)");
    int who;
    const struct member *path = &f->members[f->path];
    if (ev->has_member) {
        if (!check_added_dependent(ev, path, refusal))
            return false;
        if (ev->member.relationship == REL_EMPLOYEE)
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member.relationship",
                          "must not be employee: the employee enrols with the path");
        who = append_member(f, &ev->member);
        if (who < 0)
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member",
                          "the family has too many members");
    } else {
        who = f->path;
        if (active_span_on(path, effective) >= 0)
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                          "the member is already enrolled; loss_of_other_coverage enrols "
                          "someone who is not");
    }
    struct member *m = &f->members[who];
    for (int i = 0; i < m->n_other_coverage; i++) {
        struct other_coverage *oc = &m->other_coverage[i];
        if (!oc->has_termination && date_cmp(oc->effective, ev->date) <= 0) {
            oc->has_termination = true;
            oc->termination = ev->date;
        }
    }
    if (!add_span(m, g->plan_id, effective))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "coverage",
                      "the member has too many coverage spans");
    f->changed[who] = true;
    f->answer = who;
    return true;
}

/* ---- § III terminations ---- */

/*
 * § III "Employee termination": coverage ceases at the end of the month of
 * the termination event; "Group coverage ... for all of an employee's
 * dependents will terminate when ... the employee's group coverage
 * terminates": the employee's termination event goes on every open span of
 * the family. A dependent's termination ends that dependent's only. The
 * report date is kept on each span (§ III "Reporting terminations": due
 * within 31 days of the termination effective date; a later report is still
 * accepted, a retroactive termination).
 */
static void terminate(const struct adj_lifecycle_event *ev, date_t event,
                      struct adj_lifecycle_family *f)
{
    if (is_employee(&f->members[f->path])) {
        for (int i = 0; i < f->n; i++)
            if (terminate_spans(&f->members[i], event, ev->reported_on))
                f->changed[i] = true;
    } else if (terminate_spans(&f->members[f->path], event, ev->reported_on)) {
        f->changed[f->path] = true;
    }
    f->answer = f->path;
}

/*
 * § IV "Temporary lay-off or leave of absence": "his or her coverage for all
 * benefits may be continued for up to 60 days if the contract permits" (the
 * group's leave_continuation). Where it does, the 60th day of the leave is
 * the termination event, so coverage ends at the end of that day's month
 * (§ III "Termination effective date"); a return to work before then keeps
 * coverage going. Where it does not, the leave is a termination on its
 * first day. Either way the whole family's coverage ends with the
 * employee's (§ III).
 */
static bool apply_leave(const struct adj_lifecycle_event *ev, const struct group *g,
                        struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    if (!is_employee(&f->members[f->path]))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                      "applies to an employee: the member in the path is a dependent");
    date_t event = g->leave_continuation
                       ? date_add_days(ev->date, ADJ_LIFECYCLE_LEAVE_CONTINUATION_DAYS)
                       : ev->date;
    terminate(ev, event, f);
    return true;
}

/*
 * The employee returns to work:
 *   - coverage has not ended yet (a leave continued under § IV, or a
 *     termination whose month has not run out): the termination event is
 *     withdrawn from the family's spans that carried the same event, and
 *     coverage simply continues;
 *   - coverage ended: a rehire. § I "Former employee returning to work":
 *     "rehired and return to work within six months of their termination
 *     date may not be required to satisfy any new-hire waiting period"; after
 *     six months the waiting period applies again; "a new Enrollment/Change
 *     of Coverage form must be completed ... within 31 days of the rehire
 *     date". A new active span for the employee, and for each dependent whose
 *     coverage ended with the employee's, from the same date.
 */
static bool apply_return(const struct adj_lifecycle_event *ev, const struct group *g,
                         struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    struct member *emp = &f->members[f->path];
    if (!is_employee(emp))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                      "applies to an employee: the member in the path is a dependent");
    int last = latest_active_span(emp);
    if (last < 0 || !emp->coverage[last].has_termination_event)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                      "the member's coverage has not been set to end: nothing to return from");
    date_t event = emp->coverage[last].termination_event;
    date_t ted = adj_termination_effective_date(event);
    if (date_cmp(ev->date, ted) <= 0) {
        for (int i = 0; i < f->n; i++)
            for (int s = 0; s < f->members[i].n_coverage; s++) {
                struct coverage_span *span = &f->members[i].coverage[s];
                if (span->kind == COVERAGE_ACTIVE && span->has_termination_event &&
                    date_eq(span->termination_event, event)) {
                    span->has_termination_event = false;
                    span->has_termination_reported_on = false;
                    memset(&span->termination_event, 0, sizeof span->termination_event);
                    memset(&span->termination_reported_on, 0, sizeof span->termination_reported_on);
                    f->changed[i] = true;
                }
            }
        f->answer = f->path;
        return true;
    }
    if (!within(ev->date, ADJ_LIFECYCLE_REHIRE_WINDOW_DAYS, ev->reported_on))
        return refuse(refusal, ADJ_LIFECYCLE_LATE, "reported_on",
                      "is more than 31 days after the rehire (the window for a former employee "
                      "returning to work, manual § I)");
    bool no_wait =
        date_cmp(ev->date, date_add_months(ted, ADJ_LIFECYCLE_REHIRE_NO_WAIT_MONTHS)) <= 0;
    date_t effective = no_wait ? ev->date : date_add_days(ev->date, g->waiting_period_days);
    for (int i = 0; i < f->n; i++) {
        struct member *m = &f->members[i];
        int s = latest_active_span(m);
        if (s < 0 || !m->coverage[s].has_termination_event ||
            !date_eq(m->coverage[s].termination_event, event))
            continue;
        if (!add_span(m, g->plan_id, effective))
            return refuse(refusal, ADJ_LIFECYCLE_INVALID, "coverage",
                          "the member has too many coverage spans");
        f->changed[i] = true;
    }
    f->answer = f->path;
    return true;
}

/* ---- dated facts (issue 13: "effective from date, never reaching back") ---- */

/* The facts the event sets (their bits) and their values. */
static unsigned event_facts(const struct adj_lifecycle_event *ev, struct member_facts *v)
{
    memset(v, 0, sizeof *v);
    switch (ev->kind) {
    case ADJ_EVENT_STUDENT_STATUS: v->student = ev->flag; return MEMBER_FACT_STUDENT;
    case ADJ_EVENT_HOUSEHOLD_STATUS:
        v->lives_with_employee = ev->flag;
        v->has_own_dependent = ev->has_own_dependent;
        return MEMBER_FACT_LIVES_WITH_EMPLOYEE |
               (ev->has_own_dependent_given ? MEMBER_FACT_HAS_OWN_DEPENDENT : 0);
    case ADJ_EVENT_HANDICAPPED_STATUS:
        v->handicapped_certified = ev->flag;
        return MEMBER_FACT_HANDICAPPED;
    default: /* medicare_entitlement */
        v->medicare = ev->medicare;
        v->medicare.present = true;
        v->medicare.entitlement_date = ev->date;
        return MEMBER_FACT_MEDICARE;
    }
}

/*
 * A fact that changes on `date` (a student who graduates, a child who moves
 * out, a handicap certified, Medicare entitlement): recorded in the member's
 * history from that date on, so that claims before it are still decided on
 * the facts then (§ I "Eligible dependents" reads them on the date of
 * service, adjudicate/dependents.c).
 */
static bool apply_fact(const struct adj_lifecycle_event *ev, struct adj_lifecycle_family *f,
                       struct adj_lifecycle_refusal *refusal)
{
    struct member_facts values;
    unsigned mask = event_facts(ev, &values);
    if (member_set_facts(&f->members[f->path], ev->date, ev->reported_on, mask, &values) != 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "date",
                      "the member's history of facts is full (64 dated changes)");
    f->changed[f->path] = true;
    f->answer = f->path;
    return true;
}

/* Other group coverage that begins on `date` (coordination of benefits,
 * RULES.md § 6): a new other_coverage entry effective that day. */
static bool apply_other_coverage(const struct adj_lifecycle_event *ev,
                                 struct adj_lifecycle_family *f,
                                 struct adj_lifecycle_refusal *refusal)
{
    struct member *m = &f->members[f->path];
    if (m->n_other_coverage >= MAX_OTHER_COVERAGE)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "other_coverage",
                      "the member has 8 other coverage entries already");
    struct other_coverage *oc = &m->other_coverage[m->n_other_coverage++];
    *oc = ev->other_coverage;
    oc->effective = ev->date;
    if (oc->has_termination && date_cmp(oc->termination, oc->effective) < 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "other_coverage.termination",
                      "must not be before date");
    f->changed[f->path] = true;
    f->answer = f->path;
    return true;
}

/* ---- § IV "COBRA provisions" ---- */

/*
 * "a continuation period of up to 18 to 36 months, depending on the
 * qualifying event": 18 months for termination of employment or reduction
 * of hours; 36 for divorce or legal separation, death of the employee, the
 * employee's entitlement to Medicare and loss of dependent child status
 * (29 U.S.C. § 1162(2)(A)). "an 18-month COBRA continuation period can be
 * extended by an additional 11 months, for a total of 29 months": 29 only
 * for an 18-month reason.
 */
bool adj_lifecycle_cobra_months_fit(enum adj_cobra_reason reason, int months)
{
    bool eighteen =
        reason == ADJ_COBRA_TERMINATION_OF_EMPLOYMENT || reason == ADJ_COBRA_REDUCTION_OF_HOURS;
    return eighteen ? (months == 18 || months == 29) : months == 36;
}

/*
 * COBRA applies "if the employer employs 20 or more employees ... on more
 * than 50% of the previous calendar year": the one call that decides it
 * (the prior-year test, adj_cobra_applies, replaces it when it lands).
 */
static bool cobra_applies(const struct group *g, date_t qualifying_event)
{
    return adj_cobra_applies(g, qualifying_event);
}

/*
 * The election (the event's date) makes a COBRA span: it begins the day after the termination
 * effective date of the qualifying event (the day active coverage would
 * otherwise end, § III), with the qualifying event and the months. An
 * active span of the member still open on the qualifying event is given it
 * as its termination event (the qualifying event "results in termination of
 * coverage", § IV).
 */
static bool apply_cobra(const struct adj_lifecycle_event *ev, const struct group *g,
                        struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    if (!adj_lifecycle_cobra_months_fit(ev->cobra_reason, ev->cobra_months))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "months",
                      ev->cobra_reason == ADJ_COBRA_TERMINATION_OF_EMPLOYMENT ||
                              ev->cobra_reason == ADJ_COBRA_REDUCTION_OF_HOURS
                          ? "must be 18 (or 29 with the disability extension) for this reason"
                          : "must be 36 for this reason");
    if (!cobra_applies(g, ev->qualifying_event))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "qualifying_event",
                      "COBRA does not apply: the group has fewer than 20 employees (manual "
                      "§ IV \"COBRA continuation\")");
    struct member *m = &f->members[f->path];
    int last = latest_active_span(m);
    if (last < 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event",
                      "the member has no active coverage to continue");
    char plan[ID_LEN];
    memcpy(plan, m->coverage[last].plan_id, ID_LEN);
    if (terminate_spans(m, ev->qualifying_event, ev->reported_on))
        f->changed[f->path] = true;
    if (m->n_coverage >= MAX_COVERAGE_SPANS)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "coverage",
                      "the member has too many coverage spans");
    struct coverage_span *s = &m->coverage[m->n_coverage++];
    memset(s, 0, sizeof *s);
    memcpy(s->plan_id, plan, ID_LEN);
    s->effective = date_add_days(adj_termination_effective_date(ev->qualifying_event), 1);
    s->kind = COVERAGE_COBRA;
    s->qualifying_event = ev->qualifying_event;
    s->months = ev->cobra_months;
    /* The election is the event (§ IV "End of COBRA coverage period": what
     * happens after it, Medicare or another group plan, ends COBRA). */
    s->elected_on = ev->date;
    f->changed[f->path] = true;
    f->answer = f->path;
    return true;
}

/* ---- the entry point ---- */

bool adj_lifecycle_apply(const struct adj_lifecycle_event *ev, const struct group *g, date_t today,
                         struct adj_lifecycle_family *f, struct adj_lifecycle_refusal *refusal)
{
    memset(f->changed, 0, sizeof f->changed);
    f->answer = f->path;
    if (date_cmp(ev->reported_on, today) > 0)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "reported_on", "must not be in the future");
    if (ev->has_member && !adj_lifecycle_event_adds_allowed(ev->kind))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member", "is not allowed for this event");
    if (!ev->has_member && adj_lifecycle_event_adds_required(ev->kind))
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member", "is required");
    if (ev->kind == ADJ_EVENT_HIRE)
        return apply_hire(ev, g, f, refusal);
    if (f->path < 0 || f->path >= f->n)
        return refuse(refusal, ADJ_LIFECYCLE_INVALID, "member_id", "is not a known member");
    switch (ev->kind) {
    case ADJ_EVENT_NEWBORN:
    case ADJ_EVENT_ADOPTION:
    case ADJ_EVENT_PLACEMENT:
    case ADJ_EVENT_GUARDIANSHIP: return apply_child(ev, f, refusal);
    case ADJ_EVENT_MARRIAGE: return apply_marriage(ev, g, f, refusal);
    case ADJ_EVENT_DIVORCE: return apply_divorce(ev, f, refusal);
    case ADJ_EVENT_LOSS_OF_OTHER_COVERAGE: return apply_loss(ev, g, f, refusal);
    case ADJ_EVENT_TERMINATION: terminate(ev, ev->date, f); return true;
    case ADJ_EVENT_LEAVE_OF_ABSENCE:
    case ADJ_EVENT_LAYOFF: return apply_leave(ev, g, f, refusal);
    case ADJ_EVENT_RETURN_TO_WORK: return apply_return(ev, g, f, refusal);
    case ADJ_EVENT_STUDENT_STATUS:
    case ADJ_EVENT_HOUSEHOLD_STATUS:
    case ADJ_EVENT_HANDICAPPED_STATUS:
    case ADJ_EVENT_MEDICARE_ENTITLEMENT: return apply_fact(ev, f, refusal);
    case ADJ_EVENT_OTHER_GROUP_COVERAGE: return apply_other_coverage(ev, f, refusal);
    case ADJ_EVENT_COBRA_ELECTION: return apply_cobra(ev, g, f, refusal);
    default: return refuse(refusal, ADJ_LIFECYCLE_INVALID, "event", "is not a known event");
    }
}
