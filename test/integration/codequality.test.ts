// `scan --format codequality`: a GitLab Code Quality report as GitLab reads it (description, check_name, fingerprint,
// severity, location.path, location.lines.begin), with fingerprints stable across runs and line moves — the same
// fingerprints as SARIF's partialFingerprints (one implementation: cli/format/fingerprint.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli';

interface Issue {
  type: string;
  description: string;
  check_name: string;
  fingerprint: string;
  severity: string;
  categories: string[];
  location: { path: string; lines: { begin: number; end: number } };
}

const MANIFEST = `apiVersion: v1
kind: Pod
spec:
  containers:
    - name: web
      image: nginx:1.25
    - name: sidecar
      image: nginx:1.25
    - name: cache
      image: redis
    - name: broken
      image: Nginx:1
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-trust-codequality-'));
  writeFileSync(join(dir, 'pod.yaml'), MANIFEST);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function report(args: string[] = []): { issues: Issue[]; status: number | null } {
  const r = runCli(['scan', 'pod.yaml', '--format', 'codequality', ...args], { cwd: dir });
  assert.equal(r.stderr, '');
  return { issues: JSON.parse(r.stdout) as Issue[], status: r.status };
}

test('the report is a JSON array of Code Quality issues with the fields GitLab requires', () => {
  const { issues, status } = report();
  assert.equal(status, 1, 'the exit code follows --fail-on as for every format');
  assert.deepEqual(issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin]), [
    ['unpinned-tag', 'minor', 'pod.yaml', 6],
    ['unpinned-tag', 'minor', 'pod.yaml', 8],
    ['implicit-latest', 'minor', 'pod.yaml', 10],
    ['invalid-reference', 'major', 'pod.yaml', 12],
  ]);
  for (const i of issues) {
    assert.equal(i.type, 'issue');
    assert.ok(i.description.length > 20, i.description);
    assert.match(i.fingerprint, /^[0-9a-f]{32}$/);
    assert.equal(i.location.lines.end, i.location.lines.begin);
    assert.deepEqual(i.categories, ['Bug Risk']);
  }
  assert.equal(new Set(issues.map((i) => i.fingerprint)).size, issues.length, 'two findings on the same text (nginx:1.25 twice) still differ');
});

test('severity mapping: information → info (templated), a severity setting moves the level', () => {
  writeFileSync(join(dir, 'templated.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: "{{ .Values.image }}"\n');
  const r = runCli(['scan', 'templated.yaml', '--format', 'codequality'], { cwd: dir });
  assert.deepEqual((JSON.parse(r.stdout) as Issue[]).map((i) => [i.check_name, i.severity]), [['templated', 'info']]);
  const raised = JSON.parse(runCli(['scan', 'pod.yaml', '--format', 'codequality', '--severity', 'unpinned-tag=error'], { cwd: dir }).stdout) as Issue[];
  assert.equal(raised[0]!.severity, 'major');
});

test('fingerprints are stable across runs and across line moves, and equal the SARIF fingerprints', () => {
  const first = report().issues.map((i) => i.fingerprint);
  assert.deepEqual(report().issues.map((i) => i.fingerprint), first, 'the same on a second run');
  // Lines inserted above every reference, and the file otherwise unchanged: the findings move, fingerprints stay.
  writeFileSync(join(dir, 'pod.yaml'), `# a comment\n# another\n${MANIFEST.replace('kind: Pod\n', 'kind: Pod\nmetadata:\n  name: moved\n')}`);
  const moved = report().issues;
  assert.deepEqual(moved.map((i) => i.location.lines.begin), [10, 12, 14, 16]);
  assert.deepEqual(moved.map((i) => i.fingerprint), first, 'the same after the lines moved');
  const sarif = JSON.parse(runCli(['scan', 'pod.yaml', '--format', 'sarif'], { cwd: dir }).stdout);
  assert.deepEqual(sarif.runs[0].results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints['imageTrust/v1']), first);
  writeFileSync(join(dir, 'pod.yaml'), MANIFEST);
});

test('a change to the reference text is a new fingerprint; the other findings keep theirs', () => {
  const before = report().issues.map((i) => i.fingerprint);
  writeFileSync(join(dir, 'pod.yaml'), MANIFEST.replace('image: redis', 'image: redis:7'));
  const after = report().issues;
  assert.equal(after[2]!.check_name, 'unpinned-tag');
  assert.notEqual(after[2]!.fingerprint, before[2]);
  assert.deepEqual([after[0], after[1], after[3]].map((i) => i!.fingerprint), [before[0], before[1], before[3]]);
  writeFileSync(join(dir, 'pod.yaml'), MANIFEST);
});

test('--format codequality is a format of scan only', () => {
  const r = runCli(['pin', '--format', 'codequality'], { cwd: dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--format codequality is a format of scan/);
});
