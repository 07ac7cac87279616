// The signed-in user, as the server's POST /v1/sessions answered it: the
// CSRF token, the role, the member id or NPI, and when the session ends. Kept
// in sessionStorage only (this tab; gone when the tab closes or on sign-out).
// The session itself is the server's HttpOnly cookie, which no script can
// read; the password and API tokens are never stored anywhere.

const KEY = 'claimsd.portal.session';
const ROLES = ['member', 'provider', 'staff', 'admin'];

let current = null;

function valid(s) {
  return Boolean(s && typeof s.csrfToken === 'string' && s.csrfToken && ROLES.includes(s.role)
    && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now()));
}

export function load() {
  try {
    const raw = sessionStorage.getItem(KEY);
    current = raw ? JSON.parse(raw) : null;
  } catch {
    current = null;
  }
  if (!valid(current)) clear();
  return current;
}

export function get() {
  return current;
}

/** From the 201 of POST /v1/sessions: only the fields the pages need. */
export function save(answer) {
  const s = {
    csrfToken: answer.csrf_token,
    role: answer.role,
    memberId: answer.member_id || undefined,
    npi: answer.npi || undefined,
    expiresAt: answer.expires_at || undefined,
  };
  if (!valid(s)) throw new Error('the server\'s answer has no session');
  current = s;
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clear() {
  current = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: nothing was kept */
  }
}
