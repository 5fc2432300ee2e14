// Checkout: shipping form and order placement with an Idempotency-Key per attempt. Signed-in
// buyers check out their cart; guests their guest cart, with an e-mail address, and get the
// order's private link (order.html#token=...).
import { ApiError, api, apiFull, problemMessage } from '../api.js';
import { $, h, replace, watchImage } from '../dom.js';
import { EMAIL_RE, clearErrors, onSubmit, showLocalErrors, showProblem, showFormError } from '../forms.js';
import { formatMoney } from '../money.js';
import { announce, initLayout } from '../layout.js';

const ATTEMPT_KEY = 'ws.checkout.attempt';
const ADDRESS_KEY = 'ws.checkout.address';
const status = $('#checkout-status');
const layout = $('#checkout-layout');
const form = $('#checkout-form');
const button = $('#place-order');
const progress = $('#checkout-progress');
const FIELDS = ['name', 'line1', 'line2', 'city', 'postal_code', 'country'];
let guest = false; // no session: the e-mail field is shown and sent
const REQUIRED = { name: 'Enter the name of the person receiving the watch.', line1: 'Enter the street address.', city: 'Enter the city.', postal_code: 'Enter the postal code.', country: 'Choose a country.' };

function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
  // Not a secure context: build a v4 UUID from getRandomValues.
  const b = window.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One checkout attempt = one Idempotency-Key, bound to the exact request body.
 * Retrying the same attempt (network error, 5xx, in flight) reuses the key, even across a reload;
 * a changed form or a definite answer starts a new attempt.
 */
function loadAttempt() {
  try {
    return JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) || 'null');
  } catch {
    return null;
  }
}
function saveAttempt(attempt) {
  try {
    if (attempt) sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(attempt));
    else sessionStorage.removeItem(ATTEMPT_KEY);
  } catch {
    // no storage: the attempt lives in memory only
  }
}
let attempt = loadAttempt();

function shippingFromForm() {
  const shipping = {};
  for (const f of FIELDS) shipping[f] = form.elements[`shipping.${f}`].value.trim();
  return shipping;
}

function renderSummary(cart) {
  replace($('#checkout-summary'),
    h('ul', { class: 'summary-lines' }, cart.lines.map((line) => h('li', { class: 'summary-line' },
      watchImage(line.image_url, '', { width: '56', height: '56' }),
      h('div', { class: 'summary-line-info' },
        h('p', { class: 'summary-line-title' }, `${line.brand} ${line.model}`),
        h('p', { class: 'summary-line-variant' }, [line.dial_color, line.strap, line.size].filter(Boolean).join(' · '), ` · Qty ${line.quantity}`)),
      h('p', { class: 'summary-line-total' }, formatMoney(line.line_total))))),
    h('dl', { class: 'totals' },
      h('div', null, h('dt', null, 'Shipping'), h('dd', null, 'Free')),
      h('div', { class: 'totals-grand' }, h('dt', null, 'Total'), h('dd', { 'data-testid': 'checkout-total' }, formatMoney(cart.subtotal)))),
    h('a', { class: 'continue-link', href: 'cart.html' }, 'Edit cart'));
}

const sleep = (ms) => new Promise((r) => { window.setTimeout(r, ms); });

