#!/usr/bin/env node
// Browser tests of the storefront against a running watchstore-server.
//
//   WATCHSTORE_BASE_URL=http://127.0.0.1:18080 \
//   WATCHSTORE_ADMIN_EMAIL=admin@example.com WATCHSTORE_ADMIN_PASSWORD=... \
//   [WATCHSTORE_ARTIFACTS_DIR=test-artifacts] [WATCHSTORE_BROWSER_GREP=regex] \
//   node tests/browser/storefront.test.mjs
//
// Drives Debian's /usr/bin/chromium headless through playwright-core (tools/node_modules).
// Loopback only: every request to another host is aborted. Prints "N passed, N failed" last;
// exits 1 when a test failed.

import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = (process.env.WATCHSTORE_BASE_URL || '').replace(/\/+$/, '');
const ADMIN_EMAIL = process.env.WATCHSTORE_ADMIN_EMAIL || '';
const ADMIN_PASSWORD = process.env.WATCHSTORE_ADMIN_PASSWORD || '';
const ARTIFACTS = resolve(process.env.WATCHSTORE_ARTIFACTS_DIR || 'test-artifacts');
const SHOTS = join(ARTIFACTS, 'screenshots');
const GREP = process.env.WATCHSTORE_BROWSER_GREP ? new RegExp(process.env.WATCHSTORE_BROWSER_GREP, 'i') : null;
const CHROMIUM = process.env.WATCHSTORE_CHROMIUM || '/usr/bin/chromium';
const API = `${BASE}/api/v1`;
const TEST_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 15_000;
const PASSWORD = 'correct horse battery staple';
const WIDTHS = [390, 1280];
const RUN = Date.now().toString(36);
const MAIL_DIR = process.env.WATCHSTORE_MAIL_DIR || '';

// ---------------------------------------------------------------- harness

const tests = [];
function test(name, fn, timeout = TEST_TIMEOUT_MS) {
  tests.push({ name, fn, timeout });
}

class AssertionError extends Error {}
/** Thrown by skip(): the test does not apply to this server (counted apart, not as a pass). */
class SkipTest extends Error {}
function skip(reason) {
  throw new SkipTest(reason);
}
function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Polls `fn` until it returns a truthy value. */
async function until(fn, message, timeout = STEP_TIMEOUT_MS) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new AssertionError(`${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectText(locator, pattern, message) {
  const re = pattern instanceof RegExp ? pattern : new RegExp(escapeRe(pattern));
  return until(async () => {
    const text = (await locator.first().textContent({ timeout: 2000 })) || '';
    return re.test(text) ? text : false;
  }, message || `expected text ${re}`);
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
function money(minor) {
  const s = String(minor).padStart(3, '0');
  return usd.format(`${s.slice(0, -2)}.${s.slice(-2)}`);
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForLoadState('load');
  await page.evaluate(() => document.fonts && document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

// ---------------------------------------------------------------- API helpers (Node fetch, loopback)

async function apiCall(path, { method = 'GET', body, token, headers = {} } = {}) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 300)}`);
  return data;
}

let adminToken = null;
async function admin() {
  if (!adminToken) {
    assert(ADMIN_EMAIL && ADMIN_PASSWORD, 'WATCHSTORE_ADMIN_EMAIL and WATCHSTORE_ADMIN_PASSWORD must be set');
    const res = await apiCall('/auth/login', { method: 'POST', body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    adminToken = res.token;
    assert(adminToken, 'admin login returned no token');
  }
  return adminToken;
}

async function getProduct(id) {
  return apiCall(`/products/${id}`, { token: await admin() });
}

async function setStock(variantId, current, wanted) {
  if (current === wanted) return null;
  return apiCall(`/variants/${variantId}/stock`, { method: 'POST', token: await admin(), body: { delta: wanted - current } });
}

async function allProducts() {
  const items = [];
  let cursor = '';
  for (let i = 0; i < 20; i += 1) {
    const page = await apiCall(`/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

const taken = new Set();
/** A product no other test uses, with its first variant stocked to at least `minStock`. */
async function takeProduct(minStock = 5, { showcase = false } = {}) {
  const products = await allProducts();
  let candidates = products.filter((p) => !taken.has(p.id) && p.variants && p.variants.length);
  if (showcase) {
    // for screenshots: a watch with a picture and a variant picker
    const score = (p) => (p.image_url ? 2 : 0) + (p.variants.length > 1 ? 1 : 0);
    candidates = [...candidates].sort((x, y) => score(y) - score(x));
  }
  assert(candidates.length, 'the demo catalog has too few products for the browser tests');
  const product = candidates.find((p) => p.variants[0].stock >= minStock) || candidates[0];
  taken.add(product.id);
  const variant = product.variants[0];
  if (variant.stock < minStock) {
    await setStock(variant.id, variant.stock, minStock);
    return getProduct(product.id);
  }
  return product;
}

// ---------------------------------------------------------------- UI helpers

async function registerViaUi(page, email) {
  await page.goto('/register.html');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => !u.pathname.endsWith('/register.html'));
  await expectText(page.getByTestId('user-email'), email, 'the header shows the new user after registering');
}

/** The text of the newest e-mail to `to` whose subject matches, from the server's file mailer. */
async function mailTo(to, subject) {
  assert(MAIL_DIR, 'WATCHSTORE_MAIL_DIR is not set (run-local.sh sets it)');
  return until(() => {
    let newest = null;
    for (const name of readdirSync(MAIL_DIR).filter((n) => n.endsWith('.eml'))) {
      const raw = readFileSync(join(MAIL_DIR, name), 'utf8');
      const text = raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      if (text.includes(`\nTo: ${to}\r`) && subject.test(text)) {
        if (!newest || text > newest) newest = text;
      }
    }
    return newest;
  }, `an e-mail "${subject}" to ${to}`);
}

/** The link to `page` (with its #token=...) in an e-mail's text. */
function linkIn(mail, pageName) {
  const m = mail.match(new RegExp(`(http://[^\\s"<]+/${pageName}#token=[A-Za-z0-9_-]+)`));
  assert(m, `no ${pageName} link in the e-mail`);
  return m[1];
}

async function loginViaUi(page, email, password, next) {
  await page.goto(next ? `/login.html?next=${encodeURIComponent(next)}` : '/login.html');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.endsWith('/login.html'));
}

async function addToCart(page, product, variant, quantity = 1) {
  await page.goto(`/product.html?id=${product.id}&variant=${variant.id}`);
  await expectText(page.getByRole('heading', { level: 1 }), product.model, 'the product page shows the model');
  await expectText(page.getByTestId('variant-price'), money(variant.price.amount_minor), 'the product page shows the variant price');
  if (quantity > 1) await page.getByLabel('Quantity').selectOption(String(quantity));
  await page.getByTestId('account-nav').locator('li').first().waitFor(); // header filled: the cart count is loaded
  const before = Number(await page.locator('[data-cart-count]').textContent());
  await page.getByTestId('add-to-cart').click();
  await expectText(page.getByTestId('add-status'), /Added/, 'the product page confirms the add');
  await until(async () => Number(await page.locator('[data-cart-count]').textContent()) === before + quantity,
    'the cart count in the header goes up');
}

async function fillShipping(page) {
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Address', { exact: true }).fill('12 St James\'s Square');
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Postal code').fill('SW1Y 4JH');
  await page.getByLabel('Country').selectOption('GB');
}

/** Cheap checks: labelled controls, alt on images, one h1, no inline style or handler attributes. */
async function basicA11y(page) {
  return page.evaluate(() => {
    const issues = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) issues.push(`unlabelled ${el.tagName.toLowerCase()} ${el.id || el.name}`);
    }
    for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) issues.push(`img without alt: ${img.src}`);
    const h1 = document.querySelectorAll('h1').length;
    if (h1 !== 1) issues.push(`${h1} h1 elements`);
    for (const el of document.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) {
        if ((attr === 'style' && el.getAttribute('style').trim()) || attr.startsWith('on')) issues.push(`inline ${attr} on ${el.tagName.toLowerCase()}#${el.id}: ${el.getAttribute(attr)}`);
      }
    }
    return issues;
  });
}

async function cardPrices(page) {
  const texts = await page.getByTestId('product-price').allTextContents();
  return texts.map((t) => Number(t.replace(/[^0-9.]/g, '')));
}

// ---------------------------------------------------------------- tests

