#!/usr/bin/env node
// Signs webhook payloads with the official `stripe` npm package
// (tools/node_modules), for the C++ tests of Stripe-Signature verification.
// stdin: a JSON array of {"payload": string, "secret": string,
// "timestamp": unix seconds}; stdout: a JSON array of the Stripe-Signature
// headers webhooks.generateTestHeaderString makes for them, in order.
'use strict';
const path = require('path');
const Stripe = require(require.resolve('stripe', {
  paths: [path.join(__dirname, '..', '..', 'tools')],
}));

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const requests = JSON.parse(input);
  const headers = requests.map((r) => Stripe.webhooks.generateTestHeaderString({
    payload: r.payload, secret: r.secret, timestamp: r.timestamp,
  }));
  process.stdout.write(JSON.stringify(headers));
});
