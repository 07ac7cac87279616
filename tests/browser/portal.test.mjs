// Browser tests of the web portal (issues 8 and 16): Debian's chromium,
// headless, driven by puppeteer-core, against the built claimsd (CLAIMSD_BIN)
// with its own redis-server on free ports. Enrollment, tokens for the test's
// own API calls, and the invitations people accept are made through the public
// API; everything else (accepting an invitation, signing in with a username
// and password, filing, signing out) is done the way a person would, in the
// page.
// Screenshots of each page go to PORTAL_SCREENSHOTS (default
// build/portal-screenshots); docs/portal.md describes them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import puppeteer from 'puppeteer-core';

const REPO = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const CLAIMSD_BIN = process.env.CLAIMSD_BIN || join(REPO, 'build/release/claimsd');
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const REDIS_BIN = process.env.REDIS_SERVER_BIN || 'redis-server';
const SHOTS = process.env.PORTAL_SCREENSHOTS || join(REPO, 'build/portal-screenshots');

const ADMIN = randomBytes(24).toString('hex'); // 48 characters, never printed
const tmp = mkdtempSync(join(tmpdir(), 'portal-browser-'));
const children = [];
let base;
let browser;
const tokens = {}; // API tokens of the test's own calls (set-up and checks); people never see one
const accounts = {}; // {username, password} of the people who sign in to the portal
const problems = []; // console errors, CSP violations, page errors, token in a URL
const state = {}; // what one scenario leaves for the next
const today = new Date().toISOString().slice(0, 10);
// Luis Lopez's family as the pharmacy form lists it (GET /v1/me).
const FAMILY_OPTIONS = ['Choose a person', 'Luis (you, the employee, M1001)', 'Maria (spouse, M1001-01)', 'Ana (child, M1001-02)', 'Diego (child, M1001-03)', 'Sofia (child, M1001-04)'];
// Robert Evans (M3001) files for himself only.
const ROBERT_OPTIONS = ['Choose a person', 'Robert (you, the employee, M3001)'];
// A password in the server's list of common passwords, and the server's problem with it.
const COMMON_PASSWORD = 'password1234';
const COMMON_PASSWORD_PROBLEM = 'is too common';
const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);

/* ---- processes ---- */

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function startChild(bin, args, env, logName, { stdout = false } = {}) {
  const log = join(tmp, logName);
  writeFileSync(log, '');
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => writeFileSync(log, d, { flag: 'a' }));
  child.stdoutText = '';
  if (stdout) child.stdout.on('data', (d) => { child.stdoutText += d; });
  child.logPath = log;
  children.push(child);
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stopChild(c) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await Promise.race([gone, sleep(10000)]);
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** A command to the test's own redis-server (test set-up only). */
function redis(...args) {
  return execFileSync(process.env.REDIS_CLI_BIN || 'redis-cli', ['-p', String(state.redisPort), '--raw', ...args], { encoding: 'utf8' }).trim();
}

async function waitFor(what, fn, timeoutMs = 20000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/* ---- the API, for set-up and for checking what the page did ---- */

async function call(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await res.text();
  return { status: res.status, data: text ? JSON.parse(text) : null };
}

async function enroll() {
  const dir = join(REPO, 'config/sample');
  for (const kind of ['plans', 'groups', 'members']) {
    let files = readdirSync(join(dir, kind)).filter((f) => f.endsWith('.json'));
    const records = files.map((f) => JSON.parse(readFileSync(join(dir, kind, f), 'utf8')));
    // A member's subscriber must exist first.
    if (kind === 'members') records.sort((a, b) => (a.relationship === 'employee' ? 0 : 1) - (b.relationship === 'employee' ? 0 : 1));
    for (const r of records) {
      const id = r.plan_id && kind === 'plans' ? r.plan_id : kind === 'groups' ? r.group_id : r.member_id;
      const res = await call('PUT', `/v1/${kind}/${id}`, ADMIN, r);
      assert.ok(res.status === 200 || res.status === 201, `PUT /v1/${kind}/${id}: ${res.status} ${JSON.stringify(res.data)}`);
    }
    files = null;
  }
}

/** An invitation for a person (POST /v1/invitations with the admin token): its code. */
async function invite(body) {
  const res = await call('POST', '/v1/invitations', ADMIN, body);
  assert.equal(res.status, 201, `POST /v1/invitations ${JSON.stringify(body)}: ${JSON.stringify(res.data)}`);
  assert.match(res.data.code, /^\S{16,}$/);
  return res.data.code;
}

/** A call without any credentials (accepting an invitation, signing in). */
async function anonymous(method, path, body, headers = {}, server = base) {
  const res = await fetch(server + path, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, data: text ? JSON.parse(text) : null, headers: res.headers };
}

/** A person's account made through the API (invitation, POST /v1/accounts); the
 * browser then signs in with it. The password is random, 24 characters. */
async function newAccount(username, body) {
  const code = await invite(body);
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const res = await anonymous('POST', '/v1/accounts', { code, username, password });
  assert.equal(res.status, 201, `POST /v1/accounts ${username}: ${JSON.stringify(res.data)}`);
  return { username, password };
}

async function newToken(body) {
  const res = await call('POST', '/v1/tokens', ADMIN, body);
  assert.equal(res.status, 201, `POST /v1/tokens ${JSON.stringify(body)}: ${JSON.stringify(res.data)}`);
  return res.data.token;
}

async function claimsOf(memberId) {
  const res = await call('GET', `/v1/claims?member_id=${encodeURIComponent(memberId)}&limit=500`, tokens.staff);
  assert.equal(res.status, 200, JSON.stringify(res.data));
  return res.data.claims;
}

/* ---- the browser ---- */

async function newPage(label, { width = 1100, height = 900, expectedErrors = [] } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width, height });
  page.on('console', (m) => {
    const t = m.text();
    // A 4xx answer the page expects (a 422, a 404) is logged as a failed resource load.
    if (m.type() !== 'error' || /Failed to load resource: the server responded with a status of 4\d\d/.test(t)) return;
    if (!expectedErrors.some((re) => re.test(t))) problems.push(`${label} console: ${t}`);
  });
  page.on('pageerror', (e) => problems.push(`${label} page error: ${e.message}`));
  page.on('request', (r) => {
    const secrets = Object.values(tokens).concat(ADMIN, Object.values(accounts).map((a) => a.password));
    for (const t of secrets) if (t && r.url().includes(t)) problems.push(`${label}: a token or password in the URL ${r.url()}`);
  });
  page.context = context;
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function setValue(page, selector, value) {
  await page.waitForSelector(selector, { visible: true });
  await page.$eval(selector, (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); }, value);
}

