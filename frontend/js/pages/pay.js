// The card payment step (Stripe): the only page that loads Stripe.js, and the only one whose
// Content-Security-Policy allows Stripe's origins (set by the server for pay.html). The card
// details go from Stripe's Payment Element straight to Stripe; the order becomes paid only when
// the store hears it from Stripe (a signed webhook, or the read that the order page asks for on
// return), never from this page.
import { api, problemMessage } from '../api.js';
import { $, h, replace } from '../dom.js';
import { formatMoney } from '../money.js';
import { initLayout, requireSignIn } from '../layout.js';
import { orderLink, reservationNote } from '../order-view.js';

const STRIPE_JS = 'https://js.stripe.com/v3/';
const LOAD_TIMEOUT_MS = 15000;
const root = $('#pay-root');
const link = orderLink();

/** Loads Stripe.js once; rejects when it is blocked, unreachable or too slow. */
function loadStripe() {
  if (typeof window.Stripe === 'function') return Promise.resolve(window.Stripe);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = STRIPE_JS;
    script.async = true;
    const timer = window.setTimeout(() => reject(new Error('Stripe.js took too long to load')), LOAD_TIMEOUT_MS);
    script.addEventListener('load', () => {
      window.clearTimeout(timer);
      if (typeof window.Stripe === 'function') resolve(window.Stripe);
      else reject(new Error('Stripe.js loaded without Stripe()'));
    });
    script.addEventListener('error', () => {
      window.clearTimeout(timer);
      reject(new Error('Stripe.js could not be fetched'));
    });
    document.head.append(script);
  });
}

function show(...children) {
  root.setAttribute('aria-busy', 'false');
  replace(root, ...children);
}

function backToOrder() {
  return h('a', { class: 'button button-secondary', href: link.pageUrl('order.html'), 'data-testid': 'back-to-order' }, 'Back to your order');
}

/** A page that has nothing to pay: says why, and links back to the order. */
function nothingToPay(title, text) {
  show(h('div', { class: 'empty-state', 'data-testid': 'pay-nothing' },
    h('h1', null, title), h('p', null, text), backToOrder()));
}

function unavailable(area, order) {
  replace(area, h('div', { class: 'alert alert-error', role: 'alert', 'data-testid': 'pay-unavailable' },
    h('p', null, h('strong', null, 'The payment form could not load.')),
    h('p', null, 'Nothing was charged, and your order stays reserved',
      order.reserved_until ? ` until the time shown above` : '', '. Check your connection, or any content blocker that may stop ',
      'js.stripe.com, then reload this page, or come back to it from your order page.'),
    h('a', { class: 'button button-secondary', href: link.pageUrl('order.html') }, 'Go to your order')));
}

async function mountPaymentForm(area, order, publishableKey) {
  let StripeCtor;
  try {
    StripeCtor = await loadStripe();
  } catch {
    unavailable(area, order);
    return;
  }
  let stripe;
  let elements;
  let paymentElement;
  try {
    stripe = StripeCtor(publishableKey);
    elements = stripe.elements({ clientSecret: order.payment.client_secret });
    paymentElement = elements.create('payment');
  } catch {
    unavailable(area, order);
    return;
  }
  const button = h('button', { type: 'submit', class: 'button button-primary button-wide', disabled: true, 'data-testid': 'pay-submit' },
    `Pay ${formatMoney(order.payment.amount)}`);
  const message = h('p', { class: 'progress-note', role: 'status', 'aria-live': 'polite', 'data-testid': 'pay-message' });
  const form = h('form', { class: 'stack-form', id: 'payment-form', novalidate: true },
    h('div', { id: 'payment-element', class: 'payment-element' }), button, message);
  replace(area, form);
  paymentElement.on('ready', () => {
    button.disabled = false;
  });
  paymentElement.mount('#payment-element');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    message.textContent = 'Confirming your payment…';
    link.rememberForReturn();
    // On success Stripe leaves for the bank's check (if any), then for return_url.
    const returnUrl = new URL(link.pageUrl('order.html', { paid: '1' }), window.location.href).href;
    const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
    message.textContent = (error && error.message) || 'The payment did not go through. Please try again.';
    button.disabled = false;
  });
}

async function main() {
  const user = await initLayout('pay');
  if (!link) {
    nothingToPay('No order to pay', 'This page needs the link to an order.');
    return;
  }
  if (!link.guest && !requireSignIn(user, `pay.html${window.location.search}`)) return;
  let order;
  let config;
  try {
    [order, config] = await Promise.all([link.load(), api('/payments/config')]);
  } catch (err) {
    show(h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))), backToOrder());
    return;
  }
  document.title = `Pay for order ${order.number} · Watchstore`;
  const p = order.payment;
  if (order.status !== 'pending') {
    nothingToPay(`Order ${order.number}`, 'This order is not waiting for a payment.');
    return;
  }
  if (!p || p.provider !== 'stripe' || config.provider !== 'stripe') {
    nothingToPay(`Order ${order.number}`, 'This order is paid by bank transfer: the instructions are on your order page.');
    return;
  }
  if (!p.client_secret || !config.publishable_key) {
    nothingToPay(`Order ${order.number}`, 'Card payments are not available for this order right now. Please try again later.');
    return;
  }
  const area = h('div', { class: 'payment-area', 'data-testid': 'payment-area' },
    h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading the secure payment form…'));
  show(
    h('h1', null, 'Pay for order ', h('span', { 'data-testid': 'order-number' }, order.number)),
    h('section', { class: 'panel pay-panel', 'aria-labelledby': 'card-heading' },
      h('h2', { id: 'card-heading' }, 'Card payment'),
      h('p', null, 'Amount: ', h('strong', { 'data-testid': 'pay-amount' }, formatMoney(p.amount))),
      reservationNote(order),
      h('p', { class: 'note' }, 'Your card details go straight to our payment provider, Stripe; we never see them.'),
      area),
    h('p', null, backToOrder()));
  await mountPaymentForm(area, order, config.publishable_key);
}

// Another order link pasted into this tab changes only the fragment: load that order.
window.addEventListener('hashchange', () => window.location.reload());
main();
