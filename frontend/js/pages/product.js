// Product page: gallery (main picture + thumbnail strip), variant picker (dial / strap / size),
// price, stock and add to cart.
import { api, ApiError, problemMessage } from '../api.js';
import { $, h, replace, params, watchImage, movementName } from '../dom.js';
import { formatMoney } from '../money.js';
import { describeProblem } from '../forms.js';
import { announce, initLayout, setCartCount } from '../layout.js';

const ATTRS = [
  { key: 'dial_color', label: 'Dial' },
  { key: 'strap', label: 'Strap' },
  { key: 'size', label: 'Size' },
];
const MAX_QTY = 10;

const root = $('#product-root');
// The page answers at /watches/<slug> (its readable URL) and at
// /product.html?id=N; either way it settles on /watches/<current slug>.
const slugInPath = /^\/watches\/([a-z0-9-]{1,80})$/.exec(window.location.pathname);
const slug = slugInPath ? slugInPath[1] : null;
const productId = params().get('id');
let product = null;
let collectionUrls = new Map(); // lower-cased collection name -> its page
let selected = null; // the chosen variant
const ui = {};

/** "white" -> "White" for display; data keeps its own case. */
function cap(text) {
  const t = String(text || '');
  return t ? t[0].toUpperCase() + t.slice(1) : t;
}

function titleOf(p) {
  return `${p.brand} ${p.model}`;
}

function valuesOf(key) {
  const seen = [];
  for (const v of product.variants) if (v[key] && !seen.includes(v[key])) seen.push(v[key]);
  return seen;
}

