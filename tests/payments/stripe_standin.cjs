#!/usr/bin/env node
// A stand-in for the part of Stripe's API the watchstore::stripe adapter
// calls, for tests on loopback (Stripe itself cannot be reached from our
// machines). It follows the shapes of Stripe's API reference
// (github.com/stripe/openapi) for these endpoints only; it is not a mock of
// all of Stripe. Webhook events are signed with the official `stripe` npm
// package (webhooks.generateTestHeaderString), from tools/node_modules.
//
// Usage:
//   node stripe_standin.cjs [--secret-key KEY] [--port-file FILE]
//                           [--lifetime-seconds N] [--exit-on-stdin-close]
// Listens on 127.0.0.1 on an ephemeral port; prints one line
// {"port":N} to stdout (and writes N to --port-file). Exits after
// --lifetime-seconds (default 300), on SIGTERM/SIGINT, and with
// --exit-on-stdin-close when its stdin closes (the test that started it
// with a pipe is gone).
//
// Stripe API (Bearer auth with --secret-key, default sk_test_standin;
// form-encoded bodies with Stripe's bracket syntax: metadata[k]=v, expand[]=x):
//   POST /v1/payment_intents             amount, currency, metadata[...],
//        receipt_email, description, automatic_payment_methods[enabled],
//        payment_method, confirm, expand[]
//   GET  /v1/payment_intents/:id         ?expand[]=latest_charge
//   POST /v1/payment_intents/:id/confirm payment_method: pm_card_visa ->
//        succeeded (a charge is made); pm_card_chargeDeclined -> 402
//        card_error/card_declined and the intent is requires_payment_method
//        with last_payment_error
//   POST /v1/payment_intents/:id/cancel  cancellation_reason, expand[]
//   POST /v1/refunds                     payment_intent (or charge), amount
//        (default: what is left), reason, metadata[...]
// Errors are Stripe's {"error":{"type","code","message","param"}} with its
// statuses (400, 401, 402, 404, 409). Idempotency as Stripe documents it:
// every POST may carry Idempotency-Key; the same key with the same method,
// path and parameters replays the saved status and body with
// Idempotent-Replayed: true; with other parameters -> 400 idempotency_error;
// while the first request is still running -> 409 idempotency_key_in_use.
// Results are saved only once the endpoint started executing (not for
// parameter errors or auth failures), as Stripe does.
//
// Control API (no auth; JSON in and out):
//   GET  /__standin/counts
//        {"intents_created", "refunds_created", "confirms",
//         "requests": {"POST /v1/payment_intents": n, ...},
//         "idempotency_keys": {KEY: {"requests": n, "replays": n,
//                                   "intents_created": n, "refunds_created": n}},
//         "stripe_versions": {VERSION: n}, "events": n}
//   POST /__standin/configure
//        {"delay_ms": n}        every Stripe API request takes this long
//                               (a key stays in flight that long)
//        {"fail_next": {"status": 500, "count": n, "should_retry": "true"}}
//                               the next n API requests answer this status
//                               (api_error), optionally with Stripe-Should-Retry
//   POST /__standin/webhook {"url": "http://127.0.0.1:P/path", "secret":
//        "whsec_...", "auto_deliver": true}
//        where events go; with auto_deliver (default) each event is POSTed,
//        signed, when it happens (in order, one at a time)
//   GET  /__standin/events            [{"id","type","created","object_id",
//                                       "deliveries": [{"status", "timestamp"}]}]
//   GET  /__standin/events/:id        the event itself
//   POST /__standin/events/:id/deliver {"times": n, "secret": s?,
//        "timestamp": t?, "payload": p?}
//        POSTs the event n times (one after another); secret/timestamp
//        override what it is signed with (wrong secret, stale timestamp),
//        payload replaces the body after signing (a tampered body).
//        -> {"statuses": [200, ...]}
//   POST /__standin/deliver {"events": [id, ...], "secret"?, "timestamp"?}
//        POSTs the events in the given order -> {"statuses": [...]}
//   POST /__standin/sign {"payload": s, "secret"?, "timestamp"?}
//        -> {"header": "t=...,v1=..."} (generateTestHeaderString)
//
// Events made: payment_intent.created, charge.succeeded,
// payment_intent.succeeded, payment_intent.payment_failed,
// payment_intent.canceled, charge.refunded, refund.created; data.object is
// the object as it was at that moment (latest_charge not expanded).
'use strict';

