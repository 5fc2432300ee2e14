#!/usr/bin/env node
// Offline checks of terraform/ (no terraform binary needed).
//
//   node tests/deploy/check_terraform.js parse  [REPO_ROOT]
//       every *.tf, *.tf.example, *.tfvars(.example) under terraform/ parses (HCL2, via @cdktf/hcl2json)
//   node tests/deploy/check_terraform.js policy [REPO_ROOT]
//       security and hygiene policy over the parsed root module (see POLICY below)
//
// REPO_ROOT defaults to the repository this script lives in; the mutation test
// points it at a broken copy. Node modules come from WATCHSTORE_TOOLS_DIR
// (default: <this repo>/tools). Exit 0 = pass, 1 = violations, 2 = usage/tooling error.
//
// POLICY (each item fails the check when broken):
//   - RDS: not publicly accessible, storage encrypted, master password managed by
//     Secrets Manager (no plaintext password), automated backups on, in private subnets
//   - ElastiCache: encryption at rest on, in private subnets
//   - Ingress: 0.0.0.0/0 or ::/0 only on the ALB's security group, TCP 80/443 only;
//     no other CIDR-based ingress anywhere, no all-protocol ingress
//   - S3: every bucket has a public access block with all four flags true,
//     versioning, default encryption, BucketOwnerEnforced; no ACLs, no website hosting
//   - ALB: drop_invalid_header_fields = true, desync_mitigation_mode = "strictest",
//     HTTP listeners only redirect to HTTPS, HTTPS listeners have a certificate and policy
//   - CloudFront: OAC (no OAI), HTTPS-only viewers, index.html root, /api/* behaviour
//   - Launch templates: IMDSv2 required, encrypted volumes, no SSH key pair
//   - IAM: no Allow of "*" or "service:*" actions, no IAM users or access keys
//   - every variable has a description and a type; validations reference only their variable
//   - every output has a description
//   - every var.x, local.x, resource, data source and module referenced is declared
//   - templatefile(): the template exists and receives every variable it uses
//   - provider versions pinned (aws ~> 5.x), required_version set
'use strict';

const fs = require('fs');
const path = require('path');

const HERE = __dirname;
const DEFAULT_ROOT = path.resolve(HERE, '..', '..');
const TOOLS_DIR = process.env.WATCHSTORE_TOOLS_DIR || path.join(DEFAULT_ROOT, 'tools');

function loadHcl2json() {
  const modPath = path.join(TOOLS_DIR, 'node_modules', '@cdktf', 'hcl2json');
  if (!fs.existsSync(modPath)) {
    const e = new Error(`${modPath} is missing; run scripts/setup.sh (npm install in tools/)`);
    e.tooling = true;
    throw e;
  }
  return require(modPath);
}

function listFiles(dir, accept) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.terraform' || entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p, accept));
    else if (accept(entry.name)) out.push(p);
  }
  return out.sort();
}

const isTf = (n) => n.endsWith('.tf');
const isHclLike = (n) => /\.(tf|tf\.example|tfvars|tfvars\.example)$/.test(n);

// ---------------------------------------------------------------------------
// Returns { errors: [...], summary }.
async function parseErrors(root, hcl) {
  const tfDir = path.join(root, 'terraform');
  const files = listFiles(tfDir, isHclLike);
  if (files.length === 0) return { errors: [`no Terraform files under ${tfDir}`], summary: '' };
  const errors = [];
  for (const f of files) {
    const rel = path.relative(root, f);
    try {
      await hcl.parse(rel, fs.readFileSync(f, 'utf8'));
    } catch (e) {
      errors.push(`${rel}: ${String(e.message || e).trim()}`);
    }
  }
  return { errors, summary: `${files.length - errors.length} of ${files.length} files parse` };
}

