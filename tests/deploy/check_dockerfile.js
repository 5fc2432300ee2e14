#!/usr/bin/env node
// The Dockerfile passes both linters and the image policy.
//
//   node tests/deploy/check_dockerfile.js [REPO_ROOT]
//
// 1. dockerfilelint (its CLI, JSON output): best-practice rules (apt-get flags
//    and cleanup, tags, sudo, ports, instruction arguments).
// 2. dockerfile-utils validate(): the Docker builder's own syntax rules (flags,
//    durations, JSON forms, variable substitution). Any error or warning fails.
// 3. Policy: multi-stage on Debian bookworm, pinned base tags, the runtime stage
//    has no compilers or -dev packages, copies only from the build stage, runs
//    as a non-root USER, has a HEALTHCHECK on /healthz, an ENTRYPOINT, EXPOSE;
//    .dockerignore keeps .git, .env, build trees and node_modules out.
// Exit 0 = pass, 1 = findings, 2 = tooling error.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DEFAULT_ROOT = path.resolve(__dirname, '..', '..');
const TOOLS_DIR = process.env.WATCHSTORE_TOOLS_DIR || path.join(DEFAULT_ROOT, 'tools');
const NODE_MODULES = path.join(TOOLS_DIR, 'node_modules');

function need(p) {
  if (!fs.existsSync(p)) {
    const e = new Error(`${p} is missing; run scripts/setup.sh (npm install in tools/)`);
    e.tooling = true;
    throw e;
  }
  return p;
}

// Split a Dockerfile into instructions (continuations joined, comments dropped).
function instructions(text) {
  const out = [];
  let cur = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (cur === null) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      cur = { line: i + 1, text: '' };
    } else if (trimmed.startsWith('#')) {
      continue; // comment inside a continuation
    }
    if (/\\\s*$/.test(raw)) {
      cur.text += raw.replace(/\\\s*$/, ' ');
    } else {
      cur.text += raw;
      const m = /^\s*([A-Za-z]+)\s*([\s\S]*)$/.exec(cur.text);
      out.push({ line: cur.line, keyword: m ? m[1].toUpperCase() : '', args: m ? m[2].trim() : cur.text });
      cur = null;
    }
  }
  if (cur) out.push({ line: cur.line, keyword: '', args: cur.text });
  return out;
}

