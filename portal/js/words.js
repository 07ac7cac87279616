// Plain language for everything the API says in codes: the adjustment codes
// of RULES.md (CARC, group, RARC) with the same meanings the EOB uses
// (adjudicate/codes.c), claim statuses, what a pended claim needs, audit
// actions. A code is never shown without its meaning.

export const CARC = {
  1: 'Applied to your deductible: you pay this part before the plan starts paying.',
  2: 'Your coinsurance: your percentage share of the allowed amount.',
  3: 'Your copay: the fixed amount you pay for this service.',
  16: 'We need more information to process this claim; the remark says what is missing.',
  18: 'This service was already billed on another claim; that claim carries the benefit.',
  22: 'Another plan pays first; send us its Explanation of Benefits to have this plan consider the rest.',
  23: 'What your other plan, which pays first, paid or adjusted on this service.',
  26: 'The service was before your coverage with this plan began.',
  27: 'The service was after your coverage with this plan ended.',
  29: 'The claim reached us after the time allowed for filing it.',
  32: 'On the date of service the patient did not meet the plan\'s rules for a covered dependent.',
  45: 'The charge is more than the plan allows for this service.',
  96: 'The plan does not cover this drug or service.',
  140: 'The patient\'s name or birth date on the claim does not match our records for this member.',
  200: 'The service was during a break in your coverage with this plan.',
};

export const RARC = {
  MA04: 'Medicare pays first for this service: send us Medicare\'s notice of what it paid.',
  N26: 'Send an itemized bill; a canceled check or a balance-due statement cannot take its place.',
  N30: 'The patient was not eligible for benefits on the date of service.',
  N130: 'See the plan\'s benefit booklet for the limits that apply.',
  N479: 'Send the Explanation of Benefits from the plan that pays first.',
};

export const GROUP = {
  CO: 'the provider writes this off; you do not owe it',
  PR: 'your share: you owe this',
  OA: 'other adjustment',
  PI: 'a reduction the plan made; you do not owe it',
};

/** "PR-1: Applied to your deductible… (your share: you owe this)". */
export function adjustmentText(group, carc) {
  const meaning = CARC[carc] || 'See your Explanation of Benefits or call the Claims Office about this code.';
  let text = meaning;
  if (String(carc) === '45' && group === 'CO') text = 'The charge is more than the plan allows; the provider writes off the difference.';
  if (String(carc) === '45' && group === 'PR') text = 'The charge is more than the plan allows for an out-of-network service; you may be billed for the difference.';
  const g = GROUP[group] ? ` (${GROUP[group]})` : '';
  return { code: `${group}-${carc}`, text: text + g };
}

export function remarkText(code) {
  return RARC[code] || 'See your Explanation of Benefits or call the Claims Office about this remark.';
}

export const STATUS = {
  received: 'Received, waiting to be processed',
  processing: 'Being processed',
  pended: 'Waiting for information',
  in_review: 'Being reviewed by claims staff',
  approved: 'Approved: benefit decided',
  denied: 'Denied',
  voided: 'Voided',
  replaced: 'Replaced by a corrected claim',
};

export function statusText(status) {
  return STATUS[status] || status;
}

export const NEEDED = {
  other_insurance: 'The Explanation of Benefits from the plan that pays first: its name and what it allowed and paid.',
  itemized_bill: 'An itemized bill from the provider. A canceled check or a balance-due statement is not enough.',
};

export const PAYEE = {
  member: 'Paid to you (the employee)',
  provider: 'Paid to the provider',
};

