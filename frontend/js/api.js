// The JSON API client: config, CSRF double submit, problem+json errors.

const DEFAULT_API_BASE = '/api/v1';
const REQUEST_TIMEOUT_MS = 20000;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let configPromise = null;

/**
 * frontend/config.json, next to index.html: {"apiBase": "/api/v1"}, and optionally
 * "bankTransfer": {"payee": "...", "iban": "...", "bic": "..."}, the account a manual
 * (bank transfer) payment goes to, shown with the payment instructions.
 */
export function loadConfig() {
  if (!configPromise) {
    const url = new URL('../config.json', import.meta.url);
    configPromise = fetch(url, { credentials: 'same-origin', cache: 'no-cache' })
      .then((res) => (res.ok ? res.json() : {}))
      .catch(() => ({}))
      .then((cfg) => ({
        apiBase: String((cfg && cfg.apiBase) || DEFAULT_API_BASE).replace(/\/+$/, ''),
        bankTransfer: cfg && cfg.bankTransfer && typeof cfg.bankTransfer === 'object' ? cfg.bankTransfer : null,
      }));
  }
  return configPromise;
}

/** An API failure, from an RFC 9457 problem document (or a network failure: status 0). */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    const p = problem && typeof problem === 'object' ? problem : {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.type = typeof p.type === 'string' ? p.type : '';
    // "/problems/out_of_stock" -> "out_of_stock"
    this.reason = this.type ? this.type.split('/').filter(Boolean).pop() : '';
    this.title = p.title || '';
    this.detail = p.detail || '';
    this.field = p.field || '';
    this.retryAfter = retryAfter ? Number.parseInt(retryAfter, 10) || null : null;
    this.problem = p;
  }
}

/** Value of the CSRF cookie (production name first, then the dev name). */
export function csrfToken() {
  const cookies = document.cookie ? document.cookie.split(/;\s*/) : [];
  for (const name of ['__Host-ws_csrf', 'ws_csrf']) {
    const found = cookies.find((c) => c.startsWith(`${name}=`));
    if (found) {
      try {
        return decodeURIComponent(found.slice(name.length + 1));
      } catch {
        return found.slice(name.length + 1);
      }
    }
  }
  return '';
}

/** Any /api/v1 response sets the CSRF cookie when we have none. */
async function ensureCsrf() {
  if (csrfToken()) return;
  try {
    await request('/auth/me', { method: 'GET' }, false);
  } catch {
    // 401 is expected for guests; the cookie comes with it.
  }
}

async function request(path, options, retryCsrf) {
  const { apiBase } = await loadConfig();
  const method = (options.method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json, application/problem+json', ...(options.headers || {}) };
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (UNSAFE.has(method)) {
    await ensureCsrf();
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let res;
  try {
    res = await fetch(apiBase + path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-cache', // revalidate (ETag) instead of trusting a stale copy
      signal: options.signal || AbortSignal.timeout(options.timeoutMs || REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new ApiError(0, {
      type: timedOut ? '/problems/timeout' : '/problems/network',
      title: timedOut ? 'Timed out' : 'Network error',
    });
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const error = new ApiError(res.status, data, res.headers.get('Retry-After'));
    if (retryCsrf && error.status === 403 && error.reason === 'csrf') {
      // The CSRF cookie may have been missing or rotated: fetch a fresh one and retry once.
      return request(path, options, false);
    }
    throw error;
  }
  return { data, status: res.status, headers: res.headers };
}

/** Calls the API; resolves with the parsed JSON body (null for 204), rejects with ApiError. */
export async function api(path, options = {}) {
  const { data } = await request(path, options, true);
  return data;
}

/** Like api() but resolves with {data, status, headers}. */
export function apiFull(path, options = {}) {
  return request(path, options, true);
}

/** Builds "?a=1&b=2" from an object, skipping empty values. */
export function query(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

const FRIENDLY = {
  validation: 'Please check this field.',
  not_found: 'We could not find that. It may have been removed.',
  unauthenticated: 'Please sign in to continue.',
  forbidden: 'Your account is not allowed to do that.',
  invalid_credentials: 'That email and password do not match an account. Check them and try again.',
  throttled: 'Too many attempts in a short time.',
  email_taken: 'That email is already registered.',
  sku_taken: 'That SKU is already used by another watch.',
  version_conflict: 'Someone else changed this watch while you were editing it. Reload it to see the latest version, then make your change again.',
  out_of_stock: 'Sorry, this watch is sold out in the quantity you asked for.',
  not_purchasable: 'Sorry, this watch can no longer be bought.',
  cart_empty: 'Your cart is empty.',
  cart_limit: 'Your cart has reached its limit.',
  idempotency_key_reused: 'This checkout attempt was already used with different details. Please place the order again.',
  idempotency_in_flight: 'Your order is still being placed. Please wait a moment.',
  illegal_transition: 'This order can no longer be changed that way.',
  order_paid: 'This order is already paid, so it can no longer be cancelled here. Please contact us.',
  too_many_unpaid_orders: 'You already have unpaid orders waiting. Pay for or cancel one of them first.',
  payment_unavailable: 'We could not reach the payment service. Your order is reserved: please try again in a moment.',
  unavailable: 'The store is briefly unavailable. Please try again in a moment.',
  internal: 'Something went wrong on our side. Please try again.',
  payload_too_large: 'That is too much data to send at once.',
  unsupported_media_type: 'The request could not be understood.',
  method_not_allowed: 'That action is not available.',
  csrf: 'Your session has expired. Reload the page and try again.',
  network: 'We could not reach the store. Check your connection and try again.',
  timeout: 'The store took too long to answer. Please try again.',
};

/** The plain-words message for an error, for people (not developers). */
export function problemMessage(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (err.reason === 'validation') return err.detail || err.title || FRIENDLY.validation;
  let message = FRIENDLY[err.reason] || err.title || `The request failed (${err.status}).`;
  if (err.reason === 'throttled' && err.retryAfter) {
    message += ` Please wait ${err.retryAfter} second${err.retryAfter === 1 ? '' : 's'} and try again.`;
  } else if (err.detail && !['internal', 'csrf', 'invalid_credentials'].includes(err.reason)
             && err.detail !== message && err.detail !== err.title) {
    message += ` ${/[.!?]$/.test(err.detail) ? err.detail : `${err.detail}.`}`;
  }
  return message;
}
