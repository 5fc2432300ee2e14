// Staff page: list watches, add and edit them (details, attributes, pictures, variant prices) and adjust stock;
// the orders view (?view=orders, admin-orders.js) records payments and refunds.
import { api, ApiError, problemMessage, query } from '../api.js';
import { showOrders } from '../admin-orders.js';
import { $, h, replace, params, formatDate, movementName, MOVEMENT_VALUES, watchImage } from '../dom.js';
import { clearErrors, showFormError, showLocalErrors, showProblem } from '../forms.js';
import { formatMoney, minorToInput, parseMoneyInput, currencyDigits } from '../money.js';
import { announce, initLayout } from '../layout.js';

const DEFAULT_CURRENCY = 'USD';
const COMPLICATIONS = [['date', 'Date'], ['day_date', 'Day-date'], ['gmt', 'GMT'], ['chronograph', 'Chronograph'],
  ['moonphase', 'Moonphase'], ['power_reserve', 'Power reserve'], ['world_time', 'World time'], ['alarm', 'Alarm'],
  ['perpetual_calendar', 'Perpetual calendar'], ['tourbillon', 'Tourbillon']];
const CRYSTALS = [['unspecified', 'Not stated'], ['sapphire', 'Sapphire'], ['mineral', 'Mineral'], ['acrylic', 'Acrylic']];
const GRADES = [['none', 'None (new)'], ['mint', 'Mint'], ['excellent', 'Excellent'], ['very_good', 'Very good'], ['good', 'Good'], ['fair', 'Fair']];
const IMAGES = [...Array.from({ length: 12 }, (_, i) => `/img/watches/w${String(i + 1).padStart(2, '0')}.svg`),
  '/img/watches/caseback.svg',
  ...['black', 'white', 'blue', 'green', 'grey', 'cream', 'silver', 'salmon', 'orange', 'champagne', 'khaki'].map((c) => `/img/dials/${c}.svg`)];
const MAX_IMAGES = 24;
const root = $('#admin-root');
const q = params();
const editId = /^\d+$/.test(q.get('id') || '') ? q.get('id') : '';
const isNew = q.get('new') === '1';