// ---------------------------------------------------------------------------
// Merged model of one module directory.
async function loadModule(dir, root, ex) {
  const m = {
    resource: {}, data: {}, variable: {}, output: {}, locals: {}, module: {},
    provider: {}, terraform: [], origin: {}, files: [],
  };
  const errors = [];
  for (const f of fs.readdirSync(dir).filter(isTf).sort()) {
    const rel = path.relative(root, path.join(dir, f));
    m.files.push(rel);
    let j;
    try {
      j = await ex.parse(rel, fs.readFileSync(path.join(dir, f), 'utf8'));
    } catch (e) {
      errors.push(`${rel}: does not parse: ${String(e.message || e).trim()}`);
      continue;
    }
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(j[kind] || {})) {
        for (const [name, bodies] of Object.entries(byName)) {
          const addr = `${kind === 'data' ? 'data.' : ''}${type}.${name}`;
          m[kind][type] = m[kind][type] || {};
          if (m[kind][type][name]) errors.push(`${rel}: ${addr} is declared twice`);
          m[kind][type][name] = bodies[0];
          m.origin[addr] = rel;
        }
      }
    }
    for (const kind of ['variable', 'output', 'module']) {
      for (const [name, bodies] of Object.entries(j[kind] || {})) {
        if (m[kind][name]) errors.push(`${rel}: ${kind} "${name}" is declared twice`);
        m[kind][name] = bodies[0];
        m.origin[`${kind}.${name}`] = rel;
      }
    }
    for (const block of j.locals || []) {
      for (const [name, value] of Object.entries(block)) {
        if (name in m.locals) errors.push(`${rel}: local "${name}" is declared twice`);
        m.locals[name] = value;
        m.origin[`local.${name}`] = rel;
      }
    }
    for (const [name, bodies] of Object.entries(j.provider || {})) {
      m.provider[name] = (m.provider[name] || []).concat(bodies);
    }
    m.terraform.push(...(j.terraform || []));
  }
  return { m, errors };
}

// Expression analysis: the AST of each "${...}" string, cached.
class Expressions {
  constructor(hcl) {
    this.hcl = hcl;
    this.cache = new Map();
    this.parsed = new Map();
  }

  // hcl.parse, memoized by file name and content (the mutation test parses the
  // same unchanged files many times). Callers must not modify the result.
  async parse(rel, text) {
    const key = `${rel}\0${text}`;
    if (!this.parsed.has(key)) this.parsed.set(key, await this.hcl.parse(rel, text));
    return this.parsed.get(key);
  }

  // Returns the list of traversals (arrays of leading name segments) in s.
  async traversals(s) {
    if (typeof s !== 'string' || !(s.includes('${') || s.includes('%{'))) return [];
    if (this.cache.has(s)) return this.cache.get(s);
    let result = [];
    try {
      const ast = await this.hcl.getExpressionAst('expr.tf', `<<__WS_EOT__\n${s}\n__WS_EOT__\n`);
      const walk = (node) => {
        if (!node) return;
        if (node.type === 'scopeTraversal' && node.meta && Array.isArray(node.meta.traversal)) {
          const segs = [];
          for (const t of node.meta.traversal) {
            if (t.type === 'nameTraversal' && typeof t.segment === 'string') segs.push(t.segment);
            else break;
          }
          if (segs.length) result.push(segs);
        }
        for (const c of node.children || []) walk(c);
      };
      walk(ast);
    } catch (e) {
      // Fall back to a regex over the expression text.
      result = [];
      const re = /(?<![\w.])([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*)+)/g;
      let mm;
      while ((mm = re.exec(s)) !== null) result.push([mm[1], ...mm[2].slice(1).split('.')]);
    }
    this.cache.set(s, result);
    return result;
  }
}

