// One claim: its status, decision (every code with its meaning), what a
// pended claim needs (and the form to send it), history, the printable EOB;
// the appeal (or the form to file one); for staff, the audit trail.

import * as api from './api.js';
import { h, replace, dl, table } from './dom.js';
import { informationForm } from './claim_forms.js';
import { appealSection } from './appeals.js';
import { field, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import {
  statusText, adjustmentText, remarkText, NEEDED, PAYEE, AUDIT_ACTION, money, timestamp,
} from './words.js';

const OPEN = new Set(['received', 'processing']);

function statusBadge(status) {
  return h('span', { class: `badge badge-${status}` }, statusText(status));
}

function codesList(codes, remarks) {
  const items = [];
  for (const c of codes || []) {
    const t = adjustmentText(c.group, c.carc);
    items.push(h('li', null, h('span', { class: 'code' }, t.code), ' ', money(c.amount), ': ', t.text));
  }
  for (const r of remarks || []) items.push(h('li', null, h('span', { class: 'code' }, r), ' ', remarkText(r)));
  return items.length ? h('ul', { class: 'codes' }, items) : null;
}

function decisionSection(claim) {
  const d = claim.decision;
  // A pended claim carries its provisional amounts; only a final one has a decision to show.
  if (!d || !['approved', 'denied', 'voided', 'replaced'].includes(claim.status)) return null;
  const lines = (d.lines || []).map((l, i) => {
    const sub = (claim.submitted && claim.submitted.lines && claim.submitted.lines[i]) || {};
    const what = claim.type === 'pharmacy'
      ? (claim.submitted && claim.submitted.drug_name) || 'Prescription'
      : `${sub.procedure_code || ''} on ${sub.service_date || ''}`;
    return [`${i + 1}. ${what}`, money(l.charge ?? l.total_charge), money(l.allowed), money(l.plan_paid), money(l.patient_responsibility),
      codesList(l.codes, l.remarks) || ''];
  });
  return h('section', { 'aria-labelledby': 'decision-h' },
    h('h2', { id: 'decision-h' }, 'Decision'),
    h('p', { class: 'lead' }, claim.status === 'voided' || claim.status === 'replaced'
      ? 'The plan\'s decision before this claim was ' + (claim.status === 'voided' ? 'voided' : 'replaced') + '. What it paid is taken back (see the latest Explanation of Benefits).'
      : d.outcome === 'denied' ? 'This claim was denied. The reasons are below.' : 'The plan decided this claim.'),
    dl([
      ['Outcome', statusText(d.outcome)],
      ['Total charge', money(d.total_charge)],
      ['Allowed by the plan', money(d.allowed)],
      ['Plan pays', money(d.plan_paid)],
      ['You owe', money(d.patient_responsibility)],
      ['Paid to', PAYEE[d.payee] || d.payee],
      ['This plan pays', d.cob_position === 'secondary' ? 'second (after the other plan)' : d.cob_position === 'primary' ? 'first' : d.cob_position],
    ]),
    codesList(d.codes, d.remarks) ? h('div', null, h('h3', null, 'Why: adjustments and remarks'), codesList(d.codes, d.remarks)) : null,
    lines.length ? table('Line by line', ['Line', 'Charge', 'Allowed', 'Plan pays', 'You owe', 'Adjustments'], lines) : null);
}

function pendingSection(claim, reload) {
  const p = claim.pending;
  if (claim.status !== 'pended' || !p) return null;
  const needed = p.needed || [];
  return h('section', { 'aria-labelledby': 'pending-h', class: 'pending' },
    h('h2', { id: 'pending-h' }, 'We need more information'),
    h('ul', null, needed.map((n) => h('li', null, NEEDED[n] || n))),
    codesList([], p.reason_codes),
    p.deadline ? h('p', null, 'Please send it by ', h('strong', null, p.deadline), '. After that date the claim is denied.') : null,
    informationForm(claim.claim_id, needed, reload));
}

/** Links between a correction and the claim it corrects, and a void's reason. */
function correctionNotes(claim) {
  const link = (id) => h('a', { href: `#/claim/${encodeURIComponent(id)}` }, id);
  return [
    claim.replaced_by ? h('p', { class: 'notice' }, 'This claim was corrected: it is replaced by claim ', link(claim.replaced_by), '.') : null,
    claim.replaces ? h('p', { class: 'hint' }, 'This claim corrects (replaces) claim ', link(claim.replaces), '.') : null,
    claim.voided ? h('p', { class: 'notice' }, `This claim was voided: ${claim.voided.reason}`) : null,
  ];
}

/** The form that voids the claim (POST /v1/claims/{id}/void): a reason is required. */
function voidForm(claimId, onDone) {
  const form = h('form', { class: 'claim-form', novalidate: true, 'aria-label': 'Void this claim', hidden: true, id: 'void-form' });
  form.append(errorSummary(),
    field({ label: 'Why is this claim void?', path: 'reason', type: 'textarea', required: true, hint: 'For example: sent twice by mistake. At most 500 characters.' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Void the claim')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    clearErrors(form);
    try {
      await api.post(`/v1/claims/${encodeURIComponent(claimId)}/void`, { reason: form.querySelector('[data-field=reason]').value });
      onDone();
    } catch (err) {
      if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'The claim was not voided. Please correct:');
      else if (err.status === 404) formMessage(form, 'You may not void this claim: only who filed it, or claims staff, may.');
      else formMessage(form, `The claim was not voided: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Correct (a new submission, prefilled) or void a claim that still stands or is not final yet. */
function correctionSection(claim, onVoided) {
  if (claim.status === 'voided' || claim.status === 'replaced') return null;
  const form = voidForm(claim.claim_id, onVoided);
  const show = h('button', { type: 'button', class: 'secondary', id: 'void-claim' }, 'Void this claim');
  show.addEventListener('click', () => { form.hidden = false; form.querySelector('textarea').focus(); });
  return h('section', { 'aria-labelledby': 'correct-h' },
    h('h2', { id: 'correct-h' }, 'Correct or void'),
    h('p', { class: 'hint' }, 'Something wrong on this claim? File the corrected claim: it replaces this one, and the plan takes back what it paid on this one. Sent by mistake? Void it.'),
    h('p', null, h('a', { href: `#/claim/${encodeURIComponent(claim.claim_id)}/correct`, id: 'correct-claim' }, 'Correct this claim'), ' ', show),
    form);
}

function historyList(claim) {
  const items = (claim.history || []).map((e) => h('li', null, h('time', { datetime: e.at }, timestamp(e.at)), ': ', statusText(e.status), e.note ? ` (${e.note})` : ''));
  return items.length ? h('section', { 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'History'), h('ol', { class: 'history' }, items)) : null;
}

function submittedDetails(claim) {
  const s = claim.submitted;
  if (!s) return null;
  const pairs = [
    ['Patient', s.patient ? `${s.patient.first_name} ${s.patient.last_name} (born ${s.patient.birth_date})` : ''],
    ['Member ID', s.member_id],
  ];
  if (s.type === 'pharmacy') {
    pairs.push(['Pharmacy', s.pharmacy && `${s.pharmacy.name} (${s.pharmacy.network === 'out' ? 'out of network' : 'in network'})`],
      ['Drug', s.drug_name], ['NDC', s.ndc], ['Fill date', s.fill_date], ['Quantity', s.quantity], ['Days supply', s.days_supply],
      ['Amount paid', money(s.charge)]);
  } else {
    pairs.push(['Provider', s.provider && `${s.provider.name}, NPI ${s.provider.npi} (${s.provider.network === 'out' ? 'out of network' : 'in network'})`],
      ['Diagnosis codes', (s.diagnosis_codes || []).join(', ')],
      ['Lines', (s.lines || []).map((l) => `${l.service_date} ${l.procedure_code}${l.modifiers && l.modifiers.length ? `-${l.modifiers.join('-')}` : ''} × ${l.units}: ${money(l.charge)}`).join('; ')],
      ['Itemized bill', s.itemized_bill ? 'yes' : 'no'], ['Assignment of benefits', s.assignment_of_benefits ? 'signed' : 'no']);
  }
  if (s.other_insurance) pairs.push(['Other plan', `${s.other_insurance.payer_name}: paid ${money(s.other_insurance.paid)} on ${s.other_insurance.eob_date}`]);
  return h('details', null, h('summary', null, 'What was filed'), dl(pairs));
}

/**
 * Opens the printable HTML EOB in a new window without putting the claim's
 * data behind an address: the HTML is fetched with the session cookie and
 * shown from a blob URL.
 * The blob document inherits this page's Content-Security-Policy, which
 * refuses the EOB's inline <style>; its rules are applied instead as a
 * constructed style sheet (CSSOM, which the policy does not govern).
 */
async function openEob(claimId, button, note) {
  const win = window.open('', '_blank');
  if (!win) {
    replace(note, 'Your browser blocked the new window. Allow pop-ups for this site and try again.');
    return;
  }
  win.document.title = 'Explanation of Benefits';
  win.document.body.textContent = 'Loading your Explanation of Benefits…';
  button.disabled = true;
  try {
    const res = await api.getText(`/v1/claims/${encodeURIComponent(claimId)}/eob?format=html`);
    // The style sheet is taken out of the text before parsing: even an inert
    // parsed document reports its inline <style> to this page's policy.
    let css = '';
    const withoutStyle = res.text.replace(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi, (_, rules) => {
      css += `${rules}\n`;
      return '';
    });
    const doc = new DOMParser().parseFromString(withoutStyle, 'text/html');
    for (const el of doc.querySelectorAll('style, script, link, meta[http-equiv], [style]')) {
      if (el.matches('[style]') && !el.matches('style, script, link, meta')) el.removeAttribute('style');
      else el.remove();
    }
    const html = `<!doctype html>\n${doc.documentElement.outerHTML}`;
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
    win.location.replace(url);
    const started = Date.now();
    const styled = () => {
      try {
        if (win.closed) return;
        if (win.location.href === url && win.document.readyState === 'complete') {
          const sheet = new win.CSSStyleSheet();
          sheet.replaceSync(css);
          win.document.adoptedStyleSheets = [sheet];
          setTimeout(() => URL.revokeObjectURL(url), 60000);
          return;
        }
      } catch {
        /* not navigated yet */
      }
      if (Date.now() - started < 10000) setTimeout(styled, 50);
    };
    styled();
    replace(note, 'The Explanation of Benefits opened in a new window. Use your browser\'s Print command to print it.');
  } catch (err) {
    win.close();
    if (err.code === 'no_eob') replace(note, 'There is no Explanation of Benefits yet: it is made when the claim is decided.');
    else if (err.status === 422) replace(note, 'The printable Explanation of Benefits is not available on this server yet. The decision above has every amount and reason.');
    else replace(note, `The Explanation of Benefits could not be loaded: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

/**
 * Renders the claim page into main. ctx: {role, flash, isCurrent()} where
 * isCurrent() is false once the user has moved to another page (stops polling).
 */
export async function claimPage(main, id, ctx) {
  let polls = 0;
  const heading = h('h1', { tabindex: '-1' }, 'Claim');
  replace(main, heading, h('p', null, 'Loading the claim…'));
  const render = (claim) => {
    const eobNote = h('p', { class: 'hint', role: 'status' });
    const eobButton = h('button', { type: 'button', class: 'primary', id: 'open-eob' }, 'Open the Explanation of Benefits (printable)');
    eobButton.addEventListener('click', () => openEob(claim.claim_id, eobButton, eobNote));
    const final = claim.status === 'approved' || claim.status === 'denied';
    const late = !final && claim.target_date && claim.target_date < new Date().toISOString().slice(0, 10);
    replace(main,
      h('h1', { tabindex: '-1' }, claim.type === 'pharmacy' ? 'Pharmacy claim ' : 'Medical claim ', h('span', { class: 'claim-id' }, claim.claim_id)),
      ctx.flash ? h('p', { class: 'notice notice-ok', role: 'status' }, ctx.flash) : null,
      h('p', { class: 'status-line' }, 'Status: ', statusBadge(claim.status), late ? h('span', { class: 'badge badge-late' }, 'past its target date') : null),
      OPEN.has(claim.status) ? h('p', { class: 'hint' }, 'We usually decide within 10 working days. This page updates by itself.') : null,
      claim.status === 'in_review' ? h('p', { class: 'hint' }, 'A member of the claims staff checks this claim before it is decided. We usually decide within 10 working days.') : null,
      claim.status === 'in_review' && ctx.role === 'staff' ? h('p', null, h('a', { href: '#/staff/review' }, 'Decide it on the review list')) : null,
      dl([
        ['Patient (member ID)', claim.member_id],
        ['Received', claim.received_date],
        ['Target date', claim.target_date],
        ['Decided', claim.finalized_at ? timestamp(claim.finalized_at) : null],
        ['Decided within target', claim.finalized_at ? (claim.within_target ? 'yes' : 'no') : null],
      ]),
      final || claim.finalized_at ? h('div', { class: 'eob' }, eobButton, eobNote) : null,
      correctionNotes(claim),
      decisionSection(claim),
      appealSection(claim, ctx, (message) => { ctx.flash = message; load(); }),
      pendingSection(claim, () => { ctx.flash = 'Thank you: the information was sent and the claim is back in line for processing.'; load(); }),
      historyList(claim),
      submittedDetails(claim),
      ctx.role === 'staff' ? h('p', null, h('a', { href: `#/claim/${encodeURIComponent(claim.claim_id)}/audit` }, 'See who read or changed this claim (audit trail)')) : null,
      h('p', null, h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Refresh')),
      correctionSection(claim, () => { ctx.flash = 'The claim was voided. What the plan paid on it is taken back.'; load(); }));
    ctx.flash = null;
  };
  const load = async () => {
    try {
      const res = await api.get(`/v1/claims/${encodeURIComponent(id)}`);
      if (!ctx.isCurrent()) return;
      const before = main.querySelector('.badge') && main.querySelector('.badge').textContent;
      render(res.data);
      if (polls === 0) main.querySelector('h1').focus();
      else if (before && before !== statusText(res.data.status)) ctx.announce(`Claim status: ${statusText(res.data.status)}`);
      if (OPEN.has(res.data.status) && polls < 40) {
        polls += 1;
        // Every read is audited: poll gently, 1 s growing to 15 s.
        setTimeout(() => { if (ctx.isCurrent()) load(); }, Math.min(1000 * polls, 15000));
      }
    } catch (err) {
      if (!ctx.isCurrent()) return;
      if (err.status === 404) {
        replace(main, h('h1', { tabindex: '-1' }, 'Claim not found'),
          h('p', null, 'There is no claim with this number that you may see. Check the number, or go back to your claims.'),
          h('p', null, h('a', { href: '#/claims' }, 'Back to the list of claims')));
      } else {
        replace(main, h('h1', { tabindex: '-1' }, 'Claim'), h('p', { class: 'notice notice-error' }, `The claim could not be loaded: ${err.message}`),
          h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Try again'));
      }
      main.querySelector('h1').focus();
    }
  };
  await load();
}

/** Staff: the audit trail of one claim. */
export async function auditPage(main, id) {
  replace(main, h('h1', { tabindex: '-1' }, 'Audit trail'), h('p', null, 'Loading…'));
  try {
    const res = await api.get(`/v1/claims/${encodeURIComponent(id)}/audit`);
    const entries = res.data.entries || [];
    replace(main,
      h('h1', { tabindex: '-1' }, 'Audit trail of claim ', h('span', { class: 'claim-id' }, id)),
      h('p', null, 'Everyone who filed, read or changed this claim, oldest first. Reading this page is recorded too.'),
      table('Audit entries', ['When', 'What', 'Role', 'Token or session', 'From', 'Request'],
        entries.map((e) => [timestamp(e.at), AUDIT_ACTION[e.action] || e.action, e.role, e.token_id, e.from, e.request_id])),
      h('p', null, h('a', { href: `#/claim/${encodeURIComponent(id)}` }, 'Back to the claim')));
  } catch (err) {
    replace(main, h('h1', { tabindex: '-1' }, 'Audit trail'),
      h('p', { class: 'notice notice-error' }, err.status === 404 ? 'No such claim, or your role may not see audit trails.' : `The audit trail could not be loaded: ${err.message}`));
  }
  main.querySelector('h1').focus();
}
