// The pre-merge gate as a reviewer's CI runs it: `image-trust scan --changed-since main` in a real git repository
// whose feature branch adds an unpinned image, changes a pinned digest, adds a policy exception, moves references
// (lines inserted above, a block cut and pasted) and leaves others alone, while main moves on after branching.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type CliResult } from '../support/cli';
import { GIT_ENV, TempRepo } from '../support/git-repo';
import { requireTool } from '../support/requirements';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const DIGEST_C = `sha256:${'c'.repeat(64)}`;
const DIGEST_D = `sha256:${'d'.repeat(64)}`;

const pod = (name: string, containers: [string, string][]) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n${containers.map(([n, image]) => `    - name: ${n}\n      image: ${image}\n`).join('')}`;

const deployment = (labels: string[], containers: [string, string][]) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    ...(labels.length ? ['  labels:', ...labels.map((l) => `    ${l}`)] : []),
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    ...containers.flatMap(([n, image]) => [`        - name: ${n}`, `          image: ${image}`]),
    '',
  ].join('\n');

const policy = (extra: string[]) =>
  ['version: 1', 'exceptions:', `  - image: ghcr.io/acme/old@${DIGEST_C}`, '    reason: existing exception', '    owner: team-old', '    expires: 2099-01-01', ...extra, ''].join('\n');

interface SarifResult {
  ruleId: string;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; snippet: { text: string } } } }[];
  partialFingerprints: Record<string, string>;
}
interface JsonOut {
  references: { path: string; text: string; changed?: boolean; resolvedDigest?: unknown; resolveError?: unknown }[];
  diagnostics: { path: string; code: string; severity: string; range: { start: { line: number } } }[];
  changedSince?: { ref: string; mergeBase: string; exceptionsAdded: unknown[] };
}

const results = (r: CliResult): SarifResult[] => JSON.parse(r.stdout).runs[0].results;
const snippet = (res: SarifResult) => res.locations[0].physicalLocation.region.snippet.text;
const fingerprintOf = (rs: SarifResult[], text: string) => rs.filter((x) => snippet(x) === text).map((x) => x.partialFingerprints['imageTrust/v1']);

const { skip } = requireTool('git');

describe('scan --changed-since', { skip }, () => {
  let repo: TempRepo;
  let mergeBase: string;
  let baseSarif: SarifResult[];
  const cli = (args: string[]) => runCli(['scan', ...args], { cwd: repo.dir, env: GIT_ENV });

  before(() => {
    repo = new TempRepo('image-trust-gate-');
    repo.write('k8s/app.yaml', deployment([], [['web', 'nginx:1.25'], ['cache', `redis@${DIGEST_A}`]]));
    repo.write('k8s/worker.yaml', pod('worker', [['a', 'busybox:1.36'], ['b', 'alpine:3.19']]));
    repo.write('k8s/untouched.yaml', pod('tools', [['py', 'python:3.12']]));
    repo.write('.image-trust.yaml', policy([]));
    repo.commitAll('base');
    mergeBase = repo.git('rev-parse', 'HEAD').trim();
    baseSarif = results(cli(['.', '--format', 'sarif', '--fail-on', 'never']));

    repo.git('checkout', '-q', '-b', 'feature');
    // Committed on the feature: labels inserted above nginx (moves it down), a new unpinned image; the worker's two
    // containers swapped (a block cut and pasted).
    repo.write('k8s/app.yaml', deployment(['app: web', 'tier: frontend'], [['web', 'nginx:1.25'], ['memcached', 'memcached:1.6'], ['cache', `redis@${DIGEST_A}`]]));
    repo.write('k8s/worker.yaml', pod('worker', [['b', 'alpine:3.19'], ['a', 'busybox:1.36']]));
    repo.commitAll('feature work');
    // main moves on after branching: not part of the feature, so not reported.
    repo.git('checkout', '-q', 'main');
    repo.write('k8s/untouched.yaml', pod('tools', [['py', 'python:3.13']]));
    repo.commitAll('main moves on');
    repo.git('checkout', '-q', 'feature');
    // Uncommitted in the working tree: the pinned digest changes, an exception is added.
    repo.write('k8s/app.yaml', deployment(['app: web', 'tier: frontend'], [['web', 'nginx:1.25'], ['memcached', 'memcached:1.6'], ['cache', `redis@${DIGEST_B}`]]));
    repo.write('.image-trust.yaml', policy([`  - image: ghcr.io/acme/vendor@${DIGEST_D}`, '    reason: vendor image | signature `pending`', '    owner: team-vendor', '    expires: 2099-06-30']));
  });
  after(() => repo.remove());

  test('reports exactly the added and changed references; exit code from those only', () => {
    const full = cli(['.', '--format', 'json']);
    assert.equal(full.status, 1, full.stderr);
    const r = cli(['.', '--changed-since', 'main', '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const out: JsonOut = JSON.parse(r.stdout);
    assert.deepEqual(
      out.references.filter((x) => x.changed).map((x) => `${x.path} ${x.text}`),
      ['k8s/app.yaml memcached:1.6', `k8s/app.yaml redis@${DIGEST_B}`],
    );
    assert.deepEqual(
      out.references.filter((x) => x.changed === false).map((x) => x.text).sort(),
      ['alpine:3.19', 'busybox:1.36', 'nginx:1.25', 'python:3.12'],
    );
    assert.deepEqual(out.diagnostics.map((d) => `${d.path}:${d.range.start.line + 1} ${d.code}`), ['k8s/app.yaml:15 unpinned-tag']);
    assert.deepEqual(out.changedSince, {
      ref: 'main',
      mergeBase,
      exceptionsAdded: [{ image: `ghcr.io/acme/vendor@${DIGEST_D}`, owner: 'team-vendor', expires: '2099-06-30', reason: 'vendor image | signature `pending`' }],
    });
  });

  test('without a reported finding the gate passes, though the repository still has unpinned tags', () => {
    // HEAD: only the uncommitted work (a new digest, an exception) is compared.
    const r = cli(['.', '--changed-since', 'HEAD']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Changed since HEAD \(merge base [0-9a-f]{12}\): 1 of 6 image reference\(s\) added or changed/);
    assert.equal(cli(['.']).status, 1);
  });

  test('text output lists the findings of changed references and the added exception with owner and expiry', () => {
    const r = cli(['.', '--changed-since', 'main']);
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^k8s\/app\.yaml:15:18: warning \[unpinned-tag\] Image memcached:1\.6 /);
    assert.doesNotMatch(r.stdout, /nginx|busybox|alpine|python/);
    assert.match(r.stdout, /2 of 6 image reference\(s\) added or changed; only their findings are reported/);
    assert.match(r.stdout, /1 policy exception\(s\) added or changed:\n {2}ghcr\.io\/acme\/vendor@sha256:d{64} — owner team-vendor, expires 2099-06-30: vendor image \| signature `pending`/);
  });

  test('markdown is a review comment: counts, one row per finding, the digest hint, the added exception', () => {
    const r = cli(['.', '--changed-since', 'main', '--format', 'markdown']);
    assert.equal(r.status, 1, r.stderr);
    const md = r.stdout;
    assert.match(md.split('\n')[0], /^### Image Trust: 1 finding\(s\) \(1 warning\) in 2 image reference\(s\) added or changed since `main`$/);
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    assert.deepEqual(rows.slice(0, 2), ['| file:line | reference | finding | fix |', '| --- | --- | --- | --- |']);
    assert.equal(rows.length, 3);
    assert.match(rows[2], /^\| `k8s\/app\.yaml:15` \| `memcached:1\.6` \| ⚠️ `unpinned-tag` Image pinned by a mutable tag \| pin to its digest: `image-trust pin k8s\/app\.yaml` \|$/);
    assert.match(md, /^Deploy by digest: .*$/m);
    // The reason comes from the repository: its `|` and backticks are escaped so they cannot break the list.
    assert.match(md, /^- `ghcr\.io\/acme\/vendor@sha256:d{64}` — owner `team-vendor`, expires `2099-06-30`: vendor image \\\| signature \\`pending\\`$/m);
  });

  test('markdown without findings is a single ✅ line, plus the exceptions a reviewer must see', () => {
    const r = cli(['.', '--changed-since', 'HEAD', '--format', 'markdown']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '✅ **Image Trust**: no findings in 1 image reference(s) added or changed since `HEAD`.');
    assert.ok(!lines.some((l) => l.startsWith('|')), 'no table');
    assert.match(r.stdout, /owner `team-vendor`, expires `2099-06-30`/);
  });

  test('SARIF fingerprints do not move with lines, and a gated finding keeps its full-scan fingerprint', () => {
    const featureSarif = results(cli(['.', '--format', 'sarif', '--fail-on', 'never']));
    for (const text of ['nginx:1.25', 'busybox:1.36', 'alpine:3.19', 'python:3.12']) {
      const before = fingerprintOf(baseSarif, text);
      assert.equal(before.length, 1, text);
      assert.deepEqual(fingerprintOf(featureSarif, text), before, `${text} moved or stayed: same fingerprint`);
    }
    const line = (rs: SarifResult[], text: string) => rs.find((x) => snippet(x) === text)!.locations[0].physicalLocation.region.startLine;
    assert.equal(line(featureSarif, 'nginx:1.25'), line(baseSarif, 'nginx:1.25') + 3, 'nginx did move down');
    const gated = results(cli(['.', '--changed-since', 'main', '--format', 'sarif', '--fail-on', 'never']));
    assert.deepEqual(gated.map(snippet), ['memcached:1.6']);
    assert.deepEqual(fingerprintOf(gated, 'memcached:1.6'), fingerprintOf(featureSarif, 'memcached:1.6'));
  });

  test('--resolve asks registries about changed references only', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'image-trust-gate-cache-'));
    try {
      const r = cli(['.', '--changed-since', 'main', '--resolve', '--offline', '--cache-dir', cacheDir, '--format', 'json', '--fail-on', 'never']);
      assert.equal(r.status, 0, r.stderr);
      const out: JsonOut = JSON.parse(r.stdout);
      assert.deepEqual(out.references.filter((x) => 'resolvedDigest' in x).map((x) => x.text), ['memcached:1.6', `redis@${DIGEST_B}`]);
      assert.ok(out.diagnostics.every((d) => d.path === 'k8s/app.yaml' && [15, 17].includes(d.range.start.line + 1)), JSON.stringify(out.diagnostics));
      // Offline with an empty cache nothing is known, and the output says why instead of guessing.
      for (const ref of out.references.filter((x) => x.changed)) assert.match(String(ref.resolveError), /not in cache/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('an unknown ref or a folder outside git exits 2 with a one-line reason', () => {
    const r = cli(['.', '--changed-since', 'no-such-branch']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^image-trust: unknown git ref "no-such-branch": check the name, or fetch it first/);
    assert.equal(r.stdout, '');
    const plain = mkdtempSync(join(tmpdir(), 'image-trust-nogit-'));
    try {
      const n = runCli(['scan', '.', '--changed-since', 'main'], { cwd: plain, env: GIT_ENV });
      assert.equal(n.status, 2);
      assert.match(n.stderr.trim(), /^image-trust: --changed-since needs a git repository, and .* is not in one$/);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    const u = cli(['.', '--changed-since', '--format']);
    assert.equal(u.status, 2);
  });
});

test('a clean working tree compared with HEAD: markdown is exactly the ✅ line', { skip }, () => {
  const repo = new TempRepo('image-trust-gate-clean-');
  try {
    repo.write('pod.yaml', pod('p', [['a', 'nginx:1.25']]));
    repo.commitAll('base');
    const r = runCli(['scan', '.', '--changed-since', 'HEAD', '--format', 'markdown'], { cwd: repo.dir, env: GIT_ENV });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '✅ **Image Trust**: no findings in 0 image reference(s) added or changed since `HEAD`.\n');
  } finally {
    repo.remove();
  }
});

test('a second identical reference added below an old one is reported with its own full-scan fingerprint', { skip }, () => {
  const repo = new TempRepo('image-trust-gate-dup-');
  try {
    repo.write('pod.yaml', pod('p', [['a', 'nginx:1.25']]));
    repo.commitAll('base');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('pod.yaml', pod('p', [['a', 'nginx:1.25'], ['b', 'nginx:1.25']]));
    const run = (args: string[]) => results(runCli(['scan', '.', '--format', 'sarif', '--fail-on', 'never', ...args], { cwd: repo.dir, env: GIT_ENV }));
    const full = fingerprintOf(run([]), 'nginx:1.25');
    const gated = run(['--changed-since', 'main']);
    assert.equal(full.length, 2);
    assert.notEqual(full[0], full[1]);
    assert.deepEqual(gated.map((x) => x.locations[0].physicalLocation.region.startLine), [10]);
    assert.deepEqual(fingerprintOf(gated, 'nginx:1.25'), [full[1]]);
  } finally {
    repo.remove();
  }
});
