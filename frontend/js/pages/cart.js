// Cart: change quantities, remove lines, see totals.
import { api, problemMessage } from '../api.js';
import { describeProblem } from '../forms.js';
import { $, h, replace, watchImage, loadingBlock } from '../dom.js';
import { formatMoney } from '../money.js';
import { announce, currentUser, initLayout, setCartCount } from '../layout.js';

const root = $('#cart-root');
let cart = null;
let busy = false;

function lineTitle(line) {
  return `${line.brand} ${line.model}`;
}

function variantText(line) {
  return [line.dial_color && `${line.dial_color} dial`, line.strap, line.size].filter(Boolean).join(' · ');
}

function lineProblem(line) {
  if (line.purchasable !== false) return null;
  if (!line.available) return 'Sold out. Remove it to check out.';
  if (line.quantity > line.available) return `Only ${line.available} available. Lower the quantity to check out.`;
  return 'No longer available. Remove it to check out.';
}

function renderLine(line) {
  const vid = line.variant_id;
  const title = lineTitle(line);
  const qtyId = `qty-${vid}`;
  const input = h('input', {
    type: 'number', id: qtyId, name: 'quantity', min: '0', max: '999', step: '1', inputmode: 'numeric',
    value: String(line.quantity), 'data-testid': 'line-quantity', 'aria-describedby': `line-msg-${vid}`,
  });
  const form = h('form', { class: 'qty-form', novalidate: true },
    h('label', { for: qtyId }, 'Quantity', h('span', { class: 'visually-hidden' }, ` of ${title}`)),
    h('div', { class: 'input-with-button' }, input,
      h('button', { type: 'submit', class: 'button button-secondary button-small', 'data-testid': 'update-quantity' },
        'Update', h('span', { class: 'visually-hidden' }, ` quantity of ${title}`))));
  const message = h('p', { class: 'line-message', id: `line-msg-${vid}`, 'data-testid': 'line-message' });
  const problem = lineProblem(line);
  if (problem) {
    message.textContent = problem;
    message.classList.add('is-warning');
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setQuantity(line, input, message);
  });
  input.addEventListener('change', () => setQuantity(line, input, message));
  const remove = h('button', { type: 'button', class: 'link-button remove-button', 'data-testid': 'remove-line', id: `remove-${vid}` },
    'Remove', h('span', { class: 'visually-hidden' }, ` ${title}`));
  remove.addEventListener('click', () => removeLine(line, message));

  return h('li', { class: `cart-line${problem ? ' has-problem' : ''}`, 'data-testid': 'cart-line', 'data-variant-id': vid, 'data-sku': line.sku },
    h('a', { class: 'cart-line-media', href: `${line.url}?variant=${vid}`, tabindex: '-1', 'aria-hidden': 'true' },
      watchImage(line.image_url, '', { width: '112', height: '112' })),
    h('div', { class: 'cart-line-info' },
      h('h3', { class: 'cart-line-title' }, h('a', { href: `${line.url}?variant=${vid}` }, title)),
      h('p', { class: 'cart-line-variant' }, variantText(line)),
      h('p', { class: 'cart-line-unit' }, `${formatMoney(line.unit_price)} each`)),
    h('div', { class: 'cart-line-controls' }, form, remove),
    h('p', { class: 'cart-line-total', 'data-testid': 'line-total' },
      h('span', { class: 'visually-hidden' }, 'Line total: '), formatMoney(line.line_total)),
    message);
}

