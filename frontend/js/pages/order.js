// One order: the confirmation after checkout and the order detail page, for a signed-in buyer
// (order.html?id=N) or a guest (order.html#token=..., the link from checkout and the e-mail).
// While unpaid: how to pay (bank transfer instructions, or the card payment page), how long the
// watches are held, and cancel.
import { ApiError, loadConfig, problemMessage } from '../api.js';
import { $, h, replace, params, formatDate } from '../dom.js';
import { formatMoney } from '../money.js';
import { announce, initLayout, requireSignIn } from '../layout.js';
import {
  cancelControl, cancellable, orderLink, paymentStateLabel, providerLabel, reservationNote, statusBadge, statusNote,
} from '../order-view.js';

const root = $('#order-root');
const q = params();
const justPlaced = q.get('placed') === '1';
// Back from the card payment page (our return_url, or Stripe's own query parameters).
const backFromPayment = q.get('paid') === '1' || q.has('payment_intent') || q.has('redirect_status');
const link = orderLink();
let bank = null; // config.json's bankTransfer, if the store set one
let expiryReloaded = false;

function countryName(code) {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

function addressLines(s) {
  if (!s) return [];
  return [s.name, s.line1, s.line2, [s.postal_code, s.city].filter(Boolean).join(' '), s.country && countryName(s.country)].filter(Boolean);
}

function minor(money) {
  return money ? Number(money.amount_minor) || 0 : 0;
}

/** How to pay a pending order: the transfer instructions, or the way to the card payment page. */
function payInstructions(order) {
  const p = order.payment;
  if (order.status !== 'pending' || !p) return null;
  // At the end of the hold, look again once (the store releases the order within a minute).
  const hold = reservationNote(order, {
    onExpired: () => {
      if (expiryReloaded) return;
      expiryReloaded = true;
      window.setTimeout(reload, 5000);
    },
  });
  if (p.provider === 'manual') {
    const account = bank ? h('dl', { class: 'bank-details', 'data-testid': 'bank-details' },
      [['payee', 'Account holder'], ['iban', 'IBAN'], ['bic', 'BIC']].filter(([k]) => bank[k])
        .map(([k, label]) => h('div', null, h('dt', null, label), h('dd', null, String(bank[k]))))) : null;
    return h('section', { class: 'panel pay-panel', 'aria-labelledby': 'pay-heading', 'data-testid': 'transfer-instructions' },
      h('h2', { id: 'pay-heading' }, 'How to pay'),
      h('p', { class: 'pay-instruction' }, 'Transfer ', h('strong', { 'data-testid': 'transfer-amount' }, formatMoney(p.amount)),
        bank ? ' to the account below' : ' to our bank account', ', quoting the reference ',
        h('strong', { class: 'payment-reference', 'data-testid': 'payment-reference' }, p.reference), '.'),
      account,
      hold,
      h('p', { class: 'note' }, 'We confirm your order by e-mail as soon as the transfer arrives.'));
  }
  const check = h('button', { type: 'button', class: 'button button-secondary', 'data-testid': 'check-payment' }, 'I have paid: check again');
  const said = h('p', { class: 'note', role: 'status' });
  check.addEventListener('click', async () => {
    check.disabled = true;
    said.textContent = 'Asking the payment service…';
    try {
      const updated = await link.refresh();
      if (updated.status === 'pending') {
        said.textContent = 'We have not received the payment yet.';
        check.disabled = false;
      } else {
        render(updated, updated.status === 'paid' ? 'Payment received. Thank you.' : '');
      }
    } catch (err) {
      said.textContent = problemMessage(err);
      check.disabled = false;
    }
  });
  return h('section', { class: 'panel pay-panel', 'aria-labelledby': 'pay-heading', 'data-testid': 'card-payment' },
    h('h2', { id: 'pay-heading' }, 'Pay by card'),
    p.state === 'failed' ? h('p', { class: 'is-error' }, 'The last card payment did not go through. You can try again.') : null,
    hold,
    h('div', { class: 'order-actions' },
      h('a', { class: 'button button-primary', href: link.pageUrl('pay.html'), 'data-testid': 'pay-link' }, `Pay ${formatMoney(p.amount)}`),
      check),
    said);
}

/** The payment record: method, state, reference, amounts. */
function paymentFacts(order) {
  const p = order.payment;
  if (!p) return null;
  return h('dl', { class: 'order-card-facts payment-facts', 'data-testid': 'payment-facts' },
    h('div', null, h('dt', null, 'Payment'), h('dd', { 'data-testid': 'payment-provider' }, providerLabel(p.provider))),
    h('div', null, h('dt', null, 'State'), h('dd', { 'data-testid': 'payment-state' }, paymentStateLabel(p.state))),
    h('div', null, h('dt', null, 'Reference'), h('dd', null, p.reference)),
    minor(p.refunded) ? h('div', null, h('dt', null, 'Refunded'), h('dd', { 'data-testid': 'payment-refunded' }, formatMoney(p.refunded))) : null);
}

function render(order, notice) {
  document.title = `Order ${order.number} · Watchstore`;
  const message = notice
    ? h('div', { class: 'alert alert-success', role: 'status', 'data-testid': 'order-message' }, h('p', null, notice))
    : h('div', { hidden: true, 'data-testid': 'order-message' });
  const actions = h('div', { class: 'order-actions' });
  const rerender = (updated) => {
    render(updated, `Order ${updated.number} is cancelled.`);
    announce(`Order ${updated.number} is now ${updated.status}.`);
  };
  if (cancellable(order)) actions.append(cancelControl(order, { onDone: rerender, messageEl: message, cancel: link.cancel }));
  const history = link.guest
    ? h('p', { class: 'note', 'data-testid': 'guest-order-note' }, 'Keep the link to this page private: it opens your order without an account. ',
      'Sign in or register with ', h('strong', null, order.email || 'your e-mail address'),
      ' (and confirm the address) to see this order in your order history.')
    : h('p', null, h('a', { href: 'orders.html' }, 'All your orders'));

  replace(root,
    justPlaced ? h('div', { class: 'confirmation', 'data-testid': 'order-confirmation' },
      h('img', { src: 'img/check.svg', alt: '', width: '48', height: '48' }),
      h('div', null,
        h('h1', { tabindex: '-1', id: 'order-heading' }, 'Thank you. Your order is placed.'),
        h('p', null, 'Order number ', h('strong', { 'data-testid': 'order-number' }, order.number), '. ',
          link.guest ? `We sent the link to this page to ${order.email || 'your e-mail address'}.`
            : ['You can follow it in ', h('a', { href: 'orders.html' }, 'your orders'), '.'])))
      : h('h1', { tabindex: '-1', id: 'order-heading' }, 'Order ', h('span', { 'data-testid': 'order-number' }, order.number)),
    message,
    payInstructions(order),
    h('div', { class: 'order-layout' },
      h('section', { class: 'panel', 'aria-labelledby': 'items-heading' },
        h('div', { class: 'order-head' },
          h('h2', { id: 'items-heading' }, 'Items'),
          statusBadge(order.status)),
        h('p', { class: 'status-note' }, statusNote(order.status)),
        paymentFacts(order),
        h('ul', { class: 'order-lines' }, (order.lines || []).map((line) => h('li', { class: 'order-line' },
          h('div', null,
            h('p', { class: 'order-line-title' }, h('a', { href: `product.html?id=${line.product_id}&variant=${line.variant_id}` }, line.title || line.sku)),
            h('p', { class: 'order-line-meta' }, `${line.quantity} × ${formatMoney(line.unit_price)} · Ref. ${line.sku}`,
              line.refunded_quantity ? ` · ${line.refunded_quantity} refunded` : '')),
          h('p', { class: 'order-line-total' }, formatMoney(line.line_total))))),
        h('dl', { class: 'totals' },
          h('div', { class: 'totals-grand' }, h('dt', null, 'Total'), h('dd', { 'data-testid': 'order-total' }, formatMoney(order.total))),
          minor(order.refund_due) ? h('div', null, h('dt', null, 'Refund on its way'), h('dd', null, formatMoney(order.refund_due))) : null),
        actions),
      h('aside', { class: 'panel', 'aria-labelledby': 'ship-heading' },
        h('h2', { id: 'ship-heading' }, 'Shipping to'),
        h('address', null, addressLines(order.shipping).map((l) => h('span', { class: 'address-line' }, l))),
        h('h2', null, 'Placed'),
        h('p', null, h('time', { datetime: order.created_at }, formatDate(order.created_at))),
        history)));
  root.setAttribute('aria-busy', 'false');
}

async function reload() {
  try {
    render(await link.load());
  } catch (err) {
    showError(err);
  }
}

/** Back from the card payment page: the store asks the provider (never trusts the browser). */
async function afterPayment() {
  let order;
  try {
    order = await link.refresh();
  } catch (err) {
    order = await link.load();
    render(order, '');
    announce(problemMessage(err));
    return order;
  }
  const failed = q.get('redirect_status') === 'failed';
  render(order, order.status === 'paid' ? 'Payment received. Thank you.'
    : failed ? 'The card payment did not go through. You can try again.'
      : order.status === 'pending' ? 'We are waiting for the card payment to be confirmed. This can take a moment.' : '');
  return order;
}

async function main() {
  const user = await initLayout('order');
  if (!link) {
    if (!requireSignIn(user, `order.html${window.location.search}`)) return;
    showMissing();
    return;
  }
  if (!link.guest && !requireSignIn(user, `order.html${window.location.search}`)) return;
  bank = (await loadConfig()).bankTransfer;
  try {
    const order = backFromPayment ? await afterPayment() : await link.load();
    if (!backFromPayment) render(order);
    if (justPlaced) {
      $('#order-heading').focus();
      announce(`Thank you. Order ${order.number} is placed.`);
    }
  } catch (err) {
    showError(err);
  }
}

function showError(err) {
  if (err instanceof ApiError && err.status === 404) {
    showMissing();
    return;
  }
  root.setAttribute('aria-busy', 'false');
  replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))));
}

function showMissing() {
  root.setAttribute('aria-busy', 'false');
  replace(root, h('div', { class: 'empty-state' },
    h('h1', null, 'Order not found'),
    h('p', null, link && link.guest ? 'This order link does not open an order. Check that you copied the whole link from your e-mail.'
      : 'We could not find this order in your account.'),
    link && link.guest ? h('a', { class: 'button button-primary', href: 'index.html' }, 'Browse watches')
      : h('a', { class: 'button button-primary', href: 'orders.html' }, 'Your orders')));
}

// Another order link pasted into this tab changes only the fragment: load that order.
window.addEventListener('hashchange', () => window.location.reload());
main();