function field(label, input, hint) {
  const hintEl = hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

// ---------- list ----------

async function showList() {
  const filter = h('input', { type: 'search', id: 'admin-filter', placeholder: 'Brand, model or SKU', autocomplete: 'off' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true }, 'Load more');
  const status = h('p', { class: 'results-summary', role: 'status' }, 'Loading watches…');
  replace(root, h('section', { class: 'panel admin-list', 'aria-labelledby': 'list-heading' },
    h('div', { class: 'admin-list-head' },
      h('h2', { id: 'list-heading' }, 'Watches'),
      h('a', { class: 'button button-primary', href: 'admin.html?new=1', 'data-testid': 'add-watch' }, 'Add a watch')),
    field('Filter this list', filter),
    status,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'admin-table', 'data-testid': 'admin-table' },
        h('caption', { class: 'visually-hidden' }, 'Watches in the catalog'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Watch'), h('th', { scope: 'col' }, 'Price from'), h('th', { scope: 'col' }, 'Stock'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        tbody)),
    more));
  root.setAttribute('aria-busy', 'false');

  let cursor = '';
  const rows = [];
  const applyFilter = () => {
    const t = filter.value.trim().toLowerCase();
    for (const { tr, text } of rows) tr.hidden = t && !text.includes(t);
  };
  filter.addEventListener('input', applyFilter);
  const loadPage = async () => {
    more.disabled = true;
    try {
      const page = await api(`/products${query({ limit: 100, sort: 'name_asc', cursor, include_archived: 'true' })}`);
      for (const p of page.items || []) {
        const stock = (p.variants || []).reduce((n, v) => n + (Number(v.stock) || 0), 0);
        const tr = h('tr', { 'data-testid': 'admin-row', 'data-product-id': p.id },
          h('th', { scope: 'row' },
            h('span', { class: 'admin-row-title' }, `${p.brand} ${p.model}`),
            h('span', { class: 'admin-row-meta' }, `${(p.variants || []).length} variant${(p.variants || []).length === 1 ? '' : 's'}${p.active === false ? ' · archived' : ''}`)),
          h('td', null, formatMoney(p.price_from)),
          h('td', { class: stock ? '' : 'is-soldout' }, stock ? String(stock) : 'Sold out'),
          h('td', null, h('a', { class: 'button button-secondary button-small', href: `admin.html?id=${p.id}` },
            'Edit', h('span', { class: 'visually-hidden' }, ` ${p.brand} ${p.model}`))));
        rows.push({ tr, text: `${p.brand} ${p.model} ${(p.variants || []).map((v) => v.sku).join(' ')}`.toLowerCase() });
        tbody.append(tr);
      }
      cursor = page.next_cursor || '';
      more.hidden = !cursor;
      status.textContent = rows.length ? `${rows.length} watch${rows.length === 1 ? '' : 'es'}.` : 'No watches yet.';
      applyFilter();
    } catch (err) {
      status.textContent = problemMessage(err);
      status.setAttribute('role', 'alert');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', loadPage);
  await loadPage();
}

// ---------- editor ----------

let product = null; // last saved state from the server (null for a new watch)
let variantSeq = 0;

function textInput(id, name, value, attrs = {}) {
  return h('input', { type: 'text', id, name, value: value ?? '', autocomplete: 'off', ...attrs });
}

// ---------- pictures (the gallery: an ordered list saved with the product) ----------

/** One picture of the list: preview, URL, alt text, the variant it shows, move up/down and remove. */
function imageRow(image, variants) {
  const url = h('input', { type: 'text', class: 'image-url', value: image.url, autocomplete: 'off', list: 'image-list', required: true, maxlength: '300' });
  const alt = h('input', { type: 'text', class: 'image-alt', value: image.alt, autocomplete: 'off', required: true, maxlength: '200' });
  const variant = h('select', { class: 'image-variant' },
    h('option', { value: '0' }, 'The whole watch'),
    variants.map((v) => h('option', { value: String(v.id), selected: image.variant_id === v.id }, `${v.sku}${v.dial_color ? ` (${v.dial_color} dial)` : ''}`)));
  const preview = watchImage(image.url, '', { width: '64', height: '64', class: 'image-thumb' });
  url.addEventListener('change', () => { preview.src = url.value.trim() || 'img/watches/placeholder.svg'; });
  const row = h('li', { class: 'image-row', 'data-testid': 'image-row' }, preview,
    h('div', { class: 'image-fields' },
      h('div', { class: 'field' }, h('label', null, 'Image URL'), url),
      h('div', { class: 'field' }, h('label', null, 'Alt text'), alt),
      h('div', { class: 'field' }, h('label', null, 'Shows'), variant)),
    h('div', { class: 'image-actions' },
      h('button', { type: 'button', class: 'button button-ghost button-small', 'data-move': '-1', 'data-testid': 'image-up' }, 'Move up'),
      h('button', { type: 'button', class: 'button button-ghost button-small', 'data-move': '1', 'data-testid': 'image-down' }, 'Move down'),
      h('button', { type: 'button', class: 'button button-danger-ghost button-small', 'data-remove': '1', 'data-testid': 'image-remove' }, 'Remove')));
  return row;
}

/** Ids, names, labels and button states follow each row's position. */
function renumberImages(list) {
  const rows = Array.from(list.children);
  rows.forEach((row, i) => {
    for (const [cls, name] of [['image-url', 'url'], ['image-alt', 'alt'], ['image-variant', 'variant_id']]) {
      const input = row.querySelector(`.${cls}`);
      input.id = `pf-images-${i}-${name}`;
      input.name = `images[${i}].${name}`;
      input.closest('.field').querySelector('label').htmlFor = input.id;
    }
    const n = `picture ${i + 1}`;
    row.querySelector('[data-move="-1"]').disabled = i === 0;
    row.querySelector('[data-move="-1"]').setAttribute('aria-label', `Move ${n} up`);
    row.querySelector('[data-move="1"]').disabled = i === rows.length - 1;
    row.querySelector('[data-move="1"]').setAttribute('aria-label', `Move ${n} down`);
    row.querySelector('[data-remove]').setAttribute('aria-label', `Remove ${n}`);
  });
}

function imagesEditor(p) {
  const variants = (p && p.variants) || [];
  const list = h('ol', { class: 'image-list', id: 'pf-images', 'data-testid': 'image-list' },
    ((p && p.images) || []).map((image) => imageRow(image, variants)));
  const newUrl = textInput('pf-new-image-url', '', p ? '' : IMAGES[0], { list: 'image-list', maxlength: '300' });
  const newAlt = textInput('pf-new-image-alt', '', '', { maxlength: '200' });
  const add = h('button', { type: 'button', class: 'button button-secondary', 'data-testid': 'add-image' }, 'Add picture');
  const msg = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  list.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const row = button.closest('.image-row');
    if (button.dataset.remove) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumberImages(list);
      msg.textContent = 'Picture removed. Save to keep the change.';
      (next ? next.querySelector('[data-remove]') : add).focus();
      return;
    }
    const step = Number(button.dataset.move);
    const other = step < 0 ? row.previousElementSibling : row.nextElementSibling;
    if (!other) return;
    if (step < 0) list.insertBefore(row, other);
    else list.insertBefore(other, row);
    renumberImages(list);
    msg.textContent = `Moved to position ${Array.from(list.children).indexOf(row) + 1}. Save to keep the change.`;
    const again = row.querySelector(`[data-move="${step}"]`);
    (again.disabled ? row.querySelector(`[data-move="${-step}"]`) : again).focus();
  });
  add.addEventListener('click', () => {
    clearErrors(add.form);
    const url = newUrl.value.trim();
    const alt = newAlt.value.trim();
    const errors = [];
    if (!url) errors.push({ input: newUrl, message: 'Enter the picture\'s URL.' });
    if (!alt) errors.push({ input: newAlt, message: 'Describe the picture for people who cannot see it.' });
    if (list.children.length >= MAX_IMAGES) errors.push({ input: newUrl, message: `A watch has at most ${MAX_IMAGES} pictures.` });
    if (!showLocalErrors(errors)) return;
    list.append(imageRow({ url, alt, variant_id: 0 }, variants));
    renumberImages(list);
    newUrl.value = '';
    newAlt.value = '';
    msg.textContent = `Picture ${list.children.length} added. Save to keep it.`;
    newUrl.focus();
  });
  renumberImages(list);
  return h('fieldset', { class: 'panel', 'data-testid': 'images-editor' },
    h('legend', null, 'Pictures'),
    h('p', { class: 'hint' }, 'In the order the shop shows them; the first picture of the whole watch is its cover. A variant\'s own picture (its dial) is shown when a buyer picks it; save a new variant before linking a picture to it.'),
    list,
    h('div', { class: 'field-grid image-new' },
      field('New picture URL', newUrl, 'A path such as /img/watches/w01.svg, or an https URL'),
      field('Alt text', newAlt, 'What the picture shows')),
    h('datalist', { id: 'image-list' }, IMAGES.map((src) => h('option', { value: src }))),
    add, msg);
}