function render(focusId) {
  root.setAttribute('aria-busy', 'false');
  setCartCount(cart.item_count);
  if (!cart.lines || !cart.lines.length) {
    replace(root, h('div', { class: 'empty-state', 'data-testid': 'cart-empty' },
      h('img', { src: 'img/bag.svg', alt: '', width: '64', height: '64' }),
      h('p', { class: 'empty-title' }, 'Your cart is empty.'),
      h('p', null, 'Find something you will wear for years.'),
      h('a', { class: 'button button-primary', href: 'index.html' }, 'Browse watches')));
    return;
  }
  const checkout = cart.purchasable === false
    ? h('p', { class: 'note is-warning' }, 'Some items cannot be bought as they are. Adjust them to check out.')
    : h('a', { class: 'button button-primary button-wide', href: 'checkout.html', 'data-testid': 'checkout-link' }, 'Check out');
  replace(root, h('div', { class: 'cart-layout' },
    h('section', { 'aria-labelledby': 'lines-heading' },
      h('h2', { id: 'lines-heading', class: 'visually-hidden' }, 'Items in your cart'),
      h('ul', { class: 'cart-lines', 'data-testid': 'cart-lines' }, cart.lines.map(renderLine))),
    h('aside', { class: 'panel order-summary', 'aria-labelledby': 'cart-summary-heading' },
      h('h2', { id: 'cart-summary-heading' }, 'Summary'),
      h('dl', { class: 'totals' },
        h('div', null, h('dt', null, 'Items'), h('dd', { 'data-testid': 'cart-item-count' }, String(cart.item_count))),
        h('div', null, h('dt', null, 'Shipping'), h('dd', null, 'Free')),
        h('div', { class: 'totals-grand' }, h('dt', null, 'Subtotal'), h('dd', { 'data-testid': 'cart-subtotal' }, formatMoney(cart.subtotal)))),
      checkout,
      h('a', { class: 'continue-link', href: 'index.html' }, 'Continue shopping'))));
  if (focusId) {
    const el = document.getElementById(focusId);
    if (el) el.focus();
  }
}

async function mutate(path, options, message, focusId) {
  if (busy) return;
  busy = true;
  root.setAttribute('aria-busy', 'true');
  try {
    cart = await api(path, options);
    render(focusId);
    announce(`${message} Subtotal ${formatMoney(cart.subtotal)}.`);
  } catch (err) {
    root.setAttribute('aria-busy', 'false');
    throw err;
  } finally {
    busy = false;
  }
}

async function setQuantity(line, input, message) {
  const raw = input.value.trim();
  if (!/^\d+$/.test(raw)) {
    message.textContent = 'Enter a whole number (0 removes the watch).';
    message.classList.add('is-error');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  const quantity = Number(raw);
  if (quantity === line.quantity) return;
  try {
    await mutate(`/cart/items/${line.variant_id}`, { method: 'PUT', body: { quantity } },
      quantity === 0 ? `${lineTitle(line)} removed.` : `Quantity of ${lineTitle(line)} is now ${quantity}.`,
      quantity === 0 ? 'main' : `qty-${line.variant_id}`);
  } catch (err) {
    message.textContent = describeProblem(err, 'Quantity');
    message.classList.add('is-error');
    message.setAttribute('role', 'alert');
    input.setAttribute('aria-invalid', 'true');
  }
}

async function removeLine(line, message) {
  try {
    await mutate(`/cart/items/${line.variant_id}`, { method: 'DELETE' }, `${lineTitle(line)} removed.`, 'main');
  } catch (err) {
    message.textContent = problemMessage(err);
    message.classList.add('is-error');
    message.setAttribute('role', 'alert');
  }
}

async function main() {
  initLayout('cart');
  try {
    cart = await api('/cart');
    render();
  } catch (err) {
    root.setAttribute('aria-busy', 'false');
    replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err)),
      h('button', { type: 'button', class: 'button button-secondary', onclick: () => { replace(root, loadingBlock('Loading your cart…')); main(); } }, 'Try again')));
  }
  const user = await currentUser();
  if (!user && cart && cart.lines && cart.lines.length) {
    const aside = root.querySelector('.order-summary');
    if (aside) aside.append(h('p', { class: 'note' }, 'You will sign in or create an account at checkout. Your cart comes with you.'));
  }
}

main();
