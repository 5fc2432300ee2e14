// The page shell: header navigation, session state, cart count, flash and live messages.
import { api } from './api.js';
import { h, replace } from './dom.js';

let mePromise = null;

/** The signed-in user, or null for guests. */
export function currentUser({ refresh = false } = {}) {
  if (!mePromise || refresh) {
    mePromise = api('/auth/me')
      .then((u) => (u && u.user ? u.user : u) || null)
      .catch(() => null);
  }
  return mePromise;
}

const FLASH_KEY = 'ws.flash';

/** A message shown once at the top of the next page. */
export function setFlash(message, kind = 'success') {
  try {
    sessionStorage.setItem(FLASH_KEY, JSON.stringify({ message, kind }));
  } catch {
    // storage disabled: skip the message
  }
}

function takeFlash() {
  try {
    const raw = sessionStorage.getItem(FLASH_KEY);
    sessionStorage.removeItem(FLASH_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** Says `message` to screen readers (polite live region). */
export function announce(message) {
  const live = document.getElementById('live-region');
  if (!live) return;
  live.textContent = '';
  // A fresh text node after a tick makes repeated messages announced again.
  window.setTimeout(() => {
    live.textContent = message;
  }, 50);
}

/** Updates the cart badge in the header. */
export function setCartCount(count) {
  const n = Number(count) || 0;
  for (const badge of document.querySelectorAll('[data-cart-count]')) badge.textContent = String(n);
  for (const label of document.querySelectorAll('[data-cart-label]')) {
    label.textContent = `, ${n} item${n === 1 ? '' : 's'}`;
  }
}

export async function refreshCartCount() {
  try {
    const cart = await api('/cart');
    setCartCount(cart && cart.item_count);
    return cart;
  } catch {
    return null;
  }
}

function navLink(href, text, current, attrs = {}) {
  return h('a', { href, 'aria-current': current ? 'page' : null, ...attrs }, text);
}

function logo() {
  return h('a', { class: 'logo', href: '/index.html' },
    h('img', { src: '/img/logo.svg', alt: '', width: '32', height: '32' }),
    h('span', { class: 'logo-text' }, 'Watchstore'));
}

/**
 * Builds the header and footer, then fills in who is signed in and the cart count.
 * `page` marks the current nav entry. Resolves with the current user (or null).
 */
export async function initLayout(page) {
  const header = document.getElementById('site-header');
  const cartLink = h('a', { class: 'cart-link', href: '/cart.html', 'aria-current': page === 'cart' ? 'page' : null, 'data-testid': 'cart-link' },
    h('img', { src: '/img/bag.svg', alt: '', width: '20', height: '20', class: 'cart-icon' }),
    h('span', null, 'Cart'),
    h('span', { class: 'cart-count', 'data-cart-count': '', 'aria-hidden': 'true' }, '0'),
    h('span', { class: 'visually-hidden', 'data-cart-label': '' }, ', 0 items'));
  const account = h('ul', { class: 'nav-list nav-account', 'data-testid': 'account-nav' });
  if (header) {
    replace(header,
      h('div', { class: 'header-inner container' },
        logo(),
        h('nav', { class: 'main-nav', 'aria-label': 'Main' },
          h('ul', { class: 'nav-list' },
            h('li', null, navLink('/index.html', 'Watches', page === 'catalog')),
            h('li', { 'data-when': 'user', hidden: true }, navLink('/orders.html', 'Orders', page === 'orders')),
            h('li', { 'data-when': 'user', hidden: true }, navLink('/account.html', 'Account', page === 'account')),
            h('li', { 'data-when': 'admin', hidden: true }, navLink('/admin.html', 'Admin', page === 'admin'))),
          account),
        cartLink));
  }
  const footer = document.getElementById('site-footer');
  if (footer) {
    replace(footer, h('div', { class: 'container footer-inner' },
      h('p', { class: 'footer-brand' }, 'Watchstore'),
      h('p', null, 'Free insured shipping · 30-day returns · Two-year warranty on every watch'),
      h('p', { class: 'footer-small' }, 'Prices include VAT where applicable.')));
  }

  const flash = takeFlash();
  const main = document.getElementById('main');
  if (flash && main) {
    main.prepend(h('div', { class: `alert alert-${flash.kind === 'error' ? 'error' : 'success'} flash`, role: 'status', 'data-testid': 'flash' },
      h('p', null, flash.message)));
  }

  const [user] = await Promise.all([currentUser(), refreshCartCount()]);
  if (header) {
    for (const li of header.querySelectorAll('[data-when]')) {
      const when = li.dataset.when;
      li.hidden = !(user && (when === 'user' || (when === 'admin' && user.role === 'admin')));
    }
    if (user) {
      const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
      signOut.addEventListener('click', async () => {
        signOut.disabled = true;
        try {
          await api('/auth/logout', { method: 'POST' });
        } catch {
          // already signed out: fine
        }
        setFlash('You are signed out.');
        window.location.href = '/index.html';
      });
      replace(account,
        h('li', { class: 'nav-user' }, h('span', { class: 'visually-hidden' }, 'Signed in as '), h('span', { class: 'user-email', 'data-testid': 'user-email' }, user.email)),
        h('li', null, signOut));
    } else {
      replace(account,
        h('li', null, navLink('/login.html', 'Sign in', page === 'login')),
        h('li', null, navLink('/register.html', 'Register', page === 'register')));
    }
  }
  return user;
}

/** For pages that need a signed-in user: sends guests to the sign-in page. */
export function requireSignIn(user, next) {
  if (user) return true;
  window.location.replace(`/login.html?next=${encodeURIComponent(next)}`);
  return false;
}
