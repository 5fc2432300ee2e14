// Catalog: filters, sort, search and cursor pagination, all kept in the URL.
import { api, ApiError, problemMessage, query } from '../api.js';
import { $, h, replace, params, MOVEMENT_VALUES, loadingBlock } from '../dom.js';
import { clearErrors, describeProblem, showFieldError } from '../forms.js';
import { parseMoneyInput } from '../money.js';
import { initLayout } from '../layout.js';
import { productCard as card } from '../product-card.js';

const PAGE_SIZE = 12;
const STORE_CURRENCY = 'USD';
const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'name_asc'];
// The API's order when none is asked for: best match for a search, else newest.
const defaultSort = (q) => (q ? 'relevance' : 'newest');
// Page URL keys. Prices are in major units (what people type); the API gets minor units.
// Filters passed to the API as they are (selects, and the case-size inputs).
const SELECT_FILTERS = ['brand', 'movement', 'case_material', 'complication', 'min_water', 'condition'];
const NUMBER_FILTERS = ['min_case', 'max_case'];
const FILTERS = [...SELECT_FILTERS, ...NUMBER_FILTERS, 'price_from', 'price_to', 'in_stock'];
const KEYS = ['q', 'sort', ...FILTERS, 'limit', 'cursor', 'page'];
const PREV_KEY = 'ws.catalog.prev';

const searchForm = $('#search-form');
const filterForm = $('#filter-form');
const results = $('#results');
const summary = $('#results-summary');
const pager = $('#pager');
const details = $('#filters-details');

function readState() {
  const p = params();
  const state = {};
  for (const key of KEYS) state[key] = (p.get(key) || '').trim();
  if (!SORTS.includes(state.sort)) state.sort = '';
  if (state.movement && !MOVEMENT_VALUES.includes(state.movement)) state.movement = '';
  state.in_stock = state.in_stock === 'true' ? 'true' : '';
  state.page = /^\d+$/.test(state.page) && Number(state.page) > 1 ? state.page : '';
  // Page size: optional, kept in the URL so a shared link shows the same page.
  state.limit = /^\d+$/.test(state.limit) && Number(state.limit) >= 1 && Number(state.limit) <= 100 ? state.limit : '';
  return state;
}

function stateUrl(state) {
  const p = new URLSearchParams();
  for (const key of KEYS) if (state[key]) p.set(key, state[key]);
  const s = p.toString();
  return s ? `index.html?${s}` : 'index.html';
}

/** A key for the filters alone, so "previous page" links are remembered per listing. */
function listingKey(state) {
  return KEYS.filter((k) => k !== 'cursor' && k !== 'page').map((k) => `${k}=${state[k]}`).join('&');
}

function rememberPrev(state, nextCursor) {
  try {
    const map = JSON.parse(sessionStorage.getItem(PREV_KEY) || '{}');
    map[`${listingKey(state)}|${nextCursor}`] = state.cursor || '';
    sessionStorage.setItem(PREV_KEY, JSON.stringify(map));
  } catch {
    // no storage: "previous" falls back to the first page
  }
}

