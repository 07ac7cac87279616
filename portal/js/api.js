// The portal's only way to the server: the public API of API.md, with the
// bearer token from the session. Errors come back as ApiError with the API's
// error.code, error.message and error.fields.

import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `the server answered ${status}`);
    this.status = status;
    this.code = err.code || '';
    this.fields = Array.isArray(err.fields) ? err.fields : [];
  }
}

/** The request did not get an answer: the server may or may not have acted. */
export class NetworkError extends Error {
  constructor() {
    super('The server could not be reached.');
    this.code = 'network';
  }
}

let onUnauthorized = () => {};

/** Called when a signed-in request is answered 401 (token revoked or unknown). */
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

async function send(method, path, { body, idempotencyKey, token, raw = false } = {}) {
  const headers = { Accept: raw ? 'text/html' : 'application/json' };
  const t = token || (session.get() && session.get().token);
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
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
    if (res.status === 401 && !token) onUnauthorized();
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, headers: res.headers };
}

export const get = (path, opts) => send('GET', path, opts);
export const post = (path, body, opts = {}) => send('POST', path, { ...opts, body });
/** The body as text (the printable EOB). */
export const getText = (path) => send('GET', path, { raw: true });

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
