// One order: the confirmation after checkout, and the order detail page.
import { api, ApiError, problemMessage } from '../api.js';
import { $, h, replace, params, formatDate } from '../dom.js';
import { formatMoney } from '../money.js';
import { announce, initLayout, requireSignIn } from '../layout.js';
import { cancelControl, cancellable, statusBadge, statusNote } from '../order-view.js';

const root = $('#order-root');
const q = params();
const orderId = q.get('id');
const justPlaced = q.get('placed') === '1';

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
  if (cancellable(order)) actions.append(cancelControl(order, { onDone: rerender, messageEl: message }));

  replace(root,
    justPlaced ? h('div', { class: 'confirmation', 'data-testid': 'order-confirmation' },
      h('img', { src: 'img/check.svg', alt: '', width: '48', height: '48' }),
      h('div', null,
        h('h1', { tabindex: '-1', id: 'order-heading' }, 'Thank you. Your order is placed.'),
        h('p', null, 'Order number ', h('strong', { 'data-testid': 'order-number' }, order.number), '. You can follow it in ',
          h('a', { href: 'orders.html' }, 'your orders'), '.')))
      : h('h1', { tabindex: '-1', id: 'order-heading' }, 'Order ', h('span', { 'data-testid': 'order-number' }, order.number)),
    message,
    h('div', { class: 'order-layout' },
      h('section', { class: 'panel', 'aria-labelledby': 'items-heading' },
        h('div', { class: 'order-head' },
          h('h2', { id: 'items-heading' }, 'Items'),
          statusBadge(order.status)),
        h('p', { class: 'status-note' }, statusNote(order.status)),
        h('ul', { class: 'order-lines' }, (order.lines || []).map((line) => h('li', { class: 'order-line' },
          h('div', null,
            h('p', { class: 'order-line-title' }, h('a', { href: `product.html?id=${line.product_id}&variant=${line.variant_id}` }, line.title || line.sku)),
            h('p', { class: 'order-line-meta' }, `${line.quantity} × ${formatMoney(line.unit_price)} · Ref. ${line.sku}`)),
          h('p', { class: 'order-line-total' }, formatMoney(line.line_total))))),
        h('dl', { class: 'totals' },
          h('div', { class: 'totals-grand' }, h('dt', null, 'Total'), h('dd', { 'data-testid': 'order-total' }, formatMoney(order.total)))),
        actions),
      h('aside', { class: 'panel', 'aria-labelledby': 'ship-heading' },
        h('h2', { id: 'ship-heading' }, 'Shipping to'),
        h('address', null, addressLines(order.shipping).map((l) => h('span', { class: 'address-line' }, l))),
        h('h2', null, 'Placed'),
        h('p', null, h('time', { datetime: order.created_at }, formatDate(order.created_at))),
        h('p', null, h('a', { href: 'orders.html' }, 'All your orders')))));
  root.setAttribute('aria-busy', 'false');
}

async function main() {
  const user = await initLayout('order');
  if (!requireSignIn(user, `order.html${window.location.search}`)) return;
  if (!orderId || !/^\d+$/.test(orderId)) {
    showMissing();
    return;
  }
  try {
    const order = await api(`/orders/${encodeURIComponent(orderId)}`);
    render(order);
    if (justPlaced) {
      $('#order-heading').focus();
      announce(`Thank you. Order ${order.number} is placed.`);
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) showMissing();
    else {
      root.setAttribute('aria-busy', 'false');
      replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))));
    }
  }
}

function showMissing() {
  root.setAttribute('aria-busy', 'false');
  replace(root, h('div', { class: 'empty-state' },
    h('h1', null, 'Order not found'),
    h('p', null, 'We could not find this order in your account.'),
    h('a', { class: 'button button-primary', href: 'orders.html' }, 'Your orders')));
}

main();