// Visit every string leaf of a value with its attribute path.
function* stringLeaves(value, where) {
  if (typeof value === 'string') {
    yield [value, where];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* stringLeaves(value[i], `${where}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* stringLeaves(v, `${where}.${k}`);
  }
}

const blocks = (v) => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []);
const first = (v) => blocks(v)[0];

// Returns { errors: [...violations], summary }. `ex` (an Expressions) may be
// shared between calls to reuse its cache.
async function policyViolations(root, hcl, ex = new Expressions(hcl)) {
  const dir = path.join(root, 'terraform');
  if (!fs.existsSync(dir)) return { errors: [`${dir} does not exist`], summary: '' };
  const { m, errors: loadErrors } = await loadModule(dir, root, ex);
  const violations = [...loadErrors];
  const where = (addr) => `${m.origin[addr] || 'terraform'}: ${addr}`;
  const fail = (addr, msg) => violations.push(`${where(addr)}: ${msg}`);
  const resources = (type) => Object.entries(m.resource[type] || {});

  // --- literal resolution (var defaults, locals) ---
  const UNKNOWN = Symbol('unknown');
  const resolve = (v, depth = 0) => {
    if (depth > 8) return UNKNOWN;
    if (typeof v !== 'string') {
      if (Array.isArray(v)) {
        const out = v.map((x) => resolve(x, depth + 1));
        return out.includes(UNKNOWN) ? UNKNOWN : out;
      }
      return v;
    }
    const ref = /^\$\{(var|local)\.([A-Za-z_][\w-]*)\}$/.exec(v);
    if (ref) {
      if (ref[1] === 'var') {
        const decl = m.variable[ref[2]];
        return decl && 'default' in decl ? resolve(decl.default, depth + 1) : UNKNOWN;
      }
      return ref[2] in m.locals ? resolve(m.locals[ref[2]], depth + 1) : UNKNOWN;
    }
    if (v.includes('${') || v.includes('%{')) return UNKNOWN;
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (/^-?\d+$/.test(v)) return Number(v);
    return v;
  };
  const isTrue = (v) => resolve(v) === true;
  const isFalseOrAbsent = (v) => v === undefined || resolve(v) === false;

  // References of a given resource type in an expression: [name, ...].
  const refsOfType = async (s, type) => {
    const out = [];
    for (const t of await ex.traversals(s)) if (t[0] === type && t[1]) out.push(t[1]);
    return out;
  };
  const refsIn = async (value, type) => {
    const out = new Set();
    for (const [s] of stringLeaves(value, '')) for (const n of await refsOfType(s, type)) out.add(n);
    return [...out];
  };

  // ---------------- provider / terraform settings ----------------
  {
    const tf = m.terraform;
    if (!tf.some((b) => typeof b.required_version === 'string' && b.required_version.trim())) {
      violations.push('terraform: terraform.required_version is not set');
    }
    const rp = {};
    for (const b of tf) for (const r of blocks(b.required_providers)) Object.assign(rp, r);
    const aws = rp.aws;
    if (!aws || typeof aws !== 'object' || !/^~>\s*5\.\d+/.test(String(aws.version || ''))) {
      violations.push('terraform: required_providers.aws must be pinned with "~> 5.x"');
    }
    for (const [name, spec] of Object.entries(rp)) {
      if (!spec || typeof spec !== 'object' || !spec.version) {
        violations.push(`terraform: required_providers.${name} has no version constraint`);
      }
    }
  }
  const providerPrefixes = new Set(['aws', 'random', 'null', 'tls', 'local', 'archive', 'http', 'time', 'cloudinit']);
  for (const b of m.terraform) for (const r of blocks(b.required_providers)) for (const k of Object.keys(r)) providerPrefixes.add(k);

  // ---------------- variables and outputs ----------------
  for (const [name, v] of Object.entries(m.variable)) {
    if (typeof v.description !== 'string' || v.description.trim() === '') fail(`variable.${name}`, 'has no description');
    if (!('type' in v)) fail(`variable.${name}`, 'has no type');
    for (const val of blocks(v.validation)) {
      for (const t of await ex.traversals(val.condition)) {
        if (t[0] === 'var' && t[1] !== name) {
          fail(`variable.${name}`, `validation refers to var.${t[1]} (only Terraform >= 1.9 allows that; use a precondition)`);
        }
      }
      if (typeof val.error_message !== 'string' || !val.error_message.trim()) fail(`variable.${name}`, 'validation has no error_message');
    }
  }
  for (const [name, o] of Object.entries(m.output)) {
    if (typeof o.description !== 'string' || o.description.trim() === '') fail(`output.${name}`, 'has no description');
  }

  // ---------------- references ----------------
  {
    const skipRoots = new Set(['count', 'each', 'self', 'path', 'terraform']);
    const check = async (value, addr) => {
      for (const [s, at] of stringLeaves(value, '')) {
        for (const t of await ex.traversals(s)) {
          const [rootSeg, a] = t;
          if (skipRoots.has(rootSeg)) continue;
          if (rootSeg === 'var') {
            if (!a || !(a in m.variable)) fail(addr, `${at.slice(1) || 'value'} refers to undeclared variable var.${a}`);
          } else if (rootSeg === 'local') {
            if (!a || !(a in m.locals)) fail(addr, `${at.slice(1) || 'value'} refers to undeclared local.${a}`);
          } else if (rootSeg === 'data') {
            const [, type, name] = t;
            if (!type || !name || !(m.data[type] && m.data[type][name])) fail(addr, `${at.slice(1)} refers to undeclared data.${type}.${name}`);
          } else if (rootSeg === 'module') {
            if (!a || !(a in m.module)) fail(addr, `${at.slice(1)} refers to undeclared module.${a}`);
          } else if (rootSeg.includes('_') && providerPrefixes.has(rootSeg.split('_')[0])) {
            if (!a || !(m.resource[rootSeg] && m.resource[rootSeg][a])) fail(addr, `${at.slice(1)} refers to undeclared resource ${rootSeg}.${a}`);
          }
        }
      }
    };
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(m[kind])) {
        for (const [name, body] of Object.entries(byName)) await check(body, `${kind === 'data' ? 'data.' : ''}${type}.${name}`);
      }
    }
    for (const [name, body] of Object.entries(m.output)) await check(body, `output.${name}`);
    for (const [name, body] of Object.entries(m.locals)) await check(body, `local.${name}`);
    for (const [name, body] of Object.entries(m.module)) await check(body, `module.${name}`);
    for (const [name, body] of Object.entries(m.variable)) await check(body.validation || [], `variable.${name}`);
    for (const [name, bodies] of Object.entries(m.provider)) await check(bodies, `provider.${name}`);
  }

  // ---------------- subnets: public or private ----------------
  const publicSubnets = new Set();
  {
    const igwTables = new Set();
    for (const [name, rt] of resources('aws_route_table')) {
      for (const r of blocks(rt.route)) {
        if ((await refsIn(r.gateway_id, 'aws_internet_gateway')).length) igwTables.add(name);
      }
    }
    for (const [, r] of resources('aws_route')) {
      if ((await refsIn(r.gateway_id, 'aws_internet_gateway')).length) {
        for (const t of await refsIn(r.route_table_id, 'aws_route_table')) igwTables.add(t);
      }
    }
    for (const [, a] of resources('aws_route_table_association')) {
      const tables = await refsIn(a.route_table_id, 'aws_route_table');
      if (tables.some((t) => igwTables.has(t))) {
        for (const s of await refsIn(a.subnet_id, 'aws_subnet')) publicSubnets.add(s);
      }
    }
    for (const [name, s] of resources('aws_subnet')) {
      if (!isFalseOrAbsent(s.map_public_ip_on_launch)) publicSubnets.add(name);
    }
  }
  const checkPrivateSubnets = async (addr, value, what) => {
    const names = await refsIn(value, 'aws_subnet');
    if (names.length === 0) {
      fail(addr, `${what} must reference aws_subnet resources of this module (cannot verify they are private)`);
      return;
    }
    for (const n of names) {
      if (!(m.resource.aws_subnet && m.resource.aws_subnet[n])) continue; // reported by the reference check
      if (publicSubnets.has(n)) fail(addr, `${what} uses aws_subnet.${n}, which is public (route to an internet gateway or public IPs)`);
    }
  };

  // ---------------- RDS ----------------
  for (const [name, db] of resources('aws_db_instance')) {
    const addr = `aws_db_instance.${name}`;
    if (!isFalseOrAbsent(db.publicly_accessible)) fail(addr, 'publicly_accessible must be false');
    if (!isTrue(db.storage_encrypted)) fail(addr, 'storage_encrypted must be true');
    if ('password' in db) fail(addr, 'sets a password in Terraform; use manage_master_user_password = true');
    if (!isTrue(db.manage_master_user_password) && !db.replicate_source_db) fail(addr, 'manage_master_user_password must be true (password in Secrets Manager)');
    const retention = resolve(db.backup_retention_period);
    if (retention === UNKNOWN || !(Number(retention) >= 1)) fail(addr, 'backup_retention_period must be at least 1 (automated backups)');
    const groups = await refsIn(db.db_subnet_group_name, 'aws_db_subnet_group');
    if (groups.length === 0) fail(addr, 'db_subnet_group_name must reference an aws_db_subnet_group of this module');
    for (const g of groups) {
      const sg = m.resource.aws_db_subnet_group && m.resource.aws_db_subnet_group[g];
      if (sg) await checkPrivateSubnets(`aws_db_subnet_group.${g}`, sg.subnet_ids, 'subnet_ids');
    }
  }
  for (const [name, c] of resources('aws_rds_cluster')) {
    const addr = `aws_rds_cluster.${name}`;
    if (!isTrue(c.storage_encrypted)) fail(addr, 'storage_encrypted must be true');
    if ('master_password' in c) fail(addr, 'sets master_password in Terraform; use manage_master_user_password = true');
  }
  for (const [name, c] of resources('aws_rds_cluster_instance')) {
    if (!isFalseOrAbsent(c.publicly_accessible)) fail(`aws_rds_cluster_instance.${name}`, 'publicly_accessible must be false');
  }

  // ---------------- ElastiCache ----------------
  for (const [name, rg] of resources('aws_elasticache_replication_group')) {
    const addr = `aws_elasticache_replication_group.${name}`;
    if (!isTrue(rg.at_rest_encryption_enabled)) fail(addr, 'at_rest_encryption_enabled must be true');
    const groups = await refsIn(rg.subnet_group_name, 'aws_elasticache_subnet_group');
    if (groups.length === 0) fail(addr, 'subnet_group_name must reference an aws_elasticache_subnet_group of this module');
    for (const g of groups) {
      const sg = m.resource.aws_elasticache_subnet_group && m.resource.aws_elasticache_subnet_group[g];
      if (sg) await checkPrivateSubnets(`aws_elasticache_subnet_group.${g}`, sg.subnet_ids, 'subnet_ids');
    }
    if ('auth_token' in rg && !isTrue(rg.transit_encryption_enabled)) fail(addr, 'auth_token requires transit_encryption_enabled');
  }
  for (const [name, c] of resources('aws_elasticache_cluster')) {
    if (!c.replication_group_id) fail(`aws_elasticache_cluster.${name}`, 'standalone clusters are not allowed: use a replication group (encryption at rest)');
  }

  // ---------------- security groups: ingress ----------------
  {
    const albSgs = new Set();
    for (const type of ['aws_lb', 'aws_alb']) {
      for (const [, lb] of resources(type)) {
        const lbType = resolve(lb.load_balancer_type);
        if (lb.load_balancer_type !== undefined && lbType !== 'application') continue;
        for (const n of await refsIn(lb.security_groups, 'aws_security_group')) albSgs.add(n);
      }
    }
    const WORLD = new Set(['0.0.0.0/0', '::/0']);
    const checkRule = async (addr, rule) => {
      const sgNames = rule.sg === null ? [] : await refsIn(rule.sg, 'aws_security_group');
      const cidrs = [];
      let unknownCidr = false;
      for (const c of rule.cidrs) {
        if (c === undefined) continue;
        const r = resolve(c);
        if (r === UNKNOWN) unknownCidr = true;
        else cidrs.push(...(Array.isArray(r) ? r : [r]));
      }
      if (rule.sgSource === undefined && rule.prefixList === undefined && rule.self !== true && cidrs.length === 0 && !unknownCidr) {
        fail(addr, 'ingress rule has no source');
        return;
      }
      if (unknownCidr) {
        fail(addr, 'ingress CIDR is not a literal (or a variable/local with a literal default): cannot verify it');
        return;
      }
      const protocol = String(resolve(rule.protocol));
      if (protocol === '-1' || protocol === 'all') {
        fail(addr, 'ingress for all protocols is not allowed');
        return;
      }
      if (cidrs.length === 0) return; // from a security group, self or a prefix list
      const from = resolve(rule.from);
      const to = resolve(rule.to);
      const world = cidrs.filter((c) => WORLD.has(String(c).trim()));
      const onAlb = sgNames.length > 0 && sgNames.every((n) => albSgs.has(n));
      if (world.length > 0) {
        const portOk = (protocol === 'tcp' || protocol === '6') && from === to && (from === 80 || from === 443);
        if (!onAlb) fail(addr, `ingress from ${world.join(', ')} on a security group that is not the ALB's`);
        else if (!portOk) fail(addr, `ingress from ${world.join(', ')} on ports ${from}-${to}/${protocol}: only TCP 80 and 443 may be open to the world`);
        return;
      }
      fail(addr, `CIDR ingress (${cidrs.join(', ')}) is not allowed: reference a security group instead`);
    };
    for (const [name, sg] of resources('aws_security_group')) {
      const addr = `aws_security_group.${name}`;
      const self = `\${aws_security_group.${name}.id}`;
      for (const ing of blocks(sg.ingress)) {
        await checkRule(addr, {
          sg: self,
          cidrs: [].concat(ing.cidr_blocks || [], ing.ipv6_cidr_blocks || []),
          sgSource: ing.security_groups && ing.security_groups.length ? ing.security_groups : undefined,
          prefixList: ing.prefix_list_ids && ing.prefix_list_ids.length ? ing.prefix_list_ids : undefined,
          self: ing.self === true,
          protocol: ing.protocol,
          from: ing.from_port,
          to: ing.to_port,
        });
      }
      if (sg.dynamic && sg.dynamic.ingress) fail(addr, 'dynamic ingress blocks cannot be verified: write the rules out');
    }
    for (const [name, r] of resources('aws_security_group_rule')) {
      if (resolve(r.type) !== 'ingress') continue;
      await checkRule(`aws_security_group_rule.${name}`, {
        sg: r.security_group_id,
        cidrs: [].concat(r.cidr_blocks || [], r.ipv6_cidr_blocks || []),
        sgSource: r.source_security_group_id,
        prefixList: r.prefix_list_ids,
        self: r.self === true,
        protocol: r.protocol,
        from: r.from_port,
        to: r.to_port,
      });
    }
    for (const [name, r] of resources('aws_vpc_security_group_ingress_rule')) {
      await checkRule(`aws_vpc_security_group_ingress_rule.${name}`, {
        sg: r.security_group_id,
        cidrs: [r.cidr_ipv4, r.cidr_ipv6],
        sgSource: r.referenced_security_group_id,
        prefixList: r.prefix_list_id,
        self: false,
        protocol: r.ip_protocol,
        from: r.from_port,
        to: r.to_port,
      });
    }
    for (const [name, sg] of resources('aws_default_security_group')) {
      if (blocks(sg.ingress).length) fail(`aws_default_security_group.${name}`, 'the default security group must have no ingress rules');
    }
  }

  // ---------------- S3 ----------------
  {
    const byBucket = async (type) => {
      const map = new Map();
      for (const [name, r] of resources(type)) {
        for (const b of await refsIn(r.bucket, 'aws_s3_bucket')) map.set(b, [name, r]);
      }
      return map;
    };
    const pabs = await byBucket('aws_s3_bucket_public_access_block');
    const versioning = await byBucket('aws_s3_bucket_versioning');
    const sse = await byBucket('aws_s3_bucket_server_side_encryption_configuration');
    const ownership = await byBucket('aws_s3_bucket_ownership_controls');
    for (const [name] of resources('aws_s3_bucket')) {
      const addr = `aws_s3_bucket.${name}`;
      if (!pabs.has(name)) fail(addr, 'has no aws_s3_bucket_public_access_block');
      const v = versioning.get(name);
      if (!v || resolve((first(v[1].versioning_configuration) || {}).status) !== 'Enabled') fail(addr, 'versioning must be Enabled');
      if (!sse.has(name)) fail(addr, 'has no default encryption (aws_s3_bucket_server_side_encryption_configuration)');
      const o = ownership.get(name);
      if (!o || resolve((first(o[1].rule) || {}).object_ownership) !== 'BucketOwnerEnforced') fail(addr, 'object ownership must be BucketOwnerEnforced (ACLs disabled)');
    }
    for (const [name, p] of resources('aws_s3_bucket_public_access_block')) {
      for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) {
        if (!isTrue(p[k])) fail(`aws_s3_bucket_public_access_block.${name}`, `${k} must be true`);
      }
    }
    for (const [name] of resources('aws_s3_bucket_acl')) fail(`aws_s3_bucket_acl.${name}`, 'bucket ACLs are not allowed');
    for (const [name] of resources('aws_s3_bucket_website_configuration')) fail(`aws_s3_bucket_website_configuration.${name}`, 'S3 website hosting is public; serve through CloudFront with OAC');
  }

  // ---------------- ALB ----------------
  for (const type of ['aws_lb', 'aws_alb']) {
    for (const [name, lb] of resources(type)) {
      const addr = `${type}.${name}`;
      if (lb.load_balancer_type !== undefined && resolve(lb.load_balancer_type) !== 'application') continue;
      if (!isTrue(lb.drop_invalid_header_fields)) fail(addr, 'drop_invalid_header_fields must be true');
      if (resolve(lb.desync_mitigation_mode) !== 'strictest') fail(addr, 'desync_mitigation_mode must be "strictest"');
    }
  }
  for (const type of ['aws_lb_listener', 'aws_alb_listener']) {
    for (const [name, l] of resources(type)) {
      const addr = `${type}.${name}`;
      const proto = resolve(l.protocol);
      if (proto === 'HTTP') {
        const acts = blocks(l.default_action);
        const ok = acts.length === 1 && resolve(acts[0].type) === 'redirect' && resolve((first(acts[0].redirect) || {}).protocol) === 'HTTPS';
        if (!ok) fail(addr, 'an HTTP listener may only redirect to HTTPS');
      } else if (proto === 'HTTPS') {
        if (!l.certificate_arn) fail(addr, 'HTTPS listener without certificate_arn');
        if (!l.ssl_policy) fail(addr, 'HTTPS listener without an explicit ssl_policy');
      } else {
        fail(addr, `listener protocol must be HTTP (redirect) or HTTPS, not ${String(l.protocol)}`);
      }
    }
  }
  for (const [name, tg] of resources('aws_lb_target_group')) {
    const hc = first(tg.health_check);
    if (!hc || resolve(hc.path) !== '/readyz') fail(`aws_lb_target_group.${name}`, 'health check must probe /readyz');
  }

  // ---------------- CloudFront ----------------
  for (const [name] of resources('aws_cloudfront_origin_access_identity')) {
    fail(`aws_cloudfront_origin_access_identity.${name}`, 'use an origin access control (OAC), not a legacy OAI');
  }
  for (const [name, d] of resources('aws_cloudfront_distribution')) {
    const addr = `aws_cloudfront_distribution.${name}`;
    for (const o of blocks(d.origin)) {
      if (o.s3_origin_config) fail(addr, `origin ${o.origin_id}: s3_origin_config (OAI) is not allowed, use origin_access_control_id`);
      const isS3 = (await refsIn(o.domain_name, 'aws_s3_bucket')).length > 0;
      if (isS3 && !o.origin_access_control_id) fail(addr, `origin ${o.origin_id}: an S3 origin needs origin_access_control_id`);
      for (const c of blocks(o.custom_origin_config)) {
        if (resolve(c.origin_protocol_policy) !== 'https-only') fail(addr, `origin ${o.origin_id}: origin_protocol_policy must be https-only`);
      }
    }
    const behaviours = blocks(d.default_cache_behavior).concat(blocks(d.ordered_cache_behavior));
    for (const b of behaviours) {
      const vpp = resolve(b.viewer_protocol_policy);
      if (vpp !== 'redirect-to-https' && vpp !== 'https-only') fail(addr, `behaviour ${b.path_pattern || 'default'}: viewer_protocol_policy must be redirect-to-https or https-only`);
    }
    if (resolve(d.default_root_object) !== 'index.html') fail(addr, 'default_root_object must be index.html');
    const api = blocks(d.ordered_cache_behavior).find((b) => resolve(b.path_pattern) === '/api/*');
    if (!api) fail(addr, 'needs an ordered_cache_behavior for /api/*');
    else {
      const methods = resolve(api.allowed_methods);
      if (methods === UNKNOWN || ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].some((x) => !methods.includes(x))) {
        fail(addr, '/api/* must allow all seven HTTP methods');
      }
    }
  }

  // ---------------- launch templates ----------------
  for (const [name, lt] of resources('aws_launch_template')) {
    const addr = `aws_launch_template.${name}`;
    const md = first(lt.metadata_options);
    if (!md || resolve(md.http_tokens) !== 'required') fail(addr, 'metadata_options.http_tokens must be "required" (IMDSv2)');
    if ('key_name' in lt) fail(addr, 'key_name (SSH key pair) is not allowed: use SSM Session Manager');
    for (const bd of blocks(lt.block_device_mappings)) {
      for (const ebs of blocks(bd.ebs)) if (!isTrue(ebs.encrypted)) fail(addr, `volume ${bd.device_name}: ebs.encrypted must be true`);
    }
    if (blocks(lt.network_interfaces).some((n) => isTrue(n.associate_public_ip_address))) fail(addr, 'instances must not get public IPs');
  }
  for (const [name, asg] of resources('aws_autoscaling_group')) {
    await checkPrivateSubnets(`aws_autoscaling_group.${name}`, asg.vpc_zone_identifier, 'vpc_zone_identifier');
  }
  for (const [name] of resources('aws_instance')) fail(`aws_instance.${name}`, 'stand-alone instances are not allowed: use the launch template and auto scaling group');

  // ---------------- IAM ----------------
  for (const [name] of resources('aws_iam_user')) fail(`aws_iam_user.${name}`, 'IAM users are not allowed: use roles (OIDC for CI)');
  for (const [name] of resources('aws_iam_access_key')) fail(`aws_iam_access_key.${name}`, 'static access keys are not allowed');
  for (const [name, doc] of Object.entries(m.data.aws_iam_policy_document || {})) {
    const stmts = blocks(doc.statement).concat(blocks(doc.dynamic && doc.dynamic.statement).flatMap((d) => blocks(d.content)));
    for (const st of stmts) {
      if (resolve(st.effect) === 'Deny') continue;
      const actions = resolve(st.actions);
      if (actions === UNKNOWN) continue;
      for (const a of [].concat(actions)) {
        if (a === '*' || /^[a-z0-9-]+:\*$/i.test(a)) fail(`data.aws_iam_policy_document.${name}`, `Allow of "${a}" is too broad`);
      }
    }
  }

  // ---------------- no literal secrets ----------------
  for (const [type, byName] of Object.entries(m.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      for (const [s, at] of stringLeaves(body, '')) {
        const key = at.split('.').pop().replace(/\[\d+\]$/, '');
        if (/^(password|master_password|auth_token|secret_key|access_key|secret_access_key)$/.test(key) && !s.includes('${')) {
          fail(`${type}.${name}`, `${at.slice(1)} is a literal secret`);
        }
      }
    }
  }

  // ---------------- templatefile() ----------------
  for (const [type, byName] of Object.entries(m.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      for (const [s] of stringLeaves(body, '')) {
        const re = /templatefile\(\s*"\$\{path\.module\}\/([^"]+)"\s*,\s*\{([\s\S]*?)\}\s*\)/g;
        let mm;
        while ((mm = re.exec(s)) !== null) {
          const addr = `${type}.${name}`;
          const tpl = path.join(dir, mm[1]);
          if (!fs.existsSync(tpl)) {
            fail(addr, `templatefile: ${mm[1]} does not exist`);
            continue;
          }
          const provided = new Set();
          for (const line of mm[2].split('\n')) {
            const k = /^\s*([A-Za-z_][\w]*)\s*=/.exec(line);
            if (k) provided.add(k[1]);
          }
          const text = fs.readFileSync(tpl, 'utf8');
          const used = new Set();
          const vre = /(?<!\$)\$\{\s*([A-Za-z_][\w]*)\s*\}/g;
          let vm;
          while ((vm = vre.exec(text)) !== null) used.add(vm[1]);
          for (const u of used) if (!provided.has(u)) fail(addr, `templatefile: ${mm[1]} uses \${${u}} but it is not passed`);
          if (/(?<!\$)\$\{(?!\s*[A-Za-z_][\w]*\s*\})/.test(text) || /(?<!%)%\{/.test(text)) {
            fail(addr, `templatefile: ${mm[1]} uses template expressions or directives beyond \${name}; keep it to plain variables (escape shell as $\${...})`);
          }
          if (Buffer.byteLength(text) > 14 * 1024) fail(addr, `templatefile: ${mm[1]} is over 14 KiB; EC2 user data is limited to 16 KiB`);
        }
      }
    }
  }

  const counts = Object.values(m.resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
  return {
    errors: violations,
    summary: `${m.files.length} files, ${counts} resources, ${Object.keys(m.variable).length} variables`,
  };
}