test('every page is static HTML without inline script, style or handlers, served with the CSP', async () => {
  const pages = ['index.html', 'product.html', 'cart.html', 'checkout.html', 'order.html', 'pay.html', 'orders.html', 'login.html', 'register.html', 'admin.html',
    'forgot-password.html', 'reset-password.html', 'verify-email.html', 'account.html', 'collection.html'];
  for (const name of ['', ...pages]) {
    const res = await fetch(`${BASE}/${name}`, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
    assert(res.ok, `/${name} -> ${res.status}`);
    const html = await res.text();
    assert(/<script type="module" src="\/?js\/pages\/[a-z]+\.js"><\/script>/.test(html), `/${name} loads its module`);
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), `/${name} has an inline script`);
    assert(!/\sstyle\s*=|\son[a-z]+\s*=/i.test(html), `/${name} has an inline style or event handler`);
    const csp = res.headers.get('content-security-policy') || '';
    assert(/default-src 'self'/.test(csp), `/${name} is served without the CSP (got "${csp}")`);
    // Only the payment page may load Stripe.js: its policy names Stripe's origins, no other does.
    if (name === 'pay.html') {
      for (const want of [/script-src 'self' https:\/\/js\.stripe\.com/, /frame-src [^;]*https:\/\/js\.stripe\.com/, /frame-src [^;]*https:\/\/hooks\.stripe\.com/,
        /connect-src 'self' https:\/\/api\.stripe\.com/]) assert(want.test(csp), `pay.html's CSP lacks ${want}: "${csp}"`);
    } else {
      assert(!/stripe/.test(csp), `/${name} allows Stripe: "${csp}"`);
    }
    assert(name === 'pay.html' || !/js\.stripe\.com/.test(html), `/${name} mentions Stripe.js`);
  }
  const cfg = await (await fetch(`${BASE}/config.json`)).json();
  assert(typeof cfg.apiBase === 'string' && cfg.apiBase, 'config.json names the apiBase');
});

test('collections: the catalog links to a collection page with its description and its watches; a watch links to its collections', async ({ page }) => {
  const { items } = await apiCall('/collections');
  assert(items && items.length, 'the demo catalog has collections');
  const c = items.find((x) => x.description && x.product_count > 0);
  assert(c, 'a described collection with watches');
  await page.goto('/');
  const link = page.getByTestId('collection-link').filter({ hasText: c.name });
  await link.first().waitFor();
  await link.first().click();
  await page.waitForURL((u) => u.pathname === '/collection.html' && u.searchParams.get('c') === c.slug);
  await expectText(page.getByTestId('collection-name'), c.name, 'the page names the collection');
  await expectText(page.getByTestId('collection-description'), c.description, 'the page shows its description');
  const cards = page.getByTestId('product-card');
  await cards.first().waitFor();
  const shown = await cards.count();
  assert(shown === Math.min(c.product_count, 24), `the page lists its watches: ${shown} of ${c.product_count}`);
  const listed = await apiCall(`/products?collection=${encodeURIComponent(c.name)}&limit=24`);
  const ids = await cards.evaluateAll((els) => els.map((e) => Number(e.dataset.productId)));
  assert(JSON.stringify(ids) === JSON.stringify(listed.items.map((p) => p.id)), 'the same watches as the catalog filtered by the collection');
  // a watch in it links back to the collection
  await cards.first().getByRole('link').first().click();
  await page.waitForURL(/\/watches\//);
  const back = page.getByTestId('product-collection-link').filter({ hasText: new RegExp(`^${escapeRe(c.name)}$`, 'i') });
  await back.first().waitFor();
  assert((await back.first().getAttribute('href')) === c.url, 'the watch page links to the collection page');
  const missing = await page.goto('/collection.html?c=no-such-collection');
  assert(missing.status() === 200, 'the page itself is static');
  await page.getByTestId('not-found').waitFor();
});

test('readable URLs: a watch opens at /watches/<slug>; the admin renames it and the old URL lands on the new one', async ({ page }) => {
  const p = await takeProduct(1);
  assert(p.url === `/watches/${p.slug}`, `the product JSON names its URL: ${p.url}`);
  const res = await page.goto(p.url);
  assert(res.status() === 200, `${p.url} -> ${res.status()}`);
  assert(/default-src 'self'/.test(res.headers()['content-security-policy'] || ''), 'the page at /watches/ has the CSP');
  await expectText(page.getByRole('heading', { level: 1 }), p.model, 'the watch opens at its readable URL');
  await expectText(page.getByTestId('variant-price'), money(p.variants[0].price.amount_minor), 'its script and data load from /watches/');
  assert(new URL(page.url()).pathname === p.url, `the address stays readable: ${page.url()}`);
  assert((await page.locator('link[rel="canonical"]').getAttribute('href')).endsWith(p.url), 'the canonical link names the readable URL');
  assert(await page.locator('link[rel="stylesheet"]').evaluate((l) => l.sheet !== null), 'the stylesheet resolves from /watches/');
  // the old address by id settles on the readable one
  await page.goto(`/product.html?id=${p.id}`);
  await page.waitForURL((u) => u.pathname === p.url);
  // an unknown slug is a real 404
  const missing = await page.goto(`/watches/no-such-watch-${RUN}`);
  assert(missing.status() === 404, `an unknown slug -> ${missing.status()}`);

  // the admin renames the watch and gives it a new address
  const model = `${p.model} Mark II`;
  const slug = `${p.slug}-mark-ii-${RUN}`.slice(0, 80).replace(/-+$/, '');
  await loginViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD, `admin.html?id=${p.id}`);
  await page.waitForURL(/admin\.html\?id=/);
  await page.getByLabel('Model').fill(model);
  await page.getByLabel('Web address').fill(slug);
  await page.getByTestId('save-product').click();
  await expectText(page.getByTestId('save-status'), /Saved/, 'the rename is saved');
  const renamed = await getProduct(p.id);
  assert(renamed.slug === slug && renamed.model === model, `the API has the new name and slug: ${renamed.slug}`);

  // the old URL lands on the new one (a real 301), showing the new name
  const moved = await fetch(`${BASE}${p.url}`, { redirect: 'manual', signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert(moved.status === 301 && moved.headers.get('location') === `/watches/${slug}`, `the old URL answers ${moved.status} ${moved.headers.get('location')}`);
  await page.goto(p.url);
  await page.waitForURL((u) => u.pathname === `/watches/${slug}`);
  await expectText(page.getByRole('heading', { level: 1 }), model, 'the old URL shows the renamed watch');
  // listing cards link to the new address
  await page.goto(`/?q=${encodeURIComponent(model)}`);
  const card = page.locator(`[data-testid="product-card"][data-product-id="${p.id}"]`);
  await card.waitFor();
  assert((await card.getByRole('link').first().getAttribute('href')) === `/watches/${slug}`, 'the card links to the readable URL');
});

test('before its script runs, a form with an address or password cannot be sent: its button is off and it would POST, never put them in a URL', async ({ browser }) => {
  const bare = await browser.newContext({ baseURL: BASE, javaScriptEnabled: false });
  await guard(bare);
  const page = await bare.newPage();
  for (const [name, forms] of [['login.html', ['#login-form']], ['register.html', ['#register-form']], ['forgot-password.html', ['#forgot-form']],
    ['reset-password.html', ['#reset-form']], ['account.html', ['#email-form', '#password-form']], ['checkout.html', ['#checkout-form']]]) {
    await page.goto(`/${name}`);
    for (const id of forms) {
      const form = page.locator(id);
      assert((await form.getAttribute('method')) === 'post', `${name} ${id} would send its fields in a URL`);
      assert(await form.locator('button[type="submit"]').isDisabled(), `${name} ${id} can be sent before its script runs`);
    }
  }
  // Enter in a field sends nothing either (implicit submission needs an enabled button).
  await page.goto('/login.html');
  await page.locator('#login-email').fill(`nobody-${RUN}@example.com`);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-password').press('Enter');
  await page.waitForTimeout(300);
  assert(new URL(page.url()).search === '', `the login form was sent natively: ${page.url()}`);
  await bare.close();
});

test('catalog: filters, sort, search and cursor pagination live in the URL and survive reload', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('product-card').first().waitFor();
  const allCount = await page.getByTestId('product-card').count();
  assert(allCount > 0, 'the catalog shows watches');
  // images have alt text
  const alts = await page.locator('[data-testid="product-card"] img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')));
  assert(alts.every((a) => a && a.length > 3), 'every product image has alt text');

  // sort by price, low to high
  await page.getByLabel('Sort by').selectOption('price_asc');
  await page.waitForURL(/sort=price_asc/);
  await page.getByTestId('product-card').first().waitFor();
  const prices = await cardPrices(page);
  assert(prices.every((p, i) => i === 0 || prices[i - 1] <= p), `prices ascend: ${prices.join(', ')}`);

  // filter by movement
  const details = page.locator('#filters-details');
  if (!(await details.evaluate((d) => d.open))) await page.locator('#filters-details summary').click();
  await page.getByLabel('Movement').selectOption('automatic');
  await page.waitForURL(/movement=automatic/);
  await until(async () => (await page.getByTestId('product-card').count()) > 0
    || (await page.getByTestId('empty-state').count()) > 0, 'the filtered list loads');
  const automatic = (await allProducts()).filter((p) => p.movement === 'automatic').length;
  await until(async () => (await page.getByTestId('product-card').count()) === Math.min(automatic, 12),
    `the movement filter shows the ${automatic} automatic watches`);
  await page.reload();
  assert((await page.getByLabel('Movement').inputValue()) === 'automatic', 'the movement filter survives reload');
  assert((await page.getByLabel('Sort by').inputValue()) === 'price_asc', 'the sort survives reload');

  // text search
  const products = await allProducts();
  const target = products[0];
  await page.goto('/');
  await page.getByLabel('Search watches').fill(target.model);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/q=/);
  await expectText(page.getByTestId('product-grid'), target.model, 'search finds the watch by model');
  const names = await page.locator('[data-testid="product-card"] h3').allTextContents();
  assert(names.every((n) => n.toLowerCase().includes(target.model.toLowerCase())), `search results all match: ${names.join(' | ')}`);

  // empty state
  await page.goto('/?q=no-such-watch-zzz');
  await expectText(page.getByTestId('empty-state'), /No watches match/, 'an empty search says so');

  // cursor pagination (2 per page) that survives reload
  assert(products.length >= 3, 'need at least 3 products to page through');
  await page.goto('/?sort=name_asc&limit=2');
  await page.getByTestId('product-card').first().waitFor();
  const first = await page.locator('[data-testid="product-card"] h3').allTextContents();
  await page.getByTestId('next-page').click();
  await page.waitForURL(/cursor=/);
  await until(async () => {
    const now = await page.locator('[data-testid="product-card"] h3').allTextContents();
    return now.length && now.join() !== first.join();
  }, 'the next page shows other watches');
  const second = await page.locator('[data-testid="product-card"] h3').allTextContents();
  const url = page.url();
  await page.reload();
  await page.getByTestId('product-card').first().waitFor();
  const afterReload = await page.locator('[data-testid="product-card"] h3').allTextContents();
  assert(page.url() === url, 'the URL keeps the cursor');
  assert(afterReload.join() === second.join(), `the same page after reload: ${afterReload} vs ${second}`);
  await page.getByRole('link', { name: 'Previous page' }).click();
  await until(async () => (await page.locator('[data-testid="product-card"] h3').allTextContents()).join() === first.join(),
    'previous page goes back to the first page');
  await page.goBack();
  await until(async () => (await page.locator('[data-testid="product-card"] h3').allTextContents()).join() === second.join(),
    'the browser back button restores the second page');
});