function prevCursor(state) {
  try {
    const map = JSON.parse(sessionStorage.getItem(PREV_KEY) || '{}');
    const v = map[`${listingKey(state)}|${state.cursor}`];
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

function fillForms(state) {
  searchForm.elements.q.value = state.q;
  searchForm.elements.sort.value = state.sort || defaultSort(state.q);
  ensureBrandOption(state.brand);
  for (const key of [...SELECT_FILTERS, ...NUMBER_FILTERS, 'price_from', 'price_to']) {
    filterForm.elements[key].value = state[key];
  }
  filterForm.elements.in_stock.checked = state.in_stock === 'true';
  const active = FILTERS.filter((k) => state[k]).length;
  $('#filters-count').textContent = active ? `(${active} active)` : '';
}

function ensureBrandOption(brand) {
  if (!brand) return;
  const select = filterForm.elements.brand;
  const exists = Array.from(select.options).some((o) => o.value.toLowerCase() === brand.toLowerCase());
  if (!exists) select.append(h('option', { value: brand }, brand));
}

/** Brands for the filter: from the first page of the whole catalog (cached for the session). */
async function loadBrands() {
  const CACHE = 'ws.brands';
  let brands = null;
  try {
    const cached = JSON.parse(sessionStorage.getItem(CACHE) || 'null');
    if (cached && Date.now() - cached.at < 5 * 60 * 1000) brands = cached.brands;
  } catch {
    brands = null;
  }
  if (!brands) {
    try {
      const page = await api('/products?limit=100&sort=name_asc');
      brands = [...new Set((page.items || []).map((p) => p.brand).filter(Boolean))].sort((a, b) => a.localeCompare(b));
      sessionStorage.setItem(CACHE, JSON.stringify({ at: Date.now(), brands }));
    } catch {
      brands = [];
    }
  }
  const select = filterForm.elements.brand;
  const current = select.value;
  const have = new Set(Array.from(select.options).map((o) => o.value.toLowerCase()));
  for (const b of brands) if (!have.has(b.toLowerCase())) select.append(h('option', { value: b }, b));
  select.value = current;
}

function renderPager(state, nextCursor) {
  const pageNo = Number(state.page || '1');
  const links = [];
  if (state.cursor) {
    const prev = prevCursor(state);
    const prevState = { ...state, cursor: prev || '', page: prev ? String(Math.max(pageNo - 1, 1)) : '' };
    if (prevState.page === '1') prevState.page = '';
    links.push(h('a', { class: 'button button-secondary', href: stateUrl(prevState), rel: 'prev', 'data-nav': '' },
      prev === null ? 'First page' : 'Previous page'));
  }
  links.push(h('span', { class: 'pager-status' }, `Page ${pageNo}`));
  if (nextCursor) {
    const nextState = { ...state, cursor: nextCursor, page: String(pageNo + 1) };
    const next = h('a', { class: 'button button-secondary', href: stateUrl(nextState), rel: 'next', 'data-nav': '', 'data-testid': 'next-page' }, 'Next page');
    next.addEventListener('click', () => rememberPrev(state, nextCursor));
    links.push(next);
  }
  replace(pager, ...links);
  pager.hidden = !state.cursor && !nextCursor;
}

function toApiQuery(state) {
  const q = { q: state.q, sort: state.sort, in_stock: state.in_stock, limit: state.limit || PAGE_SIZE, cursor: state.cursor };
  for (const key of [...SELECT_FILTERS, ...NUMBER_FILTERS]) q[key] = state[key];
  const errors = [];
  for (const [key, apiKey] of [['price_from', 'min_price'], ['price_to', 'max_price']]) {
    if (!state[key]) continue;
    const parsed = parseMoneyInput(state[key], STORE_CURRENCY);
    if (parsed.error) errors.push({ key, message: parsed.error });
    else q[apiKey] = parsed.minor;
  }
  return { q, errors };
}

// Facet counts beside the filter options: for the current search and
// filters, how many watches each choice would show (a filter's own counts
// ignore that filter, so the other choices keep their numbers).
const FACET_OF_FILTER = { brand: 'brand', movement: 'movement', case_material: 'case_material', complication: 'complication', condition: 'condition' };
let facetSeq = 0;
async function loadFacets(apiQuery) {
  const seq = ++facetSeq;
  const { cursor, limit, sort, ...filters } = apiQuery;
  let data;
  try {
    data = await api(`/products/facets${query(filters)}`);
  } catch {
    return; // counts are a hint; the listing shows its own error
  }
  if (seq !== facetSeq || !data || !data.facets) return;
  // Counted over a sample of a very large catalog: estimates, shown as such.
  const about = data.approximate === true ? '≈' : '';
  for (const [field, facet] of Object.entries(FACET_OF_FILTER)) {
    const counts = new Map((data.facets[facet] || []).map((v) => [v.value.toLowerCase(), v.count]));
    for (const option of filterForm.elements[field].options) {
      if (!option.value) continue;
      if (!option.dataset.label) option.dataset.label = option.textContent;
      const n = counts.get(option.value.toLowerCase()) || 0;
      option.textContent = `${option.dataset.label} (${n ? about : ''}${n})`;
      option.dataset.count = String(n);
    }
  }
}

let loadSeq = 0;
async function load() {
  const seq = ++loadSeq;
  const state = readState();
  fillForms(state);
  clearErrors(filterForm);
  clearErrors(searchForm);
  const { q, errors } = toApiQuery(state);
  if (errors.length) {
    for (const e of errors) showFieldError(filterForm.elements[e.key], e.message);
    details.open = true;
  }
  if (!errors.length) loadFacets(q);
  results.setAttribute('aria-busy', 'true');
  replace(results, loadingBlock('Loading watches…'));
  summary.textContent = '';
  let page;
  try {
    page = await api(`/products${query(q)}`);
  } catch (err) {
    if (seq !== loadSeq) return;
    results.setAttribute('aria-busy', 'false');
    pager.hidden = true;
    const field = err instanceof ApiError ? err.field : '';
    const input = field && filterForm.querySelector(`[data-field="${CSS.escape(field)}"], [name="${CSS.escape(field)}"]`);
    if (input) {
      showFieldError(input, describeProblem(err, input.labels && input.labels[0] ? input.labels[0].textContent.trim() : field));
      details.open = true;
    }
    if (field === 'cursor') {
      replace(results, h('div', { class: 'empty-state' }, h('p', null, 'That page of results has expired.'),
        h('a', { class: 'button button-primary', href: stateUrl({ ...state, cursor: '', page: '' }) }, 'Go to the first page')));
    } else {
      replace(results, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err)),
        h('button', { type: 'button', class: 'button button-secondary', onclick: () => load() }, 'Try again')));
    }
    return;
  }
  if (seq !== loadSeq) return;
  results.setAttribute('aria-busy', 'false');
  const items = (page && page.items) || [];
  if (!items.length) {
    const filtered = ['q', ...FILTERS].some((k) => state[k]);
    replace(results, h('div', { class: 'empty-state', 'data-testid': 'empty-state' },
      h('img', { src: 'img/watches/placeholder.svg', alt: '', width: '120', height: '120' }),
      h('p', { class: 'empty-title' }, state.cursor ? 'No more watches.' : filtered ? 'No watches match these filters.' : 'The catalog is empty for now.'),
      filtered ? h('a', { class: 'button button-secondary', href: 'index.html' }, 'Clear all filters') : null));
    summary.textContent = 'No watches found.';
  } else {
    replace(results, h('ul', { class: 'product-grid', 'data-testid': 'product-grid' }, items.map(card)));
    summary.textContent = `Showing ${items.length} watch${items.length === 1 ? '' : 'es'}${state.page ? ` on page ${state.page}` : ''}.`;
  }
  renderPager(state, page && page.next_cursor);
}

