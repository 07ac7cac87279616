// Appeals (docs/api.md "Appeals"): on a decided claim with something denied,
// the member (or the provider that posted it) asks for a review with a
// statement (POST /v1/claims/{id}/appeals); the claim page then shows the
// appeal, its due date and, once decided, the outcome and its reason. Claims
// staff work the list of appeals, earliest due first (GET /v1/appeals), and
// record each decision (POST /v1/appeals/{id}/decision).

import * as api from './api.js';
import { h, replace, dl, table } from './dom.js';
import { field, radios, radioValue, text, number, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import { timestamp } from './words.js';
import { filteredList } from './pager.js';

const OUTCOME = { upheld: 'Upheld: the decision stands', overturned: 'Overturned: the claim is decided again' };
const STATUS = { open: 'Open: waiting for a decision', decided: 'Decided', withdrawn: 'Withdrawn: the claim was voided' };

/** Whether any part of a final claim was denied (the portal offers an appeal then). */
function somethingDenied(claim) {
  const d = claim.decision;
  if (!d || (claim.status !== 'approved' && claim.status !== 'denied')) return false;
  return d.outcome === 'denied' || (d.lines || []).some((l) => l.denied);
}

function appealFacts(a, staff) {
  return dl([
    ['Status', h('span', { class: `badge badge-appeal-${a.status}` }, STATUS[a.status] || a.status)],
    ['Filed', timestamp(a.filed_at)],
    ['Decision due by', a.overdue ? h('span', null, a.due_date, ' ', h('span', { class: 'badge badge-late' }, 'overdue')) : a.due_date],
    staff ? ['Claim', h('a', { href: `#/claim/${encodeURIComponent(a.claim_id)}` }, a.claim_id)] : null,
    staff ? ['Patient (member ID)', a.member_id] : null,
    ['Explanation of Benefits', `version ${a.eob_version} of ${a.eob_date}`],
  ].filter(Boolean));
}

function decisionFacts(a) {
  const d = a.decision;
  if (!d) return null;
  return h('div', { class: 'appeal-decision' },
    h('h3', null, 'Decision on the appeal'),
    dl([
      ['Outcome', OUTCOME[d.outcome] || d.outcome],
      ['Reason', d.note],
      ['Decided', timestamp(d.decided_at)],
    ]));
}

/** The appeal form of a claim page: statement, then POST; reload() on 201. */
function appealForm(claim, deadline, reload) {
  const form = h('form', { novalidate: true, 'aria-label': 'Appeal this decision', class: 'narrow', id: 'appeal-form' });
  const statement = field({ label: 'Why should we review this decision?', path: 'statement', type: 'textarea', rows: 6, required: true, id: 'appeal-statement',
    hint: 'Say which lines you disagree with and why. Mention any letters or records you will send; the Claims Office adds them to the appeal.' });
  form.append(errorSummary(), statement, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send the appeal')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const words = statement.control.value;
    if (!words.trim()) {
      showFieldErrors(form, [{ field: 'statement', problem: 'is required' }], 'Your appeal was not sent');
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api.post(`/v1/claims/${encodeURIComponent(claim.claim_id)}/appeals`, { statement: words });
      reload('Your appeal was received. We will tell you our decision by its due date.');
    } catch (err) {
      button.disabled = false;
      if (err.code === 'appeal_window_closed') formMessage(form, `This decision can no longer be appealed: ${err.message}.`);
      else if (err.code === 'already_appealed') formMessage(form, 'This decision has been appealed already. Refresh the page to see the appeal.');
      else if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'Your appeal was not sent');
      else formMessage(form, `Your appeal was not sent: ${err.message}`);
    }
  });
  return h('div', null,
    deadline ? h('p', null, 'You can ask us to review this decision until ', h('strong', null, deadline), ' (180 days after the date of the Explanation of Benefits).') : null,
    form);
}

/**
 * The "Appeal" section of a decided claim's page: the claim's appeal when it
 * has one, else (with something denied) the form to file one. ctx: {role,
 * isCurrent()}; reload(message) shows the claim again with that message.
 */