test('full journey: browse, filter, open a watch, register, add two watches, change a quantity, check out, see the order', async ({ page, context }) => {
  const a = await takeProduct(5);
  const b = await takeProduct(5);
  const va = a.variants[0];
  const vb = b.variants[0];

  // browse and filter
  await page.goto('/');
  await page.getByTestId('product-card').first().waitFor();
  if (!(await page.locator('#filters-details').evaluate((d) => d.open))) await page.locator('#filters-details summary').click();
  await page.getByLabel('In stock only').check();
  await page.waitForURL(/in_stock=true/);
  await page.getByLabel('Search watches').fill(a.model);
  await page.getByLabel('Search watches').press('Enter');
  await page.waitForURL(/q=/);
  const card = page.locator(`[data-testid="product-card"][data-product-id="${a.id}"]`);
  await card.waitFor();
  await card.getByRole('link').click();
  await page.waitForURL((u) => u.pathname === a.url);
  await expectText(page.getByRole('heading', { level: 1 }), a.model, 'the watch opens at its readable URL');

  // register (then signed in automatically)
  const email = `journey-${RUN}@example.com`;
  await registerViaUi(page, email);

  // two watches in the cart
  await addToCart(page, a, va, 1);
  await addToCart(page, b, vb, 1);
  await page.getByTestId('cart-link').click();
  await page.waitForURL(/cart\.html/);
  await until(async () => (await page.getByTestId('cart-line').count()) === 2, 'the cart has two lines');
  await expectText(page.getByTestId('cart-subtotal'), money(va.price.amount_minor + vb.price.amount_minor), 'the subtotal adds up');

  // change a quantity
  const lineA = page.locator(`[data-testid="cart-line"][data-variant-id="${va.id}"]`);
  await lineA.getByTestId('line-quantity').fill('2');
  await lineA.getByTestId('update-quantity').click();
  const expected = 2 * va.price.amount_minor + vb.price.amount_minor;
  await expectText(page.getByTestId('cart-subtotal'), money(expected), 'the subtotal follows the new quantity');
  await expectText(page.locator(`[data-testid="cart-line"][data-variant-id="${va.id}"] [data-testid="line-total"]`), money(2 * va.price.amount_minor), 'the line total follows');
  await expectText(page.getByTestId('cart-item-count'), '3', 'three items in total');

  // check out
  await page.getByTestId('checkout-link').click();
  await page.waitForURL(/checkout\.html/);
  await expectText(page.getByTestId('checkout-total'), money(expected), 'checkout shows the total');
  await fillShipping(page);
  await page.getByTestId('place-order').click();
  await page.waitForURL(/order\.html\?id=\d+&placed=1/);
  await expectText(page.getByTestId('order-confirmation'), /Thank you/, 'the confirmation page thanks the customer');
  const number = (await page.getByTestId('order-number').first().textContent()).trim();
  await expectText(page.getByTestId('order-total'), money(expected), 'the order total is right');
  await until(async () => (await page.locator('[data-cart-count]').textContent()).trim() === '0', 'the cart is empty after the order');

  // order history
  await page.getByRole('link', { name: 'Orders', exact: true }).click();
  await page.waitForURL(/orders\.html/);
  const row = page.getByTestId('order-row').filter({ hasText: number });
  await row.waitFor();
  await expectText(row.getByTestId('order-status'), /Pending/, 'the order is pending');
  await expectText(row.getByTestId('order-total'), money(expected), 'history shows the total');
  const orders = await (await context.request.get(`${API}/orders`)).json();
  assert(orders.items.length === 1 && orders.items[0].number === number, 'the API has the one order');
});

