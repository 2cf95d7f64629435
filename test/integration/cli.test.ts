// The CLI as a user runs it: exit codes, formats, errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-trust-cli-'));
  writeFileSync(join(dir, 'pinned.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n');
  writeFileSync(join(dir, 'tag.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25\n');
  writeFileSync(join(dir, 'templated.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: "{{ .Values.image }}"\n');
  writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: Nginx:1.25\n');
  writeFileSync(join(dir, 'notes.txt'), 'image: nginx:1.25\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('exit 0 when everything is pinned', () => {
  const r = runCli(['scan', 'pinned.yaml'], { cwd: dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 image reference\(s\): 1 pinned by digest, 0 finding/);
});

test('exit 1 on an unpinned tag at the default --fail-on warning, 0 with --fail-on error', () => {
  const r = runCli(['scan', 'tag.yaml'], { cwd: dir });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^tag\.yaml:6:14: warning \[unpinned-tag\] Image nginx:1\.25 is pinned only by the tag "1\.25"/m);
  assert.equal(runCli(['scan', 'tag.yaml', '--fail-on', 'error'], { cwd: dir }).status, 0);
});

test('templated is information: fails only with --fail-on info', () => {
  assert.equal(runCli(['scan', 'templated.yaml'], { cwd: dir }).status, 0);
  const r = runCli(['scan', 'templated.yaml', '--fail-on', 'info'], { cwd: dir });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /information \[templated\]/);
});

test('an invalid reference is an error that names the problem', () => {
  const r = runCli(['scan', 'bad.yaml', '--fail-on', 'error'], { cwd: dir });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /error \[invalid-reference\] Invalid image reference "Nginx:1\.25": .*lowercase/i);
});

test('--kind forces a kind on a file whose name does not tell', () => {
  const plain = runCli(['scan', 'notes.txt', '--format', 'json'], { cwd: dir });
  assert.equal(JSON.parse(plain.stdout).references.length, 0);
  const forced = runCli(['scan', 'notes.txt', '--kind', 'compose', '--format', 'json', '--fail-on', 'never'], { cwd: dir });
  assert.equal(forced.status, 0);
  // `image:` at the top level is not services.*.image: forcing compose finds nothing, forcing kubernetes (CRD-style) does.
  const k8s = runCli(['scan', 'notes.txt', '--kind', 'kubernetes', '--format', 'json', '--fail-on', 'never'], { cwd: dir });
  assert.deepEqual(JSON.parse(k8s.stdout).references.map((r: { text: string }) => r.text), ['nginx:1.25']);
});

test('usage and I/O errors exit 2 with a one-line reason', () => {
  const a = runCli(['scan', '--format', 'xml'], { cwd: dir });
  assert.equal(a.status, 2);
  assert.match(a.stderr.split('\n')[0], /--format must be one of text, json, sarif/);
  const b = runCli(['scan', 'missing-folder'], { cwd: dir });
  assert.equal(b.status, 2);
  assert.equal(b.stderr.trim(), 'image-trust: cannot read missing-folder: no such file or folder');
  assert.equal(runCli(['frobnicate'], { cwd: dir }).status, 2);
});

test('--format sarif is SARIF 2.1.0 with rules, help and regions', () => {
  const r = runCli(['scan', '.', '--format', 'sarif', '--fail-on', 'never'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const sarif = JSON.parse(r.stdout);
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  assert.equal(run.tool.driver.name, 'image-trust');
  const ruleIds = run.tool.driver.rules.map((x: { id: string }) => x.id);
  for (const rule of run.tool.driver.rules) assert.ok(rule.help.text.length > 20 && rule.shortDescription.text);
  assert.ok(run.results.length >= 3);
  for (const res of run.results) {
    assert.equal(ruleIds[res.ruleIndex], res.ruleId);
    assert.match(res.level, /^(error|warning|note)$/);
    const region = res.locations[0].physicalLocation.region;
    assert.ok(region.startLine >= 1 && region.startColumn >= 1 && region.endColumn > region.startColumn);
    assert.match(res.partialFingerprints['imageTrust/v1'], /^[0-9a-f]{32}$/);
  }
});