function imagesFromForm(form, errors) {
  return Array.from(form.querySelectorAll('.image-row')).map((row) => {
    const url = row.querySelector('.image-url');
    const alt = row.querySelector('.image-alt');
    if (!url.value.trim()) errors.push({ input: url, message: 'Enter the picture\'s URL.' });
    if (!alt.value.trim()) errors.push({ input: alt, message: 'Describe the picture.' });
    const image = { url: url.value.trim(), alt: alt.value.trim() };
    const variant = Number(row.querySelector('.image-variant').value);
    if (variant) image.variant_id = variant;
    return image;
  });
}

function variantBlock(v, index) {
  variantSeq += 1;
  const n = variantSeq;
  const existing = Boolean(v && v.id);
  const currency = (v && v.price && v.price.currency) || DEFAULT_CURRENCY;
  const digits = currencyDigits(currency);
  const p = `v${n}`;
  const block = h('fieldset', { class: 'variant-block', 'data-testid': 'variant-block', 'data-variant-id': existing ? v.id : '', 'data-currency': currency });
  const legend = h('legend', null, existing ? `Variant ${v.sku}` : 'New variant');
  const inputs = {
    sku: textInput(`${p}-sku`, `variants[${index}].sku`, v && v.sku, { required: true, maxlength: '64' }),
    dial_color: textInput(`${p}-dial`, `variants[${index}].dial_color`, v && v.dial_color),
    strap: textInput(`${p}-strap`, `variants[${index}].strap`, v && v.strap),
    size: textInput(`${p}-size`, `variants[${index}].size`, v && v.size),
    price: textInput(`${p}-price`, `variants[${index}].price`, v && v.price && v.price.amount_minor != null ? minorToInput(v.price.amount_minor, currency) : '',
      { inputmode: 'decimal', required: true, 'data-testid': 'variant-price-input' }),
  };
  const grid = h('div', { class: 'field-grid' },
    field('SKU', inputs.sku),
    field('Dial', inputs.dial_color),
    field('Strap', inputs.strap),
    field('Size', inputs.size),
    field(`Price (${currency})`, inputs.price, digits ? `For example 1234.${'5'.padEnd(digits, '0')}` : 'Whole units'));
  append(block, legend, grid);

  if (existing) {
    const stockOut = h('output', { class: 'stock-value', 'data-testid': 'variant-stock', id: `${p}-stock` }, String(v.stock));
    const delta = h('input', { type: 'number', id: `${p}-delta`, step: '1', inputmode: 'numeric', class: 'delta-input', 'data-testid': 'stock-delta' });
    const apply = h('button', { type: 'button', class: 'button button-secondary button-small', 'data-testid': 'apply-stock' }, 'Apply',
      h('span', { class: 'visually-hidden' }, ` stock change to ${v.sku}`));
    const msg = h('p', { class: 'stock-message', role: 'status', id: `${p}-stock-msg` });
    delta.setAttribute('aria-describedby', msg.id);
    apply.addEventListener('click', () => adjustStock(v.id, delta, stockOut, msg, apply));
    delta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        apply.click();
      }
    });
    block.append(h('div', { class: 'stock-row' },
      h('p', { class: 'stock-now' }, h('span', null, 'In stock: '), stockOut),
      h('div', { class: 'field field-inline' },
        h('label', { for: delta.id }, 'Change stock by'),
        h('div', { class: 'input-with-button' }, delta, apply)),
      msg));
  } else {
    const stock = h('input', { type: 'number', id: `${p}-stock`, name: `variants[${index}].stock`, min: '0', step: '1', value: '0', inputmode: 'numeric' });
    const remove = h('button', { type: 'button', class: 'link-button' }, 'Remove this variant');
    remove.addEventListener('click', () => {
      const list = block.parentElement;
      block.remove();
      renumber(list);
      const add = $('#add-variant');
      if (add) add.focus();
    });
    block.append(h('div', { class: 'field-grid' }, field('Initial stock', stock)), remove);
  }
  return block;
}

