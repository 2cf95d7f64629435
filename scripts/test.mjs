// Runs the whole test suite: unit, integration (real registry, real signatures) and end-to-end tests.
// Usage: node scripts/test.mjs [unit|integration|e2e ...] (default: all). Builds first: some tests start the bundles.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = groups.length ? groups : ['unit', 'integration', 'e2e'];

function find(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = wanted.flatMap((g) => find(join('test', g)));
if (files.length === 0) { console.error('no test files found'); process.exit(2); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
