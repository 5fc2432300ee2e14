// Tiny DOM helpers: build elements without innerHTML (no injection, CSP-safe).

/**
 * h('a', {href: 'x', class: 'y', onclick: fn}, 'text', child, [more])
 * Attributes with null/undefined/false are skipped; true sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'value' && 'value' in el && tag !== 'option' && tag !== 'button') {
        el.value = String(value);
        el.setAttribute('value', String(value));
      } else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

let idCounter = 0;
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Page query parameters. */
export function params() {
  return new URLSearchParams(window.location.search);
}

/** Only our own pages are valid redirect targets ("orders.html?x=1"). */
export function safeNext(value, fallback = 'index.html') {
  if (typeof value === 'string' && /^[a-z0-9_-]+\.html(\?[^#\s]*)?$/i.test(value)) return value;
  return fallback;
}

export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function loadingBlock(text) {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

const MOVEMENTS = {
  automatic: 'Automatic', manual: 'Hand-wound', quartz: 'Quartz', solar: 'Solar', kinetic: 'Kinetic', spring_drive: 'Spring Drive',
};
export function movementName(m) {
  return MOVEMENTS[m] || (m ? String(m).replace(/_/g, ' ') : '');
}
export const MOVEMENT_VALUES = Object.keys(MOVEMENTS);

export const PLACEHOLDER_IMAGE = '/img/watches/placeholder.svg';

/** An <img> of a watch that falls back to the placeholder when missing or broken. */
export function watchImage(url, alt, attrs = {}) {
  const img = h('img', { src: url || PLACEHOLDER_IMAGE, alt, decoding: 'async', ...attrs });
  img.addEventListener('error', () => {
    if (!img.src.endsWith(PLACEHOLDER_IMAGE)) img.src = PLACEHOLDER_IMAGE;
  }, { once: false });
  return img;
}
