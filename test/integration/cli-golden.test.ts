// Golden test: the CLI's JSON for a fixture workspace equals a checked-in expected file.
// Regenerate after an intended change with UPDATE_GOLDEN=1 npm test -- and review the diff.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, runCli } from '../support/cli';

const FIXTURE = resolve(REPO_ROOT, 'test/fixtures/workspace');
const EXPECTED = resolve(REPO_ROOT, 'test/fixtures/workspace.expected.json');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-trust-golden-'));
  cpSync(FIXTURE, join(dir, 'ws'), { recursive: true });
  // Folders a scan must skip: dependencies, VCS internals (git itself would not keep these in the fixture).
  for (const skipped of ['ws/node_modules/pkg', 'ws/.git']) {
    mkdirSync(join(dir, skipped), { recursive: true });
    writeFileSync(join(dir, skipped, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: "nginx:1"}]}\n');
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('scan --format json of the fixture workspace equals the golden file', () => {
  const r = runCli(['scan', 'ws', '--format', 'json', '--fail-on', 'never'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const actual = JSON.parse(r.stdout);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(EXPECTED, `${JSON.stringify(actual, null, 2)}\n`);
  const expected = JSON.parse(readFileSync(EXPECTED, 'utf8'));
  assert.deepEqual(actual, expected);
});

test('the JSON follows the public schemaVersion 1 shape', () => {
  const r = runCli(['scan', 'ws', '--format', 'json', '--fail-on', 'never'], { cwd: dir });
  const out = JSON.parse(r.stdout);
  assert.equal(out.schemaVersion, 1);
  assert.ok(out.references.length > 0);
  for (const ref of out.references) {
    assert.deepEqual(Object.keys(ref).slice(0, 9), ['path', 'kind', 'range', 'text', 'name', 'tag', 'digest', 'status', 'reference']);
    assert.match(ref.kind, /^(kubernetes|dockerfile|helm-values|compose|kustomize)$/);
    assert.match(ref.status, /^(pinned|unpinned|templated|invalid)$/);
    assert.ok(!ref.path.includes('node_modules') && !ref.path.includes('.git/') && !ref.path.includes('ignored/'), ref.path);
    for (const p of [ref.range.start, ref.range.end]) assert.ok(Number.isInteger(p.line) && Number.isInteger(p.character));
  }
  for (const d of out.diagnostics) {
    assert.deepEqual(Object.keys(d), ['path', 'range', 'severity', 'code', 'message']);
    assert.match(d.severity, /^(error|warning|information|hint)$/);
  }
});

test('reported text is exactly the text at the reported range', () => {
  const r = runCli(['scan', 'ws', '--format', 'json', '--fail-on', 'never'], { cwd: dir });
  for (const ref of JSON.parse(r.stdout).references) {
    let text = readFileSync(join(dir, ref.path), 'utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split('\n');
    assert.equal(ref.range.start.line, ref.range.end.line, 'a reference spans one line');
    assert.equal(lines[ref.range.start.line].slice(ref.range.start.character, ref.range.end.character), ref.text);
  }
});