function navigate(url) {
  const here = `${window.location.pathname.split('/').pop() || 'index.html'}${window.location.search}`;
  if (url !== here) window.history.pushState(null, '', url);
  return load();
}

function collect() {
  const q = searchForm.elements.q.value.trim();
  const prev = readState();
  const chosen = searchForm.elements.sort.value;
  // A sort left at its default follows the search: a new search is ranked.
  const untouched = !prev.sort && chosen === defaultSort(prev.q);
  const state = {
    q,
    sort: untouched || chosen === defaultSort(q) ? '' : chosen,
    ...Object.fromEntries([...SELECT_FILTERS, ...NUMBER_FILTERS].map((k) => [k, filterForm.elements[k].value.trim()])),
    price_from: filterForm.elements.price_from.value.trim(),
    price_to: filterForm.elements.price_to.value.trim(),
    in_stock: filterForm.elements.in_stock.checked ? 'true' : '',
    limit: readState().limit,
    cursor: '', // new filters start from the first page
    page: '',
  };
  return stateUrl(state);
}

function apply(event) {
  if (event) event.preventDefault();
  navigate(collect());
}

searchForm.addEventListener('submit', apply);
filterForm.addEventListener('submit', apply);
for (const el of [searchForm.elements.sort, ...SELECT_FILTERS.map((k) => filterForm.elements[k]), filterForm.elements.in_stock]) {
  el.addEventListener('change', () => apply());
}

