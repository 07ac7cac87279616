// The portal: sign-in with a username and password (the server's session
// cookie), accepting an invitation, navigation by the part of the URL after
// "#" (a claim number may be there; nothing secret is), and the views of each
// role.

import * as api from './api.js';
import * as session from './session.js';
import { h, append, replace, table } from './dom.js';
import { field, text, errorSummary, showFieldErrors, formMessage, clearErrors } from './forms.js';
import { medicalForm, pharmacyForm, familyChoices } from './claim_forms.js';
import { claimPage, auditPage } from './claim_view.js';
import { memberEventView, recoveriesView } from './events.js';
import { appealsView, appealPage } from './appeals.js';
import { reviewView } from './review.js';
import { pager } from './pager.js';
import { statusText, todayUtc, timestamp, waitWords } from './words.js';

const main = () => document.getElementById('main');
let generation = 0; // bumped on every navigation; a view's late answers check it
let flash = null;
let nextAnnouncement = null; // said once the next page is shown

const ROLE_NAMES = { member: 'Member', provider: 'Provider', staff: 'Claims staff', admin: 'Administrator' };

const NAV = {
  member: [['#/claims', 'My family\'s claims'], ['#/file/pharmacy', 'File a pharmacy claim'], ['#/file/medical', 'File a medical claim'], ['#/eligibility', 'Check coverage']],
  provider: [['#/claims', 'Claims I posted'], ['#/file/medical', 'Post a claim'], ['#/eligibility', 'Check eligibility']],
  staff: [['#/staff/search', 'Find claims'], ['#/staff/queue', 'Queue'], ['#/staff/review', 'Review'], ['#/staff/events', 'Enrollment events'], ['#/staff/recoveries', 'Recoveries'], ['#/staff/appeals', 'Appeals'], ['#/file/medical', 'Enter a medical claim'], ['#/file/pharmacy', 'Enter a pharmacy claim'], ['#/eligibility', 'Check eligibility']],
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

/** The pages a role sees: an administrator has the staff's pages. */
const pagesOf = (role) => (role === 'admin' ? 'staff' : role);

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
  replace(list, NAV[pagesOf(s.role)].map(([href, label]) => h('li', null,
    h('a', { href, 'aria-current': here === href ? 'page' : null }, label))));
  nav.hidden = false;
  who.hidden = false;
  who.textContent = `Signed in as ${ROLE_NAMES[s.role]}${s.memberId ? ` (${s.memberId})` : ''}${s.npi ? ` (NPI ${s.npi})` : ''}`;
  out.hidden = false;
}

/* ---- who the user is (GET /v1/me), kept in memory only ---- */

let me = null; // {csrf token it belongs to, promise of the answer}

/** GET /v1/me once per session and page load: the role, ids and the family. */
function whoAmI() {
  const s = session.get();
  if (!me || me.csrfToken !== s.csrfToken) {
    const promise = api.get('/v1/me').then((res) => res.data);
    me = { csrfToken: s.csrfToken, promise };
    promise.catch(() => { if (me && me.promise === promise) me = null; });
  }
  return me.promise;
}

/* ---- signing in and out ---- */

const SESSION_ENDED = 'Your session ended; sign in again.';