const http = require('http');
const path = require('path');
const crypto = require('crypto');

const Stripe = require(require.resolve('stripe', {
  paths: [path.join(__dirname, '..', '..', 'tools')],
}));

// --- arguments --------------------------------------------------------------
const args = process.argv.slice(2);
function arg(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const SECRET_KEY = arg('--secret-key', 'sk_test_standin');
const PORT_FILE = arg('--port-file', '');
const LIFETIME_S = Number(arg('--lifetime-seconds', '300'));
const API_VERSION = '2026-11-18.endive';

// --- state ------------------------------------------------------------------
const intents = new Map();  // id -> intent
const charges = new Map();  // id -> charge
const refunds = new Map();  // id -> refund
const events = [];          // in creation order
const eventsById = new Map();
const idem = new Map();     // key -> {fingerprint, done, status, body}
const counts = {
  intents_created: 0,
  refunds_created: 0,
  confirms: 0,
  requests: {},
  idempotency_keys: {},
  stripe_versions: {},
};
let delayMs = 0;
let failNext = null;  // {status, count, should_retry}
let webhook = null;   // {url, secret, auto_deliver}
let deliveryChain = Promise.resolve();

function now() { return Math.floor(Date.now() / 1000); }
function randomId(prefix) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(24);
  let s = prefix;
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}
function keyCount(key) {
  if (!counts.idempotency_keys[key]) {
    counts.idempotency_keys[key] = {requests: 0, replays: 0, intents_created: 0, refunds_created: 0};
  }
  return counts.idempotency_keys[key];
}

// --- Stripe's form encoding -------------------------------------------------
// a=1&metadata[k]=v&expand[]=x -> {a: "1", metadata: {k: "v"}, expand: ["x"]}
function parseForm(text) {
  const out = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = [];
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) throw stripeError(400, 'invalid_request_error', 'parameter_unknown',
      `Received unknown parameter: ${rawKey}`, rawKey);
    parts.push(m[1]);
    for (const sub of m[2].matchAll(/\[([^[\]]*)\]/g)) parts.push(sub[1]);
    let node = out;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      const last = i === parts.length - 1;
      const nextIsArray = !last && parts[i + 1] === '';
      if (p === '') {
        if (!Array.isArray(node)) throw badParam(rawKey);
        if (last) node.push(value); else throw badParam(rawKey);
        break;
      }
      if (last) {
        node[p] = value;
      } else {
        if (node[p] === undefined) node[p] = nextIsArray ? [] : {};
        node = node[p];
      }
    }
  }
  return out;
}
function badParam(name) {
  return stripeError(400, 'invalid_request_error', 'parameter_unknown',
    `Received unknown parameter: ${name}`, name);
}