async function postOrder(current) {
  // The same key and body are sent on every retry of this attempt.
  for (let i = 0; ; i += 1) {
    try {
      return await apiFull('/orders', {
        method: 'POST',
        headers: { 'Idempotency-Key': current.key },
        body: JSON.parse(current.body),
        timeoutMs: 30000,
      });
    } catch (err) {
      const retryable = err instanceof ApiError
        && (err.reason === 'idempotency_in_flight' || err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
      if (!retryable || i >= 4) throw err;
      progress.textContent = 'Still placing your order…';
      await sleep(500 * 2 ** i);
    }
  }
}

let inFlight = false;
async function placeOrder() {
  if (inFlight) return; // a second click or Enter while the first is running does nothing
  inFlight = true;
  let placed = false;
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  clearErrors(form);
  try {
    const shipping = shippingFromForm();
    const missing = Object.entries(REQUIRED).filter(([f]) => !shipping[f])
      .map(([f, message]) => ({ input: form.elements[`shipping.${f}`], message }));
    const email = guest ? form.elements.email.value.trim() : '';
    if (guest && !EMAIL_RE.test(email)) {
      missing.unshift({ input: form.elements.email, message: email ? 'Enter an email address like name@example.com.' : 'Enter your email address.' });
    }
    if (!showLocalErrors(missing)) return;

    const body = JSON.stringify(guest ? { shipping, email } : { shipping });
    if (!attempt || attempt.body !== body) attempt = { key: uuid(), body };
    saveAttempt(attempt);
    button.textContent = 'Placing order…';
    progress.textContent = 'Placing your order…';
    try {
      sessionStorage.setItem(ADDRESS_KEY, JSON.stringify(shipping));
    } catch {
      // optional convenience only
    }

    let result;
    try {
      result = await postOrder(attempt);
    } catch (err) {
      progress.textContent = '';
      const keep = err instanceof ApiError && (err.status === 0 || err.status >= 500 || err.status === 429 || err.reason === 'idempotency_in_flight');
      if (!keep) {
        attempt = null; // a definite answer: the next try is a new attempt
        saveAttempt(null);
      }
      if (err instanceof ApiError && err.status === 401 && !guest) {
        window.location.assign('login.html?next=checkout.html');
        return;
      }
      if (err instanceof ApiError && ['out_of_stock', 'not_purchasable', 'cart_empty'].includes(err.reason)) {
        showFormError(form, problemMessage(err), h('p', null, h('a', { href: 'cart.html' }, 'Review your cart'))).focus();
      } else {
        showProblem(form, err);
      }
      announce(problemMessage(err));
      return;
    }
    // A guest's answer wraps the order with its link token.
    const token = result.data.access_token || '';
    const order = token ? result.data.order : result.data;
    attempt = null;
    saveAttempt(null);
    progress.textContent = 'Order placed.';
    placed = true;
    const where = token ? `?placed=1#token=${token}` : `?id=${encodeURIComponent(order.id)}&placed=1`;
    // A card payment continues on the payment page; a bank transfer's instructions are on the order page.
    const card = order.status === 'pending' && order.payment && order.payment.provider === 'stripe';
    window.location.assign(`${card ? 'pay.html' : 'order.html'}${where}`);
    return; // keep the button disabled while the next page loads
  } finally {
    if (!placed) {
      inFlight = false;
      button.disabled = false;
      button.textContent = 'Place order';
      form.removeAttribute('aria-busy');
    }
  }
}

async function main() {
  const user = await initLayout('checkout');
  guest = !user;
  let cart;
  try {
    cart = await api('/cart');
  } catch (err) {
    status.setAttribute('aria-busy', 'false');
    replace(status, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))));
    return;
  }
  status.setAttribute('aria-busy', 'false');
  if (!cart.lines || !cart.lines.length) {
    replace(status, h('div', { class: 'empty-state', 'data-testid': 'cart-empty' },
      h('p', { class: 'empty-title' }, 'Your cart is empty.'),
      h('a', { class: 'button button-primary', href: 'index.html' }, 'Browse watches')));
    return;
  }
  replace(status);
  status.hidden = true;
  if (cart.purchasable === false) {
    replace(status, h('div', { class: 'alert alert-error', role: 'alert' },
      h('p', null, 'Some watches in your cart are sold out or no longer available.'),
      h('p', null, h('a', { href: 'cart.html' }, 'Review your cart'))));
    status.hidden = false;
  }
  renderSummary(cart);
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(ADDRESS_KEY) || 'null');
  } catch {
    saved = null;
  }
  if (attempt) {
    try {
      saved = JSON.parse(attempt.body).shipping; // an unfinished attempt: offer the same details again
    } catch {
      // ignore
    }
  }
  if (saved) for (const f of FIELDS) if (saved[f]) form.elements[`shipping.${f}`].value = saved[f];
  if (guest) {
    $('#guest-contact').hidden = false;
    if (attempt) {
      try {
        form.elements.email.value = JSON.parse(attempt.body).email || '';
      } catch {
        // ignore
      }
    }
  }
  layout.hidden = false;
  onSubmit(form, placeOrder);
}

main();
