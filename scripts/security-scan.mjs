#!/usr/bin/env node
// `npm run scan:security` (also a step of `npm test`): static security checks.
//
// 1. Electronegativity (Doyensec) on the Electron main process and preload
//    (src/main, src/preload) together with the renderer's HTML (for its CSP).
//    Every finding must be justified in security/electronegativity-justifications.json
//    (check id + file → reason); an unjustified finding fails the scan. Inline
//    `// eng-disable CHECK_ID` comments (Electronegativity's own switch) must
//    carry a reason after ` -- `, or the scan fails: a silent suppression is
//    not a justification. The network-only check AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK
//    is left out (it downloads Electron's release list); npm audit covers
//    known vulnerabilities.
// 2. `npm audit --omit=dev --audit-level=high`: fails on a high or critical
//    advisory in a production dependency. When the advisory service cannot be
//    reached (offline, a registry mirror without the audit endpoint) it prints
//    a warning instead of failing. `--offline` (or SECURITY_SCAN_OFFLINE=1) skips it.
//
//   node scripts/security-scan.mjs [--offline] [--json]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const offline = args.has('--offline') || process.env.SECURITY_SCAN_OFFLINE === '1';
const JUSTIFICATIONS = path.join(root, 'security/electronegativity-justifications.json');
const SCANNED = ['src/main', 'src/preload'];
const SKIPPED_CHECKS = ['availablesecurityfixesglobalcheck'];

const failures = [];
const warnings = [];

function listFiles(dir, keep) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** `eng-disable` comments: allowed only with a written reason (`// eng-disable CHECK -- why`). */
function checkInlineSuppressions() {
  const found = [];
  for (const dir of SCANNED) {
    for (const file of listFiles(path.join(root, dir), (n) => /\.(m?[jt]sx?|html)$/.test(n))) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const m = /eng-disable\b(.*)$/.exec(line);
        if (!m) return;
        const where = `${path.relative(root, file)}:${i + 1}`;
        found.push(where);
        if (!/\s--\s*\S{3,}/.test(m[1])) failures.push(`${where}: eng-disable without a reason (write "eng-disable CHECK_ID -- why it is safe")`);
      });
    }
  }
  return found;
}

function loadJustifications() {
  if (!fs.existsSync(JUSTIFICATIONS)) return [];
  const json = JSON.parse(fs.readFileSync(JUSTIFICATIONS, 'utf8'));
  const list = Array.isArray(json.justifications) ? json.justifications : [];
  for (const j of list) {
    if (typeof j.check !== 'string' || typeof j.file !== 'string' || typeof j.reason !== 'string' || j.reason.trim().length < 20) {
      failures.push(`${path.relative(root, JUSTIFICATIONS)}: every entry needs "check", "file" and a "reason" of a sentence: ${JSON.stringify(j)}`);
    }
  }
  return list;
}

async function electronegativity() {
  const present = SCANNED.filter((d) => listFiles(path.join(root, d), (n) => /\.(m?[jt]sx?)$/.test(n)).length > 0);
  if (present.length === 0) {
    console.log('electronegativity: nothing to scan yet (src/main and src/preload are empty)');
    return;
  }
  // One tree, so global checks (navigation limits, permission handlers, CSP) see main, preload and the page together.
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
  try {
    for (const dir of SCANNED) if (fs.existsSync(path.join(root, dir))) fs.cpSync(path.join(root, dir), path.join(tree, dir), { recursive: true });
    for (const html of listFiles(path.join(root, 'src/renderer'), (n) => n.endsWith('.html'))) {
      if (html.includes(`${path.sep}node_modules${path.sep}`)) continue;
      const to = path.join(tree, path.relative(root, html));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(html, to);
    }
    const electronVersion = JSON.parse(fs.readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
    // Offline and fast: its only network use left is fetching translations (3 s of retries
    // when there is no internet). Its bundled English strings are what we want anyway.
    const i18n = require.resolve('@doyensec/electronegativity/dist/locales/i18n.js');
    const got = createRequire(i18n).resolve('got');
    require.cache[got] = { id: got, filename: got, loaded: true, exports: () => Promise.reject(new Error('offline')) };
    const run = require('@doyensec/electronegativity');
    // It prints its progress with console.log; keep our output readable.
    const log = console.log;
    console.log = () => {};
    let result;
    try {
      result = await run({
        input: tree,
        isRelative: true,
        isVerbose: false,
        customScan: [],
        excludeFromScan: SKIPPED_CHECKS,
        electronVersionOverride: electronVersion,
        parserPlugins: [],
      });
    } finally {
      console.log = log;
    }
    for (const e of result.errors) {
      const msg = `electronegativity could not parse ${e.file}: ${e.message}`;
      if (e.tolerable) warnings.push(msg);
      else failures.push(msg);
    }
    const justifications = loadJustifications();
    const used = new Set();
    let justified = 0;
    for (const issue of result.issues) {
      const file = issue.file === 'N/A' ? 'N/A' : path.join(...issue.file.split(/[\\/]/)).replace(/\\/g, '/');
      const j = justifications.find((x) => x.check === issue.id && x.file === file);
      const where = file === 'N/A' ? '(global)' : `${file}:${issue.location.line}`;
      if (j) {
        used.add(j);
        justified++;
        continue;
      }
      failures.push(
        `${issue.id} at ${where} (${issue.severity.name}, ${issue.confidence.name}${issue.manualReview ? ', review' : ''}): ` +
          `${issue.description} — fix it, or justify it in ${path.relative(root, JUSTIFICATIONS)}`,
      );
    }
    for (const j of justifications) {
      if (!used.has(j)) warnings.push(`stale justification (no such finding any more): ${j.check} in ${j.file}`);
    }
    console.log(
      `electronegativity ${electronVersion ? `(Electron ${electronVersion}) ` : ''}on ${present.join(', ')}: ` +
        `${result.issues.length} findings, ${justified} justified`,
    );
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

function npmAudit() {
  if (offline) {
    console.log('npm audit: skipped (--offline)');
    return;
  }
  const r = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    report = undefined;
  }
  const vulns = report?.metadata?.vulnerabilities;
  if (r.error || !report || report.error || !vulns) {
    const why = r.error?.message ?? report?.message ?? report?.error?.summary ?? r.stderr.split('\n').find((l) => l.includes('error')) ?? 'no report';
    warnings.push(`npm audit could not check the registry's advisories (${why.trim() || 'unknown error'}); production dependencies were NOT audited`);
    console.log('npm audit: advisory service unreachable (see warning)');
    return;
  }
  const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical');
  for (const [name, v] of serious) {
    const via = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title} (${x.url})`)).join('; ');
    failures.push(`npm audit: ${v.severity} in ${name}@${v.range}: ${via}`);
  }
  console.log(
    `npm audit (production dependencies): ${vulns.critical} critical, ${vulns.high} high, ${vulns.moderate} moderate, ${vulns.low} low`,
  );
}

const started = Date.now();
const inline = checkInlineSuppressions();
if (inline.length > 0) console.log(`inline eng-disable comments: ${inline.join(', ')}`);
await electronegativity();
npmAudit();
for (const w of warnings) console.warn(`warning: ${w}`);
if (failures.length > 0) {
  console.error(`\nsecurity scan FAILED (${failures.length}):`);
  for (const f of failures) console.error(`  ✖ ${f}`);
  process.exit(1);
}
console.log(`security scan passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