function policy(text, dockerignore, root) {
  const problems = [];
  const ins = instructions(text);
  const stages = [];
  for (const i of ins) {
    if (i.keyword === 'FROM') stages.push({ from: i, body: [] });
    else if (stages.length) stages[stages.length - 1].body.push(i);
    else if (i.keyword !== 'ARG') problems.push(`line ${i.line}: ${i.keyword} before the first FROM`);
  }
  if (stages.length < 2) problems.push('must be a multi-stage build (a build stage and a runtime stage)');
  const names = new Set();
  for (const s of stages) {
    const parts = s.from.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    const image = parts[0] || '';
    const alias = parts.length >= 3 && parts[1].toLowerCase() === 'as' ? parts[2] : null;
    if (!names.has(image)) {
      if (!/^debian:(bookworm|12)([-.][\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(image)) {
        problems.push(`line ${s.from.line}: base image "${image}" must be Debian bookworm with an explicit tag`);
      }
    }
    if (alias) names.add(alias);
  }
  if (stages.length === 0) return problems;
  const runtime = stages[stages.length - 1];
  const body = runtime.body;
  const kw = (k) => body.filter((i) => i.keyword === k);

  for (const i of kw('RUN')) {
    if (/\b(build-essential|cmake|g\+\+|gcc|clang|[a-z0-9.+-]+-dev)\b/.test(i.args) && /apt-get\s+install/.test(i.args)) {
      problems.push(`line ${i.line}: the runtime stage installs build tools or -dev packages`);
    }
  }
  for (const i of kw('COPY').concat(kw('ADD'))) {
    const from = /--from=(\S+)/.exec(i.args);
    if (i.keyword === 'ADD') problems.push(`line ${i.line}: use COPY, not ADD, in the runtime stage`);
    else if (from && !names.has(from[1])) problems.push(`line ${i.line}: COPY --from=${from[1]} is not a build stage of this file`);
  }
  for (const s of stages) {
    for (const i of s.body) {
      if (i.keyword === 'ADD' && /https?:\/\//.test(i.args)) problems.push(`line ${i.line}: ADD of a URL (unverified download)`);
    }
  }
  const users = kw('USER');
  if (users.length === 0) problems.push('the runtime stage has no USER: the server must not run as root');
  else {
    const u = users[users.length - 1].args.split(':')[0].trim();
    if (u === 'root' || u === '0' || u === '') problems.push(`line ${users[users.length - 1].line}: USER ${u} is root`);
  }
  const hc = kw('HEALTHCHECK');
  if (hc.length === 0) problems.push('the runtime stage has no HEALTHCHECK');
  else {
    const args = hc[hc.length - 1].args;
    let probe = args;
    // A health check script shipped from deploy/: look inside it for the endpoint.
    const script = /\/usr\/local\/bin\/([\w.-]+)/.exec(args);
    if (script && !args.includes('/healthz')) {
      const candidates = fs.existsSync(path.join(root, 'deploy'))
        ? fs.readdirSync(path.join(root, 'deploy')).filter((f) => f.endsWith('.sh'))
        : [];
      for (const c of candidates) {
        const installed = new RegExp(`deploy/${c.replace('.', '\\.')}\\s+\\S*/usr/local/bin/${script[1].replace('.', '\\.')}\\b`);
        if (installed.test(text)) probe += fs.readFileSync(path.join(root, 'deploy', c), 'utf8');
      }
    }
    if (!probe.includes('/healthz')) problems.push(`line ${hc[hc.length - 1].line}: HEALTHCHECK must probe /healthz`);
  }
  if (kw('ENTRYPOINT').length === 0 && kw('CMD').length === 0) problems.push('the runtime stage has no ENTRYPOINT or CMD');
  if (kw('EXPOSE').length === 0) problems.push('the runtime stage does not EXPOSE the server port');
  const build = stages.slice(0, -1).flatMap((s) => s.body).filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
  if (!/cmake\s+-S\s+\S+\s+-B/.test(build) || !/cmake\s+--build/.test(build)) problems.push('the build stage must build with the project\'s CMake (cmake -S . -B ..., cmake --build)');
  if (!/WATCHSTORE_BUILD_TESTS=OFF/.test(build)) problems.push('the build stage should configure with -DWATCHSTORE_BUILD_TESTS=OFF');

  if (dockerignore === null) problems.push('.dockerignore is missing');
  else {
    const entries = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const want of ['.git', '.env', 'tools/node_modules']) {
      if (!entries.includes(want)) problems.push(`.dockerignore must exclude ${want}`);
    }
    if (!entries.some((e) => /^\/?build/.test(e))) problems.push('.dockerignore must exclude build directories');
  }
  return problems;
}

// Returns { errors: [...], summary }.
function dockerfileErrors(root) {
  const errors = [];
  const dockerfile = path.join(root, 'Dockerfile');
  if (!fs.existsSync(dockerfile)) return { errors: [`${dockerfile} is missing`], summary: '' };
  const text = fs.readFileSync(dockerfile, 'utf8');

  // 1. dockerfilelint CLI. -c points at a directory without a .dockerfilelintrc,
  // so no rule can be switched off from the repository.
  const cli = need(path.join(NODE_MODULES, 'dockerfilelint', 'bin', 'dockerfilelint'));
  const r = spawnSync(process.execPath, [cli, '-o', 'json', '-c', __dirname, dockerfile], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.error) {
    const e = new Error(`dockerfilelint: ${r.error.message}`);
    e.tooling = true;
    throw e;
  }
  let report = null;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    report = null;
  }
  let lintIssues = 0;
  if (report && Array.isArray(report.files)) {
    for (const f of report.files) {
      for (const issue of f.issues || []) {
        lintIssues++;
        errors.push(`dockerfilelint: Dockerfile:${issue.line}: ${issue.title}: ${issue.description} (${issue.category})`);
      }
    }
  }
  if (r.status !== 0 && lintIssues === 0) errors.push(`dockerfilelint: exit ${r.status}: ${r.stdout}${r.stderr}`);

  // 2. dockerfile-utils validate(): LSP diagnostics, 1 = error, 2 = warning.
  const utils = require(need(path.join(NODE_MODULES, 'dockerfile-utils')));
  for (const d of utils.validate(text)) {
    if (d.severity === 1 || d.severity === 2) {
      const kind = d.severity === 1 ? 'error' : 'warning';
      errors.push(`dockerfile-utils: Dockerfile:${d.range.start.line + 1}: ${kind}: ${d.message}`);
    }
  }

  // 3. Policy.
  const ignorePath = path.join(root, '.dockerignore');
  const ignore = fs.existsSync(ignorePath) ? fs.readFileSync(ignorePath, 'utf8') : null;
  for (const p of policy(text, ignore, root)) errors.push(`policy: ${p}`);
  return { errors, summary: 'dockerfilelint, dockerfile-utils and policy' };
}

function check(root) {
  const r = dockerfileErrors(root);
  for (const e of r.errors) console.error(`dockerfile: ${e}`);
  if (r.errors.length) {
    console.error(`dockerfile: ${r.errors.length} finding(s)`);
    return 1;
  }
  console.log(`dockerfile: ${r.summary} clean`);
  return 0;
}

module.exports = { dockerfileErrors, check };

if (require.main === module) {
  try {
    process.exit(check(path.resolve(process.argv[2] || DEFAULT_ROOT)));
  } catch (e) {
    console.error(`dockerfile: ${e && e.tooling ? e.message : e && e.stack ? e.stack : e}`);
    process.exit(2);
  }
}
