/*
 * The enrollment lifecycle (manual § I "Eligibility & enrollment", § II
 * "Changes", § III "Terminations", § IV "Continuation provisions"): the
 * events staff record for a member (POST /v1/members/{member_id}/events,
 * docs/api.md) turned into the member records to write.
 *
 * Pure rules, like the rest of adjudicate/: the records involved, the event
 * and today in; the changed and new records, or a refusal, out. No I/O, no
 * clock, no allocation. Each rule cites its manual section where it is
 * defined (lifecycle.c) and in docs/rules.md "Enrollment events".
 */
#ifndef CLAIMS_ADJ_LIFECYCLE_H
#define CLAIMS_ADJ_LIFECYCLE_H

#include <stdbool.h>

#include "model.h"

/* A family's records read and written together: the subscriber's family set
 * plus a person the event adds. */
#define ADJ_LIFECYCLE_MAX_FAMILY 24

enum adj_lifecycle_event_kind {
    ADJ_EVENT_HIRE,
    ADJ_EVENT_NEWBORN,
    ADJ_EVENT_ADOPTION,
    ADJ_EVENT_PLACEMENT,    /* placement for adoption or of a foster child (§ II item 3) */
    ADJ_EVENT_GUARDIANSHIP, /* court-ordered legal guardianship (§ II item 3) */
    ADJ_EVENT_MARRIAGE,
    ADJ_EVENT_DIVORCE,
    ADJ_EVENT_LOSS_OF_OTHER_COVERAGE,
    ADJ_EVENT_TERMINATION,
    ADJ_EVENT_LEAVE_OF_ABSENCE,
    ADJ_EVENT_LAYOFF,
    ADJ_EVENT_RETURN_TO_WORK,
    ADJ_EVENT_STUDENT_STATUS,
    ADJ_EVENT_HOUSEHOLD_STATUS,
    ADJ_EVENT_HANDICAPPED_STATUS,
    ADJ_EVENT_MEDICARE_ENTITLEMENT,
    ADJ_EVENT_OTHER_GROUP_COVERAGE,
    ADJ_EVENT_COBRA_ELECTION,
    ADJ_EVENT_KINDS
};

/* The event's name in the API ("hire", "newborn", ...); parse answers false
 * for an unknown name. */
const char *adj_lifecycle_event_name(enum adj_lifecycle_event_kind kind);
/* The event kind an API name gives into *out; false for an unknown name. */
bool adj_lifecycle_event_parse(const char *name, enum adj_lifecycle_event_kind *out);
/* Whether the event carries "member" (the person it adds): required for hire,
 * newborn, adoption, placement, guardianship; optional for marriage (an
 * employee adding a spouse; without it the path member is a child who
 * marries) and loss_of_other_coverage (without it the path member enrols). */
bool adj_lifecycle_event_adds_required(enum adj_lifecycle_event_kind kind);
/* Whether the event may carry "member" (required or optional for it, see above). */
bool adj_lifecycle_event_adds_allowed(enum adj_lifecycle_event_kind kind);

/* COBRA qualifying events (§ IV "COBRA provisions"). */
enum adj_cobra_reason {
    ADJ_COBRA_TERMINATION_OF_EMPLOYMENT,
    ADJ_COBRA_REDUCTION_OF_HOURS,
    ADJ_COBRA_DIVORCE,
    ADJ_COBRA_LEGAL_SEPARATION,
    ADJ_COBRA_DEATH_OF_EMPLOYEE,
    ADJ_COBRA_MEDICARE_ENTITLEMENT,
    ADJ_COBRA_LOSS_OF_DEPENDENT_STATUS,
    ADJ_COBRA_REASONS
};
/* The API's name of a COBRA qualifying event, a static string. */
const char *adj_lifecycle_cobra_reason_name(enum adj_cobra_reason reason);
/* Whether `months` fits the reason (§ IV "COBRA provisions"): 18, or 29 with
 * the disability extension, for termination of employment or reduction of
 * hours; 36 for the others. */
bool adj_lifecycle_cobra_months_fit(enum adj_cobra_reason reason, int months);
/* The COBRA qualifying event an API name gives into *out; false for an unknown name. */
bool adj_lifecycle_cobra_reason_parse(const char *name, enum adj_cobra_reason *out);

struct adj_lifecycle_event {
    enum adj_lifecycle_event_kind kind;
    date_t date;        /* the event's own date (birth, hire, loss ...) */
    date_t reported_on; /* when the plan learned of it (default today) */
    bool has_member;
    struct member member; /* the person added; its coverage is derived here */
    /* student_status: student; household_status: lives_with_employee (and
     * has_own_dependent when has_own_dependent_given); handicapped_status:
     * handicapped_certified. */
    bool flag;
    bool has_own_dependent_given;
    bool has_own_dependent;
    struct medicare medicare;             /* medicare_entitlement (entitlement_date = date) */
    struct other_coverage other_coverage; /* other_group_coverage (effective = date) */
    date_t qualifying_event;              /* cobra_election */
    enum adj_cobra_reason cobra_reason;
    int cobra_months;
};

/* A refusal: code "late_enrollment" (422, the window missed) or
 * "validation_failed" (422: the event does not fit the records); field and
 * problem are string literals that carry no personal data. */
struct adj_lifecycle_refusal {
    const char *code;
    const char *field;
    const char *problem;
};

#define ADJ_LIFECYCLE_LATE "late_enrollment"
#define ADJ_LIFECYCLE_INVALID "validation_failed"

/*
 * The records of one event. family[0..n-1] are the family's member records
 * (the path member among them at index `path`; for a hire, path is -1 and
 * the family is empty); on success the records the event changes are edited
 * in place and flagged in changed[], a person it adds is appended (n grows
 * by one, flagged changed too), and `answer` is the index of the record to
 * answer with (the added person's, else the path member's).
 */
struct adj_lifecycle_family {
    struct member members[ADJ_LIFECYCLE_MAX_FAMILY];
    int n;
    int path;
    bool changed[ADJ_LIFECYCLE_MAX_FAMILY];
    int answer;
};

/*
 * Applies `ev` to the family under `group` (the group of the path member, or
 * of the hire), on `today` (the plan's date). Returns true with the family
 * edited, or false with *refusal filled and the family in an unspecified
 * state (discard it).
 */
bool adj_lifecycle_apply(const struct adj_lifecycle_event *ev, const struct group *group,
                         date_t today, struct adj_lifecycle_family *family,
                         struct adj_lifecycle_refusal *refusal);

/* The windows and periods (docs/rules.md "Enrollment events"). */
/* § I "Enrollment for new hires" */
#define ADJ_LIFECYCLE_NEW_HIRE_WINDOW_DAYS 31
/* § I "Addition of a newly acquired dependent", § II */
#define ADJ_LIFECYCLE_DEPENDENT_WINDOW_DAYS 60
/* § II "Special enrollment after open enrollment" */
#define ADJ_LIFECYCLE_SPECIAL_WINDOW_DAYS 31
/* § II "Enrollment due to loss of prior creditable coverage" */
#define ADJ_LIFECYCLE_LOSS_WINDOW_DAYS 31
/* § I "Former employee returning to work" */
#define ADJ_LIFECYCLE_REHIRE_WINDOW_DAYS 31
#define ADJ_LIFECYCLE_REHIRE_NO_WAIT_MONTHS 6
/* § IV "Temporary lay-off or leave of absence" */
#define ADJ_LIFECYCLE_LEAVE_CONTINUATION_DAYS 60

#endif