/** The variant to show when `key` becomes `value`, keeping the other choices where possible. */
function resolve(key, value) {
  const candidates = product.variants.filter((v) => v[key] === value);
  let best = null;
  let bestScore = -1;
  for (const v of candidates) {
    let score = 0;
    for (const a of ATTRS) if (a.key !== key && selected && v[a.key] === selected[a.key]) score += 2;
    if (v.stock > 0) score += 1;
    if (score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
}

/** The watch's collections, each a link to its page when it has one; null if none. */
function collectionsValue() {
  const names = product.collections || [];
  if (!names.length) return null;
  return names.flatMap((name, i) => {
    const url = collectionUrls.get(name.toLowerCase());
    return [i ? ', ' : null, url ? h('a', { href: url, 'data-testid': 'product-collection-link' }, name) : name];
  }).filter((x) => x !== null);
}

/** Collection pages by name (the product page works without them). */
async function loadCollectionUrls() {
  try {
    const { items } = await api('/collections');
    collectionUrls = new Map((items || []).map((c) => [c.name.toLowerCase(), c.url]));
  } catch {
    collectionUrls = new Map();
  }
}

function stockText(v) {
  if (!v || v.stock <= 0) return 'Sold out';
  if (v.stock <= 3) return `Only ${v.stock} left`;
  return 'In stock';
}

function variantLabel(v) {
  return ATTRS.map((a) => cap(v[a.key])).filter(Boolean).join(' · ');
}

/** The pictures to show with `variant`: the whole watch's, then the variant's own (its dial). */
function galleryImages(variant) {
  return (product.images || []).filter((i) => !i.variant_id || (variant && i.variant_id === variant.id));
}

/** Shows picture `index` of the strip as the main picture; `focus` moves keyboard focus to its thumb. */
function showImage(index, focus) {
  const g = ui.gallery;
  if (!g.images.length) return;
  g.index = (index + g.images.length) % g.images.length;
  const image = g.images[g.index];
  g.main.src = image.url;
  g.main.alt = image.alt;
  g.thumbs.forEach((thumb, i) => {
    const current = i === g.index;
    thumb.tabIndex = current ? 0 : -1; // roving tabindex: the strip is one tab stop
    if (current) thumb.setAttribute('aria-current', 'true');
    else thumb.removeAttribute('aria-current');
  });
  if (focus) g.thumbs[g.index].focus();
}

function onThumbKey(event) {
  const g = ui.gallery;
  const moves = { ArrowRight: g.index + 1, ArrowLeft: g.index - 1, Home: 0, End: g.images.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  showImage(moves[event.key], true);
}

/**
 * Rebuilds the strip for `variant`: a variant with its own picture shows it first; otherwise the
 * picture on show stays when it is still in the strip.
 */
function renderGallery(variant) {
  const g = ui.gallery;
  const before = g.images[g.index];
  g.images = galleryImages(variant);
  g.thumbs = g.images.map((image, i) => h('button', {
    type: 'button',
    class: 'gallery-thumb',
    'aria-label': `Picture ${i + 1} of ${g.images.length}: ${image.alt}`,
    'data-testid': 'gallery-thumb',
    onclick: () => showImage(i, false),
    onkeydown: onThumbKey,
  }, watchImage(image.url, '', { width: '72', height: '72', loading: 'lazy' })));
  replace(g.strip, g.thumbs);
  g.strip.hidden = g.images.length < 2;
  if (!g.images.length) {
    g.main.src = product.image_url || g.main.src;
    return;
  }
  const own = g.images.findIndex((i) => variant && i.variant_id === variant.id);
  const kept = before ? g.images.findIndex((i) => i.url === before.url && i.variant_id === before.variant_id) : -1;
  showImage(own >= 0 ? own : Math.max(kept, 0), false);
}

function render() {
  document.title = `${titleOf(product)} · Watchstore`;
  $('#crumb-current').textContent = titleOf(product);
  const title = titleOf(product);

  ui.price = h('p', { class: 'detail-price', 'data-testid': 'variant-price' });
  ui.stock = h('p', { class: 'stock-state', 'data-testid': 'stock-state' });
  ui.sku = h('dd', null);
  ui.qty = h('select', { id: 'qty', name: 'quantity', 'data-testid': 'quantity' });
  ui.add = h('button', { type: 'submit', class: 'button button-primary button-wide', 'data-testid': 'add-to-cart' }, 'Add to cart');
  ui.status = h('div', { class: 'add-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'add-status' });
  ui.error = h('div', { class: 'alert alert-error', role: 'alert', 'data-testid': 'add-error', hidden: true });

  ui.gallery = {
    images: [],
    index: 0,
    thumbs: [],
    main: watchImage(product.image_url, `${title}: ${[product.case_material, product.case_diameter_mm ? `${product.case_diameter_mm} mm` : ''].filter(Boolean).join(', ')} watch`,
      { width: '640', height: '640', 'data-testid': 'gallery-main' }),
    strip: h('div', { class: 'gallery-thumbs', role: 'group', 'aria-label': `Pictures of the ${title}`, 'data-testid': 'gallery-thumbs' }),
  };

  const pickers = [];
  ui.radios = {};
  for (const attr of ATTRS) {
    const values = valuesOf(attr.key);
    if (values.length < 2) continue;
    const options = values.map((value, i) => {
      const id = `opt-${attr.key}-${i}`;
      const input = h('input', { type: 'radio', id, name: attr.key, value, class: 'chip-input' });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        const v = resolve(attr.key, value);
        if (v) select(v, true);
      });
      const note = h('span', { class: 'chip-note' });
      ui.radios[id] = { input, note, key: attr.key, value };
      return h('div', { class: 'chip' }, input, h('label', { for: id }, h('span', null, cap(value)), note));
    });
    pickers.push(h('fieldset', { class: 'picker' },
      h('legend', null, attr.label, h('span', { class: 'picker-current', 'data-picker': attr.key })),
      h('div', { class: 'chips' }, options)));
  }

  const form = h('form', { class: 'add-form', id: 'add-form', novalidate: true },
    pickers,
    h('div', { class: 'add-row' },
      h('div', { class: 'field field-qty' }, h('label', { for: 'qty' }, 'Quantity'), ui.qty),
      ui.add),
    ui.error,
    ui.status);
  form.addEventListener('submit', addToCart);

  const specs = [
    ['Movement', movementName(product.movement)],
    ['Case diameter', product.case_diameter_mm ? `${product.case_diameter_mm} mm` : ''],
    ['Case material', cap(product.case_material)],
    ['Water resistance', product.water_resistance_m ? `${product.water_resistance_m} m` : 'Not water resistant'],
    ['Strap', cap(product.strap)],
    ['Reference', product.reference],
    ['Caliber', product.caliber],
    ['Complications', (product.complications || []).map((c) => cap(c.replace(/_/g, ' '))).join(', ')],
    ['Lug width', product.lug_width_mm ? `${product.lug_width_mm} mm` : ''],
    ['Case thickness', product.case_thickness_tenths_mm ? `${(product.case_thickness_tenths_mm / 10).toFixed(1)} mm` : ''],
    ['Crystal', product.crystal && product.crystal !== 'unspecified' ? cap(product.crystal) : ''],
    ['Condition', product.condition === 'pre_owned' ? `Pre-owned, ${String(product.grade || '').replace(/_/g, ' ')}` : product.condition ? 'New' : ''],
    ['Box and papers', product.condition ? [product.box ? 'Box' : 'No box', product.papers ? 'papers' : 'no papers'].join(', ') : ''],
    ['Limited edition', product.limited_pieces ? `${product.limited_pieces} pieces` : ''],
    ['Collections', collectionsValue()],
  ].filter(([, v]) => v);
  for (const attr of ATTRS) {
    const values = valuesOf(attr.key);
    const shown = specs.some(([, v]) => String(v).toLowerCase() === String(values[0]).toLowerCase());
    if (values.length === 1 && !shown) specs.push([attr.label, cap(values[0])]);
  }

  const description = String(product.description || '').split(/\n\s*\n/).filter((t) => t.trim())
    .map((t) => h('p', null, t.trim()));

  replace(root,
    h('article', { class: 'product-detail', 'data-testid': 'product-detail' },
      h('div', { class: 'product-gallery' },
        h('div', { class: 'product-media' }, ui.gallery.main),
        ui.gallery.strip),
      h('div', { class: 'product-info' },
        h('p', { class: 'product-brand' }, product.brand),
        h('h1', { class: 'detail-title' }, product.model),
        h('div', { class: 'price-stock' }, ui.price, ui.stock),
        form,
        h('section', { class: 'product-about', 'aria-labelledby': 'about-heading' },
          h('h2', { id: 'about-heading' }, 'About this watch'),
          description.length ? description : h('p', null, 'No description yet.'),
          h('dl', { class: 'specs' },
            specs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
            h('dt', null, 'Reference'), ui.sku)))));
  root.setAttribute('aria-busy', 'false');
}

function select(variant, fromUser) {
  const variantChanged = !selected || selected.id !== variant.id || !ui.gallery.thumbs.length;
  selected = variant;
  if (variantChanged) renderGallery(variant);
  for (const { input, note, key, value } of Object.values(ui.radios)) {
    input.checked = variant[key] === value;
    const target = variant[key] === value ? variant : resolve(key, value);
    note.textContent = target && target.stock <= 0 ? 'Sold out' : '';
  }
  for (const el of root.querySelectorAll('[data-picker]')) {
    const v = variant[el.dataset.picker];
    el.textContent = v ? `: ${cap(v)}` : '';
  }
  ui.price.textContent = formatMoney(variant.price);
  ui.stock.textContent = stockText(variant);
  ui.stock.className = `stock-state ${variant.stock <= 0 ? 'is-soldout' : variant.stock <= 3 ? 'is-low' : 'is-available'}`;
  ui.sku.textContent = variant.sku;

  const soldOut = variant.stock <= 0 || product.active === false;
  const previous = Number(ui.qty.value) || 1;
  const max = Math.max(1, Math.min(MAX_QTY, variant.stock));
  replace(ui.qty, Array.from({ length: max }, (_, i) => h('option', { value: String(i + 1) }, String(i + 1))));
  ui.qty.value = String(Math.min(previous, max));
  ui.qty.disabled = soldOut;
  ui.add.disabled = soldOut;
  ui.add.textContent = product.active === false ? 'No longer available' : soldOut ? 'Sold out' : 'Add to cart';

  const url = `${product.url}?variant=${encodeURIComponent(variant.id)}`;
  window.history.replaceState(null, '', url);
  if (fromUser) {
    ui.status.textContent = '';
    ui.error.hidden = true;
    announce(`${variantLabel(variant)}: ${formatMoney(variant.price)}, ${stockText(variant)}.`);
  }
}

async function fetchProduct() {
  // By slug only the first time: an old slug's 301 is followed to the watch.
  if (product) return api(`/products/${encodeURIComponent(product.id)}`);
  if (slug) return api(`/products/by-slug/${encodeURIComponent(slug)}`);
  return api(`/products/${encodeURIComponent(productId)}`);
}

/** <link rel="canonical"> to the watch's readable URL. */
function setCanonical() {
  let link = document.querySelector('link[rel="canonical"]');
  if (!link) {
    link = h('link', { rel: 'canonical' });
    document.head.append(link);
  }
  link.href = new URL(product.url, window.location.href).href;
}

async function refreshStock() {
  try {
    const fresh = await fetchProduct();
    product = fresh;
    const again = product.variants.find((v) => v.id === selected.id) || product.variants[0];
    // Re-render keeps the messages: only the selection state is refreshed.
    select(again, false);
  } catch {
    // keep what we have
  }
}

let adding = false;
async function addToCart(event) {
  event.preventDefault();
  if (adding || !selected) return;
  adding = true;
  ui.add.disabled = true;
  ui.error.hidden = true;
  ui.status.textContent = 'Adding to your cart…';
  const quantity = Number(ui.qty.value) || 1;
  try {
    const cart = await api('/cart/items', { method: 'POST', body: { variant_id: selected.id, quantity } });
    setCartCount(cart && cart.item_count);
    replace(ui.status,
      h('span', { class: 'status-ok' }, `Added ${quantity} × ${titleOf(product)} (${variantLabel(selected)}) to your cart.`), ' ',
      h('a', { href: '/cart.html', 'data-testid': 'view-cart' }, 'View cart'));
    ui.add.disabled = false;
  } catch (err) {
    ui.status.textContent = '';
    replace(ui.error, h('p', null, describeProblem(err, 'Quantity')));
    ui.error.hidden = false;
    if (err instanceof ApiError && err.status === 409) {
      await refreshStock(); // sold out meanwhile: the button turns into "Sold out"
    } else {
      ui.add.disabled = selected.stock <= 0;
    }
  } finally {
    adding = false;
  }
}

async function main() {
  initLayout('product');
  if (!slug && (!productId || !/^\d+$/.test(productId))) {
    notFound();
    return;
  }
  const collectionsLoaded = loadCollectionUrls();
  try {
    product = await fetchProduct();
    await collectionsLoaded;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) notFound();
    else {
      root.setAttribute('aria-busy', 'false');
      replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err)),
        h('button', { type: 'button', class: 'button button-secondary', onclick: () => window.location.reload() }, 'Try again')));
    }
    return;
  }
  if (!product.variants || !product.variants.length) {
    notFound();
    return;
  }
  render();
  setCanonical();
  const wanted = Number(params().get('variant'));
  const initial = product.variants.find((v) => v.id === wanted)
    || product.variants.find((v) => v.stock > 0) || product.variants[0];
  select(initial, false);
}

function notFound() {
  root.setAttribute('aria-busy', 'false');
  $('#crumb-current').textContent = 'Not found';
  replace(root, h('div', { class: 'empty-state', 'data-testid': 'not-found' },
    h('h1', null, 'This watch is not available'),
    h('p', null, 'It may have been sold or removed from the catalog.'),
    h('a', { class: 'button button-primary', href: '/index.html' }, 'Browse all watches')));
}

main();
