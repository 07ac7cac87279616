// The portal: sign-in, navigation by the part of the URL after "#" (the
// claim number may be there; the token never is), and the views of each role.

import * as api from './api.js';
import * as session from './session.js';
import { h, replace, table } from './dom.js';
import { field, radios, radioValue, text, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import { medicalForm, pharmacyForm } from './claim_forms.js';
import { claimPage, auditPage } from './claim_view.js';
import { statusText, todayUtc, timestamp } from './words.js';

const main = () => document.getElementById('main');
let generation = 0; // bumped on every navigation; a view's late answers check it
let flash = null;
let nextAnnouncement = null; // said once the next page is shown

const ROLE_NAMES = { member: 'Member', provider: 'Provider', staff: 'Claims staff' };

const NAV = {
  member: [['#/claims', 'My family\'s claims'], ['#/file/pharmacy', 'File a pharmacy claim'], ['#/file/medical', 'File a medical claim'], ['#/eligibility', 'Check coverage']],
  provider: [['#/claims', 'Claims I posted'], ['#/file/medical', 'Post a claim'], ['#/eligibility', 'Check eligibility']],
  staff: [['#/staff/search', 'Find claims'], ['#/staff/queue', 'Queue'], ['#/file/medical', 'Enter a medical claim'], ['#/file/pharmacy', 'Enter a pharmacy claim'], ['#/eligibility', 'Check eligibility']],
};

/* ---- notices ---- */

function announce(message) {
  const el = document.getElementById('status');
  el.hidden = false;
  el.textContent = '';
  // A fresh text node so screen readers read the same message again.
  setTimeout(() => { el.textContent = message; }, 30);
}

function alertMessage(message) {
  const el = document.getElementById('alert');
  el.hidden = !message;
  el.textContent = message || '';
}

function clearNotices() {
  const s = document.getElementById('status');
  s.hidden = true;
  s.textContent = '';
  alertMessage('');
}

/* ---- chrome ---- */

function renderChrome() {
  const s = session.get();
  const nav = document.getElementById('nav');
  const list = document.getElementById('nav-list');
  const who = document.getElementById('who');
  const out = document.getElementById('sign-out');
  if (!s) {
    nav.hidden = true;
    who.hidden = true;
    out.hidden = true;
    replace(list);
    return;
  }
  const here = location.hash || '#/';
  replace(list, NAV[s.role].map(([href, label]) => h('li', null,
    h('a', { href, 'aria-current': here === href ? 'page' : null }, label))));
  nav.hidden = false;
  who.hidden = false;
  who.textContent = `Signed in as ${ROLE_NAMES[s.role]}${s.memberId ? ` (${s.memberId})` : ''}${s.npi ? ` (NPI ${s.npi})` : ''}`;
  out.hidden = false;
}

function signOut(message) {
  session.clear();
  flash = null;
  nextAnnouncement = message ? { alert: message } : { status: 'You are signed out. The token was removed from this browser.' };
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

/* ---- sign-in ---- */

function signInView(m) {
  const form = h('form', { novalidate: true, 'aria-label': 'Sign in', class: 'narrow' });
  const role = radios({ legend: 'I am', path: 'role', options: [['member', 'A member (employee or family)'], ['provider', 'A provider or pharmacy'], ['staff', 'Claims staff']], value: 'member', name: 'role' });
  const token = field({ label: 'API token', path: 'token', type: 'password', required: true, hint: 'The token you were given. It is kept in this browser tab only and forgotten when you sign out or close the tab.', autocomplete: 'off', id: 'token' });
  const memberId = field({ label: 'Your member ID', path: 'member_id', required: true, hint: 'As on your ID card. Your claims are filed with it.', id: 'member-id' });
  const npi = field({ label: 'Your NPI', path: 'npi', required: true, inputmode: 'numeric', hint: 'The 10-digit NPI your token was issued for.', id: 'npi', maxlength: 10 });
  const sync = () => {
    const r = radioValue(role);
    memberId.hidden = r !== 'member';
    npi.hidden = r !== 'provider';
  };
  role.addEventListener('change', sync);
  form.append(errorSummary(), role, token, memberId, npi, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  sync();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const r = radioValue(role);
    const t = token.control.value.trim();
    const errors = [];
    if (!t) errors.push({ field: 'token', problem: 'is required' });
    const mid = text(memberId.control);
    const n = text(npi.control);
    if (r === 'member' && !mid) errors.push({ field: 'member_id', problem: 'is required' });
    if (r === 'provider' && !(n && /^\d{10}$/.test(n))) errors.push({ field: 'npi', problem: 'must be 10 digits' });
    if (errors.length) {
      showFieldErrors(form, errors, 'Please complete the form');
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      // Check the token, and that it fits the role chosen. The server
      // enforces every permission anyway; this only picks the right pages.
      if (r === 'staff') await api.get('/v1/queue', { token: t });
      else if (r === 'member') await api.get(`/v1/eligibility${api.query({ member_id: mid, date: todayUtc() })}`, { token: t });
      else await api.get('/v1/claims?limit=1', { token: t });
      session.save({ token: t, role: r, memberId: r === 'member' ? mid : undefined, npi: r === 'provider' ? n : undefined });
      token.control.value = '';
      nextAnnouncement = { status: `Signed in as ${ROLE_NAMES[r]}.` };
      location.hash = r === 'staff' ? '#/staff/search' : '#/claims';
    } catch (err) {
      if (err.status === 401) showFieldErrors(form, [{ field: 'token', problem: 'is not accepted: check that you copied all of it' }], 'You are not signed in');
      else if (err.status === 403) showFieldErrors(form, [{ field: 'role', problem: 'does not match this token: it is not a claims staff token' }], 'You are not signed in');
      else if (err.status === 404 && r === 'member') showFieldErrors(form, [{ field: 'member_id', problem: 'is not yours or your family\'s according to this token' }], 'You are not signed in');
      else formMessage(form, `Sign-in failed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Sign in'),
    h('p', null, 'File and follow medical and pharmacy claims. Members see their own and their family\'s claims; providers the claims they posted; claims staff all claims.'),
    form);
}

/* ---- lists ---- */

function claimRows(claims) {
  return claims.map((c) => {
    const final = c.status === 'approved' || c.status === 'denied';
    const late = !final && c.target_date && c.target_date < todayUtc();
    return [
      h('a', { href: `#/claim/${encodeURIComponent(c.claim_id)}`, class: 'claim-link', 'aria-label': `Claim ${c.claim_id}` }, c.claim_id.slice(0, 8)),
      c.member_id,
      c.type === 'pharmacy' ? 'Pharmacy' : 'Medical',
      h('span', { class: `badge badge-${c.status}` }, statusText(c.status)),
      c.received_date,
      late ? h('span', null, c.target_date, ' ', h('span', { class: 'badge badge-late' }, 'late')) : c.target_date,
    ];
  });
}

/** A claims table that follows next_cursor with a "Show more" button. */
function claimResults(container, params, caption, gen) {
  let cursor = null;
  const claims = [];
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const count = h('p', { role: 'status', class: 'hint' });
  const holder = h('div');
  replace(container, count, holder, more);
  const page = async () => {
    more.disabled = true;
    try {
      const res = await api.get(`/v1/claims${api.query({ ...params, cursor })}`);
      if (gen !== generation) return;
      claims.push(...(res.data.claims || []));
      cursor = res.data.next_cursor || null;
      replace(holder, claims.length ? table(caption, ['Claim', 'Patient', 'Type', 'Status', 'Received', 'Target date'], claimRows(claims)) : h('p', null, 'No claims found.'));
      count.textContent = `${claims.length} claim${claims.length === 1 ? '' : 's'} shown${cursor ? '; there are more' : ''}.`;
      more.hidden = !cursor;
    } catch (err) {
      if (gen !== generation) return;
      replace(holder, h('p', { class: 'notice notice-error' }, err.fields && err.fields.length
        ? `The search was not accepted: ${err.fields.map((f) => `${f.field} ${f.problem}`).join('; ')}`
        : `The claims could not be loaded: ${err.message}`));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', page);
  return page();
}

function myClaimsView(m, s, gen) {
  const results = h('div');
  replace(m,
    h('h1', { tabindex: '-1' }, s.role === 'provider' ? 'Claims I posted' : 'My family\'s claims'),
    h('p', null, s.role === 'provider' ? 'Claims filed under your NPI, oldest first.' : 'Claims for you and, if you are the employee, your covered family, oldest first. Select a claim to see its decision.'),
    s.role === 'member' ? h('p', { class: 'actions' }, h('a', { class: 'button primary', href: '#/file/pharmacy' }, 'File a pharmacy claim'), ' ', h('a', { class: 'button secondary', href: '#/file/medical' }, 'File a medical claim')) : null,
    results);
  claimResults(results, { limit: 50 }, 'Claims', gen);
}

function fileView(m, s, kind) {
  const onFiled = (summary, replayed) => {
    flash = `${replayed ? 'This claim was already filed (your form was sent twice); here it is. ' : 'Thank you: your claim was received. '}We aim to decide it by ${summary.target_date}.`;
    location.hash = `#/claim/${encodeURIComponent(summary.claim_id)}`;
  };
  const defaults = { memberId: s.memberId, npi: s.npi };
  const form = kind === 'pharmacy' ? pharmacyForm(s.role, defaults, onFiled) : medicalForm(s.role, defaults, onFiled);
  replace(m,
    h('h1', { tabindex: '-1' }, kind === 'pharmacy' ? 'File a pharmacy reimbursement claim' : 'File a medical claim'),
    h('p', { class: 'hint' }, 'Fields marked (required) must be filled in. If something is wrong, the problem is shown next to the field.'),
    form);
}

function eligibilityView(m, s) {
  const form = h('form', { novalidate: true, class: 'narrow', 'aria-label': 'Eligibility check' });
  const result = h('div', { 'aria-live': 'polite' });
  const mid = field({ label: 'Member ID', path: 'member_id', required: true, value: s.memberId || '' });
  const date = field({ label: 'Date of service', path: 'date', type: 'date', required: true, value: todayUtc() });
  form.append(errorSummary(), mid, date, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Check')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    replace(result);
    try {
      const res = await api.get(`/v1/eligibility${api.query({ member_id: text(mid.control), date: text(date.control) })}`);
      const d = res.data;
      if (d.covered) {
        const kinds = { active: 'active coverage', cobra: 'COBRA continuation coverage', state_continuation: 'state continuation coverage' };
        replace(result, h('div', { class: 'notice notice-ok' },
          h('p', null, h('strong', null, `Covered on ${d.date}`), ` under plan ${d.plan_id} (${kinds[d.coverage_kind] || d.coverage_kind}).`),
          d.cob ? h('p', null, d.cob.position === 'secondary'
            ? `This plan pays second${d.cob.medicare_primary ? ': Medicare pays first' : ': another plan pays first'}. Send the first plan's Explanation of Benefits with the claim.`
            : 'This plan pays first.') : null));
      } else {
        const r = d.reason || {};
        replace(result, h('div', { class: 'notice notice-error' },
          h('p', null, h('strong', null, `Not covered on ${d.date}.`)),
          r.carc ? h('p', null, h('span', { class: 'code' }, `CARC ${r.carc}`), ' ', r.meaning || '') : null));
      }
    } catch (err) {
      if (err.fields && err.fields.length) showFieldErrors(form, err.fields);
      else if (err.status === 404) formMessage(form, 'No member with this ID that you may ask about.');
      else formMessage(form, `The check failed: ${err.message}`);
    }
  });
  replace(m, h('h1', { tabindex: '-1' }, s.role === 'member' ? 'Check coverage' : 'Check eligibility'),
    h('p', null, 'Whether a member is covered on a date, under which plan, and whether this plan pays first.'), form, result);
}

/* ---- staff ---- */

function searchView(m, gen) {
  const form = h('form', { novalidate: true, 'aria-label': 'Find claims', class: 'search' });
  const results = h('div');
  const f = {
    member: field({ label: 'Member ID', path: 'member_id' }),
    status: field({ label: 'Status', path: 'status', type: 'select', options: [['', 'Any status'], ['received', 'Received'], ['processing', 'Being processed'], ['pended', 'Waiting for information'], ['approved', 'Approved'], ['denied', 'Denied']] }),
    type: field({ label: 'Type', path: 'type', type: 'select', options: [['', 'Any type'], ['medical', 'Medical'], ['pharmacy', 'Pharmacy']] }),
    from: field({ label: 'Received from', path: 'received_from', type: 'date' }),
    to: field({ label: 'Received to', path: 'received_to', type: 'date' }),
    overdue: field({ label: 'Only open claims past their target date', path: 'overdue', type: 'checkbox' }),
  };
  form.append(errorSummary(), h('div', { class: 'grid' }, Object.values(f)), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    claimResults(results, {
      member_id: text(f.member.control), status: f.status.control.value, type: f.type.control.value,
      received_from: text(f.from.control), received_to: text(f.to.control), overdue: f.overdue.control.checked ? 'true' : undefined, limit: 50,
    }, 'Search results', gen);
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Find claims'),
    h('p', null, 'Every field is optional. Results are oldest first.'), form, h('h2', null, 'Results'), results);
}

async function queueView(m, gen) {
  replace(m, h('h1', { tabindex: '-1' }, 'Queue'), h('p', null, 'Loading…'));
  let q;
  try {
    q = (await api.get('/v1/queue')).data;
  } catch (err) {
    if (gen === generation) replace(m, h('h1', { tabindex: '-1' }, 'Queue'), h('p', { class: 'notice notice-error' }, `The queue could not be loaded: ${err.message}`));
    return;
  }
  if (gen !== generation) return;
  const share = q.share_within_target === null || q.share_within_target === undefined ? 'no claim decided yet' : `${Math.round(Number(q.share_within_target) * 1000) / 10}%`;
  const tile = (label, value, note) => h('div', { class: 'tile' }, h('p', { class: 'tile-value' }, String(value ?? 0)), h('p', { class: 'tile-label' }, label), note ? h('p', { class: 'hint' }, note) : null);
  const dead = q.dead || [];
  const retryNote = h('p', { role: 'status', class: 'hint' });
  const rows = dead.map((d) => {
    const b = h('button', { type: 'button', class: 'secondary small' }, 'Put back on the queue');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api.post(`/v1/queue/dead/${encodeURIComponent(d.claim_id)}/retry`, undefined);
        retryNote.textContent = `Claim ${d.claim_id} is back on the queue.`;
        b.textContent = 'Requeued';
      } catch (err) {
        retryNote.textContent = `Claim ${d.claim_id} could not be requeued: ${err.message}`;
        b.disabled = false;
      }
    });
    return [h('a', { href: `#/claim/${encodeURIComponent(d.claim_id)}` }, d.claim_id), d.reason, d.deliveries, timestamp(d.at), b];
  });
  replace(m,
    h('h1', { tabindex: '-1' }, 'Queue'),
    h('div', { class: 'tiles' },
      tile('Waiting to be processed', q.depth),
      tile('Being processed now', q.in_flight),
      tile('Waiting for information', q.pended),
      tile('Failed repeatedly (dead letter)', q.dead_lettered),
      tile('Open past their target date', q.overdue),
      tile('Decided', q.finalized),
      tile('Decided within target', share, `${q.finalized_within_target ?? 0} of ${q.finalized ?? 0}`)),
    q.oldest_open_claim_id ? h('p', null, 'Oldest open claim: ', h('a', { href: `#/claim/${encodeURIComponent(q.oldest_open_claim_id)}` }, q.oldest_open_claim_id), `, ${q.oldest_open_age_days} day${q.oldest_open_age_days === 1 ? '' : 's'} old.`) : h('p', null, 'No open claims.'),
    h('h2', null, 'Dead letter'),
    h('p', { class: 'hint' }, 'Claims that failed to be processed several times (a fault, not a denial). Put one back once the cause is fixed.'),
    dead.length ? table('Dead-lettered claims', ['Claim', 'Reason', 'Attempts', 'Since', 'Action'], rows) : h('p', null, 'None.'),
    retryNote,
    h('p', null, h('button', { type: 'button', class: 'secondary', onclick: () => route() }, 'Refresh')));
  m.querySelector('h1').focus();
}