export function appealSection(claim, ctx, reload) {
  const final = claim.status === 'approved' || claim.status === 'denied';
  if (!final || (!claim.appeal_id && (!somethingDenied(claim) || ctx.role === 'staff'))) return null;
  const body = h('div', { 'aria-live': 'polite' }, h('p', null, 'Loading…'));
  const section = h('section', { 'aria-labelledby': 'appeal-h', id: 'appeal' }, h('h2', { id: 'appeal-h' }, 'Appeal'), body);
  const show = async () => {
    try {
      if (claim.appeal_id) {
        const a = (await api.get(`/v1/appeals/${encodeURIComponent(claim.appeal_id)}`)).data;
        if (!ctx.isCurrent()) return;
        replace(body, appealFacts(a, ctx.role === 'staff'), decisionFacts(a),
          ctx.role === 'staff' ? h('p', null, h('a', { href: `#/appeal/${encodeURIComponent(a.appeal_id)}` }, 'Open the appeal')) : null);
        return;
      }
      // The last day to appeal is on the EOB (appeal.deadline).
      const eob = (await api.get(`/v1/claims/${encodeURIComponent(claim.claim_id)}/eob`)).data;
      if (!ctx.isCurrent()) return;
      const open = !(eob.appeal && eob.appeal.deadline) || eob.appeal.deadline >= new Date().toISOString().slice(0, 10);
      const reveal = h('button', { type: 'button', class: 'secondary', id: 'start-appeal' }, 'Appeal this decision');
      replace(body, h('p', null, 'If you disagree with this decision, you can ask the plan to review it. A person who did not make the decision looks at it again.'), open ? reveal : null);
      reveal.addEventListener('click', () => {
        replace(body, appealForm(claim, eob.appeal && eob.appeal.deadline, reload));
        body.querySelector('textarea').focus();
      });
    } catch (err) {
      if (ctx.isCurrent()) replace(body, h('p', { class: 'notice notice-error' }, `The appeal could not be loaded: ${err.message}`));
    }
  };
  show();
  return section;
}

/* ---- staff ---- */

/** #/staff/appeals: the appeals, earliest due first, with a status filter. */
export function appealsView(m, isCurrent) {
  const which = field({ label: 'Show', path: 'status', type: 'select', id: 'appeal-filter',
    options: [['open', 'Open'], ['overdue', 'Open and past their due date'], ['decided', 'Decided'], ['', 'All']] });
  const render = (rows, holder) => {
    replace(holder, rows.length ? table('Appeals', ['Appeal', 'Claim', 'Patient', 'Status', 'Filed', 'Decision due', 'Outcome'],
      rows.map((a) => [
        h('a', { href: `#/appeal/${encodeURIComponent(a.appeal_id)}`, 'aria-label': `Appeal ${a.appeal_id}` }, a.appeal_id.slice(0, 8)),
        h('a', { href: `#/claim/${encodeURIComponent(a.claim_id)}`, 'aria-label': `Claim ${a.claim_id}` }, a.claim_id.slice(0, 8)),
        a.member_id,
        a.status === 'open' ? 'Open' : 'Decided',
        timestamp(a.filed_at),
        a.overdue ? h('span', null, a.due_date, ' ', h('span', { class: 'badge badge-late' }, 'overdue')) : a.due_date,
        a.outcome ? (a.outcome === 'upheld' ? 'Upheld' : 'Overturned') : '—',
      ])) : h('p', null, 'No appeals.'));
  };
  const query = (cursor) => {
    const v = which.control.value;
    return { status: v === 'overdue' ? 'open' : v, overdue: v === 'overdue' ? 'true' : undefined, cursor, limit: 50 };
  };
  return filteredList(m, {
    title: 'Appeals',
    intro: 'Appeals of decided claims, the earliest decision due first. The plan decides an appeal within 60 days of receiving it (29 CFR 2560.503-1(i)); start with the overdue ones.',
    filter: which, id: 'appeals',
    path: '/v1/appeals', query, key: 'appeals', isCurrent, show: render,
    counted: (n) => `${n} appeal${n === 1 ? '' : 's'} shown`,
    failed: (err) => `The appeals could not be loaded: ${err.message}`,
  });
}

/** The lines of an overturn: one row per claim line, its charge shown. */
function lineRows(claim) {
  const lines = (claim && claim.decision && claim.decision.lines) || [];
  return lines.map((l, i) => {
    const p = (k) => `lines[${i}].${k}`;
    const row = h('fieldset', { class: 'decision-line', 'data-field': `lines[${i}]`, 'data-line': String(i + 1) },
      h('legend', null, `Line ${i + 1} (charge $${Number(l.charge).toFixed(2)})`),
      h('div', { class: 'grid' },
        field({ label: 'Allowed', path: p('allowed'), type: 'amount', value: String(l.allowed ?? '') }),
        field({ label: 'Group', path: p('group'), type: 'select', options: [['', 'None'], ['CO', 'CO: provider writes off'], ['PR', 'PR: patient owes'], ['OA', 'OA: other'], ['PI', 'PI: payer-initiated reduction']] }),
        field({ label: 'Reason code (CARC)', path: p('carc') }),
        field({ label: 'Remark code (RARC)', path: p('rarc') })));
    return row;
  });
}

