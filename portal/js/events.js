// Staff pages of the enrollment lifecycle (issue 13): the form that records a
// member's enrollment event (POST /v1/members/{member_id}/events), showing
// the fields of the event chosen, and the list of recoveries (GET
// /v1/recoveries): paid claims that a termination recorded later left on
// dates no longer covered.

import * as api from './api.js';
import { h, replace, table } from './dom.js';
import { field, text, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import { timestamp } from './words.js';
import { filteredList } from './pager.js';

/* ---- the events and their fields ---- */

/** [value, label] of every event, in the order of the manual's sections. */
export const EVENTS = [
  ['hire', 'Hire (a new employee)'],
  ['newborn', 'Birth of a child'],
  ['adoption', 'Adoption'],
  ['placement', 'Placement for adoption or foster care'],
  ['guardianship', 'Legal guardianship'],
  ['marriage', 'Marriage'],
  ['divorce', 'Divorce'],
  ['loss_of_other_coverage', 'Loss of other coverage'],
  ['termination', 'Termination'],
  ['leave_of_absence', 'Leave of absence'],
  ['layoff', 'Layoff'],
  ['return_to_work', 'Return to work'],
  ['student_status', 'Student status'],
  ['household_status', 'Household status'],
  ['handicapped_status', 'Handicapped status'],
  ['medicare_entitlement', 'Medicare entitlement'],
  ['other_group_coverage', 'Other group coverage'],
  ['cobra_election', 'COBRA election'],
];

/** Events that add a person (they carry "member": the record without coverage):
 * required for some, optional for others (a spouse added at marriage; a
 * dependent enrolled on losing other coverage). */
const ADDS_REQUIRED = ['hire', 'newborn', 'adoption', 'placement', 'guardianship'];
const ADDS_OPTIONAL = ['marriage', 'loss_of_other_coverage'];
const NEW_PERSON_RELATIONSHIP = { hire: 'employee', newborn: 'child', adoption: 'child', placement: 'child', guardianship: 'child', marriage: 'spouse', loss_of_other_coverage: 'spouse' };

const YES_NO_HINT = 'Ticked: yes. Not ticked: no.';

/** The fields each event carries besides event, date and reported_on. */
const EVENT_FIELDS = {
  student_status: () => [
    field({ label: 'Full-time or part-time student', path: 'student', type: 'checkbox', hint: YES_NO_HINT }),
  ],
  household_status: () => [
    field({ label: 'Lives in the employee\'s household', path: 'lives_with_employee', type: 'checkbox', hint: YES_NO_HINT }),
    field({ label: 'Has a dependent of his or her own', path: 'has_own_dependent', type: 'checkbox' }),
  ],
  handicapped_status: () => [
    field({ label: 'Certified as handicapped (disability began before 19)', path: 'handicapped_certified', type: 'checkbox', hint: YES_NO_HINT }),
  ],
  medicare_entitlement: () => [
    field({ label: 'Basis of entitlement', path: 'basis', type: 'select', required: true, options: [['', 'Choose'], ['age', 'Age (65 or over)'], ['esrd', 'End-stage renal disease'], ['disability', 'Disability']] }),
    field({ label: 'Part A (hospital insurance)', path: 'part_a', type: 'checkbox', value: true }),
    field({ label: 'Part B (medical insurance)', path: 'part_b', type: 'checkbox', value: true }),
  ],
  other_group_coverage: () => [
    field({ label: 'Other plan (payer name)', path: 'other_coverage.payer_name', required: true }),
    field({ label: 'Kind of coverage', path: 'other_coverage.kind', type: 'select', required: true, options: [['', 'Choose'], ['group', 'Group'], ['individual', 'Individual']] }),
    field({ label: 'Covered there as', path: 'other_coverage.relationship', type: 'select', required: true, options: [['', 'Choose'], ['employee', 'Employee'], ['dependent', 'Dependent']] }),
    field({ label: 'Policyholder\'s birth date', path: 'other_coverage.holder_birth_date', type: 'date', hint: 'For the birthday rule, when the member is a dependent there.' }),
    field({ label: 'The other coverage is COBRA', path: 'other_coverage.cobra', type: 'checkbox' }),
    field({ label: 'Through active employment', path: 'other_coverage.active_employment', type: 'checkbox' }),
  ],
  cobra_election: () => [
    field({ label: 'Qualifying event date', path: 'qualifying_event', type: 'date', required: true }),
    field({ label: 'Qualifying event', path: 'reason', type: 'select', required: true, options: [['', 'Choose'],
      ['termination_of_employment', 'Termination of employment'], ['reduction_of_hours', 'Reduction of hours'],
      ['divorce', 'Divorce'], ['legal_separation', 'Legal separation'], ['death_of_employee', 'Death of the employee'],
      ['medicare_entitlement', 'Medicare entitlement of the employee'], ['loss_of_dependent_status', 'Loss of dependent status']] }),
    field({ label: 'Months of continuation', path: 'months', type: 'select', required: true, options: [['', 'Choose'], ['18', '18'], ['29', '29 (disability extension)'], ['36', '36']] }),
  ],
};

/** The new person's record (no coverage: the event derives it). */
function newPersonFields(event, subscriberId) {
  return [
    field({ label: 'New member ID', path: 'member.member_id', required: true }),
    field({ label: 'Relationship', path: 'member.relationship', type: 'select', required: true, value: NEW_PERSON_RELATIONSHIP[event] || '',
      options: [['', 'Choose'], ['employee', 'Employee'], ['spouse', 'Spouse'], ['child', 'Child'], ['grandchild', 'Grandchild']] }),
    field({ label: 'Subscriber (the employee\'s member ID)', path: 'member.subscriber_id', required: true, value: event === 'hire' ? '' : subscriberId || '' }),
    field({ label: 'Group', path: 'member.group_id', required: true }),
    field({ label: 'First name', path: 'member.first_name', required: true }),
    field({ label: 'Last name', path: 'member.last_name', required: true }),
    field({ label: 'Birth date', path: 'member.birth_date', type: 'date', required: true }),
    field({ label: 'State (two letters)', path: 'member.state', required: true, size: 3, maxlength: 2 }),
  ];
}

/** Sets body[a][b]… = value for the path "a.b…". */
function setPath(body, path, value) {
  const parts = path.split('.');
  let o = body;
  for (const p of parts.slice(0, -1)) o = o[p] || (o[p] = {});
  o[parts[parts.length - 1]] = value;
}

/** The JSON of the event-specific part: every control with a data-field. */
function readFields(container, body) {
  for (const control of container.querySelectorAll('input[data-field], select[data-field], textarea[data-field]')) {
    const path = control.dataset.field;
    if (control.dataset.kind === 'checkbox') setPath(body, path, control.checked);
    else if (path === 'months') { if (control.value) setPath(body, path, Number(control.value)); }
    else {
      const v = text(control);
      if (v !== undefined) setPath(body, path, path.endsWith('.state') ? v.toUpperCase() : v);
    }
  }
  return body;
}

/* ---- the form ---- */

/**
 * #/staff/events[?member_id=…]: records one enrollment event for a member.
 * The fields shown follow the event chosen; a 422's problems appear next to
 * their fields (late_enrollment names reported_on and the window).
 */
export function memberEventView(m, params, isCurrent) {
  const form = h('form', { novalidate: true, 'aria-label': 'Record an enrollment event', class: 'event-form' });
  const result = h('div', { 'aria-live': 'polite' });
  const member = field({ label: 'Member ID', path: 'member_id', required: true, value: params.get('member_id') || '', id: 'event-member',
    hint: 'The member the event is about; for a hire, the new employee\'s ID; for a birth or an adoption, the employee\'s.' });
  const event = field({ label: 'Event', path: 'event', type: 'select', required: true, id: 'event-kind', options: [['', 'Choose an event'], ...EVENTS] });
  const date = field({ label: 'Date of the event', path: 'date', type: 'date', required: true, id: 'event-date' });
  const reported = field({ label: 'Reported to the plan on', path: 'reported_on', type: 'date', id: 'event-reported-on', hint: 'Leave empty for today. Never a day in the future.' });
  const specific = h('div', { class: 'event-fields', id: 'event-fields' });
  const addsBox = h('div');
  const person = h('fieldset', { class: 'new-person', hidden: true, 'data-field': 'member', 'aria-describedby': 'new-person-err' },
    h('legend', null, 'The person the event adds'), h('div', { class: 'grid' }), h('p', { class: 'field-error', id: 'new-person-err', hidden: true }));
  const showFields = () => {
    const kind = event.control.value;
    replace(specific, kind && EVENT_FIELDS[kind] ? h('fieldset', { 'data-event': kind }, h('legend', null, 'Details of the event'), h('div', { class: 'grid' }, EVENT_FIELDS[kind]())) : null);
    const required = ADDS_REQUIRED.includes(kind);
    const optional = ADDS_OPTIONAL.includes(kind);
    replace(person.querySelector('.grid'), required || optional ? newPersonFields(kind, text(member.control)) : null);
    if (optional) {
      const adds = field({ label: kind === 'marriage' ? 'The employee adds a spouse (leave unticked when the member is a child who marries)' : 'A person enrolls with this event (leave unticked when the member enrolls)', type: 'checkbox', id: 'event-adds' });
      adds.control.addEventListener('change', () => { person.hidden = !adds.control.checked; });
      replace(addsBox, adds);
      person.hidden = true;
    } else {
      replace(addsBox);
      person.hidden = !required;
    }
  };
  event.control.addEventListener('change', () => { clearErrors(form); showFields(); });
  form.append(errorSummary(), h('div', { class: 'grid' }, member, event, date, reported), specific, addsBox, person,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Record the event')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    replace(result);
    const memberId = text(member.control);
    const errors = [];
    if (!memberId) errors.push({ field: 'member_id', problem: 'is required' });
    if (!event.control.value) errors.push({ field: 'event', problem: 'is required' });
    if (errors.length) {
      showFieldErrors(form, errors, 'The event was not recorded. Please correct:');
      return;
    }
    const body = { event: event.control.value };
    const d = text(date.control);
    if (d !== undefined) body.date = d;
    const r = text(reported.control);
    if (r !== undefined) body.reported_on = r;
    readFields(specific, body);
    if (!person.hidden) readFields(person, body);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const res = await api.post(`/v1/members/${encodeURIComponent(memberId)}/events`, body);
      if (!isCurrent()) return;
      formMessage(form, 'The event was recorded.', 'info');
      replace(result, memberSummary(res.data));
    } catch (err) {
      if (!isCurrent()) return;
      if (err.fields && err.fields.length) showFieldErrors(form, err.fields, err.code === 'late_enrollment' ? `Too late: ${err.message}` : 'The event was not recorded. Please correct:');
      else if (err.status === 404) showFieldErrors(form, [{ field: 'member_id', problem: 'is not a member that events can be recorded for' }], 'The event was not recorded.');
      else if (err.status === 409) formMessage(form, `The event was not recorded: ${err.message}`);
      else formMessage(form, `The event was not recorded: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Record an enrollment event'),
    h('p', null, 'A hire, a birth, a marriage, a termination, a change of status: choose the event and its fields are shown. The server applies the manual\'s windows and effective dates; a late report is refused with the window it missed.'),
    form, result);
}

/** The member record as it now stands: coverage spans in a table. */
function memberSummary(rec) {
  if (!rec || !Array.isArray(rec.coverage)) return null;
  const kinds = { active: 'Active', cobra: 'COBRA', state_continuation: 'State continuation' };
  return h('section', { 'aria-label': 'The member now' },
    h('h2', null, `Member ${rec.member_id} now`),
    rec.coverage.length ? table('Coverage', ['Plan', 'Kind', 'From', 'Termination event', 'Reported on'],
      rec.coverage.map((c) => [c.plan_id, kinds[c.kind] || c.kind, c.effective, c.termination_event || '—', c.termination_reported_on || '—'])) : h('p', null, 'No coverage.'));
}

/* ---- recoveries ---- */

/** #/staff/recoveries: paid claims on dates no longer covered, oldest first. */
export function recoveriesView(m, isCurrent) {
  const status = field({ label: 'Status', path: 'status', type: 'select', id: 'recovery-status', options: [['open', 'Open'], ['withdrawn', 'Withdrawn'], ['', 'Any']] });
  const money = (v) => `$${Number(v).toFixed(2)}`;
  const render = (rows, holder) => {
    replace(holder, rows.length ? table('Recoveries', ['Claim', 'Member', 'Lines (date: paid)', 'Amount', 'Coverage ended', 'Reported', 'Employer liable', 'Status', 'Found'],
      rows.map((r) => [
        h('a', { href: `#/claim/${encodeURIComponent(r.claim_id)}`, 'aria-label': `Claim ${r.claim_id}` }, r.claim_id.slice(0, 8)),
        r.member_id,
        h('ul', { class: 'plain' }, (r.lines || []).map((l) => h('li', null, `Line ${l.line}, ${l.service_date}: ${money(l.plan_paid)}${l.employer_liable ? ' (employer)' : ''}`))),
        money(r.amount),
        r.coverage_ended || '—',
        r.termination_reported_on || '—',
        r.employer_liable ? 'Yes' : 'No',
        r.status === 'open' ? 'Open' : r.status === 'withdrawn' ? 'Withdrawn' : r.status,
        timestamp(r.found_at),
      ])) : h('p', null, 'No recoveries.'));
  };
  return filteredList(m, {
    title: 'Recoveries',
    intro: 'Claims paid for dates that a termination recorded later no longer covers, oldest first. "Employer liable": the termination was reported more than 31 days after coverage ended, and the line is dated up to the day it was reported (manual § III "Reporting terminations").',
    filter: status, id: 'recoveries',
    path: '/v1/recoveries', query: (cursor) => ({ status: status.control.value, cursor, limit: 50 }),
    key: 'recoveries', isCurrent, show: render,
    counted: (n) => `${n} recover${n === 1 ? 'y' : 'ies'} shown`,
    failed: (err) => `The recoveries could not be loaded: ${err.message}`,
  });
}