/* ---- router ---- */

function parse(hash) {
  const path = (hash || '').replace(/^#/, '') || '/';
  let mm;
  if ((mm = /^\/claim\/([^/]+)\/audit$/.exec(path))) return { name: 'audit', id: decodeURIComponent(mm[1]) };
  if ((mm = /^\/claim\/([^/]+)$/.exec(path))) return { name: 'claim', id: decodeURIComponent(mm[1]) };
  return { name: path };
}

const TITLES = {
  '/signin': 'Sign in', '/claims': 'Claims', '/file/medical': 'File a medical claim', '/file/pharmacy': 'File a pharmacy claim',
  '/eligibility': 'Eligibility', '/staff/search': 'Find claims', '/staff/queue': 'Queue', claim: 'Claim', audit: 'Audit trail',
};

function route() {
  generation += 1;
  const gen = generation;
  const m = main();
  const s = session.get();
  const r = parse(location.hash);
  clearNotices();
  if (!s && r.name !== '/signin') {
    location.replace('#/signin');
    return;
  }
  if (s && (r.name === '/signin' || r.name === '/')) {
    location.replace(s.role === 'staff' ? '#/staff/search' : '#/claims');
    return;
  }
  renderChrome();
  if (nextAnnouncement) {
    if (nextAnnouncement.alert) alertMessage(nextAnnouncement.alert);
    else announce(nextAnnouncement.status);
    nextAnnouncement = null;
  }
  document.title = `${TITLES[r.name] || 'Not found'} · Claims portal`;
  const staffOnly = ['/staff/search', '/staff/queue', 'audit'];
  if (s && staffOnly.includes(r.name) && s.role !== 'staff') {
    replace(m, h('h1', { tabindex: '-1' }, 'Not available'), h('p', null, 'This page is for claims staff.'));
  } else {
    switch (r.name) {
      case '/signin': signInView(m); break;
      case '/claims': myClaimsView(m, s, gen); break;
      case '/file/medical': fileView(m, s, 'medical'); break;
      case '/file/pharmacy': fileView(m, s, 'pharmacy'); break;
      case '/eligibility': eligibilityView(m, s); break;
      case '/staff/search': searchView(m, gen); break;
      case '/staff/queue': queueView(m, gen); return;
      case 'claim': {
        const ctx = { role: s.role, flash, isCurrent: () => gen === generation, announce };
        flash = null;
        claimPage(m, r.id, ctx);
        return;
      }
      case 'audit': auditPage(m, r.id); return;
      default:
        replace(m, h('h1', { tabindex: '-1' }, 'Page not found'), h('p', null, h('a', { href: '#/' }, 'Go to the start page')));
    }
  }
  const h1 = m.querySelector('h1');
  if (h1) h1.focus();
}

function start() {
  session.load();
  api.setUnauthorizedHandler(() => signOut('Your token is no longer accepted. Please sign in again.'));
  document.getElementById('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', route);
  route();
}

start();