async function typeInto(page, selector, value) {
  await page.waitForSelector(selector, { visible: true });
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

/** Every input, select and text area on the page has a label, and every
 * button and link a name (WCAG 1.3.1, 4.1.2). */
async function assertAccessibleNames(page, where) {
  const unnamed = await page.$$eval('input, select, textarea, button, a[href]', (els) => els
    .filter((e) => !e.closest('[hidden]') && e.type !== 'hidden')
    .filter((e) => (e.matches('input, select, textarea') ? e.labels.length === 0 && !e.getAttribute('aria-label') : !(e.textContent.trim() || e.getAttribute('aria-label'))))
    .map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, [], `unnamed controls on ${where}`);
}

/** Signs in with the keyboard only: Tab between fields, Enter to submit. */
async function signInByKeyboard(page, account) {
  await page.goto(`${base}/portal/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  // The page puts the focus on its heading; the next stops are the username and the password.
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'username');
  await page.keyboard.type(account.username);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  await page.keyboard.type(account.password);
  await Promise.all([page.waitForFunction(() => location.hash === '#/claims'), page.keyboard.press('Enter')]);
  await page.waitForSelector('#sign-out', { visible: true });
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'the focus moves to the new page\'s heading');
}

/** Signs in on the sign-in page with a username and password. */
async function signIn(page, account) {
  await page.goto(`${base}/portal/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  await typeInto(page, '#username', account.username);
  await typeInto(page, '#password', account.password);
  await Promise.all([page.waitForFunction(() => location.hash !== '#/signin'), page.click('form button[type=submit]')]);
  await page.waitForSelector('#sign-out', { visible: true });
}

/** The text of the page's status or alert notice once it is shown. */
async function notice(page, id) {
  await page.waitForFunction((i) => { const el = document.getElementById(i); return el && !el.hidden && el.textContent !== ''; }, {}, id);
  return page.$eval(`#${id}`, (el) => el.textContent);
}

/** What the tab keeps: every sessionStorage and localStorage entry, and document.cookie. */
async function browserStorage(page) {
  return page.evaluate(() => ({
    session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
    local: localStorage.length,
    cookie: document.cookie,
  }));
}

/** A member chooses the patient from the family list; others type the member ID. */
async function choosePatient(page, memberId) {
  const tag = await page.$eval('[data-field=member_id]', (e) => e.tagName);
  if (tag === 'SELECT') await page.select('[data-field=member_id]', memberId);
  else await typeInto(page, '[data-field=member_id]', memberId);
}

/** Fills the pharmacy form for Ana Lopez (M1001-02) with the values given. */
async function fillPharmacy(page, v) {
  await page.goto(`${base}/portal/#/file/pharmacy`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-field=ndc]');
  await choosePatient(page, v.memberId || 'M1001-02');
  await typeInto(page, '[data-field="patient.first_name"]', v.first || 'Ana');
  await typeInto(page, '[data-field="patient.last_name"]', v.last || 'Lopez');
  await setValue(page, '[data-field="patient.birth_date"]', v.birth || '2015-06-10');
  await typeInto(page, '[data-field="pharmacy.name"]', 'Corner Drug #12');
  await typeInto(page, '[data-field=ndc]', v.ndc);
  await typeInto(page, '[data-field=drug_name]', v.drug || 'Lipitor 20 mg tablet');
  await setValue(page, '[data-field=fill_date]', v.fillDate);
  await typeInto(page, '[data-field=quantity]', v.quantity || '30');
  await typeInto(page, '[data-field=days_supply]', '30');
  await typeInto(page, '[data-field=charge]', v.charge);
}

async function submitAndOpenClaim(page) {
  await Promise.all([
    page.waitForFunction(() => /^#\/claim\/[^/]+$/.test(location.hash), { timeout: 15000 }),
    page.click('form.claim-form button[type=submit]'),
  ]);
  return page.evaluate(() => decodeURIComponent(location.hash.replace('#/claim/', '')));
}

async function waitForFinal(page) {
  await page.waitForFunction(() => {
    const b = document.querySelector('.status-line .badge');
    return b && /Approved|Denied/.test(b.textContent);
  }, { timeout: 90000 });
  return page.$eval('.status-line .badge', (b) => b.textContent);
}

/* ---- set-up ---- */

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const redisPort = await freePort();
  startChild(REDIS_BIN, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], {}, 'redis.log');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = join(tmp, 'claimsd.json');
  // Quick recovery timings, so that a claim that keeps failing reaches the dead letter in seconds.
  writeFileSync(config, JSON.stringify({ portal_dir: join(REPO, 'portal'), claim_idle_timeout_ms: 400, max_deliveries: 3 }));
  state.redisPort = redisPort;
  state.workerArgs = ['--config', config, '--redis', `redis://127.0.0.1:${redisPort}`, '--role', 'worker', '--workers', '1', '--data-dir', join(tmp, 'data')];
  // The intake answers HTTP; a separate worker process decides claims, so
  // that the dead-letter scenario can stop and restart it.
  const claimsd = startChild(CLAIMSD_BIN, ['--config', config, '--redis', `redis://127.0.0.1:${redisPort}`, '--listen', `127.0.0.1:${port}`, '--workers', '0', '--data-dir', join(tmp, 'data')],
    { CLAIMSD_BOOTSTRAP_ADMIN_TOKEN: ADMIN }, 'claimsd.log');
  let exited = null;
  claimsd.on('exit', (code) => { exited = code; });
  await waitFor('claimsd to be ready', async () => {
    if (exited !== null) throw new Error(`claimsd exited with ${exited}: ${readFileSync(claimsd.logPath, 'utf8')}`);
    const r = await fetch(`${base}/readyz`);
    return r.status === 200;
  });
  state.worker = startChild(CLAIMSD_BIN, state.workerArgs, {}, 'worker.log');
  await enroll();
  tokens.luis = await newToken({ role: 'member', member_id: 'M1001' }); // files the dead-letter scenario's claim
  tokens.staff = await newToken({ role: 'staff' });
  accounts.luis = await newAccount('luis.lopez', { role: 'member', member_id: 'M1001' });
  accounts.grace = await newAccount('grace.kim', { role: 'member', member_id: 'M2001' });
  accounts.staff = await newAccount('sam.staff', { role: 'staff' });
  accounts.provider = await newAccount('bay.clinic', { role: 'provider', npi: '1245319599' });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    userDataDir: join(tmp, 'chromium-profile'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  if (browser) await browser.close();
  for (const c of children.reverse()) await stopChild(c);
  if (process.env.PORTAL_KEEP_TMP) console.log(`logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

/* ---- scenarios ---- */

test('the portal is served with a strict policy and no inline code', async () => {
  const res = await fetch(`${base}/portal/`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\son\w+=/, 'an inline event handler');
});

/** The value of the portal's session cookie in this page's browser context. */
async function sessionCookie(page) {
  return (await page.cookies()).find((c) => c.name === 'claimsd_session');
}

test('a member accepts an invitation, signs in, files a claim and signs out', async () => {
  // Robert Evans (M3001) has no account yet: the Claims Office sends him an invitation link.
  const code = await invite({ role: 'member', member_id: 'M3001' });
  accounts.robert = { username: 'robert.evans', password: 'copper kettle on a windy pier' };
  const { password } = accounts.robert;
  const page = await newPage('new-member');
  const accountPosts = [];
  page.on('request', (r) => { if (r.url() === `${base}/v1/accounts`) accountPosts.push(r.method()); });
  await page.goto(`${base}/portal/#/accept?code=${encodeURIComponent(code)}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#new-username');
  assert.equal(await page.$eval('main h1', (e) => e.textContent), 'Create your account');
  assert.equal(await page.$eval('#sign-out', (e) => e.hidden), true);
  await assertAccessibleNames(page, 'the invitation page');
  assert.deepEqual(await page.$eval('main', (m) => m.innerText.split('\n').map((l) => l.trim()).filter(Boolean)), [
    'Create your account',
    'You were invited to the claims portal. Choose the username and password you will sign in with. The invitation works once.',
    'Choose a username (required)',
    'You sign in with it: 3 to 64 letters, digits, dots, dashes or underscores.',
    'Choose a password (required)',
    'At least 12 characters. A few unrelated words are easy to remember and hard to guess; common passwords are refused.',
    '0 of at least 12 characters',
    'Type the password again (required)',
    'Create my account',
  ]);
  assert.equal(await page.$eval('#password-count', (e) => e.textContent), '0 of at least 12 characters');

  // Too short, and typed differently the second time: refused in the page, nothing sent.
  await typeInto(page, '#new-username', 'robert.evans');
  await typeInto(page, '#new-password', 'short pw');
  assert.equal(await page.$eval('#password-count', (e) => e.textContent), '8 of at least 12 characters');
  await typeInto(page, '#confirm-password', 'short pw!');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.error-summary:not([hidden]) li');
  assert.equal(await page.$eval('.error-summary h2', (e) => e.textContent), 'Your account was not created. Please correct:');
  assert.deepEqual(await page.$$eval('.error-summary li', (ls) => ls.map((l) => l.textContent)),
    ['Password: must be at least 12 characters', 'Password again: does not match the password']);
  assert.equal(await page.$eval('#new-password-err', (e) => e.textContent), 'must be at least 12 characters');
  assert.equal(await page.$eval('#confirm-password-err', (e) => e.textContent), 'does not match the password');
  assert.deepEqual(await page.$$eval('[aria-invalid=true]', (els) => els.map((e) => e.id)), ['new-password', 'confirm-password']);
  assert.deepEqual(accountPosts, []);
  await shot(page, '21-accept-invitation-refused-in-page');

  // A common password is refused by the server, next to the field.
  await typeInto(page, '#new-password', COMMON_PASSWORD);
  await typeInto(page, '#confirm-password', COMMON_PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('new-password-err').textContent !== '');
  assert.equal(await page.$eval('#new-password-err', (e) => e.textContent), COMMON_PASSWORD_PROBLEM);
  assert.deepEqual(await page.$$eval('[aria-invalid=true]', (els) => els.map((e) => e.id)), ['new-password']);
  assert.deepEqual(accountPosts, ['POST']);
  await shot(page, '22-accept-invitation-common-password');

  await typeInto(page, '#new-password', password);
  assert.equal(await page.$eval('#password-count', (e) => e.textContent), '29 characters: long enough');
  await typeInto(page, '#confirm-password', password);
  await Promise.all([page.waitForFunction(() => location.hash === '#/claims'), page.click('form button[type=submit]')]);
  assert.equal(await notice(page, 'status'), 'Your account is ready. You are signed in as Member.');
  assert.equal(await page.$eval('#who', (e) => e.textContent), 'Signed in as Member (M3001)');
  assert.equal(await page.evaluate(() => history.length), 2, 'the invitation address was replaced in the history');
  assert.ok(!(await page.evaluate(() => location.href)).includes(code));

  // The tab keeps what the session needs and nothing else; the session
  // itself is the HttpOnly cookie, which no script in the page can read.
  const kept = await browserStorage(page);
  assert.deepEqual(Object.keys(kept.session), ['claimsd.portal.session']);
  const stored = JSON.parse(kept.session['claimsd.portal.session']);
  assert.deepEqual(Object.keys(stored).sort(), ['csrfToken', 'expiresAt', 'memberId', 'role']);
  assert.equal(stored.role, 'member');
  assert.equal(stored.memberId, 'M3001');
  assert.match(stored.csrfToken, /^\S{16,}$/);
  assert.ok(Date.parse(stored.expiresAt) > Date.now());
  assert.equal(kept.local, 0, 'nothing in localStorage');
  assert.equal(kept.cookie, '', 'document.cookie does not show the HttpOnly session cookie');
  const cookie = await sessionCookie(page);
  assert.ok(cookie, 'the browser holds the session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  const everything = JSON.stringify(kept);
  for (const secret of [password, code, cookie.value]) assert.ok(!everything.includes(secret), 'no password, code or session id in storage');
  await shot(page, '23-new-member-signed-in');

  // Sign out, then a wrong password.
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  assert.equal(await notice(page, 'status'), 'You are signed out.');
  await typeInto(page, '#username', 'robert.evans');
  await typeInto(page, '#password', 'not my password at all');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.error-summary:not([hidden]) p');
  assert.equal(await page.$eval('.error-summary', (e) => e.textContent), 'The username or password is not right. Check both and try again.');
  assert.equal(await page.$eval('#password', (e) => e.value), '', 'the password field is emptied');
  assert.equal(await page.evaluate(() => location.hash), '#/signin');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await shot(page, '24-sign-in-wrong-password');

  // Signs in and files a pharmacy claim for himself, picked from the list.
  await signIn(page, accounts.robert);
  assert.equal(await page.evaluate(() => location.hash), '#/claims');
  await fillPharmacy(page, { memberId: 'M3001', first: 'Robert', last: 'Evans', birth: '1959-04-12', ndc: '00378-1810-01', drug: 'Lisinopril 10 mg', fillDate: daysAgo(2), charge: '6.40' });
  assert.deepEqual(await page.$$eval('[data-field=member_id] option', (os) => os.map((o) => o.textContent)), ROBERT_OPTIONS);
  const id = await submitAndOpenClaim(page);
  await page.waitForSelector('.status-line');
  const filed = await claimsOf('M3001');
  assert.deepEqual(filed.map((c) => c.claim_id), [id]);
  assert.match(await page.$eval('main', (m) => m.textContent), new RegExp(`Thank you: your claim was received\\. We aim to decide it by ${filed[0].target_date}\\.`));
  const audit = await call('GET', `/v1/claims/${id}/audit`, tokens.staff);
  assert.equal(audit.data.entries[0].action, 'claim.submit');
  assert.equal(audit.data.entries[0].role, 'member');
  assert.match(audit.data.entries[0].token_id, /^session:[0-9a-f]{12}$/, 'filed with the session, not a token');

  // Signing out ends the session on the server and in the tab.
  const before = await sessionCookie(page);
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  assert.equal(await notice(page, 'status'), 'You are signed out.');
  const after = await browserStorage(page);
  assert.deepEqual(after, { session: {}, local: 0, cookie: '' });
  assert.equal(await sessionCookie(page), undefined, 'the server cleared the cookie');
  const old = await anonymous('GET', '/v1/me', undefined, { Cookie: `claimsd_session=${before.value}` });
  assert.equal(old.status, 401, 'the server forgot the session');
  await page.goto(`${base}/portal/#/claim/${encodeURIComponent(id)}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  assert.equal(await page.evaluate(() => location.hash), '#/signin');
  assert.equal(await page.$eval('main h1', (e) => e.textContent), 'Sign in');
  assert.doesNotMatch(await page.$eval('main', (m) => m.textContent), /Lisinopril|Evans|M3001/);
  await shot(page, '25-signed-out-claim-page-asks-to-sign-in');
  await page.context.close();
});

test('a new user of make run opens the invitation link it printed and is signed in with the family', async () => {
  // A claimsd like `make run`'s: its own redis-server, the sample enrollment
  // loaded into a new data directory, and what it prints on its first start.
  const port = await freePort();
  const dir = join(tmp, 'make-run');
  mkdirSync(dir);
  const config = join(dir, 'claimsd.json');
  writeFileSync(config, JSON.stringify({ portal_dir: join(REPO, 'portal'), seed_dir: join(REPO, 'config/sample'), data_dir: join(dir, 'data') }));
  const child = startChild(CLAIMSD_BIN, ['--config', config, '--listen', `127.0.0.1:${port}`, '--workers', '0'], {}, 'make-run.log', { stdout: true });
  const runBase = `http://127.0.0.1:${port}`;
  await waitFor('the make-run claimsd to be ready', async () => (await fetch(`${runBase}/readyz`)).status === 200);
  const printed = await waitFor('the sample invitations', () => (/member {3}M4001 {7}clm_/.test(child.stdoutText) ? child.stdoutText : null));
  const links = [...printed.matchAll(/^ {2}(staff|provider|member) +(\S*?) *(http:\/\/\S+)$/gm)].map((m) => ({ role: m[1], id: m[2], link: m[3] }));
  assert.deepEqual(links.map((l) => `${l.role} ${l.id}`), ['staff ', 'provider 1245319599', 'provider 1003000126',
    'member M1001-01', 'member M1001-02', 'member M1001-03', 'member M1001-04', 'member M1001', 'member M2001', 'member M3001', 'member M4001']);
  for (const l of links) assert.match(l.link, new RegExp(`^${runBase}/portal/#/accept\\?code=inv_[0-9a-f]{64}$`));
  assert.equal(new Set(links.map((l) => l.link)).size, links.length, 'each link is its own');
  assert.match(printed, /^ {2}admin {16}clm_[0-9a-f]{64}$/m, 'programs still get an API token');

  // Luis Lopez opens his link, chooses a username and a password, and is in.
  const luis = links.find((l) => l.id === 'M1001');
  const page = await newPage('make-run');
  await page.goto(luis.link, { waitUntil: 'networkidle0' });
  await typeInto(page, '#new-username', 'luis');
  await typeInto(page, '#new-password', 'blue heron over the marsh');
  await typeInto(page, '#confirm-password', 'blue heron over the marsh');
  await Promise.all([page.waitForFunction(() => location.hash === '#/claims'), page.click('form button[type=submit]')]);
  assert.equal(await notice(page, 'status'), 'Your account is ready. You are signed in as Member.');
  await page.click('nav a[href="#/file/pharmacy"]');
  await page.waitForSelector('select[data-field=member_id]');
  assert.deepEqual(await page.$$eval('[data-field=member_id] option', (os) => os.map((o) => o.textContent)), FAMILY_OPTIONS);

  // Ana's invitation opened in the same tab while Luis is signed in: his
  // session ends on the server before hers begins.
  const luisCookie = await sessionCookie(page);
  const ana = links.find((l) => l.id === 'M1001-02');
  await page.goto(ana.link, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#new-username');
  await typeInto(page, '#new-username', 'ana.lopez');
  await typeInto(page, '#new-password', 'seven sleepy otters swimming');
  await typeInto(page, '#confirm-password', 'seven sleepy otters swimming');
  await Promise.all([page.waitForFunction(() => location.hash === '#/claims'), page.click('form button[type=submit]')]);
  assert.equal(await page.$eval('#who', (e) => e.textContent), 'Signed in as Member (M1001-02)');
  assert.equal((await anonymous('GET', '/v1/me', undefined, { Cookie: `claimsd_session=${luisCookie.value}` }, runBase)).status, 401, 'Luis\'s session ended');
  assert.notEqual((await sessionCookie(page)).value, luisCookie.value);
  // The link works once: opened again, the server refuses it.
  const second = await newPage('make-run-again');
  await second.goto(luis.link, { waitUntil: 'networkidle0' });
  await typeInto(second, '#new-username', 'luis.again');
  await typeInto(second, '#new-password', 'blue heron over the marsh');
  await typeInto(second, '#confirm-password', 'blue heron over the marsh');
  await second.click('form button[type=submit]');
  await second.waitForSelector('.error-summary:not([hidden]) li');
  assert.deepEqual(await second.$$eval('.error-summary li', (ls) => ls.map((l) => l.textContent)),
    ['Invitation: is not a valid invitation (unknown, used or expired)']);
  assert.equal(await second.evaluate(() => location.hash.startsWith('#/accept?code=')), true);
  await second.context.close();

  // Without the code in the address (a link cut short), the page asks for it.
  const grace = links.find((l) => l.id === 'M2001');
  const pasted = await newPage('make-run-code');
  await pasted.goto(`${runBase}/portal/#/accept`, { waitUntil: 'networkidle0' });
  await pasted.waitForSelector('#code');
  await assertAccessibleNames(pasted, 'the invitation page without a code');
  await typeInto(pasted, '#code', new URL(grace.link).hash.replace('#/accept?code=', ''));
  await typeInto(pasted, '#new-username', 'Grace.Kim');
  await typeInto(pasted, '#new-password', 'lanterns along the harbour wall');
  await typeInto(pasted, '#confirm-password', 'lanterns along the harbour wall');
  await Promise.all([pasted.waitForFunction(() => location.hash === '#/claims'), pasted.click('form button[type=submit]')]);
  assert.equal(await pasted.$eval('#who', (e) => e.textContent), 'Signed in as Member (M2001)');
  await pasted.context.close();
  await page.context.close();
  await stopChild(child);
});

test('a session the server ended sends the page back to sign-in with a message', async () => {
  const page = await newPage('session-ended');
  await signIn(page, accounts.grace);
  const cookie = await sessionCookie(page);
  const csrf = await page.evaluate(() => JSON.parse(sessionStorage.getItem('claimsd.portal.session')).csrfToken);
  // The session ends elsewhere (here: the same session signed out through the API).
  const ended = await anonymous('DELETE', '/v1/sessions/current', undefined, { Cookie: `claimsd_session=${cookie.value}`, 'X-CSRF-Token': csrf });
  assert.equal(ended.status, 204);
  await Promise.all([page.waitForFunction(() => location.hash === '#/signin'), page.click('nav a[href="#/file/pharmacy"]')]);
  assert.equal(await notice(page, 'alert'), 'Your session ended; sign in again.');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.$eval('#sign-out', (e) => e.hidden), true);
  await shot(page, '26-session-ended');

  // Two tabs of one browser: signing in again in the second replaces the
  // browser's cookie, so the first tab's session is over. Its next change
  // carries the first session's CSRF token, is refused (403 csrf_failed), and
  // the tab goes back to sign-in; nothing is filed.
  await signIn(page, accounts.grace);
  const other = await page.context.newPage();
  await signIn(other, accounts.grace);
  await page.bringToFront(); // back to the first tab (a hidden tab does not paint)
  const before = (await claimsOf('M2001')).length;
  await fillPharmacy(page, { memberId: 'M2001', first: 'Grace', last: 'Kim', birth: '1980-07-07', ndc: '00378-1810-01', drug: 'Lisinopril 10 mg', fillDate: daysAgo(3), charge: '6.40' });
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/v1/claims` && r.request().method() === 'POST'),
    page.click('form.claim-form button[type=submit]'),
  ]);
  assert.equal(refused.status(), 403);
  assert.equal((await refused.json()).error.code, 'csrf_failed');
  await page.waitForFunction(() => location.hash === '#/signin');
  assert.equal(await notice(page, 'alert'), 'Your session ended; sign in again.');
  assert.equal((await claimsOf('M2001')).length, before, 'nothing was filed');
  assert.equal(await other.evaluate(() => location.hash), '#/claims', 'the second tab is still signed in');
  await page.context.close();
});

test('a member files a pharmacy claim, fixes the NDC the API refused, follows it to its decision and opens the EOB', async () => {
  const page = await newPage('member');
  await page.goto(`${base}/portal/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  await shot(page, '01-sign-in');
  await assertAccessibleNames(page, 'the sign-in page');
  // Username and password, nothing else: no role to pick, no member ID or token to type.
  assert.deepEqual(await page.$eval('main', (m) => m.innerText.split('\n').map((l) => l.trim()).filter(Boolean)), [
    'Sign in',
    'File and follow medical and pharmacy claims. Members see their own and their family\'s claims; providers the claims they posted; claims staff all claims.',
    'Username (required)',
    'Password (required)',
    'Sign in',
    'New here? Open the invitation link the Claims Office sent you to choose your username and password.',
  ]);
  assert.deepEqual(await page.$$eval('main input', (els) => els.map((e) => `${e.id} ${e.type} ${e.autocomplete}`)), ['username text username', 'password password current-password']);
  await signIn(page, accounts.luis);
  assert.equal(await page.evaluate(() => location.hash), '#/claims');
  assert.equal(await notice(page, 'status'), 'Signed in as Member.');
  assert.equal(await page.$eval('#who', (e) => e.textContent), 'Signed in as Member (M1001)');
  await page.waitForSelector('main p[role=status], main .table-wrap, main p');
  await shot(page, '02-member-claims-empty');

  await fillPharmacy(page, { ndc: '0071-0155-2', fillDate: daysAgo(3), charge: '42.17' });
  // The patient is picked from the family of GET /v1/me, not typed.
  assert.deepEqual(await page.$$eval('[data-field=member_id] option', (os) => os.map((o) => o.textContent)), FAMILY_OPTIONS);
  await shot(page, '03-pharmacy-form-filled');
  await assertAccessibleNames(page, 'the pharmacy form');
  await page.click('form.claim-form button[type=submit]');
  await page.waitForSelector('[data-field=ndc][aria-invalid=true]');
  const ndcError = await page.$eval('[data-field=ndc]', (el) => document.getElementById(el.getAttribute('aria-describedby').split(' ').pop()).textContent);
  assert.match(ndcError, /must be an NDC in 4-4-2, 5-3-2, 5-4-1 or 5-4-2 form/);
  const summary = await page.$eval('.error-summary', (el) => el.textContent);
  assert.match(summary, /NDC \(drug code\): must be an NDC/);
  const invalid = await page.$$eval('[aria-invalid=true]', (els) => els.map((e) => e.dataset.field));
  assert.deepEqual(invalid, ['ndc'], 'only the NDC is marked wrong');
  assert.equal((await claimsOf('M1001-02')).length, 0, 'nothing stored after the 422');
  await shot(page, '04-pharmacy-ndc-error');

  await typeInto(page, '[data-field=ndc]', '0071-0155-23');
  const id = await submitAndOpenClaim(page);
  state.claimId = id;
  await page.waitForSelector('.status-line');
  await shot(page, '05-claim-received');
  const status = await waitForFinal(page);
  assert.match(status, /Approved/);
  // Lipitor is preferred brand: allowed 30 × 4.50 = 135.00, at most the charge 42.17; copay 35.
  const facts = await page.$eval('main', (m) => m.textContent);
  assert.match(facts, /Plan pays\$7\.17/);
  assert.match(facts, /You owe\$35\.00/);
  assert.match(facts, /PR-3/);
  assert.match(facts, /Your copay: the fixed amount you pay for this service/);
  await shot(page, '06-claim-approved');
  await assertAccessibleNames(page, 'the claim page');

  // The EOB opens in a new window from a blob: URL (the token stays out of URLs).
  const popupTarget = browser.waitForTarget((t) => t.opener() && t.url().startsWith('blob:'), { timeout: 15000 }).catch(() => null);
  await page.click('#open-eob');
  const target = await popupTarget;
  const note = await page.$eval('#open-eob + p', (p) => p.textContent);
  assert.ok(target, `the EOB window opened (the page said: "${note}")`);
  const eob = await target.page();
  await eob.waitForFunction(() => document.readyState === 'complete' && document.adoptedStyleSheets.length === 1, { timeout: 10000 });
  const eobText = await eob.evaluate(() => document.body.textContent);
  assert.match(eobText, /Explanation of Benefits/);
  assert.match(eobText, /Lopez/);
  await eob.setViewport({ width: 900, height: 1000 });
  await shot(eob, '07-eob-printable');
  const audit = await call('GET', `/v1/claims/${id}/audit`, tokens.staff);
  assert.ok(audit.data.entries.some((e) => e.action === 'claim.eob.read' && e.role === 'member'), 'the EOB read is audited');
  await page.context.close();
});

test('a double click and a retry after a lost answer each file one claim', async () => {
  // The dropped answer below is logged by the browser as a reset connection.
  const page = await newPage('double-submit', { expectedErrors: [/net::ERR_CONNECTION_RESET/] });
  await signIn(page, accounts.luis);
  const before = (await claimsOf('M1001-03')).length;

  await fillPharmacy(page, { memberId: 'M1001-03', first: 'Diego', birth: '2003-01-20', ndc: '00093-5056-98', drug: 'Metformin 500 mg', fillDate: daysAgo(5), charge: '9.80' });
  await page.click('form.claim-form button[type=submit]', { count: 2, delay: 0 });
  await page.waitForFunction(() => /^#\/claim\//.test(location.hash), { timeout: 15000 });
  await sleep(500);
  assert.equal((await claimsOf('M1001-03')).length, before + 1, 'a double click filed one claim');

  // The server files the claim but its answer is lost on the way: the page
  // sees a network error; pressing the button again must not file a second.
  await fillPharmacy(page, { memberId: 'M1001-03', first: 'Diego', birth: '2003-01-20', ndc: '00378-1810-01', drug: 'Lisinopril 10 mg', fillDate: daysAgo(6), charge: '7.25' });
  const cdp = await page.createCDPSession();
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/v1/claims', requestStage: 'Response' }] });
  let dropped = 0;
  cdp.on('Fetch.requestPaused', async (e) => {
    if (e.request.method === 'POST' && dropped === 0) {
      dropped += 1;
      await cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'ConnectionReset' });
    } else {
      await cdp.send('Fetch.continueRequest', { requestId: e.requestId });
    }
  });
  await page.click('form.claim-form button[type=submit]');
  await page.waitForFunction(() => /will not be filed twice/.test(document.querySelector('.error-summary')?.textContent || ''), { timeout: 15000 });
  assert.equal(dropped, 1);
  assert.equal((await claimsOf('M1001-03')).length, before + 2, 'the first try was stored');
  await shot(page, '08-retry-after-lost-answer');
  await cdp.send('Fetch.disable');
  await submitAndOpenClaim(page);
  await page.waitForSelector('.status-line');
  const flash = await page.$eval('main', (m) => m.textContent);
  assert.match(flash, /already filed/);
  assert.equal((await claimsOf('M1001-03')).length, before + 2, 'the retry filed nothing new');
  await shot(page, '09-retry-answered-with-the-first-claim');
  await page.context.close();
});

test('staff find the claim by member and see its audit trail', async () => {
  assert.ok(state.claimId, 'the first scenario filed a claim');
  const page = await newPage('staff');
  await signIn(page, accounts.staff);
  assert.equal(await page.evaluate(() => location.hash), '#/staff/search');
  await typeInto(page, '[data-field=member_id]', 'M1001-02');
  await page.click('form.search button[type=submit]');
  await page.waitForSelector(`a[href="#/claim/${state.claimId}"]`);
  await shot(page, '10-staff-search');
  await assertAccessibleNames(page, 'the search page');
  await page.click(`a[href="#/claim/${state.claimId}"]`);
  await page.waitForSelector('.status-line');
  await page.waitForSelector(`a[href="#/claim/${state.claimId}/audit"]`);
  await page.click(`a[href="#/claim/${state.claimId}/audit"]`);
  // The claim page has tables too: wait for the audit page itself.
  await page.waitForFunction(() => /^Audit trail of claim/.test(document.querySelector('main h1')?.textContent || ''));
  await page.waitForSelector('table tbody tr');
  const actions = await page.$$eval('table tbody tr', (rows) => rows.map((r) => r.children[1].textContent));
  for (const want of ['Claim filed', 'Claim decided', 'Claim viewed']) assert.ok(actions.includes(want), `audit has "${want}": ${actions.join(', ')}`);
  await shot(page, '11-staff-audit-trail');
  await page.goto(`${base}/portal/#/staff/queue`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.tiles');
  const tiles = await page.$eval('.tiles', (t) => t.textContent);
  assert.match(tiles, /Decided within target/);
  await shot(page, '12-staff-queue');
  await page.context.close();
});

test('a member cannot see another family\'s claim by editing the URL', async () => {
  assert.ok(state.claimId);
  const page = await newPage('other-family');
  await signInByKeyboard(page, accounts.grace);
  await page.goto(`${base}/portal/#/claim/${state.claimId}`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Claim not found');
  const text = await page.$eval('main', (m) => m.textContent);
  assert.doesNotMatch(text, /Lopez|M1001|42\.17|Approved/);
  // Nor in the list of the family's claims.
  await page.goto(`${base}/portal/#/claims`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => /No claims found|claims? shown/.test(document.querySelector('main').textContent));
  assert.doesNotMatch(await page.$eval('main', (m) => m.textContent), new RegExp(state.claimId.slice(0, 8)));
  await page.goto(`${base}/portal/#/claim/${state.claimId}`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Claim not found');
  await shot(page, '13-other-family-not-found');
  // Signing out ends the session and forgets it.
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  assert.equal(await notice(page, 'status'), 'You are signed out.');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.goto(`${base}/portal/#/claim/${state.claimId}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  assert.equal(await page.evaluate(() => location.hash), '#/signin');
  await page.context.close();
});

test('a pended claim shows what it needs with the code\'s meaning, and the member answers it', async () => {
  // Maria Lopez (M1001-01) is covered by her own employer's plan first: without
  // that plan's EOB the claim is pended (N479).
  const page = await newPage('pended');
  await signIn(page, accounts.luis);
  await fillPharmacy(page, { memberId: 'M1001-01', first: 'Maria', birth: '1977-03-02', ndc: '00093505698', drug: 'Metformin 500 mg', fillDate: daysAgo(4), charge: '12.00' });
  await submitAndOpenClaim(page);
  await page.waitForSelector('.pending form', { timeout: 90000 });
  const pending = await page.$eval('.pending', (p) => p.textContent);
  assert.match(pending, /N479/);
  assert.match(pending, /Send the Explanation of Benefits from the plan that pays first/);
  await shot(page, '17-claim-pended-needs-information');
  await assertAccessibleNames(page, 'the pended claim page');
  await typeInto(page, '[data-field="other_insurance.payer_name"]', 'Gulf Coast Health Plan');
  await typeInto(page, '[data-field="other_insurance.allowed"]', '3.60');
  await typeInto(page, '[data-field="other_insurance.paid"]', '2.00');
  await typeInto(page, '[data-field="other_insurance.patient_responsibility"]', '1.60');
  await setValue(page, '[data-field="other_insurance.eob_date"]', daysAgo(1));
  await page.click('.pending form button[type=submit]');
  await page.waitForFunction(() => /the information was sent/.test(document.querySelector('main').textContent), { timeout: 15000 });
  const status = await waitForFinal(page);
  assert.match(status, /Approved/);
  assert.match(await page.$eval('main', (m) => m.textContent), /second \(after the other plan\)/);
  await shot(page, '18-claim-decided-after-information');
  await page.context.close();
});

test('a provider posts a medical claim with two lines and checks eligibility, at phone width', async () => {
  const page = await newPage('provider', { width: 390, height: 844 });
  await signIn(page, accounts.provider);
  await page.goto(`${base}/portal/#/file/medical`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-field=member_id]');
  assert.equal(await page.$eval('[data-field="provider.npi"]', (e) => e.value), '1245319599');
  await typeInto(page, '[data-field=member_id]', 'M1001');
  await typeInto(page, '[data-field="patient.first_name"]', 'Luis');
  await typeInto(page, '[data-field="patient.last_name"]', 'Lopez');
  await setValue(page, '[data-field="patient.birth_date"]', '1975-09-14');
  await typeInto(page, '[data-field="provider.name"]', 'Bay Family Clinic');
  await typeInto(page, '[data-field="diagnosis_codes[0]"]', 'e119');
  // A second line, then a third removed again.
  await page.click('::-p-text(Add a service line)');
  await page.click('::-p-text(Add a service line)');
  assert.equal(await page.$$eval('.lines > fieldset', (s) => s.length), 3);
  await page.click('.lines > fieldset:nth-child(3) button');
  assert.equal(await page.$$eval('.lines > fieldset', (s) => s.length), 2);
  await setValue(page, '[data-field="lines[0].service_date"]', daysAgo(2));
  await typeInto(page, '[data-field="lines[0].procedure_code"]', '99213');
  await typeInto(page, '[data-field="lines[0].charge"]', '180.00');
  await setValue(page, '[data-field="lines[1].service_date"]', daysAgo(2));
  await typeInto(page, '[data-field="lines[1].procedure_code"]', '80053');
  await typeInto(page, '[data-field="lines[1].charge"]', '45.5x');
  await page.click('form.claim-form button[type=submit]');
  await page.waitForSelector('[data-field="lines[1].charge"][aria-invalid=true]');
  await shot(page, '14-provider-medical-form-phone');
  await assertAccessibleNames(page, 'the medical form');
  await typeInto(page, '[data-field="lines[1].charge"]', '45.50');
  const id = await submitAndOpenClaim(page);
  assert.ok(id);
  await waitForFinal(page);
  await shot(page, '15-provider-claim-decided-phone');
  await page.goto(`${base}/portal/#/claims`, { waitUntil: 'networkidle0' });
  await page.waitForSelector(`a[href="#/claim/${id}"]`);
  assert.equal(await page.$$eval('main tbody tr', (rows) => rows.length), 1, 'the provider sees only the claim it posted');
  await page.goto(`${base}/portal/#/eligibility`, { waitUntil: 'networkidle0' });
  await typeInto(page, '[data-field=member_id]', 'M2001');
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => /Covered on|Not covered/.test(document.querySelector('main').textContent));
  assert.match(await page.$eval('main', (m) => m.textContent), /COBRA/);
  await shot(page, '16-provider-eligibility-phone');
  await page.context.close();
});

test('staff put a dead-lettered claim back on the queue from the dashboard', async () => {
  // A claim whose stored submission is damaged fails every delivery (a bug,
  // not a denial) and reaches the dead letter; once repaired, staff requeue it.
  await stopChild(state.worker);
  const filed = await call('POST', '/v1/claims', tokens.luis, {
    type: 'pharmacy', member_id: 'M1001-04',
    patient: { first_name: 'Sofia', last_name: 'Lopez', birth_date: '1998-11-05' },
    pharmacy: { name: 'Corner Drug #12', network: 'in' },
    ndc: '00378181001', fill_date: daysAgo(7), drug_name: 'Lisinopril 10 mg', quantity: 30, days_supply: 30, charge: 6.4,
  });
  assert.equal(filed.status, 202, JSON.stringify(filed.data));
  const id = filed.data.claim_id;
  // The submission is kept apart from the claim's small fields (docs/operations.md "Redis keys"),
  // under the hash tag of the claim's shard.
  const key = redis('KEYS', `claims:*body:${id}`);
  const saved = redis('GET', key);
  assert.match(saved, /^\{"type":"pharmacy"/);
  redis('SET', key, '{broken');
  state.worker = startChild(CLAIMSD_BIN, state.workerArgs, {}, 'worker2.log');
  await waitFor('the claim to be dead-lettered', async () => (await call('GET', '/v1/queue', tokens.staff)).data.dead.some((d) => d.claim_id === id), 30000, 200);
  redis('SET', key, saved);

  const page = await newPage('requeue');
  await signIn(page, accounts.staff);
  await page.goto(`${base}/portal/#/staff/queue`, { waitUntil: 'networkidle0' });
  await page.waitForSelector(`a[href="#/claim/${id}"]`);
  await shot(page, '19-staff-queue-dead-letter');
  await assertAccessibleNames(page, 'the queue page');
  await page.click('::-p-text(Put back on the queue)');
  await page.waitForFunction((cid) => document.querySelector('main').textContent.includes(`Claim ${cid} is back on the queue.`), {}, id);
  await waitFor('the requeued claim to be decided', async () => /approved|denied/.test((await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status), 30000, 200);
  await page.click('::-p-text(Refresh)');
  await page.waitForFunction(() => /Dead letter\s*Claims that failed[^]*None\./.test(document.querySelector('main').textContent));
  await shot(page, '20-staff-queue-after-requeue');
  await page.context.close();
});

/** The data-field paths of the visible controls of the event form's changing part. */
async function eventFieldsShown(page) {
  return page.$$eval('#event-fields [data-field], .new-person:not([hidden]) input[data-field], .new-person:not([hidden]) select[data-field]',
    (els) => els.filter((e) => !e.closest('[hidden]')).map((e) => e.dataset.field));
}

const NEW_PERSON = ['member.member_id', 'member.relationship', 'member.subscriber_id', 'member.group_id', 'member.first_name', 'member.last_name', 'member.birth_date', 'member.state'];

test('staff record an enrollment event: each event shows its own fields, and refused events show the problem next to the field', async () => {
  const page = await newPage('events');
  await signIn(page, accounts.staff);
  await page.goto(`${base}/portal/#/staff/events`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#event-kind');
  assert.equal(await page.$eval('main h1', (e) => e.textContent), 'Record an enrollment event');
  // Every event of the contract is offered, and each shows exactly its fields.
  const expected = {
    hire: NEW_PERSON, newborn: NEW_PERSON, adoption: NEW_PERSON, placement: NEW_PERSON, guardianship: NEW_PERSON,
    marriage: [], divorce: [], loss_of_other_coverage: [], termination: [], leave_of_absence: [], layoff: [], return_to_work: [],
    student_status: ['student'],
    household_status: ['lives_with_employee', 'has_own_dependent'],
    handicapped_status: ['handicapped_certified'],
    medicare_entitlement: ['basis', 'part_a', 'part_b'],
    other_group_coverage: ['other_coverage.payer_name', 'other_coverage.kind', 'other_coverage.relationship', 'other_coverage.holder_birth_date', 'other_coverage.cobra', 'other_coverage.active_employment'],
    cobra_election: ['qualifying_event', 'reason', 'months'],
  };
  assert.deepEqual(await page.$$eval('#event-kind option', (os) => os.map((o) => o.value).filter(Boolean)), Object.keys(expected));
  for (const [kind, fields] of Object.entries(expected)) {
    await page.select('#event-kind', kind);
    assert.deepEqual(await eventFieldsShown(page), fields, `the fields of ${kind}`);
    assert.equal(await page.$('#event-adds') !== null, kind === 'marriage' || kind === 'loss_of_other_coverage', `${kind}: the "adds a person" choice`);
  }
  // An event that may add a person shows the person's fields once ticked, with the relationship it implies.
  await page.select('#event-kind', 'marriage');
  await page.click('#event-adds');
  assert.deepEqual(await eventFieldsShown(page), NEW_PERSON);
  assert.equal(await page.$eval('[data-field="member.relationship"]', (e) => e.value), 'spouse');
  await page.select('#event-kind', 'cobra_election');
  assert.deepEqual(await page.$$eval('[data-field=reason] option', (os) => os.map((o) => o.value).filter(Boolean)),
    ['termination_of_employment', 'reduction_of_hours', 'divorce', 'legal_separation', 'death_of_employee', 'medicare_entitlement', 'loss_of_dependent_status']);
  assert.deepEqual(await page.$$eval('[data-field=months] option', (os) => os.map((o) => o.value).filter(Boolean)), ['18', '29', '36']);
  await page.select('#event-kind', 'medicare_entitlement');
  await shot(page, '28-staff-event-form-medicare');
  await assertAccessibleNames(page, 'the event form');

  // Nothing chosen: refused in the page, next to the fields.
  await page.goto(`${base}/portal/#/staff/recoveries`, { waitUntil: 'networkidle0' });
  await page.goto(`${base}/portal/#/staff/events`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#event-kind');
  await page.click('form.event-form button[type=submit]');
  await page.waitForSelector('.error-summary:not([hidden]) li');
  assert.equal(await page.$eval('#event-member-err', (e) => e.textContent), 'is required');
  assert.equal(await page.$eval('#event-kind-err', (e) => e.textContent), 'is required');

  // The real server: a member it does not know is refused 404, shown on the member ID.
  const posts = [];
  page.on('request', (r) => { if (/\/v1\/members\/[^/]+\/events$/.test(r.url()) && r.method() === 'POST') posts.push({ headers: r.headers(), body: JSON.parse(r.postData()) }); });
  await typeInto(page, '#event-member', 'NOPE-1');
  await page.select('#event-kind', 'student_status');
  await setValue(page, '#event-date', '2026-05-15');
  await page.click('form.event-form button[type=submit]');
  await page.waitForSelector('#event-member[aria-invalid=true]');
  assert.equal(await page.$eval('#event-member-err', (e) => e.textContent), 'is not a member that events can be recorded for');
  assert.equal(posts.length, 1);
  assert.deepEqual(posts[0].body, { event: 'student_status', date: '2026-05-15', student: false });
  assert.ok(posts[0].headers['x-csrf-token'], 'the event is posted with the CSRF header');

  // A late report: the server's 422 late_enrollment names reported_on. Until
  // the events endpoint is on this server (it answers 404 for a known
  // member), its documented answer is given to the page instead.
  const late = {
    event: 'newborn', date: '2026-01-01', reported_on: '2026-06-01',
    member: { member_id: 'M1001-09', relationship: 'child', subscriber_id: 'M1001', group_id: 'G100', first_name: 'Nina', last_name: 'Lopez', birth_date: '2026-01-01', state: 'FL' },
  };
  const real = await call('POST', '/v1/members/M1001/events', tokens.staff, late);
  let want;
  if (real.status === 404) {
    want = { field: 'reported_on', problem: 'must be within 60 days of the birth (reported 151 days after it)' };
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (r.url() === `${base}/v1/members/M1001/events`) {
        r.respond({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: { code: 'late_enrollment', message: 'reported after the 60-day window for a newborn', fields: [want] } }) });
      } else r.continue();
    });
  } else {
    assert.equal(real.status, 422, JSON.stringify(real.data));
    assert.equal(real.data.error.code, 'late_enrollment');
    want = real.data.error.fields.find((f) => f.field === 'reported_on');
    assert.ok(want, JSON.stringify(real.data));
  }
  await typeInto(page, '#event-member', 'M1001');
  await page.select('#event-kind', 'newborn');
  await setValue(page, '#event-date', late.date);
  await setValue(page, '#event-reported-on', late.reported_on);
  for (const [k, v] of Object.entries(late.member)) {
    if (k === 'relationship') await page.select('[data-field="member.relationship"]', v);
    else await setValue(page, `[data-field="member.${k}"]`, v);
  }
  await page.click('form.event-form button[type=submit]');
  await page.waitForSelector('#event-reported-on[aria-invalid=true]');
  assert.equal(await page.$eval('#event-reported-on-err', (e) => e.textContent), want.problem);
  assert.match(await page.$eval('.error-summary h2', (e) => e.textContent), /^Too late: /);
  assert.deepEqual(posts[posts.length - 1].body, late);
  await shot(page, '29-staff-event-late');
  await page.context.close();
});

test('staff see the claims a retroactive termination left paid on uncovered dates', async () => {
  // Robert Evans (M3001) has a pharmacy claim paid for a fill five days ago;
  // then his termination, two months back, is recorded.
  const fill = daysAgo(5);
  const filed = await call('POST', '/v1/claims', tokens.staff, {
    type: 'pharmacy', member_id: 'M3001',
    patient: { first_name: 'Robert', last_name: 'Evans', birth_date: '1959-04-12' },
    pharmacy: { name: 'Corner Drug #12', network: 'in' },
    ndc: '00071015523', fill_date: fill, drug_name: 'Lipitor 20 mg tablet', quantity: 30, days_supply: 30, charge: 150,
  });
  assert.equal(filed.status, 202, JSON.stringify(filed.data));
  const id = filed.data.claim_id;
  await waitFor('the claim to be decided', async () => /approved|denied/.test((await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status), 30000, 200);
  const decided = (await call('GET', `/v1/claims/${id}`, tokens.staff)).data;
  assert.equal(decided.status, 'approved', JSON.stringify(decided.decision));
  const [y, mo] = fill.split('-').map(Number);
  const event = new Date(Date.UTC(y, mo - 2, 10)).toISOString().slice(0, 10);
  const robert = JSON.parse(readFileSync(join(REPO, 'config/sample/members/M3001.json'), 'utf8'));
  robert.coverage[0].termination_event = event;
  robert.coverage[0].termination_reported_on = today;
  const put = await call('PUT', '/v1/members/M3001', ADMIN, robert);
  assert.equal(put.status, 200, JSON.stringify(put.data));
  const listed = (await call('GET', '/v1/recoveries?status=open&limit=500', tokens.staff)).data.recoveries.find((r) => r.claim_id === id);
  assert.ok(listed, 'the API lists the claim');
  assert.equal(listed.lines[0].plan_paid, decided.decision.lines[0].plan_paid);

  const page = await newPage('recoveries');
  await signIn(page, accounts.staff);
  await page.goto(`${base}/portal/#/staff/recoveries`, { waitUntil: 'networkidle0' });
  await page.waitForSelector(`#recoveries a[href="#/claim/${id}"]`);
  const row = await page.$eval(`#recoveries a[href="#/claim/${id}"]`, (a) => [...a.closest('tr').children].map((c) => c.textContent));
  const paid = `$${Number(decided.decision.lines[0].plan_paid).toFixed(2)}`;
  assert.deepEqual(row.slice(1, 8), ['M3001', `Line 1, ${fill}: ${paid}${listed.lines[0].employer_liable ? ' (employer)' : ''}`, paid,
    listed.coverage_ended, today, listed.employer_liable ? 'Yes' : 'No', 'Open']);
  await shot(page, '30-staff-recoveries');
  await assertAccessibleNames(page, 'the recoveries page');
  // Withdrawn once the termination is undone.
  robert.coverage[0].termination_event = null;
  delete robert.coverage[0].termination_reported_on;
  assert.equal((await call('PUT', '/v1/members/M3001', ADMIN, robert)).status, 200);
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('#recoveries');
  assert.equal(await page.$(`#recoveries a[href="#/claim/${id}"]`), null);
  await page.select('#recovery-status', 'withdrawn');
  await page.click('form.search button[type=submit]');
  await page.waitForSelector(`#recoveries a[href="#/claim/${id}"]`);
  await page.context.close();
});

test('a member appeals a denied claim and staff decide it from the appeals list', async () => {
  // Luis Lopez's office visit of 2019, before his coverage began: denied.
  const filed = await call('POST', '/v1/claims', tokens.luis, {
    type: 'medical', member_id: 'M1001',
    patient: { first_name: 'Luis', last_name: 'Lopez', birth_date: '1975-09-14' },
    provider: { npi: '1003000126', name: 'Bay Clinic', network: 'in' },
    diagnosis_codes: ['E11.9'],
    lines: [{ service_date: '2019-06-03', procedure_code: '99213', units: 1, charge: 150 }],
  });
  assert.equal(filed.status, 202, JSON.stringify(filed.data));
  const id = filed.data.claim_id;
  await waitFor('the claim to be denied', async () => (await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status === 'denied', 30000, 200);
  const eob = (await call('GET', `/v1/claims/${id}/eob`, tokens.staff)).data;

  const page = await newPage('appeal-member');
  await signIn(page, accounts.luis);
  await page.goto(`${base}/portal/#/claim/${id}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#start-appeal');
  await page.click('#start-appeal');
  await page.waitForSelector('#appeal-statement');
  // The last day to appeal, as the EOB states it.
  assert.match(await page.$eval('#appeal', (s) => s.textContent), new RegExp(`until ${eob.appeal.deadline} \\(180 days after`));
  // An empty statement is refused on the page; nothing is sent.
  await page.click('#appeal-form button[type=submit]');
  await page.waitForSelector('#appeal-statement[aria-invalid=true]');
  assert.equal((await call('GET', `/v1/claims/${id}`, tokens.staff)).data.appeal_id, undefined);
  const words = 'I was covered on that day.\nMy enrollment form is dated 2019-05-20.';
  await typeInto(page, '#appeal-statement', words);
  await shot(page, '31-member-appeal-form');
  await assertAccessibleNames(page, 'the appeal form');
  await page.click('#appeal-form button[type=submit]');
  await page.waitForFunction(() => /Your appeal was received/.test(document.querySelector('main').textContent));
  const claim = (await call('GET', `/v1/claims/${id}`, tokens.staff)).data;
  const appeal = (await call('GET', `/v1/appeals/${claim.appeal_id}`, tokens.staff)).data;
  assert.equal(appeal.statement, words);
  assert.equal(appeal.status, 'open');
  assert.equal(appeal.filed_by_role, 'member');
  await page.waitForFunction((due) => { const s = document.getElementById('appeal'); return s && s.textContent.includes(`Decision due by${due}`); }, {}, appeal.due_date);
  assert.match(await page.$eval('#appeal', (s) => s.textContent), /Open: waiting for a decision/);
  await shot(page, '32-member-appeal-filed');

  const staffPage = await newPage('appeal-staff');
  await signIn(staffPage, accounts.staff);
  await staffPage.goto(`${base}/portal/#/staff/appeals`, { waitUntil: 'networkidle0' });
  const link = `#appeals a[href="#/appeal/${appeal.appeal_id}"]`;
  await staffPage.waitForSelector(link);
  const row = await staffPage.$eval(link, (a) => [...a.closest('tr').children].map((c) => c.textContent));
  assert.deepEqual([row[0], row[1], row[2], row[3], row[5], row[6]], [appeal.appeal_id.slice(0, 8), id.slice(0, 8), 'M1001', 'Open', appeal.due_date, '—']);
  await shot(staffPage, '33-staff-appeals');
  await assertAccessibleNames(staffPage, 'the appeals list');
  await Promise.all([staffPage.waitForFunction((h) => location.hash === h, {}, `#/appeal/${appeal.appeal_id}`), staffPage.click(link)]);
  await staffPage.waitForSelector('#decision-form');
  assert.match(await staffPage.$eval('main', (m) => m.textContent), /My enrollment form is dated 2019-05-20/);
  // An overturn is checked (a refused amount shown at its field), then recorded: the claim is
  // decided again with the line at 100.00 allowed (CO-45 50.00, the 25.00 copay): a new EOB version.
  await staffPage.click('#decision-form input[type=radio][value=overturned]');
  await staffPage.waitForSelector('[data-field="lines[0].allowed"]', { visible: true });
  await typeInto(staffPage, '[data-field="lines[0].allowed"]', '200.00');
  await staffPage.select('[data-field="lines[0].group"]', 'CO');
  await typeInto(staffPage, '[data-field="lines[0].carc"]', '45');
  await typeInto(staffPage, '#decision-note', 'Covered: the enrollment form predates the visit.');
  await staffPage.click('#decision-form button[type=submit]');
  await staffPage.waitForSelector('[data-field="lines[0].allowed"][aria-invalid=true]');
  assert.match(await staffPage.$eval('#decision-form .error-summary', (e) => e.textContent), /must not exceed the line's charge/);
  assert.equal((await call('GET', `/v1/appeals/${appeal.appeal_id}`, tokens.staff)).data.status, 'open');
  await assertAccessibleNames(staffPage, 'the appeal decision form');
  await typeInto(staffPage, '[data-field="lines[0].allowed"]', '100.00');
  await staffPage.click('#decision-form button[type=submit]');
  await staffPage.waitForFunction(() => /The appeal was decided: overturned\./.test(document.querySelector('main').textContent));
  const decided = (await call('GET', `/v1/appeals/${appeal.appeal_id}`, tokens.staff)).data;
  assert.equal(decided.status, 'decided');
  assert.equal(decided.decision.outcome, 'overturned');
  assert.equal(decided.decision.note, 'Covered: the enrollment form predates the visit.');
  assert.equal(decided.decision.lines[0].allowed, 100);
  await shot(staffPage, '34-staff-appeal-decided');
  await staffPage.context.close();
  await waitFor('the claim\'s second EOB version', async () => (await call('GET', `/v1/claims/${id}/eob`, tokens.staff)).data.version === 2, 30000, 200);
  const adjusted = (await call('GET', `/v1/claims/${id}/eob`, tokens.staff)).data;
  assert.equal(adjusted.adjustment.kind, 'adjustment');
  assert.equal(adjusted.adjustment.new.allowed, 100);
  assert.equal(adjusted.adjustment.new.plan_paid, 75);
  assert.equal(adjusted.adjustment.new.patient_responsibility, 25);
  assert.equal((await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status, 'approved');

  // The member reads the outcome and its reason on the claim.
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForFunction(() => { const s = document.getElementById('appeal'); return s && /Overturned: the claim is decided again/.test(s.textContent); });
  assert.match(await page.$eval('#appeal', (s) => s.textContent), /Covered: the enrollment form predates the visit\./);
  await shot(page, '35-member-appeal-decided');
  await page.context.close();
});

test('staff work the review list: a claim over the plan\'s review threshold, a refused amount shown at its field, then adjusted', async () => {
  // The plan gets a review threshold of 300.00 for this scenario (put back afterwards).
  const plan = JSON.parse(readFileSync(join(REPO, 'config/sample/plans/PPO-500.json'), 'utf8'));
  assert.equal((await call('PUT', '/v1/plans/PPO-500', ADMIN, { ...plan, review_threshold: 300 })).status, 200);
  try {
    // Luis, 6 x 71046 (60.00 a unit) on 400.00: 360.00 allowed, over 300.00.
    const filed = await call('POST', '/v1/claims', tokens.staff, {
      type: 'medical', member_id: 'M1001',
      patient: { first_name: 'Luis', last_name: 'Lopez', birth_date: '1975-09-14' },
      provider: { npi: '1245319599', name: 'Bay Clinic', network: 'in', facility: false },
      diagnosis_codes: ['J06.9'], lines: [{ service_date: daysAgo(4), procedure_code: '71046', units: 6, charge: 400 }],
    });
    assert.equal(filed.status, 202, JSON.stringify(filed.data));
    const id = filed.data.claim_id;
    await waitFor('the claim to go to review', async () => (await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status === 'in_review', 30000, 200);
    const listed = (await call('GET', '/v1/review?limit=500', tokens.staff)).data.claims.find((c) => c.claim_id === id);
    assert.ok(listed, 'the API lists the claim');

    const page = await newPage('review');
    await signIn(page, accounts.staff);
    // The claim's own page says it waits for staff and leads to the review list.
    await page.goto(`${base}/portal/#/claim/${id}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.status-line');
    assert.equal(await page.$eval('.status-line', (e) => e.textContent), 'Status: Being reviewed by claims staff');
    assert.equal(await page.$('#decision-h'), null, 'no decision is shown before the review');
    await page.click('main a[href="#/staff/review"]');
    await page.waitForSelector(`#review a[href="#/claim/${id}"]`);
    const row = await page.$eval(`#review a[href="#/claim/${id}"]`, (a) => [...a.closest('tr').children].map((c) => c.textContent));
    assert.deepEqual(row.slice(1), ['Medical', listed.received_date, listed.target_date, '$360.00', 'Total allowed is over the plan\'s review threshold']);
    await assertAccessibleNames(page, 'the review page');
    const form = `section[data-claim="${id}"] form`;
    const p = `review-${id.slice(0, 8)}-`;
    await page.select(`#${p}action`, 'adjust');
    await typeInto(page, `#${p}0-line`, '1');
    await typeInto(page, `#${p}0-allowed`, '450.00'); // over the line's charge
    await page.select(`#${p}0-group`, 'CO');
    await typeInto(page, `#${p}0-carc`, '45');
    await typeInto(page, `#${p}note`, 'priced at the contract rate');
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector(`${form} .error-summary:not([hidden])`);
    assert.equal(await page.$eval(`#${p}0-allowed`, (e) => e.getAttribute('aria-invalid')), 'true');
    assert.equal(await page.$eval(`#${p}0-allowed-err`, (e) => e.textContent), 'must not exceed the line\'s charge');
    assert.equal((await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status, 'in_review', 'nothing was saved');
    await shot(page, '36-staff-review-refused');
    await typeInto(page, `#${p}0-allowed`, '300.00');
    await page.click(`${form} button[type=submit]`);
    await page.waitForFunction((cid) => document.querySelector('main').textContent.includes(`Claim ${cid}: decision saved; the claim is being finalized.`), {}, id);
    await waitFor('the reviewed claim to be decided', async () => (await call('GET', `/v1/claims/${id}`, tokens.staff)).data.status === 'approved', 30000, 200);
    const decided = (await call('GET', `/v1/claims/${id}`, tokens.staff)).data.decision;
    assert.equal(decided.allowed, 300);
    assert.deepEqual(decided.lines[0].codes[0], { group: 'CO', carc: '45', amount: 100 });
    await shot(page, '37-staff-review-saved');
    await page.click('::-p-text(Refresh)');
    await page.waitForFunction((cid) => !document.querySelector(`#review a[href="#/claim/${cid}"]`), {}, id);
    await page.context.close();
  } finally {
    assert.equal((await call('PUT', '/v1/plans/PPO-500', ADMIN, plan)).status, 200);
  }
});

test('a member corrects a claim from the form filled with it, then voids the correction with a reason', async () => {
  const page = await newPage('correct');
  await signIn(page, accounts.luis);
  await fillPharmacy(page, { ndc: '00093505698', drug: 'Metformin 500 mg', fillDate: daysAgo(6), charge: '30.00' });
  const first = await submitAndOpenClaim(page);
  await waitForFinal(page);
  await Promise.all([
    page.waitForFunction(() => /\/correct$/.test(location.hash), { timeout: 15000 }),
    page.click('#correct-claim'),
  ]);
  await page.waitForSelector('form.claim-form [data-field=ndc]');
  // The form holds the claim as it was filed (codes as the server normalised them).
  assert.equal(await page.$eval('[data-field=member_id]', (e) => e.value), 'M1001-02');
  assert.equal(await page.$eval('[data-field="patient.first_name"]', (e) => e.value), 'Ana');
  assert.equal(await page.$eval('[data-field=ndc]', (e) => e.value), '00093505698');
  assert.equal(await page.$eval('[data-field=fill_date]', (e) => e.value), daysAgo(6));
  assert.equal(await page.$eval('[data-field=charge]', (e) => e.value), '30.00');
  assert.equal(await page.$eval('form.claim-form button[type=submit]', (e) => e.textContent), 'File the corrected claim');
  await shot(page, '38-correct-claim-form');
  await assertAccessibleNames(page, 'the correction form');
  await typeInto(page, '[data-field=quantity]', '60');
  const second = await submitAndOpenClaim(page);
  assert.notEqual(second, first);
  await page.waitForSelector('main .notice-ok');
  assert.match(await page.$eval('main .notice-ok', (e) => e.textContent), new RegExp(`It replaces claim ${first}`));
  await waitForFinal(page);
  assert.match(await page.$eval('main', (m) => m.textContent), new RegExp(`This claim corrects \\(replaces\\) claim ${first}`));
  const original = await call('GET', `/v1/claims/${first}`, tokens.staff);
  assert.equal(original.data.status, 'replaced');
  assert.equal(original.data.replaced_by, second);
  const corrected = await call('GET', `/v1/claims/${second}`, tokens.staff);
  assert.equal(corrected.data.replaces, first);
  assert.equal(corrected.data.submitted.quantity, 60);

  // Void the correction: the reason is required, and the server's problem shows next to it.
  await page.click('#void-claim');
  await page.waitForSelector('#void-form textarea', { visible: true });
  await page.click('#void-form button[type=submit]');
  await page.waitForSelector('#void-form [data-field=reason][aria-invalid=true]');
  assert.match(await page.$eval('#void-form .error-summary', (e) => e.textContent), /Reason: must be 1 to 500 characters/);
  await shot(page, '39-void-reason-required');
  await typeInto(page, '#void-form [data-field=reason]', 'The pharmacy sent it already');
  await page.click('#void-form button[type=submit]');
  await page.waitForFunction(() => /Voided/.test(document.querySelector('.status-line .badge')?.textContent || ''), { timeout: 15000 });
  assert.match(await page.$eval('main', (m) => m.textContent), /This claim was voided: The pharmacy sent it already/);
  assert.equal(await page.$('#void-claim'), null, 'a voided claim offers no correction');
  await shot(page, '40-claim-voided');
  const voided = await call('GET', `/v1/claims/${second}`, tokens.staff);
  assert.equal(voided.data.status, 'voided');
  assert.equal(voided.data.voided.reason, 'The pharmacy sent it already');
  await page.context.close();
});

test('after five wrong passwords the page says how long to wait', async () => {
  // Helen Park (M4001) has an account; someone tries five passwords (through the API).
  const helen = await newAccount('helen.park', { role: 'member', member_id: 'M4001' });
  for (let i = 1; i <= 5; i++) {
    const r = await anonymous('POST', '/v1/sessions', { username: helen.username, password: `guess number ${i} of five` });
    assert.equal(r.status, 401);
    assert.equal(r.data.error.code, 'invalid_credentials');
  }
  // Now even the right password waits.
  const page = await newPage('locked');
  await page.goto(`${base}/portal/`, { waitUntil: 'networkidle0' });
  await typeInto(page, '#username', helen.username);
  await typeInto(page, '#password', helen.password);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/v1/sessions` && r.request().method() === 'POST'),
    page.click('form button[type=submit]'),
  ]);
  assert.equal(res.status(), 429);
  const seconds = Number(res.headers()['retry-after']);
  assert.ok(Number.isInteger(seconds) && seconds > 0 && seconds <= 15 * 60, `Retry-After ${res.headers()['retry-after']}`);
  const minutes = Math.ceil(seconds / 60);
  const wait = seconds < 60 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  await page.waitForSelector('.error-summary:not([hidden]) p');
  assert.equal(await page.$eval('.error-summary', (e) => e.textContent), `Too many attempts to sign in. Wait ${wait}, then try again.`);
  assert.equal(await page.evaluate(() => location.hash), '#/signin');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await shot(page, '27-sign-in-locked');
  await page.context.close();
});

test('no page logged an error, broke the security policy or put a token in a URL', () => {
  assert.deepEqual(problems, []);
});