test('an invalid login shows an error in plain words, and register errors sit next to their field', async ({ page }) => {
  await page.goto('/login.html');
  // keyboard only
  await page.getByLabel('Email').focus();
  await page.keyboard.type(ADMIN_EMAIL || 'nobody@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('definitely the wrong password');
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await expectText(alert, /do not match/i, 'a wrong password is reported');
  assert(page.url().includes('/login.html'), 'still on the login page');
  assert((await page.locator('[data-cart-count]').count()) === 1, 'the header is there');
  assert(!(await page.getByTestId('user-email').count()), 'nobody is signed in');

  // empty fields: errors next to each field, linked with aria-describedby
  await page.getByLabel('Email').fill('');
  await page.getByLabel('Password').fill('');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const described = await page.getByLabel('Email').getAttribute('aria-describedby');
  assert(described, 'the email field points at its error');
  await expectText(page.locator(`#${described.split(' ').pop()}`), /email/i, 'the email error is next to the field');

  // register: a short password is refused next to the password field
  await page.goto('/register.html');
  await page.getByLabel('Email').fill(`short-${RUN}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  assert((await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')) === 'true', 'the password is marked invalid');
  await expectText(page.getByTestId('field-error'), /12 characters/, 'the password rule is explained');
});

test('a sold-out watch cannot be added: button disabled, and a 409 from the API is shown', async ({ page }) => {
  // 1. sold out before the page loads
  const p = await takeProduct(1);
  for (const v of p.variants) await setStock(v.id, v.stock, 0);
  try {
    await page.goto(`/product.html?id=${p.id}`);
    await expectText(page.getByTestId('stock-state'), /Sold out/, 'the page says sold out');
    assert(await page.getByTestId('add-to-cart').isDisabled(), 'the add button is disabled');
    await page.goto(`/?q=${encodeURIComponent(p.model)}`);
    const card = page.locator(`[data-testid="product-card"][data-product-id="${p.id}"]`);
    await expectText(card, /Sold out/, 'the catalog marks it sold out');
  } finally {
    for (const v of p.variants) await setStock(v.id, 0, v.stock);
  }

  // 2. sells out while the page is open: the API's 409 is shown, then the button turns off
  const q = await takeProduct(2);
  const v = q.variants[0];
  await page.goto(`/product.html?id=${q.id}&variant=${v.id}`);
  await expectText(page.getByTestId('stock-state'), /in stock|left/i, 'in stock at first');
  assert(await page.getByTestId('add-to-cart').isEnabled(), 'the button starts enabled');
  await setStock(v.id, v.stock, 0);
  try {
    await page.getByTestId('add-to-cart').click();
    await expectText(page.getByTestId('add-error'), /sold out/i, 'the 409 out_of_stock is shown in plain words');
    await until(() => page.getByTestId('add-to-cart').isDisabled(), 'the button is disabled after the 409');
    await expectText(page.getByTestId('stock-state'), /Sold out/, 'the stock state is refreshed');
    assert((await page.locator('[data-cart-count]').textContent()).trim() === '0', 'nothing was added');
  } finally {
    await setStock(v.id, 0, v.stock);
  }
});

test('a double-clicked checkout makes exactly one order; it can be cancelled from the history', async ({ page, context }) => {
  const p = await takeProduct(3);
  const v = p.variants[0];
  await registerViaUi(page, `double-${RUN}@example.com`);
  await addToCart(page, p, v, 1);
  await page.goto('/checkout.html');
  await fillShipping(page);
  const keys = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/orders')) keys.push(r.headers()['idempotency-key']);
  });
  // A server-side validation error (100 bytes at most; 40 euro signs are 120 bytes) sits next to its field.
  await page.getByLabel('Full name').fill('€'.repeat(40));
  await page.getByTestId('place-order').click();
  await until(async () => (await page.getByLabel('Full name').getAttribute('aria-invalid')) === 'true', 'the name is marked invalid');
  const errId = (await page.getByLabel('Full name').getAttribute('aria-describedby')).split(' ').pop();
  await expectText(page.locator(`#${errId}`), /^Full name must be/, 'the API error is shown next to the name, in words');
  assert(keys.length === 1, 'one request for the first attempt');
  await page.getByLabel('Full name').fill('Ada Lovelace');

  await page.getByTestId('place-order').dblclick();
  await page.waitForURL(/order\.html\?id=\d+&placed=1/);
  const number = (await page.getByTestId('order-number').first().textContent()).trim();
  const orders = await (await context.request.get(`${API}/orders`)).json();
  assert(orders.items.length === 1, `exactly one order, got ${orders.items.length}`);
  const attempt = keys.slice(1);
  assert(attempt.length === 1 && /^[0-9a-f-]{36}$/.test(attempt[0]),
    `the double click sent one request with a UUID Idempotency-Key: ${attempt}`);
  assert(attempt[0] !== keys[0], 'a new attempt after a refused one gets a new key');

  // cancel from the order history
  await page.goto('/orders.html');
  const row = page.getByTestId('order-row').filter({ hasText: number });
  await row.getByTestId('cancel-order').click();
  await row.getByTestId('confirm-cancel').click();
  await expectText(row.getByTestId('order-status'), /Cancelled/, 'the status turns to cancelled');
  const after = await (await context.request.get(`${API}/orders`)).json();
  assert(after.items[0].status === 'cancelled', 'the API agrees');
  assert(!(await row.getByTestId('cancel-order').count()), 'a cancelled order cannot be cancelled again');
});

test('a checkout whose response is lost is retried with the same Idempotency-Key and makes one order', async ({ page, context }) => {
  const p = await takeProduct(3);
  const v = p.variants[0];
  await registerViaUi(page, `retry-${RUN}@example.com`);
  await addToCart(page, p, v, 1);
  await page.goto('/checkout.html');
  await fillShipping(page);
  const seen = [];
  let dropped = false;
  await page.route('**/api/v1/orders', async (route) => {
    const req = route.request();
    if (req.method() !== 'POST') return route.continue();
    seen.push(req.headers()['idempotency-key']);
    if (!dropped) {
      dropped = true;
      await route.fetch(); // the server places the order...
      return route.abort('connectionreset'); // ...but the browser never hears back
    }
    const res = await route.fetch();
    seen.push(`replayed=${res.headers()['idempotent-replayed'] || ''}`);
    return route.fulfill({ response: res });
  });
  await page.getByTestId('place-order').click();
  await page.waitForURL(/order\.html\?id=\d+&placed=1/, { timeout: 20_000 });
  const keys = seen.filter((k) => !k.startsWith('replayed='));
  assert(keys.length === 2 && keys[0] === keys[1], `the retry reused the key: ${seen}`);
  assert(seen.includes('replayed=true'), `the server replayed the first order: ${seen}`);
  const orders = await (await context.request.get(`${API}/orders`)).json();
  assert(orders.items.length === 1, `exactly one order, got ${orders.items.length}`);
});

test('a guest cart follows the shopper: checkout offers to sign in, registering keeps the cart and returns to checkout', async ({ page }) => {
  const p = await takeProduct(3);
  const v = p.variants[0];
  await addToCart(page, p, v, 1); // as a guest: the server creates the guest cart
  await page.goto('/cart.html');
  await page.getByTestId('checkout-link').click();
  await page.waitForURL(/checkout\.html/);
  await page.getByLabel('Email').waitFor(); // a guest may check out with an e-mail address...
  await expectText(page.getByTestId('guest-hint'), /order history/, 'checkout says an account keeps the order in the history');
  await page.getByTestId('guest-hint').getByRole('link', { name: 'create an account' }).click(); // ...or sign up
  await page.waitForURL(/register\.html\?next=checkout\.html/);
  const email = `guest-${RUN}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/checkout\.html/);
  await expectText(page.getByTestId('checkout-total'), money(v.price.amount_minor), 'the guest cart is now the account cart');
  await expectText(page.getByTestId('user-email'), email, 'signed in');
  assert((await page.locator('[data-cart-count]').textContent()).trim() === '1', 'the header counts the merged item');
  assert(await page.locator('#guest-contact').isHidden(), 'a signed-in buyer is not asked for an e-mail address');
});

/** Every request the context makes to Stripe's hosts, with the page that made it. */
function watchStripe(context) {
  const seen = [];
  context.on('request', (r) => {
    if (/^https:\/\/([a-z0-9-]+\.)*stripe\.com\//.test(r.url())) {
      let from = '';
      try {
        from = r.frame().url();
      } catch {
        from = '';
      }
      seen.push({ url: r.url(), from });
    }
  });
  return seen;
}

test('guest checkout by bank transfer: the order link shows what to transfer and the reference, survives reload, comes by e-mail; cancel returns the stock', async ({ page, context, browser }) => {
  const config = await apiCall('/payments/config');
  if (config.provider !== 'manual') skip(`the server takes ${config.provider} payments`);
  const stripe = watchStripe(context);
  const p = await takeProduct(4);
  const v = p.variants[0];
  const stockBefore = (await getProduct(p.id)).variants[0].stock;
  const urls = [];
  const tokenHeaders = [];
  page.on('request', (r) => {
    urls.push(r.url());
    if (r.headers()['x-order-token']) tokenHeaders.push(r.url());
  });
  await addToCart(page, p, v, 2);
  await page.goto('/checkout.html');
  await fillShipping(page);
  // The e-mail address is required of a guest, and checked here first.
  await page.getByTestId('place-order').click();
  await until(async () => (await page.getByLabel('Email').getAttribute('aria-invalid')) === 'true', 'a missing e-mail address is marked');
  const email = `bank-${RUN}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByTestId('place-order').click();
  await page.waitForURL(/\/order\.html\?placed=1#token=[A-Za-z0-9_-]+$/);
  const token = new URL(page.url()).hash.replace(/^#token=/, '');
  await expectText(page.getByTestId('order-confirmation'), /Thank you/, 'the guest is thanked');
  const number = (await page.getByTestId('order-number').first().textContent()).trim();
  const total = 2 * v.price.amount_minor;
  await expectText(page.getByTestId('transfer-amount'), money(total), 'the instructions name the amount to transfer');
  await expectText(page.getByTestId('payment-reference'), number, 'the reference to quote is the order number');
  await expectText(page.getByTestId('reserved-countdown'), /\d+ (days?|h|min)/, 'the page counts down the reservation');
  await expectText(page.getByTestId('payment-state'), /Awaiting payment/, 'the payment is awaited');
  await expectText(page.getByTestId('guest-order-note'), email, 'the guest is told how the order joins an account');
  assert((await getProduct(p.id)).variants[0].stock === stockBefore - 2, 'the order holds its stock');
  await until(async () => (await page.locator('[data-cart-count]').textContent()).trim() === '0', 'the guest cart is empty after the order');

  // Reload: the link still opens the order (the token is in the fragment, sent only as a header).
  await page.reload();
  await expectText(page.getByTestId('payment-reference'), number, 'the order page survives a reload');
  assert(!urls.some((u) => u.includes(token)), 'the order token never appears in a requested URL');
  assert(tokenHeaders.some((u) => u.endsWith('/api/v1/guest-order')), 'the order is read with the X-Order-Token header');

  // The confirmation e-mail links to the same page; it opens in a browser with no cookies at all.
  const mail = await mailTo(email, /received/);
  const link = linkIn(mail, 'order.html');
  assert(link === `${BASE}/order.html#token=${token}`, `the e-mail links to the order page: ${link}`);
  const other = await browser.newContext({ baseURL: BASE });
  try {
    await guard(other);
    const elsewhere = await other.newPage();
    await elsewhere.goto(link);
    await expectText(elsewhere.getByTestId('order-number'), number, 'the e-mailed link opens the order anywhere');
    await elsewhere.goto('/order.html#token=not-the-right-token');
    await expectText(elsewhere.getByRole('heading', { level: 1 }), /Order not found/, 'a wrong token finds nothing');
  } finally {
    await other.close();
  }

  // Cancel while unpaid: the stock returns.
  await page.getByTestId('cancel-order').click();
  await page.getByTestId('confirm-cancel').click();
  await expectText(page.getByTestId('order-status'), /Cancelled/, 'the order is cancelled');
  assert(!(await page.getByTestId('transfer-instructions').count()), 'no payment instructions for a cancelled order');
  assert((await getProduct(p.id)).variants[0].stock === stockBefore, 'the stock is back');
  const api = await apiCall('/guest-order', { headers: { 'X-Order-Token': token } });
  assert(api.status === 'cancelled', `the API agrees: ${api.status}`);
  assert(!stripe.length, `no page loaded anything from Stripe: ${JSON.stringify(stripe)}`);
});

test('a signed-in buyer sees the payment state; the admin records the transfer and refunds one line into stock', async ({ page, browser }) => {
  const config = await apiCall('/payments/config');
  if (config.provider !== 'manual') skip(`the server takes ${config.provider} payments`);
  const a = await takeProduct(3);
  const b = await takeProduct(3);
  const va = a.variants[0];
  const vb = b.variants[0];
  await registerViaUi(page, `payer-${RUN}@example.com`);
  await addToCart(page, a, va, 1);
  await addToCart(page, b, vb, 1);
  await page.goto('/checkout.html');
  await fillShipping(page);
  assert(await page.locator('#guest-contact').isHidden(), 'no e-mail field for a signed-in buyer');
  await page.getByTestId('place-order').click();
  await page.waitForURL(/order\.html\?id=\d+&placed=1/);
  const number = (await page.getByTestId('order-number').first().textContent()).trim();
  await expectText(page.getByTestId('payment-provider'), 'Bank transfer', 'the order shows how it is paid');
  await expectText(page.getByTestId('payment-state'), 'Awaiting payment', 'the order shows the payment state');
  await expectText(page.getByTestId('payment-reference'), number, 'and the reference to quote');
  const stockA = (await getProduct(a.id)).variants[0].stock;

  const adminContext = await browser.newContext({ baseURL: BASE, viewport: { width: 1280, height: 900 } });
  try {
    await guard(adminContext);
    const ap = await adminContext.newPage();
    await loginViaUi(ap, ADMIN_EMAIL, ADMIN_PASSWORD, 'admin.html?view=orders');
    const card = ap.getByTestId('admin-order').filter({ hasText: number });
    await expectText(card.getByTestId('payment-summary'), /Bank transfer · Awaiting payment/, 'the admin sees the payment state');
    await expectText(card.getByTestId('payment-reference'), number, 'and its reference');
    await card.getByTestId('reserved-until').waitFor();
    assert(!(await card.getByTestId('refund-form').count()), 'an unpaid order cannot be refunded');
    await card.getByTestId('record-payment').click();
    await expectText(card.getByTestId('order-status'), /Paid/, 'recording the transfer makes the order paid');
    await expectText(card.getByTestId('payment-summary'), /Received/, 'the payment is received');

    // Refund one of the two lines, back into stock.
    await card.locator(`[data-testid="refund-quantity"][data-variant-id="${va.id}"]`).fill('1');
    assert(await card.getByTestId('refund-restock').isChecked(), 'refunds restock by default');
    await card.getByTestId('refund-selected').click();
    await expectText(card.getByTestId('admin-order-message'), /Refunded/, 'the refund is confirmed');
    await expectText(card.getByTestId('payment-refunded'), money(va.price.amount_minor), 'the refunded amount is shown');
    await expectText(card.locator(`[data-testid="admin-order-line"][data-variant-id="${va.id}"]`), /1 refunded/, 'the line shows its refund');
    await expectText(card.getByTestId('order-status'), /Paid/, 'with one line left the order stays paid');
    assert(!(await card.locator(`[data-testid="refund-quantity"][data-variant-id="${va.id}"]`).isEnabled()), 'nothing is left to refund on that line');
    assert((await getProduct(a.id)).variants[0].stock === stockA + 1, 'the refunded watch is back in stock');
  } finally {
    await adminContext.close();
  }

  // The buyer sees the payment arrive and the refund.
  await page.goto(page.url().replace('&placed=1', ''));
  await expectText(page.getByTestId('payment-state'), 'Received', 'the buyer sees the payment received');
  await expectText(page.getByTestId('payment-refunded'), money(va.price.amount_minor), 'and the refund');
  await expectText(page.getByTestId('order-status'), /Paid/, 'the order is paid');
  assert(!(await page.getByTestId('transfer-instructions').count()), 'no instructions once paid');
  assert(!(await page.getByTestId('cancel-order').count()), 'a paid order cannot be cancelled by the buyer');
});

test('card payments (Stripe): checkout goes to pay.html, the only page that asks for Stripe.js, under a CSP naming Stripe; without it the page says so', async ({ page, context }) => {
  const config = await apiCall('/payments/config');
  if (config.provider !== 'stripe') skip(`the server takes ${config.provider} payments (run it with the Stripe stand-in for this test)`);
  const stripe = watchStripe(context);
  // No network here: Stripe.js is refused as it would be offline (the guard already aborts it; this names it).
  await context.route(/^https:\/\/js\.stripe\.com\//, (route) => route.abort('internetdisconnected'));
  const p = await takeProduct(3);
  const v = p.variants[0];
  await addToCart(page, p, v, 1);
  await page.goto('/checkout.html');
  await fillShipping(page);
  await page.getByLabel('Email').fill(`card-${RUN}@example.com`);
  await page.getByTestId('place-order').click();
  await page.waitForURL(/\/pay\.html\?placed=1#token=[A-Za-z0-9_-]+$/);
  await expectText(page.getByTestId('pay-amount'), money(v.price.amount_minor), 'the payment page names the amount');
  await expectText(page.getByTestId('pay-unavailable'), /payment form could not load/i, 'the page says the form could not load');
  assert(stripe.some((r) => r.url.startsWith('https://js.stripe.com/v3')), `pay.html asked for Stripe.js: ${JSON.stringify(stripe)}`);
  assert(stripe.every((r) => /\/pay\.html/.test(r.from)), `only pay.html talks to Stripe: ${JSON.stringify(stripe)}`);
  const res = await page.request.get(`${BASE}/pay.html`);
  const csp = res.headers()['content-security-policy'] || '';
  for (const origin of ['https://js.stripe.com', 'https://hooks.stripe.com', 'https://api.stripe.com']) {
    assert(csp.includes(origin), `pay.html's CSP names ${origin}: "${csp}"`);
  }
  // Back on the order page the card payment waits, with the way back to pay.
  await page.getByTestId('back-to-order').click();
  await page.waitForURL(/\/order\.html#token=/);
  await page.getByTestId('pay-link').waitFor();
  await expectText(page.getByTestId('payment-provider'), 'Card', 'the order is paid by card');
  const before = stripe.length;
  await page.reload();
  await page.getByTestId('pay-link').waitFor();
  assert(stripe.length === before, 'the order page does not load Stripe.js');
  // The buyer pays at Stripe (here: the stand-in confirms the intent with a
  // test card, as Stripe.js would); Stripe's signed webhook marks the order
  // paid, and "check again" shows it. The browser's word is never asked.
  const standin = process.env.WATCHSTORE_STRIPE_STANDIN_URL;
  if (standin) {
    const token = new URL(page.url()).hash.replace(/^#token=/, '');
    const order = await apiCall('/guest-order', { headers: { 'X-Order-Token': token } });
    assert(order.payment && /^pi_/.test(order.payment.reference), `a PaymentIntent: ${JSON.stringify(order.payment)}`);
    const paid = await fetch(`${standin}/v1/payment_intents/${order.payment.reference}/confirm`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${process.env.WATCHSTORE_STRIPE_STANDIN_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
    });
    assert(paid.ok, `the stand-in confirmed the intent: ${paid.status}`);
    await page.getByTestId('check-payment').click();
    await expectText(page.getByTestId('order-status'), /paid/i, 'the order is paid once Stripe says so');
  }
});

test('the admin edits a price in the admin page and the catalog shows it', async ({ page }) => {
  const p = await takeProduct(1);
  await loginViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD, 'admin.html');
  await page.waitForURL(/admin\.html/);
  const row = page.locator(`[data-testid="admin-row"][data-product-id="${p.id}"]`);
  await row.getByRole('link', { name: /Edit/ }).click();
  await page.waitForURL(/admin\.html\?id=/);
  const priceInputs = page.getByTestId('variant-price-input');
  await priceInputs.first().waitFor();
  const n = await priceInputs.count();
  assert(n === p.variants.length, 'one price field per variant');
  for (let i = 0; i < n; i += 1) await priceInputs.nth(i).fill('1234.50');
  await page.getByTestId('save-product').click();
  await expectText(page.getByTestId('save-status'), /Saved/, 'the save is confirmed');

  // stock adjustment in the same editor
  const stockBefore = Number(await page.getByTestId('variant-stock').first().textContent());
  await page.getByTestId('stock-delta').first().fill('2');
  await page.getByTestId('apply-stock').first().click();
  await until(async () => Number(await page.getByTestId('variant-stock').first().textContent()) === stockBefore + 2, 'the stock goes up by 2');
  // the version moved on: a second price save still works
  await priceInputs.first().fill('1234.50');
  await page.getByTestId('save-product').click();
  await expectText(page.getByTestId('save-status'), /Saved/, 'a save after a stock change works (fresh version)');

  // someone else changes the watch meanwhile: the save is refused (version) and the editor offers a reload
  const before = await getProduct(p.id);
  await apiCall(`/products/${p.id}`, {
    method: 'PUT',
    token: await admin(),
    body: {
      brand: before.brand, model: before.model, description: `${before.description} `.trim(), movement: before.movement,
      case_diameter_mm: before.case_diameter_mm, case_material: before.case_material, water_resistance_m: before.water_resistance_m,
      strap: before.strap, collections: before.collections, images: before.images, active: before.active,
      reference: before.reference, caliber: before.caliber, complications: before.complications,
      lug_width_mm: before.lug_width_mm, case_thickness_tenths_mm: before.case_thickness_tenths_mm, crystal: before.crystal,
      condition: before.condition, grade: before.grade, box: before.box, papers: before.papers, limited_pieces: before.limited_pieces,
      variants: before.variants.map(({ id, sku, dial_color, strap, size, price }) => ({ id, sku, dial_color, strap, size, price })),
      version: before.version,
    },
  });
  await priceInputs.first().fill('1234.50');
  await page.getByTestId('save-product').click();
  const conflict = page.locator('[data-role="form-error"]');
  await expectText(conflict, /Someone else changed this watch/, 'a version conflict is explained');
  await conflict.getByRole('button', { name: 'Reload the latest version' }).click();
  await until(async () => (await page.locator('[data-role="form-error"]').count()) === 0, 'the editor reloads');
  await page.getByTestId('variant-price-input').first().fill('1234.50');
  await page.getByTestId('save-product').click();
  await expectText(page.getByTestId('save-status'), /Saved/, 'saving the reloaded watch works');

  const fresh = await getProduct(p.id);
  assert(fresh.variants.every((v) => v.price.amount_minor === 123450), 'the API has the new price');
  // the editor carries the watch's details through a save (nothing reset to defaults)
  for (const key of ['reference', 'caliber', 'lug_width_mm', 'case_thickness_tenths_mm', 'crystal', 'condition', 'grade', 'box', 'papers', 'limited_pieces']) {
    assert(fresh[key] === p[key], `the save keeps ${key}: ${fresh[key]} vs ${p[key]}`);
  }
  assert(fresh.complications.join() === p.complications.join(), 'the save keeps the complications');
  await page.goto(`/?q=${encodeURIComponent(p.model)}`);
  const card = page.locator(`[data-testid="product-card"][data-product-id="${p.id}"]`);
  await expectText(card.getByTestId('product-price'), '$1,234.50', 'the catalog shows the new price');
  await page.goto(`/product.html?id=${p.id}`);
  await expectText(page.getByTestId('variant-price'), '$1,234.50', 'the product page shows the new price');
});

/** The src paths ("/img/...") of the gallery's thumbnails, in strip order. */
async function thumbUrls(page) {
  return page.getByTestId('gallery-thumb').locator('img').evaluateAll((imgs) => imgs.map((i) => new URL(i.src).pathname));
}
async function mainUrl(page) {
  return page.getByTestId('gallery-main').evaluate((img) => new URL(img.src).pathname);
}
/** What the product page's strip shows with `variant`: the whole watch's pictures, then the variant's own. */
function stripOf(product, variant) {
  return product.images.filter((i) => !i.variant_id || i.variant_id === variant.id);
}

test('gallery: thumbnails and arrow keys change the main picture, a dial has its own; the admin reorders and removes pictures and the shop follows', async ({ page }) => {
  // a demo watch whose variants differ in dial: seeded with a picture of each dial
  let p = null;
  for (const item of await allProducts()) {
    if (taken.has(item.id) || item.variants.length < 2) continue;
    const full = await getProduct(item.id);
    const dials = full.images.filter((i) => i.variant_id);
    if (full.images.length >= 3 && dials.length >= 2 && new Set(full.variants.map((v) => v.dial_color)).size >= 2) {
      p = full;
      break;
    }
  }
  assert(p, 'the demo catalog has a watch with dial pictures');
  taken.add(p.id);
  const a = p.variants.find((v) => p.images.some((i) => i.variant_id === v.id));
  const b = p.variants.find((v) => v.dial_color !== a.dial_color && p.images.some((i) => i.variant_id === v.id));
  assert(a && b, 'two variants with their own dial pictures');

  await page.goto(`/product.html?id=${p.id}&variant=${a.id}`);
  const main = page.getByTestId('gallery-main');
  const thumbs = page.getByTestId('gallery-thumb');
  await thumbs.first().waitFor();
  const strip = stripOf(p, a);
  assert(JSON.stringify(await thumbUrls(page)) === JSON.stringify(strip.map((i) => i.url)), `the strip shows the whole watch's pictures and this dial's: ${await thumbUrls(page)}`);
  const own = strip.findIndex((i) => i.variant_id === a.id);
  await until(async () => (await mainUrl(page)) === strip[own].url, 'the chosen variant shows its own dial first');

  // a click on a thumbnail shows it
  await thumbs.nth(0).click();
  await until(async () => (await mainUrl(page)) === strip[0].url, 'a click on the first thumbnail shows it');
  assert(await main.getAttribute('alt') === strip[0].alt, 'the main picture has the picture\'s alt text');
  assert(await thumbs.nth(0).getAttribute('aria-current') === 'true', 'the shown thumbnail is marked aria-current');
  const tabbable = await thumbs.evaluateAll((els) => els.filter((e) => e.tabIndex === 0).length);
  assert(tabbable === 1, `one thumbnail is in the tab order (roving tabindex), not ${tabbable}`);

  // arrow keys move along the strip, showing and focusing each picture
  await thumbs.nth(0).focus();
  await page.keyboard.press('ArrowRight');
  await until(async () => (await mainUrl(page)) === strip[1].url, 'ArrowRight shows the next picture');
  assert(await thumbs.nth(1).evaluate((el) => el === document.activeElement), 'focus follows to the next thumbnail');
  assert(await thumbs.nth(1).getAttribute('tabindex') === '0' && await thumbs.nth(0).getAttribute('tabindex') === '-1', 'the tab stop moves with the focus');
  await page.keyboard.press('ArrowLeft');
  await until(async () => (await mainUrl(page)) === strip[0].url, 'ArrowLeft goes back');
  await page.keyboard.press('ArrowLeft');
  await until(async () => (await mainUrl(page)) === strip[strip.length - 1].url, 'ArrowLeft from the first wraps to the last');
  await page.keyboard.press('Home');
  await until(async () => (await mainUrl(page)) === strip[0].url, 'Home shows the first');
  const outline = await thumbs.nth(0).evaluate((el) => getComputedStyle(el).outlineStyle);
  assert(outline !== 'none', 'the focused thumbnail has a visible focus outline');

  // choosing the other dial shows its own picture
  await page.locator(`input[name="dial_color"][value="${b.dial_color}"] + label`).click();
  const bOwn = p.images.find((i) => i.variant_id === b.id);
  await until(async () => (await mainUrl(page)) === bOwn.url, `choosing the ${b.dial_color} dial shows its picture`);
  assert(JSON.stringify(await thumbUrls(page)) === JSON.stringify(stripOf(p, b).map((i) => i.url)), 'the strip follows the variant');

  // the admin moves the second picture first, removes the last one and adds one
  await loginViaUi(page, ADMIN_EMAIL, ADMIN_PASSWORD, `admin.html?id=${p.id}`);
  await page.waitForURL(/admin\.html\?id=/);
  const rows = page.getByTestId('image-row');
  await rows.first().waitFor();
  assert(await rows.count() === p.images.length, 'one row per picture');
  await rows.nth(1).getByTestId('image-up').click();
  await rows.nth(p.images.length - 1).getByTestId('image-remove').click();
  await page.getByLabel('New picture URL').fill('/img/watches/w05.svg');
  await page.locator('#pf-new-image-alt').fill('The watch on a wrist');
  await page.getByTestId('add-image').click();
  await page.getByTestId('save-product').click();
  await expectText(page.getByTestId('save-status'), /Saved/, 'the pictures are saved with the watch');
  const expected = [p.images[1], p.images[0], ...p.images.slice(2, -1), { url: '/img/watches/w05.svg', alt: 'The watch on a wrist' }];
  const fresh = await getProduct(p.id);
  assert(JSON.stringify(fresh.images.map((i) => i.url)) === JSON.stringify(expected.map((i) => i.url)), `the API has the new order: ${fresh.images.map((i) => i.url)}`);
  assert(fresh.image_url === expected.find((i) => !i.variant_id).url, 'the cover is the first whole-watch picture');

  await page.goto(`/product.html?id=${p.id}&variant=${a.id}`);
  await thumbs.first().waitFor();
  const shown = stripOf(fresh, a).map((i) => i.url);
  await until(async () => JSON.stringify(await thumbUrls(page)) === JSON.stringify(shown), `the product page shows the new order: ${shown}`);
});

test('e-mail: the welcome link verifies the address; forgot password resets it, other sessions end; the account page changes the password', async ({ page, browser }) => {
  const email = `mail-${RUN}@example.com`;
  await registerViaUi(page, email);
  const welcome = await mailTo(email, /Subject: Welcome/);
  // The HTML part renders on its own, with no request to anywhere.
  const htmlPart = welcome.split('Content-Type: text/html; charset=utf-8')[1]
    .split('\r\n\r\n').slice(1).join('\r\n\r\n').split('\r\n--')[0];
  const mailPage = await browser.newPage();
  const requests = [];
  mailPage.on('request', (r) => requests.push(r.url()));
  await mailPage.setContent(htmlPart);
  await expectText(mailPage.getByRole('link', { name: 'Confirm my email address' }), 'Confirm', 'the HTML mail shows its link');
  assert(requests.length === 0, `the HTML mail loaded ${requests.join(', ')}`);
  await mailPage.close();
  const verifyLink = linkIn(welcome, 'verify-email.html');
  await page.goto(verifyLink);
  await expectText(page.locator('#verify-status'), /is confirmed/, 'the verification link confirms the address');
  await page.goto('/account.html');
  await expectText(page.getByTestId('account-verified'), 'confirmed', 'the account page shows the address confirmed');

  // Another browser asks for a reset; the link sets a new password.
  const other = await browser.newContext({ baseURL: BASE });
  await guard(other);
  const page2 = await other.newPage();
  await page2.goto('/login.html');
  await page2.getByRole('link', { name: 'Forgot your password?' }).click();
  await page2.getByLabel('Email').fill(email);
  await page2.getByRole('button', { name: 'Send the link' }).click();
  await until(() => page2.locator('#forgot-done').isVisible(), 'the same "on its way" reply');
  const reset = await mailTo(email, /Subject: .*reset your password/);
  await page2.goto(linkIn(reset, 'reset-password.html'));
  await page2.getByLabel('New password').fill('short');
  await page2.getByRole('button', { name: 'Set the new password' }).click();
  await expectText(page2.locator('.field-error, [role="alert"]').first(), /12 characters/, 'a weak password is refused next to its field');
  const newPassword = `${PASSWORD} renewed`;
  await page2.getByLabel('New password').fill(newPassword);
  await page2.getByRole('button', { name: 'Set the new password' }).click();
  await until(() => page2.locator('#reset-done').isVisible(), 'the password is changed');
  await other.close();

  // The first browser's session was revoked.
  await page.goto('/account.html');
  await page.waitForURL((u) => u.pathname.endsWith('/login.html'));
  await loginViaUi(page, email, newPassword, 'account.html');
  await expectText(page.getByTestId('account-email'), email, 'signed in with the new password');

  // Change the password from the account page.
  await page.getByLabel('Current password').fill(newPassword);
  await page.getByLabel('New password').fill(`${PASSWORD} third`);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expectText(page.locator('.alert-info').last(), /password is changed/, 'the change is confirmed');
  await page.reload();
  await expectText(page.getByTestId('account-email'), email, 'this session survives the change (rotated)');
});

test('search: a misspelled brand finds it, suggestions as you type, filters narrow, an archived watch disappears at once', async ({ page }) => {
  const products = await allProducts();
  const weisshorn = products.filter((p) => p.brand === 'Weisshorn');
  assert(weisshorn.length > 1, 'the demo catalog has Weisshorn watches');
  await page.goto('/?q=wiesshorn');
  await until(async () => (await page.getByTestId('product-card').count()) === weisshorn.length,
    `a misspelled brand finds the ${weisshorn.length} Weisshorn watches`);
  const brands = await page.locator('[data-testid="product-card"] .product-brand').allTextContents();
  assert(brands.every((b) => b === 'Weisshorn'), `only Weisshorn watches: ${brands.join(', ')}`);

  // suggestions as you type (debounced), by a reference
  await page.goto('/');
  await page.getByTestId('product-card').first().waitFor();
  await page.getByLabel('Search watches').pressSequentially('5513', { delay: 40 });
  await expectText(page.getByTestId('search-suggestions'), /Reefline 42/, 'a suggestion shows the watch of reference 5513');
  assert((await page.getByTestId('suggestion').count()) === 1, 'one watch has that reference');
  await page.getByLabel('Search watches').press('Escape');
  assert(await page.getByTestId('search-suggestions').isHidden(), 'Escape closes the suggestions');

  // a slow answer to an older prefix never replaces the newer suggestions:
  // the request for "wies" is held for 1.5 s; typing on aborts it
  let held = 0;
  await page.route(/\/api\/v1\/products\?.*q=wies(&|$)/, async (route) => {
    held += 1;
    await new Promise((r) => setTimeout(r, 1500));
    try {
      await route.continue();
    } catch {
      // aborted by the page: what we want
    }
  });
  const box = page.getByLabel('Search watches');
  await box.fill('');
  await box.pressSequentially('wies', { delay: 20 });
  await until(async () => held > 0, 'the suggestion request for "wies" is sent (after the debounce)');
  await box.fill('');
  await box.pressSequentially('5513', { delay: 20 });
  await expectText(page.getByTestId('search-suggestions'), /Reefline 42/, 'the newer suggestions show');
  await new Promise((r) => setTimeout(r, 1800));
  const shown = await page.getByTestId('suggestion').allTextContents();
  assert(shown.length === 1 && /Reefline 42/.test(shown[0]), `the stale answer did not replace them: ${shown.join(' | ')}`);
  await page.unroute(/\/api\/v1\/products\?.*q=wies(&|$)/);
  await box.press('Escape');

  // a filter the storefront lacked before narrows the search
  await page.goto('/?q=gmt');
  await page.getByTestId('product-card').first().waitFor();
  const gmtCount = await page.getByTestId('product-card').count();
  const details = page.locator('#filters-details');
  if (!(await details.evaluate((d) => d.open))) await page.locator('#filters-details summary').click();
  await page.getByLabel('Case material').selectOption('titanium');
  await page.waitForURL(/case_material=titanium/);
  const titaniumGmt = products.filter((p) => p.case_material === 'titanium'
    && `${p.brand} ${p.model} ${p.collections.join(' ')} ${p.description}`.toLowerCase().includes('gmt')).length;
  assert(titaniumGmt > 0 && titaniumGmt < gmtCount, `titanium narrows the GMT search (${titaniumGmt} of ${gmtCount})`);
  await until(async () => (await page.getByTestId('product-card').count()) === titaniumGmt,
    `the material filter shows the ${titaniumGmt} titanium GMT watches`);
  await page.reload();
  assert((await page.getByLabel('Case material').inputValue()) === 'titanium', 'the new filter survives reload');

  // facet counts beside the options follow the search and the other filters
  const gmtOption = page.locator('#f-complication option[value="gmt"]');
  const titaniumGmtWithComplication = products.filter((p) => p.case_material === 'titanium'
    && p.complications.includes('gmt') && `${p.brand} ${p.model} ${p.collections.join(' ')} ${p.description}`.toLowerCase().includes('gmt')).length;
  await until(async () => (await gmtOption.getAttribute('data-count')) === String(titaniumGmtWithComplication),
    `the GMT option counts the ${titaniumGmtWithComplication} titanium GMT watches`);
  await expectText(gmtOption, new RegExp(`GMT \\(${titaniumGmtWithComplication}\\)`), 'the count is shown in the option');
  await page.getByLabel('Case material').selectOption('');
  await page.waitForURL((url) => !url.search.includes('case_material'));
  const allGmt = products.filter((p) => p.complications.includes('gmt')
    && `${p.brand} ${p.model} ${p.collections.join(' ')} ${p.description}`.toLowerCase().includes('gmt')).length;
  assert(allGmt > titaniumGmtWithComplication, 'more GMT watches than titanium ones');
  await until(async () => (await gmtOption.getAttribute('data-count')) === String(allGmt),
    `clearing the material updates the count to ${allGmt}`);
  const titaniumOption = page.locator('#f-case-material option[value="titanium"]');
  await until(async () => Number(await titaniumOption.getAttribute('data-count')) === titaniumGmt,
    'the material options count within the search, ignoring the material filter itself');

  // archived: gone from search at once (the listing cache is invalidated with the write)
  const target = await takeProduct(0);
  const term = target.reference;
  assert(term, 'the watch has a reference');
  await page.goto(`/?q=${encodeURIComponent(term)}`);
  await page.locator(`[data-testid="product-card"][data-product-id="${target.id}"]`).waitFor();
  await apiCall(`/products/${target.id}/archive`, { method: 'POST', token: await admin(), body: { version: target.version } });
  await page.reload();
  await expectText(page.getByTestId('empty-state'), /No watches match/, 'the archived watch is no longer found');
});

test('screenshots of the main pages at 390 px and 1280 px; no sideways scrolling on a phone', async ({ page, browser }) => {
  const p = await takeProduct(3, { showcase: true });
  const v = p.variants[0];
  // ready: waits for the page's content; with it the page is reloaded at each width (as a phone would load it).
  const snap = async (name, ready) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
      if (ready) {
        await page.reload();
        await ready();
      }
      await page.waitForTimeout(150);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
      const a11y = await basicA11y(page);
      assert(!a11y.length, `${name} at ${width} px: ${a11y.join('; ')}`);
      await shot(page, `${name}-${width}`);
    }
  };
  await page.goto('/');
  await page.getByTestId('product-card').first().waitFor();
  await snap('catalog', () => page.getByTestId('product-card').first().waitFor());
  await page.goto(`/product.html?id=${p.id}&variant=${v.id}`);
  await page.getByTestId('add-to-cart').waitFor();
  await snap('product', () => page.getByTestId('add-to-cart').waitFor());
  await registerViaUi(page, `shots-${RUN}@example.com`);
  await addToCart(page, p, v, 1);
  await page.goto('/cart.html');
  await page.getByTestId('cart-line').first().waitFor();
  await snap('cart', () => page.getByTestId('cart-line').first().waitFor());
  await page.goto('/checkout.html');
  await page.getByTestId('place-order').waitFor();
  await fillShipping(page);
  await snap('checkout');
  await page.getByTestId('place-order').click();
  await page.waitForURL(/order\.html/);
  await page.getByTestId('order-confirmation').waitFor();
  await snap('order-confirmation');
  await page.goto('/orders.html');
  await page.getByTestId('order-row').first().waitFor();
  await snap('orders', () => page.getByTestId('order-row').first().waitFor());
  await page.goto('/login.html');
  await snap('login');

  const adminContext = await browser.newContext({ baseURL: BASE, viewport: { width: 1280, height: 900 } });
  try {
    await guard(adminContext);
    const ap = await adminContext.newPage();
    await loginViaUi(ap, ADMIN_EMAIL, ADMIN_PASSWORD, 'admin.html');
    await ap.getByTestId('admin-row').first().waitFor();
    for (const width of WIDTHS) {
      await ap.setViewportSize({ width, height: 900 });
      await shot(ap, `admin-${width}`);
    }
    await ap.goto('/admin.html?view=orders');
    await ap.getByTestId('admin-order').first().waitFor();
    for (const width of WIDTHS) {
      await ap.setViewportSize({ width, height: 900 });
      const overflow = await ap.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `admin orders at ${width} px scrolls sideways by ${overflow} px`);
      const a11y = await basicA11y(ap);
      assert(!a11y.length, `admin orders at ${width} px: ${a11y.join('; ')}`);
      await shot(ap, `admin-orders-${width}`);
    }
    await ap.goto(`/admin.html?id=${p.id}`);
    await ap.getByTestId('save-product').waitFor();
    for (const width of WIDTHS) {
      await ap.setViewportSize({ width, height: 900 });
      const overflow = await ap.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `admin editor at ${width} px scrolls sideways by ${overflow} px`);
      await shot(ap, `admin-edit-${width}`);
    }
  } finally {
    await adminContext.close();
  }
});

// ---------------------------------------------------------------- runner

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const pageProblems = new WeakMap();

/** Loopback only; collects CSP violations and uncaught page errors. */
async function guard(context) {
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['http:', 'https:'].includes(u.protocol) && !LOOPBACK.has(u.hostname)) return route.abort('blockedbyclient');
    return route.continue();
  });
  const problems = [];
  pageProblems.set(context, problems);
  const wire = (page) => {
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(20_000);
    page.on('pageerror', (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' && /Content Security Policy|Refused to (load|execute|apply)/i.test(text)) {
        problems.push(`CSP violation on ${page.url()}: ${text}`);
      } else if (msg.type() === 'error' && /SyntaxError|does not provide an export|Failed to (load|fetch dynamically imported) module/i.test(text)) {
        problems.push(`script error on ${page.url()}: ${text}`);
      }
    });
  };
  context.on('page', wire);
  return problems;
}

