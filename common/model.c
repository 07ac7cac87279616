#include "model.h"

#include <stdlib.h>
#include <string.h>

void plan_free(struct plan *plan)
{
    free(plan->fee_schedule);
    free(plan->formulary);
    plan->fee_schedule = NULL;
    plan->formulary = NULL;
    plan->n_fee_schedule = 0;
    plan->n_formulary = 0;
}

static int fee_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct fee_entry *)elem)->procedure_code);
}

static int formulary_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct formulary_entry *)elem)->ndc);
}

const struct fee_entry *plan_fee_lookup(const struct plan *plan, const char *procedure_code)
{
    if (!plan->n_fee_schedule)
        return NULL;
    return bsearch(procedure_code, plan->fee_schedule, plan->n_fee_schedule,
                   sizeof *plan->fee_schedule, fee_cmp);
}

const struct formulary_entry *plan_formulary_lookup(const struct plan *plan, const char *ndc)
{
    if (!plan->n_formulary)
        return NULL;
    return bsearch(ndc, plan->formulary, plan->n_formulary, sizeof *plan->formulary,
                   formulary_cmp);
}
