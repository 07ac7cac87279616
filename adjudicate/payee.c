/*
 * Who receives the benefit payment (RULES.md § 8, manual § VI "Explanation
 * of Benefits" and "Claim forms", § VII "Pharmacy reimbursement").
 */
#include "rules.h"

/*
 * In order:
 *   - pharmacy reimbursement: the member paid at the counter and is
 *     reimbursed (§ VII) → member;
 *   - hospitalization: "Benefits will be paid directly to the facility for
 *     hospitalization" (§ VI) → provider, when the provider is the facility
 *     (`provider.facility`). A physician or other non-facility provider who
 *     bills for services during an inpatient stay is not the facility: its
 *     claim goes on to the rules below like any professional claim (an
 *     out-of-network surgeon without the member's assignment is paid to the
 *     member). Pricing is the same either way: the plan prices every medical
 *     line by its fee schedule and network (pricing.c), and the Medicare part
 *     that would pay it follows the same test (cob.c, adj_service_of);
 *   - an in-network provider bills the plan and is paid directly ("the provider
 *     submits bills on behalf of the insured", § VI "Claim forms") → provider;
 *   - out of network, the employee signed "the authorization section of the
 *     claim form" to pay the provider (§ VI) → provider;
 *   - otherwise → member (the employee).
 * Who keyed the claim in (member, provider, staff) plays no part.
 */
enum adj_payee adj_payee_for(const struct claim *claim)
{
    if (claim->type == CLAIM_PHARMACY)
        return ADJ_PAYEE_MEMBER;
    if (claim->inpatient && claim->provider.facility)
        return ADJ_PAYEE_PROVIDER;
    if (claim->provider.network == NETWORK_IN)
        return ADJ_PAYEE_PROVIDER;
    if (claim->assignment_of_benefits)
        return ADJ_PAYEE_PROVIDER;
    return ADJ_PAYEE_MEMBER;
}