function append(parent, ...children) {
  for (const c of children) if (c) parent.append(c);
  return parent;
}

/** Keeps the variants[i] names in order after a variant is removed. */
function renumber(list) {
  Array.from(list.querySelectorAll('.variant-block')).forEach((block, i) => {
    for (const el of block.querySelectorAll('[name^="variants["]')) el.name = el.name.replace(/^variants\[\d+\]/, `variants[${i}]`);
  });
}

async function adjustStock(variantId, deltaInput, stockOut, msg, button) {
  const raw = deltaInput.value.trim();
  msg.className = 'stock-message';
  if (!/^-?\d+$/.test(raw) || Number(raw) === 0) {
    msg.textContent = 'Enter a whole number, for example 5 to add or -2 to remove.';
    msg.classList.add('is-error');
    deltaInput.setAttribute('aria-invalid', 'true');
    deltaInput.focus();
    return;
  }
  deltaInput.removeAttribute('aria-invalid');
  button.disabled = true;
  try {
    const updated = await api(`/variants/${variantId}/stock`, { method: 'POST', body: { delta: Number(raw) } });
    const v = (updated.variants || []).find((x) => x.id === variantId);
    if (v) stockOut.textContent = String(v.stock);
    product = { ...product, version: updated.version, updated_at: updated.updated_at };
    updateVersionNote();
    deltaInput.value = '';
    msg.textContent = `Stock is now ${v ? v.stock : 'updated'}.`;
    msg.classList.add('is-ok');
  } catch (err) {
    msg.textContent = problemMessage(err);
    msg.classList.add('is-error');
  } finally {
    button.disabled = false;
  }
}