export const AUDIT_ACTION = {
  'claim.submit': 'Claim filed',
  'claim.read': 'Claim viewed',
  'claim.eob.read': 'EOB viewed',
  'claim.information': 'Information supplied',
  'claim.audit.read': 'Audit trail viewed',
  'claim.pend': 'Claim pended (information asked for)',
  'claim.finalize': 'Claim decided',
  'claim.requeue': 'Claim put back on the queue',
  'claim.void': 'Claim voided',
  'claim.replace': 'Claim corrected (replaced)',
  'claim.adjust': 'Claim adjusted (decided again)',
  'claim.reversal': 'Payment reversed (voided or replaced claim)',
  'recovery.reverse': 'Recovery reversed',
  'appeal.file': 'Appeal filed',
  'appeal.read': 'Appeal viewed',
  'appeal.decide': 'Appeal decided',
  'claim.refer': 'Claim sent to staff review',
  'claim.review': 'Reviewer\'s decision recorded',
};

/** Why a claim waits for staff review (GET /v1/review "reasons"). */
export const REVIEW_REASON = {
  review_threshold: 'Total allowed is over the plan\'s review threshold',
};

/** "$1,234.50" for a JSON amount (a number with at most two decimals). */
export function money(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
  return Number(n).toLocaleString('en-US', { style: 'currency', currency: 'USD' });
}

/** Today in UTC as YYYY-MM-DD (the server's dates are UTC days). */
export function todayUtc() {
  return new Date().toISOString().slice(0, 10);
}

/** "2026-03-02T14:05:09Z" → "2026-03-02 14:05 UTC". */
export function timestamp(ts) {
  if (!ts || typeof ts !== 'string') return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(ts);
  return m ? `${m[1]} ${m[2]} UTC` : ts;
}

/** Labels for field paths, so an error summary reads "NDC: must be …". */
const LABELS = {
  type: 'Claim type', member_id: 'Member ID', received_date: 'Date received',
  'patient.first_name': 'Patient first name', 'patient.last_name': 'Patient last name', 'patient.birth_date': 'Patient birth date',
  'provider.npi': 'Provider NPI', 'provider.name': 'Provider name', 'provider.network': 'Provider network', 'provider.facility': 'Facility',
  itemized_bill: 'Itemized bill', diagnosis_codes: 'Diagnosis codes', lines: 'Service lines', assignment_of_benefits: 'Assignment of benefits',
  'pharmacy.name': 'Pharmacy name', 'pharmacy.npi': 'Pharmacy NPI', 'pharmacy.network': 'Pharmacy network',
  'prescriber.name': 'Prescriber name', 'prescriber.npi': 'Prescriber NPI',
  ndc: 'NDC (drug code)', rx_number: 'Prescription number', fill_date: 'Fill date', drug_name: 'Drug name',
  quantity: 'Quantity', days_supply: 'Days supply', charge: 'Amount paid',
  'other_insurance.payer_name': 'Other plan name', 'other_insurance.paid': 'Other plan paid',
  'other_insurance.allowed': 'Other plan allowed', 'other_insurance.patient_responsibility': 'You owed after the other plan',
  'other_insurance.eob_date': 'Other plan EOB date', attachments: 'Attachments',
  code: 'Invitation', username: 'Username', password: 'Password', confirm_password: 'Password again',
};

const LINE_LABELS = { service_date: 'service date', procedure_code: 'procedure code', modifiers: 'modifiers', units: 'units', charge: 'charge' };

LABELS.reason = 'Reason';

export function fieldLabel(path) {
  if (!path) return 'The form';
  if (LABELS[path]) return LABELS[path];
  let m = /^lines\[(\d+)\]\.(\w+)/.exec(path);
  if (m) return `Line ${Number(m[1]) + 1} ${LINE_LABELS[m[2]] || m[2]}`;
  m = /^diagnosis_codes\[(\d+)\]/.exec(path);
  if (m) return `Diagnosis code ${Number(m[1]) + 1}`;
  m = /^attachments\[(\d+)\]/.exec(path);
  if (m) return `Attachment ${Number(m[1]) + 1}`;
  return path;
}

/** A wait in words from Retry-After seconds: "40 seconds", "1 minute", "15 minutes". */
export function waitWords(seconds) {
  if (seconds === null || seconds === undefined) return 'a few minutes';
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