async function main() {
  if (!BASE) {
    console.error('WATCHSTORE_BASE_URL is not set (e.g. http://127.0.0.1:18080)');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const selected = tests.filter((t) => !GREP || GREP.test(t.name));
  try {
    for (const t of selected) {
      const started = Date.now();
      const context = await browser.newContext({ baseURL: BASE, viewport: { width: 1280, height: 900 } });
      const problems = await guard(context);
      const page = await context.newPage();
      try {
        await withTimeout(t.fn({ page, context, browser }), t.timeout, `test "${t.name}"`);
        assert(!problems.length, problems.join('\n'));
        passed += 1;
        console.log(`ok - ${t.name} (${Date.now() - started} ms)`);
      } catch (err) {
        if (err instanceof SkipTest) {
          skipped += 1;
          console.log(`ok - ${t.name} # SKIP ${err.message}`);
          continue;
        }
        failed += 1;
        console.log(`not ok - ${t.name} (${Date.now() - started} ms)`);
        console.log(`  ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 8).join('\n  ')}`);
        if (problems.length) console.log(`  page problems:\n  ${problems.join('\n  ')}`);
        try {
          mkdirSync(join(ARTIFACTS, 'failures'), { recursive: true });
          const slug = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
          await page.screenshot({ path: join(ARTIFACTS, 'failures', `${slug}.png`), fullPage: true, timeout: 5000 });
          writeFileSync(join(ARTIFACTS, 'failures', `${slug}.txt`), `${page.url()}\n\n${err && err.stack}\n`);
        } catch {
          // the page may be gone
        }
      } finally {
        await context.close().catch(() => {});
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }
  if (skipped) console.log(`${skipped} skipped (not applicable to this server)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
