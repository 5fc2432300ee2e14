// Order history with status, and cancel for pending or paid orders.
import { api, problemMessage, query } from '../api.js';
import { $, h, replace, params, formatDate } from '../dom.js';
import { formatMoney } from '../money.js';
import { announce, initLayout, requireSignIn } from '../layout.js';
import { cancelControl, cancellable, statusBadge } from '../order-view.js';

const PAGE_SIZE = 10;
const root = $('#orders-root');
const before = /^\d+$/.test(params().get('before') || '') ? params().get('before') : '';

function itemCount(order) {
  return (order.lines || []).reduce((n, l) => n + (Number(l.quantity) || 0), 0);
}

function row(order) {
  const message = h('div', { hidden: true });
  const li = h('li', { class: 'order-card panel', 'data-testid': 'order-row', 'data-order-id': order.id });
  const fill = (o) => {
    const n = itemCount(o);
    replace(li,
      h('div', { class: 'order-card-head' },
        h('h2', { class: 'order-card-title' }, h('a', { href: `order.html?id=${encodeURIComponent(o.id)}` }, 'Order ', o.number)),
        statusBadge(o.status)),
      h('dl', { class: 'order-card-facts' },
        h('div', null, h('dt', null, 'Placed'), h('dd', null, h('time', { datetime: o.created_at }, formatDate(o.created_at)))),
        h('div', null, h('dt', null, 'Items'), h('dd', null, String(n))),
        h('div', null, h('dt', null, 'Total'), h('dd', { 'data-testid': 'order-total' }, formatMoney(o.total)))),
      h('p', { class: 'order-card-lines' }, (o.lines || []).map((l) => `${l.quantity} × ${l.title || l.sku}`).join(', ')),
      message,
      h('div', { class: 'order-actions' },
        h('a', { class: 'button button-secondary button-small', href: `order.html?id=${encodeURIComponent(o.id)}` }, 'View details',
          h('span', { class: 'visually-hidden' }, ` of order ${o.number}`)),
        cancellable(o) ? cancelControl(o, {
          messageEl: message,
          onDone: (updated) => {
            fill(updated);
            announce(`Order ${updated.number} is now cancelled.`);
            const heading = li.querySelector('a');
            if (heading) heading.focus();
          },
        }) : null));
  };
  fill(order);
  return li;
}

async function main() {
  const user = await initLayout('orders');
  if (!requireSignIn(user, `orders.html${window.location.search}`)) return;
  let page;
  try {
    page = await api(`/orders${query({ limit: PAGE_SIZE, before })}`);
  } catch (err) {
    root.setAttribute('aria-busy', 'false');
    replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))));
    return;
  }
  root.setAttribute('aria-busy', 'false');
  const items = (page && page.items) || [];
  if (!items.length) {
    replace(root, h('div', { class: 'empty-state', 'data-testid': 'orders-empty' },
      h('p', { class: 'empty-title' }, before ? 'No older orders.' : 'You have not placed any orders yet.'),
      h('a', { class: 'button button-primary', href: before ? 'orders.html' : 'index.html' }, before ? 'Newest orders' : 'Browse watches')));
    return;
  }
  const nav = [];
  if (before) nav.push(h('a', { class: 'button button-secondary', href: 'orders.html' }, 'Newest orders'));
  if (page.next_before) nav.push(h('a', { class: 'button button-secondary', href: `orders.html?before=${encodeURIComponent(page.next_before)}`, rel: 'next' }, 'Older orders'));
  replace(root,
    h('ul', { class: 'order-list', 'data-testid': 'order-list' }, items.map(row)),
    nav.length ? h('nav', { class: 'pager', 'aria-label': 'Pages of orders' }, nav) : null);
}

main();
