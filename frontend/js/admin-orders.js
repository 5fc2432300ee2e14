// Staff page, orders view (admin.html?view=orders): every order with its payment (provider,
// state, reference), what is owed back (refund_due) and how long an unpaid one is held; staff
// record a manual payment (status paid) and refund lines (per line quantity, restock or not)
// or everything that is left.
import { api, problemMessage, query } from './api.js';
import { h, replace, params, formatDate } from './dom.js';
import { formatMoney } from './money.js';
import { paymentStateLabel, providerLabel, statusBadge, statusLabel } from './order-view.js';

const PAGE_SIZE = 20;
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'expired', 'refunded'];
const REFUNDABLE = new Set(['paid', 'shipped', 'delivered']);

function minor(money) {
  return money ? Number(money.amount_minor) || 0 : 0;
}

function left(line) {
  return (Number(line.quantity) || 0) - (Number(line.refunded_quantity) || 0);
}

function say(el, text, ok) {
  el.className = `admin-order-message ${ok ? 'is-ok' : 'is-error'}`;
  el.setAttribute('role', ok ? 'status' : 'alert');
  el.textContent = text;
}

/** The manual payment: pending (or expired, revived if its stock is still there) -> paid. */
function recordPaymentControl(order, fill, message) {
  const p = order.payment;
  if (!p || p.provider !== 'manual' || !['pending', 'expired'].includes(order.status)) return null;
  const button = h('button', { type: 'button', class: 'button button-primary button-small', 'data-testid': 'record-payment' },
    'Record payment received', h('span', { class: 'visually-hidden' }, ` for ${order.number}`));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const updated = await api(`/admin/orders/${order.id}/status`, { method: 'POST', body: { status: 'paid' } });
      fill(updated);
      say(message(), `Payment of ${formatMoney(p.amount)} recorded: ${updated.number} is ${statusLabel(updated.status).toLowerCase()}.`, true);
    } catch (err) {
      say(message(), problemMessage(err), false);
      button.disabled = false;
    }
  });
  return button;
}

/** Per line: how many to refund (up to what is left); restock; "Refund selected" / "Refund everything". */
function refundForm(order, fill, message) {
  if (!REFUNDABLE.has(order.status) || !(order.lines || []).some((l) => left(l) > 0)) return null;
  const inputs = [];
  const rows = order.lines.map((line) => {
    const remaining = left(line);
    const input = h('input', {
      type: 'number', min: '0', max: String(remaining), step: '1', value: '0', inputmode: 'numeric',
      id: `refund-${order.id}-${line.variant_id}`, class: 'refund-quantity', 'data-testid': 'refund-quantity',
      'data-variant-id': line.variant_id, disabled: remaining <= 0,
    });
    inputs.push({ input, line, remaining });
    return h('li', { class: 'refund-line' },
      h('label', { for: input.id }, `${line.title || line.sku} (${line.sku}): refund`), input,
      h('span', { class: 'note' }, ` of ${remaining} left`));
  });
  const restock = h('input', { type: 'checkbox', id: `restock-${order.id}`, checked: true, 'data-testid': 'refund-restock' });
  const some = h('button', { type: 'submit', class: 'button button-secondary button-small', 'data-testid': 'refund-selected' }, 'Refund selected');
  const all = h('button', { type: 'button', class: 'button button-danger-ghost button-small', 'data-testid': 'refund-all' }, 'Refund everything');
  const form = h('form', { class: 'refund-form', novalidate: true, 'data-testid': 'refund-form' },
    h('fieldset', null,
      h('legend', null, 'Refund'),
      h('ul', { class: 'refund-lines' }, rows),
      h('div', { class: 'field field-check' }, restock, h('label', { for: restock.id }, 'Put the refunded watches back in stock')),
      h('div', { class: 'order-actions' }, some, all)));
  const send = async (body, button) => {
    some.disabled = true;
    all.disabled = true;
    try {
      const updated = await api(`/admin/orders/${order.id}/refunds`, { method: 'POST', body: { ...body, restock: restock.checked } });
      fill(updated);
      say(message(), `Refunded. ${updated.number} is ${statusLabel(updated.status).toLowerCase()}`
        + `${minor(updated.refund_due) ? `; ${formatMoney(updated.refund_due)} is still to be paid back by the provider` : ''}.`, true);
    } catch (err) {
      say(message(), problemMessage(err), false);
      some.disabled = false;
      all.disabled = false;
      button.focus();
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const lines = [];
    for (const { input, line, remaining } of inputs) {
      const raw = input.value.trim();
      if (raw === '' || raw === '0' || input.disabled) continue;
      if (!/^\d+$/.test(raw) || Number(raw) > remaining) {
        say(message(), `Enter a whole number from 0 to ${remaining} for ${line.sku}.`, false);
        input.focus();
        return;
      }
      lines.push({ variant_id: line.variant_id, quantity: Number(raw) });
    }
    if (!lines.length) {
      say(message(), 'Enter how many of a line to refund, or refund everything.', false);
      if (inputs[0]) inputs[0].input.focus();
      return;
    }
    send({ lines }, some);
  });
  all.addEventListener('click', () => send({}, all));
  return form;
}