/** The decision form of an open appeal (staff). */
function decisionForm(a, claim, reload) {
  const form = h('form', { novalidate: true, 'aria-label': 'Decide the appeal', id: 'decision-form' });
  const outcome = radios({ legend: 'Outcome', path: 'outcome', options: [['upheld', 'Uphold: the claim stands as decided'], ['overturned', 'Overturn: decide the claim again with these lines']], value: 'upheld' });
  const note = field({ label: 'Reason (the member reads it)', path: 'note', type: 'textarea', rows: 4, required: true, id: 'decision-note' });
  const lines = h('div', { hidden: true, id: 'decision-lines' }, lineRows(claim));
  outcome.addEventListener('change', () => { lines.hidden = radioValue(outcome) !== 'overturned'; });
  form.append(errorSummary(), outcome, lines, note, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Record the decision')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { outcome: radioValue(outcome), note: note.control.value };
    if (body.outcome === 'overturned') {
      body.lines = [...lines.querySelectorAll('fieldset.decision-line')].map((fs, i) => {
        const c = (k) => fs.querySelector(`[data-field="lines[${i}].${k}"]`);
        const entry = { line: Number(fs.dataset.line), allowed: number(c('allowed')) };
        if (c('group').value) entry.group = c('group').value;
        if (text(c('carc'))) entry.carc = text(c('carc'));
        if (text(c('rarc'))) entry.rarc = text(c('rarc'));
        return entry;
      });
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api.post(`/v1/appeals/${encodeURIComponent(a.appeal_id)}/decision`, body);
      reload(body.outcome === 'upheld' ? 'The appeal was decided: upheld.'
        : 'The appeal was decided: overturned. The claim is decided again with these lines; its new Explanation of Benefits follows.');
    } catch (err) {
      button.disabled = false;
      if (err.code === 'claim_changed') formMessage(form, 'The claim is no longer approved or denied (voided or replaced): it cannot be decided again. Nothing was recorded.');
      else if (err.code === 'already_decided') formMessage(form, 'This appeal has been decided already. Refresh the page.');
      else if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'The decision was not recorded');
      else formMessage(form, `The decision was not recorded: ${err.message}`);
    }
  });
  return form;
}

/** #/appeal/{id}: one appeal; staff decide an open one here. ctx: {role, isCurrent(), announce}. */
export async function appealPage(m, id, ctx, message) {
  replace(m, h('h1', { tabindex: '-1' }, 'Appeal'), h('p', null, 'Loading…'));
  try {
    const a = (await api.get(`/v1/appeals/${encodeURIComponent(id)}`)).data;
    const staff = ctx.role === 'staff';
    const claim = staff && a.status === 'open' ? (await api.get(`/v1/claims/${encodeURIComponent(a.claim_id)}`)).data : null;
    if (!ctx.isCurrent()) return;
    const reload = (msg) => appealPage(m, id, ctx, msg);
    replace(m,
      h('h1', { tabindex: '-1' }, 'Appeal ', h('span', { class: 'claim-id' }, a.appeal_id)),
      message ? h('p', { class: 'notice notice-ok', role: 'status' }, message) : null,
      appealFacts(a, staff),
      h('h2', null, 'The claimant\'s statement'),
      h('p', { class: 'statement' }, a.statement),
      (a.attachments || []).length ? h('ul', null, a.attachments.map((x) => h('li', null, `${x.kind}: ${x.reference}`))) : null,
      decisionFacts(a),
      staff && a.status === 'open' ? h('section', { 'aria-labelledby': 'decide-h' }, h('h2', { id: 'decide-h' }, 'Decide'), decisionForm(a, claim, reload)) : null,
      h('p', null, h('a', { href: `#/claim/${encodeURIComponent(a.claim_id)}` }, 'Back to the claim')));
  } catch (err) {
    if (!ctx.isCurrent()) return;
    replace(m, h('h1', { tabindex: '-1' }, 'Appeal'),
      h('p', { class: 'notice notice-error' }, err.status === 404 ? 'There is no appeal with this number that you may see.' : `The appeal could not be loaded: ${err.message}`));
  }
  const h1 = m.querySelector('h1');
  if (h1) h1.focus();
}
