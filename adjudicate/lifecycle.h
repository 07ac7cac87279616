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
#define LIFECYCLE_MAX_FAMILY 24

enum lifecycle_event_kind {
    LC_HIRE,
    LC_NEWBORN,
    LC_ADOPTION,
    LC_PLACEMENT,    /* placement for adoption or of a foster child (§ II item 3) */
    LC_GUARDIANSHIP, /* court-ordered legal guardianship (§ II item 3) */
    LC_MARRIAGE,
    LC_DIVORCE,
    LC_LOSS_OF_OTHER_COVERAGE,
    LC_TERMINATION,
    LC_LEAVE_OF_ABSENCE,
    LC_LAYOFF,
    LC_RETURN_TO_WORK,
    LC_STUDENT_STATUS,
    LC_HOUSEHOLD_STATUS,
    LC_HANDICAPPED_STATUS,
    LC_MEDICARE_ENTITLEMENT,
    LC_OTHER_GROUP_COVERAGE,
    LC_COBRA_ELECTION,
    LC_EVENT_KINDS
};

/* The event's name in the API ("hire", "newborn", ...); parse answers false
 * for an unknown name. */
const char *lifecycle_event_name(enum lifecycle_event_kind kind);
bool lifecycle_event_parse(const char *name, enum lifecycle_event_kind *out);
/* Whether the event carries "member" (the person it adds): required for hire,
 * newborn, adoption, placement, guardianship; optional for marriage (an
 * employee adding a spouse; without it the path member is a child who
 * marries) and loss_of_other_coverage (without it the path member enrols). */
bool lifecycle_event_adds_required(enum lifecycle_event_kind kind);
bool lifecycle_event_adds_allowed(enum lifecycle_event_kind kind);

/* COBRA qualifying events (§ IV "COBRA provisions"). */
enum cobra_reason {
    COBRA_TERMINATION_OF_EMPLOYMENT,
    COBRA_REDUCTION_OF_HOURS,
    COBRA_DIVORCE,
    COBRA_LEGAL_SEPARATION,
    COBRA_DEATH_OF_EMPLOYEE,
    COBRA_MEDICARE_ENTITLEMENT,
    COBRA_LOSS_OF_DEPENDENT_STATUS,
    COBRA_REASONS
};
const char *lifecycle_cobra_reason_name(enum cobra_reason reason);
/* Whether `months` fits the reason (§ IV "COBRA provisions"): 18, or 29 with
 * the disability extension, for termination of employment or reduction of
 * hours; 36 for the others. */
bool lifecycle_cobra_months_fit(enum cobra_reason reason, int months);
bool lifecycle_cobra_reason_parse(const char *name, enum cobra_reason *out);

struct lifecycle_event {
    enum lifecycle_event_kind kind;
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
    enum cobra_reason cobra_reason;
    int cobra_months;
};

/* A refusal: code "late_enrollment" (422, the window missed) or
 * "validation_failed" (422: the event does not fit the records); field and
 * problem are string literals that carry no personal data. */
struct lifecycle_refusal {
    const char *code;
    const char *field;
    const char *problem;
};

#define LIFECYCLE_LATE "late_enrollment"
#define LIFECYCLE_INVALID "validation_failed"

/*
 * The records of one event. family[0..n-1] are the family's member records
 * (the path member among them at index `path`; for a hire, path is -1 and
 * the family is empty); on success the records the event changes are edited
 * in place and flagged in changed[], a person it adds is appended (n grows
 * by one, flagged changed too), and `answer` is the index of the record to
 * answer with (the added person's, else the path member's).
 */
struct lifecycle_family {
    struct member members[LIFECYCLE_MAX_FAMILY];
    int n;
    int path;
    bool changed[LIFECYCLE_MAX_FAMILY];
    int answer;
};

/*
 * Applies `ev` to the family under `group` (the group of the path member, or
 * of the hire), on `today` (the plan's date). Returns true with the family
 * edited, or false with *refusal filled and the family in an unspecified
 * state (discard it).
 */
bool lifecycle_apply(const struct lifecycle_event *ev, const struct group *group, date_t today,
                     struct lifecycle_family *family, struct lifecycle_refusal *refusal);

/* The windows and periods (docs/rules.md "Enrollment events"). */
#define LIFECYCLE_NEW_HIRE_WINDOW_DAYS 31 /* § I "Enrollment for new hires" */
#define LIFECYCLE_DEPENDENT_WINDOW_DAYS                                                            \
    60                                   /* § I "Addition of a newly acquired dependent", § II   \
                                          */
#define LIFECYCLE_SPECIAL_WINDOW_DAYS 31 /* § II "Special enrollment after open enrollment" */
#define LIFECYCLE_LOSS_WINDOW_DAYS                                                                 \
    31 /* § II "Enrollment due to loss of prior creditable coverage" */
#define LIFECYCLE_REHIRE_WINDOW_DAYS 31      /* § I "Former employee returning to work" */
#define LIFECYCLE_REHIRE_NO_WAIT_MONTHS 6    /* § I "Former employee returning to work" */
#define LIFECYCLE_LEAVE_CONTINUATION_DAYS 60 /* § IV "Temporary lay-off or leave of absence" */

#endif