/** Ends the session here: the page forgets it and shows the sign-in page. */
function endSession(announcement) {
  session.clear();
  me = null;
  flash = null;
  nextAnnouncement = announcement;
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

/** Sign out: the server ends the session (and clears its cookie), then this tab forgets it. */
async function signOut() {
  const button = document.getElementById('sign-out');
  button.disabled = true;
  let message = 'You are signed out.';
  try {
    await api.del('/v1/sessions/current', { anonymous: true });
  } catch (err) {
    // 401: the session had ended already; 403 csrf_failed: the browser's
    // cookie is another tab's session now. Unreachable: the server may hold
    // the session until it times out; this tab forgets it either way.
    if (err.code === 'network' || err.status >= 500) message = 'You are signed out in this tab, but the server could not be reached: close the browser to be sure the session ends.';
  } finally {
    button.disabled = false;
  }
  endSession({ status: message });
}

/** POST /v1/sessions; on 201 the cookie is set and the answer's fields are kept. */
async function startSession(username, password) {
  const res = await api.post('/v1/sessions', { username, password }, { anonymous: true });
  session.save(res.data);
  me = null;
}

function signInView(m) {
  const form = h('form', { novalidate: true, 'aria-label': 'Sign in', class: 'narrow' });
  const username = field({ label: 'Username', path: 'username', required: true, autocomplete: 'username', id: 'username' });
  const password = field({ label: 'Password', path: 'password', type: 'password', required: true, autocomplete: 'current-password', id: 'password' });
  form.append(errorSummary(), username, password, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const u = username.control.value.trim();
    const p = password.control.value;
    const errors = [];
    if (!u) errors.push({ field: 'username', problem: 'is required' });
    if (!p) errors.push({ field: 'password', problem: 'is required' });
    if (errors.length) {
      showFieldErrors(form, errors, 'Please complete the form');
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await startSession(u, p);
      password.control.value = '';
      const s = session.get();
      nextAnnouncement = { status: `Signed in as ${ROLE_NAMES[s.role]}.` };
      location.hash = pagesOf(s.role) === 'staff' ? '#/staff/search' : '#/claims';
    } catch (err) {
      password.control.value = '';
      if (err.status === 401) formMessage(form, 'The username or password is not right. Check both and try again.');
      else if (err.status === 429) formMessage(form, `Too many attempts to sign in. Wait ${waitWords(err.retryAfter)}, then try again.`);
      else if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'You are not signed in');
      else formMessage(form, `Sign-in failed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Sign in'),
    h('p', null, 'File and follow medical and pharmacy claims. Members see their own and their family\'s claims; providers the claims they posted; claims staff all claims.'),
    form,
    h('p', { class: 'hint' }, 'New here? Open the invitation link the Claims Office sent you to choose your username and password.'));
}

const MIN_PASSWORD = 12;

/** #/accept?code=…: an invitation becomes an account (POST /v1/accounts), then a session. */
function acceptView(m, params) {
  const code = params.get('code') || '';
  const form = h('form', { novalidate: true, 'aria-label': 'Create your account', class: 'narrow' });
  const codeField = code ? null : field({ label: 'Invitation code', path: 'code', required: true, hint: 'From the invitation you were sent.', id: 'code' });
  const username = field({ label: 'Choose a username', path: 'username', required: true, autocomplete: 'username', id: 'new-username', hint: 'You sign in with it: 3 to 64 letters, digits, dots, dashes or underscores.' });
  const password = field({ label: 'Choose a password', path: 'password', type: 'password', required: true, autocomplete: 'new-password', id: 'new-password', hint: `At least ${MIN_PASSWORD} characters. A few unrelated words are easy to remember and hard to guess; common passwords are refused.` });
  const confirm = field({ label: 'Type the password again', path: 'confirm_password', type: 'password', required: true, autocomplete: 'new-password', id: 'confirm-password' });
  // Read with the field (aria-describedby), not announced at every key.
  const count = h('p', { class: 'hint', id: 'password-count' }, `0 of at least ${MIN_PASSWORD} characters`);
  password.control.after(count);
  password.control.setAttribute('aria-describedby', `${password.control.getAttribute('aria-describedby')} password-count`);
  password.control.addEventListener('input', () => {
    const n = [...password.control.value].length;
    count.textContent = n >= MIN_PASSWORD ? `${n} characters: long enough` : `${n} of at least ${MIN_PASSWORD} characters`;
  });
  append(form, [errorSummary(), codeField, username, password, confirm, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create my account'))]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const c = code || (codeField && codeField.control.value.trim());
    const u = username.control.value.trim();
    const p = password.control.value;
    const errors = [];
    if (!c) errors.push({ field: 'code', problem: 'is required' });
    if (!u) errors.push({ field: 'username', problem: 'is required' });
    if ([...p].length < MIN_PASSWORD) errors.push({ field: 'password', problem: `must be at least ${MIN_PASSWORD} characters` });
    if (p !== confirm.control.value) errors.push({ field: 'confirm_password', problem: 'does not match the password' });
    if (errors.length) {
      showFieldErrors(form, errors, 'Your account was not created. Please correct:');
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api.post('/v1/accounts', { code: c, username: u, password: p }, { anonymous: true });
    } catch (err) {
      button.disabled = false;
      if (err.code === 'username_taken') showFieldErrors(form, [{ field: 'username', problem: 'is taken: choose another' }], 'Your account was not created. Please correct:');
      else if (err.fields && err.fields.length) showFieldErrors(form, err.fields, 'Your account was not created. Please correct:');
      else if (err.status === 429) formMessage(form, `Too many attempts. Wait ${waitWords(err.retryAfter)}, then try again.`);
      else formMessage(form, `Your account was not created: ${err.message}`);
      return;
    }
    // The account exists: sign in with it at once. The invitation code
    // leaves the address (and the history) either way. Someone signed in
    // in this tab before is signed out first.
    if (session.get()) {
      try {
        await api.del('/v1/sessions/current', { anonymous: true });
      } catch {
        /* ended already, or another tab's: the new session replaces the cookie */
      }
    }
    session.clear();
    try {
      await startSession(u, p);
      password.control.value = '';
      confirm.control.value = '';
      const s = session.get();
      nextAnnouncement = { status: `Your account is ready. You are signed in as ${ROLE_NAMES[s.role]}.` };
      location.replace(pagesOf(s.role) === 'staff' ? '#/staff/search' : '#/claims');
    } catch {
      nextAnnouncement = { status: 'Your account is ready. Sign in with your username and password.' };
      location.replace('#/signin');
    }
  });
  replace(m, h('h1', { tabindex: '-1' }, 'Create your account'),
    h('p', null, 'You were invited to the claims portal. Choose the username and password you will sign in with. The invitation works once.'),
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
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const count = h('p', { role: 'status', class: 'hint' });
  const holder = h('div');
  replace(container, count, holder, more);
  const load = pager({
    path: '/v1/claims', query: (cursor) => ({ ...params, cursor }), key: 'claims',
    isCurrent: () => gen === generation,
    show: (claims) => replace(holder, claims.length ? table(caption, ['Claim', 'Patient', 'Type', 'Status', 'Received', 'Target date'], claimRows(claims)) : h('p', null, 'No claims found.')),
    counted: (n) => `${n} claim${n === 1 ? '' : 's'} shown`,
    failed: (err) => (err.fields && err.fields.length
      ? `The search was not accepted: ${err.fields.map((f) => `${f.field} ${f.problem}`).join('; ')}`
      : `The claims could not be loaded: ${err.message}`),
    holder, count, more,
  });
  return load(false);
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

function fileView(m, s, kind, gen) {
  const onFiled = (summary, replayed) => {
    flash = `${replayed ? 'This claim was already filed (your form was sent twice); here it is. ' : 'Thank you: your claim was received. '}We aim to decide it by ${summary.target_date}.`;
    location.hash = `#/claim/${encodeURIComponent(summary.claim_id)}`;
  };
  const title = kind === 'pharmacy' ? 'File a pharmacy reimbursement claim' : 'File a medical claim';
  const show = (family) => {
    const defaults = { memberId: s.memberId, npi: s.npi, family };
    const role = pagesOf(s.role);
    const form = kind === 'pharmacy' ? pharmacyForm(role, defaults, onFiled) : medicalForm(role, defaults, onFiled);
    replace(m,
      h('h1', { tabindex: '-1' }, title),
      h('p', { class: 'hint' }, 'Fields marked (required) must be filled in. If something is wrong, the problem is shown next to the field.'),
      form);
  };
  if (s.role !== 'member') {
    show(undefined);
    return;
  }
  // A member picks the patient from the family the server knows (GET /v1/me).
  replace(m, h('h1', { tabindex: '-1' }, title), h('p', null, 'Loading…'));
  whoAmI().then((who) => {
    if (gen !== generation) return;
    show(who.family || []);
    m.querySelector('h1').focus();
  }, (err) => {
    if (gen !== generation || err.status === 401) return;
    replace(m, h('h1', { tabindex: '-1' }, title), h('p', { class: 'notice notice-error' }, `The form could not be loaded: ${err.message}`));
  });
}

/** A correction: the claim's form filled from its submission, posted to /replace. */
function correctView(m, s, id, gen) {
  const title = 'Correct a claim';
  replace(m, h('h1', { tabindex: '-1' }, title), h('p', null, 'Loading the claim…'));
  const onFiled = (summary) => {
    flash = summary.replaces
      ? `Thank you: your correction was filed as a new claim. It replaces claim ${summary.replaces}. We aim to decide it by ${summary.target_date}.`
      : 'Thank you: the claim was corrected and is back in line for processing.';
    location.hash = `#/claim/${encodeURIComponent(summary.claim_id)}`;
  };
  const family = s.role === 'member' ? whoAmI().then((who) => who.family || []) : Promise.resolve(undefined);
  Promise.all([api.get(`/v1/claims/${encodeURIComponent(id)}`), family]).then(([res, fam]) => {
    if (gen !== generation) return;
    const claim = res.data;
    const defaults = { memberId: s.memberId, npi: s.npi, family: fam, prefill: claim.submitted, postPath: `/v1/claims/${encodeURIComponent(id)}/replace` };
    const role = pagesOf(s.role);
    const form = claim.type === 'pharmacy' ? pharmacyForm(role, defaults, onFiled) : medicalForm(role, defaults, onFiled);
    form.querySelector('button[type=submit]').textContent = 'File the corrected claim';
    replace(m,
      h('h1', { tabindex: '-1' }, title),
      h('p', null, 'The form holds claim ', h('a', { href: `#/claim/${encodeURIComponent(id)}` }, id), ' as it was filed. Change what was wrong and file it: ',
        claim.status === 'approved' || claim.status === 'denied'
          ? 'the corrected claim replaces this one, which is then reversed.'
          : 'the claim is not decided yet, so it is corrected in place.'),
      form);
    m.querySelector('h1').focus();
  }, (err) => {
    if (gen !== generation || err.status === 401) return;
    replace(m, h('h1', { tabindex: '-1' }, title), h('p', { class: 'notice notice-error' },
      err.status === 404 ? 'There is no claim with this number that you may see.' : `The claim could not be loaded: ${err.message}`));
  });
}

function eligibilityView(m, s, gen) {
  const form = h('form', { novalidate: true, class: 'narrow', 'aria-label': 'Eligibility check' });
  const result = h('div', { 'aria-live': 'polite' });
  const options = (family) => familyChoices(s.memberId, family).map(([id, label]) => [id, label]);
  // A member asks about self or the family (GET /v1/me): picked, not typed.
  const mid = s.role === 'member'
    ? field({ label: 'Who', path: 'member_id', type: 'select', required: true, options: options([]), value: s.memberId })
    : field({ label: 'Member ID', path: 'member_id', required: true });
  if (s.role === 'member') {
    whoAmI().then((who) => {
      if (gen !== generation) return;
      const keep = mid.control.value;
      replace(mid.control, options(who.family || []).map(([v, l]) => h('option', { value: v }, l)));
      mid.control.value = keep;
    }, () => {});
  }
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
    status: field({ label: 'Status', path: 'status', type: 'select', options: [['', 'Any status'], ['received', 'Received'], ['processing', 'Being processed'], ['pended', 'Waiting for information'], ['in_review', 'Waiting for staff review'], ['approved', 'Approved'], ['denied', 'Denied']] }),
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
      tile('Waiting for staff review', q.in_review),
      tile('Failed repeatedly (dead letter)', q.dead_lettered),
      tile('Open past their target date', q.overdue),
      tile('Appeals waiting for a decision', q.appeals_open),
      tile('Appeals past their due date', q.appeals_overdue),
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
  const full = (hash || '').replace(/^#/, '') || '/';
  const q = full.indexOf('?');
  const path = q < 0 ? full : full.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : full.slice(q + 1));
  let mm;
  if ((mm = /^\/claim\/([^/]+)\/audit$/.exec(path))) return { name: 'audit', id: decodeURIComponent(mm[1]) };
  if ((mm = /^\/claim\/([^/]+)\/correct$/.exec(path))) return { name: 'correct', id: decodeURIComponent(mm[1]) };
  if ((mm = /^\/claim\/([^/]+)$/.exec(path))) return { name: 'claim', id: decodeURIComponent(mm[1]) };
  if ((mm = /^\/appeal\/([^/]+)$/.exec(path))) return { name: 'appeal', id: decodeURIComponent(mm[1]) };
  return { name: path, params };
}

const TITLES = {
  '/signin': 'Sign in', '/accept': 'Create your account', '/claims': 'Claims', '/file/medical': 'File a medical claim', '/file/pharmacy': 'File a pharmacy claim',
  '/eligibility': 'Eligibility', '/staff/search': 'Find claims', '/staff/queue': 'Queue', '/staff/review': 'Review', '/staff/events': 'Enrollment events', '/staff/recoveries': 'Recoveries', '/staff/appeals': 'Appeals', claim: 'Claim', appeal: 'Appeal', audit: 'Audit trail', correct: 'Correct a claim',
};

function route() {
  generation += 1;
  const gen = generation;
  const m = main();
  const s = session.get();
  const r = parse(location.hash);
  clearNotices();
  if (s && s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) {
    // Past the session's whole lifetime: the server has ended it too.
    endSession({ alert: SESSION_ENDED });
    return;
  }
  if (!s && r.name !== '/signin' && r.name !== '/accept') {
    location.replace('#/signin');
    return;
  }
  if (s && (r.name === '/signin' || r.name === '/')) {
    location.replace(pagesOf(s.role) === 'staff' ? '#/staff/search' : '#/claims');
    return;
  }
  renderChrome();
  if (nextAnnouncement) {
    if (nextAnnouncement.alert) alertMessage(nextAnnouncement.alert);
    else announce(nextAnnouncement.status);
    nextAnnouncement = null;
  }
  document.title = `${TITLES[r.name] || 'Not found'} · Claims portal`;
  const staffOnly = ['/staff/search', '/staff/queue', '/staff/review', '/staff/events', '/staff/recoveries', '/staff/appeals', 'audit'];
  if (s && staffOnly.includes(r.name) && pagesOf(s.role) !== 'staff') {
    replace(m, h('h1', { tabindex: '-1' }, 'Not available'), h('p', null, 'This page is for claims staff.'));
  } else {
    switch (r.name) {
      case '/signin': signInView(m); break;
      case '/accept': acceptView(m, r.params); break;
      case '/claims': myClaimsView(m, s, gen); break;
      case '/file/medical': fileView(m, s, 'medical', gen); break;
      case '/file/pharmacy': fileView(m, s, 'pharmacy', gen); break;
      case '/eligibility': eligibilityView(m, s, gen); break;
      case '/staff/search': searchView(m, gen); break;
      case '/staff/queue': queueView(m, gen); return;
      case '/staff/events': memberEventView(m, r.params, () => gen === generation); break;
      case '/staff/recoveries': recoveriesView(m, () => gen === generation); break;
      case '/staff/review': reviewView(m, () => gen === generation, announce); break;
      case '/staff/appeals': appealsView(m, () => gen === generation); break;
      case 'appeal': appealPage(m, r.id, { role: pagesOf(s.role), isCurrent: () => gen === generation, announce }); return;
      case 'claim': {
        const ctx = { role: pagesOf(s.role), flash, isCurrent: () => gen === generation, announce };
        flash = null;
        claimPage(m, r.id, ctx);
        return;
      }
      case 'audit': auditPage(m, r.id); return;
      case 'correct': correctView(m, s, r.id, gen); return;
      default:
        replace(m, h('h1', { tabindex: '-1' }, 'Page not found'), h('p', null, h('a', { href: '#/' }, 'Go to the start page')));
    }
  }
  const h1 = m.querySelector('h1');
  if (h1) h1.focus();
}

function start() {
  session.load();
  api.setUnauthorizedHandler(() => { if (session.get()) endSession({ alert: SESSION_ENDED }); });
  document.getElementById('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', route);
  route();
}

start();