// --- errors -----------------------------------------------------------------
class StripeErr extends Error {
  constructor(status, body, save) { super(body.error.message); this.status = status; this.body = body; this.save = save; }
}
// `save`: an idempotent result is kept (the endpoint started executing).
function stripeError(status, type, code, message, param, extra, save = false) {
  const error = {type, message};
  if (code) error.code = code;
  if (param) error.param = param;
  if (code) error.doc_url = `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
  error.request_log_url = 'https://dashboard.stripe.com/test/logs/req_standin';
  Object.assign(error, extra || {});
  return new StripeErr(status, {error}, save);
}
function missing(kind, id, param) {
  return stripeError(404, 'invalid_request_error', 'resource_missing',
    `No such ${kind}: '${id}'`, param, null, false);
}
function unknownParams(params, allowed) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) throw badParam(k);
  }
}
function positiveInt(params, name, required) {
  const v = params[name];
  if (v === undefined) {
    if (required) throw stripeError(400, 'invalid_request_error', 'parameter_missing',
      `Missing required param: ${name}.`, name);
    return undefined;
  }
  if (typeof v !== 'string' || !/^[0-9]{1,15}$/.test(v)) {
    throw stripeError(400, 'invalid_request_error', 'parameter_invalid_integer',
      `Invalid integer: ${v}`, name);
  }
  return Number(v);
}

// --- objects ----------------------------------------------------------------
function copy(o) { return JSON.parse(JSON.stringify(o)); }
function expandIntent(intent, expand) {
  const out = copy(intent);
  if ((expand || []).includes('latest_charge') && intent.latest_charge) {
    out.latest_charge = copy(charges.get(intent.latest_charge));
  }
  return out;
}
function emit(type, object, req) {
  const event = {
    id: randomId('evt_'),
    object: 'event',
    api_version: API_VERSION,
    created: now(),
    data: {object: copy(object)},
    livemode: false,
    pending_webhooks: webhook ? 1 : 0,
    request: {id: randomId('req_'), idempotency_key: req.idempotencyKey || null},
    type,
  };
  events.push(event);
  eventsById.set(event.id, {event, deliveries: []});
  if (webhook && webhook.auto_deliver) {
    deliveryChain = deliveryChain.then(() => deliver(event.id, {})).catch(() => {});
  }
}

// --- Stripe API handlers ----------------------------------------------------
const CREATE_PARAMS = ['amount', 'currency', 'metadata', 'receipt_email', 'description',
  'automatic_payment_methods', 'payment_method', 'confirm', 'expand', 'capture_method'];

function createIntent(req, params) {
  unknownParams(params, CREATE_PARAMS);
  const amount = positiveInt(params, 'amount', true);
  if (amount < 1) throw stripeError(400, 'invalid_request_error', 'amount_too_small',
    'Amount must be at least 1', 'amount');
  const currency = params.currency;
  if (currency === undefined) throw stripeError(400, 'invalid_request_error', 'parameter_missing',
    'Missing required param: currency.', 'currency');
  if (!/^[a-z]{3}$/.test(currency)) throw stripeError(400, 'invalid_request_error',
    'parameter_invalid_string', `Invalid currency: ${currency}.`, 'currency');
  if (params.metadata !== undefined && (typeof params.metadata !== 'object' || Array.isArray(params.metadata))) {
    throw stripeError(400, 'invalid_request_error', 'parameter_invalid_string', 'Invalid hash', 'metadata');
  }
  const id = randomId('pi_');
  const intent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: params.automatic_payment_methods
      ? {enabled: params.automatic_payment_methods.enabled === 'true'} : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: params.capture_method || 'automatic',
    client_secret: `${id}_secret_${randomId('')}`,
    confirmation_method: 'automatic',
    created: now(),
    currency,
    customer: null,
    description: params.description || null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: params.metadata || {},
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    receipt_email: params.receipt_email || null,
    status: 'requires_payment_method',
  };
  intents.set(id, intent);
  counts.intents_created++;
  if (req.idempotencyKey) keyCount(req.idempotencyKey).intents_created++;
  emit('payment_intent.created', intent, req);
  if (params.payment_method) intent.payment_method = params.payment_method;
  if (params.confirm === 'true') return confirmIntent(req, id, {payment_method: params.payment_method});
  return {status: 200, body: expandIntent(intent, params.expand)};
}

function getIntent(req, id, query) {
  const intent = intents.get(id);
  if (!intent) throw missing('payment_intent', id, 'intent');
  const expand = query.getAll('expand[]');
  return {status: 200, body: expandIntent(intent, expand)};
}

function confirmIntent(req, id, params) {
  unknownParams(params, ['payment_method', 'expand', 'return_url']);
  const intent = intents.get(id);
  if (!intent) throw missing('payment_intent', id, 'intent');
  const pm = params.payment_method || intent.payment_method;
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
    throw stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state',
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
      null, {payment_intent: copy(intent)}, true);
  }
  if (!pm) throw stripeError(400, 'invalid_request_error', 'parameter_missing',
    'You cannot confirm this PaymentIntent because it\'s missing a payment method.', 'payment_method');
  counts.confirms++;
  if (pm === 'pm_card_visa') {
    const charge = {
      id: randomId('ch_'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      captured: true,
      created: now(),
      currency: intent.currency,
      livemode: false,
      metadata: {},
      paid: true,
      payment_intent: intent.id,
      payment_method: pm,
      refunded: false,
      status: 'succeeded',
    };
    charges.set(charge.id, charge);
    Object.assign(intent, {status: 'succeeded', payment_method: pm, amount_received: intent.amount,
      latest_charge: charge.id, last_payment_error: null});
    emit('charge.succeeded', charge, req);
    emit('payment_intent.succeeded', intent, req);
    return {status: 200, body: expandIntent(intent, params.expand)};
  }
  if (pm === 'pm_card_chargeDeclined') {
    const charge = {
      id: randomId('ch_'), object: 'charge', amount: intent.amount, amount_captured: 0,
      amount_refunded: 0, captured: false, created: now(), currency: intent.currency,
      failure_code: 'card_declined', failure_message: 'Your card was declined.', livemode: false,
      metadata: {}, paid: false, payment_intent: intent.id, payment_method: pm, refunded: false,
      status: 'failed',
    };
    charges.set(charge.id, charge);
    const lastError = {
      type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', charge: charge.id,
      message: 'Your card was declined.',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    };
    Object.assign(intent, {status: 'requires_payment_method', payment_method: null,
      latest_charge: charge.id, last_payment_error: lastError});
    emit('charge.failed', charge, req);
    emit('payment_intent.payment_failed', intent, req);
    throw stripeError(402, 'card_error', 'card_declined', 'Your card was declined.', null,
      {decline_code: 'generic_decline', charge: charge.id, payment_intent: copy(intent)}, true);
  }
  throw stripeError(400, 'invalid_request_error', 'resource_missing',
    `No such PaymentMethod: '${pm}'`, 'payment_method');
}

function cancelIntent(req, id, params) {
  unknownParams(params, ['cancellation_reason', 'expand']);
  const intent = intents.get(id);
  if (!intent) throw missing('payment_intent', id, 'intent');
  const reasons = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
  if (params.cancellation_reason !== undefined && !reasons.includes(params.cancellation_reason)) {
    throw stripeError(400, 'invalid_request_error', 'parameter_invalid_string',
      'Invalid cancellation_reason', 'cancellation_reason');
  }
  if (!['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action',
    'processing'].includes(intent.status)) {
    throw stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state',
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. ` +
      'Only a PaymentIntent with one of the following statuses may be canceled: ' +
      'requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.',
      null, {payment_intent: copy(intent)}, true);
  }
  Object.assign(intent, {status: 'canceled', canceled_at: now(),
    cancellation_reason: params.cancellation_reason || null});
  emit('payment_intent.canceled', intent, req);
  return {status: 200, body: expandIntent(intent, params.expand)};
}

