// A watch in a listing (the catalog, a collection page): links to its readable URL.
import { h, watchImage, movementName } from './dom.js';
import { formatMoney } from './money.js';

export function productCard(product) {
  const title = `${product.brand} ${product.model}`;
  const href = product.url;
  const soldOut = product.in_stock === false;
  return h('li', { class: 'product-card', 'data-testid': 'product-card', 'data-product-id': product.id },
    h('a', { class: 'product-card-link', href },
      h('div', { class: 'product-card-media' },
        watchImage(product.image_url, `${title} watch`, { width: '400', height: '400', loading: 'lazy' }),
        soldOut ? h('span', { class: 'badge badge-soldout' }, 'Sold out') : null),
      h('div', { class: 'product-card-body' },
        h('p', { class: 'product-brand' }, product.brand),
        h('h3', { class: 'product-model' }, product.model),
        h('p', { class: 'product-meta' },
          [movementName(product.movement), product.case_diameter_mm ? `${product.case_diameter_mm} mm` : '', product.case_material]
            .filter(Boolean).join(' · ')),
        h('p', { class: 'product-price', 'data-testid': 'product-price' },
          product.variants && product.variants.length > 1 ? h('span', { class: 'price-from' }, 'From ') : null,
          formatMoney(product.price_from)))));
}