// Suggestions as you type: debounced, and a newer keystroke aborts the
// request still in flight, so a slow old answer never replaces a newer one.
const suggestBox = $('#search-suggestions');
const searchInput = searchForm.elements.q;
let suggestTimer = 0;
let suggestAbort = null;
function hideSuggestions() {
  suggestBox.hidden = true;
  searchInput.setAttribute('aria-expanded', 'false');
}
async function suggest(text) {
  if (suggestAbort) suggestAbort.abort();
  if (text.trim().length < 2) {
    hideSuggestions();
    return;
  }
  const controller = new AbortController();
  suggestAbort = controller;
  let page;
  try {
    page = await api(`/products${query({ q: text, limit: 6 })}`, { signal: controller.signal });
  } catch {
    if (suggestAbort === controller) hideSuggestions();
    return;
  }
  if (suggestAbort !== controller) return; // a newer request owns the box
  const items = (page && page.items) || [];
  replace(suggestBox, ...items.map((p) => h('li', { role: 'option', 'data-testid': 'suggestion' },
    h('a', { href: p.url },
      `${p.brand} ${p.model}`, p.reference ? h('span', { class: 'suggestion-ref' }, ` ${p.reference}`) : null))));
  suggestBox.hidden = items.length === 0;
  searchInput.setAttribute('aria-expanded', items.length ? 'true' : 'false');
}
searchInput.addEventListener('input', () => {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(() => suggest(searchInput.value), 200);
});
searchInput.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') hideSuggestions();
  if (e.key === 'ArrowDown' && !suggestBox.hidden) {
    e.preventDefault();
    const first = suggestBox.querySelector('a');
    if (first) first.focus();
  }
});
suggestBox.addEventListener('keydown', (e) => {
  const links = Array.from(suggestBox.querySelectorAll('a'));
  const i = links.indexOf(document.activeElement);
  if (e.key === 'ArrowDown' && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
  if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? links[i - 1] : searchInput).focus(); }
  if (e.key === 'Escape') { hideSuggestions(); searchInput.focus(); }
});
searchForm.addEventListener('submit', () => {
  clearTimeout(suggestTimer);
  if (suggestAbort) suggestAbort.abort();
  hideSuggestions();
});
$('#clear-filters').addEventListener('click', (e) => {
  e.preventDefault();
  navigate('index.html');
});
pager.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href')).then(() => {
    summary.setAttribute('tabindex', '-1');
    summary.focus();
    window.scrollTo({ top: 0 });
  });
});
window.addEventListener('popstate', () => load());

// Filters open by default on wide screens, folded on phones.
details.open = window.matchMedia('(min-width: 56rem)').matches;

/** The collections, as links to their pages (hidden when there are none or the call fails). */
async function loadCollections() {
  const nav = $('#collections-nav');
  try {
    const { items } = await api('/collections');
    if (!items || !items.length) return;
    replace(nav, h('h2', { class: 'collections-title' }, 'Collections'),
      h('ul', { class: 'collections-list' }, items.map((c) => h('li', null,
        h('a', { href: c.url, 'data-testid': 'collection-link' }, c.name,
          h('span', { class: 'collection-count' }, ` (${c.product_count})`))))));
    nav.hidden = false;
  } catch {
    // the catalog works without the collections bar
  }
}

initLayout('catalog');
loadCollections();
loadBrands().then(() => fillForms(readState()));
load();