function createRefund(req, params) {
  unknownParams(params, ['payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand']);
  let charge;
  if (params.payment_intent !== undefined) {
    const intent = intents.get(params.payment_intent);
    if (!intent) throw stripeError(400, 'invalid_request_error', 'resource_missing',
      `No such payment_intent: '${params.payment_intent}'`, 'payment_intent');
    if (intent.status !== 'succeeded') {
      throw stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state',
        `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, null,
        null, true);
    }
    charge = charges.get(intent.latest_charge);
  } else if (params.charge !== undefined) {
    charge = charges.get(params.charge);
    if (!charge) throw stripeError(400, 'invalid_request_error', 'resource_missing',
      `No such charge: '${params.charge}'`, 'charge');
  } else {
    throw stripeError(400, 'invalid_request_error', 'parameter_missing',
      'One of the following params should be provided for this request: payment_intent or charge.',
      'payment_intent');
  }
  const left = charge.amount - charge.amount_refunded;
  if (left === 0) {
    throw stripeError(400, 'invalid_request_error', 'charge_already_refunded',
      `Charge ${charge.id} has already been refunded.`, null, null, true);
  }
  const amount = positiveInt(params, 'amount', false) ?? left;
  if (amount < 1 || amount > left) {
    throw stripeError(400, 'invalid_request_error', 'amount_too_large',
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
      'amount', null, true);
  }
  const refund = {
    id: randomId('re_'), object: 'refund', amount, charge: charge.id, created: now(),
    currency: charge.currency, metadata: params.metadata || {}, payment_intent: charge.payment_intent,
    reason: params.reason || null, status: 'succeeded',
  };
  refunds.set(refund.id, refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  counts.refunds_created++;
  if (req.idempotencyKey) keyCount(req.idempotencyKey).refunds_created++;
  emit('refund.created', refund, req);
  emit('charge.refunded', charge, req);
  return {status: 200, body: refund};
}

function route(req, query, params) {
  const p = req.path;
  let m;
  if (req.method === 'POST' && p === '/v1/payment_intents') return createIntent(req, params);
  if (req.method === 'POST' && p === '/v1/refunds') return createRefund(req, params);
  if ((m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/.exec(p))) {
    if (req.method === 'GET') return getIntent(req, m[1], query);
  }
  if (req.method === 'POST' && (m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)\/confirm$/.exec(p))) {
    return confirmIntent(req, m[1], params);
  }
  if (req.method === 'POST' && (m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)\/cancel$/.exec(p))) {
    return cancelIntent(req, m[1], params);
  }
  throw stripeError(404, 'invalid_request_error', null,
    `Unrecognized request URL (${req.method}: ${p}).`, null);
}

async function handleApi(req, res, raw) {
  const url = new URL(req.url, 'http://127.0.0.1');
  req.path = url.pathname;
  const label = `${req.method} ${req.path.replace(/\/(pi|ch|re)_[A-Za-z0-9_]+/, '/:id')}`;
  counts.requests[label] = (counts.requests[label] || 0) + 1;
  const version = req.headers['stripe-version'] || '';
  counts.stripe_versions[version] = (counts.stripe_versions[version] || 0) + 1;
  const send = (status, body, headers) => {
    res.writeHead(status, Object.assign({'Content-Type': 'application/json',
      'Request-Id': randomId('req_'), 'Stripe-Version': version || API_VERSION}, headers || {}));
    res.end(JSON.stringify(body, null, 2));
  };
  const auth = req.headers.authorization || '';
  if (auth !== `Bearer ${SECRET_KEY}`) {
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const masked = given.length > 4 ? `${given.slice(0, 8)}****${given.slice(-4)}` : '';
    return send(401, {error: {type: 'invalid_request_error',
      message: given ? `Invalid API Key provided: ${masked}` :
        'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').'}});
  }
  if (failNext && failNext.count > 0) {
    failNext.count--;
    const headers = failNext.should_retry ? {'Stripe-Should-Retry': failNext.should_retry} : {};
    return send(failNext.status, {error: {type: 'api_error',
      message: 'An unknown error occurred (stand-in: configured failure)'}}, headers);
  }
  let params = {};
  try {
    if (req.method === 'POST') params = parseForm(raw);
  } catch (e) {
    if (e instanceof StripeErr) return send(e.status, e.body);
    throw e;
  }
  const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  req.idempotencyKey = key;
  if (key !== undefined) {
    const kc = keyCount(key);
    kc.requests++;
    const fingerprint = `${req.method} ${req.path} ${JSON.stringify(params)}`;
    const saved = idem.get(key);
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        return send(400, {error: {type: 'idempotency_error', message:
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`}});
      }
      if (!saved.done) {
        return send(409, {error: {type: 'invalid_request_error', code: 'idempotency_key_in_use',
          message: 'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ' + key + '. Please try again later.'}});
      }
      kc.replays++;
      return send(saved.status, saved.body, {'Idempotent-Replayed': 'true', 'Idempotency-Key': key});
    }
    idem.set(key, {fingerprint, done: false});
  }
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  let result;
  try {
    result = route(req, url.searchParams, params);
  } catch (e) {
    if (!(e instanceof StripeErr)) {
      if (key !== undefined) idem.delete(key);  // a stand-in bug must not pin the key
      throw e;
    }
    result = {status: e.status, body: e.body, save: e.save};
  }
  if (key !== undefined) {
    const save = result.status < 400 || result.save;
    if (save) idem.set(key, {fingerprint: idem.get(key).fingerprint, done: true,
      status: result.status, body: result.body});
    else idem.delete(key);
  }
  return send(result.status, result.body, key !== undefined ? {'Idempotency-Key': key} : {});
}

