// Shared pieces of the order pages: where the order comes from (account or
// guest link), status badges, payment words, the reservation countdown and the
// two-step cancel.
import { api, problemMessage } from './api.js';
import { h, replace, params, formatDate } from './dom.js';

const STATUS = {
  pending: { label: 'Pending payment', note: 'We have reserved your watches and are waiting for payment.' },
  paid: { label: 'Paid', note: 'Payment received. We are preparing your parcel.' },
  shipped: { label: 'Shipped', note: 'Your parcel is on its way.' },
  delivered: { label: 'Delivered', note: 'Delivered. Enjoy your watch.' },
  cancelled: { label: 'Cancelled', note: 'This order was cancelled and nothing will be charged.' },
  expired: { label: 'Expired', note: 'This order was not paid in time: its watches went back on sale and nothing was charged.' },
  refunded: { label: 'Refunded', note: 'This order was refunded in full.' },
};

const PROVIDERS = { manual: 'Bank transfer', stripe: 'Card' };
const PAYMENT_STATES = {
  requires_action: 'Awaiting payment',
  authorized: 'Authorized',
  captured: 'Received',
  refunded: 'Refunded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function providerLabel(provider) {
  return PROVIDERS[provider] || provider || '';
}
export function paymentStateLabel(state) {
  return PAYMENT_STATES[state] || (state ? String(state).replace(/_/g, ' ') : '');
}

const RETURN_KEY = 'ws.pay.return';

/**
 * The order this page shows: ?id=N for a signed-in buyer, or #token=... for a guest's order
 * link. The token stays in the URL fragment: it is never sent to the server in a URL (only in
 * the X-Order-Token header) and never reaches a log. Null when the page names no order.
 */
export function orderLink() {
  let token = new URLSearchParams(window.location.hash.slice(1)).get('token') || '';
  const id = params().get('id') || '';
  if (!token && !id && params().has('payment_intent')) {
    // Back from a card payment whose redirect lost the fragment: the tab remembers the link.
    try {
      token = sessionStorage.getItem(RETURN_KEY) || '';
    } catch {
      token = '';
    }
  }
  if (token && /^[A-Za-z0-9_-]{1,256}$/.test(token)) {
    const headers = { 'X-Order-Token': token };
    return {
      guest: true,
      load: () => api('/guest-order', { headers }),
      cancel: () => api('/guest-order/cancel', { method: 'POST', headers }),
      refresh: () => api('/guest-order/payment/refresh', { method: 'POST', headers }),
      /** pageUrl('pay.html', {a: 1}) -> "pay.html?a=1#token=..." */
      pageUrl: (page, query = {}) => `${page}${search(query)}#token=${token}`,
      rememberForReturn: () => {
        try {
          sessionStorage.setItem(RETURN_KEY, token);
        } catch {
          // the fragment normally survives the redirect
        }
      },
    };
  }
  if (/^\d+$/.test(id)) {
    const path = `/orders/${encodeURIComponent(id)}`;
    return {
      guest: false,
      load: () => api(path),
      cancel: () => api(`${path}/cancel`, { method: 'POST' }),
      refresh: () => api(`${path}/payment/refresh`, { method: 'POST' }),
      pageUrl: (page, query = {}) => `${page}${search({ id, ...query })}`,
      rememberForReturn: () => {},
    };
  }
  return null;
}

function search(query) {
  const s = new URLSearchParams(query).toString();
  return s ? `?${s}` : '';
}

/** "2 days 3 h", "1 h 5 min", "4 min 09 s"; "" once past. */
export function timeLeft(ms) {
  if (!(ms > 0)) return '';
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return `${days} day${days === 1 ? '' : 's'} ${hours} h`;
  if (hours) return `${hours} h ${minutes} min`;
  return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * While an order is pending: "We hold your watches until <time> (<countdown> left)." The
 * countdown ticks every second; at zero it says the hold has run out and calls onExpired once.
 */
export function reservationNote(order, { onExpired } = {}) {
  if (order.status !== 'pending' || !order.reserved_until) return null;
  const until = new Date(order.reserved_until);
  if (Number.isNaN(until.getTime())) return null;
  const left = h('strong', { 'data-testid': 'reserved-countdown' });
  const note = h('p', { class: 'reservation-note', 'data-testid': 'reservation-note' },
    'We hold your watches until ', h('time', { datetime: order.reserved_until }, formatDate(order.reserved_until)),
    ' (', left, ' left). If the payment has not arrived by then, the order expires and they go back on sale.');
  let shown = false;
  let timer = 0;
  const tick = () => {
    if (note.isConnected) shown = true;
    else if (shown) {
      window.clearInterval(timer); // the page re-rendered without this note
      return;
    }
    const text = timeLeft(until.getTime() - Date.now());
    if (text) {
      left.textContent = text;
      return;
    }
    window.clearInterval(timer);
    replace(note, 'The time to pay for this order has run out: it is being released.');
    if (onExpired) onExpired();
  };
  timer = window.setInterval(tick, 1000);
  tick();
  return note;
}

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
 * A "Cancel order" button that asks for confirmation inline, then calls the API (`cancel`,
 * by default the signed-in buyer's cancel of this order; a guest page passes its own).
 * onDone(order) gets the updated order; messages go to `messageEl` (role=status/alert).
 */
export function cancelControl(order, { onDone, messageEl, cancel }) {
  const cancelOrder = cancel || (() => api(`/orders/${encodeURIComponent(order.id)}/cancel`, { method: 'POST' }));
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
        const updated = await cancelOrder();
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
