// Shared pieces of the order pages: status badges and the two-step cancel.
import { api, problemMessage } from './api.js';
import { h, replace } from './dom.js';

const STATUS = {
  pending: { label: 'Pending payment', note: 'We have reserved your watches and are waiting for payment.' },
  paid: { label: 'Paid', note: 'Payment received. We are preparing your parcel.' },
  shipped: { label: 'Shipped', note: 'Your parcel is on its way.' },
  delivered: { label: 'Delivered', note: 'Delivered. Enjoy your watch.' },
  cancelled: { label: 'Cancelled', note: 'This order was cancelled and nothing will be charged.' },
};

export function statusLabel(status) {
  return (STATUS[status] && STATUS[status].label) || status;
}
export function statusNote(status) {
  return (STATUS[status] && STATUS[status].note) || '';
}

export function statusBadge(status) {
  return h('span', { class: `status-badge status-${status}`, 'data-testid': 'order-status' }, statusLabel(status));
}

// Buyers cancel only unpaid orders; a paid one is cancelled by the store
// (which then owes a refund).
export function cancellable(order) {
  return order.status === 'pending';
}

/**
 * A "Cancel order" button that asks for confirmation inline, then calls the API.
 * onDone(order) gets the updated order; messages go to `messageEl` (role=status/alert).
 */
export function cancelControl(order, { onDone, messageEl }) {
  const wrap = h('div', { class: 'cancel-control' });
  const start = h('button', { type: 'button', class: 'button button-danger-ghost button-small', 'data-testid': 'cancel-order' },
    'Cancel order', h('span', { class: 'visually-hidden' }, ` ${order.number}`));
  const showStart = () => {
    replace(wrap, start);
  };
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'button button-danger button-small', 'data-testid': 'confirm-cancel' }, `Yes, cancel ${order.number}`);
    const no = h('button', { type: 'button', class: 'button button-ghost button-small' }, 'Keep order');
    replace(wrap, h('p', { class: 'cancel-question' }, 'Cancel this order?'), yes, no);
    yes.focus();
    no.addEventListener('click', () => {
      showStart();
      start.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      yes.textContent = 'Cancelling…';
      try {
        const updated = await api(`/orders/${encodeURIComponent(order.id)}/cancel`, { method: 'POST' });
        if (messageEl) {
          messageEl.className = 'alert alert-success';
          messageEl.setAttribute('role', 'status');
          messageEl.hidden = false;
          replace(messageEl, h('p', null, `Order ${order.number} is cancelled.`));
        }
        onDone(updated);
      } catch (err) {
        if (messageEl) {
          messageEl.className = 'alert alert-error';
          messageEl.setAttribute('role', 'alert');
          messageEl.hidden = false;
          replace(messageEl, h('p', null, problemMessage(err)));
        }
        showStart();
        start.focus();
      }
    });
  });
  showStart();
  return wrap;
}