// --- webhooks ---------------------------------------------------------------
function sign(payload, secret, timestamp) {
  return Stripe.webhooks.generateTestHeaderString({payload, secret, timestamp});
}

async function deliver(id, opts) {
  const entry = eventsById.get(id);
  if (!entry) throw new Error(`no such event ${id}`);
  const target = opts.url || (webhook && webhook.url);
  if (!target) throw new Error('no webhook target configured');
  const secret = opts.secret || webhook.secret;
  const timestamp = opts.timestamp !== undefined ? Number(opts.timestamp) : now();
  const signed = JSON.stringify(entry.event, null, 2);
  const header = sign(signed, secret, timestamp);
  const body = opts.payload !== undefined ? opts.payload : signed;
  let status = 0;
  try {
    const r = await fetch(target, {method: 'POST', body, signal: AbortSignal.timeout(10000),
      headers: {'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header,
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)'}});
    status = r.status;
    await r.arrayBuffer();
  } catch (e) {
    status = 0;
  }
  entry.deliveries.push({status, timestamp});
  return status;
}

async function handleControl(req, res, raw) {
  const send = (status, body) => {
    res.writeHead(status, {'Content-Type': 'application/json'});
    res.end(JSON.stringify(body));
  };
  let body = {};
  if (raw) {
    try { body = JSON.parse(raw); } catch (e) { return send(400, {error: 'body is not JSON'}); }
  }
  const p = new URL(req.url, 'http://127.0.0.1').pathname;
  let m;
  try {
    if (req.method === 'GET' && p === '/__standin/counts') {
      return send(200, Object.assign({}, counts, {events: events.length}));
    }
    if (req.method === 'POST' && p === '/__standin/configure') {
      if (body.delay_ms !== undefined) delayMs = Number(body.delay_ms);
      if (body.fail_next !== undefined) failNext = body.fail_next;
      return send(200, {delay_ms: delayMs, fail_next: failNext});
    }
    if (req.method === 'POST' && p === '/__standin/webhook') {
      if (typeof body.url !== 'string' || typeof body.secret !== 'string') {
        return send(400, {error: 'url and secret are required'});
      }
      webhook = {url: body.url, secret: body.secret, auto_deliver: body.auto_deliver !== false};
      return send(200, webhook);
    }
    if (req.method === 'GET' && p === '/__standin/events') {
      return send(200, events.map((e) => ({id: e.id, type: e.type, created: e.created,
        object_id: e.data.object.id, deliveries: eventsById.get(e.id).deliveries})));
    }
    if (req.method === 'GET' && (m = /^\/__standin\/events\/([A-Za-z0-9_]+)$/.exec(p))) {
      const entry = eventsById.get(m[1]);
      return entry ? send(200, entry.event) : send(404, {error: 'no such event'});
    }
    if (req.method === 'POST' && (m = /^\/__standin\/events\/([A-Za-z0-9_]+)\/deliver$/.exec(p))) {
      if (!eventsById.has(m[1])) return send(404, {error: 'no such event'});
      const statuses = [];
      const times = body.times === undefined ? 1 : Number(body.times);
      for (let i = 0; i < times; i++) statuses.push(await deliver(m[1], body));
      return send(200, {statuses});
    }
    if (req.method === 'POST' && p === '/__standin/deliver') {
      if (!Array.isArray(body.events)) return send(400, {error: 'events: [id, ...] is required'});
      for (const id of body.events) if (!eventsById.has(id)) return send(404, {error: `no such event ${id}`});
      const statuses = [];
      for (const id of body.events) statuses.push(await deliver(id, body));
      return send(200, {statuses});
    }
    if (req.method === 'POST' && p === '/__standin/sign') {
      if (typeof body.payload !== 'string') return send(400, {error: 'payload is required'});
      const secret = body.secret || (webhook && webhook.secret);
      if (!secret) return send(400, {error: 'no secret'});
      return send(200, {header: sign(body.payload, secret,
        body.timestamp !== undefined ? Number(body.timestamp) : now())});
    }
  } catch (e) {
    return send(400, {error: String(e.message || e)});
  }
  return send(404, {error: 'no such control endpoint'});
}

// --- server -----------------------------------------------------------------
const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > (1 << 20)) { req.destroy(); return; }
    chunks.push(c);
  });
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const handler = req.url.startsWith('/__standin/') ? handleControl : handleApi;
    handler(req, res, raw).catch((e) => {
      res.writeHead(500, {'Content-Type': 'application/json'});
      res.end(JSON.stringify({error: {type: 'api_error', message: `stand-in bug: ${e.message}`}}));
    });
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  if (PORT_FILE) require('fs').writeFileSync(PORT_FILE, `${port}\n`);
  process.stdout.write(`${JSON.stringify({port})}\n`);
});
function stop() { process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
setTimeout(stop, LIFETIME_S * 1000).unref();
