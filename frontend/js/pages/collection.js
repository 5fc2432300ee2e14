// Collection page (collection.html?c=<slug>): its name, description and watches
// (the catalog's listing filtered by the collection, newest first, page by page).
import { api, ApiError, problemMessage, query } from '../api.js';
import { $, h, replace, params } from '../dom.js';
import { initLayout } from '../layout.js';
import { productCard } from '../product-card.js';

const PAGE_SIZE = 24;
const results = $('#results');
const summary = $('#results-summary');
const pager = $('#pager');
const slug = params().get('c') || '';

function notFound() {
  document.title = 'Collection not found · Watchstore';
  $('#crumb-current').textContent = 'Not found';
  $('#collection-name').textContent = 'This collection does not exist';
  $('#collection-description').textContent = '';
  results.setAttribute('aria-busy', 'false');
  replace(results, h('div', { class: 'empty-state', 'data-testid': 'not-found' },
    h('a', { class: 'button button-primary', href: 'index.html' }, 'Browse all watches')));
}

async function showPage(collection, cursor) {
  results.setAttribute('aria-busy', 'true');
  const page = await api(`/products${query({ collection: collection.name, limit: PAGE_SIZE, cursor })}`);
  const items = page.items || [];
  results.setAttribute('aria-busy', 'false');
  summary.textContent = `${collection.product_count} ${collection.product_count === 1 ? 'watch' : 'watches'}`;
  const grid = cursor ? $('[data-testid="product-grid"]', results) : null;
  if (grid) grid.append(...items.map(productCard)); // "More watches" adds the next page below
  else {
    replace(results, items.length
      ? h('ul', { class: 'product-grid', 'data-testid': 'product-grid' }, items.map(productCard))
      : h('p', { class: 'empty-state' }, 'No watches in this collection right now.'));
  }
  pager.hidden = !page.next_cursor;
  if (page.next_cursor) {
    const more = h('button', { type: 'button', class: 'button button-secondary', 'data-testid': 'next-page' }, 'More watches');
    more.addEventListener('click', () => showPage(collection, page.next_cursor).catch(showError));
    replace(pager, more);
  }
}

function showError(err) {
  results.setAttribute('aria-busy', 'false');
  replace(results, h('div', { class: 'alert alert-error', role: 'alert' }, h('p', null, problemMessage(err))));
}

async function main() {
  initLayout('collection');
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
    notFound();
    return;
  }
  let collection;
  try {
    collection = await api(`/collections/${encodeURIComponent(slug)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) notFound();
    else showError(err);
    return;
  }
  document.title = `${collection.name} · Watchstore`;
  $('#crumb-current').textContent = collection.name;
  $('#collection-name').textContent = collection.name;
  $('#collection-description').textContent = collection.description;
  try {
    await showPage(collection, '');
  } catch (err) {
    showError(err);
  }
}

main();
