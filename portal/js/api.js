// The portal's only way to the server: the public API of API.md. The session
// is the server's HttpOnly cookie (sent by the browser, same origin only);
// every call that changes something carries the session's CSRF token in
// X-CSRF-Token. No Authorization header: people have no API token. Errors
// come back as ApiError with the API's error.code, error.message and
// error.fields, and the seconds of Retry-After on a 429.

import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, body, headers) {
    const err = (body && body.error) || {};
    super(err.message || `the server answered ${status}`);
    this.status = status;
    this.code = err.code || '';
    this.fields = Array.isArray(err.fields) ? err.fields : [];
    this.retryAfter = retryAfterSeconds(headers && headers.get('Retry-After'));
  }
}

/** The request did not get an answer: the server may or may not have acted. */
export class NetworkError extends Error {
  constructor() {
    super('The server could not be reached.');
    this.code = 'network';
  }
}

/** Retry-After as seconds (a number of seconds or an HTTP date), or null. */
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

let onUnauthorized = () => {};

/** Called when a signed-in request is answered 401 (the session ended). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** A random UUID v4; crypto.randomUUID exists only in secure contexts. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const SAFE = ['GET', 'HEAD'];

/**
 * opts.anonymous: a call made before there is a session (signing in,
 * accepting an invitation): a 401 is its own answer, not a session ending.
 */
async function send(method, path, { body, idempotencyKey, anonymous = false, raw = false } = {}) {
  const headers = { Accept: raw ? 'text/html' : 'application/json' };
  const s = session.get();
  if (s && !SAFE.includes(method)) headers['X-CSRF-Token'] = s.csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      redirect: 'error',
    });
  } catch {
    throw new NetworkError();
  }
  if (raw && res.ok) return { status: res.status, text: await res.text(), headers: res.headers };
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    // 401: the session ended. 403 csrf_failed: the browser's cookie is no
    // longer the session this tab signed in with (another tab signed in
    // again): this tab's session is over too.
    if (!anonymous && (res.status === 401 || (res.status === 403 && data && data.error && data.error.code === 'csrf_failed'))) onUnauthorized();
    throw new ApiError(res.status, data, res.headers);
  }
  return { status: res.status, data, headers: res.headers };
}

export const get = (path, opts) => send('GET', path, opts);
export const post = (path, body, opts = {}) => send('POST', path, { ...opts, body });
export const del = (path, opts) => send('DELETE', path, opts);
/** The body as text (the printable EOB). */
export const getText = (path) => send('GET', path, { raw: true });

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