function updateVersionNote() {
  const note = $('#version-note');
  if (note && product) note.textContent = `Version ${product.version} · last changed ${formatDate(product.updated_at)}`;
}

function renderEditor(p) {
  product = p;
  variantSeq = 0;
  const id = (x) => `pf-${x}`;
  const movement = h('select', { id: id('movement'), name: 'movement' },
    MOVEMENT_VALUES.map((m) => h('option', { value: m, selected: p && p.movement === m }, movementName(m))));
  const active = h('input', { type: 'checkbox', id: id('active'), name: 'active', checked: !p || p.active !== false });
  const select = (name, options, value) => h('select', { id: id(name), name },
    options.map(([v, label]) => h('option', { value: v, selected: value === v }, label)));
  const check = (name, label, checked) => {
    const box = h('input', { type: 'checkbox', id: id(name), name, checked: Boolean(checked) });
    return h('div', { class: 'field field-check' }, box, h('label', { for: box.id }, label));
  };
  const has = new Set((p && p.complications) || []);
  const details = h('fieldset', { class: 'panel' },
    h('legend', null, 'Details'),
    h('div', { class: 'field-grid' },
      field('Reference', textInput(id('reference'), 'reference', p && p.reference, { maxlength: '40' })),
      field('Caliber', textInput(id('caliber'), 'caliber', p && p.caliber, { maxlength: '40' })),
      field('Lug width (mm)', h('input', { type: 'number', id: id('lug'), name: 'lug_width_mm', min: '0', max: '30', step: '1', value: p ? p.lug_width_mm : '0', inputmode: 'numeric' }), '0 if not stated'),
      field('Case thickness (0.1 mm)', h('input', { type: 'number', id: id('thickness'), name: 'case_thickness_tenths_mm', min: '0', max: '300', step: '1', value: p ? p.case_thickness_tenths_mm : '0', inputmode: 'numeric' }), '125 is 12.5 mm; 0 if not stated'),
      field('Crystal', select('crystal', CRYSTALS, p ? p.crystal : 'sapphire')),
      field('Condition', select('condition', [['new', 'New'], ['pre_owned', 'Pre-owned']], p ? p.condition : 'new')),
      field('Grade', select('grade', GRADES, p ? p.grade : 'none'), 'Pre-owned watches only'),
      field('Limited edition (pieces)', h('input', { type: 'number', id: id('limited'), name: 'limited_pieces', min: '0', max: '1000000', step: '1', value: p ? p.limited_pieces : '0', inputmode: 'numeric' }), '0 if not limited')),
    h('div', { class: 'field-grid' }, check('box', 'With its box', p && p.box), check('papers', 'With its papers', p && p.papers)),
    h('fieldset', { class: 'field complications' }, h('legend', null, 'Complications'),
      h('div', { class: 'field-grid' }, COMPLICATIONS.map(([v, label]) => {
        const box = h('input', { type: 'checkbox', id: id(`c-${v}`), name: 'complications', value: v, checked: has.has(v) });
        return h('div', { class: 'field field-check' }, box, h('label', { for: box.id }, label));
      }))));
  const variants = h('div', { class: 'variant-list', id: 'variant-list' },
    (p && p.variants && p.variants.length ? p.variants : [null]).map((v, i) => variantBlock(v, i)));
  const addVariant = h('button', { type: 'button', class: 'button button-secondary', id: 'add-variant' }, 'Add a variant');
  addVariant.addEventListener('click', () => {
    const index = variants.querySelectorAll('.variant-block').length;
    const currency = (p && p.variants && p.variants[0] && p.variants[0].price.currency) || DEFAULT_CURRENCY;
    const block = variantBlock({ price: { currency, amount_minor: null } }, index);
    variants.append(block);
    block.querySelector('input').focus();
  });
  const save = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'save-product' }, p ? 'Save changes' : 'Create watch');
  const status = h('p', { class: 'save-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'save-status' });

  const form = h('form', { class: 'admin-form', id: 'product-form', novalidate: true },
    h('fieldset', { class: 'panel' },
      h('legend', null, 'Watch'),
      h('div', { class: 'field-grid' },
        field('Brand', textInput(id('brand'), 'brand', p && p.brand, { required: true, maxlength: '100' })),
        field('Model', textInput(id('model'), 'model', p && p.model, { required: true, maxlength: '200' }))),
      field('Web address', textInput(id('slug'), 'slug', p && p.slug, { maxlength: '80', pattern: '[a-z0-9]+(-[a-z0-9]+)*', spellcheck: 'false' }),
        p ? 'The watch\'s page is /watches/ followed by this. Changing it keeps the old address working (it redirects here).'
          : 'Leave empty to derive it from brand, model and reference. Lower-case letters, digits and hyphens.'),
      field('Description', h('textarea', { id: id('description'), name: 'description', rows: '5' }, (p && p.description) || '')),
      h('div', { class: 'field field-check' }, active, h('label', { for: active.id }, 'Shown in the catalog'))),
    h('fieldset', { class: 'panel' },
      h('legend', null, 'Attributes'),
      h('div', { class: 'field-grid' },
        field('Movement', movement),
        field('Case diameter (mm)', h('input', { type: 'number', id: id('case'), name: 'case_diameter_mm', min: '20', max: '60', step: '1', value: p ? p.case_diameter_mm : '40', inputmode: 'numeric' })),
        field('Case material', textInput(id('material'), 'case_material', p ? p.case_material : 'steel')),
        field('Water resistance (m)', h('input', { type: 'number', id: id('water'), name: 'water_resistance_m', min: '0', max: '20000', step: '1', value: p ? p.water_resistance_m : '100', inputmode: 'numeric' })),
        field('Strap', textInput(id('strap'), 'strap', p && p.strap)),
        field('Collections', textInput(id('collections'), 'collections', p ? (p.collections || []).join(', ') : ''), 'Separate with commas, for example: Dive, Sport'))),
    imagesEditor(p),
    details,
    h('fieldset', { class: 'panel' },
      h('legend', null, 'Variants and prices'),
      h('p', { class: 'hint' }, p ? 'Prices are saved with the button below. Stock changes apply at once.' : 'Each variant is one SKU with its own price and stock.'),
      variants,
      addVariant),
    h('div', { class: 'form-actions' }, save, status));
  form.addEventListener('submit', (e) => saveProduct(e, form, save, status));

  const header = h('div', { class: 'editor-head' },
    h('a', { class: 'back-link', href: 'admin.html' }, '← All watches'),
    h('h2', { class: 'editor-title', id: 'editor-title' }, p ? `Edit ${p.brand} ${p.model}` : 'Add a watch',
      p && p.active === false ? h('span', { class: 'status-badge status-cancelled' }, 'Archived') : null),
    p ? h('p', { class: 'hint', id: 'version-note' }) : null,
    p ? h('p', { class: 'editor-links' }, h('a', { href: p.url, 'data-testid': 'view-in-shop' }, 'View in the shop'),
      p.active !== false ? archiveControl() : null) : null);
  replace(root, header, form);
  root.setAttribute('aria-busy', 'false');
  updateVersionNote();
}

/** "Archive this watch" with an inline confirmation (POST /products/{id}/archive with the version). */
function archiveControl() {
  const wrap = h('span', { class: 'cancel-control' });
  const start = h('button', { type: 'button', class: 'button button-danger-ghost button-small' }, 'Archive this watch');
  const msg = h('span', { role: 'status', class: 'stock-message' });
  const reset = () => replace(wrap, start, msg);
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'button button-danger button-small' }, 'Yes, archive it');
    const no = h('button', { type: 'button', class: 'button button-ghost button-small' }, 'Keep it');
    replace(wrap, h('span', { class: 'cancel-question' }, 'Remove it from the shop?'), yes, no, msg);
    yes.focus();
    no.addEventListener('click', () => {
      reset();
      start.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        const updated = await api(`/products/${product.id}/archive`, { method: 'POST', body: { version: product.version } });
        renderEditor(updated);
        announce(`${updated.brand} ${updated.model} is archived.`);
      } catch (err) {
        reset();
        msg.textContent = problemMessage(err);
        msg.className = 'stock-message is-error';
        start.focus();
      }
    });
  });
  reset();
  return wrap;
}