function orderCard(order) {
  const li = h('li', { class: 'order-card panel admin-order', 'data-testid': 'admin-order', 'data-order-id': order.id });
  let messageEl = null;
  const message = () => messageEl;
  const fill = (o) => {
    const p = o.payment;
    messageEl = h('p', { class: 'admin-order-message', role: 'status', 'data-testid': 'admin-order-message' });
    replace(li,
      h('div', { class: 'order-card-head' },
        h('h2', { class: 'order-card-title' }, 'Order ', h('span', { 'data-testid': 'order-number' }, o.number)),
        statusBadge(o.status)),
      h('dl', { class: 'order-card-facts' },
        h('div', null, h('dt', null, 'Placed'), h('dd', null, h('time', { datetime: o.created_at }, formatDate(o.created_at)))),
        h('div', null, h('dt', null, 'Buyer'), h('dd', null, o.guest ? `Guest · ${o.email || ''}` : (o.email || 'Account'))),
        h('div', null, h('dt', null, 'Total'), h('dd', { 'data-testid': 'order-total' }, formatMoney(o.total))),
        h('div', null, h('dt', null, 'Payment'), h('dd', { 'data-testid': 'payment-summary' },
          p ? `${providerLabel(p.provider)} · ${paymentStateLabel(p.state)}` : 'Not recorded')),
        p ? h('div', null, h('dt', null, 'Reference'), h('dd', { 'data-testid': 'payment-reference' }, p.reference)) : null,
        p && minor(p.refunded) ? h('div', null, h('dt', null, 'Refunded'), h('dd', { 'data-testid': 'payment-refunded' }, formatMoney(p.refunded))) : null,
        minor(o.refund_due) ? h('div', null, h('dt', null, 'Refund due'), h('dd', { class: 'is-warning', 'data-testid': 'refund-due' }, formatMoney(o.refund_due))) : null,
        o.status === 'pending' && o.reserved_until ? h('div', null, h('dt', null, 'Reserved until'),
          h('dd', { 'data-testid': 'reserved-until' }, h('time', { datetime: o.reserved_until }, formatDate(o.reserved_until)))) : null),
      h('ul', { class: 'order-card-lines admin-order-lines' }, (o.lines || []).map((l) => h('li', { 'data-testid': 'admin-order-line', 'data-variant-id': l.variant_id },
        `${l.quantity} × ${l.title || l.sku} (${l.sku}) · ${formatMoney(l.line_total)}`,
        l.refunded_quantity ? h('span', { 'data-testid': 'line-refunded' }, ` · ${l.refunded_quantity} refunded`) : null))),
      h('div', { class: 'order-actions' }, recordPaymentControl(o, fill, message)),
      refundForm(o, fill, message),
      messageEl);
  };
  fill(order);
  return li;
}

export async function showOrders(root) {
  const status = STATUSES.includes(params().get('status')) ? params().get('status') : '';
  const filter = h('select', { id: 'order-status-filter', name: 'status' },
    h('option', { value: '' }, 'All orders'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, statusLabel(s))));
  filter.addEventListener('change', () => {
    window.location.assign(`admin.html${query({ view: 'orders', status: filter.value })}`);
  });
  const list = h('ul', { class: 'order-list', 'data-testid': 'admin-orders' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true }, 'Older orders');
  const summary = h('p', { class: 'results-summary', role: 'status' }, 'Loading orders…');
  replace(root, h('section', { class: 'admin-orders', 'aria-labelledby': 'orders-heading' },
    h('div', { class: 'admin-list-head' }, h('h2', { id: 'orders-heading' }, 'Orders')),
    h('div', { class: 'field' }, h('label', { for: filter.id }, 'Show'), filter),
    summary, list, more));
  root.setAttribute('aria-busy', 'false');
  let before = '';
  let count = 0;
  const loadPage = async () => {
    more.disabled = true;
    try {
      const page = await api(`/admin/orders${query({ limit: PAGE_SIZE, status, before })}`);
      for (const o of page.items || []) list.append(orderCard(o));
      count += (page.items || []).length;
      before = page.next_before ? String(page.next_before) : '';
      more.hidden = !before;
      summary.textContent = count ? `${count} order${count === 1 ? '' : 's'}.` : 'No orders yet.';
    } catch (err) {
      summary.textContent = problemMessage(err);
      summary.setAttribute('role', 'alert');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', loadPage);
  await loadPage();
}