// Runs one mode against root; prints the result; returns the exit code.
async function check(mode, root, hcl, ex) {
  const r = mode === 'parse' ? await parseErrors(root, hcl) : await policyViolations(root, hcl, ex);
  for (const e of r.errors) console.error(`${mode}: ${e}`);
  if (r.errors.length) {
    console.error(`${mode}: ${r.errors.length} problem(s)${r.summary ? ` (${r.summary})` : ''}`);
    return 1;
  }
  console.log(`${mode}: ok (${r.summary})`);
  return 0;
}

module.exports = { loadHcl2json, Expressions, parseErrors, policyViolations, check };

if (require.main === module) {
  // Bound the run: a hung WASM call must not hang the test suite.
  setTimeout(() => {
    console.error('check_terraform: timed out after 50 s');
    process.exit(2);
  }, 50000).unref();
  const mode = process.argv[2];
  const root = path.resolve(process.argv[3] || DEFAULT_ROOT);
  if (mode !== 'parse' && mode !== 'policy') {
    console.error('usage: check_terraform.js parse|policy [REPO_ROOT]');
    process.exit(2);
  }
  Promise.resolve()
    .then(() => check(mode, root, loadHcl2json()))
    .then(
      (code) => process.exit(code),
      (e) => {
        console.error(`check_terraform: ${e && e.tooling ? e.message : e && e.stack ? e.stack : e}`);
        process.exit(2);
      },
    );
}