function intOrError(input, label, errors) {
  const raw = input.value.trim();
  if (!/^\d+$/.test(raw)) {
    errors.push({ input, message: `${label} must be a whole number.` });
    return 0;
  }
  return Number(raw);
}

function draftFromForm(form, errors) {
  const el = form.elements;
  const text = (name) => el[name].value.trim();
  const draft = {
    brand: text('brand'),
    model: text('model'),
    description: el.description.value.trim(),
    movement: el.movement.value,
    case_diameter_mm: intOrError(el.case_diameter_mm, 'Case diameter', errors),
    case_material: text('case_material'),
    water_resistance_m: intOrError(el.water_resistance_m, 'Water resistance', errors),
    strap: text('strap'),
    collections: text('collections').split(',').map((s) => s.trim()).filter(Boolean),
    images: imagesFromForm(form, errors),
    active: el.active.checked,
    reference: text('reference'),
    caliber: text('caliber'),
    complications: Array.from(form.querySelectorAll('input[name="complications"]:checked')).map((c) => c.value),
    lug_width_mm: intOrError(el.lug_width_mm, 'Lug width', errors),
    case_thickness_tenths_mm: intOrError(el.case_thickness_tenths_mm, 'Case thickness', errors),
    crystal: el.crystal.value,
    condition: el.condition.value,
    grade: el.grade.value,
    box: el.box.checked,
    papers: el.papers.checked,
    limited_pieces: intOrError(el.limited_pieces, 'Limited edition', errors),
    variants: [],
  };
  if (text('slug')) draft.slug = text('slug');
  if (!draft.brand) errors.push({ input: el.brand, message: 'Enter the brand.' });
  if (!draft.model) errors.push({ input: el.model, message: 'Enter the model name.' });
  const blocks = Array.from(form.querySelectorAll('.variant-block'));
  blocks.forEach((block, i) => {
    const get = (f) => form.querySelector(`[name="variants[${i}].${f}"]`);
    const currency = block.dataset.currency || DEFAULT_CURRENCY;
    const v = {
      sku: get('sku').value.trim(),
      dial_color: get('dial_color').value.trim(),
      strap: get('strap').value.trim(),
      size: get('size').value.trim(),
    };
    if (block.dataset.variantId) v.id = Number(block.dataset.variantId);
    if (!v.sku) errors.push({ input: get('sku'), message: 'Enter a SKU.' });
    const price = parseMoneyInput(get('price').value, currency);
    if (price.error) errors.push({ input: get('price'), message: price.error });
    else v.price = { amount_minor: price.minor, currency };
    if (!v.id) v.stock = intOrError(get('stock'), 'Initial stock', errors);
    draft.variants.push(v);
  });
  if (!blocks.length) errors.push({ input: $('#add-variant'), message: 'Add at least one variant.' });
  return draft;
}

