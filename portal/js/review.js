// #/staff/review: the claims waiting for a staff reviewer (GET /v1/review,
// oldest target date first) and, for each, the reviewer's decision
// (POST /v1/claims/{id}/review): approve, adjust the allowed amount of lines,
// or deny lines with the codes given. docs/api.md "Staff review".

import * as api from './api.js';
import { h, replace, table } from './dom.js';
import { field, text, number, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import { money, REVIEW_REASON } from './words.js';
import { pager } from './pager.js';

const ACTIONS = [['approve', 'Approve: the amounts stand'], ['adjust', 'Adjust the allowed amount of lines'], ['deny', 'Deny lines']];
const GROUPS = [['', 'None'], ['CO', 'CO: the provider writes it off'], ['PR', 'PR: the patient owes it'], ['OA', 'OA: other adjustment'], ['PI', 'PI: payer-initiated reduction']];

/** One line decision's inputs, numbered i (0-based) as the API's lines[i]. */
function lineInputs(i, claimId) {
  const id = (name) => `review-${claimId.slice(0, 8)}-${i}-${name}`;
  const f = {
    line: field({ label: 'Claim line', path: `lines[${i}].line`, type: 'integer', id: id('line'), size: 3, hint: 'Empty with Deny: every line.' }),
    allowed: field({ label: 'Allowed amount', path: `lines[${i}].allowed`, type: 'amount', id: id('allowed'), size: 10, hint: 'Adjust only.' }),
    group: field({ label: 'Group code', path: `lines[${i}].group`, type: 'select', id: id('group'), options: GROUPS }),
    carc: field({ label: 'Reason code (CARC)', path: `lines[${i}].carc`, id: id('carc'), size: 4 }),
    rarc: field({ label: 'Remark code (RARC)', path: `lines[${i}].rarc`, id: id('rarc'), size: 5 }),
  };
  const set = h('fieldset', { class: 'review-line', 'data-field': `lines[${i}]` }, h('legend', null, `Line decision ${i + 1}`),
    h('div', { class: 'grid' }, Object.values(f)));
  set.read = () => {
    const o = { line: number(f.line.control), allowed: number(f.allowed.control), group: f.group.control.value || undefined, carc: text(f.carc.control), rarc: text(f.rarc.control) };
    return Object.values(o).some((v) => v !== undefined) ? o : null;
  };
  return set;
}

/** The decision form of one claim; done(message) once the decision is stored. */
function decisionForm(c, done) {
  const form = h('form', { novalidate: true, 'aria-label': `Decision on claim ${c.claim_id}`, class: 'review-form' });
  const action = field({ label: 'Decision', path: 'action', type: 'select', id: `review-${c.claim_id.slice(0, 8)}-action`, options: ACTIONS });
  const note = field({ label: 'Note for the audit trail', path: 'note', type: 'textarea', id: `review-${c.claim_id.slice(0, 8)}-note` });
  const lines = h('div', { 'data-field': 'lines' });
  const sets = [];
  const addLine = () => { const s = lineInputs(sets.length, c.claim_id); sets.push(s); lines.append(s); };
  addLine();
  const more = h('button', { type: 'button', class: 'secondary small' }, 'Add a line decision');
  more.addEventListener('click', addLine);
  const showLines = () => { const on = action.control.value !== 'approve'; lines.hidden = !on; more.hidden = !on; };
  action.control.addEventListener('change', showLines);
  showLines();
  form.append(errorSummary(), action, lines, more, note, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save the decision')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { action: action.control.value, note: text(note.control) };
    if (body.action !== 'approve') body.lines = sets.map((s) => s.read()).filter(Boolean);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api.post(`/v1/claims/${encodeURIComponent(c.claim_id)}/review`, body);
      done(`Claim ${c.claim_id}: decision saved; the claim is being finalized.`);
    } catch (err) {
      if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'The decision was not saved. Please correct:');
      else if (err.code === 'not_in_review') formMessage(form, 'This claim is no longer waiting for review (someone decided it already). Refresh the list.');
      else formMessage(form, `The decision was not saved: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** #/staff/review: the workbasket, oldest target date first, with a decision form for each claim. */
export function reviewView(m, isCurrent, announce) {
  const holder = h('div', { id: 'review' });
  const count = h('p', { role: 'status', class: 'hint' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const reasons = (list) => (list || []).map((r) => REVIEW_REASON[r] || r).join('; ');
  const render = (claims) => {
    if (!claims.length) {
      replace(holder, h('p', null, 'No claims are waiting for review.'));
      return;
    }
    replace(holder,
      table('Claims waiting for review', ['Claim', 'Type', 'Received', 'Target date', 'Total allowed', 'Why'],
        claims.map((c) => [
          h('a', { href: `#/claim/${encodeURIComponent(c.claim_id)}`, 'aria-label': `Claim ${c.claim_id}` }, c.claim_id.slice(0, 8)),
          c.type === 'pharmacy' ? 'Pharmacy' : 'Medical', c.received_date, c.target_date, money(c.total_allowed), reasons(c.reasons),
        ])),
      claims.map((c) => {
        const section = h('section', { class: 'review-claim', 'aria-label': `Review of claim ${c.claim_id}`, 'data-claim': c.claim_id },
          h('h2', null, `Claim ${c.claim_id.slice(0, 8)}: ${money(c.total_allowed)} allowed`));
        section.append(decisionForm(c, (message) => {
          replace(section, h('h2', null, `Claim ${c.claim_id.slice(0, 8)}`), h('p', { class: 'notice' }, message));
          announce(message);
        }));
        return section;
      }));
  };
  const page = pager({
    path: '/v1/review', query: (cursor) => ({ cursor, limit: 50 }), key: 'claims', isCurrent,
    show: render,
    counted: (n) => `${n} claim${n === 1 ? '' : 's'} waiting for review`,
    failed: (err) => `The claims waiting for review could not be loaded: ${err.message}`,
    holder, count, more,
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Review'),
    h('p', null, 'Claims the rules would pay but that wait for a reviewer (their total allowed is over the plan\'s review threshold), oldest target date first. The target date keeps running while a claim waits.'),
    count, holder, more,
    h('p', null, h('button', { type: 'button', class: 'secondary', onclick: () => page(true) }, 'Refresh')));
  return page(true);
}
