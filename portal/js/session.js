// The signed-in user: the API token and the role the user chose, kept in
// sessionStorage only (this tab; gone when the tab closes or on sign-out).
// Never in a URL, a cookie or localStorage.

const KEY = 'claimsd.portal.session';

let current = null;

export function load() {
  try {
    const raw = sessionStorage.getItem(KEY);
    current = raw ? JSON.parse(raw) : null;
  } catch {
    current = null;
  }
  if (current && (typeof current.token !== 'string' || !current.role)) current = null;
  return current;
}

export function get() {
  return current;
}

/** {token, role: 'member'|'provider'|'staff', memberId?, npi?} */
export function save(session) {
  current = session;
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clear() {
  current = null;
  sessionStorage.removeItem(KEY);
}