let saving = false;
async function saveProduct(event, form, button, status) {
  event.preventDefault();
  if (saving) return;
  clearErrors(form);
  status.textContent = '';
  const errors = [];
  const draft = draftFromForm(form, errors);
  if (!showLocalErrors(errors)) return;
  saving = true;
  button.disabled = true;
  status.textContent = 'Saving…';
  try {
    let saved;
    if (product) {
      saved = await api(`/products/${product.id}`, { method: 'PUT', body: { ...draft, version: product.version } });
    } else {
      saved = await api('/products', { method: 'POST', body: draft });
      window.history.replaceState(null, '', `admin.html?id=${saved.id}`);
    }
    const wasNew = !product;
    renderEditor(saved);
    const newStatus = $('[data-testid="save-status"]');
    newStatus.textContent = wasNew ? `Created. ${saved.brand} ${saved.model} is in the catalog.` : `Saved. Prices from ${formatMoney(saved.price_from)}.`;
    newStatus.classList.add('is-ok');
    announce(newStatus.textContent);
    $('#editor-title').setAttribute('tabindex', '-1');
    return;
  } catch (err) {
    status.textContent = '';
    if (err instanceof ApiError && err.reason === 'version_conflict') {
      const reload = h('button', { type: 'button', class: 'button button-secondary' }, 'Reload the latest version');
      reload.addEventListener('click', () => openEditor());
      showFormError(form, problemMessage(err), reload).focus();
    } else {
      showProblem(form, err);
    }
  } finally {
    saving = false;
    button.disabled = false;
  }
}

async function openEditor() {
  if (!editId) {
    renderEditor(null);
    return;
  }
  try {
    renderEditor(await api(`/products/${editId}`));
  } catch (err) {
    root.setAttribute('aria-busy', 'false');
    replace(root, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err)),
      h('p', null, h('a', { href: 'admin.html' }, 'Back to all watches'))));
  }
}

async function main() {
  const user = await initLayout('admin');
  if (!user || user.role !== 'admin') {
    root.setAttribute('aria-busy', 'false');
    replace(root, h('div', { class: 'empty-state', 'data-testid': 'admin-denied' },
      h('p', { class: 'empty-title' }, user ? 'This page is for staff only.' : 'Please sign in with a staff account.'),
      user ? h('a', { class: 'button button-primary', href: 'index.html' }, 'Back to the shop')
        : h('a', { class: 'button button-primary', href: 'login.html?next=admin.html' }, 'Sign in')));
    return;
  }
  const ordersView = q.get('view') === 'orders';
  $(ordersView ? '#view-orders' : '#view-watches').setAttribute('aria-current', 'page');
  if (ordersView) {
    $('#admin-heading').textContent = 'Orders admin';
    $('#admin-lede').textContent = 'Payments, reservations and refunds.';
    document.title = 'Orders admin · Watchstore';
    await showOrders(root);
  } else if (editId || isNew) await openEditor();
  else await showList();
}

main();
